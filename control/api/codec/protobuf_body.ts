/**
 * Request bodies in `application/vnd.kubernetes.protobuf`, which client-go's typed clients send
 * from 1.32 on (kubectl's `create deployment|namespace|configmap|secret|…`, helm's release
 * Secrets). The body is the `k8s\0` magic, then a `runtime.Unknown` message (`1: typeMeta
 * {1: apiVersion, 2: kind}`, `2: raw`, `3: contentEncoding`, `4: contentType`) whose `raw` is the
 * object as its upstream `generated.proto` message.
 *
 * The message definitions are the kinds' schemas: each field's `proto` number, `protoInline`
 * for structs JSON inlines and protobuf nests, `protoItems` for lists protobuf wraps, and the
 * fixed messages of the special types (see `types/schema.ts`). Decoding yields the JSON value
 * the same client would have sent as JSON: a zero scalar is dropped unless the field is
 * `required` or `keepZero` (Go's `omitempty`), times print as RFC 3339 (`MicroTime` with
 * microseconds), `[]byte` as base64, raw extensions are parsed from their JSON bytes, and
 * `apiVersion`/`kind` come from the envelope. Unknown field numbers are skipped, as upstream's
 * generated code does. The result still goes through `decodeObject`, like a parsed JSON body.
 *
 * A body that does not decode throws a `SyntaxError` whose message is the one kube-apiserver
 * reports (gogo's texts: `unexpected EOF`, `proto: wrong wireType = 0 for field Name`, …).
 *
 * @example Decode a Namespace
 * ```ts
 * import assert from "node:assert/strict";
 * import { Namespace } from "../types/core_v1_namespace.ts";
 * import { decodeProtobufBody } from "./protobuf_body.ts";
 *
 * const body = new Uint8Array([
 *   0x6b, 0x38, 0x73, 0x00, // k8s\0
 *   0x0a, 0x0f, 0x0a, 0x02, 0x76, 0x31, 0x12, 0x09, ...new TextEncoder().encode("Namespace"),
 *   0x12, 0x07, 0x0a, 0x05, 0x0a, 0x03, ...new TextEncoder().encode("dev"),
 * ]);
 * assert.deepEqual(decodeProtobufBody(body, Namespace), {
 *   apiVersion: "v1",
 *   kind: "Namespace",
 *   metadata: { name: "dev" },
 * });
 * ```
 *
 * @module
 */
import { type ObjectSchema, resolve, type Schema } from "../types/schema.ts";
import { encodeBase64 } from "./_go_base64.ts";
import { formatGoTime, isZeroGoTime } from "./_go_time.ts";
import { END_GROUP, FIXED64, LENGTH_DELIMITED, ProtoReader, VARINT } from "./_protobuf_reader.ts";
import { parseJsonBody } from "./json_body.ts";

/** The media type of protobuf bodies. */
export const PROTOBUF_MEDIA_TYPE = "application/vnd.kubernetes.protobuf";

/** The four bytes every Kubernetes protobuf body starts with: `k8s\0`. */
export const PROTOBUF_MAGIC: readonly number[] = [0x6b, 0x38, 0x73, 0x00];

/** Messages nested deeper than this are refused (no served kind comes close). */
export const MAX_PROTOBUF_DEPTH = 100;

type Resolved = Exclude<Schema, { type: "lazy" }>;

// Value codes, so the hot loop switches on small integers.
const STRING = 0;
const INT32 = 1;
const INT64 = 2;
const DOUBLE = 3;
const BOOL = 4;
const BYTES = 5;
const QUANTITY = 6;
const INT_OR_STRING = 7;
const TIME = 8;
const MICRO_TIME = 9;
const RAW_JSON = 10;
const OBJECT = 11;
const MAP = 12;
const ARRAY = 13;
const INLINE = 14;

/** What a value is on the wire. */
interface Kind {
  readonly code: number;
  readonly schema: Resolved;
  /** For a wrapped list (`protoItems`): the field number of its items, and their kind. */
  readonly itemsField?: number;
  readonly items?: Kind;
}

