import { openDenoKvStorage } from "./deno_kv.ts";
import { runStorageConformance } from "./_conformance.ts";

runStorageConformance("DenoKvStorage", async () => {
  const dir = await Deno.makeTempDir({ prefix: "skiff-kv-" });
  let n = 0;
  return {
    open: () => openDenoKvStorage({ path: `${dir}/${n++}.kv` }),
    teardown: () => Deno.remove(dir, { recursive: true }),
  };
});

import assert from "node:assert/strict";
import { DenoKvStorage } from "./deno_kv.ts";

async function keysOf(path: string): Promise<string[]> {
  const kv = await Deno.openKv(path);
  try {
    const out: string[] = [];
    for await (const e of kv.list({ prefix: [] })) out.push(JSON.stringify(e.key));
    return out;
  } finally {
    kv.close();
  }
}

async function withFile(fn: (path: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "skiff-kv-" });
  try {
    await fn(`${dir}/state.kv`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function big(size: number, fill: number): Uint8Array {
  return new Uint8Array(size).fill(fill);
}

Deno.test("DenoKvStorage keeps revisions, values and the compacted revision across reopening", () =>
  withFile(async (path) => {
    let s = await openDenoKvStorage({ path });
    const a = await s.create("/registry/pods/default/a", big(10, 1));
    const b = await s.create("/registry/pods/default/b", big(300_000, 2));
    await s.update(a.key, big(20, 3), a.modRevision);
    await s.compact(b.modRevision);
    const rev = await s.currentRevision();
    await s.close();
    s = await openDenoKvStorage({ path });
    try {
      assert.equal(await s.currentRevision(), rev);
      assert.equal(await s.compactedRevision(), b.modRevision);
      assert.deepEqual((await s.get(b.key))?.value, big(300_000, 2));
      const c = await s.create("/registry/pods/default/c", big(1, 4));
      assert.ok(c.modRevision > rev);
    } finally {
      await s.close();
    }
  }));

Deno.test("DenoKvStorage compaction removes superseded rows, deletion rows and their chunks", () =>
  withFile(async (path) => {
    const s = await openDenoKvStorage({ path });
    try {
      const k = "/registry/configmaps/default/large";
      let kv = await s.create(k, big(200_000, 1));
      for (let i = 2; i < 5; i++) kv = await s.update(k, big(200_000, i), kv.modRevision);
      const gone = await s.create("/registry/configmaps/default/gone", big(900_000, 9));
      await s.delete(gone.key);
      const small = await s.create("/registry/configmaps/default/small", big(5, 5));
      await s.compact(await s.currentRevision());
      const keys = await keysOf(path);
      // Left: two index entries, the two live rows, the large value's 4 chunks, the markers.
      assert.equal(keys.filter((k) => k.startsWith('["o"')).length, 2);
      assert.equal(keys.filter((k) => k.startsWith('["l"')).length, 2);
      assert.equal(keys.filter((k) => k.startsWith('["x"')).length, 4);
      assert.deepEqual((await s.get(k))?.value, big(200_000, 4));
      assert.deepEqual((await s.get(small.key))?.value, big(5, 5));
    } finally {
      await s.close();
    }
  }));

Deno.test("DenoKvStorage recovery removes chunks of a large write a crash left uncommitted", () =>
  withFile(async (path) => {
    // Simulate the crash: chunks and their pending marker, no index entry or log row.
    const kv = await Deno.openKv(path);
    await kv.atomic().set(["p", "orphan"], true).set(["x", "orphan", 0], big(10, 1))
      .set(["x", "orphan", 1], big(10, 1)).commit();
    kv.close();
    const s = await openDenoKvStorage({ path });
    await s.close();
    assert.deepEqual(await keysOf(path), []);
  }));

Deno.test("DenoKvStorage recovery finishes a compaction sweep a crash interrupted", () =>
  withFile(async (path) => {
    let s = await openDenoKvStorage({ path });
    let kv = await s.create("/registry/leases/default/l", big(10, 0));
    for (let i = 1; i < 5; i++) kv = await s.update(kv.key, big(10, i), kv.modRevision);
    await s.close();
    // Simulate the crash: the compacted revision recorded, the sweep not done.
    const raw = await Deno.openKv(path);
    await raw.set(["m", "compacted"], kv.modRevision);
    raw.close();
    s = await openDenoKvStorage({ path });
    await s.close();
    // Left: the row at the compacted revision and the one before it, which that row's watch
    // event still reports as its previous value.
    const keys = await keysOf(path);
    assert.equal(keys.filter((k) => k.startsWith('["l"')).length, 2);
    assert.ok(keys.includes('["m","swept"]'));
  }));

Deno.test("DenoKvStorage stores a 1.5 MiB value over several commits and reads it back whole", () =>
  withFile(async (path) => {
    const s = await openDenoKvStorage({ path });
    try {
      const value = new Uint8Array(1_572_864).map((_, i) => (i * 7) & 0xff);
      const kv = await s.create("/registry/configmaps/default/max", value);
      assert.deepEqual((await s.get(kv.key))?.value, value);
      const keys = await keysOf(path);
      assert.equal(keys.filter((k) => k.startsWith('["p"')).length, 0);
      assert.equal(keys.filter((k) => k.startsWith('["x"')).length, 24);
      assert.ok(s instanceof DenoKvStorage);
    } finally {
      await s.close();
    }
  }));

Deno.test("DenoKvStorage watches replay history from the file after reopening and past the in-memory tail", () =>
  withFile(async (path) => {
    let s = await openDenoKvStorage({ path });
    const start = await s.currentRevision();
    const k = "/registry/leases/default/l";
    let kv = await s.create(k, big(4, 0));
    for (let i = 1; i < 2100; i++) kv = await s.update(k, big(4, i & 0xff), kv.modRevision);
    await s.delete(k);
    await s.close();
    s = await openDenoKvStorage({ path });
    try {
      const after = await s.create("/registry/leases/default/after", big(1, 1));
      const ac = new AbortController();
      const events = [];
      for await (const e of s.watch("/registry/leases/", start, ac.signal)) {
        events.push(e);
        if (events.length === 2102) break;
      }
      ac.abort();
      assert.equal(events[0]!.type, "created");
      assert.equal(events[1]!.type, "updated");
      assert.deepEqual(events[1]!.prevKv?.value, big(4, 0));
      assert.deepEqual(events[2099]!.kv.value, big(4, 2099 & 0xff));
      assert.equal(events[2100]!.type, "deleted");
      assert.deepEqual(events[2100]!.kv.value, big(4, 2099 & 0xff));
      assert.equal(events[2101]!.kv.modRevision, after.modRevision);
      for (let i = 1; i < events.length; i++) {
        assert.ok(events[i]!.kv.modRevision > events[i - 1]!.kv.modRevision);
      }
    } finally {
      await s.close();
    }
  }));

Deno.test("DenoKvStorage watches read rows the in-memory tail has dropped from the file", () =>
  withFile(async (path) => {
    const s = await openDenoKvStorage({ path });
    try {
      const start = await s.currentRevision();
      const revisions: number[] = [];
      for (let i = 0; i < 2300; i++) {
        revisions.push(
          (await s.create(`/registry/events/default/e${i}`, big(2, i & 0xff))).modRevision,
        );
      }
      const ac = new AbortController();
      const seen: number[] = [];
      for await (const e of s.watch("/registry/events/", start, ac.signal)) {
        seen.push(e.kv.modRevision);
        if (seen.length === revisions.length) break;
      }
      ac.abort();
      assert.deepEqual(seen, revisions);
    } finally {
      await s.close();
    }
  }));

Deno.test("DenoKvStorage lists in UTF-8 byte order also when writes raced the list", () =>
  withFile(async (path) => {
    const s = await openDenoKvStorage({ path });
    try {
      const p = "/registry/configmaps/order/";
      const emoji = await s.create(`${p}a\u{1F600}`, big(1, 1));
      const replacement = await s.create(`${p}a\uFFFD`, big(1, 2));
      const rev = await s.currentRevision();
      await s.update(emoji.key, big(1, 3), emoji.modRevision);
      await s.update(replacement.key, big(1, 4), replacement.modRevision);
      const now = (await s.list(p)).items.map((kv) => kv.key);
      const then = (await s.list(p, { revision: rev })).items.map((kv) => kv.key);
      assert.deepEqual(now, [replacement.key, emoji.key]); // U+FFFD is EF BF BD, U+1F600 F0 9F …
      assert.deepEqual(then, now);
    } finally {
      await s.close();
    }
  }));
