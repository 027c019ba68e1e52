/**
 * Upstream's `CheckRequest` (`k8s.io/apiserver/pkg/admission/plugin/resourcequota`, v1.33): the
 * quotas of a namespace that match a write, the container constraints they impose, and the
 * usage each would reach — refused with upstream's texts when any would exceed its limit.
 *
 * @module
 */
import type { ResourceQuota } from "../types/core_v1_policy.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import type { AdmissionOperation } from "./admission.ts";
import { type QuotaEvaluator, quotaMatches } from "./_quota_usage.ts";
import {
  addResourceLists,
  exceededNames,
  maskResourceList,
  negativeNames,
  parseResourceList,
  prettyPrint,
  prettyPrintNames,
  removeZeros,
  type ResourceList,
  subtractNonNegative,
} from "./_resource_list.ts";

/** The write being checked. */
export interface QuotaRequest {
  readonly operation: AdmissionOperation;
  readonly subresource: string;
  readonly object: KubeObject;
  readonly oldObject?: KubeObject | undefined;
  readonly evaluator: QuotaEvaluator;
  readonly nowMs: number;
}

/** What one quota is charged. */
export interface QuotaCharge {
  /** The quota's name. */
  readonly name: string;
  /** What the write adds, limited to what the quota tracks. */
  readonly delta: ResourceList;
  /** The quota's usage with the write. */
  readonly used: ResourceList;
}

/** The outcome of {@linkcode checkQuotaRequest}. */
export type QuotaDecision =
  | { readonly allowed: true; readonly charges: readonly QuotaCharge[] }
  | { readonly allowed: false; readonly reason: string };

/**
 * Checks `request` against `quotas` (their stored state: `status.hard` is what is enforced,
 * `status.used` what is used). Allowed decisions list the quotas whose usage changes.
 */
export function checkQuotaRequest(
  quotas: readonly ResourceQuota[],
  request: QuotaRequest,
): QuotaDecision {
  const { evaluator, object } = request;
  const interesting: ResourceQuota[] = [];
  for (const q of quotas) {
    if (!quotaMatches(q, { evaluator, object })) continue;
    const hard = parseResourceList(q.status?.hard);
    const restricted = evaluator.matchingResources(hard.keys());
    const unmet = evaluator.constraints(restricted, object);
    const name = q.metadata?.name ?? "";
    if (unmet !== null) return { allowed: false, reason: `failed quota: ${name}: ${unmet}` };
    const used = q.status?.used ?? {};
    const unknown = restricted.filter((r) => !(r in used));
    if (unknown.length > 0) {
      return {
        allowed: false,
        reason: `status unknown for quota: ${name}, resources: ${prettyPrintNames(restricted)}`,
      };
    }
    interesting.push(q);
  }
  if (interesting.length === 0) return { allowed: true, charges: [] };

  const input = evaluator.usage(object, request.nowMs);
  const negative = negativeNames(input);
  if (negative.length > 0) {
    return {
      allowed: false,
      reason: `quota usage is negative for resource(s): ${prettyPrintNames(negative)}`,
    };
  }
  // On an update only the growth is charged, to the quotas the old object already counted in.
  const deltas = new Map<ResourceQuota, ResourceList>(interesting.map((q) => [q, input]));
  if (request.operation === "UPDATE" && request.oldObject?.metadata?.resourceVersion) {
    const old = request.oldObject;
    const growth = subtractNonNegative(input, evaluator.usage(old, request.nowMs));
    for (const q of interesting) {
      if (quotaMatches(q, { evaluator, object: old })) deltas.set(q, growth);
    }
  }
  const charges: QuotaCharge[] = [];
  for (const q of interesting) {
    const delta = removeZeros(deltas.get(q)!);
    if (delta.size === 0) continue;
    const hard = parseResourceList(q.status?.hard);
    const used = parseResourceList(q.status?.used);
    const requested = maskResourceList(delta, hard.keys());
    const next = addResourceLists(used, requested);
    if (request.subresource !== "status") {
      const exceeded = exceededNames(maskResourceList(next, requested.keys()), hard);
      if (exceeded.length > 0) {
        return {
          allowed: false,
          reason: `exceeded quota: ${q.metadata?.name ?? ""}, requested: ${
            prettyPrint(maskResourceList(requested, exceeded))
          }, used: ${prettyPrint(maskResourceList(used, exceeded))}, limited: ${
            prettyPrint(maskResourceList(hard, exceeded))
          }`,
        };
      }
    }
    if (requested.size > 0) {
      charges.push({ name: q.metadata?.name ?? "", delta: requested, used: next });
    }
  }
  return { allowed: true, charges };
}