/** One field number of a message. */
interface Slot extends Kind {
  /** The JSON name (empty for an inlined struct). */
  readonly key: string;
  /** The Go field name, for error messages. */
  readonly go: string;
  /** Keep a zero scalar (required or `keepZero`). */
  readonly keep: boolean;
  /** Arrays: the items; maps: the values. */
  readonly element?: Kind;
}

/** A message: its slots by field number. */
interface Plan {
  /** The Go struct name, for error messages. */
  readonly go: string;
  readonly slots: readonly (Slot | undefined)[];
}

const PLANS = new WeakMap<ObjectSchema, Plan>();
/** Marks a value that is left out (a zero time, a null raw extension). */
const DROP: unique symbol = Symbol("drop");

const MIN_RFC3339_SECONDS = -62167219200; // 0000-01-01T00:00:00Z
const MAX_RFC3339_SECONDS = 253402300799; // 9999-12-31T23:59:59Z

function goStructName(definition: string): string {
  return definition.slice(definition.lastIndexOf(".") + 1);
}

function goFieldName(json: string): string {
  return json.charAt(0).toUpperCase() + json.slice(1);
}

function kindOf(schema: Schema, where: string): Kind {
  const s = resolve(schema);
  switch (s.type) {
    case "string":
      return { code: STRING, schema: s };
    case "integer":
      return { code: s.format === "int32" ? INT32 : INT64, schema: s };
    case "number":
      return { code: DOUBLE, schema: s };
    case "boolean":
      return { code: BOOL, schema: s };
    case "bytes":
      return { code: BYTES, schema: s };
    case "quantity":
      return { code: QUANTITY, schema: s };
    case "intOrString":
      return { code: INT_OR_STRING, schema: s };
    case "time":
      return { code: s.micro ? MICRO_TIME : TIME, schema: s };
    case "any":
      return { code: RAW_JSON, schema: s };
    case "object":
      return { code: OBJECT, schema: s };
    case "map":
      return { code: MAP, schema: s };
    case "array":
      if (s.protoItems === undefined) return { code: ARRAY, schema: s };
      return {
        code: ARRAY,
        schema: s,
        itemsField: s.protoItems,
        items: elementOf(s.items, where),
      };
  }
}

/** The kind of an array item or map value: not itself a bare list or map. */
function elementOf(schema: Schema, where: string): Kind {
  const k = kindOf(schema, where);
  if ((k.code === ARRAY && k.itemsField === undefined) || k.code === MAP) {
    throw new TypeError(
      `Cannot decode protobuf for ${
        JSON.stringify(where)
      }: a nested list or map needs protoItems on its schema`,
    );
  }
  return k;
}

function buildPlan(schema: ObjectSchema): Plan {
  const slots: (Slot | undefined)[] = [];
  const claim = (n: number, slot: Slot) => {
    if (slots[n] !== undefined) {
      throw new TypeError(
        `Cannot decode protobuf for ${
          JSON.stringify(schema.name)
        }: field number ${n} is used twice`,
      );
    }
    slots[n] = slot;
  };
  for (const [key, f] of Object.entries(schema.fields)) {
    if (f.proto === undefined) continue;
    const where = `${schema.name}.${key}`;
    const kind = kindOf(f.schema, where);
    const s = kind.schema;
    const element = s.type === "array"
      ? elementOf(s.items, where)
      : s.type === "map"
      ? elementOf(s.values, where)
      : undefined;
    claim(f.proto, {
      ...kind,
      key,
      go: goFieldName(key),
      keep: f.required || f.keepZero === true,
      ...(element ? { element } : {}),
    });
  }
  for (const inline of schema.protoInline ?? []) {
    claim(inline.proto, {
      code: INLINE,
      schema: inline.schema,
      key: "",
      go: goStructName(inline.schema.name),
      keep: true,
    });
  }
  return { go: goStructName(schema.name), slots };
}

function planOf(schema: ObjectSchema): Plan {
  let plan = PLANS.get(schema);
  if (plan === undefined) {
    plan = buildPlan(schema);
    PLANS.set(schema, plan);
  }
  return plan;
}

