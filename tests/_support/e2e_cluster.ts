/**
 * What an end-to-end test of a running `skiff server` ({@linkcode TestServer}) sets up to drive
 * it with the real kubectl: a kubectl of its own (HOME and discovery cache in the server's
 * scratch dir), runners that fail with what kubectl printed and the tail of the server's log,
 * `-o json` reads, an admin {@linkcode Client} over HTTPS (as a node or a controller would
 * reach the server), and a bounded wait for what the server's loops do in the background.
 *
 * @example Create a namespace and wait for its pods
 * ```ts ignore
 * await using server = await startTestServer();
 * using cluster = e2eCluster(server);
 * const { run, ok, json } = cluster;
 * ok(await run(["create", "namespace", "web"]), "create namespace");
 * await cluster.eventually("2 pods", async () =>
 *   (await json(["get", "pods", "-n", "web"])).items.length === 2
 * );
 * ```
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { Client } from "../../control/client/client.ts";
import { HttpsTransport } from "../../control/client/transport.ts";
import { Kubectl, type KubectlResult, type KubectlVersion } from "./kubectl.ts";
import type { TestServer } from "./skiff_server.ts";
import { until } from "./until.ts";

/** How many lines of the server's log a failed kubectl run shows. */
const LOG_LINES = 20;
/** How often {@linkcode E2eCluster.eventually} checks again. */
const POLL_MS = 200;

/** Options of {@linkcode e2eCluster}. */
export interface E2eClusterOptions {
  /**
   * The version of {@linkcode E2eCluster.kubectl} (and of the runners).
   * @default {"1.33"}
   */
  readonly version?: KubectlVersion;
  /**
   * The fieldManager of {@linkcode E2eCluster.client}'s writes.
   * @default {"e2e-test"}
   */
  readonly fieldManager?: string;
  /**
   * How long {@linkcode E2eCluster.eventually} waits.
   * @default {20000}
   */
  readonly waitMs?: number;
}

/** kubectl and an admin client on one {@linkcode TestServer}; dispose it to close the client. */
export interface E2eCluster extends Disposable {
  readonly server: TestServer;
  /** kubectl of {@linkcode E2eClusterOptions.version}, HOME `<scratch>/home`. */
  readonly kubectl: Kubectl;
  /** Another kubectl version on the same server, HOME `<scratch>/home-<version>`. */
  kubectlAt(version: KubectlVersion): Kubectl;
  /** Runs {@linkcode E2eCluster.kubectl} with `args`, writing `stdin` to it when given. */
  run(args: readonly string[], stdin?: string): Promise<KubectlResult>;
  /**
   * Asserts that kubectl exited 0 and answers its stdout; the failure shows `what`, stdout,
   * stderr and the server's log tail.
   */
  ok(result: KubectlResult, what: string): string;
  /** {@linkcode E2eCluster.run} then {@linkcode E2eCluster.ok}, named by the args. */
  runOk(args: readonly string[], stdin?: string): Promise<string>;
  /** `kubectl <args> -o json`, which must exit 0, parsed. */
  // deno-lint-ignore no-explicit-any -- kubectl's JSON, which each test reads as it needs
  json(args: readonly string[]): Promise<any>;
  /** Resolves once `check` answers true; fails naming `what` after the cluster's `waitMs`. */
  eventually(what: string, check: () => Promise<boolean>): Promise<void>;
  /**
   * A typed client with the admin kubeconfig's credentials, made on first use and closed with
   * the cluster.
   */
  readonly client: Client;
}

/** Sets up kubectl (and, on first use, an admin client) for `server`. */
export function e2eCluster(server: TestServer, options: E2eClusterOptions = {}): E2eCluster {
  const waitMs = options.waitMs ?? 20_000;
  const fieldManager = options.fieldManager ?? "e2e-test";
  const kubectl = new Kubectl(options.version ?? "1.33", {
    kubeconfig: server.kubeconfig,
    homeDir: join(server.scratchDir, "home"),
  });
  let transport: HttpsTransport | null = null;
  let client: Client | null = null;
  const run = (args: readonly string[], stdin?: string) =>
    kubectl.run(args, stdin === undefined ? {} : { stdin });
  const ok = (r: KubectlResult, what: string) => {
    assert.equal(
      r.code,
      0,
      `${what} exited ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}\nserver log:\n${
        server.logTail(LOG_LINES)
      }`,
    );
    return r.stdout;
  };
  return {
    server,
    kubectl,
    kubectlAt: (version) =>
      new Kubectl(version, {
        kubeconfig: server.kubeconfig,
        homeDir: join(server.scratchDir, `home-${version}`),
      }),
    run,
    ok,
    runOk: async (args, stdin) => ok(await run(args, stdin), args.join(" ")),
    json: async (args) => JSON.parse(ok(await run([...args, "-o", "json"]), args.join(" "))),
    eventually: (what, check) => until(check, { what, timeoutMs: waitMs, intervalMs: POLL_MS }),
    get client() {
      if (client === null) {
        transport = HttpsTransport.fromKubeconfig(Deno.readTextFileSync(server.kubeconfig));
        client = new Client(transport, { fieldManager });
      }
      return client;
    },
    [Symbol.dispose]() {
      transport?.[Symbol.dispose]();
    },
  };
}
