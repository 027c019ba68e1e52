/**
 * The `core/v1` resource policy kinds: LimitRange (per-object minimums, maximums and defaults)
 * and ResourceQuota (per-namespace totals). Field numbers from upstream
 * `k8s.io/api/core/v1/generated.proto`.
 *
 * @module
 */
import { objectFields } from "./meta_v1.ts";
import {
  array,
  enumOf,
  field,
  type Infer,
  map,
  object,
  quantity,
  requiredField,
  string,
} from "./schema.ts";

const CORE = "io.k8s.api.core.v1";

/** Resource quota scopes, in upstream's (sorted) order. */
export const RESOURCE_QUOTA_SCOPES = [
  "BestEffort",
  "CrossNamespacePodAffinity",
  "NotBestEffort",
  "NotTerminating",
  "PriorityClass",
  "Terminating",
  "VolumeAttributesClass",
] as const;

/** Operators of a scope selector. */
export const SCOPE_SELECTOR_OPERATORS = ["DoesNotExist", "Exists", "In", "NotIn"] as const;

// --- LimitRange ----------------------------------------------------------------------------------

/** Limits for one kind of object. */
export const LimitRangeItem = object(`${CORE}.LimitRangeItem`, {
  description: "Minimum, maximum and default resources for one kind of object.",
  fields: {
    type: requiredField(string(), {
      description:
        "What the limits apply to: Pod, Container, PersistentVolumeClaim or a qualified name.",
      proto: 1,
    }),
    max: field(map(quantity()), { description: "The most of each resource.", proto: 2 }),
    min: field(map(quantity()), { description: "The least of each resource.", proto: 3 }),
    default: field(map(quantity()), {
      description: "The limit of each resource when a container sets none.",
      proto: 4,
    }),
    defaultRequest: field(map(quantity()), {
      description: "The request of each resource when a container sets none.",
      proto: 5,
    }),
    maxLimitRequestRatio: field(map(quantity()), {
      description:
        "The most a limit may exceed the request (limit / request), per resource; both must be set and non-zero.",
      proto: 6,
    }),
  },
});

/** The limits a LimitRange enforces. */
export const LimitRangeSpec = object(`${CORE}.LimitRangeSpec`, {
  description: "The limits enforced for the kinds of objects they name.",
  fields: {
    limits: requiredField(array(LimitRangeItem, { listType: "atomic" }), {
      description: "The enforced limits.",
      proto: 1,
    }),
  },
});

/** Per-object resource limits in a namespace. */
export const LimitRange = object(`${CORE}.LimitRange`, {
  description: "Resource usage limits for each kind of object in a namespace.",
  gvk: [{ group: "", version: "v1", kind: "LimitRange" }],
  fields: {
    ...objectFields,
    spec: field(LimitRangeSpec, { description: "The limits enforced.", proto: 2 }),
  },
});

// --- ResourceQuota -------------------------------------------------------------------------------

/** One requirement of a scope selector. */
export const ScopedResourceSelectorRequirement = object(
  `${CORE}.ScopedResourceSelectorRequirement`,
  {
    description: "A requirement on one quota scope: a scope name, an operator and values.",
    fields: {
      scopeName: requiredField(enumOf(RESOURCE_QUOTA_SCOPES), {
        description: "The scope the requirement applies to.",
        proto: 1,
      }),
      operator: requiredField(enumOf(SCOPE_SELECTOR_OPERATORS), {
        description: "In, NotIn, Exists or DoesNotExist.",
        proto: 2,
      }),
      values: field(array(string(), { listType: "atomic" }), {
        description: "Values for In and NotIn (at least one); none for Exists and DoesNotExist.",
        proto: 3,
      }),
    },
  },
);

/** Scope requirements, ANDed. */
export const ScopeSelector = object(`${CORE}.ScopeSelector`, {
  description: "Requirements on quota scopes, all of which must hold.",
  mapType: "atomic",
  fields: {
    matchExpressions: field(array(ScopedResourceSelectorRequirement, { listType: "atomic" }), {
      description: "The requirements.",
      proto: 1,
    }),
  },
});

/** The hard limits a quota enforces. */
export const ResourceQuotaSpec = object(`${CORE}.ResourceQuotaSpec`, {
  description: "The hard limits a quota enforces and the objects it tracks.",
  fields: {
    hard: field(map(quantity()), {
      description: "The hard limit of each named resource.",
      proto: 1,
    }),
    scopes: field(array(enumOf(RESOURCE_QUOTA_SCOPES), { listType: "atomic" }), {
      description: "Filters every tracked object must match; all objects when unset.",
      proto: 2,
    }),
    scopeSelector: field(ScopeSelector, {
      description: "Filters like scopes, with operators and values; ANDed with scopes.",
      proto: 3,
    }),
  },
});

/** The enforced limits and the usage of a quota. */
export const ResourceQuotaStatus = object(`${CORE}.ResourceQuotaStatus`, {
  description: "The enforced hard limits and the observed usage.",
  fields: {
    hard: field(map(quantity()), {
      description: "The enforced hard limit of each named resource.",
      proto: 1,
    }),
    used: field(map(quantity()), {
      description: "The observed total usage of each resource in the namespace.",
      proto: 2,
    }),
  },
});

/** Aggregate resource limits of a namespace. */
export const ResourceQuota = object(`${CORE}.ResourceQuota`, {
  description: "Aggregate resource limits enforced in a namespace.",
  gvk: [{ group: "", version: "v1", kind: "ResourceQuota" }],
  fields: {
    ...objectFields,
    spec: field(ResourceQuotaSpec, { description: "The desired quota.", proto: 2 }),
    status: field(ResourceQuotaStatus, {
      description: "The enforced quota and its current usage.",
      proto: 3,
    }),
  },
});

/** TypeScript type of {@linkcode LimitRange}. */
export type LimitRange = Infer<typeof LimitRange>;
/** TypeScript type of {@linkcode LimitRangeSpec}. */
export type LimitRangeSpec = Infer<typeof LimitRangeSpec>;
/** TypeScript type of {@linkcode LimitRangeItem}. */
export type LimitRangeItem = Infer<typeof LimitRangeItem>;
/** TypeScript type of {@linkcode ResourceQuota}. */
export type ResourceQuota = Infer<typeof ResourceQuota>;
/** TypeScript type of {@linkcode ResourceQuotaSpec}. */
export type ResourceQuotaSpec = Infer<typeof ResourceQuotaSpec>;
/** TypeScript type of {@linkcode ResourceQuotaStatus}. */
export type ResourceQuotaStatus = Infer<typeof ResourceQuotaStatus>;
/** TypeScript type of {@linkcode ScopeSelector}. */
export type ScopeSelector = Infer<typeof ScopeSelector>;
/** TypeScript type of {@linkcode ScopedResourceSelectorRequirement}. */
export type ScopedResourceSelectorRequirement = Infer<typeof ScopedResourceSelectorRequirement>;
