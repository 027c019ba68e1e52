/**
 * Which nodes a DaemonSet's pod belongs on (upstream `NodeShouldRunDaemonPod` and the
 * `pkg/controller/daemon/util` helpers):
 *
 * - the template's `nodeName`, if set, must be the node's;
 * - the node must satisfy the template's `nodeSelector` and required node affinity, matched
 *   as the scheduler matches them (`requiredNodeAffinity` of `control/client/node_selector.ts`);
 * - every `NoSchedule` and `NoExecute` taint must be tolerated (`findUntoleratedTaint` of
 *   `control/client/tolerations.ts`), counting the tolerations the controller gives every
 *   daemon pod ({@linkcode withDaemonPodTolerations}). A pod that is already there may stay
 *   while only `NoSchedule` taints are untolerated (`shouldContinueRunning`).
 *
 * Daemon pods are created with a required node affinity on `metadata.name` (so the scheduler
 * binds them, upstream's way since 1.12): {@linkcode withNodeNameAffinity} writes it,
 * {@linkcode targetNodeName} reads the node back from a pod that is not bound yet.
 *
 * @module
 */
import type { NodeSelectorTerm, Taint, Toleration } from "../api/types/core_v1_common.ts";
import type { Node } from "../api/types/core_v1_node.ts";
import type { Affinity, Pod, PodSpec } from "../api/types/core_v1_pod.ts";
import { OBJECT_NAME_FIELD, requiredNodeAffinity } from "../client/node_selector.ts";
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
  if (!requiredNodeAffinity({ spec }).match(node)) return NOWHERE;
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
    matchFields: [{ key: OBJECT_NAME_FIELD, operator: "In", values: [nodeName] }],
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
      if (r.key !== OBJECT_NAME_FIELD || r.operator !== "In") continue;
      const values = r.values ?? [];
      if (values.length !== 1) {
        throw new TypeError(
          `the matchFields value of '${OBJECT_NAME_FIELD}' is not unique for pod ${who}`,
        );
      }
      return values[0]!;
    }
  }
  throw new TypeError(`no node name found for pod ${who}`);
}
