/**
 * The Job strategy (`batch/v1`): `SetDefaults_Job`, the generated selector of the create
 * strategy, `ValidateJob`, `ValidateJobUpdate` (what may change in a Job's spec) and the status
 * rules Kubernetes 1.33 enforces on writes through `/status` (with JobManagedBy on, as by
 * default).
 *
 * **Generated selector.** Unless `spec.manualSelector` is true, the server selects a Job's pods by
 * its UID: {@linkcode generateJobSelector} adds `batch.kubernetes.io/controller-uid` (and the
 * legacy `controller-uid`) and `batch.kubernetes.io/job-name` (and `job-name`) to the template's
 * labels, and `batch.kubernetes.io/controller-uid: <uid>` to `spec.selector.matchLabels`. The
 * strategy's `prepareForCreate` calls it, so the handler must have assigned `metadata.uid` (and
 * the name, for `generateName`) before, as Kubernetes does.
 *
 * @example Generate the selector of a new Job
 * ```ts
 * import assert from "node:assert/strict";
 * import type { Job } from "../types/batch_v1.ts";
 * import { generateJobSelector } from "./job.ts";
 *
 * const job: Job = {
 *   metadata: { name: "pi", uid: "1234" },
 *   spec: { manualSelector: false, template: { spec: { containers: [] } } },
 * };
 * generateJobSelector(job);
 * assert.deepEqual(job.spec?.selector, {
 *   matchLabels: { "batch.kubernetes.io/controller-uid": "1234" },
 * });
 * ```
 *
 * @module
 */
import {
  CONTROLLER_UID_LABEL,
  type Job,
  JOB_NAME_LABEL,
  type JobCondition,
  type JobSpec,
  type JobStatus,
  LEGACY_CONTROLLER_UID_LABEL,
  LEGACY_JOB_NAME_LABEL,
} from "../types/batch_v1.ts";
import type { PodTemplateSpec } from "../types/core_v1_pod.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import {
  duplicate,
  type FieldError,
  FieldPath,
  invalid,
  required,
} from "../validation/field_errors.ts";
import {
  goLabelSelector,
  goQuote,
  goStringMap,
  goStruct,
  invalidGo,
} from "../validation/go_format.ts";
import { FIELD_IMMUTABLE, validateImmutableField } from "../validation/immutable.ts";
import { isDns1123Label } from "../validation/names.ts";
import { validateNonnegativeField } from "../validation/numbers.ts";
import { validateLabelSelector } from "../validation/selector_validation.ts";
import { zeroValueEqual } from "../validation/semantic_equal.ts";
import {
  defaultPodFailurePolicy,
  goSuccessPolicy,
  indexesFormat,
  indexesOverlap,
  invalidOmitValue,
  jobSpecWarnings,
  validateJobSpecFields,
} from "./_job_spec.ts";
import { clone, dnsLabelNameWarning, SPEC } from "./_workload.ts";
import { emptyTemplate, specForValidation } from "./_workload_replicas.ts";
import { parseLabelSelector } from "./_workload_selector.ts";
import { defaultPodTemplateSpec } from "./pod_spec.ts";
import type { Strategy } from "./strategy.ts";

const MAX_INT32 = 2147483647;

type JobLike = Pick<Job, "metadata" | "spec">;

function defaultJobSpec(spec: JobSpec): void {
  if (spec.completions === undefined && spec.parallelism === undefined) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  spec.parallelism ??= 1;
  spec.backoffLimit ??= spec.backoffLimitPerIndex !== undefined ? MAX_INT32 : 6;
  spec.completionMode ??= "NonIndexed";
  spec.suspend ??= false;
  spec.podReplacementPolicy ??= spec.podFailurePolicy !== undefined
    ? "Failed"
    : "TerminatingOrFailed";
  spec.manualSelector ??= false;
  defaultPodFailurePolicy(spec);
  if (spec.template !== undefined) defaultPodTemplateSpec(spec.template);
}

/**
 * Applies the batch/v1 Job defaults (`SetDefaults_Job`) and the pod template's. A Job without
 * labels takes its template's labels.
 */
