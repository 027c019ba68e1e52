/**
 * `spec.successPolicy` of an Indexed Job (upstream `success_policy.go`): the Job meets its
 * success criteria once a rule holds — all of `succeededIndexes` succeeded, or
 * `succeededCount` of them (of all indexes when `succeededIndexes` is unset).
 *
 * @module
 */
import type { SuccessPolicy } from "../api/types/batch_v1.ts";
import { countIndexes, type OrderedIntervals, parseIndexes } from "./_job_indexes.ts";

/** The reason of `SuccessCriteriaMet` and `Complete` when a success policy rule held. */
export const JOB_REASON_SUCCESS_POLICY = "SuccessPolicy";

/** How many of `rule` are among `succeeded` (both sorted interval lists). */
function overlapCount(rule: OrderedIntervals, succeeded: OrderedIntervals): number {
  let contains = 0;
  let r = 0;
  let s = 0;
  while (r < rule.length && s < succeeded.length) {
    const a = rule[r]!;
    const b = succeeded[s]!;
    const overlap = Math.min(a.last, b.last) - Math.max(a.first, b.first) + 1;
    if (overlap > 0) contains += overlap;
    if (b.last < a.last) s++;
    else if (b.last > a.last) r++;
    else {
      s++;
      r++;
    }
  }
  return contains;
}

/**
 * The message of the first rule `succeeded` meets (`"Matched rules at index 1"`), or null when
 * none does (upstream `matchSuccessPolicy`).
 */
export function matchSuccessPolicy(
  policy: SuccessPolicy | undefined,
  job: { readonly completions: number; readonly succeeded: OrderedIntervals },
): string | null {
  if (!policy || job.succeeded.length === 0) return null;
  for (const [index, rule] of (policy.rules ?? []).entries()) {
    const message = `Matched rules at index ${index}`;
    if (rule.succeededIndexes !== undefined) {
      const required = parseIndexes(rule.succeededIndexes, job.completions);
      if (required.length === 0) continue;
      const contains = overlapCount(required, job.succeeded);
      if (
        contains === countIndexes(required) ||
        (rule.succeededCount !== undefined && contains >= rule.succeededCount)
      ) return message;
    } else if (
      rule.succeededCount !== undefined && countIndexes(job.succeeded) >= rule.succeededCount
    ) {
      return message;
    }
  }
  return null;
}
