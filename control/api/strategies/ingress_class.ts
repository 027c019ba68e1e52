/**
 * The strategy of `networking.k8s.io/v1` IngressClass: upstream `ValidateIngressClass` and
 * `ValidateIngressClassUpdate`.
 *
 * @module
 */
import type { KubeObject } from "../types/meta_v1.ts";
import type { IngressClass } from "../types/networking_v1.ts";
import {
  FieldError,
  FieldPath,
  forbidden,
  invalid,
  notSupported,
  required,
  tooLong,
} from "../validation/field_errors.ts";
import { validateImmutableField } from "../validation/immutable.ts";
import {
  isDns1123Label,
  isDns1123Subdomain,
  isDomainPrefixedPath,
  isValidPathSegmentName,
} from "../validation/names.ts";
import type { Strategy } from "./strategy.ts";

/** The longest `spec.controller`. */
export const MAX_CONTROLLER_LENGTH = 250;

const SCOPES = ["Cluster", "Namespace"];

/** Errors in an IngressClass (`validateIngressClassSpec`, beyond the schema). */
export function validateIngressClass(ingressClass: IngressClass): FieldError[] {
  const path = new FieldPath("spec");
  const errs: FieldError[] = [];
  const controller = ingressClass.spec?.controller ?? "";
  if (controller.length === 0) {
    errs.push(required(path.child("controller")));
  } else {
    if (controller.length > MAX_CONTROLLER_LENGTH) {
      errs.push(tooLong(path.child("controller"), MAX_CONTROLLER_LENGTH));
    }
    errs.push(...isDomainPrefixedPath(path.child("controller"), controller));
  }
  const params = ingressClass.spec?.parameters;
  if (params === undefined) return errs;
  const p = path.child("parameters");
  const each = (fp: FieldPath, value: string, details: string[]) =>
    details.forEach((detail) => errs.push(invalid(fp, { value, detail })));
  if (params.apiGroup !== undefined) {
    each(p.child("apiGroup"), params.apiGroup, isDns1123Subdomain(params.apiGroup));
  }
  if (!params.kind) errs.push(required(p.child("kind")));
  else each(p.child("kind"), params.kind, isValidPathSegmentName(params.kind));
  if (!params.name) errs.push(required(p.child("name")));
  else each(p.child("name"), params.name, isValidPathSegmentName(params.name));
  if (params.scope === undefined) {
    errs.push(required(p.child("scope")));
    return errs;
  }
  if (!SCOPES.includes(params.scope)) {
    errs.push(notSupported(p.child("scope"), { value: params.scope, supported: SCOPES }));
  } else if (params.scope === "Namespace") {
    if (params.namespace === undefined) {
      errs.push(required(p.child("namespace"), "`parameters.scope` is set to 'Namespace'"));
    } else {
      each(p.child("namespace"), params.namespace, isDns1123Label(params.namespace));
    }
  } else if (params.namespace !== undefined) {
    errs.push(forbidden(p.child("namespace"), "`parameters.scope` is set to 'Cluster'"));
  }
  return errs;
}

/** The IngressClass strategy. */
export const ingressClassStrategy: Strategy = {
  nameRule: "subdomain",
  validate(obj: KubeObject): FieldError[] {
    return validateIngressClass(obj as IngressClass);
  },
  validateUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
    return validateImmutableField((obj as IngressClass).spec?.controller ?? "", {
      old: (old as IngressClass).spec?.controller ?? "",
      path: new FieldPath("spec").child("controller"),
    });
  },
};
