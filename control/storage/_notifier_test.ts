import assert from "node:assert/strict";
import { Notifier } from "./_notifier.ts";

Deno.test("Notifier.wait() resolves at once when a notify happened since the sequence", async () => {
  const n = new Notifier();
  const seq = n.seq;
  n.notify();
  await n.wait(seq, new AbortController().signal);
});

Deno.test("Notifier.wait() resolves on the next notify and on abort", async () => {
  const n = new Notifier();
  let woke = false;
  const waiting = n.wait(n.seq, new AbortController().signal).then(() => woke = true);
  await Promise.resolve();
  assert.equal(woke, false);
  n.notify();
  await waiting;
  assert.equal(woke, true);
  const ac = new AbortController();
  const aborted = n.wait(n.seq, ac.signal);
  ac.abort();
  await aborted;
});
