/**
 * Turns skiff schemas into OpenAPI schema objects — Swagger 2.0 `definitions` or OpenAPI 3
 * `components.schemas` — named by their upstream definition names and linked by `$ref`, with
 * Kubernetes' extensions (`x-kubernetes-group-version-kind`, patch strategies, list and map
 * types) and upstream's forms of the special types (Quantity, IntOrString, Time). Objects
 * without a name (a custom resource's nested objects) are written inline, as upstream publishes
 * CRD schemas.
 *
 * @module
 */
import { ListMeta } from "../types/meta_v1.ts";
import {
  any,
  array,
  type Field,
  field,
  type GroupVersionKind,
  object,
  type ObjectSchema,
  requiredField,
  resolve,
  type Schema,
  string,
} from "../types/schema.ts";

/** Which OpenAPI the definitions are for. */
export type Dialect = "v2" | "v3";

const META = "io.k8s.apimachinery.pkg.apis.meta.v1";
export const QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity";
export const INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString";
export const TIME = `${META}.Time`;
export const MICRO_TIME = `${META}.MicroTime`;
export const RAW_EXTENSION = "io.k8s.apimachinery.pkg.runtime.RawExtension";
export const DELETE_OPTIONS = `${META}.DeleteOptions`;
export const WATCH_EVENT = `${META}.WatchEvent`;

/** The body of a PATCH (any of the patch formats). */
export const Patch: ObjectSchema = object(`${META}.Patch`, {
  description: "The body of a PATCH request, in the format its content type names.",
  fields: {},
});

/** One event of a watch stream. */
export const WatchEvent: ObjectSchema = object(WATCH_EVENT, {
  description: "One change seen by a watch.",
  fields: {
    type: requiredField(string(), {
      description: "ADDED, MODIFIED, DELETED, BOOKMARK or ERROR.",
    }),
    object: requiredField(any({ name: RAW_EXTENSION }), {
      description:
        "The object after the change; for ERROR a Status, for BOOKMARK an object with only its resourceVersion.",
    }),
  },
});

const LISTS = new WeakMap<ObjectSchema, ObjectSchema>();

/** The `<Kind>List` schema of a kind: apiVersion, kind, ListMeta metadata, items. */
export function listSchemaOf(kind: ObjectSchema, gvk: GroupVersionKind): ObjectSchema {
  let list = LISTS.get(kind);
  if (!list) {
    list = object(`${kind.name}List`, {
      description: `A list of ${gvk.kind} objects.`,
      gvk: [{ group: gvk.group, version: gvk.version, kind: `${gvk.kind}List` }],
      fields: {
        apiVersion: field(string(), { description: "Versioned schema of this representation." }),
        items: requiredField(array(kind), { description: `The ${gvk.kind} objects.` }),
        kind: field(string(), { description: "Kind of this object." }),
        metadata: field(ListMeta, { description: "Standard list metadata." }),
      },
    });
    LISTS.set(kind, list);
  }
  return list;
}

type Json = Record<string, unknown>;

/** Fixed definitions of the special types, by dialect. */
function specialDefinition(name: string, dialect: Dialect): Json | undefined {
  switch (name) {
    case QUANTITY:
      return dialect === "v3"
        ? {
          description:
            'A fixed-point number with an optional suffix: "100m", "1.5Gi", "2", "1e3". The server prints it in canonical form.',
          oneOf: [{ type: "string" }, { type: "number" }],
        }
        : {
          description:
            'A fixed-point number with an optional suffix: "100m", "1.5Gi", "2", "1e3". The server prints it in canonical form.',
          type: "string",
        };
    case INT_OR_STRING:
      return dialect === "v3"
        ? {
          description: "Either an integer (int32) or a string, e.g. a port number or a port name.",
          format: "int-or-string",
          oneOf: [{ type: "integer" }, { type: "string" }],
          "x-kubernetes-int-or-string": true,
        }
        : {
          description: "Either an integer (int32) or a string, e.g. a port number or a port name.",
          format: "int-or-string",
          type: "string",
        };
    case TIME:
      return {
        description: "A point in time, RFC 3339 in UTC with seconds precision.",
        format: "date-time",
        type: "string",
      };
    case MICRO_TIME:
      return {
        description: "A point in time, RFC 3339 in UTC with microseconds precision.",
        format: "date-time",
        type: "string",
      };
    default:
      return undefined;
  }
}

/** Collects the definitions a document references. */
export class Definitions {
  readonly #dialect: Dialect;
  readonly #prefix: string;
  readonly #defs = new Map<string, Json>();
  readonly #everyGroupVersion: readonly { readonly group: string; readonly version: string }[];

  /**
   * `everyGroupVersion` lists the served group-versions: DeleteOptions and WatchEvent are
   * registered in each, as upstream's GVK annotations say.
   */
  constructor(
    dialect: Dialect,
    everyGroupVersion: readonly { readonly group: string; readonly version: string }[],
  ) {
    this.#dialect = dialect;
    this.#prefix = dialect === "v3" ? "#/components/schemas/" : "#/definitions/";
    this.#everyGroupVersion = everyGroupVersion;
  }

