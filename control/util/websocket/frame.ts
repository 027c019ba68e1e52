/**
 * WebSocket frames (RFC 6455 §5): encoding with or without a mask, and an incremental parser
 * that takes bytes as they arrive and yields whole frames, unmasked. Clients mask what they
 * send; servers must not, and each side refuses what the other must not send.
 *
 * @module
 */
import { concatBytes } from "../bytes.ts";

/** Frame opcodes (RFC 6455 §5.2). */
export const WebSocketOpcode = {
  Continuation: 0x0,
  Text: 0x1,
  Binary: 0x2,
  Close: 0x8,
  Ping: 0x9,
  Pong: 0xa,
} as const;

/** One of {@linkcode WebSocketOpcode}'s values. */
export type WebSocketOpcode = typeof WebSocketOpcode[keyof typeof WebSocketOpcode];

/** A decoded frame. */
export interface WebSocketFrame {
  readonly fin: boolean;
  readonly opcode: number;
  /** The payload, unmasked. */
  readonly payload: Uint8Array;
}

/** Options of {@linkcode encodeWebSocketFrame}. */
export interface EncodeWebSocketFrameOptions {
  readonly opcode: number;
  readonly payload: Uint8Array;
  /** @default {true} */
  readonly fin?: boolean;
  /** A 4-byte masking key (clients mask every frame); none for a server. */
  readonly mask?: Uint8Array;
}

/** The bytes of one frame. */
export function encodeWebSocketFrame(options: EncodeWebSocketFrameOptions): Uint8Array {
  const { payload, mask } = options;
  const n = payload.byteLength;
  const lengthBytes = n < 126 ? 0 : n < 0x10000 ? 2 : 8;
  const headLength = 2 + lengthBytes + (mask ? 4 : 0);
  const out = new Uint8Array(headLength + n);
  out[0] = (options.fin === false ? 0 : 0x80) | (options.opcode & 0x0f);
  const maskBit = mask ? 0x80 : 0;
  if (lengthBytes === 0) {
    out[1] = maskBit | n;
  } else if (lengthBytes === 2) {
    out[1] = maskBit | 126;
    out[2] = n >>> 8;
    out[3] = n & 0xff;
  } else {
    out[1] = maskBit | 127;
    const view = new DataView(out.buffer);
    view.setUint32(2, Math.floor(n / 0x1_0000_0000));
    view.setUint32(6, n >>> 0);
  }
  if (mask) {
    if (mask.byteLength !== 4) throw new RangeError("Cannot mask a frame: the key is not 4 bytes");
    out.set(mask, headLength - 4);
    for (let i = 0; i < n; i++) out[headLength + i] = payload[i]! ^ mask[i & 3]!;
  } else {
    out.set(payload, headLength);
  }
  return out;
}

/** A protocol violation by the peer, with the close code it calls for. */
export class WebSocketProtocolError extends Error {
  /** 1002 protocol error, 1009 message too big. */
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.name = "WebSocketProtocolError";
    this.code = code;
  }
}

/** Options of {@linkcode WebSocketFrameParser}. */
export interface WebSocketFrameParserOptions {
  /** Whether frames must be masked (a server reading a client) or must not be (a client). */
  readonly expectMasked: boolean;
  /** Largest payload accepted. @default {16 MiB} */
  readonly maxPayloadBytes?: number;
}

/** Turns bytes, as they arrive, into frames. */
export class WebSocketFrameParser {
  readonly #expectMasked: boolean;
  readonly #max: number;
  #chunks: Uint8Array[] = [];
  #size = 0;
  /** Bytes the frame at the front needs in all (0: unknown until more of its head is read). */
  #need = 0;

  constructor(options: WebSocketFrameParserOptions) {
    this.#expectMasked = options.expectMasked;
    this.#max = options.maxPayloadBytes ?? 16 * 1024 * 1024;
  }

  /**
   * Adds `chunk` and returns the frames now complete. Throws
   * {@linkcode WebSocketProtocolError} on a malformed frame.
   */
  push(chunk: Uint8Array): WebSocketFrame[] {
    this.#chunks.push(chunk);
    this.#size += chunk.byteLength;
    // A large frame arrives in many chunks: join them once it is all there.
    if (this.#size < this.#need) return [];
    const buf = concatBytes(this.#chunks, this.#size);
    const frames: WebSocketFrame[] = [];
    let off = 0;
    this.#need = 0;
    for (;;) {
      if (buf.byteLength - off < 2) break;
      const b0 = buf[off]!;
      const b1 = buf[off + 1]!;
      if (b0 & 0x70) throw new WebSocketProtocolError(1002, "Reserved bits set in a frame");
      const opcode = b0 & 0x0f;
      const masked = (b1 & 0x80) !== 0;
      if (masked !== this.#expectMasked) {
        throw new WebSocketProtocolError(
          1002,
          masked ? "A server frame is masked" : "A client frame is not masked",
        );
      }
      let len = b1 & 0x7f;
      let pos = off + 2;
      if (len === 126) {
        if (buf.byteLength - pos < 2) break;
        len = (buf[pos]! << 8) | buf[pos + 1]!;
        pos += 2;
      } else if (len === 127) {
        if (buf.byteLength - pos < 8) break;
        const view = new DataView(buf.buffer, buf.byteOffset + pos, 8);
        const high = view.getUint32(0);
        if (high > 0x1fffff) throw new WebSocketProtocolError(1009, "Frame too large");
        len = high * 0x1_0000_0000 + view.getUint32(4);
        pos += 8;
      }
      if (opcode >= 0x8 && (len > 125 || (b0 & 0x80) === 0)) {
        throw new WebSocketProtocolError(1002, "A control frame is fragmented or too long");
      }
      if (len > this.#max) {
        throw new WebSocketProtocolError(1009, `Frame of ${len} bytes exceeds ${this.#max}`);
      }
      const maskAt = pos;
      if (masked) pos += 4;
      if (buf.byteLength - pos < len) {
        this.#need = pos + len - off;
        break;
      }
      const payload = new Uint8Array(len);
      if (masked) {
        for (let i = 0; i < len; i++) payload[i] = buf[pos + i]! ^ buf[maskAt + (i & 3)]!;
      } else {
        payload.set(buf.subarray(pos, pos + len));
      }
      frames.push({ fin: (b0 & 0x80) !== 0, opcode, payload });
      off = pos + len;
    }
    const rest = buf.byteLength - off;
    this.#chunks = rest === 0 ? [] : [buf.slice(off)];
    this.#size = rest;
    return frames;
  }
}
