/**
 * A scheduling profile (upstream `KubeSchedulerProfile`): the scheduler name pods select with
 * `spec.schedulerName`, the plugins enabled in order (each at every extension point it
 * implements, as upstream's `multiPoint`), score weights, per-plugin args and the share of nodes
 * to score. {@linkcode mergePluginSet} applies a user's `enabled`/`disabled` lists to a default
 * list exactly as upstream merges plugin sets.
 *
 * @example Disable ImageLocality and reweigh NodeAffinity
 * ```ts
 * import assert from "node:assert/strict";
 * import { mergePluginSet } from "./profile.ts";
 *
 * const plugins = mergePluginSet(
 *   [{ name: "NodeName" }, { name: "NodeAffinity", weight: 2 }, { name: "ImageLocality", weight: 1 }],
 *   { enabled: [{ name: "NodeAffinity", weight: 5 }], disabled: [{ name: "ImageLocality" }] },
 * );
 * assert.deepEqual(plugins, [{ name: "NodeName" }, { name: "NodeAffinity", weight: 5 }]);
 * ```
 *
 * @module
 */
import { z } from "zod";

/** The scheduler name of the default profile. */
export const DEFAULT_PROFILE_NAME = "default-scheduler";

/** A plugin enabled in a profile. */
export interface PluginRef {
  readonly name: string;
  /** The weight of its scores; 0 or absent means 1. */
  readonly weight?: number;
}

/** Changes to a plugin list (upstream `PluginSet`). */
export interface PluginSet {
  /** Plugins to enable, or to re-configure in place when already enabled. */
  readonly enabled?: readonly PluginRef[];
  /** Plugins to disable; `"*"` disables all the defaults. */
  readonly disabled?: readonly { readonly name: string }[];
}

/** One scheduling profile. */
export interface Profile {
  /** The `spec.schedulerName` this profile serves. */
  readonly schedulerName: string;
  /** The plugins, in the order they run at each extension point. */
  readonly plugins: readonly PluginRef[];
  /** Args by plugin name, validated by each plugin's factory. */
  readonly pluginConfig?: Readonly<Record<string, unknown>>;
  /**
   * The percentage of nodes to find feasible before scoring (1–100); 0 or absent means
   * upstream's adaptive default (50% minus 1% per 125 nodes, at least 5%, at least 100 nodes).
   */
  readonly percentageOfNodesToScore?: number;
}

const PluginRefSchema = z.object({
  name: z.string().min(1, "must not be empty"),
  weight: z.number().int().min(0).max(100).optional(),
}).strict();

/** The zod schema a {@linkcode Profile} is validated against. */
export const ProfileSchema = z.object({
  schedulerName: z.string().min(1, "must not be empty"),
  plugins: z.array(PluginRefSchema),
  pluginConfig: z.record(z.string(), z.unknown()).optional(),
  percentageOfNodesToScore: z.number().int().min(0).max(100).optional(),
}).strict();

/** Zod issues as one line: `path: message; …`. */
export function formatIssues(error: z.ZodError): string {
  return error.issues.map((i) => {
    const path = i.path.map(String).join(".");
    return path === "" ? i.message : `${path}: ${i.message}`;
  }).join("; ");
}

/**
 * `profile` checked: known fields of the right types, and no plugin enabled twice.
 *
 * @throws {TypeError} describing what is wrong.
 */
export function validateProfile(profile: Profile): Profile {
  const parsed = ProfileSchema.safeParse(profile);
  const name = typeof profile?.schedulerName === "string" ? profile.schedulerName : "";
  if (!parsed.success) {
    throw new TypeError(`Invalid scheduler profile "${name}": ${formatIssues(parsed.error)}`);
  }
  const seen = new Set<string>();
  for (const p of profile.plugins) {
    if (seen.has(p.name)) {
      throw new TypeError(
        `Invalid scheduler profile "${name}": plugin "${p.name}" is enabled twice`,
      );
    }
    seen.add(p.name);
  }
  return profile;
}

/**
 * The plugins of `defaults` with `custom` applied (upstream `mergePluginSet`): disabled ones
 * dropped (all with `"*"`), re-enabled ones updated in place, the other enabled ones appended
 * in their order.
 */
export function mergePluginSet(
  defaults: readonly PluginRef[],
  custom: PluginSet = {},
): PluginRef[] {
  const disabled = new Set((custom.disabled ?? []).map((p) => p.name));
  const enabled = custom.enabled ?? [];
  const byName = new Map(enabled.map((p, i) => [p.name, i]));
  const replaced = new Set<number>();
  const out: PluginRef[] = [];
  if (!disabled.has("*")) {
    for (const p of defaults) {
      if (disabled.has(p.name)) continue;
      const i = byName.get(p.name);
      if (i === undefined) {
        out.push(p);
      } else {
        out.push(enabled[i]!);
        replaced.add(i);
      }
    }
  }
  enabled.forEach((p, i) => {
    if (!replaced.has(i)) out.push(p);
  });
  return out;
}
