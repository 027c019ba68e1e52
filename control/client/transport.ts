/**
 * How requests reach the API server. A {@linkcode Transport} sends one request and returns the
 * raw `Response`; the typed {@linkcode Client} is built on it. Two implementations:
 *
 * - in process: `control/api`'s `InProcessClient` already has this shape (components in the
 *   server's own process call the API app directly, no socket);
 * - {@linkcode HttpsTransport}: HTTPS to a server URL, verifying the server by a CA and
 *   authenticating with a client certificate or a bearer token, as from a kubeconfig.
 *
 * @example A transport from a kubeconfig
 * ```ts ignore
 * using transport = HttpsTransport.fromKubeconfig(await Deno.readTextFile(path));
 * const res = await transport.request("GET", "/api/v1/namespaces");
 * ```
 *
 * @module
 */
import { type KubeconfigCredentials, parseKubeconfig } from "./kubeconfig.ts";

/** Options of {@linkcode Transport.request}. */
export interface TransportRequestOptions {
  /** A JSON value (sent as JSON) or text sent as is. */
  readonly body?: unknown;
  /** @default {"application/json"} when there is a body */
  readonly contentType?: string;
  /** @default {"application/json"} */
  readonly accept?: string;
  readonly signal?: AbortSignal;
}

/** Sends requests to the API server; `path` starts with `/` and includes the query. */
export interface Transport {
  request(method: string, path: string, options?: TransportRequestOptions): Promise<Response>;
}

/** Options of {@linkcode HttpsTransport}. */
export interface HttpsTransportOptions {
  /** The server's base URL, e.g. `https://10.0.0.1:6443`. */
  readonly server: string;
  /** CA certificates (PEM) the server's certificate must chain to; unset: the system's roots. */
  readonly caCertPem?: string;
  /** A client certificate (PEM) and its key; both or neither. */
  readonly certPem?: string;
  readonly keyPem?: string;
  /** A bearer token, sent as `Authorization: Bearer …`. */
  readonly token?: string;
  /** The `User-Agent` header. @default {"skiff"} */
  readonly userAgent?: string;
  /**
   * Requests that may wait for their answer at once, watches and other long-running requests
   * apart; more wait their turn. The API speaks HTTP/1.1, one request per connection at a time,
   * so this also bounds the connections (each a TLS session and buffers) a burst opens.
   * @default {DEFAULT_MAX_REQUESTS_IN_FLIGHT}
   */
  readonly maxRequestsInFlight?: number;
}

/**
 * 32: a controller manager creating 10,000 pods kept ~1,200 connections open without a cap
 * (224 MiB RSS out of process) and 93 with 32 (176 MiB); the API server is busy either way.
 */
export const DEFAULT_MAX_REQUESTS_IN_FLIGHT = 32;

/** Whether a request holds its connection open for long: watches, logs that follow, streams. */
function isLongRunning(path: string): boolean {
  const q = path.indexOf("?");
  const query = q < 0 ? "" : path.slice(q + 1);
  if (/(?:^|&)(?:watch=(?:1|true)|follow=true)(?:&|$)/.test(query)) return true;
  const route = q < 0 ? path : path.slice(0, q);
  return /\/(?:exec|attach|portforward|proxy)(?:\/|$)/.test(route);
}

/** Options of {@linkcode HttpsTransport.fromKubeconfig}. */
export interface KubeconfigTransportOptions {
  /** The context to use instead of `current-context`. */
  readonly context?: string;
  readonly userAgent?: string;
  /** See {@linkcode HttpsTransportOptions.maxRequestsInFlight}. */
  readonly maxRequestsInFlight?: number;
}

/** HTTPS to one API server through a Deno HTTP client; close it (or `using`) when done. */
export class HttpsTransport implements Transport, Disposable {
  readonly #base: string;
  readonly #client: Deno.HttpClient;
  readonly #authorization: string | null;
  readonly #userAgent: string;
  readonly #maxInFlight: number;
  #inFlight = 0;
  readonly #waiting: (() => void)[] = [];
  #closed = false;

