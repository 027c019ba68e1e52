/**
 * One HTTP/1.1 exchange over a fresh TLS connection, with the request written byte for byte:
 * what `fetch` will not send (two `Authorization` headers, non-ASCII header bytes, a 64 KiB
 * header line) reaches the server as written. The connection verifies the server with the
 * cluster CA and presents no client certificate (`HttpsIdentity` does that). The answer is
 * read until the
 * server closes the connection (the request should say `Connection: close`), within a
 * deadline, so a server that hangs fails the test instead of stalling it.
 *
 * @example An answer to a request with two Authorization headers
 * ```ts ignore
 * const res = await rawHttpsExchange(endpoint, {
 *   request: "GET /api HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\r\n" +
 *     "Authorization: Bearer b\r\nConnection: close\r\n\r\n",
 * });
 * // res.status === 401
 * ```
 *
 * @module
 */
import type { ClusterEndpoint } from "./identities.ts";

/** Options of {@linkcode rawHttpsExchange}. */
export interface RawExchangeOptions {
  /** The whole request: head and body, as sent. */
  readonly request: string | Uint8Array;
  /** @default {10000} */
  readonly timeoutMs?: number;
}

/** What the server answered. */
export interface RawResponse {
  readonly status: number;
  /** Header names in lower case, in the order sent. */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: string;
}

/** Answers longer than this are a test failure, not something to keep reading. */
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

function concat(chunks: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** Decodes a chunked body (the server streams some answers). */
function unchunk(body: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  let size = 0;
  let at = 0;
  const text = new TextDecoder("latin1");
  for (;;) {
    const lineEnd = body.indexOf(0x0a, at);
    if (lineEnd < 0) throw new SyntaxError("Cannot read chunked body: no chunk size line");
    const n = parseInt(text.decode(body.subarray(at, lineEnd)).trim(), 16);
    if (!Number.isFinite(n)) throw new SyntaxError("Cannot read chunked body: bad chunk size");
    at = lineEnd + 1;
    if (n === 0) break;
    parts.push(body.subarray(at, at + n));
    size += n;
    at += n + 2;
  }
  return concat(parts, size);
}

function parseResponse(bytes: Uint8Array): RawResponse {
  const headEnd = bytes.findIndex((_, i) =>
    bytes[i] === 0x0d && bytes[i + 1] === 0x0a && bytes[i + 2] === 0x0d && bytes[i + 3] === 0x0a
  );
  if (headEnd < 0) {
    throw new SyntaxError(`Cannot read response: no end of head in ${bytes.byteLength} bytes`);
  }
  const lines = new TextDecoder("latin1").decode(bytes.subarray(0, headEnd)).split("\r\n");
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? "");
  if (!m) throw new SyntaxError(`Cannot read response: status line ${JSON.stringify(lines[0])}`);
  const headers = lines.slice(1).map((line): [string, string] => {
    const colon = line.indexOf(":");
    return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
  });
  let body = bytes.subarray(headEnd + 4);
  if (headers.some(([n, v]) => n === "transfer-encoding" && v.toLowerCase() === "chunked")) {
    body = unchunk(body);
  }
  return { status: Number(m[1]), headers, body: new TextDecoder().decode(body) };
}

/**
 * Sends `options.request` on a new TLS connection to `endpoint` and reads the answer until
 * the server closes. Throws when the TLS handshake fails, the deadline passes, or the answer
 * is not HTTP.
 */
export async function rawHttpsExchange(
  endpoint: ClusterEndpoint,
  options: RawExchangeOptions,
): Promise<RawResponse> {
  const url = new URL(endpoint.url);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const tcp = await Deno.connect({ hostname: url.hostname, port: Number(url.port) });
  // Without it the request waits for the ACK of the last handshake message (delayed ACK).
  tcp.setNoDelay(true);
  const conn = await Deno.startTls(tcp, {
    hostname: url.hostname,
    caCerts: [endpoint.caPem],
    alpnProtocols: ["http/1.1"],
  });
  let expired = false;
  const timer = setTimeout(() => {
    expired = true;
    conn.close();
  }, timeoutMs);
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    const request = typeof options.request === "string"
      ? new TextEncoder().encode(options.request)
      : options.request;
    try {
      for (let at = 0; at < request.byteLength;) at += await conn.write(request.subarray(at));
    } catch (err) {
      // A server refusing the request (431) answers and closes before it read all of it:
      // its answer is still there to read.
      if (expired) throw err;
    }
    const buf = new Uint8Array(64 * 1024);
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      chunks.push(buf.slice(0, n));
      size += n;
      if (size > MAX_RESPONSE_BYTES) {
        throw new RangeError(`Cannot read response: longer than ${MAX_RESPONSE_BYTES} bytes`);
      }
    }
  } catch (err) {
    if (!expired && !(size > 0 && err instanceof Deno.errors.ConnectionReset)) throw err;
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // Closed already (the deadline).
    }
  }
  if (expired) throw new Error(`Cannot read response: no answer within ${timeoutMs} ms`);
  return parseResponse(concat(chunks, size));
}
