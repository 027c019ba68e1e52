/**
 * Facts about pods that workload controllers share (upstream `pkg/controller` and
 * `pkg/api/v1/pod`): whether a pod is active, ready, available, and which pods of a set are
 * the least valuable — the ones a controller scaling down deletes first.
 *
 * {@linkcode sortPodsForDeletion} orders as upstream's `ActivePodsWithRanks` (with
 * `PodDeletionCost` and `LogarithmicScaleDown`, both on in 1.33): unassigned before assigned;
 * Pending before Unknown before Running; not ready before ready; lower
 * `controller.kubernetes.io/pod-deletion-cost` first; more co-located pods (a higher rank)
 * first; ready for less time first; more container restarts first; created more recently
 * first. Times are compared on a log2 scale of their age, so pods of about the same age tie and
 * are ordered by uid (a pseudo-random but stable order).
 *
 * @example Delete the unscheduled pod first
 * ```ts
 * import assert from "node:assert/strict";
 * import type { Pod } from "../api/types/core_v1_pod.ts";
 * import { sortPodsForDeletion } from "./active_pods.ts";
 *
 * const pods: Pod[] = [
 *   { metadata: { name: "a" }, spec: { nodeName: "edge-1", containers: [] }, status: { phase: "Running" } },
 *   { metadata: { name: "b" }, spec: { containers: [] }, status: { phase: "Pending" } },
 * ];
 * const order = sortPodsForDeletion(pods, { nowMs: Date.now() });
 * assert.deepEqual(order.map((p) => p.metadata?.name), ["b", "a"]);
 * ```
 *
 * @module
 */
import type { Pod } from "../api/types/core_v1_pod.ts";

/** The annotation that makes a pod cheaper (lower) or dearer (higher) to delete. */
export const POD_DELETION_COST_ANNOTATION = "controller.kubernetes.io/pod-deletion-cost";

/** A pod as the helpers read it (cache objects are frozen: nothing here writes). */
type PodLike = Pick<Pod, "metadata" | "spec" | "status">;

/** Not Succeeded, not Failed, not being deleted (upstream `IsPodActive`). */
export function isPodActive(pod: PodLike): boolean {
  const phase = pod.status?.phase;
  return phase !== "Succeeded" && phase !== "Failed" && !pod.metadata?.deletionTimestamp;
}

/** Whether the pod has the condition `Ready=True`. */
export function isPodReady(pod: PodLike): boolean {
  return readyCondition(pod)?.status === "True";
}

function readyCondition(pod: PodLike) {
  return pod.status?.conditions?.find((c) => c.type === "Ready");
}

function timeMs(text: string | undefined): number {
  if (!text) return 0;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : 0;
}

/** When the pod last became ready (`0` when not ready or unknown). */
export function podReadyTimeMs(pod: PodLike): number {
  const c = readyCondition(pod);
  return c?.status === "True" ? timeMs(c.lastTransitionTime) : 0;
}

/** What {@linkcode isPodAvailable} compares against. */
export interface AvailabilityOptions {
  readonly minReadySeconds: number;
  readonly nowMs: number;
}

/**
 * Ready, and ready for longer than `minReadySeconds` (always, when that is 0): upstream
 * `IsPodAvailable`.
 */
export function isPodAvailable(pod: PodLike, options: AvailabilityOptions): boolean {
  if (!isPodReady(pod)) return false;
  if (options.minReadySeconds <= 0) return true;
  const since = podReadyTimeMs(pod);
  return since !== 0 && since + options.minReadySeconds * 1000 < options.nowMs;
}

/** The pods that count as replicas: active ones. */
export function filterActivePods<T extends PodLike>(pods: readonly T[]): T[] {
  return pods.filter(isPodActive);
}

/**
 * The pod's deletion cost: its `controller.kubernetes.io/pod-deletion-cost` annotation as an
 * int32, or 0 when missing or malformed (leading `+` or zeros are malformed, as upstream).
 */
export function podDeletionCost(pod: PodLike): number {
  const value = pod.metadata?.annotations?.[POD_DELETION_COST_ANNOTATION];
  if (value === undefined || !/^(0|-?[1-9][0-9]*)$/.test(value)) return 0;
  const n = Number(value);
  return n >= -(2 ** 31) && n <= 2 ** 31 - 1 ? n : 0;
}

const PHASE_ORDINAL: Readonly<Record<string, number>> = { Pending: 0, Unknown: 1, Running: 2 };

