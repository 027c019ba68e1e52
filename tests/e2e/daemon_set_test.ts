/**
 * `kubectl apply`, `kubectl rollout status|history|undo` on a DaemonSet against the real
 * `skiff server` (its scheduler binds the pods the DaemonSet controller pins to each node),
 * with kubectl 1.33, Node objects the test applies and a stand-in kubelet (over HTTPS, as a
 * node would) marking the bound pods Running and Ready: one pod per node that fits, the
 * rollout waits for every node's new pod, revisions carry the change causes, undo goes back.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { DaemonSet } from "../../control/api/types/apps_v1.ts";
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import { DAEMON_SETS, PODS } from "../../control/client/resources.ts";
import { e2eCluster } from "../_support/e2e_cluster.ts";
import { FakeKubelet } from "../_support/fake_kubelet.ts";
import { readyNode } from "../_support/ready_node.ts";
import { rolloutHistory } from "../_support/rollout_history.ts";
import { startTestServer } from "../_support/skiff_server.ts";

const NS = "daemons";
const NODES = ["edge-1", "edge-2", "edge-3"];
/** edge-3's taint, which the DaemonSet tolerates only at the end. */
const TAINT = { key: "dedicated", value: "db", effect: "NoSchedule" } as const;

const DAEMON_SET = {
  apiVersion: "apps/v1",
  kind: "DaemonSet",
  // A revision copies the DaemonSet's annotations when it is made: the change cause goes in
  // before the template changes.
  metadata: {
    name: "agent",
    namespace: NS,
    annotations: { "kubernetes.io/change-cause": "agent busybox:1" },
  },
  spec: {
    selector: { matchLabels: { app: "agent" } },
    template: {
      metadata: { labels: { app: "agent" } },
      spec: { containers: [{ name: "agent", image: "busybox:1" }] },
    },
  },
};

Deno.test("kubectl apply, rollout status, history and undo drive skiff's DaemonSet controller", async (t) => {
  await using server = await startTestServer();
  using cluster = e2eCluster(server, { fieldManager: "daemonset-e2e" });
  const { client, kubectl: k, runOk } = cluster;
  await using _kubelet = await FakeKubelet.start({ client, nodes: NODES, registerNodes: false });
  const daemonSet = () => client.resource(DAEMON_SETS).get("agent", { namespace: NS });
  const pods = async () =>
    ((await client.resource(PODS).list({ namespace: NS, labelSelector: "app=agent" }))
      .items as Pod[])
      .filter((p) => !p.metadata?.deletionTimestamp);
  const image = (ds: DaemonSet) => ds.spec?.template.spec?.containers[0]?.image;
  const rolledOut = async () => {
    const out = await runOk(["rollout", "status", "daemonset/agent", "-n", NS, "--timeout=60s"]);
    assert.match(out, /daemon set "agent" successfully rolled out/);
  };
  const changeCause = (cause: string) =>
    runOk([
      "annotate",
      "daemonset/agent",
      "-n",
      NS,
      "--overwrite",
      `kubernetes.io/change-cause=${cause}`,
    ]);

  await runOk(["create", "namespace", NS]);
  for (const name of NODES) {
    const node = readyNode(name, name === "edge-3" ? { taints: [TAINT] } : {});
    await runOk(["apply", "-f", "-"], JSON.stringify(node));
  }

  await t.step("apply: a pod on every node that fits, bound there by the scheduler", async () => {
    assert.match(
      await runOk(["apply", "-f", "-"], JSON.stringify(DAEMON_SET)),
      /daemonset\.apps\/agent created/,
    );
    await rolledOut();
    const bound = (await pods()).map((p) => p.spec?.nodeName).sort();
    assert.deepEqual(bound, ["edge-1", "edge-2"], "edge-3's taint is not tolerated");
    const ds = await daemonSet();
    assert.equal(ds.status?.desiredNumberScheduled, 2);
    assert.equal(ds.status?.numberAvailable, 2);
    assert.equal(ds.status?.observedGeneration, ds.metadata?.generation);
    const table = await runOk(["get", "daemonset", "agent", "-n", NS]);
    assert.match(
      table,
      /^NAME\s+DESIRED\s+CURRENT\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+NODE SELECTOR/,
    );
    assert.match(table, /\nagent\s+2\s+2\s+2\s+2\s+2\s+<none>/);
    const events = await runOk(["get", "events", "-n", NS]);
    assert.match(events, /SuccessfulCreate\s+daemonset\/agent\s+Created pod: agent-/);
  });

  await t.step("a new image rolls out node by node as revision 2", async () => {
    await changeCause("agent busybox:2");
    await runOk(["set", "image", "daemonset/agent", "-n", NS, "agent=busybox:2"]);
    await rolledOut();
    assert.ok((await pods()).every((p) => p.spec?.containers[0]?.image === "busybox:2"));
    const history = rolloutHistory(
      await runOk(["rollout", "history", "daemonset/agent", "-n", NS]),
    );
    assert.deepEqual(history, [[1, "agent busybox:1"], [2, "agent busybox:2"]]);
    const detail = await runOk(["rollout", "history", "daemonset/agent", "-n", NS, "--revision=2"]);
    assert.match(detail, /daemonset\.apps\/agent with revision #2/);
    assert.match(detail, /Image:\s+busybox:2/);
  });

  await t.step("rollout undo goes back to revision 1's template, as revision 3", async () => {
    assert.match(
      await runOk(["rollout", "undo", "daemonset/agent", "-n", NS]),
      /daemonset\.apps\/agent rolled back/,
    );
    await rolledOut();
    assert.equal(image(await daemonSet()), "busybox:1");
    assert.ok((await pods()).every((p) => p.spec?.containers[0]?.image === "busybox:1"));
    const history = rolloutHistory(
      await runOk(["rollout", "history", "daemonset/agent", "-n", NS]),
    );
    assert.deepEqual(history, [[2, "agent busybox:2"], [3, "agent busybox:1"]]);
  });

  await t.step("undo to the current revision is skipped; to a missing one fails", async () => {
    const skipped = await runOk([
      "rollout",
      "undo",
      "daemonset/agent",
      "-n",
      NS,
      "--to-revision=3",
    ]);
    assert.match(skipped, /skipped rollback \(current template already matches revision 3\)/);
    const missing = await k.run([
      "rollout",
      "undo",
      "daemonset/agent",
      "-n",
      NS,
      "--to-revision=9",
    ]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /unable to find specified revision 9 in history/);
  });

  await t.step("tolerating the taint adds the third node", async () => {
    await runOk([
      "patch",
      "daemonset/agent",
      "-n",
      NS,
      "-p",
      JSON.stringify({
        spec: { template: { spec: { tolerations: [{ key: "dedicated", operator: "Exists" }] } } },
      }),
    ]);
    await rolledOut();
    assert.deepEqual((await pods()).map((p) => p.spec?.nodeName).sort(), NODES);
  });
});
