/**
 * Which nodes a DaemonSet's pod belongs on (upstream `NodeShouldRunDaemonPod` and the
 * `pkg/controller/daemon/util` helpers):
 *
 * - the template's `nodeName`, if set, must be the node's;
 * - the node must satisfy the template's `nodeSelector` and required node affinity (terms
 *   ORed, requirements ANDed; `In`, `NotIn`, `Exists`, `DoesNotExist`, `Gt`, `Lt` on labels,
 *   `In`/`NotIn` on the `metadata.name` field; an empty or invalid term matches nothing);
 * - every `NoSchedule` and `NoExecute` taint must be tolerated, counting the tolerations the
 *   controller gives every daemon pod ({@linkcode withDaemonPodTolerations}). A pod that is
 *   already there may stay while only `NoSchedule` taints are untolerated
 *   (`shouldContinueRunning`).
 *
 * Daemon pods are created with a required node affinity on `metadata.name` (so the scheduler
 * binds them, upstream's way since 1.12): {@linkcode withNodeNameAffinity} writes it,
 * {@linkcode targetNodeName} reads the node back from a pod that is not bound yet.
 *
 * @module
 */
import type {
  NodeSelectorRequirement,
  NodeSelectorTerm,
  Taint,
  Toleration,
} from "../api/types/core_v1_common.ts";
import type { Node } from "../api/types/core_v1_node.ts";
import type { Affinity, Pod, PodSpec } from "../api/types/core_v1_pod.ts";
import { findUntoleratedTaint } from "../client/tolerations.ts";
import {
  TAINT_NODE_DISK_PRESSURE,
  TAINT_NODE_MEMORY_PRESSURE,
  TAINT_NODE_NETWORK_UNAVAILABLE,
  TAINT_NODE_NOT_READY,
  TAINT_NODE_PID_PRESSURE,
  TAINT_NODE_UNREACHABLE,
  TAINT_NODE_UNSCHEDULABLE,
} from "./_node_taints.ts";

/** The node field `matchFields` selects on. */
export const NODE_NAME_FIELD = "metadata.name";

function exists(key: string, effect: "NoExecute" | "NoSchedule"): Toleration {
  return { key, operator: "Exists", effect };
}

/** The tolerations every daemon pod gets, in upstream's order (without the hostNetwork one). */
export const DAEMON_POD_TOLERATIONS: readonly Toleration[] = Object.freeze([
  exists(TAINT_NODE_NOT_READY, "NoExecute"),
  exists(TAINT_NODE_UNREACHABLE, "NoExecute"),
  exists(TAINT_NODE_DISK_PRESSURE, "NoSchedule"),
  exists(TAINT_NODE_MEMORY_PRESSURE, "NoSchedule"),
  exists(TAINT_NODE_PID_PRESSURE, "NoSchedule"),
  exists(TAINT_NODE_UNSCHEDULABLE, "NoSchedule"),
].map((t) => Object.freeze(t)));

/** The extra toleration of a daemon pod on the host network. */
export const HOST_NETWORK_TOLERATION: Toleration = Object.freeze(
  exists(TAINT_NODE_NETWORK_UNAVAILABLE, "NoSchedule"),
);

function sameToleration(a: Toleration, b: Toleration): boolean {
  return (a.key ?? "") === (b.key ?? "") && (a.operator ?? "") === (b.operator ?? "") &&
    (a.value ?? "") === (b.value ?? "") && (a.effect ?? "") === (b.effect ?? "");
}

function sameIncludingSeconds(a: Toleration, b: Toleration): boolean {
  return sameToleration(a, b) && a.tolerationSeconds === b.tolerationSeconds;
}

/**
 * `tolerations` with `toleration` added, or in place of one that matches it on key, operator,
 * value and effect (upstream `AddOrUpdateTolerationInPodSpec`).
 */
