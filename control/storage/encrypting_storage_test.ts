import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createDecipheriv } from "node:crypto";
import { Etcd3 } from "etcd3";
import { startEtcd } from "../../tests/_support/etcd_process.ts";
import { runStorageConformance } from "./_conformance.ts";
import { openDenoKvStorage } from "./deno_kv.ts";
import {
  DecryptionError,
  type EncryptedPrefix,
  EncryptingStorage,
  type EncryptionProvider,
  openEncryptingStorage,
  storedEncryption,
  UndecryptableListError,
} from "./encrypting_storage.ts";
import { ConflictError, InvalidInputError } from "./errors.ts";
import { openEtcdStorage } from "./etcd.ts";
import { MAX_VALUE_BYTES } from "./keys.ts";
import { MemoryStorage } from "./memory.ts";
import type { KeyValue, Storage, WatchEvent } from "./types.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const SECRET_A = "/registry/secrets/default/a";
const SECRET_B = "/registry/secrets/default/b";
const CONFIGMAP = "/registry/configmaps/default/a";

function key(name: string, fill: number, bytes = 32) {
  return { name, secret: new Uint8Array(bytes).fill(fill) };
}
const KEY1 = key("key1", 1);
const KEY2 = key("key2", 2);

function aesgcm(...keys: { name: string; secret: Uint8Array }[]): EncryptionProvider {
  return { type: "aesgcm", keys };
}
const IDENTITY: EncryptionProvider = { type: "identity" };

function secrets(...providers: EncryptionProvider[]): { prefixes: EncryptedPrefix[] } {
  return { prefixes: [{ prefix: "/registry/secrets/", providers }] };
}

function secretJson(data: string): Uint8Array {
  return enc.encode(JSON.stringify({ kind: "Secret", data: { password: btoa(data) } }));
}

/** Whether `needle` occurs in `haystack`. */
function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(haystack.buffer, haystack.byteOffset, haystack.byteLength)
    .includes(Buffer.from(needle.buffer, needle.byteOffset, needle.byteLength));
}

async function collect(
  storage: Storage,
  prefix: string,
  from: number,
  count: number,
): Promise<WatchEvent[]> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), 10_000);
  const events: WatchEvent[] = [];
  try {
    for await (const e of storage.watch(prefix, from, ac.signal)) {
      events.push(e);
      if (events.length === count) break;
    }
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
  return events;
}

runStorageConformance("EncryptingStorage over MemoryStorage", () =>
  Promise.resolve({
    // Pods, Secrets and Leases encrypted; ConfigMaps (the suite's 1.5 MiB values) plaintext.
    open: () =>
      openEncryptingStorage(new MemoryStorage(), {
        prefixes: ["/registry/pods/", "/registry/secrets/", "/registry/leases/"].map((prefix) => ({
          prefix,
          providers: [aesgcm(KEY1), IDENTITY],
        })),
      }),
    teardown: () => Promise.resolve(),
  }));

Deno.test("EncryptingStorage stores values under its prefixes in upstream's aesgcm format", async () => {
  await using storage = await openEncryptingStorage(new MemoryStorage(), secrets(aesgcm(KEY1)));
  const plain = secretJson("hunter2");
  const created = await storage.create(SECRET_A, plain);
  assert.deepEqual(created.value, plain);
  const raw = (await storage.raw.get(SECRET_A))!;
  assert.equal(raw.modRevision, created.modRevision);
  const prefix = enc.encode("k8s:enc:aesgcm:v1:key1:");
  assert.deepEqual(raw.value.subarray(0, prefix.length), prefix);
  assert.equal(raw.value.length, prefix.length + 12 + plain.length + 16);
  assert.ok(!contains(raw.value, enc.encode(btoa("hunter2"))));
  assert.deepEqual(storedEncryption(raw.value), { provider: "aesgcm", keyName: "key1" });

  // Decrypt independently, as Go's crypto/cipher GCM does: nonce, ciphertext, 16-byte tag, the
  // storage key as additional data.
  const payload = raw.value.subarray(prefix.length);
  const decipher = createDecipheriv("aes-256-gcm", KEY1.secret, payload.subarray(0, 12));
  decipher.setAAD(enc.encode(SECRET_A));
  decipher.setAuthTag(payload.subarray(payload.length - 16));
  const out = Buffer.concat([
    decipher.update(payload.subarray(12, payload.length - 16)),
    decipher.final(),
  ]);
  assert.deepEqual(new Uint8Array(out), plain);

  assert.deepEqual((await storage.get(SECRET_A))?.value, plain);
  const second = await storage.create(SECRET_B, plain);
  const other = (await storage.raw.get(SECRET_B))!;
  assert.notDeepEqual(other.value, raw.value, "a fresh nonce per write");
  assert.equal(second.modRevision, other.modRevision);
});

