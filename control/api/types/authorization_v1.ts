/**
 * `authorization.k8s.io/v1`: SubjectAccessReview, SelfSubjectAccessReview,
 * LocalSubjectAccessReview and SelfSubjectRulesReview — questions to the authorizer. None of
 * these is stored: a create returns the request with its status filled in. Field numbers from
 * upstream `k8s.io/api/authorization/v1/generated.proto`.
 *
 * The status fields the server fills in are optional here even where upstream's OpenAPI marks
 * them required (`allowed`, `resourceRules`, …): clients send requests with an empty status,
 * and the upstream server never rejects those.
 *
 * @module
 */
import { LabelSelectorRequirement, objectFields } from "./meta_v1.ts";
import { array, boolean, field, type Infer, map, object, requiredField, string } from "./schema.ts";

const AUTHZ = "io.k8s.api.authorization.v1";

/**
 * One requirement of a field selector (`meta/v1` `FieldSelectorRequirement`), used by the
 * selector attributes of an access review.
 */
export const FieldSelectorRequirement = object(
  "io.k8s.apimachinery.pkg.apis.meta.v1.FieldSelectorRequirement",
  {
    description: "A requirement on one field: the field, an operator and values.",
    fields: {
      key: requiredField(string(), { description: "The field selector key.", proto: 1 }),
      operator: requiredField(string(), {
        description: "In, NotIn, Exists or DoesNotExist.",
        proto: 2,
      }),
      values: field(array(string(), { listType: "atomic" }), {
        description: "Values for In and NotIn (non-empty); empty for Exists and DoesNotExist.",
        proto: 3,
      }),
    },
  },
);

/** A field selector limiting a request. */
export const FieldSelectorAttributes = object(`${AUTHZ}.FieldSelectorAttributes`, {
  description:
    "The field selector a request is limited by, raw or parsed (not both); it can only narrow access.",
  fields: {
    rawSelector: field(string(), {
      description:
        "The selector as a query parameter would carry it; parsed when requirements are empty.",
      proto: 1,
    }),
    requirements: field(array(FieldSelectorRequirement, { listType: "atomic" }), {
      description: "The parsed selector: all requirements must hold.",
      proto: 2,
    }),
  },
});

/** A label selector limiting a request. */
export const LabelSelectorAttributes = object(`${AUTHZ}.LabelSelectorAttributes`, {
  description:
    "The label selector a request is limited by, raw or parsed (not both); it can only narrow access.",
  fields: {
    rawSelector: field(string(), {
      description:
        "The selector as a query parameter would carry it; parsed when requirements are empty.",
      proto: 1,
    }),
    requirements: field(array(LabelSelectorRequirement, { listType: "atomic" }), {
      description: "The parsed selector: all requirements must hold.",
      proto: 2,
    }),
  },
});

/** The attributes of a resource request. */
export const ResourceAttributes = object(`${AUTHZ}.ResourceAttributes`, {
  description: "A request on an API resource, as the authorizer sees it.",
  fields: {
    namespace: field(string(), {
      description:
        "Namespace of the request; empty is all namespaces for namespaced resources (and none for cluster-scoped ones).",
      proto: 1,
    }),
    verb: field(string(), {
      description: 'The API verb: get, list, watch, create, update, delete, proxy…; "*" means all.',
      proto: 2,
    }),
    group: field(string(), { description: 'API group of the resource; "*" means all.', proto: 3 }),
    version: field(string(), {
      description: 'API version of the resource; "*" means all.',
      proto: 4,
    }),
    resource: field(string(), { description: 'The resource; "*" means all.', proto: 5 }),
    subresource: field(string(), {
      description: 'The subresource; "" means none.',
      proto: 6,
    }),
    name: field(string(), {
      description: 'Name of the object for get, update or delete; "" means all.',
      proto: 7,
    }),
    fieldSelector: field(FieldSelectorAttributes, {
      description: "The field selector the request is limited by.",
      proto: 8,
    }),
    labelSelector: field(LabelSelectorAttributes, {
      description: "The label selector the request is limited by.",
      proto: 9,
    }),
  },
});

/** The attributes of a non-resource request. */
export const NonResourceAttributes = object(`${AUTHZ}.NonResourceAttributes`, {
  description: "A request on a non-resource URL, as the authorizer sees it.",
  fields: {
    path: field(string(), { description: "The URL path.", proto: 1 }),
    verb: field(string(), { description: "The HTTP verb, lowercase (get, post…).", proto: 2 }),
  },
});