function addOrUpdateToleration(
  tolerations: readonly Toleration[],
  toleration: Toleration,
): Toleration[] {
  if (tolerations.some((t) => sameIncludingSeconds(t, toleration))) return [...tolerations];
  let replaced = false;
  const out = tolerations.map((t) => {
    if (!sameToleration(t, toleration)) return t;
    replaced = true;
    return { ...toleration };
  });
  if (!replaced) out.push({ ...toleration });
  return out;
}

/**
 * The tolerations of a daemon pod with `spec` (upstream `AddOrUpdateDaemonPodTolerations`):
 * the spec's own, with the not-ready and unreachable NoExecute taints tolerated forever and the
 * disk-, memory-, pid-pressure and unschedulable NoSchedule taints tolerated, plus
 * network-unavailable for hostNetwork pods.
 */
export function withDaemonPodTolerations(
  spec: Pick<PodSpec, "tolerations" | "hostNetwork">,
): Toleration[] {
  let tolerations: Toleration[] = [...(spec.tolerations ?? [])];
  for (const t of DAEMON_POD_TOLERATIONS) tolerations = addOrUpdateToleration(tolerations, t);
  if (spec.hostNetwork) tolerations = addOrUpdateToleration(tolerations, HOST_NETWORK_TOLERATION);
  return tolerations;
}

const INTEGER = /^[+-]?[0-9]+$/;

function parseInteger(text: string): bigint | undefined {
  return INTEGER.test(text) ? BigInt(text) : undefined;
}

/** Whether one label requirement holds; `undefined` when it is invalid. */
function labelRequirementHolds(
  r: NodeSelectorRequirement,
  labels: Readonly<Record<string, string>>,
): boolean | undefined {
  const values = r.values ?? [];
  const has = Object.hasOwn(labels, r.key);
  const value = has ? labels[r.key]! : undefined;
  switch (r.operator) {
    case "In":
      if (values.length === 0) return undefined;
      return value !== undefined && values.includes(value);
    case "NotIn":
      if (values.length === 0) return undefined;
      return value === undefined || !values.includes(value);
    case "Exists":
      return values.length > 0 ? undefined : has;
    case "DoesNotExist":
      return values.length > 0 ? undefined : !has;
    case "Gt":
    case "Lt": {
      const bound = values.length === 1 ? parseInteger(values[0]!) : undefined;
      if (bound === undefined) return undefined;
      const n = value === undefined ? undefined : parseInteger(value);
      if (n === undefined) return false;
      return r.operator === "Gt" ? n > bound : n < bound;
    }
    default:
      return undefined;
  }
}

/** Whether one field requirement holds; `undefined` when it is invalid. */
function fieldRequirementHolds(r: NodeSelectorRequirement, nodeName: string): boolean | undefined {
  const values = r.values ?? [];
  if ((r.operator !== "In" && r.operator !== "NotIn") || values.length !== 1) return undefined;
  // Only metadata.name is a node field; any other key reads as "".
  const actual = r.key === NODE_NAME_FIELD ? nodeName : "";
  return (actual === values[0]) === (r.operator === "In");
}

function termMatches(term: NodeSelectorTerm, node: Node): boolean {
  const expressions = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (expressions.length === 0 && fields.length === 0) return false;
  const labels = node.metadata?.labels ?? {};
  const name = node.metadata?.name ?? "";
  // An invalid requirement (undefined) fails its term, as a false one does.
  if (!expressions.every((r) => labelRequirementHolds(r, labels) === true)) return false;
  for (const r of fields) {
    const holds = fieldRequirementHolds(r, name);
    if (holds === undefined) return false;
    // Field requirements are skipped for a node without a name, as upstream.
    if (name !== "" && !holds) return false;
  }
  return true;
}

/**
 * Whether `node` satisfies the pod's `nodeSelector` and required node affinity (upstream
 * `GetRequiredNodeAffinity(pod).Match(node)`, parse errors meaning no match).
 */
