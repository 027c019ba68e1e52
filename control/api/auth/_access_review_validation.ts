/**
 * Validation of the access reviews, as upstream's `pkg/apis/authorization/validation` prints
 * it: exactly one of resourceAttributes and nonResourceAttributes, a user or group for
 * SubjectAccessReview, the selector attributes, an empty metadata (but the namespace, for
 * LocalSubjectAccessReview). Bad values print as the Go structs upstream validates.
 *
 * @module
 */
import type {
  FieldSelectorAttributes,
  LabelSelectorAttributes,
  NonResourceAttributes,
  ResourceAttributes,
} from "../types/authorization_v1.ts";
import type { ObjectMeta } from "../types/meta_v1.ts";
import {
  FieldError,
  FieldPath,
  forbidden,
  invalid,
  invalidEach,
  required,
} from "../validation/field_errors.ts";
import {
  goPointer,
  goQuote,
  goStringMap,
  goStringSlice,
  goStruct,
  goStructSlice,
  invalidGo,
} from "../validation/go_format.ts";
import { validateLabelName } from "../validation/label_validation.ts";
import { isValidLabelValue } from "../validation/names.ts";

/** The spec fields every access review shares. */
export interface ReviewSpecLike {
  readonly resourceAttributes?: ResourceAttributes;
  readonly nonResourceAttributes?: NonResourceAttributes;
  readonly user?: string;
  readonly groups?: readonly string[];
}

function goNonResourceAttributes(a: NonResourceAttributes): string {
  return goStruct("authorization.NonResourceAttributes", [
    ["Path", goQuote(a.path ?? "")],
    ["Verb", goQuote(a.verb ?? "")],
  ]);
}

const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

/** Go's `%#v` of a `metav1.Time` (the zero time unless set). */
function goMetaTime(rfc3339: string | undefined): string {
  const ms = rfc3339 ? Date.parse(rfc3339) : NaN;
  if (Number.isNaN(ms)) return "v1.Time{Time:time.Date(1, time.January, 1, 0, 0, 0, 0, time.UTC)}";
  const d = new Date(ms);
  return `v1.Time{Time:time.Date(${d.getUTCFullYear()}, time.${
    MONTHS[d.getUTCMonth()]
  }, ${d.getUTCDate()}, ${d.getUTCHours()}, ${d.getUTCMinutes()}, ${d.getUTCSeconds()}, 0, time.Local)}`;
}

/** Go's `%#v` of an ObjectMeta, as the "must be empty" errors print it. */
function goObjectMeta(m: ObjectMeta): string {
  return goStruct("v1.ObjectMeta", [
    ["Name", goQuote(m.name ?? "")],
    ["GenerateName", goQuote(m.generateName ?? "")],
    ["Namespace", goQuote(m.namespace ?? "")],
    ["SelfLink", goQuote(m.selfLink ?? "")],
    ["UID", goQuote(m.uid ?? "")],
    ["ResourceVersion", goQuote(m.resourceVersion ?? "")],
    ["Generation", String(m.generation ?? 0)],
    ["CreationTimestamp", goMetaTime(m.creationTimestamp)],
    ["DeletionTimestamp", goPointer("v1.Time", m.deletionTimestamp !== undefined)],
    ["DeletionGracePeriodSeconds", goPointer("int64", m.deletionGracePeriodSeconds !== undefined)],
    ["Labels", goStringMap(m.labels)],
    ["Annotations", goStringMap(m.annotations)],
    ["OwnerReferences", goStructSlice("v1.OwnerReference", m.ownerReferences)],
    ["Finalizers", goStringSlice("string", m.finalizers)],
    ["ManagedFields", goStructSlice("v1.ManagedFieldsEntry", m.managedFields)],
  ]);
}

/** Whether metadata has nothing set but (when allowed) the namespace. */
function metaEmpty(m: ObjectMeta | undefined, allowNamespace: boolean): boolean {
  for (const [k, v] of Object.entries(m ?? {})) {
    if (v === undefined || k === "managedFields") continue;
    if (k === "namespace" && (allowNamespace || v === "")) continue;
    if (k === "creationTimestamp" && (v === null || v === "")) continue;
    if (
      Array.isArray(v) ? v.length > 0 : typeof v === "object" ? v !== null : v !== "" && v !== 0
    ) {
      return false;
    }
  }
  return true;
}

/** `must be empty` (or `must be empty except for namespace`) on metadata. */
export function validateReviewMeta(
  meta: ObjectMeta | undefined,
  options: { readonly allowNamespace: boolean },
): FieldError[] {
  if (metaEmpty(meta, options.allowNamespace)) return [];
  return [
    invalidGo("metadata", {
      text: goObjectMeta(meta ?? {}),
      value: meta,
      detail: options.allowNamespace ? "must be empty except for namespace" : "must be empty",
    }),
  ];
}

