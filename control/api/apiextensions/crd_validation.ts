/**
 * Validation of CustomResourceDefinitions as kube-apiserver 1.33 does it for
 * `apiextensions.k8s.io/v1`, with its texts: the name is `<plural>.<group>`, the group a
 * domain with a dot, the scope `Cluster` or `Namespaced`, the names DNS-1035 labels (kinds in
 * mixed case), version names unique DNS-1035 labels with exactly one storage version, every
 * version with a structural schema (and compiling CEL rules, valid defaults), printer columns of
 * known types and formats with simple JSON paths, scale paths under `.spec`/`.status`,
 * `preserveUnknownFields` false, conversion `None` (skiff cannot call conversion webhooks, so
 * `Webhook` is refused), and on update the immutable group, plural, and (once established)
 * scope and kind, with every stored version still listed.
 *
 * Required fields the schema marks (`spec.group`, `spec.scope`, `spec.versions`, a column's
 * `name`…) are reported by the generic handler; this file does the rest.
 *
 * @example A name that does not match
 * ```ts
 * import assert from "node:assert/strict";
 * import { validateCustomResourceDefinition } from "./crd_validation.ts";
 *
 * const errs = validateCustomResourceDefinition({
 *   metadata: { name: "crontab.stable.example.com" },
 *   spec: {
 *     group: "stable.example.com", scope: "Namespaced",
 *     names: { plural: "crontabs", singular: "crontab", kind: "CronTab", listKind: "CronTabList" },
 *     versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object" } } }],
 *   },
 *   status: { storedVersions: ["v1"] },
 * });
 * assert.deepEqual(errs.map(String), [
 *   'metadata.name: Invalid value: "crontab.stable.example.com": must be spec.names.plural+"."+spec.group',
 * ]);
 * ```
 *
 * @module
 */
import { decodeObject } from "../codec/decode.ts";
import {
  type CustomResourceColumnDefinition,
  type CustomResourceDefinition,
  type CustomResourceDefinitionNames,
  type CustomResourceDefinitionVersion,
  type JSONSchemaProps,
  JSONSchemaProps as JSONSchemaPropsSchema,
} from "../types/apiextensions_v1.ts";
import {
  FieldError,
  FieldPath,
  forbidden,
  invalid,
  notSupported,
  required,
} from "../validation/field_errors.ts";
import { isDns1035Label, isDns1123Subdomain } from "../validation/names.ts";
import { parseJsonPath } from "./_json_path.ts";
import { compileSchemaRules } from "./cel_rules.ts";
import { applyDefaults, prune, validateSchemaValue } from "./cr_values.ts";
import { additionalOf, itemsOf, validateStructuralSchema } from "./structural.ts";

/** The column types printer columns may have, sorted. */
export const PRINTER_COLUMN_TYPES = ["boolean", "date", "integer", "number", "string"];
/** The column formats printer columns may have, sorted. */
export const PRINTER_COLUMN_FORMATS = [
  "byte",
  "date",
  "date-time",
  "double",
  "float",
  "int32",
  "int64",
  "password",
];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Upstream's `validateSimpleJSONPath`. */
export function validateSimpleJsonPath(s: string, path: FieldPath): FieldError[] {
  if (s.length === 0) return [invalid(path, { value: s, detail: "must not be empty" })];
  if (s[0] !== ".") {
    return [invalid(path, { value: s, detail: "must be a simple json path starting with ." })];
  }
  return [];
}

function validateNames(names: CustomResourceDefinitionNames, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const label = (value: string | undefined, p: FieldPath, prefix = "") => {
    if (!value) return;
    const msgs = isDns1035Label(prefix ? value.toLowerCase() : value);
    if (msgs.length > 0) errs.push(invalid(p, { value, detail: prefix + msgs.join(",") }));
  };
  label(names.plural, path.child("plural"));
  label(names.singular, path.child("singular"));
  label(names.kind, path.child("kind"), "may have mixed case, but should otherwise match: ");
  label(
    names.listKind,
    path.child("listKind"),
    "may have mixed case, but should otherwise match: ",
  );
  (names.shortNames ?? []).forEach((s, i) => label(s, path.child("shortNames").index(i)));
  if (names.kind && names.kind === names.listKind) {
    errs.push(invalid(path.child("listKind"), {
      value: names.listKind,
      detail: "kind and listKind may not be the same",
    }));
  }
  (names.categories ?? []).forEach((c, i) => label(c, path.child("categories").index(i)));
  return errs;
}

