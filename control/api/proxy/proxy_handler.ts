/**
 * Passes one request through to a backend and its answer back, as kube-apiserver's proxy
 * subresources do (apimachinery's `UpgradeAwareHandler` with its default proxy transport):
 *
 * **Upgrades** (a `Connection` header naming `upgrade`: WebSocket, SPDY): the backend is
 * dialled and sent the request as it came — its headers, `X-Forwarded-For` with the client's
 * address appended, the backend path without the query (as upstream's dial does). A `101` is
 * written back raw and the bytes are relayed both ways until either side closes; an answer of
 * 400 or more is written back as it came and the connection closed; anything else is a 500
 * `invalid upgrade response: status code 200`. Dial failures are 500 `error dialing backend:
 * dial tcp …`.
 *
 * **Everything else**, as Go's reverse proxy:
 * - an empty backend path on GET or HEAD answers 301 to the request's path with a `/` added;
 *   a request path ending in `/` keeps it at the backend;
 * - the request goes with the client's headers minus the hop-by-hop ones (and those its
 *   `Connection` names), minus its credentials (`Authorization`, `Impersonate-*`: the API
 *   server consumed them), plus `X-Forwarded-For` and `X-Forwarded-Uri` (the path the client
 *   asked for); its `Host` is the one the client sent; its body is streamed; without an
 *   `Accept-Encoding` of the client's, gzip is asked for and undone on the way back;
 * - a dial or read failure is 503 `error trying to reach service: dial tcp 10.42.0.5:8080:
 *   connect: connection refused`;
 * - the answer comes back with its status, minus hop-by-hop and CORS headers; a `Location`
 *   is rewritten to lead through the proxy (`proxy_url_rewrite.ts`; one that does not parse is
 *   a 500), else a `text/html` page has its links rewritten (`html_rewrite.ts`, through its
 *   gzip or deflate encoding); the body is streamed as it arrives.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type net from "node:net";
import { type Http1TakenSocket, takeOverSocket } from "../../util/http1_connection.ts";
import { responseBodyStream } from "../../util/http1_response_body.ts";
import type { Logger } from "../../util/logger.ts";
import { type Clock, systemClock } from "../../util/clock.ts";
import { ApiError } from "../errors.ts";
import { streamedResponse } from "../handlers/render.ts";
import { type RelaySocket, relaySockets } from "../streaming/socket_relay.ts";
import { escapePath, joinPath } from "./_go_path.ts";
import {
  type BackendDialer,
  BackendDialError,
  type BackendResponse,
  readBackendResponse,
  writeBackendRequest,
} from "./backend_connection.ts";
import { rewriteHtmlUrls } from "./html_rewrite.ts";
import type { ProxyLocation } from "./proxy_location.ts";
import { type ProxyUrlContext, rewriteProxyUrl } from "./proxy_url_rewrite.ts";

/** Where the request goes: a location and the backend path (decoded). */
export interface ProxyTarget extends ProxyLocation {
  /** "" when the request named no path. */
  readonly path: string;
}

/** The client's request, as the proxy reads it. */
export interface ProxyRequest {
  readonly method: string;
  readonly headers: Headers;
  /** The request's path, decoded (Go's `URL.Path`). */
  readonly path: string;
  /** The query as sent, without `?`; "" for none. */
  readonly rawQuery: string;
  /** The body: bytes, a stream, or null for none. */
  readonly body: () => Promise<ReadableStream<Uint8Array> | Uint8Array | null>;
  /** The client's IP, for `X-Forwarded-For`. */
  readonly remoteAddress?: string;
  /** Aborts when the client goes away. */
  readonly signal: AbortSignal;
}

