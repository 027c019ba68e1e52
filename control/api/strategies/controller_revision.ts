/**
 * The ControllerRevision strategy (`apps/v1`): `ValidateControllerRevision` (data is required,
 * revision is not negative) and `ValidateControllerRevisionUpdate` (data never changes).
 *
 * @module
 */
import type { ControllerRevision } from "../types/apps_v1.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import { type FieldError, FieldPath, required } from "../validation/field_errors.ts";
import { goStruct } from "../validation/go_format.ts";
import { validateImmutableField } from "../validation/immutable.ts";
import { validateNonnegativeField } from "../validation/numbers.ts";
import type { Strategy } from "./strategy.ts";

const DATA = new FieldPath("data");

/**
 * The data as Go prints the internal `runtime.Unknown` it decodes to:
 * `runtime.Unknown{TypeMeta:runtime.TypeMeta{APIVersion:"", Kind:""}, Raw:[]uint8{0x7b, …}, …}`.
 */
function goUnknown(data: unknown): string {
  const bytes = new TextEncoder().encode(JSON.stringify(data) ?? "null");
  const raw = `[]uint8{${[...bytes].map((b) => `0x${b.toString(16)}`).join(", ")}}`;
  return goStruct("runtime.Unknown", [
    ["TypeMeta", goStruct("runtime.TypeMeta", [["APIVersion", '""'], ["Kind", '""']])],
    ["Raw", raw],
    ["ContentEncoding", '""'],
    ["ContentType", '"application/json"'],
  ]);
}

/** Errors in a ControllerRevision (`ValidateControllerRevision`), beyond the schema's. */
export function validateControllerRevision(revision: ControllerRevision): FieldError[] {
  const errs: FieldError[] = [];
  if (revision.data === undefined || revision.data === null) {
    errs.push(required(DATA, "data is mandatory"));
  }
  errs.push(...validateNonnegativeField(revision.revision, new FieldPath("revision")));
  return errs;
}

/** The ControllerRevision strategy. */
export const controllerRevisionStrategy: Strategy = {
  validate(obj: KubeObject): FieldError[] {
    return validateControllerRevision(obj as ControllerRevision);
  },
  validateUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
    const data = (obj as ControllerRevision).data;
    return validateImmutableField(data, {
      old: (old as ControllerRevision).data,
      path: DATA,
      text: data === undefined || data === null ? "null" : goUnknown(data),
    });
  },
};
