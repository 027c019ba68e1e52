/**
 * The CustomResourceDefinition strategy (upstream `registry/customresourcedefinition` and the
 * v1 defaults): `singular` defaults to the lower-cased kind, `listKind` to `<kind>List`,
 * `conversion` to `None`, a webhook Service port to 443; a new CRD starts with empty accepted
 * names and its storage version in `status.storedVersions`, and every later storage version is
 * added there; the status subresource is served by the generic handler (main-resource writes
 * keep the status). The Established loop (`crd_controller.ts`) fills in the status.
 *
 * The finalizer `customresourcecleanup.apiextensions.k8s.io` is set on create (upstream adds it
 * when the delete begins, which needs a delete hook the generic handler does not offer): a
 * deleted CRD then stays, Terminating, until the loop has deleted all its custom resources.
 *
 * @module
 */
import type { Strategy } from "../strategies/strategy.ts";
import {
  CUSTOM_RESOURCE_CLEANUP_FINALIZER,
  type CustomResourceDefinition,
} from "../types/apiextensions_v1.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import {
  validateCustomResourceDefinition,
  validateCustomResourceDefinitionUpdate,
} from "./crd_validation.ts";

function storageVersion(crd: CustomResourceDefinition): string | undefined {
  return (crd.spec?.versions ?? []).find((v) => v.storage)?.name;
}

/** The v1 defaults of a CRD (upstream `SetDefaults_CustomResourceDefinition…`). */
export function defaultCustomResourceDefinition(obj: KubeObject): void {
  const crd = obj as CustomResourceDefinition;
  const spec = crd.spec;
  if (!spec) return;
  const names = spec.names;
  if (names) {
    if (!names.singular && names.kind) names.singular = names.kind.toLowerCase();
    if (!names.listKind && names.kind) names.listKind = `${names.kind}List`;
  }
  spec.conversion ??= { strategy: "None" };
  const service = spec.conversion.webhook?.clientConfig?.service;
  if (service && service.port === undefined) service.port = 443;
}

/** The CustomResourceDefinition strategy. */
export const customResourceDefinitionStrategy: Strategy = {
  default: defaultCustomResourceDefinition,
  prepareForCreate(obj) {
    const crd = obj as CustomResourceDefinition;
    const storage = storageVersion(crd);
    crd.status = {
      acceptedNames: { plural: "", kind: "" },
      ...(storage ? { storedVersions: [storage] } : {}),
    };
    const meta = obj.metadata ??= {};
    const finalizers = meta.finalizers ?? [];
    if (!finalizers.includes(CUSTOM_RESOURCE_CLEANUP_FINALIZER)) {
      meta.finalizers = [...finalizers, CUSTOM_RESOURCE_CLEANUP_FINALIZER];
    }
  },
  prepareForUpdate(obj) {
    const crd = obj as CustomResourceDefinition;
    const storage = storageVersion(crd);
    if (!storage) return;
    const status = crd.status ??= { acceptedNames: { plural: "", kind: "" } };
    const stored = status.storedVersions ?? [];
    if (!stored.includes(storage)) status.storedVersions = [...stored, storage];
  },
  validate(obj) {
    return validateCustomResourceDefinition(obj as CustomResourceDefinition);
  },
  validateUpdate(obj, old) {
    return validateCustomResourceDefinitionUpdate(
      obj as CustomResourceDefinition,
      old as CustomResourceDefinition,
    );
  },
  validateStatusUpdate(obj) {
    return validateCustomResourceDefinition(obj as CustomResourceDefinition).filter((e) =>
      e.field.startsWith("status.") || e.field === "status"
    );
  },
};
