/**
 * A CRD version's structural schema in skiff's schema language, so that the generic handlers,
 * server-side apply and the OpenAPI generators read custom resources the way they read built-in
 * kinds. Two trees come out of one schema:
 *
 * - **`decode`**, the kind's `ResourceDef.schema`: the shape (objects with their declared
 *   properties, maps, lists with `x-kubernetes-list-type`/`-list-map-keys`, `-map-type`,
 *   preserved unknown fields) with every scalar as `any`. The generic decoder then prunes
 *   unknown fields and reports them for `fieldValidation` exactly as for built-in kinds, but
 *   never refuses a mistyped value (scalar, object or list): for custom resources that is a
 *   validation error
 *   (`spec.replicas: Invalid value: "string": … must be of type integer`), which the custom
 *   resource strategy reports with kube-openapi's text. Fields keep zero values (`[]`, `{}`),
 *   as custom resources are stored as sent. Nulls follow upstream's structural defaulting: a
 *   `nullable` field's or map value's `null` is kept (stored and returned), one with a
 *   `default` is kept for the strategy to default, others are pruned; list items keep theirs
 *   (validation reports a non-nullable one). No constraint sits in this tree: all of them are
 *   checked by the strategy, with upstream's texts.
 * - **`published`**, the kind's `ResourceDef.openApiSchema`: the same shape with real types,
 *   formats, string enums, patterns, lengths, integer ranges, required fields, scalar defaults
 *   and descriptions, for `/openapi/v2`, `/openapi/v3` and `kubectl explain`.
 *
 * @example Convert a small schema
 * ```ts
 * import assert from "node:assert/strict";
 * import { convertCustomResourceSchema } from "./schema_conversion.ts";
 *
 * const { decode, published } = convertCustomResourceSchema({
 *   type: "object",
 *   properties: { spec: { type: "object", properties: { replicas: { type: "integer" } } } },
 * }, { group: "stable.example.com", version: "v1", kind: "CronTab" });
 * assert.equal(decode.name, "com.example.stable.v1.CronTab");
 * assert.equal(published.fields.spec?.schema.type, "object");
 * ```
 *
 * @module
 */
import type { JSONSchemaProps } from "../types/apiextensions_v1.ts";
import { objectFields, ObjectMeta } from "../types/meta_v1.ts";
import {
  any,
  array,
  boolean,
  double,
  enumOf,
  type Field,
  field,
  int32,
  int64,
  intOrString,
  type ListType,
  map,
  type MapType,
  object,
  type ObjectSchema,
  requiredField,
  type Schema,
  string,
} from "../types/schema.ts";
import { additionalOf, itemsOf } from "./structural.ts";

/** The kind a schema describes. */
export interface CustomResourceKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

/** The two schema trees of one version. */
export interface ConvertedSchemas {
  /** The decoding shape (scalars as `any`, no constraints): `ResourceDef.schema`. */
  readonly decode: ObjectSchema;
  /** The typed, documented tree: `ResourceDef.openApiSchema`. */
  readonly published: ObjectSchema;
}

/** Upstream's definition name of a custom kind: the group reversed, then version and kind. */
export function definitionName(k: CustomResourceKind): string {
  return `${k.group.split(".").reverse().join(".")}.${k.version}.${k.kind}`;
}

type Mode = "decode" | "published";

function listOptions(s: JSONSchemaProps): { listType?: ListType; listMapKeys?: string[] } {
  const listType = s["x-kubernetes-list-type"];
  const keys = s["x-kubernetes-list-map-keys"] ?? [];
  if (listType === "map") return keys.length > 0 ? { listType, listMapKeys: keys } : {};
  if (listType === "atomic" || listType === "set") return { listType };
  return {};
}

function mapTypeOf(s: JSONSchemaProps): { mapType?: MapType } {
  const t = s["x-kubernetes-map-type"];
  return t === "atomic" || t === "granular" ? { mapType: t } : {};
}

function scalar(s: JSONSchemaProps, mode: Mode): Schema {
  if (mode === "decode") return any();
  if (s["x-kubernetes-int-or-string"]) return intOrString();
  switch (s.type) {
    case "string": {
      const values = s.enum?.filter((v): v is string => typeof v === "string") ?? [];
      if (values.length > 0 && values.length === s.enum?.length) return enumOf(values);
      return string({
        ...(s.format ? { format: s.format } : {}),
        ...(s.pattern !== undefined ? { pattern: s.pattern } : {}),
        ...(s.maxLength !== undefined ? { maxLength: s.maxLength } : {}),
      });
    }
    case "integer": {
      const range = {
        ...(s.minimum !== undefined ? { minimum: s.minimum } : {}),
        ...(s.maximum !== undefined ? { maximum: s.maximum } : {}),
      };
      return s.format === "int32" ? int32(range) : int64(range);
    }
    case "number":
      return double();
    case "boolean":
      return boolean();
    default:
      return any();
  }
}

