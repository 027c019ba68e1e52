/**
 * The httpGet probe, as upstream's `pkg/probe/http`: a GET with the probe's headers (plus
 * `User-Agent: kube-probe/1.33` and `Accept: *\/*` unless set), redirects followed while they
 * stay on the same host (at most 10), TLS certificates not verified. 200–399 succeeds (a redirect
 * left unfollowed is a warning), anything else fails; up to 10 KiB of the body is the output.
 *
 * @module
 */
import * as http from "node:http";
import * as https from "node:https";
import { type Clock, systemClock } from "../../control/util/clock.ts";
import { dialErrorText } from "./_dial_error.ts";
import {
  joinHostPort,
  MAX_PROBE_OUTPUT_BYTES,
  PROBE_USER_AGENT,
  ProbeError,
  type ProbeOutcome,
} from "./probe_result.ts";

/** The most redirects followed. */
const MAX_REDIRECTS = 10;

/** Status codes whose Location is followed. */
const FOLLOWED_REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** One request header of an HTTP probe. */
export interface HttpProbeHeader {
  readonly name: string;
  readonly value: string;
}

/** What an {@linkcode httpProbe} requests. */
export interface HttpProbeRequest {
  /** The full URL; see {@linkcode httpProbeUrl}. */
  readonly url: string;
  /** The probe's `httpHeaders`, in order. */
  readonly headers?: readonly HttpProbeHeader[];
  readonly timeoutMs: number;
}

/** Options of {@linkcode httpProbe}. */
export interface HttpProbeOptions {
  /** Times the request; defaults to the system clock. */
  readonly clock?: Clock;
}

/** The parts of an httpGet action's URL. */
export interface HttpProbeTarget {
  /** `HTTP` or `HTTPS` (any case). */
  readonly scheme: string;
  readonly host: string;
  readonly port: number;
  /** The path, possibly with a query; `/` when empty. */
  readonly path?: string;
}

/** The URL an httpGet action requests: `http://10.42.0.5:8080/healthz`. */
export function httpProbeUrl(target: HttpProbeTarget): string {
  let path = target.path ?? "";
  if (path !== "" && !path.startsWith("/")) path = `/${path}`;
  return `${target.scheme.toLowerCase()}://${joinHostPort(target.host, target.port)}${path}`;
}

/** The request headers: the probe's (the last of a name wins, as Go's `Header.Set`), defaults. */
function requestHeaders(headers: readonly HttpProbeHeader[]): Record<string, string> {
  const out: Record<string, string> = {};
  const names = new Map<string, string>();
  for (const { name, value } of headers) {
    const lower = name.toLowerCase();
    const previous = names.get(lower);
    if (previous !== undefined) delete out[previous];
    names.set(lower, name);
    out[name] = value;
  }
  if (!names.has("user-agent")) out["User-Agent"] = PROBE_USER_AGENT;
  if (!names.has("accept")) out["Accept"] = "*/*";
  out["Connection"] = "close";
  return out;
}

interface Answer {
  readonly status: number;
  readonly location: string | undefined;
  readonly body: Uint8Array;
}

class RequestTimeout extends Error {
  constructor() {
    super("context deadline exceeded");
    this.name = "RequestTimeout";
  }
}

/** The body broke off after the headers came (Go's body read error). */
class BodyError extends Error {
  constructor(cause: unknown) {
    super(
      cause instanceof RequestTimeout
        ? "context deadline exceeded (Client.Timeout or context cancellation while reading body)"
        : "unexpected EOF",
      { cause },
    );
    this.name = "BodyError";
  }
}

