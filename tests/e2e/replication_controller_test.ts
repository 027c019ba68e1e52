/**
 * ReplicationControllers with the real kubectl against `skiff server --disable-agent`:
 * `create -f rc.yaml`, `get rc` (and `-o wide`), `get all`, `cluster-info dump` (which lists
 * `replicationcontrollers` and fails on a server without them) on every kubectl 1.27–1.33,
 * then, with a stand-in kubelet marking the pods Ready, `scale rc`, `describe rc` and a
 * cascading `delete rc` — output and exit codes as on a real cluster.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import { PODS } from "../../control/client/resources.ts";
import { e2eCluster } from "../_support/e2e_cluster.ts";
import { FakeKubelet } from "../_support/fake_kubelet.ts";
import { KUBECTL_VERSIONS } from "../_support/kubectl.ts";
import { startTestServer } from "../_support/skiff_server.ts";

/** As a user writes it: no selector, no labels (the API defaults both from the template). */
const RC_YAML = `apiVersion: v1
kind: ReplicationController
metadata:
  name: web
spec:
  replicas: 3
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: nginx:1.27
`;

/** The table cells of one line (columns are separated by at least two spaces). */
function cells(line: string): string[] {
  return line.trim().split(/\s{2,}/);
}

/** What `cluster-info dump` prints to stdout: the JSON lists of the dumped kinds. */
const DUMPED_KINDS = [
  "NodeList",
  "EventList",
  "ReplicationControllerList",
  "ServiceList",
  "DaemonSetList",
  "DeploymentList",
  "ReplicaSetList",
  "PodList",
];

