/**
 * DaemonSet pods and counts (upstream `pkg/controller/daemon/util`): the template a daemon pod
 * is created from (daemon tolerations, `pod-template-generation` and `controller-revision-hash`
 * labels), whether a pod is of the current revision, the order pods on one node are compared
 * in, and `maxSurge` / `maxUnavailable` as node counts.
 *
 * @module
 */
import type { DaemonSet } from "../api/types/apps_v1.ts";
import type { Pod, PodTemplateSpec } from "../api/types/core_v1_pod.ts";
import { withDaemonPodTolerations } from "./_daemon_set_node_fit.ts";

/** The label naming the ControllerRevision a daemon pod was made from. */
export const REVISION_HASH_LABEL = "controller-revision-hash";
/** The label holding the template generation a daemon pod was made from. */
export const TEMPLATE_GENERATION_LABEL = "pod-template-generation";
/** The DaemonSet annotation holding its template generation (set by the API server). */
export const TEMPLATE_GENERATION_ANNOTATION = "deprecated.daemonset.template.generation";

const INTEGER = /^[+-]?[0-9]+$/;

/**
 * The DaemonSet's template generation as Go prints the parsed int64 (upstream
 * `GetTemplateGeneration`); `undefined` when the annotation is missing or not an integer.
 */
export function templateGeneration(ds: DaemonSet): string | undefined {
  const raw = ds.metadata?.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
  if (raw === undefined || !INTEGER.test(raw)) return undefined;
  return String(BigInt(raw));
}

/** What a daemon pod's template is labelled with. */
export interface DaemonPodTemplateOptions {
  /** The DaemonSet's template generation, when it has one. */
  readonly generation?: string | undefined;
  /** The current ControllerRevision's hash (`""`: none). */
  readonly hash: string;
}

/**
 * The template daemon pods are created from (upstream `CreatePodTemplate`): a copy of
 * `template` with the daemon tolerations and the generation and hash labels.
 */
export function daemonPodTemplate(
  template: PodTemplateSpec | undefined,
  options: DaemonPodTemplateOptions,
): PodTemplateSpec {
  const copy: PodTemplateSpec = structuredClone(template ?? {});
  const spec = copy.spec ??= { containers: [] };
  spec.tolerations = withDaemonPodTolerations(spec);
  const metadata = copy.metadata ??= {};
  const labels = metadata.labels = { ...metadata.labels };
  if (options.generation !== undefined) labels[TEMPLATE_GENERATION_LABEL] = options.generation;
  if (options.hash !== "") labels[REVISION_HASH_LABEL] = options.hash;
  return copy;
}

/**
 * Whether `pod` is of the DaemonSet's current revision: its hash label is `hash`, or its
 * generation label is the template generation (upstream `IsPodUpdated`).
 */
export function isPodUpdated(pod: Pod, options: DaemonPodTemplateOptions): boolean {
  const labels = pod.metadata?.labels ?? {};
  const generationMatches = options.generation !== undefined &&
    labels[TEMPLATE_GENERATION_LABEL] === options.generation;
  const hashMatches = options.hash !== "" && labels[REVISION_HASH_LABEL] === options.hash;
  return hashMatches || generationMatches;
}

function creationMs(pod: Pod): number {
  const t = pod.metadata?.creationTimestamp;
  const ms = t ? Date.parse(t) : NaN;
  return Number.isNaN(ms) ? 0 : ms;
}

/**
 * Orders daemon pods on one node: bound ones first, then the oldest, then by name (upstream
 * `podByCreationTimestampAndPhase`).
 */
export function compareDaemonPods(a: Pod, b: Pod): number {
  const aBound = (a.spec?.nodeName ?? "") !== "";
  const bBound = (b.spec?.nodeName ?? "") !== "";
  if (aBound !== bBound) return aBound ? -1 : 1;
  const ta = creationMs(a);
  const tb = creationMs(b);
  if (ta !== tb) return ta - tb;
  const na = a.metadata?.name ?? "";
  const nb = b.metadata?.name ?? "";
  return na < nb ? -1 : na > nb ? 1 : 0;
}

const PERCENT = /^([+-]?[0-9]+)%$/;

/**
 * An int-or-percent of `total`, a percentage rounded up (upstream
 * `GetScaledValueFromIntOrPercent(…, true)`).
 *
 * @throws {TypeError} for a string that is not a percentage.
 */
export function scaledValueRoundUp(value: number | string, total: number): number {
  if (typeof value === "number") return value;
  const m = PERCENT.exec(value);
  if (!m) {
    throw new TypeError(`invalid value for IntOrString: invalid type: string is not a percentage`);
  }
  return Math.ceil((Number(m[1]) * total) / 100);
}

function rollingUpdate(ds: DaemonSet) {
  const strategy = ds.spec?.updateStrategy;
  return (strategy?.type ?? "RollingUpdate") === "RollingUpdate"
    ? strategy?.rollingUpdate
    : undefined;
}

/**
 * How many nodes may have no available daemon pod during a rolling update of `ds` on
 * `desired` nodes (upstream `UnavailableCount`): 0 unless the strategy is RollingUpdate.
 */
export function unavailableCount(ds: DaemonSet, desired: number): number {
  const ru = rollingUpdate(ds);
  if (ru?.maxUnavailable === undefined) return 0;
  return scaledValueRoundUp(ru.maxUnavailable, desired);
}

/**
 * How many nodes may run an extra, updated pod during a rolling update of `ds` on `desired`
 * nodes (upstream `SurgeCount`): 0 unless the strategy is RollingUpdate.
 */
export function surgeCount(ds: DaemonSet, desired: number): number {
  const ru = rollingUpdate(ds);
  if (ru?.maxSurge === undefined) return 0;
  return scaledValueRoundUp(ru.maxSurge, desired);
}

/** Whether `ds` surges: its maxSurge is not 0 (upstream `AllowsSurge`). */
export function allowsSurge(ds: DaemonSet): boolean {
  try {
    return surgeCount(ds, 1) !== 0;
  } catch {
    return false;
  }
}
