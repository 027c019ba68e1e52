// deno-lint-ignore-file no-console
/**
 * `deno task bench storage`: each backend's create, get, guarded update, list of 10k keys and
 * watch event latency, next to the raw store measured in the same run (raw `Deno.Kv` on the same
 * file; raw etcd3 against the same etcd), with the ratio; plus bytes written to disk per 1 KiB
 * write. Prints a table and one JSON line per measurement.
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
import { type LatencyStats, medianRun, summarize, timeSequential } from "./stats.ts";

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
  /** Bytes the store's process has sent to disk so far. */
  writeBytes(): Promise<number>;
  close(): Promise<void>;
}

interface Subject {
  readonly name: string;
  readonly storage: Storage;
  readonly raw: Raw;
  readonly rawName: string;
  close(): Promise<void>;
}

interface Options {
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
    writeBytes: () => procWriteBytes(etcd.pid),
    close: () => Promise.resolve(client.close()),
  };
  return {
    name: "etcd",
    storage,
    raw,
    rawName: "raw etcd3",
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

async function runs(
  count: number,
  fn: (run: number) => Promise<LatencyStats>,
): Promise<LatencyStats> {
  const out: LatencyStats[] = [];
  for (let r = 0; r < count; r++) out.push(await fn(r));
  return medianRun(out);
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
  const create = await runs(o.runs, async (run) => {
    const before = await s.raw.writeBytes();
    const stats = await timeSequential(o.n, async (i) => {
      const kv = await s.storage.create(`/registry/bench/r${run}/k${i}`, value);
      revisions.set(kv.key, kv.modRevision);
    });
    skiffBytes = (await s.raw.writeBytes() - before) / o.n;
    return stats;
  });
  const rawCreate = await runs(o.runs, async (run) => {
    const before = await s.raw.writeBytes();
    const stats = await timeSequential(o.n, (i) => s.raw.put(`/r${run}/k${i}`, value));
    rawBytes = (await s.raw.writeBytes() - before) / o.n;
    return stats;
  });
  report({
    backend: s.name,
    op: "create 1 KiB",
    skiff: create,
    raw: rawCreate,
    rawName: `${s.rawName} put`,
  });

  const get = await runs(
    o.runs,
    (run) =>
      timeSequential(o.n, (i) => s.storage.get(`/registry/bench/r${run}/k${(i * 7919) % o.n}`)),
  );
  const rawGet = await runs(
    o.runs,
    (run) => timeSequential(o.n, (i) => s.raw.get(`/r${run}/k${(i * 7919) % o.n}`)),
  );
  report({ backend: s.name, op: "get", skiff: get, raw: rawGet, rawName: `${s.rawName} get` });

  const update = await runs(o.runs, (run) =>
    timeSequential(o.n, async (i) => {
      const key = `/registry/bench/r${run}/k${i}`;
      const kv = await s.storage.update(key, kib(i & 0xff), revisions.get(key)!);
      revisions.set(key, kv.modRevision);
    }));
  const rawUpdate = await runs(
    o.runs,
    (run) => timeSequential(o.n, (i) => s.raw.put(`/r${run}/k${i}`, kib(i & 0xff))),
  );
  report({
    backend: s.name,
    op: "guarded update 1 KiB",
    skiff: update,
    raw: rawUpdate,
    rawName: `${s.rawName} put (unguarded)`,
  });
  return { skiffBytes, rawBytes };
}

async function listLatency(s: Subject, o: Options, report: (row: Row) => void): Promise<void> {
  const value = kib(3);
  for (let i = 0; i < o.listKeys; i += 200) {
    await Promise.all(
      Array.from(
        { length: Math.min(200, o.listKeys - i) },
        (_, j) =>
          s.storage.create(`/registry/benchlist/ns/k${String(i + j).padStart(6, "0")}`, value),
      ),
    );
  }
  await s.raw.fill("/benchlist/", o.listKeys, value);
  const reps = Math.max(3, o.runs);
  const list = await timeSequential(reps, async () => {
    const r = await s.storage.list("/registry/benchlist/ns/");
    if (r.items.length !== o.listKeys) throw new Error(`listed ${r.items.length} of ${o.listKeys}`);
  });
  const rawList = await timeSequential(reps, async () => {
    const n = await s.raw.list("/benchlist/");
    if (n !== o.listKeys) throw new Error(`raw listed ${n} of ${o.listKeys}`);
  });
  report({
    backend: s.name,
    op: `list ${o.listKeys} keys`,
    skiff: list,
    raw: rawList,
    rawName: `${s.rawName} list`,
  });
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

  async function paced(write: (i: number) => Promise<unknown>): Promise<void> {
    const start = performance.now();
    const inflight: Promise<unknown>[] = [];
    for (let i = 0; i < total; i++) {
      const due = start + (i * 1000) / o.watchRate;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      inflight.push(write(i));
    }
    await Promise.all(inflight);
  }

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
  await paced((i) => s.storage.create(`/registry/benchwatch/ns/k${i}`, stamp(i)));
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
  await paced((i) => s.raw.put("/benchwatch/key", stamp(i)));
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
  if (seen !== total) throw new Error(`skiff watch saw ${seen} of ${total} events`);
}

// --- output ------------------------------------------------------------------------------------

function fmt(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(3);
}

function machine(): Record<string, unknown> {
  return {
    nproc: navigator.hardwareConcurrency,
    kernel: Deno.osRelease(),
    deno: Deno.version.deno,
  };
}

/** Runs the storage benchmark. Options: --backends kv,etcd --n 2000 --runs 3 --list 10000. */
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
    },
  });
  const o: Options = {
    n: Number(values.n),
    runs: Number(values.runs),
    listKeys: Number(values.list),
    watchSeconds: Number(values["watch-seconds"]),
    watchRate: Number(values["watch-rate"]),
  };
  const info = machine();
  console.log(`# storage benchmark: ${JSON.stringify({ ...info, ...o })}`);
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
    } finally {
      await subject.close();
      await Deno.remove(dir, { recursive: true });
    }
  }
}
