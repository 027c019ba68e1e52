/**
 * A WebSocket on a raw socket after the opening handshake (RFC 6455): messages in and out
 * (fragmented ones reassembled), pings answered with pongs, and the closing handshake — a
 * close frame is echoed, then the server ends the TCP connection. A client masks every frame
 * it sends; each side refuses frames masked the wrong way (close 1002), and messages above the
 * size limit (close 1009). A socket closing without a close frame ends it with 1006.
 *
 * @example Echo binary messages as a server, after writing the 101
 * ```ts ignore
 * const ws = new WebSocketConnection(socket, {
 *   role: "server",
 *   buffered,
 *   onMessage: (data) => { if (typeof data !== "string") ws.send(data); },
 * });
 * ```
 *
 * @module
 */
import { randomFillSync } from "node:crypto";
import { type Clock, systemClock, type TimerHandle } from "../clock.ts";
import {
  encodeWebSocketFrame,
  WebSocketFrameParser,
  WebSocketOpcode,
  WebSocketProtocolError,
} from "./frame.ts";

/** The socket side a WebSocket needs (a `node:net`/`node:tls` socket). */
export interface WebSocketSocket {
  write(data: Uint8Array): boolean;
  end(): void;
  destroy(): void;
  on(event: "data", fn: (chunk: Uint8Array) => void): unknown;
  on(event: "end" | "close" | "drain", fn: () => void): unknown;
  on(event: "error", fn: (err: Error) => void): unknown;
  pause?(): unknown;
  resume?(): unknown;
  readonly writableLength?: number;
}

/** How a WebSocket ended. */
export interface WebSocketClose {
  /** The close code received (1005 when the frame had none; 1006 when there was no frame). */
  readonly code: number;
  readonly reason: string;
}

/** Options of {@linkcode WebSocketConnection}. */
export interface WebSocketConnectionOptions {
  /** A client masks what it sends and expects unmasked frames; a server the other way. */
  readonly role: "client" | "server";
  /** Bytes already read after the handshake (the first frames). */
  readonly buffered?: Uint8Array;
  /** A whole message: binary as bytes, text as a string. */
  readonly onMessage?: (data: Uint8Array | string) => void;
  /** The connection ended (after the closing handshake, or the socket went away). */
  readonly onClose?: (close: WebSocketClose) => void;
  /** Largest message accepted. @default {16 MiB} */
  readonly maxMessageBytes?: number;
  /** Ends the TCP connection this long after sending a close the peer does not answer. */
  readonly closeTimeoutMs?: number;
  /** @default {systemClock} */
  readonly clock?: Clock;
}

type State = "open" | "closing" | "closed";

/** A WebSocket over a socket whose handshake is done. */
export class WebSocketConnection {
  readonly #socket: WebSocketSocket;
  readonly #o: WebSocketConnectionOptions;
  readonly #parser: WebSocketFrameParser;
  readonly #max: number;
  #state: State = "open";
  #sentClose = false;
  #fragments: Uint8Array[] = [];
  #fragmentBytes = 0;
  #fragmentOpcode = 0;
  #closeTimer: TimerHandle | undefined;
  readonly #closed = Promise.withResolvers<WebSocketClose>();
  #closeInfo: WebSocketClose = { code: 1006, reason: "" };

