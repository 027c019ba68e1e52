/**
 * HTTP/1.1 on one connection, as the API server speaks it: requests parsed from the socket's
 * bytes (request line, headers, `Content-Length` or chunked bodies, `Expect: 100-continue`),
 * answered in order with keep-alive, each as a web `Request` handed to the app and its
 * `Response` written back — whole with a `Content-Length`, or chunked when streamed (watches,
 * unpaged lists), with push responses writing pre-framed chunks straight to the socket.
 *
 * Written for skiff instead of using `node:http`: on Deno that layer's JavaScript parser and
 * stream machinery cost more CPU than the API server's own work per request (a watch event to
 * a thousand clients was mostly node's per-write bookkeeping), and owning the connection is
 * what HTTP upgrades (exec, port-forward) need. Limits keep a bad client from costing the
 * server: header size, body size (413), a header deadline (slow clients), an idle timeout.
 * Requests the streaming options name get their body as a stream instead, as it arrives and
 * without the size limit (the proxy subresources pass uploads on).
 *
 * An upgrade is handed off: the request's handler calls {@linkcode takeOverSocket} with the
 * request's signal, and from then on the socket is its own (it writes the `101` itself, or
 * relays the bytes of an upgrade answered elsewhere); the connection parses no more requests
 * and writes nothing of the handler's `Response`.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { ChunkedDecoder } from "./http1_response_body.ts";
import type { Logger } from "./logger.ts";

/** The socket side the connection needs (a `node:net`/`node:tls` socket). */
export interface Http1Socket {
  write(data: Uint8Array): boolean;
  end(): void;
  destroy(): void;
  pause(): void;
  resume(): void;
  setTimeout(ms: number): void;
  on(event: "data", fn: (chunk: Buffer) => void): void;
  on(event: "close" | "timeout" | "drain" | "end", fn: () => void): void;
  on(event: "error", fn: (err: Error) => void): void;
  once(event: "drain" | "close" | "end", fn: () => void): void;
  off(event: "data", fn: (chunk: Buffer) => void): void;
  off(event: "drain" | "close" | "timeout" | "end", fn: () => void): void;
  readonly writableLength: number;
  readonly destroyed: boolean;
}

/** Where a push response writes: straight to the connection's socket. */
export interface Http1PushSink {
  /** Sends bytes; never blocks. */
  write(chunk: Uint8Array): void;
  /** Ends the response. */
  close(): void;
  /** Bytes written but not yet sent (a slow client's backlog). */
  backlog(): number;
}

/**
 * A response whose bytes the app has at hand: its header lines and body text, which the
 * connection writes without reading the `Response`'s body stream and headers.
 */
export interface Http1WholeBody {
  /**
   * The header lines after the status line as the response's `Headers` list them (lowercase,
   * sorted by name), each ending in CRLF; without `content-length`, `connection` and `date`.
   */
  readonly headerLines: string;
  /** Text, or UTF-8 bytes. */
  readonly body: string | Uint8Array;
}

/**
 * How the connection recognizes responses produced over time. The API marks them (its
 * `streamedResponse` and `pushResponse`); the connection sends their head at once and frames
 * their body in chunks, and lets a push producer write straight to the socket.
 */
export interface Http1Streaming {
  /** Whether the response's head goes out at once, its body chunked as it comes. */
  isStreamed(response: Response): boolean;
  /** The producer writing the response's chunks itself, if it has one. */
  pushSource(response: Response): ((sink: Http1PushSink) => () => void) | undefined;
  /**
   * Whether a request's body reaches the handler as it arrives — a stream, with no size limit —
   * instead of read whole first (a proxy passing an upload on). After such a request the
   * connection is closed unless its body had a `Content-Length` and was read to its end.
   * @default {never}
   */
  streamsRequestBody?(method: string, target: string): boolean;
  /**
   * The header lines and body of a response the app built from text it still holds, to be
   * written as they are. Only for responses whose headers did not change since.
   * @default {none: every response's body and headers are read from it}
   */
  wholeBody?(response: Response): Http1WholeBody | undefined;
}

