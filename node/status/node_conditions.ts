/**
 * The node conditions the kubelet owns — `MemoryPressure`, `DiskPressure`, `PIDPressure` and
 * `Ready` (last, as upstream keeps it) — set in place on a `NodeStatus` with upstream's reasons
 * and messages. Every call stamps `lastHeartbeatTime`; `lastTransitionTime` moves only when a
 * condition's status changes (a condition another writer left `Unknown` transitions too). Ready
 * is `True` (`KubeletReady`, "kubelet is posting ready status") unless the caller reports
 * problems or capacity lacks cpu, memory, pods or ephemeral-storage; then it is `False`
 * (`KubeletNotReady`) with the problems as the message (one as is, several as `[a, b]`). Each
 * transition names the event the kubelet records (`NodeReady`, `NodeHasSufficientMemory`…).
 *
 * @example A fresh node
 * ```ts
 * import assert from "node:assert/strict";
 * import type { NodeStatus } from "../../control/api/types/core_v1_node.ts";
 * import { setNodeConditions } from "./node_conditions.ts";
 *
 * const status: NodeStatus = { capacity: { cpu: "2", memory: "2Gi", pods: "110", "ephemeral-storage": "10Gi" } };
 * const events = setNodeConditions(status, {
 *   nowMs: 0,
 *   pressure: { memory: false, disk: false, pid: false },
 *   notReady: [],
 * });
 * assert.deepEqual(events, ["NodeHasSufficientMemory", "NodeHasNoDiskPressure", "NodeHasSufficientPID"]);
 * assert.equal(status.conditions?.at(-1)?.reason, "KubeletReady");
 * ```
 *
 * @module
 */
import type { NodeCondition, NodeStatus } from "../../control/api/types/core_v1_node.ts";
import type { NodePressure } from "./eviction_thresholds.ts";
import { rfc3339 } from "./_time.ts";

/** What {@linkcode setNodeConditions} needs. */
export interface NodeConditionInput {
  readonly nowMs: number;
  readonly pressure: NodePressure;
  /** Why the node cannot run pods ("container runtime is down"…); empty when it can. */
  readonly notReady: readonly string[];
}

interface PressureText {
  readonly type: string;
  readonly key: keyof NodePressure;
  readonly onReason: string;
  readonly onMessage: string;
  readonly onEvent: string;
  readonly offReason: string;
  readonly offMessage: string;
  readonly offEvent: string;
}

/** Upstream's texts of the pressure conditions. */
const PRESSURE: readonly PressureText[] = [
  {
    type: "MemoryPressure",
    key: "memory",
    onReason: "KubeletHasInsufficientMemory",
    onMessage: "kubelet has insufficient memory available",
    onEvent: "NodeHasInsufficientMemory",
    offReason: "KubeletHasSufficientMemory",
    offMessage: "kubelet has sufficient memory available",
    offEvent: "NodeHasSufficientMemory",
  },
  {
    type: "DiskPressure",
    key: "disk",
    onReason: "KubeletHasDiskPressure",
    onMessage: "kubelet has disk pressure",
    onEvent: "NodeHasDiskPressure",
    offReason: "KubeletHasNoDiskPressure",
    offMessage: "kubelet has no disk pressure",
    offEvent: "NodeHasNoDiskPressure",
  },
  {
    type: "PIDPressure",
    key: "pid",
    onReason: "KubeletHasInsufficientPID",
    onMessage: "kubelet has insufficient PID available",
    onEvent: "NodeHasInsufficientPID",
    offReason: "KubeletHasSufficientPID",
    offMessage: "kubelet has sufficient PID available",
    offEvent: "NodeHasSufficientPID",
  },
];

/** The capacities a node must report to be Ready. */
const REQUIRED_CAPACITY = ["cpu", "memory", "pods", "ephemeral-storage"] as const;

function aggregate(errors: readonly string[]): string {
  return errors.length === 1 ? errors[0]! : `[${errors.join(", ")}]`;
}

function setPressure(
  conditions: NodeCondition[],
  text: PressureText,
  under: boolean,
  now: string,
): string | undefined {
  let condition = conditions.find((c) => c.type === text.type);
  if (!condition) {
    condition = { type: text.type, status: "Unknown" };
    conditions.push(condition);
  }
  condition.lastHeartbeatTime = now;
  const status = under ? "True" : "False";
  if (condition.status === status) return undefined;
  condition.status = status;
  condition.reason = under ? text.onReason : text.offReason;
  condition.message = under ? text.onMessage : text.offMessage;
  condition.lastTransitionTime = now;
  return under ? text.onEvent : text.offEvent;
}

function setReady(
  status: NodeStatus,
  conditions: NodeCondition[],
  input: NodeConditionInput,
  now: string,
): string | undefined {
  const errors = [...input.notReady];
  const missing = REQUIRED_CAPACITY.filter((r) => status.capacity?.[r] === undefined);
  if (missing.length > 0) errors.push(`missing node capacity for resources: ${missing.join(", ")}`);
  const next: NodeCondition = errors.length === 0
    ? {
      type: "Ready",
      status: "True",
      reason: "KubeletReady",
      message: "kubelet is posting ready status",
      lastHeartbeatTime: now,
    }
    : {
      type: "Ready",
      status: "False",
      reason: "KubeletNotReady",
      message: aggregate(errors),
      lastHeartbeatTime: now,
    };
  const i = conditions.findIndex((c) => c.type === "Ready");
  const old = i < 0 ? undefined : conditions[i]!;
  const transitioned = old !== undefined && old.status !== next.status;
  next.lastTransitionTime = old !== undefined && !transitioned && old.lastTransitionTime
    ? old.lastTransitionTime
    : now;
  if (i < 0) conditions.push(next);
  else conditions[i] = next;
  // As upstream: no event when the condition is first added (the pressure conditions do have one).
  if (!transitioned) return undefined;
  return next.status === "True" ? "NodeReady" : "NodeNotReady";
}

/**
 * Sets the four conditions on `status` (in place) for `input.nowMs`; answers the events to
 * record, in order.
 */
export function setNodeConditions(status: NodeStatus, input: NodeConditionInput): string[] {
  const now = rfc3339(input.nowMs);
  const conditions = status.conditions ??= [];
  const events: string[] = [];
  for (const text of PRESSURE) {
    const event = setPressure(conditions, text, input.pressure[text.key], now);
    if (event) events.push(event);
  }
  const ready = setReady(status, conditions, input, now);
  if (ready) events.push(ready);
  return events;
}

/** The message of a node status event (upstream `recordNodeStatusEvent`). */
export function nodeStatusEventMessage(nodeName: string, event: string): string {
  return `Node ${nodeName} status is now: ${event}`;
}
