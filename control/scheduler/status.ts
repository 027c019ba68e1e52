/**
 * The result of running a scheduler plugin: kube-scheduler's `framework.Status`. A plugin
 * returns `null` for success (upstream's "a nil Status is also considered as Success") or a
 * {@linkcode PluginStatus} with a code and reasons; "does not fit" is a status, never a thrown
 * error.
 *
 * It is called `PluginStatus` because `Status` is already the name of the API's `meta/v1`
 * Status kind.
 *
 * @example Reject a node and read the status back
 * ```ts
 * import assert from "node:assert/strict";
 * import { isRejected, pluginStatusMessage, unschedulable, withPlugin } from "./status.ts";
 *
 * const s = withPlugin(unschedulable("Insufficient cpu", "Insufficient memory"), "NodeResourcesFit");
 * assert.ok(isRejected(s));
 * assert.equal(pluginStatusMessage(s), "Insufficient cpu, Insufficient memory");
 * assert.equal(s.plugin, "NodeResourcesFit");
 * ```
 *
 * @module
 */

/** Status codes, in upstream's order. */
export const STATUS_CODES = [
  "Success",
  "Error",
  "Unschedulable",
  "UnschedulableAndUnresolvable",
  "Wait",
  "Skip",
  "Pending",
] as const;

/**
 * One of {@linkcode STATUS_CODES}:
 * - `Success`: the plugin ran and the pod may go on (the same as `null`);
 * - `Error`: an internal error; the scheduling cycle is aborted and the pod retried;
 * - `Unschedulable`: the pod does not fit now, but preemption might help;
 * - `UnschedulableAndUnresolvable`: the pod does not fit and preemption would not help;
 * - `Wait`: a Permit plugin holds the pod before binding;
 * - `Skip`: a PreFilter/PreScore plugin has nothing to do, so its Filter/Score is skipped, or a
 *   Bind plugin leaves the pod to the next one;
 * - `Pending`: the pod waits for something outside the scheduler (not a node problem).
 */
export type StatusCode = typeof STATUS_CODES[number];

/** A plugin's non-null result (upstream `framework.Status`). */
export interface PluginStatus {
  /** What happened. */
  readonly code: StatusCode;
  /** Why, in the words users read in events (`Insufficient cpu`); may be empty. */
  readonly reasons: readonly string[];
  /** The plugin that returned the status, set by the framework. */
  readonly plugin?: string;
}

/** A status with `code` and `reasons`. */
export function newStatus(code: StatusCode, ...reasons: string[]): PluginStatus {
  return { code, reasons };
}

/** An `Unschedulable` status: the pod does not fit, preemption might help. */
export function unschedulable(...reasons: string[]): PluginStatus {
  return { code: "Unschedulable", reasons };
}

/** An `UnschedulableAndUnresolvable` status: the pod does not fit, preemption would not help. */
export function unresolvable(...reasons: string[]): PluginStatus {
  return { code: "UnschedulableAndUnresolvable", reasons };
}

/** A `Skip` status. */
export function skip(): PluginStatus {
  return SKIP;
}

const SKIP: PluginStatus = Object.freeze({ code: "Skip", reasons: Object.freeze([]) });

/** An `Error` status carrying `error`'s message (upstream `AsStatus`). */
export function errorStatus(error: unknown): PluginStatus {
  const message = error instanceof Error ? error.message : String(error);
  return { code: "Error", reasons: [message] };
}

/** The code of `status`, `Success` for `null`. */
export function statusCode(status: PluginStatus | null): StatusCode {
  return status === null ? "Success" : status.code;
}

/** Whether `status` is a success (`null` or `Success`). */
export function isSuccess(status: PluginStatus | null): boolean {
  return status === null || status.code === "Success";
}

/**
 * Whether `status` rejects the pod: `Unschedulable`, `UnschedulableAndUnresolvable` or
 * `Pending` (upstream `IsRejected`).
 */
export function isRejected(status: PluginStatus | null): boolean {
  if (status === null) return false;
  return status.code === "Unschedulable" || status.code === "UnschedulableAndUnresolvable" ||
    status.code === "Pending";
}

/** Whether `status` is `Skip`. */
export function isSkip(status: PluginStatus | null): boolean {
  return status !== null && status.code === "Skip";
}

/** Whether `status` is `Wait`. */
export function isWait(status: PluginStatus | null): boolean {
  return status !== null && status.code === "Wait";
}

/** The reasons joined with `", "` (upstream `Status.Message()`); `""` for `null`. */
export function pluginStatusMessage(status: PluginStatus | null): string {
  return status === null ? "" : status.reasons.join(", ");
}

/** `status` attributed to `plugin` (a new object: statuses may be shared constants). */
export function withPlugin(status: PluginStatus, plugin: string): PluginStatus {
  return status.plugin === plugin ? status : { code: status.code, reasons: status.reasons, plugin };
}

/** An `Error` whose message is the status message, for statuses that abort a cycle. */
export function statusAsError(status: PluginStatus): Error {
  return new Error(pluginStatusMessage(status) || `${status.code} status`);
}