  constructor(socket: WebSocketSocket, options: WebSocketConnectionOptions) {
    this.#socket = socket;
    this.#o = options;
    this.#max = options.maxMessageBytes ?? 16 * 1024 * 1024;
    this.#parser = new WebSocketFrameParser({
      expectMasked: options.role === "server",
      maxPayloadBytes: this.#max,
    });
    socket.on("data", (chunk) => this.#onData(chunk));
    socket.on("error", () => {
      // "close" follows.
    });
    socket.on("close", () => this.#finish());
    socket.on("end", () => {
      if (this.#state !== "closed") socket.end();
    });
    if (options.buffered && options.buffered.byteLength > 0) {
      const head = options.buffered;
      queueMicrotask(() => this.#onData(head));
    }
    socket.resume?.();
  }

  /** Resolves once the connection ended, with how. */
  get closed(): Promise<WebSocketClose> {
    return this.#closed.promise;
  }

  /** Whether messages can still be sent. */
  get open(): boolean {
    return this.#state === "open";
  }

  /** Bytes the socket has yet to send (a slow peer). */
  get bufferedAmount(): number {
    return this.#socket.writableLength ?? 0;
  }

  /** Sends a message: bytes as binary, a string as text. Returns false once closing. */
  send(data: Uint8Array | string): boolean {
    if (this.#state !== "open") return false;
    const text = typeof data === "string";
    const payload = text ? new TextEncoder().encode(data) : data;
    return this.#write(text ? WebSocketOpcode.Text : WebSocketOpcode.Binary, payload);
  }

  /** Sends a ping. */
  ping(data: Uint8Array = new Uint8Array(0)): void {
    if (this.#state === "open") this.#write(WebSocketOpcode.Ping, data);
  }

  /**
   * Starts the closing handshake. The server ends the TCP connection when the peer answers
   * (or after `closeTimeoutMs`, default 5 s).
   */
  close(code = 1000, reason = ""): void {
    if (this.#sentClose || this.#state === "closed") return;
    this.#sendClose(code, reason);
    this.#state = "closing";
    this.#closeTimer = this.#timer(this.#o.closeTimeoutMs ?? 5000);
  }

  /** Drops the connection without a closing handshake. */
  destroy(): void {
    this.#socket.destroy();
  }

  #write(opcode: number, payload: Uint8Array, fin = true): boolean {
    const mask = this.#o.role === "client" ? randomFillSync(new Uint8Array(4)) : undefined;
    return this.#socket.write(
      encodeWebSocketFrame({ opcode, payload, fin, ...(mask ? { mask } : {}) }),
    );
  }

  #sendClose(code: number, reason: string): void {
    this.#sentClose = true;
    const reasonBytes = new TextEncoder().encode(reason).subarray(0, 123);
    const payload = new Uint8Array(code === 1005 ? 0 : 2 + reasonBytes.byteLength);
    if (code !== 1005) {
      payload[0] = code >>> 8;
      payload[1] = code & 0xff;
      payload.set(reasonBytes, 2);
    }
    this.#write(WebSocketOpcode.Close, payload);
  }

  #onData(chunk: Uint8Array): void {
    if (this.#state === "closed") return;
    let frames;
    try {
      frames = this.#parser.push(chunk);
    } catch (err) {
      this.#fail(err instanceof WebSocketProtocolError ? err.code : 1002, String(err));
      return;
    }
    for (const frame of frames) {
      if (this.#isClosed()) return;
      this.#onFrame(frame.fin, frame.opcode, frame.payload);
    }
  }

  #onFrame(fin: boolean, opcode: number, payload: Uint8Array): void {
    switch (opcode) {
      case WebSocketOpcode.Ping:
        if (!this.#sentClose) this.#write(WebSocketOpcode.Pong, payload);
        return;
      case WebSocketOpcode.Pong:
        return;
      case WebSocketOpcode.Close:
        return this.#onCloseFrame(payload);
      case WebSocketOpcode.Text:
      case WebSocketOpcode.Binary:
        if (this.#fragmentOpcode !== 0) {
          return this.#fail(1002, "A new message inside a fragmented one");
        }
        if (fin) return this.#deliver(opcode, payload);
        this.#fragmentOpcode = opcode;
        this.#fragments = [payload];
        this.#fragmentBytes = payload.byteLength;
        return;
      case WebSocketOpcode.Continuation: {
        if (this.#fragmentOpcode === 0) return this.#fail(1002, "A continuation with no message");
        this.#fragments.push(payload);
        this.#fragmentBytes += payload.byteLength;
        if (this.#fragmentBytes > this.#max) return this.#fail(1009, "Message too big");
        if (!fin) return;
        const whole = new Uint8Array(this.#fragmentBytes);
        let off = 0;
        for (const p of this.#fragments) {
          whole.set(p, off);
          off += p.byteLength;
        }
        const kind = this.#fragmentOpcode;
        this.#fragments = [];
        this.#fragmentBytes = 0;
        this.#fragmentOpcode = 0;
        return this.#deliver(kind, whole);
      }
      default:
        return this.#fail(1002, `Unknown opcode ${opcode}`);
    }
  }

  #deliver(opcode: number, payload: Uint8Array): void {
    if (this.#state !== "open" && this.#sentClose) return;
    if (opcode === WebSocketOpcode.Text) {
      let text: string;
      try {
        text = new TextDecoder("utf-8", { fatal: true }).decode(payload);
      } catch {
        return this.#fail(1007, "A text message is not UTF-8");
      }
      this.#o.onMessage?.(text);
    } else {
      this.#o.onMessage?.(payload);
    }
  }

  #onCloseFrame(payload: Uint8Array): void {
    const code = payload.byteLength >= 2 ? (payload[0]! << 8) | payload[1]! : 1005;
    const reason = new TextDecoder().decode(payload.subarray(2));
    this.#closeInfo = { code, reason };
    if (!this.#sentClose) this.#sendClose(code === 1005 ? 1000 : code, "");
    this.#state = "closing";
    // The server closes the TCP connection first (RFC 6455 §7.1.1); a client waits for it.
    if (this.#o.role === "server") this.#socket.end();
    else this.#closeTimer ??= this.#timer(this.#o.closeTimeoutMs ?? 5000);
  }

  #fail(code: number, reason: string): void {
    if (!this.#sentClose) this.#sendClose(code, reason.slice(0, 100));
    this.#closeInfo = { code, reason };
    this.#state = "closing";
    this.#socket.end();
    this.#closeTimer ??= this.#timer(1000);
  }

  /** Drops the socket after `ms` unless it closed by then. */
  #timer(ms: number): TimerHandle {
    return (this.#o.clock ?? systemClock).setTimeout(() => this.#socket.destroy(), ms);
  }

  #isClosed(): boolean {
    return this.#state === "closed";
  }

  #finish(): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    this.#closeTimer?.cancel();
    this.#o.onClose?.(this.#closeInfo);
    this.#closed.resolve(this.#closeInfo);
  }
}
