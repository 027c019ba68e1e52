/**
 * HTTP/2 framing (RFC 9113 §4 and §6) for {@linkcode ./_h2_connection.ts}: the numbers (frame
 * types, flags, settings, error codes), {@linkcode encodeFrame}, and {@linkcode FrameReader},
 * which cuts a byte stream into frames.
 *
 * @module
 */

/** The client connection preface (RFC 9113 §3.4). */
export const CLIENT_PREFACE: Uint8Array = new TextEncoder().encode(
  "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
);

/** Frame types (RFC 9113 §6). */
export const FrameType = {
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;

/** Frame flags; each is defined only for some frame types. */
export const FrameFlag = {
  /** DATA, HEADERS. */
  END_STREAM: 0x1,
  /** SETTINGS, PING. */
  ACK: 0x1,
  /** HEADERS, CONTINUATION. */
  END_HEADERS: 0x4,
  /** DATA, HEADERS. */
  PADDED: 0x8,
  /** HEADERS. */
  PRIORITY: 0x20,
} as const;

/** SETTINGS parameters (RFC 9113 §6.5.2). */
export const Setting = {
  HEADER_TABLE_SIZE: 0x1,
  ENABLE_PUSH: 0x2,
  MAX_CONCURRENT_STREAMS: 0x3,
  INITIAL_WINDOW_SIZE: 0x4,
  MAX_FRAME_SIZE: 0x5,
  MAX_HEADER_LIST_SIZE: 0x6,
} as const;

/** Error codes of RST_STREAM and GOAWAY (RFC 9113 §7). */
export const H2Error = {
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  SETTINGS_TIMEOUT: 0x4,
  STREAM_CLOSED: 0x5,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  COMPRESSION_ERROR: 0x9,
  CONNECT_ERROR: 0xa,
  ENHANCE_YOUR_CALM: 0xb,
  INADEQUATE_SECURITY: 0xc,
  HTTP_1_1_REQUIRED: 0xd,
} as const;

const ERROR_NAMES = new Map<number, string>(Object.entries(H2Error).map(([k, v]) => [v, k]));

/** The name of HTTP/2 error `code` (`0x8` is `"CANCEL"`), or its number in hex. */
export function h2ErrorName(code: number): string {
  return ERROR_NAMES.get(code) ?? `0x${code.toString(16)}`;
}

/** The frame size every endpoint must accept, and the largest SETTINGS_MAX_FRAME_SIZE. */
export const DEFAULT_MAX_FRAME_BYTES = 16_384;
export const LARGEST_MAX_FRAME_BYTES = 16_777_215;
/** The initial flow-control window of connections and streams (RFC 9113 §6.9.2). */
export const DEFAULT_WINDOW_BYTES = 65_535;
/** The largest flow-control window. */
export const MAX_WINDOW_BYTES = 2 ** 31 - 1;

const HEADER_BYTES = 9;

/** One frame: type, flags, stream, payload (a view valid only until the reader's next push). */
export interface Frame {
  readonly type: number;
  readonly flags: number;
  readonly streamId: number;
  readonly payload: Uint8Array;
}

/** A connection error (RFC 9113 §5.4.1): the connection ends with a GOAWAY carrying `code`. */
export class H2ConnectionError extends Error {
  readonly code: number;

  constructor(code: number, message: string) {
    super(message);
    this.name = "H2ConnectionError";
    this.code = code;
  }
}

/** One frame's octets: the 9-octet header, then `payload`. */
export function encodeFrame(
  header: { readonly type: number; readonly flags?: number; readonly streamId: number },
  payload: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + payload.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, payload.length << 8);
  out[3] = header.type;
  out[4] = header.flags ?? 0;
  view.setUint32(5, header.streamId & 0x7fffffff);
  out.set(payload, HEADER_BYTES);
  return out;
}

/** A SETTINGS payload from `[id, value]` pairs. */
export function settingsPayload(settings: readonly (readonly [number, number])[]): Uint8Array {
  const out = new Uint8Array(settings.length * 6);
  const view = new DataView(out.buffer);
  settings.forEach(([id, value], i) => {
    view.setUint16(i * 6, id);
    view.setUint32(i * 6 + 2, value);
  });
  return out;
}

/** The `[id, value]` pairs of a SETTINGS payload; a FRAME_SIZE_ERROR unless a multiple of 6. */
export function parseSettings(payload: Uint8Array): [number, number][] {
  if (payload.length % 6 !== 0) {
    throw new H2ConnectionError(
      H2Error.FRAME_SIZE_ERROR,
      `SETTINGS frame of ${payload.length} octets`,
    );
  }
  const view = new DataView(payload.buffer, payload.byteOffset, payload.length);
  const out: [number, number][] = [];
  for (let at = 0; at < payload.length; at += 6) {
    out.push([view.getUint16(at), view.getUint32(at + 2)]);
  }
  return out;
}

