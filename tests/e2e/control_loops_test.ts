/**
 * The scheduler and the controllers inside the real `skiff server`, driven by the real kubectl
 * 1.33: a ReplicaSet gets its pods, the scheduler binds them to a fake Node (no agent yet) and
 * says so in events, a Service gets its EndpointSlice, and `kubectl delete namespace` returns
 * once the namespace controller has emptied and finalized it.
 *
 * @module
 */
import assert from "node:assert/strict";
import { e2eCluster } from "../_support/e2e_cluster.ts";
import { readyNode } from "../_support/ready_node.ts";
import { startTestServer } from "../_support/skiff_server.ts";

const NODE = readyNode("edge-1");

const REPLICA_SET = {
  apiVersion: "apps/v1",
  kind: "ReplicaSet",
  metadata: { name: "web", namespace: "loops" },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: "web" } },
    template: {
      metadata: { labels: { app: "web" } },
      spec: {
        containers: [{
          name: "web",
          image: "busybox",
          resources: { requests: { cpu: "100m" } },
          ports: [{ name: "http", containerPort: 8080 }],
        }],
      },
    },
  },
};

const SERVICE = {
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "web", namespace: "loops" },
  spec: { selector: { app: "web" }, ports: [{ port: 80, targetPort: "http" }] },
};

Deno.test("skiff server's scheduler and controllers act on what kubectl creates", async (t) => {
  await using server = await startTestServer();
  using cluster = e2eCluster(server);
  const { run, ok, json, eventually } = cluster;

  ok(await run(["create", "namespace", "loops"]), "create namespace");
  ok(await run(["apply", "-f", "-"], JSON.stringify(NODE)), "apply node");

  await t.step("a ReplicaSet gets its pods, each bound to the node", async () => {
    ok(await run(["apply", "-f", "-"], JSON.stringify(REPLICA_SET)), "apply replicaset");
    await eventually("3 bound pods", async () => {
      const pods = await json(["get", "pods", "-n", "loops", "-l", "app=web"]);
      return pods.items.length === 3 &&
        pods.items.every((p: { spec: { nodeName?: string } }) => p.spec.nodeName === "edge-1");
    });
    const rs = await json(["get", "replicaset", "web", "-n", "loops"]);
    assert.equal(rs.status.replicas, 3);
    assert.equal(rs.status.observedGeneration, 1);
    const events = ok(
      await run(["get", "events", "-n", "loops", "--sort-by=.metadata.creationTimestamp"]),
      "get events",
    );
    assert.match(events, /SuccessfulCreate\s+replicaset\/web\s+Created pod: web-/);
    assert.match(
      events,
      /Scheduled\s+pod\/web-\S+\s+Successfully assigned loops\/web-\S+ to edge-1/,
    );
  });

  await t.step("scaling down deletes pods until the count matches", async () => {
    ok(await run(["scale", "replicaset", "web", "-n", "loops", "--replicas=1"]), "scale");
    // Without a kubelet the deleted pods stay Terminating for their grace period: count the
    // others.
    await eventually("1 pod not terminating", async () => {
      const pods = await json(["get", "pods", "-n", "loops", "-l", "app=web"]);
      return pods.items.filter((p: { metadata: { deletionTimestamp?: string } }) =>
        !p.metadata.deletionTimestamp
      ).length === 1;
    });
  });

  await t.step("a pod too big for every node stays Pending with upstream's reason", async () => {
    const big = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "big", namespace: "loops" },
      spec: {
        containers: [{ name: "c", image: "busybox", resources: { requests: { cpu: "64" } } }],
      },
    };
    ok(await run(["apply", "-f", "-"], JSON.stringify(big)), "apply big pod");
    await eventually("the PodScheduled condition", async () => {
      const pod = await json(["get", "pod", "big", "-n", "loops"]);
      const cond = (pod.status.conditions ?? []).find((c: { type: string }) =>
        c.type === "PodScheduled"
      );
      return cond?.status === "False" && cond.reason === "Unschedulable";
    });
    const describe = ok(await run(["describe", "pod", "big", "-n", "loops"]), "describe");
    assert.match(describe, /FailedScheduling .*0\/1 nodes are available: 1 Insufficient cpu\./);
  });

  await t.step("a Service gets an EndpointSlice of its pods", async () => {
    // What a kubelet would report of the remaining pod: an IP, and Ready.
    const pods = await json(["get", "pods", "-n", "loops", "-l", "app=web"]);
    const live = pods.items.find((p: { metadata: { deletionTimestamp?: string } }) =>
      !p.metadata.deletionTimestamp
    );
    const status = {
      status: {
        phase: "Running",
        podIP: "10.42.0.7",
        podIPs: [{ ip: "10.42.0.7" }],
        conditions: [{ type: "Ready", status: "True" }],
      },
    };
    ok(
      await run([
        "patch",
        "pod",
        live.metadata.name,
        "-n",
        "loops",
        "--subresource=status",
        "--type=merge",
        "-p",
        JSON.stringify(status),
      ]),
      "patch pod status",
    );
    ok(await run(["apply", "-f", "-"], JSON.stringify(SERVICE)), "apply service");
    await eventually("an EndpointSlice", async () => {
      const slices = await json([
        "get",
        "endpointslices",
        "-n",
        "loops",
        "-l",
        "kubernetes.io/service-name=web",
      ]);
      const slice = slices.items[0];
      return slices.items.length === 1 && slice.ports?.[0]?.port === 8080 &&
        slice.endpoints?.[0]?.addresses?.[0] === "10.42.0.7" &&
        slice.endpoints[0].conditions?.ready === true;
    });
  });

  await t.step("deleting the namespace empties it and removes it", async () => {
    // No kubelet finishes graceful pod deletions here: stop the ReplicaSet recreating pods (the
    // garbage collector then deletes them, gracefully) and force them away, as an admin would
    // with a dead node.
    ok(await run(["delete", "replicaset", "web", "-n", "loops"]), "delete replicaset");
    ok(
      await run(["delete", "pods", "--all", "-n", "loops", "--grace-period=0", "--force"]),
      "force-delete pods",
    );
    const deleted = await run(["delete", "namespace", "loops", "--wait=true", "--timeout=30s"]);
    if (deleted.code !== 0) {
      const ns = await run(["get", "namespace", "loops", "-o", "yaml"]);
      const left = await run(["get", "all,endpointslices,events", "-n", "loops"]);
      assert.fail(
        `delete namespace: ${deleted.stderr}\n${ns.stdout}\n${left.stdout}${left.stderr}\n${
          server.logTail(30)
        }`,
      );
    }
    const gone = await run(["get", "namespace", "loops"]);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /namespaces "loops" not found/);
  });
});
