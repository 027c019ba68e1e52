/**
 * skiff: a Kubernetes distribution for edge devices, written in TypeScript on Deno.
 *
 * Run as a program it is the `skiff` command line (`skiff server`, `skiff agent`,
 * `skiff version`, `skiff help`; see `control/cli.ts`), and the CNI plugin when `CNI_COMMAND`
 * is set (`cni/cni_main.ts`). Each loads only what it runs: a CNI call or `skiff agent` on a
 * 1 GB device must not pay for the whole control plane (the plugin runs once per pod; the agent
 * loaded this way stays ~25 MiB smaller). The library's public API is in the areas' barrels:
 * `control/mod.ts`, `node/mod.ts` and `cni/mod.ts`.
 *
 * @example Read skiff's versions
 * ```ts
 * import assert from "node:assert/strict";
 * import { versionInfo } from "./control/mod.ts";
 *
 * assert.equal(versionInfo().kubernetes.gitVersion, "v1.33.0");
 * ```
 *
 * @module
 */

if (import.meta.main) {
  if (Deno.env.get("CNI_COMMAND")) {
    // containerd runs this binary as a CNI plugin with CNI_COMMAND set.
    const { cniMain, systemCniDeps } = await import("./cni/cni_main.ts");
    Deno.exit(await cniMain(systemCniDeps()));
  }
  const { main, systemCliDeps } = await import("./control/cli.ts");
  Deno.exit(await main(Deno.args, systemCliDeps()));
}
