/**
 * The pod garbage collector run by the ControllerManager against the real API in process, with
 * a fake kubelet for two nodes: when a node is deleted its pods are marked Failed with
 * `DisruptionTarget` (`DeletionByPodGC`) and deleted, the other node's pods stay; and terminated
 * pods above the threshold are deleted, oldest first.
 */
import assert from "node:assert/strict";
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import { isNotFound } from "../../control/client/errors.ts";
import { NODES, PODS } from "../../control/client/resources.ts";
import {
  POD_GC_CONTROLLER_NAME,
  podGcController,
  type PodGcControllerOptions,
} from "../../control/controllers/pod_gc.ts";
import {
  type ControllerApi,
  createPod,
  setPodStatus,
  startControllerApi,
  until,
} from "../_support/controller_api.ts";
import { FakeKubelet } from "../_support/fake_kubelet.ts";
import { startTestManager } from "../_support/test_manager.ts";

const NS = "default";

function manager(api: ControllerApi, options: PodGcControllerOptions) {
  return startTestManager(api.transport, {
    registry: [{
      name: POD_GC_CONTROLLER_NAME,
      factory: (context) => podGcController(context, options),
    }],
  });
}

async function names(api: ControllerApi): Promise<string[]> {
  return (await api.client.resource(PODS).list({ namespace: NS })).items
    .map((p) => p.metadata?.name ?? "").sort();
}

Deno.test("podgc deletes the pods of a deleted node and keeps the others", async () => {
  await using api = await startControllerApi();
  const client = api.client;
  await using kubelet = await FakeKubelet.start({ client, nodes: ["node-1", "node-2"] });
  await using _gc = manager(api, { quarantineMs: 200 });
  const pods = client.resource(PODS);
  for (const [name, node] of [["a-1", "node-1"], ["b-1", "node-2"], ["b-2", "node-2"]]) {
    await createPod(client, { namespace: NS, name: name!, nodeName: node! });
  }
  // A finalizer holds one of node-2's pods, to show what podgc wrote before it deleted it.
  await createPod(client, {
    namespace: NS,
    name: "b-held",
    nodeName: "node-2",
    finalizers: ["example.com/hold"],
  });
  await until(() => kubelet.pods().filter((p) => p.status?.phase === "Running").length === 4, {
    what: "4 running pods",
  });
  await client.resource(NODES).delete("node-2");
  await until(async () => (await names(api)).join() === "a-1,b-held", {
    what: "node-2's pods to be deleted",
  });
  const held: Pod = await pods.get("b-held", { namespace: NS });
  assert.ok(held.metadata?.deletionTimestamp, "b-held is being deleted");
  assert.equal(held.metadata?.deletionGracePeriodSeconds, 0);
  assert.equal(held.status?.phase, "Failed");
  const cond = held.status?.conditions?.find((c) => c.type === "DisruptionTarget");
  assert.deepEqual([cond?.status, cond?.reason, cond?.message], [
    "True",
    "DeletionByPodGC",
    "PodGC: node no longer exists",
  ]);
  // The node that is still there keeps its pod, running.
  assert.equal((await pods.get("a-1", { namespace: NS })).status?.phase, "Running");
  await pods.patch("b-held", {
    namespace: NS,
    type: "merge",
    body: { metadata: { finalizers: null } },
  });
  await until(async () => {
    try {
      await pods.get("b-held", { namespace: NS });
      return false;
    } catch (err) {
      if (isNotFound(err)) return true;
      throw err;
    }
  }, { what: "b-held to go once its finalizer is removed" });
});

Deno.test("podgc deletes the terminated pods above the threshold, oldest first", async () => {
  await using api = await startControllerApi();
  const client = api.client;
  await using _gc = manager(api, { terminatedPodThreshold: 3 });
  await createPod(client, { namespace: NS, name: "running" });
  await setPodStatus(client, { namespace: NS, name: "running", podIP: "10.42.0.2" });
  for (let i = 0; i < 5; i++) {
    const name = `done-${i}`;
    await createPod(client, { namespace: NS, name });
    await setPodStatus(client, {
      namespace: NS,
      name,
      podIP: `10.42.0.${10 + i}`,
      phase: i % 2 === 0 ? "Succeeded" : "Failed",
      ready: false,
    });
  }
  // Created in name order, within a second or across one: done-0 and done-1 are the oldest.
  await until(async () => (await names(api)).length === 4, { what: "2 pods to be collected" });
  assert.deepEqual(await names(api), ["done-2", "done-3", "done-4", "running"]);
  // At the threshold nothing more goes; one more terminated pod takes the oldest with it.
  await createPod(client, { namespace: NS, name: "done-5" });
  await setPodStatus(client, {
    namespace: NS,
    name: "done-5",
    podIP: "10.42.0.20",
    phase: "Succeeded",
    ready: false,
  });
  await until(async () => (await names(api)).join() === "done-3,done-4,done-5,running", {
    what: "done-2 to be collected",
  });
});
