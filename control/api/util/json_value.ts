/**
 * Small helpers over decoded JSON values: deep equality (order of object keys does not
 * matter, order of array items does) and deep copies.
 *
 * @example Compare two specs
 * ```ts
 * import assert from "node:assert/strict";
 * import { jsonEqual } from "./json_value.ts";
 *
 * assert.equal(jsonEqual({ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 }), true);
 * ```
 *
 * @module
 */

/** Whether two JSON values are equal (key order ignored; `undefined` members ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let count = 0;
  for (const k in x) {
    if (x[k] === undefined) continue;
    count++;
    if (!jsonEqual(x[k], y[k])) return false;
  }
  for (const k in y) if (y[k] !== undefined) count--;
  return count === 0;
}

/** A deep copy of a JSON value. */
export function jsonClone<T>(value: T): T {
  return structuredClone(value);
}

/** Whether `v` is a plain JSON object (not an array, not null). */
export function isJsonObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