export function defaultJob(job: JobLike): void {
  const spec = job.spec;
  if (spec === undefined) return;
  const templateLabels = spec.template?.metadata?.labels;
  if (templateLabels !== undefined && Object.keys(job.metadata?.labels ?? {}).length === 0) {
    (job.metadata ??= {}).labels = { ...templateLabels };
  }
  defaultJobSpec(spec);
}

/**
 * Adds the generated selector and pod labels to a Job (upstream's `generateSelector`), unless
 * `spec.manualSelector` is true. Labels the user already set are kept (validation rejects wrong
 * ones). Needs `metadata.name` and `metadata.uid`.
 */
export function generateJobSelector(job: JobLike): void {
  const spec = job.spec;
  if (spec === undefined || spec.manualSelector === true || spec.template === undefined) return;
  const name = job.metadata?.name ?? "";
  const uid = job.metadata?.uid ?? "";
  const labels = (spec.template.metadata ??= {}).labels ??= {};
  for (const key of [LEGACY_JOB_NAME_LABEL, JOB_NAME_LABEL]) {
    if (!Object.hasOwn(labels, key)) labels[key] = name;
  }
  for (const key of [LEGACY_CONTROLLER_UID_LABEL, CONTROLLER_UID_LABEL]) {
    if (!Object.hasOwn(labels, key)) labels[key] = uid;
  }
  const matchLabels = (spec.selector ??= {}).matchLabels ??= {};
  if (!Object.hasOwn(matchLabels, CONTROLLER_UID_LABEL)) matchLabels[CONTROLLER_UID_LABEL] = uid;
}

const TEMPLATE_METADATA = SPEC.child("template").child("metadata");

function hasLabel(
  labels: Readonly<Record<string, string>> | undefined,
  options: { key: string; expected: string },
): FieldError[] {
  const path = TEMPLATE_METADATA.child("labels").index(options.key);
  const actual = labels?.[options.key];
  if (actual === undefined) return [required(path, options.expected)];
  if (actual === options.expected) return [];
  return [
    invalidGo(path, {
      value: labels,
      text: goStringMap(labels),
      detail: `must be '${options.expected}'`,
    }),
  ];
}

/** The checks of a generated selector (`validateGeneratedSelector`). */
function validateGeneratedSelector(job: JobLike, requirePrefixedLabels: boolean): FieldError[] {
  const spec = job.spec;
  if (spec === undefined || spec.manualSelector === true || spec.selector === undefined) return [];
  const errs: FieldError[] = [];
  const uid = job.metadata?.uid ?? "";
  const name = job.metadata?.name ?? "";
  if (uid === "") errs.push(required(new FieldPath("metadata").child("uid")));
  const labels = spec.template?.metadata?.labels;
  errs.push(...hasLabel(labels, { key: LEGACY_CONTROLLER_UID_LABEL, expected: uid }));
  errs.push(...hasLabel(labels, { key: LEGACY_JOB_NAME_LABEL, expected: name }));
  const expected: Record<string, string> = {};
  if (requirePrefixedLabels) {
    errs.push(...hasLabel(labels, { key: CONTROLLER_UID_LABEL, expected: uid }));
    errs.push(...hasLabel(labels, { key: JOB_NAME_LABEL, expected: name }));
    expected[CONTROLLER_UID_LABEL] = uid;
    expected[JOB_NAME_LABEL] = name;
  }
  expected[LEGACY_CONTROLLER_UID_LABEL] = uid;
  expected[LEGACY_JOB_NAME_LABEL] = name;
  const parsed = parseLabelSelector(spec.selector);
  if (parsed.selector !== undefined && !parsed.selector.matches(expected)) {
    errs.push(invalidGo(SPEC.child("selector"), {
      value: spec.selector,
      text: goLabelSelector(spec.selector),
      detail: "`selector` not auto-generated",
    }));
  }
  return errs;
}

