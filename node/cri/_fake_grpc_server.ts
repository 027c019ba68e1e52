/**
 * A hand-made HTTP/2 gRPC server on a unix socket, for the tests of {@linkcode ./grpc_channel.ts}
 * and {@linkcode ./_h2_connection.ts}: each request (its path, headers and length-prefixed
 * messages) goes to a handler that answers frame by frame, so tests can send what well-behaved
 * servers never do in one place — Trailers-Only errors, resets, GOAWAY, PINGs, responses larger
 * than the client's windows. It honours the client's flow-control windows when it sends DATA and
 * records what the client sent (WINDOW_UPDATEs, RST_STREAMs, PING ACKs, GOAWAYs).
 *
 * @module
 */
import { join } from "node:path";
import {
  DEFAULT_MAX_FRAME_BYTES,
  DEFAULT_WINDOW_BYTES,
  encodeFrame,
  type Frame,
  FrameFlag,
  FrameReader,
  FrameType,
  goawayPayload,
  parseGoaway,
  parseSettings,
  readUint32,
  Setting,
  settingsPayload,
  uint32Payload,
  unpadded,
} from "./_h2_frames.ts";
import { frameMessage, MessageReader } from "./_grpc_wire.ts";
import { type HeaderField, HpackDecoder, HpackEncoder } from "./_hpack.ts";

/** A request as the server received it. */
export interface FakeRequest {
  readonly streamId: number;
  readonly path: string;
  readonly fields: readonly HeaderField[];
  /** The request's messages, deframed. */
  readonly messages: readonly Uint8Array[];
  /** The value of header `name`. */
  header(name: string): string | undefined;
}

/** What a handler answers with, on the request's stream and its connection. */
export interface FakeStream {
  readonly connection: FakeConnection;
  /** Response headers (`:status` 200 and content-type unless given). */
  headers(fields?: readonly HeaderField[], options?: { endStream?: boolean }): void;
  /** Body octets; sent as the client's windows allow. Resolves once all of it is sent. */
  data(octets: Uint8Array, options?: { endStream?: boolean }): Promise<void>;
  /** Trailers, ending the stream. */
  trailers(fields: readonly HeaderField[]): void;
  /** RST_STREAM with `code`. */
  reset(code: number): void;
  /** Headers, one message and `grpc-status: 0` trailers. */
  ok(message: Uint8Array): Promise<void>;
  /** A Trailers-Only response with `code` and a percent-encoded `message`. */
  error(code: number, message: string): void;
  /** Resolves when the client resets this stream (with the code it sent). */
  readonly resetByClient: Promise<number>;
}

/** Answers one request. */
export type FakeHandler = (request: FakeRequest, stream: FakeStream) => void | Promise<void>;

/** Options of {@linkcode startFakeGrpcServer}. */
export interface FakeServerOptions {
  /** SETTINGS the server sends first; `undefined` values are left out. */
  readonly settings?: {
    readonly initialWindowBytes?: number;
    readonly maxConcurrentStreams?: number;
    readonly maxFrameBytes?: number;
  };
  /** Never send SETTINGS (not an HTTP/2 server after all). */
  readonly silent?: boolean;
}

/** One accepted connection, seen from the server. */
export interface FakeConnection {
  /** GOAWAY with `lastStreamId` (default: the last stream seen) and `code`. */
  goaway(options?: { lastStreamId?: number; code?: number; debug?: string }): void;
  /** Sends a PING; resolves when the client acknowledged it with the same payload. */
  ping(): Promise<void>;
  /** Writes raw octets (a hand-made frame). */
  raw(octets: Uint8Array): void;
  /** Closes the socket. */
  close(): void;
  /** Stream ids of the requests seen so far. */
  readonly streams: readonly number[];
  /** `[streamId, increment]` of every WINDOW_UPDATE the client sent. */
  readonly windowUpdates: readonly (readonly [number, number])[];
  /** `[streamId, code]` of every RST_STREAM the client sent. */
  readonly resets: readonly (readonly [number, number])[];
  /** Error codes of GOAWAYs the client sent. */
  readonly goaways: readonly number[];
}

/** A running {@linkcode startFakeGrpcServer}. */
export interface FakeGrpcServer extends AsyncDisposable {
  readonly socketPath: string;
  readonly connections: readonly FakeConnection[];
  /** Replaces the handler. */
  handle(handler: FakeHandler): void;
  /** Stops listening and closes every connection (a restart may follow). */
  stop(): Promise<void>;
  /** Listens again on the same socket. */
  restart(): void;
}

