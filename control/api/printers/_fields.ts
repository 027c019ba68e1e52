/**
 * Defensive readers for plain JSON objects as the API server stores them. Every reader returns
 * the Go zero value (`""`, `0`, `false`, `{}`, `[]`) when a field is missing or has the wrong
 * type, so printers never throw on partial objects.
 *
 * @module
 */

/** A JSON object. */
export type JsonObject = Record<string, unknown>;

const EMPTY: JsonObject = Object.freeze({});
const NONE: readonly unknown[] = Object.freeze([]);

/** `value` if it is a JSON object (not an array), else an empty object. */
export function obj(value: unknown): JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? value as JsonObject
    : EMPTY;
}

/** `value` if it is an array, else an empty array. */
export function arr(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : NONE;
}

/** `value` if it is a string, else `""`. */
export function str(value: unknown): string {
  return typeof value === "string" ? value : "";
}

/** `value` if it is a string, else `undefined` (a Go `*string` that is nil). */
export function optStr(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** `value` truncated to an integer if it is a finite number, else `0`. */
export function int(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) ? Math.trunc(value) : 0;
}

/** `value` as an integer, or `undefined` when it is absent (a Go `*int32` that is nil). */
export function optInt(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? Math.trunc(value) : undefined;
}

/** `value` if it is a boolean, else `false`. */
export function bool(value: unknown): boolean {
  return value === true;
}

/** `value` if it is a boolean, else `undefined` (a Go `*bool` that is nil). */
export function optBool(value: unknown): boolean | undefined {
  return typeof value === "boolean" ? value : undefined;
}

/** Walks `keys` down from `value` through nested objects; missing steps give `undefined`. */
export function dig(value: unknown, ...keys: string[]): unknown {
  let cur: unknown = value;
  for (const key of keys) {
    const o = obj(cur);
    if (!Object.hasOwn(o, key)) return undefined;
    cur = o[key];
  }
  return cur;
}

/** Whether a field holds a value (neither missing nor `null`), as a Go non-nil pointer. */
export function present(value: unknown): boolean {
  return value !== undefined && value !== null;
}

/** The string values of a `map[string]string`, skipping non-string entries. */
export function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj(value))) {
    if (typeof v === "string") out[k] = v;
  }
  return out;
}

/** `metadata.name`. */
export function nameOf(o: JsonObject): string {
  return str(dig(o, "metadata", "name"));
}
