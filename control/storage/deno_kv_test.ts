import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { DenoKvStorage, openDenoKvStorage } from "./deno_kv.ts";
import { versionstampToRevision } from "./_deno_kv_layout.ts";
import { runStorageConformance } from "./_conformance.ts";
import { KeyExistsError, KeyNotFoundError, StorageUnavailableError } from "./errors.ts";
import { MemoryStorage } from "./memory.ts";
import type { KeyValue, ListResult, Storage } from "./types.ts";

runStorageConformance("DenoKvStorage", async () => {
  const dir = await Deno.makeTempDir({ prefix: "skiff-kv-" });
  let n = 0;
  return {
    open: () => openDenoKvStorage({ path: `${dir}/${n++}.kv` }),
    teardown: () => Deno.remove(dir, { recursive: true }),
  };
});

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
      // Left: the two live rows, the large value's 4 chunks, the markers.
      assert.equal(keys.filter((k) => k.startsWith('["o"')).length, 0);
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
    assert.deepEqual(await keysOf(path), ['["m","format"]']);
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

Deno.test("DenoKvStorage watchers sleep through writes to other prefixes, past the tail and a compaction", () =>
  withFile(async (path) => {
    const s = await openDenoKvStorage({ path });
    try {
      const ac = new AbortController();
      const pods = s.watch("/registry/pods/", await s.currentRevision(), ac.signal)
        [Symbol.asyncIterator]();
      const next = pods.next();
      // More writes elsewhere than the in-memory tail keeps, then history before them compacted.
      for (let i = 0; i < 2100; i++) await s.create(`/registry/events/default/e${i}`, big(2, 1));
      await s.compact(await s.currentRevision());
      const pod = await s.create("/registry/pods/default/web", big(4, 2));
      const got = await next;
      assert.equal(got.done, false);
      assert.equal(got.value?.kv.key, pod.key);
      assert.equal(got.value?.kv.modRevision, pod.modRevision);
      ac.abort();
      await pods.return?.();
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

/** A KV handle whose `failAt`-th commit from now (1 = the next) throws, once. */
function faultyKv(kv: Deno.Kv): { kv: Deno.Kv; failAt: (n: number) => void } {
  let countdown = 0;
  const wrapped = new Proxy(kv, {
    get(target, prop) {
      if (prop === "atomic") {
        return () => {
          const op = target.atomic();
          const commit = op.commit.bind(op);
          op.commit = () => {
            if (countdown > 0 && --countdown === 0) {
              return Promise.reject(new Error("Simulated disk failure"));
            }
            return commit();
          };
          return op;
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { kv: wrapped, failAt: (n) => countdown = n };
}

Deno.test("DenoKvStorage leaves everything as it was when a write's commit throws", () =>
  withFile(async (path) => {
    const raw = await Deno.openKv(path);
    const faulty = faultyKv(raw);
    const s = new DenoKvStorage(faulty.kv);
    await s.recover();
    try {
      const p = "/registry/configmaps/faults/";
      const a = await s.create(`${p}a`, big(10, 1));
      const from = await s.currentRevision();
      const attempts: [string, () => Promise<unknown>, number][] = [
        ["create", () => s.create(`${p}b`, big(10, 2)), 1],
        ["update", () => s.update(a.key, big(10, 3), a.modRevision), 1],
        ["delete", () => s.delete(a.key, a.modRevision), 1],
        // 24 chunks: two commits ahead, then the final one fails.
        ["large update", () => s.update(a.key, big(1_572_864, 4), a.modRevision), 3],
      ];
      for (const [what, write, failAt] of attempts) {
        faulty.failAt(failAt);
        await assert.rejects(write(), /Simulated disk failure/, what);
        assert.equal(await s.currentRevision(), from, what);
        assert.deepEqual(await s.get(a.key), a, what);
        assert.equal(await s.get(`${p}b`), null, what);
        assert.deepEqual((await s.list(p)).items, [a], what);
      }
      assert.deepEqual((await keysOf(path)).filter((k) => /^\["[px]"/.test(k)), []);
      // The key is writable again at the same revision, and watchers saw none of the failures.
      const watching = (async () => {
        for await (const e of s.watch(p, from, AbortSignal.timeout(5000))) return e;
        return undefined;
      })();
      const b = await s.create(`${p}b`, big(10, 5));
      const a2 = await s.update(a.key, big(10, 6), a.modRevision);
      assert.equal((await watching)?.kv.modRevision, b.modRevision);
      assert.deepEqual((await s.get(a.key))?.value, a2.value);
    } finally {
      await s.close();
    }
  }));

Deno.test("openDenoKvStorage() refuses a file another storage has open", () =>
  withFile(async (path) => {
    const first = await openDenoKvStorage({ path });
    await first.create("/registry/configmaps/default/a", big(1, 1));
    await assert.rejects(
      openDenoKvStorage({ path }),
      (err: unknown) =>
        err instanceof StorageUnavailableError && /another storage/.test(err.message),
    );
    assert.equal((await first.list("/registry/")).items.length, 1, "the first stays usable");
    await first.close();
    const second = await openDenoKvStorage({ path });
    try {
      assert.equal((await second.get("/registry/configmaps/default/a"))?.value[0], 1);
    } finally {
      await second.close();
    }
  }));

Deno.test("openDenoKvStorage() migrates a format 1 file and refuses a newer format", () =>
  withFile(async (path) => {
    // Format 1: each write set an index entry ["o", key] and its log row in one commit.
    const raw = await Deno.openKv(path);
    const k = "/registry/configmaps/default/old";
    const created = await raw.atomic()
      .set(["o", k], { c: 0, v: big(3, 1) })
      .set(["l", raw.commitVersionstamp()], { k, t: 0, c: 0, p: 0, v: big(3, 1) })
      .commit();
    assert.ok(created.ok);
    const rev1 = versionstampToRevision(created.versionstamp);
    const updated = await raw.atomic()
      .set(["o", k], { c: rev1, v: big(3, 2) })
      .set(["l", raw.commitVersionstamp()], { k, t: 1, c: rev1, p: rev1, v: big(3, 2) })
      .commit();
    assert.ok(updated.ok);
    raw.close();
    const s = await openDenoKvStorage({ path });
    try {
      const rev2 = versionstampToRevision(updated.versionstamp);
      assert.deepEqual(await s.get(k), {
        key: k,
        value: big(3, 2),
        createRevision: rev1,
        modRevision: rev2,
      });
      assert.deepEqual((await s.get(k, { revision: rev1 }))?.value, big(3, 1));
      await s.update(k, big(3, 3), rev2);
    } finally {
      await s.close();
    }
    const keys = await keysOf(path);
    assert.deepEqual(keys.filter((key) => key.startsWith('["o"')), []);
    assert.ok(keys.includes('["m","format"]'));

    const newer = await Deno.openKv(path);
    await newer.set(["m", "format"], 3);
    newer.close();
    await assert.rejects(
      openDenoKvStorage({ path }),
      (err: unknown) =>
        err instanceof StorageUnavailableError && /layout format 3, this skiff reads format 2/
          .test(err.message),
    );
  }));

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

/** Strips revisions, which differ between backends. */
function contents(kvs: readonly KeyValue[]): [string, number[]][] {
  return kvs.map((kv) => [kv.key, [...kv.value]]);
}

Deno.test("DenoKvStorage rebuilds the same state at open after creates, updates, deletes and compactions", () =>
  withFile(async (path) => {
    const next = random(12345);
    let s: Storage = await openDenoKvStorage({ path });
    const model = new MemoryStorage();
    const keys = Array.from({ length: 40 }, (_, i) => `/registry/pods/ns${i % 3}/p${i}`);
    const pastLists: [number, ListResult][] = [];
    try {
      for (let i = 0; i < 600; i++) {
        const key = keys[Math.floor(next() * keys.length)]!;
        const size = next() < 0.05 ? 70_000 : Math.floor(next() * 64);
        const value = big(size, i & 0xff);
        const [now, was] = [await s.get(key), await model.get(key)];
        assert.equal(now?.value.byteLength, was?.value.byteLength, key);
        if (!now) {
          await s.create(key, value);
          await model.create(key, value);
        } else if (next() < 0.2) {
          await s.delete(key, now.modRevision);
          await model.delete(key, was!.modRevision);
        } else {
          await s.update(key, value, now.modRevision);
          await model.update(key, value, was!.modRevision);
        }
        if (i % 150 === 149) await s.compact(await s.currentRevision() - 20);
        if (i % 100 === 50) {
          const revision = await s.currentRevision();
          pastLists.push([revision, await s.list("/registry/pods/", { revision })]);
        }
        if (i % 200 === 199) {
          await s.close();
          s = await openDenoKvStorage({ path });
        }
      }
      const compacted = await s.compactedRevision();
      for (const prefix of ["/registry/pods/", "/registry/pods/ns1/"]) {
        assert.deepEqual(
          contents((await s.list(prefix)).items),
          contents((await model.list(prefix)).items),
        );
      }
      const before = await s.list("/registry/");
      await s.close();
      s = await openDenoKvStorage({ path });
      assert.deepEqual(await s.list("/registry/"), before);
      for (const [revision, list] of pastLists) {
        if (revision < compacted) continue;
        assert.deepEqual(await s.list("/registry/pods/", { revision }), list, `at ${revision}`);
      }
    } finally {
      await s.close();
      await model.close();
    }
  }));

Deno.test("DenoKvStorage lists rows lying together or spread through the log alike", () =>
  withFile(async (path) => {
    const s = await openDenoKvStorage({ path });
    try {
      const p = "/registry/secrets/spread/";
      const kvs: KeyValue[] = [];
      // Rows written together (read as ranges), then rows each among four others (read by key).
      for (let i = 0; i < 60; i++) kvs.push(await s.create(`${p}a${i}`, big(8, i)));
      for (let i = 0; i < 60; i++) {
        kvs.push(await s.create(`${p}b${i}`, big(8, i)));
        for (let j = 0; j < 4; j++) await s.create(`/registry/other/ns/o${i}-${j}`, big(1, j));
      }
      const revision = await s.currentRevision();
      for (const [i, kv] of kvs.entries()) {
        if (i % 7 === 0) kvs[i] = await s.update(kv.key, big(8, 200), kv.modRevision);
      }
      await s.close();
      const reopened = await openDenoKvStorage({ path }); // nothing in the in-memory tail
      try {
        const byKey = (a: KeyValue, b: KeyValue) =>
          Buffer.compare(Buffer.from(a.key), Buffer.from(b.key));
        assert.deepEqual((await reopened.list(p)).items, kvs.toSorted(byKey));
        const then = await reopened.list(p, { revision });
        assert.equal(then.items.length, 120);
        assert.ok(then.items.every((kv) => kv.modRevision <= revision && kv.value[0]! < 200));
        const paged: KeyValue[] = [];
        let token: string | undefined;
        do {
          const page: ListResult = await reopened.list(p, {
            limit: 25,
            ...(token ? { continue: token } : {}),
          });
          paged.push(...page.items);
          token = page.continue;
        } while (token);
        assert.deepEqual(paged, kvs.toSorted(byKey));
        await assert.rejects(reopened.update(`${p}missing`, big(1, 1), 1), KeyNotFoundError);
      } finally {
        await reopened.close();
      }
    } finally {
      await s.close();
    }
  }));

Deno.test("DenoKvStorage lets exactly one of racing creates win and orders racing writes to a key", () =>
  withFile(async (path) => {
    const s = await openDenoKvStorage({ path });
    try {
      const key = "/registry/leases/kube-system/race";
      const creates = await Promise.allSettled(
        Array.from({ length: 16 }, (_, i) => s.create(key, big(4, i))),
      );
      const won = creates.filter((r) => r.status === "fulfilled");
      assert.equal(won.length, 1);
      for (const r of creates) {
        if (r.status === "rejected") {
          assert.ok(r.reason instanceof KeyExistsError, String(r.reason));
        }
      }
      const kv = (won[0] as PromiseFulfilledResult<KeyValue>).value;
      // A guarded delete and a guarded update at the same revision: the first submitted wins.
      const [deleted, updated] = await Promise.allSettled([
        s.delete(key, kv.modRevision),
        s.update(key, big(4, 99), kv.modRevision),
      ]);
      assert.equal(deleted.status, "fulfilled");
      assert.equal(updated.status, "rejected");
      assert.ok((updated as PromiseRejectedResult).reason instanceof KeyNotFoundError);
      assert.equal(await s.get(key), null);
      const again = await s.create(key, big(4, 7));
      assert.ok(again.createRevision > kv.modRevision);
    } finally {
      await s.close();
    }
  }));
