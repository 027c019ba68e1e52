/**
 * `rbac.authorization.k8s.io/v1`: Role, ClusterRole, RoleBinding and ClusterRoleBinding. Field
 * numbers from upstream `k8s.io/api/rbac/v1/generated.proto`.
 *
 * @module
 */
import { LabelSelector, objectFields } from "./meta_v1.ts";
import { array, field, type Infer, object, requiredField, string } from "./schema.ts";

const RBAC = "io.k8s.api.rbac.v1";

/** The API group of RBAC, and of User and Group subjects. */
export const RBAC_GROUP = "rbac.authorization.k8s.io";

/** The subject kinds, in the order upstream lists them in its messages. */
export const SUBJECT_KINDS = ["ServiceAccount", "User", "Group"] as const;

/** The annotation that, set to "false", stops the API server reconciling a bootstrap role. */
export const ANNOTATION_AUTOUPDATE = "rbac.authorization.kubernetes.io/autoupdate";

/** What a rule allows. */
export const PolicyRule = object(`${RBAC}.PolicyRule`, {
  description:
    "Verbs allowed on resources (or non-resource URLs); says nothing about who or which namespace.",
  fields: {
    verbs: requiredField(array(string(), { listType: "atomic" }), {
      description: 'Verbs allowed on all the resources of the rule; "*" means all.',
      proto: 1,
    }),
    apiGroups: field(array(string(), { listType: "atomic" }), {
      description: 'API groups of the resources; "" is the core group, "*" all groups.',
      proto: 2,
    }),
    resources: field(array(string(), { listType: "atomic" }), {
      description: 'Resources (or resource/subresource) the rule applies to; "*" means all.',
      proto: 3,
    }),
    resourceNames: field(array(string(), { listType: "atomic" }), {
      description: "Names the rule is limited to; empty means all names.",
      proto: 4,
    }),
    nonResourceURLs: field(array(string(), { listType: "atomic" }), {
      description:
        'URL paths (e.g. "/healthz"; "*" only as the last segment) the rule applies to; only in ClusterRoles bound by ClusterRoleBindings.',
      proto: 5,
    }),
  },
});

/** Who a binding applies to. */
export const Subject = object(`${RBAC}.Subject`, {
  description: "A user, a group or a service account a binding grants a role to.",
  mapType: "atomic",
  fields: {
    kind: requiredField(string(), {
      description: "User, Group or ServiceAccount.",
      proto: 1,
    }),
    apiGroup: field(string(), {
      description:
        'API group of the subject: "" for ServiceAccount (the default), "rbac.authorization.k8s.io" for User and Group (the default).',
      proto: 2,
    }),
    name: requiredField(string(), { description: "Name of the subject.", proto: 3 }),
    namespace: field(string(), {
      description: "Namespace of a ServiceAccount subject; unset for users and groups.",
      proto: 4,
    }),
  },
});

/** The role a binding grants. */
export const RoleRef = object(`${RBAC}.RoleRef`, {
  description: "The role a binding grants.",
  mapType: "atomic",
  fields: {
    // Upstream's OpenAPI lists apiGroup as required, but the server defaults an empty one to
    // rbac.authorization.k8s.io, so a missing apiGroup is accepted here.
    apiGroup: field(string(), {
      description: "API group of the role: rbac.authorization.k8s.io (the default).",
      proto: 1,
      keepZero: true,
    }),
    kind: requiredField(string(), { description: "Role or ClusterRole.", proto: 2 }),
    name: requiredField(string(), { description: "Name of the role.", proto: 3 }),
  },
});

/** How a ClusterRole's rules are assembled from others. */
export const AggregationRule = object(`${RBAC}.AggregationRule`, {
  description: "Selects ClusterRoles whose rules a controller aggregates into this one.",
  fields: {
    clusterRoleSelectors: field(array(LabelSelector, { listType: "atomic" }), {
      description: "Selectors of ClusterRoles; the rules of those any selector matches are added.",
      proto: 1,
    }),
  },
});

/** A Role: rules in one namespace. */
export const Role = object(`${RBAC}.Role`, {
  description: "A set of rules in one namespace, granted by RoleBindings.",
  gvk: [{ group: "rbac.authorization.k8s.io", version: "v1", kind: "Role" }],
  fields: {
    ...objectFields,
    rules: field(array(PolicyRule, { listType: "atomic" }), {
      description: "The rules of the role.",
      proto: 2,
    }),
  },
});

/** A ClusterRole: rules across the cluster. */
export const ClusterRole = object(`${RBAC}.ClusterRole`, {
  description: "A cluster-wide set of rules, granted by RoleBindings or ClusterRoleBindings.",
  gvk: [{ group: "rbac.authorization.k8s.io", version: "v1", kind: "ClusterRole" }],
  fields: {
    ...objectFields,
    rules: field(array(PolicyRule, { listType: "atomic" }), {
      description: "The rules of the role; controller-managed when aggregationRule is set.",
      proto: 2,
    }),
    aggregationRule: field(AggregationRule, {
      description: "Builds the rules from other ClusterRoles; direct changes to rules are undone.",
      proto: 3,
    }),
  },
});

/** A RoleBinding: a role granted to subjects in one namespace. */
export const RoleBinding = object(`${RBAC}.RoleBinding`, {
  description:
    "Grants a Role of its namespace, or a ClusterRole limited to its namespace, to subjects.",
  gvk: [{ group: "rbac.authorization.k8s.io", version: "v1", kind: "RoleBinding" }],
  fields: {
    ...objectFields,
    subjects: field(array(Subject, { listType: "atomic" }), {
      description: "Who the role is granted to.",
      proto: 2,
    }),
    roleRef: requiredField(RoleRef, {
      description: "The Role or ClusterRole granted. Immutable.",
      proto: 3,
    }),
  },
});

/** A ClusterRoleBinding: a ClusterRole granted to subjects across the cluster. */
export const ClusterRoleBinding = object(`${RBAC}.ClusterRoleBinding`, {
  description: "Grants a ClusterRole to subjects in every namespace.",
  gvk: [{ group: "rbac.authorization.k8s.io", version: "v1", kind: "ClusterRoleBinding" }],
  fields: {
    ...objectFields,
    subjects: field(array(Subject, { listType: "atomic" }), {
      description: "Who the role is granted to.",
      proto: 2,
    }),
    roleRef: requiredField(RoleRef, {
      description: "The ClusterRole granted. Immutable.",
      proto: 3,
    }),
  },
});

/** TypeScript type of {@linkcode PolicyRule}. */
export type PolicyRule = Infer<typeof PolicyRule>;
/** TypeScript type of {@linkcode Subject}. */
export type Subject = Infer<typeof Subject>;
/** TypeScript type of {@linkcode RoleRef}. */
export type RoleRef = Infer<typeof RoleRef>;
/** TypeScript type of {@linkcode AggregationRule}. */
export type AggregationRule = Infer<typeof AggregationRule>;
/** TypeScript type of {@linkcode Role}. */
export type Role = Infer<typeof Role>;
/** TypeScript type of {@linkcode ClusterRole}. */
export type ClusterRole = Infer<typeof ClusterRole>;
/** TypeScript type of {@linkcode RoleBinding}. */
export type RoleBinding = Infer<typeof RoleBinding>;
/** TypeScript type of {@linkcode ClusterRoleBinding}. */
export type ClusterRoleBinding = Infer<typeof ClusterRoleBinding>;