/** Sets `key` as an own property, `__proto__` included (map keys come from the client). */
function put(obj: Record<string, unknown>, key: string, value: unknown): void {
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

function isZero(code: number, v: unknown): boolean {
  switch (code) {
    case STRING:
    case BYTES:
      return v === "";
    case INT32:
    case INT64:
    case DOUBLE:
      return v === 0;
    case BOOL:
      return v === false;
    default:
      return false;
  }
}

function wrongWireType(wire: number, go: string): SyntaxError {
  return new SyntaxError(`proto: wrong wireType = ${wire} for field ${go}`);
}

function isPackable(code: number): boolean {
  return code === INT32 || code === INT64 || code === BOOL || code === DOUBLE;
}

class Decoder {
  readonly r: ProtoReader;
  #depth = 0;

  constructor(r: ProtoReader) {
    this.r = r;
  }

  /** Reads a length prefix and enters the message it bounds; returns the outer end. */
  #enter(): number {
    const r = this.r;
    const end = r.lengthEnd();
    if (++this.#depth > MAX_PROTOBUF_DEPTH) {
      throw new SyntaxError(
        `Cannot decode protobuf body: messages are nested more than ${MAX_PROTOBUF_DEPTH} deep`,
      );
    }
    const outer = r.end;
    r.end = end;
    return outer;
  }

  #leave(outer: number): void {
    this.r.end = outer;
    this.#depth--;
  }

  /** Reads the next key of the message being read; returns 0 at its end. */
  next(go: string): number {
    const r = this.r;
    if (r.pos >= r.end) return 0;
    const n = r.tag();
    if (r.wire === END_GROUP) {
      throw new SyntaxError(`proto: ${go}: wiretype end group for non-group`);
    }
    if (n <= 0) throw new SyntaxError(`proto: ${go}: illegal tag ${n} (wire type ${r.wire})`);
    return n;
  }

  /** Decodes the fields of a message up to the reader's end into `out`. */
  fields(plan: Plan, out: Record<string, unknown>): void {
    const r = this.r;
    for (let n = this.next(plan.go); n !== 0; n = this.next(plan.go)) {
      const slot = plan.slots[n];
      if (slot === undefined) {
        r.skip(r.wire);
        continue;
      }
      switch (slot.code) {
        case ARRAY:
          if (slot.itemsField === undefined) this.#repeated(slot, out);
          else this.#single(slot, out);
          break;
        case MAP:
          this.#mapEntry(slot, out);
          break;
        case INLINE:
        case OBJECT: {
          if (r.wire !== LENGTH_DELIMITED) throw wrongWireType(r.wire, slot.go);
          const outer = this.#enter();
          if (slot.code === INLINE) {
            this.fields(planOf(slot.schema as ObjectSchema), out);
          } else {
            // A message met twice merges into the first, as Go's Unmarshal does.
            const prev = out[slot.key];
            const target = typeof prev === "object" && prev !== null && !Array.isArray(prev)
              ? prev as Record<string, unknown>
              : {};
            this.fields(planOf(slot.schema as ObjectSchema), target);
            out[slot.key] = target;
          }
          this.#leave(outer);
          break;
        }
        default:
          this.#single(slot, out);
      }
    }
  }

  #single(slot: Slot, out: Record<string, unknown>): void {
    const v = this.value(slot, slot.go);
    if (v === DROP || (!slot.keep && isZero(slot.code, v))) {
      if (Object.hasOwn(out, slot.key)) delete out[slot.key];
    } else {
      out[slot.key] = v;
    }
  }

  #repeated(slot: Slot, out: Record<string, unknown>): void {
    const r = this.r;
    const item = slot.element!;
    const prev = out[slot.key];
    const list = Array.isArray(prev) ? prev as unknown[] : [];
    out[slot.key] = list;
    if (r.wire === LENGTH_DELIMITED && isPackable(item.code)) {
      const outer = this.#enter();
      while (r.pos < r.end) list.push(this.#scalar(item.code));
      this.#leave(outer);
      return;
    }
    const v = this.value(item, slot.go);
    if (v !== DROP) list.push(v);
  }

  #mapEntry(slot: Slot, out: Record<string, unknown>): void {
    const r = this.r;
    if (r.wire !== LENGTH_DELIMITED) throw wrongWireType(r.wire, slot.go);
    const valueKind = slot.element!;
    const prev = out[slot.key];
    const map = typeof prev === "object" && prev !== null ? prev as Record<string, unknown> : {};
    out[slot.key] = map;
    const outer = this.#enter();
    let key = "";
    let value: unknown = undefined;
    for (let n = this.next(slot.go); n !== 0; n = this.next(slot.go)) {
      if (n === 1) {
        if (r.wire !== LENGTH_DELIMITED) throw wrongWireType(r.wire, slot.go);
        key = r.string();
      } else if (n === 2) {
        value = this.value(valueKind, slot.go);
      } else {
        r.skip(r.wire);
      }
    }
    this.#leave(outer);
    if (value === undefined) value = this.#zero(valueKind);
    if (value !== DROP) put(map, key, value);
  }

  /** The value of an absent map value: Go's zero value, as its JSON encoding prints it. */
  #zero(kind: Kind): unknown {
    switch (kind.code) {
      case STRING:
      case BYTES:
        return "";
      case INT32:
      case INT64:
      case DOUBLE:
      case INT_OR_STRING:
        return 0;
      case BOOL:
        return false;
      case QUANTITY:
        return "0";
      case OBJECT:
        return {};
      case ARRAY:
        return [];
      default:
        return DROP;
    }
  }

  #scalar(code: number): number | boolean {
    const r = this.r;
    switch (code) {
      case INT32:
        return r.int32();
      case INT64:
        return r.int64();
      case BOOL:
        return r.bool();
      default:
        return r.double();
    }
  }

  /** One value of kind `kind` whose key was just read. */
  value(kind: Kind, go: string): unknown {
    const r = this.r;
    const wire = r.wire;
    switch (kind.code) {
      case STRING:
        if (wire !== LENGTH_DELIMITED) throw wrongWireType(wire, go);
        return r.string();
      case INT32:
      case INT64:
      case BOOL:
        if (wire !== VARINT) throw wrongWireType(wire, go);
        return this.#scalar(kind.code);
      case DOUBLE:
        if (wire !== FIXED64) throw wrongWireType(wire, go);
        return r.double();
      case BYTES:
        if (wire !== LENGTH_DELIMITED) throw wrongWireType(wire, go);
        return encodeBase64(r.bytes());
    }
    if (wire !== LENGTH_DELIMITED) throw wrongWireType(wire, go);
    const outer = this.#enter();
    let v: unknown;
    switch (kind.code) {
      case QUANTITY:
        v = this.#quantity();
        break;
      case INT_OR_STRING:
        v = this.#intOrString();
        break;
      case TIME:
      case MICRO_TIME:
        v = this.#time(kind.code === MICRO_TIME);
        break;
      case RAW_JSON:
        v = this.#rawJson(go);
        break;
      case ARRAY: {
        // A wrapped list (ExtraValue): its items repeat at itemsField.
        const list: unknown[] = [];
        const items = kind.items!;
        for (let n = this.next(go); n !== 0; n = this.next(go)) {
          if (n !== kind.itemsField) {
            r.skip(r.wire);
            continue;
          }
          if (r.wire === LENGTH_DELIMITED && isPackable(items.code)) {
            const inner = this.#enter();
            while (r.pos < r.end) list.push(this.#scalar(items.code));
            this.#leave(inner);
          } else {
            const item = this.value(items, "Items");
            if (item !== DROP) list.push(item);
          }
        }
        v = list;
        break;
      }
      case OBJECT: {
        const obj: Record<string, unknown> = {};
        this.fields(planOf(kind.schema as ObjectSchema), obj);
        v = obj;
        break;
      }
      default:
        throw new TypeError(`Cannot decode protobuf: no decoder for schema type ${kind.code}`);
    }
    this.#leave(outer);
    return v;
  }

  /** `resource.Quantity`: `{1: string}`; an empty message is the zero quantity. */
  #quantity(): string {
    const r = this.r;
    let s = "0";
    for (let n = this.next("Quantity"); n !== 0; n = this.next("Quantity")) {
      if (n !== 1) {
        r.skip(r.wire);
        continue;
      }
      if (r.wire !== LENGTH_DELIMITED) throw wrongWireType(r.wire, "String");
      s = r.string();
    }
    return s;
  }

  /** `intstr.IntOrString`: `{1: type, 2: intVal, 3: strVal}`. */
  #intOrString(): number | string {
    const r = this.r;
    let type = 0;
    let intVal = 0;
    let strVal = "";
    for (let n = this.next("IntOrString"); n !== 0; n = this.next("IntOrString")) {
      if (n === 1) {
        if (r.wire !== VARINT) throw wrongWireType(r.wire, "Type");
        type = r.int64();
      } else if (n === 2) {
        if (r.wire !== VARINT) throw wrongWireType(r.wire, "IntVal");
        intVal = r.int32();
      } else if (n === 3) {
        if (r.wire !== LENGTH_DELIMITED) throw wrongWireType(r.wire, "StrVal");
        strVal = r.string();
      } else {
        r.skip(r.wire);
      }
    }
    if (type === 0) return intVal;
    if (type === 1) return strVal;
    throw new SyntaxError(
      `Cannot decode protobuf body: IntOrString type ${type} is neither 0 (int) nor 1 (string)`,
    );
  }

  /**
   * `metav1.Time` / `metav1.MicroTime`: `{1: seconds, 2: nanos}`. An empty message is the zero
   * time (left out); Time drops the nanoseconds, as upstream's Unmarshal does.
   */
  #time(micro: boolean): string | typeof DROP {
    const r = this.r;
    if (r.pos === r.end) return DROP;
    let seconds = 0;
    let nanos = 0;
    for (let n = this.next("Timestamp"); n !== 0; n = this.next("Timestamp")) {
      if (n === 1) {
        if (r.wire !== VARINT) throw wrongWireType(r.wire, "Seconds");
        seconds = r.int64();
      } else if (n === 2) {
        if (r.wire !== VARINT) throw wrongWireType(r.wire, "Nanos");
        nanos = r.int32();
      } else {
        r.skip(r.wire);
      }
    }
    if (!micro) nanos = 0;
    if (nanos < 0 || nanos >= 1e9) {
      seconds += Math.floor(nanos / 1e9);
      nanos = ((nanos % 1e9) + 1e9) % 1e9;
    }
    if (!(seconds >= MIN_RFC3339_SECONDS && seconds <= MAX_RFC3339_SECONDS)) {
      throw new SyntaxError(
        `Cannot decode protobuf body: time ${seconds}s is outside the years 0000 to 9999`,
      );
    }
    const t = { ms: seconds * 1000 + Math.floor(nanos / 1e6), nanos };
    return isZeroGoTime(t) ? DROP : formatGoTime(t, micro);
  }

  /** RawExtension, FieldsV1: `{1: raw}`, the value's JSON text. Empty raw is null. */
  #rawJson(go: string): unknown {
    const r = this.r;
    let raw: Uint8Array | null = null;
    for (let n = this.next(go); n !== 0; n = this.next(go)) {
      if (n !== 1) {
        r.skip(r.wire);
        continue;
      }
      if (r.wire !== LENGTH_DELIMITED) throw wrongWireType(r.wire, "Raw");
      raw = r.bytes();
    }
    if (raw === null || raw.length === 0) return DROP;
    try {
      return parseJsonBody(new TextDecoder().decode(raw)).value;
    } catch (err) {
      throw new SyntaxError(
        `Cannot decode protobuf body: field ${go} is not JSON: ${(err as Error).message}`,
      );
    }
  }
}

