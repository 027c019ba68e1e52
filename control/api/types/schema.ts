/**
 * skiff's schema language for API objects: one definition per Kubernetes type, from which the
 * API server decodes and validates request bodies, applies scalar defaults, computes strategic
 * merge patches and field ownership, decodes protobuf bodies and generates its OpenAPI v2 and v3
 * documents — so what is validated and what is published never drift apart.
 *
 * A definition is plain data built with the functions below; {@linkcode Infer} turns it into the
 * TypeScript type of the JSON object, so controllers and the node agent get typed objects from
 * the same source.
 *
 * Conventions, as in Kubernetes' OpenAPI:
 * - object definitions are named like upstream (`io.k8s.api.core.v1.PodSpec`), because
 *   `kubectl explain` and clients look them up by that name;
 * - patch strategies and merge keys sit on the field (`x-kubernetes-patch-*`), list types on the
 *   array (`x-kubernetes-list-type`, `x-kubernetes-list-map-keys`);
 * - `proto` is the field number in the type's upstream `generated.proto` message, used to decode
 *   `application/vnd.kubernetes.protobuf` bodies. Where protobuf and JSON disagree on shape, the
 *   schema says so: `protoInline` for a struct inlined in JSON but nested in protobuf,
 *   `protoItems` for a list that protobuf wraps in a message (a map value), `keepZero` for a field
 *   whose zero value is a value (a Go pointer, or no `omitempty`). The special types have fixed
 *   messages: Quantity `{1: string}`, IntOrString `{1: type, 2: intVal, 3: strVal}`, Time and
 *   MicroTime `{1: seconds, 2: nanos}`, and `any` (RawExtension, FieldsV1) `{1: raw JSON bytes}`;
 *   maps are repeated `{1: key, 2: value}` entries; a kind's `apiVersion` and `kind` come from
 *   the protobuf envelope, not from its message.
 *
 * @example Define a small type and infer its TypeScript type
 * ```ts
 * import assert from "node:assert/strict";
 * import { array, field, type Infer, int32, object, requiredField, string } from "./schema.ts";
 *
 * const ContainerPort = object("io.k8s.api.core.v1.ContainerPort", {
 *   description: "A network port in a single container.",
 *   fields: {
 *     containerPort: requiredField(int32(), { description: "Port number.", proto: 3 }),
 *     name: field(string(), { description: "Port name.", proto: 1 }),
 *   },
 * });
 * const Ports = array(ContainerPort, { listType: "map", listMapKeys: ["containerPort"] });
 * const ports: Infer<typeof Ports> = [{ containerPort: 80 }];
 * assert.equal(ports[0]?.containerPort, 80);
 * ```
 *
 * @module
 */

/** How a list merges in a strategic merge patch (`x-kubernetes-patch-strategy`). */
export type PatchStrategy = "merge" | "replace" | "retainKeys" | "merge,retainKeys";

/** How server-side apply treats a list (`x-kubernetes-list-type`). */
export type ListType = "atomic" | "set" | "map";

/** How server-side apply treats a map or object (`x-kubernetes-map-type`). */
export type MapType = "atomic" | "granular";

/** A `(group, version, kind)` triple; `group` is `""` for the core group. */
export interface GroupVersionKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

/** A string; `enum` limits its values, `format` is the OpenAPI format (e.g. `"byte"`). */
export interface StringSchema<E extends string = string> {
  readonly type: "string";
  readonly enum?: readonly E[];
  readonly format?: string;
  readonly pattern?: string;
  readonly maxLength?: number;
}

/** A whole number, range-checked on decode by its format. */
export interface IntegerSchema {
  readonly type: "integer";
  readonly format: "int32" | "int64";
  readonly minimum?: number;
  readonly maximum?: number;
}

/** A floating-point number. */
export interface NumberSchema {
  readonly type: "number";
  readonly format: "double";
}

/** `true` or `false`. */
export interface BooleanSchema {
  readonly type: "boolean";
}

/**
 * A `resource.Quantity` (`"100m"`, `"1Gi"`, or a JSON number), canonicalized on decode as
 * Kubernetes does (`"0.5"` becomes `"500m"`).
 */
export interface QuantitySchema {
  readonly type: "quantity";
}

