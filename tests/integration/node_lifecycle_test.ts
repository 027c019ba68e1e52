/**
 * The node lifecycle and taint eviction controllers, run by the ControllerManager against the
 * real API in process (with the DefaultTolerationSeconds admission plugin) on a fake clock:
 * three nodes renew their Leases; two go silent — one plain, one with skiff's autonomy
 * annotation. The plain one becomes Unknown, is tainted unreachable and its pod is evicted
 * once the default 300 s toleration has run out; the autonomous one is Unknown too but keeps
 * its pod. When they report again their taints go.
 */
import assert from "node:assert/strict";
import { DefaultTolerationSeconds } from "../../control/api/admission/default_toleration_seconds.ts";
import { createTestApp } from "../../control/api/_test_app.ts";
import type { Node } from "../../control/api/types/core_v1_node.ts";
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import { Client } from "../../control/client/client.ts";
import { CORE_EVENTS, LEASES, NODES, PODS } from "../../control/client/resources.ts";
import type { SharedInformerFactory } from "../../control/client/shared_informer_factory.ts";
import type { Transport } from "../../control/client/transport.ts";
import {
  AUTONOMY_ANNOTATION,
  NODE_LIFECYCLE_CONTROLLER_NAME,
  nodeLifecycleController,
} from "../../control/controllers/node_lifecycle.ts";
import {
  TAINT_EVICTION_CONTROLLER_NAME,
  TaintEvictionController,
} from "../../control/controllers/taint_eviction.ts";
import { FakeClock } from "../../control/util/clock.ts";
import { RecordingLogger } from "../../control/util/logger.ts";
import { createPod, until } from "../_support/controller_api.ts";
import { FakeKubelet } from "../_support/fake_kubelet.ts";
import {
  createHeartbeatNode,
  NODE_LEASE_NAMESPACE,
  postNodeStatus,
  renewNodeLease,
} from "../_support/node_heartbeats.ts";
import { startTestManager } from "../_support/test_manager.ts";

const NODE_NAMES = ["edge-live", "edge-lost", "edge-auto"] as const;

function taintsOf(node: Node): string[] {
  return (node.spec?.taints ?? []).map((t) => `${t.key}:${t.effect}`).sort();
}

function podReady(pod: Pod): string | undefined {
  return pod.status?.conditions?.find((c) => c.type === "Ready")?.status;
}

