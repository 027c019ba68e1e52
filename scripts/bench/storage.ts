// deno-lint-ignore-file no-console
/**
 * `deno task bench storage`: each backend's create, get, guarded update, list of 10k keys and
 * watch event latency, next to the raw store measured in the same run (raw `Deno.Kv` on the same
 * file; raw etcd3 against the same etcd), with the ratio; plus bytes written to disk per 1 KiB
 * write, open time of a 10k-key file, and the disk's fdatasync latency (the floor of every
 * durable commit). Skiff and its baseline run alternately, so both see the same disk and noise.
 * The store is pinned to CPU 1 and the load to CPU 0 with `taskset` (`--pin off` to disable):
 * for Deno KV the "store" is its SQLite worker threads inside this process, for etcd the etcd
 * process. Prints a table and one JSON line per measurement.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { parseArgs } from "node:util";
import { Etcd3 } from "etcd3";
import { openDenoKvStorage } from "../../control/storage/deno_kv.ts";
import { openEtcdStorage } from "../../control/storage/etcd.ts";
import type { Storage } from "../../control/storage/types.ts";
import { startEtcd } from "../../tests/_support/etcd_process.ts";
import { pin, taskset } from "./_server_process.ts";
import { fmt, type LatencyStats, medianRun, summarize, timeSequential } from "./stats.ts";

/** The raw store operations a backend is compared against. */
interface Raw {
  put(key: string, value: Uint8Array): Promise<unknown>;
  get(key: string): Promise<unknown>;
  /** Lists the keys under a prefix, returning how many. */
  list(prefix: string): Promise<number>;
  /** Writes many keys fast (setup only, untimed). */
  fill(prefix: string, n: number, value: Uint8Array): Promise<void>;
  /** Watches `key`; calls `onValue` with every value seen until the returned stop is called. */
  watch(key: string, onValue: (value: Uint8Array) => void): Promise<() => Promise<void>>;
  /**
   * The store's own form of what skiff's watch run does, where the store has one: a guarded
   * create of a new key under `prefix` per write, seen by a watch on the prefix (with previous
   * values, as skiff's watch asks). Deno KV has no prefix watch, so it has none.
   */
  readonly sameShape?: {
    create(key: string, value: Uint8Array): Promise<unknown>;
    watchPrefix(prefix: string, onValue: (value: Uint8Array) => void): Promise<() => Promise<void>>;
  };
  /** Bytes the store's process has sent to disk so far. */
  writeBytes(): Promise<number>;
  close(): Promise<void>;
}

interface Subject {
  readonly name: string;
  readonly storage: Storage;
  readonly raw: Raw;
  readonly rawName: string;
  /** The store's own process, when it is not this one (pinned whole to the store CPU). */
  readonly serverPid?: number;
  close(): Promise<void>;
}

interface Options {
  readonly pin: boolean;
  readonly n: number;
  readonly runs: number;
  readonly listKeys: number;
  readonly watchSeconds: number;
  readonly watchRate: number;
}

async function procWriteBytes(pid: number | "self"): Promise<number> {
  const io = await Deno.readTextFile(`/proc/${pid}/io`);
  return Number(/write_bytes:\s*(\d+)/.exec(io)?.[1] ?? NaN);
}

function kib(fill: number): Uint8Array {
  return new Uint8Array(1024).fill(fill);
}

// --- subjects ----------------------------------------------------------------------------------

async function kvSubject(dir: string): Promise<Subject> {
  const path = `${dir}/bench.kv`;
  const storage = await openDenoKvStorage({ path });
  const kv = await Deno.openKv(path);
  const raw: Raw = {
    put: (key, value) => kv.set(["raw", key], value),
    get: (key) => kv.get(["raw", key]),
    async list(prefix) {
      let n = 0;
      for await (const _ of kv.list({ prefix: ["raw", prefix] }, { batchSize: 1000 })) n++;
      return n;
    },
    async fill(prefix, n, value) {
      for (let i = 0; i < n; i += 100) {
        const op = kv.atomic();
        for (let j = i; j < Math.min(n, i + 100); j++) op.set(["raw", prefix, `k${j}`], value);
        await op.commit();
      }
    },
    watch(key, onValue) {
      const stream = kv.watch<[Uint8Array]>([["raw", key]]);
      const reader = stream.getReader();
      const done = (async () => {
        for (;;) {
          const { value, done } = await reader.read().catch(() => ({
            value: undefined,
            done: true,
          }));
          if (done || !value) return;
          if (value[0].value) onValue(value[0].value);
        }
      })();
      return Promise.resolve(async () => {
        await reader.cancel();
        await done;
      });
    },
    writeBytes: () => procWriteBytes("self"),
    close: () => Promise.resolve(kv.close()),
  };
  return {
    name: "kv",
    storage,
    raw,
    rawName: "raw Deno.Kv",
    close: async () => {
      await storage.close();
      kv.close();
    },
  };
}

