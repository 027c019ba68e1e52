/**
 * {@linkcode GrpcChannel}: skiff's own minimal gRPC client transport. Unary calls over HTTP/2
 * cleartext with prior knowledge (h2c) on a unix socket (containerd's CRI) or TCP (a pod's gRPC
 * health service), one connection at a time, opened on first use and again after it ended (a
 * restarted containerd). Messages are bytes: encoding them is the caller's business.
 *
 * Per call: a deadline (sent as `grpc-timeout` and enforced locally), cancellation by
 * AbortSignal (RST_STREAM CANCEL), message size limits both ways, the status from the trailers
 * or a Trailers-Only response (`grpc-status`, percent-decoded `grpc-message`), and statuses
 * synthesized as the gRPC protocol says for responses without one and for reset streams. A call
 * the server never processed (beyond a GOAWAY's last stream, or REFUSED_STREAM) is sent once
 * more on a new connection, as gRPC's transparent retry does.
 *
 * @example Call a unary method
 * ```ts ignore
 * import { GrpcChannel } from "./grpc_channel.ts";
 *
 * using channel = new GrpcChannel({ address: { socketPath: "/run/containerd/containerd.sock" } });
 * const reply = await channel.unary({
 *   path: "/runtime.v1.RuntimeService/Version",
 *   message: new Uint8Array(0),
 *   timeoutMs: 2_000,
 * });
 * ```
 *
 * @module
 */
import {
  type Clock,
  MAX_TIMER_DELAY_MS,
  setTimeoutAt,
  systemClock,
  type TimerHandle,
} from "../../control/util/clock.ts";
import { H2ClientConnection, type H2Stream, type H2StreamFailure } from "./_h2_connection.ts";
import type { HeaderField } from "./_hpack.ts";
import {
  decodeGrpcMessage,
  frameMessage,
  grpcTimeout,
  MessageReader,
  statusOfHttp,
  statusOfReset,
} from "./_grpc_wire.ts";
import { GrpcCallError, GrpcStatus } from "./errors.ts";

/** Where a {@linkcode GrpcChannel} connects: a unix socket, or a TCP host and port. */
export type GrpcAddress =
  | { readonly socketPath: string }
  | { readonly hostname: string; readonly port: number };

/** gRPC's default limit of received messages: 4 MiB. */
export const DEFAULT_GRPC_MAX_RECEIVE_BYTES = 4 * 1024 * 1024;

/** Options of {@linkcode GrpcChannel}. */
export interface GrpcChannelOptions {
  readonly address: GrpcAddress;
  /**
   * The largest response message accepted; larger ones fail with RESOURCE_EXHAUSTED.
   * @default {4194304}
   */
  readonly maxReceiveMessageBytes?: number;
  /**
   * The largest request message sent; larger ones fail with RESOURCE_EXHAUSTED, unsent.
   * @default {Infinity}
   */
  readonly maxSendMessageBytes?: number;
  /** The `user-agent` header. @default {"skiff-grpc"} */
  readonly userAgent?: string;
  /** The `:authority`. @default {"localhost" for a socket, "host:port" for TCP} */
  readonly authority?: string;
  /**
   * How long opening the connection may take (TCP; a unix socket answers at once).
   * @default {20000}
   */
  readonly connectTimeoutMs?: number;
  /** Times deadlines and retries. @default {systemClock} */
  readonly clock?: Clock;
}

/** One unary call. */
export interface GrpcUnaryRequest {
  /** `/<package>.<Service>/<Method>`. */
  readonly path: string;
  /** The encoded request message. */
  readonly message: Uint8Array;
  /** The deadline, in milliseconds from now; `Infinity` (the default) for none. */
  readonly timeoutMs?: number;
  /** Cancels the call: it then fails with CANCELLED. */
  readonly signal?: AbortSignal;
}

