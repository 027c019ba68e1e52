/**
 * The strategy of `storage.k8s.io/v1` StorageClass: upstream `ValidateStorageClass` and
 * `ValidateStorageClassUpdate`. `reclaimPolicy` (Delete) and `volumeBindingMode` (Immediate)
 * are defaulted by the schema.
 *
 * @module
 */
import type { TopologySelectorTerm } from "../types/core_v1_common.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import type { StorageClass } from "../types/storage_v1.ts";
import {
  duplicate,
  FieldError,
  FieldPath,
  forbidden,
  invalid,
  notSupported,
  required,
  tooLong,
} from "../validation/field_errors.ts";
import { validateImmutableField } from "../validation/immutable.ts";
import { validateLabelName } from "../validation/label_validation.ts";
import { validateQualifiedName } from "../validation/names.ts";
import { semanticEqual } from "../validation/semantic_equal.ts";
import type { Strategy } from "./strategy.ts";

/** The most provisioner parameters a class may have. */
export const MAX_PROVISIONER_PARAMETERS = 512;
/** The most bytes of keys and values the parameters may hold together. */
export const MAX_PROVISIONER_PARAMETER_BYTES = 256 * 1024;

const SUPPORTED_RECLAIM_POLICIES = ["Delete", "Retain"];

/**
 * `ValidateTopologySelectorTerm`: errors in one term, and its requirements as key → values (for
 * the duplicate check between terms).
 */
function validateTerm(
  term: TopologySelectorTerm,
  path: FieldPath,
): [Map<string, Set<string>>, FieldError[]] {
  const errs: FieldError[] = [];
  const exprs = new Map<string, Set<string>>();
  const exprPath = path.child("matchLabelExpressions");
  (term.matchLabelExpressions ?? []).forEach((req, i) => {
    const p = exprPath.index(i);
    const values = new Set<string>();
    if ((req.values ?? []).length === 0) errs.push(required(p.child("values")));
    (req.values ?? []).forEach((v, j) => {
      if (values.has(v)) errs.push(duplicate(p.child("values").index(j), v));
      values.add(v);
    });
    errs.push(...validateLabelName(req.key, p.child("key")));
    if (exprs.has(req.key)) errs.push(duplicate(p.child("key"), req.key));
    exprs.set(req.key, values);
  });
  return [exprs, errs];
}

function sameTerms(a: Map<string, Set<string>> | null, b: Map<string, Set<string>>): boolean {
  // Upstream compares with semantic equality, under which a nil map equals an empty one.
  if (a === null) return b.size === 0;
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const w = b.get(k);
    if (w === undefined || w.size !== v.size || [...v].some((x) => !w.has(x))) return false;
  }
  return true;
}

/** Errors in a StorageClass (`ValidateStorageClass`, beyond metadata and the schema). */
export function validateStorageClass(sc: StorageClass): FieldError[] {
  const errs: FieldError[] = [];
  const provisioner = sc.provisioner ?? "";
  if (provisioner.length === 0) {
    errs.push(required("provisioner"));
  } else {
    errs.push(...validateQualifiedName(provisioner.toLowerCase(), new FieldPath("provisioner")));
  }
  const params = sc.parameters ?? {};
  const keys = Object.keys(params);
  if (keys.length > MAX_PROVISIONER_PARAMETERS) {
    errs.push(tooLong("parameters", MAX_PROVISIONER_PARAMETERS));
  } else {
    let size = 0;
    for (const k of keys) {
      if (k.length < 1) {
        errs.push(invalid("parameters", { value: k, detail: "field can not be empty." }));
      }
      size += new TextEncoder().encode(k).length + new TextEncoder().encode(params[k]!).length;
    }
    if (size > MAX_PROVISIONER_PARAMETER_BYTES) {
      errs.push(tooLong("parameters", MAX_PROVISIONER_PARAMETER_BYTES));
    }
  }
  if (sc.reclaimPolicy !== undefined && !SUPPORTED_RECLAIM_POLICIES.includes(sc.reclaimPolicy)) {
    errs.push(
      notSupported("reclaimPolicy", {
        value: sc.reclaimPolicy,
        supported: SUPPORTED_RECLAIM_POLICIES,
      }),
    );
  }
  const terms = sc.allowedTopologies ?? [];
  const path = new FieldPath("allowedTopologies");
  // Upstream starts the list of seen terms with one nil entry per term, so an empty term is a
  // duplicate of each of them.
  const seen: (Map<string, Set<string>> | null)[] = terms.map(() => null);
  terms.forEach((term, i) => {
    const [exprs, termErrs] = validateTerm(term, path.index(i));
    errs.push(...termErrs);
    for (const s of seen) {
      if (sameTerms(s, exprs)) {
        errs.push(duplicate(path.index(i).child("matchLabelExpressions"), ""));
      }
    }
    seen.push(exprs);
  });
  return errs;
}

/** Errors in an update of a StorageClass (`ValidateStorageClassUpdate`). */
export function validateStorageClassUpdate(sc: StorageClass, old: StorageClass): FieldError[] {
  const errs: FieldError[] = [];
  if (!semanticEqual(sc.parameters, old.parameters)) {
    errs.push(forbidden("parameters", "updates to parameters are forbidden."));
  }
  if ((sc.provisioner ?? "") !== (old.provisioner ?? "")) {
    errs.push(forbidden("provisioner", "updates to provisioner are forbidden."));
  }
  if ((sc.reclaimPolicy ?? "") !== (old.reclaimPolicy ?? "")) {
    errs.push(forbidden("reclaimPolicy", "updates to reclaimPolicy are forbidden."));
  }
  errs.push(...validateImmutableField(sc.volumeBindingMode, {
    old: old.volumeBindingMode,
    path: new FieldPath("volumeBindingMode"),
  }));
  return errs;
}

/** The StorageClass strategy. */
export const storageClassStrategy: Strategy = {
  nameRule: "subdomain",
  validate(obj: KubeObject): FieldError[] {
    return validateStorageClass(obj as StorageClass);
  },
  validateUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
    return validateStorageClassUpdate(obj as StorageClass, old as StorageClass);
  },
};