async function etcdSubject(): Promise<Subject> {
  const etcd = await startEtcd();
  const storage = await openEtcdStorage({ endpoints: [etcd.endpoint], prefix: "/skiff" });
  const client = new Etcd3({ hosts: etcd.endpoint });
  const raw: Raw = {
    put: (key, value) => client.put(`/raw${key}`).value(Buffer.from(value)).exec(),
    get: (key) => client.get(`/raw${key}`).buffer(),
    async list(prefix) {
      return (await client.getAll().prefix(`/raw${prefix}`).keys()).length;
    },
    async fill(prefix, n, value) {
      const buf = Buffer.from(value);
      for (let i = 0; i < n; i += 100) {
        await Promise.all(
          Array.from(
            { length: Math.min(100, n - i) },
            (_, j) => client.put(`/raw${prefix}k${i + j}`).value(buf),
          ),
        );
      }
    },
    async watch(key, onValue) {
      const watcher = await client.watch().key(`/raw${key}`).create();
      watcher.on("put", (kv) => onValue(new Uint8Array(kv.value)));
      return async () => {
        await watcher.cancel();
      };
    },
    sameShape: {
      async create(key, value) {
        const res = await client.if(`/raw${key}`, "Mod", "==", 0)
          .then(client.put(`/raw${key}`).value(Buffer.from(value)))
          .commit();
        if (!res.succeeded) throw new Error(`raw create of "${key}" found the key`);
      },
      async watchPrefix(prefix, onValue) {
        const watcher = await client.watch().prefix(`/raw${prefix}`).withPreviousKV().create();
        watcher.on("put", (kv) => onValue(new Uint8Array(kv.value)));
        return async () => {
          await watcher.cancel();
        };
      },
    },
    writeBytes: () => procWriteBytes(etcd.pid),
    close: () => Promise.resolve(client.close()),
  };
  return {
    name: "etcd",
    storage,
    raw,
    rawName: "raw etcd3",
    serverPid: etcd.pid,
    close: async () => {
      await storage.close();
      client.close();
      await etcd.stop();
    },
  };
}

// --- measurements ------------------------------------------------------------------------------

interface Row {
  readonly backend: string;
  readonly op: string;
  readonly skiff: LatencyStats;
  readonly raw: LatencyStats;
  readonly rawName: string;
}

/**
 * Runs `skiff(run)` and `raw(run)` alternately `count` times each and keeps each side's median
 * run, so slow phases of the disk (WAL checkpoints) fall on both sides alike.
 */
async function paired(
  count: number,
  skiff: (run: number) => Promise<LatencyStats>,
  raw: (run: number) => Promise<LatencyStats>,
): Promise<{ skiff: LatencyStats; raw: LatencyStats }> {
  const s: LatencyStats[] = [];
  const r: LatencyStats[] = [];
  for (let run = 0; run < count; run++) {
    s.push(await skiff(run));
    r.push(await raw(run));
  }
  return { skiff: medianRun(s), raw: medianRun(r) };
}

