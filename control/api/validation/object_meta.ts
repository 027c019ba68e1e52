/**
 * Validation of `metadata` every object gets, as apimachinery's `ValidateObjectMeta` and
 * `ValidateObjectMetaUpdate`: name and generateName by the kind's rule, namespace by scope,
 * labels, annotations and their total size, owner references, finalizers, and on update the
 * fields that never change.
 *
 * @example Validate a ConfigMap's metadata
 * ```ts
 * import assert from "node:assert/strict";
 * import { validateObjectMeta } from "./object_meta.ts";
 *
 * const errs = validateObjectMeta({ name: "Bad_Name", namespace: "default" }, {
 *   namespaced: true,
 *   nameRule: "subdomain",
 * });
 * assert.match(errs[0]!.toString(), /^metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
 * ```
 *
 * @module
 */
import type { NameRule } from "../strategies/strategy.ts";
import type { ObjectMeta } from "../types/meta_v1.ts";
import { jsonEqual } from "../util/json_value.ts";
import { type FieldError, FieldPath, forbidden, invalid, required } from "./field_errors.ts";
import { FIELD_IMMUTABLE } from "./immutable.ts";
import { validateAnnotations, validateLabels } from "./label_validation.ts";
import {
  isDns1035Label,
  isDns1123Label,
  isDns1123Subdomain,
  isQualifiedName,
  isValidPathSegmentName,
} from "./names.ts";

const META = new FieldPath("metadata");

/** Options of {@linkcode validateObjectMeta}. */
export interface ObjectMetaRules {
  readonly namespaced: boolean;
  readonly nameRule: NameRule;
}

/** The problems with `name` under `rule`. */
export function validateName(name: string, rule: NameRule): string[] {
  switch (rule) {
    case "label":
      return isDns1123Label(name);
    case "dns1035":
      return isDns1035Label(name);
    case "pathSegment":
      return isValidPathSegmentName(name);
    default:
      return isDns1123Subdomain(name);
  }
}

function validateOwnerReferences(
  refs: ObjectMeta["ownerReferences"],
  path: FieldPath,
): FieldError[] {
  const errs: FieldError[] = [];
  let controllers = 0;
  (refs ?? []).forEach((r, i) => {
    const p = path.index(i);
    if (!r.apiVersion) {
      errs.push(
        invalid(p.child("apiVersion"), {
          value: r.apiVersion ?? "",
          detail: "version must not be empty",
        }),
      );
    }
    if (!r.kind) {
      errs.push(
        invalid(p.child("kind"), { value: r.kind ?? "", detail: "kind must not be empty" }),
      );
    }
    if (!r.name) {
      errs.push(
        invalid(p.child("name"), { value: r.name ?? "", detail: "name must not be empty" }),
      );
    }
    if (!r.uid) {
      errs.push(invalid(p.child("uid"), { value: r.uid ?? "", detail: "uid must not be empty" }));
    }
    if (r.controller) controllers++;
  });
  if (controllers > 1) {
    errs.push(
      invalid(path, {
        value: refs,
        detail: "Only one reference can have Controller set to true",
      }),
    );
  }
  return errs;
}

function validateFinalizers(
  finalizers: readonly string[] | undefined,
  path: FieldPath,
): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  (finalizers ?? []).forEach((f, i) => {
    for (const msg of isQualifiedName(f)) {
      errs.push(invalid(path.index(i), { value: f, detail: msg }));
    }
    seen.add(f);
  });
  if (seen.has("orphan") && seen.has("foregroundDeletion")) {
    errs.push(
      invalid(path, {
        value: finalizers,
        detail: "finalizer orphan and foregroundDeletion cannot be both set",
      }),
    );
  }
  return errs;
}

/**
 * Errors in `meta` of a new object of a kind with the given scope and name rule. The name may
 * be empty when generateName is set (the server fills it in before this runs).
 */
export function validateObjectMeta(meta: ObjectMeta, rules: ObjectMetaRules): FieldError[] {
  const errs: FieldError[] = [];
  const name = meta.name ?? "";
  if (name === "") {
    if (!meta.generateName) {
      errs.push(required(META.child("name"), "name or generateName is required"));
    }
  } else {
    for (const msg of validateName(name, rules.nameRule)) {
      errs.push(invalid(META.child("name"), { value: name, detail: msg }));
    }
  }
  if (meta.generateName) {
    // A trailing dash is allowed: a suffix follows it.
    const masked = meta.generateName.endsWith("-")
      ? meta.generateName.slice(0, -1) + "a"
      : meta.generateName;
    for (const msg of validateName(masked, rules.nameRule)) {
      errs.push(invalid(META.child("generateName"), { value: meta.generateName, detail: msg }));
    }
  }
  const ns = meta.namespace ?? "";
  if (rules.namespaced) {
    if (ns === "") {
      errs.push(required(META.child("namespace")));
    } else {
      for (const msg of isDns1123Label(ns)) {
        errs.push(invalid(META.child("namespace"), { value: ns, detail: msg }));
      }
    }
  } else if (ns !== "") {
    errs.push(forbidden(META.child("namespace"), "not allowed on this type"));
  }
  if (meta.generation !== undefined && meta.generation < 0) {
    errs.push(
      invalid(META.child("generation"), {
        value: meta.generation,
        detail: "must be greater than or equal to 0",
      }),
    );
  }
  errs.push(...validateLabels(meta.labels, META.child("labels")));
  errs.push(...validateAnnotations(meta.annotations, META.child("annotations")));
  errs.push(...validateOwnerReferences(meta.ownerReferences, META.child("ownerReferences")));
  errs.push(...validateFinalizers(meta.finalizers, META.child("finalizers")));
  return errs;
}

/** Errors in an update of `meta` from `old`, beyond {@linkcode validateObjectMeta}. */
export function validateObjectMetaUpdate(meta: ObjectMeta, old: ObjectMeta): FieldError[] {
  const errs: FieldError[] = [];
  const same = (f: keyof ObjectMeta) => jsonEqual(meta[f] ?? "", old[f] ?? "");
  for (const f of ["name", "namespace", "uid", "creationTimestamp"] as const) {
    if (!same(f)) {
      errs.push(invalid(META.child(f), { value: meta[f] ?? "", detail: FIELD_IMMUTABLE }));
    }
  }
  if (old.deletionTimestamp && !same("deletionTimestamp")) {
    errs.push(
      invalid(META.child("deletionTimestamp"), {
        value: meta.deletionTimestamp ?? "",
        detail: FIELD_IMMUTABLE,
      }),
    );
  }
  if (
    old.deletionGracePeriodSeconds !== undefined &&
    meta.deletionGracePeriodSeconds !== old.deletionGracePeriodSeconds
  ) {
    errs.push(
      invalid(META.child("deletionGracePeriodSeconds"), {
        value: meta.deletionGracePeriodSeconds ?? null,
        detail: FIELD_IMMUTABLE,
      }),
    );
  }
  if (old.deletionTimestamp) {
    const before = new Set(old.finalizers ?? []);
    for (const f of meta.finalizers ?? []) {
      if (!before.has(f)) {
        errs.push(
          forbidden(
            META.child("finalizers"),
            `no new finalizers can be added if the object is being deleted, found new finalizers []string{${
              JSON.stringify(f)
            }}`,
          ),
        );
        break;
      }
    }
  }
  return errs;
}
