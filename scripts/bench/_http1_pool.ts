/**
 * Keep-alive HTTP/1.1 connections (`_http1_client.ts`) handed out one request at a time, for
 * benchmarks that need many requests in flight: a request waits, in order, for a free
 * connection, so the pool's size is the concurrency.
 *
 * @module
 */
import { Http1Connection, type TlsOptions } from "./_http1_client.ts";

/** One answer, its body as text. */
export interface PoolResponse {
  readonly status: number;
  readonly text: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A fixed set of connections; at most one request on each at a time. */
export class Http1Pool {
  readonly #free: Http1Connection[] = [];
  readonly #waiting: ((c: Http1Connection) => void)[] = [];
  readonly #all: Http1Connection[] = [];
  #inflight = 0;
  /** The most requests that were in flight at once. */
  maxInflight = 0;

  /** Opens `size` connections. */
  static async open(tls: TlsOptions, size: number): Promise<Http1Pool> {
    const pool = new Http1Pool();
    for (let i = 0; i < size; i++) {
      const c = await Http1Connection.connect(tls);
      pool.#all.push(c);
      pool.#free.push(c);
    }
    return pool;
  }

  /** How many connections there are. */
  get size(): number {
    return this.#all.length;
  }

  /** Sends one request (a JSON body when `body` is given) once a connection is free. */
  async request(method: string, path: string, body?: unknown): Promise<PoolResponse> {
    const c = this.#free.pop() ?? await new Promise<Http1Connection>((r) => this.#waiting.push(r));
    this.#inflight++;
    if (this.#inflight > this.maxInflight) this.maxInflight = this.#inflight;
    try {
      const res = await c.request(
        method,
        path,
        body === undefined ? undefined : encoder.encode(JSON.stringify(body)),
      );
      return { status: res.status, text: decoder.decode(res.body) };
    } finally {
      this.#inflight--;
      const next = this.#waiting.shift();
      if (next) next(c);
      else this.#free.push(c);
    }
  }

  /** Like {@linkcode Http1Pool.request}, but throws unless the status is one of `ok`. */
  async expect(
    ok: readonly number[],
    request: { readonly method: string; readonly path: string; readonly body?: unknown },
  ): Promise<PoolResponse> {
    const res = await this.request(request.method, request.path, request.body);
    if (!ok.includes(res.status)) {
      throw new Error(
        `Cannot ${request.method} ${request.path}: ${res.status} ${res.text.slice(0, 300)}`,
      );
    }
    return res;
  }

  close(): void {
    for (const c of this.#all) c.close();
  }
}