async function writeLatencies(
  s: Subject,
  o: Options,
  report: (row: Row) => void,
): Promise<{ skiffBytes: number; rawBytes: number }> {
  const value = kib(7);
  const revisions = new Map<string, number>();
  let skiffBytes = 0;
  let rawBytes = 0;
  // Warm up both paths.
  for (let i = 0; i < 50; i++) {
    await s.storage.create(`/registry/bench/warm/k${i}`, value);
    await s.raw.put(`/warm/k${i}`, value);
  }
  const create = await paired(o.runs, async (run) => {
    const before = await s.raw.writeBytes();
    const stats = await timeSequential(o.n, async (i) => {
      const kv = await s.storage.create(`/registry/bench/r${run}/k${i}`, value);
      revisions.set(kv.key, kv.modRevision);
    });
    skiffBytes += (await s.raw.writeBytes() - before) / (o.n * o.runs);
    return stats;
  }, async (run) => {
    const before = await s.raw.writeBytes();
    const stats = await timeSequential(o.n, (i) => s.raw.put(`/r${run}/k${i}`, value));
    rawBytes += (await s.raw.writeBytes() - before) / (o.n * o.runs);
    return stats;
  });
  report({ backend: s.name, op: "create 1 KiB", ...create, rawName: `${s.rawName} put` });

  const get = await paired(
    o.runs,
    (run) =>
      timeSequential(o.n, (i) => s.storage.get(`/registry/bench/r${run}/k${(i * 7919) % o.n}`)),
    (run) => timeSequential(o.n, (i) => s.raw.get(`/r${run}/k${(i * 7919) % o.n}`)),
  );
  report({ backend: s.name, op: "get", ...get, rawName: `${s.rawName} get` });

  const update = await paired(
    o.runs,
    (run) =>
      timeSequential(o.n, async (i) => {
        const key = `/registry/bench/r${run}/k${i}`;
        const kv = await s.storage.update(key, kib(i & 0xff), revisions.get(key)!);
        revisions.set(key, kv.modRevision);
      }),
    (run) => timeSequential(o.n, (i) => s.raw.put(`/r${run}/k${i}`, kib(i & 0xff))),
  );
  report({
    backend: s.name,
    op: "guarded update 1 KiB",
    ...update,
    rawName: `${s.rawName} put (unguarded)`,
  });
  return { skiffBytes, rawBytes };
}

const LIST_PREFIX = "/registry/benchlist/ns/";

/** A list of the `listKeys` keys under {@linkcode LIST_PREFIX}, paired with the raw list. */
function measureList(s: Subject, o: Options): Promise<{ skiff: LatencyStats; raw: LatencyStats }> {
  return paired(
    Math.max(3, o.runs),
    () =>
      timeSequential(3, async () => {
        const r = await s.storage.list(LIST_PREFIX);
        if (r.items.length !== o.listKeys) {
          throw new Error(`listed ${r.items.length} of ${o.listKeys}`);
        }
      }),
    () =>
      timeSequential(3, async () => {
        const n = await s.raw.list("/benchlist/");
        if (n !== o.listKeys) throw new Error(`raw listed ${n} of ${o.listKeys}`);
      }),
  );
}

/** List of `listKeys` keys written together. */
async function listLatency(s: Subject, o: Options, report: (row: Row) => void): Promise<void> {
  const value = kib(3);
  for (let i = 0; i < o.listKeys; i += 200) {
    await Promise.all(
      Array.from(
        { length: Math.min(200, o.listKeys - i) },
        (_, j) => s.storage.create(`${LIST_PREFIX}k${String(i + j).padStart(6, "0")}`, value),
      ),
    );
  }
  await s.raw.fill("/benchlist/", o.listKeys, value);
  report({
    backend: s.name,
    op: `list ${o.listKeys} keys`,
    ...(await measureList(s, o)),
    rawName: `${s.rawName} list`,
  });
}

/**
 * The same list after every key was rewritten in shuffled order, each rewrite followed by two
 * writes elsewhere: the rows the list reads then lie apart in the log (the worst case of a
 * log-structured store whose list reads rows by revision). Run after the watch measurement,
 * whose disk conditions it would change (30k more writes).
 */
async function spreadListLatency(
  s: Subject,
  o: Options,
  report: (row: Row) => void,
): Promise<void> {
  const value = kib(3);
  const listed = (await s.storage.list(LIST_PREFIX)).items;
  let x = 2463534242;
  const shuffled = listed.map((kv) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return [x >>> 0, kv] as const;
  }).sort((a, b) => a[0] - b[0]).map(([, kv]) => kv);
  for (let i = 0; i < shuffled.length; i += 100) {
    // Submitted in this order, committed in this order.
    await Promise.all(
      shuffled.slice(i, i + 100).flatMap((kv, j) => [
        s.storage.update(kv.key, value, kv.modRevision),
        s.storage.create(`/registry/benchspread/ns/a${i + j}`, value),
        s.storage.create(`/registry/benchspread/ns/b${i + j}`, value),
      ]),
    );
  }
  report({
    backend: s.name,
    op: `list ${o.listKeys} keys, rows spread`,
    ...(await measureList(s, o)),
    rawName: `${s.rawName} list`,
  });
}