/** Options of {@linkcode GrpcChannel.waitForReady}. */
export interface GrpcWaitOptions {
  /** How long to keep trying; `Infinity` (the default) for as long as it takes. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

function fieldOf(fields: readonly HeaderField[], name: string): string | undefined {
  for (const [n, v] of fields) if (n === name) return v;
  return undefined;
}

/** A call with a deadline, as {@linkcode Deadlines} tracks it. */
interface Expiring {
  readonly deadlineAt: number;
  expire(): void;
}

/**
 * The deadlines of a channel's calls on one timer, armed for the earliest and left armed when
 * that call ends early (the common case): sequential calls with the same timeout then cost one
 * timer per timeout period rather than one each. On the system clock the timer is unref'd: a
 * deadline nobody waits for any more must not keep the process alive.
 */
class Deadlines {
  readonly #clock: Clock;
  readonly #calls = new Set<Expiring>();
  #armedAt = Infinity;
  #timer: TimerHandle | undefined;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  add(call: Expiring): void {
    this.#calls.add(call);
    if (call.deadlineAt < this.#armedAt) this.#arm(call.deadlineAt);
  }

  /** Forgets `call`; the timer stays as it is. */
  delete(call: Expiring): void {
    this.#calls.delete(call);
  }

  /** Cancels the timer (the channel is closed). */
  stop(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#armedAt = Infinity;
  }

  #arm(atMs: number): void {
    this.#timer?.cancel();
    this.#armedAt = atMs;
    const run = () => this.#fire();
    if (this.#clock !== systemClock || atMs - Date.now() > MAX_TIMER_DELAY_MS) {
      this.#timer = setTimeoutAt(this.#clock, { atMs, run });
      return;
    }
    const id = setTimeout(run, Math.max(0, atMs - Date.now()));
    Deno.unrefTimer(id);
    this.#timer = { cancel: () => clearTimeout(id) };
  }

  #fire(): void {
    this.#timer = undefined;
    this.#armedAt = Infinity;
    const now = this.#clock.now();
    let next = Infinity;
    for (const call of [...this.#calls]) {
      if (call.deadlineAt <= now) {
        this.#calls.delete(call);
        call.expire();
      } else {
        next = Math.min(next, call.deadlineAt);
      }
    }
    if (next < Infinity) this.#arm(next);
  }
}

/** What a {@linkcode UnaryCall} needs from its channel. */
interface CallDeps {
  readonly connection: () => Promise<H2ClientConnection>;
  readonly isClosed: () => boolean;
  readonly clock: Clock;
  readonly deadlines: Deadlines;
  readonly authority: string;
  readonly userAgent: string;
  readonly maxReceiveMessageBytes: number;
}

/** One unary call in flight: its stream's listener, deadline and cancellation. */
class UnaryCall implements Expiring {
  readonly result: Promise<Uint8Array>;
  readonly deadlineAt: number;
  readonly #deps: CallDeps;
  readonly #request: GrpcUnaryRequest;
  #resolve!: (message: Uint8Array) => void;
  #reject!: (err: GrpcCallError) => void;
  #settled = false;
  #stream: H2Stream | undefined;
  #retried = false;

