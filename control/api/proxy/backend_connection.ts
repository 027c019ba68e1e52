/**
 * The proxy's side of a connection to a backend — a pod, a Service's endpoint or a kubelet —
 * over HTTP/1.1 on a raw socket: dialling it (TCP, or TLS without verifying the backend, as
 * kube-apiserver's proxy transport does for pods and Services; a kubelet with the API server's
 * kubelet client certificate), writing a request (its body streamed, by `Content-Length` or
 * chunked, while the answer may already come) and reading the answer's head, past any `1xx`
 * interim answers. Dial failures carry Go's wording (`dial tcp 10.42.0.5:8080: connect:
 * connection refused`), which the proxy's errors quote.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import net from "node:net";
import tls from "node:tls";
import { type Clock, systemClock } from "../../util/clock.ts";
import {
  dialFailure,
  dialKubelet,
  type KubeletClientCredentials,
  KubeletDialError,
} from "../kubelet_connection.ts";
import type { KubeletDialer } from "../streaming/kubelet_upgrade.ts";
import { joinHostPort } from "./proxy_location.ts";

/** What is dialled. */
export interface BackendAddress {
  readonly hostname: string;
  /** As asked: a port that is not a number fails the dial. */
  readonly port: string;
  readonly tls: boolean;
}

/** Options of a {@linkcode BackendDialer}. */
export interface BackendDialOptions {
  /** Aborts the dial; once connected, destroys the socket. */
  readonly signal: AbortSignal;
}

/** Opens a connection to a backend; rejects with {@linkcode BackendDialError}. */
export type BackendDialer = (
  address: BackendAddress,
  options: BackendDialOptions,
) => Promise<net.Socket>;

/** A backend could not be reached; `message` is Go's (`dial tcp 10.42.0.5:80: i/o timeout`). */
export class BackendDialError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "BackendDialError";
  }
}

/** Options of {@linkcode dialBackend}. */
export interface DialBackendOptions extends BackendDialOptions {
  /** @default {30 s}, kube-apiserver's proxy dialer's */
  readonly timeoutMs?: number;
  /** @default {systemClock} */
  readonly clock?: Clock;
}

/**
 * Dials a pod or an endpoint: TCP, or TLS accepting any certificate (upstream's proxy
 * transport cannot verify a pod's). Resolves once connected (and the TLS handshake is done).
 */
export function dialBackend(
  address: BackendAddress,
  options: DialBackendOptions,
): Promise<net.Socket> {
  const { signal } = options;
  if (signal.aborted) return Promise.reject(signal.reason);
  if (!/^\d+$/.test(address.port)) {
    return Promise.reject(
      new BackendDialError(`dial tcp: lookup tcp/${address.port}: unknown port`),
    );
  }
  const port = Number(address.port);
  if (port > 65535) {
    return Promise.reject(
      new BackendDialError(`dial tcp: address ${address.port}: invalid port`),
    );
  }
  const target = `dial tcp ${joinHostPort(address.hostname, address.port)}`;
  return new Promise<net.Socket>((resolve, reject) => {
    const socket = address.tls
      ? tls.connect({
        host: address.hostname,
        port,
        rejectUnauthorized: false,
        ...(net.isIP(address.hostname) === 0 ? { servername: address.hostname } : {}),
        ALPNProtocols: ["http/1.1"],
      })
      : net.connect({ host: address.hostname, port });
    let connected = false;
    const onAbort = () => {
      socket.destroy();
      if (!connected) {
        timer.cancel();
        reject(signal.reason);
      }
    };
    const timer = (options.clock ?? systemClock).setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      socket.destroy();
      reject(new BackendDialError(`${target}: i/o timeout`));
    }, options.timeoutMs ?? 30_000);
    signal.addEventListener("abort", onAbort, { once: true });
    socket.once("close", () => signal.removeEventListener("abort", onAbort));
    socket.once(address.tls ? "secureConnect" : "connect", () => {
      connected = true;
      timer.cancel();
      socket.setNoDelay(true);
      resolve(socket);
    });
    socket.on("error", (err: Error & { syscall?: string }) => {
      if (connected) return; // the owner sees "close"
      timer.cancel();
      signal.removeEventListener("abort", onAbort);
      socket.destroy();
      const handshake = address.tls && !err.syscall;
      reject(
        new BackendDialError(handshake ? err.message : `${target}: ${dialFailure(err)}`, {
          cause: err,
        }),
      );
    });
  });
}

/** Options of {@linkcode kubeletBackendDialer}. */
export interface KubeletBackendDialerOptions {
  /** The API server's kubelet client certificate, read per dial (it is renewed). */
  readonly credentials: () => KubeletClientCredentials;
  /** @default {dialKubelet} */
  readonly dial?: KubeletDialer;
}

/** A dialer of kubelets: TLS with the API server's kubelet client certificate. */
export function kubeletBackendDialer(options: KubeletBackendDialerOptions): BackendDialer {
  return async (address, { signal }) => {
    try {
      return await (options.dial ?? dialKubelet)(
        { host: address.hostname, port: Number(address.port) },
        { credentials: options.credentials(), signal },
      );
    } catch (err) {
      if (err instanceof KubeletDialError) {
        throw new BackendDialError(err.message.replace(/^error dialing backend: /, ""), {
          cause: err,
        });
      }
      throw err;
    }
  };
}

/** The socket side a request and its answer need. */
export interface ExchangeSocket {
  write(data: Uint8Array): boolean;
  pause(): unknown;
  on(event: "data", fn: (chunk: Uint8Array) => void): unknown;
  on(event: "end" | "close" | "drain", fn: () => void): unknown;
  on(event: "error", fn: (err: Error) => void): unknown;
  off(event: "data", fn: (chunk: Uint8Array) => void): unknown;
  off(event: "end" | "close" | "drain", fn: () => void): unknown;
  off(event: "error", fn: (err: Error) => void): unknown;
  readonly destroyed: boolean;
}