/** Options of {@linkcode proxyRequest}. */
export interface ProxyHandlerOptions {
  readonly target: ProxyTarget;
  /** Dials the target (TLS for https and kubelet targets). */
  readonly dial: BackendDialer;
  readonly logger: Logger;
  /** Takes the client's socket for an upgrade. @default {takeOverSocket} */
  readonly takeOver?: (signal: AbortSignal) => Http1TakenSocket | null;
  /** A `text/html` page larger than this is passed on without rewriting. @default {16 MiB} */
  readonly maxRewriteBytes?: number;
  /** A body with a `Content-Length` up to this is sent whole, else streamed. @default {1 MiB} */
  readonly maxWholeBodyBytes?: number;
  /** Times a refused upgrade's answer. @default {systemClock} */
  readonly clock?: Clock;
}

/** Request and response headers a proxy never passes on (Go's `hopHeaders`). */
const HOP_HEADERS = [
  "connection",
  "proxy-connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
];

/** The CORS headers upstream's proxy removes from answers. */
const CORS_HEADERS = [
  "access-control-allow-credentials",
  "access-control-allow-headers",
  "access-control-allow-methods",
  "access-control-allow-origin",
];

/** Whether a request asks for a protocol upgrade (upstream `httpstream.IsUpgradeRequest`). */
export function isUpgradeRequest(headers: Headers): boolean {
  return (headers.get("connection") ?? "").toLowerCase().includes("upgrade");
}

/** Go's canonical header key (`content-type` → `Content-Type`). */
function canonicalName(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}

/** The client's credentials, which the API server consumed and never passes on. */
function dropCredentials(headers: Headers): void {
  const names: string[] = [];
  headers.forEach((_v, name) => {
    if (name === "authorization" || name.startsWith("impersonate-")) names.push(name);
  });
  for (const name of names) headers.delete(name);
}

/** Removes the hop-by-hop headers and those `Connection` names. */
function dropHopHeaders(headers: Headers): void {
  for (const token of (headers.get("connection") ?? "").split(",")) {
    const name = token.trim();
    if (name !== "") {
      try {
        headers.delete(name);
      } catch {
        // not a header name
      }
    }
  }
  for (const name of HOP_HEADERS) headers.delete(name);
}

function appendForwardedFor(headers: Headers, remoteAddress: string | undefined): void {
  if (!remoteAddress) return;
  const ip = remoteAddress.replace(/^\[(.*)\]$/, "$1");
  const prior = headers.get("x-forwarded-for");
  headers.set("x-forwarded-for", prior ? `${prior}, ${ip}` : ip);
}

/** Header lines for the backend: `Host` first, then the rest with Go's names. */
function headerLines(headers: Headers, host: string): [string, string][] {
  const lines: [string, string][] = [["Host", host]];
  headers.forEach((value, name) => {
    if (name === "host" || name === "content-length") return;
    lines.push([canonicalName(name), value]);
  });
  return lines;
}

const encoder = new TextEncoder();

/** Reads a stream to its end (or a limit: then null and what was read). */
async function readAll(
  body: ReadableStream<Uint8Array>,
  max: number,
): Promise<
  { bytes: Uint8Array | null; read: Uint8Array[]; reader: ReadableStreamDefaultReader<Uint8Array> }
> {
  const reader = body.getReader();
  const read: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return { bytes: new Uint8Array(Buffer.concat(read)), read, reader };
    read.push(value);
    size += value.byteLength;
    if (size > max) return { bytes: null, read, reader };
  }
}

