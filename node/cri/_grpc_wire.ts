/**
 * gRPC over HTTP/2 (grpc/grpc `doc/PROTOCOL-HTTP2.md`) for {@linkcode ./grpc_channel.ts}: the
 * `grpc-timeout` header, length-prefixed messages, the percent-encoded `grpc-message`, and the
 * gRPC status of responses without a `grpc-status` (by HTTP status) and of reset streams (by
 * HTTP/2 error code).
 *
 * @module
 */
import { H2Error } from "./_h2_frames.ts";
import { GrpcCallError, GrpcStatus } from "./errors.ts";

/** The largest TimeoutValue: at most 8 digits. */
const MAX_TIMEOUT_VALUE = 99_999_999;

/**
 * The `grpc-timeout` value for `ms` milliseconds (rounded up, at least 1): milliseconds while
 * they fit 8 digits, then seconds, minutes or hours.
 */
export function grpcTimeout(ms: number): string {
  const units: [string, number][] = [["m", 1], ["S", 1_000], ["M", 60_000], ["H", 3_600_000]];
  for (const [unit, size] of units) {
    const value = Math.max(1, Math.ceil(ms / size));
    if (value <= MAX_TIMEOUT_VALUE) return `${value}${unit}`;
  }
  return `${MAX_TIMEOUT_VALUE}H`;
}

const MESSAGE_PREFIX_BYTES = 5;

/** One uncompressed length-prefixed message. */
export function frameMessage(message: Uint8Array): Uint8Array {
  const out = new Uint8Array(MESSAGE_PREFIX_BYTES + message.length);
  new DataView(out.buffer).setUint32(1, message.length);
  out.set(message, MESSAGE_PREFIX_BYTES);
  return out;
}

/**
 * Collects length-prefixed messages from response data, however the DATA frames cut them. A
 * message longer than `maxMessageBytes` fails with RESOURCE_EXHAUSTED before it is buffered.
 */
export class MessageReader {
  readonly #maxMessageBytes: number;
  readonly #prefix = new Uint8Array(MESSAGE_PREFIX_BYTES);
  #prefixFill = 0;
  #body: Uint8Array | undefined;
  #bodyFill = 0;
  readonly #messages: Uint8Array[] = [];

  constructor(maxMessageBytes: number) {
    this.#maxMessageBytes = maxMessageBytes;
  }

  /** The messages complete so far. */
  get messages(): readonly Uint8Array[] {
    return this.#messages;
  }

  /** Whether a message has started but not ended. */
  get partial(): boolean {
    return this.#prefixFill > 0 || this.#body !== undefined;
  }

  /** Adds response data (copied: `chunk` may be reused); throws a {@linkcode GrpcCallError}. */
  push(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.#body === undefined) {
        const n = Math.min(MESSAGE_PREFIX_BYTES - this.#prefixFill, chunk.length - at);
        this.#prefix.set(chunk.subarray(at, at + n), this.#prefixFill);
        this.#prefixFill += n;
        at += n;
        if (this.#prefixFill < MESSAGE_PREFIX_BYTES) return;
        this.#startBody();
        continue;
      }
      const n = Math.min(this.#body.length - this.#bodyFill, chunk.length - at);
      this.#body.set(chunk.subarray(at, at + n), this.#bodyFill);
      this.#bodyFill += n;
      at += n;
      if (this.#bodyFill === this.#body.length) this.#finishBody();
    }
  }

  #startBody(): void {
    if (this.#prefix[0] !== 0) {
      throw new GrpcCallError({
        code: GrpcStatus.INTERNAL,
        details: "grpc: received a compressed message without grpc-encoding",
      });
    }
    const length = new DataView(this.#prefix.buffer).getUint32(1);
    if (length > this.#maxMessageBytes) {
      throw new GrpcCallError({
        code: GrpcStatus.RESOURCE_EXHAUSTED,
        details: `grpc: received message larger than max (${length} vs. ${this.#maxMessageBytes})`,
      });
    }
    this.#prefixFill = 0;
    this.#body = new Uint8Array(length);
    this.#bodyFill = 0;
    if (length === 0) this.#finishBody();
  }

  #finishBody(): void {
    this.#messages.push(this.#body!);
    this.#body = undefined;
    this.#bodyFill = 0;
  }
}

const utf8 = new TextDecoder();
const encoder = new TextEncoder();

/**
 * The text of a `grpc-message` value: percent-encoded UTF-8. Malformed `%` sequences are kept
 * as they are (the protocol says never to fail on them).
 */
export function decodeGrpcMessage(value: string): string {
  if (!value.includes("%")) return value;
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === "%" && /^[0-9a-fA-F]{2}$/.test(value.slice(i + 1, i + 3))) {
      bytes.push(parseInt(value.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      for (const b of encoder.encode(c)) bytes.push(b);
    }
  }
  return utf8.decode(new Uint8Array(bytes));
}

/** The gRPC status of a response that has no `grpc-status`, by its HTTP status. */
export function statusOfHttp(httpStatus: number): number {
  switch (httpStatus) {
    case 400:
    case 431:
      return GrpcStatus.INTERNAL;
    case 401:
      return GrpcStatus.UNAUTHENTICATED;
    case 403:
      return GrpcStatus.PERMISSION_DENIED;
    case 404:
      return GrpcStatus.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return GrpcStatus.UNAVAILABLE;
    default:
      return GrpcStatus.UNKNOWN;
  }
}

/** The gRPC status of a stream the server reset with HTTP/2 error `code`. */
export function statusOfReset(code: number): number {
  switch (code) {
    case H2Error.REFUSED_STREAM:
      return GrpcStatus.UNAVAILABLE;
    case H2Error.CANCEL:
      return GrpcStatus.CANCELLED;
    case H2Error.ENHANCE_YOUR_CALM:
      return GrpcStatus.RESOURCE_EXHAUSTED;
    case H2Error.INADEQUATE_SECURITY:
      return GrpcStatus.PERMISSION_DENIED;
    default:
      return GrpcStatus.INTERNAL;
  }
}
