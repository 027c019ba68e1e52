import assert from "node:assert/strict";
import { FakeClock } from "../util/clock.ts";
import { RecordingLogger } from "../util/logger.ts";
import { type CacheSyncWaiter, runController } from "./controller.ts";
import { WorkQueue } from "./workqueue.ts";

/** Lets every pending promise callback run (no real time passes). */
async function flush(): Promise<void> {
  for (let i = 0; i < 50; i++) await Promise.resolve();
}

function setup(): {
  clock: FakeClock;
  queue: WorkQueue<string>;
  stop: AbortController;
  log: RecordingLogger;
} {
  const clock = new FakeClock();
  return {
    clock,
    queue: new WorkQueue<string>({ clock }),
    stop: new AbortController(),
    log: new RecordingLogger(),
  };
}

Deno.test("runController() syncs queued keys and forgets them on success", async () => {
  const { clock, queue, stop, log } = setup();
  const synced: string[] = [];
  queue.add("default/a");
  const run = runController({
    name: "test",
    queue,
    sync: (key) => {
      synced.push(key);
    },
    signal: stop.signal,
    logger: log,
    clock,
  });
  await flush();
  queue.add("default/b");
  queue.add("default/a");
  await flush();
  assert.deepEqual(synced, ["default/a", "default/b", "default/a"]);
  stop.abort();
  await run;
  assert.deepEqual(log.messages("info"), ["Starting controller", "Shutting down controller"]);
  assert.deepEqual(
    log.records.filter((r) => r.msg === "Finished syncing").map((r) => r.fields.key),
    synced,
  );
  assert.ok(log.records.every((r) => r.fields.controller === "test"));
});

Deno.test("runController() requeues a failing key with backoff and logs the key", async () => {
  const { clock, queue, stop, log } = setup();
  const attempts: number[] = [];
  queue.add("default/web");
  const run = runController({
    name: "test",
    queue,
    sync: (key) => {
      attempts.push(clock.now());
      if (attempts.length < 4) throw new Error(`Cannot sync "${key}"`);
      return Promise.resolve();
    },
    signal: stop.signal,
    logger: log,
    clock,
  });
  for (let i = 0; i < 3; i++) {
    await flush();
    assert.equal(clock.runNext(), true);
  }
  await flush();
  // The default limiter: 5 ms, then 10 ms, then 20 ms.
  assert.deepEqual(attempts, [0, 5, 15, 35]);
  assert.equal(queue.numRequeues("default/web"), 0, "forgotten once it succeeds");
  assert.equal(clock.pendingTimers, 0);
  const errors = log.records.filter((r) => r.level === "error");
  assert.deepEqual(
    errors.map((r) => [r.msg, r.fields.controller, r.fields.key, r.fields.retries]),
    [
      ["Error syncing", "test", "default/web", 0],
      ["Error syncing", "test", "default/web", 1],
      ["Error syncing", "test", "default/web", 2],
    ],
  );
  assert.equal((errors[0]!.fields.error as Error).message, 'Cannot sync "default/web"');
  stop.abort();
  await run;
});

Deno.test("runController() drops a key after maxRetries failed retries", async (t) => {
  for (const maxRetries of [0, 1, 3]) {
    await t.step(`maxRetries ${maxRetries}`, async () => {
      const { clock, queue, stop, log } = setup();
      let attempts = 0;
      queue.add("default/web");
      const run = runController({
        name: "test",
        queue,
        sync: () => {
          attempts++;
          return Promise.reject(new Error("Cannot sync"));
        },
        signal: stop.signal,
        logger: log,
        clock,
        maxRetries,
      });
      await flush();
      while (clock.runNext()) await flush();
      assert.equal(attempts, maxRetries + 1);
      assert.equal(queue.numRequeues("default/web"), 0);
      assert.equal(queue.len(), 0);
      assert.deepEqual(log.messages("error").slice(-1), ["Dropping key out of the queue"]);
      assert.equal(log.messages("error").length, maxRetries + 1);
      stop.abort();
      await run;
    });
  }
});

