/**
 * Structural schemas: the rules a CRD's `openAPIV3Schema` must follow in
 * `apiextensions.k8s.io/v1` (upstream `apiextensions-apiserver` `pkg/apiserver/schema` and the
 * CRD validation): every specified field has a type, the root is an object, `metadata` may only
 * restrict `name` and `generateName`, value validations (`allOf`, `anyOf`, `oneOf`, `not`)
 * carry no types, defaults, descriptions or Kubernetes extensions, unsupported JSON-Schema
 * keywords (`$ref`, `patternProperties`, `uniqueItems`…) are refused, the extensions
 * (`x-kubernetes-list-type`, `-map-type`, `-int-or-string`, `-embedded-resource`,
 * `-preserve-unknown-fields`) are used consistently, and the schema is complete: every
 * property or item the root's value validations name is specified outside them too — with
 * upstream's error texts.
 *
 * @example A property without a type is not structural
 * ```ts
 * import assert from "node:assert/strict";
 * import { validateStructuralSchema } from "./structural.ts";
 *
 * const errs = validateStructuralSchema(
 *   { type: "object", properties: { spec: {} } },
 *   "spec.versions[0].schema.openAPIV3Schema",
 * );
 * assert.deepEqual(errs.map(String), [
 *   "spec.versions[0].schema.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields",
 * ]);
 * ```
 *
 * @module
 */
import type { JSONSchemaProps } from "../types/apiextensions_v1.ts";
import {
  type FieldError,
  FieldPath,
  forbidden,
  invalid,
  notSupported,
  required,
} from "../validation/field_errors.ts";

/** The JSON types a structural schema names. */
export const SCHEMA_TYPES = ["array", "boolean", "integer", "number", "object", "string"] as const;

type Level = "root" | "item" | "field";

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The schema of array items, when it is one schema (not a list). */
export function itemsOf(s: JSONSchemaProps): JSONSchemaProps | undefined {
  return isObject(s.items) ? s.items as JSONSchemaProps : undefined;
}

/** The schema of map values (`additionalProperties` as a schema). */
export function additionalOf(s: JSONSchemaProps): JSONSchemaProps | undefined {
  return isObject(s.additionalProperties) ? s.additionalProperties as JSONSchemaProps : undefined;
}

function has(s: JSONSchemaProps, key: keyof JSONSchemaProps): boolean {
  return Object.hasOwn(s, key) && s[key] !== undefined;
}

