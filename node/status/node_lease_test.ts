import assert from "node:assert/strict";
import { type Lease, NODE_LEASE_NAMESPACE } from "../../control/api/types/coordination_v1.ts";
import { LEASES } from "../../control/client/resources.ts";
import type { Transport } from "../../control/client/transport.ts";
import { FakeClock } from "../../control/util/clock.ts";
import { RecordingLogger } from "../../control/util/logger.ts";
import {
  type ControllerApi,
  createNode,
  startControllerApi,
  until,
} from "../../tests/_support/controller_api.ts";
import { NodeLease, type NodeLeaseOptions } from "./node_lease.ts";

const T0 = Date.parse("2025-05-01T10:00:00Z");

interface Harness extends AsyncDisposable {
  readonly api: ControllerApi;
  readonly clock: FakeClock;
  readonly logger: RecordingLogger;
  readonly lease: NodeLease;
  /** `METHOD path` of every request, in order. */
  readonly requests: string[];
  /** While true, every request answers 503. */
  failing: boolean;
  /** Waits until no request is in flight and the lease waits on its one timer. */
  idle(): Promise<void>;
  read(): Promise<Lease>;
  stop(): Promise<void>;
}

async function harness(
  options: Partial<NodeLeaseOptions> = {},
  random = () => 0,
): Promise<Harness> {
  let inFlight = 0;
  const h = {
    failing: false,
    requests: [] as string[],
  } as { failing: boolean; requests: string[] };
  const api = await startControllerApi({
    wrap: (inner: Transport): Transport => ({
      async request(method, path, opts) {
        h.requests.push(`${method} ${path.split("?")[0]}`);
        inFlight++;
        try {
          if (h.failing) {
            return Response.json(
              {
                kind: "Status",
                apiVersion: "v1",
                status: "Failure",
                code: 503,
                reason: "ServiceUnavailable",
                message: "down",
              },
              { status: 503 },
            );
          }
          return await inner.request(method, path, opts);
        } finally {
          inFlight--;
        }
      },
    }),
  });
  const clock = new FakeClock(T0);
  const logger = new RecordingLogger();
  const lease = new NodeLease({ client: api.client, clock, logger, random }, {
    nodeName: "edge-1",
    ...options,
  });
  const stop = new AbortController();
  const running = lease.run(stop.signal);
  async function stopIt(): Promise<void> {
    stop.abort();
    await running;
  }
  return Object.assign(h, {
    api,
    clock,
    logger,
    lease,
    idle: () =>
      until(() => inFlight === 0 && clock.pendingTimers === 1, { what: "the lease idle" }),
    read: () => api.client.resource(LEASES).get("edge-1", { namespace: NODE_LEASE_NAMESPACE }),
    stop: stopIt,
    async [Symbol.asyncDispose]() {
      await stopIt();
      await api[Symbol.asyncDispose]();
    },
  });
}

Deno.test("NodeLease creates the Lease once its Node exists, owned by it, and renews it every 10 s", async (t) => {
  await using h = await harness();
  await h.idle();

  await t.step("no Node yet: no Lease", async () => {
    assert.deepEqual(h.requests, [
      `GET /apis/coordination.k8s.io/v1/namespaces/${NODE_LEASE_NAMESPACE}/leases/edge-1`,
      "GET /api/v1/nodes/edge-1",
    ]);
    await assert.rejects(h.read(), { name: "StatusError" });
  });

  const node = await createNode(h.api.client, { name: "edge-1" });
  await t.step("then created, with its owner", async () => {
    h.clock.advance(10_000);
    await h.idle();
    const lease = await h.read();
    assert.deepEqual(lease.spec, {
      holderIdentity: "edge-1",
      leaseDurationSeconds: 40,
      renewTime: "2025-05-01T10:00:10.000000Z",
    });
    assert.deepEqual(lease.metadata?.ownerReferences, [
      { apiVersion: "v1", kind: "Node", name: "edge-1", uid: node.metadata!.uid! },
    ]);
    assert.equal(h.lease.lease?.metadata?.resourceVersion, lease.metadata?.resourceVersion);
  });

  await t.step("renewed with one update, no read", async () => {
    h.requests.length = 0;
    h.clock.advance(9_999);
    await h.idle();
    assert.deepEqual(h.requests, []);
    h.clock.advance(1);
    await h.idle();
    assert.deepEqual(h.requests, [
      `PUT /apis/coordination.k8s.io/v1/namespaces/${NODE_LEASE_NAMESPACE}/leases/edge-1`,
    ]);
    assert.equal((await h.read()).spec?.renewTime, "2025-05-01T10:00:20.000000Z");
  });

  await t.step("a clean stop leaves no timer", async () => {
    await h.stop();
    assert.equal(h.clock.pendingTimers, 0);
  });
});