  constructor(deps: CallDeps, request: GrpcUnaryRequest) {
    this.#deps = deps;
    this.#request = request;
    this.deadlineAt = deps.clock.now() + (request.timeoutMs ?? Infinity);
    this.result = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    if (Number.isFinite(this.deadlineAt)) deps.deadlines.add(this);
    request.signal?.addEventListener("abort", this.#onAbort, { once: true });
  }

  expire(): void {
    this.#fail({ code: GrpcStatus.DEADLINE_EXCEEDED, details: "context deadline exceeded" });
  }

  start(): void {
    const { signal } = this.#request;
    if (signal?.aborted) return this.#onAbort();
    if (this.deadlineAt <= this.#deps.clock.now()) {
      return this.#fail({
        code: GrpcStatus.DEADLINE_EXCEEDED,
        details: "context deadline exceeded",
      });
    }
    this.#deps.connection().then(
      (connection) => this.#send(connection),
      (err: unknown) =>
        this.#fail(
          err instanceof GrpcCallError
            ? { code: err.code, details: err.details, cause: err.cause }
            : { code: GrpcStatus.UNAVAILABLE, details: String(err), cause: err },
        ),
    );
  }

  readonly #onAbort = (): void => {
    this.#fail({
      code: GrpcStatus.CANCELLED,
      details: "context canceled",
      cause: this.#request.signal?.reason,
    });
  };

  #send(connection: H2ClientConnection): void {
    if (this.#settled) return;
    const fields: HeaderField[] = [
      [":method", "POST"],
      [":scheme", "http"],
      [":path", this.#request.path],
      [":authority", this.#deps.authority],
    ];
    const left = this.deadlineAt - this.#deps.clock.now();
    if (Number.isFinite(left)) fields.push(["grpc-timeout", grpcTimeout(left)]);
    fields.push(
      ["te", "trailers"],
      ["content-type", "application/grpc"],
      ["user-agent", this.#deps.userAgent],
    );
    const response = new ResponseReader(this.#deps.maxReceiveMessageBytes, {
      done: (message) => this.#succeed(message),
      fail: (failure) => this.#fail(failure),
      failed: (failure) => this.#onStreamFailure(failure),
    });
    try {
      this.#stream = connection.open(
        { fields, body: frameMessage(this.#request.message) },
        response,
      );
    } catch {
      // The connection stopped taking streams between dialing and now: dial again.
      this.#retryOrFail({ kind: "refused", message: "the connection was closing" });
    }
  }

  #onStreamFailure(failure: H2StreamFailure): void {
    this.#stream = undefined;
    if (failure.kind === "refused") return this.#retryOrFail(failure);
    if (failure.kind === "reset") {
      return this.#fail({ code: statusOfReset(failure.code), details: failure.message });
    }
    this.#fail({
      code: this.#deps.isClosed() ? GrpcStatus.CANCELLED : GrpcStatus.UNAVAILABLE,
      details: failure.message,
    });
  }

  #retryOrFail(failure: H2StreamFailure): void {
    if (this.#settled) return;
    if (!this.#retried && !this.#deps.isClosed()) {
      this.#retried = true;
      this.start();
      return;
    }
    this.#fail({ code: GrpcStatus.UNAVAILABLE, details: failure.message });
  }

  #succeed(message: Uint8Array): void {
    if (this.#settled) return;
    this.#finish();
    this.#resolve(message);
  }

  #fail(failure: { code: number; details: string; cause?: unknown }): void {
    if (this.#settled) return;
    this.#finish();
    this.#stream?.cancel();
    this.#reject(new GrpcCallError(failure));
  }

  #finish(): void {
    this.#settled = true;
    this.#deps.deadlines.delete(this);
    this.#request.signal?.removeEventListener("abort", this.#onAbort);
  }
}

/** Where a {@linkcode ResponseReader} reports how the response ended. */
interface ResponseSink {
  /** The response message, with status OK. */
  done(message: Uint8Array): void;
  /** A non-OK status, or a response that breaks the protocol (the stream is then cancelled). */
  fail(failure: { code: number; details: string }): void;
  /** The stream ended without a response. */
  failed(failure: H2StreamFailure): void;
}

/** Reads one unary response off its stream. */
class ResponseReader {
  readonly #messages: MessageReader;
  readonly #out: ResponseSink;
  #httpStatus: number | undefined;
  #over = false;

  constructor(maxMessageBytes: number, out: ResponseSink) {
    this.#messages = new MessageReader(maxMessageBytes);
    this.#out = out;
  }

