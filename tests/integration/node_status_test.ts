/**
 * The node agent's registration, status and Lease heartbeat (`node/status/`) against the real
 * API in process, as a node credential (`system:node:edge-1` in `system:nodes`) goes through
 * the Node authorizer and the NodeRestriction admission plugin, with the node lifecycle
 * controller run by a ControllerManager on the same fake clock: while the heartbeats run the
 * node stays Ready and untainted; once they stop the controller marks it Unknown after 40 s;
 * when they start again it is Ready again. And the node credential may write exactly its own
 * Node and Lease.
 */
import assert from "node:assert/strict";
import { NodeRestriction } from "../../control/api/admission/node_restriction.ts";
import { NodeAuthorizer } from "../../control/api/auth/node_authorizer.ts";
import { InProcessClient } from "../../control/api/in_process_client.ts";
import { createTestApp, type TestApp } from "../../control/api/_test_app.ts";
import { type Lease, NODE_LEASE_NAMESPACE } from "../../control/api/types/coordination_v1.ts";
import type { Node } from "../../control/api/types/core_v1_node.ts";
import { Client } from "../../control/client/client.ts";
import { isForbidden, StatusError } from "../../control/client/errors.ts";
import { EventBroadcaster } from "../../control/client/event_recorder.ts";
import { CORE_EVENTS, LEASES, NODES } from "../../control/client/resources.ts";
import type { SharedInformerFactory } from "../../control/client/shared_informer_factory.ts";
import type { Transport } from "../../control/client/transport.ts";
import {
  NODE_LIFECYCLE_CONTROLLER_NAME,
  nodeLifecycleController,
} from "../../control/controllers/node_lifecycle.ts";
import { FakeClock } from "../../control/util/clock.ts";
import { RecordingLogger } from "../../control/util/logger.ts";
import { NodeLease } from "../../node/status/node_lease.ts";
import { NodeStatusManager } from "../../node/status/node_status_manager.ts";
import { FixtureHost } from "../../node/status/_test_host.ts";
import { until } from "../_support/controller_api.ts";
import { startTestManager } from "../_support/test_manager.ts";

const NODE = "edge-1";

function nodeTransport(app: TestApp, node: string): Transport {
  const client = new InProcessClient(app.app, {
    username: `system:node:${node}`,
    groups: ["system:nodes", "system:authenticated"],
  });
  return { request: (method, path, opts) => client.request(method, path, opts ?? {}) };
}

async function securedApp(): Promise<TestApp> {
  const app = await createTestApp({
    // Only in-process users: the admin client, and the node's (see nodeTransport).
    authenticator: () => ({ authenticate: () => Promise.resolve(null) }),
    authorizer: (parts) =>
      new NodeAuthorizer({
        pods: parts.views.get("/registry/pods/"),
        persistentVolumes: parts.views.get("/registry/persistentvolumes/"),
      }),
    admission: (parts) => [
      new NodeRestriction({
        pods: parts.views.get("/registry/pods/"),
        nodes: parts.views.get("/registry/nodes/"),
      }),
    ],
  });
  for (const prefix of ["/registry/pods/", "/registry/persistentvolumes/", "/registry/nodes/"]) {
    await app.views.started(prefix);
  }
  return app;
}

function ready(node: Node): string | undefined {
  return node.status?.conditions?.find((c) => c.type === "Ready")?.status;
}

function taintsOf(node: Node): string[] {
  return (node.spec?.taints ?? []).map((t) => `${t.key}:${t.effect}`).sort();
}