/**
 * Issues `watchSeconds × watchRate` writes at `watchRate`/s, open loop; returns each write's own
 * latency (until acknowledged).
 */
async function paced(o: Options, write: (i: number) => Promise<unknown>): Promise<number[]> {
  const total = Math.round(o.watchSeconds * o.watchRate);
  const start = performance.now();
  const inflight: Promise<number>[] = [];
  for (let i = 0; i < total; i++) {
    const wait = start + (i * 1000) / o.watchRate - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const t = performance.now();
    inflight.push(write(i).then(() => performance.now() - t));
  }
  return await Promise.all(inflight);
}

/** Event latency: from the start of a write to its event reaching the watcher, at a fixed rate. */
async function watchLatency(s: Subject, o: Options, report: (row: Row) => void): Promise<void> {
  const total = Math.round(o.watchSeconds * o.watchRate);
  const stamp = (i: number) => {
    const v = new Uint8Array(16);
    new DataView(v.buffer).setFloat64(0, performance.now());
    new DataView(v.buffer).setFloat64(8, i);
    return v;
  };
  const sentAt = (v: Uint8Array) => new DataView(v.buffer, v.byteOffset).getFloat64(0);

  // skiff: one watch on the prefix, a new key per write.
  const skiffSamples: number[] = [];
  const ac = new AbortController();
  const from = await s.storage.currentRevision();
  let seen = 0;
  let allSeen!: () => void;
  const seenAll = new Promise<void>((r) => allSeen = r);
  let established!: () => void;
  const isEstablished = new Promise<void>((r) => established = r);
  const watching = (async () => {
    for await (const e of s.storage.watch("/registry/benchwatch/", from, ac.signal)) {
      // The first event is a sentinel: it proves the watch is running before timing starts,
      // as the raw watch's create() does.
      if (e.kv.key.endsWith("/sentinel")) {
        established();
        continue;
      }
      skiffSamples.push(performance.now() - sentAt(e.kv.value));
      if (++seen === total) allSeen();
    }
  })();
  await s.storage.create("/registry/benchwatch/ns/sentinel", stamp(-1));
  await isEstablished;
  const t0 = performance.now();
  const skiffWrites = await paced(
    o,
    (i) => s.storage.create(`/registry/benchwatch/ns/k${i}`, stamp(i)),
  );
  await Promise.race([seenAll, new Promise((r) => setTimeout(r, 10_000))]);
  const skiffWall = performance.now() - t0;
  ac.abort();
  await watching;

  // raw: the store's own watch on the keys written.
  const rawSamples: number[] = [];
  const stop = await s.raw.watch(
    "/benchwatch/key",
    (v) => rawSamples.push(performance.now() - sentAt(v)),
  );
  const t1 = performance.now();
  const rawWrites = await paced(o, (i) => s.raw.put("/benchwatch/key", stamp(i)));
  await new Promise((r) => setTimeout(r, 200));
  const rawWall = performance.now() - t1;
  await stop();
  report({
    backend: s.name,
    op: `watch event latency @${o.watchRate}/s`,
    skiff: summarize(skiffSamples, skiffWall),
    raw: summarize(rawSamples, rawWall),
    rawName: `${s.rawName} watch`,
  });
  // The writes' own latency in the same runs: an event cannot arrive before its write commits,
  // so a stall here (the disk, or CPU taken by other processes) shows in the event p99 too.
  report({
    backend: s.name,
    op: `write latency during the watch run @${o.watchRate}/s`,
    skiff: summarize(skiffWrites, skiffWall),
    raw: summarize(rawWrites, rawWall),
    rawName: `${s.rawName} put`,
  });
  if (seen !== total) throw new Error(`skiff watch saw ${seen} of ${total} events`);
  if (s.raw.sameShape) await sameShapeWatchLatency(s, s.raw.sameShape, { o, report });
}

/** The run whose p99 is the median of `runs`' (the watch rows compare tails). */
function medianTailRun(runs: LatencyStats[]): LatencyStats {
  return runs.toSorted((a, b) => a.p99 - b.p99)[Math.floor(runs.length / 2)]!;
}

/**
 * Event latencies of one paced run of guarded creates of new keys, `total` at `rate`/s, each
 * stamped with its start; `watch` must see every one (it is started before the first write).
 */