  /** A `$ref` to definition `name`. */
  ref(name: string): Json {
    return { $ref: this.#prefix + name };
  }

  /** The definitions collected so far, sorted by name. */
  all(): Json {
    const out: Json = {};
    for (const name of [...this.#defs.keys()].sort()) out[name] = this.#defs.get(name);
    return out;
  }

  #defineSpecial(name: string): Json {
    if (!this.#defs.has(name)) {
      const def = name === RAW_EXTENSION
        ? { description: "An embedded object, kept as sent.", type: "object" }
        : specialDefinition(name, this.#dialect)!;
      this.#defs.set(name, def);
    }
    return this.ref(name);
  }

  #gvks(s: ObjectSchema): GroupVersionKind[] | undefined {
    if (s.name === DELETE_OPTIONS || s.name === WATCH_EVENT) {
      const kind = s.name === DELETE_OPTIONS ? "DeleteOptions" : "WatchEvent";
      const seen = new Set<string>();
      const out: GroupVersionKind[] = [];
      for (const gv of [{ group: "", version: "v1" }, ...this.#everyGroupVersion]) {
        const key = `${gv.group}/${gv.version}`;
        if (!seen.has(key)) {
          seen.add(key);
          out.push({ group: gv.group, version: gv.version, kind });
        }
      }
      return out.sort((a, b) =>
        a.group.localeCompare(b.group) || a.version.localeCompare(b.version)
      );
    }
    return s.gvk ? [...s.gvk] : undefined;
  }

  #defineObject(s: ObjectSchema): Json {
    if (this.#defs.has(s.name)) return this.ref(s.name);
    const def: Json = {};
    // Registered before its fields, so self-references end.
    this.#defs.set(s.name, def);
    this.#fillObject(s, def);
    return this.ref(s.name);
  }

  /**
   * The schema of an object, written in place of a `$ref`: for objects without a definition
   * name (the nested objects of a custom resource's schema, which upstream publishes inline).
   */
  #inlineObject(s: ObjectSchema): Json {
    const def: Json = {};
    this.#fillObject(s, def);
    return def;
  }

  #fillObject(s: ObjectSchema, def: Json): void {
    if (s.description) def.description = s.description;
    const properties: Json = {};
    const required: string[] = [];
    for (const [name, f] of Object.entries(s.fields)) {
      properties[name] = this.property(f);
      if (f.required) required.push(name);
    }
    if (Object.keys(properties).length > 0) def.properties = properties;
    if (required.length > 0) def.required = required;
    def.type = "object";
    const gvks = this.#gvks(s);
    if (gvks) {
      def["x-kubernetes-group-version-kind"] = gvks.map((g) => ({
        group: g.group,
        kind: g.kind,
        version: g.version,
      }));
    }
    if (s.mapType) def["x-kubernetes-map-type"] = s.mapType;
    if (s.preserveUnknownFields) def["x-kubernetes-preserve-unknown-fields"] = true;
  }

  /** The schema object for a field: its type plus description, default and patch metadata. */
  property(f: Field): Json {
    const base = this.use(f.schema);
    const extras: Json = {};
    if (f.default !== undefined) extras.default = f.default;
    if (f.description) extras.description = f.description;
    if (f.patchMergeKey) extras["x-kubernetes-patch-merge-key"] = f.patchMergeKey;
    if (f.patchStrategy) extras["x-kubernetes-patch-strategy"] = f.patchStrategy;
    if ("$ref" in base && Object.keys(extras).length > 0 && this.#dialect === "v3") {
      // OpenAPI 3.0 ignores siblings of $ref: upstream wraps the reference in allOf.
      return { allOf: [base], ...extras };
    }
    return { ...base, ...extras };
  }

  /** The schema object for a use of `schema`: inline for scalars and containers, else a $ref. */
  use(schema: Schema): Json {
    const s = resolve(schema);
    switch (s.type) {
      case "string": {
        const out: Json = { type: "string" };
        if (s.format) out.format = s.format;
        if (s.enum) out.enum = [...s.enum];
        if (s.maxLength !== undefined) out.maxLength = s.maxLength;
        if (s.pattern !== undefined) out.pattern = s.pattern;
        return out;
      }
      case "integer": {
        const out: Json = { type: "integer", format: s.format };
        if (s.minimum !== undefined) out.minimum = s.minimum;
        if (s.maximum !== undefined) out.maximum = s.maximum;
        return out;
      }
      case "number":
        return { type: "number", format: "double" };
      case "boolean":
        return { type: "boolean" };
      case "bytes":
        return { type: "string", format: "byte" };
      case "quantity":
        return this.#defineSpecial(QUANTITY);
      case "intOrString":
        return this.#defineSpecial(INT_OR_STRING);
      case "time":
        return this.#defineSpecial(s.micro ? MICRO_TIME : TIME);
      case "any":
        if (s.name) {
          if (!this.#defs.has(s.name)) {
            this.#defs.set(
              s.name,
              s.name === RAW_EXTENSION
                ? { description: "An embedded object, kept as sent.", type: "object" }
                : { description: "A free-form JSON object.", type: "object" },
            );
          }
          return this.ref(s.name);
        }
        return s.shape === "object"
          ? { type: "object", "x-kubernetes-preserve-unknown-fields": true }
          : { "x-kubernetes-preserve-unknown-fields": true };
      case "array": {
        const out: Json = { type: "array", items: this.use(s.items) };
        if (s.listType) out["x-kubernetes-list-type"] = s.listType;
        if (s.listMapKeys) out["x-kubernetes-list-map-keys"] = [...s.listMapKeys];
        return out;
      }
      case "map": {
        const out: Json = { type: "object", additionalProperties: this.use(s.values) };
        if (s.mapType) out["x-kubernetes-map-type"] = s.mapType;
        return out;
      }
      case "object":
        return s.name === "" ? this.#inlineObject(s) : this.#defineObject(s);
    }
  }
}

/** A copy of `value` with every object's keys sorted, as Go marshals the upstream documents. */
export function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value === null || typeof value !== "object") return value;
  const obj = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(obj).sort()) out[k] = sortedKeys(obj[k]);
  return out;
}
