/**
 * What the API server knows of one served resource: its identity (group, version, kind,
 * plural), scope, discovery metadata (short names, categories, verbs, subresources), its schema
 * and strategy, and the kind-specific facts the generic handlers need (field selectors, scale
 * paths, generation tracking). One {@linkcode ResourceDef} per group-version-resource.
 *
 * @module
 */
import type { Printer } from "../printers/table.ts";
import type { Strategy } from "../strategies/strategy.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import type { GroupVersionKind, ObjectSchema } from "../types/schema.ts";

/** Every verb of a full resource, in discovery's order. */
export const ALL_VERBS: readonly string[] = [
  "create",
  "delete",
  "deletecollection",
  "get",
  "list",
  "patch",
  "update",
  "watch",
];

/** Where a kind's `/scale` subresource reads and writes, as CRDs' `scale` declares it. */
export interface ScaleSubresource {
  /** JSON path of the desired replicas, e.g. `.spec.replicas`. */
  readonly specReplicasPath: string;
  /** JSON path of the observed replicas, e.g. `.status.replicas`. */
  readonly statusReplicasPath: string;
  /**
   * Where the Scale's `status.selector` comes from: a JSON path to a string (CRDs), or
   * `"spec.selector"` meaning the kind's `metav1.LabelSelector` rendered as a string.
   */
  readonly labelSelectorPath?: string;
}

/** A subresource served by a dedicated handler (binding, eviction, log, token, finalize…). */
export interface ExtraSubresource {
  readonly name: string;
  /** The kind its requests and responses carry (`policy/v1 Eviction`). */
  readonly gvk: GroupVersionKind;
  readonly verbs: readonly string[];
}

/** Reads the value of one field-selector field from an object (`spec.nodeName`). */
export type FieldGetter = (obj: KubeObject) => string | undefined;

/** Another version's view of a stored kind (events.k8s.io/v1 Event over core/v1 Event). */
export interface StorageConversion {
  /** The resource whose storage holds the objects (`events` in the core group). */
  readonly storageGroup: string;
  readonly storageResource: string;
  /** Converts a stored object into this version. */
  fromStorage(obj: KubeObject): KubeObject;
  /** Converts an object of this version into the stored form. */
  toStorage(obj: KubeObject): KubeObject;
}

/** One served resource. */
export interface ResourceDef {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  /** The plural resource name (`deployments`). */
  readonly resource: string;
  readonly singular: string;
  readonly namespaced: boolean;
  readonly shortNames?: readonly string[];
  readonly categories?: readonly string[];
  /** @default {ALL_VERBS} */
  readonly verbs?: readonly string[];
  /** The kind's schema: decodes, validates and documents objects. */
  readonly schema: ObjectSchema;
  /**
   * What OpenAPI publishes for the kind, when it is not {@linkcode ResourceDef.schema}: a custom
   * resource's typed and documented schema, while its `schema` only shapes decoding.
   */
  readonly openApiSchema?: ObjectSchema;
  /** The Table printer, when not the built-in one of the group and kind (custom resources). */
  readonly printer?: Printer;
  /**
   * Served from a CustomResourceDefinition: objects live under `/registry/<group>/<resource>/`
   * and are patched with JSON and merge patches only, as upstream's custom resources.
   */
  readonly custom?: boolean;
  readonly strategy: Strategy;
  /** Serves `/status`; main-resource writes keep the stored status. */
  readonly statusSubresource?: boolean;
  /** Serves `/scale` as `autoscaling/v1` Scale. */
  readonly scale?: ScaleSubresource;
  readonly extraSubresources?: readonly ExtraSubresource[];
  /** Field-selector fields beyond `metadata.name` and `metadata.namespace`. */
  readonly fieldSelectors?: Readonly<Record<string, FieldGetter>>;
  /** Sets `metadata.generation` (1 on create, +1 on spec changes). */
  readonly tracksGeneration?: boolean;
  /** A PUT to a missing object creates it (Endpoints, …). */
  readonly allowCreateOnUpdate?: boolean;
  /** Stored under another resource, converted on the way in and out. */
  readonly conversion?: StorageConversion;
  /** Objects expire this long after their last write (Events: 1 h, as kube-apiserver's TTL). */
  readonly ttlMs?: number;
  /** Create-only and never stored: a review handler answers (TokenReview, the access reviews). */
  readonly ephemeral?: boolean;
  /**
   * What a delete that names no propagation policy does to dependents (upstream
   * `DefaultGarbageCollectionPolicy`): batch/v1 Jobs orphan their pods, for compatibility.
   * @default {"DeleteDependents"} (background)
   */
  readonly defaultGarbageCollectionPolicy?: "DeleteDependents" | "OrphanDependents";
}

/** `group/version`, or `version` for the core group. */
export function groupVersion(def: Pick<ResourceDef, "group" | "version">): string {
  return def.group ? `${def.group}/${def.version}` : def.version;
}

/** The verbs `def` serves. */
export function verbsOf(def: ResourceDef): readonly string[] {
  return def.verbs ?? ALL_VERBS;
}
