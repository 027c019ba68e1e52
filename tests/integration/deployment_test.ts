/**
 * The Deployment controller with the ReplicaSet controller, run by the ControllerManager
 * against the real API in process, with a fake kubelet making pods ready: a Deployment gets one
 * ReplicaSet and its pods, then rolls a new image out within maxSurge and maxUnavailable, ending
 * with the old ReplicaSet at 0 and the new one at revision 2.
 */
import assert from "node:assert/strict";
import type { Deployment, ReplicaSet } from "../../control/api/types/apps_v1.ts";
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import { CORE_EVENTS, DEPLOYMENTS, PODS, REPLICA_SETS } from "../../control/client/resources.ts";
import { isPodReady } from "../../control/controllers/active_pods.ts";
import { startControllerApi, until } from "../_support/controller_api.ts";
import { FakeKubelet } from "../_support/fake_kubelet.ts";
import { startTestManager } from "../_support/test_manager.ts";
import { testDeployment } from "../_support/workloads.ts";

/** Whether the rollout is done, as `kubectl rollout status` decides. */
function rolledOut(d: Deployment): boolean {
  const s = d.status;
  const replicas = d.spec?.replicas ?? 1;
  return (s?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
    s?.updatedReplicas === replicas && s?.replicas === replicas &&
    s?.availableReplicas === replicas &&
    s?.conditions?.some((c) =>
        c.type === "Progressing" && c.reason === "NewReplicaSetAvailable"
      ) ===
      true;
}

Deno.test("Deployment rolls a new image out within maxSurge and maxUnavailable", async () => {
  await using api = await startControllerApi();
  const client = api.client;
  const kubelet = await FakeKubelet.start({
    client,
    nodes: ["node-1", "node-2"],
    bindUnscheduled: true,
  });
  const manager = startTestManager(api.transport, { controllers: ["replicaset", "deployment"] });
  const deployments = client.resource(DEPLOYMENTS);
  const sets = client.resource(REPLICA_SETS);
  const pods = client.resource(PODS);
  async function listSets(): Promise<ReplicaSet[]> {
    return (await sets.list({ namespace: "default" })).items;
  }
  async function readyPods(): Promise<Pod[]> {
    return (await pods.list({ namespace: "default", labelSelector: "app=web" })).items
      .filter((p) => !p.metadata?.deletionTimestamp && isPodReady(p));
  }
  try {
    await deployments.create(testDeployment("web", { replicas: 3, image: "nginx:1" }));
    await until(async () => rolledOut(await deployments.get("web", { namespace: "default" })), {
      what: "the first rollout",
      timeoutMs: 15_000,
    });
    const first = await listSets();
    assert.equal(first.length, 1);
    assert.equal(first[0]!.spec?.replicas, 3);
    assert.equal((await readyPods()).length, 3);
    const d1 = await deployments.get("web", { namespace: "default" });
    assert.equal(d1.status?.readyReplicas, 3);
    assert.equal(d1.status?.unavailableReplicas ?? 0, 0);

    // A new image: 3 replicas, surge 1 (25 % rounded up), unavailable 0 (rounded down).
    await deployments.patch("web", {
      namespace: "default",
      type: "merge",
      body: { spec: { template: { spec: { containers: [{ name: "main", image: "nginx:2" }] } } } },
    });
    let maxTotal = 0;
    let minReady = Infinity;
    let done = false;
    await until(async () => {
      const all = await listSets();
      maxTotal = Math.max(maxTotal, all.reduce((n, rs) => n + (rs.spec?.replicas ?? 0), 0));
      minReady = Math.min(minReady, (await readyPods()).length);
      const d = await deployments.get("web", { namespace: "default" });
      done = all.length === 2 && rolledOut(d);
      return done;
    }, { what: "the second rollout", timeoutMs: 20_000, intervalMs: 2 });
    assert.ok(maxTotal <= 4, `at most replicas + maxSurge = 4 pods wanted, saw ${maxTotal}`);
    assert.ok(minReady >= 3, `at least replicas - maxUnavailable = 3 ready pods, saw ${minReady}`);
    const byRevision = (await listSets()).sort((a, b) =>
      Number(a.metadata?.annotations?.["deployment.kubernetes.io/revision"]) -
      Number(b.metadata?.annotations?.["deployment.kubernetes.io/revision"])
    );
    assert.equal(byRevision[0]!.metadata?.name, first[0]!.metadata?.name);
    assert.equal(byRevision[0]!.spec?.replicas, 0);
    assert.equal(byRevision[1]!.spec?.replicas, 3);
    assert.equal(byRevision[1]!.metadata?.annotations?.["deployment.kubernetes.io/revision"], "2");
    await until(async () => {
      const ps = await readyPods();
      return ps.length === 3 &&
        ps.every((p) => p.spec?.containers?.[0]?.image === "nginx:2");
    }, { what: "3 ready pods of the new image", timeoutMs: 15_000 });
    const events = (await client.resource(CORE_EVENTS).list({ namespace: "default" })).items
      .filter((e) => e.involvedObject?.kind === "Deployment" && e.reason === "ScalingReplicaSet")
      .map((e) => e.message);
    assert.ok(
      events.includes(`Scaled up replica set ${first[0]!.metadata?.name} from 0 to 3`),
      events.join("\n"),
    );
  } finally {
    await manager.stop();
    await kubelet.stop();
  }
});
