/**
 * JSON merge patch (RFC 7386), as the API server applies `application/merge-patch+json`
 * (`kubectl label`, `annotate`, `scale`, and `apply`/`edit` of custom resources) with
 * `gopkg.in/evanphx/json-patch.v4`'s `MergePatch`:
 *
 * - `null` deletes a key; a key absent from the document (or `null` in it) takes the patch
 *   value with its `null`s removed; objects merge key by key; arrays and scalars replace.
 * - Where the document holds an object and the patch a non-object, the patch value is taken as
 *   sent (evanphx prunes `null`s only when it merges into a non-object).
 * - The patch must be an object. Upstream rejects anything else with 400: strict decoding (the
 *   default `fieldValidation=Warn` does it) refuses arrays and scalars, and evanphx refuses
 *   `null` (`Invalid JSON Patch`).
 *
 * Neither argument is changed; the result shares nothing with them.
 *
 * @example Add a label and remove another
 * ```ts
 * import assert from "node:assert/strict";
 * import { applyMergePatch } from "./merge_patch.ts";
 *
 * const doc = { metadata: { name: "web", labels: { app: "web", tier: "front" } } };
 * const out = applyMergePatch(doc, { metadata: { labels: { tier: null, env: "prod" } } });
 * assert.deepEqual(out, { metadata: { name: "web", labels: { app: "web", env: "prod" } } });
 * ```
 *
 * @module
 */
import { goJsonKind } from "./_go_format.ts";
import {
  cloneJson,
  deeperThan,
  getOwn,
  isObject,
  type JsonObject,
  MAX_PATCH_DEPTH,
  setOwn,
} from "./_json.ts";
import { PatchError } from "./patch_error.ts";

/** A copy of `v` with the `null` members of its objects removed, at every level. */
function pruned(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(pruned);
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  for (const k of Object.keys(v)) {
    const child = v[k];
    if (child !== null) setOwn(out, [k, pruned(child)]);
  }
  return out;
}

/** Merges `patch` into `doc` (owned, changed in place), as evanphx's `mergeDocs`. */
function mergeDocs(doc: JsonObject, patch: JsonObject): void {
  for (const k of Object.keys(patch)) {
    const p = patch[k];
    if (p === null) {
      delete doc[k];
      continue;
    }
    const cur = getOwn(doc, k);
    if (cur === undefined || cur === null || !isObject(cur)) {
      setOwn(doc, [k, pruned(p)]);
    } else if (!isObject(p)) {
      setOwn(doc, [k, cloneJson(p)]);
    } else {
      mergeDocs(cur, p);
    }
  }
}

/**
 * Applies the JSON merge patch `patch` to `doc`; throws a {@linkcode PatchError} (400) when the
 * patch is not an object or nests too deep.
 */
export function applyMergePatch(doc: unknown, patch: unknown): unknown {
  if (patch === null) throw PatchError.badRequest("Invalid JSON Patch");
  if (!isObject(patch)) {
    throw PatchError.badRequest(
      `error decoding patch: json: cannot unmarshal ${
        goJsonKind(patch)
      } into Go value of type map[string]interface {}`,
    );
  }
  if (deeperThan(patch, MAX_PATCH_DEPTH)) throw PatchError.badRequest("exceeded max depth");
  if (!isObject(doc)) return pruned(patch);
  const out = cloneJson(doc) as JsonObject;
  mergeDocs(out, patch);
  return out;
}
