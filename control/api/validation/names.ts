/**
 * Kubernetes' name and label rules (apimachinery `util/validation`), returning the messages the
 * real API server returns, so `kubectl` users see the same text.
 *
 * Each `is…` function returns the list of problems with a value; empty means valid.
 *
 * @example Check a DNS-1123 label
 * ```ts
 * import assert from "node:assert/strict";
 * import { isDns1123Label } from "./names.ts";
 *
 * assert.deepEqual(isDns1123Label("web-0"), []);
 * assert.equal(isDns1123Label("Web").length, 1);
 * ```
 *
 * @module
 */

const DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const DNS1035_LABEL_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?";
const QUALIFIED_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const LABEL_VALUE_FMT = `(${QUALIFIED_NAME_FMT})?`;

const DNS1123_LABEL = new RegExp(`^${DNS1123_LABEL_FMT}$`);
const DNS1123_SUBDOMAIN = new RegExp(`^${DNS1123_SUBDOMAIN_FMT}$`);
const DNS1035_LABEL = new RegExp(`^${DNS1035_LABEL_FMT}$`);
const QUALIFIED_NAME = new RegExp(`^${QUALIFIED_NAME_FMT}$`);
const LABEL_VALUE = new RegExp(`^${LABEL_VALUE_FMT}$`);

/** The longest DNS-1123 label. */
export const DNS1123_LABEL_MAX_LENGTH = 63;
/** The longest DNS-1123 subdomain. */
export const DNS1123_SUBDOMAIN_MAX_LENGTH = 253;
/** The longest label value and qualified-name name part. */
export const LABEL_VALUE_MAX_LENGTH = 63;
/** The most bytes all annotations of one object may hold together. */
export const TOTAL_ANNOTATION_SIZE_LIMIT_BYTES = 256 * 1024;

/** `must be no more than N characters`. */
export function maxLenError(length: number): string {
  return `must be no more than ${length} characters`;
}

function regexError(msg: string, options: { fmt: string; examples: readonly string[] }): string {
  let s = `${msg} (`;
  if (options.examples.length > 0) {
    s += `e.g. ${options.examples.map((e) => `'${e}'`).join(",  or ")}, `;
  }
  return `${s}regex used for validation is '${options.fmt}')`;
}

/** A lowercase RFC 1123 label (namespace names, container names, most short names). */
export function isDns1123Label(value: string): string[] {
  const errs: string[] = [];
  if (value.length > DNS1123_LABEL_MAX_LENGTH) errs.push(maxLenError(DNS1123_LABEL_MAX_LENGTH));
  if (!DNS1123_LABEL.test(value)) {
    errs.push(regexError(
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
      { fmt: DNS1123_LABEL_FMT, examples: ["my-name", "123-abc"] },
    ));
  }
  return errs;
}

/** A lowercase RFC 1123 subdomain (most object names). */
export function isDns1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (value.length > DNS1123_SUBDOMAIN_MAX_LENGTH) {
    errs.push(maxLenError(DNS1123_SUBDOMAIN_MAX_LENGTH));
  }
  if (!DNS1123_SUBDOMAIN.test(value)) {
    errs.push(regexError(
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
      { fmt: DNS1123_SUBDOMAIN_FMT, examples: ["example.com"] },
    ));
  }
  return errs;
}

/** A DNS-1035 label (Service names: must start with a letter). */
export function isDns1035Label(value: string): string[] {
  const errs: string[] = [];
  if (value.length > DNS1123_LABEL_MAX_LENGTH) errs.push(maxLenError(DNS1123_LABEL_MAX_LENGTH));
  if (!DNS1035_LABEL.test(value)) {
    errs.push(regexError(
      "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
      { fmt: DNS1035_LABEL_FMT, examples: ["my-name", "abc-123"] },
    ));
  }
  return errs;
}

/**
 * A qualified name: an optional DNS-1123 subdomain prefix and `/`, then a name of at most 63
 * characters (label keys, annotation keys, finalizers).
 */
export function isQualifiedName(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split("/");
  let name: string;
  if (parts.length === 1) {
    name = parts[0]!;
  } else if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) {
      errs.push("prefix part must be non-empty");
    } else {
      for (const e of isDns1123Subdomain(prefix)) errs.push(`prefix part ${e}`);
    }
  } else {
    return [
      regexError(
        "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        { fmt: QUALIFIED_NAME_FMT, examples: ["MyName", "my.name", "123-abc"] },
      ) + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) {
    errs.push("name part must be non-empty");
  } else if (name.length > LABEL_VALUE_MAX_LENGTH) {
    errs.push(`name part ${maxLenError(LABEL_VALUE_MAX_LENGTH)}`);
  }
  if (name.length > 0 && !QUALIFIED_NAME.test(name)) {
    errs.push(
      "name part " + regexError(
        "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        { fmt: QUALIFIED_NAME_FMT, examples: ["MyName", "my.name", "123-abc"] },
      ),
    );
  }
  return errs;
}

/** A label value: empty, or at most 63 characters of a qualified-name name part. */
export function isValidLabelValue(value: string): string[] {
  const errs: string[] = [];
  if (value.length > LABEL_VALUE_MAX_LENGTH) errs.push(maxLenError(LABEL_VALUE_MAX_LENGTH));
  if (!LABEL_VALUE.test(value)) {
    errs.push(regexError(
      "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
      { fmt: LABEL_VALUE_FMT, examples: ["MyValue", "my_value", "12345"] },
    ));
  }
  return errs;
}

/**
 * Problems with a name as a path segment (every object name must pass): not `.` or `..`, and no
 * `/` or `%` (apimachinery `path.IsValidPathSegmentName`).
 */
export function isValidPathSegmentName(name: string): string[] {
  if (name === "." || name === "..") return [`may not be '${name}'`];
  const errs: string[] = [];
  for (const bad of ["/", "%"]) {
    if (name.includes(bad)) errs.push(`may not contain '${bad}'`);
  }
  return errs;
}
