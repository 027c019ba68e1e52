/**
 * API errors: every failure the API server answers is an {@linkcode ApiError}, rendered as a
 * Kubernetes `Status` with the code, reason, message and details the real API server uses
 * (apimachinery `pkg/api/errors`), because kubectl prints them verbatim
 * (`Error from server (NotFound): deployments.apps "web" not found`).
 *
 * {@linkcode mapStorageError} is the only place storage errors become HTTP.
 *
 * @example Build a NotFound error
 * ```ts
 * import assert from "node:assert/strict";
 * import { ApiError } from "./errors.ts";
 *
 * const err = ApiError.notFound({ group: "apps", resource: "deployments" }, "web");
 * assert.equal(err.code, 404);
 * assert.equal(err.message, 'deployments.apps "web" not found');
 * ```
 *
 * @module
 */
import {
  CompactedError,
  ConflictError,
  FutureRevisionError,
  InvalidInputError,
  KeyExistsError,
  KeyNotFoundError,
  StorageError,
  StorageUnavailableError,
} from "../storage/errors.ts";
import type { StatusDetails } from "./types/meta_v1.ts";
import type { FieldError } from "./validation/field_errors.ts";
import { invalidMessage } from "./validation/field_errors.ts";

/** Kubernetes' `metav1.StatusReason` values skiff answers with. */
export type StatusReason =
  | ""
  | "BadRequest"
  | "Unauthorized"
  | "Forbidden"
  | "NotFound"
  | "AlreadyExists"
  | "Conflict"
  | "Gone"
  | "Expired"
  | "Invalid"
  | "MethodNotAllowed"
  | "NotAcceptable"
  | "RequestEntityTooLarge"
  | "UnsupportedMediaType"
  | "TooManyRequests"
  | "InternalError"
  | "Timeout"
  | "ServerTimeout"
  | "ServiceUnavailable";

/** The `Status` object an error renders as. */
export interface StatusObject {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, never>;
  status: "Failure" | "Success";
  message?: string;
  reason?: StatusReason;
  details?: StatusDetails;
  code: number;
}

/** A group and resource, as errors name them (`deployments.apps`). */
export interface GroupResource {
  readonly group: string;
  readonly resource: string;
}

/** A group and kind, as validation errors name them (`Deployment.apps`). */
export interface GroupKind {
  readonly group: string;
  readonly kind: string;
}

/** Options of the {@linkcode ApiError} constructor. */
export interface ApiErrorOptions {
  readonly code: number;
  readonly reason: StatusReason;
  readonly details?: StatusDetails;
  /** Extra response headers (`Retry-After`). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly cause?: unknown;
}

/** `deployments.apps`, or `pods` for the core group. */
export function qualifiedResource(gr: GroupResource): string {
  return gr.group ? `${gr.resource}.${gr.group}` : gr.resource;
}

/** `Deployment.apps`, or `Pod` for the core group. */
export function qualifiedKind(gk: GroupKind): string {
  return gk.group ? `${gk.kind}.${gk.group}` : gk.kind;
}

/** An error the API answers with; renders as a Kubernetes `Status`. */
export class ApiError extends Error {
  readonly code: number;
  readonly reason: StatusReason;
  readonly details: StatusDetails | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(message: string, options: ApiErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ApiError";
    this.code = options.code;
    this.reason = options.reason;
    this.details = options.details;
    this.headers = options.headers ?? {};
  }

  /** The `Status` body. */
  toStatus(): StatusObject {
    const status: StatusObject = {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: this.message,
      code: this.code,
    };
    // StatusReasonUnknown ("") is omitted, as the field's omitempty does upstream.
    if (this.reason !== "") status.reason = this.reason;
    if (this.details) status.details = omitEmptyDetails(this.details);
    return status;
  }

  /** The HTTP response carrying {@linkcode ApiError.toStatus}. */
  toResponse(): Response {
    return new Response(JSON.stringify(this.toStatus()), {
      status: this.code,
      headers: {
        "content-type": "application/json",
        "cache-control": "no-cache, private",
        ...this.headers,
      },
    });
  }