/** The checks of upstream's `specStandardValidatorV3` and `ValidateCustomResourceDefinitionOpenAPISchema`. */
function validateKeywords(s: JSONSchemaProps, path: FieldPath, errs: FieldError[]): void {
  if (has(s, "$ref")) errs.push(forbidden(path.child("$ref"), "$ref is not supported"));
  if (s.type === "null") {
    errs.push(
      forbidden(path.child("type"), "type cannot be set to null, use nullable as an alternative"),
    );
  } else if (s.type && !(SCHEMA_TYPES as readonly string[]).includes(s.type)) {
    errs.push(notSupported(path.child("type"), { value: s.type, supported: [...SCHEMA_TYPES] }));
  }
  if (has(s, "additionalItems")) {
    errs.push(forbidden(path.child("additionalItems"), "additionalItems is not supported"));
  }
  if (has(s, "patternProperties")) {
    errs.push(forbidden(path.child("patternProperties"), "patternProperties is not supported"));
  }
  if (has(s, "definitions")) {
    errs.push(forbidden(path.child("definitions"), "definitions is not supported"));
  }
  if (has(s, "dependencies")) {
    errs.push(forbidden(path.child("dependencies"), "dependencies is not supported"));
  }
  if (Array.isArray(s.items)) {
    errs.push(forbidden(path.child("items"), "items must be a schema object and not an array"));
  } else if (has(s, "items") && !isObject(s.items)) {
    errs.push(invalid(path.child("items"), { value: s.items, detail: "must be a schema object" }));
  }
  if (s.uniqueItems === true) {
    errs.push(forbidden(
      path.child("uniqueItems"),
      "uniqueItems cannot be set to true since the runtime complexity becomes quadratic",
    ));
  }
  const ap = s.additionalProperties;
  if (ap !== undefined) {
    if (typeof ap !== "boolean" && !isObject(ap)) {
      errs.push(invalid(path.child("additionalProperties"), {
        value: ap,
        detail: "must be a boolean or a schema object",
      }));
    } else if (s.properties && Object.keys(s.properties).length > 0 && ap !== true) {
      errs.push(forbidden(
        path.child("additionalProperties"),
        "additionalProperties and properties are mutual exclusive",
      ));
    }
  }
  if (s["x-kubernetes-preserve-unknown-fields"] === false) {
    errs.push(invalid(path.child("x-kubernetes-preserve-unknown-fields"), {
      value: false,
      detail: "must be true or undefined",
    }));
  }
  const listType = s["x-kubernetes-list-type"];
  const keys = s["x-kubernetes-list-map-keys"] ?? [];
  if (listType !== undefined) {
    if (s.type !== "array") {
      errs.push(invalid(path.child("x-kubernetes-list-type"), {
        value: listType,
        detail: "must only be used on type array",
      }));
    } else if (listType !== "atomic" && listType !== "set" && listType !== "map") {
      errs.push(notSupported(path.child("x-kubernetes-list-type"), {
        value: listType,
        supported: ["atomic", "set", "map"],
      }));
    } else if (listType === "set") {
      const items = itemsOf(s);
      const scalar = items === undefined || (items.type !== "object" && items.type !== "array") ||
        (items.type === "object" && items["x-kubernetes-map-type"] === "atomic") ||
        (items.type === "array" && items["x-kubernetes-list-type"] === "atomic");
      if (!scalar) {
        errs.push(invalid(path.child("items").child("type"), {
          value: items?.type ?? "",
          detail:
            'must be a scalar type if x-kubernetes-list-type is "set", or an object or array with atomic topology',
        }));
      }
    } else if (listType === "map") {
      const items = itemsOf(s);
      if (keys.length === 0) {
        errs.push(required(
          path.child("x-kubernetes-list-map-keys"),
          "must not be empty if x-kubernetes-list-type is map",
        ));
      }
      if (items?.type !== "object") {
        errs.push(invalid(path.child("items").child("type"), {
          value: items?.type ?? "",
          detail: "must be object if parent array's x-kubernetes-list-type is map",
        }));
      } else {
        for (const key of keys) {
          const prop = items.properties?.[key];
          if (!prop) {
            errs.push(required(
              path.child("items").child("properties").index(key),
              "entries for all x-kubernetes-list-map-keys must be specified",
            ));
          } else if (prop.type === "object" || prop.type === "array") {
            errs.push(invalid(path.child("items").child("properties").index(key).child("type"), {
              value: prop.type,
              detail: "must be a scalar type if parent array's x-kubernetes-list-type is map",
            }));
          } else if (!(items.required ?? []).includes(key) && prop.default === undefined) {
            errs.push(required(
              path.child("items").child("properties").index(key),
              "all map keys must be required or have a default value",
            ));
          }
        }
      }
    }
  }
  if (keys.length > 0 && listType !== "map") {
    errs.push(forbidden(
      path.child("x-kubernetes-list-map-keys"),
      'must only be used if x-kubernetes-list-type is "map"',
    ));
  }
  const mapType = s["x-kubernetes-map-type"];
  if (mapType !== undefined) {
    if (s.type !== "object") {
      errs.push(invalid(path.child("x-kubernetes-map-type"), {
        value: mapType,
        detail: "must only be used on type object",
      }));
    } else if (mapType !== "granular" && mapType !== "atomic") {
      errs.push(notSupported(path.child("x-kubernetes-map-type"), {
        value: mapType,
        supported: ["granular", "atomic"],
      }));
    }
  }
  if (s.pattern !== undefined) {
    try {
      new RegExp(s.pattern, "u");
    } catch (err) {
      errs.push(invalid(path.child("pattern"), {
        value: s.pattern,
        detail: `must be a valid regular expression, but isn't: ${(err as Error).message}`,
      }));
    }
  }
}

