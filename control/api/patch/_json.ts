/**
 * Helpers over decoded JSON values shared by the patch engines: prototype-safe key access
 * (a key named `__proto__` is data, never the prototype), an iterative deep copy that does not
 * overflow the stack on deep documents, a nesting-depth bound and structural equality.
 *
 * @module
 */

/** A decoded JSON object. */
export type JsonObject = Record<string, unknown>;

/**
 * The deepest nesting of objects and arrays a patch may have. Go's decoder allows 10000 levels;
 * the engines recurse once or twice per level, so they stop well below what the JavaScript stack
 * holds. No Kubernetes object comes close.
 */
export const MAX_PATCH_DEPTH = 1_000;

/** True for a JSON object (not an array, not null). */
export function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** True when `o` has its own property `key`. */
export function hasOwn(o: JsonObject, key: string): boolean {
  return Object.hasOwn(o, key);
}

/** The own property `key` of `o`, or `undefined`. */
export function getOwn(o: JsonObject, key: string): unknown {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

/** Sets `o[key] = value` as an own data property, even for `__proto__`. */
export function setOwn(o: JsonObject, [key, value]: readonly [string, unknown]): void {
  if (key === "__proto__" && !Object.hasOwn(o, key)) {
    Object.defineProperty(o, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    o[key] = value;
  }
}

/** A deep copy of a JSON value, iterative so that depth never exhausts the stack. */
export function cloneJson(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  const root: unknown = Array.isArray(value) ? new Array(value.length) : {};
  const stack: [unknown, unknown][] = [[value, root]];
  while (stack.length > 0) {
    const [src, dst] = stack.pop()!;
    if (Array.isArray(src)) {
      const out = dst as unknown[];
      for (let i = 0; i < src.length; i++) {
        const v: unknown = src[i];
        if (typeof v === "object" && v !== null) {
          const c = Array.isArray(v) ? new Array(v.length) : {};
          out[i] = c;
          stack.push([v, c]);
        } else {
          out[i] = v ?? null;
        }
      }
    } else {
      const s = src as JsonObject;
      const out = dst as JsonObject;
      for (const k of Object.keys(s)) {
        const v = s[k];
        if (typeof v === "object" && v !== null) {
          const c = Array.isArray(v) ? new Array(v.length) : {};
          setOwn(out, [k, c]);
          stack.push([v, c]);
        } else if (v !== undefined) {
          setOwn(out, [k, v]);
        }
      }
    }
  }
  return root;
}

/**
 * True when `value` nests objects and arrays more than `limit` levels deep (a scalar is level
 * 0, `{}` level 1). Stops at the first path past the limit.
 */
export function deeperThan(value: unknown, limit: number): boolean {
  if (typeof value !== "object" || value === null) return false;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (depth > limit) return true;
    const children = Array.isArray(v) ? v : Object.values(v as JsonObject);
    for (const c of children) {
      if (typeof c === "object" && c !== null) stack.push([c, depth + 1]);
    }
  }
  return false;
}

/** Structural equality of two JSON values; object key order does not matter. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ao = a as JsonObject;
  const bo = b as JsonObject;
  const keys = Object.keys(ao);
  if (keys.length !== Object.keys(bo).length) return false;
  for (const k of keys) {
    if (!Object.hasOwn(bo, k) || !jsonEqual(ao[k], bo[k])) return false;
  }
  return true;
}

/** The length in bytes of `JSON.stringify(value)` in UTF-8, as Go's `json.Marshal` sizes it. */
export function jsonByteLength(value: unknown): number {
  const text = JSON.stringify(value ?? null);
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}
