/**
 * A plain-HTTP proxy in front of a {@linkcode TestServer} that records what clients send
 * (method, path, query, `Content-Type`, body, the status answered) and streams the answers back
 * unbuffered, so watches work through it. It authenticates to the server with the admin
 * kubeconfig's client certificate and writes a kubeconfig of its own naming itself.
 *
 * @example Point helm at a recording proxy
 * ```ts ignore
 * await using proxy = await RecordingProxy.start(server);
 * // helm --kubeconfig proxy.kubeconfig …
 * const posts = proxy.requests.filter((r) => r.method === "POST");
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { parse, stringify } from "yaml";
import type { TestServer } from "./skiff_server.ts";

/** One request the proxy forwarded. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly contentType: string | null;
  /** The request body (empty when none). */
  readonly body: Uint8Array;
  readonly status: number;
}

/** Options of {@linkcode RecordingProxy.start}. */
export interface RecordingProxyOptions {
  /**
   * The kubeconfig file the proxy writes.
   * @default {"<scratch>/recording-proxy-kubeconfig.yaml"}
   */
  readonly kubeconfig?: string;
}

interface AdminKubeconfig {
  clusters: { cluster: Record<string, string> }[];
  users: { user: Record<string, string> }[];
}

/** A proxy started by {@linkcode RecordingProxy.start}; dispose it to stop it. */
export class RecordingProxy implements AsyncDisposable {
  /** Every request forwarded so far, in the order the answers' headers came back. */
  readonly requests: RecordedRequest[] = [];
  /** A kubeconfig naming the proxy (no credentials: the proxy adds them). */
  readonly kubeconfig: string;
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  readonly #client: Deno.HttpClient;
  readonly #target: string;

  /** Use {@linkcode RecordingProxy.start}, which also writes the kubeconfig. */
  constructor(o: { target: string; kubeconfig: string; client: Deno.HttpClient }) {
    this.#target = o.target;
    this.kubeconfig = o.kubeconfig;
    this.#client = o.client;
    this.#server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      (req) => this.#forward(req),
    );
  }

  /** Starts a proxy in front of `server` and writes its kubeconfig. */
  static async start(
    server: TestServer,
    options: RecordingProxyOptions = {},
  ): Promise<RecordingProxy> {
    const admin = parse(await Deno.readTextFile(server.kubeconfig)) as AdminKubeconfig;
    const pem = (b64: string | undefined) => b64 === undefined ? "" : atob(b64);
    const user = admin.users[0]!.user;
    const client = Deno.createHttpClient({
      caCerts: [pem(admin.clusters[0]!.cluster["certificate-authority-data"])],
      cert: pem(user["client-certificate-data"]),
      key: pem(user["client-key-data"]),
    });
    const kubeconfig = options.kubeconfig ??
      join(server.scratchDir, "recording-proxy-kubeconfig.yaml");
    const proxy = new RecordingProxy({ target: server.url, kubeconfig, client });
    await Deno.writeTextFile(
      kubeconfig,
      stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "proxy", cluster: { server: `http://127.0.0.1:${proxy.port}` } }],
        users: [{ name: "proxy", user: {} }],
        contexts: [{ name: "proxy", context: { cluster: "proxy", user: "proxy" } }],
        "current-context": "proxy",
      }),
      { mode: 0o600 },
    );
    return proxy;
  }

  /** The port it listens on (127.0.0.1). */
  get port(): number {
    return this.#server.addr.port;
  }

  /** Forgets the requests recorded so far. */
  clear(): void {
    this.requests.length = 0;
  }

  async #forward(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const headers = new Headers(req.headers);
    headers.delete("host");
    const body = req.body === null ? null : new Uint8Array(await req.arrayBuffer());
    let res: Response;
    try {
      res = await fetch(`${this.#target}${url.pathname}${url.search}`, {
        method: req.method,
        headers,
        ...(body !== null && body.length > 0 ? { body } : {}),
        client: this.#client,
      });
    } catch (err) {
      return new Response(`recording proxy: ${err}`, { status: 502 });
    }
    this.requests.push({
      method: req.method,
      path: url.pathname,
      query: url.searchParams,
      contentType: req.headers.get("content-type"),
      body: body ?? new Uint8Array(),
      status: res.status,
    });
    const out = new Headers(res.headers);
    out.delete("content-encoding");
    out.delete("content-length");
    const empty = res.status === 204 || res.status === 205 || res.status === 304;
    return new Response(empty ? null : res.body, { status: res.status, headers: out });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#server.shutdown();
    this.#client.close();
  }
}
