/**
 * The strategies of `rbac.authorization.k8s.io/v1` Role, ClusterRole, RoleBinding and
 * ClusterRoleBinding: upstream's RBAC defaults and validation. Names only need to be valid
 * path segments.
 *
 * Upstream tolerates, on update, selector label values the stored object already had invalid;
 * skiff's {@linkcode Strategy.validate} cannot see the stored object, so it does not.
 *
 * Escalation checks (creating a role or binding needs the permissions it grants, or the
 * `escalate`/`bind` verbs) need the authorizer and are the handler's part.
 *
 * @module
 */
import type { KubeObject } from "../types/meta_v1.ts";
import {
  type ClusterRole,
  type ClusterRoleBinding,
  type PolicyRule,
  RBAC_GROUP,
  type Role,
  type RoleBinding,
  type RoleRef,
  type Subject,
  SUBJECT_KINDS,
} from "../types/rbac_v1.ts";
import {
  FieldError,
  FieldPath,
  invalid,
  notSupported,
  required,
} from "../validation/field_errors.ts";
import { goQuote, goStruct, invalidGo } from "../validation/go_format.ts";
import { isDns1123Subdomain, isValidPathSegmentName } from "../validation/names.ts";
import { validateLabelSelector } from "../validation/selector_validation.ts";
import type { Strategy } from "./strategy.ts";

/** Errors in one rule (`ValidatePolicyRule`); `namespaced` for rules of a Role. */
export function validatePolicyRule(
  rule: PolicyRule,
  options: { readonly path: FieldPath; readonly namespaced: boolean },
): FieldError[] {
  const path = options.path;
  const errs: FieldError[] = [];
  if ((rule.verbs ?? []).length === 0) {
    errs.push(required(path.child("verbs"), "verbs must contain at least one value"));
  }
  const urls = rule.nonResourceURLs ?? [];
  if (urls.length > 0) {
    if (options.namespaced) {
      errs.push(invalid(path.child("nonResourceURLs"), {
        value: urls,
        detail: "namespaced rules cannot apply to non-resource URLs",
      }));
    }
    if (
      (rule.apiGroups ?? []).length > 0 || (rule.resources ?? []).length > 0 ||
      (rule.resourceNames ?? []).length > 0
    ) {
      errs.push(invalid(path.child("nonResourceURLs"), {
        value: urls,
        detail: "rules cannot apply to both regular resources and non-resource URLs",
      }));
    }
    return errs;
  }
  if ((rule.apiGroups ?? []).length === 0) {
    errs.push(
      required(path.child("apiGroups"), "resource rules must supply at least one api group"),
    );
  }
  if ((rule.resources ?? []).length === 0) {
    errs.push(
      required(path.child("resources"), "resource rules must supply at least one resource"),
    );
  }
  if ((rule.resourceNames ?? []).length > 0 && (rule.resources ?? []).length > 1) {
    errs.push(
      required(path.child("resourceNames"), "resource names cannot apply to multiple resources"),
    );
  }
  return errs;
}

function validateRules(rules: PolicyRule[] | undefined, namespaced: boolean): FieldError[] {
  return (rules ?? []).flatMap((rule, i) =>
    validatePolicyRule(rule, { path: new FieldPath("rules").index(i), namespaced })
  );
}

/** Errors in a ClusterRole's aggregation rule. */
function validateAggregation(role: ClusterRole): FieldError[] {
  const rule = role.aggregationRule;
  if (rule === undefined || rule === null) return [];
  const path = new FieldPath("aggregationRule").child("clusterRoleSelectors");
  const selectors = rule.clusterRoleSelectors ?? [];
  const errs: FieldError[] = [];
  if (selectors.length === 0) {
    errs.push(
      required(path, "at least one clusterRoleSelector required if aggregationRule is non-nil"),
    );
  }
  selectors.forEach((selector, i) => {
    const p = path.index(i);
    const selectorErrs = validateLabelSelector(selector, { path: p });
    errs.push(...selectorErrs);
    // Upstream also converts the selector, which fails exactly when these checks do.
    if (selectorErrs.length > 0) {
      errs.push(invalid(p, { value: "null", detail: "invalid label selector." }));
    }
  });
  return errs;
}

