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
import type { TLSSocket } from "node:tls";
import { checkServingKeyPair, startTlsHttp1Server } from "../../control/util/tls_http1_server.ts";
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

const STOPPING = new Error("Kubelet API is shutting down");

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
export async function startKubeletServer(options: KubeletServerOptions): Promise<KubeletServer> {
  checkServingKeyPair(options.certPem, options.keyPem);
  const logger = options.logger;
  const server = await startTlsHttp1Server({
    port: options.port ?? DEFAULT_KUBELET_PORT,
    ...(options.hostname === undefined ? {} : { hostname: options.hostname }),
    certPem: options.certPem,
    keyPem: options.keyPem,
    logger,
    connection: (socket) => {
      const cert = peerCertificate(socket);
      const credentials = cert ? { peerCertificate: cert } : {};
      return (request) => options.handler.handle(request, credentials);
    },
    streaming: { isStreamed: isKubeletStreamedResponse, pushSource: () => undefined },
    stopping: STOPPING,
  });
  logger.info("Starting kubelet API", { port: server.port });
  let closing: Promise<void> | undefined;
  const close = () =>
    closing ??= (() => {
      logger.info("Shutting down kubelet API", { port: server.port });
      return server.close();
    })();
  return {
    port: server.port,
    setCertificate: (certPem, keyPem) => server.setCertificate(certPem, keyPem),
    close,
    [Symbol.asyncDispose]: close,
  };
}