/** The question of a SubjectAccessReview. */
export const SubjectAccessReviewSpec = object(`${AUTHZ}.SubjectAccessReviewSpec`, {
  description:
    "A request and the user making it; exactly one of resourceAttributes and nonResourceAttributes.",
  fields: {
    resourceAttributes: field(ResourceAttributes, {
      description: "A resource request.",
      proto: 1,
    }),
    nonResourceAttributes: field(NonResourceAttributes, {
      description: "A non-resource request.",
      proto: 2,
    }),
    user: field(string(), {
      description: "The user to check; with no groups, as a member of none.",
      proto: 3,
    }),
    groups: field(array(string(), { listType: "atomic" }), {
      description: "The groups to check.",
      proto: 4,
    }),
    extra: field(map(array(string(), { protoItems: 1 })), {
      description: "Extra attributes of the user, as an authenticator would provide them.",
      proto: 5,
    }),
    uid: field(string(), { description: "UID of the user.", proto: 6 }),
  },
});

/** The question of a SelfSubjectAccessReview. */
export const SelfSubjectAccessReviewSpec = object(`${AUTHZ}.SelfSubjectAccessReviewSpec`, {
  description:
    "A request by the caller; exactly one of resourceAttributes and nonResourceAttributes.",
  fields: {
    resourceAttributes: field(ResourceAttributes, {
      description: "A resource request.",
      proto: 1,
    }),
    nonResourceAttributes: field(NonResourceAttributes, {
      description: "A non-resource request.",
      proto: 2,
    }),
  },
});

/** The answer of an access review. */
export const SubjectAccessReviewStatus = object(`${AUTHZ}.SubjectAccessReviewStatus`, {
  description: "Whether the request would be allowed.",
  fields: {
    allowed: field(boolean(), {
      description: "The request would be allowed.",
      proto: 1,
      keepZero: true,
    }),
    denied: field(boolean(), {
      description:
        "The request would be denied; with neither allowed nor denied, the authorizer has no opinion.",
      proto: 4,
    }),
    reason: field(string(), {
      description: "Why the request would be allowed or denied.",
      proto: 2,
    }),
    evaluationError: field(string(), {
      description: "An error met while authorizing; the answer may still be meaningful despite it.",
      proto: 3,
    }),
  },
});

/** A SubjectAccessReview: may a given user do something? */
export const SubjectAccessReview = object(`${AUTHZ}.SubjectAccessReview`, {
  description: "Asks whether a user or group may perform an action.",
  gvk: [{ group: "authorization.k8s.io", version: "v1", kind: "SubjectAccessReview" }],
  fields: {
    ...objectFields,
    spec: requiredField(SubjectAccessReviewSpec, {
      description: "The request to evaluate.",
      proto: 2,
    }),
    status: field(SubjectAccessReviewStatus, {
      description: "The answer, filled in by the server.",
      proto: 3,
    }),
  },
});

/** A SelfSubjectAccessReview: may I do something? */
export const SelfSubjectAccessReview = object(`${AUTHZ}.SelfSubjectAccessReview`, {
  description:
    "Asks whether the caller may perform an action; an empty namespace means all namespaces.",
  gvk: [{ group: "authorization.k8s.io", version: "v1", kind: "SelfSubjectAccessReview" }],
  fields: {
    ...objectFields,
    spec: requiredField(SelfSubjectAccessReviewSpec, {
      description: "The request to evaluate.",
      proto: 2,
    }),
    status: field(SubjectAccessReviewStatus, {
      description: "The answer, filled in by the server.",
      proto: 3,
    }),
  },
});

/** A LocalSubjectAccessReview: may a given user do something in this namespace? */
export const LocalSubjectAccessReview = object(`${AUTHZ}.LocalSubjectAccessReview`, {
  description:
    "Asks whether a user or group may perform an action in the review's namespace; lets namespace admins be granted review rights.",
  gvk: [{ group: "authorization.k8s.io", version: "v1", kind: "LocalSubjectAccessReview" }],
  fields: {
    ...objectFields,
    spec: requiredField(SubjectAccessReviewSpec, {
      description:
        "The request to evaluate; spec.resourceAttributes.namespace must be the review's namespace (defaulted when empty).",
      proto: 2,
    }),
    status: field(SubjectAccessReviewStatus, {
      description: "The answer, filled in by the server.",
      proto: 3,
    }),
  },
});

/** The question of a SelfSubjectRulesReview. */
export const SelfSubjectRulesReviewSpec = object(`${AUTHZ}.SelfSubjectRulesReviewSpec`, {
  description: "The namespace to list the caller's rules in.",
  fields: {
    namespace: field(string(), { description: "The namespace to evaluate rules in.", proto: 1 }),
  },
});

/** What a subject may do on resources. */
export const ResourceRule = object(`${AUTHZ}.ResourceRule`, {
  description: "Actions allowed on resources; lists may repeat and be incomplete.",
  fields: {
    verbs: requiredField(array(string(), { listType: "atomic" }), {
      description: 'Allowed verbs; "*" means all.',
      proto: 1,
    }),
    apiGroups: field(array(string(), { listType: "atomic" }), {
      description: 'API groups of the resources; "*" means all.',
      proto: 2,
    }),
    resources: field(array(string(), { listType: "atomic" }), {
      description: 'Resources; "*" means all, "*/foo" subresource foo of all.',
      proto: 3,
    }),
    resourceNames: field(array(string(), { listType: "atomic" }), {
      description: 'Names the rule is limited to; empty or "*" means all.',
      proto: 4,
    }),
  },
});

