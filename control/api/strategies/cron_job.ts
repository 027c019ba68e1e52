/**
 * The CronJob strategy (`batch/v1`): `SetDefaults_CronJob`, and `ValidateCronJobCreate` and
 * `ValidateCronJobUpdate`: the schedule (as `cron.ParseStandard` parses it), the time zone (an
 * IANA name), the job template (whose selector is always generated), the history limits, and
 * names of at most 52 characters (the controller appends an 11-character suffix to name Jobs).
 *
 * The job template's spec gets only its pod template's defaults here, not the Job defaults: the
 * CronJob controller's Jobs are defaulted when they are created.
 *
 * @module
 */
import type { CronJob, CronJobSpec, JobTemplateSpec } from "../types/batch_v1.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import {
  type FieldError,
  FieldPath,
  invalid,
  notSupported,
  required,
} from "../validation/field_errors.ts";
import { goLabelSelector, invalidGo } from "../validation/go_format.ts";
import { validateNonnegativeField } from "../validation/numbers.ts";
import { cronScheduleError, isKnownTimeZone } from "./_cron.ts";
import { defaultPodFailurePolicy, validateJobSpecFields } from "./_job_spec.ts";
import { dnsLabelNameWarning, SPEC } from "./_workload.ts";
import { emptyTemplate, specForValidation } from "./_workload_replicas.ts";
import { defaultPodTemplateSpec } from "./pod_spec.ts";
import type { Strategy } from "./strategy.ts";

/** The longest CronJob name: 63 minus the `-<minutes since epoch>` suffix of its Jobs. */
export const MAX_CRONJOB_NAME_LENGTH = 52;

/** One path component of an IANA zone name, as upstream checks it before looking it up. */
const TIME_ZONE_PART = /^[A-Za-z.\-_0-9+]{1,14}$/;

function defaultCronJobSpec(spec: CronJobSpec): void {
  spec.concurrencyPolicy ||= "Allow";
  spec.suspend ??= false;
  spec.successfulJobsHistoryLimit ??= 3;
  spec.failedJobsHistoryLimit ??= 1;
  if (spec.jobTemplate?.spec !== undefined) defaultPodFailurePolicy(spec.jobTemplate.spec);
  const template = spec.jobTemplate?.spec?.template;
  if (template !== undefined) defaultPodTemplateSpec(template);
}

/** Applies the batch/v1 CronJob defaults (`SetDefaults_CronJob`) and the pod template's. */
export function defaultCronJob(cronJob: Pick<CronJob, "spec">): void {
  if (cronJob.spec !== undefined) defaultCronJobSpec(cronJob.spec);
}

/** Errors in a CronJob's `spec.timeZone` (`validateTimeZone`). */
export function validateTimeZone(timeZone: string | undefined, path: FieldPath): FieldError[] {
  if (timeZone === undefined) return [];
  if (timeZone.length === 0) {
    return [invalid(path, { value: timeZone, detail: "timeZone must be nil or non-empty string" })];
  }
  for (const part of timeZone.split("/")) {
    if (part === "." || part === ".." || part.startsWith("-") || !TIME_ZONE_PART.test(part)) {
      return [invalid(path, { value: timeZone, detail: `unknown time zone ${timeZone}` })];
    }
  }
  const errs: FieldError[] = [];
  if (timeZone.toLowerCase() === "local") {
    errs.push(invalid(path, {
      value: timeZone,
      detail:
        "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones",
    }));
  }
  if (!isKnownTimeZone(timeZone)) {
    errs.push(invalid(path, { value: timeZone, detail: `unknown time zone ${timeZone}` }));
  }
  return errs;
}

/** Options of {@linkcode validateSchedule}. */
export interface ScheduleOptions {
  readonly path: FieldPath;
  readonly timeZone?: string | undefined;
  /** Allow `TZ=`/`CRON_TZ=` in the schedule (updates of CronJobs that already use it). */
  readonly allowTimeZoneInSchedule?: boolean;
}

/** Errors in a CronJob's schedule (`validateScheduleFormat`). */
export function validateSchedule(schedule: string, options: ScheduleOptions): FieldError[] {
  const { path } = options;
  const errs: FieldError[] = [];
  const parseError = cronScheduleError(schedule);
  if (parseError !== null) errs.push(invalid(path, { value: schedule, detail: parseError }));
  const hasTz = schedule.includes("TZ");
  if (options.allowTimeZoneInSchedule && hasTz && options.timeZone !== undefined) {
    errs.push(invalid(path, {
      value: schedule,
      detail: "cannot use both timeZone field and TZ or CRON_TZ in schedule",
    }));
  } else if (!options.allowTimeZoneInSchedule && hasTz) {
    errs.push(invalid(path, {
      value: schedule,
      detail: "cannot use TZ or CRON_TZ in schedule, use timeZone field instead",
    }));
  }
  return errs;
}

