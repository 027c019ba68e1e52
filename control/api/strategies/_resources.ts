/**
 * Resource names and quantities as core validation checks them (upstream
 * `pkg/apis/core/helper` and `validateResourceName` and friends): which names are standard,
 * which count whole objects, and the messages for bad names and values.
 *
 * @module
 */
import { Quantity } from "../types/quantity.ts";
import { FieldError, type FieldPath, invalid } from "../validation/field_errors.ts";
import { isQualifiedName } from "../validation/names.ts";
import { IS_NEGATIVE, validateQualifiedName } from "./_rules.ts";

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
  "resourcequotas",
  "services",
  "replicationcontrollers",
  "secrets",
  "configmaps",
  "persistentvolumeclaims",
  "storage",
  "requests.storage",
  "services.nodeports",
  "services.loadbalancers",
]);

const STANDARD_QUOTA_RESOURCES = new Set([
  "cpu",
  "memory",
  "ephemeral-storage",
  "requests.cpu",
  "requests.memory",
  "requests.storage",
  "requests.ephemeral-storage",
  "limits.cpu",
  "limits.memory",
  "limits.ephemeral-storage",
  "pods",
  "resourcequotas",
  "services",
  "replicationcontrollers",
  "secrets",
  "persistentvolumeclaims",
  "configmaps",
  "services.nodeports",
  "services.loadbalancers",
]);

const INTEGER_RESOURCES = new Set([
  "pods",
  "resourcequotas",
  "services",
  "replicationcontrollers",
  "secrets",
  "configmaps",
  "persistentvolumeclaims",
  "services.nodeports",
  "services.loadbalancers",
]);

const CONTAINER_RESOURCES = new Set(["cpu", "memory", "ephemeral-storage"]);

/** `hugepages-<size>`. */
export function isHugePageResourceName(name: string): boolean {
  return name.startsWith("hugepages-");
}

function isQuotaHugePageResourceName(name: string): boolean {
  return name.startsWith("requests.hugepages-") || name.startsWith("limits.hugepages-");
}

/** Unprefixed or `kubernetes.io/`-prefixed names (`IsNativeResource`). */
export function isNativeResource(name: string): boolean {
  return !name.includes("/") || name.includes("kubernetes.io/");
}

/** A domain-prefixed, non-native resource such as `example.com/gpu` (`IsExtendedResourceName`). */
export function isExtendedResourceName(name: string): boolean {
  if (isNativeResource(name) || name.startsWith("requests.")) return false;
  return isQualifiedName(`requests.${name}`).length === 0;
}

/** Resources counted in whole units (`IsIntegerResourceName`). */
export function isIntegerResourceName(name: string): boolean {
  return INTEGER_RESOURCES.has(name) || isExtendedResourceName(name);
}

/** Native resources other than huge pages may be overcommitted (`IsOvercommitAllowed`). */
export function isOvercommitAllowed(name: string): boolean {
  return isNativeResource(name) && !isHugePageResourceName(name);
}

/** `validateResourceName`: a qualified name, and standard when unprefixed. */
export function validateResourceName(name: string, path: FieldPath): FieldError[] {
  const errs = validateQualifiedName(name, path);
  if (errs.length) return errs;
  if (!name.includes("/") && !STANDARD_RESOURCES.has(name) && !isQuotaHugePageResourceName(name)) {
    return [invalid(path, {
      value: name,
      detail: "must be a standard resource type or fully qualified",
    })];
  }
  return [];
}

/** `validateContainerResourceName`: cpu, memory, ephemeral-storage, huge pages or extended. */
export function validateContainerResourceName(name: string, path: FieldPath): FieldError[] {
  const errs = validateResourceName(name, path);
  if (!name.includes("/")) {
    if (!CONTAINER_RESOURCES.has(name) && !isHugePageResourceName(name)) {
      return [
        ...errs,
        invalid(path, { value: name, detail: "must be a standard resource for containers" }),
      ];
    }
  } else if (!isNativeResource(name) && !isExtendedResourceName(name)) {
    return [
      ...errs,
      invalid(path, { value: name, detail: "doesn't follow extended resource name standard" }),
    ];
  }
  return errs;
}

/** `ValidateResourceQuotaResourceName`: a resource name valid in a quota. */
export function validateQuotaResourceName(name: string, path: FieldPath): FieldError[] {
  const errs = validateResourceName(name, path);
  if (
    !name.includes("/") && !STANDARD_QUOTA_RESOURCES.has(name) &&
    !isQuotaHugePageResourceName(name)
  ) {
    return [
      ...errs,
      invalid(path, { value: name, detail: "must be a standard resource for quota" }),
    ];
  }
  return errs;
}

/** Whether `name` is a standard quota resource (`IsStandardQuotaResourceName`). */
export function isStandardQuotaResourceName(name: string): boolean {
  return STANDARD_QUOTA_RESOURCES.has(name) || isQuotaHugePageResourceName(name);
}

/** Parses a decoded (canonical) quantity; `null` if it does not parse. */
export function quantityOf(text: string | undefined): Quantity | null {
  if (text === undefined) return null;
  try {
    return Quantity.parse(text);
  } catch {
    return null;
  }
}

/**
 * `ValidateResourceQuantityValue`: not negative, and whole for integer resources. Bad values
 * print as the quantity's canonical text.
 */
export function validateResourceQuantity(
  entry: { readonly name: string; readonly value: string },
  path: FieldPath,
): FieldError[] {
  const q = quantityOf(entry.value);
  if (q === null) return [];
  const errs: FieldError[] = [];
  if (q.sign() < 0) errs.push(invalid(path, { value: q.toString(), detail: IS_NEGATIVE }));
  if (isIntegerResourceName(entry.name) && q.milliValue() % 1000n !== 0n) {
    errs.push(invalid(path, { value: q.toString(), detail: "must be an integer" }));
  }
  return errs;
}

/** `ValidatePositiveQuantityValue`: `must be greater than zero`. */
export function validatePositiveQuantity(value: string, path: FieldPath): FieldError[] {
  const q = quantityOf(value);
  if (q === null || q.sign() > 0) return [];
  return [invalid(path, { value: q.toString(), detail: "must be greater than zero" })];
}
