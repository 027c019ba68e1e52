/**
 * managedFields for every write of one kind through one endpoint (the main resource or a
 * subresource), as kube-apiserver's field manager keeps them:
 *
 * - {@linkcode FieldManager.update}, for creates, updates and non-apply patches: the writer
 *   (`fieldManager`, or the User-Agent's prefix) becomes the owner of what it added or changed
 *   in an `Update` entry of its API version (merged with its earlier one, timestamped when it
 *   changed anything); others lose those fields and what the write removed. managedFields a
 *   client sends are taken when they decode (that is how they are edited), ignored when they do
 *   not or come through a subresource, and an empty list (or one empty entry) resets them — an
 *   object without managedFields stays so until its next apply. At most 10 `Update` entries
 *   are kept; older ones merge into `ancient-changes`.
 * - {@linkcode FieldManager.apply}, for server-side apply: the configuration is merged into the
 *   live object (an object without managedFields first gets a `before-first-apply` entry for
 *   what it has), fields the manager no longer applies are removed unless someone else owns
 *   them, and conflicts fail with a 409 unless forced. For the `kubectl` manager, conflicts on
 *   fields whose live value is still what the client-side apply annotation says are taken
 *   over (kubectl's migration from client-side apply), and that annotation is kept up to date.
 *
 * What no manager owns: `apiVersion`, `kind`, `metadata.name`, `namespace`, `uid`,
 * `resourceVersion`, `generation`, `creationTimestamp`, `managedFields`; the `status` of a
 * main-resource write to a kind with a status subresource; everything but the status (and
 * metadata) of a status write.
 *
 * @example Record a create and an update
 * ```ts
 * import assert from "node:assert/strict";
 * import { FieldManager } from "./field_manager.ts";
 * import { ConfigMap } from "../types/core_v1_config.ts";
 * import type { KubeObject } from "../types/meta_v1.ts";
 *
 * const fm = new FieldManager({ schema: ConfigMap, group: "", version: "v1", kind: "ConfigMap" });
 * const cm: KubeObject = { metadata: { name: "c", uid: "u" }, data: { a: "1" } };
 * fm.update(null, cm, { manager: "kubectl-create", nowMs: 0 });
 * assert.deepEqual(cm.metadata?.managedFields, [{
 *   manager: "kubectl-create",
 *   operation: "Update",
 *   apiVersion: "v1",
 *   time: "1970-01-01T00:00:00Z",
 *   fieldsType: "FieldsV1",
 *   fieldsV1: { "f:data": { ".": {}, "f:a": {} } },
 * }]);
 * ```
 *
 * @module
 */
import { formatTime } from "../../util/k8s_time.ts";
import { ApiError } from "../errors.ts";
import type { KubeObject, ManagedFieldsEntry } from "../types/meta_v1.ts";
import type { ObjectSchema } from "../types/schema.ts";
import { jsonEqual } from "../util/json_value.ts";
import { type Atom, atomOf } from "./schema_atoms.ts";
import {
  buildLastApplied,
  LAST_APPLIED_ANNOTATION,
  lastApplied,
  setLastApplied,
} from "./_last_applied.ts";
import { createdFieldsV1 } from "./_created_fields.ts";
import { zeroObject } from "./_zero_object.ts";
import { compareValues } from "./compare.ts";
import { conflictError } from "./conflict_error.ts";
import { FieldSet } from "./field_set.ts";
import {
  decodeManagedFields,
  emptyManaged,
  encodeManagedFields,
  type Managed,
  managerIdentifier,
} from "./managed_fields.ts";
import { fieldElement as f } from "./path_element.ts";
import { toFieldSet, validationErrorsText } from "./to_field_set.ts";
import { Conflicts, Updater } from "./updater.ts";

/** The temporary manager of the write in progress (upstream's "current-operation"). */
const CURRENT = "\u0000current-operation";
/** The manager of what an object had before its first apply. */
export const BEFORE_FIRST_APPLY = "before-first-apply";
/** The manager the oldest `Update` entries merge into beyond the cap. */
export const ANCIENT_CHANGES = "ancient-changes";
/** At most this many `Update` entries are kept. */
export const MAX_UPDATE_MANAGERS = 10;
/** The manager name kubectl's server-side apply uses. */
const KUBECTL = "kubectl";

