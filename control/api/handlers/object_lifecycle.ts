/**
 * The generic parts of create and update that every kind shares, as kube-apiserver's
 * `BeforeCreate`/`BeforeUpdate` do: server-set metadata (uid, creationTimestamp, name from
 * generateName), the spec/status split of kinds with a status subresource, generation
 * tracking, the validation every object goes through (schema, metadata, strategy) and the
 * strategy's warnings.
 *
 * @module
 */
import { formatTime as rfc3339 } from "../../util/k8s_time.ts";
import { validateSchema } from "../codec/validate_schema.ts";
import type { ResourceDef } from "../registry/resource_def.ts";
import type { KubeObject, ObjectMeta } from "../types/meta_v1.ts";
import { jsonEqual } from "../util/json_value.ts";
import type { FieldError } from "../validation/field_errors.ts";
import { validateObjectMeta, validateObjectMetaUpdate } from "../validation/object_meta.ts";

export { rfc3339 };

const NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";
/** The longest generateName prefix kept: 63 − 5 random characters. */
const MAX_GENERATE_PREFIX = 58;

/** `prefix` (truncated to 58 characters) plus 5 random characters, as upstream names.go. */
export function generateName(prefix: string, random: () => number = Math.random): string {
  let out = prefix.length > MAX_GENERATE_PREFIX ? prefix.slice(0, MAX_GENERATE_PREFIX) : prefix;
  for (let i = 0; i < 5; i++) out += NAME_ALPHABET[Math.floor(random() * NAME_ALPHABET.length)];
  return out;
}

/** Kinds whose create keeps the status sent (upstream's nodeStrategy "allows all fields"). */
function keepsStatusOnCreate(def: ResourceDef): boolean {
  return def.group === "" && def.resource === "nodes";
}

/** Options of {@linkcode prepareCreate}. */
export interface PrepareCreateOptions {
  readonly def: ResourceDef;
  readonly namespace: string;
  readonly nowMs: number;
  readonly uid?: string;
  /** The randomness of generated names. @default {Math.random} */
  readonly random?: () => number;
  /**
   * Called once the kind's defaults are applied, before its `prepareForCreate`: where
   * kube-apiserver records managedFields (after decoding and defaulting, before the strategy).
   */
  readonly onDefaulted?: (obj: KubeObject) => void;
}

/**
 * Sets what the server owns on a new object: namespace, uid, the name from `generateName` when
 * no name is given, creationTimestamp, generation; clears deletion fields and, for kinds with a
 * status subresource but Node, resets the status to `{}` (the kind's prepareForCreate adds
 * the zero fields Go would print). Then runs the kind's defaults and prepareForCreate, which so
 * see the final uid and name (a Job's generated selector and labels use both).
 *
 * To retry a create under another generated name, {@linkcode resetObject} the object to a copy
 * taken before and call this again: what the kind derived from the old name goes with it.
 */
export function prepareCreate(obj: KubeObject, options: PrepareCreateOptions): void {
  const { def } = options;
  const meta: ObjectMeta = obj.metadata ??= {};
  if (def.namespaced) meta.namespace = options.namespace;
  else delete meta.namespace;
  meta.uid = options.uid ?? crypto.randomUUID();
  if (!meta.name && meta.generateName) meta.name = generateName(meta.generateName, options.random);
  meta.creationTimestamp = rfc3339(options.nowMs);
  delete meta.deletionTimestamp;
  delete meta.deletionGracePeriodSeconds;
  delete meta.selfLink;
  delete meta.resourceVersion;
  if (def.tracksGeneration) meta.generation = 1;
  else delete meta.generation;
  // Upstream's strategies reset the status to its zero value, which Go serializes as `{}` plus
  // any field without omitempty; strategies add those (a ReplicaSet's `replicas: 0`). Nodes
  // keep theirs: a kubelet registers its node with its status.
  if (def.statusSubresource && !keepsStatusOnCreate(def)) obj.status = {};
  def.strategy.default?.(obj);
  options.onDefaulted?.(obj);
  def.strategy.prepareForCreate?.(obj);
}

/**
 * Makes `obj` a deep copy of `source` in place, keeping `obj`'s own metadata object (so
 * references to `obj.metadata` stay valid).
 */
export function resetObject(obj: KubeObject, source: KubeObject): void {
  const copy = structuredClone(source);
  const meta: ObjectMeta = obj.metadata ?? {};
  for (const k of Object.keys(meta)) delete (meta as Record<string, unknown>)[k];
  Object.assign(meta, copy.metadata ?? {});
  for (const k of Object.keys(obj)) delete obj[k];
  Object.assign(obj, copy, { metadata: meta });
}

/** The parts of an object that count for its generation: all but metadata and status. */
function specOf(obj: KubeObject, withAnnotations: boolean): unknown {
  const { metadata, status: _status, apiVersion: _a, kind: _k, ...rest } = obj;
  return withAnnotations ? { ...rest, annotations: metadata?.annotations ?? {} } : rest;
}

/** Options of {@linkcode prepareUpdate}. */
export interface PrepareUpdateOptions {
  readonly def: ResourceDef;
  /** `"status"` for writes through the status subresource. */
  readonly subresource: "" | "status";
  /** As {@linkcode PrepareCreateOptions.onDefaulted}: before `prepareFor(Status)Update`. */
  readonly onDefaulted?: (obj: KubeObject) => void;
}

