/**
 * The CronJob strategy (`batch/v1`): `SetDefaults_CronJob`, `ValidateCronJobCreate` and
 * `ValidateCronJobUpdate` — the schedule (parsed by {@linkcode parseCronSchedule}, the parser
 * the CronJob controller runs by, as upstream validates with `cron.ParseStandard`), the time
 * zone (a name Go's `time.LoadLocation` loads), the job template (whose selector is always
 * generated), the history limits, and on create names of at most 52 characters (the controller
 * appends an 11-character suffix to name Jobs) — and upstream's warnings.
 *
 * **Updates** are validated against the stored CronJob: one whose schedule has a `TZ=` or
 * `CRON_TZ=` prefix (refused on create since Kubernetes 1.25, when `timeZone` came) can still
 * be updated, as long as `timeZone` stays unset, and an unchanged `timeZone` is not checked
 * again (the zone database may have lost it). Such updates get a warning to move to
 * `timeZone`.
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
import { parseCronSchedule } from "../../util/cron_schedule.ts";
import { loadLocationError } from "../../util/time_zone.ts";
import { defaultPodFailurePolicy, jobSpecWarnings, validateJobSpecFields } from "./_job_spec.ts";
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
  const loadError = loadLocationError(timeZone);
  if (loadError !== null) errs.push(invalid(path, { value: timeZone, detail: loadError }));
  return errs;
}

/** Why `cron.ParseStandard` refuses `schedule`, or `null` when it parses. */
function scheduleParseError(schedule: string): string | null {
  try {
    parseCronSchedule(schedule);
    return null;
  } catch (err) {
    if (err instanceof SyntaxError || err instanceof RangeError) return err.message;
    throw err;
  }
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
  const parseError = scheduleParseError(schedule);
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

/**
 * Errors in a new CronJob (`ValidateCronJobCreate`) beyond metadata and the schema: its spec
 * (no `TZ=` in the schedule), and a name of at most 52 characters.
 */
export function validateCronJobCreate(cronJob: Pick<CronJob, "metadata" | "spec">): FieldError[] {
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

/**
 * Errors in an update of a CronJob (`ValidateCronJobUpdate`) beyond metadata and the schema:
 * its spec, judged against the stored one (a stored `TZ=` schedule may stay, an unchanged
 * `timeZone` is not checked again). Names are not checked: older CronJobs may have longer ones.
 */
export function validateCronJobUpdate(
  cronJob: Pick<CronJob, "spec">,
  old: Pick<CronJob, "spec">,
): FieldError[] {
  return validateCronJobSpec(cronJob, { old: old.spec ?? ({} as CronJobSpec) });
}

const JOB_TEMPLATE_SPEC = SPEC.child("jobTemplate").child("spec");

/** The warning of an update whose schedule has a `TZ=`/`CRON_TZ=` prefix (upstream's text). */
const TZ_IN_SCHEDULE_WARNING =
  "cannot use TZ or CRON_TZ in spec.spec.schedule, use timeZone instead, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details";

/**
 * The warnings of a CronJob write (`WarningsOnCreate`/`WarningsOnUpdate`): on create a name
 * that is not a DNS label and the job template's job spec warnings; on update the job spec
 * warnings when the generation changed, and one to use `timeZone` whenever the schedule
 * contains `TZ`.
 */
function cronJobWarnings(
  cronJob: Pick<CronJob, "metadata" | "spec">,
  old?: Pick<CronJob, "metadata" | "spec">,
): string[] {
  const jobSpec = cronJob.spec?.jobTemplate?.spec;
  if (old === undefined) {
    return [
      ...dnsLabelNameWarning(cronJob.metadata?.name),
      ...jobSpecWarnings(jobSpec, JOB_TEMPLATE_SPEC),
    ];
  }
  const warnings = cronJob.metadata?.generation !== old.metadata?.generation
    ? jobSpecWarnings(jobSpec, JOB_TEMPLATE_SPEC)
    : [];
  if (cronJob.spec?.schedule?.includes("TZ")) warnings.push(TZ_IN_SCHEDULE_WARNING);
  return warnings;
}

/** The CronJob strategy. */
export const cronJobStrategy: Strategy = {
  default(obj: KubeObject): void {
    defaultCronJob(obj as Pick<CronJob, "spec">);
  },
  validateCreate(obj: KubeObject): FieldError[] {
    return validateCronJobCreate(obj as Pick<CronJob, "metadata" | "spec">);
  },
  validateUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
    return validateCronJobUpdate(obj as Pick<CronJob, "spec">, old as Pick<CronJob, "spec">);
  },
  warnings(obj: KubeObject, old?: KubeObject): string[] {
    return cronJobWarnings(
      obj as Pick<CronJob, "metadata" | "spec">,
      old as Pick<CronJob, "metadata" | "spec"> | undefined,
    );
  },
};
