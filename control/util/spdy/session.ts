/**
 * A SPDY/3.1 session on a socket, as client or server: streams opened with SYN_STREAM and
 * answered with SYN_REPLY, data with FIN half-closes, RST_STREAM, SETTINGS, PING (answered),
 * GOAWAY, HEADERS and WINDOW_UPDATE.
 *
 * Flow control happens only with a peer that shows it does it (a WINDOW_UPDATE, or SETTINGS
 * with an initial window size), or when this session announced it (`announceWindow`): then
 * sending keeps to the peer's windows (64 KiB per stream and for the session unless SETTINGS
 * say otherwise) and the receive windows are replenished with WINDOW_UPDATE as data is taken.
 * Go's spdystream — kubectl's, the kubelet's and containerd's SPDY — does no flow control: it
 * never sends either frame nor waits for one, so a sender keeping to 64 KiB would stall, and
 * containerd's streaming server cuts streams short when it is sent WINDOW_UPDATEs (obs.,
 * containerd 1.6.20: a 4 MB `cat` lost its tail and status one time in four). Data beyond a
 * window is taken, never refused, for the same reason.
 *
 * Frames carrying header blocks are decompressed in order (asynchronously), so every frame is
 * handled in the order it arrived.
 *
 * @module
 */
import {
  encodeControlFrame,
  encodeDataFrame,
  encodeHeadersFrame,
  SPDY_FLAG_FIN,
  SPDY_FLAG_UNIDIRECTIONAL,
  type SpdyFrame,
  SpdyFrameParser,
  SpdyRstStatus,
  SpdySettingId,
} from "./frames.ts";
import { type Clock, systemClock, type TimerHandle } from "../clock.ts";
import { HeaderCompressor, HeaderDecompressor, type SpdyHeaders } from "./header_block.ts";

/** The socket side a session needs (a `node:net`/`node:tls` socket). */
export interface SpdySocket {
  write(data: Uint8Array): boolean;
  end(): void;
  destroy(): void;
  on(event: "data", fn: (chunk: Uint8Array) => void): unknown;
  on(event: "end" | "close", fn: () => void): unknown;
  on(event: "error", fn: (err: Error) => void): unknown;
  resume?(): unknown;
}

/** Options of {@linkcode SpdySession}. */
export interface SpdySessionOptions {
  /** Clients open odd-numbered streams, servers even ones. */
  readonly role: "client" | "server";
  /** Bytes already read after the upgrade (the first frames). */
  readonly buffered?: Uint8Array;
  /**
   * A stream the peer opened: answer with `reply()` (or `reset()`). Streams are refused when
   * this is not given.
   */
  readonly onStream?: (stream: SpdyStream) => void;
  /** The peer sent GOAWAY: no new streams; open ones go on. */
  readonly onGoAway?: (status: number) => void;
  /**
   * Start with SETTINGS naming our initial window (64 KiB), telling the peer we do flow
   * control. @default {false: spdystream peers do not care}
   */
  readonly announceWindow?: boolean;
  /** How long {@linkcode SpdySession.openStream} waits for the SYN_REPLY. @default {30 s} */
  readonly replyTimeoutMs?: number;
  /** @default {systemClock} */
  readonly clock?: Clock;
}

/** Why a stream ended, when not by both FINs. */
export class SpdyStreamError extends Error {
  /** The RST_STREAM status, or 0 when the session went away. */
  readonly status: number;
  constructor(message: string, status: number) {
    super(message);
    this.name = "SpdyStreamError";
    this.status = status;
  }
}

const DEFAULT_WINDOW = 64 * 1024;
/** Data frames are cut at this size. */
const MAX_DATA_FRAME = 32 * 1024;

/** Options of {@linkcode SpdySession.openStream}. */
export interface OpenStreamOptions {
  /** Half-close at once (nothing to send). */
  readonly fin?: boolean;
  /** Wait for the SYN_REPLY. @default {true} */
  readonly waitForReply?: boolean;
}

