/**
 * The `/scale` subresource of Deployments, ReplicaSets and StatefulSets (`autoscaling/v1`
 * Scale): the Scale Kubernetes returns for an object, and the validation of a Scale written
 * back (`ValidateScale`: `spec.replicas` not negative).
 *
 * Upstream builds the Scale from the parent the same way for all three kinds: metadata `name`,
 * `namespace`, `uid`, `resourceVersion` and `creationTimestamp` of the parent; `spec.replicas`
 * from `.spec.replicas`; `status.replicas` from `.status.replicas`; `status.selector` is
 * `.spec.selector` in query-parameter form. A write sets only the parent's `.spec.replicas`.
 *
 * @example Build the Scale of a Deployment
 * ```ts
 * import assert from "node:assert/strict";
 * import { scaleFromObject } from "./scale.ts";
 *
 * const scale = scaleFromObject({
 *   metadata: { name: "web", namespace: "default" },
 *   spec: { replicas: 3, selector: { matchLabels: { app: "web" } } },
 *   status: { replicas: 2 },
 * });
 * assert.deepEqual(scale.spec, { replicas: 3 });
 * assert.deepEqual(scale.status, { replicas: 2, selector: "app=web" });
 * ```
 *
 * @module
 */
import type { Scale } from "../types/autoscaling_v1.ts";
import type { KubeObject, LabelSelector, ObjectMeta } from "../types/meta_v1.ts";
import { type FieldError, FieldPath, invalid } from "../validation/field_errors.ts";
import { IS_NEGATIVE_ERROR } from "../validation/numbers.ts";
import { formatLabelSelector } from "./_workload_selector.ts";

/** Errors in a Scale written to `/scale` (`ValidateScale`), beyond metadata. */
export function validateScale(scale: Pick<Scale, "spec">): FieldError[] {
  const replicas = scale.spec?.replicas ?? 0;
  if (replicas >= 0) return [];
  return [
    invalid(new FieldPath("spec").child("replicas"), {
      value: replicas,
      detail: IS_NEGATIVE_ERROR,
    }),
  ];
}

interface Scalable {
  readonly spec?: { readonly replicas?: number; readonly selector?: LabelSelector };
  readonly status?: { readonly replicas?: number };
}

/** The `autoscaling/v1` Scale of a Deployment, ReplicaSet or StatefulSet. */
export function scaleFromObject(obj: KubeObject): Scale {
  const parent = obj as Scalable;
  const meta: ObjectMeta = {};
  const m = obj.metadata ?? {};
  for (const key of ["name", "namespace", "uid", "resourceVersion", "creationTimestamp"] as const) {
    if (m[key] !== undefined) meta[key] = m[key];
  }
  // Zero and empty values are left out, as Go's omitempty does.
  const spec: NonNullable<Scale["spec"]> = {};
  if (parent.spec?.replicas) spec.replicas = parent.spec.replicas;
  const status: NonNullable<Scale["status"]> = { replicas: parent.status?.replicas ?? 0 };
  const selector = formatLabelSelector(parent.spec?.selector);
  if (selector !== "") status.selector = selector;
  return { apiVersion: "autoscaling/v1", kind: "Scale", metadata: meta, spec, status };
}
