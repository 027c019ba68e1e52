/**
 * What the OpenAPI generators take: the served resources with their schemas.
 *
 * @module
 */
import type { GroupVersionKind, ObjectSchema } from "../types/schema.ts";

/** A subresource of an {@linkcode OpenApiResource} (`status`, `scale`, `log`, `exec`…). */
export interface OpenApiSubresource {
  /** The subresource name, e.g. `"status"`. */
  readonly name: string;
  /** The kind its operations read and write (`autoscaling/v1 Scale` for `scale`). */
  readonly gvk: GroupVersionKind;
  /**
   * The schema of that kind. Without one the subresource streams: `log` answers text, the
   * others (`exec`, `attach`, `portforward`, `proxy`) are `connect` operations.
   */
  readonly schema?: ObjectSchema;
  /** `get`, `update`, `patch`, `create`. */
  readonly verbs: readonly string[];
}

/** A served resource. */
export interface OpenApiResource {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  /** The plural, e.g. `"deployments"`. */
  readonly resource: string;
  readonly namespaced: boolean;
  /** e.g. `["create","delete","deletecollection","get","list","patch","update","watch"]`. */
  readonly verbs: readonly string[];
  /** The kind's schema (with its `gvk`). */
  readonly schema: ObjectSchema;
  readonly subresources: readonly OpenApiSubresource[];
}

/** What the documents say about the server. */
export interface OpenApiInfo {
  /** The server's version, e.g. `"v1.33.0"` (`info.version`). */
  readonly gitVersion: string;
}
