/**
 * A TLS listener speaking skiff's own HTTP/1.1 (`http1_connection.ts`) on each connection, as
 * the API server and the kubelet API both need it: `node:tls` (Deno's native TLS cannot show
 * the client certificate), client certificates requested but not required, TLS 1.2 at least,
 * ALPN `http/1.1`, a serving certificate swapped for new handshakes, and open requests
 * (watches, streams) ended on close.
 *
 * @module
 */
import { createPrivateKey, X509Certificate } from "node:crypto";
import tls from "node:tls";
import type { TLSSocket } from "node:tls";
import { Http1Connection, type Http1Socket, type Http1Streaming } from "./http1_connection.ts";
import type { Logger } from "./logger.ts";

/** The oldest TLS version accepted, as kube-apiserver's and the kubelet's default. */
const MIN_TLS_VERSION = "TLSv1.2";

/** Options of {@linkcode startTlsHttp1Server}. */
export interface TlsHttp1ServerOptions {
  readonly port: number;
  /** The address to listen on. @default {"0.0.0.0"} */
  readonly hostname?: string;
  readonly certPem: string;
  readonly keyPem: string;
  readonly logger: Logger;
  /**
   * Called once per connection (read the peer's certificate there); answers its requests.
   */
  readonly connection: (socket: TLSSocket) => (request: Request) => Promise<Response>;
  /** Which responses stream. */
  readonly streaming: Http1Streaming;
  /** @default {the Http1Connection's} */
  readonly maxBodyBytes?: number;
  /** The abort reason of requests still open when the server closes. */
  readonly stopping: Error;
}

/** A running listener. */
export interface TlsHttp1Server {
  /** The port it listens on (useful with port 0). */
  readonly port: number;
  /**
   * Replaces the serving certificate for new connections; open ones keep theirs. Throws,
   * keeping the old one, when the certificate or key is unusable.
   */
  setCertificate(certPem: string, keyPem: string): void;
  /** Stops accepting, ends open requests and closes. */
  close(): Promise<void>;
}

/** Throws a `TypeError` unless `keyPem` is the private key of the certificate `certPem`. */
export function checkServingKeyPair(certPem: string, keyPem: string): void {
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
export function startTlsHttp1Server(options: TlsHttp1ServerOptions): Promise<TlsHttp1Server> {
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
    const http = new Http1Connection(socket as unknown as Http1Socket, {
      handle: options.connection(socket),
      logger: options.logger,
      origin: `https://${socket.localAddress ?? "localhost"}`,
      streaming: options.streaming,
      ...(options.maxBodyBytes === undefined ? {} : { maxBodyBytes: options.maxBodyBytes }),
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
      let closing: Promise<void> | undefined;
      resolve({
        port,
        setCertificate(certPem, keyPem) {
          // The TLS layer takes a key that is not the certificate's and would then fail every
          // handshake: check the pair first, keeping the old one when it is unusable.
          checkServingKeyPair(certPem, keyPem);
          // New handshakes use the new context; established connections keep their session.
          server.setSecureContext({ cert: certPem, key: keyPem, minVersion: MIN_TLS_VERSION });
        },
        close() {
          return closing ??= new Promise<void>((done) => {
            server.close(() => done());
            for (const c of open) c.abort(options.stopping);
            open.clear();
          });
        },
      });
    });
  });
}