function phaseOrdinal(pod: PodLike): number {
  return PHASE_ORDINAL[pod.status?.phase ?? ""] ?? 0;
}

/** The largest restart count of the regular containers, then of the sidecars. */
function maxRestarts(pod: PodLike): [number, number] {
  let regular = 0;
  for (const c of pod.status?.containerStatuses ?? []) regular = Math.max(regular, c.restartCount);
  const sidecars = new Set(
    (pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === "Always").map((c) => c.name),
  );
  let sidecar = 0;
  for (const c of pod.status?.initContainerStatuses ?? []) {
    if (sidecars.has(c.name)) sidecar = Math.max(sidecar, c.restartCount);
  }
  return [regular, sidecar];
}

/** floor(log2(age in nanoseconds)), or -1 for a time not in the past. */
function logRank(ms: number, nowMs: number): number {
  const ageMs = nowMs - ms;
  return ageMs > 0 ? Math.floor(Math.log2(ageMs * 1e6)) : -1;
}

/** Whether `a` is later than `b`, counting an unset (0) time as the earliest of all. */
function afterOrZero(a: number, b: number): boolean {
  if (a === 0 || b === 0) return a === 0;
  return a > b;
}

/** Whether `a` should go before `b` when comparing two times (ready since, created at). */
function newerFirst(
  times: { readonly a: number; readonly b: number; readonly nowMs: number },
  uids: { readonly a: string; readonly b: string },
): boolean {
  const { a, b, nowMs } = times;
  if (nowMs === 0 || a === 0 || b === 0) return afterOrZero(a, b);
  const diff = logRank(a, nowMs) - logRank(b, nowMs);
  if (diff === 0) return uids.a < uids.b;
  return diff < 0;
}

/** What {@linkcode sortPodsForDeletion} ranks by besides the pods themselves. */
export interface DeletionOrderOptions {
  /** The reference time of the logarithmic comparisons (0: compare times plainly). */
  readonly nowMs: number;
  /**
   * A pod's rank: how many related active pods share its node (higher goes first).
   * @default {() => 0}
   */
  readonly rank?: (pod: PodLike) => number;
}

interface Ranked<T> {
  readonly pod: T;
  readonly rank: number;
  readonly ready: boolean;
}

function deleteFirst<T extends PodLike>(x: Ranked<T>, y: Ranked<T>, nowMs: number): boolean {
  const a = x.pod;
  const b = y.pod;
  const nodeA = a.spec?.nodeName ?? "";
  const nodeB = b.spec?.nodeName ?? "";
  if (nodeA !== nodeB && (nodeA === "" || nodeB === "")) return nodeA === "";
  if (phaseOrdinal(a) !== phaseOrdinal(b)) return phaseOrdinal(a) < phaseOrdinal(b);
  if (x.ready !== y.ready) return !x.ready;
  const costA = podDeletionCost(a);
  const costB = podDeletionCost(b);
  if (costA !== costB) return costA < costB;
  if (x.rank !== y.rank) return x.rank > y.rank;
  const uids = { a: a.metadata?.uid ?? "", b: b.metadata?.uid ?? "" };
  if (x.ready && y.ready) {
    const readyA = podReadyTimeMs(a);
    const readyB = podReadyTimeMs(b);
    if (readyA !== readyB) return newerFirst({ a: readyA, b: readyB, nowMs }, uids);
  }
  const [regularA, sidecarA] = maxRestarts(a);
  const [regularB, sidecarB] = maxRestarts(b);
  if (regularA !== regularB) return regularA > regularB;
  if (sidecarA !== sidecarB) return sidecarA > sidecarB;
  const createdA = timeMs(a.metadata?.creationTimestamp);
  const createdB = timeMs(b.metadata?.creationTimestamp);
  if (createdA !== createdB) return newerFirst({ a: createdA, b: createdB, nowMs }, uids);
  return false;
}

/** A copy of `pods`, the ones to delete first at the front. */
export function sortPodsForDeletion<T extends PodLike>(
  pods: readonly T[],
  options: DeletionOrderOptions,
): T[] {
  const rank = options.rank ?? (() => 0);
  const ranked = pods.map((pod) => ({ pod, rank: rank(pod), ready: isPodReady(pod) }));
  ranked.sort((x, y) =>
    deleteFirst(x, y, options.nowMs) ? -1 : deleteFirst(y, x, options.nowMs) ? 1 : 0
  );
  return ranked.map((r) => r.pod);
}
