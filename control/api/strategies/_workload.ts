/**
 * Validation pieces the workload kinds share (apps and batch `validation.go`): int-or-percent
 * values, the pod template checks of replicated workloads and the DNS-label name warning.
 *
 * @module
 */
import type { PodTemplateSpec } from "../types/core_v1_pod.ts";
import { type FieldError, FieldPath, forbidden, notSupported } from "../validation/field_errors.ts";
import { goIntOrString, goStringMap, invalidGo } from "../validation/go_format.ts";
import { validateAnnotations, validateLabels } from "../validation/label_validation.ts";
import { isDns1123Label, isDns1123Subdomain } from "../validation/names.ts";
import { validateNonnegativeField } from "../validation/numbers.ts";
import type { Selector } from "./_workload_selector.ts";
import { validatePodTemplateSpec } from "./pod_spec.ts";

const PERCENT = /^[0-9]+%$/;

/** The message of a string int-or-string that is not a percentage. */
export const PERCENT_ERROR =
  "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')";

/** Errors in an int-or-percent: a non-negative integer or a percentage (`ValidatePositiveIntOrPercent`). */
export function validatePositiveIntOrPercent(
  value: number | string,
  path: FieldPath | string,
): FieldError[] {
  if (typeof value === "string") {
    return PERCENT.test(value)
      ? []
      : [invalidGo(path, { value, text: goIntOrString(value), detail: PERCENT_ERROR })];
  }
  return validateNonnegativeField(value, path);
}

/** The number an int-or-percent stands for: `"25%"` is 25, `"7"` is 7, `"x"` is 0 (`getIntOrPercentValue`). */
export function intOrPercentValue(value: number | string | undefined): number {
  if (value === undefined) return 0;
  if (typeof value === "number") return value;
  if (PERCENT.test(value)) return Number(value.slice(0, -1));
  return /^[+-]?[0-9]+$/.test(value) ? Number(value) : 0;
}

/** `must not be greater than 100%` for a percentage above 100 (`IsNotMoreThan100Percent`). */
export function isNotMoreThan100Percent(
  value: number | string,
  path: FieldPath | string,
): FieldError[] {
  if (typeof value !== "string" || !PERCENT.test(value)) return [];
  if (Number(value.slice(0, -1)) <= 100) return [];
  return [
    invalidGo(path, {
      value,
      text: goIntOrString(value),
      detail: "must not be greater than 100%",
    }),
  ];
}

/**
 * The create warning of kinds whose name becomes part of pod names and hostnames, when the
 * name is a valid subdomain but not a DNS label.
 */
export function dnsLabelNameWarning(name: string | undefined): string[] {
  if (name === undefined || name === "") return [];
  const errs = isDns1123Label(name);
  if (errs.length === 0) return [];
  const subdomain = isDns1123Subdomain(name).length === 0;
  const msgs = errs.map((
    e,
  ) => (subdomain && e.startsWith("a lowercase") ? "must not contain dots" : e));
  return [
    `metadata.name: this is used in Pod names and hostnames, which can result in surprising behavior; a DNS label is recommended: [${
      msgs.join(" ")
    }]`,
  ];
}

/** Options of {@linkcode templateLabelsMismatch}. */
export interface TemplateLabelsOptions {
  readonly selector: Selector;
  /** Where the template sits (`spec.template`). */
  readonly path: FieldPath;
}

/** `<path>.metadata.labels: Invalid value: map[…]: \`selector\` does not match template \`labels\``. */
export function templateLabelsMismatch(
  template: PodTemplateSpec,
  options: TemplateLabelsOptions,
): FieldError[] {
  const labels = template.metadata?.labels;
  if (options.selector.matches(labels)) return [];
  return [
    invalidGo(options.path.child("metadata").child("labels"), {
      value: labels,
      text: goStringMap(labels),
      detail: "`selector` does not match template `labels`",
    }),
  ];
}

/** Options of {@linkcode validateReplicaTemplate}. */
export interface ReplicaTemplateOptions {
  /** The parsed selector of the workload. */
  readonly selector: Selector;
  /** Where the template sits (`spec.template`). */
  readonly path: FieldPath;
  /** The kind named in the activeDeadlineSeconds message (`ReplicaSet`, `DaemonSet`, …). */
  readonly kind: string;
  /**
   * Run the full pod template validation; when false (StatefulSet, as upstream) only the
   * template's labels and annotations are checked.
   *
   * @default {true}
   */
  readonly validatePod?: boolean;
  /** Errors to report right after the label match (DaemonSet's empty-selector error). */
  readonly afterLabelMatch?: readonly FieldError[];
}

/**
 * The template checks of a workload that keeps pods running (`ValidatePodTemplateSpecForReplicaSet`
 * and its DaemonSet and StatefulSet twins): the selector matches the template's labels, the pod
 * template is valid, restartPolicy is Always and activeDeadlineSeconds is unset.
 */
export function validateReplicaTemplate(
  template: PodTemplateSpec,
  options: ReplicaTemplateOptions,
): FieldError[] {
  const { path, selector } = options;
  const labels = template.metadata?.labels;
  const errs = selector.empty ? [] : templateLabelsMismatch(template, { selector, path });
  errs.push(...(options.afterLabelMatch ?? []));
  if (options.validatePod ?? true) {
    errs.push(...validatePodTemplateSpec(template, { path }));
  } else {
    errs.push(...validateLabels(labels, path.child("labels")));
    errs.push(...validateAnnotations(template.metadata?.annotations, path.child("annotations")));
  }
  const restartPolicy = template.spec?.restartPolicy ?? "";
  if (restartPolicy !== "Always") {
    errs.push(notSupported(path.child("spec").child("restartPolicy"), {
      value: restartPolicy,
      supported: ["Always"],
    }));
  }
  if (template.spec?.activeDeadlineSeconds !== undefined) {
    errs.push(forbidden(
      path.child("spec").child("activeDeadlineSeconds"),
      `activeDeadlineSeconds in ${options.kind} is not Supported`,
    ));
  }
  return errs;
}

/** `spec` as a field path. */
export const SPEC = new FieldPath("spec");

/** A deep copy of decoded JSON. */
export function clone<T>(value: T): T {
  return structuredClone(value);
}