/** One stream of a session. */
export class SpdyStream {
  /** The stream id. */
  readonly id: number;
  /** The SYN_STREAM's headers (the peer's for streams it opened, ours otherwise). */
  readonly headers: Readonly<Record<string, string>>;
  #replyHeaders: Record<string, string> = {};
  readonly #session: SessionInternals;
  #localClosed = false;
  #remoteClosed = false;
  #closed = false;
  #replied: boolean;
  #dataListener: ((data: Uint8Array) => void) | null = null;
  #pendingIn: Uint8Array[] = [];
  /** The peer's FIN came while data still waited for a listener. */
  #endPending = false;
  #endListeners: (() => void)[] = [];
  #closeListeners: ((error: SpdyStreamError | null) => void)[] = [];
  #closeError: SpdyStreamError | null = null;
  /** Our sending window (when the peer does flow control). */
  sendWindow: number;
  /** Data waiting for window, and whether a FIN follows it. */
  pendingOut: Uint8Array[] = [];
  pendingFin = false;
  /** Bytes received and not yet acknowledged with WINDOW_UPDATE. */
  unacked = 0;

  /** @internal Streams come from {@linkcode SpdySession}. */
  constructor(
    session: SessionInternals,
    init: { id: number; headers: Record<string, string>; replied: boolean; sendWindow: number },
  ) {
    this.#session = session;
    this.id = init.id;
    this.headers = init.headers;
    this.#replied = init.replied;
    this.sendWindow = init.sendWindow;
  }

  /** The SYN_REPLY's headers (and any HEADERS frames merged in). */
  get replyHeaders(): Readonly<Record<string, string>> {
    return this.#replyHeaders;
  }

  /** Whether we sent FIN (or the stream is gone). */
  get localClosed(): boolean {
    return this.#localClosed;
  }

  /** Whether the peer sent FIN (or the stream is gone). */
  get remoteClosed(): boolean {
    return this.#remoteClosed;
  }