  constructor(options: HttpsTransportOptions) {
    let url: URL;
    try {
      url = new URL(options.server);
    } catch (err) {
      throw new TypeError(`Cannot use server "${options.server}": not a URL`, { cause: err });
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      throw new TypeError(`Cannot use server "${options.server}": expected an https URL`);
    }
    if ((options.certPem === undefined) !== (options.keyPem === undefined)) {
      throw new TypeError(
        "Cannot use a client certificate without its key, or a key without its certificate",
      );
    }
    this.#base = options.server.replace(/\/+$/, "");
    this.#client = Deno.createHttpClient({
      ...(options.caCertPem !== undefined ? { caCerts: [options.caCertPem] } : {}),
      ...(options.certPem !== undefined && options.keyPem !== undefined
        ? { cert: options.certPem, key: options.keyPem }
        : {}),
    });
    this.#authorization = options.token !== undefined ? `Bearer ${options.token}` : null;
    this.#userAgent = options.userAgent ?? "skiff";
    const max = options.maxRequestsInFlight ?? DEFAULT_MAX_REQUESTS_IN_FLIGHT;
    if (!Number.isInteger(max) || max < 1) {
      throw new RangeError(`Cannot limit requests in flight to ${max}: expected an integer >= 1`);
    }
    this.#maxInFlight = max;
  }

  /** Requests waiting for their answer now (long-running ones not counted). */
  get requestsInFlight(): number {
    return this.#inFlight;
  }

  /** A transport for the credentials of a kubeconfig's current (or named) context. */
  static fromKubeconfig(text: string, options: KubeconfigTransportOptions = {}): HttpsTransport {
    return HttpsTransport.fromCredentials(
      parseKubeconfig(text, options.context !== undefined ? { context: options.context } : {}),
      {
        ...(options.userAgent !== undefined ? { userAgent: options.userAgent } : {}),
        ...(options.maxRequestsInFlight !== undefined
          ? { maxRequestsInFlight: options.maxRequestsInFlight }
          : {}),
      },
    );
  }

  /** A transport for credentials read from a kubeconfig. */
  static fromCredentials(
    credentials: KubeconfigCredentials,
    options: { readonly userAgent?: string; readonly maxRequestsInFlight?: number } = {},
  ): HttpsTransport {
    return new HttpsTransport({
      server: credentials.server,
      ...(credentials.caCertPem !== undefined ? { caCertPem: credentials.caCertPem } : {}),
      ...(credentials.certPem !== undefined ? { certPem: credentials.certPem } : {}),
      ...(credentials.keyPem !== undefined ? { keyPem: credentials.keyPem } : {}),
      ...(credentials.token !== undefined ? { token: credentials.token } : {}),
      ...(options.userAgent !== undefined ? { userAgent: options.userAgent } : {}),
      ...(options.maxRequestsInFlight !== undefined
        ? { maxRequestsInFlight: options.maxRequestsInFlight }
        : {}),
    });
  }

  /** The server's base URL. */
  get server(): string {
    return this.#base;
  }

  async request(
    method: string,
    path: string,
    options: TransportRequestOptions = {},
  ): Promise<Response> {
    if (this.#closed) throw new TypeError(`Cannot ${method} ${path}: the transport is closed`);
    const headers: Record<string, string> = {
      accept: options.accept ?? "application/json",
      "user-agent": this.#userAgent,
    };
    if (this.#authorization !== null) headers.authorization = this.#authorization;
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
      headers["content-type"] = options.contentType ?? "application/json";
    }
    const send = () =>
      fetch(`${this.#base}${path}`, {
        method,
        headers,
        client: this.#client,
        ...(body !== undefined ? { body } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    if (isLongRunning(path)) return await send();
    await this.#acquire(options.signal);
    // The slot is held until the answer's headers arrive: holding it until the body is read
    // would let a caller that collects answers before reading them wait on itself.
    try {
      return await send();
    } finally {
      this.#release();
    }
  }

  async #acquire(signal: AbortSignal | undefined): Promise<void> {
    if (this.#inFlight < this.#maxInFlight) {
      this.#inFlight++;
      return;
    }
    signal?.throwIfAborted();
    await new Promise<void>((resolve, reject) => {
      const go = () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      const onAbort = () => {
        const i = this.#waiting.indexOf(go);
        if (i >= 0) this.#waiting.splice(i, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiting.push(go);
    });
  }

  #release(): void {
    const next = this.#waiting.shift();
    // The slot passes straight to the next waiter; the count stays.
    if (next) next();
    else this.#inFlight--;
  }

  /** Closes the HTTP client and its connections; later requests fail. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#client.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
