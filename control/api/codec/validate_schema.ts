/**
 * The checks a schema itself states, run by the generic handler on every decoded object so
 * strategies need not repeat them: required fields (`Required value`), enums (`Unsupported
 * value`), numeric ranges, string length and patterns — with Kubernetes' texts and paths
 * (`spec.containers[0].name`, `metadata.labels[app]`).
 *
 * @example Report a missing field and an unsupported value
 * ```ts
 * import assert from "node:assert/strict";
 * import { array, enumOf, field, object, requiredField, string } from "../types/schema.ts";
 * import { validateSchema } from "./validate_schema.ts";
 *
 * const Container = object("io.k8s.api.core.v1.Container", {
 *   description: "",
 *   fields: {
 *     name: requiredField(string(), { description: "" }),
 *     imagePullPolicy: field(enumOf(["Always", "IfNotPresent", "Never"]), { description: "" }),
 *   },
 * });
 * const Spec = object("io.k8s.api.core.v1.PodSpec", {
 *   description: "",
 *   fields: { containers: requiredField(array(Container), { description: "" }) },
 * });
 * const errs = validateSchema(Spec, { containers: [{ imagePullPolicy: "Sometimes" }] });
 * assert.deepEqual(errs.map(String), [
 *   "containers[0].name: Required value",
 *   'containers[0].imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"',
 * ]);
 * ```
 *
 * @module
 */
import { type Field, type ObjectSchema, resolve, type Schema } from "../types/schema.ts";
import {
  type FieldError,
  FieldPath,
  invalid,
  notSupported,
  required,
  tooLong,
} from "../validation/field_errors.ts";

const PATTERNS = new Map<string, RegExp>();
const ENCODER = new TextEncoder();

function pattern(source: string): RegExp {
  let re = PATTERNS.get(source);
  if (!re) PATTERNS.set(source, re = new RegExp(source, "u"));
  return re;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Whether a present value still counts as missing for a required field (Go's zero value). */
function isEmptyRequired(schema: Schema, v: unknown): boolean {
  const s = resolve(schema);
  if (s.type === "string") return v === "";
  if (s.type === "array") return Array.isArray(v) && v.length === 0;
  return false;
}

function rangeDetail(minimum: number | undefined, maximum: number | undefined): string {
  if (minimum !== undefined && maximum !== undefined) {
    return `must be between ${minimum} and ${maximum}, inclusive`;
  }
  return minimum !== undefined
    ? `must be greater than or equal to ${minimum}`
    : `must be less than or equal to ${maximum}`;
}

/** A field of an object schema that walking checks: required, or its value has checks. */
interface FieldCheck {
  readonly name: string;
  readonly field: Field;
  /** Required and not valid empty: absent or Go's zero value is an error. */
  readonly required: boolean;
  /** The value's schema has checks of its own (worth walking into). */
  readonly deep: boolean;
}

/** Whether a (resolved) schema has anything to check, anywhere below it. */
const HAS_CHECKS = new WeakMap<Schema, boolean>();
/** The fields of an object schema worth looking at, in schema order. */
const FIELD_CHECKS = new WeakMap<ObjectSchema, readonly FieldCheck[]>();

/**
 * Whether any value of `schema` can fail a check, worked out once per schema (and, for an
 * object, which fields can): most fields of the big kinds check nothing, and walking them was
 * most of the cost of validating a pod.
 */
function hasChecks(schema: Schema): boolean {
  const s = resolve(schema);
  let known = HAS_CHECKS.get(s);
  if (known !== undefined) return known;
  // A schema containing itself (JSONSchemaProps) counts as checked while it is worked out.
  HAS_CHECKS.set(s, true);
  switch (s.type) {
    case "string":
      known = s.enum !== undefined || s.maxLength !== undefined || s.pattern !== undefined;
      break;
    case "integer":
      known = s.minimum !== undefined || s.maximum !== undefined;
      break;
    case "array":
      known = hasChecks(s.items);
      break;
    case "map":
      known = hasChecks(s.values);
      break;
    case "object": {
      const checks: FieldCheck[] = [];
      for (const [name, field] of Object.entries(s.fields)) {
        const required = field.required && !field.zeroValid;
        const deep = hasChecks(field.schema);
        if (required || deep) checks.push({ name, field, required, deep });
      }
      FIELD_CHECKS.set(s, checks);
      known = checks.length > 0;
      break;
    }
    default:
      known = false;
  }
  HAS_CHECKS.set(s, known);
  return known;
}

function walk(schema: Schema, v: unknown, path: FieldPath, errs: FieldError[]): void {
  const s = resolve(schema);
  switch (s.type) {
    case "string":
      if (typeof v !== "string") return;
      if (s.enum && !s.enum.includes(v)) {
        errs.push(notSupported(path, { value: v, supported: s.enum }));
        return;
      }
      // UTF-8 takes 1 to 3 bytes per UTF-16 unit: encode only when it may be too long.
      if (
        s.maxLength !== undefined && v.length * 3 > s.maxLength &&
        ENCODER.encode(v).length > s.maxLength
      ) {
        errs.push(tooLong(path, s.maxLength));
      }
      if (s.pattern !== undefined && !pattern(s.pattern).test(v)) {
        errs.push(invalid(path, {
          value: v,
          detail: `must match the regular expression '${s.pattern}'`,
        }));
      }
      return;
    case "integer":
      if (typeof v !== "number") return;
      if (
        (s.minimum !== undefined && v < s.minimum) || (s.maximum !== undefined && v > s.maximum)
      ) {
        errs.push(invalid(path, { value: v, detail: rangeDetail(s.minimum, s.maximum) }));
      }
      return;
    case "array":
      if (!Array.isArray(v) || !hasChecks(s.items)) return;
      for (let i = 0; i < v.length; i++) walk(s.items, v[i], path.index(i), errs);
      return;
    case "map":
      if (!isPlainObject(v) || !hasChecks(s.values)) return;
      for (const key of Object.keys(v)) walk(s.values, v[key], path.index(key), errs);
      return;
    case "object": {
      if (!isPlainObject(v) || !hasChecks(s)) return;
      for (const c of FIELD_CHECKS.get(s)!) {
        const x = v[c.name];
        if (x === null || x === undefined || !Object.hasOwn(v, c.name)) {
          if (c.required) errs.push(required(path.child(c.name)));
          continue;
        }
        if (c.required && isEmptyRequired(c.field.schema, x)) {
          errs.push(required(path.child(c.name)));
          continue;
        }
        if (c.deep) walk(c.field.schema, x, path.child(c.name), errs);
      }
      return;
    }
    default:
      return;
  }
}

/**
 * The errors of `object` against what `schema` states: missing required fields (absent, or an
 * empty string or list, Go's zero values), unsupported enum values, integers out of
 * `minimum`/`maximum`, strings over `maxLength` bytes or not matching `pattern`. Fields are
 * checked in schema order, list items and map entries in order.
 */
export function validateSchema(schema: Schema, object: unknown): FieldError[] {
  const errs: FieldError[] = [];
  walk(schema, object, new FieldPath(""), errs);
  return errs;
}