Deno.test("NodeLease backs off from 200 ms to 7 s while the API fails, then renews every interval", async () => {
  await using h = await harness({}, () => 0.5);
  await createNode(h.api.client, { name: "edge-1" });
  await h.idle();
  await h.read();
  h.failing = true;
  const delays: number[] = [];
  // The renewal due now fails (its update, then its read): then the backoff.
  for (let i = 0; i < 10; i++) {
    await h.idle();
    const before = h.clock.now();
    h.clock.runNext();
    delays.push(h.clock.now() - before);
  }
  assert.deepEqual(delays, [10_200, 200, 400, 800, 1600, 3200, 6400, 7000, 7000, 7000]);
  h.failing = false;
  await h.idle();
  const renewed = await h.read();
  assert.equal(renewed.spec?.renewTime, new Date(h.clock.now()).toISOString().replace("Z", "000Z"));
  assert.ok(h.logger.records.some((r) => r.msg === "Failed to ensure lease exists, will retry"));
  // Back to the interval (plus the jitter: 0.5 × 4 %).
  await h.idle();
  const before = h.clock.now();
  h.clock.runNext();
  assert.equal(h.clock.now() - before, 10_200);
});

Deno.test("NodeLease reads the Lease again after a conflict", async () => {
  await using h = await harness();
  await createNode(h.api.client, { name: "edge-1" });
  h.clock.advance(10_000);
  await h.idle();
  const leases = h.api.client.resource(LEASES);
  const theirs = await h.read();
  await leases.update({ ...theirs, metadata: { ...theirs.metadata, labels: { touched: "yes" } } });
  h.requests.length = 0;
  h.clock.advance(10_000);
  await h.idle();
  const path = `/apis/coordination.k8s.io/v1/namespaces/${NODE_LEASE_NAMESPACE}/leases/edge-1`;
  assert.deepEqual(h.requests, [`PUT ${path}`, `GET ${path}`, `PUT ${path}`]);
  const lease = await h.read();
  assert.equal(lease.metadata?.labels?.touched, "yes");
  assert.equal(lease.spec?.renewTime, "2025-05-01T10:00:20.000000Z");
});

Deno.test("NodeLease stops at once while backing off", async () => {
  await using h = await harness();
  h.failing = true;
  await h.idle();
  h.clock.advance(200);
  await h.idle();
  const asked = h.requests.length;
  await h.stop();
  assert.equal(h.clock.pendingTimers, 0);
  h.failing = false;
  h.clock.advance(60_000);
  assert.equal(h.requests.length, asked);
  await assert.rejects(h.read(), { name: "StatusError" });
});

Deno.test("NodeLease refuses bad options", () => {
  const deps = { client: {} as never, clock: new FakeClock(), logger: new RecordingLogger() };
  assert.throws(() => new NodeLease(deps, { nodeName: "" }), { name: "TypeError" });
  assert.throws(() =>
    new NodeLease({ ...deps, client: { resource: () => ({}) } as never }, {
      nodeName: "x",
      leaseDurationSeconds: 0,
    }), {
    name: "RangeError",
    message: "Cannot renew a node lease of 0 s: expected a whole number > 0",
  });
});
