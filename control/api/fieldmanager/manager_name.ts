/**
 * Who a write is recorded for in `managedFields`: the `fieldManager` query parameter, or,
 * failing that, the User-Agent up to its first `/` (`kubectl/v1.33.1 (linux/amd64) …` is
 * `kubectl`), without unprintable characters and cut at 128 bytes — as kube-apiserver names
 * the managers of clients that do not name themselves.
 *
 * @example kubectl's User-Agent
 * ```ts
 * import assert from "node:assert/strict";
 * import { managerOrUserAgent } from "./manager_name.ts";
 *
 * assert.equal(managerOrUserAgent("", "kubectl/v1.33.1 (linux/amd64) kubernetes/8adc0f0"), "kubectl");
 * assert.equal(managerOrUserAgent("kubectl-edit", "kubectl/v1.33.1"), "kubectl-edit");
 * ```
 *
 * @module
 */
import { type FieldError, invalid, tooLong } from "../validation/field_errors.ts";

/** The longest field manager name (`FieldManagerMaxLength`), in bytes. */
export const FIELD_MANAGER_MAX_LENGTH = 128;

const encoder = new TextEncoder();

/** Printable ASCII, one byte a character: nearly every name, checked without a loop. */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** Go's `unicode.IsPrint`: letters, marks, numbers, punctuation, symbols and the ASCII space. */
function isPrint(ch: string): boolean {
  return /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(ch);
}

/** Go's `%#U` of a rune: `U+0009`, or `U+0041 'A'` for a printable one. */
function goRune(ch: string): string {
  const hex = ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
  return isPrint(ch) ? `U+${hex} '${ch}'` : `U+${hex}`;
}

/** The manager of a write: `fieldManager` when given, else the User-Agent's prefix. */
export function managerOrUserAgent(fieldManager: string, userAgent: string): string {
  if (fieldManager !== "") return fieldManager;
  const slash = userAgent.indexOf("/");
  const prefix = slash < 0 ? userAgent : userAgent.slice(0, slash);
  if (PRINTABLE_ASCII.test(prefix)) return prefix.slice(0, FIELD_MANAGER_MAX_LENGTH);
  let out = "";
  let bytes = 0;
  for (const ch of prefix) {
    if (!isPrint(ch)) continue;
    const n = encoder.encode(ch).length;
    if (bytes + n > FIELD_MANAGER_MAX_LENGTH) break;
    out += ch;
    bytes += n;
  }
  return out;
}

/** Upstream's checks of a field manager name: at most 128 bytes, printable characters. */
export function validateFieldManager(name: string, path: string): FieldError[] {
  // Every write checks its manager and each managedFields entry's: the common case is quick.
  if (name.length <= FIELD_MANAGER_MAX_LENGTH && PRINTABLE_ASCII.test(name)) return [];
  const errs: FieldError[] = [];
  if (encoder.encode(name).length > FIELD_MANAGER_MAX_LENGTH) {
    errs.push(tooLong(path, FIELD_MANAGER_MAX_LENGTH));
  }
  let at = 0;
  for (const ch of name) {
    if (!isPrint(ch)) {
      errs.push(invalid(path, {
        value: name,
        detail: `invalid character ${goRune(ch)} (at position ${at})`,
      }));
    }
    at += encoder.encode(ch).length;
  }
  return errs;
}
