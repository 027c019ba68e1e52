/**
 * The ResourceQuota strategy (upstream `ValidateResourceQuota*`): hard limits name quota
 * resources with non-negative (whole, for object counts) values, scopes and scope selectors
 * are supported, fit the limited resources and do not conflict, and scopes never change.
 *
 * @module
 */
import type { ResourceQuota, ResourceQuotaSpec, ScopeSelector } from "../types/core_v1_policy.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import { type FieldError, FieldPath, invalid, required } from "../validation/field_errors.ts";
import { goQuote, goStringSlice, printedError } from "../validation/go_format.ts";
import { FIELD_IMMUTABLE } from "../validation/immutable.ts";
import {
  isStandardQuotaResourceName,
  validateResourceQuantityValue,
  validateResourceQuotaResourceName,
} from "../validation/resource_names.ts";
import { semanticEqual } from "../validation/semantic_equal.ts";
import type { Strategy } from "./strategy.ts";

/** Scopes supported with the default feature gates of v1.33. */
const STANDARD_SCOPES = new Set([
  "Terminating",
  "NotTerminating",
  "BestEffort",
  "NotBestEffort",
  "PriorityClass",
  "CrossNamespacePodAffinity",
]);
const POD_COUNT = new Set(["pods"]);
const POD_COMPUTE = new Set([
  "cpu",
  "memory",
  "limits.cpu",
  "limits.memory",
  "requests.cpu",
  "requests.memory",
]);
const EXISTS_ONLY_SCOPES = new Set([
  "BestEffort",
  "NotBestEffort",
  "Terminating",
  "NotTerminating",
  "CrossNamespacePodAffinity",
]);
const CONFLICTING_PAIRS: readonly (readonly [string, string])[] = [
  ["BestEffort", "NotBestEffort"],
  ["Terminating", "NotTerminating"],
];

/** Whether quota `scope` can limit `resource` (`IsResourceQuotaScopeValidForResource`). */
export function isScopeValidForResource(scope: string, resource: string): boolean {
  switch (scope) {
    case "Terminating":
    case "NotTerminating":
    case "NotBestEffort":
    case "PriorityClass":
    case "CrossNamespacePodAffinity":
      return POD_COUNT.has(resource) || POD_COMPUTE.has(resource);
    case "BestEffort":
      return POD_COUNT.has(resource);
    case "VolumeAttributesClass":
      return resource === "persistentvolumeclaims" || resource === "requests.storage";
    default:
      return true;
  }
}

function printScopes(scopes: readonly string[] | undefined): string {
  return scopes === undefined
    ? "[]core.ResourceQuotaScope(nil)"
    : goStringSlice("core.ResourceQuotaScope", scopes);
}

function printSelector(selector: ScopeSelector): string {
  const exprs = selector.matchExpressions;
  const items = exprs === undefined
    ? "[]core.ScopedResourceSelectorRequirement(nil)"
    : `[]core.ScopedResourceSelectorRequirement{${
      exprs.map((e) =>
        `core.ScopedResourceSelectorRequirement{ScopeName:${goQuote(e.scopeName)}, Operator:${
          goQuote(e.operator)
        }, Values:${e.values === undefined ? "[]string(nil)" : goStringSlice("string", e.values)}}`
      ).join(", ")
    }}`;
  return `core.ScopeSelector{MatchExpressions:${items}}`;
}

function validateResourceList(
  list: Readonly<Record<string, string>> | undefined,
  path: FieldPath,
): FieldError[] {
  return Object.entries(list ?? {}).flatMap(([name, value]) => [
    ...validateResourceQuotaResourceName(name, path.index(name)),
    ...validateResourceQuantityValue(value, { name, path: path.index(name) }),
  ]);
}

function validateScopes(spec: ResourceQuotaSpec, path: FieldPath): FieldError[] {
  const scopes: readonly string[] = spec.scopes ?? [];
  if (scopes.length === 0) return [];
  const errs: FieldError[] = [];
  const p = path.child("scopes");
  const hard = Object.keys(spec.hard ?? {}).sort();
  const text = printScopes(spec.scopes);
  for (const scope of scopes) {
    if (!STANDARD_SCOPES.has(scope)) {
      errs.push(printedError(p, { type: "invalid", text, detail: "unsupported scope" }));
    }
    for (const k of hard) {
      if (isStandardQuotaResourceName(k) && !isScopeValidForResource(scope, k)) {
        errs.push(printedError(p, {
          type: "invalid",
          text,
          detail: "unsupported scope applied to resource",
        }));
      }
    }
  }
  for (const [a, b] of CONFLICTING_PAIRS) {
    if (scopes.includes(a) && scopes.includes(b)) {
      errs.push(printedError(p, { type: "invalid", text, detail: "conflicting scopes" }));
    }
  }
  return errs;
}

