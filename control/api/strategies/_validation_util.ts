/**
 * Small validators shared by the pod spec checks, each returning field errors with upstream's
 * messages (apimachinery `util/validation`, `apis/meta/v1/validation` and the helpers at the top
 * of `pkg/apis/core/validation`).
 *
 * @module
 */
import { isIP } from "node:net";
import {
  type FieldError,
  FieldPath,
  forbidden,
  invalid,
  required,
  tooLong,
} from "../validation/field_errors.ts";
import {
  isDns1123Label,
  isDns1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
  TOTAL_ANNOTATION_SIZE_LIMIT_BYTES,
} from "../validation/names.ts";
import { Quantity } from "../types/quantity.ts";

/** A path given as text or as a FieldPath. */
export type PathLike = FieldPath | string;

/** The FieldPath of `p`. */
export function toPath(p: PathLike): FieldPath {
  return typeof p === "string" ? new FieldPath(p) : p;
}

/** Upstream's `isNegativeErrorMsg`. */
export const NEGATIVE_ERROR = "must be greater than or equal to 0";
/** Upstream's `isNotPositiveErrorMsg`. */
export const NOT_POSITIVE_ERROR = "must be greater than zero";
/** Upstream's `isNotIntegerErrorMsg`. */
export const NOT_INTEGER_ERROR = "must be an integer";
/** Upstream's `fileModeErrorMsg`. */
export const FILE_MODE_ERROR = "must be a number between 0 and 0777 (octal), both inclusive";

/** `must be between lo and hi, inclusive` (apimachinery `InclusiveRangeError`). */
export function inclusiveRangeError(lo: number, hi: number): string {
  return `must be between ${lo} and ${hi}, inclusive`;
}

/** Invalid errors for each message of `msgs`. */
export function invalidEach(
  path: PathLike,
  options: { readonly value: unknown; readonly msgs: readonly string[] },
): FieldError[] {
  return options.msgs.map((detail) => invalid(path, { value: options.value, detail }));
}

/** `ValidateDNS1123Label`. */
export function validateDns1123Label(value: string, path: PathLike): FieldError[] {
  return invalidEach(path, { value: value, msgs: isDns1123Label(value) });
}

/** `ValidateDNS1123Subdomain` (also node, service account, priority class names). */
export function validateDns1123Subdomain(value: string, path: PathLike): FieldError[] {
  return invalidEach(path, { value: value, msgs: isDns1123Subdomain(value) });
}

/** `ValidateQualifiedName` / `ValidateLabelName`. */
export function validateQualifiedName(value: string, path: PathLike): FieldError[] {
  return invalidEach(path, { value: value, msgs: isQualifiedName(value) });
}

/** `ValidateLabels`: keys and values, reported at the map's path. */
export function validateLabels(
  labels: Readonly<Record<string, string>> | undefined,
  path: PathLike,
): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    errs.push(...validateQualifiedName(k, path));
    errs.push(...invalidEach(path, { value: v, msgs: isValidLabelValue(v) }));
  }
  return errs;
}

/** `ValidateAnnotations`: keys are qualified names in any case; the total size is limited. */
export function validateAnnotations(
  annotations: Readonly<Record<string, string>> | undefined,
  path: PathLike,
): FieldError[] {
  const errs: FieldError[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    errs.push(...invalidEach(path, { value: k, msgs: isQualifiedName(k.toLowerCase()) }));
    size += new TextEncoder().encode(k).length + new TextEncoder().encode(v).length;
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT_BYTES) {
    errs.push(tooLong(path, TOTAL_ANNOTATION_SIZE_LIMIT_BYTES));
  }
  return errs;
}

/** A `metav1.LabelSelector` as decoded. */
export interface LabelSelectorLike {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly {
    readonly key: string;
    readonly operator: string;
    readonly values?: readonly string[];
  }[];
}

