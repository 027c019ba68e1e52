import assert from "node:assert/strict";
import type { Transport } from "../../control/client/transport.ts";
import { CountingTransport } from "./_counting_transport.ts";

/** Answers each request with the status in its path's last segment, after `release()`. */
class HeldTransport implements Transport {
  readonly #held: (() => void)[] = [];
  request(_method: string, path: string): Promise<Response> {
    const status = Number(path.split("/").pop());
    return new Promise((resolve) => this.#held.push(() => resolve(new Response(null, { status }))));
  }
  release(): void {
    for (const r of this.#held.splice(0)) r();
  }
}

Deno.test("CountingTransport counts kinds, failures and tracked requests in flight", async () => {
  const inner = new HeldTransport();
  const t = new CountingTransport(inner, {
    kindOf: (method) => method,
    tracked: (_m, _p, kind) => kind === "POST",
  });
  const answers = [
    t.request("POST", "/x/201"),
    t.request("POST", "/x/409"),
    t.request("GET", "/x/200"),
    t.request("GET", "/x/404"),
  ];
  await Promise.resolve();
  assert.equal(t.inflight, 2);
  inner.release();
  await Promise.all(answers);
  assert.equal(t.inflight, 0);
  assert.equal(t.maxInflight, 2);
  assert.deepEqual(Object.fromEntries(t.counts), { POST: 2, GET: 2 });
  assert.deepEqual(Object.fromEntries(t.failures), { "POST 409": 1, "GET 404": 1 });
  assert.equal(t.trackedOk, 1);
  assert.equal(t.trackedFailed, 1);
});

Deno.test("CountingTransport without kindOf counts only the tracked requests", async () => {
  const inner = new HeldTransport();
  const t = new CountingTransport(inner, { tracked: (m, p) => m === "POST" && p.includes("/b") });
  const answers = [t.request("POST", "/b/201"), t.request("GET", "/b/500")];
  await Promise.resolve();
  inner.release();
  await Promise.all(answers);
  assert.equal(t.counts.size, 0);
  assert.equal(t.failures.size, 0);
  assert.equal(t.trackedOk, 1);
  assert.equal(t.trackedFailed, 0);
  assert.equal(t.maxInflight, 1);
});
