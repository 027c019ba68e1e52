/**
 * The body of an HTTP/1.1 response read from a raw socket, as a web stream: framed by
 * `Transfer-Encoding: chunked` (decoded as it arrives), by `Content-Length`, or by the server
 * closing the connection. Each piece is passed on as it arrives (a followed log, a proxied
 * download); a slow reader pauses the socket until it catches up. The socket is the body's:
 * it is destroyed once the body ends or the reader cancels.
 *
 * @example Read a chunked body
 * ```ts
 * import assert from "node:assert/strict";
 * import { ChunkedDecoder } from "./http1_response_body.ts";
 *
 * const decoder = new ChunkedDecoder();
 * const parts = decoder.push(new TextEncoder().encode("3\r\nabc\r\n0\r\n\r\n"));
 * assert.equal(new TextDecoder().decode(parts[0]), "abc");
 * assert.equal(decoder.done, true);
 * ```
 *
 * @module
 */
import { Buffer } from "node:buffer";

/** Decodes a chunked body as it arrives. */
export class ChunkedDecoder {
  #buf: Buffer = Buffer.alloc(0);
  /** Bytes left of the current chunk (and its CRLF), or -1 when a size line is next. */
  #left = -1;
  #done = false;

  /** Whether the last chunk was read. */
  get done(): boolean {
    return this.#done;
  }

  /** The body bytes in `chunk`. @throws {SyntaxError} on malformed framing. */
  push(chunk: Uint8Array): Uint8Array[] {
    this.#buf = this.#buf.byteLength ? Buffer.concat([this.#buf, chunk]) : Buffer.from(chunk);
    const out: Uint8Array[] = [];
    while (!this.#done) {
      if (this.#left < 0) {
        const nl = this.#buf.indexOf("\r\n");
        if (nl < 0) {
          if (this.#buf.byteLength > 1024) throw new SyntaxError("Malformed chunk size line");
          break;
        }
        const text = this.#buf.subarray(0, nl).toString("latin1").split(";")[0]!.trim();
        if (!/^[0-9a-fA-F]+$/.test(text)) throw new SyntaxError("Malformed chunk size line");
        this.#buf = this.#buf.subarray(nl + 2);
        const size = parseInt(text, 16);
        if (size === 0) {
          this.#done = true;
          break;
        }
        this.#left = size + 2;
      }
      if (this.#buf.byteLength === 0) break;
      // What is left of the chunk's data; the rest of `#left` is its CRLF.
      const body = Math.max(0, this.#left - 2);
      const take = Math.min(this.#buf.byteLength, this.#left);
      const data = this.#buf.subarray(0, Math.min(take, body));
      if (data.byteLength > 0) out.push(new Uint8Array(data));
      this.#left -= take;
      this.#buf = this.#buf.subarray(take);
      if (this.#left === 0) this.#left = -1;
    }
    return out;
  }
}

/** The socket side a response body needs (a `node:net`/`node:tls` socket). */
export interface BodySocket {
  on(event: "data", fn: (chunk: Uint8Array) => void): unknown;
  on(event: "end" | "close", fn: () => void): unknown;
  off(event: "data", fn: (chunk: Uint8Array) => void): unknown;
  pause(): unknown;
  resume(): unknown;
  destroy(): unknown;
}

/** What {@linkcode responseBodyStream} reads of the response head. */
export interface BodyHead {
  readonly headers: Headers;
  /** Bytes that followed the head in what was read. */
  readonly buffered: Uint8Array;
}

/**
 * The body after `head` on `socket`, as a stream that ends with it (see the module doc). The
 * socket is destroyed when the body ends, fails (malformed chunks error the stream) or is
 * cancelled.
 */
export function responseBodyStream(
  socket: BodySocket,
  head: BodyHead,
): ReadableStream<Uint8Array> {
  const chunked = (head.headers.get("transfer-encoding") ?? "").toLowerCase().includes("chunked");
  const lengthText = head.headers.get("content-length");
  let left = !chunked && lengthText !== null && /^\d+$/.test(lengthText)
    ? Number(lengthText)
    : Infinity;
  const decoder = chunked ? new ChunkedDecoder() : null;
  let finished = false;
  let onData: (chunk: Uint8Array) => void = () => {};
  return new ReadableStream<Uint8Array>({
    start(controller) {
      const finish = () => {
        if (finished) return;
        finished = true;
        socket.off("data", onData);
        socket.destroy();
        try {
          controller.close();
        } catch {
          // already cancelled
        }
      };
      const emit = (bytes: Uint8Array) => {
        if (bytes.byteLength === 0 || finished) return;
        controller.enqueue(bytes);
        // A slow reader: stop reading the socket until it catches up (pull resumes).
        if ((controller.desiredSize ?? 1) <= 0) socket.pause();
      };
      onData = (chunk: Uint8Array) => {
        if (finished) return;
        if (decoder) {
          let parts: Uint8Array[];
          try {
            parts = decoder.push(chunk);
          } catch (err) {
            finished = true;
            socket.off("data", onData);
            socket.destroy();
            controller.error(err);
            return;
          }
          for (const p of parts) emit(p);
          if (decoder.done) finish();
          return;
        }
        const bytes = chunk.byteLength > left ? chunk.subarray(0, left) : chunk;
        left -= bytes.byteLength;
        emit(new Uint8Array(bytes));
        if (left <= 0) finish();
      };
      socket.on("data", onData);
      socket.on("end", finish);
      socket.on("close", finish);
      if (head.buffered.byteLength > 0) onData(head.buffered);
      if (left === 0) finish();
    },
    pull() {
      if (!finished) socket.resume();
    },
    cancel() {
      finished = true;
      socket.off("data", onData);
      socket.destroy();
    },
  }, { highWaterMark: 4 });
}
