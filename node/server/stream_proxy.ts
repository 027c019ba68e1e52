/**
 * The kubelet's streaming proxy: an HTTP upgrade request (exec, attach, port-forward) is sent
 * on, raw, to the URL the container runtime's streaming server handed out (CRI
 * Exec/Attach/PortForward), and from then on bytes are relayed both ways until either side
 * closes — so whatever the client speaks (SPDY/3.1 with `X-Stream-Protocol-Version`, or
 * WebSocket `v4.channel.k8s.io`) reaches containerd, and containerd's `101` (or its error
 * answer) reaches the client unchanged. As upstream's upgrade-aware proxy does, the request
 * keeps its method, headers and query; only the path becomes the runtime's.
 *
 * @module
 */
import type { Buffer } from "node:buffer";
import net from "node:net";
import tls from "node:tls";
import { type Clock, systemClock } from "../../control/util/clock.ts";
import type { Http1Socket } from "../../control/util/http1_connection.ts";
import type { Logger } from "../../control/util/logger.ts";

/** The client's side: a socket taken over from its HTTP/1.1 connection. */
export interface UpgradeClient {
  /** Paused; the proxy resumes it. */
  readonly socket: Http1Socket;
  /** Bytes the client sent after the request head. */
  readonly buffered: Uint8Array;
}

/** Options of {@linkcode proxyUpgrade}. */
export interface ProxyUpgradeOptions {
  /** The client's request (method, headers, query). */
  readonly request: Request;
  /** The runtime's streaming URL (`http://127.0.0.1:36221/exec/Jv2OuemE`). */
  readonly target: string;
  readonly logger: Logger;
  /** How long connecting to the runtime may take. @default {30000} */
  readonly connectTimeoutMs?: number;
  /** Times the connect. @default {systemClock} */
  readonly clock?: Clock;
}

const encoder = new TextEncoder();

/** Headers that name the hop, not the request: replaced for the runtime. */
const HOP_HEADERS: ReadonlySet<string> = new Set(["host", "content-length", "transfer-encoding"]);

/** The request head sent to the runtime. */
export function upstreamRequestHead(request: Request, target: URL): string {
  const url = new URL(request.url);
  let head = `${request.method} ${target.pathname}${url.search} HTTP/1.1\r\n`;
  head += `Host: ${target.host}\r\n`;
  request.headers.forEach((value, name) => {
    if (!HOP_HEADERS.has(name)) head += `${name}: ${value}\r\n`;
  });
  return `${head}\r\n`;
}

function plainError(status: number, reason: string, message: string): Uint8Array {
  const body = encoder.encode(message);
  return encoder.encode(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: text/plain; charset=utf-8\r\n` +
      `content-length: ${body.byteLength}\r\nconnection: close\r\n\r\n${message}`,
  );
}

/** A connected socket to the runtime's streaming server. */
function dial(target: URL, options: { timeoutMs: number; clock: Clock }): Promise<net.Socket> {
  const { timeoutMs, clock } = options;
  const port = Number(target.port || (target.protocol === "https:" ? 443 : 80));
  const host = target.hostname.replace(/^\[|\]$/g, "");
  return new Promise((resolve, reject) => {
    // containerd's TLS streaming (enable_tls_streaming) uses a self-signed certificate, as
    // the kubelet's proxy does not verify it either.
    const socket: net.Socket = target.protocol === "https:"
      ? tls.connect({ host, port, rejectUnauthorized: false, ALPNProtocols: ["http/1.1"] })
      : net.connect({ host, port });
    const event = target.protocol === "https:" ? "secureConnect" : "connect";
    const timer = clock.setTimeout(() => {
      socket.destroy();
      reject(new Error(`dial ${host}:${port}: timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once("error", (err) => {
      timer.cancel();
      reject(err);
    });
    socket.once(event, () => {
      timer.cancel();
      socket.setNoDelay(true);
      resolve(socket);
    });
  });
}

/**
 * Relays the upgrade to `options.target`; resolves once both sides are closed. A runtime
 * that cannot be reached gets the client a 500 naming the cause.
 */
export async function proxyUpgrade(
  client: UpgradeClient,
  options: ProxyUpgradeOptions,
): Promise<void> {
  const { socket } = client;
  let target: URL;
  try {
    target = new URL(options.target);
  } catch {
    socket.write(plainError(500, "Internal Server Error", `invalid streaming URL`));
    socket.end();
    return;
  }
  // The client may leave while the runtime is dialled.
  let clientClosed = false;
  const onEarlyClose = () => (clientClosed = true);
  socket.once("close", onEarlyClose);
  let backend: net.Socket;
  try {
    backend = await dial(target, {
      timeoutMs: options.connectTimeoutMs ?? 30_000,
      clock: options.clock ?? systemClock,
    });
  } catch (err) {
    socket.off("close", onEarlyClose);
    options.logger.warn("Cannot reach the streaming server", {
      url: target.origin,
      error: String(err),
    });
    if (!clientClosed && !socket.destroyed) {
      socket.write(plainError(500, "Internal Server Error", `error dialing backend: ${err}`));
      socket.end();
    }
    return;
  }
  socket.off("close", onEarlyClose);
  if (clientClosed || socket.destroyed) {
    backend.destroy();
    return;
  }
  await new Promise<void>((resolve) => {
    let open = 2;
    const closed = () => {
      if (--open === 0) resolve();
    };
    backend.on("close", () => {
      if (!socket.destroyed) socket.end();
      closed();
    });
    socket.on("close", () => {
      backend.destroy();
      closed();
    });
    backend.on("error", () => {
      // "close" follows.
    });
    backend.on("end", () => {
      if (!socket.destroyed) socket.end();
    });
    socket.on("end", () => {
      if (!backend.destroyed) backend.end();
    });
    // Bytes each way, pausing the sender while the receiver's buffer is full.
    backend.on("data", (chunk: Buffer) => {
      if (socket.destroyed) return;
      if (!socket.write(chunk)) {
        backend.pause();
        socket.once("drain", () => backend.resume());
      }
    });
    socket.on("data", (chunk: Buffer) => {
      if (backend.destroyed) return;
      if (!backend.write(chunk)) {
        socket.pause();
        backend.once("drain", () => socket.resume());
      }
    });
    backend.write(upstreamRequestHead(options.request, target));
    if (client.buffered.byteLength > 0) backend.write(client.buffered);
    socket.resume();
  });
}
