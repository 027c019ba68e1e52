/**
 * The strategy of `node.k8s.io/v1` RuntimeClass: upstream `ValidateRuntimeClass` and
 * `ValidateRuntimeClassUpdate`. The overhead is checked like container resource limits
 * (upstream reports it under `overhead.limits[<name>]`), the scheduling tolerations like a
 * pod's, plus uniqueness.
 *
 * @module
 */
import type { Toleration } from "../types/core_v1_common.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import type { RuntimeClass } from "../types/node_v1.ts";
import { FieldError, FieldPath, forbidden, invalid } from "../validation/field_errors.ts";
import { duplicateGo } from "../validation/go_format.ts";
import { validateImmutableField } from "../validation/immutable.ts";
import { validateLabels } from "../validation/label_validation.ts";
import { isDns1123Label } from "../validation/names.ts";
import {
  isHugePageResourceName,
  validateContainerResourceName,
  validateResourceQuantityValue,
} from "../validation/resource_names.ts";
import { goToleration, validateTolerations as validatePodTolerations } from "./pod_spec.ts";
import type { Strategy } from "./strategy.ts";

function validateOverhead(podFixed: Record<string, string>): FieldError[] {
  const path = new FieldPath("overhead");
  const errs: FieldError[] = [];
  let cpuOrMemory = false;
  let hugePages = false;
  for (const [name, text] of Object.entries(podFixed)) {
    const p = path.child("limits").index(name);
    errs.push(...validateContainerResourceName(name, p));
    errs.push(...validateResourceQuantityValue(text, { name, path: p }));
    if (isHugePageResourceName(name)) hugePages = true;
    if (name === "cpu" || name === "memory") cpuOrMemory = true;
  }
  if (hugePages && !cpuOrMemory) errs.push(forbidden(path, "HugePages require cpu or memory"));
  return errs;
}

/**
 * The tolerations of a RuntimeClass: each valid as a pod's (`ValidateTolerations`), and no two
 * alike in key, operator, value and effect.
 */
function validateTolerations(tolerations: Toleration[], path: FieldPath): FieldError[] {
  const errs = validatePodTolerations(tolerations, path);
  const seen = new Set<string>();
  tolerations.forEach((t, i) => {
    const listKey = JSON.stringify([t.key ?? "", t.operator ?? "", t.value ?? "", t.effect ?? ""]);
    if (seen.has(listKey)) errs.push(duplicateGo(path.index(i), goToleration(t)));
    else seen.add(listKey);
  });
  return errs;
}

/** Errors in a RuntimeClass (`ValidateRuntimeClass`, beyond metadata and the schema). */
export function validateRuntimeClass(rc: RuntimeClass): FieldError[] {
  const handler = rc.handler ?? "";
  const errs = isDns1123Label(handler).map((detail) =>
    invalid("handler", { value: handler, detail })
  );
  if (rc.overhead?.podFixed !== undefined) errs.push(...validateOverhead(rc.overhead.podFixed));
  if (rc.scheduling !== undefined) {
    const path = new FieldPath("scheduling");
    errs.push(...validateLabels(rc.scheduling.nodeSelector, path.child("nodeSelector")));
    errs.push(...validateTolerations(rc.scheduling.tolerations ?? [], path.child("tolerations")));
  }
  return errs;
}

/** The RuntimeClass strategy. */
export const runtimeClassStrategy: Strategy = {
  nameRule: "subdomain",
  validate(obj: KubeObject): FieldError[] {
    return validateRuntimeClass(obj as RuntimeClass);
  },
  validateUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
    return validateImmutableField((obj as RuntimeClass).handler, {
      old: (old as RuntimeClass).handler,
      path: new FieldPath("handler"),
    });
  },
};
