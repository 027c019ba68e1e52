/**
 * The Node strategy (upstream `pkg/registry/core/node/strategy.go`, the v1 conversion of
 * `podCIDR`, `SetDefaults_NodeStatus` and `ValidateNode*`): nodes are cluster-scoped and may
 * set their status on create; pod CIDRs are valid, one per family, and immutable once set;
 * taints have valid keys, values and effects and are unique by key and effect.
 *
 * @module
 */
import type { Taint } from "../types/core_v1_common.ts";
import type { Node } from "../types/core_v1_node.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import {
  duplicate,
  type FieldError,
  FieldPath,
  forbidden,
  invalid,
} from "../validation/field_errors.ts";
import { goQuote, goStringSlice, printedError } from "../validation/go_format.ts";
import { isIPv4, parseCIDRSloppy, validateCIDR } from "../validation/ip.ts";
import { isValidLabelValue, validateQualifiedName } from "../validation/names.ts";
import { validateResourceQuantityValue } from "../validation/resource_names.ts";
import type { Strategy } from "./strategy.ts";

const NOT_CHANGE_CIDR = 'node updates may not change podCIDR except from "" to valid';
const NOT_CHANGE_PROVIDER = 'node updates may not change providerID except from "" to valid';

function printTaint(t: Taint): string {
  const added = t.timeAdded === undefined ? "(*v1.Time)(nil)" : "(*v1.Time)(0xc000000000)";
  return `core.Taint{Key:${goQuote(t.key)}, Value:${goQuote(t.value ?? "")}, Effect:${
    goQuote(t.effect ?? "")
  }, TimeAdded:${added}}`;
}

/** `validateNodeTaints`: keys, values and effects valid, unique by key and effect. */
export function validateTaints(taints: readonly Taint[], path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Map<string, Set<string>>();
  taints.forEach((t, i) => {
    const p = path.index(i);
    errs.push(...validateQualifiedName(t.key, p.child("key")));
    const valueErrs = isValidLabelValue(t.value ?? "");
    if (valueErrs.length) {
      errs.push(invalid(p.child("value"), { value: t.value ?? "", detail: valueErrs.join(";") }));
    }
    const effect: string = t.effect ?? "";
    const keys = seen.get(effect) ?? new Set<string>();
    if (keys.has(t.key)) {
      errs.push(printedError(p, {
        type: "duplicate",
        text: printTaint(t),
        detail: "taints must be unique by key and effect pair",
      }));
      return;
    }
    keys.add(t.key);
    seen.set(effect, keys);
  });
  return errs;
}

function validateResources(node: Node): FieldError[] {
  const errs: FieldError[] = [];
  for (const list of ["capacity", "allocatable"] as const) {
    for (const [name, value] of Object.entries(node.status?.[list] ?? {})) {
      // Upstream builds the path from names (status.capacity.cpu), not a map key.
      const p = new FieldPath("status").child(list).child(name);
      errs.push(...validateResourceQuantityValue(value, { name, path: p }));
    }
  }
  return errs;
}

function validatePodCIDRs(cidrs: readonly string[]): FieldError[] {
  const p = new FieldPath("spec").child("podCIDRs");
  const errs = cidrs.flatMap((c, i) => validateCIDR(c, p.index(i)));
  if (cidrs.length > 1) {
    const parsed = cidrs.map(parseCIDRSloppy);
    if (parsed.every((c) => c !== null)) {
      const v4 = parsed.filter((c) => isIPv4(c!.ip)).length;
      const dual = v4 > 0 && v4 < parsed.length;
      if (!dual || cidrs.length > 2) {
        errs.push(printedError(p, {
          type: "invalid",
          text: goStringSlice("string", cidrs),
          detail: "may specify no more than one CIDR for each IP family",
        }));
      }
    }
    const seen = new Set<string>();
    cidrs.forEach((c, i) => {
      if (seen.has(c)) errs.push(duplicate(p.index(i), c));
      seen.add(c);
    });
  }
  return errs;
}

function validateUpdateOnly(node: Node, old: Node): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  (node.status?.addresses ?? []).forEach((a, i) => {
    const key = `${a.type}\u0000${a.address}`;
    if (seen.has(key)) {
      errs.push(printedError(new FieldPath("status").child("addresses").index(i), {
        type: "duplicate",
        text: `core.NodeAddress{Type:${goQuote(a.type)}, Address:${goQuote(a.address)}}`,
      }));
    }
    seen.add(key);
  });
  const oldCIDRs = old.spec?.podCIDRs ?? [];
  const newCIDRs = node.spec?.podCIDRs ?? [];
  const cidrPath = new FieldPath("spec").child("podCIDRs");
  if (oldCIDRs.length > 0) {
    if (oldCIDRs.length !== newCIDRs.length) {
      errs.push(forbidden(cidrPath, NOT_CHANGE_CIDR));
    } else {
      oldCIDRs.forEach((c, i) => {
        if (c !== newCIDRs[i]) errs.push(forbidden(cidrPath, NOT_CHANGE_CIDR));
      });
    }
  }
  const oldProvider = old.spec?.providerID ?? "";
  if (oldProvider !== "" && oldProvider !== (node.spec?.providerID ?? "")) {
    errs.push(forbidden(new FieldPath("spec").child("providerID"), NOT_CHANGE_PROVIDER));
  }
  if ((node.spec?.externalID ?? "") !== (old.spec?.externalID ?? "")) {
    errs.push(forbidden(new FieldPath("spec").child("externalID"), "may not be updated"));
  }
  return errs;
}

function validateNode(node: Node): FieldError[] {
  // Upstream reports taints under metadata.taints.
  const errs = validateTaints(node.spec?.taints ?? [], new FieldPath("metadata").child("taints"));
  errs.push(...validateResources(node));
  errs.push(...validatePodCIDRs(node.spec?.podCIDRs ?? []));
  return errs;
}

/** The strategy of `nodes` (cluster-scoped). */
export const nodeStrategy: Strategy = {
  default(obj: KubeObject): void {
    const node = obj as Node;
    const spec = node.spec;
    if (spec) {
      if ((spec.podCIDRs ?? []).length === 0 && spec.podCIDR) spec.podCIDRs = [spec.podCIDR];
      if (spec.podCIDRs?.length) spec.podCIDR = spec.podCIDRs[0]!;
    }
    const status = node.status;
    if (status?.capacity !== undefined && status.allocatable === undefined) {
      status.allocatable = { ...status.capacity };
    }
  },
  prepareForCreate(obj: KubeObject): void {
    const node = obj as Node;
    if (node.spec) delete node.spec.configSource;
    if (node.status) delete node.status.config;
  },
  prepareForUpdate(obj: KubeObject, old: KubeObject): void {
    const node = obj as Node;
    const before = old as Node;
    if (before.status === undefined) delete node.status;
    else node.status = before.status;
    if (node.spec && before.spec?.configSource === undefined) delete node.spec.configSource;
  },
  validate(obj: KubeObject): FieldError[] {
    return validateNode(obj as Node);
  },
  validateUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
    return validateUpdateOnly(obj as Node, old as Node);
  },
  validateStatusUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
    return [...validateNode(obj as Node), ...validateUpdateOnly(obj as Node, old as Node)];
  },
};
