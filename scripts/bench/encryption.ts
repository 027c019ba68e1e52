// deno-lint-ignore-file no-console
/**
 * `deno task bench encryption` (once the lead registers it in `scripts/bench.ts`): the cost of
 * encryption at rest. A 1 KiB Secret is read (`get`) and written (guarded `update`) through
 * {@linkcode EncryptingStorage} (AES-256-GCM) and, in the same run on the same backend
 * instance, straight through the backend on a sibling key; runs alternate so both see the
 * same disk and noise. Also the bare seal/open cost without storage. Backends: `memory` (the
 * crypto cost alone) and `kv` (a Deno KV file in a temp dir, what a device runs), or `all`.
 *
 * Usage: `deno run -A scripts/bench/encryption.ts [--backend memory|kv|all] [--n 2000] [--runs 5]`
 *
 * @module
 */
import { parseArgs } from "node:util";
import { openDenoKvStorage } from "../../control/storage/deno_kv.ts";
import { openEncryptingStorage } from "../../control/storage/encrypting_storage.ts";
import { MemoryStorage } from "../../control/storage/memory.ts";
import type { Storage } from "../../control/storage/types.ts";
import { type LatencyStats, medianRun, timeSequential } from "./stats.ts";

interface Row {
  readonly backend: string;
  readonly op: string;
  readonly encrypted: LatencyStats;
  readonly raw: LatencyStats;
}

const SECRET_BYTES = 1024;

function secretValue(seed: number): Uint8Array<ArrayBuffer> {
  const data = new Uint8Array(SECRET_BYTES);
  for (let i = 0; i < data.length; i++) data[i] = 0x41 + ((i + seed) % 26);
  return data;
}

/** Mean µs of one AES-256-GCM seal and open of `bytes` with WebCrypto, as the wrapper does. */
async function aesGcmCost(
  options: { bytes: number; n: number },
): Promise<{ sealUs: number; openUs: number }> {
  const key = await crypto.subtle.importKey(
    "raw",
    crypto.getRandomValues(new Uint8Array(32)),
    "AES-GCM",
    false,
    ["encrypt", "decrypt"],
  );
  const data = secretValue(1);
  const additionalData = new TextEncoder().encode("/registry/secrets/bench/sealed");
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData }, key, data);
  let start = performance.now();
  for (let i = 0; i < options.n; i++) {
    const nonce = crypto.getRandomValues(new Uint8Array(12));
    await crypto.subtle.encrypt({ name: "AES-GCM", iv: nonce, additionalData }, key, data);
  }
  const sealUs = (performance.now() - start) * 1000 / options.n;
  start = performance.now();
  for (let i = 0; i < options.n; i++) {
    await crypto.subtle.decrypt({ name: "AES-GCM", iv, additionalData }, key, sealed);
  }
  return { sealUs, openUs: (performance.now() - start) * 1000 / options.n };
}

async function openBackend(name: string, dir: string): Promise<Storage> {
  if (name === "memory") return new MemoryStorage();
  return await openDenoKvStorage({ path: `${dir}/bench-${name}.kv` });
}

async function benchBackend(
  backend: string,
  options: { dir: string; n: number; runs: number },
): Promise<Row[]> {
  const inner = await openBackend(backend, options.dir);
  const storage = await openEncryptingStorage(inner, {
    prefixes: [{
      prefix: "/registry/secrets/",
      providers: [{
        type: "aesgcm",
        keys: [{ name: "key1", secret: crypto.getRandomValues(new Uint8Array(32)) }],
      }],
    }],
  });
  try {
    const sealedKey = "/registry/secrets/bench/sealed";
    // The raw side writes a sibling prefix the wrapper does not encrypt, on the same instance.
    const rawKey = "/registry/secretsraw/bench/plain";
    let sealedRev = (await storage.create(sealedKey, secretValue(0))).modRevision;
    let rawRev = (await inner.create(rawKey, secretValue(0))).modRevision;
    const runs: Record<string, { encrypted: LatencyStats[]; raw: LatencyStats[] }> = {
      get: { encrypted: [], raw: [] },
      update: { encrypted: [], raw: [] },
    };
    for (let run = 0; run < options.runs; run++) {
      runs.get!.encrypted.push(await timeSequential(options.n, () => storage.get(sealedKey)));
      runs.get!.raw.push(await timeSequential(options.n, () => inner.get(rawKey)));
      runs.update!.encrypted.push(
        await timeSequential(options.n, async (i) => {
          sealedRev = (await storage.update(sealedKey, secretValue(i), sealedRev)).modRevision;
        }),
      );
      runs.update!.raw.push(
        await timeSequential(options.n, async (i) => {
          rawRev = (await inner.update(rawKey, secretValue(i), rawRev)).modRevision;
        }),
      );
      // Keep the history (and the KV file) from growing without bound between runs.
      await storage.compact(await storage.currentRevision());
    }
    return Object.entries(runs).map(([op, r]) => ({
      backend,
      op,
      encrypted: medianRun(r.encrypted),
      raw: medianRun(r.raw),
    }));
  } finally {
    await storage.close();
  }
}

/** Runs the benchmark with command-line `args` and prints a table and one JSON line per row. */
export async function runEncryptionBench(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      backend: { type: "string", default: "all" },
      n: { type: "string", default: "2000" },
      runs: { type: "string", default: "5" },
    },
  });
  const backends = values.backend === "all" ? ["memory", "kv"] : [values.backend];
  for (const b of backends) {
    if (b !== "memory" && b !== "kv") {
      throw new RangeError(`Cannot benchmark backend "${b}": expected memory, kv or all`);
    }
  }
  const n = Number(values.n);
  const runs = Number(values.runs);
  const dir = await Deno.makeTempDir({ prefix: "skiff-bench-encryption-" });
  const rows: Row[] = [];
  let cost: { sealUs: number; openUs: number };
  try {
    cost = await aesGcmCost({ bytes: SECRET_BYTES, n: n * 5 });
    for (const backend of backends) rows.push(...await benchBackend(backend, { dir, n, runs }));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  console.log(
    `# encryption at rest: 1 KiB Secret, median of ${runs} runs of ${n} sequential ops, ` +
      "through EncryptingStorage vs the same backend raw",
  );
  console.log(
    `AES-256-GCM alone: seal ${cost.sealUs.toFixed(1)} µs, open ${cost.openUs.toFixed(1)} µs`,
  );
  for (const r of rows) {
    console.log(
      `${r.backend.padEnd(7)} ${r.op.padEnd(7)} encrypted p50 ${
        (r.encrypted.p50 * 1000).toFixed(1).padStart(8)
      } µs  raw p50 ${(r.raw.p50 * 1000).toFixed(1).padStart(8)} µs  ratio ${
        (r.encrypted.p50 / r.raw.p50).toFixed(2)
      }x  (+${((r.encrypted.p50 - r.raw.p50) * 1000).toFixed(1)} µs)`,
    );
  }
  console.log(JSON.stringify({ bench: "aes-gcm", bytes: SECRET_BYTES, ...cost }));
  for (const r of rows) {
    console.log(JSON.stringify({
      bench: "encryption",
      backend: r.backend,
      op: r.op,
      encryptedP50Ms: r.encrypted.p50,
      rawP50Ms: r.raw.p50,
      encryptedP99Ms: r.encrypted.p99,
      rawP99Ms: r.raw.p99,
      ratio: Number((r.encrypted.p50 / r.raw.p50).toFixed(3)),
    }));
  }
}

if (import.meta.main) await runEncryptionBench(Deno.args);