function walkKeywords(s: JSONSchemaProps, path: FieldPath, errs: FieldError[]): void {
  validateKeywords(s, path, errs);
  const ap = additionalOf(s);
  if (ap) walkKeywords(ap, path.child("additionalProperties"), errs);
  for (const [k, p] of Object.entries(s.properties ?? {})) {
    if (isObject(p)) walkKeywords(p, path.child("properties").index(k), errs);
  }
  const items = itemsOf(s);
  if (items) walkKeywords(items, path.child("items"), errs);
  if (s.not) walkKeywords(s.not, path.child("not"), errs);
  for (const key of ["allOf", "oneOf", "anyOf"] as const) {
    (s[key] ?? []).forEach((sub, i) => walkKeywords(sub, path.child(key).index(i), errs));
  }
}

function isIntOrStringPair(list: readonly JSONSchemaProps[] | undefined): boolean {
  return list?.length === 2 && list[0]?.type === "integer" && list[1]?.type === "string" &&
    Object.keys(list[0]).length === 1 && Object.keys(list[1]).length === 1;
}

/** Value validations under allOf/anyOf/oneOf/not: no types, defaults, descriptions, extensions. */
function validateNested(
  v: JSONSchemaProps | undefined,
  options: { path: FieldPath; skipAnyOf: boolean; skipFirstAllOfAnyOf: boolean },
  errs: FieldError[],
): void {
  if (!v) return;
  const { path } = options;
  validateJunctors(v, options, errs);
  if (itemsOf(v)) {
    validateNested(itemsOf(v), {
      path: path.child("items"),
      skipAnyOf: false,
      skipFirstAllOfAnyOf: false,
    }, errs);
  }
  for (const [k, p] of Object.entries(v.properties ?? {})) {
    validateNested(p, {
      path: path.child("properties").index(k),
      skipAnyOf: false,
      skipFirstAllOfAnyOf: false,
    }, errs);
  }
  if (v.type) errs.push(forbidden(path.child("type"), "must be empty to be structural"));
  if (v.additionalProperties !== undefined) {
    errs.push(forbidden(path.child("additionalProperties"), "must be undefined to be structural"));
  }
  if (v.default !== undefined) {
    errs.push(forbidden(path.child("default"), "must be undefined to be structural"));
  }
  if (v.title) errs.push(forbidden(path.child("title"), "must be empty to be structural"));
  if (v.description) {
    errs.push(forbidden(path.child("description"), "must be empty to be structural"));
  }
  if (v.nullable) errs.push(forbidden(path.child("nullable"), "must be false to be structural"));
  if (v.externalDocs !== undefined) {
    errs.push(forbidden(path.child("externalDocs"), "must be undefined to be structural"));
  }
  if (v["x-kubernetes-preserve-unknown-fields"]) {
    errs.push(forbidden(
      path.child("x-kubernetes-preserve-unknown-fields"),
      "must be false to be structural",
    ));
  }
  if (v["x-kubernetes-embedded-resource"]) {
    errs.push(
      forbidden(path.child("x-kubernetes-embedded-resource"), "must be false to be structural"),
    );
  }
  if (v["x-kubernetes-int-or-string"]) {
    errs.push(
      forbidden(path.child("x-kubernetes-int-or-string"), "must be false to be structural"),
    );
  }
  if ((v["x-kubernetes-list-map-keys"] ?? []).length > 0) {
    errs.push(
      forbidden(path.child("x-kubernetes-list-map-keys"), "must be empty to be structural"),
    );
  }
  if (v["x-kubernetes-list-type"] !== undefined) {
    errs.push(
      forbidden(path.child("x-kubernetes-list-type"), "must be undefined to be structural"),
    );
  }
  if (v["x-kubernetes-map-type"] !== undefined) {
    errs.push(
      forbidden(path.child("x-kubernetes-map-type"), "must be undefined to be structural"),
    );
  }
  if ((v["x-kubernetes-validations"] ?? []).length > 0) {
    errs.push(
      forbidden(path.child("x-kubernetes-validations"), "must be empty to be structural"),
    );
  }
  if (v.properties && Object.hasOwn(v.properties, "metadata")) {
    errs.push(forbidden(
      path.child("properties").index("metadata"),
      "must not be specified in a nested context",
    ));
  }
}