async function pacedCreates(
  o: Options,
  io: {
    readonly watch: (onValue: (value: Uint8Array) => void) => Promise<() => Promise<void>>;
    readonly create: (i: number, value: Uint8Array) => Promise<unknown>;
  },
): Promise<LatencyStats> {
  const total = Math.round(o.watchSeconds * o.watchRate);
  const samples: number[] = [];
  let allSeen!: () => void;
  const seenAll = new Promise<void>((r) => allSeen = r);
  const stop = await io.watch((v) => {
    samples.push(performance.now() - new DataView(v.buffer, v.byteOffset).getFloat64(0));
    if (samples.length === total) allSeen();
  });
  const t0 = performance.now();
  await paced(o, (i) => {
    const v = new Uint8Array(16);
    new DataView(v.buffer).setFloat64(0, performance.now());
    return io.create(i, v);
  });
  await Promise.race([seenAll, new Promise((r) => setTimeout(r, 10_000))]);
  const wall = performance.now() - t0;
  await stop();
  if (samples.length !== total) throw new Error(`a watch saw ${samples.length} of ${total} events`);
  return summarize(samples, wall);
}

/**
 * skiff's watch run against the raw store doing the same (new keys by guarded create, a prefix
 * watch with previous values) at the same rate, alternately, `max(3, runs)` times each, keeping
 * each side's median-p99 run: the store's own stalls (etcd's commits on a shared disk) fall on
 * both sides alike, and the raw side is the floor for skiff's event latency on that store.
 */
async function sameShapeWatchLatency(
  s: Subject,
  raw: NonNullable<Raw["sameShape"]>,
  run: { readonly o: Options; readonly report: (row: Row) => void },
): Promise<void> {
  const { o, report } = run;
  const skiffRun = (n: number) =>
    pacedCreates(o, {
      async watch(onValue) {
        const ac = new AbortController();
        const prefix = `/registry/benchshape/s${n}/`;
        const from = await s.storage.currentRevision();
        let established!: () => void;
        const isEstablished = new Promise<void>((r) => established = r);
        const watching = (async () => {
          for await (const e of s.storage.watch(prefix, from, ac.signal)) {
            if (e.kv.key.endsWith("/sentinel")) established();
            else onValue(e.kv.value);
          }
        })();
        await s.storage.create(`${prefix}ns/sentinel`, new Uint8Array(16));
        await isEstablished;
        return async () => {
          ac.abort();
          await watching;
        };
      },
      create: (i, v) => s.storage.create(`/registry/benchshape/s${n}/ns/k${i}`, v),
    });
  const rawRun = (n: number) =>
    pacedCreates(o, {
      watch: (onValue) => raw.watchPrefix(`/benchshape/r${n}/`, onValue),
      create: (i, v) => raw.create(`/benchshape/r${n}/ns/k${i}`, v),
    });
  const skiffRuns: LatencyStats[] = [];
  const rawRuns: LatencyStats[] = [];
  for (let n = 0; n < Math.max(3, o.runs); n++) {
    skiffRuns.push(await skiffRun(n));
    rawRuns.push(await rawRun(n));
  }
  report({
    backend: s.name,
    op: `watch event latency @${o.watchRate}/s, same shape, alternating (median-p99 run)`,
    skiff: medianTailRun(skiffRuns),
    raw: medianTailRun(rawRuns),
    rawName: `${s.rawName} guarded create + prefix watch`,
  });
}

/**
 * Deno KV open time: a file of `keys` 1 KiB objects (written through skiff, closed), opened and
 * closed again, against a raw `Deno.openKv` of the same file reading every row once (the floor
 * of rebuilding anything from it). With `--v8-flags=--expose-gc`, also the heap an open storage
 * keeps per key (its key directory and log index).
 */
