/**
 * What `skiff agent` loads: the modules statically reachable from its command (`deno info`),
 * dynamic imports left out. Each module costs the agent resident memory for as long as it runs
 * (under `deno run` several times its source size), so libraries only some requests need are
 * imported when first needed.
 */
import assert from "node:assert/strict";
import { staticImports } from "../../tests/_support/static_imports.ts";

Deno.test("skiff agent loads no X.509 library and no Pod schema at start", async () => {
  const loaded = [
    ...await staticImports(new URL("../../control/agent_command.ts", import.meta.url)),
  ];
  assert.ok(loaded.some((s) => s.endsWith("/node/agent/agent.ts")), "the graph was read");
  for (const unwanted of ["npm:pkijs", "npm:asn1js", "/control/util/x509/certificates.ts"]) {
    assert.deepEqual(loaded.filter((s) => s.includes(unwanted)), [], unwanted);
  }
  assert.deepEqual(loaded.filter((s) => s.endsWith("/control/api/types/core_v1_pod.ts")), []);
});
