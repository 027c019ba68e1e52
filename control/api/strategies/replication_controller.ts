/**
 * The ReplicationController strategy (`core/v1`, upstream `pkg/registry/core/replicationcontroller`):
 * `SetDefaults_ReplicationController` (selector and labels from the template's labels, one
 * replica), `ValidateReplicationControllerSpec` and `ValidateReplicationControllerStatus`.
 *
 * Unlike a ReplicaSet's, the selector is a plain label map, required to be non-empty rather
 * than validated as a selector, and it may change on update. The template is always required.
 *
 * @example Default and validate a ReplicationController
 * ```ts
 * import assert from "node:assert/strict";
 * import type { ReplicationController } from "../types/core_v1_replication_controller.ts";
 * import { replicationControllerStrategy } from "./replication_controller.ts";
 *
 * const rc: ReplicationController = {
 *   metadata: { name: "web" },
 *   spec: {
 *     template: {
 *       metadata: { labels: { app: "web" } },
 *       spec: { containers: [{ name: "web", image: "nginx" }] },
 *     },
 *   },
 * };
 * replicationControllerStrategy.default!(rc);
 * assert.equal(rc.spec?.replicas, 1);
 * assert.deepEqual(rc.spec?.selector, { app: "web" });
 * assert.deepEqual(rc.metadata?.labels, { app: "web" });
 * assert.deepEqual(replicationControllerStrategy.validate!(rc), []);
 * ```
 *
 * @module
 */
import type {
  ReplicationController,
  ReplicationControllerSpec,
} from "../types/core_v1_replication_controller.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import { type FieldError, required } from "../validation/field_errors.ts";
import { validateNonnegativeField } from "../validation/numbers.ts";
import { dropDisabledPodSpecFields } from "./_pod_fields.ts";
import { dnsLabelNameWarning, SPEC, validateReplicaTemplate } from "./_workload.ts";
import { REPLICA_SET_STATUS_RULES, replicaStatusErrors } from "./_workload_replicas.ts";
import { Selector } from "./_workload_selector.ts";
import { defaultPodTemplateSpec } from "./pod_spec.ts";
import type { Strategy } from "./strategy.ts";

function isEmptyMap(m: Readonly<Record<string, string>> | undefined): boolean {
  return m === undefined || Object.keys(m).length === 0;
}

/**
 * Applies `SetDefaults_ReplicationController` and the pod template's defaults: a template with
 * labels gives an empty selector and empty object labels its labels; replicas default to 1.
 */
export function defaultReplicationController(
  rc: Pick<ReplicationController, "metadata" | "spec">,
): void {
  const spec: ReplicationControllerSpec = rc.spec ??= {};
  const labels = spec.template?.metadata?.labels;
  let added = spec.replicas === undefined;
  if (labels !== undefined) {
    if (isEmptyMap(spec.selector)) {
      spec.selector = { ...labels };
      added = true;
    }
    const meta = rc.metadata ??= {};
    if (isEmptyMap(meta.labels)) meta.labels = { ...labels };
  }
  spec.replicas ??= 1;
  if (spec.template !== undefined) defaultPodTemplateSpec(spec.template);
  // Defaulted fields take their place in the Go struct's order, as upstream's JSON has them.
  if (added) rc.spec = inSpecOrder(spec);
}

const SPEC_ORDER = ["replicas", "minReadySeconds", "selector", "template"] as const;

function inSpecOrder(spec: ReplicationControllerSpec): ReplicationControllerSpec {
  const out: Record<string, unknown> = {};
  for (const key of SPEC_ORDER) if (spec[key] !== undefined) out[key] = spec[key];
  for (const [key, value] of Object.entries(spec)) if (!(key in out)) out[key] = value;
  return out as ReplicationControllerSpec;
}

/**
 * The selector a label map stands for (`labels.Set(m).AsSelector()`): every key equal to its
 * value, with no validation of keys or values; an empty map selects everything.
 */
export function selectorFromSet(m: Readonly<Record<string, string>> | undefined): Selector {
  return new Selector(
    Object.entries(m ?? {}).map(([key, value]) => ({ key, op: "=" as const, values: [value] })),
  );
}

/**
 * Errors in a ReplicationController's spec (`ValidateReplicationControllerSpec`), beyond what
 * the schema checks: minReadySeconds and replicas not negative, a non-empty selector, and a
 * template whose labels the selector matches, valid as a pod template that always restarts.
 */
export function validateReplicationControllerSpec(
  rc: Pick<ReplicationController, "spec">,
): FieldError[] {
  const spec: ReplicationControllerSpec = rc.spec ?? { replicas: 1 };
  const errs = validateNonnegativeField(spec.minReadySeconds, SPEC.child("minReadySeconds"));
  if (isEmptyMap(spec.selector)) errs.push(required(SPEC.child("selector")));
  errs.push(...validateNonnegativeField(spec.replicas, SPEC.child("replicas")));
  const path = SPEC.child("template");
  if (spec.template === undefined) {
    errs.push(required(path));
  } else {
    errs.push(...validateReplicaTemplate(spec.template, {
      selector: selectorFromSet(spec.selector),
      path,
      kind: "ReplicationController",
    }));
  }
  return errs;
}

/** The ReplicationController strategy. */
export const replicationControllerStrategy: Strategy = {
  default(obj: KubeObject): void {
    defaultReplicationController(obj as Pick<ReplicationController, "metadata" | "spec">);
  },
  prepareForCreate(obj: KubeObject): void {
    const rc = obj as ReplicationController;
    // The zero ReplicationControllerStatus: `replicas` has no omitempty.
    rc.status = { replicas: 0 };
    const spec = rc.spec?.template?.spec;
    if (spec !== undefined) dropDisabledPodSpecFields(spec, undefined);
  },
  prepareForUpdate(obj: KubeObject, old: KubeObject): void {
    const spec = (obj as ReplicationController).spec?.template?.spec;
    const oldSpec = (old as ReplicationController).spec?.template?.spec;
    if (spec !== undefined) dropDisabledPodSpecFields(spec, oldSpec);
  },
  validate(obj: KubeObject): FieldError[] {
    return validateReplicationControllerSpec(obj as Pick<ReplicationController, "spec">);
  },
  validateStatusUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
    return replicaStatusErrors((obj as ReplicationController).status ?? {}, {
      old: (old as ReplicationController).status ?? {},
      ...REPLICA_SET_STATUS_RULES,
    });
  },
  warnings(obj: KubeObject, old?: KubeObject): string[] {
    return old === undefined ? dnsLabelNameWarning(obj.metadata?.name) : [];
  },
};