/** `ValidateLabelSelector` (label values checked). */
export function validateLabelSelector(
  selector: LabelSelectorLike | undefined,
  path: PathLike,
): FieldError[] {
  if (selector === undefined || selector === null) return [];
  const p = toPath(path);
  const errs = validateLabels(selector.matchLabels, p.child("matchLabels"));
  (selector.matchExpressions ?? []).forEach((req, i) => {
    const rp = p.child("matchExpressions").index(i);
    const values = req.values ?? [];
    switch (req.operator) {
      case "In":
      case "NotIn":
        if (values.length === 0) {
          errs.push(
            required(rp.child("values"), "must be specified when `operator` is 'In' or 'NotIn'"),
          );
        }
        break;
      case "Exists":
      case "DoesNotExist":
        if (values.length > 0) {
          errs.push(
            forbidden(
              rp.child("values"),
              "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            ),
          );
        }
        break;
      default:
        errs.push(
          invalid(rp.child("operator"), {
            value: req.operator,
            detail: "not a valid selector operator",
          }),
        );
    }
    errs.push(...validateQualifiedName(req.key, rp.child("key")));
    values.forEach((v, j) => {
      errs.push(
        ...invalidEach(rp.child("values").index(j), { value: v, msgs: isValidLabelValue(v) }),
      );
    });
  });
  return errs;
}

/** `IsValidPortNum`. */
export function isValidPortNum(port: number): string[] {
  return port >= 1 && port <= 65535 ? [] : [inclusiveRangeError(1, 65535)];
}

/** `IsValidPortName` (IANA service names). */
export function isValidPortName(port: string): string[] {
  const errs: string[] = [];
  if (port.length > 15) errs.push("must be no more than 15 characters");
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

/** `ValidatePortNumOrName` for an IntOrString port. */
export function validatePortNumOrName(port: number | string, path: PathLike): FieldError[] {
  return typeof port === "number"
    ? invalidEach(path, { value: port, msgs: isValidPortNum(port) })
    : invalidEach(path, { value: port, msgs: isValidPortName(port) });
}

/** Whether `value` parses as an IP address (IPv4 leading zeros allowed, as `ParseIPSloppy`). */
export function isIpAddress(value: string): boolean {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(value)) {
    return value.split(".").every((o) => Number(o) <= 255);
  }
  return isIP(value) === 6;
}

/** `IsValidIP` (field form). */
export function validateIp(value: string, path: PathLike): FieldError[] {
  return isIpAddress(value) ? [] : [invalid(path, {
    value,
    detail: "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
  })];
}

/** `IsRelaxedEnvVarName` (RelaxedEnvironmentVariableValidation, on in 1.33). */
export function isRelaxedEnvVarName(value: string): string[] {
  if (value.length === 0) return ["environment variable name must be non-empty"];
  for (const ch of value) {
    const c = ch.codePointAt(0)!;
    if (c < 0x20 || c > 0x7e || ch === "=") {
      return [
        "a valid environment variable name must consist only of printable ASCII characters other than '='",
      ];
    }
  }
  return [];
}

/** `IsConfigMapKey`. */
export function isConfigMapKey(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 253) errs.push("must be no more than 253 characters");
  if (!/^[-._a-zA-Z0-9]+$/.test(value)) {
    errs.push(
      "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
    );
  }
  if (value === ".") errs.push("must not be '.'");
  else if (value === "..") errs.push("must not be '..'");
  else if (value.startsWith("..")) errs.push("must not start with '..'");
  return errs;
}

/** `IsHTTPHeaderName`. */
export function isHttpHeaderName(value: string): string[] {
  return /^[-A-Za-z0-9]+$/.test(value) ? [] : [
    "a valid HTTP header must consist of alphanumeric characters or '-' (e.g. 'X-Header-Name', regex used for validation is '[-A-Za-z0-9]+')",
  ];
}

/** `validatePathNoBacksteps`. */
export function validatePathNoBacksteps(target: string, path: PathLike): FieldError[] {
  return target.split("/").includes("..")
    ? [invalid(path, { value: target, detail: "must not contain '..'" })]
    : [];
}

/** `validateLocalDescendingPath`: relative, without `..`. */
export function validateLocalDescendingPath(target: string, path: PathLike): FieldError[] {
  const errs: FieldError[] = [];
  if (target.startsWith("/")) {
    errs.push(invalid(path, { value: target, detail: "must be a relative path" }));
  }
  errs.push(...validatePathNoBacksteps(target, path));
  return errs;
}

/** `validateLocalNonReservedPath`: also may not start with `..`. */
export function validateLocalNonReservedPath(target: string, path: PathLike): FieldError[] {
  const errs = validateLocalDescendingPath(target, path);
  if (target.startsWith("..") && !target.startsWith("../")) {
    errs.push(invalid(path, { value: target, detail: "must not start with '..'" }));
  }
  return errs;
}