/** A request to a backend. */
export interface BackendRequest {
  readonly method: string;
  /** Path and query. */
  readonly target: string;
  /** Header lines, `Host` first; framing headers are added here. */
  readonly headers: readonly (readonly [string, string])[];
  /** null: no body. */
  readonly body: ReadableStream<Uint8Array> | Uint8Array | null;
  /** The body's length when known; a stream of unknown length goes chunked. */
  readonly contentLength?: number;
  /** Send `Content-Length: 0` without a body (POST, PUT and PATCH, as Go's transport does). */
  readonly emptyBodyLength?: boolean;
}

const encoder = new TextEncoder();

function waitDrain(socket: ExchangeSocket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      socket.off("drain", done);
      socket.off("close", done);
      resolve();
    };
    socket.on("drain", done);
    socket.on("close", done);
  });
}

/**
 * Writes `request` to `socket`: the head, then the body as it comes (backpressure-aware).
 * Resolves once it is written (or the socket closed); rejects when the body stream fails.
 */
export async function writeBackendRequest(
  socket: ExchangeSocket,
  request: BackendRequest,
): Promise<void> {
  const { body } = request;
  const length = body instanceof Uint8Array ? body.byteLength : request.contentLength;
  let framing: string[] = [];
  if (body !== null && length !== undefined) framing = [`Content-Length: ${length}`];
  else if (body !== null) framing = ["Transfer-Encoding: chunked"];
  else if (request.emptyBodyLength) framing = ["Content-Length: 0"];
  let head = `${request.method} ${request.target} HTTP/1.1\r\n`;
  for (const [name, value] of request.headers) head += `${name}: ${value}\r\n`;
  for (const line of framing) head += `${line}\r\n`;
  const headBytes = encoder.encode(`${head}\r\n`);
  if (body === null || body instanceof Uint8Array) {
    const all = body && body.byteLength > 0 ? Buffer.concat([headBytes, body]) : headBytes;
    if (!socket.destroyed) socket.write(new Uint8Array(all));
    return;
  }
  if (!socket.destroyed) socket.write(headBytes);
  const chunked = length === undefined;
  const reader = body.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      if (socket.destroyed) return;
      if (value.byteLength === 0) continue;
      const data = chunked
        ? Buffer.concat([
          encoder.encode(`${value.byteLength.toString(16)}\r\n`),
          value,
          encoder.encode("\r\n"),
        ])
        : value;
      if (!socket.write(new Uint8Array(data))) await waitDrain(socket);
    }
    if (chunked && !socket.destroyed) socket.write(encoder.encode("0\r\n\r\n"));
  } finally {
    reader.cancel().catch(() => {});
  }
}

/** A backend's answer, its head read. */
export interface BackendResponse {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Headers;
  /** The head exactly as sent (interim `1xx` answers skipped). */
  readonly rawHead: Uint8Array;
  /** What followed the head in the bytes read. */
  readonly buffered: Uint8Array;
}

const MAX_HEAD_BYTES = 1 << 20;
const HEAD_END = Buffer.from("\r\n\r\n");

/**
 * Reads the answer's head: resolves with it, skipping interim `1xx` answers (but not `101`),
 * and leaves the socket paused for whoever reads on. Rejects with Go's wording when the
 * backend closes first (`EOF`) or sends no HTTP.
 */
export function readBackendResponse(socket: ExchangeSocket): Promise<BackendResponse> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const finish = (err: Error | null, res?: BackendResponse) => {
      // Paused, so that nothing after the head is emitted before the body's reader listens
      // (it resumes the socket).
      if (!err) socket.pause();
      socket.off("data", onData);
      socket.off("close", onClose);
      socket.off("end", onClose);
      socket.off("error", onError);
      if (err) reject(err);
      else resolve(res!);
    };
    const parse = (): boolean => {
      for (;;) {
        const end = buf.indexOf(HEAD_END);
        if (end < 0) {
          if (buf.byteLength > MAX_HEAD_BYTES) {
            finish(new Error("net/http: server response headers exceeded 1048576 bytes"));
            return true;
          }
          return false;
        }
        const lines = buf.subarray(0, end).toString("latin1").split("\r\n");
        const match = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(lines[0] ?? "");
        if (!match) {
          finish(new Error(`malformed HTTP response ${JSON.stringify(lines[0] ?? "")}`));
          return true;
        }
        const status = Number(match[1]);
        if (status >= 100 && status < 200 && status !== 101) {
          buf = buf.subarray(end + 4);
          continue;
        }
        const headers = new Headers();
        for (const line of lines.slice(1)) {
          const colon = line.indexOf(":");
          if (colon <= 0) continue;
          try {
            headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
          } catch {
            // a header the web Headers cannot hold: dropped
          }
        }
        finish(null, {
          status,
          statusText: match[2] ?? "",
          headers,
          rawHead: new Uint8Array(buf.subarray(0, end + 4)),
          buffered: new Uint8Array(buf.subarray(end + 4)),
        });
        return true;
      }
    };
    const onData = (chunk: Uint8Array) => {
      buf = buf.byteLength ? Buffer.concat([buf, chunk]) : Buffer.from(chunk);
      parse();
    };
    const onClose = () => finish(new Error(buf.byteLength === 0 ? "EOF" : "unexpected EOF"));
    const onError = (err: Error) =>
      finish(new Error(`read: ${dialFailure(err).replace(/^read: /, "")}`));
    socket.on("data", onData);
    socket.on("close", onClose);
    socket.on("end", onClose);
    socket.on("error", onError);
  });
}