function validateJunctors(
  s: JSONSchemaProps,
  options: { path: FieldPath; skipAnyOf: boolean; skipFirstAllOfAnyOf: boolean },
  errs: FieldError[],
): void {
  const { path } = options;
  const plain = { skipAnyOf: false, skipFirstAllOfAnyOf: false };
  if (!options.skipAnyOf) {
    (s.anyOf ?? []).forEach((v, i) =>
      validateNested(v, { path: path.child("anyOf").index(i), ...plain }, errs)
    );
  }
  (s.allOf ?? []).forEach((v, i) =>
    validateNested(v, {
      path: path.child("allOf").index(i),
      skipAnyOf: options.skipFirstAllOfAnyOf && i === 0,
      skipFirstAllOfAnyOf: false,
    }, errs)
  );
  (s.oneOf ?? []).forEach((v, i) =>
    validateNested(v, { path: path.child("oneOf").index(i), ...plain }, errs)
  );
  validateNested(s.not, { path: path.child("not"), ...plain }, errs);
}

function validateInvariants(
  s: JSONSchemaProps,
  lvl: Level,
  path: FieldPath,
  errs: FieldError[],
): void {
  const items = itemsOf(s);
  if (s.type === "array" && items === undefined) {
    errs.push(required(path.child("items"), "must be specified"));
  }
  if (items) validateInvariants(items, "item", path.child("items"), errs);
  for (const [k, p] of Object.entries(s.properties ?? {})) {
    if (isObject(p)) validateInvariants(p, "field", path.child("properties").index(k), errs);
  }
  if (s.additionalProperties !== undefined && lvl === "root") {
    errs.push(forbidden(path.child("additionalProperties"), "must not be used at the root"));
  }
  const ap = additionalOf(s);
  if (ap) validateInvariants(ap, "field", path.child("additionalProperties"), errs);
  const intOrString = s["x-kubernetes-int-or-string"] === true;
  const preserve = s["x-kubernetes-preserve-unknown-fields"] === true;
  const embedded = s["x-kubernetes-embedded-resource"] === true;
  if (intOrString && preserve) {
    errs.push(invalid(path.child("x-kubernetes-preserve-unknown-fields"), {
      value: true,
      detail: "must be false if x-kubernetes-int-or-string is true",
    }));
  }
  if (intOrString && embedded) {
    errs.push(invalid(path.child("x-kubernetes-embedded-resource"), {
      value: true,
      detail: "must be false if x-kubernetes-int-or-string is true",
    }));
  }
  validateJunctors(s, {
    path,
    skipAnyOf: isIntOrStringPair(s.anyOf),
    skipFirstAllOfAnyOf: isIntOrStringPair(s.allOf?.[0]?.anyOf),
  }, errs);
  const type = s.type ?? "";
  if (embedded && type !== "object") {
    errs.push(
      type === ""
        ? required(path.child("type"), "must be object if x-kubernetes-embedded-resource is true")
        : invalid(path.child("type"), {
          value: type,
          detail: "must be object if x-kubernetes-embedded-resource is true",
        }),
    );
  } else if (type === "" && !intOrString && !preserve) {
    errs.push(required(
      path.child("type"),
      lvl === "root"
        ? "must not be empty at the root"
        : lvl === "item"
        ? "must not be empty for specified array items"
        : "must not be empty for specified object fields",
    ));
  }
  if (embedded && s.additionalProperties !== undefined) {
    errs.push(forbidden(
      path.child("additionalProperties"),
      "must not be used if x-kubernetes-embedded-resource is set",
    ));
  }
  if (lvl === "root" && type !== "" && type !== "object") {
    errs.push(invalid(path.child("type"), { value: type, detail: "must be object at the root" }));
  }
  const checkMetadata = lvl === "root" || embedded;
  const props = s.properties ?? {};
  if (checkMetadata && props.kind && props.kind.type !== "string") {
    errs.push(invalid(path.child("properties").index("kind").child("type"), {
      value: props.kind.type ?? "",
      detail: "must be string",
    }));
  }
  if (checkMetadata && props.apiVersion && props.apiVersion.type !== "string") {
    errs.push(invalid(path.child("properties").index("apiVersion").child("type"), {
      value: props.apiVersion.type ?? "",
      detail: "must be string",
    }));
  }
  if (checkMetadata && props.metadata && props.metadata.type !== "object") {
    errs.push(invalid(path.child("properties").index("metadata").child("type"), {
      value: props.metadata.type ?? "",
      detail: "must be object",
    }));
  }
  if (lvl === "root" && props.metadata) {
    const { type: _t, default: _d, properties, ...rest } = props.metadata;
    const names = Object.keys(properties ?? {});
    const onlyNames = names.every((n) => n === "name" || n === "generateName");
    const extra = Object.entries(rest).some(([, v]) => v !== undefined);
    if (!onlyNames || extra) {
      errs.push(forbidden(
        path.child("properties").index("metadata"),
        "must not specify anything other than name and generateName, but metadata is implicitly specified",
      ));
    }
  }
  if (embedded && !preserve && Object.keys(props).length === 0) {
    errs.push(required(
      path.child("properties"),
      "must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields",
    ));
  }
}

