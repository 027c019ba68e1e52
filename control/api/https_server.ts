/**
 * The HTTPS listener: a `node:tls` server (Deno's native TLS cannot show the client
 * certificate) requesting but not requiring client certificates, so token users keep
 * working, with skiff's own HTTP/1.1 on each connection (`control/util/http1_connection.ts`).
 * Each request goes to the app's `fetch` with the connection's peer certificate, read once per
 * connection; a client going away aborts its request's signal, which ends its watch.
 *
 * @module
 */
import { createPrivateKey, X509Certificate } from "node:crypto";
import tls from "node:tls";
import type { TLSSocket } from "node:tls";
import type { Logger } from "../util/logger.ts";
import type { ConnectionInfo } from "./auth/authenticator.ts";
import { MAX_BODY_BYTES } from "./handlers/context.ts";
import { isStreamedResponse, pushSourceOf } from "./handlers/render.ts";
import {
  Http1Connection,
  type Http1Socket,
  type Http1Streaming,
} from "../util/http1_connection.ts";

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
  /**
   * Replaces the serving certificate for new connections (renewal); open connections, watches
   * included, keep going. Throws, keeping the old one, when the certificate or key is unusable.
   */
  setCertificate(certPem: string, keyPem: string): void;
  /** Stops accepting, ends open requests (watches) and closes. */
  close(): Promise<void>;
}

interface PeerCertificate {
  raw?: Uint8Array;
  issuerCertificate?: PeerCertificate;
}

/**
 * Why the peer's certificate cannot be read, or null when the peer sent none. The TLS layer
 * takes certificates its X.509 parser cannot read (a malformed validity, say); then
 * `getPeerCertificate()` is empty as if none was sent, and only `getPeerX509Certificate()`
 * tells the two apart: it throws.
 */
function unreadablePeerCertificate(socket: TLSSocket): string | null {
  try {
    socket.getPeerX509Certificate?.();
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** What the TLS layer knows of a connection. */
function connectionInfo(socket: TLSSocket): ConnectionInfo {
  let peer: PeerCertificate | undefined;
  try {
    peer = socket.getPeerCertificate?.(true) as PeerCertificate | undefined;
  } catch {
    peer = undefined;
  }
  const raw = peer?.raw;
  if (!raw || raw.length === 0) {
    const error = unreadablePeerCertificate(socket);
    return error === null ? { connectionKey: socket } : {
      peerCertificateError: error,
      connectionKey: socket,
      remoteAddress: socket.remoteAddress ?? "",
    };
  }
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

/** The API's streamed responses (watches, followed logs), as its render helpers mark them. */
const API_STREAMING: Http1Streaming = { isStreamed: isStreamedResponse, pushSource: pushSourceOf };

/** The oldest TLS version accepted, as kube-apiserver's default. */
const MIN_TLS_VERSION = "TLSv1.2";

/** The abort reason of requests still open when the server stops. */
const SERVER_STOPPING = new Error("Server is shutting down");

/** Throws unless `keyPem` is the private key of the certificate `certPem`. */
function checkKeyPair(certPem: string, keyPem: string): void {
  let matches: boolean;
  try {
    matches = new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem));
  } catch (err) {
    throw new TypeError("Cannot use serving certificate: cannot read the certificate or key", {
      cause: err,
    });
  }
  if (!matches) {
    throw new TypeError("Cannot use serving certificate: the key is not the certificate's");
  }
}

/** Starts listening; resolves once the port is bound. */
export function startHttpsServer(options: HttpsServerOptions): Promise<HttpsServer> {
  const open = new Set<Http1Connection>();
  const server = tls.createServer({
    cert: options.certPem,
    key: options.keyPem,
    requestCert: true,
    rejectUnauthorized: false,
    minVersion: MIN_TLS_VERSION,
    ALPNProtocols: ["http/1.1"],
  }, (socket: TLSSocket) => {
    socket.setNoDelay(true);
    const connection = connectionInfo(socket);
    const http = new Http1Connection(socket as unknown as Http1Socket, {
      handle: async (request) => await options.app.fetch(request, { connection }),
      logger: options.logger,
      origin: `https://${socket.localAddress ?? "localhost"}`,
      maxBodyBytes: MAX_BODY_BYTES,
      streaming: API_STREAMING,
    });
    open.add(http);
    socket.on("close", () => open.delete(http));
  });
  server.on("tlsClientError", () => {
    // Bad handshakes (scanners, wrong CA on the client) are the client's problem; keep serving.
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.hostname ?? "0.0.0.0", () => {
      server.off("error", reject);
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : options.port;
      resolve({
        port,
        setCertificate(certPem, keyPem) {
          // The TLS layer takes a key that is not the certificate's and would then fail every
          // handshake: check the pair first, keeping the old one when it is unusable.
          checkKeyPair(certPem, keyPem);
          // New handshakes use the new context; established connections keep their session.
          server.setSecureContext({ cert: certPem, key: keyPem, minVersion: MIN_TLS_VERSION });
        },
        close() {
          return new Promise<void>((done) => {
            server.close(() => done());
            for (const c of open) c.abort(SERVER_STOPPING);
            open.clear();
          });
        },
      });
    });
  });
}
