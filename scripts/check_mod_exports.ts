// deno-lint-ignore-file no-console
/**
 * Checks that every folder's `mod.ts` re-exports its public files, as std's
 * `_tools/check_mod_exports.ts` does: in a folder with a `mod.ts`, each `.ts` file that is not a
 * test (`*_test.ts`), a benchmark (`*_bench.ts`), private (`_name.ts`) or listed in
 * {@linkcode PRIVATE_FILES} must appear in an `export … from "./file.ts"` of that `mod.ts`, and
 * each subfolder with its own `mod.ts` must be re-exported as `./sub/mod.ts`.
 *
 * Usage: `deno run -A scripts/check_mod_exports.ts [ROOT]`; exits 1 listing what is missing.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Files, relative to the root, that are public-looking but intentionally not re-exported. */
export const PRIVATE_FILES: ReadonlyMap<string, string> = new Map([
  ["control/cli.ts", "the command line's entry; only mod.ts's `import.meta.main` block calls it"],
  ...["control/mod.ts", "node/mod.ts", "cni/mod.ts"].map((area) =>
    [
      area,
      "the top-level mod.ts is the program entry and loads each command on demand; the areas' " +
      "mod.ts are the library's entries",
    ] as const
  ),
  [
    "control/storage/etcd.ts",
    "loaded on demand by registry.ts: etcd3 and gRPC cost ~16 MiB of RSS when Deno KV is used",
  ],
]);

/** Folders the check skips entirely (no public API). */
const SKIPPED_DIRS = new Set(["tests", "scripts", "dist", "node_modules"]);

/** A public file or folder its `mod.ts` does not re-export. */
export interface MissingExport {
  /** The folder's `mod.ts`, relative to the root. */
  readonly mod: string;
  /** The specifier `mod.ts` should re-export, e.g. `./clock.ts` or `./util/mod.ts`. */
  readonly specifier: string;
}

/** The relative specifiers `source` re-exports with `export … from "…"`. */
export function findReExports(source: string): Set<string> {
  const found = new Set<string>();
  const pattern = /^\s*export\s+(?:type\s+)?[\w$\s{},*]*?\s*from\s*["']([^"'\n]+)["']/gm;
  for (const match of source.matchAll(pattern)) found.add(match[1]!.replace(/^\.\//, ""));
  return found;
}

function isPublicFile(name: string): boolean {
  return name.endsWith(".ts") && name !== "mod.ts" && !name.startsWith("_") &&
    !name.endsWith("_test.ts") && !name.endsWith("_bench.ts") && !name.endsWith(".d.ts");
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/** Checks every folder under `root` that has a `mod.ts`; returns what is missing, sorted. */
export async function checkModExports(root: string): Promise<MissingExport[]> {
  const missing: MissingExport[] = [];
  async function visit(dir: string): Promise<void> {
    const files: string[] = [];
    const subdirs: string[] = [];
    for await (const entry of Deno.readDir(join(root, dir))) {
      if (entry.isDirectory && !entry.name.startsWith(".") && !SKIPPED_DIRS.has(entry.name)) {
        subdirs.push(entry.name);
      } else if (entry.isFile) {
        files.push(entry.name);
      }
    }
    const prefix = dir === "" ? "" : `${dir}/`;
    if (files.includes("mod.ts")) {
      const exported = findReExports(await Deno.readTextFile(join(root, dir, "mod.ts")));
      for (const name of files.filter(isPublicFile)) {
        if (PRIVATE_FILES.has(`${prefix}${name}`) || exported.has(name)) continue;
        missing.push({ mod: `${prefix}mod.ts`, specifier: `./${name}` });
      }
      for (const sub of subdirs) {
        if (!sub.startsWith("_") && await exists(join(root, dir, sub, "mod.ts"))) {
          if (!exported.has(`${sub}/mod.ts`) && !PRIVATE_FILES.has(`${prefix}${sub}/mod.ts`)) {
            missing.push({ mod: `${prefix}mod.ts`, specifier: `./${sub}/mod.ts` });
          }
        }
      }
    }
    for (const sub of subdirs.sort()) await visit(`${prefix}${sub}`);
  }
  await visit("");
  return missing.sort((a, b) =>
    a.mod.localeCompare(b.mod) || a.specifier.localeCompare(b.specifier)
  );
}

if (import.meta.main) {
  const root = resolve(Deno.args[0] ?? fileURLToPath(new URL("..", import.meta.url)));
  const missing = await checkModExports(root);
  for (const m of missing) {
    console.error(
      `${m.mod}: does not re-export "${m.specifier}" (export it, rename the file with a leading ` +
        "_, or list it in PRIVATE_FILES in scripts/check_mod_exports.ts)",
    );
  }
  if (missing.length > 0) {
    console.error(`check_mod_exports: ${missing.length} public file(s) not re-exported`);
    Deno.exit(1);
  }
  console.log("check_mod_exports: ok");
}