interface RequirementLike {
  readonly key?: string;
  readonly operator?: string;
  readonly values?: readonly string[];
}

function operatorErrors(r: RequirementLike, path: FieldPath): FieldError[] {
  const values = r.values ?? [];
  if (r.operator === "In" || r.operator === "NotIn") {
    if (values.length === 0) {
      return [
        required(path.child("values"), "must be specified when `operator` is 'In' or 'NotIn'"),
      ];
    }
  } else if (r.operator === "Exists" || r.operator === "DoesNotExist") {
    if (values.length > 0) {
      return [
        forbidden(
          path.child("values"),
          "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
        ),
      ];
    }
  }
  // Unknown operators are allowed: newer clients may know operators this server does not.
  return [];
}

function selectorErrors(
  selector: FieldSelectorAttributes | LabelSelectorAttributes | undefined,
  options: { readonly path: FieldPath; readonly label: boolean },
): FieldError[] {
  if (selector === undefined) return [];
  const { path } = options;
  const errs: FieldError[] = [];
  const raw = selector.rawSelector ?? "";
  const reqs = (selector.requirements ?? []) as readonly RequirementLike[];
  if (raw.length > 0 && reqs.length > 0) {
    errs.push(invalid(path.child("rawSelector"), {
      value: raw,
      detail: "may not specified at the same time as requirements",
    }));
  }
  if (raw.length === 0 && reqs.length === 0) {
    errs.push(required(
      path.child("requirements"),
      `when ${path} is specified, requirements or rawSelector is required`,
    ));
  }
  reqs.forEach((r, i) => {
    const p = path.child("requirements").index(i);
    if (!options.label && !r.key) errs.push(required(p.child("key"), "must be specified"));
    errs.push(...operatorErrors(r, p));
    if (options.label) {
      errs.push(...validateLabelName(r.key ?? "", p.child("key")));
      (r.values ?? []).forEach((v, j) => {
        errs.push(
          ...invalidEach(p.child("values").index(j), { value: v, messages: isValidLabelValue(v) }),
        );
      });
    }
  });
  return errs;
}

function resourceAttributesErrors(a: ResourceAttributes | undefined): FieldError[] {
  if (a === undefined) return [];
  const path = new FieldPath("spec").child("resourceAttributes");
  return [
    ...selectorErrors(a.fieldSelector, { path: path.child("fieldSelector"), label: false }),
    ...selectorErrors(a.labelSelector, { path: path.child("labelSelector"), label: true }),
  ];
}

/**
 * The spec errors of an access review (upstream `Validate*SubjectAccessReviewSpec`):
 * `subject` true for the reviews naming a user (SubjectAccessReview, LocalSubjectAccessReview).
 */
export function validateReviewSpec(
  spec: ReviewSpecLike | undefined,
  options: { readonly subject: boolean },
): FieldError[] {
  const s = spec ?? {};
  const path = new FieldPath("spec");
  const errs: FieldError[] = [];
  if (s.resourceAttributes !== undefined && s.nonResourceAttributes !== undefined) {
    errs.push(invalidGo(path.child("nonResourceAttributes"), {
      text: goNonResourceAttributes(s.nonResourceAttributes),
      value: s.nonResourceAttributes,
      detail: "cannot be specified in combination with resourceAttributes",
    }));
  }
  if (s.resourceAttributes === undefined && s.nonResourceAttributes === undefined) {
    // Upstream prints the (nil) nonResourceAttributes pointer as the string "null".
    errs.push(invalid(path.child("resourceAttributes"), {
      value: "null",
      detail: "exactly one of nonResourceAttributes or resourceAttributes must be specified",
    }));
  }
  if (options.subject && !s.user && (s.groups ?? []).length === 0) {
    errs.push(invalid(path.child("user"), {
      value: s.user ?? "",
      detail: "at least one of user or group must be specified",
    }));
  }
  errs.push(...resourceAttributesErrors(s.resourceAttributes));
  return errs;
}

/** The extra checks of a LocalSubjectAccessReview (its namespace and kind of request). */
export function validateLocalReview(
  spec: ReviewSpecLike | undefined,
  namespace: string,
): FieldError[] {
  const errs: FieldError[] = [];
  const ra = spec?.resourceAttributes;
  if (ra !== undefined && (ra.namespace ?? "") !== namespace) {
    errs.push(invalid("spec.resourceAttributes.namespace", {
      value: ra.namespace ?? "",
      detail: "must match metadata.namespace",
    }));
  }
  const nra = spec?.nonResourceAttributes;
  if (nra !== undefined) {
    errs.push(invalidGo("spec.nonResourceAttributes", {
      text: goNonResourceAttributes(nra),
      value: nra,
      detail: "disallowed on this kind of request",
    }));
  }
  return errs;
}