  onHeaders(fields: HeaderField[], endStream: boolean): void {
    if (this.#over) return;
    if (this.#httpStatus === undefined) {
      const status = Number(fieldOf(fields, ":status"));
      if (status >= 100 && status < 200 && !endStream) return; // informational
      this.#httpStatus = status;
      if (endStream) return this.#end(fields); // Trailers-Only
      if (status !== 200) {
        return this.#fail({
          code: statusOfHttp(status),
          details: `unexpected HTTP status code received from server: ${status}`,
        });
      }
      const type = fieldOf(fields, "content-type");
      if (type !== undefined && !type.startsWith("application/grpc")) {
        return this.#fail({
          code: GrpcStatus.UNKNOWN,
          details: `unexpected content-type ${JSON.stringify(type)} received from server`,
        });
      }
      return;
    }
    if (!endStream) {
      return this.#fail({
        code: GrpcStatus.INTERNAL,
        details: "the server sent a second header block without ending the stream",
      });
    }
    this.#end(fields);
  }

  onData(chunk: Uint8Array, endStream: boolean): void {
    if (this.#over) return;
    try {
      this.#messages.push(chunk);
    } catch (err) {
      return this.#fail(err as GrpcCallError);
    }
    if (endStream) {
      this.#fail({
        code: GrpcStatus.INTERNAL,
        details: "server closed the stream without sending trailers",
      });
    }
  }

  onFailure(failure: H2StreamFailure): void {
    if (this.#over) return;
    this.#over = true;
    this.#out.failed(failure);
  }

  /** The response ended with `trailers` (or a Trailers-Only response). */
  #end(trailers: readonly HeaderField[]): void {
    const statusText = fieldOf(trailers, "grpc-status");
    if (statusText === undefined) {
      const http = this.#httpStatus ?? 0;
      return this.#fail(
        http === 200 ? { code: GrpcStatus.INTERNAL, details: "the response has no grpc-status" } : {
          code: statusOfHttp(http),
          details: `unexpected HTTP status code received from server: ${http}`,
        },
      );
    }
    if (!/^\d+$/.test(statusText)) {
      return this.#fail({
        code: GrpcStatus.UNKNOWN,
        details: `the response has a malformed grpc-status ${JSON.stringify(statusText)}`,
      });
    }
    const code = Number(statusText);
    if (code !== GrpcStatus.OK) {
      return this.#fail({
        code,
        details: decodeGrpcMessage(fieldOf(trailers, "grpc-message") ?? ""),
      });
    }
    const messages = this.#messages.messages;
    if (this.#messages.partial || messages.length !== 1) {
      return this.#fail({
        code: GrpcStatus.INTERNAL,
        details: this.#messages.partial
          ? "the response ends inside a message"
          : `expected 1 response message, got ${messages.length}`,
      });
    }
    this.#over = true;
    this.#out.done(messages[0]!);
  }

  #fail(failure: { code: number; details: string }): void {
    this.#over = true;
    this.#out.fail(failure);
  }
}

/** A gRPC client channel: see the module doc. `close()` (or `using`) ends its connection. */
export class GrpcChannel implements Disposable {
  readonly #address: GrpcAddress;
  readonly #target: string;
  readonly #deps: CallDeps;
  readonly #maxSendMessageBytes: number;
  readonly #connectTimeoutMs: number;
  readonly #clock: Clock;
  readonly #all = new Set<H2ClientConnection>();
  readonly #closing = new AbortController();
  readonly #deadlines: Deadlines;
  #live: H2ClientConnection | undefined;
  #dialing: Promise<H2ClientConnection> | undefined;
  #closed = false;

