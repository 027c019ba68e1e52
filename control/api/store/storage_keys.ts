/**
 * Where a resource's objects live in storage: `/registry/<resource>/[<namespace>/]<name>` for
 * built-in kinds (as kube-apiserver lays out etcd), `/registry/<group>/<resource>/…` for custom
 * resources, and the stored resource's prefix for kinds served from another's storage
 * (events.k8s.io Events live with core Events).
 *
 * @example The key of a pod
 * ```ts
 * import assert from "node:assert/strict";
 * import { objectKey } from "./storage_keys.ts";
 *
 * assert.equal(objectKey({ prefix: "/registry/pods/", namespaced: true }, { namespace: "default", name: "web-0" }), "/registry/pods/default/web-0");
 * ```
 *
 * @module
 */
import type { ResourceDef } from "../registry/resource_def.ts";

/** The storage prefix of every object of `def`. */
export function storagePrefixOf(def: ResourceDef & { readonly custom?: boolean }): string {
  if (def.conversion) return `/registry/${def.conversion.storageResource}/`;
  if (def.custom) return `/registry/${def.group}/${def.resource}/`;
  return `/registry/${def.resource}/`;
}

/** A resource's storage layout. */
export interface KeyLayout {
  readonly prefix: string;
  readonly namespaced: boolean;
}

/** The prefix to list: one namespace, or all of them (`namespace` empty). */
export function listPrefix(layout: KeyLayout, namespace: string): string {
  return layout.namespaced && namespace ? `${layout.prefix}${namespace}/` : layout.prefix;
}

/** The key of one object. */
export function objectKey(
  layout: KeyLayout,
  id: { readonly namespace: string; readonly name: string },
): string {
  return layout.namespaced
    ? `${layout.prefix}${id.namespace}/${id.name}`
    : `${layout.prefix}${id.name}`;
}