function validateJobTemplate(template: JobTemplateSpec | undefined, path: FieldPath): FieldError[] {
  // A missing template is reported by the schema; a missing template spec is the zero JobSpec.
  if (template === undefined) return [];
  const spec = template.spec ?? {} as NonNullable<JobTemplateSpec["spec"]>;
  const specPath = path.child("spec");
  const errs = validateJobSpecFields(spec, {
    path: specPath,
    template: spec.template ?? (template.spec === undefined ? emptyTemplate() : undefined),
  });
  if (spec.selector !== undefined) {
    errs.push(invalidGo(specPath.child("selector"), {
      value: spec.selector,
      text: goLabelSelector(spec.selector),
      detail: "`selector` will be auto-generated",
    }));
  }
  if (spec.manualSelector === true) {
    errs.push(notSupported(specPath.child("manualSelector"), {
      value: true,
      supported: ["nil", "false"],
    }));
  }
  return errs;
}

/** Options of {@linkcode validateCronJobSpec}. */
export interface CronJobSpecOptions {
  /** The stored spec on update: a `TZ=` schedule stays allowed, an unchanged zone unchecked. */
  readonly old?: CronJobSpec | undefined;
}

/** Errors in a CronJob's spec (`validateCronJobSpec`), beyond what the schema checks. */
export function validateCronJobSpec(
  cronJob: Pick<CronJob, "spec">,
  options: CronJobSpecOptions = {},
): FieldError[] {
  const { spec, absent } = specForValidation(cronJob.spec, defaultCronJobSpec);
  const old = options.old;
  const errs: FieldError[] = [];
  const schedulePath = SPEC.child("schedule");
  if (spec.schedule === "" || (absent && spec.schedule === undefined)) {
    errs.push(required(schedulePath));
  } else if (spec.schedule !== undefined) {
    errs.push(...validateSchedule(spec.schedule, {
      path: schedulePath,
      timeZone: spec.timeZone,
      allowTimeZoneInSchedule: old?.schedule?.includes("TZ") ?? false,
    }));
  }
  errs.push(
    ...validateNonnegativeField(
      spec.startingDeadlineSeconds,
      SPEC.child("startingDeadlineSeconds"),
    ),
  );
  if (old === undefined || old.timeZone !== spec.timeZone) {
    errs.push(...validateTimeZone(spec.timeZone, SPEC.child("timeZone")));
  }
  if (!spec.concurrencyPolicy) errs.push(required(SPEC.child("concurrencyPolicy")));
  const jobTemplate = spec.jobTemplate ?? (absent ? {} : undefined);
  errs.push(...validateJobTemplate(jobTemplate, SPEC.child("jobTemplate")));
  errs.push(
    ...validateNonnegativeField(
      spec.successfulJobsHistoryLimit,
      SPEC.child("successfulJobsHistoryLimit"),
    ),
  );
  errs.push(
    ...validateNonnegativeField(spec.failedJobsHistoryLimit, SPEC.child("failedJobsHistoryLimit")),
  );
  return errs;
}

/** Errors in a new CronJob (`ValidateCronJobCreate`): its spec, and a name of at most 52 characters. */
export function validateCronJob(cronJob: Pick<CronJob, "metadata" | "spec">): FieldError[] {
  const errs = validateCronJobSpec(cronJob);
  const name = cronJob.metadata?.name ?? "";
  if (name.length > MAX_CRONJOB_NAME_LENGTH) {
    errs.push(invalid(new FieldPath("metadata").child("name"), {
      value: name,
      detail: `must be no more than ${MAX_CRONJOB_NAME_LENGTH} characters`,
    }));
  }
  return errs;
}

/** The CronJob strategy. */
export const cronJobStrategy: Strategy = {
  default(obj: KubeObject): void {
    defaultCronJob(obj as Pick<CronJob, "spec">);
  },
  validate(obj: KubeObject): FieldError[] {
    return validateCronJob(obj as Pick<CronJob, "metadata" | "spec">);
  },
  warnings(obj: KubeObject, old?: KubeObject): string[] {
    return old === undefined ? dnsLabelNameWarning(obj.metadata?.name) : [];
  },
};
