/**
 * The HTTPS listener: `node:https` (Deno's native server cannot show the client certificate),
 * requesting but not requiring client certificates so token users keep working, bridging each
 * request to the Hono app's `fetch` with the peer certificate in the env and streaming the
 * response back with backpressure (watches flush per event). A client going away aborts its
 * request's signal, which ends its watch.
 *
 * @module
 */
import type { Buffer } from "node:buffer";
import https from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import type { Logger } from "../util/logger.ts";
import type { ConnectionInfo } from "./auth/authenticator.ts";
import { ApiError } from "./errors.ts";
import { MAX_BODY_BYTES } from "./handlers/context.ts";
import { isStreamedResponse, pushSourceOf } from "./handlers/render.ts";

/** Anything with a `fetch` like a Hono app's. */
export interface FetchApp {
  fetch(request: Request, env: { connection: ConnectionInfo }): Response | Promise<Response>;
}

/** Options of {@linkcode startHttpsServer}. */
export interface HttpsServerOptions {
  readonly app: FetchApp;
  readonly port: number;
  /** The address to listen on. @default {"0.0.0.0"} */
  readonly hostname?: string;
  readonly certPem: string;
  readonly keyPem: string;
  readonly logger: Logger;
}

/** A running listener. */
export interface HttpsServer {
  /** The port it listens on (useful with port 0). */
  readonly port: number;
  /** Replaces the serving certificate without dropping connections (renewal). */
  setCertificate(certPem: string, keyPem: string): void;
  /** Stops accepting, ends open requests (watches) and closes. */
  close(): Promise<void>;
}

interface PeerCertificate {
  raw?: Uint8Array;
  issuerCertificate?: PeerCertificate;
  fingerprint256?: string;
}

const connections = new WeakMap<TLSSocket, ConnectionInfo>();

/** What the TLS layer knows of a connection, read once per connection. */
function connectionInfo(socket: TLSSocket): ConnectionInfo {
  let info = connections.get(socket);
  if (!info) {
    info = readConnectionInfo(socket);
    connections.set(socket, info);
  }
  return info;
}

function readConnectionInfo(socket: TLSSocket): ConnectionInfo {
  let peer: PeerCertificate | undefined;
  try {
    peer = socket.getPeerCertificate?.(true) as PeerCertificate | undefined;
  } catch {
    peer = undefined;
  }
  const raw = peer?.raw;
  if (!raw || raw.length === 0) return { connectionKey: socket };
  const chain: Uint8Array[] = [];
  let cur = peer?.issuerCertificate;
  const seen = new Set<PeerCertificate>();
  while (cur && !seen.has(cur) && cur.raw && cur.raw.length > 0 && chain.length < 8) {
    seen.add(cur);
    if (cur !== peer) chain.push(new Uint8Array(cur.raw));
    cur = cur.issuerCertificate;
  }
  return {
    peerCertificate: new Uint8Array(raw),
    peerChain: chain,
    connectionKey: socket,
    remoteAddress: socket.remoteAddress ?? "",
  };
}

/** Reads a request body whole, or returns null as soon as it exceeds `maxBytes`. */
function readBody(req: IncomingMessage, maxBytes: number): Promise<Uint8Array | null> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > maxBytes) return Promise.resolve(null);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > maxBytes) {
        req.removeAllListeners("data");
        req.resume();
        resolve(null);
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (size > maxBytes) return;
      if (chunks.length === 1) {
        const c = chunks[0]!;
        resolve(new Uint8Array(c.buffer, c.byteOffset, c.byteLength));
        return;
      }
      const out = new Uint8Array(size);
      let off = 0;
      for (const c of chunks) {
        out.set(c, off);
        off += c.byteLength;
      }
      resolve(out);
    });
    req.on("error", reject);
  });
}

function toRequest(
  req: IncomingMessage,
  options: { signal: AbortSignal; body: Uint8Array | null },
): Request {
  const host = req.headers.host ?? "localhost";
  const url = `https://${host}${req.url ?? "/"}`;
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    try {
      headers.append(raw[i]!, raw[i + 1]!);
    } catch {
      // A header Headers refuses (invalid bytes): drop it rather than fail the request.
    }
  }
  const method = req.method ?? "GET";
  return new Request(url, {
    method,
    headers,
    signal: options.signal,
    ...(options.body && options.body.byteLength > 0 ? { body: options.body } : {}),
  } as RequestInit);
}

const framedChunks = new WeakMap<Uint8Array, Uint8Array>();
const CRLF = new Uint8Array([13, 10]);

/** `chunk` in HTTP/1.1 chunked framing, built once per chunk object. */
function framedChunk(chunk: Uint8Array): Uint8Array {
  let framed = framedChunks.get(chunk);
  if (!framed) {
    const head = new TextEncoder().encode(`${chunk.byteLength.toString(16)}\r\n`);
    framed = new Uint8Array(head.byteLength + chunk.byteLength + 2);
    framed.set(head, 0);
    framed.set(chunk, head.byteLength);
    framed.set(CRLF, head.byteLength + chunk.byteLength);
    framedChunks.set(chunk, framed);
  }
  return framed;
}

