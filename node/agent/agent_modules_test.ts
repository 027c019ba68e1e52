/**
 * What `skiff agent` loads: the modules statically reachable from its command (`deno info`),
 * dynamic imports left out. Each module costs the agent resident memory for as long as it runs
 * (under `deno run` several times its source size), so libraries only some requests need are
 * imported when first needed.
 */
import assert from "node:assert/strict";

interface Graph {
  readonly modules: readonly {
    readonly specifier: string;
    readonly dependencies?: readonly {
      readonly code?: { readonly specifier?: string };
      readonly isDynamic?: boolean;
    }[];
  }[];
}

async function staticallyLoaded(entry: URL): Promise<Set<string>> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry.pathname],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const graph = JSON.parse(new TextDecoder().decode(out.stdout)) as Graph;
  const bySpecifier = new Map(graph.modules.map((m) => [m.specifier, m]));
  const seen = new Set([entry.href]);
  const queue = [entry.href];
  for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
    for (const dep of bySpecifier.get(next)?.dependencies ?? []) {
      const to = dep.code?.specifier;
      if (!to || dep.isDynamic || seen.has(to)) continue;
      seen.add(to);
      queue.push(to);
    }
  }
  return seen;
}

Deno.test("skiff agent loads no X.509 library and no Pod schema at start", async () => {
  const loaded = [
    ...await staticallyLoaded(new URL("../../control/agent_command.ts", import.meta.url)),
  ];
  assert.ok(loaded.some((s) => s.endsWith("/node/agent/agent.ts")), "the graph was read");
  for (const unwanted of ["npm:pkijs", "npm:asn1js", "/control/util/x509/certificates.ts"]) {
    assert.deepEqual(loaded.filter((s) => s.includes(unwanted)), [], unwanted);
  }
  assert.deepEqual(loaded.filter((s) => s.endsWith("/control/api/types/core_v1_pod.ts")), []);
});
