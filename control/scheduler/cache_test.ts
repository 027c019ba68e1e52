import assert from "node:assert/strict";
import { SchedulerCache } from "./cache.ts";
import { testNode, testPod } from "./_testing.ts";

function cacheWith(...names: string[]): SchedulerCache {
  const cache = new SchedulerCache();
  for (const name of names) cache.addNode(testNode({ name }));
  return cache;
}

Deno.test("SchedulerCache counts assumed pods until they are bound or forgotten", () => {
  const cache = cacheWith("n1", "n2");
  const pod = testPod({ name: "web", requests: { cpu: "1" } });
  const assumed = cache.assumePod(pod, "n1");
  assert.equal(assumed.spec?.nodeName, "n1");
  assert.equal(pod.spec?.nodeName, undefined, "the input pod is not changed");
  assert.ok(cache.isAssumedPod(pod));
  assert.equal(cache.snapshot().get("n1")?.requested.milliCpu, 1000);

  cache.forgetPod(assumed);
  assert.ok(!cache.isAssumedPod(pod));
  assert.equal(cache.snapshot().get("n1")?.pods.length, 0);
  assert.equal(cache.podCount, 0);
});

Deno.test("SchedulerCache.addPod() turns an assumed pod into a bound one, on the node it was bound to", () => {
  const cache = cacheWith("n1", "n2");
  const pod = testPod({ name: "web", requests: { cpu: "1" } });
  cache.assumePod(pod, "n1");
  cache.addPod({ ...pod, spec: { ...pod.spec!, nodeName: "n2" } });
  assert.ok(!cache.isAssumedPod(pod));
  const snapshot = cache.snapshot();
  assert.equal(snapshot.get("n1")?.pods.length, 0);
  assert.equal(snapshot.get("n2")?.requested.milliCpu, 1000);
  assert.throws(() => cache.forgetPod(pod), /Cannot forget pod "default\/web": it was not assumed/);
});

Deno.test("SchedulerCache updates and removes bound pods", () => {
  const cache = cacheWith("n1");
  const pod = testPod({ name: "web", nodeName: "n1", requests: { cpu: "1" } });
  cache.addPod(pod);
  const bigger = testPod({ name: "web", nodeName: "n1", requests: { cpu: "3" } });
  cache.updatePod(pod, bigger);
  assert.equal(cache.snapshot().get("n1")?.requested.milliCpu, 3000);
  cache.removePod(bigger);
  assert.equal(cache.snapshot().get("n1")?.requested.milliCpu, 0);
});

Deno.test("SchedulerCache refuses inconsistent pod events", async (t) => {
  const cases: { name: string; run: (c: SchedulerCache) => void; error: RegExp }[] = [
    {
      name: "assuming a pod twice",
      run: (c) => {
        c.assumePod(testPod({ name: "a" }), "n1");
        c.assumePod(testPod({ name: "a" }), "n1");
      },
      error: /Cannot assume pod "default\/a": it is already in the scheduler cache/,
    },
    {
      name: "adding a bound pod twice",
      run: (c) => {
        c.addPod(testPod({ name: "a", nodeName: "n1" }));
        c.addPod(testPod({ name: "a", nodeName: "n1" }));
      },
      error: /Cannot add pod "default\/a": it is already in the scheduler cache/,
    },
    {
      name: "updating an assumed pod",
      run: (c) => {
        c.assumePod(testPod({ name: "a" }), "n1");
        c.updatePod(testPod({ name: "a" }), testPod({ name: "a", nodeName: "n1" }));
      },
      error: /Cannot update pod "default\/a": it was not added/,
    },
    {
      name: "moving a bound pod",
      run: (c) => {
        c.addPod(testPod({ name: "a", nodeName: "n1" }));
        c.updatePod(testPod({ name: "a", nodeName: "n1" }), testPod({ name: "a", nodeName: "n2" }));
      },
      error: /it moved from node "n1" to "n2"/,
    },
    {
      name: "forgetting on another node",
      run: (c) => {
        c.assumePod(testPod({ name: "a" }), "n1");
        c.forgetPod(testPod({ name: "a", nodeName: "n2" }));
      },
      error: /it was assumed on node "n1", not "n2"/,
    },
    {
      name: "removing an unknown pod",
      run: (c) => c.removePod(testPod({ name: "a" })),
      error: /Cannot remove pod "default\/a": it is not in the scheduler cache/,
    },
    {
      name: "removing an unknown node",
      run: (c) => c.removeNode("nope"),
      error: /Cannot remove node "nope": it is not in the scheduler cache/,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.throws(() => c.run(cacheWith("n1", "n2")), c.error));
  }
});

