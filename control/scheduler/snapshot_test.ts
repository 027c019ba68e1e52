import assert from "node:assert/strict";
import { newSnapshot, Snapshot } from "./snapshot.ts";
import { testNode, testPod } from "./_testing.ts";

Deno.test("newSnapshot() places pods on their nodes and counts images", () => {
  const image = { names: ["busybox:1.36"], sizeBytes: 5_000_000 };
  const snapshot = newSnapshot(
    [
      testNode({ name: "a", images: [image] }),
      testNode({ name: "b" }),
      testNode({ name: "c", images: [image] }),
    ],
    [
      testPod({ name: "p1", nodeName: "a", requests: { cpu: "1" } }),
      testPod({ name: "p2", nodeName: "zzz" }),
      testPod({
        name: "p3",
        nodeName: "b",
        affinity: {
          podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "x" }] },
        },
      }),
    ],
  );
  assert.equal(snapshot.numNodes, 3);
  assert.deepEqual(snapshot.list().map((n) => n.name), ["a", "b", "c"]);
  assert.equal(snapshot.get("a")?.requested.milliCpu, 1000);
  assert.equal(snapshot.get("zzz"), undefined);
  assert.deepEqual(snapshot.havePodsWithAffinityList().map((n) => n.name), ["b"]);
  assert.deepEqual(snapshot.havePodsWithRequiredAntiAffinityList(), []);
  assert.equal(snapshot.imageNumNodes("busybox:1.36"), 2);
  assert.equal(snapshot.imageNumNodes("nginx:latest"), 0);
});

Deno.test("an empty Snapshot has no nodes", () => {
  const snapshot = new Snapshot({ nodes: [] });
  assert.equal(snapshot.numNodes, 0);
  assert.equal(snapshot.get("a"), undefined);
  assert.equal(snapshot.generation, 0);
});
