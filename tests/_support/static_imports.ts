/**
 * The modules an entry point loads at start: its static imports, transitively, as `deno info`
 * reports them, dynamic imports left out. Tests use it to keep a command's start-up free of
 * code only some configurations or requests need.
 *
 * @module
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

/** The specifiers (file URLs, `npm:` names) `entry` imports statically, `entry` included. */
export async function staticImports(entry: URL): Promise<Set<string>> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry.href],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, `deno info ${entry.href}: ${new TextDecoder().decode(out.stderr)}`);
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