/** Errors in a Job (`ValidateJob`), beyond metadata and what the schema checks. */
export function validateJob(job: JobLike): FieldError[] {
  const { spec, absent } = specForValidation(job.spec, defaultJobSpec);
  const errs = validateGeneratedSelector(job, true);
  const template = spec.template ?? (absent ? emptyTemplate() : undefined);
  errs.push(...validateJobSpecFields(spec, { path: SPEC, template }));
  const selectorPath = SPEC.child("selector");
  if (spec.selector === undefined) {
    errs.push(required(selectorPath));
  } else {
    errs.push(...validateLabelSelector(spec.selector, { path: selectorPath }));
  }
  const parsed = parseLabelSelector(spec.selector);
  if (parsed.selector !== undefined && template !== undefined) {
    const labels = template.metadata?.labels;
    if (!parsed.selector.matches(labels)) {
      errs.push(invalidGo(SPEC.child("template").child("metadata").child("labels"), {
        value: labels,
        text: goStringMap(labels),
        detail: "`selector` does not match template `labels`",
      }));
    }
  }
  const completions = spec.completions;
  if (spec.completionMode === "Indexed" && completions !== undefined && completions > 0) {
    const name = job.metadata?.name ?? "";
    const hostname = `${name}-${completions - 1}`;
    if (isDns1123Label(hostname).length > 0) {
      errs.push(invalid(new FieldPath("metadata").child("name"), {
        value: name,
        detail: `will not able to create pod with invalid DNS label: ${hostname}`,
      }));
    }
  }
  return errs;
}

function validateCompletions(spec: JobSpec, oldSpec: JobSpec): FieldError[] {
  const path = SPEC.child("completions");
  if (spec.completionMode !== "Indexed") {
    return validateImmutableField(spec.completions, { old: oldSpec.completions, path });
  }
  if (spec.completions === oldSpec.completions || spec.completions === undefined) return [];
  if (spec.completions !== spec.parallelism) {
    return [
      invalid(path, {
        value: spec.completions,
        detail: "can only be modified in tandem with spec.parallelism",
      }),
    ];
  }
  return [];
}

/**
 * The old template with the fields a suspended, never started Job may change copied from the
 * new one (`validatePodTemplateUpdate`): node affinity, node selector, tolerations, labels,
 * annotations and scheduling gates.
 */
function withMutableDirectives(
  template: PodTemplateSpec | undefined,
  old: PodTemplateSpec | undefined,
): PodTemplateSpec | undefined {
  if (old === undefined) return old;
  const result = clone(old);
  const spec = (result.spec ??= {} as NonNullable<PodTemplateSpec["spec"]>);
  const newSpec = template?.spec;
  const affinity = newSpec?.affinity;
  if (affinity === undefined && spec.affinity !== undefined) {
    delete spec.affinity.nodeAffinity;
    if (Object.keys(spec.affinity).length === 0) delete spec.affinity;
  } else if (affinity !== undefined && spec.affinity === undefined) {
    spec.affinity = affinity.nodeAffinity === undefined
      ? {}
      : { nodeAffinity: affinity.nodeAffinity };
  } else if (affinity !== undefined && spec.affinity !== undefined) {
    if (affinity.nodeAffinity === undefined) delete spec.affinity.nodeAffinity;
    else spec.affinity.nodeAffinity = affinity.nodeAffinity;
  }
  copyField(spec, newSpec, "nodeSelector");
  copyField(spec, newSpec, "tolerations");
  copyField(spec, newSpec, "schedulingGates");
  const metadata = result.metadata ??= {};
  copyField(metadata, template?.metadata, "annotations");
  copyField(metadata, template?.metadata, "labels");
  return result;
}

function copyField<T extends object, K extends keyof T>(
  target: T,
  source: T | undefined,
  key: K,
): void {
  if (source?.[key] === undefined) delete target[key];
  else target[key] = source[key];
}