/** An `intstr.IntOrString`: a JSON number or a string (`targetPort: 8080` or `"http"`). */
export interface IntOrStringSchema {
  readonly type: "intOrString";
}

/** A `metav1.Time` (RFC 3339, seconds) or, with `micro`, a `metav1.MicroTime` (microseconds). */
export interface TimeSchema {
  readonly type: "time";
  readonly micro?: boolean;
}

/** `[]byte`: a base64 string in JSON (Secret `data`). */
export interface BytesSchema {
  readonly type: "bytes";
}

/**
 * Anything: a `runtime.RawExtension` or a field whose unknown content is preserved
 * (`x-kubernetes-preserve-unknown-fields`). `shape: "object"` requires a JSON object. In
 * protobuf it is a message holding the value's JSON text as bytes in field 1 (`raw`).
 */
export interface AnySchema {
  readonly type: "any";
  readonly shape?: "object";
  /** The OpenAPI definition this stands for, when it is a named type (RawExtension). */
  readonly name?: string;
}

/** A JSON array of `items`. */
export interface ArraySchema<S extends Schema = Schema> {
  readonly type: "array";
  readonly items: S;
  readonly listType?: ListType;
  /** With `listType: "map"`: the item fields that identify an item. */
  readonly listMapKeys?: readonly string[];
  /**
   * For a list protobuf cannot repeat in place (a map value, Go's named slice types such as
   * `ExtraValue`): the list is a message of its own, with the items repeated at this field number.
   */
  readonly protoItems?: number;
  /**
   * A value of another JSON type is kept as it is rather than failing the decode, for
   * validation to report (custom resources, which upstream decodes as unstructured JSON).
   */
  readonly keepMistyped?: boolean;
  /** What a `null` item decodes to ({@linkcode NullItems}); Go's zero value when unset. */
  readonly nulls?: NullItems;
}

/**
 * What the decoder makes of a `null` list item or map value: `"keep"` keeps the `null`,
 * `"drop"` leaves the entry out. Without it a `null` becomes Go's zero value of the item type
 * (`""`, `0`, `{}`), as Go's JSON decoding of a typed list or map does; custom resources,
 * which upstream keeps as unstructured JSON, say what their schema's `nullable` means.
 */
export type NullItems = "keep" | "drop";

/** A JSON object used as a map from string keys to `values` (Go `map[string]T`). */
export interface MapSchema<S extends Schema = Schema> {
  readonly type: "map";
  readonly values: S;
  readonly mapType?: MapType;
  /**
   * A value of another JSON type is kept as it is rather than failing the decode, for
   * validation to report (custom resources, which upstream decodes as unstructured JSON).
   */
  readonly keepMistyped?: boolean;
  /** What a `null` value decodes to ({@linkcode NullItems}); Go's zero value when unset. */
  readonly nulls?: NullItems;
}

/** One field of an {@linkcode ObjectSchema}. */
export interface Field<S extends Schema = Schema, R extends boolean = boolean> {
  readonly schema: S;
  readonly description: string;
  /** Must be present (OpenAPI `required`). */
  readonly required: R;
  /** The field number in the upstream protobuf message. */
  readonly proto?: number;
  /** Applied on decode when the field is absent (scalars only, as Kubernetes' `+default`). */
  readonly default?: unknown;
  readonly patchStrategy?: PatchStrategy;
  readonly patchMergeKey?: string;
  /** Set by the server, ignored when a client sends it (shown in `kubectl explain`). */
  readonly readOnly?: boolean;
  /**
   * The scalar's zero value (`0`, `false`, `""`) is a value, not "unset": the Go field is a
   * pointer (`*int32`) or has no `omitempty`. Protobuf always carries the non-pointer fields of a
   * Go struct; decoding keeps a zero only where this is set (or the field is required), as Go's
   * JSON encoding of the same struct would.
   */
  readonly keepZero?: boolean;
  /** Required in OpenAPI only: validation accepts it absent or empty ({@linkcode FieldOptions}). */
  readonly zeroValid?: boolean;
  /**
   * An explicit `null` is kept (stored and returned) instead of being dropped as Go drops it
   * from a typed struct: a custom resource's `nullable` field, or a field whose `null` is
   * replaced by its default after decoding.
   */
  readonly keepNull?: boolean;
}

