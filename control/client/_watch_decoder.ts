/**
 * Splits a watch response body (newline-delimited JSON `WatchEvent`s) into parsed events.
 * Aborting `signal` ends the iteration cleanly; so does the consumer breaking out of it
 * (the body is cancelled either way).
 *
 * @module
 */

/** One decoded line: `{ type, object }` as the server sent it. */
export interface RawWatchEvent {
  readonly type: string;
  readonly object: unknown;
}

function parseLine(line: string): RawWatchEvent {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    throw new SyntaxError(`Cannot parse watch event: not JSON: ${line.slice(0, 200)}`, {
      cause: err,
    });
  }
  const event = value as { type?: unknown; object?: unknown };
  if (typeof value !== "object" || value === null || typeof event.type !== "string") {
    throw new SyntaxError(`Cannot parse watch event: no type: ${line.slice(0, 200)}`);
  }
  return { type: event.type, object: event.object };
}

/** The events of a watch response, in order, until the stream ends or `signal` aborts. */
export async function* decodeWatchStream(
  body: ReadableStream<Uint8Array>,
  signal?: AbortSignal,
): AsyncGenerator<RawWatchEvent> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  const onAbort = () => void reader.cancel().catch(() => {});
  signal?.addEventListener("abort", onAbort, { once: true });
  let buffer = "";
  try {
    for (;;) {
      if (signal?.aborted) return;
      let chunk: ReadableStreamReadResult<string>;
      try {
        chunk = await reader.read();
      } catch (err) {
        if (signal?.aborted) return;
        throw err;
      }
      if (chunk.done) {
        if (signal?.aborted) return;
        const rest = buffer.trim();
        if (rest !== "") yield parseLine(rest);
        return;
      }
      buffer += chunk.value;
      let start = 0;
      let at: number;
      // Lines are cut by index and the rest kept once per chunk: a chunk of thousands of
      // events (an initial state) is not re-copied per line.
      while ((at = buffer.indexOf("\n", start)) >= 0) {
        const line = buffer.slice(start, at).trim();
        start = at + 1;
        if (line !== "") yield parseLine(line);
        if (signal?.aborted) return;
      }
      buffer = buffer.slice(start);
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    await reader.cancel().catch(() => {});
  }
}