function validateColumn(col: CustomResourceColumnDefinition, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (col.type && !PRINTER_COLUMN_TYPES.includes(col.type)) {
    errs.push(
      notSupported(path.child("type"), { value: col.type, supported: PRINTER_COLUMN_TYPES }),
    );
  }
  if (col.format && !PRINTER_COLUMN_FORMATS.includes(col.format)) {
    errs.push(notSupported(path.child("format"), {
      value: col.format,
      supported: PRINTER_COLUMN_FORMATS,
    }));
  }
  if (col.jsonPath) {
    const e = validateSimpleJsonPath(col.jsonPath, path.child("jsonPath"));
    errs.push(...e);
    if (e.length === 0) {
      try {
        parseJsonPath(col.jsonPath);
      } catch (err) {
        errs.push(invalid(path.child("jsonPath"), {
          value: col.jsonPath,
          detail: `must be a valid JSON path: ${(err as Error).message}`,
        }));
      }
    }
  }
  if (col.priority !== undefined && col.priority < 0) {
    errs.push(invalid(path.child("priority"), {
      value: col.priority,
      detail: "must be greater than or equal to 0",
    }));
  }
  return errs;
}

function validateScale(
  scale: NonNullable<NonNullable<CustomResourceDefinitionVersion["subresources"]>["scale"]>,
  path: FieldPath,
): FieldError[] {
  const errs: FieldError[] = [];
  const check = (value: string | undefined, name: string, prefixes: string[], detail: string) => {
    if (!value) return;
    const p = path.child(name);
    const e = validateSimpleJsonPath(value, p);
    if (e.length > 0) errs.push(...e);
    else if (!prefixes.some((x) => value.startsWith(x))) errs.push(invalid(p, { value, detail }));
  };
  check(
    scale.specReplicasPath,
    "specReplicasPath",
    [".spec."],
    "should be a json path under .spec",
  );
  check(
    scale.statusReplicasPath,
    "statusReplicasPath",
    [".status."],
    "should be a json path under .status",
  );
  check(
    scale.labelSelectorPath,
    "labelSelectorPath",
    [".spec.", ".status."],
    "should be a json path under either .spec or .status",
  );
  return errs;
}

/** `items`/`additionalProperties` are kept as sent: decode them as JSONSchemaProps to check types. */
function validateNestedShapes(s: JSONSchemaProps, path: FieldPath, errs: FieldError[]): void {
  const check = (value: unknown, p: FieldPath) => {
    if (!isObject(value)) return;
    const r = decodeObject(JSONSchemaPropsSchema, { value, fieldValidation: "Ignore" });
    if (r.errors.length > 0) errs.push(invalid(p, { value: "", detail: r.errors[0]! }));
  };
  check(s.items, path.child("items"));
  check(s.additionalProperties, path.child("additionalProperties"));
  const items = itemsOf(s);
  if (items) validateNestedShapes(items, path.child("items"), errs);
  const ap = additionalOf(s);
  if (ap) validateNestedShapes(ap, path.child("additionalProperties"), errs);
  for (const [k, p] of Object.entries(s.properties ?? {})) {
    validateNestedShapes(p, path.child("properties").index(k), errs);
  }
}

/** Defaults must be valid values of their schema (after pruning, as upstream checks them). */
function validateDefaults(s: JSONSchemaProps, path: FieldPath, errs: FieldError[]): void {
  if (s.default !== undefined && s.default !== null) {
    const value = structuredClone(s.default);
    const pruned = isObject(value) || Array.isArray(value) ? prune({ v: value }, wrap(s)) : [];
    if (pruned.length > 0) {
      errs.push(invalid(path.child("default"), {
        value: "",
        detail: `must not have unknown fields, got: ${pruned.map((p) => p.slice(2)).join(", ")}`,
      }));
    }
    applyDefaults(value, s);
    for (const e of validateSchemaValue(value, s)) {
      const field = path.child("default").toString() + (e.field ? `.${e.field}` : "");
      errs.push(new FieldError(e.type, { field, value: e.value, detail: e.detail }));
    }
  }
  const items = itemsOf(s);
  if (items) validateDefaults(items, path.child("items"), errs);
  const ap = additionalOf(s);
  if (ap) validateDefaults(ap, path.child("additionalProperties"), errs);
  for (const [k, p] of Object.entries(s.properties ?? {})) {
    if (
      k === "metadata" && p.default !== undefined && path.toString().endsWith("openAPIV3Schema")
    ) {
      errs.push(forbidden(path.child("properties").index(k).child("default"), "must not be set"));
      continue;
    }
    validateDefaults(p, path.child("properties").index(k), errs);
  }
}

