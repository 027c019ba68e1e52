/**
 * The contract every scheduler plugin's test checks (style §9.7): the plugin is named as
 * registered, implements at least one extension point, returns only known status codes, and its
 * scores are whole numbers within 0–100 once normalized.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Node } from "../../api/types/core_v1_node.ts";
import type { Pod } from "../../api/types/core_v1_pod.ts";
import { CycleState } from "../cycle_state.ts";
import {
  isFilterPlugin,
  isPostFilterPlugin,
  isPreFilterPlugin,
  isPreFilterStatus,
  isPreScorePlugin,
  isQueueSortPlugin,
  isScorePlugin,
  MAX_NODE_SCORE,
  MIN_NODE_SCORE,
  type NodeScore,
  type Plugin,
  type PluginFactory,
} from "../framework.ts";
import { newSnapshot } from "../snapshot.ts";
import { type PluginStatus, STATUS_CODES } from "../status.ts";

function assertStatus(s: PluginStatus | null, where: string): void {
  if (s === null) return;
  assert.ok(STATUS_CODES.includes(s.code), `${where}: unknown status code ${s.code}`);
  assert.ok(Array.isArray(s.reasons), `${where}: reasons must be an array`);
  for (const r of s.reasons) assert.equal(typeof r, "string", `${where}: reasons must be strings`);
}

/** What {@linkcode checkPluginContract} runs the plugin over. */
export interface ContractInput {
  /** The plugin's registered name. */
  readonly name: string;
  /** Pods to run through every extension point the plugin implements. */
  readonly pods: readonly Pod[];
  /** The nodes of the snapshot. */
  readonly nodes: readonly Node[];
  /** Pods already bound to the nodes. */
  readonly existingPods?: readonly Pod[];
  /** Args for the factory. */
  readonly args?: unknown;
}

/**
 * Builds the plugin with `factory` and runs PreFilter, Filter, PreScore, Score and
 * NormalizeScore over every pod and node, asserting the contract. Returns the plugin.
 */
export function checkPluginContract(factory: PluginFactory, input: ContractInput): Plugin {
  const snapshot = newSnapshot(input.nodes, input.existingPods ?? []);
  const plugin = factory(input.args, { snapshot: () => snapshot });
  assert.equal(plugin.name, input.name, "the plugin is named as registered");
  const points = [
    isQueueSortPlugin,
    isPreFilterPlugin,
    isFilterPlugin,
    isPostFilterPlugin,
    isPreScorePlugin,
    isScorePlugin,
  ]
    .filter((is) => is(plugin));
  assert.ok(points.length > 0, "the plugin implements an extension point");
  const nodes = snapshot.list();
  for (const pod of input.pods) {
    const state = new CycleState();
    const where = `${input.name} with pod ${pod.metadata?.name}`;
    let filterSkipped = false;
    if (isPreFilterPlugin(plugin)) {
      const out = plugin.preFilter(state, pod, nodes);
      if (isPreFilterStatus(out)) {
        assertStatus(out, `${where} PreFilter`);
        filterSkipped = out.code === "Skip";
      } else if (out !== null) {
        assert.ok(out.nodeNames instanceof Set, `${where}: PreFilter node names are a set`);
      }
    }
    if (isFilterPlugin(plugin) && !filterSkipped) {
      for (const info of nodes) assertStatus(plugin.filter(state, pod, info), `${where} Filter`);
    }
    let scoreSkipped = false;
    if (isPreScorePlugin(plugin)) {
      const s = plugin.preScore(state, pod, nodes);
      assertStatus(s, `${where} PreScore`);
      scoreSkipped = s?.code === "Skip";
    }
    if (isScorePlugin(plugin) && !scoreSkipped) {
      const scores: NodeScore[] = nodes.map((info) => {
        const s = plugin.score(state, pod, info);
        assert.equal(typeof s, "number", `${where}: Score returns a number`);
        assert.ok(Number.isInteger(s), `${where}: scores are whole numbers`);
        return { name: info.name, score: s as number };
      });
      assertStatus(plugin.normalizeScore?.(state, pod, scores) ?? null, `${where} NormalizeScore`);
      for (const s of scores) {
        assert.ok(
          Number.isInteger(s.score) && s.score >= MIN_NODE_SCORE && s.score <= MAX_NODE_SCORE,
          `${where}: score ${s.score} of ${s.name} is within ${MIN_NODE_SCORE}-${MAX_NODE_SCORE}`,
        );
      }
    }
  }
  return plugin;
}

/** A pod on one node, with the pods already there. */
export interface FilterInput {
  readonly pod: Pod;
  readonly node: Node;
  readonly existingPods?: readonly Pod[];
}

/**
 * The plugin's verdict for `pod` on `node`: PreFilter (a `Skip` means `null`, a rejection is
 * returned as is) then Filter.
 */
export function filterStatus(plugin: Plugin, input: FilterInput): PluginStatus | null {
  const snapshot = newSnapshot([input.node], input.existingPods ?? []);
  const state = new CycleState();
  if (isPreFilterPlugin(plugin)) {
    const out = plugin.preFilter(state, input.pod, snapshot.list());
    if (isPreFilterStatus(out)) {
      if (out.code === "Skip") return null;
      if (out.code !== "Success") return out;
    } else if (out !== null && !out.nodeNames.has(input.node.metadata?.name ?? "")) {
      return { code: "UnschedulableAndUnresolvable", reasons: ["excluded by PreFilter"] };
    }
  }
  assert.ok(isFilterPlugin(plugin));
  return plugin.filter(state, input.pod, snapshot.get(input.node.metadata?.name ?? "")!);
}

/** A pod scored over nodes, with the pods already there. */
export interface ScoreInput {
  readonly pod: Pod;
  readonly nodes: readonly Node[];
  readonly existingPods?: readonly Pod[];
}

/**
 * The plugin's normalized scores of `nodes` by name (PreScore `Skip` gives `null`). Factories
 * that read the snapshot get one of `nodes` through `build`.
 */
export function scoreNodes(
  build: (handle: { snapshot: () => ReturnType<typeof newSnapshot> }) => Plugin,
  input: ScoreInput,
): Record<string, number> | null {
  const snapshot = newSnapshot(input.nodes, input.existingPods ?? []);
  const plugin = build({ snapshot: () => snapshot });
  const state = new CycleState();
  if (isPreScorePlugin(plugin)) {
    const s = plugin.preScore(state, input.pod, snapshot.list());
    if (s?.code === "Skip") return null;
    assert.equal(s, null);
  }
  assert.ok(isScorePlugin(plugin));
  const scores: NodeScore[] = snapshot.list().map((info) => ({
    name: info.name,
    score: plugin.score(state, input.pod, info) as number,
  }));
  plugin.normalizeScore?.(state, input.pod, scores);
  return Object.fromEntries(scores.map((s) => [s.name, s.score]));
}