Deno.test("EncryptingStorage decrypts on get, list, update, delete and watch with the backend's revisions", async () => {
  await using storage = await openEncryptingStorage(new MemoryStorage(), secrets(aesgcm(KEY1)));
  const from = await storage.currentRevision();
  const a = await storage.create(SECRET_A, enc.encode("one"));
  const b = await storage.update(SECRET_A, enc.encode("two"), a.modRevision);
  assert.equal(b.createRevision, a.createRevision);
  await assert.rejects(storage.update(SECRET_A, enc.encode("x"), a.modRevision), ConflictError);
  await storage.create(SECRET_B, enc.encode("bee"));
  await storage.create(CONFIGMAP, enc.encode("plain"));

  const old = await storage.get(SECRET_A, { revision: a.modRevision });
  assert.equal(dec.decode(old!.value), "one");
  for (const prefix of ["/registry/secrets/", "/registry/secrets/default/", "/registry/"]) {
    const listed = await storage.list(prefix);
    const raw = await storage.raw.list(prefix);
    assert.equal(listed.revision, raw.revision);
    assert.deepEqual(
      listed.items.map((kv) => [kv.key, dec.decode(kv.value), kv.modRevision]),
      raw.items.map((kv) => [
        kv.key,
        kv.key === CONFIGMAP ? "plain" : kv.key === SECRET_A ? "two" : "bee",
        kv.modRevision,
      ]),
    );
  }
  const paged = await storage.list("/registry/secrets/", { limit: 1 });
  assert.equal(paged.items.length, 1);
  const rest = await storage.list("/registry/secrets/", { continue: paged.continue! });
  assert.deepEqual(rest.items.map((kv) => dec.decode(kv.value)), ["bee"]);

  const deleted = await storage.delete(SECRET_A, b.modRevision);
  assert.equal(dec.decode(deleted.value), "two");
  assert.equal(deleted.modRevision, await storage.currentRevision());
  assert.equal((await storage.raw.get(CONFIGMAP))?.value.length, 5, "configmaps stay plaintext");

  const events = await collect(storage, "/registry/", from, 5);
  const rawEvents = await collect(storage.raw, "/registry/", from, 5);
  assert.deepEqual(
    events.map((
      e,
    ) => [e.type, e.kv.key, dec.decode(e.kv.value), e.prevKv && dec.decode(e.prevKv.value)]),
    [
      ["created", SECRET_A, "one", undefined],
      ["updated", SECRET_A, "two", "one"],
      ["created", SECRET_B, "bee", undefined],
      ["created", CONFIGMAP, "plain", undefined],
      ["deleted", SECRET_A, "two", "two"],
    ],
  );
  assert.deepEqual(
    events.map((e) => [e.kv.modRevision, e.kv.createRevision, e.prevKv?.modRevision]),
    rawEvents.map((e) => [e.kv.modRevision, e.kv.createRevision, e.prevKv?.modRevision]),
  );
});