/** The fields of an object, by JSON name. */
export type Fields = Readonly<Record<string, Field>>;

/** A Go struct: a JSON object with known fields; unknown fields are reported on decode. */
export interface ObjectSchema<F extends Fields = Fields> {
  readonly type: "object";
  /** The OpenAPI definition name, e.g. `io.k8s.api.core.v1.PodSpec`. */
  readonly name: string;
  readonly description: string;
  readonly fields: F;
  /** Set on top-level kinds (`x-kubernetes-group-version-kind`). */
  readonly gvk?: readonly GroupVersionKind[];
  readonly mapType?: MapType;
  /** Keep fields not declared here instead of reporting and dropping them. */
  readonly preserveUnknownFields?: boolean;
  /** Structs whose fields this object inlines in JSON and nests in protobuf (see {@linkcode object}). */
  readonly protoInline?: readonly ProtoInline[];
  /**
   * A value of another JSON type is kept as it is rather than failing the decode, for
   * validation to report (custom resources, which upstream decodes as unstructured JSON).
   */
  readonly keepMistyped?: boolean;
}

/**
 * A struct embedded with `json:",inline"` that protobuf keeps as a nested message: its fields
 * appear directly in the outer object's JSON, and in protobuf inside the message of field `proto`
 * (a Volume's VolumeSource at 2, a Probe's ProbeHandler at 1).
 */
export interface ProtoInline<S extends ObjectSchema = ObjectSchema> {
  readonly proto: number;
  readonly schema: S;
}

/** A schema resolved only when first used, for recursive types (JSONSchemaProps). */
export interface LazySchema {
  readonly type: "lazy";
  readonly name: string;
  readonly get: () => Schema;
}

/** Any schema. */
export type Schema =
  | StringSchema
  | IntegerSchema
  | NumberSchema
  | BooleanSchema
  | QuantitySchema
  | IntOrStringSchema
  | TimeSchema
  | BytesSchema
  | AnySchema
  | ArraySchema
  | MapSchema
  | ObjectSchema
  | LazySchema;

// --- builders ------------------------------------------------------------------------------------

/** Options of {@linkcode string}. */
export interface StringOptions {
  readonly format?: string;
  readonly pattern?: string;
  readonly maxLength?: number;
}

/** A string. */
export function string(options: StringOptions = {}): StringSchema {
  return { type: "string", ...options };
}

/** A string limited to `values` (Go's typed string constants), e.g. `restartPolicy`. */
export function enumOf<const E extends string>(values: readonly E[]): StringSchema<E> {
  return { type: "string", enum: values };
}

/** Options of {@linkcode int32} and {@linkcode int64}. */
export interface IntegerOptions {
  readonly minimum?: number;
  readonly maximum?: number;
}

/** A 32-bit signed integer. */
export function int32(options: IntegerOptions = {}): IntegerSchema {
  return { type: "integer", format: "int32", ...options };
}

/** A 64-bit signed integer (safe-integer range in JSON). */
export function int64(options: IntegerOptions = {}): IntegerSchema {
  return { type: "integer", format: "int64", ...options };
}

/** A double. */
export function double(): NumberSchema {
  return { type: "number", format: "double" };
}

/** A boolean. */
export function boolean(): BooleanSchema {
  return { type: "boolean" };
}

/** A `resource.Quantity`. */
export function quantity(): QuantitySchema {
  return { type: "quantity" };
}

/** An `intstr.IntOrString`. */
export function intOrString(): IntOrStringSchema {
  return { type: "intOrString" };
}

/** A `metav1.Time`. */
export function time(): TimeSchema {
  return { type: "time" };
}

/** A `metav1.MicroTime`. */
export function microTime(): TimeSchema {
  return { type: "time", micro: true };
}

/** A `[]byte` (base64 in JSON). */
export function bytes(): BytesSchema {
  return { type: "bytes" };
}

/** Options of {@linkcode any}. */
export interface AnyOptions {
  readonly shape?: "object";
  readonly name?: string;
}

/** Any JSON value, kept as sent. */
export function any(options: AnyOptions = {}): AnySchema {
  return { type: "any", ...options };
}

