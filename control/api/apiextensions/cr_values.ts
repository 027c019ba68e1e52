/**
 * What a structural schema does to a custom resource's values, as kube-apiserver's
 * apiextensions code does: **pruning** (fields the schema does not declare are dropped unless
 * `x-kubernetes-preserve-unknown-fields` keeps them; `apiVersion`, `kind` and `metadata` of the
 * object and of embedded resources always stay), **defaulting** (`default`s of absent fields,
 * and of fields that are `null` without being `nullable`, top-down, inside list items and map
 * values too) and **validation** with kube-openapi's rules and texts
 * (`spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer:
 * "string"`), then the embedded resources' `apiVersion`, `kind` and metadata (name, labels,
 * annotations… as upstream's ObjectMeta validation) and the list-type invariants (`set` and
 * `map` lists without duplicates).
 *
 * @example Prune, default and validate a value
 * ```ts
 * import assert from "node:assert/strict";
 * import { applyDefaults, prune, validateSchemaValue } from "./cr_values.ts";
 *
 * const schema = {
 *   type: "object",
 *   properties: {
 *     spec: {
 *       type: "object",
 *       properties: { replicas: { type: "integer", default: 1, minimum: 0 } },
 *     },
 *   },
 * };
 * const obj = { apiVersion: "x.io/v1", kind: "W", spec: { extra: true } };
 * assert.deepEqual(prune(obj, schema), ["spec.extra"]);
 * applyDefaults(obj, schema);
 * assert.deepEqual(obj.spec, { replicas: 1 });
 * assert.deepEqual(validateSchemaValue({ spec: { replicas: "x" } }, schema).map(String), [
 *   'spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"',
 * ]);
 * ```
 *
 * @module
 */
import type { JSONSchemaProps } from "../types/apiextensions_v1.ts";
import {
  duplicate,
  FieldError,
  FieldPath,
  invalid,
  notSupported,
  required,
  tooLong,
  tooMany,
} from "../validation/field_errors.ts";
import type { ObjectMeta } from "../types/meta_v1.ts";
import { isDns1035Label } from "../validation/names.ts";
import { validateObjectMeta } from "../validation/object_meta.ts";
import { additionalOf, itemsOf } from "./structural.ts";

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The fields of an object (root or embedded resource) that are never pruned. */
const TYPE_META = ["apiVersion", "kind", "metadata"];

// --- pruning -------------------------------------------------------------------------------------

