/**
 * Kubernetes' name and label rules (apimachinery `util/validation`), returning the messages the
 * real API server returns, so `kubectl` users see the same text.
 *
 * Each `is…` function returns the list of problems with a value; empty means valid. The
 * `validate…` functions report those problems as Invalid field errors at a path, as upstream's
 * `ValidateDNS1123Label` and friends do.
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
import { type FieldError, type FieldPath, invalid, invalidEach, required } from "./field_errors.ts";

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

/**
 * `msg (e.g. 'a',  or 'b', regex used for validation is 'fmt')`, upstream's `RegexError` (the
 * double space after each comma is upstream's).
 */
export function regexError(
  msg: string,
  options: { readonly fmt: string; readonly examples: readonly string[] },
): string {
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
  if (!QUALIFIED_NAME.test(name)) {
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

/** `ValidateDNS1123Label`: each problem of {@linkcode isDns1123Label} as an Invalid error. */
export function validateDns1123Label(value: string, path: FieldPath | string): FieldError[] {
  return invalidEach(path, { value, messages: isDns1123Label(value) });
}

/** `ValidateDNS1123Subdomain`: each problem of {@linkcode isDns1123Subdomain} as an Invalid error. */
export function validateDns1123Subdomain(value: string, path: FieldPath | string): FieldError[] {
  return invalidEach(path, { value, messages: isDns1123Subdomain(value) });
}

/** `ValidateQualifiedName`: each problem of {@linkcode isQualifiedName} as an Invalid error. */
export function validateQualifiedName(value: string, path: FieldPath | string): FieldError[] {
  return invalidEach(path, { value, messages: isQualifiedName(value) });
}

const CONFIG_MAP_KEY_FMT = "[-._a-zA-Z0-9]+";
const CONFIG_MAP_KEY = new RegExp(`^${CONFIG_MAP_KEY_FMT}$`);

/** A ConfigMap or Secret key (`IsConfigMapKey`): a file name, not `.`, `..` or `..x`. */
export function isConfigMapKey(value: string): string[] {
  const errs: string[] = [];
  if (value.length > DNS1123_SUBDOMAIN_MAX_LENGTH) {
    errs.push(maxLenError(DNS1123_SUBDOMAIN_MAX_LENGTH));
  }
  if (!CONFIG_MAP_KEY.test(value)) {
    errs.push(regexError(
      "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
      { fmt: CONFIG_MAP_KEY_FMT, examples: ["key.name", "KEY_NAME", "key-name"] },
    ));
  }
  if (value === ".") errs.push("must not be '.'");
  else if (value === "..") errs.push("must not be '..'");
  else if (value.startsWith("..")) errs.push("must not start with '..'");
  return errs;
}

const WILDCARD_DNS1123_SUBDOMAIN_FMT = `\\*\\.${DNS1123_SUBDOMAIN_FMT}`;
const WILDCARD_DNS1123_SUBDOMAIN = new RegExp(`^${WILDCARD_DNS1123_SUBDOMAIN_FMT}$`);

/** A wildcard DNS-1123 subdomain, `*.example.com` (`IsWildcardDNS1123Subdomain`). */
export function isWildcardDns1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (value.length > DNS1123_SUBDOMAIN_MAX_LENGTH) {
    errs.push(maxLenError(DNS1123_SUBDOMAIN_MAX_LENGTH));
  }
  if (!WILDCARD_DNS1123_SUBDOMAIN.test(value)) {
    errs.push(regexError(
      "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character",
      { fmt: WILDCARD_DNS1123_SUBDOMAIN_FMT, examples: ["*.example.com"] },
    ));
  }
  return errs;
}

/**
 * `IsFullyQualifiedDomainName`: a DNS-1123 subdomain of at least two labels (a trailing dot is
 * allowed), as field errors at `path`.
 */
export function isFullyQualifiedDomainName(path: FieldPath, value: string): FieldError[] {
  if (value.length === 0) return [required(path)];
  const name = value.endsWith(".") ? value.slice(0, -1) : value;
  const errs = isDns1123Subdomain(name);
  if (errs.length > 0) return [invalid(path, { value: name, detail: errs.join(",") })];
  const labels = name.split(".");
  if (labels.length < 2) {
    return [invalid(path, {
      value: name,
      detail: "should be a domain with at least two segments separated by dots",
    })];
  }
  for (const label of labels) {
    const labelErrs = isDns1123Label(label);
    if (labelErrs.length > 0) return [invalid(path, { value: label, detail: labelErrs.join(",") })];
  }
  return [];
}

const HTTP_PATH_FMT = "[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+";
const HTTP_PATH = new RegExp(`^${HTTP_PATH_FMT}$`);

/**
 * `IsDomainPrefixedPath`: `host/path` with a DNS-1123 subdomain host and an HTTP path
 * (`acme.io/ingress-controller`), as field errors at `path`.
 */
export function isDomainPrefixedPath(path: FieldPath, value: string): FieldError[] {
  if (value.length === 0) return [required(path)];
  const slash = value.indexOf("/");
  const host = slash < 0 ? value : value.slice(0, slash);
  const rest = slash < 0 ? "" : value.slice(slash + 1);
  if (slash < 0 || host.length === 0 || rest.length === 0) {
    return [invalid(path, {
      value,
      detail: 'must be a domain-prefixed path (such as "acme.io/foo")',
    })];
  }
  const errs = invalidEach(path, { value: host, messages: isDns1123Subdomain(host) });
  if (!HTTP_PATH.test(rest)) {
    errs.push(invalid(path, {
      value: rest,
      detail: `Invalid path (regex used for validation is '${HTTP_PATH_FMT}')`,
    }));
  }
  return errs;
}