/** One GET of `url`; rejects on connection errors and at `signal`. */
function getOnce(
  url: URL,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let gotHeaders = false;
    const secure = url.protocol === "https:";
    const options: https.RequestOptions = {
      method: "GET",
      host: url.hostname.replace(/^\[|\]$/g, ""),
      port: url.port === "" ? (secure ? 443 : 80) : Number(url.port),
      path: `${url.pathname}${url.search}`,
      headers,
      agent: false,
      signal,
    };
    if (secure) options.rejectUnauthorized = false;
    const onResponse = (res: http.IncomingMessage): void => {
      gotHeaders = true;
      const chunks: Uint8Array[] = [];
      let size = 0;
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        if (signal.aborted && size < MAX_PROBE_OUTPUT_BYTES) {
          reject(new BodyError(signal.reason));
          return;
        }
        const body = new Uint8Array(size);
        let at = 0;
        for (const chunk of chunks) {
          body.set(chunk, at);
          at += chunk.length;
        }
        const location = res.headers.location;
        resolve({ status: res.statusCode ?? 0, location, body });
        res.destroy();
      };
      res.on("data", (chunk: Uint8Array) => {
        if (done) return;
        const room = MAX_PROBE_OUTPUT_BYTES - size;
        const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
        chunks.push(part);
        size += part.length;
        if (size >= MAX_PROBE_OUTPUT_BYTES) finish();
      });
      res.on("end", finish);
      res.on("error", (err) => {
        if (!done) reject(new BodyError(signal.aborted ? signal.reason : err));
      });
      res.on("close", () => {
        if (!done) reject(new BodyError(signal.aborted ? signal.reason : undefined));
      });
    };
    const req = secure ? https.request(options, onResponse) : http.request(options, onResponse);
    req.on("error", reject);
    // Whatever state the request is in, the deadline ends it.
    signal.addEventListener(
      "abort",
      () => reject(gotHeaders ? new BodyError(signal.reason) : signal.reason),
      { once: true },
    );
    req.end();
  });
}

function errorText(err: unknown, url: URL): string {
  if (err instanceof RequestTimeout) {
    return `${err.message} (Client.Timeout exceeded while awaiting headers)`;
  }
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string" && code.startsWith("E") && code !== "ECONNRESET") {
    const host = url.hostname.replace(/^\[|\]$/g, "");
    const port = url.port === "" ? (url.protocol === "https:" ? "443" : "80") : url.port;
    return dialErrorText(err, { address: joinHostPort(host, port), host });
  }
  if (code === "ECONNRESET") return "EOF";
  return err instanceof Error ? err.message : String(err);
}

/**
 * Runs an HTTP GET probe. Connection errors and timeouts are failures whose output is Go's
 * client error (`Get "http://10.42.0.5:8080/healthz": dial tcp 10.42.0.5:8080: connect:
 * connection refused`); a status outside 200–399 fails with `HTTP probe failed with statuscode:
 * 500`; a redirect not followed succeeds with a warning. A body that breaks off after the
 * headers (a timeout while reading it) rejects with a {@linkcode ProbeError} (result `failure`),
 * as upstream returns an error then.
 */
export async function httpProbe(
  request: HttpProbeRequest,
  options: HttpProbeOptions = {},
): Promise<ProbeOutcome> {
  const clock = options.clock ?? systemClock;
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return { result: "failure", output: `parse "${request.url}": invalid URL` };
  }
  const headers = requestHeaders(request.headers ?? []);
  const controller = new AbortController();
  const timer = clock.setTimeout(() => controller.abort(new RequestTimeout()), request.timeoutMs);
  const firstHost = url.hostname;
  try {
    for (let redirects = 0;; redirects++) {
      let answer: Answer;
      try {
        answer = await getOnce(url, headers, controller.signal);
      } catch (err) {
        if (err instanceof BodyError) {
          // Upstream reports a body read error as an error next to a failure.
          throw new ProbeError(err.message, { result: "failure", cause: err });
        }
        const cause = controller.signal.aborted ? controller.signal.reason : err;
        return { result: "failure", output: `Get "${url.href}": ${errorText(cause, url)}` };
      }
      const { status, location, body } = answer;
      if (FOLLOWED_REDIRECTS.has(status) && location !== undefined) {
        let next: URL;
        try {
          next = new URL(location, url);
        } catch {
          return {
            result: "failure",
            output: `Get "${url.href}": failed to parse Location header "${location}"`,
          };
        }
        if (
          next.hostname === firstHost && (next.protocol === "http:" || next.protocol === "https:")
        ) {
          if (redirects + 1 >= MAX_REDIRECTS) {
            return { result: "failure", output: `Get "${next.href}": stopped after 10 redirects` };
          }
          url = next;
          continue;
        }
      }
      const text = new TextDecoder().decode(body);
      if (status >= 200 && status < 400) {
        if (status >= 300) {
          return {
            result: "warning",
            output: `Probe terminated redirects, Response body: ${text}`,
          };
        }
        return { result: "success", output: text };
      }
      return { result: "failure", output: `HTTP probe failed with statuscode: ${status}` };
    }
  } finally {
    timer.cancel();
  }
}