  // --- constructors, as apimachinery's errors.New* ---------------------------------------------

  /** 404: `deployments.apps "web" not found`. */
  static notFound(gr: GroupResource, name: string): ApiError {
    return new ApiError(`${qualifiedResource(gr)} "${name}" not found`, {
      code: 404,
      reason: "NotFound",
      details: { name, group: gr.group, kind: gr.resource },
    });
  }

  /** 404 for a path nothing serves. */
  static pathNotFound(): ApiError {
    return new ApiError("the server could not find the requested resource", {
      code: 404,
      reason: "NotFound",
      details: {},
    });
  }

  /** 409: `deployments.apps "web" already exists`. */
  static alreadyExists(gr: GroupResource, name: string): ApiError {
    return new ApiError(`${qualifiedResource(gr)} "${name}" already exists`, {
      code: 409,
      reason: "AlreadyExists",
      details: { name, group: gr.group, kind: gr.resource },
    });
  }

  /** 409: `Operation cannot be fulfilled on deployments.apps "web": <detail>`. */
  static conflict(gr: GroupResource, options: { name: string; detail: string }): ApiError {
    return new ApiError(
      `Operation cannot be fulfilled on ${
        qualifiedResource(gr)
      } "${options.name}": ${options.detail}`,
      {
        code: 409,
        reason: "Conflict",
        details: { name: options.name, group: gr.group, kind: gr.resource },
      },
    );
  }

  /** 409 for a stale resourceVersion, with upstream's wording. */
  static modified(gr: GroupResource, name: string): ApiError {
    return ApiError.conflict(gr, {
      name,
      detail:
        "the object has been modified; please apply your changes to the latest version and try again",
    });
  }

  /** 422: `Deployment.apps "web" is invalid: …` with one cause per field error. */
  static invalid(
    gk: GroupKind,
    options: { name: string; errors: readonly FieldError[] },
  ): ApiError {
    return new ApiError(
      invalidMessage(qualifiedKind(gk), { name: options.name, errors: options.errors }),
      {
        code: 422,
        reason: "Invalid",
        details: {
          name: options.name,
          group: gk.group,
          kind: gk.kind,
          causes: options.errors.map((e) => ({
            reason: e.reason,
            message: e.body(),
            field: e.field,
          })),
        },
      },
    );
  }

  /** 400. */
  static badRequest(message: string): ApiError {
    return new ApiError(message, { code: 400, reason: "BadRequest" });
  }

  /** 401. */
  static unauthorized(message = "Unauthorized"): ApiError {
    return new ApiError(message, { code: 401, reason: "Unauthorized" });
  }

  /** 403 about an object: `<resource> "name" is forbidden: <detail>`. */
  static forbidden(gr: GroupResource, options: { name: string; detail: string }): ApiError {
    const subject = options.name
      ? `${qualifiedResource(gr)} "${options.name}"`
      : qualifiedResource(gr);
    return new ApiError(`${subject} is forbidden: ${options.detail}`, {
      code: 403,
      reason: "Forbidden",
      details: { name: options.name, group: gr.group, kind: gr.resource },
    });
  }

  /** 405: `<verb> is not supported on resources of kind "<kind>"`. */
  static methodNotSupported(gr: GroupResource, verb: string): ApiError {
    return new ApiError(
      `${verb} is not supported on resources of kind "${qualifiedResource(gr)}"`,
      {
        code: 405,
        reason: "MethodNotAllowed",
        details: { group: gr.group, kind: gr.resource },
      },
    );
  }

  /** 406. */
  static notAcceptable(accepted: readonly string[]): ApiError {
    return new ApiError(
      `only the following media types are accepted: ${accepted.join(", ")}`,
      { code: 406, reason: "NotAcceptable" },
    );
  }

  /** 415. */
  static unsupportedMediaType(contentType: string, supported: readonly string[]): ApiError {
    return new ApiError(
      `the body of the request was in an unknown format - accepted media types include: ${
        supported.join(", ")
      }`,
      {
        code: 415,
        reason: "UnsupportedMediaType",
        details: { causes: [{ reason: "", message: contentType }] },
      },
    );
  }