/** Options of {@linkcode Http1Connection}. */
export interface Http1ConnectionOptions {
  /** Answers one request. `signal` aborts when the client goes away. */
  readonly handle: (request: Request) => Promise<Response>;
  readonly logger: Logger;
  /** The URL scheme and authority requests are resolved against when they carry no Host. */
  readonly origin: string;
  /** Which responses are streamed. @default {none: every body is sent whole} */
  readonly streaming?: Http1Streaming;
  /** @default {3 MiB} */
  readonly maxBodyBytes?: number;
  /** @default {64 KiB} */
  readonly maxHeaderBytes?: number;
  /** A request head must arrive within this long of its first byte. @default {30 s} */
  readonly headerTimeoutMs?: number;
  /** A keep-alive connection with no request is closed after this long. @default {120 s} */
  readonly idleTimeoutMs?: number;
}

const encoder = new TextEncoder();
const CRLF = encoder.encode("\r\n");
const LAST_CHUNK = encoder.encode("0\r\n\r\n");

const REASONS: Readonly<Record<number, string>> = {
  100: "Continue",
  101: "Switching Protocols",
  200: "OK",
  201: "Created",
  202: "Accepted",
  204: "No Content",
  301: "Moved Permanently",
  304: "Not Modified",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  406: "Not Acceptable",
  409: "Conflict",
  410: "Gone",
  413: "Request Entity Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Entity",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// deno-lint-ignore no-control-regex
const BAD_VALUE = /[\u0000-\u0008\u000a-\u001f\u007f]/;

let dateSecond = -1;
let dateText = "";

/** The `Date` header value, rebuilt at most once a second. */
function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(now).toUTCString();
  }
  return dateText;
}

const framedChunks = new WeakMap<Uint8Array, Uint8Array>();

/** `chunk` in chunked framing, built once per chunk object (shared by every watcher). */
export function framedChunk(chunk: Uint8Array): Uint8Array {
  let framed = framedChunks.get(chunk);
  if (!framed) {
    const head = encoder.encode(`${chunk.byteLength.toString(16)}\r\n`);
    framed = new Uint8Array(head.byteLength + chunk.byteLength + 2);
    framed.set(head, 0);
    framed.set(chunk, head.byteLength);
    framed.set(CRLF, head.byteLength + chunk.byteLength);
    framedChunks.set(chunk, framed);
  }
  return framed;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  let n = 0;
  for (const p of parts) n += p.byteLength;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.byteLength;
  }
  return out;
}

/** A request head. */
interface Head {
  readonly method: string;
  readonly target: string;
  readonly version: "1.0" | "1.1";
  readonly headers: [string, string][];
  /** Lowercased header name → value (last wins), for the few the parser reads. */
  readonly index: Map<string, string>;
}

class ProtocolError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = "ProtocolError";
    this.status = status;
  }
}

/**
 * `line` from `start` without the optional white space around a field value: spaces and tabs
 * only (RFC 9110 §5.5), not every character `String.prototype.trim` drops (a 0xA0 byte is
 * part of the value).
 */
function trimOws(line: string, start: number): string {
  let from = start;
  let to = line.length;
  while (from < to && (line.charCodeAt(from) === 0x20 || line.charCodeAt(from) === 0x09)) from++;
  while (to > from && (line.charCodeAt(to - 1) === 0x20 || line.charCodeAt(to - 1) === 0x09)) to--;
  return line.slice(from, to);
}

