// deno-lint-ignore-file no-console
/**
 * `deno task bench codec`: the request-body codecs against their same-run baselines, printing
 * the ratio: parsing 1 MiB of JSON with duplicate detection vs `JSON.parse`; strict schema
 * decoding of a Pod vs `JSON.parse` of its text; a protobuf Pod body vs the same Pod as JSON
 * through the same decoder; a strategic merge patch vs a JSON merge patch of the same document.
 *
 * @module
 */
import { isDeepStrictEqual, parseArgs } from "node:util";
import protobuf from "protobufjs";
import { decodeObject, decodeProtobufBody, parseJsonBody } from "../../control/api/codec/mod.ts";
import { PROTOBUF_MAGIC } from "../../control/api/codec/protobuf_body.ts";
import { applyMergePatch, applyStrategicMergePatch } from "../../control/api/patch/mod.ts";
import { Deployment } from "../../control/api/types/apps_v1.ts";
import { Pod } from "../../control/api/types/core_v1_pod.ts";

/** Best-of-`rounds` mean time per call, in milliseconds, after a warm-up. */
function perCall(fn: () => unknown, calls: number, rounds = 5): number {
  for (let i = 0; i < Math.max(10, calls / 10); i++) fn();
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const start = performance.now();
    for (let i = 0; i < calls; i++) fn();
    best = Math.min(best, (performance.now() - start) / calls);
  }
  return best;
}

interface Row {
  readonly name: string;
  readonly skiffMs: number;
  readonly baseline: string;
  readonly baselineMs: number;
}

function pod(): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: "web-7d4b9c-x2k9p",
      namespace: "default",
      labels: { app: "web", "pod-template-hash": "7d4b9c" },
      annotations: { "kubectl.kubernetes.io/restartedAt": "2024-01-01T00:00:00Z" },
    },
    spec: {
      containers: [{
        name: "web",
        image: "nginx:1.27",
        imagePullPolicy: "IfNotPresent",
        ports: [{ containerPort: 80, protocol: "TCP" }],
        env: [{ name: "A", value: 'with "quotes" and \\ backslashes' }],
      }],
      restartPolicy: "Always",
    },
  };
}

/** The same Pod as a `k8s\0` protobuf body (field numbers from k8s.io/api core/v1). */
function podProtobuf(): Uint8Array {
  type Part = (w: protobuf.Writer) => void;
  const key = (n: number, wire: number) => ((n << 3) | wire) >>> 0;
  const str = (n: number, s: string): Part => (w) => w.uint32(key(n, 2)).string(s);
  const int = (n: number, v: number): Part => (w) => w.uint32(key(n, 0)).int64(v);
  const msg = (n: number, ...parts: Part[]): Part => (w) => {
    w.uint32(key(n, 2)).fork();
    for (const p of parts) p(w);
    w.ldelim();
  };
  const entry = (n: number, k: string, v: string) => msg(n, str(1, k), str(2, v));
  const encode = (...parts: Part[]) => {
    const w = protobuf.Writer.create();
    for (const p of parts) p(w);
    return w.finish();
  };
  const object = encode(
    msg(
      1,
      str(1, "web-7d4b9c-x2k9p"),
      str(3, "default"),
      entry(11, "app", "web"),
      entry(11, "pod-template-hash", "7d4b9c"),
      entry(12, "kubectl.kubernetes.io/restartedAt", "2024-01-01T00:00:00Z"),
    ),
    msg(
      2,
      msg(
        2,
        str(1, "web"),
        str(2, "nginx:1.27"),
        msg(6, int(3, 80), str(4, "TCP")),
        msg(7, str(1, "A"), str(2, 'with "quotes" and \\ backslashes')),
        str(14, "IfNotPresent"),
      ),
      str(3, "Always"),
    ),
  );
  const unknown = encode(
    msg(1, str(1, "v1"), str(2, "Pod")),
    (w) => w.uint32(key(2, 2)).bytes(object),
  );
  return new Uint8Array([...PROTOBUF_MAGIC, ...unknown]);
}

function deployment(): Record<string, unknown> {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "default", labels: { app: "web" } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: "web" } },
      template: {
        metadata: { labels: { app: "web" } },
        spec: {
          containers: [
            {
              name: "nginx",
              image: "nginx:1.26",
              env: [{ name: "A", value: "1" }, { name: "B", value: "2" }],
              ports: [{ containerPort: 80, protocol: "TCP" }],
            },
            { name: "sidecar", image: "busybox:1.36" },
          ],
        },
      },
    },
  };
}

