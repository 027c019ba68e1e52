/**
 * The arithmetic of a PodDisruptionBudget's status, as kube-controller-manager's disruption
 * controller and `k8s.io/component-helpers/apps/poddisruptionbudget` compute it: scaled
 * int-or-percent values, healthy pods, the `disruptedPods` map and its 2-minute timeout, the
 * `DisruptionAllowed` condition (set as apimachinery's `SetStatusCondition` does), and the Go
 * `%v` text of a label selector that upstream's events print. Pure functions over plain
 * objects; nothing here writes to the API.
 *
 * @module
 */
import type { Pod } from "../api/types/core_v1_pod.ts";
import type { Condition, LabelSelector } from "../api/types/meta_v1.ts";
import type { PodDisruptionBudget, PodDisruptionBudgetStatus } from "../api/types/policy_v1.ts";
import { parseTime, rfc3339 } from "./_rfc3339.ts";
import { isPodReady } from "./active_pods.ts";

/** The condition the controller (and the eviction subresource) keeps on every budget. */
export const DISRUPTION_ALLOWED_CONDITION = "DisruptionAllowed";
/** `DisruptionAllowed=True`: at least one disruption is allowed. */
export const SUFFICIENT_PODS_REASON = "SufficientPods";
/** `DisruptionAllowed=False`: no disruption is allowed. */
export const INSUFFICIENT_PODS_REASON = "InsufficientPods";
/** `DisruptionAllowed=False`: the controller could not compute the status. */
export const SYNC_FAILED_REASON = "SyncFailed";

/**
 * How long a pod the eviction subresource recorded in `status.disruptedPods` counts as gone
 * without being seen deleted (upstream `DeletionTimeout`).
 */
export const DELETION_TIMEOUT_MS = 2 * 60_000;

/** A budget's `minAvailable` or `maxUnavailable`. */
export type IntOrPercent = number | string;

/** Options of {@linkcode scaledValueFromIntOrPercent}. */
export interface ScaleOptions {
  /** What a percentage is of. */
  readonly total: number;
  /** Round a fraction up (else down). */
  readonly roundUp: boolean;
}

/** Go's `strconv.Atoi` on a percentage's digits, with its error text. */
function atoi(text: string): number {
  if (!/^[+-]?\d+$/.test(text)) {
    throw new Error(`strconv.Atoi: parsing ${JSON.stringify(text)}: invalid syntax`);
  }
  return Number.parseInt(text, 10);
}

/**
 * An int as it is, or a percentage (`"50%"`) of `total`, rounded as asked (upstream
 * `intstr.GetScaledValueFromIntOrPercent`, with its error texts).
 *
 * @throws {Error} for a string that is not `<integer>%`.
 */
export function scaledValueFromIntOrPercent(value: IntOrPercent, options: ScaleOptions): number {
  if (typeof value === "number") return Math.trunc(value);
  if (!value.endsWith("%")) {
    throw new Error("invalid value for IntOrString: invalid type: string is not a percentage");
  }
  let percent: number;
  try {
    percent = atoi(value.slice(0, -1));
  } catch (err) {
    throw new Error(
      `invalid value for IntOrString: invalid value ${JSON.stringify(value)}: ${
        (err as Error).message
      }`,
    );
  }
  const scaled = (percent * options.total) / 100;
  return options.roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

/** What a condition is set to (its `lastTransitionTime` is filled in when it changes). */
export interface ConditionUpdate {
  readonly type: string;
  readonly status: Condition["status"];
  readonly reason: string;
  readonly message: string;
  readonly observedGeneration: number;
}

/**
 * Sets `update` in `conditions` in place as apimachinery's `SetStatusCondition` does: a new
 * type is appended with `lastTransitionTime` now; an existing one keeps its transition time
 * unless its status changes, and takes the new reason, message and observedGeneration.
 * Answers whether anything changed.
 */
export function setStatusCondition(
  conditions: Condition[],
  change: { readonly update: ConditionUpdate; readonly nowMs: number },
): boolean {
  const { update, nowMs } = change;
  const at = conditions.findIndex((c) => c.type === update.type);
  if (at < 0) {
    conditions.push({ ...update, lastTransitionTime: rfc3339(nowMs) });
    return true;
  }
  const old = conditions[at]!;
  const statusChanged = old.status !== update.status;
  const changed = statusChanged || old.reason !== update.reason ||
    old.message !== update.message ||
    (old.observedGeneration ?? 0) !== update.observedGeneration;
  conditions[at] = {
    ...old,
    status: update.status,
    reason: update.reason,
    message: update.message,
    observedGeneration: update.observedGeneration,
    lastTransitionTime: statusChanged ? rfc3339(nowMs) : old.lastTransitionTime,
  };
  return changed;
}

/**
 * Sets `DisruptionAllowed` from `status.disruptionsAllowed` (upstream
 * `UpdateDisruptionAllowedCondition`): True `SufficientPods` above 0, else False
 * `InsufficientPods`, both with an empty message. Mutates `status`.
 */
export function updateDisruptionAllowedCondition(
  status: PodDisruptionBudgetStatus,
  nowMs: number,
): void {
  const conditions = status.conditions ? [...status.conditions] : [];
  const allowed = status.disruptionsAllowed > 0;
  setStatusCondition(conditions, {
    update: {
      type: DISRUPTION_ALLOWED_CONDITION,
      status: allowed ? "True" : "False",
      reason: allowed ? SUFFICIENT_PODS_REASON : INSUFFICIENT_PODS_REASON,
      message: "",
      observedGeneration: status.observedGeneration ?? 0,
    },
    nowMs,
  });
  status.conditions = conditions;
}

/**
 * Whether `DisruptionAllowed` agrees with `disruptionsAllowed` for the current generation
 * (upstream `ConditionsAreUpToDate`).
 */
export function conditionsAreUpToDate(pdb: PodDisruptionBudget): boolean {
  const status = pdb.status;
  const cond = status?.conditions?.find((c) => c.type === DISRUPTION_ALLOWED_CONDITION);
  if (!status || !cond) return false;
  if ((status.observedGeneration ?? 0) !== (pdb.metadata?.generation ?? 0)) return false;
  if (status.disruptionsAllowed > 0) {
    return cond.status === "True" && cond.reason === SUFFICIENT_PODS_REASON;
  }
  return cond.status === "False" && cond.reason === INSUFFICIENT_PODS_REASON;
}

/** The disruptions a budget allows: none while it expects no pods or lacks healthy ones. */
export function disruptionsAllowed(
  counts: {
    readonly currentHealthy: number;
    readonly desiredHealthy: number;
    readonly expectedPods: number;
  },
): number {
  const allowed = counts.currentHealthy - counts.desiredHealthy;
  return counts.expectedPods <= 0 || allowed <= 0 ? 0 : allowed;
}

/** Options of {@linkcode countHealthyPods}. */
export interface HealthyPodsOptions {
  /** Pods the eviction subresource let go, by name, with when. */
  readonly disruptedPods: Readonly<Record<string, string>>;
  readonly nowMs: number;
}

/**
 * Ready pods that are neither being deleted nor recently evicted (upstream
 * `countHealthyPods`).
 */
export function countHealthyPods(pods: readonly Pod[], options: HealthyPodsOptions): number {
  let healthy = 0;
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp) continue;
    const disruptedAt = parseTime(options.disruptedPods[pod.metadata?.name ?? ""]);
    if (disruptedAt !== null && disruptedAt + DELETION_TIMEOUT_MS > options.nowMs) continue;
    if (isPodReady(pod)) healthy++;
  }
  return healthy;
}

