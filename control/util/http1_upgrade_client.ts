/**
 * The client side of an HTTP/1.1 upgrade on a raw socket (WebSocket, SPDY/3.1, or relaying
 * one): sends the request head, reads the response head, and hands back what followed it, so
 * the caller speaks the new protocol on the same socket. A refused upgrade's body is read by
 * its `Content-Length` (or until the server closes).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { type Clock, systemClock } from "./clock.ts";

/** The socket side an upgrade's client needs (a `node:net`/`node:tls` socket). */
export interface UpgradeSocket {
  write(data: Uint8Array): boolean;
  end(): void;
  destroy(): void;
  on(event: "data", fn: (chunk: Uint8Array) => void): unknown;
  on(event: "end" | "close", fn: () => void): unknown;
  on(event: "error", fn: (err: Error) => void): unknown;
  off(event: "data", fn: (chunk: Uint8Array) => void): unknown;
  off(event: "end" | "close", fn: () => void): unknown;
  off(event: "error", fn: (err: Error) => void): unknown;
  /** Stops `data` events (a `node:net` socket's; fakes may leave it out). */
  pause?(): unknown;
  /** Starts `data` events again. */
  resume?(): unknown;
}

/** A parsed response head. */
export interface ResponseHead {
  readonly status: number;
  /** The reason phrase. */
  readonly statusText: string;
  readonly headers: Headers;
  /** What followed the head in the bytes read. */
  readonly buffered: Uint8Array;
}

/** Options of {@linkcode sendUpgradeRequest}. */
export interface UpgradeRequestOptions {
  /** @default {"GET"} */
  readonly method?: string;
  /** The request target (path and query). */
  readonly path: string;
  /** Header lines, in order (`Host` first, as clients send it). */
  readonly headers: readonly (readonly [string, string])[];
  /** Gives up waiting for the response head after this long. @default {30 s} */
  readonly timeoutMs?: number;
  /** @default {systemClock} */
  readonly clock?: Clock;
}

const MAX_HEAD_BYTES = 64 * 1024;

/** Sends a request head on `socket` and reads the response head. */
export function sendUpgradeRequest(
  socket: UpgradeSocket,
  options: UpgradeRequestOptions,
): Promise<ResponseHead> {
  let head = `${options.method ?? "GET"} ${options.path} HTTP/1.1\r\n`;
  for (const [name, value] of options.headers) head += `${name}: ${value}\r\n`;
  const reading = readResponseHead(socket, {
    timeoutMs: options.timeoutMs ?? 30_000,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  socket.write(new TextEncoder().encode(`${head}\r\n`));
  return reading;
}

/**
 * Reads until the end of a response head (`\r\n\r\n`). The data listener is removed again:
 * the caller attaches its own (in the continuation of the returned promise, before any other
 * await) and takes what already followed from `buffered`.
 */
export function readResponseHead(
  socket: UpgradeSocket,
  options: { readonly timeoutMs: number; readonly clock?: Clock },
): Promise<ResponseHead> {
  const clock = options.clock ?? systemClock;
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const finish = (err: Error | null, head?: ResponseHead) => {
      timer.cancel();
      socket.off("data", onData);
      socket.off("close", onClose);
      socket.off("error", onError);
      if (err) {
        reject(err);
        return;
      }
      // A socket delivers the bytes it holds in one synchronous burst of `data` events: with
      // no listener between this one and the caller's, the rest of the burst would be lost.
      // Paused, they wait until the caller's continuation (a microtask, queued first) has
      // attached its own listener.
      socket.pause?.();
      resolve(head!);
      queueMicrotask(() => socket.resume?.());
    };
    const onData = (chunk: Uint8Array) => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) {
        if (buf.byteLength > MAX_HEAD_BYTES) finish(new Error("Response head too large"));
        return;
      }
      const lines = buf.subarray(0, end).toString("latin1").split("\r\n");
      const match = /^HTTP\/1\.[01] (\d{3}) ?(.*)$/.exec(lines[0] ?? "");
      if (!match) return finish(new Error(`Malformed response line "${lines[0] ?? ""}"`));
      const headers = new Headers();
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(":");
        if (colon > 0) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
      }
      finish(null, {
        status: Number(match[1]),
        statusText: match[2] ?? "",
        headers,
        buffered: new Uint8Array(buf.subarray(end + 4)),
      });
    };
    const onClose = () => finish(new Error("Connection closed before a response"));
    const onError = (err: Error) => finish(err);
    const timer = clock.setTimeout(
      () => finish(new Error("No response in time")),
      options.timeoutMs,
    );
    socket.on("data", onData);
    socket.on("close", onClose);
    socket.on("error", onError);
  });
}

/**
 * The body of a response whose head was read with {@linkcode readResponseHead}: by its
 * `Content-Length`, else until the server closes; at most `maxBytes` (the rest is dropped).
 */
export function readResponseBody(
  socket: UpgradeSocket,
  options: {
    readonly head: ResponseHead;
    readonly maxBytes?: number;
    readonly timeoutMs?: number;
    readonly clock?: Clock;
  },
): Promise<Uint8Array> {
  const clock = options.clock ?? systemClock;
  const { head } = options;
  const max = options.maxBytes ?? 1024 * 1024;
  const declared = head.headers.get("content-length");
  const want = declared !== null && /^\d+$/.test(declared) ? Number(declared) : Infinity;
  return new Promise((resolve) => {
    const parts: Uint8Array[] = [head.buffered];
    let size = head.buffered.byteLength;
    const finish = () => {
      timer.cancel();
      socket.off("data", onData);
      socket.off("end", finish);
      socket.off("close", finish);
      const all = Buffer.concat(parts);
      resolve(new Uint8Array(all.subarray(0, Math.min(want, max, all.byteLength))));
    };
    const onData = (chunk: Uint8Array) => {
      parts.push(chunk);
      size += chunk.byteLength;
      if (size >= want || size >= max) finish();
    };
    const timer = clock.setTimeout(finish, options.timeoutMs ?? 30_000);
    if (size >= want || size >= max) return finish();
    socket.on("data", onData);
    socket.on("end", finish);
    socket.on("close", finish);
  });
}