  constructor(options: GrpcChannelOptions) {
    this.#address = options.address;
    this.#clock = options.clock ?? systemClock;
    this.#deadlines = new Deadlines(this.#clock);
    this.#maxSendMessageBytes = options.maxSendMessageBytes ?? Infinity;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 20_000;
    const address = options.address;
    const tcp = "socketPath" in address ? undefined : hostPort(address);
    this.#target = tcp === undefined
      ? `unix ${(address as { socketPath: string }).socketPath}`
      : `tcp ${tcp}`;
    this.#deps = {
      connection: () => this.#connection(),
      isClosed: () => this.#closed,
      clock: this.#clock,
      deadlines: this.#deadlines,
      authority: options.authority ?? tcp ?? "localhost",
      userAgent: options.userAgent ?? "skiff-grpc",
      maxReceiveMessageBytes: options.maxReceiveMessageBytes ?? DEFAULT_GRPC_MAX_RECEIVE_BYTES,
    };
  }

  /**
   * Sends one request and resolves with the response message; rejects with a
   * {@linkcode GrpcCallError} carrying the status otherwise.
   */
  unary(request: GrpcUnaryRequest): Promise<Uint8Array> {
    if (this.#closed) return Promise.reject(this.#closedError());
    if (request.message.length > this.#maxSendMessageBytes) {
      return Promise.reject(
        new GrpcCallError({
          code: GrpcStatus.RESOURCE_EXHAUSTED,
          details:
            `trying to send message larger than max (${request.message.length} vs. ${this.#maxSendMessageBytes})`,
        }),
      );
    }
    const call = new UnaryCall(this.#deps, request);
    call.start();
    return call.result;
  }

  /**
   * Resolves once a connection is open and the server has sent its HTTP/2 SETTINGS, trying
   * again (100 ms, doubling to 1 s) until `timeoutMs` has passed; then rejects with an
   * UNAVAILABLE {@linkcode GrpcCallError} naming the last failure.
   */
  async waitForReady(options: GrpcWaitOptions = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? Infinity;
    const deadlineAt = this.#clock.now() + timeoutMs;
    let pauseMs = 100;
    let last: string | undefined;
    for (;;) {
      if (this.#closed) throw this.#closedError();
      options.signal?.throwIfAborted();
      let connected = false;
      try {
        const connection = await this.#within(this.#connection(), deadlineAt);
        connected = true;
        await this.#within(connection.ready, deadlineAt);
        return;
      } catch (err) {
        if (err !== TIMED_OUT) {
          last = err instanceof GrpcCallError ? err.details : (err as Error).message;
        } else {
          last ??= connected
            ? "the server sent no HTTP/2 SETTINGS"
            : `connection error: still dialing ${this.#target}`;
        }
      }
      const leftMs = deadlineAt - this.#clock.now();
      if (leftMs <= 0) break;
      await this.#clock.sleep(Math.min(pauseMs, leftMs), options.signal);
      pauseMs = Math.min(pauseMs * 2, 1_000);
    }
    throw new GrpcCallError({ code: GrpcStatus.UNAVAILABLE, details: last ?? "no attempt" });
  }

  /** Closes the channel: calls in flight fail with CANCELLED, later ones too. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closing.abort();
    this.#deadlines.stop();
    this.#live = undefined;
    for (const connection of this.#all) connection.close("the channel was closed");
    this.#all.clear();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #closedError(): GrpcCallError {
    return new GrpcCallError({ code: GrpcStatus.CANCELLED, details: "the channel is closed" });
  }

  #connection(): Promise<H2ClientConnection> {
    if (this.#closed) return Promise.reject(this.#closedError());
    if (this.#live?.acceptsStreams) return Promise.resolve(this.#live);
    this.#dialing ??= this.#dial().finally(() => this.#dialing = undefined);
    return this.#dialing;
  }

  async #dial(): Promise<H2ClientConnection> {
    const timeout = new AbortController();
    const timer = setTimeoutAt(this.#clock, {
      atMs: this.#clock.now() + this.#connectTimeoutMs,
      run: () => timeout.abort(new Error(`no connection within ${this.#connectTimeoutMs} ms`)),
    });
    let conn: Deno.Conn;
    try {
      const signal = AbortSignal.any([timeout.signal, this.#closing.signal]);
      conn = "socketPath" in this.#address
        ? await Deno.connect({ transport: "unix", path: this.#address.socketPath })
        : await Deno.connect({
          hostname: this.#address.hostname,
          port: this.#address.port,
          signal,
        });
    } catch (err) {
      throw new GrpcCallError({
        code: GrpcStatus.UNAVAILABLE,
        details: `connection error: cannot dial ${this.#target}: ${(err as Error).message}`,
        cause: err,
      });
    } finally {
      timer.cancel();
    }
    if (this.#closed) {
      conn.close();
      throw this.#closedError();
    }
    const connection = new H2ClientConnection(conn);
    this.#live = connection;
    this.#all.add(connection);
    void connection.closed.then(() => {
      this.#all.delete(connection);
      if (this.#live === connection) this.#live = undefined;
    });
    return connection;
  }

  /** `promise`, or a rejection with {@linkcode TIMED_OUT} at `deadlineAt`. */
  #within<T>(promise: Promise<T>, deadlineAt: number): Promise<T> {
    if (!Number.isFinite(deadlineAt)) return promise;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeoutAt(this.#clock, { atMs: deadlineAt, run: () => reject(TIMED_OUT) });
      promise.then(
        (value) => {
          timer.cancel();
          resolve(value);
        },
        (err) => {
          timer.cancel();
          reject(err);
        },
      );
    });
  }
}

const TIMED_OUT = Symbol("timed out");

function hostPort(address: { readonly hostname: string; readonly port: number }): string {
  return address.hostname.includes(":")
    ? `[${address.hostname}]:${address.port}`
    : `${address.hostname}:${address.port}`;
}
