/**
 * Transports for client tests:
 *
 * - {@linkcode ScriptedTransport} answers every request with a test's handler and records it;
 * - {@linkcode WatchStream} is a watch response the test writes events into and ends;
 * - {@linkcode scriptedListWatch} is a fake API for informers: scripted lists, open watches;
 * - {@linkcode ControlledTransport} wraps a real transport (the in-process API) and lets a
 *   test hold watch requests, cut open watch streams (as a dropped connection) and record
 *   what was asked.
 *
 * Plus {@linkcode until}, which waits for a condition by yielding to the event loop (never by
 * sleeping), and fails after a bound.
 *
 * @module
 */
import { setImmediate } from "node:timers";
import type { Transport, TransportRequestOptions } from "./transport.ts";

/** One request a test transport saw. */
export interface RecordedRequest {
  readonly method: string;
  /** Path and query, as sent. */
  readonly path: string;
  readonly pathname: string;
  readonly query: URLSearchParams;
  readonly body: unknown;
  readonly contentType: string | undefined;
  readonly signal: AbortSignal | undefined;
}

function record(method: string, path: string, options: TransportRequestOptions): RecordedRequest {
  const url = new URL(path, "https://test");
  return {
    method,
    path,
    pathname: url.pathname,
    query: url.searchParams,
    body: options.body,
    contentType: options.contentType,
    signal: options.signal,
  };
}

/** One turn of the event loop (a macrotask, so I/O and timers due now can run). */
export function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Waits until `cond()` holds, yielding to the event loop; throws after 5 s. */
export async function until(cond: () => boolean, what = "condition"): Promise<void> {
  const start = performance.now();
  while (!cond()) {
    if (performance.now() - start > 5000) throw new Error(`Timed out waiting for ${what}`);
    await turn();
  }
}

/** How a scripted API answers one request. */
export type Responder = (req: RecordedRequest) => Response | Promise<Response>;

/** What {@linkcode scriptedListWatch} builds. */
export interface ScriptedListWatch {
  readonly transport: ScriptedTransport;
  /** The watch streams opened so far, oldest first. */
  readonly streams: WatchStream[];
  /** Responders for the next watches (taken in order); push more at any time. */
  readonly watches: Responder[];
}

/**
 * A fake API for informers: list requests take the next responder of `lists` (the last one
 * repeats), watch requests the next of `watches`, else a new open {@linkcode WatchStream} kept
 * in `streams`.
 */
export function scriptedListWatch(
  lists: readonly Responder[],
  watches: Responder[] = [],
): ScriptedListWatch {
  const streams: WatchStream[] = [];
  let listed = 0;
  const transport = new ScriptedTransport((req) => {
    if (req.query.get("watch") === "1") {
      const next = watches.shift();
      if (next) return next(req);
      const stream = new WatchStream();
      streams.push(stream);
      return stream.response;
    }
    return lists[Math.min(listed++, lists.length - 1)]!(req);
  });
  return { transport, streams, watches };
}

/** Answers requests with `handler`; records each. */
export class ScriptedTransport implements Transport {
  readonly requests: RecordedRequest[] = [];
  readonly #handler: (req: RecordedRequest) => Response | Promise<Response>;

  constructor(handler: (req: RecordedRequest) => Response | Promise<Response>) {
    this.#handler = handler;
  }

  async request(
    method: string,
    path: string,
    options: TransportRequestOptions = {},
  ): Promise<Response> {
    const req = record(method, path, options);
    this.requests.push(req);
    return await this.#handler(req);
  }

  /** The requests that were watches. */
  watches(): RecordedRequest[] {
    return this.requests.filter((r) => r.query.get("watch") === "1");
  }

  /** The requests that were lists. */
  lists(): RecordedRequest[] {
    return this.requests.filter((r) => r.method === "GET" && r.query.get("watch") !== "1");
  }
}

const encoder = new TextEncoder();

/** A streamed watch response whose events the test sends. */
export class WatchStream {
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #closed = false;
  readonly response: Response;

  constructor() {
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
      },
      cancel: () => {
        this.#closed = true;
      },
    });
    this.response = new Response(body, { headers: { "content-type": "application/json" } });
  }

  /** Whether the reader cancelled or the test ended the stream. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Sends one event line. */
  send(type: string, object: unknown): void {
    if (this.#closed) return;
    this.#controller.enqueue(encoder.encode(JSON.stringify({ type, object }) + "\n"));
  }

  /** Sends raw text (to split lines across chunks). */
  sendText(text: string): void {
    if (this.#closed) return;
    this.#controller.enqueue(encoder.encode(text));
  }

  /** Ends the stream as a server does at a watch timeout. */
  end(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#controller.close();
  }
}

/** A real transport a test can interfere with. */
export class ControlledTransport implements Transport {
  readonly requests: RecordedRequest[] = [];
  readonly #inner: Transport;
  readonly #open = new Set<() => void>();
  #held: (() => void)[] = [];
  #holding = false;
  /** When set, requests it returns an error for fail with it (as a broken network). */
  fail: ((req: RecordedRequest) => Error | null) | null = null;

  constructor(inner: Transport) {
    this.#inner = inner;
  }

  /** The watch requests so far. */
  watches(): RecordedRequest[] {
    return this.requests.filter((r) => r.query.get("watch") === "1");
  }

  /** The list requests so far. */
  lists(): RecordedRequest[] {
    return this.requests.filter((r) => r.method === "GET" && r.query.get("watch") !== "1");
  }

  /** Watch requests from now on wait until {@linkcode ControlledTransport.releaseWatches}. */
  holdWatches(): void {
    this.#holding = true;
  }

  /** Lets held watch requests (and later ones) through. */
  releaseWatches(): void {
    this.#holding = false;
    for (const go of this.#held.splice(0)) go();
  }

  /** The number of watch requests being held. */
  get heldWatches(): number {
    return this.#held.length;
  }

  /** The number of watch streams open. */
  get openWatches(): number {
    return this.#open.size;
  }

  /** Ends every open watch stream, as a dropped connection would. */
  cutWatches(): void {
    for (const cut of [...this.#open]) cut();
  }

  /** Requests sent and not answered yet (watches count until their headers arrive). */
  inFlight = 0;

  async request(
    method: string,
    path: string,
    options: TransportRequestOptions = {},
  ): Promise<Response> {
    const req = record(method, path, options);
    this.requests.push(req);
    const failure = this.fail?.(req);
    if (failure) throw failure;
    const isWatch = req.query.get("watch") === "1";
    if (isWatch && this.#holding) {
      await new Promise<void>((resolve) => this.#held.push(resolve));
    }
    this.inFlight++;
    let res: Response;
    try {
      res = await this.#inner.request(method, path, options);
    } finally {
      this.inFlight--;
    }
    if (!isWatch || !res.body) return res;
    const reader = res.body.getReader();
    let cut: () => void = () => {};
    let ended = false;
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        cut = () => {
          ended = true;
          this.#open.delete(cut);
          reader.cancel().catch(() => {});
          try {
            controller.close();
          } catch {
            // already closed
          }
        };
        this.#open.add(cut);
      },
      pull: async (controller) => {
        try {
          const { value, done } = await reader.read();
          if (ended) return;
          if (done) {
            ended = true;
            this.#open.delete(cut);
            controller.close();
          } else controller.enqueue(value);
        } catch (err) {
          if (ended) return;
          ended = true;
          this.#open.delete(cut);
          controller.error(err);
        }
      },
      cancel: () => {
        this.#open.delete(cut);
        return reader.cancel();
      },
    });
    return new Response(body, { status: res.status, headers: res.headers });
  }
}
