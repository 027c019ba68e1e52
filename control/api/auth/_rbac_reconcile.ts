/**
 * How a stored RBAC object is brought up to the bootstrap policy, as upstream's
 * `pkg/registry/rbac/reconciliation` computes it in union mode (the API server's): labels and
 * annotations are merged (stored values win), missing rules, aggregation selectors and
 * subjects are added, nothing is removed — except an aggregation rule the policy does not
 * have, and a binding whose roleRef differs, which is recreated. Objects annotated
 * `rbac.authorization.kubernetes.io/autoupdate: "false"` are protected.
 *
 * @module
 */
import type { KubeObject, LabelSelector } from "../types/meta_v1.ts";
import type {
  AggregationRule,
  ClusterRole,
  ClusterRoleBinding,
  PolicyRule,
  Role,
  RoleBinding,
  Subject,
} from "../types/rbac_v1.ts";
import { ANNOTATION_AUTOUPDATE } from "../types/rbac_v1.ts";
import { jsonEqual } from "../util/json_value.ts";
import { covers } from "./rbac_rules.ts";

/** A Role or ClusterRole. */
export type RoleLike = Role | ClusterRole;
/** A RoleBinding or ClusterRoleBinding. */
export type BindingLike = RoleBinding | ClusterRoleBinding;

/** What reconciling one object decided. */
export interface ReconcileResult<T extends KubeObject> {
  readonly operation: "none" | "update" | "recreate";
  /** The stored object opts out (`autoupdate: "false"`): nothing is to be written. */
  readonly protected: boolean;
  /** The object to write. */
  readonly object: T;
  /** What changed, for the log. */
  readonly detail: Record<string, unknown>;
}

type StringMap = Record<string, string>;

/** The policy's map overlaid with the stored one (upstream `merge(expected, existing)`). */
function merged(expected: StringMap | undefined, existing: StringMap | undefined) {
  if (expected === undefined && existing === undefined) return undefined;
  return { ...expected, ...existing };
}

function isProtected(obj: KubeObject): boolean {
  return obj.metadata?.annotations?.[ANNOTATION_AUTOUPDATE] === "false";
}

/** Merges labels and annotations into `out`; whether that changed anything. */
function mergeMeta(out: KubeObject, expected: KubeObject): boolean {
  const meta = out.metadata ??= {};
  let changed = false;
  const annotations = merged(expected.metadata?.annotations, meta.annotations);
  if (!jsonEqual(annotations ?? null, meta.annotations ?? null)) {
    changed = true;
    if (annotations) meta.annotations = annotations;
  }
  const labels = merged(expected.metadata?.labels, meta.labels);
  if (!jsonEqual(labels ?? null, meta.labels ?? null)) {
    changed = true;
    if (labels) meta.labels = labels;
  }
  return changed;
}

function aggregationOf(role: RoleLike): AggregationRule | undefined {
  return (role as ClusterRole).aggregationRule;
}

/** The selectors of `servant` that `owner` lacks (upstream `aggregationRuleCovers`). */
function missingSelectors(
  owner: AggregationRule | undefined,
  servant: AggregationRule | undefined,
): LabelSelector[] {
  if (servant === undefined) return [];
  const wanted = servant.clusterRoleSelectors ?? [];
  if (owner === undefined) return [...wanted];
  const have = owner.clusterRoleSelectors ?? [];
  return wanted.filter((s) => !have.some((h) => jsonEqual(h, s)));
}

/** Brings `existing` up to `expected` (a role of the policy). */
export function reconcileRole<T extends RoleLike>(existing: T, expected: T): ReconcileResult<T> {
  const out = structuredClone(existing);
  let update = mergeMeta(out, expected);
  const missing = covers(existing.rules ?? [], expected.rules ?? []).missing;
  if (missing.length > 0) {
    out.rules = [...(existing.rules ?? []), ...missing] as PolicyRule[];
    update = true;
  }
  const want = aggregationOf(expected);
  const have = aggregationOf(existing);
  const addSelectors = missingSelectors(have, want);
  if (want === undefined && have !== undefined) {
    delete (out as ClusterRole).aggregationRule;
    update = true;
  } else if (addSelectors.length > 0) {
    (out as ClusterRole).aggregationRule = {
      ...have,
      clusterRoleSelectors: [...(have?.clusterRoleSelectors ?? []), ...addSelectors],
    };
    update = true;
  }
  return {
    operation: update ? "update" : "none",
    protected: isProtected(existing),
    object: out,
    detail: { addedRules: missing.length, addedSelectors: addSelectors.length },
  };
}

function sameSubject(a: Subject, b: Subject): boolean {
  return a.kind === b.kind && (a.apiGroup ?? "") === (b.apiGroup ?? "") && a.name === b.name &&
    (a.namespace ?? "") === (b.namespace ?? "");
}

/** Brings `existing` up to `expected` (a binding of the policy). */
export function reconcileBinding<T extends BindingLike>(
  existing: T,
  expected: T,
): ReconcileResult<T> {
  const a = existing.roleRef;
  const b = expected.roleRef;
  if ((a.apiGroup ?? "") !== (b.apiGroup ?? "") || a.kind !== b.kind || a.name !== b.name) {
    return {
      operation: "recreate",
      protected: isProtected(existing),
      object: expected,
      detail: { roleRef: `${b.kind}/${b.name}` },
    };
  }
  const out = structuredClone(existing);
  let update = mergeMeta(out, expected);
  const have = existing.subjects ?? [];
  const missing = (expected.subjects ?? []).filter((s) => !have.some((h) => sameSubject(h, s)));
  if (missing.length > 0) {
    out.subjects = [...have, ...missing];
    update = true;
  }
  return {
    operation: update ? "update" : "none",
    protected: isProtected(existing),
    object: out,
    detail: { addedSubjects: missing.length },
  };
}