/** Runs every measurement and prints a table and one JSON line per row. */
export function runCodecBench(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { scale: { type: "string", default: "1" } } });
  const scale = Math.max(0.01, Number(values.scale) || 1);
  const calls = (n: number) => Math.max(1, Math.round(n * scale));
  const rows: Row[] = [];

  // 1 MiB of JSON: duplicate-detecting parser vs the engine's JSON.parse.
  const items: unknown[] = [];
  let big = "";
  while (big.length < 1 << 20) {
    for (let i = 0; i < 100; i++) items.push(pod());
    big = JSON.stringify({ kind: "List", items });
  }
  rows.push({
    name: `parseJsonBody ${(big.length / 1048576).toFixed(2)} MiB`,
    skiffMs: perCall(() => parseJsonBody(big), calls(20)),
    baseline: "JSON.parse",
    baselineMs: perCall(() => JSON.parse(big), calls(20)),
  });

  // One Pod: parse + strict schema decode vs JSON.parse alone.
  const podText = JSON.stringify(pod());
  rows.push({
    name: "Pod JSON parse+strict decode",
    skiffMs: perCall(
      () => decodeObject(Pod, { fieldValidation: "Strict", body: parseJsonBody(podText) }),
      calls(20_000),
    ),
    baseline: "JSON.parse",
    baselineMs: perCall(() => JSON.parse(podText), calls(20_000)),
  });

  // The same Pod as protobuf vs as JSON, both through the strict decoder.
  const podBytes = podProtobuf();
  const fromProtobuf = decodeProtobufBody(podBytes, Pod);
  const fromJson = decodeObject(Pod, { fieldValidation: "Strict", body: parseJsonBody(podText) });
  const check = decodeObject(Pod, { fieldValidation: "Strict", value: fromProtobuf });
  if (!isDeepStrictEqual(check.object, fromJson.object)) {
    throw new Error(`protobuf Pod decodes differently: ${JSON.stringify(check.object)}`);
  }
  rows.push({
    name: "Pod protobuf decode+strict decode",
    skiffMs: perCall(
      () =>
        decodeObject(Pod, {
          fieldValidation: "Strict",
          value: decodeProtobufBody(podBytes, Pod),
        }),
      calls(20_000),
    ),
    baseline: "same Pod as JSON",
    baselineMs: perCall(
      () => decodeObject(Pod, { fieldValidation: "Strict", body: parseJsonBody(podText) }),
      calls(20_000),
    ),
  });

  // A kubectl-apply-shaped strategic merge patch vs a JSON merge patch of the same document.
  const doc = deployment();
  const smp = {
    metadata: { annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{}" } },
    spec: {
      replicas: 3,
      template: {
        spec: {
          "$setElementOrder/containers": [{ name: "nginx" }, { name: "sidecar" }],
          containers: [{ image: "nginx:1.27", name: "nginx" }],
        },
      },
    },
  };
  const merge = {
    metadata: smp.metadata,
    spec: {
      replicas: 3,
      template: { spec: { containers: [{ name: "nginx", image: "nginx:1.27" }] } },
    },
  };
  rows.push({
    name: "strategic merge patch (Deployment)",
    skiffMs: perCall(
      () => applyStrategicMergePatch(doc, { patch: smp, schema: Deployment }),
      calls(20_000),
    ),
    baseline: "JSON merge patch",
    baselineMs: perCall(() => applyMergePatch(doc, merge), calls(20_000)),
  });

  console.log("# codec benchmark: best-of-5 mean per call, same-run baseline");
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(36)} ${r.skiffMs.toFixed(4).padStart(9)} ms   ` +
        `${r.baseline.padEnd(18)} ${r.baselineMs.toFixed(4).padStart(9)} ms   ` +
        `ratio ${(r.skiffMs / r.baselineMs).toFixed(2)}x`,
    );
  }
  for (const r of rows) {
    console.log(JSON.stringify({ ...r, ratio: Number((r.skiffMs / r.baselineMs).toFixed(3)) }));
  }
  return Promise.resolve();
}