function joinPath(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

function pruneWalk(
  v: unknown,
  s: JSONSchemaProps | undefined,
  o: { path: string; root: boolean; pruned: string[] },
): void {
  if (s === undefined) return;
  if (Array.isArray(v)) {
    const items = itemsOf(s);
    v.forEach((item, i) => pruneWalk(item, items, { ...o, path: `${o.path}[${i}]`, root: false }));
    return;
  }
  if (!isObject(v)) return;
  const props = s.properties;
  const additional = additionalOf(s);
  const preserve = s["x-kubernetes-preserve-unknown-fields"] === true;
  const embedded = s["x-kubernetes-embedded-resource"] === true;
  const keepMeta = o.root || embedded;
  for (const key of Object.keys(v)) {
    const path = joinPath(o.path, key);
    if (keepMeta && TYPE_META.includes(key)) {
      if (key === "metadata" && embedded) pruneMetadata(v[key], { ...o, path });
      continue;
    }
    const prop = props?.[key];
    if (prop) {
      pruneWalk(v[key], prop, { ...o, path, root: false });
    } else if (additional) {
      pruneWalk(v[key], additional, { ...o, path, root: false });
    } else if (s.additionalProperties === true || preserve) {
      continue;
    } else {
      delete v[key];
      o.pruned.push(path);
    }
  }
}

/** ObjectMeta's fields: what an embedded resource's metadata keeps. */
const OBJECT_META_FIELDS = new Set([
  "name",
  "generateName",
  "namespace",
  "selfLink",
  "uid",
  "resourceVersion",
  "generation",
  "creationTimestamp",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
  "labels",
  "annotations",
  "ownerReferences",
  "finalizers",
  "managedFields",
]);

function pruneMetadata(v: unknown, o: { path: string; pruned: string[] }): void {
  if (!isObject(v)) return;
  for (const key of Object.keys(v)) {
    if (!OBJECT_META_FIELDS.has(key)) {
      delete v[key];
      o.pruned.push(joinPath(o.path, key));
    }
  }
}

/**
 * Drops from `obj` (in place) every field `schema` does not declare nor preserve; returns the
 * dropped fields' paths (`spec.foo`, `spec.items[0].bar`), in document order.
 */
export function prune(obj: unknown, schema: JSONSchemaProps): string[] {
  const pruned: string[] = [];
  pruneWalk(obj, schema, { path: "", root: true, pruned });
  return pruned;
}

// --- defaulting ----------------------------------------------------------------------------------

function defaultWalk(v: unknown, s: JSONSchemaProps | undefined): void {
  if (s === undefined) return;
  if (Array.isArray(v)) {
    const items = itemsOf(s);
    for (let i = 0; i < v.length; i++) {
      if (v[i] === null && items?.default !== undefined && !items.nullable) {
        v[i] = structuredClone(items.default);
      }
      defaultWalk(v[i], items);
    }
    return;
  }
  if (!isObject(v)) return;
  for (const [key, prop] of Object.entries(s.properties ?? {})) {
    if (prop.default === undefined) continue;
    const absent = !Object.hasOwn(v, key) || (v[key] === null && !prop.nullable);
    if (absent) v[key] = structuredClone(prop.default);
  }
  const additional = additionalOf(s);
  for (const key of Object.keys(v)) {
    const prop = s.properties?.[key] ?? additional;
    if (!prop) continue;
    if (v[key] === null && prop === additional && prop.default !== undefined && !prop.nullable) {
      v[key] = structuredClone(prop.default);
    }
    defaultWalk(v[key], prop);
  }
}

/** Applies `schema`'s defaults to `obj` in place, top-down. */
export function applyDefaults(obj: unknown, schema: JSONSchemaProps): void {
  defaultWalk(obj, schema);
}

/** Whether `schema` declares any default anywhere (so defaulting can be skipped). */
export function hasDefaults(schema: JSONSchemaProps): boolean {
  if (schema.default !== undefined) return true;
  const items = itemsOf(schema);
  const additional = additionalOf(schema);
  return (items !== undefined && hasDefaults(items)) ||
    (additional !== undefined && hasDefaults(additional)) ||
    Object.values(schema.properties ?? {}).some(hasDefaults);
}

// --- validation ----------------------------------------------------------------------------------

/** kube-openapi's name of a value's JSON type. */
export function jsonTypeName(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "string") return "string";
  if (typeof v === "boolean") return "boolean";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return Array.isArray(v) ? "array" : "object";
}

/** Formats a number as Go's `%v` does for float64. */
function goNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  const s = String(n);
  return s.replace(/e\+?(-?)(\d)$/, (_m, sign, d) => `e${sign || "+"}0${d}`).replace(
    /e\+?(-?)(\d\d+)$/,
    (_m, sign, d) => `e${sign || "+"}${d}`,
  );
}

function goQuote(s: string): string {
  return JSON.stringify(s);
}

