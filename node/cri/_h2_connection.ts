/**
 * {@linkcode H2ClientConnection}: the client side of one HTTP/2 connection over cleartext with
 * prior knowledge (h2c, RFC 9113 §3.3), as gRPC uses it on a unix socket or TCP: the preface and
 * SETTINGS exchange, streams carrying one request each, flow control both ways (the peer's
 * windows bound what is sent; WINDOW_UPDATEs give back what was read), PING answers, GOAWAY
 * (streams the peer did not take are reported as refused, so they can be sent again elsewhere),
 * RST_STREAM, and connection errors answered with a GOAWAY. It knows nothing of gRPC.
 *
 * @module
 */
import {
  CLIENT_PREFACE,
  DEFAULT_MAX_FRAME_BYTES,
  DEFAULT_WINDOW_BYTES,
  encodeFrame,
  type Frame,
  FrameFlag,
  FrameReader,
  FrameType,
  type Goaway,
  goawayPayload,
  H2ConnectionError,
  H2Error,
  h2ErrorName,
  LARGEST_MAX_FRAME_BYTES,
  MAX_WINDOW_BYTES,
  parseGoaway,
  parseSettings,
  readUint32,
  Setting,
  settingsPayload,
  uint32Payload,
  unpadded,
} from "./_h2_frames.ts";
import { type HeaderField, HpackDecoder, HpackEncoder, HpackError } from "./_hpack.ts";

/** Why a stream ended without its response. */
export type H2StreamFailure =
  /** The peer reset the stream with `code` (RST_STREAM). */
  | { readonly kind: "reset"; readonly code: number; readonly message: string }
  /** The peer did not process the stream (GOAWAY, REFUSED_STREAM): it may be sent again. */
  | { readonly kind: "refused"; readonly message: string }
  /**
   * The connection ended: closed, broken, or a protocol error (`code`, the GOAWAY's error code
   * when the peer sent one or ours when we did).
   */
  | { readonly kind: "connection"; readonly code?: number; readonly message: string };

/** What a stream reports; each method runs synchronously inside the connection's read loop. */
export interface H2StreamListener {
  /** A complete header block: the response headers, or trailers when `endStream`. */
  onHeaders(fields: HeaderField[], endStream: boolean): void;
  /** Response body octets: a view valid only during the call. */
  onData(chunk: Uint8Array, endStream: boolean): void;
  /** The stream ended without a response; nothing more is reported for it. */
  onFailure(failure: H2StreamFailure): void;
}

/** A request stream. */
export interface H2Stream {
  /** Resets the stream (RST_STREAM with `code`, CANCEL by default); nothing more is reported. */
  cancel(code?: number): void;
}

/** Options of {@linkcode H2ClientConnection}. */
export interface H2ConnectionOptions {
  /**
   * The receive window of the connection and of each stream, in octets: how much the peer may
   * send ahead of what was read.
   * @default {1048576}
   */
  readonly windowBytes?: number;
  /** Largest header block accepted, in octets. @default {1048576} */
  readonly maxHeaderBlockBytes?: number;
}

/** How a connection ended. */
export interface H2Closed {
  readonly message: string;
  /** The HTTP/2 error code, for protocol errors and a peer's GOAWAY. */
  readonly code?: number;
}

interface StreamState {
  id: number;
  readonly listener: H2StreamListener;
  readonly fields: readonly HeaderField[];
  /** Request octets not sent yet (flow control), and whether they end the stream. */
  pending: Uint8Array;
  sendWindow: number;
  /** Octets read since the last stream WINDOW_UPDATE. */
  unacknowledged: number;
  localClosed: boolean;
  remoteClosed: boolean;
  done: boolean;
}

const DEFAULT_WINDOW = 1 << 20;
const READ_BUFFER_BYTES = 64 * 1024;