Deno.test("runController() never syncs one key twice at once, across workers", async () => {
  const { clock, queue, stop, log } = setup();
  const running = new Map<string, number>();
  const gates: PromiseWithResolvers<void>[] = [];
  let overlaps = 0;
  let maxRunning = 0;
  const calls: string[] = [];
  const run = runController({
    name: "test",
    queue,
    workers: 4,
    sync: async (key) => {
      calls.push(key);
      const n = (running.get(key) ?? 0) + 1;
      if (n > 1) overlaps++;
      running.set(key, n);
      maxRunning = Math.max(maxRunning, [...running.values()].reduce((a, b) => a + b, 0));
      const gate = Promise.withResolvers<void>();
      gates.push(gate);
      await gate.promise;
      running.set(key, (running.get(key) ?? 1) - 1);
    },
    signal: stop.signal,
    logger: log,
    clock,
  });
  queue.add("a");
  queue.add("b");
  await flush();
  queue.add("a");
  queue.add("a");
  await flush();
  assert.deepEqual(calls, ["a", "b"], "a is not synced again while its first sync runs");
  assert.equal(maxRunning, 2, "different keys sync in parallel");
  gates[0]!.resolve();
  await flush();
  assert.deepEqual(calls, ["a", "b", "a"], "a re-added during its sync runs once more after it");
  for (const gate of gates) gate.resolve();
  await flush();
  for (const gate of gates) gate.resolve();
  assert.equal(overlaps, 0);
  stop.abort();
  await run;
  assert.deepEqual(calls, ["a", "b", "a"]);
});

Deno.test("runController() on abort lets in-flight syncs finish and skips queued keys", async () => {
  const { clock, queue, stop, log } = setup();
  const gate = Promise.withResolvers<void>();
  const calls: string[] = [];
  let sawAbort = false;
  let finished = false;
  queue.add("a");
  queue.add("b");
  const run = runController({
    name: "test",
    queue,
    sync: async (key, signal) => {
      calls.push(key);
      await gate.promise;
      sawAbort = signal.aborted;
      finished = true;
    },
    signal: stop.signal,
    logger: log,
    clock,
  });
  await flush();
  stop.abort();
  assert.equal(queue.shuttingDown(), true);
  let resolved = false;
  run.then(() => resolved = true);
  await flush();
  assert.equal(resolved, false, "waits for the in-flight sync");
  gate.resolve();
  await run;
  assert.equal(finished, true);
  assert.equal(sawAbort, true);
  assert.deepEqual(calls, ["a"]);
  assert.equal(await queue.get(), undefined);
  assert.deepEqual(log.messages("info"), ["Starting controller", "Shutting down controller"]);
});

