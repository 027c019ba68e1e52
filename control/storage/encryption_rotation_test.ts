import assert from "node:assert/strict";
import { startEtcd } from "../../tests/_support/etcd_process.ts";
import { RecordingLogger } from "../util/logger.ts";
import { openDenoKvStorage } from "./deno_kv.ts";
import {
  type EncryptingStorage,
  openEncryptingStorage,
  storedEncryption,
} from "./encrypting_storage.ts";
import {
  encryptingStorageOptionsOf,
  type EncryptionConfiguration,
  loadEncryptionConfig,
  newEncryptionKey,
  writeEncryptionConfig,
} from "./encryption_config.ts";
import {
  EncryptionKeyManager,
  nextKeyName,
  RotationError,
  RotationInProgressError,
  type RotationProgress,
} from "./encryption_rotation.ts";
import { StorageUnavailableError } from "./errors.ts";
import { openEtcdStorage } from "./etcd.ts";
import { guaranteedUpdate } from "./guaranteed_update.ts";
import { MemoryStorage } from "./memory.ts";
import type { Storage, WatchEvent } from "./types.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function config(...keyNames: string[]): EncryptionConfiguration {
  return {
    resources: [{
      resources: ["secrets"],
      providers: [{ type: "aesgcm", keys: keyNames.map(newEncryptionKey) }, { type: "identity" }],
    }],
  };
}

interface Harness {
  readonly dir: string;
  readonly path: string;
  readonly storage: EncryptingStorage;
  readonly keys: EncryptionKeyManager;
  readonly logger: RecordingLogger;
}

async function harness(
  inner: Storage,
  initial: EncryptionConfiguration,
  pageSize?: number,
): Promise<Harness> {
  const dir = await Deno.makeTempDir({ prefix: "skiff-rotate-" });
  const path = `${dir}/encryption-config.yaml`;
  await writeEncryptionConfig(path, initial);
  const storage = await openEncryptingStorage(inner, encryptingStorageOptionsOf(initial));
  const logger = new RecordingLogger();
  const keys = new EncryptionKeyManager({
    storage,
    path,
    config: initial,
    logger,
    ...(pageSize ? { pageSize } : {}),
  });
  return { dir, path, storage, keys, logger };
}

