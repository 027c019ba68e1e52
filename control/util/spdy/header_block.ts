/**
 * SPDY/3 header blocks: name/value pairs (lowercase names, several values joined by NUL,
 * 32-bit lengths), compressed by one zlib stream per direction of a session, preset with the
 * SPDY/3 dictionary, each frame's block ending on a sync flush.
 *
 * Deno's `node:zlib` inflates with a dictionary but deflates ignoring it (its output has no
 * FDICT flag), so the compressing side writes the zlib stream itself: a header naming the
 * dictionary (FDICT, its Adler-32), then each block as a stored (uncompressed) deflate block
 * followed by an empty stored block — the marker a sync flush ends with. Go's inflater (the
 * peer's) hands out a stored block's bytes only when the next block starts, so without the
 * marker it would read past the frame and fail every later frame. Header blocks are small;
 * compressing them buys nothing here. The inflating side is `node:zlib`'s, one context
 * per session direction.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import zlib from "node:zlib";
import { SPDY3_DICTIONARY } from "./_dictionary.ts";

/** Header names (lowercase) to values; several values of one name are joined by NUL. */
export type SpdyHeaders = Readonly<Record<string, string>>;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The uncompressed bytes of a header block. */
export function encodeHeaderBlock(headers: SpdyHeaders): Uint8Array {
  const pairs = Object.entries(headers).map((
    [n, v],
  ) => [encoder.encode(n.toLowerCase()), encoder.encode(v)]);
  let size = 4;
  for (const [n, v] of pairs) size += 8 + n!.byteLength + v!.byteLength;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, pairs.length);
  let off = 4;
  for (const [n, v] of pairs) {
    view.setUint32(off, n!.byteLength);
    out.set(n!, off + 4);
    off += 4 + n!.byteLength;
    view.setUint32(off, v!.byteLength);
    out.set(v!, off + 4);
    off += 4 + v!.byteLength;
  }
  return out;
}

/** Parses uncompressed header block bytes; names are lowercased. Throws `SyntaxError`. */
export function decodeHeaderBlock(bytes: Uint8Array): Record<string, string> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = () => new SyntaxError("Cannot parse a SPDY header block: truncated");
  if (bytes.byteLength < 4) throw fail();
  const n = view.getUint32(0);
  const headers: Record<string, string> = {};
  let off = 4;
  const take = () => {
    if (off + 4 > bytes.byteLength) throw fail();
    const len = view.getUint32(off);
    if (off + 4 + len > bytes.byteLength) throw fail();
    const text = decoder.decode(bytes.subarray(off + 4, off + 4 + len));
    off += 4 + len;
    return text;
  };
  for (let i = 0; i < n; i++) {
    const name = take().toLowerCase();
    const value = take();
    headers[name] = name in headers ? `${headers[name]}\0${value}` : value;
  }
  return headers;
}

function adler32(data: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (let i = 0; i < data.length; i++) {
    a = (a + data[i]!) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** The zlib header of a stream preset with the SPDY/3 dictionary: CMF, FLG (FDICT), DICTID. */
function zlibHeader(): Uint8Array {
  const out = new Uint8Array(6);
  out[0] = 0x78; // deflate, 32 KiB window
  out[1] = 0xbb; // FDICT, level 2, check bits
  new DataView(out.buffer).setUint32(2, adler32(SPDY3_DICTIONARY));
  return out;
}

/** An empty stored block: what a sync flush ends with. */
const SYNC_MARKER = Uint8Array.of(0x00, 0x00, 0x00, 0xff, 0xff);

/** Compresses one direction's header blocks (see the module doc). */
export class HeaderCompressor {
  #started = false;

  /** The compressed form of `headers` for the next frame. */
  compress(headers: SpdyHeaders): Uint8Array {
    const raw = encodeHeaderBlock(headers);
    const blocks = Math.max(1, Math.ceil(raw.byteLength / 0xffff));
    const head = this.#started ? 0 : 6;
    const out = new Uint8Array(head + blocks * 5 + raw.byteLength + SYNC_MARKER.byteLength);
    if (!this.#started) out.set(zlibHeader(), 0);
    this.#started = true;
    let off = head;
    for (let i = 0; i < blocks; i++) {
      const part = raw.subarray(i * 0xffff, (i + 1) * 0xffff);
      out[off] = 0x00; // BFINAL 0, BTYPE 00 (stored)
      out[off + 1] = part.byteLength & 0xff;
      out[off + 2] = part.byteLength >>> 8;
      out[off + 3] = ~part.byteLength & 0xff;
      out[off + 4] = (~part.byteLength >>> 8) & 0xff;
      out.set(part, off + 5);
      off += 5 + part.byteLength;
    }
    out.set(SYNC_MARKER, off);
    return out;
  }
}

/** Decompresses one direction's header blocks, in order (one zlib context for all of them). */
export class HeaderDecompressor {
  readonly #inflate = zlib.createInflate({ dictionary: Buffer.from(SPDY3_DICTIONARY) });
  #chunks: Buffer[] = [];
  #error: Error | null = null;
  #queue: Promise<unknown> = Promise.resolve();

  constructor() {
    this.#inflate.on("data", (chunk: Buffer) => this.#chunks.push(chunk));
    this.#inflate.on("error", (err: Error) => this.#error = err);
  }

  /** The headers of the next frame's compressed block. Rejects on corrupt data. */
  decompress(block: Uint8Array): Promise<Record<string, string>> {
    const next = this.#queue.then(() =>
      new Promise<Record<string, string>>((resolve, reject) => {
        if (this.#error) return reject(this.#error);
        this.#inflate.write(block);
        this.#inflate.flush(zlib.constants.Z_SYNC_FLUSH, () => {
          if (this.#error) return reject(this.#error);
          const raw = Buffer.concat(this.#chunks);
          this.#chunks = [];
          try {
            resolve(decodeHeaderBlock(new Uint8Array(raw)));
          } catch (err) {
            reject(err);
          }
        });
      })
    );
    this.#queue = next.catch(() => {});
    return next;
  }

  /** Releases the zlib context. */
  close(): void {
    this.#inflate.close();
  }
}
