import assert from "node:assert/strict";
import { until } from "./until.ts";

Deno.test("until() resolves once the check answers true, sync or async", async (t) => {
  await t.step("sync", async () => {
    let calls = 0;
    await until(() => ++calls === 3, { intervalMs: 1 });
    assert.equal(calls, 3);
  });
  await t.step("async", async () => {
    let calls = 0;
    await until(() => Promise.resolve(++calls === 2), { intervalMs: 1 });
    assert.equal(calls, 2);
  });
});

Deno.test("until() throws naming what it waited for after timeoutMs", async () => {
  let calls = 0;
  await assert.rejects(
    until(() => {
      calls++;
      return false;
    }, { timeoutMs: 30, intervalMs: 5, what: "the pods" }),
    { message: "Timed out after 30 ms waiting for the pods" },
  );
  assert.ok(calls > 1, `checked ${calls} times`);
});