/** The client side of one HTTP/2 connection on `conn` (see the module doc). */
export class H2ClientConnection {
  /** Resolves when the peer's first SETTINGS arrived; rejects if the connection ends first. */
  readonly ready: Promise<void>;
  /** Resolves once, when the connection has ended. */
  readonly closed: Promise<H2Closed>;
  readonly #conn: Deno.Conn;
  readonly #windowBytes: number;
  readonly #maxHeaderBlockBytes: number;
  readonly #reader = new FrameReader();
  readonly #decoder = new HpackDecoder();
  readonly #encoder = new HpackEncoder();
  readonly #streams = new Map<number, StreamState>();
  /** Streams waiting for a concurrency slot, then those waiting for send window. */
  readonly #queued: StreamState[] = [];
  readonly #blocked = new Set<StreamState>();
  #resolveReady!: () => void;
  #rejectReady!: (err: Error) => void;
  #resolveClosed!: (closed: H2Closed) => void;
  #nextStreamId = 1;
  #peerMaxStreams = Infinity;
  #peerInitialWindow = DEFAULT_WINDOW_BYTES;
  #peerMaxFrame = DEFAULT_MAX_FRAME_BYTES;
  #sendWindow = DEFAULT_WINDOW_BYTES;
  #recvWindow = DEFAULT_WINDOW_BYTES;
  #recvUnacknowledged = 0;
  #gotSettings = false;
  #goaway: Goaway | undefined;
  /** A header block spread over CONTINUATION frames. */
  #continuation:
    | { streamId: number; endStream: boolean; parts: Uint8Array[]; bytes: number }
    | undefined;
  #out: Uint8Array[] = [];
  /** The write loop while it runs. */
  #flushing: Promise<void> | undefined;
  #ended = false;
  #referenced = true;

