/**
 * JSON text as Go's `encoding/json` writes a decoded (map-based) value: object keys sorted,
 * no spaces, `<`, `>`, `&`, U+2028 and U+2029 escaped, `undefined` members left out. Hashes
 * and annotations that Kubernetes computes from such JSON (ControllerRevision names, the
 * last-applied configuration, fieldsV1 keys) need it byte for byte.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { goJson } from "./go_json.ts";
 *
 * assert.equal(goJson({ b: "<", a: 1 }), '{"a":1,"b":"\\u003c"}');
 * ```
 *
 * @module
 */

const GO_ESCAPED = /[<>&\u2028\u2029]/;
const GO_ESCAPED_ALL = /[<>&\u2028\u2029]/g;

function goString(s: string): string {
  const text = JSON.stringify(s);
  if (!GO_ESCAPED.test(text)) return text;
  return text.replace(GO_ESCAPED_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/**
 * `value` as Go's encoder prints it (see the module doc).
 *
 * @throws {TypeError} for values JSON cannot hold (functions, symbols, bigints).
 */
export function goJson(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") return goString(value);
  if (typeof value === "number" || typeof value === "boolean") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(goJson).join(",")}]`;
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${goString(k)}:${goJson(v)}`).join(",")}}`;
  }
  throw new TypeError(`Cannot encode a value of type "${typeof value}" as JSON`);
}