Deno.test("runController() treats a sync failing because of shutdown as no error", async () => {
  const { clock, queue, stop, log } = setup();
  queue.add("a");
  const run = runController({
    name: "test",
    queue,
    sync: (_key, signal) =>
      new Promise((_resolve, reject) => {
        signal.addEventListener("abort", () => reject(signal.reason), { once: true });
      }),
    signal: stop.signal,
    logger: log,
    clock,
  });
  await flush();
  stop.abort();
  await run;
  assert.deepEqual(log.messages("error"), []);
  assert.deepEqual(log.messages("debug"), ["Sync stopped by shutdown"]);
  assert.equal(queue.numRequeues("a"), 0);
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("runController() starts workers only once every cache is synced", async () => {
  const { clock, queue, stop, log } = setup();
  const pods = Promise.withResolvers<boolean>();
  const nodes = Promise.withResolvers<void>();
  const seen: AbortSignal[] = [];
  const waitFor: CacheSyncWaiter[] = [
    {
      waitForSync: (signal) => {
        seen.push(signal);
        return pods.promise;
      },
    },
    { waitForSync: () => nodes.promise },
  ];
  const calls: string[] = [];
  queue.add("a");
  const run = runController({
    name: "test",
    queue,
    sync: (key) => {
      calls.push(key);
    },
    waitFor,
    signal: stop.signal,
    logger: log,
    clock,
  });
  await flush();
  assert.deepEqual(seen, [stop.signal]);
  pods.resolve(true);
  await flush();
  assert.deepEqual(calls, [], "one cache is still syncing");
  nodes.resolve();
  await flush();
  assert.deepEqual(calls, ["a"]);
  stop.abort();
  await run;
  assert.deepEqual(log.messages("info"), [
    "Starting controller",
    "Waiting for caches to sync",
    "Caches are synced",
    "Shutting down controller",
  ]);
});

Deno.test("runController() gives up without syncing when caches do not sync", async (t) => {
  const cases: {
    name: string;
    waitForSync: (signal: AbortSignal) => Promise<boolean | void>;
    /** An error only when the caches failed by themselves, not when stopped while waiting. */
    error: boolean;
  }[] = [
    { name: "a cache reports false", waitForSync: () => Promise.resolve(false), error: true },
    {
      name: "a cache rejects with the abort reason",
      waitForSync: (signal) =>
        new Promise((_resolve, reject) =>
          signal.addEventListener("abort", () => reject(signal.reason), { once: true })
        ),
      error: false,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const { clock, queue, stop, log } = setup();
      const calls: string[] = [];
      queue.add("a");
      const run = runController({
        name: "test",
        queue,
        sync: (key) => {
          calls.push(key);
        },
        waitFor: [{ waitForSync: c.waitForSync }],
        signal: stop.signal,
        logger: log,
        clock,
      });
      await flush();
      stop.abort();
      await run;
      assert.deepEqual(calls, []);
      assert.deepEqual(log.messages("error"), c.error ? ["Unable to sync caches"] : []);
      if (!c.error) assert.ok(log.messages("info").includes("Stopped before the caches synced"));
      assert.equal(queue.shuttingDown(), true);
    });
  }
});

Deno.test("runController() rejects when a cache waiter fails while running", async () => {
  const { clock, queue, stop, log } = setup();
  await assert.rejects(
    runController({
      name: "test",
      queue,
      sync: () => {},
      waitFor: [{ waitForSync: () => Promise.reject(new Error("Cannot list pods")) }],
      signal: stop.signal,
      logger: log,
      clock,
    }),
    { message: "Cannot list pods" },
  );
  assert.equal(queue.shuttingDown(), true);
  assert.deepEqual(log.messages("info").slice(-1), ["Shutting down controller"]);
});

Deno.test("runController() with an aborted signal syncs nothing", async () => {
  const { clock, queue, log } = setup();
  const calls: string[] = [];
  queue.add("a");
  await runController({
    name: "test",
    queue,
    sync: (key) => {
      calls.push(key);
    },
    signal: AbortSignal.abort(),
    logger: log,
    clock,
  });
  assert.deepEqual(calls, []);
  assert.equal(queue.shuttingDown(), true);
});

Deno.test("runController() refuses bad worker and retry counts", async (t) => {
  const cases = [
    { workers: 0, message: 'Cannot run controller "test" with 0 workers' },
    { workers: 1.5, message: 'Cannot run controller "test" with 1.5 workers' },
    {
      maxRetries: -1,
      message: 'Cannot run controller "test" with -1 retries: expected an integer >= 0',
    },
  ];
  for (const { message, ...counts } of cases) {
    await t.step(message, async () => {
      const { clock, queue, stop, log } = setup();
      await assert.rejects(
        runController({
          name: "test",
          queue,
          sync: () => {},
          signal: stop.signal,
          logger: log,
          clock,
          ...counts,
        }),
        { name: "RangeError", message },
      );
      assert.deepEqual(log.records, []);
      queue.shutDown();
    });
  }
});