  /** 413. */
  static tooLarge(maxBytes: number): ApiError {
    return new ApiError(`Request entity too large: limit is ${maxBytes}`, {
      code: 413,
      reason: "RequestEntityTooLarge",
    });
  }

  /** 410 `Expired`: a resourceVersion or continue token older than the kept history. */
  static expired(message: string): ApiError {
    return new ApiError(message, { code: 410, reason: "Expired" });
  }

  /** 410 `Gone`. */
  static gone(message: string): ApiError {
    return new ApiError(message, { code: 410, reason: "Gone" });
  }

  /** 429 with `Retry-After`. */
  static tooManyRequests(message: string, retryAfterSeconds: number): ApiError {
    return new ApiError(message, {
      code: 429,
      reason: "TooManyRequests",
      details: { retryAfterSeconds },
      headers: { "retry-after": String(retryAfterSeconds) },
    });
  }

  /** 500: `Internal error occurred: …`. */
  static internal(err: unknown): ApiError {
    const detail = err instanceof Error ? err.message : String(err);
    return new ApiError(`Internal error occurred: ${detail}`, {
      code: 500,
      reason: "InternalError",
      details: { causes: [{ message: detail }] },
      cause: err,
    });
  }

  /** 504 `Timeout`: e.g. `Too large resource version: 1001, current: 1000`. */
  static timeout(message: string, retryAfterSeconds = 1): ApiError {
    return new ApiError(message, {
      code: 504,
      reason: "Timeout",
      details: {
        causes: [{ reason: "ResourceVersionTooLarge", message }],
        retryAfterSeconds,
      },
      headers: { "retry-after": String(retryAfterSeconds) },
    });
  }

  /** 503. */
  static unavailable(message: string): ApiError {
    return new ApiError(message, { code: 503, reason: "ServiceUnavailable" });
  }
}

/** What {@linkcode mapStorageError} needs to name the object. */
export interface StorageErrorContext extends GroupResource {
  readonly name: string;
}

/**
 * Turns a storage error into the {@linkcode ApiError} Kubernetes answers for it; anything else
 * becomes a 500. The only storage → HTTP mapping in skiff.
 */
export function mapStorageError(err: unknown, ctx: StorageErrorContext): ApiError {
  if (err instanceof ApiError) return err;
  if (!(err instanceof StorageError)) return ApiError.internal(err);
  if (err instanceof KeyNotFoundError) return ApiError.notFound(ctx, ctx.name);
  if (err instanceof KeyExistsError) return ApiError.alreadyExists(ctx, ctx.name);
  if (err instanceof ConflictError) return ApiError.modified(ctx, ctx.name);
  if (err instanceof CompactedError) {
    return ApiError.expired(
      `too old resource version: ${err.revision} (${err.compactedRevision})`,
    );
  }
  if (err instanceof FutureRevisionError) {
    return ApiError.timeout(
      `Too large resource version: ${err.revision}, current: ${err.currentRevision}`,
    );
  }
  if (err instanceof InvalidInputError) return ApiError.badRequest(err.message);
  if (err instanceof StorageUnavailableError) return ApiError.unavailable(err.message);
  return ApiError.internal(err);
}

/**
 * `details` as kube-apiserver serializes it: every field of `StatusDetails` and of its causes is
 * `omitempty`, so empty names, groups and reasons are left out rather than sent as `""`.
 */
export function omitEmptyDetails(details: StatusDetails): StatusDetails {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(details)) {
    if (v === "" || v === undefined || (k === "retryAfterSeconds" && v === 0)) continue;
    if (k === "causes" && Array.isArray(v)) {
      out[k] = v.map((c: Record<string, unknown>) =>
        Object.fromEntries(Object.entries(c).filter(([, x]) => x !== "" && x !== undefined))
      );
      continue;
    }
    out[k] = v;
  }
  return out as StatusDetails;
}
