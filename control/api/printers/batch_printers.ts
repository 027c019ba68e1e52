/**
 * Printers of the `batch` group with upstream's columns and cells: Job (STATUS, COMPLETIONS
 * `1/1` or `2/1 of 3`, DURATION) and CronJob (SCHEDULE, TIMEZONE, SUSPEND, ACTIVE,
 * LAST SCHEDULE).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BATCH_PRINTERS } from "./batch_printers.ts";
 *
 * const job = { metadata: { name: "pi" }, spec: { completions: 1 }, status: { succeeded: 0 } };
 * assert.deepEqual(BATCH_PRINTERS.get("batch/Job")!.row(job, 0).slice(0, 3), ["pi", "Running", "0/1"]);
 * ```
 *
 * @module
 */
import {
  AGE,
  column,
  columns,
  CONTAINERS,
  IMAGES,
  integer,
  NAME,
  selectorColumn,
  text,
} from "./_columns.ts";
import { arr, dig, int, type JsonObject, nameOf, obj, optInt, optStr, present } from "./_fields.ts";
import {
  age,
  boolPtr,
  formatLabelSelector,
  parseTime,
  since,
  templateContainers,
} from "./_format.ts";
import { humanDuration } from "./duration.ts";
import type { Printer } from "./table.ts";

/** Whether the first condition of `type` has status `True` (upstream's `hasJobCondition`). */
function hasJobCondition(conditions: unknown, type: string): boolean {
  for (const c of arr(conditions)) {
    if (obj(c).type === type) return obj(c).status === "True";
  }
  return false;
}

function jobStatus(job: JsonObject): string {
  const conditions = dig(job, "status", "conditions");
  if (hasJobCondition(conditions, "Complete")) return "Complete";
  if (hasJobCondition(conditions, "Failed")) return "Failed";
  if (present(dig(job, "metadata", "deletionTimestamp"))) return "Terminating";
  if (hasJobCondition(conditions, "Suspended")) return "Suspended";
  if (hasJobCondition(conditions, "FailureTarget")) return "FailureTarget";
  if (hasJobCondition(conditions, "SuccessCriteriaMet")) return "SuccessCriteriaMet";
  return "Running";
}

function jobCompletions(job: JsonObject): string {
  const spec = obj(job.spec);
  const succeeded = int(dig(job, "status", "succeeded"));
  const completions = optInt(spec.completions);
  if (completions !== undefined) return `${succeeded}/${completions}`;
  const parallelism = int(spec.parallelism);
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

function jobDuration(job: JsonObject, nowMs: number): string {
  const start = parseTime(dig(job, "status", "startTime"));
  if (start === undefined) return "";
  const end = parseTime(dig(job, "status", "completionTime"));
  return humanDuration((end ?? nowMs) - start);
}

const JOB_PRINTER: Printer = Object.freeze({
  columns: columns(
    NAME,
    text("Status", "Running, Complete, Failed, Suspended, Terminating…"),
    text("Completions", "Succeeded pods out of the completions wanted."),
    text("Duration", "How long the job ran, or has been running."),
    AGE,
    CONTAINERS,
    IMAGES,
    selectorColumn("Labels of the pods the job manages."),
  ),
  row(job: JsonObject, nowMs: number): unknown[] {
    const spec = obj(job.spec);
    const [names, images] = templateContainers(spec.template);
    return [
      nameOf(job),
      jobStatus(job),
      jobCompletions(job),
      jobDuration(job, nowMs),
      age(job, nowMs),
      names,
      images,
      formatLabelSelector(spec.selector),
    ];
  },
});

const CRON_JOB_PRINTER: Printer = Object.freeze({
  columns: columns(
    NAME,
    text("Schedule", "The cron schedule."),
    text("Timezone", "The time zone of the schedule."),
    column("Suspend", { description: "Whether new runs are held back.", type: "boolean" }),
    integer("Active", "Jobs running now."),
    text("Last Schedule", "How long ago a job was last scheduled."),
    AGE,
    CONTAINERS,
    IMAGES,
    selectorColumn("Labels of the pods of the job template."),
  ),
  row(cj: JsonObject, nowMs: number): unknown[] {
    const spec = obj(cj.spec);
    const status = obj(cj.status);
    const jobSpec = obj(dig(spec.jobTemplate, "spec"));
    const [names, images] = templateContainers(jobSpec.template);
    const last = status.lastScheduleTime;
    return [
      nameOf(cj),
      optStr(spec.schedule) ?? "",
      optStr(spec.timeZone) ?? "<none>",
      boolPtr(spec.suspend),
      arr(status.active).length,
      present(last) ? since(last, nowMs) : "<none>",
      age(cj, nowMs),
      names,
      images,
      formatLabelSelector(jobSpec.selector),
    ];
  },
});

/** Printers of the `batch` group, keyed `batch/<Kind>`. */
export const BATCH_PRINTERS: ReadonlyMap<string, Printer> = new Map<string, Printer>([
  ["batch/Job", JOB_PRINTER],
  ["batch/CronJob", CRON_JOB_PRINTER],
]);
