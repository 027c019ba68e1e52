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
import { isStreamedResponse } from "./handlers/render.ts";

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

function toRequest(req: IncomingMessage, signal: AbortSignal): Request {
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
  const hasBody = method !== "GET" && method !== "HEAD";
  const body = hasBody
    ? new ReadableStream<Uint8Array>({
      start(controller) {
        req.on("data", (chunk: Buffer) => {
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if ((controller.desiredSize ?? 1) <= 0) req.pause();
        });
        req.on("end", () => controller.close());
        req.on("error", (err) => controller.error(err));
      },
      pull() {
        req.resume();
      },
      cancel() {
        req.destroy();
      },
    }, { highWaterMark: 4 })
    : null;
  return new Request(url, {
    method,
    headers,
    body,
    signal,
    ...(body ? { duplex: "half" } : {}),
  } as RequestInit);
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
  res.writeHead(response.status, headers);
  // node holds the status line and headers back until the first body write.
  if (isStreamedResponse(response)) res.flushHeaders();
  if (!response.body) {
    res.end();
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
      const request = toRequest(req, abort.signal);
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
