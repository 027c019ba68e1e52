/**
 * Lines of a byte stream, for the JSON-lines protocol between a benchmark and its child
 * processes.
 *
 * @module
 */

/** Yields the lines of `stream` (UTF-8, `\n`-separated, a trailing `\r` dropped). */
export async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let buffered = "";
  for await (const text of stream.pipeThrough(new TextDecoderStream())) {
    buffered += text;
    let at: number;
    while ((at = buffered.indexOf("\n")) >= 0) {
      yield buffered.slice(0, at).replace(/\r$/, "");
      buffered = buffered.slice(at + 1);
    }
  }
  if (buffered !== "") yield buffered;
}
