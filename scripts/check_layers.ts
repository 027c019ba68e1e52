// deno-lint-ignore-file no-console
/**
 * Enforces skiff's import layering (DESIGN.md, style.md §8): which folders may import which.
 *
 * | files                              | may import (besides their own folder and npm:/node:)        |
 * | ---------------------------------- | ----------------------------------------------------------- |
 * | `control/util/`                    | nothing of skiff's                                          |
 * | `control/storage/`                 | `control/util`                                              |
 * | `control/api/types/`               | `control/util`                                              |
 * | `control/api/`                     | `control/storage`, `control/util`                           |
 * | `control/client/`                  | `control/api`, `control/storage` (its fake), `control/util` |
 * | `control/scheduler/`, `controllers/` | `control/client`, `control/api/types`, `control/util`     |
 * | other `control/` files and folders | anything in `control/` and `node/` (they wire it together)  |
 * | `node/`                            | `control/api/types`, `control/client`, `control/util`       |
 * | `cni/`                             | `control/util`                                              |
 * | `mod.ts`, `tests/`, `scripts/`     | anything                                                    |
 *
 * Test files (`*_test.ts`) may also import `tests/_support/`. No file outside `tests/` and
 * `scripts/` may import from them. Import specifiers are found with regular expressions over
 * each `.ts` file (static `import`/`export … from`, side-effect imports and `import("…")`),
 * ignoring comment lines.
 *
 * Usage: `deno run -A scripts/check_layers.ts [ROOT]`; exits 1 listing every violation.
 *
 * @module
 */
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** One import that breaks the layering. */
export interface LayerViolation {
  /** The importing file, relative to the root. */
  readonly file: string;
  /** The specifier as written. */
  readonly specifier: string;
  /** The imported file, relative to the root. */
  readonly target: string;
  /** Why it is not allowed. */
  readonly reason: string;
}

interface Layer {
  /** The path prefix that puts a file in this layer. */
  readonly prefix: string;
  /** Path prefixes this layer may import from. */
  readonly allowed: readonly string[];
}

/** Most specific prefix first: the first match wins. */
const LAYERS: readonly Layer[] = [
  { prefix: "control/util/", allowed: ["control/util/"] },
  { prefix: "control/storage/", allowed: ["control/storage/", "control/util/"] },
  { prefix: "control/api/types/", allowed: ["control/api/types/", "control/util/"] },
  { prefix: "control/api/", allowed: ["control/api/", "control/storage/", "control/util/"] },
  {
    prefix: "control/client/",
    allowed: ["control/client/", "control/api/", "control/storage/", "control/util/"],
  },
  {
    prefix: "control/scheduler/",
    allowed: ["control/scheduler/", "control/client/", "control/api/types/", "control/util/"],
  },
  {
    prefix: "control/controllers/",
    allowed: ["control/controllers/", "control/client/", "control/api/types/", "control/util/"],
  },
  { prefix: "control/", allowed: ["control/", "node/"] },
  {
    prefix: "node/",
    allowed: ["node/", "control/api/types/", "control/client/", "control/util/"],
  },
  { prefix: "cni/", allowed: ["cni/", "control/util/"] },
];

const TEST_SUPPORT = "tests/_support/";

const SPECIFIER_PATTERNS: readonly RegExp[] = [
  // import x from "…"; import { a, b } from "…"; import type { T } from "…"; export * from "…"
  /^\s*(?:import|export)\s+(?:type\s+)?[\w$\s{},*]*?\s*from\s*["']([^"'\n]+)["']/gm,
  // import "…";
  /^\s*import\s*["']([^"'\n]+)["']/gm,
  // await import("…")
  /\bimport\(\s*["']([^"'\n]+)["']\s*\)/g,
];

/** The import specifiers in `source`, in order, skipping comment lines. */
export function findImportSpecifiers(source: string): string[] {
  const code = source
    .split("\n")
    .map((line) => /^\s*(\/\/|\/\*|\*)/.test(line) ? "" : line)
    .join("\n");
  const found: { index: number; specifier: string }[] = [];
  for (const pattern of SPECIFIER_PATTERNS) {
    for (const match of code.matchAll(pattern)) {
      found.push({ index: match.index, specifier: match[1]! });
    }
  }
  return found.sort((a, b) => a.index - b.index).map((f) => f.specifier);
}

function layerOf(path: string): Layer | null {
  return LAYERS.find((layer) => path.startsWith(layer.prefix)) ?? null;
}

/**
 * Checks one import of `file` (both relative to the root, `/`-separated). Returns why it breaks
 * the layering, or `null` when it is allowed.
 */
export function checkImport(file: string, target: string): string | null {
  if (target.startsWith("../")) return "it leaves the repository";
  const isTest = file.endsWith("_test.ts");
  if (isTest && target.startsWith(TEST_SUPPORT)) return null;
  const layer = layerOf(file);
  if (layer === null) return null;
  if (layer.allowed.some((prefix) => target.startsWith(prefix))) return null;
  const allowed = layer.allowed.map((p) => p.replace(/\/$/, "")).join(", ");
  return `${layer.prefix.replace(/\/$/, "")} may import only ${allowed}`;
}

async function* walkTs(root: string, dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(join(root, dir))) {
    const path = dir === "" ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory) {
      if (entry.name.startsWith(".") || entry.name === "dist" || entry.name === "node_modules") {
        continue;
      }
      yield* walkTs(root, path);
    } else if (entry.isFile && entry.name.endsWith(".ts")) {
      yield path;
    }
  }
}

/** Checks every `.ts` file under `root` and returns the violations, sorted by file. */
export async function checkLayers(root: string): Promise<LayerViolation[]> {
  const violations: LayerViolation[] = [];
  const files: string[] = [];
  for await (const file of walkTs(root, "")) files.push(file);
  files.sort();
  for (const file of files) {
    const source = await Deno.readTextFile(join(root, file));
    for (const specifier of findImportSpecifiers(source)) {
      if (!specifier.startsWith("./") && !specifier.startsWith("../")) continue;
      const target = relative(root, resolve(root, dirname(file), specifier)).split("\\").join("/");
      const reason = checkImport(file, target);
      if (reason !== null) violations.push({ file, specifier, target, reason });
    }
  }
  return violations;
}

if (import.meta.main) {
  const root = resolve(Deno.args[0] ?? fileURLToPath(new URL("..", import.meta.url)));
  const violations = await checkLayers(root);
  for (const v of violations) {
    console.error(`${v.file}: imports "${v.specifier}" (${v.target}): ${v.reason}`);
  }
  if (violations.length > 0) {
    console.error(`check_layers: ${violations.length} import(s) break the layering`);
    Deno.exit(1);
  }
  console.log("check_layers: ok");
}
