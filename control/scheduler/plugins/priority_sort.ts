/**
 * PrioritySort: the queue order, higher `spec.priority` first, then the pod queued earlier.
 *
 * @module
 */
import type { FrameworkHandle, QueuedPodInfo, QueueSortPlugin } from "../framework.ts";
import { NO_ARGS, parseArgs } from "./_args.ts";

/** The plugin's name. */
export const NAME = "PrioritySort";

/** Whether `a` goes before `b` in the scheduling queue. */
export function less(a: QueuedPodInfo, b: QueuedPodInfo): boolean {
  const pa = a.pod.spec?.priority ?? 0;
  const pb = b.pod.spec?.priority ?? 0;
  return pa > pb || (pa === pb && a.timestampMs < b.timestampMs);
}

/** The PrioritySort plugin (takes no args). */
export function newPrioritySort(args: unknown, _handle: FrameworkHandle): QueueSortPlugin {
  parseArgs(NAME, { schema: NO_ARGS, args });
  return { name: NAME, less };
}
