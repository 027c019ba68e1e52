/**
 * Decodes a parsed request body against a kind's schema the way kube-apiserver's JSON decoder
 * (`sigs.k8s.io/json`, case-sensitive, strict) treats a typed object: unknown fields are dropped
 * and reported (`unknown field "spec.foo"`), duplicates from the body parser are reported in
 * document order with them, type mismatches fail with Go's messages (`json: cannot unmarshal
 * string into Go struct field DeploymentSpec.spec.replicas of type int32`), nulls are dropped
 * (list items and map values become Go's zero value) unless the schema keeps them
 * (`keepNull`, `nulls`: custom resources), quantities and times are canonicalized, and scalar
 * schema defaults are applied.
 *
 * @example Decode a body with an unknown field
 * ```ts
 * import assert from "node:assert/strict";
 * import { field, int32, object, string } from "../types/schema.ts";
 * import { decodeObject, formatStrictErrors } from "./decode.ts";
 * import { parseJsonBody } from "./json_body.ts";
 *
 * const Spec = object("io.k8s.api.apps.v1.DeploymentSpec", {
 *   description: "",
 *   fields: { replicas: field(int32(), { description: "" }) },
 * });
 * const Deployment = object("io.k8s.api.apps.v1.Deployment", {
 *   description: "",
 *   fields: { kind: field(string(), { description: "" }), spec: field(Spec, { description: "" }) },
 * });
 * const body = parseJsonBody('{"kind":"Deployment","spec":{"replicas":2,"foo":1,"replicas":3}}');
 * const r = decodeObject(Deployment, { fieldValidation: "Strict", body });
 * assert.deepEqual(r.object, { kind: "Deployment", spec: { replicas: 3 } });
 * assert.deepEqual(r.unknownFields, ["spec.foo"]);
 * assert.equal(
 *   formatStrictErrors(r.strictErrors),
 *   'strict decoding error: unknown field "spec.foo", duplicate field "spec.replicas"',
 * );
 * ```
 *
 * @module
 */
import {
  type ArraySchema,
  type MapSchema,
  type ObjectSchema,
  resolve,
  type Schema,
} from "../types/schema.ts";
import { canonicalQuantity, QUANTITY_FORMAT_ERROR } from "../types/quantity.ts";
import type { DuplicateField, ParsedBody } from "./json_body.ts";
import { formatGoTime, isZeroGoTime, parseGoTime, RFC3339, RFC3339_MICRO } from "./_go_time.ts";
import { canonicalBase64, encodeBase64 } from "./_go_base64.ts";

/** The `fieldValidation` query parameter. */
export type FieldValidation = "Strict" | "Warn" | "Ignore";

/** Options of {@linkcode decodeObject}. */
export interface DecodeOptions {
  /** What the request asked for; decides whether strict errors become {@linkcode DecodeResult.warnings}. */
  readonly fieldValidation: FieldValidation;
  /** The value to decode (a parsed body, or the result of a patch); defaults to `body.value`. */
  readonly value?: unknown;
  /**
   * The parsed body the value came from ({@linkcode parseJsonBody} or `parseYamlBody`): its
   * duplicate keys (and YAML's duplicate-key errors) join the strict errors, in upstream's order.
   */
  readonly body?: ParsedBody & { readonly yamlErrors?: readonly string[] };
  /**
   * Walk object keys in sorted order: for a value that upstream re-marshals from a map before
   * decoding (the result of a JSON merge patch), so unknown fields come out in its order.
   */
  readonly sortKeys?: boolean;
}

/** What {@linkcode decodeObject} found. */
export interface DecodeResult {
  /**
   * The decoded object: unknown fields and nulls dropped (but those the schema keeps), values
   * canonical, defaults applied.
   */
  readonly object: unknown;
  /** Paths of dropped unknown fields, as upstream prints them (`spec.containers[0].bar`). */
  readonly unknownFields: string[];
  /**
   * Decode errors (type mismatches, bad quantities, times, base64). A request with any fails
   * with 400; `errors[0]` is the one upstream reports.
   */
  readonly errors: string[];
  /**
   * The strict decoding errors in upstream's order: YAML's duplicate-key block first, then
   * `duplicate field "…"` and `unknown field "…"` as the decoder met them (deduplicated, at
   * most 100). Under `Strict`, any makes the request fail: {@linkcode formatStrictErrors}.
   */
  readonly strictErrors: string[];
  /** Under `Warn`: the texts of the `Warning: 299` headers to send; otherwise empty. */
  readonly warnings: string[];
}

