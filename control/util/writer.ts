/**
 * Output as a dependency. The CLI and the logger write through a {@linkcode SyncWriter} (such as
 * `Deno.stdout` or `Deno.stderr`), so tests can capture what they print with a
 * {@linkcode BufferWriter}.
 *
 * @module
 */

/** Something bytes can be written to synchronously, as `Deno.stdout` and `Deno.stderr`. */
export interface SyncWriter {
  /** Writes some of `p` and returns how many bytes were written. */
  writeSync(p: Uint8Array): number;
}

const encoder = new TextEncoder();

/** Writes all of `text`, UTF-8 encoded, looping over short writes. */
export function writeTextSync(writer: SyncWriter, text: string): void {
  let bytes = encoder.encode(text);
  while (bytes.length > 0) {
    const n = writer.writeSync(bytes);
    if (n <= 0) throw new Error(`Cannot write output: the writer accepted ${n} bytes`);
    bytes = bytes.subarray(n);
  }
}

/**
 * A writer that keeps everything written to it, for tests.
 *
 * @example Capture output
 * ```ts
 * import assert from "node:assert/strict";
 * import { BufferWriter, writeTextSync } from "./writer.ts";
 *
 * const out = new BufferWriter();
 * writeTextSync(out, "hello\n");
 * assert.equal(out.text(), "hello\n");
 * ```
 */
export class BufferWriter implements SyncWriter {
  #chunks: Uint8Array[] = [];

  writeSync(p: Uint8Array): number {
    this.#chunks.push(p.slice());
    return p.length;
  }

  /** Everything written so far, decoded as UTF-8. */
  text(): string {
    const decoder = new TextDecoder();
    return this.#chunks.map((c) => decoder.decode(c, { stream: true })).join("") +
      decoder.decode();
  }

  /** The text written so far, split into lines without the trailing empty one. */
  lines(): string[] {
    const text = this.text();
    if (text === "") return [];
    const lines = text.split("\n");
    if (lines.at(-1) === "") lines.pop();
    return lines;
  }
}