Deno.test("SchedulerCache.snapshot() copies only the node infos that changed", () => {
  const names = Array.from({ length: 5000 }, (_, i) => `node-${i}`);
  const cache = cacheWith(...names);
  const first = cache.snapshot();
  assert.equal(first.numNodes, 5000);
  assert.equal(cache.snapshot(), first, "nothing changed: the same snapshot");

  cache.assumePod(testPod({ name: "p", requests: { cpu: "1" } }), "node-42");
  const second = cache.snapshot();
  assert.notEqual(second, first);
  assert.equal(second.index(), first.index(), "same nodes: the index is shared");
  let changed = 0;
  first.list().forEach((info, i) => {
    if (second.list()[i] !== info) changed++;
  });
  assert.equal(changed, 1);
  assert.equal(second.get("node-42")?.requested.milliCpu, 1000);
  assert.equal(first.get("node-42")?.requested.milliCpu, 0, "the older snapshot is unchanged");
  assert.ok(second.generation > first.generation);
});

Deno.test("SchedulerCache.snapshot() rebuilds the order when nodes come, go or change zone", () => {
  const cache = new SchedulerCache();
  const zoned = (name: string, zone: string) =>
    testNode({ name, labels: { "topology.kubernetes.io/zone": zone } });
  cache.addNode(zoned("a1", "a"));
  cache.addNode(zoned("a2", "a"));
  cache.addNode(zoned("b1", "b"));
  assert.deepEqual(cache.snapshot().list().map((n) => n.name), ["a1", "b1", "a2"]);
  cache.updateNode(zoned("a2", "b"));
  assert.deepEqual(cache.snapshot().list().map((n) => n.name), ["a1", "b1", "a2"]);
  cache.removeNode("a1");
  assert.deepEqual(cache.snapshot().list().map((n) => n.name), ["b1", "a2"]);
  assert.equal(cache.nodeCount, 2);
});

Deno.test("SchedulerCache keeps pods of a node it has not seen, or that was deleted", () => {
  const cache = new SchedulerCache();
  const pod = testPod({ name: "early", nodeName: "late", requests: { cpu: "1" } });
  cache.addPod(pod);
  assert.equal(cache.snapshot().numNodes, 0, "a node info without a Node is not schedulable");
  cache.addNode(testNode({ name: "late" }));
  assert.equal(cache.snapshot().get("late")?.requested.milliCpu, 1000);
  cache.removeNode("late");
  assert.equal(cache.snapshot().numNodes, 0);
  cache.addNode(testNode({ name: "late" }));
  assert.equal(cache.snapshot().get("late")?.pods.length, 1, "the pod was still counted");
  cache.removePod(pod);
  cache.removeNode("late");
  assert.equal(cache.snapshot().numNodes, 0);
  assert.equal(cache.podCount, 0);
});

Deno.test("SchedulerCache.snapshot() tracks affinity pods and image counts", () => {
  const cache = cacheWith("n1", "n2");
  const anti = testPod({
    name: "anti",
    nodeName: "n2",
    affinity: {
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "kubernetes.io/hostname" }],
      },
    },
  });
  cache.addPod(anti);
  let snapshot = cache.snapshot();
  assert.deepEqual(snapshot.havePodsWithRequiredAntiAffinityList().map((n) => n.name), ["n2"]);
  cache.removePod(anti);
  snapshot = cache.snapshot();
  assert.deepEqual(snapshot.havePodsWithAffinityList(), []);

  const image = { names: ["nginx:1.27"], sizeBytes: 1 };
  cache.updateNode(testNode({ name: "n1", images: [image] }));
  cache.updateNode(testNode({ name: "n2", images: [image] }));
  assert.equal(cache.snapshot().imageNumNodes("nginx:1.27"), 2);
  cache.removeNode("n2");
  assert.equal(cache.snapshot().imageNumNodes("nginx:1.27"), 1);
});

Deno.test("SchedulerCache.updateNode() with unchanged images keeps the image counts", () => {
  const cache = new SchedulerCache();
  const image = { names: ["nginx:1.27"], sizeBytes: 1 };
  cache.addNode(testNode({ name: "n1", images: [image] }));
  const before = cache.snapshot();
  cache.updateNode(testNode({ name: "n1", images: [{ ...image }], labels: { role: "edge" } }));
  const after = cache.snapshot();
  assert.equal(after.imageCounts(), before.imageCounts(), "no image change: the counts are shared");
  assert.equal(after.get("n1")?.node?.metadata?.labels?.["role"], "edge");
  cache.updateNode(testNode({ name: "n1", images: [{ names: ["nginx:1.28"], sizeBytes: 1 }] }));
  const changed = cache.snapshot();
  assert.equal(changed.imageNumNodes("nginx:1.27"), 0);
  assert.equal(changed.imageNumNodes("nginx:1.28"), 1);
});
