/**
 * HPACK (RFC 7541), the header compression of HTTP/2, for {@linkcode ./_h2_connection.ts}:
 * {@linkcode HpackDecoder} keeps the dynamic table a peer's encoder builds and decodes every
 * representation (indexed, literal with, without and never indexing, table size updates, Huffman
 * strings); {@linkcode HpackEncoder} writes fields from the static table or as literals that are
 * never added to a table, so it keeps no state beyond telling the peer, once, that it uses none.
 *
 * @module
 */
import { huffmanDecode, huffmanEncode, huffmanEncodedLength } from "./_huffman.ts";

/** A header field: lowercase name and value. */
export type HeaderField = readonly [name: string, value: string];

/** The static table (RFC 7541 Appendix A); entry `i` is index `i + 1`. */
export const HPACK_STATIC_TABLE: readonly HeaderField[] = [
  [":authority", ""],
  [":method", "GET"],
  [":method", "POST"],
  [":path", "/"],
  [":path", "/index.html"],
  [":scheme", "http"],
  [":scheme", "https"],
  [":status", "200"],
  [":status", "204"],
  [":status", "206"],
  [":status", "304"],
  [":status", "400"],
  [":status", "404"],
  [":status", "500"],
  ["accept-charset", ""],
  ["accept-encoding", "gzip, deflate"],
  ["accept-language", ""],
  ["accept-ranges", ""],
  ["accept", ""],
  ["access-control-allow-origin", ""],
  ["age", ""],
  ["allow", ""],
  ["authorization", ""],
  ["cache-control", ""],
  ["content-disposition", ""],
  ["content-encoding", ""],
  ["content-language", ""],
  ["content-length", ""],
  ["content-location", ""],
  ["content-range", ""],
  ["content-type", ""],
  ["cookie", ""],
  ["date", ""],
  ["etag", ""],
  ["expect", ""],
  ["expires", ""],
  ["from", ""],
  ["host", ""],
  ["if-match", ""],
  ["if-modified-since", ""],
  ["if-none-match", ""],
  ["if-range", ""],
  ["if-unmodified-since", ""],
  ["last-modified", ""],
  ["link", ""],
  ["location", ""],
  ["max-forwards", ""],
  ["proxy-authenticate", ""],
  ["proxy-authorization", ""],
  ["range", ""],
  ["referer", ""],
  ["refresh", ""],
  ["retry-after", ""],
  ["server", ""],
  ["set-cookie", ""],
  ["strict-transport-security", ""],
  ["transfer-encoding", ""],
  ["user-agent", ""],
  ["vary", ""],
  ["via", ""],
  ["www-authenticate", ""],
];

/** The default (and, for skiff, only) SETTINGS_HEADER_TABLE_SIZE: 4096 octets. */
export const DEFAULT_HEADER_TABLE_BYTES = 4096;

/** A header block that cannot be decoded: an HTTP/2 COMPRESSION_ERROR of the connection. */
export class HpackError extends SyntaxError {
  constructor(message: string) {
    super(message);
    this.name = "HpackError";
  }
}

/** Each entry's size: its name's and value's octets plus 32 (RFC 7541 §4.1). */
const ENTRY_OVERHEAD = 32;

interface Entry {
  readonly field: HeaderField;
  readonly size: number;
}

const utf8 = new TextDecoder();
const encoder = new TextEncoder();

/** Reads a header block front to back. */
class BlockReader {
  readonly #block: Uint8Array;
  #at = 0;

  constructor(block: Uint8Array) {
    this.#block = block;
  }

  get done(): boolean {
    return this.#at >= this.#block.length;
  }

  peek(): number {
    return this.#block[this.#at]!;
  }

  /** An integer with an `prefixBits`-bit prefix (RFC 7541 §5.1). */
  integer(prefixBits: number): number {
    const max = 2 ** prefixBits - 1;
    const first = this.#byte() & max;
    if (first < max) return first;
    let value = max;
    for (let shift = 0;; shift += 7) {
      const b = this.#byte();
      value += (b & 0x7f) * 2 ** shift;
      if (value > 0xffffffff) throw new HpackError("Cannot decode header block: integer too large");
      if ((b & 0x80) === 0) return value;
    }
  }

  /** A string literal (RFC 7541 §5.2): its octets. */
  string(): Uint8Array {
    const huffman = (this.peek() & 0x80) !== 0;
    const length = this.integer(7);
    if (this.#at + length > this.#block.length) {
      throw new HpackError("Cannot decode header block: string runs past its end");
    }
    const raw = this.#block.subarray(this.#at, this.#at + length);
    this.#at += length;
    if (!huffman) return raw;
    try {
      return huffmanDecode(raw);
    } catch (err) {
      throw new HpackError(`Cannot decode header block: ${(err as Error).message}`);
    }
  }

  #byte(): number {
    if (this.#at >= this.#block.length) {
      throw new HpackError("Cannot decode header block: it ends inside a representation");
    }
    return this.#block[this.#at++]!;
  }
}

/**
 * The decoding side of one HTTP/2 connection. Header blocks must be decoded in the order they
 * arrive, every one of them (also those of streams already given up), or the table drifts.
 */
export class HpackDecoder {
  /** The limit the peer's encoder must stay within (our SETTINGS_HEADER_TABLE_SIZE). */
  readonly #limit: number;
  #maxSize: number;
  #size = 0;
  /** Newest first: dynamic index 62 is `#entries[0]`. */
  #entries: Entry[] = [];

