/**
 * Reads a watch response in tests: one `WatchEvent` per line, as clients split them.
 *
 * @example Read the first event of a watch
 * ```ts ignore
 * await using events = new WatchReader(await t.request(`${path}?watch=true`));
 * const first = await events.next();
 * ```
 *
 * @module
 */

/** One decoded watch event. */
export interface WatchEventLine {
  readonly type: string;
  // deno-lint-ignore no-explicit-any
  readonly object: any;
}

/** Reads events off a streamed watch response. */
export class WatchReader implements AsyncDisposable {
  readonly #reader: ReadableStreamDefaultReader<string>;
  #buffer = "";
  /** Every line read so far, as sent. */
  readonly lines: string[] = [];

  constructor(res: Response) {
    if (!res.body) throw new TypeError("Cannot read a watch without a body");
    this.#reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  }

  /**
   * The next event, or null when the stream ended. Fails after `timeoutMs` without one (a test
   * waiting for an event that never comes should fail, not hang).
   */
  async next(timeoutMs = 5000): Promise<WatchEventLine | null> {
    for (;;) {
      const at = this.#buffer.indexOf("\n");
      if (at >= 0) {
        const line = this.#buffer.slice(0, at);
        this.#buffer = this.#buffer.slice(at + 1);
        this.lines.push(line);
        return JSON.parse(line) as WatchEventLine;
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`No watch event within ${timeoutMs} ms`)),
          timeoutMs,
        );
      });
      try {
        const { value, done } = await Promise.race([this.#reader.read(), timeout]);
        if (done) {
          if (this.#buffer !== "") throw new SyntaxError(`Watch ended mid-line: ${this.#buffer}`);
          return null;
        }
        this.#buffer += value;
      } finally {
        clearTimeout(timer);
      }
    }
  }

  /** The next `n` events. */
  async take(n: number): Promise<WatchEventLine[]> {
    const out: WatchEventLine[] = [];
    for (let i = 0; i < n; i++) {
      const e = await this.next();
      if (e === null) throw new Error(`Watch ended after ${out.length} of ${n} events`);
      out.push(e);
    }
    return out;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#reader.cancel().catch(() => {});
  }
}

/** `TYPE name@resourceVersion` of each event, for compact assertions. */
export function describeEvents(events: readonly WatchEventLine[]): string[] {
  return events.map((e) =>
    `${e.type} ${e.object?.metadata?.name ?? ""}@${e.object?.metadata?.resourceVersion ?? ""}`
  );
}
