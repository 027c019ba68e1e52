import assert from "node:assert/strict";
import { newNodeInfo, newPodInfo, NodeInfo, podKey } from "./node_info.ts";
import { testNode, testPod } from "./_testing.ts";

const MI = 1024 ** 2;

Deno.test("NodeInfo.withPod() adds requests, non-zero requests, ports and affinity pods", () => {
  const node = testNode({ name: "n1" });
  const web = testPod({ name: "web", requests: { cpu: "500m", memory: "1Gi" } });
  const empty = testPod({
    name: "empty",
    ports: [{ containerPort: 80, hostPort: 8080 }],
    affinity: {
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "kubernetes.io/hostname" }],
      },
    },
  });
  const info = newNodeInfo(node, [web, empty]);
  assert.equal(info.name, "n1");
  assert.equal(info.pods.length, 2);
  assert.equal(info.requested.milliCpu, 500);
  assert.equal(info.requested.memoryBytes, 1024 * MI);
  assert.equal(info.nonZeroRequested.milliCpu, 600);
  assert.equal(info.nonZeroRequested.memoryBytes, 1024 * MI + 200 * MI);
  assert.equal(info.allocatable.milliCpu, 4000);
  assert.equal(info.allocatable.allowedPodNumber, 110);
  assert.ok(info.usedPorts.conflicts({ hostPort: 8080 }));
  assert.deepEqual(info.podsWithAffinity.map((p) => p.pod.metadata?.name), ["empty"]);
  assert.deepEqual(info.podsWithRequiredAntiAffinity.map((p) => p.pod.metadata?.name), ["empty"]);
});

Deno.test("NodeInfo.withoutPod() undoes withPod() and leaves the original unchanged", () => {
  const base = newNodeInfo(testNode(), [testPod({ name: "a", requests: { cpu: "1" } })]);
  const pod = testPod({
    name: "b",
    requests: { cpu: "2", "example.com/gpu": "1" },
    ports: [{ containerPort: 1, hostPort: 1 }],
  });
  const withB = base.withPod(newPodInfo(pod));
  assert.equal(withB.requested.milliCpu, 3000);
  assert.equal(withB.generation, base.generation + 1);
  const without = withB.withoutPod(podKey(pod))!;
  assert.equal(without.pods.length, 1);
  assert.equal(without.requested.milliCpu, 1000);
  assert.equal(without.requested.scalarResources.get("example.com/gpu"), 0);
  assert.ok(!without.usedPorts.conflicts({ hostPort: 1 }));
  assert.equal(base.pods.length, 1);
  assert.equal(withB.withoutPod("no-such-key"), null);
});

Deno.test("NodeInfo.withNode() takes allocatable and images from the Node", () => {
  const ghost = NodeInfo.empty("n1", null);
  assert.equal(ghost.allocatable.milliCpu, 0);
  const info = ghost.withNode(testNode({
    name: "n1",
    allocatable: { cpu: "2", pods: "10" },
    images: [{ names: ["nginx:1.27", "docker.io/library/nginx:1.27"], sizeBytes: 70 * MI }],
  }));
  assert.equal(info.allocatable.milliCpu, 2000);
  assert.equal(info.images.get("docker.io/library/nginx:1.27"), 70 * MI);
  assert.equal(info.withNode(null).node, null);
});

Deno.test("podKey() is the UID, or namespace/name without one", () => {
  assert.equal(podKey(testPod({ name: "a", uid: "123" })), "123");
  assert.equal(podKey({ metadata: { name: "a", namespace: "ns" } }), "ns/a");
});
