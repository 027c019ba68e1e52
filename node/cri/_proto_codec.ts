/**
 * A small proto3 codec driven by a protobufjs-style JSON descriptor ({@linkcode ./descriptor.ts}):
 * enough of protobuf for the CRI, without a protobuf runtime. {@linkcode ProtoSchema.codec} gives
 * each message type an encoder from plain objects and a decoder to plain objects, with the
 * conventions skiff's CRI types use: every field present on decoded messages (defaults filled
 * in, `null` for absent messages, `[]` and `{}` for empty repeated and map fields), 64-bit
 * integers as decimal strings, enums by name (an unknown number stays a number), bytes as
 * Uint8Array. Encoding writes each field given (also a default value, as protobufjs does),
 * repeated numbers packed, and takes enums by name or number and 64-bit integers as strings,
 * numbers or bigints. Unknown fields are skipped when decoding.
 *
 * Scalar types: `string`, `bytes`, `bool`, `int32`, `uint32`, `int64`, `uint64`; plus enums,
 * messages, repeated fields and `map<string, string>`.
 *
 * @module
 */
import type { INamespace } from "protobufjs";

/** Encodes and decodes one message type. */
export interface MessageCodec {
  /** The message's octets; a TypeError for a value that does not fit the type. */
  encode(value: object): Uint8Array;
  /** The message; a SyntaxError for octets that are not one. */
  decode(octets: Uint8Array): Record<string, unknown>;
}

type Scalar = "string" | "bytes" | "bool" | "int32" | "uint32" | "int64" | "uint64";

const SCALARS: ReadonlySet<string> = new Set([
  "string",
  "bytes",
  "bool",
  "int32",
  "uint32",
  "int64",
  "uint64",
]);

interface EnumType {
  readonly name: string;
  readonly numbers: ReadonlyMap<string, number>;
  readonly names: ReadonlyMap<number, string>;
}

interface Field {
  readonly name: string;
  readonly id: number;
  readonly repeated: boolean;
  /** `map<string, string>`. */
  readonly map: boolean;
  readonly scalar?: Scalar;
  readonly enumType?: EnumType;
  /** Resolved after every type is known. */
  messageType?: MessageType;
}

interface MessageType {
  readonly name: string;
  readonly fields: Field[];
  readonly byId: Map<number, Field>;
}

interface JsonType {
  readonly fields?: Record<string, { type: string; id: number; rule?: string; keyType?: string }>;
  readonly values?: Record<string, number>;
  readonly nested?: Record<string, JsonType>;
  readonly methods?: unknown;
}

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH = 2;
const WIRE_FIXED32 = 5;

// ---- Writing ---------------------------------------------------------------------------------

class Writer {
  #buffer = new Uint8Array(256);
  #length = 0;

