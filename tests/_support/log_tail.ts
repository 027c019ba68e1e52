/**
 * {@linkcode keepLastLines}: the last lines a child process writes (its JSON log on stderr),
 * kept for failure messages and log checks.
 *
 * @module
 */

/**
 * Reads `stream` to its end into `lines`, line by line, keeping at most `max` of the latest
 * complete lines, and then a last line without a newline, if any.
 */
export async function keepLastLines(
  stream: ReadableStream<Uint8Array>,
  options: { readonly lines: string[]; readonly max: number },
): Promise<void> {
  const { lines, max } = options;
  let buffered = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      lines.push(buffered.slice(0, newline));
      buffered = buffered.slice(newline + 1);
      if (lines.length > max) lines.shift();
    }
  }
  if (buffered !== "") lines.push(buffered);
}
