/**
 * The PodTemplate strategy (upstream `pkg/registry/core/podtemplate/strategy.go`): the template
 * gets the pod spec defaults and is validated as a pod template at `template`.
 *
 * @module
 */
import type { PodTemplate } from "../types/core_v1_pod.ts";
import type { Strategy } from "./strategy.ts";
import { dropDisabledPodSpecFields } from "./_pod_fields.ts";
import { defaultPodTemplateSpec, validatePodTemplateSpec } from "./pod_spec.ts";

/** The PodTemplate strategy. */
export const podTemplateStrategy: Strategy = {
  nameRule: "subdomain",
  default(obj) {
    const t = obj as PodTemplate;
    defaultPodTemplateSpec(t.template ??= {});
  },
  prepareForCreate(obj) {
    const spec = (obj as PodTemplate).template?.spec;
    if (spec) dropDisabledPodSpecFields(spec, undefined);
  },
  prepareForUpdate(obj, old) {
    const spec = (obj as PodTemplate).template?.spec;
    if (spec) dropDisabledPodSpecFields(spec, (old as PodTemplate).template?.spec);
  },
  validate(obj) {
    return validatePodTemplateSpec((obj as PodTemplate).template ?? {}, { path: "template" });
  },
};
