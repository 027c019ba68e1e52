/**
 * The StatefulSet controller inside the real `skiff server`, driven by the real kubectl 1.33,
 * with the server's scheduler binding pods and a stand-in kubelet (over HTTPS, as a node
 * would) marking them Running and Ready: `kubectl apply`, `rollout status`, `scale`,
 * `rollout history` and `rollout undo` give what they give on a real cluster.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { StatefulSet } from "../../control/api/types/apps_v1.ts";
import { PERSISTENT_VOLUME_CLAIMS, PODS, STATEFUL_SETS } from "../../control/client/resources.ts";
import { e2eCluster } from "../_support/e2e_cluster.ts";
import { FakeKubelet } from "../_support/fake_kubelet.ts";
import { rolloutHistory } from "../_support/rollout_history.ts";
import { startTestServer } from "../_support/skiff_server.ts";

const NS = "sts";

const MANIFEST = `
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: ${NS}
spec:
  clusterIP: None
  selector:
    app: web
  ports:
  - name: http
    port: 80
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
  namespace: ${NS}
spec:
  serviceName: web
  replicas: 3
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
        ports:
        - name: http
          containerPort: 80
        volumeMounts:
        - name: www
          mountPath: /usr/share/nginx/html
  volumeClaimTemplates:
  - metadata:
      name: www
    spec:
      accessModes: ["ReadWriteOnce"]
      resources:
        requests:
          storage: 1Gi
`;

Deno.test("kubectl apply, rollout status, scale and rollout history drive skiff's StatefulSet controller", async (t) => {
  await using server = await startTestServer();
  using cluster = e2eCluster(server, { fieldManager: "stateful-set-test" });
  const { client, runOk } = cluster;
  await using _kubelet = await FakeKubelet.start({ client, nodes: ["edge-1", "edge-2"] });
  const set = () => client.resource(STATEFUL_SETS).get("web", { namespace: NS });
  const podNames = async () =>
    (await client.resource(PODS).list({ namespace: NS, labelSelector: "app=web" })).items
      .filter((p) => !p.metadata?.deletionTimestamp)
      .map((p) => p.metadata?.name ?? "").sort();
  const rolledOut = async (replicas: number): Promise<StatefulSet> => {
    const out = await runOk(["rollout", "status", "statefulset/web", "-n", NS, "--timeout=60s"]);
    // As on a real cluster: the defaulted `rollingUpdate.partition: 0` makes kubectl report a
    // partitioned roll out.
    assert.match(
      out,
      new RegExp(
        `partitioned roll out complete: ${replicas} new pods have been updated\\.\\.\\.\\n$`,
      ),
    );
    const s = await set();
    assert.equal(s.status?.updatedReplicas, replicas);
    assert.equal(s.status?.currentRevision, s.status?.updateRevision);
    return s;
  };

  await runOk(["create", "namespace", NS]);

  await t.step(
    "kubectl apply makes web-0..web-2 with their claims; rollout status waits",
    async () => {
      const applied = await runOk(["apply", "-f", "-"], MANIFEST);
      assert.match(applied, /statefulset\.apps\/web created/);
      const s = await rolledOut(3);
      assert.equal(s.status?.readyReplicas, 3);
      assert.equal(s.status?.currentRevision, s.status?.updateRevision);
      assert.deepEqual(await podNames(), ["web-0", "web-1", "web-2"]);
      const claims =
        (await client.resource(PERSISTENT_VOLUME_CLAIMS).list({ namespace: NS })).items;
      assert.deepEqual(claims.map((c) => c.metadata?.name).sort(), [
        "www-web-0",
        "www-web-1",
        "www-web-2",
      ]);
      const get = await runOk(["get", "statefulset", "web", "-n", NS]);
      assert.match(get, /^NAME\s+READY\s+AGE\n/);
      assert.match(get, /\nweb\s+3\/3\s+/);
      const events = await runOk([
        "get",
        "events",
        "-n",
        NS,
        "--field-selector=involvedObject.name=web",
      ]);
      assert.match(
        events,
        /SuccessfulCreate\s+statefulset\/web\s+create Pod web-0 in StatefulSet web successful/,
      );
      assert.match(
        events,
        /SuccessfulCreate\s+statefulset\/web\s+create Claim www-web-0 Pod web-0 in StatefulSet web success/,
      );
    },
  );

  await t.step("kubectl scale adds web-3 and web-4", async () => {
    assert.match(
      await runOk(["scale", "statefulset", "web", "-n", NS, "--replicas=5"]),
      /statefulset\.apps\/web scaled/,
    );
    await rolledOut(5);
    assert.deepEqual(await podNames(), ["web-0", "web-1", "web-2", "web-3", "web-4"]);
  });

  await t.step("a new image rolls out as revision 2; rollout history shows both", async () => {
    await runOk([
      "annotate",
      "statefulset/web",
      "-n",
      NS,
      "--overwrite",
      "kubernetes.io/change-cause=image nginx:1.28",
    ]);
    await runOk(["set", "image", "statefulset/web", "-n", NS, "nginx=nginx:1.28"]);
    const s = await rolledOut(5);
    const pods = (await client.resource(PODS).list({ namespace: NS, labelSelector: "app=web" }))
      .items;
    assert.ok(pods.every((p) => p.spec?.containers[0]?.image === "nginx:1.28"));
    assert.ok(
      pods.every((p) =>
        p.metadata?.labels?.["controller-revision-hash"] === s.status?.updateRevision
      ),
    );
    const history = await runOk(["rollout", "history", "statefulset/web", "-n", NS]);
    assert.match(history, /^statefulset\.apps\/web \n/);
    assert.deepEqual(rolloutHistory(history), [[1, "<none>"], [2, "image nginx:1.28"]]);
    const detail = await runOk(["rollout", "history", "statefulset/web", "-n", NS, "--revision=2"]);
    assert.match(detail, /statefulset\.apps\/web with revision #2/);
    assert.match(detail, /Image:\s+nginx:1\.28/);
  });

  await t.step("rollout undo goes back to revision 1's template, renumbered 3", async () => {
    assert.match(
      await runOk(["rollout", "undo", "statefulset/web", "-n", NS]),
      /statefulset\.apps\/web rolled back/,
    );
    const s = await rolledOut(5);
    assert.equal(s.spec?.template.spec?.containers[0]?.image, "nginx:1.27");
    const history = rolloutHistory(
      await runOk(["rollout", "history", "statefulset/web", "-n", NS]),
    );
    assert.deepEqual(history.map(([n]) => n), [2, 3]);
  });
});