/**
 * Whether an explicit `null` of a value of schema `s` survives decoding: when `s` is nullable
 * (it is stored and returned), or has a default (defaulting replaces it). Others are pruned,
 * as upstream's `PruneNonNullableNullsWithoutDefaults` does before defaulting.
 */
function keepsNull(s: JSONSchemaProps): boolean {
  return s.nullable === true || (s.default !== undefined && s.default !== null);
}

class Converter {
  readonly #mode: Mode;

  constructor(mode: Mode) {
    this.#mode = mode;
  }

  schema(s: JSONSchemaProps, name: string): Schema {
    if (s["x-kubernetes-int-or-string"]) return scalar(s, this.#mode);
    const preserve = s["x-kubernetes-preserve-unknown-fields"] === true;
    switch (s.type) {
      case "object": {
        const additional = additionalOf(s);
        const embedded = s["x-kubernetes-embedded-resource"] === true;
        if (s.properties && Object.keys(s.properties).length > 0 || embedded) {
          return this.#object(s, name, embedded);
        }
        if (additional) {
          return map(this.schema(additional, name), {
            ...mapTypeOf(s),
            ...this.#lenient(),
            ...this.#nullValues(additional),
          });
        }
        if (preserve || s.additionalProperties === true) {
          return this.#mode === "decode" ? any() : any({ shape: "object" });
        }
        return this.#object(s, name, false);
      }
      case "array": {
        const items = itemsOf(s);
        return array(items ? this.schema(items, `${name}.items`) : any(), {
          ...listOptions(s),
          ...this.#lenient(),
          // Null items stay, for defaulting or validation (upstream never prunes them).
          ...(this.#mode === "decode" ? { nulls: "keep" as const } : {}),
        });
      }
      case undefined:
      case "":
        return any();
      default:
        return scalar(s, this.#mode);
    }
  }

  #field(s: JSONSchemaProps, options: { name: string; required: boolean }): Field {
    const schema = this.schema(s, options.name);
    const description = s.description ?? "";
    if (this.#mode === "decode") {
      return field(schema, {
        description,
        keepZero: true,
        ...(keepsNull(s) ? { keepNull: true } : {}),
      });
    }
    const isScalar = schema.type !== "object" && schema.type !== "array" && schema.type !== "map";
    const opts = {
      description,
      ...(s.default !== undefined && isScalar && s.default !== null ? { default: s.default } : {}),
    };
    return options.required ? requiredField(schema, opts) : field(schema, opts);
  }

  /** Null map values stay when the schema is nullable or defaults them, else are pruned. */
  #nullValues(values: JSONSchemaProps): { nulls?: "keep" | "drop" } {
    if (this.#mode !== "decode") return {};
    return { nulls: keepsNull(values) ? "keep" : "drop" };
  }

  /** Decoding keeps mistyped values for the strategy's validation to report (a 422). */
  #lenient(): { keepMistyped?: true } {
    return this.#mode === "decode" ? { keepMistyped: true } : {};
  }

  #object(s: JSONSchemaProps, name: string, embedded: boolean): ObjectSchema {
    const fields: Record<string, Field> = {};
    if (embedded) {
      fields.apiVersion = objectFields.apiVersion;
      fields.kind = objectFields.kind;
      fields.metadata = field(ObjectMeta, { description: "Standard object metadata." });
    }
    const requiredKeys = new Set(s.required ?? []);
    for (const [key, prop] of Object.entries(s.properties ?? {})) {
      if (embedded && (key === "apiVersion" || key === "kind" || key === "metadata")) continue;
      fields[key] = this.#field(prop, { name: `${name}.${key}`, required: requiredKeys.has(key) });
    }
    // Published nested objects have no definition name: OpenAPI writes them inline, as upstream.
    return object(this.#mode === "published" ? "" : name, {
      description: s.description ?? "",
      fields,
      ...mapTypeOf(s),
      ...this.#lenient(),
      ...(s["x-kubernetes-preserve-unknown-fields"] === true
        ? { preserveUnknownFields: true }
        : {}),
    });
  }

  root(s: JSONSchemaProps, k: CustomResourceKind): ObjectSchema {
    const name = definitionName(k);
    const fields: Record<string, Field> = { ...objectFields };
    const requiredKeys = new Set(s.required ?? []);
    for (const [key, prop] of Object.entries(s.properties ?? {})) {
      if (key === "apiVersion" || key === "kind" || key === "metadata") continue;
      fields[key] = this.#field(prop, { name: `${name}.${key}`, required: requiredKeys.has(key) });
    }
    return object(name, {
      description: s.description ?? "",
      gvk: [{ group: k.group, version: k.version, kind: k.kind }],
      fields,
      ...(s["x-kubernetes-preserve-unknown-fields"] === true
        ? { preserveUnknownFields: true }
        : {}),
    });
  }
}

/** The decoding and the published schema of a custom kind from its structural schema. */
export function convertCustomResourceSchema(
  schema: JSONSchemaProps,
  kind: CustomResourceKind,
): ConvertedSchemas {
  return {
    decode: new Converter("decode").root(schema, kind),
    published: new Converter("published").root(schema, kind),
  };
}