async function keyCounts(
  storage: EncryptingStorage,
  prefix: string,
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const kv of (await storage.raw.list(prefix)).items) {
    const name = storedEncryption(kv.value)?.keyName ?? "plaintext";
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

function keyNamesIn(config: EncryptionConfiguration): string[][] {
  return config.resources.map((r) =>
    r.providers.flatMap((p) => p.type === "aesgcm" ? p.keys.map((k) => k.name) : ["identity"])
  );
}

Deno.test("nextKeyName() numbers keys after the highest key<N>", async (t) => {
  const cases: [string[], string][] = [
    [["key1"], "key2"],
    [["key2", "key1"], "key3"],
    [["key9", "custom"], "key10"],
    [["custom"], "key1"],
  ];
  for (const [names, expected] of cases) {
    await t.step(`${names.join(",")} → ${expected}`, () => {
      assert.equal(nextKeyName(config(...names)), expected);
    });
  }
});

Deno.test("EncryptionKeyManager.rotate() re-encrypts every value with a new key and drops the old ones", async () => {
  const h = await harness(new MemoryStorage(), config("key1"), 3);
  try {
    await h.storage.raw.create("/registry/secrets/default/legacy", enc.encode("plain"));
    for (let i = 0; i < 10; i++) {
      await h.storage.create(`/registry/secrets/ns${i % 3}/s${i}`, enc.encode(`value ${i}`));
    }
    await h.storage.create("/registry/configmaps/default/c", enc.encode("not a secret"));
    const before = await h.keys.status();
    assert.equal(before.enabled, true);
    assert.deepEqual(
      before.resources.map((r) => [r.resource, r.writeKey, r.encrypted, r.plaintext]),
      [
        ["secrets", "key1", { key1: 10 }, 1],
      ],
    );

    const progress: RotationProgress[] = [];
    const result = await h.keys.rotate({ onProgress: (p) => progress.push({ ...p }) });
    assert.equal(result.newKey, "key2");
    assert.deepEqual(result.droppedKeys, ["key1"]);
    assert.deepEqual(result.resources.map((r) => ({ ...r })), [{
      resource: "secrets",
      prefix: "/registry/secrets/",
      scanned: 11,
      rewritten: 11,
      current: 0,
      conflicts: 0,
      gone: 0,
    }]);
    assert.ok(progress.length >= 4, "progress after every page of 3");
    assert.deepEqual(progress.map((p) => p.scanned).slice(0, 4), [3, 6, 9, 11]);

    assert.deepEqual(await keyCounts(h.storage, "/registry/secrets/"), { key2: 11 });
    for (let i = 0; i < 10; i++) {
      const kv = await h.storage.get(`/registry/secrets/ns${i % 3}/s${i}`);
      assert.equal(dec.decode(kv!.value), `value ${i}`);
    }
    assert.equal(
      dec.decode((await h.storage.get("/registry/secrets/default/legacy"))!.value),
      "plain",
    );
    assert.equal(
      dec.decode((await h.storage.raw.get("/registry/configmaps/default/c"))!.value),
      "not a secret",
    );
    const onDisk = await loadEncryptionConfig(h.path);
    assert.deepEqual(keyNamesIn(onDisk), [["key2", "identity"]]);
    assert.deepEqual(onDisk, h.keys.config);
    assert.equal((await Deno.stat(h.path)).mode! & 0o777, 0o600);

    const after = await h.keys.status();
    assert.deepEqual(after.resources.map((r) => [r.writeKey, r.keys, r.encrypted, r.plaintext]), [
      ["key2", ["key2"], { key2: 11 }, 0],
    ]);
    assert.deepEqual(h.logger.records.map((r) => r.msg), [
      "Rotating encryption keys",
      "Rotated encryption keys",
    ]);
    assert.ok(!JSON.stringify(h.logger.records).includes(btoa("value")), "logs hold no value");

    const again = await h.keys.rotate();
    assert.equal(again.newKey, "key3");
    assert.deepEqual(again.droppedKeys, ["key2"]);
    assert.deepEqual(await keyCounts(h.storage, "/registry/secrets/"), { key3: 11 });
  } finally {
    await h.storage.close();
    await Deno.remove(h.dir, { recursive: true });
  }
});

Deno.test("EncryptionKeyManager.rotate() refuses a second rotation and a disabled config", async () => {
  const h = await harness(new MemoryStorage(), config("key1"));
  try {
    for (let i = 0; i < 50; i++) {
      await h.storage.create(`/registry/secrets/d/s${i}`, enc.encode("x"));
    }
    const first = h.keys.rotate();
    await assert.rejects(h.keys.rotate(), RotationInProgressError);
    assert.equal((await h.keys.status()).rotating, true);
    await first;
    assert.equal((await h.keys.status()).rotating, false);
  } finally {
    await h.storage.close();
    await Deno.remove(h.dir, { recursive: true });
  }
  const disabled: EncryptionConfiguration = {
    resources: [{
      resources: ["secrets"],
      providers: [{ type: "identity" }, { type: "aesgcm", keys: [newEncryptionKey("key1")] }],
    }],
  };
  const d = await harness(new MemoryStorage(), disabled);
  try {
    assert.equal((await d.keys.status()).enabled, false);
    assert.equal((await d.keys.status()).resources[0]?.writeKey, null);
    await assert.rejects(
      d.keys.rotate(),
      (err) =>
        err instanceof RotationError &&
        /encryption is disabled in ".*encryption-config.yaml"/.test(err.message),
    );
    assert.deepEqual(keyNamesIn(await loadEncryptionConfig(d.path)), [["identity", "key1"]]);
  } finally {
    await d.storage.close();
    await Deno.remove(d.dir, { recursive: true });
  }
});

Deno.test("EncryptionKeyManager.rotate() keeps the old keys when values cannot be decrypted", async () => {
  const h = await harness(new MemoryStorage(), config("key1"));
  try {
    await h.storage.create("/registry/secrets/d/good", enc.encode("x"));
    await h.storage.raw.create(
      "/registry/secrets/d/bad",
      enc.encode("k8s:enc:aesgcm:v1:lost:0123456789abcdefghijklmnop"),
    );
    const err = await h.keys.rotate().catch((e) => e);
    assert.ok(err instanceof RotationError);
    assert.match(
      err.message,
      /^Cannot rotate encryption keys: 1 value under "\/registry\/secrets\/" cannot be decrypted \("\/registry\/secrets\/d\/bad"\); the old keys stay in/,
    );
    assert.deepEqual(keyNamesIn(await loadEncryptionConfig(h.path)), [[
      "key2",
      "key1",
      "identity",
    ]]);
    assert.equal(dec.decode((await h.storage.get("/registry/secrets/d/good"))!.value), "x");
    assert.deepEqual(await keyCounts(h.storage, "/registry/secrets/"), { key2: 1, lost: 1 });
  } finally {
    await h.storage.close();
    await Deno.remove(h.dir, { recursive: true });
  }
});

Deno.test("EncryptionKeyManager.rotate() survives a crash midway: every value stays readable", async () => {
  const dir = await Deno.makeTempDir({ prefix: "skiff-rotate-crash-" });
  const kvPath = `${dir}/state.kv`;
  try {
    const inner = await openDenoKvStorage({ path: kvPath });
    const h = await harness(inner, config("key1"), 5);
    for (let i = 0; i < 20; i++) {
      await h.storage.create(
        `/registry/secrets/d/s${String(i).padStart(2, "0")}`,
        enc.encode(`v${i}`),
      );
    }
    // The process dies after the first page: the storage goes away under the rotation.
    const err = await h.keys.rotate({ onProgress: () => void inner.close() }).catch((e) => e);
    assert.ok(err instanceof StorageUnavailableError, String(err));

    // Restart: the key file from disk, the KV file from disk.
    const restarted = await loadEncryptionConfig(h.path);
    assert.deepEqual(keyNamesIn(restarted), [["key2", "key1", "identity"]]);
    await using storage = await openEncryptingStorage(
      await openDenoKvStorage({ path: kvPath }),
      encryptingStorageOptionsOf(restarted),
    );
    assert.deepEqual(await keyCounts(storage, "/registry/secrets/"), { key2: 5, key1: 15 });
    for (let i = 0; i < 20; i++) {
      const kv = await storage.get(`/registry/secrets/d/s${String(i).padStart(2, "0")}`);
      assert.equal(dec.decode(kv!.value), `v${i}`);
    }
    const keys = new EncryptionKeyManager({ storage, path: h.path, config: restarted });
    const result = await keys.rotate();
    assert.equal(result.newKey, "key3");
    assert.deepEqual(result.droppedKeys, ["key2", "key1"]);
    assert.deepEqual(await keyCounts(storage, "/registry/secrets/"), { key3: 20 });
    assert.deepEqual(keyNamesIn(await loadEncryptionConfig(h.path)), [["key3", "identity"]]);
    await Deno.remove(h.dir, { recursive: true });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("EncryptionKeyManager.rotate() lets watchers that lag behind it decrypt every event", async () => {
  const h = await harness(new MemoryStorage(), config("key1"));
  try {
    for (let i = 0; i < 5; i++) {
      await h.storage.create(`/registry/secrets/d/s${i}`, enc.encode(`v${i}`));
    }
    const from = await h.storage.currentRevision();
    const ac = new AbortController();
    const events = h.storage.watch("/registry/secrets/", from, ac.signal)[Symbol.asyncIterator]();
    await h.keys.rotate(); // the watch has not read a single event yet
    const seen: WatchEvent[] = [];
    for (let i = 0; i < 5; i++) seen.push((await events.next()).value as WatchEvent);
    ac.abort();
    await events.return?.();
    assert.deepEqual(
      seen.map((e) => [e.type, dec.decode(e.kv.value), dec.decode(e.prevKv!.value)]),
      [0, 1, 2, 3, 4].map((i) => ["updated", `v${i}`, `v${i}`]),
    );
  } finally {
    await h.storage.close();
    await Deno.remove(h.dir, { recursive: true });
  }
});

/** A storage letting a test write between a reader's read and its guarded update. */
class RacingStorage extends MemoryStorage {
  beforeUpdate: ((key: string) => Promise<void>) | undefined;
  override async update(key: string, value: Uint8Array, expectedRevision: number) {
    const race = this.beforeUpdate;
    this.beforeUpdate = undefined;
    if (race) await race(key);
    return await super.update(key, value, expectedRevision);
  }
}

Deno.test("EncryptionKeyManager.rotate() re-reads a value another writer changed meanwhile", async () => {
  const inner = new RacingStorage();
  const h = await harness(inner, config("key1"));
  try {
    await h.storage.create("/registry/secrets/d/s", enc.encode("0"));
    inner.beforeUpdate = async (key) => {
      await guaranteedUpdate(h.storage, { key, tryUpdate: () => enc.encode("written meanwhile") });
    };
    const result = await h.keys.rotate();
    assert.deepEqual({ ...result.resources[0] }, {
      resource: "secrets",
      prefix: "/registry/secrets/",
      scanned: 1,
      rewritten: 0,
      current: 1,
      conflicts: 1,
      gone: 0,
    });
    const kv = await h.storage.get("/registry/secrets/d/s");
    assert.equal(dec.decode(kv!.value), "written meanwhile");
    assert.equal(
      storedEncryption((await inner.get("/registry/secrets/d/s"))!.value)?.keyName,
      "key2",
    );
  } finally {
    await h.storage.close();
    await Deno.remove(h.dir, { recursive: true });
  }
});

/** Backends the concurrency test runs on. */
const BACKENDS: {
  name: string;
  open: () => Promise<{ storage: Storage; close: () => Promise<void> }>;
}[] = [
  {
    name: "MemoryStorage",
    open: () => Promise.resolve({ storage: new MemoryStorage(), close: () => Promise.resolve() }),
  },
  {
    name: "DenoKvStorage",
    async open() {
      const dir = await Deno.makeTempDir({ prefix: "skiff-rotate-kv-" });
      return {
        storage: await openDenoKvStorage({ path: `${dir}/state.kv` }),
        close: () => Deno.remove(dir, { recursive: true }),
      };
    },
  },
  {
    name: "EtcdStorage",
    async open() {
      const etcd = await startEtcd();
      return {
        storage: await openEtcdStorage({ endpoints: [etcd.endpoint], prefix: "/rotate" }),
        close: () => etcd.stop(),
      };
    },
  },
];

Deno.test("EncryptionKeyManager.rotate() loses no concurrent write", async (t) => {
  for (const backend of BACKENDS) {
    await t.step(backend.name, async () => {
      const { storage: inner, close } = await backend.open();
      const h = await harness(inner, config("key1"), 4);
      try {
        const keys = Array.from({ length: 12 }, (_, i) => `/registry/secrets/d/s${i}`);
        for (const key of keys) await h.storage.create(key, enc.encode("0"));
        const expected = new Map(keys.map((k) => [k, 0]));
        let stop = false;
        let created = 0;
        const writer = (async () => {
          for (let round = 0; !stop || round < 3; round++) {
            for (const key of keys) {
              await guaranteedUpdate(h.storage, {
                key,
                tryUpdate: (cur) => enc.encode(String(Number(dec.decode(cur!.value)) + 1)),
              });
              expected.set(key, expected.get(key)! + 1);
            }
            await h.storage.create(`/registry/secrets/new/n${created}`, enc.encode(`n${created}`));
            created++;
          }
        })();
        const result = await h.keys.rotate();
        stop = true;
        await writer;

        assert.equal(result.newKey, "key2");
        for (const key of keys) {
          const kv = await h.storage.get(key);
          assert.equal(Number(dec.decode(kv!.value)), expected.get(key), key);
        }
        for (let i = 0; i < created; i++) {
          assert.equal(
            dec.decode((await h.storage.get(`/registry/secrets/new/n${i}`))!.value),
            `n${i}`,
          );
        }
        assert.deepEqual(await keyCounts(h.storage, "/registry/secrets/"), { key2: 12 + created });
        assert.deepEqual(keyNamesIn(await loadEncryptionConfig(h.path)), [["key2", "identity"]]);
      } finally {
        await h.storage.close();
        await Deno.remove(h.dir, { recursive: true });
        await close();
      }
    });
  }
});
