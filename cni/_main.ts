/**
 * The plugin's own entry for running from a checkout:
 * `CNI_COMMAND=ADD deno run -A cni/_main.ts < netconf.json`. It loads only `cni/` (about
 * 10 ms and 30 MB per call), where `mod.ts` at the top loads all of skiff (about 250 ms and
 * 110 MB) before it dispatches on `CNI_COMMAND`. `installCniPlugin`'s wrapper can point here.
 *
 * @module
 */
import { cniMain, systemCniDeps } from "./cni_main.ts";

if (import.meta.main) Deno.exit(await cniMain(systemCniDeps()));