/** The envelope's `typeMeta`. */
interface TypeMeta {
  apiVersion: string;
  kind: string;
}

function readTypeMeta(d: Decoder): TypeMeta {
  const meta: TypeMeta = { apiVersion: "", kind: "" };
  const r = d.r;
  for (let n = d.next("TypeMeta"); n !== 0; n = d.next("TypeMeta")) {
    if (n === 1 || n === 2) {
      if (r.wire !== LENGTH_DELIMITED) throw wrongWireType(r.wire, n === 1 ? "APIVersion" : "Kind");
      const s = r.string();
      if (n === 1) meta.apiVersion = s;
      else meta.kind = s;
    } else {
      r.skip(r.wire);
    }
  }
  return meta;
}

/** The `apiVersion` and `kind` a protobuf body's envelope names. */
export interface ProtobufTypeMeta {
  readonly apiVersion: string;
  readonly kind: string;
}

/** Whether the envelope names a kind other than the schema's. */
function namesOtherKind(schema: ObjectSchema, kind: string): boolean {
  return kind !== "" && schema.gvk !== undefined && !schema.gvk.some((g) => g.kind === kind);
}

interface Envelope {
  readonly d: Decoder;
  readonly meta: TypeMeta;
  readonly raw: { readonly start: number; readonly end: number } | null;
}