/** Options of {@linkcode array}. */
export interface ArrayOptions {
  readonly listType?: ListType;
  readonly listMapKeys?: readonly string[];
  readonly protoItems?: number;
  readonly keepMistyped?: boolean;
  readonly nulls?: NullItems;
}

/** An array of `items`. */
export function array<S extends Schema>(items: S, options: ArrayOptions = {}): ArraySchema<S> {
  if (options.listType === "map" && !options.listMapKeys?.length) {
    throw new TypeError('Cannot define a list of type "map": listMapKeys is empty');
  }
  return { type: "array", items, ...options };
}

/** Options of {@linkcode map}. */
export interface MapOptions {
  readonly mapType?: MapType;
  readonly keepMistyped?: boolean;
  readonly nulls?: NullItems;
}

/** A map from string keys to `values`. */
export function map<S extends Schema>(values: S, options: MapOptions = {}): MapSchema<S> {
  return { type: "map", values, ...options };
}

/** Options of {@linkcode field} and {@linkcode requiredField}. */
export interface FieldOptions {
  readonly description: string;
  readonly proto?: number;
  readonly default?: unknown;
  readonly patchStrategy?: PatchStrategy;
  readonly patchMergeKey?: string;
  readonly readOnly?: boolean;
  readonly keepZero?: boolean;
  /**
   * Only on a required field: OpenAPI lists it as required (a Go field without `omitempty`),
   * but kube-apiserver's validation accepts it absent or empty, so skiff's does too — a
   * container status's `imageID` while the image is still being pulled.
   */
  readonly zeroValid?: boolean;
  /** Keep an explicit `null` ({@linkcode Field.keepNull}). */
  readonly keepNull?: boolean;
}

function makeField<S extends Schema, R extends boolean>(
  schema: S,
  required: R,
  options: FieldOptions,
): Field<S, R> {
  if (options.patchStrategy?.includes("merge") && schema.type === "array") {
    const items = schema.items.type === "lazy" ? null : schema.items;
    const scalar = items !== null && items.type !== "object" && items.type !== "any";
    if (!scalar && !options.patchMergeKey) {
      throw new TypeError(
        "Cannot define a merge-strategy list of objects without a patchMergeKey",
      );
    }
  }
  return { schema, required, ...options };
}

/** An optional field (Go `json:",omitempty"`). */
export function field<S extends Schema>(schema: S, options: FieldOptions): Field<S, false> {
  return makeField(schema, false, options);
}

/** A field that must be present. */
export function requiredField<S extends Schema>(schema: S, options: FieldOptions): Field<S, true> {
  return makeField(schema, true, options);
}

/** Options of {@linkcode object}. */
export interface ObjectOptions<
  F extends Fields,
  I extends readonly ProtoInline[] = readonly ProtoInline[],
> {
  readonly description: string;
  readonly fields: F;
  readonly gvk?: readonly GroupVersionKind[];
  readonly mapType?: MapType;
  readonly preserveUnknownFields?: boolean;
  readonly keepMistyped?: boolean;
  /**
   * Inlined structs: their fields join `fields` (without their `proto` numbers, which belong to
   * the nested message), placed where Go declares the embedded struct, that is before the first
   * own field with a higher `proto` number.
   */
  readonly protoInline?: I;
}

type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends
  (i: infer I) => void ? I : never;

/** The fields that the inlined structs `I` bring. */
type InlinedFields<I extends readonly ProtoInline[]> = UnionToIntersection<
  I[number] extends infer P ? P extends ProtoInline<ObjectSchema<infer G>> ? G : never : never
>;

/** `F` with the fields of the inlined structs `I`. */
export type WithInlined<F extends Fields, I extends readonly ProtoInline[]> = [
  InlinedFields<I>,
] extends [Fields] ? Simplify<F & InlinedFields<I>>
  : F;