/** The text upstream puts before the strict errors. */
export const STRICT_DECODING_PREFIX = "strict decoding error: ";
/** At most this many strict errors are kept, as upstream. */
const MAX_STRICT_ERRORS = 100;

/** The warning (and strict error) text for an unknown field. */
export function unknownFieldWarning(path: string): string {
  return `unknown field ${JSON.stringify(path)}`;
}

/** The warning (and strict error) text for a duplicated field. */
export function duplicateFieldWarning(path: string): string {
  return `duplicate field ${JSON.stringify(path)}`;
}

/**
 * Upstream's strict decoding message for unknown and duplicate fields:
 * `strict decoding error: unknown field "spec.foo", duplicate field "x"`. When the order in the
 * document matters, prefer {@linkcode DecodeResult.strictErrors} with
 * {@linkcode formatStrictErrors}.
 */
export function strictDecodingMessage(
  unknown: readonly string[],
  duplicates: readonly string[],
): string {
  return formatStrictErrors([
    ...unknown.map(unknownFieldWarning),
    ...duplicates.map(duplicateFieldWarning),
  ]);
}

/** `strict decoding error: ` followed by the errors, comma-separated. */
export function formatStrictErrors(errors: readonly string[]): string {
  return STRICT_DECODING_PREFIX + errors.join(", ");
}

/** Marks a value that is left out of the result. */
const DROP: unique symbol = Symbol("drop");
type Out = unknown;

const SEG_FIELD = 0;
const SEG_KEY = 1;
const SEG_INDEX = 2;

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const INT64_LIMIT = 2 ** 63;

const GO_TYPES = new WeakMap<Schema, string>();

/** The Go package-qualified type name of a definition: `v1.DeploymentSpec`. */
function goTypeName(definition: string): string {
  const parts = definition.split(".");
  const name = parts[parts.length - 1] ?? definition;
  const pkg = parts[parts.length - 2];
  return pkg ? `${pkg}.${name}` : name;
}

/** The type Go's errors name for a schema (`int32`, `[]v1.Container`, `map[string]string`). */
function goType(schema: Schema): string {
  const cached = GO_TYPES.get(schema);
  if (cached !== undefined) return cached;
  const s = resolve(schema);
  let t: string;
  switch (s.type) {
    case "string":
      t = "string";
      break;
    case "integer":
      t = s.format;
      break;
    case "number":
      t = "float64";
      break;
    case "boolean":
      t = "bool";
      break;
    case "quantity":
      t = "resource.Quantity";
      break;
    case "intOrString":
      t = "intstr.IntOrString";
      break;
    case "time":
      t = s.micro ? "v1.MicroTime" : "v1.Time";
      break;
    case "bytes":
      t = "[]uint8";
      break;
    case "any":
      t = s.name
        ? goTypeName(s.name)
        : s.shape === "object"
        ? "map[string]interface {}"
        : "interface {}";
      break;
    case "array":
      t = `[]${goType(s.items)}`;
      break;
    case "map":
      t = `map[string]${goType(s.values)}`;
      break;
    case "object":
      t = goTypeName(s.name);
      break;
  }
  GO_TYPES.set(schema, t);
  return t;
}