/** Errors in an update of a Job's spec (`ValidateJobSpecUpdate`), beyond {@linkcode validateJob}. */
export function validateJobUpdate(job: Job, old: Job): FieldError[] {
  const spec = job.spec ?? ({} as JobSpec);
  const oldSpec = old.spec ?? ({} as JobSpec);
  const errs = validateCompletions(spec, oldSpec);
  errs.push(...validateImmutableField(spec.selector, {
    old: oldSpec.selector,
    path: SPEC.child("selector"),
    text: goLabelSelector(spec.selector),
  }));
  const mutable = oldSpec.suspend === true && old.status?.startTime === undefined;
  const oldTemplate = mutable
    ? withMutableDirectives(spec.template, oldSpec.template)
    : oldSpec.template;
  if (!zeroValueEqual(spec.template, oldTemplate)) {
    // Kubernetes prints the whole internal PodTemplateSpec struct here; JSON is kinder.
    errs.push(invalid(SPEC.child("template"), { value: spec.template, detail: FIELD_IMMUTABLE }));
  }
  errs.push(...validateImmutableField(spec.completionMode, {
    old: oldSpec.completionMode,
    path: SPEC.child("completionMode"),
  }));
  errs.push(...validateImmutableField(spec.podFailurePolicy, {
    old: oldSpec.podFailurePolicy,
    path: SPEC.child("podFailurePolicy"),
  }));
  errs.push(...validateImmutableField(spec.backoffLimitPerIndex, {
    old: oldSpec.backoffLimitPerIndex,
    path: SPEC.child("backoffLimitPerIndex"),
  }));
  errs.push(...validateImmutableField(spec.managedBy, {
    old: oldSpec.managedBy,
    path: SPEC.child("managedBy"),
  }));
  errs.push(...validateImmutableField(spec.successPolicy, {
    old: oldSpec.successPolicy,
    path: SPEC.child("successPolicy"),
    text: spec.successPolicy === undefined ? "null" : goSuccessPolicy(spec.successPolicy),
  }));
  return errs;
}

// --- status ------------------------------------------------------------------------------------

const STATUS = new FieldPath("status");

function isTrue(conditions: readonly JobCondition[] | undefined, type: string): boolean {
  return (conditions ?? []).some((c) => c.type === type && c.status === "True");
}

function isFinished(status: JobStatus): boolean {
  return isTrue(status.conditions, "Complete") || isTrue(status.conditions, "Failed");
}

/** A `metav1.Time` as Go's `%v` prints it: `2024-05-01 10:00:00 +0000 UTC`. */
function goTime(value: string): string {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return goQuote(value);
  return `${d.toISOString().slice(0, 19).replace("T", " ")} +0000 UTC`;
}

function goUids(uids: readonly string[] | undefined): string {
  return uids === undefined ? "[]types.UID(nil)" : `[]types.UID{${uids.map(goQuote).join(", ")}}`;
}

function uncountedErrors(status: JobStatus): FieldError[] {
  const errs: FieldError[] = [];
  const path = STATUS.child("uncountedTerminatedPods");
  const seen = new Set<string>();
  for (const list of ["succeeded", "failed"] as const) {
    (status.uncountedTerminatedPods?.[list] ?? []).forEach((uid, i) => {
      const p = path.child(list).index(i);
      if (uid === "") errs.push(invalid(p, { value: uid, detail: "must not be empty" }));
      else if (seen.has(uid)) errs.push(duplicate(p, uid));
      else seen.add(uid);
    });
  }
  return errs;
}

