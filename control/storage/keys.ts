/**
 * The key scheme at the storage boundary: `/registry/<resource>/[<namespace>/]<name>`, with
 * prefixes ending in `/`. Backends encode keys their own way; this file only validates.
 *
 * @module
 */
import { InvalidInputError } from "./errors.ts";

/** Every key and prefix starts with this. */
export const KEY_ROOT = "/registry/";

/** The largest value every backend accepts: 1.5 MiB, as etcd's default request limit. */
export const MAX_VALUE_BYTES = 1.5 * 1024 * 1024;

/** The longest key in UTF-8 bytes: ample for a 253-byte name, a namespace and a group/resource. */
export const MAX_KEY_BYTES = 1024;

const encoder = new TextEncoder();

function checkText(what: string, text: unknown): asserts text is string {
  if (typeof text !== "string" || text.length === 0) {
    throw new InvalidInputError(`Cannot use ${what}: value is empty`);
  }
  if (!text.startsWith(KEY_ROOT)) {
    throw new InvalidInputError(`Cannot use ${what} "${text}": it must start with "${KEY_ROOT}"`);
  }
  if (encoder.encode(text).length > MAX_KEY_BYTES) {
    throw new InvalidInputError(
      `Cannot use ${what} "${text.slice(0, 64)}…": longer than ${MAX_KEY_BYTES} bytes`,
    );
  }
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(text)) {
    throw new InvalidInputError(
      `Cannot use ${what} ${JSON.stringify(text)}: it has a control character`,
    );
  }
}

function checkSegments(what: string, text: string, segments: string[]): void {
  for (const segment of segments) {
    if (segment === "" || segment === "." || segment === "..") {
      throw new InvalidInputError(
        `Cannot use ${what} "${text}": segment "${segment}" is not allowed`,
      );
    }
  }
}

/**
 * Throws `InvalidInputError` unless `key` is a storage key: under `/registry/`, with at least a
 * resource and a name, no empty, `.` or `..` segment, no trailing `/`.
 *
 * @example Validate a pod key
 * ```ts
 * import { validateKey } from "./keys.ts";
 * validateKey("/registry/pods/default/web-0");
 * ```
 */
export function validateKey(key: unknown): asserts key is string {
  checkText("key", key);
  const segments = key.slice(KEY_ROOT.length).split("/");
  if (segments.length < 2) {
    throw new InvalidInputError(`Cannot use key "${key}": it needs a resource and a name`);
  }
  checkSegments("key", key, segments);
}

/** Throws `InvalidInputError` unless `prefix` is `/registry/` or a path under it ending in `/`. */
export function validatePrefix(prefix: unknown): asserts prefix is string {
  checkText("prefix", prefix);
  if (!prefix.endsWith("/")) {
    throw new InvalidInputError(`Cannot use prefix "${prefix}": it must end with "/"`);
  }
  if (prefix !== KEY_ROOT) {
    checkSegments("prefix", prefix, prefix.slice(KEY_ROOT.length, -1).split("/"));
  }
}

/** The first string after every string starting with `prefix` (etcd's `range_end`). */
export function prefixEnd(prefix: string): string {
  // Prefixes end in "/" (0x2f); "0" (0x30) is the next code unit and byte.
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

/** Throws `InvalidInputError` unless `revision` is a non-negative safe integer. */
export function validateRevision(what: string, revision: unknown): asserts revision is number {
  if (typeof revision !== "number" || !Number.isSafeInteger(revision) || revision < 0) {
    throw new InvalidInputError(
      `Cannot use ${what} ${String(revision)}: it must be a non-negative integer`,
    );
  }
}

/** Throws `InvalidInputError` unless `value` is a `Uint8Array` of at most {@linkcode MAX_VALUE_BYTES}. */
export function validateValue(key: string, value: unknown): asserts value is Uint8Array {
  const maxBytes = MAX_VALUE_BYTES;
  if (!(value instanceof Uint8Array)) {
    throw new InvalidInputError(`Cannot write key "${key}": value is not a Uint8Array`);
  }
  if (value.byteLength > maxBytes) {
    throw new InvalidInputError(
      `Cannot write key "${key}": value is ${value.byteLength} bytes, more than ${maxBytes}`,
    );
  }
}
