/**
 * skiff: a Kubernetes distribution for edge devices, written in TypeScript on Deno.
 *
 * As a module it re-exports the public API of the control plane, the node side and the CNI
 * plugin. Run as a program it is the `skiff` command line (`skiff server`, `skiff version`,
 * `skiff help`); see `control/cli.ts`.
 *
 * @example Read skiff's versions
 * ```ts
 * import assert from "node:assert/strict";
 * import { versionInfo } from "./mod.ts";
 *
 * assert.equal(versionInfo().kubernetes.gitVersion, "v1.33.0");
 * ```
 *
 * @module
 */
import { main, systemCliDeps } from "./control/cli.ts";
import { cniMain, systemCniDeps } from "./cni/cni_main.ts";

export * from "./control/mod.ts";
export * from "./node/mod.ts";
export * from "./cni/mod.ts";

if (import.meta.main) {
  // containerd runs this binary as a CNI plugin with CNI_COMMAND set (cni/cni_main.ts).
  if (Deno.env.get("CNI_COMMAND")) Deno.exit(await cniMain(systemCniDeps()));
  Deno.exit(await main(Deno.args, systemCliDeps()));
}