/** Paths in the structural part and in the value validation being compared. */
interface CompletenessPaths {
  readonly s: FieldPath;
  readonly v: FieldPath;
}

/**
 * Completeness: every property and item a value validation (`allOf`, `anyOf`, `oneOf`, `not`)
 * speaks about is also specified in the structural part of the schema, at the same place.
 */
function validateCompleteness(
  v: JSONSchemaProps,
  s: JSONSchemaProps | undefined,
  paths: CompletenessPaths,
  errs: FieldError[],
): void {
  if (s === undefined) {
    errs.push(required(paths.s, `because it is defined in ${paths.v}`));
    return;
  }
  const nested = (n: JSONSchemaProps | undefined, vPath: FieldPath) => {
    if (n) validateNestedCompleteness(n, s, { s: paths.s, v: vPath }, errs);
  };
  nested(v.not, paths.v.child("not"));
  for (const key of ["allOf", "anyOf", "oneOf"] as const) {
    (v[key] ?? []).forEach((n, i) => nested(n, paths.v.child(key).index(i)));
  }
}

function validateNestedCompleteness(
  v: JSONSchemaProps,
  s: JSONSchemaProps | undefined,
  paths: CompletenessPaths,
  errs: FieldError[],
): void {
  if (s === undefined) {
    errs.push(required(paths.s, `because it is defined in ${paths.v}`));
    return;
  }
  validateCompleteness(v, s, paths, errs);
  const items = itemsOf(v);
  if (items) {
    validateNestedCompleteness(items, itemsOf(s), {
      s: paths.s.child("items"),
      v: paths.v.child("items"),
    }, errs);
  }
  for (const [k, p] of Object.entries(v.properties ?? {})) {
    if (!isObject(p)) continue;
    const sp = paths.s.child("properties").index(k);
    const vp = paths.v.child("properties").index(k);
    const prop = s.properties?.[k];
    if (prop === undefined) {
      errs.push(required(sp, `because it is defined in ${vp}`));
    } else {
      validateNestedCompleteness(p, prop, { s: sp, v: vp }, errs);
    }
  }
}

/**
 * The errors that make `schema` (a version's `openAPIV3Schema`) unusable as a CRD schema:
 * unsupported keywords and extension misuse first, in schema order, then the structural
 * invariants, sorted by their text as upstream sorts them.
 */
export function validateStructuralSchema(
  schema: JSONSchemaProps,
  path: FieldPath | string,
): FieldError[] {
  const root = typeof path === "string" ? new FieldPath(path) : path;
  const errs: FieldError[] = [];
  walkKeywords(schema, root, errs);
  const structural: FieldError[] = [];
  validateInvariants(schema, "root", root, structural);
  // Upstream compares the root's value validations only (and, through them, what they nest).
  validateCompleteness(schema, schema, { s: root, v: root }, structural);
  structural.sort((a, b) => {
    const x = a.toString();
    const y = b.toString();
    return x < y ? -1 : x > y ? 1 : 0;
  });
  return [...errs, ...structural];
}