/** Paths no manager ever owns. */
const STRIPPED = FieldSet.of(
  [f("apiVersion")],
  [f("kind")],
  [f("metadata")],
  ...["name", "namespace", "creationTimestamp", "selfLink", "uid", "clusterName", "generation"]
    .map((n) => [f("metadata"), f(n)]),
  [f("metadata"), f("managedFields")],
  [f("metadata"), f("resourceVersion")],
);

/** Options of {@linkcode FieldManager}. */
export interface FieldManagerOptions {
  /** The kind's schema. */
  readonly schema: ObjectSchema;
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  /** `""` for the main resource, else the subresource written through (`status`, `scale`). */
  readonly subresource?: string;
  /** The kind has a status subresource: main-resource writes own none of the status. */
  readonly statusSubresource?: boolean;
  /**
   * Objects are unstructured (custom resources): a create compares with an empty object, not
   * with a Go zero value, so it owns `spec` itself too.
   */
  readonly unstructured?: boolean;
}

/** Options of {@linkcode FieldManager.update}. */
export interface UpdateFieldsOptions {
  /** The writer (see `managerOrUserAgent`). */
  readonly manager: string;
  readonly nowMs: number;
}

/** Options of {@linkcode FieldManager.apply}. */
export interface ApplyFieldsOptions extends UpdateFieldsOptions {
  /** `force=true`: take conflicting fields. */
  readonly force: boolean;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `obj` without `metadata.managedFields` (a shallow copy). */
function withoutManagedFields(obj: KubeObject): KubeObject {
  const meta = obj.metadata;
  if (meta === undefined || meta.managedFields === undefined) return obj;
  const { managedFields: _m, ...rest } = meta;
  return { ...obj, metadata: rest };
}

/** Upstream's "reset" request: an empty list, or one empty entry. */
function isReset(entries: unknown): boolean {
  if (!Array.isArray(entries)) return false;
  if (entries.length === 0) return true;
  return entries.length === 1 && isObject(entries[0]) && Object.keys(entries[0]).length === 0;
}

function decodeOrEmpty(entries: unknown): Managed {
  try {
    return decodeManagedFields(entries);
  } catch {
    return emptyManaged();
  }
}

/** `group/version, Kind=kind` of an apiVersion and kind, as Go prints a GroupVersionKind. */
function gvkString(apiVersion: unknown, kind: unknown): string {
  const av = typeof apiVersion === "string" ? apiVersion : "";
  const parts = av.split("/");
  const [group, version] = parts.length === 1
    ? ["", parts[0]!]
    : parts.length === 2
    ? [parts[0]!, parts[1]!]
    : ["", ""];
  return `${group}/${version}, Kind=${typeof kind === "string" ? kind : ""}`;
}

/** Keeps managedFields for one kind and endpoint (see the module doc). */
export class FieldManager {
  readonly #atom: Atom;
  readonly #updater: Updater;
  readonly #group: string;
  readonly #version: string;
  readonly #kind: string;
  readonly #gv: string;
  readonly #subresource: string;
  /** What a create is compared with. */
  readonly #zero: Record<string, unknown>;
  /** Top-level fields no write through this endpoint owns (for the create fast path). */
  readonly #ignoredFields: ReadonlySet<string>;

  constructor(options: FieldManagerOptions) {
    this.#atom = atomOf(options.schema);
    this.#group = options.group;
    this.#version = options.version;
    this.#kind = options.kind;
    this.#gv = options.group ? `${options.group}/${options.version}` : options.version;
    this.#subresource = options.subresource ?? "";
    this.#zero = options.unstructured ? {} : zeroObject(options.schema);
    const ignore = new FieldSet();
    if (this.#subresource === "" && options.statusSubresource) ignore.insert([f("status")]);
    if (this.#subresource === "status") {
      for (const name of Object.keys(options.schema.fields)) {
        if (!["apiVersion", "kind", "metadata", "status"].includes(name)) ignore.insert([f(name)]);
      }
    }
    this.#updater = new Updater({ atom: this.#atom, ignore });
    this.#ignoredFields = new Set(
      this.#subresource === "" && options.statusSubresource ? ["status"] : [],
    );
  }

