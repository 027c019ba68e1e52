/**
 * Errors the client raises: {@linkcode StatusError} for every answer of the API server that is
 * not a success (built from the Kubernetes `Status` body, or from the status code when the body
 * is something else), and {@linkcode RequestError} for requests that got no answer at all. The
 * predicates ({@linkcode isNotFound}, {@linkcode isConflict}, …) test reasons as apimachinery's
 * `errors.IsNotFound` and friends do.
 *
 * @example Tell a missing object from other failures
 * ```ts
 * import assert from "node:assert/strict";
 * import { isNotFound, StatusError } from "./errors.ts";
 *
 * const err = StatusError.fromBody(404, {
 *   kind: "Status",
 *   apiVersion: "v1",
 *   status: "Failure",
 *   message: 'pods "web" not found',
 *   reason: "NotFound",
 *   details: { name: "web", kind: "pods" },
 *   code: 404,
 * });
 * assert.ok(isNotFound(err));
 * assert.equal(err.message, 'pods "web" not found');
 * ```
 *
 * @module
 */
import type { Status, StatusDetails } from "../api/types/meta_v1.ts";

/** The reason and message apimachinery gives an answer whose body is not a `Status`. */
function genericReason(code: number, method: string): { reason: string; message: string } {
  switch (code) {
    case 400:
      return {
        reason: "BadRequest",
        message: "the server rejected our request for an unknown reason",
      };
    case 401:
      return {
        reason: "Unauthorized",
        message: "the server has asked for the client to provide credentials",
      };
    case 403:
      return {
        reason: "Forbidden",
        message: "the server does not allow access to the requested resource",
      };
    case 404:
      return { reason: "NotFound", message: "the server could not find the requested resource" };
    case 405:
      return {
        reason: "MethodNotAllowed",
        message: "the server does not allow this method on the requested resource",
      };
    case 406:
      return {
        reason: "NotAcceptable",
        message: "the server was unable to respond with a content type that the client supports",
      };
    case 409:
      return {
        reason: method === "POST" ? "AlreadyExists" : "Conflict",
        message: "the server reported a conflict",
      };
    case 410:
      return { reason: "Gone", message: "the server responded with the status code 410" };
    case 415:
      return {
        reason: "UnsupportedMediaType",
        message: "the server does not support the content type of the request",
      };
    case 422:
      return {
        reason: "Invalid",
        message: "the server rejected our request due to an error in our request",
      };
    case 429:
      return {
        reason: "TooManyRequests",
        message: "the server has received too many requests and has asked us to try again later",
      };
    case 503:
      return {
        reason: "ServiceUnavailable",
        message: "the server is currently unable to handle the request",
      };
    case 504:
      return {
        reason: "Timeout",
        message:
          "the server was unable to return a response in the time allotted, but may still be processing the request",
      };
  }
  if (code >= 500) {
    return {
      reason: "InternalError",
      message: "an error on the server has prevented the request from succeeding",
    };
  }
  return {
    reason: "",
    message:
      `the server responded with the status code ${code} but did not return more information`,
  };
}

function isStatusBody(value: unknown): value is Status {
  return typeof value === "object" && value !== null &&
    (value as { kind?: unknown }).kind === "Status";
}

/** Options of {@linkcode StatusError.fromText}. */
export interface StatusErrorTextOptions {
  /** The request's method (a 409 to a POST means AlreadyExists). */
  readonly method?: string;
  /** Response headers (`Retry-After` fills in `details.retryAfterSeconds`). */
  readonly headers?: Headers;
}

/**
 * A failure the API server answered: `code` (HTTP status), `reason` (a Kubernetes
 * `StatusReason`, `""` when unknown), `message`, and `details` as the `Status` body had them.
 */
export class StatusError extends Error {
  /** The HTTP status code. */
  readonly code: number;
  /** The machine-readable reason (`NotFound`, `Conflict`, `Expired`, …), or `""`. */
  readonly reason: string;
  readonly details: StatusDetails | undefined;
  /** The `Status` this error came from (built from the status code for other bodies). */
  readonly status: Status;

