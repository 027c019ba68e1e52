/**
 * The garbage collector inside the real `skiff server`, driven by the real kubectl 1.33:
 * `kubectl delete deployment` removes its ReplicaSets and pods, `--cascade=orphan` leaves the
 * pods, and `--cascade=foreground` returns only once the pods are gone. No node is registered,
 * so pods stay Pending and their deletion needs no kubelet.
 *
 * @module
 */
import assert from "node:assert/strict";
import { e2eCluster } from "../_support/e2e_cluster.ts";
import { startTestServer } from "../_support/skiff_server.ts";
import { testDeployment, testReplicaSet } from "../_support/workloads.ts";

interface Meta {
  metadata: {
    name: string;
    deletionTimestamp?: string;
    finalizers?: string[];
    ownerReferences?: { name: string }[];
  };
}

Deno.test("skiff server's garbage collector follows kubectl's cascading deletes", async (t) => {
  await using server = await startTestServer();
  using cluster = e2eCluster(server, { waitMs: 30_000 });
  const { kubectl, run, ok, json, eventually } = cluster;
  const pods = async (app: string): Promise<Meta[]> =>
    (await json(["get", "pods", "-n", "gc", "-l", `app=${app}`])).items;
  const setFinalizers = async (pod: string, finalizers: string[] | null, what: string) => {
    const patch = JSON.stringify({ metadata: { finalizers } });
    ok(await run(["patch", "pod", pod, "-n", "gc", "--type=merge", "-p", patch]), what);
  };
  const gone = async (kind: string, name: string) => {
    const r = await run(["get", kind, name, "-n", "gc", "--ignore-not-found", "-o", "name"]);
    return r.code === 0 && r.stdout.trim() === "";
  };

  ok(await run(["create", "namespace", "gc"]), "create namespace");

  await t.step("kubectl delete deployment removes its ReplicaSets and pods", async () => {
    const deployment = testDeployment("web", { namespace: "gc", replicas: 2 });
    ok(await run(["apply", "-f", "-"], JSON.stringify(deployment)), "apply deployment");
    await eventually("2 pods of the deployment", async () => (await pods("web")).length === 2);
    const sets = await json(["get", "replicasets", "-n", "gc", "-l", "app=web"]);
    assert.equal(sets.items.length, 1);
    ok(await run(["delete", "deployment", "web", "-n", "gc"]), "delete deployment");
    await eventually("the ReplicaSet and pods to be collected", async () => {
      const left = await json(["get", "replicasets", "-n", "gc", "-l", "app=web"]);
      return left.items.length === 0 && (await pods("web")).length === 0;
    });
  });

  await t.step("kubectl delete rs --cascade=orphan leaves the pods", async () => {
    const keep = testReplicaSet("keep", { namespace: "gc", replicas: 2 });
    ok(await run(["apply", "-f", "-"], JSON.stringify(keep)), "apply rs");
    await eventually("2 pods", async () => (await pods("keep")).length === 2);
    ok(
      await run(["delete", "rs", "keep", "-n", "gc", "--cascade=orphan"]),
      "delete --cascade=orphan",
    );
    assert.ok(await gone("rs", "keep"), "kubectl waited for the ReplicaSet to go");
    const left = await pods("keep");
    assert.equal(left.length, 2);
    for (const pod of left) {
      assert.equal(pod.metadata.deletionTimestamp, undefined);
      assert.equal(pod.metadata.ownerReferences, undefined, `${pod.metadata.name} is orphaned`);
    }
  });

  await t.step(
    "kubectl delete rs --cascade=foreground returns once the pods are gone",
    async () => {
      const fg = testReplicaSet("fg", { namespace: "gc", replicas: 2 });
      ok(await run(["apply", "-f", "-"], JSON.stringify(fg)), "apply rs");
      await eventually("2 pods", async () => (await pods("fg")).length === 2);
      // Hold one pod with a finalizer of the test's own, so the deletion has to wait for it.
      const held = (await pods("fg"))[0]!.metadata.name;
      await setFinalizers(held, ["example.com/hold"], "hold a pod");
      await using proc = await kubectl.spawn([
        "delete",
        "rs",
        "fg",
        "-n",
        "gc",
        "--cascade=foreground",
      ]);
      let exited = false;
      const finished = proc.finished(60_000).then((r) => {
        exited = true;
        return r;
      });
      await eventually("the other pod to go and the held one to be deleting", async () => {
        const left = await pods("fg");
        return left.length === 1 && left[0]!.metadata.name === held &&
          left[0]!.metadata.deletionTimestamp !== undefined;
      });
      const rs = await json(["get", "rs", "fg", "-n", "gc"]);
      assert.ok(rs.metadata.deletionTimestamp, "the ReplicaSet is being deleted");
      assert.deepEqual(rs.metadata.finalizers, ["foregroundDeletion"]);
      assert.equal(exited, false, "kubectl still waits");
      await setFinalizers(held, null, "release the pod");
      ok(await finished, "delete --cascade=foreground");
      assert.equal((await pods("fg")).length, 0, "no pod is left once kubectl returns");
      assert.ok(await gone("rs", "fg"));
    },
  );
});