function inlineFields(name: string, own: Fields, inlines: readonly ProtoInline[]): Fields {
  const sorted = [...inlines].sort((a, b) => a.proto - b.proto);
  const out: Record<string, Field> = {};
  const add = (key: string, f: Field, from: string) => {
    if (Object.hasOwn(out, key)) {
      throw new TypeError(
        `Cannot inline ${JSON.stringify(from)} into ${JSON.stringify(name)}: field ${
          JSON.stringify(key)
        } is defined twice`,
      );
    }
    out[key] = f;
  };
  let next = 0;
  const flushUpTo = (proto: number) => {
    while (next < sorted.length && sorted[next]!.proto < proto) {
      const inline = sorted[next++]!;
      for (const [key, { proto: _proto, ...f }] of Object.entries(inline.schema.fields)) {
        add(key, f, inline.schema.name);
      }
    }
  };
  for (const inline of sorted) {
    if (Object.values(own).some((f) => f.proto === inline.proto)) {
      throw new TypeError(
        `Cannot inline ${JSON.stringify(inline.schema.name)} into ${
          JSON.stringify(name)
        }: protobuf field ${inline.proto} is taken`,
      );
    }
  }
  for (const [key, f] of Object.entries(own)) {
    if (f.proto !== undefined) flushUpTo(f.proto);
    add(key, f, name);
  }
  flushUpTo(Infinity);
  return out;
}

/**
 * A struct named `name` (its OpenAPI definition name).
 *
 * @example Inline a struct that protobuf nests
 * ```ts
 * import assert from "node:assert/strict";
 * import { field, object, string } from "./schema.ts";
 *
 * const Ref = object("io.k8s.api.core.v1.LocalObjectReference", {
 *   description: "A name.",
 *   fields: { name: field(string(), { description: "Name.", proto: 1 }) },
 * });
 * const Selector = object("io.k8s.api.core.v1.ConfigMapKeySelector", {
 *   description: "A key of a ConfigMap.",
 *   fields: { key: field(string(), { description: "The key.", proto: 2 }) },
 *   protoInline: [{ proto: 1, schema: Ref }],
 * });
 * assert.deepEqual(Object.keys(Selector.fields), ["name", "key"]);
 * assert.equal(Selector.fields.name.proto, undefined);
 * ```
 */
export function object<
  const F extends Fields,
  const I extends readonly ProtoInline[] = readonly [],
>(
  name: string,
  options: ObjectOptions<F, I>,
): ObjectSchema<WithInlined<F, I>> {
  const fields = options.protoInline?.length
    ? inlineFields(name, options.fields, options.protoInline)
    : options.fields;
  const schema: ObjectSchema = { type: "object", name, ...options, fields };
  // The merged fields are what WithInlined computes; TypeScript cannot follow the merge.
  return schema as unknown as ObjectSchema<WithInlined<F, I>>;
}

/** A schema resolved on first use: for types that contain themselves. */
export function lazy(name: string, get: () => Schema): LazySchema {
  let resolved: Schema | undefined;
  return {
    type: "lazy",
    name,
    get: () => resolved ??= get(),
  };
}

/** The schema behind `schema`, resolving a {@linkcode LazySchema}. */
export function resolve(schema: Schema): Exclude<Schema, LazySchema> {
  let s = schema;
  while (s.type === "lazy") s = s.get();
  return s;
}

// --- type inference ------------------------------------------------------------------------------

type RequiredKeys<F extends Fields> = {
  [K in keyof F]: F[K] extends Field<Schema, true> ? K : never;
}[keyof F];

type OptionalKeys<F extends Fields> = Exclude<keyof F, RequiredKeys<F>>;

type Simplify<T> = { [K in keyof T]: T[K] } & unknown;

/** The TypeScript type of the fields `F`. */
export type InferFields<F extends Fields> = Simplify<
  & { -readonly [K in RequiredKeys<F>]: Infer<F[K]["schema"]> }
  & { -readonly [K in OptionalKeys<F>]?: Infer<F[K]["schema"]> }
>;

/** The TypeScript type of a JSON value matching `S`. */
export type Infer<S extends Schema> = S extends StringSchema<infer E> ? E
  : S extends IntegerSchema | NumberSchema ? number
  : S extends BooleanSchema ? boolean
  : S extends QuantitySchema ? string
  : S extends IntOrStringSchema ? number | string
  : S extends TimeSchema | BytesSchema ? string
  : S extends ArraySchema<infer I> ? Infer<I>[]
  : S extends MapSchema<infer V> ? Record<string, Infer<V>>
  : S extends ObjectSchema<infer F> ? InferFields<F>
  : unknown;