function readEnvelope(bytes: Uint8Array): Envelope {
  if (
    bytes.length < 4 || bytes[0] !== PROTOBUF_MAGIC[0] || bytes[1] !== PROTOBUF_MAGIC[1] ||
    bytes[2] !== PROTOBUF_MAGIC[2] || bytes[3] !== PROTOBUF_MAGIC[3]
  ) {
    throw new SyntaxError(
      `provided data does not appear to be a protobuf message, expected prefix [${
        PROTOBUF_MAGIC.join(" ")
      }]`,
    );
  }
  const r = new ProtoReader(bytes);
  r.pos = 4;
  const d = new Decoder(r);
  let meta: TypeMeta = { apiVersion: "", kind: "" };
  let raw: { start: number; end: number } | null = null;
  for (let n = d.next("Unknown"); n !== 0; n = d.next("Unknown")) {
    switch (n) {
      case 1: {
        if (r.wire !== LENGTH_DELIMITED) throw wrongWireType(r.wire, "TypeMeta");
        const end = r.lengthEnd();
        r.end = end;
        meta = readTypeMeta(d);
        r.end = bytes.length;
        break;
      }
      case 2: {
        if (r.wire !== LENGTH_DELIMITED) throw wrongWireType(r.wire, "Raw");
        const end = r.lengthEnd();
        raw = { start: r.pos, end };
        r.pos = end;
        break;
      }
      case 3: {
        if (r.wire !== LENGTH_DELIMITED) throw wrongWireType(r.wire, "ContentEncoding");
        const encoding = r.string();
        if (encoding !== "") {
          throw new SyntaxError(
            `Cannot decode protobuf body: content encoding ${
              JSON.stringify(encoding)
            } is not supported`,
          );
        }
        break;
      }
      default:
        r.skip(r.wire);
    }
  }
  return { d, meta, raw };
}

/**
 * The `apiVersion` and `kind` a protobuf body's envelope names (empty when it names none), for
 * a caller that picks the schema by kind.
 *
 * @throws {SyntaxError} when the body is not a Kubernetes protobuf envelope.
 */
export function protobufTypeMeta(bytes: Uint8Array): ProtobufTypeMeta {
  return readEnvelope(bytes).meta;
}

/**
 * Decodes a protobuf request body as an object of `schema` (a kind), returning the JSON value
 * a JSON body would have parsed to. When the envelope names another kind, only its
 * `apiVersion` and `kind` are returned, for the caller's kind check to refuse.
 *
 * @throws {SyntaxError} when the body is not a Kubernetes protobuf message of that shape.
 */
export function decodeProtobufBody(bytes: Uint8Array, schema: ObjectSchema): unknown {
  const { d, meta, raw } = readEnvelope(bytes);
  const out: Record<string, unknown> = {};
  if (meta.apiVersion !== "") out.apiVersion = meta.apiVersion;
  if (meta.kind !== "") out.kind = meta.kind;
  if (raw === null || namesOtherKind(schema, meta.kind)) return out;
  d.r.pos = raw.start;
  d.r.end = raw.end;
  d.fields(planOf(schema), out);
  return out;
}