function jsonKind(v: unknown): string {
  if (typeof v === "string") return "string";
  if (typeof v === "number") return "number";
  if (typeof v === "boolean") return "bool";
  return Array.isArray(v) ? "array" : "object";
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Sets `key`, including `__proto__`, as an own property. */
function setKey(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(obj, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    obj[key] = value;
  }
}

/** Sites of duplicates by the path of their object, then by the key they follow. */
type Sites = Map<string, Map<string, DuplicateField[]>>;

function indexSites(duplicates: readonly DuplicateField[]): Sites | null {
  if (duplicates.length === 0) return null;
  const sites: Sites = new Map();
  for (const d of duplicates) {
    let byAfter = sites.get(d.parent);
    if (!byAfter) sites.set(d.parent, byAfter = new Map());
    const list = byAfter.get(d.after);
    if (list) list.push(d);
    else byAfter.set(d.after, [d]);
  }
  return sites;
}

class Decoder {
  readonly unknown: string[] = [];
  readonly errors: string[] = [];
  readonly strict: string[] = [];
  /** Errors an `UnmarshalJSON` method returns end Go's decoding: they win over saved ones. */
  hardError = false;
  readonly #seenStrict = new Set<string>();
  readonly #segs: (string | number)[] = [];
  readonly #kinds: number[] = [];
  readonly #structs: string[] = [];
  readonly #sites: Sites | null;
  readonly #allSites: readonly DuplicateField[];
  readonly #sortKeys: boolean;

  constructor(duplicates: readonly DuplicateField[], sortKeys: boolean) {
    this.#sites = indexSites(duplicates);
    this.#allSites = duplicates;
    this.#sortKeys = sortKeys;
  }

  #push(kind: number, seg: string | number, struct: string): void {
    this.#segs.push(seg);
    this.#kinds.push(kind);
    this.#structs.push(struct);
  }

  #pop(): void {
    this.#segs.pop();
    this.#kinds.pop();
    this.#structs.pop();
  }

  /** The path as strict errors print it: `spec.containers[0].name`, `data.key`. */
  path(): string {
    let p = "";
    for (let i = 0; i < this.#segs.length; i++) {
      const seg = this.#segs[i]!;
      if (this.#kinds[i] === SEG_INDEX) p += `[${seg}]`;
      else p = p === "" ? String(seg) : `${p}.${seg}`;
    }
    return p;
  }

  #strictError(text: string): void {
    if (this.strict.length >= MAX_STRICT_ERRORS || this.#seenStrict.has(text)) return;
    this.#seenStrict.add(text);
    this.strict.push(text);
  }

  /** Go's `UnmarshalTypeError` with the decoder's error context. */
  #typeError(value: string, type: string): void {
    let struct = "";
    const fields: string[] = [];
    for (let i = 0; i < this.#segs.length; i++) {
      if (this.#kinds[i] === SEG_FIELD) {
        fields.push(String(this.#segs[i]));
        struct = this.#structs[i]!;
      }
    }
    this.errors.push(
      fields.length > 0
        ? `json: cannot unmarshal ${value} into Go struct field ${struct}.${
          fields.join(".")
        } of type ${type}`
        : `json: cannot unmarshal ${value} into Go value of type ${type}`,
    );
  }

  /** An error returned by a type's own `UnmarshalJSON`: reported as is, and first. */
  #hardError(message: string): void {
    if (!this.hardError) {
      this.hardError = true;
      this.errors.unshift(message);
    } else {
      this.errors.push(message);
    }
  }

  /** Reports the duplicates met right after `key`; `fields` (of a struct) filters unknown ones. */
  #emitSites(byAfter: Map<string, DuplicateField[]>, key: string, s: ObjectSchema | null): void {
    const list = byAfter.get(key);
    if (!list) return;
    for (const d of list) {
      // A duplicate of an unknown field is reported only as unknown, as upstream.
      if (s !== null && !s.preserveUnknownFields && !Object.hasOwn(s.fields, d.key)) continue;
      this.#strictError(`duplicate field ${JSON.stringify(d.path)}`);
    }
  }

  /** Duplicates anywhere under `path`, inside a free-form value the decoder does not walk. */
  #emitSitesUnder(path: string): void {
    for (const d of this.#allSites) {
      if (
        d.parent === path || d.parent.startsWith(`${path}.`) || d.parent.startsWith(`${path}[`)
      ) {
        this.#strictError(`duplicate field ${JSON.stringify(d.path)}`);
      }
    }
  }

  value(schema: Schema, v: unknown): Out {
    if (v === null) return DROP;
    const s = schema.type === "lazy" ? resolve(schema) : schema;
    switch (s.type) {
      case "string":
        if (typeof v === "string") return v;
        this.#typeError(jsonKind(v), "string");
        return DROP;
      case "integer": {
        if (typeof v !== "number") {
          this.#typeError(jsonKind(v), s.format);
          return DROP;
        }
        const ok = Number.isInteger(v) &&
          (s.format === "int32"
            ? v >= INT32_MIN && v <= INT32_MAX
            : v >= -INT64_LIMIT && v < INT64_LIMIT);
        if (!ok) {
          this.#typeError(`number ${v}`, s.format);
          return DROP;
        }
        return v;
      }
      case "number":
        if (typeof v === "number") return v;
        this.#typeError(jsonKind(v), "float64");
        return DROP;
      case "boolean":
        if (typeof v === "boolean") return v;
        this.#typeError(jsonKind(v), "bool");
        return DROP;
      case "quantity":
        if (typeof v === "string" || typeof v === "number") {
          try {
            return canonicalQuantity(v);
          } catch (err) {
            this.#hardError((err as Error).message);
            return DROP;
          }
        }
        this.#hardError(QUANTITY_FORMAT_ERROR);
        return DROP;
      case "intOrString":
        if (typeof v === "string") return v;
        if (typeof v === "number" && Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX) {
          return v;
        }
        this.#hardError(
          `json: cannot unmarshal ${
            typeof v === "number" ? `number ${v}` : jsonKind(v)
          } into Go value of type int32`,
        );
        return DROP;
      case "time": {
        if (typeof v !== "string") {
          this.#hardError(`json: cannot unmarshal ${jsonKind(v)} into Go value of type string`);
          return DROP;
        }
        const t = parseGoTime(v, s.micro ? RFC3339_MICRO : RFC3339);
        if (typeof t === "string") {
          this.#hardError(t);
          return DROP;
        }
        return isZeroGoTime(t) ? DROP : formatGoTime(t, s.micro === true);
      }
      case "bytes":
        return this.#bytes(v);
      case "any":
        if (s.shape === "object" && !isPlainObject(v)) {
          this.#typeError(jsonKind(v), goType(s));
          return DROP;
        }
        if (this.#sites !== null && s.name === undefined) this.#emitSitesUnder(this.path());
        return v;
      case "array":
        return this.#array(s, v);
      case "map":
        return this.#map(s, v);
      case "object":
        return this.object(s, v);
    }
  }

  #bytes(v: unknown): Out {
    if (typeof v === "string") {
      const r = canonicalBase64(v);
      if (typeof r === "string") {
        this.errors.push(r);
        return DROP;
      }
      return r.text;
    }
    if (Array.isArray(v)) {
      // Go decodes a JSON array into []byte element by element.
      const bytes = new Uint8Array(v.length);
      for (let i = 0; i < v.length; i++) {
        const b = v[i];
        if (b === null) continue;
        if (typeof b !== "number" || !Number.isInteger(b) || b < 0 || b > 255) {
          this.#typeError(typeof b === "number" ? `number ${b}` : jsonKind(b), "uint8");
          return DROP;
        }
        bytes[i] = b;
      }
      return encodeBase64(bytes);
    }
    this.#typeError(jsonKind(v), "[]uint8");
    return DROP;
  }

  /** The zero value Go stores for a null list item or map value. */
  #zero(schema: Schema): Out {
    const s = resolve(schema);
    switch (s.type) {
      case "string":
      case "bytes":
        return "";
      case "integer":
      case "number":
      case "intOrString":
        return 0;
      case "boolean":
        return false;
      case "quantity":
        return "0";
      case "object":
        return this.object(s, {});
      case "time":
        return DROP;
      default:
        return null;
    }
  }

  /** A `null` list item or map value: kept, dropped, or Go's zero value (`nulls`). */
  #null(s: ArraySchema | MapSchema): Out {
    if (s.nulls === "keep") return null;
    if (s.nulls === "drop") return DROP;
    return this.#zero(s.type === "array" ? s.items : s.values);
  }

  #array(s: ArraySchema, v: unknown): Out {
    if (!Array.isArray(v)) {
      if (s.keepMistyped) return v;
      this.#typeError(jsonKind(v), goType(s));
      return DROP;
    }
    const out: unknown[] = [];
    for (let i = 0; i < v.length; i++) {
      this.#push(SEG_INDEX, i, "");
      const item = v[i];
      const d = item === null ? this.#null(s) : this.value(s.items, item);
      this.#pop();
      if (d !== DROP) out.push(d);
    }
    return out;
  }

  #keys(v: Record<string, unknown>): string[] {
    const keys = Object.keys(v);
    return this.#sortKeys ? keys.sort() : keys;
  }

  #map(s: MapSchema, v: unknown): Out {
    if (!isPlainObject(v)) {
      if (s.keepMistyped) return v;
      this.#typeError(jsonKind(v), goType(s));
      return DROP;
    }
    const byAfter = this.#sites?.get(this.path());
    const out: Record<string, unknown> = {};
    for (const key of this.#keys(v)) {
      const item = v[key];
      this.#push(SEG_KEY, key, "");
      const d = item === null ? this.#null(s) : this.value(s.values, item);
      this.#pop();
      if (d !== DROP) setKey(out, key, d);
      if (byAfter) this.#emitSites(byAfter, key, null);
    }
    return out;
  }

  object(s: ObjectSchema, v: unknown): Out {
    if (!isPlainObject(v)) {
      if (s.keepMistyped) return v;
      this.#typeError(jsonKind(v), goType(s));
      return DROP;
    }
    const fields = s.fields;
    const struct = s.name.slice(s.name.lastIndexOf(".") + 1);
    const byAfter = this.#sites?.get(this.path());
    const out: Record<string, unknown> = {};
    for (const key of this.#keys(v)) {
      const f = Object.hasOwn(fields, key) ? fields[key] : undefined;
      if (f !== undefined && f.keepNull && v[key] === null) {
        setKey(out, key, null);
      } else if (f !== undefined) {
        this.#push(SEG_FIELD, key, struct);
        const d = this.value(f.schema, v[key]);
        this.#pop();
        if (d !== DROP && !(!f.required && !f.keepZero && isEmptyCollection(f.schema, d))) {
          setKey(out, key, d);
        }
      } else if (s.preserveUnknownFields) {
        setKey(out, key, v[key]);
      } else {
        this.#push(SEG_FIELD, key, struct);
        const path = this.path();
        this.#pop();
        this.unknown.push(path);
        this.#strictError(`unknown field ${JSON.stringify(path)}`);
      }
      if (byAfter) this.#emitSites(byAfter, key, s);
    }
    for (const key in fields) {
      const f = fields[key]!;
      if (f.default !== undefined && !Object.hasOwn(out, key)) setKey(out, key, f.default);
    }
    return out;
  }
}

