/**
 * Cluster events, the vocabulary of the scheduling queue's requeueing (upstream
 * `fwk.ClusterEvent`, `EnqueueExtensions.EventsToRegister`): a resource and a set of action bits.
 * A plugin that rejected a pod registers the events that may make the pod schedulable again; the
 * queue moves the pod back only on those. Re-exported by `scheduling_queue.ts`.
 *
 * @module
 */
import type { Node } from "../api/types/core_v1_node.ts";
import { jsonEqual } from "./_pod_updated.ts";

/** What happened to an object, as bits (upstream `fwk.ActionType`); events may combine them. */
export const ACTION_TYPE = Object.freeze({
  Add: 1 << 0,
  Delete: 1 << 1,
  UpdateNodeAllocatable: 1 << 2,
  UpdateNodeLabel: 1 << 3,
  /** A taint changed, or `spec.unschedulable` flipped (it acts as a taint). */
  UpdateNodeTaint: 1 << 4,
  UpdateNodeCondition: 1 << 5,
  UpdateNodeAnnotation: 1 << 6,
  UpdatePodLabel: 1 << 7,
  /** A pod's requests went down (in-place resize). */
  UpdatePodScaleDown: 1 << 8,
  UpdatePodToleration: 1 << 9,
  UpdatePodSchedulingGatesEliminated: 1 << 10,
  UpdatePodGeneratedResourceClaim: 1 << 11,
  /** An update that is none of the specific kinds above. */
  UpdateOther: 1 << 12,
  /** Any update. */
  Update: (1 << 13) - 1 - (1 << 0) - (1 << 1),
  /** Anything. */
  All: (1 << 13) - 1,
});

/**
 * The kind of object an event is about. `AssignedPod` and `UnschedulablePod` are the two halves
 * of `Pod` (bound or not) for incoming events; plugins register `Pod`, which matches both.
 * `*` with {@linkcode ACTION_TYPE}`.All` is the wildcard event, which moves every pod.
 */
export type EventResource =
  | "Pod"
  | "AssignedPod"
  | "UnschedulablePod"
  | "Node"
  | "PersistentVolume"
  | "PersistentVolumeClaim"
  | "StorageClass"
  | "CSINode"
  | "CSIDriver"
  | "CSIStorageCapacity"
  | "VolumeAttachment"
  | "ResourceClaim"
  | "ResourceSlice"
  | "DeviceClass"
  | "*";

/** A change in the cluster that may make pending pods schedulable. */
export interface ClusterEvent {
  readonly resource: EventResource;
  /** Bits of {@linkcode ACTION_TYPE}. */
  readonly actionType: number;
  /** A name for logs; derived from the resource and action when absent. */
  readonly label?: string;
}

/**
 * The events each plugin registers, by plugin name. A plugin that is not in the map may be
 * helped by anything (upstream's fallback for plugins without `EventsToRegister`); one mapped to
 * `[]` by nothing the queue sees (it requeues such pods on their own updates only).
 */
export type PluginEvents = Readonly<Record<string, readonly ClusterEvent[]>>;

const ACTION_NAMES: readonly (readonly [string, number])[] = Object.entries(ACTION_TYPE)
  .filter(([name]) => name !== "Update" && name !== "All");

/** The name of `event` in logs (`NodeAdd`, `AssignedPodDelete`, `UnschedulableTimeout`). */
export function clusterEventLabel(event: ClusterEvent): string {
  if (event.label !== undefined) return event.label;
  if (event.actionType === ACTION_TYPE.All) return `${event.resource}All`;
  if (event.actionType === ACTION_TYPE.Update) return `${event.resource}Update`;
  const names = ACTION_NAMES.filter(([, bit]) => (event.actionType & bit) !== 0).map(([n]) => n);
  return `${event.resource}${names.join("|")}`;
}

/** Whether `event` is the wildcard (any resource, any action), which every pod answers. */
export function isWildcardEvent(event: ClusterEvent): boolean {
  return event.resource === "*" && event.actionType === ACTION_TYPE.All;
}

function resourceMatches(registered: EventResource, incoming: EventResource): boolean {
  return registered === "*" || registered === incoming ||
    (registered === "Pod" && (incoming === "AssignedPod" || incoming === "UnschedulablePod"));
}

/**
 * Whether `incoming` is `registered` or a more specific case of it (upstream
 * `MatchClusterEvents`): a plugin registering `Node/Update` matches `Node/UpdateNodeLabel`, one
 * registering `Node/UpdateNodeLabel` does not match a bare `Node/Update`.
 */
export function matchesClusterEvent(registered: ClusterEvent, incoming: ClusterEvent): boolean {
  if (isWildcardEvent(registered)) return true;
  return resourceMatches(registered.resource, incoming.resource) &&
    (registered.actionType & incoming.actionType) !== 0 &&
    incoming.actionType <= registered.actionType;
}

