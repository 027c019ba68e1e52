import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { compareUtf8, type DirectoryEntry, KeyDirectory } from "./_deno_kv_directory.ts";

function byBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

function entry(revision: number): DirectoryEntry {
  return { modRevision: revision, createRevision: revision };
}

/** A deterministic pseudo-random sequence (xorshift32). */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

Deno.test("compareUtf8() orders strings by their UTF-8 bytes", async (t) => {
  const cases: [string, string][] = [
    ["a", "b"],
    ["a", "ab"],
    ["", "a"],
    ["Z", "a"],
    ["a\uFFFD", "a\u{1F600}"], // EF BF BD < F0 9F 98 80, though U+FFFD > U+D83D in UTF-16
    ["a\uE000", "a\u{10000}"],
    ["\u{1F600}", "\u{1F601}"],
    ["ünï", "名前"],
    ["/registry/pods/a", "/registry/pods/a-b"],
  ];
  for (const [a, b] of cases) {
    await t.step(`${JSON.stringify(a)} < ${JSON.stringify(b)}`, () => {
      assert.equal(Math.sign(compareUtf8(a, b)), Math.sign(byBytes(a, b)));
      assert.ok(compareUtf8(a, b) < 0);
      assert.ok(compareUtf8(b, a) > 0);
      assert.equal(compareUtf8(a, a), 0);
    });
  }
});

Deno.test("KeyDirectory keeps keys in UTF-8 order through sets and deletes", () => {
  const next = random(7);
  const alphabet = ["a", "b", "z", "-", ".", "0", "é", "名", "\uFFFD", "\u{1F600}"];
  const model = new Map<string, DirectoryEntry>();
  const directory = new KeyDirectory();
  for (let i = 0; i < 6000; i++) {
    let name = "";
    for (let n = 1 + Math.floor(next() * 4); n > 0; n--) {
      name += alphabet[Math.floor(next() * alphabet.length)];
    }
    const key = `/registry/pods/ns/${name}`;
    if (next() < 0.3) {
      assert.equal(directory.delete(key), model.delete(key));
    } else {
      model.set(key, entry(i));
      directory.set(key, entry(i));
    }
  }
  assert.ok(model.size > 1000, "enough keys to split blocks");
  const sorted = [...model.keys()].sort(byBytes);
  assert.equal(directory.size, model.size);
  assert.deepEqual(directory.range("/registry/", "/registry0", 0).map(([k]) => k), sorted);
  assert.deepEqual(
    directory.range("/registry/", "/registry0", 0).map(([, e]) => e),
    sorted.map((k) => model.get(k)),
  );
  assert.deepEqual(
    KeyDirectory.from(new Map(model)).range("/registry/", "/registry0", 0),
    directory.range("/registry/", "/registry0", 0),
  );
  for (const key of sorted) assert.deepEqual(directory.get(key), model.get(key));
});

Deno.test("KeyDirectory.range() starts at a key, stops before the end and at the limit", async (t) => {
  const keys = Array.from(
    { length: 1500 },
    (_, i) => `/registry/cm/ns/k${String(i).padStart(4, "0")}`,
  );
  const directory = KeyDirectory.from(new Map(keys.map((k, i) => [k, entry(i + 1)])));
  const cases: { name: string; start: string; end: string; limit: number; want: string[] }[] = [
    { name: "all", start: "/registry/", end: "/registry0", limit: 0, want: keys },
    { name: "from a key", start: keys[700]!, end: "/registry0", limit: 0, want: keys.slice(700) },
    {
      name: "from between keys",
      start: keys[700]! + "\u0000",
      end: "/registry0",
      limit: 3,
      want: keys.slice(701, 704),
    },
    { name: "to an end", start: "/registry/", end: keys[513]!, limit: 0, want: keys.slice(0, 513) },
    { name: "limit", start: "/registry/", end: "/registry0", limit: 600, want: keys.slice(0, 600) },
    { name: "before every key", start: "/a/", end: "/a0", limit: 0, want: [] },
    { name: "after every key", start: "/registry/cm/ns0", end: "/registry0", limit: 0, want: [] },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.deepEqual(directory.range(c.start, c.end, c.limit).map(([k]) => k), c.want);
    });
  }
  assert.deepEqual(new KeyDirectory().range("/registry/", "/registry0", 0), []);
});

Deno.test("KeyDirectory.set() replaces the entry of a known key without duplicating it", () => {
  const directory = new KeyDirectory();
  directory.set("/registry/cm/ns/a", entry(1));
  directory.set("/registry/cm/ns/a", entry(5));
  assert.equal(directory.size, 1);
  assert.deepEqual(directory.range("/registry/", "/registry0", 0), [[
    "/registry/cm/ns/a",
    entry(5),
  ]]);
  assert.equal(directory.delete("/registry/cm/ns/a"), true);
  assert.equal(directory.delete("/registry/cm/ns/a"), false);
  assert.equal(directory.get("/registry/cm/ns/a"), undefined);
  assert.deepEqual(directory.range("/registry/", "/registry0", 0), []);
});