  constructor(conn: Deno.Conn, options: H2ConnectionOptions = {}) {
    this.#conn = conn;
    this.#windowBytes = Math.min(options.windowBytes ?? DEFAULT_WINDOW, MAX_WINDOW_BYTES);
    this.#maxHeaderBlockBytes = options.maxHeaderBlockBytes ?? DEFAULT_WINDOW;
    this.ready = new Promise((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    this.ready.catch(() => {});
    this.closed = new Promise((resolve) => this.#resolveClosed = resolve);
    this.#write(CLIENT_PREFACE);
    this.#write(encodeFrame(
      { type: FrameType.SETTINGS, streamId: 0 },
      settingsPayload([
        [Setting.ENABLE_PUSH, 0],
        [Setting.INITIAL_WINDOW_SIZE, this.#windowBytes],
      ]),
    ));
    if (this.#windowBytes > DEFAULT_WINDOW_BYTES) {
      this.#write(encodeFrame(
        { type: FrameType.WINDOW_UPDATE, streamId: 0 },
        uint32Payload(this.#windowBytes - DEFAULT_WINDOW_BYTES),
      ));
      this.#recvWindow = this.#windowBytes;
    }
    this.#setReferenced(false);
    void this.#readLoop();
  }

  /** Whether a new stream may be opened: not ended, no GOAWAY, stream ids left. */
  get acceptsStreams(): boolean {
    return !this.#ended && this.#goaway === undefined && this.#nextStreamId <= 0x7fffffff;
  }

  /** Streams open or waiting to be. */
  get activeStreams(): number {
    return this.#streams.size + this.#queued.length;
  }

  /**
   * Opens a stream sending `fields` as the request headers and `body` as its data, ending the
   * request. Throws a TypeError when {@linkcode H2ClientConnection.acceptsStreams} is false.
   */
  open(
    request: { readonly fields: readonly HeaderField[]; readonly body: Uint8Array },
    listener: H2StreamListener,
  ): H2Stream {
    if (!this.acceptsStreams) throw new TypeError("Cannot open a stream on a closing connection");
    const state: StreamState = {
      id: 0,
      listener,
      fields: request.fields,
      pending: request.body,
      sendWindow: 0,
      unacknowledged: 0,
      localClosed: false,
      remoteClosed: false,
      done: false,
    };
    this.#queued.push(state);
    this.#setReferenced(true);
    this.#startQueued();
    return { cancel: (code = H2Error.CANCEL) => this.#cancel(state, code) };
  }

  /** Closes the connection at once; open streams fail as "connection" failures. Idempotent. */
  close(message = "the connection was closed by the client"): void {
    this.#end({ message });
  }

  // ---- Streams -------------------------------------------------------------------------------

  #startQueued(): void {
    while (this.#queued.length > 0 && this.#streams.size < this.#peerMaxStreams) {
      if (!this.acceptsStreams) return;
      const state = this.#queued.shift()!;
      state.id = this.#nextStreamId;
      this.#nextStreamId += 2;
      state.sendWindow = this.#peerInitialWindow;
      this.#streams.set(state.id, state);
      this.#writeHeaders(state);
      this.#pump(state);
    }
  }

  #writeHeaders(state: StreamState): void {
    const block = this.#encoder.encode(state.fields);
    const endStream = state.pending.length === 0 ? FrameFlag.END_STREAM : 0;
    if (endStream) state.localClosed = true;
    let at = 0;
    let type: number = FrameType.HEADERS;
    do {
      const part = block.subarray(at, at + this.#peerMaxFrame);
      at += part.length;
      const last = at >= block.length;
      const flags = (type === FrameType.HEADERS ? endStream : 0) |
        (last ? FrameFlag.END_HEADERS : 0);
      this.#write(encodeFrame({ type, flags, streamId: state.id }, part));
      type = FrameType.CONTINUATION;
    } while (at < block.length);
  }

  /** Sends what the windows allow of a stream's pending request octets. */
  #pump(state: StreamState): void {
    while (state.pending.length > 0 && !state.done) {
      const n = Math.min(
        state.pending.length,
        state.sendWindow,
        this.#sendWindow,
        this.#peerMaxFrame,
      );
      if (n <= 0) {
        this.#blocked.add(state);
        return;
      }
      const last = n === state.pending.length;
      this.#write(encodeFrame(
        { type: FrameType.DATA, flags: last ? FrameFlag.END_STREAM : 0, streamId: state.id },
        state.pending.subarray(0, n),
      ));
      state.pending = state.pending.subarray(n);
      state.sendWindow -= n;
      this.#sendWindow -= n;
      if (last) state.localClosed = true;
    }
    this.#blocked.delete(state);
    this.#retireIfClosed(state);
  }

  #pumpBlocked(): void {
    for (const state of [...this.#blocked]) this.#pump(state);
  }

  #cancel(state: StreamState, code: number): void {
    if (state.done) return;
    state.done = true;
    // A stream ended both ways is closed: nothing more may be sent on it.
    if (state.id !== 0 && !(state.localClosed && state.remoteClosed)) {
      const reason = state.remoteClosed ? H2Error.NO_ERROR : code;
      this.#write(
        encodeFrame({ type: FrameType.RST_STREAM, streamId: state.id }, uint32Payload(reason)),
      );
    }
    this.#forget(state);
  }

  /** Removes a stream that has ended both ways. */
  #retireIfClosed(state: StreamState): void {
    if (state.localClosed && state.remoteClosed) {
      state.done = true;
      this.#forget(state);
    }
  }

  #forget(state: StreamState): void {
    if (state.id === 0) {
      const queuedAt = this.#queued.indexOf(state);
      if (queuedAt >= 0) this.#queued.splice(queuedAt, 1);
    } else {
      this.#streams.delete(state.id);
    }
    this.#blocked.delete(state);
    if (this.activeStreams === 0) {
      this.#setReferenced(false);
      // After a GOAWAY, the connection is done once its last stream is.
      if (this.#goaway !== undefined) this.#end({ message: "the server sent GOAWAY" });
    }
    this.#startQueued();
  }

  #fail(state: StreamState, failure: H2StreamFailure): void {
    if (state.done) return;
    state.done = true;
    this.#forget(state);
    state.listener.onFailure(failure);
  }

  // ---- Reading -------------------------------------------------------------------------------

  async #readLoop(): Promise<void> {
    const buffer = new Uint8Array(READ_BUFFER_BYTES);
    try {
      for (;;) {
        const n = await this.#conn.read(buffer);
        if (n === null) {
          this.#end({ message: "the server closed the connection" });
          return;
        }
        for (const frame of this.#reader.push(buffer.subarray(0, n))) {
          this.#onFrame(frame);
          if (this.#ended) return;
        }
      }
    } catch (err) {
      if (err instanceof H2ConnectionError) {
        this.#protocolError(err);
      } else {
        this.#end({ message: `the connection broke: ${(err as Error).message}` });
      }
    }
  }

  #protocolError(err: H2ConnectionError): void {
    if (this.#ended) return;
    // Tell the peer why, then close; the GOAWAY is written before the socket closes.
    this.#out.push(encodeFrame(
      { type: FrameType.GOAWAY, streamId: 0 },
      goawayPayload({ lastStreamId: 0, code: err.code, debug: err.message }),
    ));
    this.#end(
      { message: `HTTP/2 ${h2ErrorName(err.code)}: ${err.message}`, code: err.code },
      { flush: true },
    );
  }

  #onFrame(frame: Frame): void {
    if (this.#continuation && frame.type !== FrameType.CONTINUATION) {
      throw new H2ConnectionError(H2Error.PROTOCOL_ERROR, "header block not continued");
    }
    switch (frame.type) {
      case FrameType.DATA:
        return this.#onData(frame);
      case FrameType.HEADERS:
        return this.#onHeaders(frame);
      case FrameType.CONTINUATION:
        return this.#onContinuation(frame);
      case FrameType.RST_STREAM:
        return this.#onReset(frame);
      case FrameType.SETTINGS:
        return this.#onSettings(frame);
      case FrameType.PING:
        return this.#onPing(frame);
      case FrameType.GOAWAY:
        return this.#onGoaway(frame);
      case FrameType.WINDOW_UPDATE:
        return this.#onWindowUpdate(frame);
      case FrameType.PUSH_PROMISE:
        throw new H2ConnectionError(H2Error.PROTOCOL_ERROR, "PUSH_PROMISE with push disabled");
      default:
        // PRIORITY and unknown frame types are ignored (RFC 9113 §4.1, §5.3.2).
        return;
    }
  }

  #onData(frame: Frame): void {
    if (frame.streamId === 0) {
      throw new H2ConnectionError(H2Error.PROTOCOL_ERROR, "DATA on stream 0");
    }
    const length = frame.payload.length;
    this.#recvWindow -= length;
    if (this.#recvWindow < 0) {
      throw new H2ConnectionError(H2Error.FLOW_CONTROL_ERROR, "DATA beyond the connection window");
    }
    // Read octets count against the connection's window whether or not the stream is still
    // wanted; give them back in batches.
    this.#recvUnacknowledged += length;
    if (this.#recvUnacknowledged >= this.#windowBytes / 2) {
      this.#write(encodeFrame(
        { type: FrameType.WINDOW_UPDATE, streamId: 0 },
        uint32Payload(this.#recvUnacknowledged),
      ));
      this.#recvWindow += this.#recvUnacknowledged;
      this.#recvUnacknowledged = 0;
    }
    const state = this.#streams.get(frame.streamId);
    if (!state || state.remoteClosed) return;
    const data = unpadded(frame);
    const endStream = (frame.flags & FrameFlag.END_STREAM) !== 0;
    if (endStream) {
      state.remoteClosed = true;
    } else {
      state.unacknowledged += length;
      if (state.unacknowledged >= this.#windowBytes / 2) {
        this.#write(encodeFrame(
          { type: FrameType.WINDOW_UPDATE, streamId: state.id },
          uint32Payload(state.unacknowledged),
        ));
        state.unacknowledged = 0;
      }
    }
    state.listener.onData(data, endStream);
    if (endStream) this.#remoteEnded(state);
  }

  #onHeaders(frame: Frame): void {
    if (frame.streamId === 0) {
      throw new H2ConnectionError(H2Error.PROTOCOL_ERROR, "HEADERS on stream 0");
    }
    const fragment = unpadded(frame);
    const endStream = (frame.flags & FrameFlag.END_STREAM) !== 0;
    if (frame.flags & FrameFlag.END_HEADERS) {
      this.#headerBlock(frame.streamId, { block: fragment, endStream });
      return;
    }
    this.#continuation = {
      streamId: frame.streamId,
      endStream,
      parts: [fragment.slice()],
      bytes: fragment.length,
    };
  }

  #onContinuation(frame: Frame): void {
    const pending = this.#continuation;
    if (!pending || pending.streamId !== frame.streamId) {
      throw new H2ConnectionError(H2Error.PROTOCOL_ERROR, "CONTINUATION without its HEADERS");
    }
    pending.parts.push(frame.payload.slice());
    pending.bytes += frame.payload.length;
    if (pending.bytes > this.#maxHeaderBlockBytes) {
      throw new H2ConnectionError(
        H2Error.ENHANCE_YOUR_CALM,
        `header block larger than ${this.#maxHeaderBlockBytes} octets`,
      );
    }
    if ((frame.flags & FrameFlag.END_HEADERS) === 0) return;
    this.#continuation = undefined;
    const block = new Uint8Array(pending.bytes);
    let at = 0;
    for (const part of pending.parts) {
      block.set(part, at);
      at += part.length;
    }
    this.#headerBlock(pending.streamId, { block, endStream: pending.endStream });
  }

  #headerBlock(streamId: number, header: { block: Uint8Array; endStream: boolean }): void {
    let fields: HeaderField[];
    try {
      // Decoded even for a stream given up on, to keep the table in step with the peer's.
      fields = this.#decoder.decode(header.block);
    } catch (err) {
      if (err instanceof HpackError) {
        throw new H2ConnectionError(H2Error.COMPRESSION_ERROR, err.message);
      }
      throw err;
    }
    const state = this.#streams.get(streamId);
    if (!state || state.remoteClosed) return;
    if (header.endStream) state.remoteClosed = true;
    state.listener.onHeaders(fields, header.endStream);
    if (header.endStream) this.#remoteEnded(state);
  }

  /** The peer ended its side; a request still being sent is abandoned (RFC 9113 §8.1). */
  #remoteEnded(state: StreamState): void {
    if (state.done) return;
    if (!state.localClosed) {
      state.localClosed = true;
      state.pending = new Uint8Array(0);
      this.#write(encodeFrame(
        { type: FrameType.RST_STREAM, streamId: state.id },
        uint32Payload(H2Error.NO_ERROR),
      ));
    }
    this.#retireIfClosed(state);
  }

  #onReset(frame: Frame): void {
    if (frame.streamId === 0) {
      throw new H2ConnectionError(H2Error.PROTOCOL_ERROR, "RST_STREAM on stream 0");
    }
    if (frame.payload.length !== 4) {
      throw new H2ConnectionError(H2Error.FRAME_SIZE_ERROR, "RST_STREAM of other than 4 octets");
    }
    const state = this.#streams.get(frame.streamId);
    if (!state) return;
    const code = readUint32(frame.payload);
    const message = `the server reset the stream with ${h2ErrorName(code)}`;
    this.#fail(
      state,
      code === H2Error.REFUSED_STREAM
        ? { kind: "refused", message }
        : { kind: "reset", code, message },
    );
  }

  #onSettings(frame: Frame): void {
    if (frame.streamId !== 0) {
      throw new H2ConnectionError(H2Error.PROTOCOL_ERROR, "SETTINGS on a stream");
    }
    if (frame.flags & FrameFlag.ACK) {
      if (frame.payload.length !== 0) {
        throw new H2ConnectionError(H2Error.FRAME_SIZE_ERROR, "SETTINGS ACK with a payload");
      }
      return;
    }
    for (const [id, value] of parseSettings(frame.payload)) this.#applySetting(id, value);
    this.#write(encodeFrame({ type: FrameType.SETTINGS, flags: FrameFlag.ACK, streamId: 0 }));
    if (!this.#gotSettings) {
      this.#gotSettings = true;
      this.#resolveReady();
    }
    this.#startQueued();
    this.#pumpBlocked();
  }

  #applySetting(id: number, value: number): void {
    switch (id) {
      case Setting.MAX_CONCURRENT_STREAMS:
        this.#peerMaxStreams = value;
        return;
      case Setting.INITIAL_WINDOW_SIZE: {
        if (value > MAX_WINDOW_BYTES) {
          throw new H2ConnectionError(
            H2Error.FLOW_CONTROL_ERROR,
            `SETTINGS_INITIAL_WINDOW_SIZE ${value}`,
          );
        }
        const delta = value - this.#peerInitialWindow;
        this.#peerInitialWindow = value;
        for (const state of this.#streams.values()) state.sendWindow += delta;
        return;
      }
      case Setting.MAX_FRAME_SIZE:
        if (value < DEFAULT_MAX_FRAME_BYTES || value > LARGEST_MAX_FRAME_BYTES) {
          throw new H2ConnectionError(H2Error.PROTOCOL_ERROR, `SETTINGS_MAX_FRAME_SIZE ${value}`);
        }
        this.#peerMaxFrame = value;
        return;
      case Setting.ENABLE_PUSH:
        if (value > 1) {
          throw new H2ConnectionError(H2Error.PROTOCOL_ERROR, `SETTINGS_ENABLE_PUSH ${value}`);
        }
        return;
      default:
        // HEADER_TABLE_SIZE: the encoder keeps no table. MAX_HEADER_LIST_SIZE: requests are
        // small. Unknown settings are ignored (RFC 9113 §6.5.2).
        return;
    }
  }

  #onPing(frame: Frame): void {
    if (frame.streamId !== 0) {
      throw new H2ConnectionError(H2Error.PROTOCOL_ERROR, "PING on a stream");
    }
    if (frame.payload.length !== 8) {
      throw new H2ConnectionError(H2Error.FRAME_SIZE_ERROR, "PING of other than 8 octets");
    }
    if (frame.flags & FrameFlag.ACK) return;
    this.#write(encodeFrame(
      { type: FrameType.PING, flags: FrameFlag.ACK, streamId: 0 },
      frame.payload.slice(),
    ));
  }

  #onGoaway(frame: Frame): void {
    if (frame.streamId !== 0) {
      throw new H2ConnectionError(H2Error.PROTOCOL_ERROR, "GOAWAY on a stream");
    }
    const goaway = parseGoaway(frame.payload);
    const first = this.#goaway === undefined;
    this.#goaway = goaway;
    const why = `the server sent GOAWAY with ${h2ErrorName(goaway.code)}` +
      (goaway.debug === "" ? "" : ` (${JSON.stringify(goaway.debug)})`);
    // Streams the server did not take, and those never sent, may go to another connection.
    for (const state of [...this.#queued, ...this.#streams.values()]) {
      if (state.id === 0 || state.id > goaway.lastStreamId) {
        this.#fail(state, { kind: "refused", message: why });
      }
    }
    if (first && this.activeStreams === 0) this.#end({ message: why, code: goaway.code });
  }

  #onWindowUpdate(frame: Frame): void {
    if (frame.payload.length !== 4) {
      throw new H2ConnectionError(H2Error.FRAME_SIZE_ERROR, "WINDOW_UPDATE of other than 4 octets");
    }
    const increment = readUint32(frame.payload) & 0x7fffffff;
    if (frame.streamId === 0) {
      if (increment === 0) {
        throw new H2ConnectionError(H2Error.PROTOCOL_ERROR, "WINDOW_UPDATE of 0");
      }
      this.#sendWindow += increment;
      if (this.#sendWindow > MAX_WINDOW_BYTES) {
        throw new H2ConnectionError(H2Error.FLOW_CONTROL_ERROR, "connection window overflow");
      }
      this.#pumpBlocked();
      return;
    }
    const state = this.#streams.get(frame.streamId);
    if (!state) return;
    if (increment === 0 || state.sendWindow + increment > MAX_WINDOW_BYTES) {
      const code = increment === 0 ? H2Error.PROTOCOL_ERROR : H2Error.FLOW_CONTROL_ERROR;
      this.#write(
        encodeFrame({ type: FrameType.RST_STREAM, streamId: state.id }, uint32Payload(code)),
      );
      this.#fail(state, {
        kind: "reset",
        code,
        message: `the server sent a bad WINDOW_UPDATE (${h2ErrorName(code)})`,
      });
      return;
    }
    state.sendWindow += increment;
    this.#pump(state);
  }

  // ---- Writing and ending --------------------------------------------------------------------

  #write(octets: Uint8Array): void {
    if (this.#ended) return;
    this.#out.push(octets);
    if (this.#flushing) return;
    this.#flushing = Promise.resolve().then(() => this.#flush());
  }

  async #flush(): Promise<void> {
    try {
      while (this.#out.length > 0) {
        const parts = this.#out;
        this.#out = [];
        const chunk = parts.length === 1 ? parts[0]! : concat(parts);
        for (let at = 0; at < chunk.length;) at += await this.#conn.write(chunk.subarray(at));
      }
    } catch (err) {
      this.#end({ message: `cannot write to the connection: ${(err as Error).message}` });
    } finally {
      this.#flushing = undefined;
    }
  }

  /** Ends the connection: every stream fails, the socket closes (after pending writes). */
  #end(closed: H2Closed, options: { flush?: boolean } = {}): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#rejectReady(new Error(closed.message));
    const failure: H2StreamFailure = closed.code === undefined
      ? { kind: "connection", message: closed.message }
      : { kind: "connection", code: closed.code, message: closed.message };
    for (const state of this.#queued.splice(0)) {
      // Never sent: another connection may take it.
      if (!state.done) {
        state.done = true;
        state.listener.onFailure({ kind: "refused", message: closed.message });
      }
    }
    for (const state of [...this.#streams.values()]) this.#fail(state, failure);
    const out = options.flush ? concat(this.#out) : undefined;
    this.#out = [];
    void this.#closeSocket(out);
    this.#resolveClosed(closed);
  }

  async #closeSocket(last: Uint8Array | undefined): Promise<void> {
    if (last && last.length > 0) {
      try {
        // After the write in progress, if any: frames must not interleave.
        await this.#flushing;
        for (let at = 0; at < last.length;) at += await this.#conn.write(last.subarray(at));
      } catch {
        // Closing anyway.
      }
    }
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
  }

  #setReferenced(referenced: boolean): void {
    if (this.#referenced === referenced) return;
    this.#referenced = referenced;
    // An idle connection must not keep the process alive.
    try {
      if (referenced) this.#conn.ref();
      else this.#conn.unref();
    } catch {
      // Closed.
    }
  }
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
