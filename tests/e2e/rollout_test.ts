/**
 * `kubectl rollout status|history|undo|pause|resume|restart`, `kubectl scale` and `kubectl wait`
 * against the real `skiff server`, its scheduler and its Deployment and ReplicaSet controllers,
 * with a stand-in kubelet (over HTTPS, as a node would) marking the bound pods Running and Ready:
 * every command gives what it gives on a real cluster — output, revisions, change causes and
 * exit codes.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Deployment, ReplicaSet } from "../../control/api/types/apps_v1.ts";
import { DEPLOYMENTS, REPLICA_SETS } from "../../control/client/resources.ts";
import { e2eCluster } from "../_support/e2e_cluster.ts";
import { FakeKubelet } from "../_support/fake_kubelet.ts";
import type { KubectlVersion } from "../_support/kubectl.ts";
import { rolloutHistory } from "../_support/rollout_history.ts";
import { startTestServer } from "../_support/skiff_server.ts";

const NS = "roll";
const VERSIONS: readonly KubectlVersion[] = ["1.27", "1.28", "1.29", "1.30", "1.31", "1.32"];

Deno.test("kubectl rollout, scale and wait drive skiff's Deployment controller as a real cluster's", async (t) => {
  await using server = await startTestServer();
  using cluster = e2eCluster(server, { fieldManager: "rollout-test" });
  const { client, kubectl: k, runOk } = cluster;
  // Pods of the image "busybox:stuck" run but never become ready.
  await using _kubelet = await FakeKubelet.start({
    client,
    nodes: ["edge-1", "edge-2"],
    ready: (pod) => pod.spec?.containers[0]?.image !== "busybox:stuck",
  });
  const deployment = () => client.resource(DEPLOYMENTS).get("web", { namespace: NS });
  const replicaSets = async () =>
    (await client.resource(REPLICA_SETS).list({ namespace: NS })).items as ReplicaSet[];
  const image = (d: Deployment) => d.spec?.template.spec?.containers[0]?.image;
  const rolledOut = async () => {
    const out = await runOk(["rollout", "status", "deployment/web", "-n", NS, "--timeout=60s"]);
    assert.match(out, /deployment "web" successfully rolled out/);
  };
  const changeCause = (cause: string) =>
    runOk([
      "annotate",
      "deployment/web",
      "-n",
      NS,
      "--overwrite",
      `kubernetes.io/change-cause=${cause}`,
    ]);

  await runOk(["create", "namespace", NS]);

  await t.step("rollout status waits for a new Deployment's pods to be available", async () => {
    await runOk(["create", "deployment", "web", "-n", NS, "--image=busybox:1", "--replicas=3"]);
    await changeCause("create busybox:1");
    await rolledOut();
    const d = await deployment();
    assert.equal(d.status?.availableReplicas, 3);
    assert.equal(d.status?.updatedReplicas, 3);
    assert.equal(d.status?.observedGeneration, d.metadata?.generation);
    assert.equal(d.metadata?.annotations?.["deployment.kubernetes.io/revision"], "1");
  });

  await t.step("a new image rolls out as revision 2 and history shows both causes", async () => {
    await runOk(["set", "image", "deployment/web", "-n", NS, "busybox=busybox:2"]);
    await changeCause("image busybox:2");
    await rolledOut();
    const history = rolloutHistory(await runOk(["rollout", "history", "deployment/web", "-n", NS]));
    assert.deepEqual(history, [[1, "create busybox:1"], [2, "image busybox:2"]]);
    const sets = await replicaSets();
    assert.equal(sets.length, 2);
    const byRevision = new Map(
      sets.map((rs) => [rs.metadata?.annotations?.["deployment.kubernetes.io/revision"], rs]),
    );
    assert.equal(byRevision.get("1")?.spec?.replicas, 0);
    assert.equal(byRevision.get("2")?.spec?.replicas, 3);
    const detail = await runOk(["rollout", "history", "deployment/web", "-n", NS, "--revision=2"]);
    assert.match(detail, /deployment\.apps\/web with revision #2/);
    assert.match(detail, /Image:\s+busybox:2/);
  });

  await t.step("rollout undo goes back to revision 1's template, as revision 3", async () => {
    const out = await runOk(["rollout", "undo", "deployment/web", "-n", NS]);
    assert.match(out, /deployment\.apps\/web rolled back/);
    await rolledOut();
    const d = await deployment();
    assert.equal(image(d), "busybox:1");
    assert.equal(d.metadata?.annotations?.["deployment.kubernetes.io/revision"], "3");
    const history = rolloutHistory(await runOk(["rollout", "history", "deployment/web", "-n", NS]));
    // Revision 1 became 3: its ReplicaSet was re-used, not copied.
    assert.deepEqual(history, [[2, "image busybox:2"], [3, "create busybox:1"]]);
    assert.equal((await replicaSets()).length, 2);
    const reused = (await replicaSets()).find((rs) =>
      rs.spec?.template?.spec?.containers[0]?.image === "busybox:1"
    );
    assert.equal(reused?.metadata?.annotations?.["deployment.kubernetes.io/revision-history"], "1");
  });

  await t.step("rollout undo --to-revision=2 and to the current revision", async () => {
    await runOk(["rollout", "undo", "deployment/web", "-n", NS, "--to-revision=2"]);
    await rolledOut();
    assert.equal(image(await deployment()), "busybox:2");
    const skipped = await runOk(["rollout", "undo", "deployment/web", "-n", NS, "--to-revision=4"]);
    assert.match(skipped, /skipped rollback \(current template already matches revision 4\)/);
    const missing = await k.run(["rollout", "undo", "deployment/web", "-n", NS, "--to-revision=9"]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /unable to find specified revision 9 in history/);
  });

  await t.step("a paused Deployment rolls nothing out until resumed", async () => {
    assert.match(
      await runOk(["rollout", "pause", "deployment/web", "-n", NS]),
      /deployment\.apps\/web paused/,
    );
    await runOk(["set", "image", "deployment/web", "-n", NS, "busybox=busybox:3"]);
    // The controller reports the pause and creates no ReplicaSet for the new template.
    const deadline = Date.now() + 10_000;
    let d = await deployment();
    while (
      !d.status?.conditions?.some((c) =>
        c.type === "Progressing" && c.reason === "DeploymentPaused"
      ) &&
      Date.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 100));
      d = await deployment();
    }
    const progressing = d.status?.conditions?.find((c) => c.type === "Progressing");
    assert.deepEqual(
      [progressing?.status, progressing?.reason, progressing?.message],
      ["Unknown", "DeploymentPaused", "Deployment is paused"],
    );
    assert.equal((await replicaSets()).length, 2);
    const undo = await k.run(["rollout", "undo", "deployment/web", "-n", NS]);
    assert.equal(undo.code, 1);
    assert.match(undo.stderr, /you cannot rollback a paused deployment; resume it first/);
    assert.match(
      await runOk(["rollout", "resume", "deployment/web", "-n", NS]),
      /deployment\.apps\/web resumed/,
    );
    await rolledOut();
    const after = await deployment();
    assert.equal(image(after), "busybox:3");
    assert.equal(after.metadata?.annotations?.["deployment.kubernetes.io/revision"], "5");
    assert.equal((await replicaSets()).length, 3);
  });

  await t.step("rollout restart replaces every pod with the same image", async () => {
    assert.match(
      await runOk(["rollout", "restart", "deployment/web", "-n", NS]),
      /deployment\.apps\/web restarted/,
    );
    await rolledOut();
    const d = await deployment();
    assert.ok(d.spec?.template.metadata?.annotations?.["kubectl.kubernetes.io/restartedAt"]);
    assert.equal(image(d), "busybox:3");
    assert.equal(d.metadata?.annotations?.["deployment.kubernetes.io/revision"], "6");
  });

  await t.step("kubectl scale and kubectl wait", async () => {
    assert.match(
      await runOk(["scale", "deployment/web", "-n", NS, "--replicas=5"]),
      /deployment\.apps\/web scaled/,
    );
    await runOk([
      "wait",
      "deployment/web",
      "-n",
      NS,
      "--for=jsonpath={.status.availableReplicas}=5",
      "--timeout=60s",
    ]);
    const waited = await runOk([
      "wait",
      "deployment/web",
      "-n",
      NS,
      "--for=condition=Available",
      "--timeout=30s",
    ]);
    assert.match(waited, /deployment\.apps\/web condition met/);
    await runOk(["scale", "deployment/web", "-n", NS, "--replicas=1"]);
    await runOk([
      "wait",
      "deployment/web",
      "-n",
      NS,
      "--for=jsonpath={.status.replicas}=1",
      "--timeout=60s",
    ]);
  });

  await t.step("revisionHistoryLimit keeps only that many old ReplicaSets", async () => {
    await runOk(["patch", "deployment/web", "-n", NS, "-p", '{"spec":{"revisionHistoryLimit":1}}']);
    const deadline = Date.now() + 15_000;
    while ((await replicaSets()).length > 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const history = rolloutHistory(await runOk(["rollout", "history", "deployment/web", "-n", NS]));
    assert.deepEqual(history.map(([n]) => n), [5, 6]);
  });

  await t.step(
    "a rollout with no progress for progressDeadlineSeconds fails rollout status",
    async () => {
      await runOk(["create", "deployment", "slow", "-n", NS, "--image=busybox:1"]);
      await runOk([
        "patch",
        "deployment/slow",
        "-n",
        NS,
        "-p",
        '{"spec":{"progressDeadlineSeconds":2}}',
      ]);
      await runOk(["rollout", "status", "deployment/slow", "-n", NS, "--timeout=60s"]);
      await runOk(["set", "image", "deployment/slow", "-n", NS, "busybox=busybox:stuck"]);
      const stuck = await k.run([
        "rollout",
        "status",
        "deployment/slow",
        "-n",
        NS,
        "--timeout=60s",
      ]);
      assert.equal(stuck.code, 1, stuck.stdout + stuck.stderr);
      assert.match(stuck.stderr, /deployment "slow" exceeded its progress deadline/);
      const d = await client.resource(DEPLOYMENTS).get("slow", { namespace: NS });
      const progressing = d.status?.conditions?.find((c) => c.type === "Progressing");
      assert.deepEqual([progressing?.status, progressing?.reason], [
        "False",
        "ProgressDeadlineExceeded",
      ]);
      assert.match(
        progressing?.message ?? "",
        /^ReplicaSet "slow-[a-z0-9]+" has timed out progressing\.$/,
      );
      // The old pod stays: maxUnavailable 25 % of 1 rounds down to 0.
      assert.equal(d.status?.availableReplicas, 1);
    },
  );

  await t.step("pods refused by a quota show as ReplicaFailure on the Deployment", async () => {
    await runOk(["create", "namespace", "tight"]);
    await runOk(["create", "quota", "pods", "-n", "tight", "--hard=pods=1"]);
    await runOk([
      "create",
      "deployment",
      "web",
      "-n",
      "tight",
      "--image=busybox:1",
      "--replicas=2",
    ]);
    const deadline = Date.now() + 20_000;
    let failure;
    while (Date.now() < deadline) {
      const d = await client.resource(DEPLOYMENTS).get("web", { namespace: "tight" });
      failure = d.status?.conditions?.find((c) => c.type === "ReplicaFailure");
      if (failure) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(failure?.status, "True");
    assert.equal(failure?.reason, "FailedCreate");
    assert.match(
      failure?.message ?? "",
      /exceeded quota: pods, requested: pods=1, used: pods=1, limited: pods=1/,
    );
  });

  await t.step("rollout status and history read the same with kubectl 1.27 to 1.32", async () => {
    for (const version of VERSIONS) {
      const other = cluster.kubectlAt(version);
      const status = await other.run([
        "rollout",
        "status",
        "deployment/web",
        "-n",
        NS,
        "--timeout=30s",
      ]);
      assert.equal(status.code, 0, `${version}: ${status.stderr}`);
      assert.match(status.stdout, /deployment "web" successfully rolled out/, version);
      const history = await other.run(["rollout", "history", "deployment/web", "-n", NS]);
      assert.equal(history.code, 0, `${version}: ${history.stderr}`);
      assert.deepEqual(rolloutHistory(history.stdout).map(([n]) => n), [5, 6], version);
    }
  });
});
