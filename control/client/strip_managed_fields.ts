/**
 * The informer transform that drops `metadata.managedFields` (what kube-controller-manager and
 * kube-scheduler do to their caches since Kubernetes 1.27): controllers never read them, and
 * they are often the largest part of a small object's metadata. An update sent from such an
 * object leaves the server's managedFields as they are (absent means "keep"), so nothing is
 * lost by not caching them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stripManagedFields } from "./strip_managed_fields.ts";
 *
 * const pod = { metadata: { name: "a", managedFields: [{ manager: "kubectl" }] } };
 * assert.deepEqual(stripManagedFields(pod), { metadata: { name: "a" } });
 * assert.equal(pod.metadata.managedFields.length, 1); // the input is not changed
 * ```
 *
 * @module
 */
import type { KubeObject } from "../api/types/meta_v1.ts";

/**
 * `obj` without `metadata.managedFields`: `obj` itself when it has none, else a shallow copy
 * with a shallow copy of its metadata (the input may be frozen or shared, so it is not changed).
 */
export function stripManagedFields<T extends KubeObject>(obj: T): T {
  const meta = obj.metadata;
  if (meta === undefined || meta.managedFields === undefined) return obj;
  const { managedFields: _dropped, ...rest } = meta;
  return { ...obj, metadata: rest };
}
