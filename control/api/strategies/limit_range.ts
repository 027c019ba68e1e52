/**
 * The LimitRange strategy (upstream `SetDefaults_LimitRangeItem` and `ValidateLimitRange`):
 * container limits get their defaults from max, default and min; every item names a standard
 * or qualified type at most once, and its min, max, defaults and ratios are consistent.
 *
 * Bad quantities print as their canonical text (upstream prints the Go struct).
 *
 * @module
 */
import type { LimitRange, LimitRangeItem } from "../types/core_v1_policy.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import type { Quantity } from "../types/quantity.ts";
import {
  duplicate,
  type FieldError,
  FieldPath,
  forbidden,
  invalid,
  required,
} from "../validation/field_errors.ts";
import { validateQualifiedName } from "../validation/names.ts";
import {
  isOvercommitAllowed,
  parseQuantity,
  validateContainerResourceName,
  validateResourceName,
} from "../validation/resource_names.ts";
import type { Strategy } from "./strategy.ts";

const STANDARD_LIMIT_TYPES = new Set(["Pod", "Container", "PersistentVolumeClaim"]);
/** `resource.MaxMilliValue`: the largest value whose milli-value fits an int64. */
const MAX_MILLI_VALUE = 9223372036854775807n / 1000n;
const ONE = parseQuantity("1")!;

type ResourceList = Record<string, string>;

function defaultContainerItem(item: LimitRangeItem): void {
  if (item.type !== "Container") return;
  const def: ResourceList = { ...item.default };
  const defReq: ResourceList = { ...item.defaultRequest };
  for (const [k, v] of Object.entries(item.max ?? {})) if (!(k in def)) def[k] = v;
  for (const [k, v] of Object.entries(def)) if (!(k in defReq)) defReq[k] = v;
  for (const [k, v] of Object.entries(item.min ?? {})) if (!(k in defReq)) defReq[k] = v;
  if (Object.keys(def).length) item.default = def;
  if (Object.keys(defReq).length) item.defaultRequest = defReq;
}

function goFloat(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  return n.toFixed(6);
}

function validateTypeName(type: string, path: FieldPath): FieldError[] {
  const errs = validateQualifiedName(type, path);
  if (errs.length) return errs;
  if (!type.includes("/") && !STANDARD_LIMIT_TYPES.has(type)) {
    return [
      invalid(path, { value: type, detail: "must be a standard limit type or fully qualified" }),
    ];
  }
  return [];
}

function validateItemResourceName(type: string, name: string, path: FieldPath): FieldError[] {
  return type === "Pod" || type === "Container"
    ? validateContainerResourceName(name, path)
    : validateResourceName(name, path);
}

function parsed(list: ResourceList | undefined): Map<string, Quantity> {
  const m = new Map<string, Quantity>();
  for (const [k, v] of Object.entries(list ?? {})) {
    const q = parseQuantity(v);
    if (q !== null) m.set(k, q);
  }
  return m;
}