async function writeResponse(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, key) => {
    const prev = headers[key];
    if (prev === undefined) headers[key] = value;
    else headers[key] = Array.isArray(prev) ? [...prev, value] : [prev, value];
  });
  // Headers joins repeated values; Warning headers must stay separate lines for clients.
  const warnings = response.headers.get("warning");
  if (warnings) headers["warning"] = warnings.split(/,\s*(?=299 )/);
  if (!response.body) {
    res.writeHead(response.status, headers);
    res.end();
    return;
  }
  if (!isStreamedResponse(response)) {
    // One write with a length: most answers are a few KB, already whole in memory.
    const body = new Uint8Array(await response.arrayBuffer());
    headers["content-length"] = String(body.byteLength);
    res.writeHead(response.status, headers);
    res.end(body);
    return;
  }
  res.writeHead(response.status, headers);
  // node holds the status line and headers back until the first body write.
  res.flushHeaders();
  const source = pushSourceOf(response);
  if (source) {
    // The producer writes straight to the socket (watches fan out without web streams).
    response.body.cancel().catch(() => {});
    await new Promise<void>((resolve) => {
      let ended = false;
      // Chunk framing done here and shared by every watcher sent the same event (the source
      // hands out one Uint8Array per event), written straight to the socket: with a thousand
      // watchers node's per-write HTTP bookkeeping was most of the cost of a delivery.
      const chunked = (res as unknown as { chunkedEncoding?: boolean }).chunkedEncoding === true;
      const socket = res.socket;
      const stop = source({
        write: (chunk) => {
          if (ended || res.destroyed) return;
          if (chunked && socket) socket.write(framedChunk(chunk));
          else res.write(chunk);
        },
        close: () => {
          if (ended) return;
          ended = true;
          res.end();
          resolve();
        },
        backlog: () => res.writableLength + (socket?.writableLength ?? 0),
      });
      res.on("close", () => {
        stop();
        ended = true;
        resolve();
      });
    });
    return;
  }
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      if (!res.write(value)) {
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off("drain", done);
            res.off("close", done);
            resolve();
          };
          res.on("drain", done);
          res.on("close", done);
        });
        if (res.destroyed) break;
      }
    }
  } finally {
    reader.cancel().catch(() => {});
    res.end();
  }
}

/** The abort reason of requests whose client disconnected (made once, not per request). */
const CLIENT_GONE = new Error("Client closed the connection");
/** The abort reason of requests still open when the server stops. */
const SERVER_STOPPING = new Error("Server is shutting down");

/** Starts listening; resolves once the port is bound. */
export function startHttpsServer(options: HttpsServerOptions): Promise<HttpsServer> {
  const open = new Set<AbortController>();
  const server = https.createServer({
    cert: options.certPem,
    key: options.keyPem,
    requestCert: true,
    rejectUnauthorized: false,
    minVersion: "TLSv1.2",
  }, (req: IncomingMessage, res: ServerResponse) => {
    const abort = new AbortController();
    open.add(abort);
    let answered = false;
    res.on("close", () => {
      open.delete(abort);
      // The client went away before the response was complete: end its watch or request.
      if (!answered) abort.abort(CLIENT_GONE);
    });
    (async () => {
      const method = req.method ?? "GET";
      const body = method === "GET" || method === "HEAD"
        ? null
        : await readBody(req, MAX_BODY_BYTES);
      if (body === null && method !== "GET" && method !== "HEAD") {
        await writeResponse(res, ApiError.tooLarge(MAX_BODY_BYTES).toResponse());
        answered = true;
        return;
      }
      const request = toRequest(req, { signal: abort.signal, body });
      const response = await options.app.fetch(request, {
        connection: connectionInfo(req.socket as TLSSocket),
      });
      await writeResponse(res, response);
      answered = true;
    })().catch((err) => {
      options.logger.error("Cannot serve request", {
        method: req.method,
        path: req.url,
        error: err,
      });
      if (!res.headersSent) {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({
          kind: "Status",
          apiVersion: "v1",
          metadata: {},
          status: "Failure",
          message: "Internal error occurred",
          reason: "InternalError",
          code: 500,
        }));
      } else {
        res.destroy();
      }
    });
  });
  server.on("tlsClientError", () => {
    // Bad handshakes (scanners, wrong CA on the client) are the client's problem; keep serving.
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.hostname ?? "0.0.0.0", () => {
      server.off("error", reject);
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : options.port;
      resolve({
        port,
        setCertificate(certPem, keyPem) {
          server.setSecureContext({ cert: certPem, key: keyPem });
        },
        close() {
          for (const a of open) a.abort(SERVER_STOPPING);
          return new Promise<void>((done) => {
            server.close(() => done());
            // Idle keep-alive connections would hold close() open.
            (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
          });
        },
      });
    });
  });
}
