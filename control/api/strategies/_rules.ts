/**
 * Validation rules several core kinds share, with upstream's messages: port numbers and names,
 * ConfigMap keys, label maps and selectors, node selectors, IPs and CIDRs, immutable fields and
 * paths without backsteps.
 *
 * @module
 */
import type { LabelSelector } from "../types/meta_v1.ts";
import { FieldError, FieldPath, forbidden, invalid, required } from "../validation/field_errors.ts";
import {
  DNS1123_SUBDOMAIN_MAX_LENGTH,
  isDns1123Label,
  isDns1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
  maxLenError,
} from "../validation/names.ts";
import { parseCIDR, parseIP } from "./_net.ts";

/** `field is immutable` (upstream `FieldImmutableErrorMsg`). */
export const FIELD_IMMUTABLE = "field is immutable";
/** `must be greater than or equal to 0` (upstream `IsNegativeErrorMsg`). */
export const IS_NEGATIVE = "must be greater than or equal to 0";

/** `must be between lo and hi, inclusive`. */
export function inclusiveRangeError(lo: number, hi: number): string {
  return `must be between ${lo} and ${hi}, inclusive`;
}

function regexError(msg: string, fmt: string, examples: readonly string[]): string {
  const e = examples.length ? `e.g. ${examples.map((x) => `'${x}'`).join(",  or ")}, ` : "";
  return `${msg} (${e}regex used for validation is '${fmt}')`;
}

/** Problems with a port number (`IsValidPortNum`). */
export function isValidPortNum(port: number): string[] {
  return port >= 1 && port <= 65535 ? [] : [inclusiveRangeError(1, 65535)];
}

/** Problems with an IANA service name used as a port name (`IsValidPortName`). */
export function isValidPortName(port: string): string[] {
  const errs: string[] = [];
  if (port.length > 15) errs.push(maxLenError(15));
  if (!/^[-a-z0-9]+$/.test(port)) {
    errs.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
  } else if (!/[a-z]/.test(port)) {
    errs.push("must contain at least one letter (a-z)");
  }
  if (port.includes("--")) errs.push("must not contain consecutive hyphens");
  if (port.length > 0 && (port.startsWith("-") || port.endsWith("-"))) {
    errs.push("must not begin or end with a hyphen");
  }
  return errs;
}

/** Problems with a ConfigMap or Secret key (`IsConfigMapKey`). */
export function isConfigMapKey(key: string): string[] {
  const errs: string[] = [];
  if (key.length > DNS1123_SUBDOMAIN_MAX_LENGTH) {
    errs.push(maxLenError(DNS1123_SUBDOMAIN_MAX_LENGTH));
  }
  if (!/^[-._a-zA-Z0-9]+$/.test(key)) {
    errs.push(regexError(
      "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
      "[-._a-zA-Z0-9]+",
      ["key.name", "KEY_NAME", "key-name"],
    ));
  }
  if (key === ".") errs.push("must not be '.'");
  else if (key === "..") errs.push("must not be '..'");
  else if (key.startsWith("..")) errs.push("must not start with '..'");
  return errs;
}

/** Each message of `check(value)` as an Invalid error at `path`. */
export function invalidEach(
  path: FieldPath | string,
  options: { readonly value: string; readonly messages: readonly string[] },
): FieldError[] {
  return options.messages.map((detail) => invalid(path, { value: options.value, detail }));
}

/** `ValidateDNS1123Label`. */
export function validateDns1123Label(value: string, path: FieldPath | string): FieldError[] {
  return invalidEach(path, { value, messages: isDns1123Label(value) });
}

/** `ValidateDNS1123Subdomain`. */
export function validateDns1123Subdomain(value: string, path: FieldPath | string): FieldError[] {
  return invalidEach(path, { value, messages: isDns1123Subdomain(value) });
}

/** `ValidateQualifiedName` (also `ValidateLabelName`). */
export function validateQualifiedName(value: string, path: FieldPath | string): FieldError[] {
  return invalidEach(path, { value, messages: isQualifiedName(value) });
}

/** `ValidateLabels`: every key a qualified name, every value a label value, reported at `path`. */
export function validateLabels(
  labels: Readonly<Record<string, string>>,
  path: FieldPath | string,
): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels)) {
    errs.push(...validateQualifiedName(k, path));
    errs.push(...invalidEach(path, { value: v, messages: isValidLabelValue(v) }));
  }
  return errs;
}

/** `ValidateLabelSelector` (with invalid label values rejected). */
export function validateLabelSelector(selector: LabelSelector, path: FieldPath): FieldError[] {
  const errs = validateLabels(selector.matchLabels ?? {}, path.child("matchLabels"));
  (selector.matchExpressions ?? []).forEach((expr, i) => {
    const p = path.child("matchExpressions").index(i);
    const values = expr.values ?? [];
    switch (expr.operator) {
      case "In":
      case "NotIn":
        if (values.length === 0) {
          errs.push(required(
            p.child("values"),
            "must be specified when `operator` is 'In' or 'NotIn'",
          ));
        }
        break;
      case "Exists":
      case "DoesNotExist":
        if (values.length > 0) {
          errs.push(forbidden(
            p.child("values"),
            "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
          ));
        }
        break;
      default:
        errs.push(invalid(p.child("operator"), {
          value: expr.operator,
          detail: "not a valid selector operator",
        }));
    }
    errs.push(...validateQualifiedName(expr.key, p.child("key")));
    values.forEach((v, j) => {
      errs.push(...invalidEach(p.child("values").index(j), {
        value: v,
        messages: isValidLabelValue(v),
      }));
    });
  });
  return errs;
}

