/**
 * {@linkcode readTextFileIfPresent}: a file that may not be there yet (a stored credential, a
 * certificate, a config written on first start).
 *
 * @module
 */

/**
 * The text of `path`, or `null` when it does not exist; other failures (permissions, a
 * directory) are thrown.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readTextFileIfPresent } from "./read_text_file_if_present.ts";
 *
 * assert.equal(await readTextFileIfPresent("/nonexistent/skiff"), null);
 * ```
 */
export async function readTextFileIfPresent(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
}