/** What a subject may do on non-resource URLs. */
export const NonResourceRule = object(`${AUTHZ}.NonResourceRule`, {
  description: "Actions allowed on non-resource URLs.",
  fields: {
    verbs: requiredField(array(string(), { listType: "atomic" }), {
      description: 'Allowed verbs (get, post…); "*" means all.',
      proto: 1,
    }),
    nonResourceURLs: field(array(string(), { listType: "atomic" }), {
      description: 'URL paths, "*" only as the last segment; "*" means all.',
      proto: 2,
    }),
  },
});

/** The rules a subject has. */
export const SubjectRulesReviewStatus = object(`${AUTHZ}.SubjectRulesReviewStatus`, {
  description: "The rules of a subject, possibly incomplete; a rule listed is safe to rely on.",
  fields: {
    resourceRules: field(array(ResourceRule, { listType: "atomic" }), {
      description: "Actions allowed on resources.",
      proto: 1,
    }),
    nonResourceRules: field(array(NonResourceRule, { listType: "atomic" }), {
      description: "Actions allowed on non-resource URLs.",
      proto: 2,
    }),
    incomplete: field(boolean(), {
      description: "The lists are incomplete, e.g. an authorizer cannot enumerate its rules.",
      proto: 3,
      keepZero: true,
    }),
    evaluationError: field(string(), {
      description: "An error met while listing rules; the lists may then be incomplete.",
      proto: 4,
    }),
  },
});

/** A SelfSubjectRulesReview: what may I do in a namespace? */
export const SelfSubjectRulesReview = object(`${AUTHZ}.SelfSubjectRulesReview`, {
  description:
    "Lists what the caller may do in a namespace, for UIs; not for authorization decisions (use access reviews).",
  gvk: [{ group: "authorization.k8s.io", version: "v1", kind: "SelfSubjectRulesReview" }],
  fields: {
    ...objectFields,
    spec: requiredField(SelfSubjectRulesReviewSpec, {
      description: "The namespace to evaluate.",
      proto: 2,
    }),
    status: field(SubjectRulesReviewStatus, {
      description: "The rules, filled in by the server.",
      proto: 3,
    }),
  },
});

/** TypeScript type of {@linkcode FieldSelectorRequirement}. */
export type FieldSelectorRequirement = Infer<typeof FieldSelectorRequirement>;
/** TypeScript type of {@linkcode FieldSelectorAttributes}. */
export type FieldSelectorAttributes = Infer<typeof FieldSelectorAttributes>;
/** TypeScript type of {@linkcode LabelSelectorAttributes}. */
export type LabelSelectorAttributes = Infer<typeof LabelSelectorAttributes>;
/** TypeScript type of {@linkcode ResourceAttributes}. */
export type ResourceAttributes = Infer<typeof ResourceAttributes>;
/** TypeScript type of {@linkcode NonResourceAttributes}. */
export type NonResourceAttributes = Infer<typeof NonResourceAttributes>;
/** TypeScript type of {@linkcode SubjectAccessReviewSpec}. */
export type SubjectAccessReviewSpec = Infer<typeof SubjectAccessReviewSpec>;
/** TypeScript type of {@linkcode SelfSubjectAccessReviewSpec}. */
export type SelfSubjectAccessReviewSpec = Infer<typeof SelfSubjectAccessReviewSpec>;
/** TypeScript type of {@linkcode SubjectAccessReviewStatus}. */
export type SubjectAccessReviewStatus = Infer<typeof SubjectAccessReviewStatus>;
/** TypeScript type of {@linkcode SubjectAccessReview}. */
export type SubjectAccessReview = Infer<typeof SubjectAccessReview>;
/** TypeScript type of {@linkcode SelfSubjectAccessReview}. */
export type SelfSubjectAccessReview = Infer<typeof SelfSubjectAccessReview>;
/** TypeScript type of {@linkcode LocalSubjectAccessReview}. */
export type LocalSubjectAccessReview = Infer<typeof LocalSubjectAccessReview>;
/** TypeScript type of {@linkcode SelfSubjectRulesReviewSpec}. */
export type SelfSubjectRulesReviewSpec = Infer<typeof SelfSubjectRulesReviewSpec>;
/** TypeScript type of {@linkcode ResourceRule}. */
export type ResourceRule = Infer<typeof ResourceRule>;
/** TypeScript type of {@linkcode NonResourceRule}. */
export type NonResourceRule = Infer<typeof NonResourceRule>;
/** TypeScript type of {@linkcode SubjectRulesReviewStatus}. */
export type SubjectRulesReviewStatus = Infer<typeof SubjectRulesReviewStatus>;
/** TypeScript type of {@linkcode SelfSubjectRulesReview}. */
export type SelfSubjectRulesReview = Infer<typeof SelfSubjectRulesReview>;