function parseHead(text: string): Head {
  const lines = text.split("\r\n");
  const [method = "", target = "", version = "", ...extra] = (lines[0] ?? "").split(" ");
  if (extra.length > 0 || !TOKEN.test(method) || target === "") {
    throw new ProtocolError(400, "malformed request line");
  }
  if (version !== "HTTP/1.1" && version !== "HTTP/1.0") {
    throw new ProtocolError(505, `unsupported protocol ${JSON.stringify(version)}`);
  }
  const headers: [string, string][] = [];
  const index = new Map<string, string>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === "") continue;
    const colon = line.indexOf(":");
    if (colon <= 0) throw new ProtocolError(400, "malformed header line");
    const name = line.slice(0, colon);
    const value = trimOws(line, colon + 1);
    if (!TOKEN.test(name) || BAD_VALUE.test(value)) {
      throw new ProtocolError(400, "invalid header");
    }
    headers.push([name, value]);
    index.set(name.toLowerCase(), value);
  }
  return { method, target, version: version === "HTTP/1.1" ? "1.1" : "1.0", headers, index };
}

/**
 * A request of a connection, its `signal` the connection's own: aborted when the client goes
 * away. Given as `init.signal`, the fetch `Request` would make a signal following it (a
 * WeakRef and a finalization registration per request, and V8's young-generation GC keeps
 * what a WeakRef points to, so each request's objects were promoted to the old generation).
 */
class ConnectionRequest extends Request {
  readonly #signal: AbortSignal;

  constructor(url: string, init: RequestInit, signal: AbortSignal) {
    super(url, init);
    this.#signal = signal;
  }

  override get signal(): AbortSignal {
    return this.#signal;
  }
}

/** A socket a request handler took over for an upgrade. */
export interface Http1TakenSocket {
  /**
   * The connection's socket, paused: attach listeners, then `resume()`. The connection no
   * longer reads it, times it out or writes to it; it still aborts the request's signal when
   * the socket closes, so the handler's work may end with it.
   */
  readonly socket: Http1Socket;
  /** Bytes that arrived after the request's head (and body), before the take-over. */
  readonly buffered: Uint8Array;
}

const takeOvers = new WeakMap<AbortSignal, () => Http1TakenSocket | null>();

/**
 * Takes the raw socket of the request whose `signal` is given, for an HTTP upgrade: the
 * handler writes the response (`101 Switching Protocols`) and whatever follows itself. Null
 * when the request did not come from an {@linkcode Http1Connection} (an in-process request),
 * its connection is closed, or its socket was taken already.
 */
export function takeOverSocket(signal: AbortSignal): Http1TakenSocket | null {
  return takeOvers.get(signal)?.() ?? null;
}

/**
 * A request body handed to its handler as it arrives (see `streamsRequestBody`). Bytes keep
 * being taken (and dropped) after the handler stops reading, up to the body's end, so that a
 * `Content-Length` body still leaves the connection at a request boundary.
 */
class StreamedBody {
  readonly stream: ReadableStream<Uint8Array>;
  readonly chunked: boolean;
  readonly #socket: Http1Socket;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  /** Bytes of a `Content-Length` body still to come. */
  #left: number;
  readonly #decoder: ChunkedDecoder | null;
  /** Every byte of the body arrived. */
  #received = false;
  /** The stream is closed, errored or cancelled: bytes are dropped. */
  #ended = false;