export function matchesRequiredNodeAffinity(
  spec: Pick<PodSpec, "nodeSelector" | "affinity">,
  node: Node,
): boolean {
  const labels = node.metadata?.labels ?? {};
  for (const [key, value] of Object.entries(spec.nodeSelector ?? {})) {
    if (!Object.hasOwn(labels, key) || labels[key] !== value) return false;
  }
  const required = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (required === undefined) return true;
  return (required.nodeSelectorTerms ?? []).some((term) => termMatches(term, node));
}

function isExecuteTaint(t: Taint): boolean {
  return t.effect === "NoExecute";
}

/** What {@linkcode nodeShouldRunDaemonPod} decides for one node. */
export interface DaemonPodPlacement {
  /** A daemon pod should be created there when there is none. */
  readonly shouldRun: boolean;
  /** A daemon pod already there may stay. */
  readonly shouldContinueRunning: boolean;
}

const NOWHERE: DaemonPodPlacement = Object.freeze({
  shouldRun: false,
  shouldContinueRunning: false,
});
const EVERYWHERE: DaemonPodPlacement = Object.freeze({
  shouldRun: true,
  shouldContinueRunning: true,
});

/**
 * Whether a pod of the template `spec` should run on `node`, and whether one that runs there
 * may stay (upstream `NodeShouldRunDaemonPod`).
 */
export function nodeShouldRunDaemonPod(
  node: Node,
  spec: PodSpec | undefined,
): DaemonPodPlacement {
  const name = node.metadata?.name ?? "";
  const templateNode = spec?.nodeName ?? "";
  if (templateNode !== "" && templateNode !== name) return NOWHERE;
  if (!matchesRequiredNodeAffinity(spec ?? {}, node)) return NOWHERE;
  const tolerations = withDaemonPodTolerations(spec ?? {});
  const taints = node.spec?.taints;
  if (findUntoleratedTaint(taints, tolerations) === undefined) return EVERYWHERE;
  const evicting = findUntoleratedTaint(taints?.filter(isExecuteTaint), tolerations);
  return { shouldRun: false, shouldContinueRunning: evicting === undefined };
}

/**
 * `affinity` with its required node affinity replaced by one term selecting `nodeName` by
 * `metadata.name` (upstream `ReplaceDaemonSetPodNodeNameNodeAffinity`); a copy.
 */
export function withNodeNameAffinity(affinity: Affinity | undefined, nodeName: string): Affinity {
  const term: NodeSelectorTerm = {
    matchFields: [{ key: NODE_NAME_FIELD, operator: "In", values: [nodeName] }],
  };
  const copy: Affinity = structuredClone(affinity ?? {});
  const nodeAffinity = copy.nodeAffinity ??= {};
  const required = nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution;
  if (required === undefined) {
    nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution = { nodeSelectorTerms: [term] };
  } else {
    required.nodeSelectorTerms = [term];
  }
  return copy;
}

/**
 * The node a daemon pod is for (upstream `GetTargetNodeName`): its `nodeName` once bound,
 * before that the single `metadata.name In` value of its required node affinity.
 *
 * @throws {TypeError} when the pod names no node, or names more than one.
 */
export function targetNodeName(pod: Pod): string {
  const nodeName = pod.spec?.nodeName ?? "";
  if (nodeName !== "") return nodeName;
  const who = `${pod.metadata?.namespace ?? ""}/${pod.metadata?.name ?? ""}`;
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (required === undefined) {
    throw new TypeError(
      `no spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution for pod ${who}`,
    );
  }
  const terms = required.nodeSelectorTerms ?? [];
  if (terms.length === 0) {
    throw new TypeError(
      `no nodeSelectorTerms in requiredDuringSchedulingIgnoredDuringExecution of pod ${who}`,
    );
  }
  for (const term of terms) {
    for (const r of term.matchFields ?? []) {
      if (r.key !== NODE_NAME_FIELD || r.operator !== "In") continue;
      const values = r.values ?? [];
      if (values.length !== 1) {
        throw new TypeError(
          `the matchFields value of '${NODE_NAME_FIELD}' is not unique for pod ${who}`,
        );
      }
      return values[0]!;
    }
  }
  throw new TypeError(`no node name found for pod ${who}`);
}
