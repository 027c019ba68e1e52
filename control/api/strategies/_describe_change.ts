/**
 * A short account of what changed between two versions of a struct, for the messages where
 * upstream appends a `cmp.Diff` (PersistentVolume sources, PersistentVolumeClaim specs): one
 * `- key: <old JSON>` / `+ key: <new JSON>` pair per top-level field that is not semantically
 * equal. It approximates, not reproduces, go-cmp's rendering.
 *
 * @module
 */
import { semanticEqual } from "../validation/semantic_equal.ts";

/** The `-`/`+` lines of the top-level fields that differ between `before` and `after`. */
export function describeChange(
  before: Readonly<Record<string, unknown>>,
  after: Readonly<Record<string, unknown>>,
): string {
  const lines: string[] = [];
  for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (semanticEqual(before[k], after[k])) continue;
    if (before[k] !== undefined) lines.push(`- ${k}: ${JSON.stringify(before[k])}`);
    if (after[k] !== undefined) lines.push(`+ ${k}: ${JSON.stringify(after[k])}`);
  }
  return lines.join("\n");
}
