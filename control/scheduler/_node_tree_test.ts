import assert from "node:assert/strict";
import { NodeTree, zoneKey } from "./_node_tree.ts";
import { testNode } from "./_testing.ts";

function zoned(name: string, zone: string) {
  return testNode({ name, labels: { "topology.kubernetes.io/zone": zone } });
}

Deno.test("NodeTree.list() interleaves nodes round-robin across zones", () => {
  const tree = new NodeTree();
  for (
    const [name, zone] of [["a1", "a"], ["a2", "a"], ["a3", "a"], ["b1", "b"], ["c1", "c"], [
      "b2",
      "b",
    ]]
  ) {
    tree.add(zoned(name!, zone!));
  }
  assert.deepEqual(tree.list(), ["a1", "b1", "c1", "a2", "b2", "a3"]);
  assert.equal(tree.size, 6);
});

Deno.test("NodeTree.add() moves a node whose zone changed; remove() drops empty zones", () => {
  const tree = new NodeTree();
  assert.ok(tree.add(zoned("n1", "a")));
  assert.ok(!tree.add(zoned("n1", "a")), "same zone: no change");
  assert.ok(tree.add(zoned("n2", "b")));
  assert.ok(tree.add(zoned("n1", "b")), "zone changed");
  assert.deepEqual(tree.list(), ["n2", "n1"]);
  assert.ok(tree.remove("n2"));
  assert.ok(!tree.remove("n2"));
  assert.deepEqual(tree.list(), ["n1"]);
});

Deno.test("zoneKey() reads the stable labels, then the beta ones", () => {
  assert.equal(zoneKey(testNode()), "");
  assert.equal(
    zoneKey(testNode({
      labels: { "topology.kubernetes.io/region": "r", "topology.kubernetes.io/zone": "z" },
    })),
    "r:\x00:z",
  );
  assert.equal(
    zoneKey(testNode({ labels: { "failure-domain.beta.kubernetes.io/zone": "old" } })),
    ":\x00:old",
  );
});
