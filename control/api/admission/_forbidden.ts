/**
 * The 403 an admission plugin answers with (upstream `admission.NewForbidden`): the resource
 * and the name of the object being admitted, then the plugin's reason —
 * `pods "web" is forbidden: <detail>`.
 *
 * @module
 */
import { ApiError, type GroupResource } from "../errors.ts";
import type { AdmissionAttributes } from "./admission.ts";

/**
 * The name upstream shows for the object of a request (`extractResourceName`): the admitted
 * object's name or generateName, else `Unknown` — also for a DELETE, which admits no object,
 * and for a subresource object without a name (a TokenRequest).
 */
export function admittedName(a: AdmissionAttributes): string {
  const meta = a.object?.metadata;
  return meta?.name || meta?.generateName || "Unknown";
}

/** `ApiError` 403 for `a`'s object with `detail` as the reason. */
export function admissionForbidden(a: AdmissionAttributes, detail: string): ApiError {
  return ApiError.forbidden({ group: a.def.group, resource: a.def.resource }, {
    name: admittedName(a),
    detail,
  });
}

/** Whether `a` is about the resource `gr` itself (no subresource). */
export function isResource(a: AdmissionAttributes, gr: GroupResource): boolean {
  return a.def.group === gr.group && a.def.resource === gr.resource && a.subresource === "";
}
