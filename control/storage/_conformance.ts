/**
 * The behaviour every {@linkcode Storage} backend must show, as one shared suite
 * (Kubernetes' `storage/testing/store_tests.go` idea). Each backend's test file calls
 * {@linkcode runStorageConformance} once.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import {
  CompactedError,
  ConflictError,
  FutureRevisionError,
  InvalidInputError,
  KeyExistsError,
  KeyNotFoundError,
} from "./errors.ts";
import { guaranteedUpdate } from "./guaranteed_update.ts";
import type { KeyValue, Storage, WatchEvent } from "./types.ts";

/** What a backend's test gives the suite. */
export interface ConformanceHarness {
  /** Opens a fresh, empty store; the suite closes it. */
  open(): Promise<Storage>;
  /** Releases what the harness started (an etcd process, a temp dir). */
  teardown(): Promise<void>;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
function bytes(s: string): Uint8Array {
  return enc.encode(s);
}
function text(kv: KeyValue | null | undefined): string | undefined {
  return kv ? dec.decode(kv.value) : undefined;
}

function pattern(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed | 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

async function collect(
  storage: Storage,
  prefix: string,
  fromRevision: number,
  count: number,
): Promise<WatchEvent[]> {
  const ac = new AbortController();
  const events: WatchEvent[] = [];
  const timer = setTimeout(() => ac.abort(), 20_000);
  try {
    for await (const event of storage.watch(prefix, fromRevision, ac.signal)) {
      events.push(event);
      if (events.length === count) break;
    }
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
  return events;
}

type Case = [name: string, fn: (s: Storage) => Promise<void>];

const cases: Case[] = [
  ["create() stores a key at a new revision and get() reads it back", async (s) => {
    const before = await s.currentRevision();
    const kv = await s.create("/registry/configmaps/default/a", bytes("one"));
    assert.ok(kv.modRevision > before);
    assert.equal(kv.createRevision, kv.modRevision);
    assert.equal(await s.currentRevision(), kv.modRevision);
    const read = await s.get("/registry/configmaps/default/a");
    assert.deepEqual(read, kv);
    assert.equal(await s.get("/registry/configmaps/default/missing"), null);
  }],
  ["create() refuses an existing key with KeyExistsError and changes nothing", async (s) => {
    const kv = await s.create("/registry/configmaps/default/a", bytes("one"));
    await assert.rejects(s.create("/registry/configmaps/default/a", bytes("two")), KeyExistsError);
    assert.deepEqual(await s.get("/registry/configmaps/default/a"), kv);
    assert.equal(await s.currentRevision(), kv.modRevision);
  }],
  ["update() succeeds at the expected revision and keeps createRevision", async (s) => {
    const a = await s.create("/registry/configmaps/default/a", bytes("one"));
    const b = await s.update("/registry/configmaps/default/a", bytes("two"), a.modRevision);
    assert.ok(b.modRevision > a.modRevision);
    assert.equal(b.createRevision, a.createRevision);
    assert.equal(text(await s.get("/registry/configmaps/default/a")), "two");
  }],
  [
    "update() at a stale revision fails with ConflictError carrying the current revision",
    async (s) => {
      const a = await s.create("/registry/configmaps/default/a", bytes("one"));
      const b = await s.update("/registry/configmaps/default/a", bytes("two"), a.modRevision);
      const err = await s.update("/registry/configmaps/default/a", bytes("three"), a.modRevision)
        .then(() => null, (e: unknown) => e);
      assert.ok(err instanceof ConflictError, String(err));
      assert.equal(err.currentRevision, b.modRevision);
      assert.equal(text(await s.get("/registry/configmaps/default/a")), "two");
      await assert.rejects(
        s.update("/registry/configmaps/default/nope", bytes("x"), a.modRevision),
        KeyNotFoundError,
      );
    },
  ],
  [
    "delete() returns the last value at the deletion's revision; guarded deletes conflict",
    async (s) => {
      const a = await s.create("/registry/configmaps/default/a", bytes("one"));
      const err = await s.delete("/registry/configmaps/default/a", a.modRevision + 1000)
        .then(() => null, (e: unknown) => e);
      assert.ok(err instanceof ConflictError, String(err));
      assert.equal(err.currentRevision, a.modRevision);
      const d = await s.delete("/registry/configmaps/default/a", a.modRevision);
      assert.equal(text(d), "one");
      assert.ok(d.modRevision > a.modRevision);
      assert.equal(d.createRevision, a.createRevision);
      assert.equal(await s.currentRevision(), d.modRevision);
      assert.equal(await s.get("/registry/configmaps/default/a"), null);
      await assert.rejects(s.delete("/registry/configmaps/default/a"), KeyNotFoundError);
      const again = await s.create("/registry/configmaps/default/a", bytes("new"));
      assert.ok(again.createRevision > d.modRevision);
    },
  ],
  ["get() at a revision reads the value as it was then", async (s) => {
    const k = "/registry/configmaps/default/h";
    await s.create("/registry/configmaps/default/before", bytes("b"));
    const v1 = await s.create(k, bytes("v1"));
    const v2 = await s.update(k, bytes("v2"), v1.modRevision);
    await s.create("/registry/configmaps/default/other", bytes("x"));
    const d = await s.delete(k);
    const v3 = await s.create(k, bytes("v3"));
    assert.equal(text(await s.get(k, { revision: v1.modRevision })), "v1");
    assert.equal(text(await s.get(k, { revision: v2.modRevision })), "v2");
    assert.equal(text(await s.get(k, { revision: d.modRevision - 1 })), "v2");
    assert.equal(await s.get(k, { revision: d.modRevision }), null);
    assert.equal(text(await s.get(k, { revision: v3.modRevision })), "v3");
    assert.equal(await s.get(k, { revision: v1.modRevision - 1 }), null);
    const gone = "/registry/configmaps/default/gone";
    const g = await s.create(gone, bytes("g"));
    await s.delete(gone);
    assert.equal(text(await s.get(gone, { revision: g.modRevision })), "g");
  }],
  ["get() and list() refuse a revision in the future with FutureRevisionError", async (s) => {
    const a = await s.create("/registry/configmaps/default/a", bytes("one"));
    await assert.rejects(s.get(a.key, { revision: a.modRevision + 1000 }), FutureRevisionError);
    await assert.rejects(
      s.list("/registry/configmaps/", { revision: a.modRevision + 1000 }),
      FutureRevisionError,
    );
    await assert.rejects(s.compact(a.modRevision + 1000), FutureRevisionError);
  }],
  [
    "list() returns only keys under the prefix, in byte order, with the list revision",
    async (s) => {
      const names = ["b", "a", "a.b", "a-b", "ab", "system:controller:x", "Z", "0"];
      for (const n of names) await s.create(`/registry/configmaps/ns1/${n}`, bytes(n));
      await s.create("/registry/configmaps/ns10/a", bytes("other ns"));
      await s.create("/registry/configmaps/ns/a", bytes("other ns"));
      await s.create("/registry/configmapsx/ns1/a", bytes("other resource"));
      const list = await s.list("/registry/configmaps/ns1/");
      const expected = names.map((n) => `/registry/configmaps/ns1/${n}`).sort((x, y) =>
        Buffer.compare(Buffer.from(x), Buffer.from(y))
      );
      assert.deepEqual(list.items.map((kv) => kv.key), expected);
      assert.equal(list.revision, await s.currentRevision());
      assert.equal(list.continue, undefined);
      assert.equal((await s.list("/registry/configmaps/")).items.length, names.length + 2);
      assert.equal((await s.list("/registry/")).items.length, names.length + 3);
      assert.deepEqual((await s.list("/registry/secrets/")).items, []);
    },
  ],
  [
    "list() pages with limit and continue at one consistent revision while writes go on",
    async (s) => {
      const p = "/registry/pods/default/";
      for (let i = 0; i < 25; i++) {
        await s.create(
          `${p}p${String(i).padStart(3, "0")}`,
          bytes(`v${i}`),
        );
      }
      const first = await s.list(p, { limit: 10 });
      assert.equal(first.items.length, 10);
      assert.ok(first.continue);
      const snapshot = first.revision;
      // Writes between pages: updates, deletes and creates on both sides of the cursor.
      const p12 = await s.get(`${p}p012`);
      await s.update(`${p}p012`, bytes("changed"), p12!.modRevision);
      await s.delete(`${p}p015`);
      await s.delete(`${p}p003`);
      await s.create(`${p}p0125`, bytes("new"));
      await s.create(`${p}p999`, bytes("new"));
      const second = await s.list(p, { limit: 10, continue: first.continue });
      assert.equal(second.revision, snapshot);
      const third = await s.list(p, { limit: 10, continue: second.continue! });
      assert.equal(third.revision, snapshot);
      assert.equal(third.continue, undefined);
      const all = [...first.items, ...second.items, ...third.items];
      assert.deepEqual(
        all.map((kv) => [kv.key, text(kv)]),
        Array.from({ length: 25 }, (_, i) => [`${p}p${String(i).padStart(3, "0")}`, `v${i}`]),
      );
      assert.ok(all.every((kv) => kv.modRevision <= snapshot));
      const now = await s.list(p);
      assert.equal(now.items.length, 25 - 2 + 2);
      assert.equal(text(now.items.find((kv) => kv.key === `${p}p012`)), "changed");
    },
  ],
  ["list() at a past revision returns the state of that revision", async (s) => {
    const p = "/registry/secrets/kube-system/";
    const a = await s.create(`${p}a`, bytes("a1"));
    await s.create(`${p}b`, bytes("b1"));
    const rev = await s.currentRevision();
    await s.update(`${p}a`, bytes("a2"), a.modRevision);
    await s.delete(`${p}b`);
    await s.create(`${p}c`, bytes("c1"));
    const past = await s.list(p, { revision: rev });
    assert.equal(past.revision, rev);
    assert.deepEqual(past.items.map((kv) => [kv.key, text(kv)]), [[`${p}a`, "a1"], [
      `${p}b`,
      "b1",
    ]]);
    const paged = await s.list(p, { revision: rev, limit: 1 });
    assert.deepEqual(paged.items.map(text), ["a1"]);
    const rest = await s.list(p, { continue: paged.continue!, limit: 1 });
    assert.deepEqual(rest.items.map(text), ["b1"]);
  }],
  ["list() refuses a malformed continue token and one from another prefix", async (s) => {
    await s.create("/registry/pods/default/a", bytes("a"));
    await s.create("/registry/pods/default/b", bytes("b"));
    const page = await s.list("/registry/pods/default/", { limit: 1 });
    await assert.rejects(
      s.list("/registry/pods/default/", { continue: "garbage!" }),
      InvalidInputError,
    );
    await assert.rejects(
      s.list("/registry/secrets/default/", { continue: page.continue! }),
      InvalidInputError,
    );
  }],
  [
    "values from 0 bytes to 1.5 MiB round-trip byte for byte, through create, update and list",
    async (s) => {
      const sizes = [0, 1, 1023, 65535, 65536, 65537, 200_000, 819_200, 1_000_000, 1_572_864];
      const p = "/registry/configmaps/sizes/";
      const created: KeyValue[] = [];
      for (const [i, size] of sizes.entries()) {
        const kv = await s.create(`${p}s${String(i).padStart(2, "0")}`, pattern(size, i + 1));
        created.push(kv);
        const read = await s.get(kv.key);
        assert.equal(read?.value.byteLength, size, `size ${size}`);
        assert.deepEqual(read?.value, pattern(size, i + 1), `size ${size}`);
      }
      const listed = await s.list(p);
      assert.deepEqual(listed.items.map((kv) => kv.value.byteLength), sizes);
      for (const [i, kv] of created.entries()) {
        const size = sizes[sizes.length - 1 - i]!;
        const updated = await s.update(kv.key, pattern(size, 99 + i), kv.modRevision);
        assert.deepEqual((await s.get(kv.key))?.value, pattern(size, 99 + i), `update to ${size}`);
        assert.deepEqual(
          (await s.get(kv.key, { revision: kv.modRevision }))?.value,
          pattern(sizes[i]!, i + 1),
          `old version of size ${sizes[i]}`,
        );
        await s.delete(kv.key, updated.modRevision);
      }
      assert.deepEqual((await s.list(p)).items, []);
    },
  ],
  ["keys with any Kubernetes-legal name work", async (s) => {
    const names = [
      "a",
      "x".repeat(253),
      "system:controller:replicaset-controller",
      "kube-root-ca.crt",
      "user@example.com",
      "name_with_underscore",
      "CAPS~and+plus=eq",
      "ünïcödé-名前",
      "sha256:0123456789abcdef",
    ];
    for (const [i, name] of names.entries()) {
      const key = `/registry/rbac.authorization.k8s.io/clusterroles/${name}`;
      await s.create(key, bytes(String(i)));
      assert.equal(text(await s.get(key)), String(i), name);
    }
    const nsKey = `/registry/pods/${"n".repeat(63)}/${"p".repeat(253)}`;
    await s.create(nsKey, bytes("long"));
    assert.equal(text(await s.get(nsKey)), "long");
    const listed = await s.list("/registry/rbac.authorization.k8s.io/clusterroles/");
    assert.equal(listed.items.length, names.length);
  }],
  ["bad input is refused with InvalidInputError and nothing is stored", async (s) => {
    const before = await s.currentRevision();
    const badKeys = [
      "",
      "pods/default/a",
      "/registry",
      "/registry/",
      "/registry/pods",
      "/registry/pods/",
      "/registry/pods//a",
      "/registry/pods/default/a/",
      "/registry/pods/../a",
      "/other/pods/default/a",
      "/registry/pods/default/a\u0000b",
      `/registry/pods/default/${"x".repeat(2000)}`,
    ];
    for (const key of badKeys) {
      await assert.rejects(s.create(key, bytes("x")), InvalidInputError, JSON.stringify(key));
      await assert.rejects(s.get(key), InvalidInputError, JSON.stringify(key));
      await assert.rejects(s.update(key, bytes("x"), 1), InvalidInputError, JSON.stringify(key));
      await assert.rejects(s.delete(key), InvalidInputError, JSON.stringify(key));
    }
    for (const prefix of ["", "/registry/pods", "/pods/", "/registry//"]) {
      await assert.rejects(s.list(prefix), InvalidInputError, JSON.stringify(prefix));
      await assert.rejects(
        (async () => {
          for await (const _ of s.watch(prefix, 0, AbortSignal.timeout(1000))) break;
        })(),
        InvalidInputError,
      );
    }
    await assert.rejects(
      s.create("/registry/pods/default/a", "text" as unknown as Uint8Array),
      InvalidInputError,
    );
    await assert.rejects(
      s.create("/registry/pods/default/a", new Uint8Array(1_572_865)),
      InvalidInputError,
    );
    await assert.rejects(s.get("/registry/pods/default/a", { revision: -1 }), InvalidInputError);
    await assert.rejects(s.list("/registry/pods/", { limit: 1.5 }), InvalidInputError);
    assert.equal(await s.currentRevision(), before);
    assert.deepEqual((await s.list("/registry/")).items, []);
  }],
  [
    "watch() delivers every change after the revision, once, in order, with types and previous values",
    async (s) => {
      const start = await s.currentRevision();
      const watching = collect(s, "/registry/configmaps/w/", start, 5);
      const a = await s.create("/registry/configmaps/w/a", bytes("a1"));
      await s.create("/registry/configmaps/other/a", bytes("not watched"));
      const a2 = await s.update("/registry/configmaps/w/a", bytes("a2"), a.modRevision);
      const b = await s.create("/registry/configmaps/w/b", bytes("b1"));
      const d = await s.delete("/registry/configmaps/w/a");
      const b2 = await s.update("/registry/configmaps/w/b", bytes("b2"), b.modRevision);
      const events = await watching;
      assert.deepEqual(
        events.map((e) => [e.type, e.kv.key, text(e.kv), e.kv.modRevision, text(e.prevKv)]),
        [
          ["created", a.key, "a1", a.modRevision, undefined],
          ["updated", a.key, "a2", a2.modRevision, "a1"],
          ["created", b.key, "b1", b.modRevision, undefined],
          ["deleted", a.key, "a2", d.modRevision, "a2"],
          ["updated", b.key, "b2", b2.modRevision, "b1"],
        ],
      );
      assert.equal(events[1]!.prevKv!.modRevision, a.modRevision);
      assert.equal(events[3]!.prevKv!.modRevision, a2.modRevision);
      assert.equal(events[1]!.kv.createRevision, a.createRevision);
      // Replay from the middle of history.
      const replay = await collect(s, "/registry/configmaps/w/", a2.modRevision, 3);
      assert.deepEqual(replay.map((e) => e.kv.modRevision), [
        b.modRevision,
        d.modRevision,
        b2.modRevision,
      ]);
    },
  ],
  [
    "watch() sees every write of many concurrent writers exactly once, in revision order",
    async (s) => {
      const writers = 8;
      const perWriter = 40;
      const start = await s.currentRevision();
      const watching = collect(s, "/registry/leases/", start, writers * perWriter);
      const acknowledged: number[] = [];
      await Promise.all(Array.from({ length: writers }, async (_, w) => {
        const key = `/registry/leases/ns/w${w}`;
        let kv = await s.create(key, bytes("0"));
        acknowledged.push(kv.modRevision);
        for (let i = 1; i < perWriter; i++) {
          kv = await s.update(key, bytes(String(i)), kv.modRevision);
          acknowledged.push(kv.modRevision);
        }
      }));
      const events = await watching;
      const revisions = events.map((e) => e.kv.modRevision);
      for (let i = 1; i < revisions.length; i++) assert.ok(revisions[i]! > revisions[i - 1]!);
      assert.deepEqual(revisions, acknowledged.toSorted((x, y) => x - y));
      for (let w = 0; w < writers; w++) {
        const mine = events.filter((e) => e.kv.key === `/registry/leases/ns/w${w}`).map((e) =>
          text(e.kv)
        );
        assert.deepEqual(mine, Array.from({ length: perWriter }, (_, i) => String(i)));
      }
    },
  ],
  ["watch() ends cleanly when its signal aborts", async (s) => {
    const ac = new AbortController();
    const seen: WatchEvent[] = [];
    const from = await s.currentRevision();
    const done = (async () => {
      for await (const e of s.watch("/registry/pods/", from, ac.signal)) seen.push(e);
    })();
    await s.create("/registry/pods/default/a", bytes("a"));
    while (seen.length === 0) await new Promise((r) => setTimeout(r, 5));
    ac.abort();
    await done;
    assert.equal(seen.length, 1);
  }],
  ["of N concurrent guarded updates to one key exactly one wins each round", async (s) => {
    const key = "/registry/leases/kube-system/leader";
    let kv = await s.create(key, bytes("0"));
    for (let round = 0; round < 5; round++) {
      const expected = kv.modRevision;
      const results = await Promise.allSettled(
        Array.from({ length: 16 }, (_, i) => s.update(key, bytes(`r${round}w${i}`), expected)),
      );
      const won = results.filter((r) => r.status === "fulfilled");
      const lost = results.filter((r) => r.status === "rejected");
      assert.equal(won.length, 1, `round ${round}`);
      kv = (won[0] as PromiseFulfilledResult<KeyValue>).value;
      for (const r of lost) {
        const err = (r as PromiseRejectedResult).reason;
        assert.ok(err instanceof ConflictError, String(err));
        assert.equal(err.currentRevision, kv.modRevision);
      }
      assert.deepEqual(await s.get(key), kv);
    }
  }],
  ["guaranteedUpdate() applies every concurrent increment", async (s) => {
    const key = "/registry/configmaps/default/counter";
    await s.create(key, bytes("0"));
    await Promise.all(
      Array.from({ length: 10 }, () =>
        guaranteedUpdate(s, {
          key: key,
          tryUpdate: (cur) => bytes(String(Number(text(cur)) + 1)),
        })),
    );
    assert.equal(text(await s.get(key)), "10");
  }],
  ["compact() discards old history: old reads and watches fail with CompactedError", async (s) => {
    const k = "/registry/configmaps/c/a";
    const v1 = await s.create(k, bytes("v1"));
    const v2 = await s.update(k, bytes("v2"), v1.modRevision);
    const gone = await s.create("/registry/configmaps/c/gone", bytes("g"));
    await s.delete(gone.key);
    const v3 = await s.update(k, bytes("v3"), v2.modRevision);
    const keep = await s.create("/registry/configmaps/c/keep", bytes("k"));
    await s.compact(v3.modRevision);
    assert.equal(await s.compactedRevision(), v3.modRevision);
    await s.compact(v2.modRevision); // already compacted: no-op
    assert.equal(await s.compactedRevision(), v3.modRevision);
    await assert.rejects(s.get(k, { revision: v2.modRevision }), CompactedError);
    await assert.rejects(
      s.list("/registry/configmaps/c/", { revision: v2.modRevision }),
      CompactedError,
    );
    await assert.rejects(collect(s, "/registry/configmaps/c/", v1.modRevision, 1), CompactedError);
    assert.equal(text(await s.get(k, { revision: v3.modRevision })), "v3");
    assert.equal(text(await s.get(k)), "v3");
    assert.deepEqual(
      (await s.list("/registry/configmaps/c/")).items.map((kv) => kv.key),
      [k, keep.key],
    );
    assert.deepEqual(
      (await s.list("/registry/configmaps/c/", { revision: v3.modRevision })).items.map(text),
      ["v3"],
    );
    const events = await collect(s, "/registry/configmaps/c/", v3.modRevision - 1, 2);
    assert.deepEqual(events.map((e) => e.kv.modRevision), [v3.modRevision, keep.modRevision]);
    assert.equal(text(events[0]!.prevKv), "v2");
  }],
  ["a continue token older than the compacted revision fails with CompactedError", async (s) => {
    const p = "/registry/pods/old/";
    for (let i = 0; i < 3; i++) await s.create(`${p}p${i}`, bytes(String(i)));
    const page = await s.list(p, { limit: 1 });
    const kv = await s.get(`${p}p2`);
    const later = await s.update(`${p}p2`, bytes("x"), kv!.modRevision);
    await s.compact(later.modRevision);
    await assert.rejects(s.list(p, { continue: page.continue! }), CompactedError);
  }],
];

/**
 * Registers the suite as one `Deno.test` with a step per behaviour.
 *
 * @example Run the suite against the memory backend
 * ```ts ignore
 * import { MemoryStorage } from "./memory.ts";
 * import { runStorageConformance } from "./_conformance.ts";
 * runStorageConformance("MemoryStorage", () =>
 *   Promise.resolve({ open: () => Promise.resolve(new MemoryStorage()), teardown: () => Promise.resolve() }));
 * ```
 */
export function runStorageConformance(
  name: string,
  setup: () => Promise<ConformanceHarness>,
): void {
  Deno.test(`${name} passes the storage conformance suite`, async (t) => {
    const harness = await setup();
    try {
      for (const [caseName, fn] of cases) {
        await t.step(`${name}: ${caseName}`, async () => {
          const storage = await harness.open();
          try {
            await fn(storage);
          } finally {
            await storage.close();
          }
        });
      }
    } finally {
      await harness.teardown();
    }
  });
}