/** The status checks of a write through `/status` (`ValidateJobUpdateStatus`). */
export function validateJobStatusUpdate(job: Job, old: Job): FieldError[] {
  const status = job.status ?? {};
  const before = old.status ?? {};
  const spec = job.spec ?? ({} as JobSpec);
  const conds = status.conditions;
  const oldConds = before.conditions;
  const complete = isTrue(conds, "Complete");
  const failed = isTrue(conds, "Failed");
  const failureTarget = isTrue(conds, "FailureTarget");
  const successMet = isTrue(conds, "SuccessCriteriaMet");
  const finished = isFinished(status);
  const indexed = (spec.completionMode ?? "NonIndexed") === "Indexed";
  const changed = {
    finished: isFinished(before) !== finished,
    complete: isTrue(oldConds, "Complete") !== complete,
    failed: isTrue(oldConds, "Failed") !== failed,
    failureTarget: isTrue(oldConds, "FailureTarget") !== failureTarget,
    completedIndexes: (before.completedIndexes ?? "") !== (status.completedIndexes ?? ""),
    failedIndexes: before.failedIndexes !== status.failedIndexes,
    active: (before.active ?? 0) !== (status.active ?? 0),
    startTime: before.startTime !== status.startTime,
    completionTime: before.completionTime !== status.completionTime,
    uncounted: !zeroValueEqual(before.uncountedTerminatedPods, status.uncountedTerminatedPods),
  };
  const errs: FieldError[] = [
    ...validateNonnegativeField(status.active, STATUS.child("active")),
    ...validateNonnegativeField(status.succeeded, STATUS.child("succeeded")),
    ...validateNonnegativeField(status.failed, STATUS.child("failed")),
    ...validateNonnegativeField(status.ready, STATUS.child("ready")),
    ...validateNonnegativeField(status.terminating, STATUS.child("terminating")),
    ...uncountedErrors(status),
  ];
  const conditionsPath = STATUS.child("conditions");
  if ((changed.complete || changed.failed) && complete && failed) {
    errs.push(
      invalidOmitValue(conditionsPath, "cannot set Complete=True and Failed=true conditions"),
    );
  }
  if ((changed.complete || changed.failureTarget) && complete && failureTarget) {
    errs.push(invalidOmitValue(
      conditionsPath,
      "cannot set Complete=True and FailureTarget=true conditions",
    ));
  }
  const completionPath = STATUS.child("completionTime");
  if (changed.complete || changed.completionTime) {
    if (status.completionTime !== undefined && !complete) {
      errs.push(invalidGo(completionPath, {
        value: status.completionTime,
        text: goTime(status.completionTime),
        detail: "cannot set completionTime when there is no Complete=True condition",
      }));
    }
    if (status.completionTime === undefined && complete) {
      errs.push(required(completionPath, "completionTime is required for Complete jobs"));
    }
  }
  if (
    (changed.startTime || changed.completionTime) && status.startTime !== undefined &&
    status.completionTime !== undefined &&
    new Date(status.completionTime).getTime() < new Date(status.startTime).getTime()
  ) {
    errs.push(invalidGo(completionPath, {
      value: status.completionTime,
      text: goTime(status.completionTime),
      detail: "completionTime cannot be set before startTime",
    }));
  }
  if ((changed.finished || changed.active) && (status.active ?? 0) > 0 && finished) {
    errs.push(invalid(STATUS.child("active"), {
      value: status.active,
      detail: "active>0 is invalid for finished job",
    }));
  }
  if ((changed.finished || changed.startTime) && status.startTime === undefined && finished) {
    errs.push(required(STATUS.child("startTime"), "startTime is required for finished job"));
  }
  const uncounted = status.uncountedTerminatedPods;
  if (
    (changed.finished || changed.uncounted) && finished &&
    (uncounted?.failed?.length ?? 0) + (uncounted?.succeeded?.length ?? 0) > 0
  ) {
    errs.push(invalidGo(STATUS.child("uncountedTerminatedPods"), {
      value: uncounted,
      text: goStruct("batch.UncountedTerminatedPods", [
        ["Succeeded", goUids(uncounted?.succeeded)],
        ["Failed", goUids(uncounted?.failed)],
      ]),
      detail: "uncountedTerminatedPods needs to be empty for finished job",
    }));
  }
  const completions = spec.completions;
  if (changed.completedIndexes && completions !== undefined) {
    const r = indexesFormat(status.completedIndexes ?? "", completions);
    if (typeof r === "string") {
      errs.push(invalid(STATUS.child("completedIndexes"), {
        value: status.completedIndexes ?? "",
        detail: `error parsing completedIndexes: ${r}`,
      }));
    }
  }
  if (
    changed.failedIndexes && completions !== undefined &&
    spec.backoffLimitPerIndex !== undefined && status.failedIndexes !== undefined
  ) {
    const r = indexesFormat(status.failedIndexes, completions);
    if (typeof r === "string") {
      errs.push(invalid(STATUS.child("failedIndexes"), {
        value: status.failedIndexes,
        detail: `error parsing failedIndexes: ${r}`,
      }));
    }
  }
  if (changed.completedIndexes && (status.completedIndexes ?? "") !== "" && !indexed) {
    errs.push(invalid(STATUS.child("completedIndexes"), {
      value: status.completedIndexes,
      detail: "cannot set non-empty completedIndexes when non-indexed completion mode",
    }));
  }
  if (
    changed.failedIndexes && spec.backoffLimitPerIndex === undefined &&
    status.failedIndexes !== undefined
  ) {
    errs.push(invalid(STATUS.child("failedIndexes"), {
      value: status.failedIndexes,
      detail: "cannot set non-null failedIndexes when backoffLimitPerIndex is null",
    }));
  }
  if (
    (changed.failedIndexes || changed.completedIndexes) && completions !== undefined &&
    status.failedIndexes !== undefined
  ) {
    const overlap = indexesOverlap(
      { completed: status.completedIndexes ?? "", failed: status.failedIndexes },
      completions,
    );
    if (overlap !== null) {
      errs.push(invalid(STATUS.child("failedIndexes"), {
        value: status.failedIndexes,
        detail: overlap,
      }));
    }
  }
  if (successMet && failed) {
    errs.push(invalidOmitValue(
      conditionsPath,
      "cannot set SuccessCriteriaMet=True and Failed=true conditions",
    ));
  }
  if (successMet && failureTarget) {
    errs.push(invalidOmitValue(
      conditionsPath,
      "cannot set SuccessCriteriaMet=True and FailureTarget=true conditions",
    ));
  }
  if (spec.successPolicy !== undefined && !successMet && complete) {
    errs.push(invalidOmitValue(
      conditionsPath,
      "cannot set Complete=True for Job with SuccessPolicy unless SuccessCriteriaMet=True",
    ));
  }
  // Transitions (ValidateJobStatusUpdate).
  for (const type of ["Failed", "Complete", "FailureTarget"]) {
    if (isTrue(oldConds, type) && !isTrue(conds, type)) {
      errs.push(
        invalidOmitValue(conditionsPath, `cannot disable the terminal ${type}=True condition`),
      );
    }
  }
  if ((status.failed ?? 0) < (before.failed ?? 0)) {
    errs.push(invalid(STATUS.child("failed"), {
      value: status.failed ?? 0,
      detail: "cannot decrease the failed counter",
    }));
  }
  const scalable = indexed && spec.completions === spec.parallelism;
  if (!scalable && (status.succeeded ?? 0) < (before.succeeded ?? 0)) {
    errs.push(invalid(STATUS.child("succeeded"), {
      value: status.succeeded ?? 0,
      detail: "cannot decrease the succeeded counter",
    }));
  }
  if (
    status.completionTime !== undefined && before.completionTime !== undefined &&
    status.completionTime !== before.completionTime
  ) {
    errs.push(invalidGo(completionPath, {
      value: status.completionTime,
      text: goTime(status.completionTime),
      detail: "completionTime cannot be mutated",
    }));
  }
  if (changed.startTime && before.startTime !== undefined && spec.suspend !== true) {
    errs.push(
      required(STATUS.child("startTime"), "startTime cannot be removed for unsuspended job"),
    );
  }
  if (isTrue(oldConds, "SuccessCriteriaMet") && !successMet) {
    errs.push(
      invalidOmitValue(conditionsPath, "cannot disable the SuccessCriteriaMet=True condition"),
    );
  }
  if (isTrue(oldConds, "Complete") && !isTrue(oldConds, "SuccessCriteriaMet") && successMet) {
    errs.push(invalidOmitValue(
      conditionsPath,
      "cannot set SuccessCriteriaMet=True for Job already has Complete=true conditions",
    ));
  }
  return errs;
}

/** The Job strategy. */
export const jobStrategy: Strategy = {
  default(obj: KubeObject): void {
    defaultJob(obj as JobLike);
  },
  prepareForCreate(obj: KubeObject): void {
    generateJobSelector(obj as JobLike);
  },
  validate(obj: KubeObject): FieldError[] {
    return validateJob(obj as JobLike);
  },
  validateUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
    return validateJobUpdate(obj as Job, old as Job);
  },
  validateStatusUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
    return validateJobStatusUpdate(obj as Job, old as Job);
  },
  warnings(obj: KubeObject, old?: KubeObject): string[] {
    const spec = (obj as JobLike).spec;
    if (old === undefined) {
      return [...dnsLabelNameWarning(obj.metadata?.name), ...jobSpecWarnings(spec, SPEC)];
    }
    return obj.metadata?.generation !== old.metadata?.generation ? jobSpecWarnings(spec, SPEC) : [];
  },
};