/**
 * Carries over what the client may not change (uid when not sent, creationTimestamp, deletion
 * fields, managedFields when not sent), as upstream's `BeforeUpdate` does, then:
 *
 * - on a write through the status subresource: keeps the stored spec (every field but
 *   `metadata` and `status`) and generation, takes the status and the rest of the metadata from
 *   the request (as upstream's status strategies do; a kind that keeps more, like a
 *   Deployment's labels, does so in its `prepareForStatusUpdate`), and runs the kind's defaults
 *   and `prepareForStatusUpdate`;
 * - on a write of the main resource: keeps the stored status of kinds with a status
 *   subresource, runs the kind's defaults and `prepareForUpdate`, and bumps the generation when
 *   the spec changed.
 */
export function prepareUpdate(
  obj: KubeObject,
  options: PrepareUpdateOptions & { readonly old: KubeObject },
): void {
  const { def, old, subresource } = options;
  const meta: ObjectMeta = obj.metadata ??= {};
  const oldMeta = old.metadata ?? {};
  if (meta.uid === undefined && oldMeta.uid !== undefined) meta.uid = oldMeta.uid;
  // Changes to these are ignored, not refused; a deletion timestamp can never be removed.
  if (oldMeta.creationTimestamp !== undefined) meta.creationTimestamp = oldMeta.creationTimestamp;
  if (oldMeta.deletionTimestamp !== undefined) meta.deletionTimestamp = oldMeta.deletionTimestamp;
  if (
    meta.deletionGracePeriodSeconds === undefined &&
    oldMeta.deletionGracePeriodSeconds !== undefined
  ) {
    meta.deletionGracePeriodSeconds = oldMeta.deletionGracePeriodSeconds;
  }
  if (meta.managedFields === undefined && oldMeta.managedFields !== undefined) {
    meta.managedFields = oldMeta.managedFields;
  }
  delete meta.selfLink;
  if (subresource === "status") {
    const { status } = obj;
    for (const k of Object.keys(obj)) {
      if (k !== "apiVersion" && k !== "kind" && k !== "metadata") delete obj[k];
    }
    for (const [k, v] of Object.entries(old)) {
      if (k !== "metadata" && k !== "status" && k !== "apiVersion" && k !== "kind") {
        obj[k] = structuredClone(v);
      }
    }
    if (status !== undefined) obj.status = status;
    if (oldMeta.generation !== undefined) meta.generation = oldMeta.generation;
    else delete meta.generation;
    def.strategy.default?.(obj);
    options.onDefaulted?.(obj);
    def.strategy.prepareForStatusUpdate?.(obj, old);
    return;
  }
  if (def.statusSubresource) {
    if (old.status === undefined) delete obj.status;
    else obj.status = structuredClone(old.status);
  }
  def.strategy.default?.(obj);
  options.onDefaulted?.(obj);
  def.strategy.prepareForUpdate?.(obj, old);
  const m = obj.metadata!;
  if (def.tracksGeneration) {
    const withAnnotations = def.strategy.generationIncludesAnnotations === true;
    const gen = oldMeta.generation ?? 1;
    m.generation = jsonEqual(specOf(obj, withAnnotations), specOf(old, withAnnotations))
      ? gen
      : gen + 1;
  } else if (oldMeta.generation !== undefined) {
    m.generation = oldMeta.generation;
  } else {
    delete m.generation;
  }
}

/** Every validation error of a new object: schema, metadata, then the kind's own. */
export function validateCreate(obj: KubeObject, def: ResourceDef): FieldError[] {
  return [
    ...validateObjectMeta(obj.metadata ?? {}, {
      namespaced: def.namespaced,
      nameRule: def.strategy.nameRule ?? "subdomain",
    }),
    ...validateSchema(def.schema, obj),
    ...(def.strategy.validate?.(obj) ?? []),
    ...(def.strategy.validateCreate?.(obj) ?? []),
  ];
}

/** The kind's warnings for a new object (upstream's `WarningsOnCreate`). */
export function createWarnings(obj: KubeObject, def: ResourceDef): string[] {
  return def.strategy.warnings?.(obj) ?? [];
}

/**
 * The kind's warnings for an update (upstream's `WarningsOnUpdate`); writes through the status
 * subresource have none (upstream's status strategies return none for the kinds skiff serves).
 */
export function updateWarnings(
  obj: KubeObject,
  options: { readonly def: ResourceDef; readonly old: KubeObject; readonly subresource: string },
): string[] {
  if (options.subresource === "status") return [];
  return options.def.strategy.warnings?.(obj, options.old) ?? [];
}

/** Every validation error of an update. */
export function validateUpdate(
  obj: KubeObject,
  options: { readonly def: ResourceDef; readonly old: KubeObject; readonly subresource: string },
): FieldError[] {
  const { def, old } = options;
  const errs = [
    ...validateObjectMeta(obj.metadata ?? {}, {
      namespaced: def.namespaced,
      nameRule: def.strategy.nameRule ?? "subdomain",
    }),
    ...validateObjectMetaUpdate(obj.metadata ?? {}, old.metadata ?? {}),
    ...validateSchema(def.schema, obj),
  ];
  if (options.subresource === "status") {
    errs.push(...(def.strategy.validateStatusUpdate?.(obj, old) ?? []));
  } else {
    errs.push(...(def.strategy.validate?.(obj) ?? []));
    errs.push(...(def.strategy.validateUpdate?.(obj, old) ?? []));
  }
  return errs;
}

/** Whether two versions of an object are the same, ignoring resourceVersion. */
export function sameObject(a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject) => ({
    ...o,
    metadata: { ...(o.metadata ?? {}), resourceVersion: undefined },
  });
  return jsonEqual(strip(a), strip(b));
}