/** A storage answering every call with fixed objects, to see what the wrapper passes on. */
class FixedStorage extends MemoryStorage {
  readonly kv: KeyValue = {
    key: CONFIGMAP,
    value: enc.encode("x"),
    createRevision: 1,
    modRevision: 1,
  };
  readonly events: AsyncIterable<WatchEvent> = (async function* () {})();
  override get(): Promise<KeyValue | null> {
    return Promise.resolve(this.kv);
  }
  override list(): Promise<{ items: KeyValue[]; revision: number }> {
    return Promise.resolve({ items: [this.kv], revision: 1 });
  }
  override create(): Promise<KeyValue> {
    return Promise.resolve(this.kv);
  }
  override watch(): AsyncIterable<WatchEvent> {
    return this.events;
  }
}

Deno.test("EncryptingStorage passes keys outside its prefixes through without copies", async () => {
  const inner = new FixedStorage();
  await using storage = await openEncryptingStorage(inner, secrets(aesgcm(KEY1)));
  assert.equal(await storage.get(CONFIGMAP), inner.kv);
  assert.equal(await storage.create(CONFIGMAP, enc.encode("y")), inner.kv);
  const listed = await storage.list("/registry/configmaps/");
  assert.equal(listed.items[0], inner.kv);
  assert.equal(storage.watch("/registry/configmaps/", 0, AbortSignal.timeout(1)), inner.events);
  assert.notEqual(storage.watch("/registry/", 0, AbortSignal.timeout(1)), inner.events);
});

Deno.test("EncryptingStorage reads plaintext values only with an identity provider", async (t) => {
  const inner = new MemoryStorage();
  await inner.create(SECRET_A, enc.encode("written before encryption"));
  await t.step("with identity the value passes through", async () => {
    const storage = await openEncryptingStorage(inner, secrets(aesgcm(KEY1), IDENTITY));
    assert.equal(dec.decode((await storage.get(SECRET_A))!.value), "written before encryption");
  });
  await t.step("without identity it fails naming the key", async () => {
    const storage = await openEncryptingStorage(inner, secrets(aesgcm(KEY1)));
    const err = await storage.get(SECRET_A).catch((e) => e);
    assert.ok(err instanceof DecryptionError);
    assert.equal(err.key, SECRET_A);
    assert.match(
      err.message,
      /is not encrypted .* no identity provider for "\/registry\/secrets\/"/,
    );
  });
  await t.step("identity first writes plaintext and still reads encrypted values", async () => {
    const encrypting = await openEncryptingStorage(inner, secrets(aesgcm(KEY1)));
    await encrypting.create(SECRET_B, enc.encode("sealed"));
    const storage = await openEncryptingStorage(inner, secrets(IDENTITY, aesgcm(KEY1)));
    assert.equal(storage.writeKeyOf(SECRET_A), null);
    assert.equal(dec.decode((await storage.get(SECRET_B))!.value), "sealed");
    await storage.create("/registry/secrets/default/c", enc.encode("open"));
    assert.equal(dec.decode((await inner.get("/registry/secrets/default/c"))!.value), "open");
  });
  await inner.close();
});