function validateItem(item: LimitRangeItem, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const type = item.type;
  const keys = new Set<string>();
  const check = (list: ResourceList | undefined, name: string) => {
    for (const k of Object.keys(list ?? {})) {
      errs.push(...validateItemResourceName(type, k, path.child(name).index(k)));
      keys.add(k);
    }
  };
  check(item.max, "max");
  check(item.min, "min");
  if (type === "Pod") {
    if (Object.keys(item.default ?? {}).length) {
      errs.push(forbidden(path.child("default"), "may not be specified when `type` is 'Pod'"));
    }
    if (Object.keys(item.defaultRequest ?? {}).length) {
      errs.push(
        forbidden(path.child("defaultRequest"), "may not be specified when `type` is 'Pod'"),
      );
    }
  } else {
    check(item.default, "default");
    check(item.defaultRequest, "defaultRequest");
  }
  if (
    type === "PersistentVolumeClaim" && !("storage" in (item.min ?? {})) &&
    !("storage" in (item.max ?? {}))
  ) {
    errs.push(required(
      path.child("limits"),
      "either minimum or maximum storage value is required, but neither was provided",
    ));
  }
  check(item.maxLimitRequestRatio, "maxLimitRequestRatio");

  const min = parsed(item.min);
  const max = parsed(item.max);
  const defaults = type === "Pod" ? new Map<string, Quantity>() : parsed(item.default);
  const defaultRequests = type === "Pod"
    ? new Map<string, Quantity>()
    : parsed(item.defaultRequest);
  const ratios = parsed(item.maxLimitRequestRatio);
  for (const k of keys) {
    const mn = min.get(k);
    const mx = max.get(k);
    const def = defaults.get(k);
    const defReq = defaultRequests.get(k);
    const ratio = ratios.get(k);
    const at = (name: string) => path.child(name).index(k);
    if (mn && mx && mn.cmp(mx) > 0) {
      errs.push(invalid(at("min"), {
        value: mn.toString(),
        detail: `min value ${mn} is greater than max value ${mx}`,
      }));
    }
    if (defReq && mn && mn.cmp(defReq) > 0) {
      errs.push(invalid(at("defaultRequest"), {
        value: defReq.toString(),
        detail: `min value ${mn} is greater than default request value ${defReq}`,
      }));
    }
    if (defReq && mx && defReq.cmp(mx) > 0) {
      errs.push(invalid(at("defaultRequest"), {
        value: defReq.toString(),
        detail: `default request value ${defReq} is greater than max value ${mx}`,
      }));
    }
    if (defReq && def && defReq.cmp(def) > 0) {
      errs.push(invalid(at("defaultRequest"), {
        value: defReq.toString(),
        detail: `default request value ${defReq} is greater than default limit value ${def}`,
      }));
    }
    if (def && mn && mn.cmp(def) > 0) {
      errs.push(invalid(at("default"), {
        value: mn.toString(),
        detail: `min value ${mn} is greater than default value ${def}`,
      }));
    }
    if (def && mx && def.cmp(mx) > 0) {
      errs.push(invalid(at("default"), {
        value: mx.toString(),
        detail: `default value ${def} is greater than max value ${mx}`,
      }));
    }
    if (ratio && ratio.cmp(ONE) < 0) {
      errs.push(invalid(at("maxLimitRequestRatio"), {
        value: ratio.toString(),
        detail: `ratio ${ratio} is less than 1`,
      }));
    }
    if (ratio && mn && mx) {
      let ratioValue = Number(ratio.value());
      let minValue = mn.value();
      let maxValue = mx.value();
      if (
        ratio.value() < MAX_MILLI_VALUE && minValue < MAX_MILLI_VALUE && maxValue < MAX_MILLI_VALUE
      ) {
        ratioValue = Number(ratio.milliValue()) / 1000;
        minValue = mn.milliValue();
        maxValue = mx.milliValue();
      }
      const limit = Number(maxValue) / Number(minValue);
      if (ratioValue > limit) {
        errs.push(invalid(at("maxLimitRequestRatio"), {
          value: ratio.toString(),
          detail: `ratio ${ratio} is greater than max/min = ${goFloat(limit)}`,
        }));
      }
    }
    if (!isOvercommitAllowed(k) && def && defReq && def.cmp(defReq) !== 0) {
      errs.push(invalid(at("defaultRequest"), {
        value: defReq.toString(),
        detail: `default value ${def} must equal to defaultRequest value ${defReq} in ${k}`,
      }));
    }
  }
  return errs;
}

/** The strategy of `limitranges`. */
export const limitRangeStrategy: Strategy = {
  default(obj: KubeObject): void {
    for (const item of (obj as LimitRange).spec?.limits ?? []) defaultContainerItem(item);
  },
  validate(obj: KubeObject): FieldError[] {
    const lr = obj as LimitRange;
    const errs: FieldError[] = [];
    const seen = new Set<string>();
    const limitsPath = new FieldPath("spec").child("limits");
    (lr.spec?.limits ?? []).forEach((item, i) => {
      const p = limitsPath.index(i);
      errs.push(...validateTypeName(item.type, p.child("type")));
      if (seen.has(item.type)) errs.push(duplicate(p.child("type"), item.type));
      seen.add(item.type);
      errs.push(...validateItem(item, p));
    });
    return errs;
  },
};