const FORMATS: Readonly<Record<string, (v: string) => boolean>> = {
  bsonobjectid: (v) => /^[0-9a-fA-F]{24}$/.test(v),
  uri: (v) => {
    try {
      return /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(v) && new URL(v) !== null;
    } catch {
      return v.startsWith("/");
    }
  },
  email: (v) => /^[^\s@<>]+@[^\s@<>]+$/.test(v),
  hostname: (v) =>
    v.length <= 255 &&
    /^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*\.?$/
      .test(v),
  ipv4: (v) =>
    /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/.test(v),
  ipv6: (v) => v.includes(":") && /^[0-9a-fA-F:.]+$/.test(v) && isIpv6(v),
  cidr: (v) => {
    const [ip = "", bits, ...rest] = v.split("/");
    if (bits === undefined || rest.length > 0 || !/^\d+$/.test(bits)) return false;
    if (FORMATS.ipv4!(ip)) return Number(bits) <= 32;
    return isIpv6(ip) && Number(bits) <= 128;
  },
  mac: (v) =>
    /^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$/.test(v) ||
    /^([0-9a-fA-F]{2}[:-]){7}[0-9a-fA-F]{2}$/.test(v) ||
    /^([0-9a-fA-F]{4}\.){2}[0-9a-fA-F]{4}$/.test(v),
  uuid: (v) => /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(v),
  uuid3: (v) => /^[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(v),
  uuid4: (v) =>
    /^[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$/i.test(v),
  uuid5: (v) =>
    /^[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$/i.test(v),
  isbn: (v) => FORMATS.isbn10!(v) || FORMATS.isbn13!(v),
  isbn10: (v) => /^(?:[0-9]{9}X|[0-9]{10})$/.test(v.replaceAll(/[- ]/g, "")),
  isbn13: (v) => /^(?:[0-9]{13})$/.test(v.replaceAll(/[- ]/g, "")),
  creditcard: (v) =>
    /^(?:4[0-9]{12}(?:[0-9]{3})?|5[1-5][0-9]{14}|6(?:011|5[0-9][0-9])[0-9]{12}|3[47][0-9]{13}|3(?:0[0-5]|[68][0-9])[0-9]{11}|(?:2131|1800|35\d{3})\d{11})$/
      .test(v.replaceAll(/\D/g, "")),
  ssn: (v) => /^\d{3}[- ]?\d{2}[- ]?\d{4}$/.test(v),
  hexcolor: (v) => /^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/.test(v),
  rgbcolor: (v) =>
    /^rgb\(\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*\)$/.test(v) &&
    [...v.matchAll(/\d{1,3}/g)].every((m) => Number(m[0]) <= 255),
  byte: (v) => /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(v),
  password: () => true,
  date: (v) => /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(`${v}T00:00:00Z`)),
  duration: (v) =>
    /^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$/.test(v) ||
    /^\d+\s*(ns|us|ms|s|m|h|d|w|nanoseconds?|microseconds?|milliseconds?|seconds?|minutes?|hours?|days?|weeks?)$/
      .test(v),
  datetime: isDateTime,
  "date-time": isDateTime,
};

function isDateTime(v: string): boolean {
  return /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(v) &&
    !Number.isNaN(Date.parse(v.replace(" ", "T")));
}

function isIpv6(v: string): boolean {
  const parts = v.split("::");
  if (parts.length > 2) return false;
  const groups = (p: string) => p === "" ? [] : p.split(":");
  const all = [...groups(parts[0] ?? ""), ...groups(parts[1] ?? "")];
  let count = all.length;
  const last = all.at(-1);
  if (last !== undefined && last.includes(".")) {
    if (!FORMATS.ipv4!(last)) return false;
    count += 1;
  }
  if (
    !all.every((g, i) => (i === all.length - 1 && g.includes(".")) || /^[0-9a-fA-F]{1,4}$/.test(g))
  ) {
    return false;
  }
  return parts.length === 2 ? count < 8 : count === 8;
}

/** The formats CRD schemas validate; others are ignored, as upstream strips them. */
export const SUPPORTED_FORMATS: ReadonlySet<string> = new Set(Object.keys(FORMATS));

class Validator {
  readonly errs: FieldError[] = [];

  #field(name: string): FieldPath {
    return new FieldPath(name);
  }

  #in(name: string): string {
    return name === "" ? "in body" : `${name} in body`;
  }

  value(v: unknown, s: JSONSchemaProps, name: string): void {
    if (!this.#type(v, s, name)) return;
    this.#junctors(v, s, name);
    if (typeof v === "string") this.#string(v, s, name);
    if (typeof v === "number") this.#number(v, s, name);
    if (Array.isArray(v)) this.#array(v, s, name);
    if (s.enum !== undefined && v !== null) this.#enum(v, s, name);
    if (isObject(v)) this.#object(v, s, name);
  }

  /** The type check; false when the value has the wrong type (nothing else is checked then). */
  #type(v: unknown, s: JSONSchemaProps, name: string): boolean {
    const types = s["x-kubernetes-int-or-string"] ? ["integer", "string"] : s.type ? [s.type] : [];
    if (v === null || v === undefined) {
      if (types.length > 0 && !s.nullable) {
        this.#typeError(name, types.join(","), "null");
        return false;
      }
      return true;
    }
    if (types.length === 0) return true;
    const actual = jsonTypeName(v);
    const ok = types.some((t) => t === actual || (t === "number" && actual === "integer"));
    if (!ok) {
      this.#typeError(name, types.join(","), actual);
      return false;
    }
    return true;
  }

  #typeError(name: string, type: string, actual: string): void {
    this.errs.push(
      new FieldError("typeInvalid", {
        field: this.#field(name),
        value: actual,
        detail: `${this.#in(name)} must be of type ${type}: ${goQuote(actual)}`,
      }),
    );
  }

  #junctors(v: unknown, s: JSONSchemaProps, name: string): void {
    const sub = (schema: JSONSchemaProps): FieldError[] => {
      const inner = new Validator();
      inner.value(v, schema, name);
      return inner.errs;
    };
    const composite = (detail: string) =>
      this.errs.push(invalid(this.#field(name), { value: "", detail }));
    const label = name === "" ? "" : `${name} `;
    if (s.allOf?.length) {
      const errs = s.allOf.flatMap(sub);
      if (errs.length > 0) {
        this.errs.push(...errs);
        composite(`${label}must validate all the schemas (allOf)`);
      }
    }
    if (s.anyOf?.length) {
      const results = s.anyOf.map(sub);
      if (!results.some((r) => r.length === 0)) {
        composite(`${label}must validate at least one schema (anyOf)`);
      }
    }
    if (s.oneOf?.length) {
      const passing = s.oneOf.map(sub).filter((r) => r.length === 0).length;
      if (passing !== 1) composite(`${label}must validate one and only one schema (oneOf)`);
    }
    if (s.not && sub(s.not).length === 0) {
      composite(`${label}must not validate the schema (not)`);
    }
  }

  #string(v: string, s: JSONSchemaProps, name: string): void {
    const length = [...v].length;
    if (s.maxLength !== undefined && length > s.maxLength) {
      this.errs.push(tooLong(this.#field(name), s.maxLength));
    }
    if (s.minLength !== undefined && length < s.minLength) {
      this.errs.push(invalid(this.#field(name), {
        value: v,
        detail: `${this.#in(name)} should be at least ${s.minLength} chars long`,
      }));
    }
    if (s.pattern !== undefined && !patternOf(s.pattern).test(v)) {
      this.errs.push(invalid(this.#field(name), {
        value: v,
        detail: `${this.#in(name)} should match '${s.pattern}'`,
      }));
    }
    const check = s.format ? FORMATS[s.format] : undefined;
    if (check && !check(v)) {
      this.errs.push(
        new FieldError("typeInvalid", {
          field: this.#field(name),
          value: v,
          detail: `${this.#in(name)} must be of type ${s.format}: ${goQuote(v)}`,
        }),
      );
    }
  }

  #number(v: number, s: JSONSchemaProps, name: string): void {
    if (s.multipleOf !== undefined && s.multipleOf > 0) {
      const q = v / s.multipleOf;
      if (Math.abs(q - Math.round(q)) > 1e-9) {
        this.errs.push(invalid(this.#field(name), {
          value: v,
          detail: `${this.#in(name)} should be a multiple of ${goNumber(s.multipleOf)}`,
        }));
      }
    }
    if (s.maximum !== undefined) {
      const bad = s.exclusiveMaximum ? v >= s.maximum : v > s.maximum;
      if (bad) {
        this.errs.push(invalid(this.#field(name), {
          value: v,
          detail: `${this.#in(name)} should be less than ${
            s.exclusiveMaximum ? "" : "or equal to "
          }${goNumber(s.maximum)}`,
        }));
      }
    }
    if (s.minimum !== undefined) {
      const bad = s.exclusiveMinimum ? v <= s.minimum : v < s.minimum;
      if (bad) {
        this.errs.push(invalid(this.#field(name), {
          value: v,
          detail: `${this.#in(name)} should be greater than ${
            s.exclusiveMinimum ? "" : "or equal to "
          }${goNumber(s.minimum)}`,
        }));
      }
    }
  }

  #array(v: unknown[], s: JSONSchemaProps, name: string): void {
    if (s.maxItems !== undefined && v.length > s.maxItems) {
      this.errs.push(tooMany(this.#field(name), { actual: v.length, max: s.maxItems }));
    }
    if (s.minItems !== undefined && v.length < s.minItems) {
      this.errs.push(invalid(this.#field(name), {
        value: v.length,
        detail: `${this.#in(name)} should have at least ${s.minItems} items`,
      }));
    }
    const items = itemsOf(s);
    if (items) v.forEach((item, i) => this.value(item, items, `${name}[${i}]`));
  }

  #enum(v: unknown, s: JSONSchemaProps, name: string): void {
    const values = s.enum ?? [];
    if (values.some((e) => jsonEqual(e, v))) return;
    this.errs.push(notSupported(this.#field(name), {
      value: v,
      supported: values.map((e) => typeof e === "string" ? e : JSON.stringify(e)),
    }));
  }

  #object(v: Record<string, unknown>, s: JSONSchemaProps, name: string): void {
    const count = Object.keys(v).length;
    if (s.maxProperties !== undefined && count > s.maxProperties) {
      this.errs.push(tooMany(this.#field(name), { actual: count, max: s.maxProperties }));
    }
    if (s.minProperties !== undefined && count < s.minProperties) {
      this.errs.push(invalid(this.#field(name), {
        value: count,
        detail: `${this.#in(name)} should have at least ${s.minProperties} properties`,
      }));
    }
    for (const key of s.required ?? []) {
      if (!Object.hasOwn(v, key)) this.errs.push(required(this.#field(joinPath(name, key))));
    }
    const additional = additionalOf(s);
    for (const [key, value] of Object.entries(v)) {
      const prop = s.properties?.[key];
      const child = joinPath(name, key);
      if (prop) this.value(value, prop, child);
      else if (additional) this.value(value, additional, child);
      else if (s.additionalProperties === false) {
        this.errs.push(invalid(this.#field(child), {
          value: "",
          detail: `${this.#in(child).replace(/ in body$/, "")} in body is a forbidden property`,
        }));
      }
    }
  }
}

