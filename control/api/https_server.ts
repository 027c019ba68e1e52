/**
 * The HTTPS listener: a `node:tls` server (Deno's native TLS cannot show the client
 * certificate) requesting but not requiring client certificates, so token users keep
 * working, with skiff's own HTTP/1.1 on each connection (`control/util/http1_connection.ts`).
 * Each request goes to the app's `fetch` with the connection's peer certificate, read once per
 * connection; a client going away aborts its request's signal, which ends its watch.
 *
 * @module
 */
import type { TLSSocket } from "node:tls";
import type { Logger } from "../util/logger.ts";
import type { ConnectionInfo } from "./auth/authenticator.ts";
import { MAX_BODY_BYTES } from "./handlers/context.ts";
import { isStreamedResponse, pushSourceOf, wholeBodyOf } from "./handlers/render.ts";
import type { Http1Streaming } from "../util/http1_connection.ts";
import { startTlsHttp1Server } from "../util/tls_http1_server.ts";

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
  /** Called as each request arrives, before it is handled (idle work waits for quiet). */
  readonly onRequest?: () => void;
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
    return error === null ? { connectionKey: socket, remoteAddress: socket.remoteAddress ?? "" } : {
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

/**
 * Requests whose bodies reach the app as they arrive: those of the proxy subresources, which
 * pass them on (an upload to a pod has no size limit, as upstream's has none).
 */
const PROXY_PATH =
  /^\/api\/v1\/(?:namespaces\/[^/?]+\/(?:pods|services)|nodes)\/[^/?]+\/proxy(?:[/?]|$)/;

/** The API's streamed responses (watches, followed logs), as its render helpers mark them. */
const API_STREAMING: Http1Streaming = {
  isStreamed: isStreamedResponse,
  pushSource: pushSourceOf,
  streamsRequestBody: (_method, target) => PROXY_PATH.test(target),
  wholeBody: wholeBodyOf,
};

/** The abort reason of requests still open when the server stops. */
const SERVER_STOPPING = new Error("Server is shutting down");

/** Starts listening; resolves once the port is bound. */
export async function startHttpsServer(options: HttpsServerOptions): Promise<HttpsServer> {
  const server = await startTlsHttp1Server({
    port: options.port,
    ...(options.hostname === undefined ? {} : { hostname: options.hostname }),
    certPem: options.certPem,
    keyPem: options.keyPem,
    logger: options.logger,
    connection: (socket) => {
      const connection = connectionInfo(socket);
      const onRequest = options.onRequest;
      return onRequest
        ? async (request) => {
          onRequest();
          return await options.app.fetch(request, { connection });
        }
        : async (request) => await options.app.fetch(request, { connection });
    },
    streaming: API_STREAMING,
    maxBodyBytes: MAX_BODY_BYTES,
    stopping: SERVER_STOPPING,
  });
  return {
    port: server.port,
    setCertificate: (certPem, keyPem) => server.setCertificate(certPem, keyPem),
    close: () => server.close(),
  };
}