function wrap(s: JSONSchemaProps): JSONSchemaProps {
  return { type: "object", properties: { v: s } };
}

/**
 * JSONSchemaProps' fields in Go's declaration order, by JSON name, with the Go field names of
 * those upstream allows at the root of a schema whose version has a status subresource (so
 * that the status's schema is all under `properties.status`).
 */
const ROOT_FIELDS: readonly (readonly [string, string])[] = [
  ["id", "ID"],
  ["$schema", "Schema"],
  ["$ref", "Ref"],
  ["description", "Description"],
  ["type", "Type"],
  ["format", "Format"],
  ["title", "Title"],
  ["default", "Default"],
  ["maximum", "Maximum"],
  ["exclusiveMaximum", "ExclusiveMaximum"],
  ["minimum", "Minimum"],
  ["exclusiveMinimum", "ExclusiveMinimum"],
  ["maxLength", "MaxLength"],
  ["minLength", "MinLength"],
  ["pattern", "Pattern"],
  ["maxItems", "MaxItems"],
  ["minItems", "MinItems"],
  ["uniqueItems", "UniqueItems"],
  ["multipleOf", "MultipleOf"],
  ["enum", "Enum"],
  ["maxProperties", "MaxProperties"],
  ["minProperties", "MinProperties"],
  ["required", "Required"],
  ["items", "Items"],
  ["allOf", "AllOf"],
  ["oneOf", "OneOf"],
  ["anyOf", "AnyOf"],
  ["not", "Not"],
  ["properties", "Properties"],
  ["additionalProperties", "AdditionalProperties"],
  ["patternProperties", "PatternProperties"],
  ["dependencies", "Dependencies"],
  ["additionalItems", "AdditionalItems"],
  ["definitions", "Definitions"],
  ["externalDocs", "ExternalDocs"],
  ["example", "Example"],
  ["nullable", "Nullable"],
  ["x-kubernetes-preserve-unknown-fields", "XPreserveUnknownFields"],
  ["x-kubernetes-embedded-resource", "XEmbeddedResource"],
  ["x-kubernetes-int-or-string", "XIntOrString"],
  ["x-kubernetes-list-map-keys", "XListMapKeys"],
  ["x-kubernetes-list-type", "XListType"],
  ["x-kubernetes-map-type", "XMapType"],
  ["x-kubernetes-validations", "XValidations"],
];

/** Upstream's `allowedFieldsAtRootSchema`, in its order (it prints the list). */
const ALLOWED_AT_ROOT = [
  "Description",
  "Type",
  "Format",
  "Title",
  "Maximum",
  "ExclusiveMaximum",
  "Minimum",
  "ExclusiveMinimum",
  "MaxLength",
  "MinLength",
  "Pattern",
  "MaxItems",
  "MinItems",
  "UniqueItems",
  "MultipleOf",
  "Required",
  "Items",
  "Properties",
  "ExternalDocs",
  "Example",
  "XPreserveUnknownFields",
  "XValidations",
];

/** Whether a field's value is Go's zero value once decoded (false, "", nil; not `[]` or 0). */
function isGoZero(value: unknown): boolean {
  return value === undefined || value === null || value === false || value === "";
}

/**
 * The root-level rules of a version's schema: with a status subresource, only the fields of
 * {@linkcode ALLOWED_AT_ROOT} (and `type: object`); never `nullable`. Upstream stops at the
 * first offending field, in Go's field order.
 */