function validateScopeSelector(spec: ResourceQuotaSpec, path: FieldPath): FieldError[] {
  const selector = spec.scopeSelector;
  if (selector === undefined) return [];
  const errs: FieldError[] = [];
  // Upstream reports every requirement at the list's path, without an index.
  const p = path.child("scopeSelector").child("matchExpressions");
  const hard = Object.keys(spec.hard ?? {}).sort();
  const seen = new Set<string>();
  for (const req of selector.matchExpressions ?? []) {
    if (!STANDARD_SCOPES.has(req.scopeName)) {
      errs.push(
        invalid(p.child("scopeName"), { value: req.scopeName, detail: "unsupported scope" }),
      );
    }
    for (const k of hard) {
      if (isStandardQuotaResourceName(k) && !isScopeValidForResource(req.scopeName, k)) {
        errs.push(printedError(p, {
          type: "invalid",
          text: printSelector(selector),
          detail: "unsupported scope applied to resource",
        }));
      }
    }
    if (EXISTS_ONLY_SCOPES.has(req.scopeName) && req.operator !== "Exists") {
      errs.push(invalid(p.child("operator"), {
        value: req.operator,
        detail:
          "must be 'Exists' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity",
      }));
    }
    const values = req.values ?? [];
    if (req.operator === "In" || req.operator === "NotIn") {
      if (values.length === 0) {
        errs.push(required(
          p.child("values"),
          "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector",
        ));
      }
    } else if (values.length !== 0) {
      errs.push(printedError(p.child("values"), {
        type: "invalid",
        text: goStringSlice("string", values),
        detail: "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector",
      }));
    }
    seen.add(req.scopeName);
  }
  for (const [a, b] of CONFLICTING_PAIRS) {
    if (seen.has(a) && seen.has(b)) {
      errs.push(printedError(p, {
        type: "invalid",
        text: printScopes(spec.scopes),
        detail: "conflicting scopes",
      }));
    }
  }
  return errs;
}

function validateSpec(spec: ResourceQuotaSpec | undefined): FieldError[] {
  const p = new FieldPath("spec");
  const s = spec ?? {};
  return [
    ...validateResourceList(s.hard, p.child("hard")),
    ...validateScopes(s, p),
    ...validateScopeSelector(s, p),
  ];
}

function validateStatus(quota: ResourceQuota): FieldError[] {
  const p = new FieldPath("status");
  return [
    ...validateResourceList(quota.status?.hard, p.child("hard")),
    ...validateResourceList(quota.status?.used, p.child("used")),
  ];
}

/** The strategy of `resourcequotas`. */
export const resourceQuotaStrategy: Strategy = {
  prepareForCreate(obj: KubeObject): void {
    // Upstream clears the status on create; the quota controller fills it in.
    (obj as ResourceQuota).status = {};
  },
  validate(obj: KubeObject): FieldError[] {
    const quota = obj as ResourceQuota;
    return [...validateSpec(quota.spec), ...validateStatus(quota)];
  },
  validateUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
    const scopes = (obj as ResourceQuota).spec?.scopes;
    const before = (old as ResourceQuota).spec?.scopes;
    if (semanticEqual([...new Set(scopes ?? [])].sort(), [...new Set(before ?? [])].sort())) {
      return [];
    }
    return [printedError(new FieldPath("spec").child("scopes"), {
      type: "invalid",
      text: printScopes(scopes),
      detail: FIELD_IMMUTABLE,
    })];
  },
  validateStatusUpdate(obj: KubeObject): FieldError[] {
    const quota = obj as ResourceQuota;
    const errs: FieldError[] = [];
    if (!quota.metadata?.resourceVersion) errs.push(required("resourceVersion"));
    errs.push(...validateStatus(quota));
    return errs;
  },
};