/** A stream of `first`, then what `reader` still has. */
function prepend(
  first: readonly Uint8Array[],
  reader: ReadableStreamDefaultReader<Uint8Array>,
): ReadableStream<Uint8Array> {
  const queue = [...first];
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = queue.shift();
      if (next) return controller.enqueue(next);
      const { value, done } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

/** A gzip decoder over byte streams. */
function gunzip(): ReadableWritablePair<Uint8Array, Uint8Array> {
  return new DecompressionStream("gzip") as unknown as ReadableWritablePair<Uint8Array, Uint8Array>;
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** A latin1 string of `bytes` (every byte kept, for scanning markup of any charset). */
function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
}

/** Rewrites an HTML body's links; null when its encoding is not one the proxy reads. */
async function rewriteHtmlBody(
  body: Uint8Array,
  options: { readonly encoding: string; readonly rewrite: (url: string) => string },
): Promise<Uint8Array | null> {
  const codec = options.encoding === "gzip"
    ? "gzip"
    : options.encoding === "deflate"
    ? "deflate-raw"
    : options.encoding === ""
    ? null
    : undefined;
  if (codec === undefined) return null;
  const plain = codec === null ? body : await collect(
    new Blob([body as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
      new DecompressionStream(codec),
    ),
  );
  const utf8 = new TextDecoder();
  // Scanned as latin1 so that no byte is lost; URLs are read and written as UTF-8.
  const out = rewriteHtmlUrls(latin1(plain), (value) => {
    const url = utf8.decode(Buffer.from(value, "latin1"));
    const rewritten = options.rewrite(url);
    return rewritten === url ? value : Buffer.from(rewritten, "utf8").toString("latin1");
  });
  const bytes = new Uint8Array(Buffer.from(out, "latin1"));
  if (codec === null) return bytes;
  return await collect(
    new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream(codec)),
  );
}

/** Statuses whose answers have no body. */
function hasNoBody(status: number, method: string): boolean {
  return method === "HEAD" || status === 204 || status === 304 || (status >= 100 && status < 200);
}

/** Passes `request` to the target (see the module doc). */
export async function proxyRequest(
  request: ProxyRequest,
  options: ProxyHandlerOptions,
): Promise<Response> {
  if (isUpgradeRequest(request.headers)) return await proxyUpgrade(request, options);
  const { target } = options;
  let path = target.path;
  if (!path.endsWith("/") && request.path.endsWith("/")) path += "/";
  if (path === "" && (request.method === "GET" || request.method === "HEAD")) {
    const query = request.rawQuery === "" ? "" : `?${request.rawQuery}`;
    return new Response(null, {
      status: 301,
      headers: { location: `${request.path}/${query}` },
    });
  }
  let suffix = target.path;
  if (request.path.endsWith("/") && !suffix.endsWith("/")) suffix += "/";
  const pathPrepend = request.path.endsWith(suffix)
    ? request.path.slice(0, request.path.length - suffix.length)
    : request.path;
  const escaped = escapePath(path);
  const host = request.headers.get("host") ?? "";

  const headers = new Headers(request.headers);
  dropCredentials(headers);
  const trailers = (request.headers.get("te") ?? "").split(",").some((t) =>
    t.trim().toLowerCase() === "trailers"
  );
  dropHopHeaders(headers);
  if (trailers) headers.set("te", "trailers");
  appendForwardedFor(headers, request.remoteAddress);
  let forwardedUri = joinPath(pathPrepend, escaped);
  if (path.endsWith("/")) forwardedUri += "/";
  headers.set("x-forwarded-uri", forwardedUri);
  const askedGzip = !headers.has("accept-encoding") && !headers.has("range") &&
    request.method !== "HEAD";
  if (askedGzip) headers.set("accept-encoding", "gzip");

  let body = await request.body();
  if (body instanceof Uint8Array && body.byteLength === 0) body = null;
  const declared = request.headers.get("content-length");
  const contentLength = body instanceof ReadableStream && declared !== null &&
      /^\d+$/.test(declared)
    ? Number(declared)
    : undefined;

  const socket = await dialForProxy(
    options,
    request.signal,
    (message) => ApiError.unavailable(`error trying to reach service: ${message}`),
  );
  const onAbort = () => socket.destroy();
  request.signal.addEventListener("abort", onAbort, { once: true });
  socket.once("close", () => request.signal.removeEventListener("abort", onAbort));
  socket.on("error", () => {
    // "close" follows; the answer (or its body) ends there
  });
  let res: BackendResponse;
  try {
    const answer = readBackendResponse(socket);
    const written = writeBackendRequest(socket, {
      method: request.method,
      target: `${escaped === "" ? "/" : escaped}${
        request.rawQuery === "" ? "" : `?${request.rawQuery}`
      }`,
      headers: headerLines(headers, host),
      body,
      ...(contentLength === undefined ? {} : { contentLength }),
      emptyBodyLength: request.method !== "GET" && request.method !== "HEAD",
    });
    written.catch(() => socket.destroy());
    res = await answer;
  } catch (err) {
    socket.destroy();
    throw ApiError.unavailable(`error trying to reach service: ${(err as Error).message}`);
  }
  if (res.status === 101) {
    socket.destroy();
    throw new ApiError(
      `backend tried to switch protocol ${
        JSON.stringify(res.headers.get("upgrade") ?? "")
      } when "" was requested`,
      { code: 500, reason: "" },
    );
  }
  if (res.status < 200 || res.status > 599) {
    socket.destroy();
    throw ApiError.unavailable(
      `error trying to reach service: net/http: invalid status code ${res.status}`,
    );
  }
  return await clientResponse(request, { res, socket, askedGzip, pathPrepend, options, host });
}

/** Dials the target, turning a dial failure into the caller's error. */
async function dialForProxy(
  options: ProxyHandlerOptions,
  signal: AbortSignal,
  failure: (message: string) => ApiError,
): Promise<net.Socket> {
  const { target } = options;
  try {
    return await options.dial({
      hostname: target.hostname,
      port: target.port,
      tls: target.scheme === "https" || target.transport === "kubelet",
    }, { signal });
  } catch (err) {
    if (err instanceof BackendDialError) throw failure(err.message);
    throw err;
  }
}

/** The backend's answer as the client gets it. */
async function clientResponse(
  request: ProxyRequest,
  context: {
    readonly res: BackendResponse;
    readonly socket: net.Socket;
    readonly askedGzip: boolean;
    readonly pathPrepend: string;
    readonly options: ProxyHandlerOptions;
    readonly host: string;
  },
): Promise<Response> {
  const { res, socket, options } = context;
  const headers = new Headers();
  res.headers.forEach((value, name) => headers.append(name, value));
  dropHopHeaders(headers);
  let body: ReadableStream<Uint8Array> | null = null;
  if (hasNoBody(res.status, request.method)) {
    socket.destroy();
  } else {
    body = responseBodyStream(socket, res);
  }
  if (
    body && context.askedGzip && (headers.get("content-encoding") ?? "").toLowerCase() === "gzip"
  ) {
    body = body.pipeThrough(gunzip());
    headers.delete("content-encoding");
    headers.delete("content-length");
  }
  const urlContext: ProxyUrlContext = {
    pathPrepend: context.pathPrepend,
    backendHost: options.target.host,
    requestHost: context.host,
  };
  const location = headers.get("location");
  if (location !== null && location !== "") {
    try {
      headers.set("location", rewriteProxyUrl(location, urlContext));
    } catch (err) {
      await body?.cancel();
      throw ApiError.internal(
        new Error(`error trying to parse Location header: ${(err as Error).message}`),
      );
    }
  } else if (body && (headers.get("content-type") ?? "").split(";")[0]!.trim() === "text/html") {
    const max = options.maxRewriteBytes ?? 16 * 1024 * 1024;
    const read = await readAll(body, max);
    if (read.bytes === null) {
      body = prepend(read.read, read.reader);
    } else {
      const rewritten = await rewriteHtmlBody(read.bytes, {
        encoding: headers.get("content-encoding") ?? "",
        rewrite: (url) => rewriteProxyUrl(url, urlContext),
      }).catch((err) => {
        options.logger.warn("Cannot rewrite the links of a proxied page", { error: err });
        return null;
      });
      if (rewritten === null) {
        body = prepend(read.read, read.reader);
      } else {
        headers.delete("content-length");
        return finalResponse(rewritten, { status: res.status, headers });
      }
    }
  }
  for (const name of CORS_HEADERS) headers.delete(name);
  if (!body) return finalResponse(null, { status: res.status, headers });
  const length = headers.get("content-length");
  if (
    length !== null && /^\d+$/.test(length) &&
    Number(length) <= (options.maxWholeBodyBytes ?? 1 << 20)
  ) {
    return finalResponse(await collect(body), { status: res.status, headers });
  }
  return streamedResponse(body, { status: res.status, headers });
}

function finalResponse(
  body: Uint8Array | null,
  init: { readonly status: number; readonly headers: Headers },
): Response {
  for (const name of CORS_HEADERS) init.headers.delete(name);
  const empty = init.status === 204 || init.status === 205 || init.status === 304;
  return new Response(empty ? null : (body as Uint8Array<ArrayBuffer> | null), init);
}

/** An upgrade, relayed raw (see the module doc). */
async function proxyUpgrade(
  request: ProxyRequest,
  options: ProxyHandlerOptions,
): Promise<Response> {
  const { target } = options;
  let body = await request.body();
  if (body instanceof ReadableStream) body = await collect(body);
  const headers = new Headers(request.headers);
  dropCredentials(headers);
  appendForwardedFor(headers, request.remoteAddress);
  headers.delete("transfer-encoding");
  const host = request.headers.get("host") ?? "";
  const lines = headerLines(headers, host);
  if (body && body.byteLength > 0) lines.push(["Content-Length", String(body.byteLength)]);
  const socket = await dialForProxy(
    options,
    request.signal,
    (message) => new ApiError(`error dialing backend: ${message}`, { code: 500, reason: "" }),
  );
  socket.on("error", () => {
    // "close" follows; the relay ends with it
  });
  let res: BackendResponse;
  try {
    const reading = readBackendResponse(socket);
    await writeBackendRequest(socket, {
      method: request.method,
      target: escapePath(target.path) || "/",
      headers: lines,
      body: body && body.byteLength > 0 ? body : null,
    });
    res = await reading;
  } catch (err) {
    socket.destroy();
    throw new ApiError((err as Error).message, { code: 500, reason: "" });
  }
  if (res.status !== 101 && res.status < 400) {
    socket.destroy();
    throw new ApiError(`invalid upgrade response: status code ${res.status}`, {
      code: 500,
      reason: "",
    });
  }
  const taken = (options.takeOver ?? takeOverSocket)(request.signal);
  if (!taken) {
    socket.destroy();
    throw new ApiError("request connection cannot be hijacked", { code: 500, reason: "" });
  }
  const client = taken.socket;
  if (res.status !== 101) {
    await writeRefusal(client, { res, socket, clock: options.clock ?? systemClock });
    return new Response(null, { status: 101 });
  }
  options.logger.debug("Proxying an upgraded connection", {
    host: target.host,
    protocol: request.headers.get("upgrade") ?? "",
  });
  client.write(res.rawHead);
  void relaySockets([client as unknown as RelaySocket, socket as unknown as RelaySocket], {
    fromA: taken.buffered,
    fromB: res.buffered,
  });
  return new Response(null, { status: 101 });
}

/** A refused upgrade's answer, written to the client's socket as the backend gave it; closes. */
async function writeRefusal(
  client: Http1TakenSocket["socket"],
  context: { readonly res: BackendResponse; readonly socket: net.Socket; readonly clock: Clock },
): Promise<void> {
  const { res, socket } = context;
  const timer = context.clock.setTimeout(() => socket.destroy(), 10_000);
  let body: Uint8Array = new Uint8Array(0);
  try {
    body = await collect(responseBodyStream(socket, res));
  } catch {
    // what arrived in time is what the client gets
  } finally {
    timer.cancel();
    socket.destroy();
  }
  let head = `HTTP/1.1 ${res.status} ${res.statusText}\r\n`;
  res.headers.forEach((value, name) => {
    if (name !== "content-length" && name !== "transfer-encoding") {
      head += `${canonicalName(name)}: ${value}\r\n`;
    }
  });
  head += `Content-Length: ${body.byteLength}\r\n\r\n`;
  const bytes = Buffer.concat([encoder.encode(head), body]);
  if (!client.destroyed) client.write(new Uint8Array(bytes));
  client.end();
}
