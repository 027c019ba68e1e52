/**
 * Pieces of upstream's `ValidatePodUpdate`: the toleration rule and the diff appended to the
 * "pod updates may not change fields" error.
 *
 * @module
 */
import type { PodSpec } from "../types/core_v1_pod.ts";
import type { Toleration } from "../types/core_v1_common.ts";
import { type FieldError, type FieldPath, forbidden } from "../validation/field_errors.ts";
import { validateTolerations } from "./pod_spec.ts";

function canonical(v: unknown): string {
  return JSON.stringify(
    v,
    (_k, x) =>
      x !== null && typeof x === "object" && !Array.isArray(x)
        ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0))
        : x,
  );
}

/**
 * `validateOnlyAddedTolerations`: every old toleration must still be there (its
 * tolerationSeconds may change); then the new list is validated as on create.
 */
export function validateTolerationsForUpdate(
  next: readonly Toleration[] | undefined,
  options: { readonly old: readonly Toleration[] | undefined; readonly path: FieldPath },
): FieldError[] {
  for (const old of options.old ?? []) {
    const found = (next ?? []).some((t) => {
      const { tolerationSeconds: _a, ...x } = t;
      const { tolerationSeconds: _b, ...y } = old;
      return canonical(x) === canonical(y);
    });
    if (!found) {
      return [
        forbidden(
          options.path,
          "existing toleration can not be modified except its tolerationSeconds",
        ),
      ];
    }
  }
  return validateTolerations(next, options.path);
}

const GO_NAMES: Readonly<Record<string, string>> = {
  dnsPolicy: "DNSPolicy",
  dnsConfig: "DNSConfig",
  hostPID: "HostPID",
  hostIPC: "HostIPC",
  os: "OS",
  setHostnameAsFQDN: "SetHostnameAsFQDN",
  serviceAccount: "DeprecatedServiceAccount",
};

function goName(key: string): string {
  return GO_NAMES[key] ?? key[0]!.toUpperCase() + key.slice(1);
}

/**
 * A diff of two pod specs in the shape of go-cmp's `cmp.Diff` (which upstream appends to the
 * error): changed top-level fields as `-`/`+` lines, unchanged ones counted. Values are shown
 * as JSON, so the text approximates, not reproduces, upstream's Go rendering.
 */
export function podSpecDiff(old: PodSpec, next: PodSpec): string {
  const keys = [...new Set([...Object.keys(old), ...Object.keys(next)])];
  const lines = ["  core.PodSpec{"];
  let same = 0;
  const flush = () => {
    if (same > 0) lines.push(`  \t... // ${same} identical field${same === 1 ? "" : "s"}`);
    same = 0;
  };
  for (const k of keys) {
    const a = (old as Record<string, unknown>)[k];
    const b = (next as Record<string, unknown>)[k];
    if (canonical(a) === canonical(b)) {
      same++;
      continue;
    }
    flush();
    lines.push(`- \t${goName(k)}: ${a === undefined ? "nil" : canonical(a)},`);
    lines.push(`+ \t${goName(k)}: ${b === undefined ? "nil" : canonical(b)},`);
  }
  flush();
  lines.push("  }");
  return lines.join("\n") + "\n";
}