const PREFACE_BYTES = 24;

function percentEncode(text: string): string {
  let out = "";
  for (const b of new TextEncoder().encode(text)) {
    out += b >= 0x20 && b <= 0x7e && b !== 0x25
      ? String.fromCharCode(b)
      : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

interface ServerStream {
  readonly id: number;
  fields: HeaderField[];
  readonly reader: MessageReader;
  sendWindow: number;
  waiters: (() => void)[];
  readonly resetByClient: Promise<number>;
  resolveReset: (code: number) => void;
}

class Connection implements FakeConnection {
  readonly streams: number[] = [];
  readonly windowUpdates: [number, number][] = [];
  readonly resets: [number, number][] = [];
  readonly goaways: number[] = [];
  readonly #conn: Deno.Conn;
  readonly #handler: () => FakeHandler;
  readonly #encoder = new HpackEncoder();
  readonly #decoder = new HpackDecoder();
  readonly #reader = new FrameReader(LARGEST_FRAME);
  readonly #open = new Map<number, ServerStream>();
  readonly #pings = new Map<string, () => void>();
  #sendWindow = DEFAULT_WINDOW_BYTES;
  #clientInitialWindow = DEFAULT_WINDOW_BYTES;
  #connWaiters: (() => void)[] = [];
  #writes: Promise<void> = Promise.resolve();
  #closed = false;
  #lastStream = 0;
  #pingCount = 0;
  #continuation: { id: number; parts: Uint8Array[]; end: boolean } | undefined;
  readonly done: Promise<void>;

  constructor(conn: Deno.Conn, handler: () => FakeHandler, options: FakeServerOptions) {
    this.#conn = conn;
    this.#handler = handler;
    if (!options.silent) {
      const s = options.settings ?? {};
      const settings: [number, number][] = [];
      if (s.initialWindowBytes !== undefined) {
        settings.push([Setting.INITIAL_WINDOW_SIZE, s.initialWindowBytes]);
      }
      if (s.maxConcurrentStreams !== undefined) {
        settings.push([Setting.MAX_CONCURRENT_STREAMS, s.maxConcurrentStreams]);
      }
      if (s.maxFrameBytes !== undefined) settings.push([Setting.MAX_FRAME_SIZE, s.maxFrameBytes]);
      this.raw(encodeFrame({ type: FrameType.SETTINGS, streamId: 0 }, settingsPayload(settings)));
    }
    this.done = this.#read(options.silent === true);
  }

  raw(octets: Uint8Array): void {
    if (this.#closed) return;
    this.#writes = this.#writes.then(async () => {
      try {
        for (let at = 0; at < octets.length;) at += await this.#conn.write(octets.subarray(at));
      } catch {
        this.close();
      }
    });
  }

  goaway(options: { lastStreamId?: number; code?: number; debug?: string } = {}): void {
    this.raw(encodeFrame(
      { type: FrameType.GOAWAY, streamId: 0 },
      goawayPayload({
        lastStreamId: options.lastStreamId ?? this.#lastStream,
        code: options.code ?? 0,
        debug: options.debug ?? "",
      }),
    ));
  }

  ping(): Promise<void> {
    const payload = new Uint8Array(8);
    new DataView(payload.buffer).setUint32(4, ++this.#pingCount);
    return new Promise((resolve) => {
      this.#pings.set(payload.join(","), resolve);
      this.raw(encodeFrame({ type: FrameType.PING, streamId: 0 }, payload));
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const stream of this.#open.values()) stream.waiters.splice(0).forEach((w) => w());
    this.#connWaiters.splice(0).forEach((w) => w());
    try {
      this.#conn.close();
    } catch {
      // closed
    }
  }

  async #read(silent: boolean): Promise<void> {
    const buffer = new Uint8Array(64 * 1024);
    let preface = 0;
    try {
      for (;;) {
        const n = await this.#conn.read(buffer);
        if (n === null) break;
        let chunk = buffer.subarray(0, n);
        if (preface < PREFACE_BYTES) {
          const take = Math.min(PREFACE_BYTES - preface, chunk.length);
          preface += take;
          chunk = chunk.subarray(take);
        }
        if (silent) continue;
        for (const frame of this.#reader.push(chunk)) this.#onFrame(frame);
      }
    } catch {
      // closed
    }
    this.close();
  }

  #onFrame(frame: Frame): void {
    switch (frame.type) {
      case FrameType.SETTINGS:
        if (frame.flags & FrameFlag.ACK) return;
        for (const [id, value] of parseSettings(frame.payload)) {
          if (id === Setting.INITIAL_WINDOW_SIZE) {
            const delta = value - this.#clientInitialWindow;
            this.#clientInitialWindow = value;
            for (const s of this.#open.values()) s.sendWindow += delta;
          }
        }
        this.raw(encodeFrame({ type: FrameType.SETTINGS, flags: FrameFlag.ACK, streamId: 0 }));
        this.#wakeAll();
        return;
      case FrameType.WINDOW_UPDATE: {
        const increment = readUint32(frame.payload) & 0x7fffffff;
        this.windowUpdates.push([frame.streamId, increment]);
        if (frame.streamId === 0) this.#sendWindow += increment;
        else {
          const s = this.#open.get(frame.streamId);
          if (s) s.sendWindow += increment;
        }
        this.#wakeAll();
        return;
      }
      case FrameType.PING: {
        if (frame.flags & FrameFlag.ACK) {
          const key = Array.from(frame.payload).join(",");
          this.#pings.get(key)?.();
          this.#pings.delete(key);
        }
        return;
      }
      case FrameType.RST_STREAM: {
        const code = readUint32(frame.payload);
        this.resets.push([frame.streamId, code]);
        const s = this.#open.get(frame.streamId);
        this.#open.delete(frame.streamId);
        s?.resolveReset(code);
        s?.waiters.splice(0).forEach((w) => w());
        return;
      }
      case FrameType.GOAWAY:
        this.goaways.push(parseGoaway(frame.payload).code);
        return;
      case FrameType.HEADERS: {
        const block = unpadded(frame).slice();
        const end = (frame.flags & FrameFlag.END_STREAM) !== 0;
        if (frame.flags & FrameFlag.END_HEADERS) this.#onHeaders(frame.streamId, block, end);
        else this.#continuation = { id: frame.streamId, parts: [block], end };
        return;
      }
      case FrameType.CONTINUATION: {
        const c = this.#continuation!;
        c.parts.push(frame.payload.slice());
        if (frame.flags & FrameFlag.END_HEADERS) {
          this.#continuation = undefined;
          const length = c.parts.reduce((n, p) => n + p.length, 0);
          const block = new Uint8Array(length);
          let at = 0;
          for (const p of c.parts) {
            block.set(p, at);
            at += p.length;
          }
          this.#onHeaders(c.id, block, c.end);
        }
        return;
      }
      case FrameType.DATA: {
        const length = frame.payload.length;
        const end = (frame.flags & FrameFlag.END_STREAM) !== 0;
        // Give the client back its window at once, frame by frame.
        if (length > 0) {
          this.raw(
            encodeFrame({ type: FrameType.WINDOW_UPDATE, streamId: 0 }, uint32Payload(length)),
          );
          if (!end) {
            this.raw(
              encodeFrame(
                { type: FrameType.WINDOW_UPDATE, streamId: frame.streamId },
                uint32Payload(length),
              ),
            );
          }
        }
        const s = this.#open.get(frame.streamId);
        if (!s) return;
        s.reader.push(unpadded(frame));
        if (end) this.#dispatch(s);
        return;
      }
      default:
        return;
    }
  }

  #onHeaders(id: number, block: Uint8Array, end: boolean): void {
    const fields = this.#decoder.decode(block);
    this.#lastStream = Math.max(this.#lastStream, id);
    this.streams.push(id);
    let resolveReset!: (code: number) => void;
    const resetByClient = new Promise<number>((r) => resolveReset = r);
    const stream: ServerStream = {
      id,
      fields,
      reader: new MessageReader(64 * 1024 * 1024),
      sendWindow: this.#clientInitialWindow,
      waiters: [],
      resetByClient,
      resolveReset,
    };
    this.#open.set(id, stream);
    if (end) this.#dispatch(stream);
  }

  #dispatch(s: ServerStream): void {
    const fields = s.fields;
    const request: FakeRequest = {
      streamId: s.id,
      path: fields.find(([n]) => n === ":path")?.[1] ?? "",
      fields,
      messages: s.reader.messages,
      header: (name) => fields.find(([n]) => n === name)?.[1],
    };
    const stream: FakeStream = {
      connection: this,
      resetByClient: s.resetByClient,
      headers: (extra = [], options = {}) => {
        const all: HeaderField[] = [...extra];
        if (!all.some(([n]) => n === ":status")) all.unshift([":status", "200"]);
        if (!all.some(([n]) => n === "content-type")) {
          all.push(["content-type", "application/grpc"]);
        }
        this.#headers(s.id, all, options.endStream === true);
      },
      data: (octets, options = {}) => this.#data(s, octets, options.endStream === true),
      trailers: (t) => this.#headers(s.id, t, true),
      reset: (code) => {
        this.#open.delete(s.id);
        this.raw(encodeFrame({ type: FrameType.RST_STREAM, streamId: s.id }, uint32Payload(code)));
      },
      ok: async (message) => {
        stream.headers();
        await stream.data(frameMessage(message));
        stream.trailers([["grpc-status", "0"]]);
      },
      error: (code, message) => {
        stream.headers([["grpc-status", String(code)], ["grpc-message", percentEncode(message)]], {
          endStream: true,
        });
      },
    };
    void Promise.resolve(this.#handler()(request, stream)).catch(() => stream.reset(2));
  }

  #headers(id: number, fields: readonly HeaderField[], end: boolean): void {
    const block = this.#encoder.encode(fields);
    const flags = FrameFlag.END_HEADERS | (end ? FrameFlag.END_STREAM : 0);
    this.raw(encodeFrame({ type: FrameType.HEADERS, flags, streamId: id }, block));
    if (end) this.#open.delete(id);
  }

  async #data(s: ServerStream, octets: Uint8Array, end: boolean): Promise<void> {
    let rest = octets;
    while (rest.length > 0 || end) {
      if (this.#closed) return;
      const n = Math.min(rest.length, s.sendWindow, this.#sendWindow, DEFAULT_MAX_FRAME_BYTES);
      if (n <= 0 && rest.length > 0) {
        await new Promise<void>((resolve) => {
          s.waiters.push(resolve);
          this.#connWaiters.push(resolve);
        });
        if (!this.#open.has(s.id)) return;
        continue;
      }
      const last = n === rest.length;
      this.raw(encodeFrame(
        { type: FrameType.DATA, flags: last && end ? FrameFlag.END_STREAM : 0, streamId: s.id },
        rest.subarray(0, n),
      ));
      rest = rest.subarray(n);
      s.sendWindow -= n;
      this.#sendWindow -= n;
      if (last) break;
    }
    if (end) this.#open.delete(s.id);
  }

  #wakeAll(): void {
    this.#connWaiters.splice(0).forEach((w) => w());
    for (const s of this.#open.values()) s.waiters.splice(0).forEach((w) => w());
  }
}

const LARGEST_FRAME = 16_777_215;

/** Starts a {@linkcode FakeGrpcServer} in a new temp dir, answering with `handler`. */
export async function startFakeGrpcServer(
  handler: FakeHandler,
  options: FakeServerOptions = {},
): Promise<FakeGrpcServer> {
  const dir = await Deno.makeTempDir({ prefix: "skiff-grpc-test-" });
  const socketPath = join(dir, "grpc.sock");
  let current = handler;
  const connections: Connection[] = [];
  let listener: Deno.Listener | undefined;
  let accepting: Promise<void> = Promise.resolve();
  function listen(): void {
    const l = Deno.listen({ transport: "unix", path: socketPath });
    listener = l;
    accepting = (async () => {
      try {
        for await (const conn of l) connections.push(new Connection(conn, () => current, options));
      } catch {
        // closed
      }
    })();
  }
  async function stop(): Promise<void> {
    listener?.close();
    listener = undefined;
    await accepting;
    for (const c of connections) c.close();
    await Promise.all(connections.map((c) => c.done));
    await Deno.remove(socketPath).catch(() => {});
  }
  listen();
  return {
    socketPath,
    connections,
    handle: (h) => current = h,
    stop,
    restart: listen,
    async [Symbol.asyncDispose]() {
      await stop();
      await Deno.remove(dir, { recursive: true });
    },
  };
}