Deno.test("kubectl creates, lists, scales, describes and deletes a ReplicationController; cluster-info dump works on 1.27–1.33", async (t) => {
  await using server = await startTestServer();
  using cluster = e2eCluster(server);
  const { run, ok, runOk, json, eventually, client } = cluster;
  const activePods = async (): Promise<Pod[]> =>
    (await client.resource(PODS).list({ namespace: "default", labelSelector: "app=web" }))
      .items.filter((p) => !p.metadata?.deletionTimestamp);

  await t.step(
    "create -f rc.yaml defaults the selector and labels; the controller makes 3 pods",
    async () => {
      const file = join(server.scratchDir, "rc.yaml");
      await Deno.writeTextFile(file, RC_YAML);
      assert.equal(await runOk(["create", "-f", file]), "replicationcontroller/web created\n");
      const rc = await json(["get", "rc", "web"]);
      assert.deepEqual(rc.spec.selector, { app: "web" });
      assert.deepEqual(rc.metadata.labels, { app: "web" });
      await eventually("3 pods owned by the ReplicationController", async () => {
        const pods = await activePods();
        return pods.length === 3 &&
          pods.every((p) =>
            p.metadata?.ownerReferences?.[0]?.kind === "ReplicationController" &&
            p.metadata.ownerReferences[0].uid === rc.metadata.uid
          );
      });
      await eventually("status.replicas 3", async () => {
        const cur = await json(["get", "replicationcontroller", "web"]);
        return cur.status.replicas === 3 && cur.status.observedGeneration === 1;
      });
    },
  );

  await t.step(
    "get rc prints upstream's columns, -o wide the containers, images and selector",
    async () => {
      const lines = (await runOk(["get", "rc"])).trimEnd().split("\n");
      assert.deepEqual(cells(lines[0]!), ["NAME", "DESIRED", "CURRENT", "READY", "AGE"]);
      assert.deepEqual(cells(lines[1]!).slice(0, 4), ["web", "3", "3", "0"]);
      const wide = (await runOk(["get", "rc", "web", "-o", "wide"])).trimEnd().split("\n");
      assert.deepEqual(cells(wide[0]!), [
        "NAME",
        "DESIRED",
        "CURRENT",
        "READY",
        "AGE",
        "CONTAINERS",
        "IMAGES",
        "SELECTOR",
      ]);
      assert.deepEqual(cells(wide[1]!).slice(5), ["web", "nginx:1.27", "app=web"]);
    },
  );

  await t.step("get all lists it", async () => {
    const out = await runOk(["get", "all"]);
    assert.match(out, /^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE$/m);
    assert.match(out, /^replicationcontroller\/web\s+3\s+3\s+0\s+\S+$/m);
    assert.match(out, /^pod\/web-[a-z0-9]{5}\s+0\/1\s+Pending\s+0\s+\S+$/m);
  });

  // Before any node exists: the pods have no node, so their logs fail at once (the dump
  // prints the error and goes on) instead of waiting on a node that is not there.
  for (const version of KUBECTL_VERSIONS) {
    await t.step(`cluster-info dump with kubectl ${version}`, async () => {
      const result = await cluster.kubectlAt(version).run(["cluster-info", "dump"]);
      ok(result, `kubectl ${version} cluster-info dump`);
      for (const kind of DUMPED_KINDS) {
        assert.ok(result.stdout.includes(`"kind": "${kind}"`), `${version}: no ${kind}`);
      }
      assert.match(
        result.stdout,
        /"kind": "ReplicationController",\s+"apiVersion": "v1",\s+"metadata": \{\s+"name": "web",\s+"namespace": "default",/,
      );
      assert.match(result.stdout, /==== START logs for container web of pod default\/web-/);
    });
  }

  await using _kubelet = await FakeKubelet.start({
    client,
    nodes: ["edge-1"],
    bindUnscheduled: true,
  });

  await t.step("the pods become ready, and get rc counts them", async () => {
    await eventually("3 ready replicas", async () => {
      const rc = await json(["get", "rc", "web"]);
      return rc.status.readyReplicas === 3 && rc.status.availableReplicas === 3;
    });
    const lines = (await runOk(["get", "rc", "web", "--no-headers"])).trimEnd().split("\n");
    assert.deepEqual(cells(lines[0]!).slice(0, 4), ["web", "3", "3", "3"]);
  });

  await t.step("scale rc --replicas=1 removes two pods", async () => {
    assert.equal(
      await runOk(["scale", "rc", "web", "--replicas=1"]),
      "replicationcontroller/web scaled\n",
    );
    await eventually("1 pod left", async () => {
      const all = await client.resource(PODS).list({
        namespace: "default",
        labelSelector: "app=web",
      });
      const rc = await json(["get", "rc", "web"]);
      return all.items.length === 1 && rc.status.replicas === 1 &&
        rc.status.observedGeneration === 2;
    });
  });

  await t.step("describe rc shows its selector, replicas, pods and events", async () => {
    let out = "";
    await eventually("the SuccessfulDelete events in describe", async () => {
      out = await runOk(["describe", "rc", "web"]);
      return (out.match(/SuccessfulDelete/g) ?? []).length === 2;
    });
    assert.match(out, /^Name:\s+web$/m);
    assert.match(out, /^Namespace:\s+default$/m);
    assert.match(out, /^Selector:\s+app=web$/m);
    assert.match(out, /^Labels:\s+app=web$/m);
    assert.match(out, /^Replicas:\s+1 current \/ 1 desired$/m);
    assert.match(out, /^Pods Status:\s+1 Running \/ 0 Waiting \/ 0 Succeeded \/ 0 Failed$/m);
    assert.match(out, /^\s+Image:\s+nginx:1\.27$/m);
    assert.match(
      out,
      /Normal\s+SuccessfulCreate\s+\S+\s+replication-controller\s+Created pod: web-[a-z0-9]{5}/,
    );
    assert.match(
      out,
      /Normal\s+SuccessfulDelete\s+\S+\s+replication-controller\s+Deleted pod: web-[a-z0-9]{5}/,
    );
  });

  await t.step("delete rc cascades to its pods", async () => {
    assert.equal(await runOk(["delete", "rc", "web"]), 'replicationcontroller "web" deleted\n');
    await eventually("no pods of web", async () => {
      const all = await client.resource(PODS).list({
        namespace: "default",
        labelSelector: "app=web",
      });
      return all.items.length === 0;
    });
    const gone = await run(["get", "rc", "web"]);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /replicationcontrollers "web" not found/);
  });
});