Deno.test("EncryptingStorage refuses values it cannot decrypt, naming the storage key and the encryption key", async (t) => {
  // With identity, as the default config: it never lets an encrypted-looking value through.
  await using storage = await openEncryptingStorage(
    new MemoryStorage(),
    secrets(aesgcm(KEY1), IDENTITY),
  );
  await storage.create(SECRET_A, secretJson("hunter2"));
  const sealed = (await storage.raw.get(SECRET_A))!.value;
  const cases: {
    name: string;
    key: string;
    value: Uint8Array;
    message: RegExp;
    keyName?: string;
  }[] = [
    {
      name: "a value copied under another key",
      key: SECRET_B,
      value: sealed,
      message:
        /^Cannot decrypt key "\/registry\/secrets\/default\/b": its value does not authenticate with encryption key "key1"/,
      keyName: "key1",
    },
    {
      name: "a flipped ciphertext byte",
      key: "/registry/secrets/default/flip",
      value: sealed.map((b, i) => i === sealed.length - 20 ? b ^ 1 : b),
      message: /does not authenticate/,
      keyName: "key1",
    },
    {
      name: "a flipped nonce byte",
      key: "/registry/secrets/default/nonce",
      value: sealed.map((b, i) => i === 24 ? b ^ 0x80 : b),
      message: /does not authenticate/,
    },
    {
      name: "a truncated tag",
      key: "/registry/secrets/default/short",
      value: sealed.slice(0, sealed.length - 1),
      message: /does not authenticate/,
    },
    {
      name: "a key the config lacks",
      key: "/registry/secrets/default/other",
      value: enc.encode("k8s:enc:aesgcm:v1:key9:0123456789abcdefghijklmnopqrstuvwxyz"),
      message: /encrypted with encryption key "key9", which the encryption config does not have/,
      keyName: "key9",
    },
    {
      name: "a provider skiff does not implement",
      key: "/registry/secrets/default/cbc",
      value: enc.encode("k8s:enc:aescbc:v1:key1:0123456789abcdef0123456789abcdef"),
      message: /encrypted by provider "aescbc" v1, which skiff does not support/,
    },
    {
      name: "a malformed prefix",
      key: "/registry/secrets/default/bad",
      value: enc.encode("k8s:enc:aesgcm"),
      message: /its value has a malformed encryption prefix$/,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const from = await storage.currentRevision();
      await storage.raw.create(c.key, c.value);
      for (const read of [() => storage.get(c.key), () => storage.list("/registry/secrets/")]) {
        const err = await read().catch((e) => e);
        assert.ok(err instanceof DecryptionError, String(err));
        assert.match(err.message, c.message);
        if (c.keyName) assert.equal(err.keyName, c.keyName);
      }
      const ac = new AbortController();
      const events = storage.watch("/registry/secrets/", from, ac.signal);
      const err = await (async () => {
        for await (const _ of events) return null;
        return null;
      })().catch((e) => e);
      ac.abort();
      assert.ok(err instanceof DecryptionError, "the watch fails rather than yield ciphertext");
      await storage.raw.delete(c.key);
    });
  }
});

