/**
 * Validation of a `JobSpec`, shared by Jobs and by the job templates of CronJobs
 * (`validateJobSpec` in upstream batch validation), and the index-interval format of
 * `completedIndexes`, `failedIndexes` and `succeededIndexes`.
 *
 * @module
 */
import type {
  JobSpec,
  PodFailurePolicyOnExitCodesRequirement,
  PodFailurePolicyOnPodConditionsPattern,
  PodFailurePolicyRule,
  SuccessPolicy,
  SuccessPolicyRule,
} from "../types/batch_v1.ts";
import type { PodTemplateSpec } from "../types/core_v1_pod.ts";
import {
  duplicate,
  FieldError,
  type FieldPath,
  invalid,
  notSupported,
  required,
  tooLong,
  tooMany,
} from "../validation/field_errors.ts";
import { goPointer, goQuote, goStruct, invalidGo } from "../validation/go_format.ts";
import { isDns1123Subdomain, isQualifiedName } from "../validation/names.ts";
import { validateNonnegativeField } from "../validation/numbers.ts";
import { validatePodTemplateSpec } from "./pod_spec.ts";

const MAX_PARALLELISM_FOR_INDEXED_JOB = 100000;
const MAX_FAILED_INDEXES_FOR_INDEXED_JOB = 100000;
const COMPLETIONS_SOFT_LIMIT = 100000;
const PARALLELISM_LIMIT_FOR_HIGH_COMPLETIONS = 10000;
const MAX_FAILED_INDEXES_LIMIT_FOR_HIGH_COMPLETIONS = 10000;
const MAX_POD_FAILURE_POLICY_RULES = 20;
const MAX_ON_EXIT_CODES_VALUES = 255;
const MAX_ON_POD_CONDITIONS_PATTERNS = 20;
const MAX_MANAGED_BY_LENGTH = 63;
const MAX_SUCCEEDED_INDEXES_LENGTH = 64 * 1024;
const MAX_SUCCESS_POLICY_RULES = 20;

