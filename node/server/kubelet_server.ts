/**
 * The agent's HTTPS kubelet API (port 10250): a `node:tls` listener that requests, but does
 * not require, client certificates (token users keep working, and Deno's own TLS server
 * cannot show the peer's certificate), with skiff's HTTP/1.1 on each connection
 * (`control/util/http1_connection.ts`), answering through a {@linkcode KubeletHandler}.
 * Upgrades (exec, attach, port-forward) take the connection's socket over.
 *
 * @example Serve the kubelet API of node "edge-1"
 * ```ts ignore
 * const server = await startKubeletServer({ handler, certPem, keyPem, logger });
 * // … later
 * await server.close();
 * ```
 *
 * @module
 */
import { createPrivateKey, X509Certificate } from "node:crypto";
import tls from "node:tls";
import type { TLSSocket } from "node:tls";
import { Http1Connection, type Http1Socket } from "../../control/util/http1_connection.ts";
import type { Logger } from "../../control/util/logger.ts";
import { DEFAULT_KUBELET_PORT } from "../status/node_status_manager.ts";
import { isKubeletStreamedResponse, type KubeletHandler } from "./kubelet_handler.ts";

/** Options of {@linkcode startKubeletServer}. */
export interface KubeletServerOptions {
  readonly handler: KubeletHandler;
  /** @default {DEFAULT_KUBELET_PORT} */
  readonly port?: number;
  /** The address to listen on. @default {"0.0.0.0"} */
  readonly hostname?: string;
  /** The serving certificate and key (PEM). */
  readonly certPem: string;
  readonly keyPem: string;
  readonly logger: Logger;
}

/** A running kubelet API. */
export interface KubeletServer extends AsyncDisposable {
  /** The port it listens on (useful with port 0). */
  readonly port: number;
  /** Replaces the serving certificate for new connections; throws when it is unusable. */
  setCertificate(certPem: string, keyPem: string): void;
  /** Stops accepting, ends open requests and streams, and closes. */
  close(): Promise<void>;
}

/** The oldest TLS version accepted, as the kubelet's default. */
const MIN_TLS_VERSION = "TLSv1.2";

const STOPPING = new Error("Kubelet API is shutting down");

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

/** The DER of the peer's certificate, if it sent one. */
function peerCertificate(socket: TLSSocket): Uint8Array | undefined {
  try {
    const raw = (socket.getPeerCertificate?.() as { raw?: Uint8Array } | undefined)?.raw;
    return raw && raw.length > 0 ? new Uint8Array(raw) : undefined;
  } catch {
    return undefined;
  }
}

/** Starts listening; resolves once the port is bound. */
export function startKubeletServer(options: KubeletServerOptions): Promise<KubeletServer> {
  checkKeyPair(options.certPem, options.keyPem);
  const open = new Set<Http1Connection>();
  const logger = options.logger;
  const server = tls.createServer({
    cert: options.certPem,
    key: options.keyPem,
    requestCert: true,
    rejectUnauthorized: false,
    minVersion: MIN_TLS_VERSION,
    ALPNProtocols: ["http/1.1"],
  }, (socket: TLSSocket) => {
    socket.setNoDelay(true);
    const cert = peerCertificate(socket);
    const credentials = cert ? { peerCertificate: cert } : {};
    const http = new Http1Connection(socket as unknown as Http1Socket, {
      handle: (request) => options.handler.handle(request, credentials),
      logger,
      origin: `https://${socket.localAddress ?? "localhost"}`,
      streaming: {
        isStreamed: isKubeletStreamedResponse,
        pushSource: () => undefined,
      },
    });
    open.add(http);
    socket.on("close", () => open.delete(http));
  });
  server.on("tlsClientError", () => {
    // A client with the wrong CA or a scanner: its problem, keep serving.
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? DEFAULT_KUBELET_PORT, options.hostname ?? "0.0.0.0", () => {
      server.off("error", reject);
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : options.port ?? 0;
      logger.info("Starting kubelet API", { port });
      let closing: Promise<void> | undefined;
      const close = () =>
        closing ??= new Promise<void>((done) => {
          logger.info("Shutting down kubelet API", { port });
          server.close(() => done());
          for (const c of open) c.abort(STOPPING);
          open.clear();
        });
      resolve({
        port,
        setCertificate(certPem, keyPem) {
          checkKeyPair(certPem, keyPem);
          server.setSecureContext({ cert: certPem, key: keyPem, minVersion: MIN_TLS_VERSION });
        },
        close,
        [Symbol.asyncDispose]: close,
      });
    });
  });
}