Deno.test("node status: heartbeats keep the node Ready; 40 s after they stop the node lifecycle controller marks it Unknown", async (t) => {
  const clock = new FakeClock(Date.now());
  await using app = await securedApp();
  const admin = new Client(
    { request: (method, path, opts) => app.client.request(method, path, opts ?? {}) },
    { fieldManager: "test" },
  );
  const nodeClient = new Client(nodeTransport(app, NODE), { fieldManager: "skiff-agent" });
  const agentLogger = new RecordingLogger();
  // Its own clock: event names are `<object>.<time>`, and the controller manager's broadcaster
  // on the shared fake clock would name an event about the node at the same instant alike.
  await using broadcaster = new EventBroadcaster({
    client: nodeClient,
    clock: new FakeClock(clock.now() + 1),
    logger: agentLogger,
  });
  const host = new FixtureHost();
  host.name = NODE;
  let notReady: string[] = ["container runtime network not ready: NetworkReady=false"];

  let informers: SharedInformerFactory | undefined;
  const managerLogger = new RecordingLogger();
  await using _manager = startTestManager(
    { request: (method, path, opts) => app.client.request(method, path, opts ?? {}) },
    {
      clock,
      logger: managerLogger,
      registry: [{
        name: NODE_LIFECYCLE_CONTROLLER_NAME,
        factory: (context) => {
          informers = context.informers;
          return nodeLifecycleController(context);
        },
      }],
    },
  );
  await until(
    () => managerLogger.records.some((r) => r.msg === "Caches are synced"),
    { what: "the controller synced" },
  );

  let agent: AbortController | undefined;
  let running: Promise<unknown> | undefined;
  let status: NodeStatusManager | undefined;
  function startAgent(): void {
    agent = new AbortController();
    status = new NodeStatusManager({
      client: nodeClient,
      clock,
      logger: agentLogger,
      host,
      readiness: () => notReady,
      containerRuntimeVersion: () => "containerd://1.6.20",
      recorder: broadcaster.newRecorder({ component: "kubelet", host: NODE }),
      random: () => 0,
    }, { nodeName: NODE, rootDir: "/var/lib/skiff", kubeletVersion: "v1.33.0" });
    const lease = new NodeLease(
      { client: nodeClient, clock, logger: agentLogger, random: () => 0 },
      { nodeName: NODE },
    );
    running = Promise.all([status.run(agent.signal), lease.run(agent.signal)]);
  }
  async function stopAgent(): Promise<void> {
    agent?.abort();
    await running;
  }
  const nodes = admin.resource(NODES);
  const leases = admin.resource(LEASES);
  const node = () => nodes.get(NODE);
  const lease = () => leases.get(NODE, { namespace: NODE_LEASE_NAMESPACE });
  /** Advances 10 s at a time; with `live`, waits for the renewal and the controller to see it. */
  async function step(ms: number, live: boolean): Promise<void> {
    const seen = informers!.informerFor(LEASES, { namespace: NODE_LEASE_NAMESPACE }).store;
    for (let left = ms; left > 0; left -= 10_000) {
      clock.advance(Math.min(10_000, left));
      if (!live) continue;
      const want = new Date(clock.now()).toISOString().replace("Z", "000Z");
      await until(
        () => seen.get(`${NODE_LEASE_NAMESPACE}/${NODE}`)?.spec?.renewTime === want,
        { what: `the lease renewed at ${want}` },
      );
    }
  }

  try {
    await t.step("the agent registers its Node and creates its Lease", async () => {
      startAgent();
      await until(() => status!.registered, { what: "registered" });
      await until(async () => (await node()).status?.nodeInfo !== undefined);
      const n = await node();
      assert.equal(n.metadata?.labels?.["kubernetes.io/hostname"], NODE);
      assert.equal(ready(n), "False");
      // The Lease appears at the first renewal after the Node exists.
      await step(10_000, true);
      const l: Lease = await lease();
      assert.equal(l.spec?.holderIdentity, NODE);
      assert.equal(l.spec?.leaseDurationSeconds, 40);
      assert.deepEqual(l.metadata?.ownerReferences, [
        { apiVersion: "v1", kind: "Node", name: NODE, uid: n.metadata!.uid! },
      ]);
    });

    await t.step("the runtime becomes ready: Ready, not-ready taint removed", async () => {
      await until(
        async () => taintsOf(await node()).includes("node.kubernetes.io/not-ready:NoSchedule"),
        {
          what: "the not-ready taint",
        },
      );
      notReady = [];
      status!.requestUpdate();
      await until(async () => ready(await node()) === "True", { what: "Ready" });
      await until(async () => taintsOf(await node()).length === 0, { what: "no taints" });
    });

    await t.step("heartbeats keep it Ready and untainted for 3 minutes", async () => {
      await step(180_000, true);
      const n = await node();
      assert.equal(ready(n), "True");
      assert.deepEqual(taintsOf(n), []);
    });

    await t.step("heartbeats stop: Unknown after 40 s, not before", async () => {
      await stopAgent();
      await step(40_000, false);
      // Give the controller a chance to act wrongly.
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(ready(await node()), "True");
      await step(1000, false);
      await until(async () => ready(await node()) === "Unknown", { what: "Unknown" });
      const c = (await node()).status?.conditions?.find((x) => x.type === "Ready");
      assert.equal(c?.reason, "NodeStatusUnknown");
      await until(
        async () => taintsOf(await node()).includes("node.kubernetes.io/unreachable:NoSchedule"),
        {
          what: "the unreachable taint",
        },
      );
    });

    await t.step("the agent comes back: Ready and untainted again", async () => {
      startAgent();
      await until(async () => ready(await node()) === "True", { what: "Ready again" });
      await step(10_000, true);
      await until(async () => taintsOf(await node()).length === 0, { what: "taints removed" });
      assert.ok(agentLogger.records.some((r) => r.msg === "Node was previously registered"));
    });

    await t.step("its events were written with the node's credential", async () => {
      await broadcaster.flush();
      const events = await admin.resource(CORE_EVENTS).list({ namespace: "default" });
      const reasons = events.items
        .filter((e) => e.involvedObject?.name === NODE && e.source?.component === "kubelet")
        .map((e) => e.reason);
      for (const reason of ["NodeHasSufficientMemory", "NodeReady"]) {
        assert.ok(reasons.includes(reason), `${reason} in ${reasons.join(", ")}`);
      }
    });
  } finally {
    await stopAgent();
  }
});

