/**
 * The registry of server-side printers: one per built-in kind that has its own columns
 * upstream, keyed `<group>/<Kind>` (`/Pod` for the core group, `apps/Deployment`), and
 * {@linkcode printerFor}, which falls back to the default `Name`/`Created At` printer as
 * kube-apiserver does for every other kind.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { printerFor } from "./printers.ts";
 * import { DEFAULT_PRINTER } from "./default_printer.ts";
 *
 * assert.equal(printerFor("apps", "Deployment").columns[1]!.name, "Ready");
 * assert.equal(printerFor("rbac.authorization.k8s.io", "Role"), DEFAULT_PRINTER);
 * ```
 *
 * @module
 */
import { APPS_PRINTERS } from "./apps_printers.ts";
import { BATCH_PRINTERS } from "./batch_printers.ts";
import { CORE_PRINTERS } from "./core_printers.ts";
import { DEFAULT_PRINTER } from "./default_printer.ts";
import { OTHER_PRINTERS } from "./other_printers.ts";
import type { Printer } from "./table.ts";

/** Every kind-specific printer, keyed `<group>/<Kind>`. */
export const PRINTERS: ReadonlyMap<string, Printer> = new Map<string, Printer>([
  ...CORE_PRINTERS,
  ...APPS_PRINTERS,
  ...BATCH_PRINTERS,
  ...OTHER_PRINTERS,
]);

/** The printer of `group`/`kind` (`""` for core), or the default printer. */
export function printerFor(group: string, kind: string): Printer {
  return PRINTERS.get(`${group}/${kind}`) ?? DEFAULT_PRINTER;
}
