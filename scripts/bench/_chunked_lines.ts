/**
 * Incremental decoding of an HTTP/1.1 chunked body, and of the newline-separated lines it
 * carries (a watch stream), on bytes in place: a chunk's data is handed on as views of the
 * bytes read, and a line is copied only when it spans reads or chunks. With a thousand watch
 * streams in one benchmark process, per-chunk copies and strings would make the load
 * generator slower than the server it measures.
 *
 * @module
 */

const CR = 13;
const LF = 10;

// Where the decoder is within the chunked framing.
/** Reading the hex digits of a chunk-size line. */
const SIZE = 0;
/** Past the digits: a chunk extension or the `\r` before the line's `\n`. */
const SIZE_REST = 1;
const DATA = 2;
/** Expecting the `\r\n` that ends a chunk's data. */
const DATA_CR = 3;
const DATA_LF = 4;
/** After the last (zero-size) chunk: trailer lines up to an empty line. */
const TRAILER = 5;
const DONE = 6;

/** A byte string to look for in bytes. */
export class BytePattern {
  readonly bytes: Uint8Array;

  constructor(text: string) {
    this.bytes = new TextEncoder().encode(text);
  }

  get length(): number {
    return this.bytes.length;
  }

  /**
   * The first index of the pattern in `hay[start, end)`, or -1. A plain loop: for the short
   * distances it is used for, faster than a builtin call per candidate byte.
   */
  indexIn(hay: Uint8Array, start = 0, end = hay.length): number {
    const needle = this.bytes;
    const last = end - needle.length;
    const first = needle[0];
    if (first === undefined) return start;
    outer: for (let i = start; i <= last; i++) {
      if (hay[i] !== first) continue;
      for (let j = 1; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
      return i;
    }
    return -1;
  }

  /** Whether `hay[start, end)` starts with the pattern. */
  startsIn(hay: Uint8Array, start = 0, end = hay.length): boolean {
    const needle = this.bytes;
    if (end - start < needle.length) return false;
    for (let j = 0; j < needle.length; j++) if (hay[start + j] !== needle[j]) return false;
    return true;
  }
}

function hexValue(b: number): number {
  if (b >= 48 && b <= 57) return b - 48; // 0-9
  const l = b | 0x20; // lower case
  if (l >= 97 && l <= 102) return l - 87; // a-f
  return -1;
}

/**
 * Decodes a chunked body fed in pieces split anywhere (inside a chunk-size line, the data or
 * the `\r\n` after it), handing each chunk's data on as it arrives, possibly in several parts.
 */
export class ChunkedDecoder {
  readonly #onData: (bytes: Uint8Array, start: number, end: number) => boolean | void;
  #state: number = SIZE;
  #digits = 0;
  #remaining = 0;
  #lineBytes = 0;
  #stopped = false;

  /**
   * `onData` gets each part of a chunk's data as `bytes[start, end)` of the fed bytes (valid
   * during the call only: no copy, no view); false stops the decoding.
   */
  constructor(onData: (bytes: Uint8Array, start: number, end: number) => boolean | void) {
    this.#onData = onData;
  }

  /** Whether the body ended (its last chunk and trailers) or `onData` stopped it. */
  get done(): boolean {
    return this.#state === DONE;
  }

  /** Whether `onData` stopped the decoding (rather than the body ending). */
  get stopped(): boolean {
    return this.#stopped;
  }

  /**
   * Decodes the next bytes of the body, `bytes[start, end)` (all by default); returns the
   * index after the last byte it used: `end` unless the body ended or was stopped before it
   * (the rest follows the body). Throws a `SyntaxError` on broken framing.
   */
  push(bytes: Uint8Array, start = 0, end = bytes.length): number {
    let i = start;
    const n = end;
    while (i < n) {
      switch (this.#state) {
        case DATA: {
          const from = i;
          i = Math.min(n, i + this.#remaining);
          this.#remaining -= i - from;
          if (this.#remaining === 0) this.#state = DATA_CR;
          if (this.#onData(bytes, from, i) === false) {
            this.#stopped = true;
            this.#state = DONE;
            return i;
          }
          break;
        }
        case SIZE: {
          const b = bytes[i++]!;
          const v = hexValue(b);
          if (v >= 0) {
            if (++this.#digits > 12) throw new SyntaxError("Chunk size too large");
            this.#remaining = this.#remaining * 16 + v;
            break;
          }
          if (this.#digits === 0) throw new SyntaxError(`Bad chunk size byte ${b}`);
          if (b === LF) this.#endSizeLine();
          else this.#state = SIZE_REST;
          break;
        }
        case SIZE_REST: {
          const lf = bytes.indexOf(LF, i);
          if (lf < 0) return n;
          i = lf + 1;
          this.#endSizeLine();
          break;
        }
        case DATA_CR:
          if (bytes[i++] !== CR) throw new SyntaxError("Chunk data not followed by CRLF");
          this.#state = DATA_LF;
          break;
        case DATA_LF:
          if (bytes[i++] !== LF) throw new SyntaxError("Chunk data not followed by CRLF");
          this.#state = SIZE;
          break;
        case TRAILER: {
          const b = bytes[i++]!;
          if (b === LF) {
            if (this.#lineBytes === 0) {
              this.#state = DONE;
              return i;
            }
            this.#lineBytes = 0;
          } else if (b !== CR) this.#lineBytes++;
          break;
        }
        case DONE:
          return i;
      }
    }
    return n;
  }

  #endSizeLine(): void {
    this.#digits = 0;
    if (this.#remaining === 0) {
      this.#state = TRAILER;
      this.#lineBytes = 0;
    } else this.#state = DATA;
  }
}

/**
 * Splits a byte stream fed in pieces into `\n`-terminated lines (without the `\n`); a final
 * unterminated line is never delivered.
 */
export class LineSplitter {
  readonly #onLine: (bytes: Uint8Array, start: number, end: number) => boolean | void;
  #pending = new Uint8Array(4096);
  #pendingLength = 0;

  /**
   * `onLine` gets each line as `bytes[start, end)`, valid during the call only (the fed bytes,
   * or a buffer of the splitter's when the line spans pieces); false stops the splitting.
   */
  constructor(onLine: (bytes: Uint8Array, start: number, end: number) => boolean | void) {
    this.#onLine = onLine;
  }

  /** Splits the next bytes, `bytes[start, end)` (all by default); false once stopped. */
  push(bytes: Uint8Array, start = 0, end = bytes.length): boolean {
    let from = start;
    for (;;) {
      let nl = bytes.indexOf(LF, from);
      if (nl >= end) nl = -1;
      if (nl < 0) {
        if (from < end) this.#append(bytes, from, end);
        return true;
      }
      let stop;
      if (this.#pendingLength === 0) stop = this.#onLine(bytes, from, nl) === false;
      else {
        this.#append(bytes, from, nl);
        const length = this.#pendingLength;
        this.#pendingLength = 0;
        stop = this.#onLine(this.#pending, 0, length) === false;
      }
      if (stop) return false;
      from = nl + 1;
    }
  }

  #append(bytes: Uint8Array, from: number, to: number): void {
    const need = this.#pendingLength + to - from;
    if (need > this.#pending.length) {
      const next = new Uint8Array(Math.max(need, this.#pending.length * 2));
      next.set(this.#pending.subarray(0, this.#pendingLength));
      this.#pending = next;
    }
    this.#pending.set(bytes.subarray(from, to), this.#pendingLength);
    this.#pendingLength = need;
  }
}