/**
 * Whether `v`, of `schema`, is an empty list or map: what Go's `omitempty` leaves out when it
 * encodes the decoded struct again, so an optional field holding `[]` or `{}` is stored without
 * it (a patch removing the last owner reference leaves no `ownerReferences: []`). An empty
 * struct (`securityContext: {}`) is a set pointer in Go and stays.
 */
function isEmptyCollection(schema: Schema, v: unknown): boolean {
  const type = resolve(schema).type;
  if (type === "array") return Array.isArray(v) && v.length === 0;
  if (type === "map") return isPlainObject(v) && Object.keys(v).length === 0;
  return false;
}

/**
 * Decodes `options.value` (or `options.body.value`) against `schema`.
 *
 * It never throws for bad input: see {@linkcode DecodeResult.errors} and
 * {@linkcode DecodeResult.strictErrors}.
 */
export function decodeObject(schema: Schema, options: DecodeOptions): DecodeResult {
  const body = options.body;
  const value = "value" in options ? options.value : body?.value;
  const d = new Decoder(body?.duplicateFields ?? [], options.sortKeys === true);
  let object: unknown;
  try {
    const out = d.value(schema, value);
    object = out === DROP ? null : out;
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    // Only a self-referencing schema nested thousands deep gets here.
    d.errors.unshift("json: exceeded max depth");
    object = null;
  }
  const yamlErrors = body?.yamlErrors ?? [];
  const strictErrors = yamlErrors.length > 0
    ? [`yaml: unmarshal errors:\n  ${yamlErrors.join("\n  ")}`, ...d.strict]
    : d.strict;
  return {
    object,
    unknownFields: d.unknown,
    errors: d.errors,
    strictErrors,
    warnings: options.fieldValidation === "Warn" ? [...yamlErrors, ...d.strict] : [],
  };
}