async function openLatency(
  dir: string,
  o: Options,
  report: (row: Row) => void,
): Promise<number | undefined> {
  const path = `${dir}/open.kv`;
  const fill = await openDenoKvStorage({ path });
  const value = kib(5);
  for (let i = 0; i < o.listKeys; i += 200) {
    await Promise.all(
      Array.from(
        { length: Math.min(200, o.listKeys - i) },
        (_, j) => fill.create(`/registry/configmaps/ns${(i + j) % 50}/cm${i + j}`, value),
      ),
    );
  }
  await fill.close();
  const open = await paired(
    Math.max(3, o.runs),
    () =>
      timeSequential(1, async () => {
        const storage = await openDenoKvStorage({ path });
        await storage.close();
      }),
    () =>
      timeSequential(1, async () => {
        const kv = await Deno.openKv(path);
        let n = 0;
        for await (const _ of kv.list({ prefix: [] }, { batchSize: 1000 })) n++;
        kv.close();
        if (n < o.listKeys) throw new Error(`raw read ${n} of ${o.listKeys} rows`);
      }),
  );
  report({
    backend: "kv",
    op: `open ${o.listKeys} keys`,
    ...open,
    rawName: "raw Deno.openKv + read every row",
  });
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return undefined;
  gc();
  const before = Deno.memoryUsage().heapUsed;
  const storage = await openDenoKvStorage({ path });
  gc();
  const perKey = (Deno.memoryUsage().heapUsed - before) / o.listKeys;
  await storage.close();
  return perKey;
}

/** The latency of a durable 4 KiB write on the bench's disk: overwrite at offset 0, fdatasync. */
async function fsyncLatency(dir: string): Promise<LatencyStats> {
  using file = await Deno.open(`${dir}/fsync-probe`, { write: true, create: true });
  const block = new Uint8Array(4096).fill(1);
  return await timeSequential(500, async (i) => {
    await file.seek(0, Deno.SeekMode.Start);
    block[0] = i & 0xff;
    await file.write(block);
    await file.syncData();
  });
}

/** How busy the CPUs are over `ms` while this process sleeps: the share other processes take. */
async function otherCpuBusy(ms: number): Promise<number> {
  const sample = async () => {
    const cpu = (await Deno.readTextFile("/proc/stat")).split("\n")[0]!.split(/\s+/).slice(1)
      .map(Number);
    const idle = cpu[3]! + cpu[4]!; // idle + iowait
    return { idle, total: cpu.reduce((a, b) => a + b, 0) };
  };
  const a = await sample();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const b = await sample();
  return 1 - (b.idle - a.idle) / Math.max(1, b.total - a.total);
}

/**
 * Pins the store to CPU 1 and the load to CPU 0: this process's threads all to CPU 0 except
 * Deno KV's SQLite workers (threads named `sw-…`, one per open handle, so call this after
 * opening), and the store's own process, when it has one, to CPU 1. Returns what was done.
 */
async function pinSubject(subject: Subject): Promise<string> {
  if (navigator.hardwareConcurrency < 2) return "off: fewer than 2 CPUs";
  let sqlite = 0;
  for await (const task of Deno.readDir("/proc/self/task")) {
    const comm = (await Deno.readTextFile(`/proc/self/task/${task.name}/comm`)).trim();
    const store = comm.startsWith("sw-");
    if (store) sqlite++;
    if (!await taskset(["-p", "-c", store ? "1" : "0", task.name])) {
      await unpin();
      return "off: taskset is not available";
    }
  }
  if (subject.serverPid !== undefined) {
    await pin(subject.serverPid, 1);
    return `etcd (pid ${subject.serverPid}) on CPU 1, this process on CPU 0`;
  }
  return `Deno KV SQLite worker threads (${sqlite}) on CPU 1, the rest of this process on CPU 0`;
}

async function unpin(): Promise<void> {
  const all = `0-${navigator.hardwareConcurrency - 1}`;
  await taskset(["-a", "-p", "-c", all, String(Deno.pid)]);
}

// --- output ------------------------------------------------------------------------------------

function machine(fsync: LatencyStats, busy: number): Record<string, unknown> {
  return {
    cpu_busy_before: Number(busy.toFixed(2)),
    nproc: navigator.hardwareConcurrency,
    kernel: Deno.osRelease(),
    deno: Deno.version.deno,
    fsync_ms: fsync.p50,
    fsync_p99_ms: fsync.p99,
  };
}

/**
 * Runs the storage benchmark. Options: --backends kv,etcd --n 2000 --runs 3 --list 10000
 * --pin split|off.
 */