/** Well-known events (upstream `framework/events.go`). */
export const CLUSTER_EVENTS = Object.freeze(
  {
    nodeAdd: { resource: "Node", actionType: ACTION_TYPE.Add, label: "NodeAdd" },
    nodeDelete: { resource: "Node", actionType: ACTION_TYPE.Delete, label: "NodeDelete" },
    assignedPodAdd: {
      resource: "AssignedPod",
      actionType: ACTION_TYPE.Add,
      label: "AssignedPodAdd",
    },
    assignedPodDelete: {
      resource: "AssignedPod",
      actionType: ACTION_TYPE.Delete,
      label: "AssignedPodDelete",
    },
    unscheduledPodAdd: {
      resource: "UnschedulablePod",
      actionType: ACTION_TYPE.Add,
      label: "UnschedulablePodAdd",
    },
    unscheduledPodUpdate: {
      resource: "UnschedulablePod",
      actionType: ACTION_TYPE.Update,
      label: "UnschedulablePodUpdate",
    },
    unscheduledPodDelete: {
      resource: "UnschedulablePod",
      actionType: ACTION_TYPE.Delete,
      label: "UnschedulablePodDelete",
    },
    /** A pod stayed unschedulable for the longest allowed time. */
    unschedulableTimeout: {
      resource: "*",
      actionType: ACTION_TYPE.All,
      label: "UnschedulableTimeout",
    },
    /** Pods explicitly activated (by a plugin or preemption). */
    forceActivate: { resource: "*", actionType: ACTION_TYPE.All, label: "ForceActivate" },
    /** Anything: moves every unschedulable pod. */
    wildcard: { resource: "*", actionType: ACTION_TYPE.All, label: "WildCard" },
  } satisfies Record<string, ClusterEvent>,
);

function conditionStatuses(node: Node): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of node.status?.conditions ?? []) out[c.type] = c.status;
  return out;
}

function nodeEvent(actionType: number): ClusterEvent {
  return Object.freeze({ resource: "Node", actionType });
}

/**
 * The events a Node update stands for, one per kind of change that matters to scheduling
 * (upstream `NodeSchedulingPropertiesChange`): `spec.unschedulable` or taints → UpdateNodeTaint,
 * allocatable → UpdateNodeAllocatable, labels → UpdateNodeLabel, condition statuses →
 * UpdateNodeCondition, annotations → UpdateNodeAnnotation. Empty when nothing of these changed
 * (e.g. a heartbeat), so the queue is left alone.
 */
export function nodeUpdateEvents(oldNode: Node, newNode: Node): ClusterEvent[] {
  const events: ClusterEvent[] = [];
  const taintsChanged = (oldNode.spec?.unschedulable ?? false) !==
      (newNode.spec?.unschedulable ?? false) ||
    !jsonEqual(oldNode.spec?.taints ?? [], newNode.spec?.taints ?? []);
  if (!jsonEqual(oldNode.status?.allocatable ?? {}, newNode.status?.allocatable ?? {})) {
    events.push(nodeEvent(ACTION_TYPE.UpdateNodeAllocatable));
  }
  if (!jsonEqual(oldNode.metadata?.labels ?? {}, newNode.metadata?.labels ?? {})) {
    events.push(nodeEvent(ACTION_TYPE.UpdateNodeLabel));
  }
  if (taintsChanged) events.push(nodeEvent(ACTION_TYPE.UpdateNodeTaint));
  if (!jsonEqual(conditionStatuses(oldNode), conditionStatuses(newNode))) {
    events.push(nodeEvent(ACTION_TYPE.UpdateNodeCondition));
  }
  if (!jsonEqual(oldNode.metadata?.annotations ?? {}, newNode.metadata?.annotations ?? {})) {
    events.push(nodeEvent(ACTION_TYPE.UpdateNodeAnnotation));
  }
  return events;
}

const A = ACTION_TYPE;
/** Node/Add plus the taint and label updates upstream registers beside it (a missed add). */
const NODE_ADD_OR_CHANGED = A.Add | A.UpdateNodeTaint | A.UpdateNodeLabel;

function ev(resource: EventResource, actionType: number): ClusterEvent {
  return Object.freeze({ resource, actionType });
}

/**
 * The events the in-tree plugins register, as upstream's `EventsToRegister` does when queueing
 * hints are off (the queue decides by event kind only). Score-only plugins and PostFilter never
 * reject, so they are absent; SchedulingGates registers nothing (its pods move when they are
 * updated).
 */
export const IN_TREE_PLUGIN_EVENTS: PluginEvents = Object.freeze({
  NodeName: [ev("Node", NODE_ADD_OR_CHANGED)],
  NodeUnschedulable: [ev("Node", NODE_ADD_OR_CHANGED)],
  TaintToleration: [ev("Node", NODE_ADD_OR_CHANGED)],
  NodeAffinity: [ev("Node", NODE_ADD_OR_CHANGED)],
  NodePorts: [ev("Pod", A.Delete), ev("Node", NODE_ADD_OR_CHANGED)],
  NodeResourcesFit: [
    ev("Pod", A.Delete | A.UpdatePodScaleDown),
    ev("Node", NODE_ADD_OR_CHANGED | A.UpdateNodeAllocatable),
  ],
  InterPodAffinity: [
    ev("Pod", A.Add | A.UpdatePodLabel | A.Delete),
    ev("Node", NODE_ADD_OR_CHANGED),
  ],
  PodTopologySpread: [
    ev("Pod", A.Add | A.UpdatePodLabel | A.Delete),
    ev("Node", NODE_ADD_OR_CHANGED | A.Delete),
  ],
  SchedulingGates: [],
});
