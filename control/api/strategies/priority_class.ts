/**
 * The strategy of `scheduling.k8s.io/v1` PriorityClass: upstream `ValidatePriorityClass` and
 * `ValidatePriorityClassUpdate`, plus the cross-object rules the API server's handler applies
 * (the `Priority` admission plugin's single global default, and the undeletable system
 * classes). `preemptionPolicy` (PreemptLowerPriority) is defaulted by the schema.
 *
 * @module
 */
import type { KubeObject } from "../types/meta_v1.ts";
import type { PriorityClass } from "../types/scheduling_v1.ts";
import { FieldError, FieldPath, forbidden } from "../validation/field_errors.ts";
import { validateImmutableField } from "../validation/immutable.ts";
import type { Strategy } from "./strategy.ts";

/** The prefix reserved for system priority classes. */
export const SYSTEM_PRIORITY_CLASS_PREFIX = "system-";

/** The highest value a user-defined priority class may have. */
export const HIGHEST_USER_DEFINABLE_PRIORITY = 1000000000;

/** The base priority of system-critical pods. */
export const SYSTEM_CRITICAL_PRIORITY = 2 * HIGHEST_USER_DEFINABLE_PRIORITY;

/** The priority classes the API server creates at startup (and never lets be deleted). */
export const SYSTEM_PRIORITY_CLASSES: readonly PriorityClass[] = [
  {
    apiVersion: "scheduling.k8s.io/v1",
    kind: "PriorityClass",
    metadata: { name: "system-node-critical" },
    value: SYSTEM_CRITICAL_PRIORITY + 1000,
    description: "Used for system critical pods that must not be moved from their current node.",
    preemptionPolicy: "PreemptLowerPriority",
  },
  {
    apiVersion: "scheduling.k8s.io/v1",
    kind: "PriorityClass",
    metadata: { name: "system-cluster-critical" },
    value: SYSTEM_CRITICAL_PRIORITY,
    description:
      "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.",
    preemptionPolicy: "PreemptLowerPriority",
  },
];

/** Why a class with the system prefix is not a known system class, or `null` when it is one. */
function systemClassError(pc: PriorityClass): string | null {
  const name = pc.metadata?.name ?? "";
  const known = SYSTEM_PRIORITY_CLASSES.find((s) => s.metadata?.name === name);
  if (known === undefined) return `${name} is not a known system priority class`;
  if (known.value !== pc.value) return `value of ${name} PriorityClass must be ${known.value}`;
  if ((known.globalDefault ?? false) !== (pc.globalDefault ?? false)) {
    return `globalDefault of ${name} PriorityClass must be ${known.globalDefault ?? false}`;
  }
  return null;
}

/** Errors in a PriorityClass (`ValidatePriorityClass`, beyond metadata and the schema). */
export function validatePriorityClass(pc: PriorityClass): FieldError[] {
  const name = pc.metadata?.name ?? "";
  if (name.startsWith(SYSTEM_PRIORITY_CLASS_PREFIX)) {
    const err = systemClassError(pc);
    return err === null ? [] : [
      forbidden(
        new FieldPath("metadata").child("name"),
        `priority class names with '${SYSTEM_PRIORITY_CLASS_PREFIX}' prefix are reserved for system use only. error: ${err}`,
      ),
    ];
  }
  if (pc.value > HIGHEST_USER_DEFINABLE_PRIORITY) {
    return [
      forbidden(
        "value",
        `maximum allowed value of a user defined priority is ${HIGHEST_USER_DEFINABLE_PRIORITY}`,
      ),
    ];
  }
  return [];
}

/** Errors in an update of a PriorityClass: value and preemptionPolicy are immutable. */
export function validatePriorityClassUpdate(pc: PriorityClass, old: PriorityClass): FieldError[] {
  const errs: FieldError[] = [];
  if (pc.value !== old.value) errs.push(forbidden("value", "may not be changed in an update."));
  errs.push(...validateImmutableField(pc.preemptionPolicy, {
    old: old.preemptionPolicy,
    path: new FieldPath("preemptionPolicy"),
  }));
  return errs;
}

/** Options of {@linkcode globalDefaultConflict}. */
export interface GlobalDefaultConflictOptions {
  /** The stored priority classes (on update, including the old version of this one). */
  readonly existing: readonly PriorityClass[];
  /** The write being admitted. */
  readonly operation: "create" | "update";
}

/**
 * The `Priority` admission plugin's rule: at most one class is the global default. Returns the
 * message of the 403 Forbidden error to answer (upstream: `priorityclasses.scheduling.k8s.io
 * "<name>" is forbidden: <message>`), or `null` when the write may go ahead. When several
 * defaults exist after a race, the one with the lowest value counts, as upstream.
 */
export function globalDefaultConflict(
  pc: PriorityClass,
  options: GlobalDefaultConflictOptions,
): string | null {
  if (!pc.globalDefault) return null;
  let current: PriorityClass | undefined;
  for (const other of options.existing) {
    if (other.globalDefault && (current === undefined || current.value > other.value)) {
      current = other;
    }
  }
  if (current === undefined) return null;
  const currentName = current.metadata?.name ?? "";
  if (options.operation === "create" || currentName !== (pc.metadata?.name ?? "")) {
    return `PriorityClass ${currentName} is already marked as default. Only one default can exist`;
  }
  return null;
}

/**
 * Why a priority class may not be deleted: the message of the 403 Forbidden error for a
 * system class, or `null` for any other class.
 */
export function systemPriorityClassDeleteError(name: string): string | null {
  return SYSTEM_PRIORITY_CLASSES.some((s) => s.metadata?.name === name)
    ? "this is a system priority class and cannot be deleted"
    : null;
}

/** The PriorityClass strategy. */
export const priorityClassStrategy: Strategy = {
  nameRule: "subdomain",
  validate(obj: KubeObject): FieldError[] {
    return validatePriorityClass(obj as PriorityClass);
  },
  validateUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
    return validatePriorityClassUpdate(obj as PriorityClass, old as PriorityClass);
  },
};