  #lastTime: [number, string] = [NaN, ""];

  /** RFC 3339 (seconds) of `ms`, remembering the last second formatted. */
  #time(ms: number): string {
    const second = Math.floor(ms / 1000);
    if (this.#lastTime[0] !== second) this.#lastTime = [second, formatTime(ms)];
    return this.#lastTime[1];
  }

  /** A create without managedFields of its own, in one walk; false when it cannot tell. */
  #recordCreate(obj: KubeObject, options: UpdateFieldsOptions): boolean {
    if (this.#subresource !== "") return false;
    const fields = createdFieldsV1(obj as Record<string, unknown>, {
      atom: this.#atom,
      zero: this.#zero,
      ignore: this.#ignoredFields,
    });
    if (fields === null) return false;
    if (fields !== undefined) {
      obj.metadata!.managedFields = [{
        ...(options.manager ? { manager: options.manager } : {}),
        operation: "Update",
        apiVersion: this.#gv,
        time: this.#time(options.nowMs),
        fieldsType: "FieldsV1",
        fieldsV1: fields,
      }];
    }
    return true;
  }

  /** The identifier of `manager`'s entry for `operation` through this endpoint. */
  #id(manager: string, operation: "Apply" | "Update"): string {
    return managerIdentifier({
      manager,
      operation,
      apiVersion: this.#gv,
      subresource: this.#subresource,
    });
  }

