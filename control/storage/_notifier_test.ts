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

Deno.test("Notifier.wait() with a prefix sleeps through writes elsewhere and says how far to skip", async () => {
  const n = new Notifier();
  const signal = new AbortController().signal;
  let woke: number | null = null;
  const waiting = n.wait(n.seq, signal, "/registry/pods/").then((skip) => woke = skip);
  n.notify({ keys: ["/registry/events/default/a.1"], revision: 7 });
  n.notify({ keys: ["/registry/leases/kube-system/x"], revision: 9 });
  await Promise.resolve();
  assert.equal(woke, null);
  n.notify({ keys: ["/registry/events/default/b.1", "/registry/pods/default/web"], revision: 12 });
  await waiting;
  // Writes up to 9 were all elsewhere; 10–12 hold the pod's.
  assert.equal(woke, 9);
});

Deno.test("Notifier.notify() without keys wakes every waiter, which keeps what it noted", async () => {
  const n = new Notifier();
  const signal = new AbortController().signal;
  const a = n.wait(n.seq, signal, "/registry/pods/");
  const b = n.wait(n.seq, signal, "/registry/nodes/");
  n.notify({ keys: ["/registry/nodes/n1"], revision: 4 });
  assert.equal(await b, -1);
  n.notify();
  assert.equal(await a, 4);
});

Deno.test("Notifier.forgetSkips(): a waiter woken after an out-of-order write skips nothing", async () => {
  const n = new Notifier();
  const signal = new AbortController().signal;
  const waiting = n.wait(n.seq, signal, "/registry/pods/");
  n.notify({ keys: ["/registry/events/e"], revision: 20 });
  n.forgetSkips();
  n.notify({ keys: ["/registry/pods/default/late"], revision: 20 });
  assert.equal(await waiting, -1);
});

Deno.test("Notifier.wait() resolves at once with no skip after a missed notify or an abort", async () => {
  const n = new Notifier();
  const seq = n.seq;
  n.notify({ keys: ["/registry/events/e"], revision: 3 });
  assert.equal(await n.wait(seq, new AbortController().signal, "/registry/pods/"), -1);
  const ac = new AbortController();
  const waiting = n.wait(n.seq, ac.signal, "/registry/pods/");
  n.notify({ keys: ["/registry/events/f"], revision: 5 });
  ac.abort();
  assert.equal(await waiting, 5);
});