/** A node selector as the schema types it (loosely, to accept any decoded object). */
interface NodeSelectorLike {
  nodeSelectorTerms?: {
    matchExpressions?: { key: string; operator: string; values?: string[] }[];
    matchFields?: { key: string; operator: string; values?: string[] }[];
  }[];
}

/** `ValidateNodeSelector` (with invalid label values rejected). */
export function validateNodeSelector(selector: NodeSelectorLike, path: FieldPath): FieldError[] {
  const termsPath = path.child("nodeSelectorTerms");
  const terms = selector.nodeSelectorTerms ?? [];
  if (terms.length === 0) return [required(termsPath, "must have at least one node selector term")];
  const errs: FieldError[] = [];
  terms.forEach((term, i) => {
    const tp = termsPath.index(i);
    (term.matchExpressions ?? []).forEach((req, j) => {
      const p = tp.child("matchExpressions").index(j);
      const values = req.values ?? [];
      switch (req.operator) {
        case "In":
        case "NotIn":
          if (values.length === 0) {
            errs.push(required(
              p.child("values"),
              "must be specified when `operator` is 'In' or 'NotIn'",
            ));
          }
          break;
        case "Exists":
        case "DoesNotExist":
          if (values.length > 0) {
            errs.push(forbidden(
              p.child("values"),
              "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            ));
          }
          break;
        case "Gt":
        case "Lt":
          if (values.length !== 1) {
            errs.push(required(
              p.child("values"),
              "must be specified single value when `operator` is 'Lt' or 'Gt'",
            ));
          }
          break;
        default:
          errs.push(invalid(p.child("operator"), {
            value: req.operator,
            detail: "not a valid selector operator",
          }));
      }
      errs.push(...validateQualifiedName(req.key, p.child("key")));
      values.forEach((v, k) => {
        errs.push(...invalidEach(p.child("values").index(k), {
          value: v,
          messages: isValidLabelValue(v),
        }));
      });
    });
    (term.matchFields ?? []).forEach((req, j) => {
      const p = tp.child("matchFields").index(j);
      const values = req.values ?? [];
      if (req.operator === "In" || req.operator === "NotIn") {
        if (values.length !== 1) {
          errs.push(required(
            p.child("values"),
            "must be only one value when `operator` is 'In' or 'NotIn' for node field selector",
          ));
        }
      } else {
        errs.push(invalid(p.child("operator"), {
          value: req.operator,
          detail: "not a valid selector operator",
        }));
      }
      if (req.key !== "metadata.name") {
        errs.push(invalid(p.child("key"), {
          value: req.key,
          detail: "not a valid field selector key",
        }));
      } else {
        values.forEach((v, k) => {
          errs.push(...validateDns1123Subdomain(v, p.child("values").index(k)));
        });
      }
    });
  });
  return errs;
}

/** `IsValidIP`: `must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)`. */
export function validateIP(value: string, path: FieldPath | string): FieldError[] {
  return parseIP(value) === null
    ? [invalid(path, {
      value,
      detail: "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
    })]
    : [];
}

/** `IsValidCIDR`: `must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)`. */
export function validateCIDR(value: string, path: FieldPath | string): FieldError[] {
  return parseCIDR(value) === null
    ? [invalid(path, {
      value,
      detail: "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)",
    })]
    : [];
}

/** `validatePathNoBacksteps`: no `..` path element. */
export function validatePathNoBacksteps(value: string, path: FieldPath | string): FieldError[] {
  return value.replaceAll("\\", "/").split("/").includes("..")
    ? [invalid(path, { value, detail: "must not contain '..'" })]
    : [];
}

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === "object") return Object.keys(v).length === 0;
  return false;
}

/**
 * Kubernetes' semantic equality of decoded JSON values: an absent, empty list and empty map
 * compare equal, as Go's nil and empty do under `apiequality.Semantic.DeepEqual`.
 */
export function semanticEqual(a: unknown, b: unknown): boolean {
  if (isEmpty(a) && isEmpty(b)) {
    return (a === undefined || a === null || typeof a === "object") &&
      (b === undefined || b === null || typeof b === "object");
  }
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => semanticEqual(x, b[i]));
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ra), ...Object.keys(rb)]);
  for (const k of keys) if (!semanticEqual(ra[k], rb[k])) return false;
  return true;
}

/** `ValidateImmutableField`: `Invalid value: <new>: field is immutable` when changed. */
export function validateImmutable(
  values: { readonly value: unknown; readonly old: unknown },
  path: FieldPath | string,
): FieldError[] {
  return semanticEqual(values.value, values.old)
    ? []
    : [invalid(path, { value: values.value, detail: FIELD_IMMUTABLE })];
}

/** Splits `a/b` into prefix and name (`["", name]` without a slash). */
export function splitQualified(name: string): [string, string] {
  const i = name.indexOf("/");
  return i < 0 ? ["", name] : [name.slice(0, i), name.slice(i + 1)];
}

/** A root path, for brevity. */
export function path(root: string): FieldPath {
  return new FieldPath(root);
}
