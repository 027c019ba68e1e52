/**
 * `metadata.managedFields` ⇄ field sets, as kube-apiserver encodes them: one entry per
 * manager identity — manager, operation, subresource and, for `Update` entries, the API
 * version (an applier keeps one entry across versions) — with `fieldsType: FieldsV1`, the set
 * as `fieldsV1`, and the time of the manager's last change. Entries come out sorted: `Apply`
 * before `Update`, then oldest first, then by manager, API version and subresource.
 *
 * Decoding checks each entry as upstream does (operation, apiVersion, fieldsType, fieldsV1)
 * and fails on the first bad one; the caller then falls back to the stored entries.
 *
 * @example Round-trip one entry
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeManagedFields, encodeManagedFields } from "./managed_fields.ts";
 *
 * const entry = {
 *   manager: "kubectl",
 *   operation: "Apply",
 *   apiVersion: "apps/v1",
 *   time: "2025-01-01T00:00:00Z",
 *   fieldsType: "FieldsV1",
 *   fieldsV1: { "f:spec": { "f:replicas": {} } },
 * };
 * assert.deepEqual(encodeManagedFields(decodeManagedFields([entry])), [entry]);
 * ```
 *
 * @module
 */
import type { ManagedFieldsEntry } from "../types/meta_v1.ts";
import { FieldSet } from "./field_set.ts";
import type { ManagedFieldSets } from "./updater.ts";
import { validateFieldManager } from "./manager_name.ts";
import { type FieldError, invalid, tooLong } from "../validation/field_errors.ts";

/** The longest subresource name in an entry. */
const MAX_SUBRESOURCE_LENGTH = 256;

/** The decoded managed fields of an object: sets and last-change times by manager identity. */
export interface Managed {
  readonly fields: ManagedFieldSets;
  readonly times: Map<string, string | undefined>;
}

/** Empty managed fields. */
export function emptyManaged(): Managed {
  return { fields: new Map(), times: new Map() };
}

/** The parts of an entry that identify its manager. */
export interface ManagerIdentity {
  readonly manager?: string | undefined;
  readonly operation: "Apply" | "Update";
  readonly apiVersion?: string | undefined;
  readonly subresource?: string | undefined;
}

/**
 * The identity key of a manager (upstream's JSON of the entry without time and fields, and
 * without the API version for appliers).
 */
export function managerIdentifier(id: ManagerIdentity): string {
  const o: Record<string, string> = {};
  if (id.manager) o.manager = id.manager;
  o.operation = id.operation;
  if (id.operation !== "Apply" && id.apiVersion) o.apiVersion = id.apiVersion;
  if (id.subresource) o.subresource = id.subresource;
  return JSON.stringify(o);
}

/** The identity a {@linkcode managerIdentifier} stands for. */
export function parseManagerIdentifier(id: string): ManagerIdentity {
  const o = JSON.parse(id) as Record<string, string>;
  return {
    manager: o.manager,
    operation: o.operation === "Apply" ? "Apply" : "Update",
    apiVersion: o.apiVersion,
    subresource: o.subresource,
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Thrown when managed fields do not decode (upstream's messages). */
export class ManagedFieldsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ManagedFieldsError";
  }
}

/** Decodes `metadata.managedFields`; throws {@linkcode ManagedFieldsError}. */
export function decodeManagedFields(entries: unknown): Managed {
  const managed = emptyManaged();
  if (entries === undefined || entries === null) return managed;
  if (!Array.isArray(entries)) throw new ManagedFieldsError("managedFields must be a list");
  entries.forEach((e: unknown, i) => {
    if (!isObject(e)) throw new ManagedFieldsError(`managed fields entry ${i} is not an object`);
    const operation = e.operation;
    if (operation !== "Apply" && operation !== "Update") {
      throw new ManagedFieldsError("operation must be `Apply` or `Update`");
    }
    if (typeof e.apiVersion !== "string" || e.apiVersion === "") {
      throw new ManagedFieldsError("apiVersion must not be empty");
    }
    if (e.fieldsType === undefined || e.fieldsType === "") {
      throw new ManagedFieldsError(`missing fieldsType in managed fields entry ${i}`);
    }
    if (e.fieldsType !== "FieldsV1") {
      throw new ManagedFieldsError(
        `invalid fieldsType ${JSON.stringify(e.fieldsType)} in managed fields entry ${i}`,
      );
    }
    let set: FieldSet;
    try {
      set = FieldSet.fromFieldsV1(e.fieldsV1);
    } catch (err) {
      throw new ManagedFieldsError(
        `error decoding versioned set from entry ${i}: ${(err as Error).message}`,
      );
    }
    const manager = typeof e.manager === "string" ? e.manager : undefined;
    const subresource = typeof e.subresource === "string" ? e.subresource : undefined;
    const id = managerIdentifier({ manager, operation, apiVersion: e.apiVersion, subresource });
    managed.fields.set(id, {
      set,
      apiVersion: e.apiVersion,
      applied: operation === "Apply",
    });
    managed.times.set(id, typeof e.time === "string" ? e.time : undefined);
  });
  return managed;
}

function seconds(time: string | undefined): number {
  if (time === undefined) return 0;
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Encodes managed fields as `metadata.managedFields` entries, sorted as upstream sorts them. */
export function encodeManagedFields(managed: Managed): ManagedFieldsEntry[] {
  const out: ManagedFieldsEntry[] = [];
  for (const [id, vs] of managed.fields) {
    const who = parseManagerIdentifier(id);
    const e: ManagedFieldsEntry = {};
    if (who.manager) e.manager = who.manager;
    e.operation = vs.applied ? "Apply" : who.operation;
    e.apiVersion = vs.apiVersion;
    const time = managed.times.get(id);
    if (time !== undefined) e.time = time;
    e.fieldsType = "FieldsV1";
    e.fieldsV1 = vs.set.toFieldsV1();
    if (who.subresource) e.subresource = who.subresource;
    out.push(e);
  }
  return sortManagedFields(out);
}

/** Sorts entries as upstream: operation, time (seconds), manager, API version, subresource. */
export function sortManagedFields(entries: ManagedFieldsEntry[]): ManagedFieldsEntry[] {
  return entries.sort((p, q) =>
    compareText(p.operation ?? "", q.operation ?? "") ||
    seconds(p.time) - seconds(q.time) ||
    compareText(p.manager ?? "", q.manager ?? "") ||
    compareText(p.apiVersion ?? "", q.apiVersion ?? "") ||
    compareText(p.subresource ?? "", q.subresource ?? "")
  );
}

/** Upstream's `ValidateManagedFields` of `metadata.managedFields`. */
export function validateManagedFields(entries: readonly ManagedFieldsEntry[]): FieldError[] {
  const errs: FieldError[] = [];
  entries.forEach((e, i) => {
    const at = `metadata.managedFields[${i}]`;
    if (e.operation !== "Apply" && e.operation !== "Update") {
      errs.push(invalid(`${at}.operation`, {
        value: e.operation ?? "",
        detail: "must be `Apply` or `Update`",
      }));
    }
    if (e.fieldsType && e.fieldsType !== "FieldsV1") {
      errs.push(invalid(`${at}.fieldsType`, { value: e.fieldsType, detail: "must be `FieldsV1`" }));
    }
    errs.push(...validateFieldManager(e.manager ?? "", `${at}.manager`));
    if ((e.subresource ?? "").length > MAX_SUBRESOURCE_LENGTH) {
      errs.push(tooLong(`${at}.subresource`, MAX_SUBRESOURCE_LENGTH));
    }
  });
  return errs;
}