  constructor(
    framing: { readonly chunked: boolean; readonly length: number },
    socket: Http1Socket,
  ) {
    this.chunked = framing.chunked;
    this.#socket = socket;
    this.#left = framing.length;
    this.#decoder = framing.chunked ? new ChunkedDecoder() : null;
    this.stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
      },
      pull: () => {
        if (!this.#received) socket.resume();
      },
      cancel: () => {
        this.#ended = true;
        if (!this.#received) socket.resume();
      },
    }, { highWaterMark: 4 });
  }

  /** Whether every byte of the body arrived. */
  get received(): boolean {
    return this.#received;
  }

  /** Takes the body's bytes from `bytes`; returns how many were its (the rest follows it). */
  feed(bytes: Uint8Array): number {
    if (this.#received) return 0;
    let used: number;
    let parts: Uint8Array[];
    if (this.#decoder) {
      try {
        parts = this.#decoder.push(bytes);
      } catch (err) {
        this.fail(err);
        parts = [];
      }
      // A chunked body's connection is not reused: whatever follows is dropped with it.
      used = bytes.byteLength;
      if (this.#decoder.done) this.#received = true;
    } else {
      used = Math.min(this.#left, bytes.byteLength);
      parts = used > 0 ? [new Uint8Array(bytes.subarray(0, used))] : [];
      this.#left -= used;
      if (this.#left === 0) this.#received = true;
    }
    if (!this.#ended) {
      for (const part of parts) if (part.byteLength > 0) this.#controller.enqueue(part);
      if (this.#received) {
        this.#ended = true;
        this.#controller.close();
      } else if ((this.#controller.desiredSize ?? 1) <= 0) {
        this.#socket.pause();
      }
    }
    return used;
  }

  /** Ends the stream with an error (the client went away, the framing broke). */
  fail(err: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#controller.error(err);
  }
}

/** One HTTP/1.1 connection. */
export class Http1Connection {
  readonly #socket: Http1Socket;
  readonly #o:
    & Required<Omit<Http1ConnectionOptions, "logger" | "handle" | "origin" | "streaming">>
    & Pick<Http1ConnectionOptions, "logger" | "handle" | "origin" | "streaming">;
  /** Bytes received and not yet consumed, in arrival order. */
  #chunks: Uint8Array[] = [];
  #size = 0;
  /** Buffered bytes needed before parsing is worth retrying (a known body length). */
  #need = 0;
  #busy = false;
  #closed = false;
  #current: AbortController | null = null;
  /** The socket belongs to an upgrade's handler. */
  #takenOver = false;
  /** The body of the request in flight, when it is streamed to its handler. */
  #streamedBody: StreamedBody | null = null;
  /**
   * The socket's inactivity timeout now, ms: the idle one, or the header one while a partial
   * head waits. It stays armed while a request is in flight (changing it per request costs a
   * timer object each time); a timeout then is ignored and the timer re-armed after.
   */
  #armedMs = 0;
  /** The timeout fired while a request was in flight (and was ignored). */
  #firedWhileBusy = false;
  readonly #onDataFn: (chunk: Buffer) => void;

  constructor(socket: Http1Socket, options: Http1ConnectionOptions) {
    this.#socket = socket;
    this.#o = {
      maxBodyBytes: 3 * 1024 * 1024,
      maxHeaderBytes: 64 * 1024,
      headerTimeoutMs: 30_000,
      idleTimeoutMs: 120_000,
      ...options,
    };
    this.#arm(this.#o.idleTimeoutMs);
    this.#onDataFn = (chunk) => this.#onData(chunk);
    socket.on("data", this.#onDataFn);
    socket.on("timeout", () => {
      // Idle between requests, or a request head that never completes: close. A request in
      // flight (a watch waiting for events) is not idle.
      if (this.#takenOver) return;
      if (this.#busy) this.#firedWhileBusy = true;
      else socket.destroy();
    });
    socket.on("close", () => this.#onClose());
    socket.on("error", () => {
      // The client reset the connection or TLS failed: "close" follows.
    });
  }

  /** Sets the socket's inactivity timeout to `ms`, unless it is set so already. */
  #arm(ms: number): void {
    if (ms === this.#armedMs) return;
    this.#armedMs = ms;
    this.#socket.setTimeout(ms);
  }

  /** Ends the connection, aborting the request in flight (server shutdown). */
  abort(reason: unknown): void {
    this.#current?.abort(reason);
    this.#socket.destroy();
  }

  #onClose(): void {
    this.#closed = true;
    const gone = new Error("Client closed the connection");
    this.#streamedBody?.fail(gone);
    this.#current?.abort(gone);
  }

  #onData(chunk: Buffer): void {
    let bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const body = this.#streamedBody;
    if (body && !body.received) {
      bytes = bytes.subarray(body.feed(bytes));
      if (bytes.byteLength === 0) return;
    }
    this.#chunks.push(bytes);
    this.#size += bytes.byteLength;
    if (!this.#busy && this.#size >= this.#need) this.#next();
    this.#armWaiting();
  }

  /**
   * With no request in flight: the header deadline while part of a request waits, else the
   * idle timeout. A request in flight keeps whichever is armed.
   */
  #armWaiting(): void {
    if (this.#busy || this.#closed || this.#takenOver) return;
    this.#arm(this.#size > 0 ? this.#o.headerTimeoutMs : this.#o.idleTimeoutMs);
  }

  /** The buffered bytes as one array (joined once, kept joined). */
  #buffered(): Uint8Array {
    if (this.#chunks.length !== 1) {
      const joined = concat(this.#chunks.length ? this.#chunks : [new Uint8Array(0)]);
      this.#chunks = joined.byteLength ? [joined] : [];
    }
    return this.#chunks[0] ?? new Uint8Array(0);
  }

  #consume(n: number): void {
    const rest = this.#buffered().subarray(n);
    this.#chunks = rest.byteLength ? [rest] : [];
    this.#size = rest.byteLength;
    this.#need = 0;
  }

  /** Parses and serves the next buffered request, if complete. */
  #next(): void {
    if (this.#busy || this.#closed || this.#size === 0) return;
    const buf = this.#buffered();
    const end = findHeadEnd(buf);
    if (end < 0) {
      if (buf.byteLength > this.#o.maxHeaderBytes) {
        this.#fail(431, "request header too large");
      }
      return;
    }
    if (end > this.#o.maxHeaderBytes) {
      this.#fail(431, "request header too large");
      return;
    }
    let head: Head;
    try {
      head = parseHead(latin1(buf.subarray(0, end)));
    } catch (err) {
      const e = err as ProtocolError;
      this.#fail(e.status ?? 400, e.message);
      return;
    }
    const bodyStart = end + 4;
    const te = head.index.get("transfer-encoding")?.toLowerCase();
    const clText = head.index.get("content-length");
    if (this.#o.streaming?.streamsRequestBody?.(head.method, head.target)) {
      return this.#serveStreamed(head, { bodyStart, te, clText });
    }
    let body: Uint8Array | null;
    let consumed: number;
    if (te !== undefined && te !== "identity") {
      if (te !== "chunked") {
        this.#fail(501, "unsupported transfer encoding");
        return;
      }
      const decoded = decodeChunked(buf, bodyStart, this.#o.maxBodyBytes);
      if (decoded === "tooLarge") return this.#tooLarge();
      if (decoded === "malformed") return this.#fail(400, "malformed chunked body");
      if (decoded === null) {
        this.#need = this.#size + 1;
        return this.#waitForBody(head);
      }
      body = decoded.body;
      consumed = decoded.end;
    } else if (clText !== undefined) {
      if (!/^\d+$/.test(clText)) return this.#fail(400, "invalid Content-Length");
      const length = Number(clText);
      if (length > this.#o.maxBodyBytes) return this.#tooLarge();
      if (buf.byteLength < bodyStart + length) {
        this.#need = bodyStart + length;
        return this.#waitForBody(head);
      }
      body = buf.subarray(bodyStart, bodyStart + length);
      consumed = bodyStart + length;
    } else {
      body = null;
      consumed = bodyStart;
    }
    // The body is copied out: the buffer it came from is reused for what follows.
    const own = body ? new Uint8Array(body) : null;
    this.#consume(consumed);
    this.#serve(head, own);
  }

  /** Serves a request whose body is streamed to its handler as it arrives. */
  #serveStreamed(
    head: Head,
    framing: { bodyStart: number; te: string | undefined; clText: string | undefined },
  ): void {
    const { te, clText } = framing;
    if (te !== undefined && te !== "identity" && te !== "chunked") {
      return this.#fail(501, "unsupported transfer encoding");
    }
    const chunked = te === "chunked";
    if (!chunked && clText !== undefined && !/^\d+$/.test(clText)) {
      return this.#fail(400, "invalid Content-Length");
    }
    const length = chunked ? 0 : Number(clText ?? 0);
    this.#consume(framing.bodyStart);
    if (!chunked && length === 0) return this.#serve(head, null);
    if (head.index.get("expect")?.toLowerCase() === "100-continue") {
      this.#socket.write(encoder.encode("HTTP/1.1 100 Continue\r\n\r\n"));
    }
    const body = new StreamedBody({ chunked, length }, this.#socket);
    this.#streamedBody = body;
    // What already arrived of the body; the rest comes through #onData.
    const buffered = this.#buffered();
    const used = buffered.byteLength > 0 ? body.feed(buffered) : 0;
    if (used > 0) this.#consume(used);
    this.#serve(head, body.stream);
  }

  #continued = false;

  #waitForBody(head: Head): void {
    if (!this.#continued && head.index.get("expect")?.toLowerCase() === "100-continue") {
      this.#continued = true;
      this.#socket.write(encoder.encode("HTTP/1.1 100 Continue\r\n\r\n"));
    }
  }

  #tooLarge(): void {
    this.#writeSimple(413, {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: `Request entity too large: limit is ${this.#o.maxBodyBytes}`,
      reason: "RequestEntityTooLarge",
      code: 413,
    });
  }

  #fail(status: number, message: string): void {
    this.#writeSimple(status, {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message,
      reason: "BadRequest",
      code: status,
    });
  }

  /** Answers with a Status and closes: after a protocol error the stream cannot be trusted. */
  #writeSimple(status: number, body: object): void {
    if (this.#closed) return;
    this.#closed = true;
    const bytes = encoder.encode(JSON.stringify(body));
    const head =
      `HTTP/1.1 ${status} ${REASONS[status] ?? "Error"}\r\ncontent-type: application/json\r\n` +
      `content-length: ${bytes.byteLength}\r\nconnection: close\r\ndate: ${httpDate()}\r\n\r\n`;
    this.#socket.write(concat([encoder.encode(head), bytes]));
    this.#socket.end();
  }

  #serve(head: Head, body: Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array> | null): void {
    this.#busy = true;
    this.#continued = false;
    const abort = new AbortController();
    this.#current = abort;
    const keepAlive = head.version === "1.1"
      ? head.index.get("connection")?.toLowerCase() !== "close"
      : head.index.get("connection")?.toLowerCase() === "keep-alive";
    const host = head.index.get("host");
    let request: Request;
    try {
      const url = head.target.startsWith("/")
        ? `${host ? `https://${host}` : this.#o.origin}${head.target}`
        : head.target;
      request = new ConnectionRequest(
        url,
        {
          method: head.method,
          headers: head.headers,
          ...(body instanceof ReadableStream
            ? { body, duplex: "half" }
            : body && body.byteLength > 0 && head.method !== "GET" && head.method !== "HEAD"
            ? { body }
            : {}),
        } as RequestInit,
        abort.signal,
      );
    } catch {
      this.#fail(400, "malformed request");
      return;
    }
    takeOvers.set(request.signal, () => this.#takeOver());
    (async () => {
      const response = await this.#o.handle(request);
      if (this.#takenOver) {
        response.body?.cancel().catch(() => {});
        return;
      }
      await this.#write(response, { head: head.method === "HEAD", keepAlive });
    })().catch((err) => {
      this.#o.logger.error("Cannot serve request", {
        method: head.method,
        path: head.target,
        error: err,
      });
      this.#socket.destroy();
    }).finally(() => {
      takeOvers.delete(request.signal);
      // The signal keeps following the socket: an upgrade's stream ends when it closes.
      if (this.#takenOver) return;
      this.#current = null;
      this.#busy = false;
      // A streamed body not read to its end, or chunked, leaves no request boundary to go on at.
      const streamed = this.#streamedBody;
      this.#streamedBody = null;
      const reusable = !streamed || (streamed.received && !streamed.chunked);
      if (streamed && !streamed.received) streamed.fail(new Error("Request answered"));
      if (!keepAlive || this.#closed || !reusable) {
        if (!this.#closed) {
          this.#closed = true;
          this.#socket.end();
        }
        return;
      }
      if (this.#firedWhileBusy) {
        // A fired timer stays off until the next activity: start it again.
        this.#firedWhileBusy = false;
        this.#socket.setTimeout(this.#armedMs);
      }
      this.#next();
      this.#armWaiting();
    });
  }

  /** Hands the socket to the request in flight (once), with the bytes read past it. */
  #takeOver(): Http1TakenSocket | null {
    if (this.#takenOver || this.#closed || this.#socket.destroyed) return null;
    this.#takenOver = true;
    const socket = this.#socket;
    socket.pause();
    socket.off("data", this.#onDataFn);
    this.#arm(0);
    const buffered = this.#size > 0 ? new Uint8Array(this.#buffered()) : new Uint8Array(0);
    this.#chunks = [];
    this.#size = 0;
    return { socket, buffered };
  }

  #headBytes(response: Response, extra: readonly string[]): Uint8Array {
    let text = `HTTP/1.1 ${response.status} ${REASONS[response.status] ?? "Status"}\r\n`;
    response.headers.forEach((value, name) => {
      if (name === "content-length" || name === "transfer-encoding" || name === "connection") {
        return;
      }
      if (name === "warning") {
        // Headers joins repeated values; each warning stays its own line, as clients expect.
        for (const w of value.split(/,\s*(?=299 )/)) text += `warning: ${w}\r\n`;
        return;
      }
      text += `${name}: ${value}\r\n`;
    });
    for (const line of extra) text += `${line}\r\n`;
    // A response may bring its own (a proxied backend's, as Go's server keeps it).
    if (!response.headers.has("date")) text += `date: ${httpDate()}\r\n`;
    text += "\r\n";
    return encoder.encode(text);
  }

  async #write(
    response: Response,
    options: { readonly head: boolean; readonly keepAlive: boolean },
  ): Promise<void> {
    const socket = this.#socket;
    const connection = options.keepAlive ? [] : ["connection: close"];
    const noBody = options.head || response.status === 204 || response.status === 304;
    const streaming = this.#o.streaming;
    const whole = noBody ? undefined : streaming?.wholeBody?.(response);
    if (whole !== undefined) {
      if (!socket.destroyed) socket.write(wholeResponseBytes(response.status, whole, connection));
      return;
    }
    if (!streaming?.isStreamed(response) || noBody) {
      const body = noBody || !response.body
        ? new Uint8Array(0)
        : new Uint8Array(await response.arrayBuffer());
      const lengthLine = response.status === 204 || response.status === 304
        ? []
        : [`content-length: ${body.byteLength}`];
      const head = this.#headBytes(response, [...lengthLine, ...connection]);
      if (!socket.destroyed) socket.write(body.byteLength > 0 ? concat([head, body]) : head);
      return;
    }
    // A stream may wait long between chunks, and each write would refresh an armed timer (a
    // watch event to a thousand clients, a thousand refreshes): none while it streams.
    this.#arm(0);
    socket.write(this.#headBytes(response, ["transfer-encoding: chunked", ...connection]));
    const source = streaming.pushSource(response);
    if (source) {
      response.body?.cancel().catch(() => {});
      await new Promise<void>((resolve) => {
        let ended = false;
        const finish = () => {
          if (ended) return;
          ended = true;
          socket.off("close", onClose);
          resolve();
        };
        const onClose = () => {
          stop();
          finish();
        };
        const stop = source({
          write: (chunk) => {
            // An empty chunk would read as the last one; nothing to send.
            if (!ended && !socket.destroyed && chunk.byteLength > 0) {
              socket.write(framedChunk(chunk));
            }
          },
          close: () => {
            if (ended) return;
            if (!socket.destroyed) socket.write(LAST_CHUNK);
            finish();
          },
          backlog: () => socket.writableLength,
        });
        socket.once("close", onClose);
      });
      return;
    }
    const reader = response.body!.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        if (socket.destroyed) return;
        if (value.byteLength === 0) continue;
        if (!socket.write(framedChunk(value))) await drained(socket);
      }
      if (!socket.destroyed) socket.write(LAST_CHUNK);
    } finally {
      reader.cancel().catch(() => {});
    }
  }
}