const PATTERNS = new Map<string, RegExp>();

function patternOf(source: string): RegExp {
  let re = PATTERNS.get(source);
  if (!re) {
    try {
      re = new RegExp(source, "u");
    } catch {
      re = new RegExp(source);
    }
    PATTERNS.set(source, re);
  }
  return re;
}

function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length &&
      ka.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

/**
 * The schema errors of `value` against `schema`, as upstream reports them: type errors
 * (`FieldValueTypeInvalid`), enum (`Unsupported value`), required (`Required value`), ranges,
 * lengths, patterns, formats and item counts, with kube-openapi's texts.
 */
export function validateSchemaValue(value: unknown, schema: JSONSchemaProps): FieldError[] {
  const v = new Validator();
  v.value(value, schema, "");
  return v.errs;
}

// --- list types and embedded resources -----------------------------------------------------------

function keyOf(item: unknown, keys: readonly string[]): string {
  return JSON.stringify(keys.map((k) => isObject(item) ? item[k] ?? null : null));
}

function listWalk(v: unknown, s: JSONSchemaProps | undefined, path: FieldPath, errs: FieldError[]) {
  if (s === undefined) return;
  if (Array.isArray(v)) {
    const listType = s["x-kubernetes-list-type"];
    if (listType === "set") {
      const seen = new Set<string>();
      v.forEach((item, i) => {
        const k = JSON.stringify(item);
        if (seen.has(k)) errs.push(duplicate(path.index(i), item));
        seen.add(k);
      });
    } else if (listType === "map") {
      const keys = s["x-kubernetes-list-map-keys"] ?? [];
      const seen = new Set<string>();
      v.forEach((item, i) => {
        const k = keyOf(item, keys);
        if (seen.has(k)) {
          const id = Object.fromEntries(
            keys.map((key) => [key, isObject(item) ? item[key] : null]),
          );
          errs.push(duplicate(path.index(i), id));
        }
        seen.add(k);
      });
    }
    const items = itemsOf(s);
    v.forEach((item, i) => listWalk(item, items, path.index(i), errs));
    return;
  }
  if (!isObject(v)) return;
  const additional = additionalOf(s);
  for (const [key, value] of Object.entries(v)) {
    const prop = s.properties?.[key] ?? additional;
    listWalk(value, prop, path.child(key), errs);
  }
}

