/**
 * The Namespace strategy (upstream `pkg/registry/core/namespace/strategy.go` and
 * `ValidateNamespace*`): names are DNS-1123 labels, new namespaces start Active with the
 * `kubernetes` finalizer, `spec.finalizers` change only through the finalize subresource, and
 * the phase follows `deletionTimestamp`.
 *
 * @module
 */
import { FINALIZER_KUBERNETES, type Namespace } from "../types/core_v1_namespace.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import { type FieldError, FieldPath, invalid } from "../validation/field_errors.ts";
import { validateQualifiedName } from "../validation/names.ts";
import type { Strategy } from "./strategy.ts";

/** The label every namespace carries with its own name. */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

/** Finalizer names that need no domain prefix. */
const STANDARD_FINALIZERS = new Set([FINALIZER_KUBERNETES, "orphan", "foregroundDeletion"]);

function setNameLabel(ns: Namespace): void {
  const name = ns.metadata?.name;
  if (!name) return;
  ns.metadata = {
    ...ns.metadata,
    labels: { ...ns.metadata?.labels, [NAMESPACE_NAME_LABEL]: name },
  };
}

function validateFinalizerName(name: string, path: FieldPath | string): FieldError[] {
  const errs = validateQualifiedName(name, path);
  if (!name.includes("/") && !STANDARD_FINALIZERS.has(name)) {
    errs.push(invalid(path, {
      value: name,
      detail: "name is neither a standard finalizer name nor is it fully qualified",
    }));
  }
  return errs;
}

/** The strategy of `namespaces`. */
export const namespaceStrategy: Strategy = {
  nameRule: "label",
  default(obj: KubeObject): void {
    setNameLabel(obj as Namespace);
  },
  prepareForCreate(obj: KubeObject): void {
    const ns = obj as Namespace;
    ns.status = { phase: "Active" };
    const finalizers = ns.spec?.finalizers ?? [];
    if (!finalizers.includes(FINALIZER_KUBERNETES)) {
      ns.spec = { ...ns.spec, finalizers: [...finalizers, FINALIZER_KUBERNETES] };
    }
    setNameLabel(ns);
  },
  prepareForUpdate(obj: KubeObject, old: KubeObject): void {
    const ns = obj as Namespace;
    const before = old as Namespace;
    // spec.finalizers change only through the finalize subresource.
    const { finalizers: _drop, ...rest } = ns.spec ?? {};
    const kept = before.spec?.finalizers;
    ns.spec = kept === undefined ? rest : { ...rest, finalizers: kept };
    if (before.status === undefined) delete ns.status;
    else ns.status = before.status;
    setNameLabel(ns);
  },
  validate(obj: KubeObject): FieldError[] {
    const ns = obj as Namespace;
    // Upstream reports every finalizer at the list's path, without an index.
    const p = new FieldPath("spec").child("finalizers");
    return (ns.spec?.finalizers ?? []).flatMap((f) => validateFinalizerName(f, p));
  },
  validateStatusUpdate(obj: KubeObject): FieldError[] {
    const ns = obj as Namespace;
    const phase = ns.status?.phase ?? "";
    const p = new FieldPath("status").child("Phase");
    if (!ns.metadata?.deletionTimestamp) {
      return phase === "Active" ? [] : [
        invalid(p, {
          value: phase,
          detail: "may only be 'Active' if `deletionTimestamp` is empty",
        }),
      ];
    }
    return phase === "Terminating" ? [] : [invalid(p, {
      value: phase,
      detail: "may only be 'Terminating' if `deletionTimestamp` is not empty",
    })];
  },
};

/**
 * The strategy of `namespaces/finalize` (`PUT .../namespaces/<name>/finalize`): only
 * `spec.finalizers` (and metadata) change; the stored status is kept. Once the namespace is
 * being deleted and both `spec.finalizers` and `metadata.finalizers` are empty, the handler
 * removes it from storage.
 */
export const namespaceFinalizeStrategy: Strategy = {
  nameRule: "label",
  prepareForUpdate(obj: KubeObject, old: KubeObject): void {
    const ns = obj as Namespace;
    const before = old as Namespace;
    if (before.status === undefined) delete ns.status;
    else ns.status = before.status;
  },
  validateUpdate(obj: KubeObject): FieldError[] {
    const ns = obj as Namespace;
    const p = new FieldPath("spec").child("finalizers");
    return (ns.spec?.finalizers ?? []).flatMap((f, i) => validateFinalizerName(f, p.index(i)));
  },
};