// deno-lint-ignore no-control-regex
const NON_ASCII = /[^\u0000-\u007f]/;

/**
 * The bytes of a whole response: the same head {@linkcode Http1Connection} writes for any
 * response (status line, its headers, `content-length`, `connection`, `date`) and the body,
 * encoded at once when the body is ASCII (its length in bytes is then its length).
 */
function wholeResponseBytes(
  status: number,
  whole: Http1WholeBody,
  connection: readonly string[],
): Uint8Array {
  const head = (length: number) =>
    `HTTP/1.1 ${status} ${REASONS[status] ?? "Status"}\r\n${whole.headerLines}` +
    `content-length: ${length}\r\n${connection.map((l) => `${l}\r\n`).join("")}` +
    `date: ${httpDate()}\r\n\r\n`;
  const text = whole.body;
  if (typeof text === "string" && !NON_ASCII.test(text)) {
    return encoder.encode(head(text.length) + text);
  }
  const body = typeof text === "string" ? encoder.encode(text) : text;
  return concat([encoder.encode(head(body.byteLength)), body]);
}

function drained(socket: Http1Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      socket.off("drain", done);
      socket.off("close", done);
      resolve();
    };
    socket.once("drain", done);
    socket.once("close", done);
  });
}

function latin1(bytes: Uint8Array): string {
  // Native: spreading bytes into String.fromCharCode costs ~25 us for a 1 KiB head.
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
}