  #room(n: number): void {
    if (this.#length + n <= this.#buffer.length) return;
    const grown = new Uint8Array(Math.max(this.#buffer.length * 2, this.#length + n));
    grown.set(this.#buffer.subarray(0, this.#length));
    this.#buffer = grown;
  }

  /** A varint of a non-negative safe integer. */
  varint(value: number): void {
    this.#room(10);
    let rest = value;
    while (rest >= 0x80) {
      this.#buffer[this.#length++] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    this.#buffer[this.#length++] = rest;
  }

  /** A varint of a 64-bit two's complement value. */
  varint64(value: bigint): void {
    let rest = BigInt.asUintN(64, value);
    if (rest <= BigInt(Number.MAX_SAFE_INTEGER)) return this.varint(Number(rest));
    this.#room(10);
    while (rest >= 0x80n) {
      this.#buffer[this.#length++] = Number(rest & 0x7fn) | 0x80;
      rest >>= 7n;
    }
    this.#buffer[this.#length++] = Number(rest);
  }

  key(id: number, wireType: number): void {
    this.varint(id * 8 + wireType);
  }

  /** A length-prefixed UTF-8 string. */
  string(text: string): void {
    // Up to 42 characters fit 127 octets: a 1-octet length, written after the text.
    if (text.length <= 42) {
      this.#room(1 + text.length * 3);
      const at = this.#length;
      const { written } = utf8Encoder.encodeInto(text, this.#buffer.subarray(at + 1));
      this.#buffer[at] = written;
      this.#length = at + 1 + written;
      return;
    }
    this.octets(utf8Encoder.encode(text));
  }

  /** Starts a length-delimited part; {@linkcode Writer.end} writes its length before it. */
  begin(): number {
    this.#room(1);
    return this.#length++;
  }

  /** Ends the part {@linkcode Writer.begin} started at `at`, moving it when its length needs more than one octet. */
  end(at: number): void {
    const length = this.#length - at - 1;
    if (length < 0x80) {
      this.#buffer[at] = length;
      return;
    }
    let size = 1;
    for (let rest = length; rest >= 0x80; rest = Math.floor(rest / 0x80)) size++;
    this.#room(size - 1);
    this.#buffer.copyWithin(at + size, at + 1, this.#length);
    this.#length += size - 1;
    let rest = length;
    for (let i = 0; i < size; i++) {
      this.#buffer[at + i] = i === size - 1 ? rest : (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
  }

  octets(data: Uint8Array): void {
    this.varint(data.length);
    this.#room(data.length);
    this.#buffer.set(data, this.#length);
    this.#length += data.length;
  }

  finish(): Uint8Array {
    return this.#buffer.slice(0, this.#length);
  }
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

function where(type: MessageType, field: Field): string {
  return `${type.name}.${field.name}`;
}

function toBigInt(value: unknown, at: string): bigint {
  if (typeof value === "bigint") return value;
  if (typeof value === "number" && Number.isFinite(value)) return BigInt(Math.trunc(value));
  if (typeof value === "string" && /^-?\d+$/.test(value.trim())) return BigInt(value.trim());
  throw new TypeError(`Cannot encode ${at}: ${JSON.stringify(String(value))} is not an integer`);
}

function toBytes(value: unknown, at: string): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return Uint8Array.from(value as number[]);
  if (typeof value === "string") return Uint8Array.from(atob(value), (c) => c.charCodeAt(0));
  throw new TypeError(`Cannot encode ${at}: bytes expected`);
}

function isNumeric(field: Field): boolean {
  return field.enumType !== undefined ||
    (field.scalar !== undefined && field.scalar !== "string" && field.scalar !== "bytes");
}

/** Writes a numeric value (no key): bool, int32, uint32, int64, uint64 or enum. */
function writeNumber(w: Writer, field: Field, value: unknown, at: string): void {
  if (field.enumType) {
    const n = typeof value === "number" ? value : field.enumType.numbers.get(String(value));
    if (n === undefined || !Number.isInteger(n)) {
      throw new TypeError(
        `Cannot encode ${at}: ${JSON.stringify(value)} is not a ${field.enumType.name}`,
      );
    }
    return n < 0 ? w.varint64(BigInt(n)) : w.varint(n);
  }
  switch (field.scalar) {
    case "bool":
      return w.varint(value ? 1 : 0);
    case "int32":
    case "uint32": {
      const n = Math.trunc(Number(value));
      if (!Number.isFinite(n)) throw new TypeError(`Cannot encode ${at}: a number expected`);
      const bits = field.scalar === "int32" ? n | 0 : n >>> 0;
      return bits < 0 ? w.varint64(BigInt(bits)) : w.varint(bits);
    }
    default:
      return w.varint64(toBigInt(value, at));
  }
}

function writeValue(w: Writer, field: Field, value: unknown, at: string): void {
  if (field.messageType) {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new TypeError(`Cannot encode ${at}: an object expected`);
    }
    w.key(field.id, WIRE_LENGTH);
    const start = w.begin();
    writeMessage(w, field.messageType, value as Record<string, unknown>);
    w.end(start);
  } else if (field.scalar === "string") {
    w.key(field.id, WIRE_LENGTH);
    w.string(String(value));
  } else if (field.scalar === "bytes") {
    w.key(field.id, WIRE_LENGTH);
    w.octets(toBytes(value, at));
  } else {
    w.key(field.id, WIRE_VARINT);
    writeNumber(w, field, value, at);
  }
}

function writeMessage(w: Writer, type: MessageType, value: Record<string, unknown>): void {
  for (const field of type.fields) {
    const v = value[field.name];
    if (v === undefined || v === null) continue;
    const at = where(type, field);
    if (field.map) {
      if (typeof v !== "object") throw new TypeError(`Cannot encode ${at}: an object expected`);
      for (const [k, item] of Object.entries(v as Record<string, unknown>)) {
        w.key(field.id, WIRE_LENGTH);
        const at = w.begin();
        w.key(1, WIRE_LENGTH);
        w.string(k);
        w.key(2, WIRE_LENGTH);
        w.string(String(item));
        w.end(at);
      }
    } else if (field.repeated) {
      if (!Array.isArray(v)) throw new TypeError(`Cannot encode ${at}: an array expected`);
      if (v.length === 0) continue;
      if (isNumeric(field)) {
        w.key(field.id, WIRE_LENGTH);
        const start = w.begin();
        for (const item of v) writeNumber(w, field, item, at);
        w.end(start);
      } else {
        for (const item of v) writeValue(w, field, item, at);
      }
    } else {
      writeValue(w, field, v, at);
    }
  }
}

function encodeMessage(type: MessageType, value: Record<string, unknown>): Uint8Array {
  const w = new Writer();
  writeMessage(w, type, value);
  return w.finish();
}

// ---- Reading ---------------------------------------------------------------------------------

class Reader {
  readonly #octets: Uint8Array;
  at = 0;
  readonly end: number;

  constructor(octets: Uint8Array, start = 0, end = octets.length) {
    this.#octets = octets;
    this.at = start;
    this.end = end;
  }

  #truncated(): never {
    throw new SyntaxError("Cannot decode message: it ends inside a field");
  }

  /** A varint: a number when it is a safe integer, a bigint otherwise. */
  varint(): number | bigint {
    let value = 0;
    for (let shift = 0; shift < 49; shift += 7) {
      if (this.at >= this.end) this.#truncated();
      const b = this.#octets[this.at++]!;
      value += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return value;
    }
    let big = BigInt(value);
    for (let shift = 49n; shift < 70n; shift += 7n) {
      if (this.at >= this.end) this.#truncated();
      const b = this.#octets[this.at++]!;
      big |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return BigInt.asUintN(64, big);
    }
    throw new SyntaxError("Cannot decode message: varint longer than 10 octets");
  }

  length(): number {
    const n = Number(this.varint());
    if (this.at + n > this.end) this.#truncated();
    return n;
  }

  /** A length-prefixed UTF-8 string. */
  string(): string {
    const n = this.length();
    const start = this.at;
    this.at += n;
    if (n <= 64) {
      let text = "";
      for (let i = start; i < start + n; i++) {
        const c = this.#octets[i]!;
        if (c >= 0x80) return utf8Decoder.decode(this.#octets.subarray(start, start + n));
        text += String.fromCharCode(c);
      }
      return text;
    }
    return utf8Decoder.decode(this.#octets.subarray(start, start + n));
  }

  octets(): Uint8Array {
    const n = this.length();
    const out = this.#octets.slice(this.at, this.at + n);
    this.at += n;
    return out;
  }

  view(): Reader {
    const n = this.length();
    const sub = new Reader(this.#octets, this.at, this.at + n);
    this.at += n;
    return sub;
  }

  skip(wireType: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.varint();
        return;
      case WIRE_FIXED64:
        this.at += 8;
        break;
      case WIRE_LENGTH: {
        const n = this.length();
        this.at += n;
        return;
      }
      case WIRE_FIXED32:
        this.at += 4;
        break;
      default:
        throw new SyntaxError(`Cannot decode message: wire type ${wireType}`);
    }
    if (this.at > this.end) this.#truncated();
  }
}

function numberValue(field: Field, raw: number | bigint): unknown {
  if (field.enumType) {
    const n = typeof raw === "bigint" ? Number(BigInt.asIntN(32, raw)) : raw;
    return field.enumType.names.get(n) ?? n;
  }
  switch (field.scalar) {
    case "bool":
      return raw !== 0 && raw !== 0n;
    case "int32":
      return typeof raw === "bigint" ? Number(BigInt.asIntN(32, raw)) : raw | 0;
    case "uint32":
      return typeof raw === "bigint" ? Number(BigInt.asUintN(32, raw)) : raw >>> 0;
    case "int64":
      return String(typeof raw === "bigint" ? BigInt.asIntN(64, raw) : raw);
    default:
      return String(raw);
  }
}

function defaultOf(field: Field): unknown {
  if (field.map) return {};
  if (field.repeated) return [];
  if (field.messageType) return null;
  if (field.enumType) return field.enumType.names.get(0) ?? 0;
  switch (field.scalar) {
    case "string":
      return "";
    case "bytes":
      return new Uint8Array(0);
    case "bool":
      return false;
    case "int64":
    case "uint64":
      return "0";
    default:
      return 0;
  }
}

function readValue(r: Reader, field: Field): unknown {
  if (field.messageType) return decodeMessage(field.messageType, r.view());
  if (field.scalar === "string") return r.string();
  if (field.scalar === "bytes") return r.octets();
  return numberValue(field, r.varint());
}

function decodeMessage(type: MessageType, r: Reader): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of type.fields) out[field.name] = defaultOf(field);
  while (r.at < r.end) {
    const key = Number(r.varint());
    const id = Math.floor(key / 8);
    const wireType = key % 8;
    const field = type.byId.get(id);
    if (!field) {
      r.skip(wireType);
      continue;
    }
    if (field.map) {
      const entry = r.view();
      let k = "";
      let v = "";
      while (entry.at < entry.end) {
        const entryKey = Number(entry.varint());
        if (entryKey === (1 << 3 | WIRE_LENGTH)) k = entry.string();
        else if (entryKey === (2 << 3 | WIRE_LENGTH)) v = entry.string();
        else entry.skip(entryKey % 8);
      }
      (out[field.name] as Record<string, string>)[k] = v;
    } else if (field.repeated) {
      const list = out[field.name] as unknown[];
      if (wireType === WIRE_LENGTH && isNumeric(field)) {
        const packed = r.view();
        while (packed.at < packed.end) list.push(numberValue(field, packed.varint()));
      } else {
        list.push(readValue(r, field));
      }
    } else {
      out[field.name] = readValue(r, field);
    }
  }
  return out;
}

// ---- The schema ------------------------------------------------------------------------------

/** The message types of one package of a JSON descriptor, resolved. */
export class ProtoSchema {
  readonly #types = new Map<string, MessageType>();
  readonly #codecs = new Map<string, MessageCodec>();

  /** Reads package `packageName` (`"runtime.v1"`) of `root`; a TypeError for what it lacks. */
  constructor(root: INamespace, packageName: string) {
    let scope = root as JsonType;
    for (const part of packageName.split(".")) {
      const next = scope.nested?.[part];
      if (!next) throw new TypeError(`Cannot find package "${packageName}" in the descriptor`);
      scope = next;
    }
    const enums = new Map<string, EnumType>();
    const pending: { name: string; json: JsonType; scope: string[] }[] = [];
    const collect = (json: JsonType, path: string[]): void => {
      for (const [name, nested] of Object.entries(json.nested ?? {})) {
        const full = [...path, name];
        if (nested.values) {
          const numbers = new Map(Object.entries(nested.values));
          enums.set(full.join("."), {
            name,
            numbers,
            names: new Map([...numbers].map(([k, v]) => [v, k])),
          });
        } else if (nested.fields) {
          pending.push({ name: full.join("."), json: nested, scope: full });
        }
        collect(nested, full);
      }
    };
    collect(scope, []);
    // Names resolve from the innermost scope outwards, as in .proto files.
    const resolve = <T>(
      table: ReadonlyMap<string, T>,
      name: string,
      from: string[],
    ): T | undefined => {
      for (let depth = from.length; depth >= 0; depth--) {
        const found = table.get([...from.slice(0, depth), name].join("."));
        if (found) return found;
      }
      return undefined;
    };
    const unresolved: { field: Field; type: string; scope: string[] }[] = [];
    for (const { name, json, scope: path } of pending) {
      const fields: Field[] = [];
      for (const [fieldName, f] of Object.entries(json.fields ?? {})) {
        const repeated = f.rule === "repeated";
        const map = f.keyType !== undefined;
        if (map && (f.keyType !== "string" || f.type !== "string")) {
          throw new TypeError(
            `Cannot use ${name}.${fieldName}: only map<string, string> is supported`,
          );
        }
        const base = { name: fieldName, id: f.id, repeated, map };
        if (SCALARS.has(f.type)) {
          fields.push({ ...base, scalar: f.type as Scalar });
          continue;
        }
        const enumType = resolve(enums, f.type, path);
        if (enumType) {
          fields.push({ ...base, enumType });
          continue;
        }
        const field: Field = { ...base };
        fields.push(field);
        unresolved.push({ field, type: f.type, scope: path });
      }
      fields.sort((a, b) => a.id - b.id);
      this.#types.set(name, { name, fields, byId: new Map(fields.map((f) => [f.id, f])) });
    }
    for (const { field, type, scope: path } of unresolved) {
      const messageType = resolve(this.#types, type, path);
      if (!messageType) {
        throw new TypeError(`Cannot resolve type "${type}" of field "${field.name}"`);
      }
      field.messageType = messageType;
    }
  }

  /** The codec of message type `name` (relative to the package); a TypeError when unknown. */
  codec(name: string): MessageCodec {
    const known = this.#codecs.get(name);
    if (known) return known;
    const type = this.#types.get(name);
    if (!type) throw new TypeError(`Unknown message type "${name}"`);
    const codec: MessageCodec = {
      encode: (value) => encodeMessage(type, value as Record<string, unknown>),
      decode: (octets) => decodeMessage(type, new Reader(octets)),
    };
    this.#codecs.set(name, codec);
    return codec;
  }
}
