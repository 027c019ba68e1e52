/**
 * What a kind adds to the generic REST handling: its defaults, how its objects are prepared for
 * create and update, and its validation — Kubernetes' `RESTCreateStrategy` /
 * `RESTUpdateStrategy` plus the `SetDefaults_*` and `Validate*` functions, one object per kind.
 *
 * The generic handler does everything kinds share, so strategies do not: it decodes the body
 * against the kind's schema (unknown fields, types, scalar schema defaults, quantity
 * canonicalization), validates metadata (name by {@linkcode Strategy.nameRule}, labels,
 * annotations, owner references, finalizers), sets uid/creationTimestamp/resourceVersion,
 * generation (1 on create; +1 when anything outside metadata and status changes), and, for kinds
 * with a status subresource, keeps the stored status on main-resource writes and the stored
 * spec on status writes. Strategies are synchronous and pure: what needs storage (Service IP
 * allocation, namespace checks) is done by the handler.
 *
 * The order of a create: defaults, prepareForCreate, then validate + validateCreate, then
 * warnings. Of an update of the main resource: defaults, prepareForUpdate, then validate +
 * validateUpdate, then warnings (with the stored object). Of a status write: defaults,
 * prepareForStatusUpdate, then validateStatusUpdate.
 *
 * Methods receive decoded JSON objects; cast to the kind's inferred type inside.
 *
 * @module
 */
import type { KubeObject } from "../types/meta_v1.ts";
import type { FieldError } from "../validation/field_errors.ts";

/** How `metadata.name` is validated. */
export type NameRule =
  /** A DNS-1123 subdomain (most kinds). */
  | "subdomain"
  /** A DNS-1123 label (Namespace, …). */
  | "label"
  /** A DNS-1035 label (Service). */
  | "dns1035"
  /** Only a valid path segment (RBAC roles, …). */
  | "pathSegment";

/** A kind's part of create and update. Every member is optional. */
export interface Strategy {
  /**
   * How `metadata.name` is validated.
   *
   * @default {"subdomain"}
   */
  readonly nameRule?: NameRule;
  /**
   * Bump `metadata.generation` on annotation changes too (Deployment: annotations are copied
   * to its ReplicaSets).
   */
  readonly generationIncludesAnnotations?: boolean;
  /**
   * Defaults beyond the schema's scalar ones (`SetDefaults_*`): conditional or structural
   * defaults such as `imagePullPolicy` from the image tag or a Service port's `targetPort`.
   * Mutates `obj`. Runs on every create and update (status writes too, as upstream defaults
   * every decoded object), after decoding, before the prepare step and validation.
   */
  default?(obj: KubeObject): void;
  /**
   * Before create, after {@linkcode Strategy.default}: reset or derive server-owned fields (a
   * Pod's `status.phase`, QoS class, a Job's generated selector). `metadata.uid` and
   * `metadata.name` (also one generated from `generateName`) are already set.
   */
  prepareForCreate?(obj: KubeObject): void;
  /** Before an update of the main resource: carry over or derive server-owned fields. */
  prepareForUpdate?(obj: KubeObject, old: KubeObject): void;
  /**
   * Before a write through the status subresource (upstream's status strategy
   * `PrepareForUpdate`). The handler has already kept the stored spec and generation; the rest
   * of the metadata comes from the request, as upstream lets status writes change it. Restore
   * what the kind keeps (a Deployment its labels, a Pod its owner references) or derive status
   * fields (a PersistentVolume's phase transition time).
   */
  prepareForStatusUpdate?(obj: KubeObject, old: KubeObject): void;
  /**
   * Errors in an object, beyond metadata, on create and on update of the main resource (what
   * upstream's `Validate*` and `Validate*Update` share, e.g. `ValidatePodSpec`).
   */
  validate?(obj: KubeObject): FieldError[];
  /**
   * Errors only a new object can have, beyond {@linkcode Strategy.validate} (which the handler
   * also runs on create): upstream's create-only rules, e.g. `ValidatePodCreate`'s ban on
   * ephemeral containers.
   */
  validateCreate?(obj: KubeObject): FieldError[];
  /**
   * Errors in an update, beyond those of {@linkcode Strategy.validate} (which the handler also
   * runs on the new object): immutable fields and the like (`ValidatePodUpdate`).
   */
  validateUpdate?(obj: KubeObject, old: KubeObject): FieldError[];
  /** Errors in a write through the status subresource. */
  validateStatusUpdate?(obj: KubeObject, old: KubeObject): FieldError[];
  /**
   * Warnings for a write of the main resource (`Warning: 299` headers), once it validated:
   * deprecated fields and the like. `old` is the stored object on updates and absent on create
   * (upstream's `WarningsOnCreate` / `WarningsOnUpdate`).
   */
  warnings?(obj: KubeObject, old?: KubeObject): string[];
}