/** A 4-octet payload: a 31-bit window increment, or an RST_STREAM error code. */
export function uint32Payload(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value);
  return out;
}

/** The GOAWAY in a GOAWAY frame's payload; a FRAME_SIZE_ERROR when shorter than 8 octets. */
export function parseGoaway(payload: Uint8Array): Required<Goaway> {
  if (payload.length < 8) {
    throw new H2ConnectionError(
      H2Error.FRAME_SIZE_ERROR,
      `GOAWAY frame of ${payload.length} octets`,
    );
  }
  return {
    lastStreamId: readUint32(payload) & 0x7fffffff,
    code: readUint32(payload, 4),
    debug: new TextDecoder().decode(payload.subarray(8)),
  };
}

/** The first 4 octets of `payload` as an unsigned integer. */
export function readUint32(payload: Uint8Array, at = 0): number {
  return new DataView(payload.buffer, payload.byteOffset, payload.length).getUint32(at);
}

/** What a GOAWAY frame says. */
export interface Goaway {
  /** The highest stream the sender processed or may still process. */
  readonly lastStreamId: number;
  /** An {@linkcode H2Error} code. */
  readonly code: number;
  /** Debug data, as text. */
  readonly debug?: string;
}

/** A GOAWAY payload. */
export function goawayPayload(goaway: Goaway): Uint8Array {
  const text = new TextEncoder().encode(goaway.debug ?? "");
  const out = new Uint8Array(8 + text.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, goaway.lastStreamId & 0x7fffffff);
  view.setUint32(4, goaway.code);
  out.set(text, 8);
  return out;
}

/**
 * The content of a DATA or HEADERS payload without its padding (and, for HEADERS with the
 * PRIORITY flag, without the priority fields); a PROTOCOL_ERROR when the padding does not fit.
 */
export function unpadded(frame: Frame): Uint8Array {
  let start = 0;
  let end = frame.payload.length;
  if (frame.flags & FrameFlag.PADDED) {
    if (end < 1) throw new H2ConnectionError(H2Error.FRAME_SIZE_ERROR, "padded frame too short");
    end -= frame.payload[0]!;
    start = 1;
  }
  if (frame.type === FrameType.HEADERS && frame.flags & FrameFlag.PRIORITY) start += 5;
  if (end < start) {
    throw new H2ConnectionError(H2Error.PROTOCOL_ERROR, "padding longer than the frame");
  }
  return frame.payload.subarray(start, end);
}

/**
 * Cuts received octets into frames. {@linkcode FrameReader.push} takes each chunk as read and
 * returns the frames it completed; payloads are views into the reader's buffer, valid until the
 * next push. A frame larger than `maxFrameBytes` is a FRAME_SIZE_ERROR.
 */
export class FrameReader {
  readonly #maxFrameBytes: number;
  #buffer = new Uint8Array(HEADER_BYTES + DEFAULT_MAX_FRAME_BYTES);
  #start = 0;
  #end = 0;

  constructor(maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES) {
    this.#maxFrameBytes = maxFrameBytes;
  }

  /** Adds `chunk` and returns every frame now complete, in order. */
  push(chunk: Uint8Array): Frame[] {
    this.#append(chunk);
    const frames: Frame[] = [];
    const view = new DataView(this.#buffer.buffer);
    while (this.#end - this.#start >= HEADER_BYTES) {
      const length = view.getUint32(this.#start) >>> 8;
      if (length > this.#maxFrameBytes) {
        throw new H2ConnectionError(
          H2Error.FRAME_SIZE_ERROR,
          `frame of ${length} octets, larger than ${this.#maxFrameBytes}`,
        );
      }
      if (this.#end - this.#start < HEADER_BYTES + length) break;
      const at = this.#start;
      frames.push({
        type: this.#buffer[at + 3]!,
        flags: this.#buffer[at + 4]!,
        streamId: view.getUint32(at + 5) & 0x7fffffff,
        payload: this.#buffer.subarray(at + HEADER_BYTES, at + HEADER_BYTES + length),
      });
      this.#start += HEADER_BYTES + length;
    }
    return frames;
  }

  #append(chunk: Uint8Array): void {
    if (this.#start === this.#end) {
      this.#start = 0;
      this.#end = 0;
    }
    if (this.#end + chunk.length > this.#buffer.length) {
      const pending = this.#end - this.#start;
      const needed = pending + chunk.length;
      if (needed <= this.#buffer.length && this.#start > 0) {
        this.#buffer.copyWithin(0, this.#start, this.#end);
      } else {
        const grown = new Uint8Array(Math.max(needed, this.#buffer.length * 2));
        grown.set(this.#buffer.subarray(this.#start, this.#end));
        this.#buffer = grown;
      }
      this.#start = 0;
      this.#end = pending;
    }
    this.#buffer.set(chunk, this.#end);
    this.#end += chunk.length;
  }
}
