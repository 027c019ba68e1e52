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
 * The name upstream shows for the object of a request (`extractResourceName`): the request's
 * name when it has one — the object a DELETE or UPDATE names, the parent of a subresource (a
 * TokenRequest's ServiceAccount, as in `namespaces "default" is forbidden: this namespace may
 * not be deleted`) — else the admitted object's name or generateName, else `Unknown`.
 */
export function admittedName(a: AdmissionAttributes): string {
  if (a.name) return a.name;
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