/** Upstream's `schema.ParseGroupVersion` error, or null. */
function groupVersionError(apiVersion: string): string | null {
  return apiVersion.split("/").length > 2 ? `unexpected GroupVersion string: ${apiVersion}` : null;
}

/** The TypeMeta and ObjectMeta of an embedded resource (`x-kubernetes-embedded-resource`). */
function validateEmbeddedResource(
  v: Record<string, unknown>,
  path: FieldPath,
  errs: FieldError[],
): void {
  if (!Object.hasOwn(v, "apiVersion")) errs.push(required(path.child("apiVersion")));
  if (!Object.hasOwn(v, "kind")) errs.push(required(path.child("kind")));
  for (const [key, value] of Object.entries(v)) {
    if (key === "apiVersion") {
      const p = path.child("apiVersion");
      if (typeof value !== "string") {
        errs.push(invalid(p, { value, detail: "must be a string" }));
      } else if (value === "") {
        errs.push(required(p));
      } else {
        const e = groupVersionError(value);
        if (e !== null) errs.push(invalid(p, { value, detail: e }));
      }
    } else if (key === "kind") {
      const p = path.child("kind");
      if (typeof value !== "string") {
        errs.push(invalid(p, { value, detail: "must be a string" }));
      } else if (value === "") {
        errs.push(required(p));
      } else {
        const msgs = isDns1035Label(value.toLowerCase());
        if (msgs.length > 0) {
          errs.push(invalid(p, {
            value,
            detail: `may have mixed case, but should otherwise match: ${msgs.join(",")}`,
          }));
        }
      }
    } else if (key === "metadata" && isObject(value)) {
      errs.push(...validateEmbeddedMeta(value as ObjectMeta, path.child("metadata")));
    }
  }
}