function validateSchemaRoot(
  schema: JSONSchemaProps,
  o: { statusSubresource: boolean; path: FieldPath },
): FieldError[] {
  const errs: FieldError[] = [];
  const rootPath = o.path.child("openAPIV3Schema");
  if (o.statusSubresource) {
    const fields = schema as Record<string, unknown>;
    for (const [json, goName] of ROOT_FIELDS) {
      if (isGoZero(fields[json])) continue;
      if (goName === "Type") {
        if (schema.type === "object") continue;
        errs.push(invalid(rootPath.child("type"), {
          value: schema.type,
          detail:
            'only "object" is allowed as the type at the root of the schema if the status subresource is enabled',
        }));
        break;
      }
      if (!ALLOWED_AT_ROOT.includes(goName)) {
        errs.push(invalid(rootPath, {
          value: schema,
          detail: `only [${
            ALLOWED_AT_ROOT.join(" ")
          }] fields are allowed at the root of the schema if the status subresource is enabled`,
        }));
        break;
      }
    }
  }
  if (schema.nullable) {
    errs.push(forbidden(rootPath.child("nullable"), "nullable cannot be true at the root"));
  }
  return errs;
}

function validateVersionSchema(
  version: CustomResourceDefinitionVersion,
  path: FieldPath,
): FieldError[] {
  const schemaPath = path.child("schema").child("openAPIV3Schema");
  const schema = version.schema?.openAPIV3Schema as JSONSchemaProps | undefined;
  if (!schema) return [required(schemaPath, "schemas are required")];
  const errs: FieldError[] = validateSchemaRoot(schema, {
    statusSubresource: version.subresources?.status !== undefined,
    path: path.child("schema"),
  });
  const shapes: FieldError[] = [];
  validateNestedShapes(schema, schemaPath, shapes);
  if (shapes.length > 0) return [...errs, ...shapes];
  errs.push(...validateStructuralSchema(schema, schemaPath));
  if (errs.length > 0) return errs;
  errs.push(...compileSchemaRules(schema, schemaPath).errors);
  validateDefaults(schema, schemaPath, errs);
  return errs;
}

function validateVersion(
  version: CustomResourceDefinitionVersion,
  path: FieldPath,
): FieldError[] {
  const errs: FieldError[] = [];
  if (version.name) {
    const msgs = isDns1035Label(version.name);
    if (msgs.length > 0) {
      errs.push(invalid(path.child("name"), { value: version.name, detail: msgs.join(",") }));
    }
  }
  if (version.deprecationWarning !== undefined) {
    if (!version.deprecated) {
      errs.push(invalid(path.child("deprecationWarning"), {
        value: version.deprecationWarning,
        detail: "can only be set for deprecated versions",
      }));
    } else if (version.deprecationWarning.length > 256) {
      errs.push(invalid(path.child("deprecationWarning"), {
        value: version.deprecationWarning,
        detail: "must be <= 256 characters long",
      }));
    }
  }
  errs.push(...validateVersionSchema(version, path));
  const scale = version.subresources?.scale;
  if (scale) errs.push(...validateScale(scale, path.child("subresources").child("scale")));
  (version.additionalPrinterColumns ?? []).forEach((col, i) => {
    errs.push(...validateColumn(col, path.child("additionalPrinterColumns").index(i)));
  });
  (version.selectableFields ?? []).forEach((f, i) => {
    if (f.jsonPath) {
      errs.push(...validateSimpleJsonPath(
        f.jsonPath,
        path.child("selectableFields").index(i).child("jsonPath"),
      ));
    }
  });
  return errs;
}

