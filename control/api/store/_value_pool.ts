/**
 * A bounded pool that makes equal values share one frozen instance, for the object views: ten
 * thousand pods of a few Deployments carry a few distinct label sets, containers, owners and
 * statuses, and a few namespaces and ServiceAccount names. Each decode makes its own copies;
 * the pool hands back the first one seen, so a view holds each distinct value once.
 *
 * Values are compared by their JSON text (key order included; an `undefined` property is told
 * apart from a missing one), so only plain JSON-like values belong here. Pooled values are
 * frozen deeply: they are shared. When a table reaches its bound it starts over, so unique
 * values cost at most the bound.
 *
 * @module
 */

/** Tells an `undefined` property apart from a missing one in a pool key. */
const UNDEFINED = "\u0000undefined";

function keyReplacer(_key: string, value: unknown): unknown {
  return value === undefined ? UNDEFINED : value;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}

/** Options of {@linkcode ValuePool}. */
export interface ValuePoolOptions {
  /** Distinct strings kept. @default {4096} */
  readonly maxStrings?: number;
  /** Distinct object and array values kept. @default {2048} */
  readonly maxValues?: number;
  /** Values whose JSON text is longer are not pooled (a key costs its length). @default {2048} */
  readonly maxValueChars?: number;
}

/** Equal strings and values, shared. */
export class ValuePool {
  readonly #strings = new Map<string, string>();
  readonly #values = new Map<string, unknown>();
  readonly #maxStrings: number;
  readonly #maxValues: number;
  readonly #maxValueChars: number;

  constructor(options: ValuePoolOptions = {}) {
    this.#maxStrings = options.maxStrings ?? 4096;
    this.#maxValues = options.maxValues ?? 2048;
    this.#maxValueChars = options.maxValueChars ?? 2048;
  }

  /** The pooled string equal to `s` (`s` itself the first time). */
  string(s: string): string {
    const hit = this.#strings.get(s);
    if (hit !== undefined) return hit;
    if (this.#strings.size >= this.#maxStrings) this.#strings.clear();
    this.#strings.set(s, s);
    return s;
  }

  /**
   * The pooled value equal to `value`, frozen; `value` itself (frozen) the first time. Strings
   * go to {@linkcode ValuePool.string}; other primitives come back as they are.
   */
  value<T>(value: T): T {
    if (typeof value === "string") return this.string(value) as T;
    if (value === null || typeof value !== "object") return value;
    const key = JSON.stringify(value, keyReplacer);
    if (key.length > this.#maxValueChars) return deepFreeze(value);
    const hit = this.#values.get(key);
    if (hit !== undefined) return hit as T;
    if (this.#values.size >= this.#maxValues) this.#values.clear();
    this.#values.set(key, deepFreeze(value));
    return value;
  }

  /** Distinct strings and values held now. */
  get size(): { strings: number; values: number } {
    return { strings: this.#strings.size, values: this.#values.size };
  }
}