  /** Removes the never-owned paths from `manager`'s set (and the entry when nothing is left). */
  #strip(managed: Managed, manager: string): void {
    const vs = managed.fields.get(manager);
    if (vs === undefined) return;
    const set = vs.set.difference(STRIPPED);
    if (set.empty) managed.fields.delete(manager);
    else managed.fields.set(manager, { ...vs, set });
  }

  /** Merges the oldest `Update` entries into `ancient-changes` beyond the cap. */
  #cap(managed: Managed): void {
    const updaters = [...managed.fields].filter(([, vs]) => !vs.applied).map(([id]) => id);
    if (updaters.length <= MAX_UPDATE_MANAGERS) return;
    const secs = (id: string) => {
      const t = managed.times.get(id);
      const ms = t === undefined ? NaN : Date.parse(t);
      return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
    };
    updaters.sort((a, b) => secs(a) - secs(b) || (a < b ? -1 : a > b ? 1 : 0));
    const firstOfVersion = new Map<string, string>();
    for (
      let i = 0, length = updaters.length;
      i < updaters.length && length > MAX_UPDATE_MANAGERS;
      i++
    ) {
      const id = updaters[i]!;
      const vs = managed.fields.get(id)!;
      const time = managed.times.get(id);
      const bucket = managerIdentifier({
        manager: ANCIENT_CHANGES,
        operation: "Update",
        apiVersion: vs.apiVersion,
      });
      const first = firstOfVersion.get(vs.apiVersion);
      if (first === undefined) {
        firstOfVersion.set(vs.apiVersion, id);
        continue;
      }
      if (!managed.fields.has(bucket)) {
        managed.fields.set(bucket, managed.fields.get(first)!);
        managed.fields.delete(first);
      }
      managed.fields.set(bucket, {
        set: vs.set.union(managed.fields.get(bucket)!.set),
        apiVersion: vs.apiVersion,
        applied: vs.applied,
      });
      managed.fields.delete(id);
      length--;
      managed.times.set(bucket, time);
    }
  }

  /** A non-apply write from `live` to `next` by `manager` (upstream's Update chain). */
  #recordUpdate(
    managed: Managed,
    change: { live: unknown; next: unknown; manager: string; nowMs: number },
  ): void {
    const compare = this.#updater.compare(change.live, change.next);
    this.#recordCompared(managed, { compare, manager: change.manager, nowMs: change.nowMs });
  }

  #recordCompared(
    managed: Managed,
    o: { compare: ReturnType<Updater["compare"]>; manager: string; nowMs: number },
  ): void {
    this.#updater.updateCompared(o.compare, {
      version: this.#gv,
      managers: managed.fields,
      manager: CURRENT,
    });
    this.#strip(managed, CURRENT);
    const current = managed.fields.get(CURRENT);
    managed.fields.delete(CURRENT);
    if (current !== undefined) {
      const id = this.#id(o.manager, "Update");
      const previous = managed.fields.get(id);
      managed.fields.set(id, {
        set: previous ? current.set.union(previous.set) : current.set,
        apiVersion: this.#gv,
        applied: false,
      });
      managed.times.set(id, this.#time(o.nowMs));
    }
    this.#cap(managed);
  }

  /**
   * Records a create (`live` null), update or non-apply patch of `obj` in its
   * `metadata.managedFields`, in place.
   */
  update(live: KubeObject | null, obj: KubeObject, options: UpdateFieldsOptions): void {
    const meta = obj.metadata ??= {};
    const sent = meta.managedFields as unknown;
    delete meta.managedFields;
    const liveView = live ? withoutManagedFields(live) : this.#zero;
    const liveEntries = live?.metadata?.managedFields as unknown;
    let managed: Managed | null = null;
    let fromLive = false;
    if (this.#subresource !== "") {
      fromLive = true;
    } else if (isReset(sent)) {
      managed = emptyManaged();
    } else if (sent !== undefined && !(live && jsonEqual(sent, liveEntries))) {
      try {
        managed = decodeManagedFields(sent);
        if (managed.fields.size === 0) managed = null;
      } catch {
        managed = null;
      }
      fromLive = managed === null;
    } else {
      fromLive = true;
    }
    if (live === null && (managed === null || managed.fields.size === 0)) {
      if (this.#recordCreate(obj, options)) return;
    }
    const compare = this.#updater.compare(liveView, obj);
    if (fromLive) {
      if (live === null) {
        managed = emptyManaged();
      } else {
        const unchanged = compare.added.empty && compare.modified.empty && compare.removed.empty;
        if (unchanged) {
          // Nothing changed: the stored entries stand as they are.
          if (Array.isArray(liveEntries) && liveEntries.length > 0) {
            meta.managedFields = liveEntries as ManagedFieldsEntry[];
          }
          return;
        }
        managed = decodeOrEmpty(liveEntries);
      }
    }
    // An existing object without managedFields is not tracked until it is applied to.
    if (managed!.fields.size === 0 && live !== null) return;
    this.#recordCompared(managed!, { compare, manager: options.manager, nowMs: options.nowMs });
    const entries = encodeManagedFields(managed!);
    if (entries.length > 0) meta.managedFields = entries;
  }

  /**
   * Server-side apply of `config` to `live` (null: the object does not exist yet). Returns the
   * object to write, with its managedFields; throws the `ApiError` upstream answers: 400 for a
   * wrong kind or managedFields in the configuration, 500 for a configuration the schema does
   * not accept, 409 for conflicts.
   */
  apply(
    live: KubeObject | null,
    config: Record<string, unknown>,
    options: ApplyFieldsOptions,
  ): KubeObject {
    if (config.apiVersion !== this.#gv || config.kind !== this.#kind) {
      throw ApiError.badRequest(
        `invalid object type: ${gvkString(config.apiVersion, config.kind)}`,
      );
    }
    const configMeta = isObject(config.metadata) ? config.metadata : undefined;
    if (configMeta?.managedFields !== undefined && configMeta.managedFields !== null) {
      throw ApiError.badRequest("metadata.managedFields must be nil");
    }
    const { errors } = toFieldSet(config, { atom: this.#atom });
    if (errors.length > 0) {
      const ns = typeof configMeta?.namespace === "string" ? configMeta.namespace : "";
      const name = typeof configMeta?.name === "string" ? configMeta.name : "";
      throw new ApiError(
        `failed to create typed patch object (${ns}/${name}; ${this.#group}/${this.#version}, Kind=${this.#kind}): ${
          validationErrorsText(errors)
        }`,
        { code: 500, reason: "" },
      );
    }
    let managed: Managed;
    try {
      managed = decodeManagedFields(live?.metadata?.managedFields);
    } catch (err) {
      throw new ApiError(`failed to decode managed fields: ${(err as Error).message}`, {
        code: 500,
        reason: "",
      });
    }
    let object: KubeObject;
    try {
      object = this.#applyOnce(live, {
        config,
        managed,
        manager: options.manager,
        force: options.force,
        nowMs: options.nowMs,
      });
    } catch (err) {
      if (!(err instanceof Conflicts)) throw err;
      if (options.manager !== KUBECTL) throw conflictError(err.conflicts);
      // kubectl migrating from client-side apply: fields still as last applied are its own.
      const allowed = live ? this.#allowedConflicts(live) : null;
      if (allowed === null) throw conflictError(err.conflicts);
      const rest = err.conflicts.filter((c) => !allowed.has(c.path));
      if (rest.length > 0) throw conflictError(rest);
      object = this.#applyOnce(live, {
        config,
        managed,
        manager: options.manager,
        force: true,
        nowMs: options.nowMs,
      });
    }
    if (options.manager === KUBECTL && lastApplied(object) !== undefined) {
      setLastApplied(object as Record<string, unknown>, buildLastApplied(config));
    }
    const entries = encodeManagedFields(managed);
    const meta = object.metadata ??= {};
    if (entries.length > 0) meta.managedFields = entries;
    else delete meta.managedFields;
    return object;
  }

  #applyOnce(
    live: KubeObject | null,
    o: {
      config: Record<string, unknown>;
      managed: Managed;
      manager: string;
      force: boolean;
      nowMs: number;
    },
  ): KubeObject {
    const liveView = live ? withoutManagedFields(live) : null;
    if (o.managed.fields.size === 0 && liveView !== null) {
      this.#recordUpdate(o.managed, {
        live: this.#zero,
        next: liveView,
        manager: BEFORE_FIRST_APPLY,
        nowMs: o.nowMs,
      });
    }
    const id = this.#id(o.manager, "Apply");
    const { object } = this.#updater.apply(liveView, o.config, {
      version: this.#gv,
      managers: o.managed.fields,
      manager: id,
      force: o.force,
    });
    this.#strip(o.managed, id);
    if (object === null) return structuredClone(liveView ?? {}) as KubeObject;
    o.managed.times.set(id, this.#time(o.nowMs));
    return object as KubeObject;
  }

  /** The fields kubectl's last client-side apply set that still have the value it applied. */
  #allowedConflicts(live: KubeObject): FieldSet | null {
    const text = lastApplied(live);
    if (text === undefined) return null;
    let applied: unknown;
    try {
      applied = JSON.parse(text);
    } catch {
      return null;
    }
    if (!isObject(applied) || applied.apiVersion !== this.#gv) return null;
    const { set, errors } = toFieldSet(applied, { atom: this.#atom });
    if (errors.length > 0) return null;
    const c = compareValues({ before: applied, after: withoutManagedFields(live) }, this.#atom);
    return set.difference(c.modified).difference(c.added).difference(c.removed);
  }
}

/**
 * Reverts a write's new managedFields timestamps when nothing else changed (upstream's
 * `IgnoreManagedFieldsTimestampsTransformer`): then the write is a no-op and gets no new
 * resourceVersion.
 */
export function ignoreManagedFieldsTimestamps(obj: KubeObject, old: KubeObject): void {
  const now = obj.metadata?.managedFields;
  const before = old.metadata?.managedFields;
  if (now === before || !now || !before || now.length !== before.length) return;
  for (let i = 0; i < now.length; i++) {
    const { time: _a, ...x } = now[i]!;
    const { time: _b, ...y } = before[i]!;
    if (!jsonEqual(x, y)) return;
  }
  const { managedFields: _n, resourceVersion: _r1, ...a } = obj.metadata!;
  const { managedFields: _o, resourceVersion: _r2, ...b } = old.metadata!;
  if (!jsonEqual(a, b)) return;
  if (!jsonEqual({ ...obj, metadata: undefined }, { ...old, metadata: undefined })) return;
  obj.metadata!.managedFields = before;
}

export { LAST_APPLIED_ANNOTATION };
