/**
 * Validation of downward API selectors (`fieldRef`, `resourceFieldRef`) in env vars and volumes.
 *
 * @module
 */
import type { ObjectFieldSelector, ResourceFieldSelector } from "../types/core_v1_common.ts";
import {
  type FieldError,
  type FieldPath,
  invalid,
  notSupported,
  required,
} from "../validation/field_errors.ts";
import { validateQualifiedName } from "../validation/names.ts";
import { parseQuantity } from "../validation/resource_names.ts";

/** Pod fields the v1 downward API converts (`ConvertDownwardAPIFieldLabel`). */
const CONVERTIBLE_FIELDS = new Set([
  "metadata.annotations",
  "metadata.labels",
  "metadata.name",
  "metadata.namespace",
  "metadata.uid",
  "spec.nodeName",
  "spec.restartPolicy",
  "spec.serviceAccountName",
  "spec.schedulerName",
  "status.phase",
  "status.hostIP",
  "status.hostIPs",
  "status.podIP",
  "status.podIPs",
]);

/** Fields env vars may select, sorted as upstream prints them. */
export const ENV_DOWNWARD_API_FIELDS = [
  "metadata.name",
  "metadata.namespace",
  "metadata.uid",
  "spec.nodeName",
  "spec.serviceAccountName",
  "status.hostIP",
  "status.hostIPs",
  "status.podIP",
  "status.podIPs",
];

/** Resources env vars and volume files may select, sorted. */
const RESOURCE_FIELDS = [
  "limits.cpu",
  "limits.ephemeral-storage",
  "limits.memory",
  "requests.cpu",
  "requests.ephemeral-storage",
  "requests.memory",
];

const MEMORY_DIVISORS = new Set([
  "1",
  "1k",
  "1M",
  "1G",
  "1T",
  "1P",
  "1E",
  "1Ki",
  "1Mi",
  "1Gi",
  "1Ti",
  "1Pi",
  "1Ei",
]);

/** `metadata.labels['app']` → path and subscript. */
function splitSubscript(path: string): { path: string; subscript?: string } {
  const m = /^(.*)\['(.*)'\]$/.exec(path);
  return m ? { path: m[1]!, subscript: m[2]! } : { path };
}

/** `validateObjectFieldSelector` with the allowed field paths `expressions` (sorted). */
export function validateObjectFieldSelector(
  fs: ObjectFieldSelector,
  options: { readonly expressions: readonly string[]; readonly path: FieldPath },
): FieldError[] {
  const { expressions, path } = options;
  if (!fs.apiVersion) return [required(path.child("apiVersion"))];
  if (!fs.fieldPath) return []; // the schema reports it
  const split = splitSubscript(fs.fieldPath);
  let error: string | null = null;
  if (fs.apiVersion !== "v1") error = `unsupported pod version: ${fs.apiVersion}`;
  else if (split.subscript !== undefined) {
    if (split.path !== "metadata.annotations" && split.path !== "metadata.labels") {
      error = `field label does not support subscript: ${split.path}`;
    }
  } else if (!CONVERTIBLE_FIELDS.has(split.path)) {
    error = `field label not supported: ${split.path}`;
  }
  if (error !== null) {
    return [invalid(path.child("fieldPath"), {
      value: fs.fieldPath,
      detail: `error converting fieldPath: ${error}`,
    })];
  }
  if (split.subscript !== undefined) {
    return split.path === "metadata.annotations"
      ? validateQualifiedName(split.subscript.toLowerCase(), path)
      : validateQualifiedName(split.subscript, path);
  }
  if (!expressions.includes(split.path)) {
    return [notSupported(path.child("fieldPath"), { value: split.path, supported: expressions })];
  }
  return [];
}

/** Options of {@linkcode validateResourceFieldSelector}. */
export interface ResourceFieldSelectorOptions {
  readonly path: FieldPath;
  /** In a volume, containerName is required. */
  readonly volume: boolean;
}

/** `validateContainerResourceFieldSelector` and its divisor check. */
export function validateResourceFieldSelector(
  fs: ResourceFieldSelector,
  options: ResourceFieldSelectorOptions,
): FieldError[] {
  const { path } = options;
  const errs: FieldError[] = [];
  if (options.volume && !fs.containerName) {
    errs.push(required(path.child("containerName")));
  } else if (
    fs.resource &&
    !RESOURCE_FIELDS.includes(fs.resource) && !fs.resource.startsWith("limits.hugepages-") &&
    !fs.resource.startsWith("requests.hugepages-")
  ) {
    errs.push(
      notSupported(path.child("resource"), { value: fs.resource, supported: RESOURCE_FIELDS }),
    );
  }
  const divisor = parseQuantity(fs.divisor);
  if (divisor === null || divisor.isZero()) return errs;
  const d = divisor.toString();
  const bad = (what: string, allowed: string) =>
    errs.push(invalid(path.child("divisor"), {
      value: fs.resource,
      detail: `only divisor's values ${allowed} are supported with the ${what}`,
    }));
  const memoryList = "1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei";
  switch (fs.resource) {
    case "limits.cpu":
    case "requests.cpu":
      if (d !== "1m" && d !== "1") bad("cpu resource", "1m and 1");
      break;
    case "limits.memory":
    case "requests.memory":
      if (!MEMORY_DIVISORS.has(d)) bad("memory resource", memoryList);
      break;
    case "limits.ephemeral-storage":
    case "requests.ephemeral-storage":
      if (!MEMORY_DIVISORS.has(d)) bad("local ephemeral storage resource", memoryList);
      break;
  }
  if (
    (fs.resource.startsWith("requests.hugepages-") ||
      fs.resource.startsWith("limits.hugepages-")) &&
    !MEMORY_DIVISORS.has(d)
  ) {
    bad("hugepages resource", memoryList);
  }
  return errs;
}