Deno.test("EncryptingStorage names the revision of a value it cannot decrypt, and lists the rest with the failures", async () => {
  await using storage = await openEncryptingStorage(new MemoryStorage(), secrets(aesgcm(KEY1)));
  const from = await storage.currentRevision();
  await storage.create(SECRET_A, secretJson("a"));
  const sealed = (await storage.raw.get(SECRET_A))!.value;
  const bad = ["c", "d"].map((n) => `/registry/secrets/default/${n}`);
  const altered = [];
  for (const k of bad) altered.push(await storage.raw.create(k, sealed)); // another key's value
  await storage.create("/registry/secrets/default/e", secretJson("e"));

  const got = await storage.get(bad[0]!).catch((e) => e);
  assert.ok(got instanceof DecryptionError);
  assert.equal(got.revision, altered[0]!.modRevision);

  const listed = await storage.list("/registry/secrets/").catch((e) => e);
  assert.ok(listed instanceof UndecryptableListError && listed instanceof DecryptionError);
  assert.equal(listed.key, bad[0]);
  assert.deepEqual(listed.failures.map((f) => f.key), bad);
  assert.deepEqual(
    listed.page.items.map((kv) => [kv.key, dec.decode(kv.value)]),
    [
      [SECRET_A, dec.decode(secretJson("a"))],
      ["/registry/secrets/default/e", dec.decode(secretJson("e"))],
    ],
  );
  assert.equal(listed.page.revision, await storage.currentRevision());
  assert.equal(
    listed.message,
    `Cannot decrypt key "${
      bad[0]
    }": its value does not authenticate with encryption key "key1" (altered, or copied from another key); 1 more value under "/registry/secrets/" cannot be decrypted ("${
      bad[1]
    }")`,
  );
  const one = await storage.list("/registry/secrets/default/", { limit: 2 }).catch((e) => e);
  assert.ok(one instanceof UndecryptableListError);
  assert.equal(one.message, got.message, "one failure lists as a get fails");

  // A watch fails at the event, naming its revision: resuming after it goes on.
  const watchFrom = async (revision: number) => {
    const ac = new AbortController();
    const seen: string[] = [];
    const end = await (async () => {
      for await (const e of storage.watch("/registry/secrets/", revision, ac.signal)) {
        seen.push(e.kv.key);
        if (e.kv.key.endsWith("/e")) return null;
      }
      return null;
    })().catch((e) => e);
    ac.abort();
    return { seen, end };
  };
  const first = await watchFrom(from);
  assert.deepEqual(first.seen, [SECRET_A]);
  assert.ok(first.end instanceof DecryptionError);
  assert.equal(first.end.revision, altered[0]!.modRevision);
  const second = await watchFrom(first.end.revision!);
  assert.deepEqual(second.seen, []);
  assert.equal(second.end?.revision, altered[1]!.modRevision);
  assert.deepEqual((await watchFrom(second.end.revision!)).seen, ["/registry/secrets/default/e"]);

  // An update repairing an altered value: the event's previous value fails, at its revision.
  const repair = await storage.update(bad[1]!, secretJson("d"), altered[1]!.modRevision);
  const ac = new AbortController();
  const prev = await (async () => {
    for await (const e of storage.watch("/registry/secrets/", repair.modRevision - 1, ac.signal)) {
      return e;
    }
    return null;
  })().catch((e) => e);
  ac.abort();
  assert.ok(prev instanceof DecryptionError);
  assert.equal(prev.revision, repair.modRevision, "the event's revision, not the value's");
});

Deno.test("EncryptingStorage refuses values too large once encrypted", async () => {
  await using storage = await openEncryptingStorage(new MemoryStorage(), secrets(aesgcm(KEY1)));
  const overhead = "k8s:enc:aesgcm:v1:key1:".length + 28;
  await storage.create(SECRET_A, new Uint8Array(MAX_VALUE_BYTES - overhead));
  const err = await storage.create(SECRET_B, new Uint8Array(MAX_VALUE_BYTES - overhead + 1))
    .catch((e) => e);
  assert.ok(err instanceof InvalidInputError);
  assert.equal(
    err.message,
    `Cannot write key "${SECRET_B}": value is ${MAX_VALUE_BYTES - overhead + 1} bytes, more than ${
      MAX_VALUE_BYTES - overhead
    } (${MAX_VALUE_BYTES} once encrypted)`,
  );
  await assert.rejects(
    storage.create(SECRET_B, "text" as unknown as Uint8Array),
    InvalidInputError,
  );
});

Deno.test("EncryptingStorage accepts AES-128, AES-192 and AES-256 keys and refuses others", async (t) => {
  for (const bytes of [16, 24, 32]) {
    await t.step(`${bytes} bytes`, async () => {
      await using storage = await openEncryptingStorage(
        new MemoryStorage(),
        secrets(aesgcm(key("k", 7, bytes))),
      );
      await storage.create(SECRET_A, enc.encode("v"));
      assert.equal(dec.decode((await storage.get(SECRET_A))!.value), "v");
    });
  }
  await assert.rejects(
    openEncryptingStorage(new MemoryStorage(), secrets(aesgcm(key("short", 7, 20)))),
    (err) => err instanceof RangeError && /"short": it is 20 bytes/.test(err.message),
  );
  await assert.rejects(
    openEncryptingStorage(new MemoryStorage(), secrets(aesgcm(key("a:b", 7)))),
    TypeError,
  );
  assert.throws(
    () => new EncryptingStorage(new MemoryStorage(), ["/registry/secrets/", "/registry/"]),
    /they nest/,
  );
});

