import assert from "node:assert/strict";
import {
  type AllocationNode,
  InspectorClient,
  summarizeHeapSnapshot,
  topAllocations,
  topSelfTime,
} from "./_inspector_client.ts";

Deno.test("summarizeHeapSnapshot() sums self sizes by type, objects by constructor", () => {
  const snapshot = {
    snapshot: {
      meta: {
        "node_fields": ["type", "name", "id", "self_size", "edge_count"],
        "node_types": [["hidden", "array", "string", "object", "code"]],
      },
    },
    // type, name, id, self_size, edge_count
    nodes: [
      2,
      0,
      1,
      100,
      0, // string "src"
      2,
      0,
      2,
      50,
      0, // string "src"
      3,
      1,
      3,
      40,
      0, // object Foo
      3,
      1,
      4,
      40,
      0, // object Foo
      4,
      2,
      5,
      30,
      0, // code
    ],
    strings: ["src", "Foo", "f"],
  };
  const got = summarizeHeapSnapshot(snapshot, 2);
  assert.equal(got.total, 260);
  assert.deepEqual(got.shares, [
    { what: "string", bytes: 150, count: 2 },
    { what: "object Foo", bytes: 80, count: 2 },
  ]);
});

Deno.test("topSelfTime() adds each function's sample time, largest first", () => {
  const frame = (functionName: string, url = "") => ({ functionName, url, lineNumber: 9 });
  const got = topSelfTime({
    nodes: [
      { id: 1, callFrame: frame("(idle)") },
      { id: 2, callFrame: frame("sync", "file:///work/main/node/kubelet/pod_workers.ts") },
      { id: 3, callFrame: frame("") },
    ],
    samples: [1, 2, 2, 3, 1, 1],
    timeDeltas: [10, 5, 5, 1, 10, 10],
  }, 2);
  assert.equal(got.totalUs, 41);
  assert.deepEqual(got.rows, [
    { what: "(idle)", us: 30 },
    { what: "sync node/kubelet/pod_workers.ts:10", us: 10 },
  ]);
});

Deno.test("topAllocations() sums bytes by function, self and with callees, once per stack", () => {
  const frame = (functionName: string) => ({ functionName, url: "", lineNumber: 0 });
  const node = (name: string, selfSize: number, children: AllocationNode[] = []) => ({
    callFrame: frame(name),
    selfSize,
    children,
  });
  const got = topAllocations(
    node("(root)", 0, [
      node("serve", 10, [node("parse", 100), node("serve", 5, [node("parse", 20)])]),
      node("gc", 1),
    ]),
    3,
  );
  assert.equal(got.totalBytes, 136);
  assert.deepEqual(got.rows, [
    { what: "parse", self: 120, total: 120 },
    { what: "serve", self: 15, total: 135 },
    { what: "gc", self: 1, total: 1 },
  ]);
});

Deno.test("InspectorClient evaluates, collects garbage and profiles in another Deno process", async () => {
  const dir = await Deno.makeTempDir({ prefix: "skiff-inspector-test-" });
  const script = `${dir}/idle.ts`;
  await Deno.writeTextFile(
    script,
    "globalThis.kept = 'x'.repeat(1000); setInterval(() => {}, 1000);\n",
  );
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", `--inspect=127.0.0.1:${port}`, script],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const client = await InspectorClient.connect(port, 10_000);
  try {
    assert.equal(await client.evaluate("globalThis.kept.length"), 1000);
    const heap = await client.heapAfterGc();
    assert.ok(heap.heapUsed > 0 && heap.heapUsed <= heap.heapTotal);
    await client.startProfile(1000);
    await client.evaluate("new Promise((r) => setTimeout(r, 50))");
    const profile = await client.stopProfile();
    assert.ok(profile.samples.length > 0);
    await client.startAllocationSampling(64);
    await client.evaluate("globalThis.more = Array.from({ length: 1000 }, (_, i) => ({ i }))");
    const allocations = topAllocations(await client.stopAllocationSampling(), 5);
    assert.ok(allocations.totalBytes > 0);
    const { total, shares } = summarizeHeapSnapshot(JSON.parse(await client.heapSnapshot()), 3);
    assert.ok(total > 0);
    assert.equal(shares.length, 3);
  } finally {
    client.close();
    child.kill("SIGKILL");
    await child.status;
    await Deno.remove(dir, { recursive: true });
  }
});