  constructor(status: Status, options?: ErrorOptions) {
    super(
      status.message ?? `the server responded with the status code ${status.code ?? 0}`,
      options,
    );
    this.name = "StatusError";
    this.status = status;
    this.code = status.code ?? 0;
    this.reason = status.reason ?? "";
    this.details = status.details;
  }

  /** The error for an answer with status `code` whose body parsed as JSON to `body`. */
  static fromBody(code: number, body: unknown): StatusError {
    if (isStatusBody(body)) return new StatusError({ ...body, code: body.code ?? code });
    const { reason, message } = genericReason(code, "");
    return new StatusError({
      kind: "Status",
      apiVersion: "v1",
      status: "Failure",
      code,
      reason,
      message,
    });
  }

  /** The error for an answer with status `code` and body text `text` (any content type). */
  static fromText(code: number, text: string, options: StatusErrorTextOptions = {}): StatusError {
    let body: unknown;
    try {
      body = text === "" ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (isStatusBody(body)) return new StatusError({ ...body, code: body.code ?? code });
    const generic = genericReason(code, options.method ?? "");
    // As apimachinery: a 403 or 415 keeps what the server said, the others their fixed text.
    const detail = text.trim();
    const message = (code === 403 || code === 415) && detail !== "" ? detail : generic.message;
    const retryAfter = Number.parseInt(options.headers?.get("retry-after") ?? "", 10);
    return new StatusError({
      kind: "Status",
      apiVersion: "v1",
      status: "Failure",
      code,
      reason: generic.reason,
      message,
      ...(Number.isFinite(retryAfter) && retryAfter > 0
        ? { details: { retryAfterSeconds: retryAfter } }
        : {}),
    });
  }
}

/** A request that got no answer (connection refused, TLS failure, reset): names the request. */
export class RequestError extends Error {
  readonly method: string;
  readonly path: string;

  constructor(method: string, path: string, options: ErrorOptions = {}) {
    const cause = options.cause;
    const why = cause instanceof Error ? cause.message : String(cause ?? "no answer");
    super(`Cannot ${method} ${path}: ${why}`, options);
    this.name = "RequestError";
    this.method = method;
    this.path = path;
  }
}

function reasonOf(err: unknown): string | null {
  return err instanceof StatusError ? err.reason : null;
}

/** The object does not exist (404 NotFound). */
export function isNotFound(err: unknown): boolean {
  return reasonOf(err) === "NotFound" ||
    (err instanceof StatusError && err.reason === "" && err.code === 404);
}

/** A create found the name taken (409 AlreadyExists). */
export function isAlreadyExists(err: unknown): boolean {
  return reasonOf(err) === "AlreadyExists";
}

/** A write lost an optimistic-concurrency race (409 Conflict). */
export function isConflict(err: unknown): boolean {
  return reasonOf(err) === "Conflict" ||
    (err instanceof StatusError && err.reason === "" && err.code === 409);
}

/**
 * The resourceVersion asked for is older than the server keeps (410, reason `Expired` or
 * `Gone`): a reflector must list again.
 */
export function isGone(err: unknown): boolean {
  return err instanceof StatusError &&
    (err.code === 410 || err.reason === "Expired" || err.reason === "Gone");
}

/** The user may not do this (403 Forbidden). */
export function isForbidden(err: unknown): boolean {
  return reasonOf(err) === "Forbidden" ||
    (err instanceof StatusError && err.reason === "" && err.code === 403);
}

/** The server asks to slow down (429 TooManyRequests). */
export function isTooManyRequests(err: unknown): boolean {
  return reasonOf(err) === "TooManyRequests" ||
    (err instanceof StatusError && err.reason === "" && err.code === 429);
}

/** The object failed validation (422 Invalid). */
export function isInvalid(err: unknown): boolean {
  return reasonOf(err) === "Invalid" ||
    (err instanceof StatusError && err.reason === "" && err.code === 422);
}