Deno.test("EncryptingStorage.setConfig() switches the write key and keeps dropped keys readable until compaction", async () => {
  await using storage = await openEncryptingStorage(new MemoryStorage(), secrets(aesgcm(KEY1)));
  await storage.create(SECRET_A, enc.encode("on key1"));
  await storage.setConfig(secrets(aesgcm(KEY2, KEY1)));
  assert.equal(storage.writeKeyOf(SECRET_B), "key2");
  await storage.create(SECRET_B, enc.encode("on key2"));
  assert.equal(storedEncryption((await storage.raw.get(SECRET_B))!.value)?.keyName, "key2");
  assert.equal(dec.decode((await storage.get(SECRET_A))!.value), "on key1");

  const a = (await storage.get(SECRET_A))!;
  await storage.update(SECRET_A, a.value, a.modRevision);
  await storage.setConfig(secrets(aesgcm(KEY2)));
  assert.deepEqual(storage.retiredKeys(), ["key1"]);
  const old = await storage.get(SECRET_A, { revision: a.modRevision });
  assert.equal(dec.decode(old!.value), "on key1", "history still decrypts");

  await storage.compact(await storage.currentRevision());
  assert.deepEqual(storage.retiredKeys(), []);
  assert.equal(dec.decode((await storage.get(SECRET_A))!.value), "on key1");
  await assert.rejects(
    storage.setConfig({ prefixes: [{ prefix: "/registry/configmaps/", providers: [IDENTITY] }] }),
    /Cannot change the encrypted prefixes/,
  );
});

Deno.test("EncryptingStorage.setConfig() fails reads of a dropped key after compaction", async () => {
  await using storage = await openEncryptingStorage(new MemoryStorage(), secrets(aesgcm(KEY1)));
  await storage.create(SECRET_A, enc.encode("on key1"));
  await storage.setConfig(secrets(aesgcm(KEY2)));
  assert.equal(dec.decode((await storage.get(SECRET_A))!.value), "on key1");
  await storage.compact(await storage.currentRevision());
  const err = await storage.get(SECRET_A).catch((e) => e);
  assert.ok(err instanceof DecryptionError);
  assert.equal(err.keyName, "key1");
});

/** A storage whose creates wait for `release`. */
class GatedStorage extends MemoryStorage {
  release!: () => void;
  readonly gate = new Promise<void>((resolve) => this.release = resolve);
  override async create(key: string, value: Uint8Array): Promise<KeyValue> {
    await this.gate;
    return await super.create(key, value);
  }
}

Deno.test("EncryptingStorage.setConfig() resolves only after writes under the old config land", async () => {
  const inner = new GatedStorage();
  await using storage = await openEncryptingStorage(inner, secrets(aesgcm(KEY1)));
  const write = storage.create(SECRET_A, enc.encode("in flight"));
  let switched = false;
  const change = storage.setConfig(secrets(aesgcm(KEY2, KEY1))).then(() => switched = true);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(switched, false);
  inner.release();
  await Promise.all([write, change]);
  assert.equal(storedEncryption((await inner.get(SECRET_A))!.value)?.keyName, "key1");
  assert.equal(storage.writeKeyOf(SECRET_A), "key2");
});

// --- at rest, in the real backends ------------------------------------------------------------

const MARKER = "correct-horse-battery-staple-7f3a";
const PLAIN_MARKER = "plaintext-control-value-9c1e";

/** Every byte of the files in `dir` (the datastore's snapshot as a thief would copy it). */
async function filesOf(dir: string): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) out.push(...await filesOf(path));
    else if (entry.isFile) out.push(await Deno.readFile(path));
  }
  return out;
}

async function snapshotContains(dir: string, text: string): Promise<boolean> {
  const needles = [enc.encode(text), enc.encode(btoa(text))];
  return (await filesOf(dir)).some((bytes) => needles.some((n) => contains(bytes, n)));
}

