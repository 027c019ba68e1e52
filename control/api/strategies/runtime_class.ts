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
import { Quantity } from "../types/quantity.ts";
import { FieldError, FieldPath, forbidden, invalid } from "../validation/field_errors.ts";
import { isDns1123Label, isQualifiedName, isValidLabelValue } from "../validation/names.ts";
import { validateImmutable, validateLabelName, validateLabels } from "./_groups_checks.ts";
import { duplicateGo, goPointer, goQuote, goStruct, invalidGo } from "./_groups_go_printed.ts";
import type { Strategy } from "./strategy.ts";

const CONTAINER_RESOURCES = new Set(["cpu", "memory", "ephemeral-storage"]);
const STANDARD_RESOURCES = new Set([
  "cpu",
  "memory",
  "ephemeral-storage",
  "storage",
  "pods",
  "services",
  "replicationcontrollers",
  "resourcequotas",
  "secrets",
  "configmaps",
  "persistentvolumeclaims",
  "services.nodeports",
  "services.loadbalancers",
  "requests.cpu",
  "requests.memory",
  "requests.storage",
  "requests.ephemeral-storage",
  "limits.cpu",
  "limits.memory",
  "limits.ephemeral-storage",
]);

function isHugePages(name: string): boolean {
  return name.startsWith("hugepages-");
}

function isNative(name: string): boolean {
  return !name.includes("/") || name.includes("kubernetes.io/");
}

function isExtended(name: string): boolean {
  return !isNative(name) && !name.startsWith("requests.") &&
    isQualifiedName(`requests.${name}`).length === 0;
}

function validateResourceName(name: string, path: FieldPath): FieldError[] {
  const errs = isQualifiedName(name).map((detail) => invalid(path, { value: name, detail }));
  if (errs.length === 0 && !name.includes("/")) {
    const standard = STANDARD_RESOURCES.has(name) || isHugePages(name) ||
      name.startsWith("requests.hugepages-");
    if (!standard) {
      errs.push(invalid(path, {
        value: name,
        detail: "must be a standard resource type or fully qualified",
      }));
    }
  }
  if (!name.includes("/")) {
    if (!CONTAINER_RESOURCES.has(name) && !isHugePages(name)) {
      errs.push(
        invalid(path, { value: name, detail: "must be a standard resource for containers" }),
      );
    }
  } else if (!isNative(name) && !isExtended(name)) {
    errs.push(invalid(path, {
      value: name,
      detail: "doesn't follow extended resource name standard",
    }));
  }
  return errs;
}

function validateOverhead(podFixed: Record<string, string>): FieldError[] {
  const path = new FieldPath("overhead");
  const errs: FieldError[] = [];
  let cpuOrMemory = false;
  let hugePages = false;
  for (const [name, text] of Object.entries(podFixed)) {
    const p = path.child("limits").index(name);
    errs.push(...validateResourceName(name, p));
    let q: Quantity | null = null;
    try {
      q = Quantity.parse(text);
    } catch {
      // The schema decoder reports unparsable quantities.
    }
    if (q !== null && q.sign() < 0) {
      errs.push(invalid(p, { value: text, detail: "must be greater than or equal to 0" }));
    }
    if (q !== null && isExtended(name) && q.milliValue() % 1000n !== 0n) {
      errs.push(invalidGo(p, { text, detail: "must be an integer" }));
    }
    if (isHugePages(name)) hugePages = true;
    if (name === "cpu" || name === "memory") cpuOrMemory = true;
  }
  if (hugePages && !cpuOrMemory) errs.push(forbidden(path, "HugePages require cpu or memory"));
  return errs;
}

function goToleration(t: Toleration): string {
  return goStruct("core.Toleration", [
    ["Key", goQuote(t.key ?? "")],
    ["Operator", goQuote(t.operator ?? "")],
    ["Value", goQuote(t.value ?? "")],
    ["Effect", goQuote(t.effect ?? "")],
    ["TolerationSeconds", goPointer("int64", t.tolerationSeconds)],
  ]);
}

function validateTolerations(tolerations: Toleration[], path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  tolerations.forEach((t, i) => {
    const p = path.index(i);
    const key = t.key ?? "";
    const operator = t.operator ?? "";
    const value = t.value ?? "";
    if (key.length > 0) errs.push(...validateLabelName(key, p.child("key")));
    if (key.length === 0 && operator !== "Exists") {
      errs.push(invalid(p.child("operator"), {
        value: operator,
        detail:
          'operator must be Exists when `key` is empty, which means "match all values and all keys"',
      }));
    }
    if (t.tolerationSeconds !== undefined && t.effect !== "NoExecute") {
      errs.push(invalid(p.child("effect"), {
        value: t.effect ?? "",
        detail: "effect must be 'NoExecute' when `tolerationSeconds` is set",
      }));
    }
    if (operator === "Equal" || operator === "") {
      const valueErrs = isValidLabelValue(value);
      if (valueErrs.length > 0) {
        errs.push(invalid(p.child("operator"), { value, detail: valueErrs.join(";") }));
      }
    } else if (operator === "Exists" && value.length > 0) {
      errs.push(invalidGo(p.child("operator"), {
        text: goToleration(t),
        detail: "value must be empty when `operator` is 'Exists'",
      }));
    }
    const listKey = JSON.stringify([key, operator, value, t.effect ?? ""]);
    if (seen.has(listKey)) errs.push(duplicateGo(p, goToleration(t)));
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
    return validateImmutable(new FieldPath("handler"), {
      value: (obj as RuntimeClass).handler,
      old: (old as RuntimeClass).handler,
    });
  },
};
