/**
 * SPDY/3.1 frames (draft-mbelshe-httpbis-spdy-00, with 3.1's session flow control): their
 * encoding and an incremental parser. Control frames carry version 3 and a type; data frames
 * a stream id. Header blocks travel compressed: this layer encodes and decodes the frame
 * around them and leaves (de)compression to the session (`header_block.ts`).
 *
 * @module
 */
import { concatBytes } from "../bytes.ts";

/** Control frame types. */
export const SpdyFrameType = {
  SynStream: 1,
  SynReply: 2,
  RstStream: 3,
  Settings: 4,
  Ping: 6,
  GoAway: 7,
  Headers: 8,
  WindowUpdate: 9,
} as const;

/** FLAG_FIN on data frames, SYN_STREAM, SYN_REPLY and HEADERS. */
export const SPDY_FLAG_FIN = 0x01;
/** FLAG_UNIDIRECTIONAL on SYN_STREAM. */
export const SPDY_FLAG_UNIDIRECTIONAL = 0x02;

/** RST_STREAM status codes. */
export const SpdyRstStatus = {
  ProtocolError: 1,
  InvalidStream: 2,
  RefusedStream: 3,
  UnsupportedVersion: 4,
  Cancel: 5,
  InternalError: 6,
  FlowControlError: 7,
  StreamInUse: 8,
  StreamAlreadyClosed: 9,
  FrameTooLarge: 11,
} as const;

/** SETTINGS ids. */
export const SpdySettingId = {
  MaxConcurrentStreams: 4,
  InitialWindowSize: 7,
} as const;

/** One SETTINGS entry. */
export interface SpdySetting {
  readonly id: number;
  readonly flags: number;
  readonly value: number;
}

/** A decoded frame; header blocks still compressed. */
export type SpdyFrame =
  | {
    readonly type: "data";
    readonly streamId: number;
    readonly flags: number;
    readonly data: Uint8Array;
  }
  | {
    readonly type: "syn_stream";
    readonly streamId: number;
    readonly associatedStreamId: number;
    readonly priority: number;
    readonly flags: number;
    readonly headerBlock: Uint8Array;
  }
  | {
    readonly type: "syn_reply" | "headers";
    readonly streamId: number;
    readonly flags: number;
    readonly headerBlock: Uint8Array;
  }
  | { readonly type: "rst_stream"; readonly streamId: number; readonly status: number }
  | { readonly type: "settings"; readonly flags: number; readonly settings: readonly SpdySetting[] }
  | { readonly type: "ping"; readonly id: number }
  | { readonly type: "goaway"; readonly lastGoodStreamId: number; readonly status: number }
  | { readonly type: "window_update"; readonly streamId: number; readonly delta: number }
  | { readonly type: "unknown"; readonly frameType: number; readonly flags: number };

/** The peer broke the framing; the session ends with GOAWAY PROTOCOL_ERROR. */
export class SpdyProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SpdyProtocolError";
  }
}

/** The largest frame payload accepted (the length field allows 16 MiB). */
const MAX_FRAME_BYTES = 0xffffff;

function controlFrame(type: number, flags: number, payload: Uint8Array): Uint8Array {
  if (payload.byteLength > MAX_FRAME_BYTES) {
    throw new RangeError(`Cannot encode a SPDY frame of ${payload.byteLength} bytes`);
  }
  const out = new Uint8Array(8 + payload.byteLength);
  const view = new DataView(out.buffer);
  view.setUint16(0, 0x8000 | 3);
  view.setUint16(2, type);
  view.setUint32(4, (flags << 24) | payload.byteLength);
  out.set(payload, 8);
  return out;
}

function u32s(...values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setUint32(i * 4, v >>> 0));
  return out;
}

/** A data frame. */
export function encodeDataFrame(
  streamId: number,
  options: { readonly data: Uint8Array; readonly fin?: boolean },
): Uint8Array {
  const { data } = options;
  if (data.byteLength > MAX_FRAME_BYTES) {
    throw new RangeError(`Cannot encode a SPDY data frame of ${data.byteLength} bytes`);
  }
  const out = new Uint8Array(8 + data.byteLength);
  const view = new DataView(out.buffer);
  view.setUint32(0, streamId & 0x7fffffff);
  view.setUint32(4, ((options.fin ? SPDY_FLAG_FIN : 0) << 24) | data.byteLength);
  out.set(data, 8);
  return out;
}

/** Frames that carry no header block, to encode. */
export type SpdySimpleFrame =
  | { readonly type: "rst_stream"; readonly streamId: number; readonly status: number }
  | {
    readonly type: "settings";
    readonly flags?: number;
    readonly settings: readonly SpdySetting[];
  }
  | { readonly type: "ping"; readonly id: number }
  | { readonly type: "goaway"; readonly lastGoodStreamId: number; readonly status: number }
  | { readonly type: "window_update"; readonly streamId: number; readonly delta: number };

/** A control frame without a header block. */
export function encodeControlFrame(frame: SpdySimpleFrame): Uint8Array {
  switch (frame.type) {
    case "rst_stream":
      return controlFrame(
        SpdyFrameType.RstStream,
        0,
        u32s(frame.streamId & 0x7fffffff, frame.status),
      );
    case "settings": {
      const values = [frame.settings.length];
      for (const s of frame.settings) {
        values.push(((s.flags & 0xff) << 24) | (s.id & 0xffffff), s.value);
      }
      return controlFrame(SpdyFrameType.Settings, frame.flags ?? 0, u32s(...values));
    }
    case "ping":
      return controlFrame(SpdyFrameType.Ping, 0, u32s(frame.id));
    case "goaway":
      return controlFrame(
        SpdyFrameType.GoAway,
        0,
        u32s(frame.lastGoodStreamId & 0x7fffffff, frame.status),
      );
    case "window_update":
      return controlFrame(
        SpdyFrameType.WindowUpdate,
        0,
        u32s(frame.streamId & 0x7fffffff, frame.delta & 0x7fffffff),
      );
  }
}

