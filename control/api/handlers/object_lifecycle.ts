/**
 * The generic parts of create and update that every kind shares, as kube-apiserver's
 * `BeforeCreate`/`BeforeUpdate` do: server-set metadata (uid, creationTimestamp, name from
 * generateName), the spec/status split of kinds with a status subresource, generation
 * tracking, and the validation every object goes through (schema, metadata, strategy).
 *
 * @module
 */
import { validateSchema } from "../codec/validate_schema.ts";
import type { ResourceDef } from "../registry/resource_def.ts";
import type { KubeObject, ObjectMeta } from "../types/meta_v1.ts";
import { jsonEqual } from "../util/json_value.ts";
import type { FieldError } from "../validation/field_errors.ts";
import { validateObjectMeta, validateObjectMetaUpdate } from "../validation/object_meta.ts";

/** RFC 3339 with seconds precision and `Z`, as `metav1.Time` serializes. */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

const NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";
/** The longest generateName prefix kept: 63 − 5 random characters. */
const MAX_GENERATE_PREFIX = 58;

/** `prefix` (truncated to 58 characters) plus 5 random characters, as upstream names.go. */
export function generateName(prefix: string, random: () => number = Math.random): string {
  let out = prefix.length > MAX_GENERATE_PREFIX ? prefix.slice(0, MAX_GENERATE_PREFIX) : prefix;
  for (let i = 0; i < 5; i++) out += NAME_ALPHABET[Math.floor(random() * NAME_ALPHABET.length)];
  return out;
}

/** Options of {@linkcode prepareCreate}. */
export interface PrepareCreateOptions {
  readonly def: ResourceDef;
  readonly namespace: string;
  readonly nowMs: number;
  readonly uid?: string;
}

/**
 * Sets what the server owns on a new object: namespace, uid, creationTimestamp, generation;
 * clears deletion fields and, for kinds with a status subresource, the status. Then runs the
 * kind's defaults and prepareForCreate.
 */
export function prepareCreate(obj: KubeObject, options: PrepareCreateOptions): void {
  const { def } = options;
  const meta: ObjectMeta = obj.metadata ??= {};
  if (def.namespaced) meta.namespace = options.namespace;
  else delete meta.namespace;
  meta.uid = options.uid ?? crypto.randomUUID();
  meta.creationTimestamp = rfc3339(options.nowMs);
  delete meta.deletionTimestamp;
  delete meta.deletionGracePeriodSeconds;
  delete meta.selfLink;
  delete meta.resourceVersion;
  if (def.tracksGeneration) meta.generation = 1;
  else delete meta.generation;
  if (def.statusSubresource) delete obj.status;
  def.strategy.default?.(obj);
  def.strategy.prepareForCreate?.(obj);
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
}

/**
 * Carries over what the client may not change (uid, creationTimestamp, deletion fields,
 * generation, managedFields when not sent), splits spec and status by subresource, runs the
 * kind's defaults and prepareForUpdate, and bumps the generation when the spec changed.
 */
export function prepareUpdate(
  obj: KubeObject,
  options: PrepareUpdateOptions & { readonly old: KubeObject },
): void {
  const { def, old, subresource } = options;
  const meta: ObjectMeta = obj.metadata ??= {};
  const oldMeta = old.metadata ?? {};
  const keep = [
    "uid",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
  ] as const;
  for (const f of keep) {
    if (meta[f] === undefined && oldMeta[f] !== undefined) {
      (meta as Record<string, unknown>)[f] = oldMeta[f];
    }
  }
  if (meta.managedFields === undefined && oldMeta.managedFields !== undefined) {
    meta.managedFields = oldMeta.managedFields;
  }
  delete meta.selfLink;
  if (subresource === "status") {
    // A status write changes the status (and labels and annotations), nothing else.
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
    const labels = meta.labels;
    const annotations = meta.annotations;
    obj.metadata = { ...structuredClone(oldMeta) };
    if (labels !== undefined) obj.metadata.labels = labels;
    else delete obj.metadata.labels;
    if (annotations !== undefined) obj.metadata.annotations = annotations;
    else delete obj.metadata.annotations;
    obj.metadata.resourceVersion = meta.resourceVersion ?? "";
    if (meta.resourceVersion === undefined) delete obj.metadata.resourceVersion;
    return;
  }
  if (def.statusSubresource) {
    if (old.status === undefined) delete obj.status;
    else obj.status = structuredClone(old.status);
  }
  def.strategy.default?.(obj);
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
  ];
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