Deno.test("node status: a node credential may write its own Node and Lease, and nothing else", async (t) => {
  await using app = await securedApp();
  const admin = new Client(
    { request: (method, path, opts) => app.client.request(method, path, opts ?? {}) },
  );
  const other = { apiVersion: "v1", kind: "Node", metadata: { name: "edge-2" } } satisfies Node;
  await admin.resource(NODES).create(other);
  const asNode = new Client(nodeTransport(app, NODE));
  const nodes = asNode.resource(NODES);
  const leases = asNode.resource(LEASES);

  async function forbidden(what: Promise<unknown>, message: string): Promise<void> {
    await assert.rejects(what, (err: unknown) => {
      assert.ok(isForbidden(err), String(err));
      assert.equal((err as StatusError).message, message);
      return true;
    });
  }

  await t.step("its own Node: create, get, status patch, label patch", async () => {
    const created = await nodes.create({
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: NODE, labels: { "kubernetes.io/hostname": NODE } },
      spec: { taints: [{ key: "dedicated", value: "edge", effect: "NoSchedule" }] },
    });
    assert.equal((await nodes.get(NODE)).metadata?.uid, created.metadata?.uid);
    await nodes.patch(NODE, {
      type: "strategic",
      subresource: "status",
      body: {
        metadata: { labels: { "kubernetes.io/arch": "arm64", "example.com/pool": "a" } },
        status: { conditions: [{ type: "Ready", status: "True", reason: "KubeletReady" }] },
      },
    });
    const n = await nodes.get(NODE);
    assert.equal(n.metadata?.labels?.["example.com/pool"], "a");
    assert.equal(ready(n), "True");
  });

  await t.step("its own Lease: create and update, owned by its Node", async () => {
    const node = await nodes.get(NODE);
    const lease = await leases.create({
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: {
        name: NODE,
        namespace: NODE_LEASE_NAMESPACE,
        ownerReferences: [{ apiVersion: "v1", kind: "Node", name: NODE, uid: node.metadata!.uid! }],
      },
      spec: { holderIdentity: NODE, leaseDurationSeconds: 40 },
    });
    await leases.update({
      ...lease,
      spec: { ...lease.spec, renewTime: "2025-05-01T10:00:00.000000Z" },
    });
  });

  await t.step("not another node's Node or Lease, not its own taints or role label", async () => {
    await forbidden(
      nodes.patch("edge-2", { type: "strategic", subresource: "status", body: { status: {} } }),
      'nodes "edge-2" is forbidden: node "edge-1" is not allowed to modify node "edge-2"',
    );
    await forbidden(
      leases.create({
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: { name: "edge-2", namespace: NODE_LEASE_NAMESPACE },
        spec: { holderIdentity: "edge-2" },
      }),
      'leases.coordination.k8s.io "edge-2" is forbidden: can only access node lease with the same name as the requesting node',
    );
    await forbidden(
      nodes.patch(NODE, { type: "strategic", body: { spec: { taints: [] } } }),
      'nodes "edge-1" is forbidden: node "edge-1" is not allowed to modify taints',
    );
    await forbidden(
      nodes.patch(NODE, {
        type: "strategic",
        subresource: "status",
        body: { metadata: { labels: { "node-role.kubernetes.io/control-plane": "true" } } },
      }),
      'nodes "edge-1" is forbidden: is not allowed to modify labels: node-role.kubernetes.io/control-plane',
    );
    await assert.rejects(nodes.list(), (err: unknown) => isForbidden(err));
  });

  await t.step(
    "so a server's agent registering the control-plane label needs another client",
    async () => {
      await admin.resource(NODES).delete(NODE);
      const clock = new FakeClock(Date.now());
      const host = new FixtureHost();
      const logger = new RecordingLogger();
      const manager = new NodeStatusManager({
        client: asNode,
        clock,
        logger,
        host,
        readiness: () => [],
        containerRuntimeVersion: () => "containerd://1.6.20",
      }, {
        nodeName: NODE,
        rootDir: "/var/lib/skiff",
        kubeletVersion: "v1.33.0",
        controlPlane: true,
      });
      const stop = new AbortController();
      const running = manager.run(stop.signal);
      await until(() =>
        logger.records.some((r) => r.msg === "Unable to register node with API server")
      );
      stop.abort();
      await running;
      const err = logger.records.find((r) => r.msg === "Unable to register node with API server")
        ?.fields.err as StatusError;
      assert.equal(
        err.message,
        'nodes "edge-1" is forbidden: node "edge-1" is not allowed to set the following labels: node-role.kubernetes.io/control-plane',
      );
    },
  );
});