/** `ValidateNonnegativeField`. */
export function validateNonnegative(value: number, path: PathLike): FieldError[] {
  return value < 0 ? [invalid(path, { value, detail: NEGATIVE_ERROR })] : [];
}

const MAX_ID = 2147483647;

/** `IsValidUserID` / `IsValidGroupID`. */
export function validateId(value: number, path: PathLike): FieldError[] {
  return value < 0 || value > MAX_ID
    ? [invalid(path, { value, detail: inclusiveRangeError(0, MAX_ID) })]
    : [];
}

/** Parses a quantity, or null when it is not one (decoding already reported that). */
export function parseQuantity(value: string | number | undefined): Quantity | null {
  if (value === undefined) return null;
  try {
    return Quantity.parse(String(value));
  } catch {
    return null;
  }
}

const STANDARD_CONTAINER_RESOURCES = new Set(["cpu", "memory", "ephemeral-storage"]);
const STANDARD_RESOURCES = new Set([
  "cpu",
  "memory",
  "ephemeral-storage",
  "requests.cpu",
  "requests.memory",
  "requests.ephemeral-storage",
  "limits.cpu",
  "limits.memory",
  "limits.ephemeral-storage",
  "pods",
  "services",
  "replicationcontrollers",
  "resourcequotas",
  "secrets",
  "configmaps",
  "persistentvolumeclaims",
  "storage",
  "requests.storage",
  "services.nodeports",
  "services.loadbalancers",
]);
const INTEGER_RESOURCES = new Set([
  "pods",
  "services",
  "replicationcontrollers",
  "resourcequotas",
  "secrets",
  "configmaps",
  "persistentvolumeclaims",
  "services.nodeports",
  "services.loadbalancers",
]);

/** `IsHugePageResourceName`. */
export function isHugePageResource(name: string): boolean {
  return name.startsWith("hugepages-");
}

/** `IsNativeResource`: unprefixed or in the kubernetes.io domain. */
export function isNativeResource(name: string): boolean {
  return !name.includes("/") || name.includes("kubernetes.io/");
}

/** `IsExtendedResourceName`: a prefixed, non-native name that is not a quota name. */
export function isExtendedResource(name: string): boolean {
  if (isNativeResource(name) || name.startsWith("requests.")) return false;
  return isQualifiedName(`requests.${name}`).length === 0;
}

/** `IsOvercommitAllowed`: native and not hugepages. */
export function isOvercommitAllowed(name: string): boolean {
  return isNativeResource(name) && !isHugePageResource(name);
}

/** `validateResourceName`. */
export function validateResourceName(name: string, path: PathLike): FieldError[] {
  const errs = validateQualifiedName(name, path);
  if (errs.length > 0) return errs;
  if (!name.includes("/") && !STANDARD_RESOURCES.has(name) && !isHugePageResource(name)) {
    errs.push(
      invalid(path, { value: name, detail: "must be a standard resource type or fully qualified" }),
    );
  }
  return errs;
}

/** `validateContainerResourceName`. */
export function validateContainerResourceName(name: string, path: PathLike): FieldError[] {
  const errs = validateResourceName(name, path);
  if (!name.includes("/")) {
    if (!STANDARD_CONTAINER_RESOURCES.has(name) && !isHugePageResource(name)) {
      errs.push(
        invalid(path, { value: name, detail: "must be a standard resource for containers" }),
      );
    }
  } else if (!isNativeResource(name) && !isExtendedResource(name)) {
    errs.push(invalid(path, {
      value: name,
      detail: "doesn't follow extended resource name standard",
    }));
  }
  return errs;
}

/** `ValidateResourceQuantityValue`: not negative; integer for integer resources. */
export function validateResourceQuantityValue(
  q: Quantity,
  options: { readonly name: string; readonly path: PathLike },
): FieldError[] {
  const { name, path } = options;
  const errs: FieldError[] = [];
  if (q.sign() < 0) errs.push(invalid(path, { value: q.toString(), detail: NEGATIVE_ERROR }));
  if ((INTEGER_RESOURCES.has(name) || isExtendedResource(name)) && q.milliValue() % 1000n !== 0n) {
    errs.push(invalid(path, { value: q.toString(), detail: NOT_INTEGER_ERROR }));
  }
  return errs;
}