  constructor(limitBytes: number = DEFAULT_HEADER_TABLE_BYTES) {
    this.#limit = limitBytes;
    this.#maxSize = limitBytes;
  }

  /** The dynamic table, newest entry first (for tests and diagnostics). */
  get table(): readonly HeaderField[] {
    return this.#entries.map((e) => e.field);
  }

  /** The dynamic table's size in octets, as RFC 7541 §4.1 counts it. */
  get tableSize(): number {
    return this.#size;
  }

  /** Decodes one complete header block; throws an {@linkcode HpackError} on bad input. */
  decode(block: Uint8Array): HeaderField[] {
    const reader = new BlockReader(block);
    const fields: HeaderField[] = [];
    while (!reader.done) {
      const first = reader.peek();
      if (first & 0x80) {
        fields.push(this.#lookup(reader.integer(7)).field);
      } else if (first & 0x40) {
        const field = this.#literal(reader, 6);
        this.#insert(field);
        fields.push(field);
      } else if (first & 0x20) {
        if (fields.length > 0) {
          throw new HpackError("Cannot decode header block: table size update after a field");
        }
        const size = reader.integer(5);
        if (size > this.#limit) {
          throw new HpackError(
            `Cannot decode header block: table size ${size} exceeds the limit ${this.#limit}`,
          );
        }
        this.#maxSize = size;
        this.#evict(0);
      } else {
        // 0000xxxx without indexing, 0001xxxx never indexed: neither enters the table.
        fields.push(this.#literal(reader, 4));
      }
    }
    return fields;
  }

  #lookup(index: number): Entry {
    if (index === 0) throw new HpackError("Cannot decode header block: index 0");
    if (index <= HPACK_STATIC_TABLE.length) {
      const field = HPACK_STATIC_TABLE[index - 1]!;
      return { field, size: 0 };
    }
    const entry = this.#entries[index - HPACK_STATIC_TABLE.length - 1];
    if (!entry) throw new HpackError(`Cannot decode header block: no table entry ${index}`);
    return entry;
  }

  #literal(reader: BlockReader, prefixBits: number): HeaderField {
    const nameIndex = reader.integer(prefixBits);
    const name = nameIndex === 0 ? utf8.decode(reader.string()) : this.#lookup(nameIndex).field[0];
    return [name, utf8.decode(reader.string())];
  }

  #insert(field: HeaderField): void {
    const size = encoder.encode(field[0]).length + encoder.encode(field[1]).length +
      ENTRY_OVERHEAD;
    if (size > this.#maxSize) {
      // An entry larger than the table empties it and is not added (RFC 7541 §4.4).
      this.#entries = [];
      this.#size = 0;
      return;
    }
    this.#evict(size);
    this.#entries.unshift({ field, size });
    this.#size += size;
  }

  /** Evicts the oldest entries until `room` more octets fit. */
  #evict(room: number): void {
    while (this.#size + room > this.#maxSize) {
      const oldest = this.#entries.pop();
      if (!oldest) break;
      this.#size -= oldest.size;
    }
  }
}

function writeInteger(out: number[], value: number, prefix: { bits: number; flags: number }): void {
  const max = 2 ** prefix.bits - 1;
  if (value < max) {
    out.push(prefix.flags | value);
    return;
  }
  out.push(prefix.flags | max);
  let rest = value - max;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
}

function writeString(out: number[], text: string): void {
  const raw = encoder.encode(text);
  const huffmanLength = huffmanEncodedLength(raw);
  const huffman = huffmanLength < raw.length;
  const bytes = huffman ? huffmanEncode(raw) : raw;
  writeInteger(out, bytes.length, { bits: 7, flags: huffman ? 0x80 : 0 });
  for (const b of bytes) out.push(b);
}

let staticIndex: Map<string, number> | undefined;

/** Index of a static entry by `name\0value`, and of the first entry with a name by `name`. */
function staticIndexOf(key: string): number | undefined {
  if (!staticIndex) {
    staticIndex = new Map();
    HPACK_STATIC_TABLE.forEach(([name, value], i) => {
      if (!staticIndex!.has(name)) staticIndex!.set(name, i + 1);
      staticIndex!.set(`${name}\0${value}`, i + 1);
    });
  }
  return staticIndex.get(key);
}

/**
 * The encoding side of one HTTP/2 connection. It never adds to the dynamic table, and its first
 * block sets the table's size to 0, so whatever SETTINGS_HEADER_TABLE_SIZE the peer announces,
 * there is nothing to keep in step.
 */
export class HpackEncoder {
  #first = true;

  /** Encodes `fields` as one header block. */
  encode(fields: readonly HeaderField[]): Uint8Array {
    const out: number[] = [];
    if (this.#first) {
      this.#first = false;
      writeInteger(out, 0, { bits: 5, flags: 0x20 });
    }
    for (const [name, value] of fields) {
      const exact = staticIndexOf(`${name}\0${value}`);
      if (exact !== undefined) {
        writeInteger(out, exact, { bits: 7, flags: 0x80 });
        continue;
      }
      // Literal without indexing (0000xxxx), by the static name's index or with the name.
      const nameIndex = staticIndexOf(name);
      writeInteger(out, nameIndex ?? 0, { bits: 4, flags: 0 });
      if (nameIndex === undefined) writeString(out, name);
      writeString(out, value);
    }
    return new Uint8Array(out);
  }
}
