/**
 * SchedulingGates as a profile plugin: a pod with `spec.schedulingGates` is kept out of the
 * active queue until every gate is removed. The check itself is the scheduling queue's PreEnqueue
 * plugin ({@linkcode SCHEDULING_GATES_PLUGIN}); registering it by name lets a profile enable or
 * disable it as upstream's `SchedulingGates`, and the scheduler hands each profile's PreEnqueue
 * plugins to the queue.
 *
 * @module
 */
import type { FrameworkHandle, Plugin } from "../framework.ts";
import { type PreEnqueuePlugin, SCHEDULING_GATES_PLUGIN } from "../scheduling_queue.ts";
import { NO_ARGS, parseArgs } from "./_args.ts";

/** The plugin's name. */
export const NAME = "SchedulingGates";

/** Whether `plugin` implements PreEnqueue (runs before a pod enters the active queue). */
export function isPreEnqueuePlugin(plugin: Plugin): plugin is PreEnqueuePlugin {
  return typeof (plugin as Partial<PreEnqueuePlugin>).preEnqueue === "function";
}

/** The SchedulingGates plugin (takes no args). */
export function newSchedulingGates(args: unknown, _handle: FrameworkHandle): PreEnqueuePlugin {
  parseArgs(NAME, { schema: NO_ARGS, args });
  return SCHEDULING_GATES_PLUGIN;
}
