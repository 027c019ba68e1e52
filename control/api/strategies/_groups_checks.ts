/**
 * Small upstream validators the kinds in this folder share (apimachinery `util/validation` and
 * core `validation`), with upstream's messages.
 *
 * @module
 */
import { FieldError, type FieldPath, invalid, required } from "../validation/field_errors.ts";
import {
  DNS1123_SUBDOMAIN_MAX_LENGTH,
  isDns1123Label,
  isDns1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
  maxLenError,
} from "../validation/names.ts";

/** `field is immutable`: the detail of a change to an immutable field. */
export const FIELD_IMMUTABLE = "field is immutable";

/** Problems with a port number: it must be 1 to 65535. */
export function isValidPortNum(port: number): string[] {
  return port >= 1 && port <= 65535 ? [] : ["must be between 1 and 65535, inclusive"];
}

/** Problems with a port name (IANA service name syntax, at most 15 characters). */
export function isValidPortName(port: string): string[] {
  const errs: string[] = [];
  if (port.length > 15) errs.push(maxLenError(15));
  if (!/^[-a-z0-9]+$/.test(port)) {
    errs.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
  }
  if (!/[a-z]/.test(port)) errs.push("must contain at least one letter (a-z)");
  if (port.includes("--")) errs.push("must not contain consecutive hyphens");
  if (port.length > 0 && (port.startsWith("-") || port.endsWith("-"))) {
    errs.push("must not begin or end with a hyphen");
  }
  return errs;
}

const DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const WILDCARD_FMT = `\\*\\.${DNS1123_SUBDOMAIN_FMT}`;
const WILDCARD = new RegExp(`^${WILDCARD_FMT}$`);

/** Problems with a wildcard DNS subdomain (`*.example.com`). */
export function isWildcardDns1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (value.length > DNS1123_SUBDOMAIN_MAX_LENGTH) {
    errs.push(maxLenError(DNS1123_SUBDOMAIN_MAX_LENGTH));
  }
  if (!WILDCARD.test(value)) {
    errs.push(
      "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is '" +
        WILDCARD_FMT + "')",
    );
  }
  return errs;
}

const HTTP_PATH_FMT = "[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+";
const HTTP_PATH = new RegExp(`^${HTTP_PATH_FMT}$`);

/** Errors in a domain-prefixed path (`acme.io/ingress-controller`). */
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
  const errs = isDns1123Subdomain(host).map((detail) => invalid(path, { value: host, detail }));
  if (!HTTP_PATH.test(rest)) {
    errs.push(invalid(path, {
      value: rest,
      detail: `Invalid path (regex used for validation is '${HTTP_PATH_FMT}')`,
    }));
  }
  return errs;
}

/** Errors in a fully qualified domain name: a subdomain of at least two labels. */
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

/** `ValidateLabelName`: a label key must be a qualified name. */
export function validateLabelName(name: string, path: FieldPath): FieldError[] {
  return isQualifiedName(name).map((detail) => invalid(path, { value: name, detail }));
}

/** `ValidateLabels`: keys and values of a label map, reported at `path` itself. */
export function validateLabels(
  labels: Record<string, string> | undefined,
  path: FieldPath,
): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    errs.push(...validateLabelName(k, path));
    for (const detail of isValidLabelValue(v)) errs.push(invalid(path, { value: v, detail }));
  }
  return errs;
}

/** `ValidateDNS1123Label`: each problem as an Invalid error. */
export function validateDns1123Label(value: string, path: FieldPath): FieldError[] {
  return isDns1123Label(value).map((detail) => invalid(path, { value, detail }));
}

/** `ValidateQualifiedName`: each problem as an Invalid error. */
export function validateQualifiedName(value: string, path: FieldPath): FieldError[] {
  return isQualifiedName(value).map((detail) => invalid(path, { value, detail }));
}

/**
 * Deep equality of decoded JSON values, treating an absent value like `null`, an empty list
 * or an empty map, as upstream's semantic equality does for nil and empty slices and maps.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (isEmpty(a) && isEmpty(b)) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((v, i) => jsonEqual(v, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) if (!jsonEqual(a[k], b[k])) return false;
    return true;
  }
  return a === b;
}

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  return isObject(v) && Object.keys(v).length === 0;
}

/** Whether `v` is a plain JSON object. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `ValidateImmutableField`: `path: Invalid value: <value>: field is immutable` on a change. */
export function validateImmutable(
  path: FieldPath,
  options: { readonly value: unknown; readonly old: unknown },
): FieldError[] {
  return jsonEqual(options.value, options.old)
    ? []
    : [invalid(path, { value: options.value ?? "null", detail: FIELD_IMMUTABLE })];
}