Deno.test("node lifecycle: a silent node's pods are evicted after 300 s, an autonomous node's are kept", async (t) => {
  const clock = new FakeClock(Date.now());
  await using app = await createTestApp({ admission: () => [new DefaultTolerationSeconds()] });
  const transport: Transport = {
    request: (method, path, opts) => app.client.request(method, path, opts ?? {}),
  };
  const client = new Client(transport, { fieldManager: "node-lifecycle-test" });
  const nodes = client.resource(NODES);
  const pods = client.resource(PODS);
  for (const name of NODE_NAMES) {
    await createHeartbeatNode(client, {
      name,
      clock,
      ...(name === "edge-auto" ? { annotations: { [AUTONOMY_ANNOTATION]: "true" } } : {}),
    });
  }
  const kubelets = new Map<string, FakeKubelet>();
  for (const name of NODE_NAMES) {
    kubelets.set(name, await FakeKubelet.start({ client, nodes: [name], registerNodes: false }));
  }
  for (const name of NODE_NAMES) {
    await createPod(client, { namespace: "default", name: `web-${name}`, nodeName: name });
  }

  const logger = new RecordingLogger();
  let informers: SharedInformerFactory | undefined;
  let evictions: TaintEvictionController | undefined;
  const manager = startTestManager(transport, {
    clock,
    logger,
    registry: [
      {
        name: NODE_LIFECYCLE_CONTROLLER_NAME,
        factory: (context) => {
          informers = context.informers;
          return nodeLifecycleController(context);
        },
      },
      {
        name: TAINT_EVICTION_CONTROLLER_NAME,
        // As taintEvictionController() builds it, kept to look at its schedule.
        factory: (context) =>
          evictions = new TaintEvictionController({
            client: context.client,
            informers: context.informers,
            recorder: context.recorder(TAINT_EVICTION_CONTROLLER_NAME),
            clock: context.clock,
            logger: context.logger,
          }),
      },
    ],
  });
  async function node(name: string): Promise<Node> {
    return await nodes.get(name);
  }
  async function pod(name: string): Promise<Pod> {
    return await pods.get(`web-${name}`, { namespace: "default" });
  }
  async function untilNode(name: string, check: (n: Node) => boolean, what: string) {
    await until(async () => check(await node(name)), { what });
  }
  /** Advances the fake clock 10 s at a time; `edge-live` renews its Lease after each. */
  async function step(ms: number): Promise<void> {
    const leases = informers!.informerFor(LEASES, { namespace: NODE_LEASE_NAMESPACE }).store;
    for (let left = ms; left > 0; left -= 10_000) {
      clock.advance(Math.min(10_000, left));
      const lease = await renewNodeLease(client, { name: "edge-live", clock });
      await until(() =>
        leases.get(`${NODE_LEASE_NAMESPACE}/edge-live`)?.spec?.renewTime ===
          lease.spec?.renewTime
      );
    }
  }
  async function events(reason: string): Promise<string[]> {
    const list = await client.resource(CORE_EVENTS).list({ namespace: "default" });
    return list.items.filter((e) => e.reason === reason).map((e) => e.message ?? "");
  }

  try {
    await t.step("pods get the default 300 s tolerations and run", async () => {
      for (const name of NODE_NAMES) {
        const p = await pod(name);
        for (const key of ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"]) {
          assert.deepEqual(p.spec?.tolerations?.find((x) => x.key === key), {
            key,
            operator: "Exists",
            effect: "NoExecute",
            tolerationSeconds: 300,
          });
        }
        await until(async () => podReady(await pod(name)) === "True", { what: `${name} ready` });
      }
      const synced = () =>
        logger.records.filter((r) => r.msg === "Caches are synced").map((r) => r.fields.controller);
      await until(
        () =>
          synced().includes(NODE_LIFECYCLE_CONTROLLER_NAME) &&
          synced().includes(TAINT_EVICTION_CONTROLLER_NAME),
        { what: "both controllers synced" },
      );
      await until(async () => (await events("RegisteredNode")).length === 3, {
        what: "RegisteredNode events",
      });
    });

    await t.step("two nodes go silent: Unknown, their pods not ready", async () => {
      await kubelets.get("edge-lost")!.stop();
      await kubelets.get("edge-auto")!.stop();
      await step(41_000);
      for (const name of ["edge-lost", "edge-auto"]) {
        await untilNode(
          name,
          (n) =>
            n.status?.conditions?.find((c) => c.type === "Ready")?.reason === "NodeStatusUnknown",
          `${name} Unknown`,
        );
        await until(async () => podReady(await pod(name)) === "False", {
          what: `the pod on ${name} not ready`,
        });
      }
      assert.equal(podReady(await pod("edge-live")), "True");
      assert.deepEqual(taintsOf(await node("edge-live")), []);
    });

    await t.step(
      "the plain node is tainted NoExecute, the autonomous one only NoSchedule",
      async () => {
        await step(5000);
        await untilNode(
          "edge-lost",
          (n) => taintsOf(n).includes("node.kubernetes.io/unreachable:NoExecute"),
          "edge-lost NoExecute",
        );
        await until(() => evictions!.scheduled("default/web-edge-lost") !== undefined, {
          what: "the eviction scheduled",
        });
        assert.equal(
          evictions!.scheduled("default/web-edge-lost")?.fireAtMs,
          clock.now() + 300_000,
        );
        await untilNode(
          "edge-auto",
          (n) => taintsOf(n).includes("node.kubernetes.io/unreachable:NoSchedule"),
          "edge-auto NoSchedule",
        );
        assert.deepEqual(taintsOf(await node("edge-auto")), [
          "node.kubernetes.io/unreachable:NoSchedule",
        ]);
      },
    );

    await t.step("the plain node's pod is evicted once its 300 s toleration ran out", async () => {
      await step(290_000);
      await until(() => evictions!.queue.len() === 0);
      assert.equal(evictions!.scheduled("default/web-edge-lost")?.done, false, "at 290 s");
      assert.equal((await pod("edge-lost")).metadata?.deletionTimestamp, undefined, "at 290 s");
      await step(10_000);
      await until(async () => (await pod("edge-lost")).metadata?.deletionTimestamp !== undefined, {
        what: "the eviction",
      });
      const evicted = await pod("edge-lost");
      const condition = evicted.status?.conditions?.find((c) => c.type === "DisruptionTarget");
      assert.equal(condition?.reason, "DeletionByTaintManager");
      await until(
        async () =>
          (await events("TaintManagerEviction")).includes(
            "Marking for deletion Pod default/web-edge-lost",
          ),
        { what: "the TaintManagerEviction event" },
      );
      assert.equal((await pod("edge-auto")).metadata?.deletionTimestamp, undefined);
      assert.equal((await pod("edge-live")).metadata?.deletionTimestamp, undefined);
      assert.deepEqual(taintsOf(await node("edge-auto")), [
        "node.kubernetes.io/unreachable:NoSchedule",
      ]);
      assert.ok(
        logger.messages("info").includes(
          "Node is unreachable but autonomous; not tainting it NoExecute",
        ),
      );
    });

    await t.step("the nodes report again: their taints go, the evicted pod finishes", async () => {
      for (const name of ["edge-lost", "edge-auto"]) {
        await renewNodeLease(client, { name, clock });
        await postNodeStatus(client, { name, clock });
      }
      for (const name of ["edge-lost", "edge-auto"]) {
        await untilNode(name, (n) => taintsOf(n).length === 0, `${name} untainted`);
      }
      kubelets.set(
        "edge-lost",
        await FakeKubelet.start({ client, nodes: ["edge-lost"], registerNodes: false }),
      );
      await until(async () => {
        const list = await pods.list({ namespace: "default" });
        return !list.items.some((p) => p.metadata?.name === "web-edge-lost");
      }, { what: "the evicted pod gone" });
      assert.equal((await pod("edge-auto")).metadata?.deletionTimestamp, undefined);
    });
  } finally {
    await manager.stop();
    for (const kubelet of kubelets.values()) await kubelet.stop();
  }
});