const HEAD_END = Buffer.from("\r\n\r\n");

/** The offset of the `\r\n\r\n` ending the head, or -1. */
function findHeadEnd(buf: Uint8Array): number {
  return Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).indexOf(HEAD_END);
}

/** Decodes a chunked body starting at `start`: the body and where it ends, or why not. */
function decodeChunked(
  buf: Uint8Array,
  start: number,
  maxBytes: number,
): { body: Uint8Array; end: number } | null | "tooLarge" | "malformed" {
  const parts: Uint8Array[] = [];
  let size = 0;
  let i = start;
  for (;;) {
    let lineEnd = -1;
    for (let j = i; j + 1 < buf.length; j++) {
      if (buf[j] === 13 && buf[j + 1] === 10) {
        lineEnd = j;
        break;
      }
    }
    if (lineEnd < 0) return lineEnd - i > 1024 ? "malformed" : null;
    const sizeText = latin1(buf.subarray(i, lineEnd)).split(";")[0]!.trim();
    if (!/^[0-9a-fA-F]+$/.test(sizeText)) return "malformed";
    const n = parseInt(sizeText, 16);
    i = lineEnd + 2;
    if (n === 0) {
      // Trailers (ignored) until an empty line.
      for (;;) {
        let t = -1;
        for (let j = i; j + 1 < buf.length; j++) {
          if (buf[j] === 13 && buf[j + 1] === 10) {
            t = j;
            break;
          }
        }
        if (t < 0) return null;
        if (t === i) {
          return { body: concat(parts.length ? parts : [new Uint8Array(0)]), end: t + 2 };
        }
        i = t + 2;
      }
    }
    size += n;
    if (size > maxBytes) return "tooLarge";
    if (buf.length < i + n + 2) return null;
    parts.push(buf.subarray(i, i + n));
    if (buf[i + n] !== 13 || buf[i + n + 1] !== 10) return "malformed";
    i += n + 2;
  }
}