const CONDITION_STATUSES = ["False", "True", "Unknown"];
const HTTP_PATH = /^[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$/;

/** An `Invalid value` error that prints no value (Go's `field.OmitValueType{}`). */
export function invalidOmitValue(path: FieldPath | string, detail: string): FieldError {
  return new FieldError("invalid", { field: path, detail });
}

/** Errors in a domain-prefixed path such as `acme.io/foo` (`IsDomainPrefixedPath`). */
function validateDomainPrefixedPath(value: string, path: FieldPath): FieldError[] {
  if (value.length === 0) return [required(path)];
  const slash = value.indexOf("/");
  const host = slash < 0 ? value : value.slice(0, slash);
  const rest = slash < 0 ? "" : value.slice(slash + 1);
  if (slash < 0 || host.length === 0 || rest.length === 0) {
    return [
      invalid(path, { value, detail: 'must be a domain-prefixed path (such as "acme.io/foo")' }),
    ];
  }
  const errs = isDns1123Subdomain(host).map((detail) => invalid(path, { value: host, detail }));
  if (!HTTP_PATH.test(rest)) {
    errs.push(invalid(path, {
      value: rest,
      detail: "Invalid path (regex used for validation is '[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+')",
    }));
  }
  return errs;
}

/** `[]int32{1, 2}` as Go prints exit code lists. */
function goInt32s(values: readonly number[]): string {
  return `[]int32{${values.join(", ")}}`;
}

function validateOnExitCodes(
  req: PodFailurePolicyOnExitCodesRequirement,
  options: { path: FieldPath; containerNames: ReadonlySet<string> },
): FieldError[] {
  const { path } = options;
  const errs: FieldError[] = [];
  if (req.containerName !== undefined && !options.containerNames.has(req.containerName)) {
    errs.push(invalid(path.child("containerName"), {
      value: req.containerName,
      detail: "must be one of the container or initContainer names in the pod template",
    }));
  }
  const values = req.values ?? [];
  const valuesPath = path.child("values");
  if (values.length === 0) {
    errs.push(invalidGo(valuesPath, {
      value: values,
      text: goInt32s(values),
      detail: "at least one value is required",
    }));
  } else if (values.length > MAX_ON_EXIT_CODES_VALUES) {
    errs.push(tooMany(valuesPath, { actual: values.length, max: MAX_ON_EXIT_CODES_VALUES }));
  }
  let ordered = true;
  const seen = new Set<number>();
  values.forEach((v, j) => {
    const p = valuesPath.index(j);
    if (req.operator === "In" && v === 0) {
      errs.push(invalid(p, { value: v, detail: "must not be 0 for the In operator" }));
    }
    if (seen.has(v)) errs.push(duplicate(p, v));
    else seen.add(v);
    if (j > 0 && values[j - 1]! > v) ordered = false;
  });
  if (!ordered) {
    errs.push(
      invalidGo(valuesPath, { value: values, text: goInt32s(values), detail: "must be ordered" }),
    );
  }
  return errs;
}

function validateOnPodConditions(
  patterns: readonly PodFailurePolicyOnPodConditionsPattern[],
  path: FieldPath,
): FieldError[] {
  const errs: FieldError[] = [];
  if (patterns.length > MAX_ON_POD_CONDITIONS_PATTERNS) {
    errs.push(tooMany(path, { actual: patterns.length, max: MAX_ON_POD_CONDITIONS_PATTERNS }));
  }
  patterns.forEach((pattern, j) => {
    const p = path.index(j);
    for (const detail of isQualifiedName(pattern.type)) {
      errs.push(invalid(p.child("type"), { value: pattern.type, detail }));
    }
    const status = pattern.status ?? "";
    if (status === "") {
      errs.push(required(
        p.child("status"),
        `valid values: ${goSliceOfQuoted(CONDITION_STATUSES)}`,
      ));
    } else if (!CONDITION_STATUSES.includes(status)) {
      errs.push(notSupported(p.child("status"), { value: status, supported: CONDITION_STATUSES }));
    }
  });
  return errs;
}

/** Go's `%q` of a `[]string`: `["a" "b"]`. */
function goSliceOfQuoted(values: readonly string[]): string {
  return `[${values.map(goQuote).join(" ")}]`;
}

function validatePodFailurePolicyRule(
  rule: PodFailurePolicyRule,
  options: { spec: JobSpec; path: FieldPath; containerNames: ReadonlySet<string> },
): FieldError[] {
  const { path } = options;
  const errs: FieldError[] = [];
  if (rule.action === "FailIndex" && options.spec.backoffLimitPerIndex === undefined) {
    errs.push(invalid(path.child("action"), {
      value: rule.action,
      detail: "requires the backoffLimitPerIndex to be set",
    }));
  }
  if (rule.onExitCodes !== undefined) {
    errs.push(...validateOnExitCodes(rule.onExitCodes, {
      path: path.child("onExitCodes"),
      containerNames: options.containerNames,
    }));
  }
  const conditions = rule.onPodConditions ?? [];
  if (conditions.length > 0) {
    errs.push(...validateOnPodConditions(conditions, path.child("onPodConditions")));
  }
  if (rule.onExitCodes !== undefined && conditions.length > 0) {
    errs.push(invalidOmitValue(
      path,
      "specifying both OnExitCodes and OnPodConditions is not supported",
    ));
  }
  if (rule.onExitCodes === undefined && conditions.length === 0) {
    errs.push(
      invalidOmitValue(path, "specifying one of OnExitCodes and OnPodConditions is required"),
    );
  }
  return errs;
}

function validatePodFailurePolicy(
  spec: JobSpec,
  options: { path: FieldPath; template: PodTemplateSpec | undefined },
): FieldError[] {
  const rules = spec.podFailurePolicy?.rules ?? [];
  const rulesPath = options.path.child("rules");
  const errs: FieldError[] = [];
  if (rules.length > MAX_POD_FAILURE_POLICY_RULES) {
    errs.push(tooMany(rulesPath, { actual: rules.length, max: MAX_POD_FAILURE_POLICY_RULES }));
  }
  const podSpec = options.template?.spec;
  const containerNames = new Set<string>([
    ...(podSpec?.containers ?? []).map((c) => c.name),
    ...(podSpec?.initContainers ?? []).map((c) => c.name),
  ]);
  rules.forEach((rule, i) => {
    errs.push(...validatePodFailurePolicyRule(rule, {
      spec,
      path: rulesPath.index(i),
      containerNames,
    }));
  });
  return errs;
}

/** A successPolicy as Go prints it: `batch.SuccessPolicy{Rules:[]batch.SuccessPolicyRule{…}}`. */
export function goSuccessPolicy(policy: SuccessPolicy): string {
  const rules = policy.rules ?? [];
  const items = rules.map((r: SuccessPolicyRule) =>
    goStruct("batch.SuccessPolicyRule", [
      ["SucceededIndexes", goPointer("string", r.succeededIndexes !== undefined)],
      ["SucceededCount", goPointer("int32", r.succeededCount !== undefined)],
    ])
  );
  return goStruct("batch.SuccessPolicy", [
    ["Rules", `[]batch.SuccessPolicyRule{${items.join(", ")}}`],
  ]);
}

/** Parses one interval of an index list (`parseIndexInterval`): `[first, last]` or an error. */
function parseIndexInterval(interval: string, completions: number): [number, number] | string {
  const limits = interval.split("-");
  if (limits.length > 2) {
    return `the fragment ${
      goQuote(interval)
    } violates the requirement that an index interval can have at most two parts separated by '-'`;
  }
  const parse = (s: string): number | string => {
    if (!/^[+-]?[0-9]+$/.test(s)) {
      return `cannot convert string to integer for index: ${goQuote(s)}`;
    }
    const n = Number(s);
    return n >= completions ? `too large index: ${goQuote(s)}` : n;
  };
  const x = parse(limits[0]!);
  if (typeof x === "string") return x;
  if (limits.length === 1) return [x, x];
  const y = parse(limits[1]!);
  if (typeof y === "string") return y;
  if (x >= y) return `non-increasing order, previous: ${x}, current: ${y}`;
  return [x, y];
}

/**
 * Checks an index list such as `"1,3-5,7"` against `completions` (`validateIndexesFormat`):
 * the number of indexes it holds, or the error text.
 */
export function indexesFormat(indexes: string, completions: number): number | string {
  if (indexes.length === 0) return 0;
  let last: number | undefined;
  let total = 0;
  for (const interval of indexes.split(",")) {
    const r = parseIndexInterval(interval, completions);
    if (typeof r === "string") return r;
    const [x, y] = r;
    if (last !== undefined && last >= x) {
      return `non-increasing order, previous: ${last}, current: ${x}`;
    }
    total += y - x + 1;
    last = y;
  }
  return total;
}

/**
 * The first index present in both lists (`validateFailedIndexesNotOverlapCompleted`), as the
 * error text, or `null`. Intervals that do not parse are skipped (their format is checked
 * separately).
 */
export function indexesOverlap(
  lists: { readonly completed: string; readonly failed: string },
  completions: number,
): string | null {
  const { completed, failed } = lists;
  if (completed === "" || failed === "") return null;
  const parseAll = (s: string) =>
    s.split(",").map((i) => parseIndexInterval(i, completions)).filter((r) =>
      typeof r !== "string"
    ) as [number, number][];
  const c = parseAll(completed);
  const f = parseAll(failed);
  let ci = 0;
  let fi = 0;
  while (ci < c.length && fi < f.length) {
    const [cx, cy] = c[ci]!;
    const [fx, fy] = f[fi]!;
    if (cx <= fy && fx <= cy) {
      return `failedIndexes and completedIndexes overlap at index: ${Math.max(cx, fx)}`;
    }
    if (cx <= fx) ci++;
    else fi++;
  }
  return null;
}

function validateSuccessPolicy(spec: JobSpec, path: FieldPath): FieldError[] {
  const rules = spec.successPolicy?.rules ?? [];
  const rulesPath = path.child("rules");
  const errs: FieldError[] = [];
  if (rules.length === 0) {
    errs.push(required(
      rulesPath,
      "at least one rules must be specified when the successPolicy is specified",
    ));
  }
  if (rules.length > MAX_SUCCESS_POLICY_RULES) {
    errs.push(tooMany(rulesPath, { actual: rules.length, max: MAX_SUCCESS_POLICY_RULES }));
  }
  const completions = spec.completions ?? 0;
  rules.forEach((rule, i) => {
    const p = rulesPath.index(i);
    if (rule.succeededCount === undefined && rule.succeededIndexes === undefined) {
      errs.push(
        required(p, "at least one of succeededCount or succeededIndexes must be specified"),
      );
    }
    let total = 0;
    if (rule.succeededIndexes !== undefined) {
      const ip = p.child("succeededIndexes");
      if (rule.succeededIndexes.length > MAX_SUCCEEDED_INDEXES_LENGTH) {
        errs.push(tooLong(ip, MAX_SUCCEEDED_INDEXES_LENGTH));
      }
      const r = indexesFormat(rule.succeededIndexes, completions);
      if (typeof r === "string") {
        errs.push(invalid(ip, {
          value: rule.succeededIndexes,
          detail: `error parsing succeededIndexes: ${r}`,
        }));
      } else {
        total = r;
      }
    }
    if (rule.succeededCount !== undefined) {
      const cp = p.child("succeededCount");
      const count = rule.succeededCount;
      errs.push(...validateNonnegativeField(count, cp));
      if (count > completions) {
        errs.push(invalid(cp, {
          value: count,
          detail:
            `must be less than or equal to ${completions} (the number of specified completions)`,
        }));
      }
      if (rule.succeededIndexes !== undefined && count > total) {
        errs.push(invalid(cp, {
          value: count,
          detail:
            `must be less than or equal to ${total} (the number of indexes in the specified succeededIndexes field)`,
        }));
      }
    }
  });
  return errs;
}

function validateIndexed(spec: JobSpec, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const { completions, parallelism, maxFailedIndexes, backoffLimitPerIndex } = spec;
  if (spec.completionMode === "Indexed") {
    if (completions === undefined) {
      errs.push(required(path.child("completions"), "when completion mode is Indexed"));
    }
    if (parallelism !== undefined && parallelism > MAX_PARALLELISM_FOR_INDEXED_JOB) {
      errs.push(invalid(path.child("parallelism"), {
        value: parallelism,
        detail:
          `must be less than or equal to ${MAX_PARALLELISM_FOR_INDEXED_JOB} when completion mode is Indexed`,
      }));
    }
    if (
      completions !== undefined && maxFailedIndexes !== undefined &&
      maxFailedIndexes > completions
    ) {
      errs.push(invalid(path.child("maxFailedIndexes"), {
        value: maxFailedIndexes,
        detail: "must be less than or equal to completions",
      }));
    }
    if (maxFailedIndexes !== undefined && maxFailedIndexes > MAX_FAILED_INDEXES_FOR_INDEXED_JOB) {
      errs.push(invalid(path.child("maxFailedIndexes"), {
        value: maxFailedIndexes,
        detail: `must be less than or equal to ${MAX_FAILED_INDEXES_FOR_INDEXED_JOB}`,
      }));
    }
    if (
      completions !== undefined && completions > COMPLETIONS_SOFT_LIMIT &&
      backoffLimitPerIndex !== undefined
    ) {
      const high =
        `when completions are above ${COMPLETIONS_SOFT_LIMIT} and used with backoff limit per index`;
      if (maxFailedIndexes === undefined) {
        errs.push(required(
          path.child("maxFailedIndexes"),
          `must be specified when completions is above ${COMPLETIONS_SOFT_LIMIT}`,
        ));
      }
      if (parallelism !== undefined && parallelism > PARALLELISM_LIMIT_FOR_HIGH_COMPLETIONS) {
        errs.push(invalid(path.child("parallelism"), {
          value: parallelism,
          detail: `must be less than or equal to ${PARALLELISM_LIMIT_FOR_HIGH_COMPLETIONS} ${high}`,
        }));
      }
      if (
        maxFailedIndexes !== undefined &&
        maxFailedIndexes > MAX_FAILED_INDEXES_LIMIT_FOR_HIGH_COMPLETIONS
      ) {
        errs.push(invalid(path.child("maxFailedIndexes"), {
          value: maxFailedIndexes,
          detail:
            `must be less than or equal to ${MAX_FAILED_INDEXES_LIMIT_FOR_HIGH_COMPLETIONS} ${high}`,
        }));
      }
    }
  }
  if (spec.completionMode === undefined || spec.completionMode === "NonIndexed") {
    if (backoffLimitPerIndex !== undefined) {
      errs.push(invalid(path.child("backoffLimitPerIndex"), {
        value: backoffLimitPerIndex,
        detail: "requires indexed completion mode",
      }));
    }
    if (maxFailedIndexes !== undefined) {
      errs.push(invalid(path.child("maxFailedIndexes"), {
        value: maxFailedIndexes,
        detail: "requires indexed completion mode",
      }));
    }
  }
  return errs;
}

/**
 * Defaults `status: "True"` in the pod condition patterns of a pod failure policy
 * (`SetDefaults_PodFailurePolicyOnPodConditionsPattern`; the schema default does the same when
 * a body is decoded).
 */
export function defaultPodFailurePolicy(spec: JobSpec): void {
  for (const rule of spec.podFailurePolicy?.rules ?? []) {
    for (const pattern of rule.onPodConditions ?? []) pattern.status ||= "True";
  }
}

/**
 * The warnings of a JobSpec at `path` (upstream's `WarningsForJobSpec`, without the pod
 * template warnings skiff does not give): an Indexed Job of more than 10^5 completions and a
 * parallelism above 10^4, whose failed indexes may not all be tracked.
 */
export function jobSpecWarnings(spec: JobSpec | undefined, path: FieldPath): string[] {
  if (spec?.completionMode !== "Indexed") return [];
  const completions = spec.completions ?? 0;
  const parallelism = spec.parallelism ?? 0;
  if (
    completions <= COMPLETIONS_SOFT_LIMIT || parallelism <= PARALLELISM_LIMIT_FOR_HIGH_COMPLETIONS
  ) {
    return [];
  }
  return [
    `${path}: In Indexed Jobs with a number of completions higher than 10^5 and a parallelism higher than 10^4, Kubernetes might not be able to track completedIndexes when a big number of indexes fail`,
  ];
}

/** Options of {@linkcode validateJobSpecFields}. */
export interface JobSpecOptions {
  /** Where the spec sits (`spec`, or `spec.jobTemplate.spec` in a CronJob). */
  readonly path: FieldPath;
  /** The pod template to validate; none when the schema already reports it missing. */
  readonly template: PodTemplateSpec | undefined;
}

/** Errors in a JobSpec, except for its selector (upstream's private `validateJobSpec`). */
export function validateJobSpecFields(spec: JobSpec, options: JobSpecOptions): FieldError[] {
  const { path, template } = options;
  const errs: FieldError[] = [
    ...validateNonnegativeField(spec.parallelism, path.child("parallelism")),
    ...validateNonnegativeField(spec.completions, path.child("completions")),
    ...validateNonnegativeField(spec.activeDeadlineSeconds, path.child("activeDeadlineSeconds")),
    ...validateNonnegativeField(spec.backoffLimit, path.child("backoffLimit")),
    ...validateNonnegativeField(
      spec.ttlSecondsAfterFinished,
      path.child("ttlSecondsAfterFinished"),
    ),
    ...validateNonnegativeField(spec.backoffLimitPerIndex, path.child("backoffLimitPerIndex")),
  ];
  if (spec.maxFailedIndexes !== undefined) {
    errs.push(...validateNonnegativeField(spec.maxFailedIndexes, path.child("maxFailedIndexes")));
    if (spec.backoffLimitPerIndex === undefined) {
      errs.push(required(path.child("backoffLimitPerIndex"), "when maxFailedIndexes is specified"));
    }
  }
  if (spec.managedBy !== undefined) {
    const p = path.child("managedBy");
    errs.push(...validateDomainPrefixedPath(spec.managedBy, p));
    if (spec.managedBy.length > MAX_MANAGED_BY_LENGTH) errs.push(tooLong(p, MAX_MANAGED_BY_LENGTH));
  }
  errs.push(...validateIndexed(spec, path));
  if (spec.podFailurePolicy !== undefined) {
    errs.push(
      ...validatePodFailurePolicy(spec, { path: path.child("podFailurePolicy"), template }),
    );
  }
  if (spec.successPolicy !== undefined) {
    if ((spec.completionMode ?? "NonIndexed") !== "Indexed") {
      errs.push(invalidGo(path.child("successPolicy"), {
        value: spec.successPolicy,
        text: goSuccessPolicy(spec.successPolicy),
        detail: "requires indexed completion mode",
      }));
    } else {
      errs.push(...validateSuccessPolicy(spec, path.child("successPolicy")));
    }
  }
  if (
    spec.podReplacementPolicy !== undefined && spec.podFailurePolicy !== undefined &&
    spec.podReplacementPolicy !== "Failed"
  ) {
    errs.push(notSupported(path.child("podReplacementPolicy"), {
      value: spec.podReplacementPolicy,
      supported: ["Failed"],
    }));
  }
  if (template !== undefined) {
    const templatePath = path.child("template");
    errs.push(...validatePodTemplateSpec(template, { path: templatePath }));
    const restartPath = templatePath.child("spec").child("restartPolicy");
    const restartPolicy = template.spec?.restartPolicy ?? "";
    if (restartPolicy === "Always" || restartPolicy === "") {
      errs.push(required(restartPath, 'valid values: "OnFailure", "Never"'));
    } else if (restartPolicy !== "OnFailure" && restartPolicy !== "Never") {
      errs.push(notSupported(restartPath, {
        value: restartPolicy,
        supported: ["OnFailure", "Never"],
      }));
    } else if (spec.podFailurePolicy !== undefined && restartPolicy !== "Never") {
      errs.push(invalid(restartPath, {
        value: restartPolicy,
        detail: 'only "Never" is supported when podFailurePolicy is specified',
      }));
    }
  }
  return errs;
}
