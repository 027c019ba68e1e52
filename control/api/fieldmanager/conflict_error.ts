/**
 * The 409 of an apply that would change fields other managers own, with upstream's message
 * and one `FieldManagerConflict` cause per field:
 * `Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1:
 * .spec.replicas`. Appliers are named alone, updaters with the API version they wrote in,
 * writers through a subresource with it (`"kube-controller-manager" with subresource "status"
 * using apps/v1`).
 *
 * @example The message of one conflict
 * ```ts
 * import assert from "node:assert/strict";
 * import { conflictError } from "./conflict_error.ts";
 * import { fieldElement as f } from "./path_element.ts";
 *
 * const err = conflictError([{
 *   manager: '{"manager":"kubectl-client-side-apply","operation":"Update","apiVersion":"apps/v1"}',
 *   path: [f("spec"), f("replicas")],
 * }]);
 * assert.equal(err.code, 409);
 * assert.equal(
 *   err.message,
 *   'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas',
 * );
 * ```
 *
 * @module
 */
import { ApiError } from "../errors.ts";
import { pathString } from "./path_element.ts";
import type { Conflict } from "./updater.ts";

/** A manager identifier as conflict messages name it. */
export function printManager(id: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(id) as Record<string, unknown>;
  } catch {
    return JSON.stringify(id);
  }
  let s = JSON.stringify(typeof o.manager === "string" ? o.manager : "");
  if (typeof o.subresource === "string" && o.subresource !== "") {
    s += ` with subresource ${JSON.stringify(o.subresource)}`;
  }
  if (o.operation === "Update") {
    s += ` using ${typeof o.apiVersion === "string" ? o.apiVersion : ""}`;
  }
  return s;
}

function message(conflicts: readonly Conflict[]): string {
  if (conflicts.length === 1) {
    const c = conflicts[0]!;
    return `Apply failed with 1 conflict: conflict with ${printManager(c.manager)}: ${
      pathString(c.path)
    }`;
  }
  const byManager = new Map<string, string[]>();
  for (const c of conflicts) {
    const paths = byManager.get(c.manager) ?? [];
    paths.push(pathString(c.path));
    byManager.set(c.manager, paths);
  }
  const lines: string[] = [];
  for (const manager of [...byManager.keys()].sort()) {
    lines.push(`conflicts with ${printManager(manager)}:`);
    for (const p of byManager.get(manager)!) lines.push(`- ${p}`);
  }
  return `Apply failed with ${conflicts.length} conflicts: ${lines.join("\n")}`;
}

/** The 409 Conflict for `conflicts`. */
export function conflictError(conflicts: readonly Conflict[]): ApiError {
  return new ApiError(message(conflicts), {
    code: 409,
    reason: "Conflict",
    details: {
      causes: conflicts.map((c) => ({
        reason: "FieldManagerConflict",
        message: `conflict with ${printManager(c.manager)}`,
        field: pathString(c.path),
      })),
    },
  });
}
