import assert from "node:assert/strict";
import { KeyLocks } from "./_deno_kv_key_locks.ts";

function tick(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 1));
}

Deno.test("KeyLocks.run() runs holders of one key one at a time, in arrival order", async () => {
  const locks = new KeyLocks();
  const log: string[] = [];
  let active = 0;
  await Promise.all(Array.from({ length: 5 }, (_, i) =>
    locks.run("k", async () => {
      active++;
      assert.equal(active, 1);
      log.push(`start ${i}`);
      await tick();
      log.push(`end ${i}`);
      active--;
    })));
  assert.deepEqual(log, [0, 1, 2, 3, 4].flatMap((i) => [`start ${i}`, `end ${i}`]));
  assert.equal(locks.size, 0);
});

Deno.test("KeyLocks.run() does not hold up other keys", async () => {
  const locks = new KeyLocks();
  let release!: () => void;
  const held = locks.run("a", () => new Promise<void>((resolve) => release = resolve));
  const other = await locks.run("b", () => Promise.resolve("b ran"));
  assert.equal(other, "b ran");
  assert.equal(locks.size, 1);
  release();
  await held;
  assert.equal(locks.size, 0);
});

Deno.test("KeyLocks.run() releases the key when the holder throws", async () => {
  const locks = new KeyLocks();
  const failed = locks.run("k", () => {
    throw new RangeError("boom");
  });
  const next = locks.run("k", () => Promise.resolve(42));
  await assert.rejects(failed, RangeError);
  assert.equal(await next, 42);
  assert.equal(locks.size, 0);
});
