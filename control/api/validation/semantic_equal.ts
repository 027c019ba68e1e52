/**
 * Equality of decoded JSON values as upstream's `apiequality.Semantic.DeepEqual` sees the Go
 * values they decode into. Go cannot tell a nil slice or map from an empty one once decoded, so
 * {@linkcode semanticEqual} treats absent, `null`, `[]` and `{}` alike; and a field held by value
 * (not by pointer) cannot be told from its zero value, which {@linkcode zeroValueEqual} adds for
 * whole value structs (pod templates, specs compared after munging). Exact JSON equality, where
 * `0` and absent differ, is `jsonEqual` in `util/json_value.ts`.
 *
 * @example Absent and empty lists are equal
 * ```ts
 * import assert from "node:assert/strict";
 * import { semanticEqual, zeroValueEqual } from "./semantic_equal.ts";
 *
 * assert.equal(semanticEqual({ a: [] }, {}), true);
 * assert.equal(semanticEqual({ a: 0 }, {}), false);
 * assert.equal(zeroValueEqual({ a: 0 }, {}), true);
 * ```
 *
 * @module
 */

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isNilOrEmpty(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  return isObject(v) && Object.keys(v).length === 0;
}

function isZero(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === "") return true;
  if (Array.isArray(v)) return v.length === 0;
  if (isObject(v)) return Object.values(v).every(isZero);
  return false;
}

function deepEqual(a: unknown, b: unknown, same: (v: unknown) => boolean): boolean {
  if (same(a) && same(b)) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => deepEqual(x, b[i], same));
  }
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) if (!deepEqual(a[k], b[k], same)) return false;
    return true;
  }
  return a === b;
}

/**
 * `Semantic.DeepEqual` for pointer, slice and map fields: an absent value, `null`, an empty list
 * and an empty map are equal (nil and empty alike); scalars must match exactly, so an absent
 * `*int32` differs from `0`.
 */
export function semanticEqual(a: unknown, b: unknown): boolean {
  return deepEqual(a, b, isNilOrEmpty);
}

/**
 * Like {@linkcode semanticEqual}, and an absent value also equals its zero value (`false`, `0`,
 * `""`, or an object of zero values), as for Go structs whose fields are held by value. Use it
 * to compare whole value structs; it is too lenient for pointer fields.
 */
export function zeroValueEqual(a: unknown, b: unknown): boolean {
  return deepEqual(a, b, isZero);
}
