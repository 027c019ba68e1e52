/**
 * What the typed client and the metadata-only client share: the query string, one request
 * with its failures as errors ({@linkcode StatusError} for an answer that is not a success,
 * {@linkcode RequestError} for none, the signal's reason when aborted), a JSON answer, and a
 * watch's events (an `ERROR` event thrown as a {@linkcode StatusError}).
 *
 * @module
 */
import { decodeWatchStream } from "./_watch_decoder.ts";
import { RequestError, StatusError } from "./errors.ts";
import type { Transport } from "./transport.ts";

/** `?k=v&…` of the parameters set (unset, `""` and `false` are left out). */
export function query(params: Record<string, string | number | boolean | undefined>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === "" || value === false) continue;
    parts.push(`${key}=${encodeURIComponent(String(value))}`);
  }
  return parts.length > 0 ? `?${parts.join("&")}` : "";
}

/** One request to the API server. */
export interface ApiRequest {
  readonly method: string;
  /** The path with its query. */
  readonly path: string;
  readonly body?: unknown;
  readonly contentType?: string | undefined;
  readonly accept?: string | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** Sends `request`; resolves with a success answer, or throws. */
export async function send(transport: Transport, request: ApiRequest): Promise<Response> {
  const { method, path, signal } = request;
  let res: Response;
  try {
    res = await transport.request(method, path, {
      ...(request.body !== undefined ? { body: request.body } : {}),
      ...(request.contentType !== undefined ? { contentType: request.contentType } : {}),
      ...(request.accept !== undefined ? { accept: request.accept } : {}),
      ...(signal !== undefined ? { signal } : {}),
    });
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    throw new RequestError(method, path.split("?")[0]!, { cause: err });
  }
  if (res.status >= 200 && res.status < 300) return res;
  let text = "";
  try {
    text = await res.text();
  } catch {
    // the body broke off: the status code still tells what happened
  }
  throw StatusError.fromText(res.status, text, { method, headers: res.headers });
}

/** Sends `request` and parses its answer (`{}` for an empty one). */
export async function requestJson(transport: Transport, request: ApiRequest): Promise<unknown> {
  const res = await send(transport, request);
  const text = await res.text();
  if (text === "") return {};
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new SyntaxError(
      `Cannot parse the answer to ${request.method} ${request.path.split("?")[0]}: not JSON`,
      { cause: err },
    );
  }
}

/** One event of a watch; `ERROR` events are thrown. */
export interface DecodedWatchEvent {
  readonly type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK";
  readonly object: unknown;
}

/**
 * Watches (a GET of `request.path`, which asks for `watch=1`) until the server ends the
 * stream or `request.signal` aborts; the iteration ends either way.
 */
export async function* watchEvents(
  transport: Transport,
  request: Omit<ApiRequest, "method">,
): AsyncGenerator<DecodedWatchEvent> {
  let res: Response;
  try {
    res = await send(transport, { ...request, method: "GET" });
  } catch (err) {
    if (request.signal?.aborted) return;
    throw err;
  }
  if (!res.body) return;
  for await (const raw of decodeWatchStream(res.body, request.signal)) {
    if (raw.type === "ERROR") {
      const status = raw.object as { code?: unknown };
      throw StatusError.fromBody(typeof status.code === "number" ? status.code : 500, raw.object);
    }
    if (
      raw.type !== "ADDED" && raw.type !== "MODIFIED" && raw.type !== "DELETED" &&
      raw.type !== "BOOKMARK"
    ) {
      throw new SyntaxError(`Cannot parse watch event: unknown type "${raw.type}"`);
    }
    yield { type: raw.type, object: raw.object };
  }
}
