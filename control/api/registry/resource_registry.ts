/**
 * The set of served resources, indexed for the lookups the API server makes: by
 * group/version/resource for routing, by group for discovery, by kind for conversions.
 *
 * @example Look up a resource
 * ```ts
 * import assert from "node:assert/strict";
 * import { object } from "../types/schema.ts";
 * import { ResourceRegistry } from "./resource_registry.ts";
 *
 * const registry = new ResourceRegistry([{
 *   group: "", version: "v1", kind: "ConfigMap", resource: "configmaps", singular: "configmap",
 *   namespaced: true, schema: object("x.ConfigMap", { description: "", fields: {} }), strategy: {},
 * }]);
 * assert.equal(registry.get("", "v1", "configmaps")?.kind, "ConfigMap");
 * ```
 *
 * @module
 */
import { groupVersion, type ResourceDef } from "./resource_def.ts";

/** One API group with its versions, preferred first. */
export interface ApiGroup {
  readonly name: string;
  readonly versions: readonly string[];
}

/** Preferred order of versions: GA before beta before alpha, higher first. */
function versionRank(v: string): [number, number, number] {
  const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
  if (!m) return [0, 0, 0];
  const stability = m[2] === undefined ? 3 : m[2] === "beta" ? 2 : 1;
  return [stability, Number(m[1]), Number(m[3] ?? 0)];
}

function compareVersions(a: string, b: string): number {
  const x = versionRank(a);
  const y = versionRank(b);
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return y[i]! - x[i]!;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The order kube-apiserver lists its built-in groups in (`kubectl api-versions` order aside). */
const GROUP_ORDER = [
  "",
  "apiregistration.k8s.io",
  "apps",
  "events.k8s.io",
  "authentication.k8s.io",
  "authorization.k8s.io",
  "autoscaling",
  "batch",
  "certificates.k8s.io",
  "networking.k8s.io",
  "policy",
  "rbac.authorization.k8s.io",
  "storage.k8s.io",
  "admissionregistration.k8s.io",
  "apiextensions.k8s.io",
  "scheduling.k8s.io",
  "coordination.k8s.io",
  "node.k8s.io",
  "discovery.k8s.io",
  "flowcontrol.apiserver.k8s.io",
];

function groupRank(name: string): number {
  const i = GROUP_ORDER.indexOf(name);
  return i < 0 ? GROUP_ORDER.length : i;
}

/** The served resources. Immutable; build a new registry when the set changes (CRDs). */
export class ResourceRegistry {
  readonly #byGvr = new Map<string, ResourceDef>();
  readonly #byGv = new Map<string, ResourceDef[]>();
  readonly #groups: ApiGroup[];
  readonly #all: readonly ResourceDef[];

  constructor(defs: readonly ResourceDef[]) {
    this.#all = defs;
    const versionsByGroup = new Map<string, Set<string>>();
    for (const def of defs) {
      const key = `${def.group}/${def.version}/${def.resource}`;
      if (this.#byGvr.has(key)) {
        throw new TypeError(`Cannot register resource "${key}" twice`);
      }
      this.#byGvr.set(key, def);
      const gv = groupVersion(def);
      const list = this.#byGv.get(gv) ?? [];
      list.push(def);
      this.#byGv.set(gv, list);
      const versions = versionsByGroup.get(def.group) ?? new Set();
      versions.add(def.version);
      versionsByGroup.set(def.group, versions);
    }
    this.#groups = [...versionsByGroup.entries()]
      .sort(([a], [b]) => groupRank(a) - groupRank(b) || (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, versions]) => ({ name, versions: [...versions].sort(compareVersions) }));
  }

  /** The resource `resource` of `group/version`, if served. */
  get(group: string, version: string, resource?: string): ResourceDef | undefined {
    return this.#byGvr.get(`${group}/${version}/${resource}`);
  }

  /** Every resource of one group-version (`"v1"`, `"apps/v1"`), in registration order. */
  forGroupVersion(gv: string): readonly ResourceDef[] {
    return this.#byGv.get(gv) ?? [];
  }

  /** The API groups (the core group named `""`), in kube-apiserver's order. */
  groups(): readonly ApiGroup[] {
    return this.#groups;
  }

  /** Every served resource. */
  all(): readonly ResourceDef[] {
    return this.#all;
  }

  /** The resource serving `kind` in `group/version`. */
  byKind(group: string, version: string, kind: string): ResourceDef | undefined {
    return this.forGroupVersion(group ? `${group}/${version}` : version).find((d) =>
      d.kind === kind
    );
  }
}
