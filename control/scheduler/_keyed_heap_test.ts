import assert from "node:assert/strict";
import { KeyedHeap } from "./_keyed_heap.ts";

interface Item {
  readonly key: string;
  readonly rank: number;
}

function heap(): KeyedHeap<Item> {
  return new KeyedHeap<Item>({ key: (i) => i.key, less: (a, b) => a.rank < b.rank });
}

function drain(h: KeyedHeap<Item>): string[] {
  const out: string[] = [];
  for (let i = h.pop(); i !== undefined; i = h.pop()) out.push(i.key);
  return out;
}

Deno.test("KeyedHeap pops in less order, one item per key", async (t) => {
  const cases: { name: string; ops: (h: KeyedHeap<Item>) => void; want: string[] }[] = [
    {
      name: "plain pushes",
      ops: (h) => [5, 1, 4, 2, 3].forEach((r) => h.push({ key: `k${r}`, rank: r })),
      want: ["k1", "k2", "k3", "k4", "k5"],
    },
    {
      name: "a push with a known key replaces and reorders",
      ops: (h) => {
        h.push({ key: "a", rank: 1 });
        h.push({ key: "b", rank: 2 });
        h.push({ key: "a", rank: 3 });
      },
      want: ["b", "a"],
    },
    {
      name: "delete by key from the middle",
      ops: (h) => {
        for (let r = 0; r < 8; r++) h.push({ key: `k${r}`, rank: r });
        assert.equal(h.delete("k3")?.rank, 3);
        assert.equal(h.delete("k0")?.rank, 0);
        assert.equal(h.delete("nope"), undefined);
      },
      want: ["k1", "k2", "k4", "k5", "k6", "k7"],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const h = heap();
      c.ops(h);
      assert.equal(h.size, c.want.length);
      assert.deepEqual(drain(h), c.want);
      assert.equal(h.size, 0);
    });
  }
});

Deno.test("KeyedHeap stays ordered through a long run of mixed operations", () => {
  const h = heap();
  const model = new Map<string, number>();
  let seed = 7;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  for (let step = 0; step < 2000; step++) {
    const key = `k${rand(50)}`;
    if (rand(3) === 0) {
      assert.equal(h.delete(key)?.rank, model.get(key));
      model.delete(key);
    } else {
      const rank = rand(1000);
      h.push({ key, rank });
      model.set(key, rank);
    }
    assert.equal(h.size, model.size);
    assert.equal(h.peek()?.rank, model.size === 0 ? undefined : Math.min(...model.values()));
  }
  const ranks = drain(h).map((k) => model.get(k)!);
  assert.deepEqual(ranks, [...model.values()].sort((a, b) => a - b));
});

Deno.test("KeyedHeap.get(), has(), sorted() and clear() read without popping", () => {
  const h = heap();
  h.push({ key: "b", rank: 2 });
  h.push({ key: "a", rank: 1 });
  assert.ok(h.has("a"));
  assert.equal(h.get("b")?.rank, 2);
  assert.equal(h.get("c"), undefined);
  assert.deepEqual(h.sorted().map((i) => i.key), ["a", "b"]);
  assert.equal(h.values().length, 2);
  h.clear();
  assert.equal(h.size, 0);
  assert.equal(h.peek(), undefined);
  assert.ok(!h.has("a"));
});