/** What {@linkcode buildDisruptedPodMap} answers. */
export interface DisruptedPodMap {
  /** The entries still pending: pods that exist, are not being deleted and are not overdue. */
  readonly disruptedPods: Record<string, string>;
  /** When the earliest pending entry times out, or `null` when none is pending. */
  readonly recheckAtMs: number | null;
  /** Pods whose eviction was recorded more than the timeout ago but that were not deleted. */
  readonly overdue: Pod[];
}

/**
 * The budget's `disruptedPods` cleaned up (upstream `buildDisruptedPodMap`): entries of pods
 * that are gone or being deleted are dropped, and so are those older than
 * {@linkcode DELETION_TIMEOUT_MS} (reported in `overdue`).
 */
export function buildDisruptedPodMap(
  pods: readonly Pod[],
  options: { readonly pdb: PodDisruptionBudget; readonly nowMs: number },
): DisruptedPodMap {
  const recorded = options.pdb.status?.disruptedPods;
  const disruptedPods: Record<string, string> = {};
  const overdue: Pod[] = [];
  let recheckAtMs: number | null = null;
  if (!recorded) return { disruptedPods, recheckAtMs, overdue };
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp) continue;
    const name = pod.metadata?.name ?? "";
    if (!Object.hasOwn(recorded, name)) continue;
    const at = parseTime(recorded[name]) ?? 0;
    const expectedDeletion = at + DELETION_TIMEOUT_MS;
    if (expectedDeletion < options.nowMs) {
      overdue.push(pod);
      continue;
    }
    if (recheckAtMs === null || expectedDeletion < recheckAtMs) recheckAtMs = expectedDeletion;
    disruptedPods[name] = recorded[name]!;
  }
  return { disruptedPods, recheckAtMs, overdue };
}

/** Whether two `disruptedPods` maps hold the same pods at the same times (nil equals empty). */
export function sameDisruptedPods(
  a: Readonly<Record<string, string>> | undefined,
  b: Readonly<Record<string, string>> | undefined,
): boolean {
  const left = Object.keys(a ?? {});
  if (left.length !== Object.keys(b ?? {}).length) return false;
  return left.every((name) =>
    b !== undefined && Object.hasOwn(b, name) && parseTime(a![name]) === parseTime(b[name])
  );
}

/**
 * A label selector as Go's `%v` prints a `*metav1.LabelSelector` (its generated `String()`),
 * as upstream's `UnmanagedPods` event shows it: `&LabelSelector{MatchLabels:map[string]string{
 * app: web,},MatchExpressions:[]LabelSelectorRequirement{},}`; `nil` when absent.
 */
export function goLabelSelector(selector: LabelSelector | null | undefined): string {
  if (selector === null || selector === undefined) return "nil";
  const labels = selector.matchLabels ?? {};
  const keys = Object.keys(labels).sort();
  const labelText = keys.map((k) => `${k}: ${labels[k]},`).join("");
  const expressions = (selector.matchExpressions ?? []).map((e) =>
    `LabelSelectorRequirement{Key:${e.key},Operator:${e.operator},Values:[${
      (e.values ?? []).join(" ")
    }],},`
  ).join("");
  return `&LabelSelector{MatchLabels:map[string]string{${labelText}},` +
    `MatchExpressions:[]LabelSelectorRequirement{${expressions}},}`;
}