/** Options of {@linkcode encodeHeadersFrame}. */
export interface HeadersFrameOptions {
  readonly type: "syn_stream" | "syn_reply" | "headers";
  readonly streamId: number;
  /** The compressed header block. */
  readonly headerBlock: Uint8Array;
  readonly flags?: number;
  /** SYN_STREAM only. @default {0} */
  readonly associatedStreamId?: number;
  /** SYN_STREAM only, 0 (highest) to 7. @default {0} */
  readonly priority?: number;
}

/** A SYN_STREAM, SYN_REPLY or HEADERS frame around a compressed header block. */
export function encodeHeadersFrame(options: HeadersFrameOptions): Uint8Array {
  const { headerBlock } = options;
  const fixed = options.type === "syn_stream" ? 10 : 4;
  const payload = new Uint8Array(fixed + headerBlock.byteLength);
  const view = new DataView(payload.buffer);
  view.setUint32(0, options.streamId & 0x7fffffff);
  if (options.type === "syn_stream") {
    view.setUint32(4, (options.associatedStreamId ?? 0) & 0x7fffffff);
    payload[8] = ((options.priority ?? 0) & 0x7) << 5;
    payload[9] = 0; // slot
  }
  payload.set(headerBlock, fixed);
  const type = options.type === "syn_stream"
    ? SpdyFrameType.SynStream
    : options.type === "syn_reply"
    ? SpdyFrameType.SynReply
    : SpdyFrameType.Headers;
  return controlFrame(type, options.flags ?? 0, payload);
}

function decodeControl(type: number, flags: number, p: Uint8Array): SpdyFrame {
  const view = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const need = (n: number) => {
    if (p.byteLength < n) throw new SpdyProtocolError(`Control frame ${type} is too short`);
  };
  switch (type) {
    case SpdyFrameType.SynStream:
      need(10);
      return {
        type: "syn_stream",
        streamId: view.getUint32(0) & 0x7fffffff,
        associatedStreamId: view.getUint32(4) & 0x7fffffff,
        priority: p[8]! >> 5,
        flags,
        headerBlock: p.subarray(10),
      };
    case SpdyFrameType.SynReply:
    case SpdyFrameType.Headers:
      need(4);
      return {
        type: type === SpdyFrameType.SynReply ? "syn_reply" : "headers",
        streamId: view.getUint32(0) & 0x7fffffff,
        flags,
        headerBlock: p.subarray(4),
      };
    case SpdyFrameType.RstStream:
      need(8);
      return {
        type: "rst_stream",
        streamId: view.getUint32(0) & 0x7fffffff,
        status: view.getUint32(4),
      };
    case SpdyFrameType.Settings: {
      need(4);
      const n = view.getUint32(0);
      need(4 + n * 8);
      const settings: SpdySetting[] = [];
      for (let i = 0; i < n; i++) {
        const idWord = view.getUint32(4 + i * 8);
        settings.push({
          flags: idWord >>> 24,
          id: idWord & 0xffffff,
          value: view.getUint32(8 + i * 8),
        });
      }
      return { type: "settings", flags, settings };
    }
    case SpdyFrameType.Ping:
      need(4);
      return { type: "ping", id: view.getUint32(0) };
    case SpdyFrameType.GoAway:
      need(8);
      return {
        type: "goaway",
        lastGoodStreamId: view.getUint32(0) & 0x7fffffff,
        status: view.getUint32(4),
      };
    case SpdyFrameType.WindowUpdate:
      need(8);
      return {
        type: "window_update",
        streamId: view.getUint32(0) & 0x7fffffff,
        delta: view.getUint32(4) & 0x7fffffff,
      };
    default:
      return { type: "unknown", frameType: type, flags };
  }
}

/** Turns bytes, as they arrive, into frames. */
export class SpdyFrameParser {
  #chunks: Uint8Array[] = [];
  #size = 0;
  #need = 8;

  /** Adds `chunk`; returns the frames now complete. Throws {@linkcode SpdyProtocolError}. */
  push(chunk: Uint8Array): SpdyFrame[] {
    this.#chunks.push(chunk);
    this.#size += chunk.byteLength;
    if (this.#size < this.#need) return [];
    const buf = concatBytes(this.#chunks, this.#size);
    const frames: SpdyFrame[] = [];
    let off = 0;
    for (;;) {
      if (buf.byteLength - off < 8) {
        this.#need = 8;
        break;
      }
      const view = new DataView(buf.buffer, buf.byteOffset + off, 8);
      const w0 = view.getUint32(0);
      const w1 = view.getUint32(4);
      const flags = w1 >>> 24;
      const length = w1 & 0xffffff;
      if (buf.byteLength - off < 8 + length) {
        this.#need = 8 + length;
        break;
      }
      // Copied out: the frame may outlive this buffer (queued behind a header block).
      const payload = buf.slice(off + 8, off + 8 + length);
      off += 8 + length;
      if (w0 & 0x80000000) {
        const version = (w0 >>> 16) & 0x7fff;
        if (version !== 3) throw new SpdyProtocolError(`Unsupported SPDY version ${version}`);
        frames.push(decodeControl(w0 & 0xffff, flags, payload));
      } else {
        frames.push({ type: "data", streamId: w0 & 0x7fffffff, flags, data: payload });
      }
    }
    const rest = buf.byteLength - off;
    this.#chunks = rest === 0 ? [] : [buf.slice(off)];
    this.#size = rest;
    if (rest < 8) this.#need = 8;
    return frames;
  }
}