export async function runStorageBench(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      backends: { type: "string", default: "kv,etcd" },
      n: { type: "string", default: "2000" },
      runs: { type: "string", default: "3" },
      list: { type: "string", default: "10000" },
      "watch-seconds": { type: "string", default: "3" },
      "watch-rate": { type: "string", default: "1000" },
      pin: { type: "string", default: "split" },
    },
  });
  if (values.pin !== "split" && values.pin !== "off") {
    throw new Error(`Cannot use --pin "${values.pin}": expected split or off`);
  }
  const o: Options = {
    pin: values.pin === "split",
    n: Number(values.n),
    runs: Number(values.runs),
    listKeys: Number(values.list),
    watchSeconds: Number(values["watch-seconds"]),
    watchRate: Number(values["watch-rate"]),
  };
  const busy = await otherCpuBusy(1000);
  const probeDir = await Deno.makeTempDir({ prefix: "skiff-bench-" });
  const fsync = await fsyncLatency(probeDir).finally(() =>
    Deno.remove(probeDir, { recursive: true })
  );
  const info = machine(fsync, busy);
  console.log(`# storage benchmark: ${JSON.stringify({ ...info, ...o })}`);
  console.log(
    `# disk: a 4 KiB write + fdatasync takes p50 ${fmt(fsync.p50)} / p99 ${
      fmt(fsync.p99)
    } ms; every durable commit pays about this (compare the raw set p50 below)`,
  );
  if (busy > 0.15) {
    console.log(
      `# warning: other processes kept the CPUs ${
        (busy * 100).toFixed(0)
      }% busy just before this run; pinned threads cannot move away from them, so expect p99 stalls (--pin off lets the scheduler move them)`,
    );
  }
  console.log(
    "backend | operation | skiff p50 / p99 ms | skiff ops/s | baseline | baseline p50 / p99 ms | baseline ops/s | p50 ratio | p99 ratio",
  );
  const report = (row: Row) => {
    const p50 = row.skiff.p50 / row.raw.p50;
    const p99 = row.skiff.p99 / row.raw.p99;
    console.log(
      `${row.backend} | ${row.op} | ${fmt(row.skiff.p50)} / ${fmt(row.skiff.p99)} | ${
        fmt(row.skiff.opsPerSec)
      } | ${row.rawName} | ${fmt(row.raw.p50)} / ${fmt(row.raw.p99)} | ${
        fmt(row.raw.opsPerSec)
      } | ${p50.toFixed(2)}x | ${p99.toFixed(2)}x`,
    );
    console.log(JSON.stringify({
      name: `storage/${row.backend}/${row.op}`,
      value: row.skiff.p50,
      baseline_value: row.raw.p50,
      ratio: p50,
      p50: row.skiff.p50,
      p99: row.skiff.p99,
      ops_per_sec: row.skiff.opsPerSec,
      baseline: {
        name: row.rawName,
        p50: row.raw.p50,
        p99: row.raw.p99,
        ops_per_sec: row.raw.opsPerSec,
      },
      n: row.skiff.n,
      machine: info,
    }));
  };
  for (const backend of values.backends.split(",")) {
    const dir = await Deno.makeTempDir({ prefix: "skiff-bench-" });
    const subject = backend === "kv"
      ? await kvSubject(dir)
      : backend === "etcd"
      ? await etcdSubject()
      : null;
    if (!subject) throw new Error(`Cannot benchmark backend "${backend}": expected kv or etcd`);
    try {
      console.log(`# ${backend} pinning: ${o.pin ? await pinSubject(subject) : "off (--pin off)"}`);
      const bytes = await writeLatencies(subject, o, report);
      console.log(
        `${backend} | disk bytes written per 1 KiB write | skiff ${
          fmt(bytes.skiffBytes)
        } | ${subject.rawName} ${fmt(bytes.rawBytes)} | ratio ${
          (bytes.skiffBytes / bytes.rawBytes).toFixed(2)
        }x`,
      );
      console.log(JSON.stringify({
        name: `storage/${backend}/disk-bytes-per-1KiB-write`,
        value: bytes.skiffBytes,
        baseline_value: bytes.rawBytes,
        ratio: bytes.skiffBytes / bytes.rawBytes,
        machine: info,
      }));
      await listLatency(subject, o, report);
      await watchLatency(subject, o, report);
      if (backend === "kv") {
        await spreadListLatency(subject, o, report);
        const perKey = await openLatency(dir, o, report);
        console.log(
          `kv | heap per key of an open storage | ${
            perKey === undefined
              ? "not measured: run with --v8-flags=--expose-gc"
              : `${fmt(perKey)} bytes (key directory + log index, ${o.listKeys} keys)`
          }`,
        );
      }
    } finally {
      await subject.close();
      if (o.pin) await unpin();
      await Deno.remove(dir, { recursive: true });
    }
  }
}
