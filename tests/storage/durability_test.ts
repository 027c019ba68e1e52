/**
 * Durability: a writer process killed with SIGKILL in the middle of its write loop loses no write
 * it had acknowledged, and after reopening no object is half-written. Run on Deno KV and etcd.
 */
import assert from "node:assert/strict";
import { openStorage } from "../../control/storage/registry.ts";
import { plan, PLAN_KEYS, type PlannedOp } from "../_support/durability_plan.ts";
import { startEtcd } from "../_support/etcd_process.ts";

const WRITER = new URL("../_support/storage_writer.ts", import.meta.url).pathname;

interface Acked {
  readonly seq: number;
  readonly revision: number;
}

/** Runs the writer against `url` and kills it with SIGKILL after `killAfter` acknowledged writes. */
async function runAndKill(url: string, killAfter: number): Promise<Acked[]> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", WRITER, url],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const acked: Acked[] = [];
  const decoder = new TextDecoder();
  let buffered = "";
  let killed = false;
  const stderr = new Response(child.stderr).text();
  for await (const chunk of child.stdout) {
    buffered += decoder.decode(chunk, { stream: true });
    const lines = buffered.split("\n");
    buffered = lines.pop()!;
    for (const line of lines) {
      const [seq, revision] = line.split(" ").map(Number) as [number, number];
      acked.push({ seq, revision });
    }
    if (!killed && acked.length >= killAfter) {
      child.kill("SIGKILL");
      killed = true;
    }
  }
  const status = await child.status;
  const errors = await stderr;
  assert.equal(status.signal, "SIGKILL", `writer ended on its own: ${errors}`);
  return acked;
}

/** What every key must hold after the acknowledged prefix, and what the in-flight op may leave. */
function expectations(acked: Acked[]): {
  final: Map<string, PlannedOp | null>;
  inFlight: PlannedOp;
} {
  const last = acked[acked.length - 1]!.seq;
  const final = new Map<string, PlannedOp | null>();
  let inFlight: PlannedOp | undefined;
  for (const op of plan()) {
    if (op.seq > last) {
      inFlight = op;
      break;
    }
    final.set(op.key, op.action === "delete" ? null : op);
  }
  return { final, inFlight: inFlight! };
}

async function verify(url: string, acked: Acked[]): Promise<void> {
  assert.ok(acked.length > 0);
  acked.forEach((a, i) => assert.equal(a.seq, i, "acknowledgements arrive in schedule order"));
  const { final, inFlight } = expectations(acked);
  await using storage = await openStorage(url);
  const lastRevision = acked[acked.length - 1]!.revision;
  assert.ok(await storage.currentRevision() >= lastRevision, "no acknowledged revision is lost");
  const listed = await storage.list("/registry/configmaps/durability/");
  assert.ok(listed.items.length <= PLAN_KEYS);
  for (let k = 0; k < PLAN_KEYS; k++) {
    const key = `/registry/configmaps/durability/k${k}`;
    const stored = await storage.get(key);
    const expected = final.get(key) ?? null;
    const alternatives = [expected];
    if (inFlight.key === key) alternatives.push(inFlight.action === "delete" ? null : inFlight);
    const matches = alternatives.some((op) =>
      op === null ? stored === null : stored !== null &&
        stored.value.byteLength === op.value!.byteLength &&
        stored.value.every((b, i) => b === op.value![i])
    );
    assert.ok(
      matches,
      `${key}: stored ${
        stored ? `${stored.value.byteLength} bytes at ${stored.modRevision}` : "nothing"
      }, ` +
        `expected op ${expected?.seq ?? "none (deleted)"}${
          inFlight.key === key ? ` or in-flight op ${inFlight.seq}` : ""
        }`,
    );
    const listedKv = listed.items.find((kv) => kv.key === key);
    assert.deepEqual(listedKv?.value, stored?.value, `${key}: list and get agree`);
  }
}

Deno.test("Deno KV loses no acknowledged write when the writer is killed with SIGKILL", async () => {
  const dir = await Deno.makeTempDir({ prefix: "skiff-durability-" });
  try {
    for (const [round, killAfter] of [60, 137, 250].entries()) {
      const url = `kv://${dir}/round${round}.kv`;
      const acked = await runAndKill(url, killAfter);
      await verify(url, acked);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("etcd loses no acknowledged write when the writer is killed with SIGKILL", async () => {
  for (const killAfter of [60, 173]) {
    await using etcd = await startEtcd();
    const url = `etcd://${etcd.endpoint.replace(/^http:\/\//, "")}`;
    const acked = await runAndKill(url, killAfter);
    await verify(url, acked);
  }
});