/** The errors of a CRD (create, and the parts of an update shared with it). */
export function validateCustomResourceDefinition(crd: CustomResourceDefinition): FieldError[] {
  const errs: FieldError[] = [];
  const spec = crd.spec ?? ({} as CustomResourceDefinition["spec"]);
  const names = spec.names ?? ({} as CustomResourceDefinitionNames);
  const name = crd.metadata?.name ?? "";
  if (name && name !== `${names.plural ?? ""}.${spec.group ?? ""}`) {
    errs.push(invalid("metadata.name", {
      value: name,
      detail: 'must be spec.names.plural+"."+spec.group',
    }));
  }
  const sp = new FieldPath("spec");
  if (spec.group) {
    const msgs = isDns1123Subdomain(spec.group);
    if (msgs.length > 0) {
      errs.push(invalid(sp.child("group"), { value: spec.group, detail: msgs.join(",") }));
    } else if (spec.group.split(".").length < 2) {
      errs.push(invalid(sp.child("group"), {
        value: spec.group,
        detail: "should be a domain with at least one dot",
      }));
    }
  }
  if (spec.scope && spec.scope !== "Cluster" && spec.scope !== "Namespaced") {
    errs.push(notSupported(sp.child("scope"), {
      value: spec.scope,
      supported: ["Cluster", "Namespaced"],
    }));
  }
  const versions = spec.versions ?? [];
  let storage = 0;
  const seen = new Set<string>();
  let unique = true;
  versions.forEach((v, i) => {
    if (v.storage) storage++;
    if (seen.has(v.name)) unique = false;
    seen.add(v.name);
    errs.push(...validateVersion(v, sp.child("versions").index(i)));
  });
  if (versions.length > 0 && !unique) {
    errs.push(invalid(sp.child("versions"), {
      value: versions,
      detail: "must contain unique version names",
    }));
  }
  if (versions.length > 0 && storage !== 1) {
    errs.push(invalid(sp.child("versions"), {
      value: versions,
      detail: "must have exactly one version marked as storage version",
    }));
  }
  const np = sp.child("names");
  if (!names.plural) errs.push(required(np.child("plural")));
  if (!names.singular) errs.push(required(np.child("singular")));
  if (!names.kind) errs.push(required(np.child("kind")));
  if (!names.listKind) errs.push(required(np.child("listKind")));
  errs.push(...validateNames(names, np));
  if (spec.preserveUnknownFields === true) {
    errs.push(invalid(sp.child("preserveUnknownFields"), {
      value: true,
      detail:
        "cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead",
    }));
  }
  const conversion = spec.conversion;
  if (conversion?.strategy) {
    if (conversion.strategy === "Webhook") {
      errs.push(forbidden(
        sp.child("conversion").child("strategy"),
        'skiff cannot call conversion webhooks: use strategy "None"',
      ));
    } else if (conversion.strategy !== "None") {
      errs.push(notSupported(sp.child("conversion").child("strategy"), {
        value: conversion.strategy,
        supported: ["None", "Webhook"],
      }));
    } else if (conversion.webhook !== undefined) {
      errs.push(forbidden(
        sp.child("conversion").child("webhook"),
        "should not be set when strategy is not set to Webhook",
      ));
    }
  }
  const status = crd.status;
  if (status?.acceptedNames) {
    errs.push(
      ...validateNames(status.acceptedNames, new FieldPath("status").child("acceptedNames")),
    );
  }
  errs.push(...validateStoredVersions(crd));
  return errs;
}

function validateStoredVersions(crd: CustomResourceDefinition): FieldError[] {
  const path = new FieldPath("status").child("storedVersions");
  const stored = crd.status?.storedVersions ?? [];
  if (stored.length === 0) {
    return [invalid(path, { value: stored, detail: "must have at least one stored version" })];
  }
  const errs: FieldError[] = [];
  const versions = crd.spec?.versions ?? [];
  for (const v of versions) {
    if (v.storage && !stored.includes(v.name)) {
      errs.push(invalid(path, { value: v, detail: `must have the storage version ${v.name}` }));
    }
  }
  stored.forEach((s, i) => {
    if (!versions.some((v) => v.name === s)) {
      errs.push(invalid(path.index(i), { value: s, detail: "must appear in spec.versions" }));
    }
  });
  return errs;
}

function immutable(path: string, value: unknown, old: unknown): FieldError[] {
  if (value === old) return [];
  return [invalid(path, { value, detail: "field is immutable" })];
}

/** Whether a CRD's `Established` condition is true. */
export function isEstablished(crd: CustomResourceDefinition): boolean {
  return (crd.status?.conditions ?? []).some((c) =>
    c.type === "Established" && c.status === "True"
  );
}

/** The errors an update of a CRD adds: immutable fields. */
export function validateCustomResourceDefinitionUpdate(
  crd: CustomResourceDefinition,
  old: CustomResourceDefinition,
): FieldError[] {
  const errs: FieldError[] = [];
  if (isEstablished(old)) {
    errs.push(...immutable("spec.scope", crd.spec?.scope, old.spec?.scope));
    errs.push(...immutable("spec.names.kind", crd.spec?.names?.kind, old.spec?.names?.kind));
  }
  errs.push(...immutable("spec.group", crd.spec?.group, old.spec?.group));
  errs.push(...immutable("spec.names.plural", crd.spec?.names?.plural, old.spec?.names?.plural));
  return errs;
}
