/**
 * {@linkcode startTestManager}: a {@linkcode ControllerManager} run as the controller integration
 * tests run it — no leader election, a client of its own on the transport given (writing as
 * `kube-controller-manager`, as kube-controller-manager does), the system clock and a
 * {@linkcode RecordingLogger} unless told otherwise — until the test stops it.
 *
 * @example The ReplicaSet controller against the in-process API
 * ```ts ignore
 * await using api = await startControllerApi();
 * await using _manager = startTestManager(api.transport, { controllers: ["replicaset"] });
 * ```
 *
 * @module
 */
import { Client } from "../../control/client/client.ts";
import type { Transport } from "../../control/client/transport.ts";
import {
  type ControllerDescriptor,
  ControllerManager,
} from "../../control/controllers/controller_manager.ts";
import { type Clock, systemClock } from "../../control/util/clock.ts";
import { type Logger, RecordingLogger } from "../../control/util/logger.ts";

/** Options of {@linkcode startTestManager}. */
export interface TestManagerOptions {
  /** `--controllers`. @default {["*"]} */
  readonly controllers?: readonly string[];
  /** @default {defaultControllers()} */
  readonly registry?: readonly ControllerDescriptor[];
  /** @default {systemClock} */
  readonly clock?: Clock;
  /** @default {a new RecordingLogger} */
  readonly logger?: Logger;
  /** @default {"test"} */
  readonly identity?: string;
}

/** A running controller manager; dispose it (or `stop()`) to end it. */
export interface TestManager extends AsyncDisposable {
  /** Aborts the manager's run and waits for it to end; once stopped, a no-op. */
  stop(): Promise<void>;
}

/** Starts a controller manager without leader election on `transport`. */
export function startTestManager(
  transport: Transport,
  options: TestManagerOptions = {},
): TestManager {
  const manager = new ControllerManager({
    client: new Client(transport, { fieldManager: "kube-controller-manager" }),
    clock: options.clock ?? systemClock,
    logger: options.logger ?? new RecordingLogger(),
    identity: options.identity ?? "test",
    ...(options.controllers ? { controllers: options.controllers } : {}),
    ...(options.registry ? { registry: options.registry } : {}),
    leaderElection: false,
  });
  const abort = new AbortController();
  const running = manager.run(abort.signal);
  async function stop(): Promise<void> {
    abort.abort();
    await running;
  }
  return { stop, [Symbol.asyncDispose]: stop };
}