function validateSubject(
  subject: Subject,
  options: { path: FieldPath; namespaced: boolean },
): FieldError[] {
  const path = options.path;
  const errs: FieldError[] = [];
  const name = subject.name ?? "";
  const apiGroup = subject.apiGroup ?? "";
  if (name.length === 0) errs.push(required(path.child("name")));
  switch (subject.kind) {
    case "ServiceAccount":
      if (name.length > 0) {
        for (const detail of isDns1123Subdomain(name)) {
          errs.push(invalid(path.child("name"), { value: name, detail }));
        }
      }
      if (apiGroup.length > 0) {
        errs.push(notSupported(path.child("apiGroup"), { value: apiGroup, supported: [""] }));
      }
      if (!options.namespaced && !subject.namespace) errs.push(required(path.child("namespace")));
      break;
    case "User":
    case "Group":
      if (name.length === 0) {
        errs.push(invalid(path.child("name"), {
          value: name,
          detail: `${subject.kind === "User" ? "user" : "group"} name cannot be empty`,
        }));
      }
      if (apiGroup !== RBAC_GROUP) {
        errs.push(
          notSupported(path.child("apiGroup"), { value: apiGroup, supported: [RBAC_GROUP] }),
        );
      }
      break;
    default:
      errs.push(
        notSupported(path.child("kind"), { value: subject.kind, supported: SUBJECT_KINDS }),
      );
  }
  return errs;
}

function validateBinding(
  binding: RoleBinding | ClusterRoleBinding,
  namespaced: boolean,
): FieldError[] {
  const errs: FieldError[] = [];
  const ref: Partial<RoleRef> = binding.roleRef ?? {};
  const refPath = new FieldPath("roleRef");
  if ((ref.apiGroup ?? "") !== RBAC_GROUP) {
    errs.push(notSupported(refPath.child("apiGroup"), {
      value: ref.apiGroup ?? "",
      supported: [RBAC_GROUP],
    }));
  }
  const kinds = namespaced ? ["Role", "ClusterRole"] : ["ClusterRole"];
  if (!kinds.includes(ref.kind ?? "")) {
    errs.push(notSupported(refPath.child("kind"), { value: ref.kind ?? "", supported: kinds }));
  }
  if (!ref.name) {
    errs.push(required(refPath.child("name")));
  } else {
    for (const detail of isValidPathSegmentName(ref.name)) {
      errs.push(invalid(refPath.child("name"), { value: ref.name, detail }));
    }
  }
  (binding.subjects ?? []).forEach((s, i) => {
    errs.push(...validateSubject(s, { path: new FieldPath("subjects").index(i), namespaced }));
  });
  return errs;
}

function roleRefUnchanged(binding: KubeObject, old: KubeObject): FieldError[] {
  const ref: Partial<RoleRef> = (binding as RoleBinding).roleRef ?? {};
  const oldRef: Partial<RoleRef> = (old as RoleBinding).roleRef ?? {};
  const same = (ref.apiGroup ?? "") === (oldRef.apiGroup ?? "") &&
    (ref.kind ?? "") === (oldRef.kind ?? "") && (ref.name ?? "") === (oldRef.name ?? "");
  if (same) return [];
  return [
    invalidGo("roleRef", {
      text: goStruct("rbac.RoleRef", [
        ["APIGroup", goQuote(ref.apiGroup ?? "")],
        ["Kind", goQuote(ref.kind ?? "")],
        ["Name", goQuote(ref.name ?? "")],
      ]),
      detail: "cannot change roleRef",
    }),
  ];
}

/** Upstream's binding defaults: the RBAC group on roleRef, User and Group subjects. */
function defaultBinding(obj: KubeObject): void {
  const binding = obj as RoleBinding;
  if (binding.roleRef !== undefined && !binding.roleRef.apiGroup) {
    binding.roleRef.apiGroup = RBAC_GROUP;
  }
  for (const s of binding.subjects ?? []) {
    if (s.apiGroup) continue;
    if (s.kind === "ServiceAccount") s.apiGroup = "";
    else if (s.kind === "User" || s.kind === "Group") s.apiGroup = RBAC_GROUP;
  }
}

/** The Role strategy. */
export const roleStrategy: Strategy = {
  nameRule: "pathSegment",
  validate(obj: KubeObject): FieldError[] {
    return validateRules((obj as Role).rules, true);
  },
};

/** The ClusterRole strategy. */
export const clusterRoleStrategy: Strategy = {
  nameRule: "pathSegment",
  validate(obj: KubeObject): FieldError[] {
    const role = obj as ClusterRole;
    return [...validateRules(role.rules, false), ...validateAggregation(role)];
  },
};

/** The RoleBinding strategy. */
export const roleBindingStrategy: Strategy = {
  nameRule: "pathSegment",
  default: defaultBinding,
  validate(obj: KubeObject): FieldError[] {
    return validateBinding(obj as RoleBinding, true);
  },
  validateUpdate: roleRefUnchanged,
};

/** The ClusterRoleBinding strategy. */
export const clusterRoleBindingStrategy: Strategy = {
  nameRule: "pathSegment",
  default: defaultBinding,
  validate(obj: KubeObject): FieldError[] {
    return validateBinding(obj as ClusterRoleBinding, false);
  },
  validateUpdate: roleRefUnchanged,
};
