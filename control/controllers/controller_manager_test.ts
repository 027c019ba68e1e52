import assert from "node:assert/strict";
import { setImmediate } from "node:timers";
import { startControllerApi, until } from "../../tests/_support/controller_api.ts";
import type { ReplicaSet } from "../api/types/apps_v1.ts";
import { CORE_EVENTS, LEASES, PODS, REPLICA_SETS } from "../client/resources.ts";
import type { Transport } from "../client/transport.ts";
import { FakeClock } from "../util/clock.ts";
import { RecordingLogger } from "../util/logger.ts";
import {
  CONTROLLER_MANAGER_LEASE,
  type ControllerDescriptor,
  ControllerManager,
  defaultControllers,
  enabledControllers,
  SKIFF_CONTROLLER_MANAGER_LEADER_ELECTION,
} from "./controller_manager.ts";

const START_MS = Date.UTC(2025, 0, 1);

/** A controller that records its terms: the signal it ran with, and when it returned. */
class ProbeController {
  readonly runs: AbortSignal[] = [];
  returned = 0;
  async run(signal: AbortSignal): Promise<void> {
    this.runs.push(signal);
    await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve()));
    this.returned++;
  }
}

function probe(name: string, probes: ProbeController[]): ControllerDescriptor {
  return {
    name,
    factory: () => {
      const p = new ProbeController();
      probes.push(p);
      return p;
    },
  };
}

/** Fails Lease requests while `down` (a partitioned control plane, as far as the lease goes). */
class LeaseOutage implements Transport {
  down = false;
  readonly #inner: Transport;
  constructor(inner: Transport) {
    this.#inner = inner;
  }
  request(method: string, path: string, options?: Parameters<Transport["request"]>[2]) {
    if (this.down && path.includes("/leases")) {
      return Promise.reject(new Error("connection refused"));
    }
    return this.#inner.request(method, path, options);
  }
}

function turns(n = 20): Promise<void> {
  let p = Promise.resolve();
  for (let i = 0; i < n; i++) p = p.then(() => new Promise((r) => setImmediate(r)));
  return p;
}

/** Advances the fake clock in 1 s steps, letting requests run between them. */
async function advance(clock: FakeClock, ms: number): Promise<void> {
  for (let done = 0; done < ms; done += 1000) {
    clock.advance(Math.min(1000, ms - done));
    await turns();
  }
}

function replicaSet(name: string, replicas: number): ReplicaSet {
  return {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: { namespace: "default", name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: "main", image: "busybox" }] },
      },
    },
  };
}

Deno.test("enabledControllers() reads a --controllers list", async (t) => {
  const known: ControllerDescriptor[] = [
    { name: "a", factory: () => new ProbeController() },
    { name: "b", factory: () => new ProbeController() },
    { name: "c", factory: () => new ProbeController(), enabledByDefault: false },
  ];
  const cases: [string[], string[]][] = [
    [["*"], ["a", "b"]],
    [["*", "-a"], ["b"]],
    [["*", "c"], ["a", "b", "c"]],
    [["c", "a"], ["a", "c"]],
    [["-a", "a"], []],
    [[], []],
  ];
  for (const [list, want] of cases) {
    await t.step(JSON.stringify(list), () => {
      assert.deepEqual(enabledControllers(list, known).map((c) => c.name), want);
    });
  }
  await t.step("unknown names are refused", () => {
    assert.throws(
      () => enabledControllers(["*", "-cronjob"], known),
      /^TypeError: Cannot enable controllers: "cronjob" is not in the list of known controllers \(a, b, c\)$/,
    );
  });
  assert.deepEqual(defaultControllers().map((c) => c.name), [
    "replicaset",
    "replicationcontroller",
    "deployment",
    "namespace",
    "endpointslice",
    "endpoint",
    "statefulset",
    "daemonset",
    "job",
    "cronjob",
    "ttl-after-finished",
    "garbagecollector",
    "disruption",
    "podgc",
    "nodelifecycle",
    "taint-eviction-controller",
    "nodeipam",
    "servicelb",
  ]);
});

