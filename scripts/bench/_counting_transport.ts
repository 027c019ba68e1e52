/**
 * A client transport for the benchmarks' host processes that counts what goes through it: the
 * requests and failed answers by kind, and the requests of one sort (pod writes, bindings) in
 * flight at once and how they ended.
 *
 * @module
 */
import type { Transport, TransportRequestOptions } from "../../control/client/transport.ts";

/** What a {@linkcode CountingTransport} counts. */
export interface CountingTransportOptions {
  /** Names each request, to count requests and failed answers by name; nothing when absent. */
  readonly kindOf?: (method: string, path: string) => string;
  /** Whether a request is tracked (`kind` is "" without `kindOf`). */
  readonly tracked: (method: string, path: string, kind: string) => boolean;
}

/** Counts the requests through another transport. */
export class CountingTransport implements Transport {
  readonly #inner: Transport;
  readonly #options: CountingTransportOptions;
  /** Requests by kind (with `kindOf`). */
  readonly counts = new Map<string, number>();
  /** Failed answers by `"<kind> <status>"` (with `kindOf`). */
  readonly failures = new Map<string, number>();
  /** Tracked requests in flight now, and the most at once. */
  inflight = 0;
  maxInflight = 0;
  /** Tracked requests answered with a 2xx, and with another status. */
  trackedOk = 0;
  trackedFailed = 0;

  constructor(inner: Transport, options: CountingTransportOptions) {
    this.#inner = inner;
    this.#options = options;
  }

  async request(
    method: string,
    path: string,
    options?: TransportRequestOptions,
  ): Promise<Response> {
    const kind = this.#options.kindOf?.(method, path) ?? "";
    if (this.#options.kindOf) this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
    const tracked = this.#options.tracked(method, path, kind);
    if (!tracked && !this.#options.kindOf) return await this.#inner.request(method, path, options);
    if (tracked) {
      this.inflight++;
      if (this.inflight > this.maxInflight) this.maxInflight = this.inflight;
    }
    try {
      const res = await this.#inner.request(method, path, options);
      if (!res.ok && this.#options.kindOf) {
        const k = `${kind} ${res.status}`;
        this.failures.set(k, (this.failures.get(k) ?? 0) + 1);
      }
      if (tracked) {
        if (res.ok) this.trackedOk++;
        else this.trackedFailed++;
      }
      return res;
    } finally {
      if (tracked) this.inflight--;
    }
  }
}