/**
 * apimachinery's `ValidateObjectMeta` of an embedded resource's metadata, with upstream's
 * choices: any path-segment name (a missing one is fine), a namespace only checked if set.
 */
function validateEmbeddedMeta(meta: ObjectMeta, path: FieldPath): FieldError[] {
  const ns = typeof meta.namespace === "string" ? meta.namespace : "";
  const name = typeof meta.name === "string" && meta.name !== "" ? meta.name : "fakename";
  const errs = validateObjectMeta({ ...meta, name }, {
    namespaced: ns !== "",
    nameRule: "pathSegment",
  });
  // validateObjectMeta reports under "metadata": move its errors under the embedded object.
  return errs.map((e) =>
    new FieldError(e.type, {
      field: `${path}${e.field.slice("metadata".length)}`,
      value: e.value,
      detail: e.detail,
    })
  );
}

function embeddedWalk(
  v: unknown,
  s: JSONSchemaProps | undefined,
  path: FieldPath,
  errs: FieldError[],
): void {
  if (s === undefined) return;
  if (Array.isArray(v)) {
    const items = itemsOf(s);
    v.forEach((item, i) => embeddedWalk(item, items, path.index(i), errs));
    return;
  }
  if (!isObject(v)) return;
  if (s["x-kubernetes-embedded-resource"]) validateEmbeddedResource(v, path, errs);
  const additional = additionalOf(s);
  for (const [key, value] of Object.entries(v)) {
    const prop = s.properties?.[key];
    if (prop) embeddedWalk(value, prop, path.child(key), errs);
    else if (additional) embeddedWalk(value, additional, path.index(key), errs);
  }
}

/**
 * The errors of embedded resources (`apiVersion` and `kind` set and well-formed, their
 * metadata valid as upstream's `ValidateObjectMeta` sees it: name, generateName, namespace,
 * labels, annotations, owner references, finalizers), then of the list-type invariants (no
 * duplicate items in `set` lists, no two items with the same keys in `map` lists), in
 * upstream's order.
 */
export function validateListsAndEmbedded(value: unknown, schema: JSONSchemaProps): FieldError[] {
  const errs: FieldError[] = [];
  embeddedWalk(value, schema, new FieldPath(""), errs);
  listWalk(value, schema, new FieldPath(""), errs);
  return errs;
}
