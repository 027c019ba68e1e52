/**
 * The in-tree plugins by name (upstream `NewInTreeRegistry`) and the default profile as data
 * (upstream `getDefaultPlugins`): the order plugins run in at each extension point, and the
 * default score weights.
 *
 * @example The default profile's filters
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultProfile, newInTreeRegistry } from "./registry.ts";
 * import { newFramework } from "./runtime.ts";
 *
 * const framework = newFramework(defaultProfile(), { registry: newInTreeRegistry() });
 * assert.deepEqual(framework.listPlugins().filter, [
 *   "NodeUnschedulable", "NodeName", "TaintToleration", "NodeAffinity", "NodePorts", "NodeResourcesFit",
 *   "PodTopologySpread", "InterPodAffinity",
 * ]);
 * ```
 *
 * @module
 */
import type { PluginFactory } from "./framework.ts";
import {
  DEFAULT_PROFILE_NAME,
  mergePluginSet,
  type PluginRef,
  type PluginSet,
  type Profile,
} from "./profile.ts";
import type { Registry } from "./runtime.ts";
import * as balancedAllocation from "./plugins/balanced_allocation.ts";
import * as defaultBinder from "./plugins/default_binder.ts";
import * as defaultPreemption from "./plugins/default_preemption.ts";
import * as imageLocality from "./plugins/image_locality.ts";
import * as interPodAffinity from "./plugins/inter_pod_affinity.ts";
import * as nodeAffinity from "./plugins/node_affinity.ts";
import * as nodeName from "./plugins/node_name.ts";
import * as nodePorts from "./plugins/node_ports.ts";
import * as nodeResourcesFit from "./plugins/node_resources_fit.ts";
import * as nodeUnschedulable from "./plugins/node_unschedulable.ts";
import * as podTopologySpread from "./plugins/pod_topology_spread.ts";
import * as prioritySort from "./plugins/priority_sort.ts";
import * as schedulingGates from "./plugins/scheduling_gates.ts";
import * as taintToleration from "./plugins/taint_toleration.ts";

/** Upstream's plugin names, including those skiff has not built yet. */
export const PLUGIN_NAMES = Object.freeze(
  {
    SchedulingGates: schedulingGates.NAME,
    PrioritySort: prioritySort.NAME,
    NodeUnschedulable: nodeUnschedulable.NAME,
    NodeName: nodeName.NAME,
    TaintToleration: taintToleration.NAME,
    NodeAffinity: nodeAffinity.NAME,
    NodePorts: nodePorts.NAME,
    NodeResourcesFit: nodeResourcesFit.NAME,
    PodTopologySpread: podTopologySpread.NAME,
    InterPodAffinity: interPodAffinity.NAME,
    DefaultPreemption: defaultPreemption.NAME,
    NodeResourcesBalancedAllocation: balancedAllocation.NAME,
    ImageLocality: imageLocality.NAME,
    DefaultBinder: defaultBinder.NAME,
  } as const,
);

/** The default score weights (upstream `getDefaultPlugins`). */
export const DEFAULT_SCORE_WEIGHTS: Readonly<Record<string, number>> = Object.freeze({
  [PLUGIN_NAMES.TaintToleration]: 3,
  [PLUGIN_NAMES.NodeAffinity]: 2,
  [PLUGIN_NAMES.NodeResourcesFit]: 1,
  [PLUGIN_NAMES.PodTopologySpread]: 2,
  [PLUGIN_NAMES.InterPodAffinity]: 2,
  [PLUGIN_NAMES.NodeResourcesBalancedAllocation]: 1,
  [PLUGIN_NAMES.ImageLocality]: 1,
});

/**
 * Upstream's default plugin order (its `multiPoint` list, without the volume plugins skiff does
 * not have), with the default weights. Plugins not in the registry yet are left out of
 * {@linkcode defaultPlugins}.
 */
export const UPSTREAM_DEFAULT_PLUGINS: readonly PluginRef[] = Object.freeze([
  PLUGIN_NAMES.SchedulingGates,
  PLUGIN_NAMES.PrioritySort,
  PLUGIN_NAMES.NodeUnschedulable,
  PLUGIN_NAMES.NodeName,
  PLUGIN_NAMES.TaintToleration,
  PLUGIN_NAMES.NodeAffinity,
  PLUGIN_NAMES.NodePorts,
  PLUGIN_NAMES.NodeResourcesFit,
  PLUGIN_NAMES.PodTopologySpread,
  PLUGIN_NAMES.InterPodAffinity,
  PLUGIN_NAMES.DefaultPreemption,
  PLUGIN_NAMES.NodeResourcesBalancedAllocation,
  PLUGIN_NAMES.ImageLocality,
  PLUGIN_NAMES.DefaultBinder,
].map((name) => {
  const weight = DEFAULT_SCORE_WEIGHTS[name];
  return Object.freeze(weight === undefined ? { name } : { name, weight });
}));

/** The in-tree plugin factories by name. */
export function newInTreeRegistry(): Map<string, PluginFactory> {
  return new Map<string, PluginFactory>([
    [schedulingGates.NAME, schedulingGates.newSchedulingGates],
    [prioritySort.NAME, prioritySort.newPrioritySort],
    [nodeUnschedulable.NAME, nodeUnschedulable.newNodeUnschedulable],
    [nodeName.NAME, nodeName.newNodeName],
    [taintToleration.NAME, taintToleration.newTaintToleration],
    [nodeAffinity.NAME, nodeAffinity.newNodeAffinity],
    [nodePorts.NAME, nodePorts.newNodePorts],
    [nodeResourcesFit.NAME, nodeResourcesFit.newNodeResourcesFit],
    [podTopologySpread.NAME, podTopologySpread.newPodTopologySpread],
    [interPodAffinity.NAME, interPodAffinity.newInterPodAffinity],
    [balancedAllocation.NAME, balancedAllocation.newBalancedAllocation],
    [imageLocality.NAME, imageLocality.newImageLocality],
    [defaultPreemption.NAME, defaultPreemption.newDefaultPreemption],
    [defaultBinder.NAME, defaultBinder.newDefaultBinder],
  ]);
}

/** The default plugins that `registry` has, in upstream's order with its weights. */
export function defaultPlugins(registry: Registry = newInTreeRegistry()): PluginRef[] {
  return UPSTREAM_DEFAULT_PLUGINS.filter((p) => registry.has(p.name));
}

/** Options of {@linkcode defaultProfile}. */
export interface DefaultProfileOptions {
  /** @default {"default-scheduler"} */
  readonly schedulerName?: string;
  /** The registry whose plugins are enabled. @default {newInTreeRegistry()} */
  readonly registry?: Registry;
  /** Changes to the default plugins, merged as upstream merges a profile's `multiPoint`. */
  readonly plugins?: PluginSet;
  /** Plugin args by name. */
  readonly pluginConfig?: Readonly<Record<string, unknown>>;
  /** See {@linkcode Profile.percentageOfNodesToScore}. */
  readonly percentageOfNodesToScore?: number;
}

/** The default profile: upstream's default plugins (those in the registry) and weights. */
export function defaultProfile(options: DefaultProfileOptions = {}): Profile {
  const plugins = mergePluginSet(defaultPlugins(options.registry), options.plugins);
  return {
    schedulerName: options.schedulerName ?? DEFAULT_PROFILE_NAME,
    plugins,
    ...options.pluginConfig === undefined ? {} : { pluginConfig: options.pluginConfig },
    ...options.percentageOfNodesToScore === undefined
      ? {}
      : { percentageOfNodesToScore: options.percentageOfNodesToScore },
  };
}
