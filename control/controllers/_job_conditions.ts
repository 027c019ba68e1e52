/**
 * Job conditions as the Job and ttl-after-finished controllers read and write them: a Job is
 * finished once `Complete` or `Failed` is `True`; new conditions carry the same
 * `lastProbeTime` and `lastTransitionTime`.
 *
 * @module
 */
import type { Job, JobCondition } from "../api/types/batch_v1.ts";
import { rfc3339 } from "./_rfc3339.ts";

/** The condition types of a Job. */
export const JOB_COMPLETE = "Complete";
export const JOB_FAILED = "Failed";
export const JOB_SUSPENDED = "Suspended";
export const JOB_FAILURE_TARGET = "FailureTarget";
export const JOB_SUCCESS_CRITERIA_MET = "SuccessCriteriaMet";

/** The first condition of `type`, if any. */
export function findJobCondition(
  conditions: readonly JobCondition[] | undefined,
  type: string,
): JobCondition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** The `Complete` or `Failed` condition that is `True`, if the Job finished. */
export function jobFinishedCondition(job: Pick<Job, "status">): JobCondition | undefined {
  return job.status?.conditions?.find((c) =>
    (c.type === JOB_COMPLETE || c.type === JOB_FAILED) && c.status === "True"
  );
}

/** Whether the Job is Complete or Failed (upstream `IsJobFinished`). */
export function isJobFinished(job: Pick<Job, "status">): boolean {
  return jobFinishedCondition(job) !== undefined;
}

/** What a new condition says. */
export interface JobConditionFields {
  readonly type: string;
  readonly status: string;
  /** `""`: none. */
  readonly reason: string;
  /** `""`: none. */
  readonly message: string;
}

/** A condition stamped `nowMs` (both times). */
export function newJobCondition(fields: JobConditionFields, nowMs: number): JobCondition {
  const at = rfc3339(nowMs);
  const condition: JobCondition = {
    type: fields.type,
    status: fields.status,
    lastProbeTime: at,
    lastTransitionTime: at,
  };
  if (fields.reason !== "") condition.reason = fields.reason;
  if (fields.message !== "") condition.message = fields.message;
  return condition;
}

/**
 * Sets the condition `type` to `fields` (upstream `ensureJobConditionStatus`): replaces it when
 * status, reason or message differ, adds it unless it would be added as `False`. Returns the
 * new list and whether it changed.
 */
export function ensureJobCondition(
  conditions: readonly JobCondition[] | undefined,
  change: JobConditionFields & { readonly nowMs: number },
): { conditions: JobCondition[]; changed: boolean } {
  const list = [...(conditions ?? [])];
  const at = list.findIndex((c) => c.type === change.type);
  const fresh = () => newJobCondition(change, change.nowMs);
  if (at >= 0) {
    const c = list[at]!;
    if (
      c.status !== change.status || (c.reason ?? "") !== change.reason ||
      (c.message ?? "") !== change.message
    ) {
      list[at] = fresh();
      return { conditions: list, changed: true };
    }
    return { conditions: list, changed: false };
  }
  if (change.status !== "False") {
    list.push(fresh());
    return { conditions: list, changed: true };
  }
  return { conditions: list, changed: false };
}
