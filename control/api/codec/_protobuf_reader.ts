/**
 * A protobuf wire-format reader with the semantics of the gogo-generated `Unmarshal` methods
 * that kube-apiserver decodes request bodies with: varints of at most 10 bytes, `int32` fields
 * keeping the low 32 bits, a nested message bounded by its length (reading past it is an
 * unexpected EOF), unknown fields (groups included) skipped, and gogo's error texts, which the
 * API server quotes in its 400 answers.
 *
 * protobufjs' `Reader` is not used here: it returns `Long` objects for 64-bit integers, does not
 * bound reads by the enclosing message, and reports errors in its own words.
 *
 * @module
 */

/** Wire types. */
export const VARINT = 0;
export const FIXED64 = 1;
export const LENGTH_DELIMITED = 2;
export const START_GROUP = 3;
export const END_GROUP = 4;
export const FIXED32 = 5;

/** Go's `io.ErrUnexpectedEOF`. */
const UNEXPECTED_EOF = "unexpected EOF";
/** gogo's `ErrIntOverflowGenerated`. */
const INT_OVERFLOW = "proto: integer overflow";
/** gogo's `ErrInvalidLengthGenerated`. */
const INVALID_LENGTH = "proto: negative length found during unmarshaling";

const TWO_32 = 2 ** 32;
const ASCII_FAST_PATH_MAX = 64;
const utf8 = new TextDecoder();

/** Reads one buffer; `end` bounds the message being read. */
export class ProtoReader {
  readonly buf: Uint8Array;
  pos = 0;
  /** The end of the message being read: no read goes past it. */
  end: number;
  /** The wire type of the last {@linkcode ProtoReader.tag}. */
  wire = 0;
  #lo = 0;
  #hi = 0;
  #view: DataView | null = null;

  constructor(buf: Uint8Array) {
    this.buf = buf;
    this.end = buf.length;
  }

  /** Reads a varint into its low and high 32 bits. */
  #varint(): void {
    const buf = this.buf;
    let pos = this.pos;
    let lo = 0;
    let hi = 0;
    for (let shift = 0;; shift += 7) {
      if (shift >= 64) throw new SyntaxError(INT_OVERFLOW);
      if (pos >= this.end) throw new SyntaxError(UNEXPECTED_EOF);
      const b = buf[pos++]!;
      if (shift < 28) lo |= (b & 0x7f) << shift;
      else if (shift === 28) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >>> 4;
      } else hi |= (b & 0x7f) << (shift - 32);
      if (b < 0x80) break;
    }
    this.pos = pos;
    this.#lo = lo;
    this.#hi = hi;
  }

  /**
   * Reads a field key; returns the field number (as Go's `int32(wire >> 3)`, so possibly
   * negative) and sets {@linkcode ProtoReader.wire}.
   */
  tag(): number {
    const b = this.buf[this.pos];
    if (b !== undefined && b < 0x80 && this.pos < this.end) {
      this.pos++;
      this.wire = b & 7;
      return b >>> 3;
    }
    this.#varint();
    this.wire = this.#lo & 7;
    return ((this.#lo >>> 3) | (this.#hi << 29)) | 0;
  }

  /** An `int32` field: the varint's low 32 bits, as Go's `int32` conversion. */
  int32(): number {
    const b = this.buf[this.pos];
    if (b !== undefined && b < 0x80 && this.pos < this.end) {
      this.pos++;
      return b;
    }
    this.#varint();
    return this.#lo | 0;
  }

  /** An `int64` field, as a number (exact up to 2^53). */
  int64(): number {
    this.#varint();
    return this.#hi * TWO_32 + (this.#lo >>> 0);
  }

  /** A `bool` field: any non-zero varint is true. */
  bool(): boolean {
    this.#varint();
    return (this.#lo | this.#hi) !== 0;
  }

  /** A `double` field (fixed64, little-endian). */
  double(): number {
    if (this.pos + 8 > this.end) throw new SyntaxError(UNEXPECTED_EOF);
    this.#view ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    const v = this.#view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** Reads a length prefix; returns the end of the bytes it announces. */
  lengthEnd(): number {
    const b = this.buf[this.pos];
    let len: number;
    if (b !== undefined && b < 0x80 && this.pos < this.end) {
      this.pos++;
      len = b;
    } else {
      this.#varint();
      if (this.#hi < 0) throw new SyntaxError(INVALID_LENGTH);
      len = this.#hi * TWO_32 + (this.#lo >>> 0);
    }
    const end = this.pos + len;
    if (end > this.end) throw new SyntaxError(UNEXPECTED_EOF);
    return end;
  }

  /** A length-delimited field as bytes (a view, not a copy). */
  bytes(): Uint8Array {
    const end = this.lengthEnd();
    const out = this.buf.subarray(this.pos, end);
    this.pos = end;
    return out;
  }

  /** A `string` field. Invalid UTF-8 becomes U+FFFD, as Go's JSON encoding prints it. */
  string(): string {
    const end = this.lengthEnd();
    const start = this.pos;
    this.pos = end;
    const n = end - start;
    if (n === 0) return "";
    const buf = this.buf;
    if (n <= ASCII_FAST_PATH_MAX) {
      let ascii = true;
      for (let i = start; i < end; i++) {
        if (buf[i]! >= 0x80) {
          ascii = false;
          break;
        }
      }
      if (ascii) {
        return String.fromCharCode.apply(null, buf.subarray(start, end) as unknown as number[]);
      }
    }
    return utf8.decode(buf.subarray(start, end));
  }

  /** Skips the value of a field with wire type `wire` (gogo's `skipGenerated`). */
  skip(wire: number): void {
    let depth = 0;
    for (;;) {
      switch (wire) {
        case VARINT:
          this.#varint();
          break;
        case FIXED64:
          this.#advance(8);
          break;
        case LENGTH_DELIMITED:
          this.pos = this.lengthEnd();
          break;
        case START_GROUP:
          depth++;
          break;
        case END_GROUP:
          if (depth === 0) throw new SyntaxError("proto: unexpected end of group");
          depth--;
          break;
        case FIXED32:
          this.#advance(4);
          break;
        default:
          throw new SyntaxError(`proto: illegal wireType ${wire}`);
      }
      if (depth === 0) return;
      this.tag();
      wire = this.wire;
    }
  }

  #advance(n: number): void {
    if (this.pos + n > this.end) throw new SyntaxError(UNEXPECTED_EOF);
    this.pos += n;
  }
}
