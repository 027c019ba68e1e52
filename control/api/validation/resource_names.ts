/**
 * Compute resource names and their values as core validation checks them (upstream
 * `pkg/apis/core/helper`'s `IsStandardResourceName` and friends, `validateResourceName`,
 * `validateContainerResourceName`, `ValidateResourceQuotaResourceName`,
 * `ValidateResourceQuantityValue`): which names are standard, which are extended resources,
 * which count whole units, with upstream's messages.
 *
 * @example Check container resource names
 * ```ts
 * import assert from "node:assert/strict";
 * import { validateContainerResourceName } from "./resource_names.ts";
 *
 * assert.deepEqual(validateContainerResourceName("example.com/gpu", "limits[example.com/gpu]"), []);
 * assert.equal(
 *   validateContainerResourceName("pods", "limits[pods]")[0]!.toString(),
 *   'limits[pods]: Invalid value: "pods": must be a standard resource for containers',
 * );
 * ```
 *
 * @module
 */
import { Quantity } from "../types/quantity.ts";
import { type FieldError, type FieldPath, invalid } from "./field_errors.ts";
import { isQualifiedName, validateQualifiedName } from "./names.ts";
import { IS_NEGATIVE_ERROR, IS_NOT_INTEGER_ERROR, IS_NOT_POSITIVE_ERROR } from "./numbers.ts";

/** Resources counted in whole objects (upstream's `integerResources`). */
const OBJECT_COUNTS = [
  "pods",
  "resourcequotas",
  "services",
  "replicationcontrollers",
  "secrets",
  "configmaps",
  "persistentvolumeclaims",
  "services.nodeports",
  "services.loadbalancers",
];

/** Compute resources, plain and as quota requests and limits. */
const COMPUTE = [
  "cpu",
  "memory",
  "ephemeral-storage",
  "requests.cpu",
  "requests.memory",
  "requests.ephemeral-storage",
  "limits.cpu",
  "limits.memory",
  "limits.ephemeral-storage",
];

/** Upstream's `standardResources`. */
const STANDARD_RESOURCES: ReadonlySet<string> = new Set([
  ...COMPUTE,
  ...OBJECT_COUNTS,
  "storage",
  "requests.storage",
]);

/** Upstream's `standardQuotaResources`: the standard ones but plain `storage`. */
const STANDARD_QUOTA_RESOURCES: ReadonlySet<string> = new Set([
  ...COMPUTE,
  ...OBJECT_COUNTS,
  "requests.storage",
]);

const STANDARD_CONTAINER_RESOURCES: ReadonlySet<string> = new Set([
  "cpu",
  "memory",
  "ephemeral-storage",
]);

const INTEGER_RESOURCES: ReadonlySet<string> = new Set(OBJECT_COUNTS);

/** `hugepages-<size>` (`IsHugePageResourceName`). */
export function isHugePageResourceName(name: string): boolean {
  return name.startsWith("hugepages-");
}

/** `hugepages-<size>` or `requests.hugepages-<size>` (`IsQuotaHugePageResourceName`). */
export function isQuotaHugePageResourceName(name: string): boolean {
  return name.startsWith("hugepages-") || name.startsWith("requests.hugepages-");
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

/** A resource known to the system (`IsStandardResourceName`). */
export function isStandardResourceName(name: string): boolean {
  return STANDARD_RESOURCES.has(name) || isQuotaHugePageResourceName(name);
}

/** A resource a container may request (`IsStandardContainerResourceName`). */
export function isStandardContainerResourceName(name: string): boolean {
  return STANDARD_CONTAINER_RESOURCES.has(name) || isHugePageResourceName(name);
}

/** A resource the quota system tracks (`IsStandardQuotaResourceName`). */
export function isStandardQuotaResourceName(name: string): boolean {
  return STANDARD_QUOTA_RESOURCES.has(name) || isQuotaHugePageResourceName(name);
}

/** `validateResourceName`: a qualified name, and a standard one when unprefixed. */
export function validateResourceName(name: string, path: FieldPath | string): FieldError[] {
  const errs = validateQualifiedName(name, path);
  if (errs.length > 0) return errs;
  if (!name.includes("/") && !isStandardResourceName(name)) {
    return [invalid(path, {
      value: name,
      detail: "must be a standard resource type or fully qualified",
    })];
  }
  return [];
}

/**
 * `validateContainerResourceName`: {@linkcode validateResourceName}, then cpu, memory,
 * ephemeral-storage or huge pages when unprefixed, a native or extended resource when prefixed.
 */
export function validateContainerResourceName(
  name: string,
  path: FieldPath | string,
): FieldError[] {
  const errs = validateResourceName(name, path);
  if (!name.includes("/")) {
    if (!isStandardContainerResourceName(name)) {
      errs.push(
        invalid(path, { value: name, detail: "must be a standard resource for containers" }),
      );
    }
  } else if (!isNativeResource(name) && !isExtendedResourceName(name)) {
    errs.push(invalid(path, {
      value: name,
      detail: "doesn't follow extended resource name standard",
    }));
  }
  return errs;
}

/** `ValidateResourceQuotaResourceName`: {@linkcode validateResourceName}, then a quota resource. */
export function validateResourceQuotaResourceName(
  name: string,
  path: FieldPath | string,
): FieldError[] {
  const errs = validateResourceName(name, path);
  if (!name.includes("/") && !isStandardQuotaResourceName(name)) {
    errs.push(invalid(path, { value: name, detail: "must be a standard resource for quota" }));
  }
  return errs;
}

/** Parses a decoded quantity; `null` when absent or unparsable (decoding reported that). */
export function parseQuantity(value: string | number | undefined): Quantity | null {
  if (value === undefined) return null;
  try {
    return Quantity.parse(String(value));
  } catch {
    return null;
  }
}

/** Options of {@linkcode validateResourceQuantityValue}. */
export interface ResourceQuantityOptions {
  /** The resource the value is for (whole units for integer resources). */
  readonly name: string;
  readonly path: FieldPath | string;
}

/**
 * `ValidateResourceQuantityValue`: not negative, and whole for integer resources. Bad values
 * print as the quantity's canonical text; an unparsable value reports nothing.
 */
export function validateResourceQuantityValue(
  value: Quantity | string | undefined,
  options: ResourceQuantityOptions,
): FieldError[] {
  const q = value instanceof Quantity ? value : parseQuantity(value);
  if (q === null) return [];
  const errs: FieldError[] = [];
  if (q.sign() < 0) {
    errs.push(invalid(options.path, { value: q.toString(), detail: IS_NEGATIVE_ERROR }));
  }
  if (isIntegerResourceName(options.name) && q.milliValue() % 1000n !== 0n) {
    errs.push(invalid(options.path, { value: q.toString(), detail: IS_NOT_INTEGER_ERROR }));
  }
  return errs;
}

/** `ValidatePositiveQuantityValue`: `must be greater than zero`; nothing when unparsable. */
export function validatePositiveQuantityValue(
  value: Quantity | string | undefined,
  path: FieldPath | string,
): FieldError[] {
  const q = value instanceof Quantity ? value : parseQuantity(value);
  if (q === null || q.sign() > 0) return [];
  return [invalid(path, { value: q.toString(), detail: IS_NOT_POSITIVE_ERROR })];
}