  /** Whether the stream is over (both FINs, a reset, or the session ended). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Accepts a stream the peer opened, with optional headers and an immediate FIN. */
  reply(headers: SpdyHeaders = {}, options: { readonly fin?: boolean } = {}): void {
    if (this.#replied || this.#closed) return;
    this.#replied = true;
    this.#session.sendHeaders("syn_reply", this, headers, options.fin === true);
    if (options.fin) this.#markLocalClosed();
  }

  /** Receives data (and what arrived before a listener was set). */
  onData(fn: (data: Uint8Array) => void): void {
    this.#dataListener = fn;
    const pending = this.#pendingIn;
    this.#pendingIn = [];
    for (const chunk of pending) this.#take(chunk);
    if (this.#endPending) {
      this.#endPending = false;
      this.#fireEnd();
    }
  }

  /** Called once the peer half-closed (FIN). */
  onEnd(fn: () => void): void {
    if (this.#remoteClosed && !this.#endPending) queueMicrotask(fn);
    else this.#endListeners.push(fn);
  }

  /** Called once the stream is over; with the error when it was reset or cut off. */
  onClose(fn: (error: SpdyStreamError | null) => void): void {
    if (this.#closed) queueMicrotask(() => fn(this.#closeError));
    else this.#closeListeners.push(fn);
  }

  /** Everything the peer sends until its FIN or the stream ends. */
  readAll(): Promise<Uint8Array> {
    return new Promise((resolve) => {
      const parts: Uint8Array[] = [];
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        const size = parts.reduce((n, p) => n + p.byteLength, 0);
        const out = new Uint8Array(size);
        let off = 0;
        for (const p of parts) {
          out.set(p, off);
          off += p.byteLength;
        }
        resolve(out);
      };
      this.onData((d) => parts.push(d));
      this.onEnd(finish);
      this.onClose(finish);
    });
  }

  /**
   * Sends data. False when it could not all go out yet (the socket's buffer, or the peer's
   * window); it still goes, in order.
   */
  write(data: Uint8Array): boolean {
    if (this.#localClosed || this.#closed) return false;
    return this.#session.sendData(this, data, false);
  }

  /** Half-closes our side (FIN after the data written so far). */
  end(): void {
    if (this.#localClosed || this.#closed) return;
    this.#markLocalClosed();
    this.#session.sendData(this, new Uint8Array(0), true);
  }

  /** Ends the stream at once with RST_STREAM. @default {CANCEL} */
  reset(status: number = SpdyRstStatus.Cancel): void {
    if (this.#closed) return;
    this.#session.sendReset(this.id, status);
    this.finish(null);
  }

  #markLocalClosed(): void {
    this.#localClosed = true;
    if (this.#remoteClosed) this.finish(null);
  }

  #take(chunk: Uint8Array): void {
    this.#dataListener!(chunk);
    this.#session.consumed(this, chunk.byteLength);
  }

  /** @internal Data from the peer. */
  deliver(chunk: Uint8Array): void {
    if (this.#remoteClosed || this.#closed) return;
    if (chunk.byteLength === 0) return;
    if (this.#dataListener) this.#take(chunk);
    else this.#pendingIn.push(chunk);
  }

  /** @internal The SYN_REPLY or HEADERS frame's headers. */
  mergeHeaders(headers: Record<string, string>): void {
    this.#replyHeaders = { ...this.#replyHeaders, ...headers };
  }

  /** @internal The peer's FIN. */
  remoteEnd(): void {
    if (this.#remoteClosed || this.#closed) return;
    this.#remoteClosed = true;
    // Listeners see the data that came before the FIN first.
    if (this.#pendingIn.length === 0) this.#fireEnd();
    else this.#endPending = true;
    if (this.#localClosed) this.finish(null);
  }

  #fireEnd(): void {
    for (const fn of this.#endListeners.splice(0)) fn();
  }

  /** @internal The stream is over. */
  finish(error: SpdyStreamError | null): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#localClosed = true;
    this.#closeError = error;
    this.#session.forget(this);
    if (!this.#remoteClosed) this.#remoteClosed = true;
    if (!this.#endPending) this.#fireEnd();
    for (const fn of this.#closeListeners.splice(0)) fn(error);
  }
}

/** What a stream needs of its session. */
interface SessionInternals {
  sendHeaders(
    type: "syn_reply" | "headers",
    stream: SpdyStream,
    headers: SpdyHeaders,
    fin: boolean,
  ): void;
  sendData(stream: SpdyStream, data: Uint8Array, fin: boolean): boolean;
  sendReset(id: number, status: number): void;
  consumed(stream: SpdyStream, bytes: number): void;
  forget(stream: SpdyStream): void;
}

/** A SPDY/3.1 session (see the module doc). */
export class SpdySession {
  readonly #socket: SpdySocket;
  readonly #o: SpdySessionOptions;
  readonly #parser = new SpdyFrameParser();
  readonly #compressor = new HeaderCompressor();
  readonly #decompressor = new HeaderDecompressor();
  readonly #streams = new Map<number, SpdyStream>();
  readonly #opening = new Map<
    number,
    {
      resolve: (s: SpdyStream) => void;
      reject: (e: Error) => void;
      timer: TimerHandle;
    }
  >();
  readonly #pings = new Map<number, () => void>();
  #nextStreamId: number;
  #nextPingId: number;
  #lastPeerStreamId = 0;
  #inbox: SpdyFrame[] = [];
  #pumping = false;
  #ended = false;
  /** The socket ended or closed: frames already read are still handled, then the session ends. */
  #socketGone = false;
  #goneAway = false;
  #peerFlowControl = false;
  #peerInitialWindow = DEFAULT_WINDOW;
  #sessionSendWindow = DEFAULT_WINDOW;
  #sessionUnacked = 0;
  readonly #closed = Promise.withResolvers<void>();
  readonly #internals: SessionInternals;

  constructor(socket: SpdySocket, options: SpdySessionOptions) {
    this.#socket = socket;
    this.#o = options;
    this.#nextStreamId = options.role === "client" ? 1 : 2;
    this.#nextPingId = options.role === "client" ? 1 : 2;
    this.#internals = {
      sendHeaders: (type, stream, headers, fin) => this.#sendHeaders(type, stream, headers, fin),
      sendData: (stream, data, fin) => this.#sendData(stream, data, fin),
      sendReset: (id, status) =>
        this.#write(encodeControlFrame({ type: "rst_stream", streamId: id, status })),
      consumed: (stream, bytes) => this.#consumed(stream, bytes),
      forget: (stream) => this.#streams.delete(stream.id),
    };
    socket.on("data", (chunk) => this.#onBytes(chunk));
    socket.on("error", () => {
      // "close" follows.
    });
    socket.on("end", () => this.#onSocketGone());
    socket.on("close", () => this.#onSocketGone());
    if (options.announceWindow) {
      this.#write(encodeControlFrame({
        type: "settings",
        settings: [{ id: SpdySettingId.InitialWindowSize, flags: 0, value: DEFAULT_WINDOW }],
      }));
    }
    if (options.buffered && options.buffered.byteLength > 0) {
      const first = options.buffered;
      queueMicrotask(() => this.#onBytes(first));
    }
    socket.resume?.();
  }

  /** Resolves once the session ended (the socket closed). */
  get closed(): Promise<void> {
    return this.#closed.promise;
  }

  /** Whether the session still runs. */
  get open(): boolean {
    return !this.#ended;
  }

  /** The streams not over yet. */
  get streamCount(): number {
    return this.#streams.size;
  }

  /**
   * Opens a stream with `headers` (SYN_STREAM) and, by default, waits for the peer's
   * SYN_REPLY. Rejects with {@linkcode SpdyStreamError} when the peer resets it or the session
   * ends, and after `replyTimeoutMs`.
   */
  openStream(headers: SpdyHeaders, options: OpenStreamOptions = {}): Promise<SpdyStream> {
    if (this.#ended || this.#goneAway) {
      return Promise.reject(new SpdyStreamError("Cannot open a stream: the session is closing", 0));
    }
    const id = this.#nextStreamId;
    this.#nextStreamId += 2;
    const lower: Record<string, string> = {};
    for (const [n, v] of Object.entries(headers)) lower[n.toLowerCase()] = v;
    const stream = new SpdyStream(this.#internals, {
      id,
      headers: lower,
      replied: true,
      sendWindow: this.#peerInitialWindow,
    });
    this.#streams.set(id, stream);
    const block = this.#compressor.compress(lower);
    this.#write(encodeHeadersFrame({
      type: "syn_stream",
      streamId: id,
      headerBlock: block,
      flags: options.fin ? SPDY_FLAG_FIN : 0,
    }));
    if (options.fin) stream.end();
    if (options.waitForReply === false) return Promise.resolve(stream);
    return new Promise((resolve, reject) => {
      const timer = (this.#o.clock ?? systemClock).setTimeout(() => {
        this.#opening.delete(id);
        stream.reset();
        reject(new SpdyStreamError(`Stream ${id} got no reply in time`, 0));
      }, this.#o.replyTimeoutMs ?? 30_000);
      this.#opening.set(id, { resolve, reject, timer });
    });
  }

  /** Sends a PING; resolves when the peer echoes it. */
  ping(): Promise<void> {
    const id = this.#nextPingId;
    this.#nextPingId += 2;
    return new Promise((resolve, reject) => {
      if (this.#ended) return reject(new Error("Cannot ping: the session is closed"));
      this.#pings.set(id, resolve);
      this.#write(encodeControlFrame({ type: "ping", id }));
    });
  }

  /** Says GOAWAY (no new streams from the peer) with `status` (0 OK). */
  goAway(status = 0): void {
    if (this.#ended) return;
    this.#write(encodeControlFrame({
      type: "goaway",
      lastGoodStreamId: this.#lastPeerStreamId,
      status,
    }));
  }

  /** Ends the session: GOAWAY, then the socket is ended; open streams end with it. */
  close(): void {
    if (this.#ended) return;
    this.goAway(0);
    this.#socket.end();
  }

  /** Drops the socket at once. */
  destroy(): void {
    this.#socket.destroy();
  }

  #write(bytes: Uint8Array): boolean {
    if (this.#ended || this.#socketGone) return false;
    return this.#socket.write(bytes);
  }

  #sendHeaders(
    type: "syn_reply" | "headers",
    stream: SpdyStream,
    headers: SpdyHeaders,
    fin: boolean,
  ): void {
    const block = this.#compressor.compress(headers);
    this.#write(encodeHeadersFrame({
      type,
      streamId: stream.id,
      headerBlock: block,
      flags: fin ? SPDY_FLAG_FIN : 0,
    }));
  }

  #sendData(stream: SpdyStream, data: Uint8Array, fin: boolean): boolean {
    if (!this.#peerFlowControl && stream.pendingOut.length === 0 && !stream.pendingFin) {
      if (data.byteLength === 0) {
        return fin ? this.#write(encodeDataFrame(stream.id, { data, fin: true })) : true;
      }
      let ok = true;
      for (let off = 0; off < data.byteLength; off += MAX_DATA_FRAME) {
        const part = data.subarray(off, off + MAX_DATA_FRAME);
        const last = off + MAX_DATA_FRAME >= data.byteLength;
        ok = this.#write(encodeDataFrame(stream.id, { data: part, fin: fin && last })) && ok;
      }
      return ok;
    }
    if (data.byteLength > 0) stream.pendingOut.push(data);
    if (fin) stream.pendingFin = true;
    this.#flush(stream);
    return stream.pendingOut.length === 0;
  }

  /** Sends what the windows allow of a stream's queued data. */
  #flush(stream: SpdyStream): void {
    while (stream.pendingOut.length > 0) {
      const allowed = this.#peerFlowControl
        ? Math.min(stream.sendWindow, this.#sessionSendWindow, MAX_DATA_FRAME)
        : MAX_DATA_FRAME;
      if (allowed <= 0) return;
      const head = stream.pendingOut[0]!;
      const part = head.subarray(0, allowed);
      if (part.byteLength === head.byteLength) stream.pendingOut.shift();
      else stream.pendingOut[0] = head.subarray(part.byteLength);
      stream.sendWindow -= part.byteLength;
      this.#sessionSendWindow -= part.byteLength;
      const fin = stream.pendingFin && stream.pendingOut.length === 0;
      this.#write(encodeDataFrame(stream.id, { data: part, fin }));
      if (fin) {
        stream.pendingFin = false;
        return;
      }
    }
    if (stream.pendingFin) {
      stream.pendingFin = false;
      this.#write(encodeDataFrame(stream.id, { data: new Uint8Array(0), fin: true }));
    }
  }

  #consumed(stream: SpdyStream, bytes: number): void {
    stream.unacked += bytes;
    this.#sessionUnacked += bytes;
    if (!this.#peerFlowControl && !this.#o.announceWindow) return;
    if (stream.unacked >= DEFAULT_WINDOW / 2 && !stream.remoteClosed) {
      this.#write(
        encodeControlFrame({ type: "window_update", streamId: stream.id, delta: stream.unacked }),
      );
      stream.unacked = 0;
    }
    if (this.#sessionUnacked >= DEFAULT_WINDOW / 2) {
      this.#write(
        encodeControlFrame({ type: "window_update", streamId: 0, delta: this.#sessionUnacked }),
      );
      this.#sessionUnacked = 0;
    }
  }

  #onBytes(chunk: Uint8Array): void {
    if (this.#ended) return;
    try {
      this.#inbox.push(...this.#parser.push(chunk));
    } catch (err) {
      this.#protocolError(err);
      return;
    }
    if (!this.#pumping) void this.#pump();
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      while (this.#inbox.length > 0 && !this.#ended) {
        const frame = this.#inbox.shift()!;
        if (frame.type === "syn_stream" || frame.type === "syn_reply" || frame.type === "headers") {
          let headers: Record<string, string>;
          try {
            headers = await this.#decompressor.decompress(frame.headerBlock);
          } catch (err) {
            this.#protocolError(err);
            return;
          }
          this.#onHeaders(frame, headers);
        } else {
          this.#onFrame(frame);
        }
      }
    } finally {
      this.#pumping = false;
      if (this.#socketGone) this.#end();
    }
  }

  #onSocketGone(): void {
    this.#socketGone = true;
    if (!this.#pumping) this.#end();
  }

  #protocolError(_err: unknown): void {
    if (this.#ended) return;
    this.goAway(1);
    this.#inbox = [];
    this.#socket.destroy();
  }

  #onHeaders(
    frame: Extract<SpdyFrame, { type: "syn_stream" | "syn_reply" | "headers" }>,
    headers: Record<string, string>,
  ): void {
    const fin = (frame.flags & SPDY_FLAG_FIN) !== 0;
    if (frame.type === "syn_stream") {
      const id = frame.streamId;
      const peerParity = this.#o.role === "client" ? 0 : 1;
      if (id === 0 || id % 2 !== peerParity || id <= this.#lastPeerStreamId) {
        this.#internals.sendReset(id, SpdyRstStatus.ProtocolError);
        return;
      }
      this.#lastPeerStreamId = id;
      if (this.#goneAway || !this.#o.onStream) {
        this.#internals.sendReset(id, SpdyRstStatus.RefusedStream);
        return;
      }
      const stream = new SpdyStream(this.#internals, {
        id,
        headers,
        replied: false,
        sendWindow: this.#peerInitialWindow,
      });
      this.#streams.set(id, stream);
      if (fin) stream.remoteEnd();
      if ((frame.flags & SPDY_FLAG_UNIDIRECTIONAL) !== 0) stream.end();
      this.#o.onStream(stream);
      return;
    }
    const stream = this.#streams.get(frame.streamId);
    if (!stream) return;
    stream.mergeHeaders(headers);
    if (frame.type === "syn_reply") {
      const opening = this.#opening.get(frame.streamId);
      if (opening) {
        this.#opening.delete(frame.streamId);
        opening.timer.cancel();
        opening.resolve(stream);
      }
    }
    if (fin) stream.remoteEnd();
  }

  #onFrame(frame: SpdyFrame): void {
    switch (frame.type) {
      case "data": {
        const stream = this.#streams.get(frame.streamId);
        if (!stream) return;
        stream.deliver(frame.data);
        if ((frame.flags & SPDY_FLAG_FIN) !== 0) stream.remoteEnd();
        return;
      }
      case "rst_stream": {
        const error = new SpdyStreamError(
          `Stream ${frame.streamId} was reset by the peer (status ${frame.status})`,
          frame.status,
        );
        const opening = this.#opening.get(frame.streamId);
        if (opening) {
          this.#opening.delete(frame.streamId);
          opening.timer.cancel();
          opening.reject(error);
        }
        this.#streams.get(frame.streamId)?.finish(error);
        return;
      }
      case "settings":
        for (const s of frame.settings) {
          if (s.id !== SpdySettingId.InitialWindowSize) continue;
          this.#peerFlowControl = true;
          const delta = s.value - this.#peerInitialWindow;
          this.#peerInitialWindow = s.value;
          for (const stream of this.#streams.values()) stream.sendWindow += delta;
        }
        return this.#flushAll();
      case "window_update":
        this.#peerFlowControl = true;
        if (frame.streamId === 0) this.#sessionSendWindow += frame.delta;
        else {
          const stream = this.#streams.get(frame.streamId);
          if (stream) stream.sendWindow += frame.delta;
        }
        return this.#flushAll();
      case "ping": {
        const ours = frame.id % 2 === this.#nextPingId % 2;
        if (!ours) {
          this.#write(encodeControlFrame({ type: "ping", id: frame.id }));
          return;
        }
        const done = this.#pings.get(frame.id);
        this.#pings.delete(frame.id);
        done?.();
        return;
      }
      case "goaway":
        this.#goneAway = true;
        this.#o.onGoAway?.(frame.status);
        return;
      default:
        return;
    }
  }

  #flushAll(): void {
    for (const stream of this.#streams.values()) {
      if (stream.pendingOut.length > 0 || stream.pendingFin) this.#flush(stream);
    }
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#socketGone = true;
    this.#socket.end();
    const gone = new SpdyStreamError("The SPDY session ended", 0);
    for (const { reject, timer } of this.#opening.values()) {
      timer.cancel();
      reject(gone);
    }
    this.#opening.clear();
    for (const stream of [...this.#streams.values()]) {
      stream.finish(stream.remoteClosed ? null : gone);
    }
    this.#streams.clear();
    this.#decompressor.close();
    this.#closed.resolve();
  }
}
