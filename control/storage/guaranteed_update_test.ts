import assert from "node:assert/strict";
import { ConflictError, KeyNotFoundError } from "./errors.ts";
import { guaranteedUpdate } from "./guaranteed_update.ts";
import { MemoryStorage } from "./memory.ts";
import type { KeyValue, Storage } from "./types.ts";

const k = "/registry/configmaps/default/a";

Deno.test("guaranteedUpdate() retries after a conflicting write and applies on the new value", async () => {
  await using storage = new MemoryStorage();
  await storage.create(k, new Uint8Array([1]));
  let calls = 0;
  const kv = await guaranteedUpdate(storage, {
    key: k,
    tryUpdate: async (cur) => {
      if (calls++ === 0) await storage.update(k, new Uint8Array([5]), cur!.modRevision);
      return new Uint8Array([cur!.value[0]! + 1]);
    },
  });
  assert.equal(calls, 2);
  assert.deepEqual(kv?.value, new Uint8Array([6]));
});

Deno.test("guaranteedUpdate() returns the current value when tryUpdate() returns null", async () => {
  await using storage = new MemoryStorage();
  const created = await storage.create(k, new Uint8Array([1]));
  assert.deepEqual(await guaranteedUpdate(storage, { key: k, tryUpdate: () => null }), created);
  assert.equal(await storage.currentRevision(), created.modRevision);
});

Deno.test("guaranteedUpdate() creates a missing key only when asked", async () => {
  await using storage = new MemoryStorage();
  await assert.rejects(
    guaranteedUpdate(storage, { key: k, tryUpdate: () => new Uint8Array() }),
    KeyNotFoundError,
  );
  const kv = await guaranteedUpdate(storage, {
    key: k,
    tryUpdate: (cur) => (cur === null ? new Uint8Array([9]) : null),
    createIfMissing: true,
  });
  assert.deepEqual(kv?.value, new Uint8Array([9]));
});

Deno.test("guaranteedUpdate() gives up with ConflictError after maxAttempts", async () => {
  await using inner = new MemoryStorage();
  await inner.create(k, new Uint8Array([1]));
  const alwaysConflicting: Storage = Object.assign(Object.create(inner), {
    get: (key: string) => inner.get(key),
    update: (key: string, _v: Uint8Array, expected: number): Promise<KeyValue> =>
      Promise.reject(new ConflictError(key, expected, expected + 1)),
  });
  await assert.rejects(
    guaranteedUpdate(alwaysConflicting, {
      key: k,
      tryUpdate: () => new Uint8Array(),
      maxAttempts: 3,
    }),
    ConflictError,
  );
});