Deno.test("EncryptingStorage over DenoKvStorage: the KV file holds no Secret data", async () => {
  const dir = await Deno.makeTempDir({ prefix: "skiff-enc-kv-" });
  try {
    const plainDir = `${dir}/plain`;
    const sealedDir = `${dir}/sealed`;
    await Deno.mkdir(plainDir);
    await Deno.mkdir(sealedDir);
    // Without the wrapper the data is in the file: the search below finds what is there.
    {
      await using plain = await openDenoKvStorage({ path: `${plainDir}/state.kv` });
      await plain.create(SECRET_A, secretJson(MARKER));
    }
    assert.ok(await snapshotContains(plainDir, MARKER));

    const big = secretJson(MARKER.repeat(3000)); // chunked: larger than one KV value
    {
      await using storage = await openEncryptingStorage(
        await openDenoKvStorage({ path: `${sealedDir}/state.kv` }),
        secrets(aesgcm(KEY1), IDENTITY),
      );
      const a = await storage.create(SECRET_A, secretJson(MARKER));
      await storage.update(SECRET_A, secretJson(`${MARKER}-v2`), a.modRevision);
      await storage.create(SECRET_B, big);
    }
    assert.ok(!await snapshotContains(sealedDir, MARKER));

    // Raw rows read with Deno KV itself: encrypted; through the wrapper: the data.
    const kv = await Deno.openKv(`${sealedDir}/state.kv`);
    let rows = 0;
    for await (const entry of kv.list<{ k?: string; v?: Uint8Array }>({ prefix: ["l"] })) {
      if (entry.value.v) {
        rows++;
        assert.match(dec.decode(entry.value.v.subarray(0, 23)), /^k8s:enc:aesgcm:v1:key1:/);
      }
    }
    kv.close();
    assert.equal(rows, 2, "two inline rows (the chunked value has chunk rows)");
    await using storage = await openEncryptingStorage(
      await openDenoKvStorage({ path: `${sealedDir}/state.kv` }),
      secrets(aesgcm(KEY1), IDENTITY),
    );
    assert.deepEqual((await storage.get(SECRET_A))?.value, secretJson(`${MARKER}-v2`));
    assert.deepEqual((await storage.get(SECRET_B))?.value, big);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("EncryptingStorage over EtcdStorage: etcd's values and data dir hold no Secret data", async () => {
  await using etcd = await startEtcd();
  const prefix = "/skiff-enc";
  const client = new Etcd3({ hosts: [etcd.endpoint] });
  try {
    {
      await using plain = await openEtcdStorage({ endpoints: [etcd.endpoint], prefix: "/plain" });
      await plain.create(SECRET_A, secretJson(PLAIN_MARKER));
    }
    {
      await using storage = await openEncryptingStorage(
        await openEtcdStorage({ endpoints: [etcd.endpoint], prefix }),
        secrets(aesgcm(KEY1), IDENTITY),
      );
      await storage.create(SECRET_A, secretJson(MARKER));
      const read = await storage.get(SECRET_A);
      assert.deepEqual(read?.value, secretJson(MARKER));
      const raw = await client.get(`${prefix}${SECRET_A}`).buffer();
      assert.ok(raw);
      assert.match(raw.subarray(0, 23).toString(), /^k8s:enc:aesgcm:v1:key1:/);
      assert.ok(!raw.includes(MARKER) && !raw.includes(btoa(MARKER)));
      // The value moved to another key in etcd does not decrypt.
      await client.put(`${prefix}${SECRET_B}`).value(raw);
      await assert.rejects(storage.get(SECRET_B), DecryptionError);
    }
    assert.ok(await snapshotContains(etcd.dataDir, PLAIN_MARKER), "the search sees plaintext");
    assert.ok(!await snapshotContains(etcd.dataDir, MARKER));
  } finally {
    client.close();
  }
});