Deno.test("ControllerManager runs the ReplicaSet controller while it holds the lease", async () => {
  await using api = await startControllerApi();
  const clock = new FakeClock(START_MS);
  const logger = new RecordingLogger();
  const manager = new ControllerManager({
    client: api.client,
    clock,
    logger,
    identity: "server-1_abc",
    controllers: ["replicaset"],
    random: () => 0,
  });
  assert.deepEqual(manager.controllers, ["replicaset"]);
  const stop = new AbortController();
  const running = manager.run(stop.signal);
  await api.client.resource(REPLICA_SETS).create(replicaSet("web", 2));
  const pods = api.client.resource(PODS);
  await until(async () => (await pods.list({ namespace: "default" })).items.length === 2, {
    what: "two pods",
  });
  assert.equal(manager.isLeader(), true);
  const lease = await api.client.resource(LEASES).get(CONTROLLER_MANAGER_LEASE.name, {
    namespace: CONTROLLER_MANAGER_LEASE.namespace,
  });
  assert.equal(lease.spec?.holderIdentity, "server-1_abc");
  assert.equal(lease.spec?.leaseDurationSeconds, 60);
  stop.abort();
  await running;
  // Stopping releases the lease and writes the events still queued.
  const released = await api.client.resource(LEASES).get(CONTROLLER_MANAGER_LEASE.name, {
    namespace: CONTROLLER_MANAGER_LEASE.namespace,
  });
  assert.equal(released.spec?.holderIdentity ?? "", "");
  const events = (await api.client.resource(CORE_EVENTS).list({ namespace: "default" })).items;
  const created = events.filter((e) => e.reason === "SuccessfulCreate");
  assert.equal(created.length, 2);
  assert.deepEqual(created[0]?.source, { component: "replicaset-controller" });
  assert.equal(
    logger.messages("info").filter((m) => m === "Starting controller manager").length,
    1,
  );
  assert.equal(
    logger.messages("info").filter((m) => m === "Shutting down controller manager").length,
    1,
  );
});

Deno.test("ControllerManager stops the controllers when the lease is lost, and starts fresh ones on the next term", async () => {
  let outage!: LeaseOutage;
  await using api = await startControllerApi({
    wrap: (t) => outage = new LeaseOutage(t),
  });
  const clock = new FakeClock(START_MS);
  const probes: ProbeController[] = [];
  const manager = new ControllerManager({
    client: api.client,
    clock,
    logger: new RecordingLogger(),
    identity: "server-1_abc",
    registry: [probe("probe", probes)],
    random: () => 0,
  });
  const stop = new AbortController();
  const running = manager.run(stop.signal);
  await until(() => probes.length === 1 && probes[0]!.runs.length === 1, { what: "first term" });
  const first = probes[0]!;
  assert.equal(manager.terms, 1);

  outage.down = true;
  const { renewDeadlineMs, retryPeriodMs } = SKIFF_CONTROLLER_MANAGER_LEADER_ELECTION;
  // The next renewal is due after a retry period; it keeps failing until the deadline.
  await advance(clock, retryPeriodMs + renewDeadlineMs);
  await until(() => first.returned === 1, { what: "the controller to stop" });
  assert.equal(first.runs[0]!.aborted, true);
  assert.equal(manager.isLeader(), false);

  outage.down = false;
  // Nobody else renewed it: the lease lapses (by our clock) and we take it again.
  await advance(clock, SKIFF_CONTROLLER_MANAGER_LEADER_ELECTION.leaseDurationMs + retryPeriodMs);
  await until(() => probes.length === 2, { what: "a second term" });
  assert.equal(manager.terms, 2);
  assert.notEqual(probes[1], first);
  assert.equal(probes[1]!.runs[0]!.aborted, false);
  stop.abort();
  await running;
  assert.equal(probes[1]!.returned, 1);
});

Deno.test("ControllerManager keeps running the other controllers when one fails", async () => {
  await using api = await startControllerApi();
  const probes: ProbeController[] = [];
  const logger = new RecordingLogger();
  const manager = new ControllerManager({
    client: api.client,
    clock: new FakeClock(START_MS),
    logger,
    identity: "solo",
    leaderElection: false,
    registry: [
      {
        name: "broken",
        factory: () => {
          throw new Error("bad config");
        },
      },
      { name: "crashing", factory: () => ({ run: () => Promise.reject(new Error("boom")) }) },
      probe("probe", probes),
    ],
  });
  const stop = new AbortController();
  const running = manager.run(stop.signal);
  await until(() => probes[0]?.runs.length === 1, { what: "the probe to run" });
  assert.equal(manager.isLeader(), true);
  await until(() => logger.messages("error").includes("Controller stopped with an error"));
  assert.ok(logger.messages("error").includes("Error starting controller"));
  assert.equal(probes[0]!.returned, 0);
  stop.abort();
  await running;
  assert.equal(probes[0]!.returned, 1);
  assert.equal(manager.isLeader(), false);
  // Without leader election, no Lease is written.
  const leases = await api.client.resource(LEASES).list({ namespace: "kube-system" });
  assert.equal(leases.items.some((l) => l.metadata?.name === CONTROLLER_MANAGER_LEASE.name), false);
});

Deno.test("ControllerManager refuses an unknown controller name", () => {
  assert.throws(
    () =>
      new ControllerManager({
        client: {} as never,
        clock: new FakeClock(),
        logger: new RecordingLogger(),
        identity: "x",
        controllers: ["replicaset", "bogus"],
      }),
    /"bogus" is not in the list of known controllers/,
  );
});
