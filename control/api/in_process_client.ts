/**
 * Requests to the API server from inside its own process — bootstrap, and the controllers and
 * scheduler when they run in the same process — through the same app (routing, validation,
 * admission) as network clients, without a socket. The caller's user is passed in the
 * connection info, which network requests can never set.
 *
 * @example Create a namespace in-process
 * ```ts ignore
 * const client = new InProcessClient(app, { username: "system:apiserver", groups: ["system:masters"] });
 * const res = await client.request("POST", "/api/v1/namespaces", { metadata: { name: "apps" } });
 * ```
 *
 * @module
 */
import type { ConnectionInfo } from "./auth/authenticator.ts";
import type { RequestUser } from "./handlers/context.ts";

const ENCODER = new TextEncoder();

/** Anything that serves requests like the API app. */
export interface FetchTarget {
  fetch(request: Request, env: { connection: ConnectionInfo }): Response | Promise<Response>;
}

/** Options of {@linkcode InProcessClient.request}. */
export interface InProcessRequestOptions {
  readonly body?: unknown;
  readonly contentType?: string;
  readonly accept?: string;
  readonly signal?: AbortSignal;
}

/** A client that calls the API app directly. */
export class InProcessClient {
  readonly #app: FetchTarget;
  readonly #user: RequestUser;

  constructor(app: FetchTarget, user: RequestUser) {
    this.#app = app;
    this.#user = user;
  }

  /** Sends a request; `path` includes the query. */
  async request(
    method: string,
    path: string,
    options: InProcessRequestOptions = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { accept: options.accept ?? "application/json" };
    let body: Uint8Array<ArrayBuffer> | undefined;
    if (options.body !== undefined) {
      const text = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
      body = ENCODER.encode(text);
      headers["content-type"] = options.contentType ?? "application/json";
      // The length frames the body as an HTTP client's does: the app reads it whole, at once.
      headers["content-length"] = String(body.byteLength);
    }
    const request = new Request(`https://in-process${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return await this.#app.fetch(request, { connection: { internalUser: this.#user } });
  }

  /** Sends a request and parses the JSON answer, with its status code. */
  async json(
    method: string,
    path: string,
    options: InProcessRequestOptions = {},
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await this.request(method, path, options);
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : {} };
  }
}
