/**
 * `POST /apis/authentication.k8s.io/v1/tokenreviews`: tells an authorized caller (a webhook,
 * an aggregated server, Vault) who a bearer token belongs to, as kube-apiserver's
 * `pkg/registry/authentication/tokenreview` does. The token is run through the server's token
 * authenticators for `spec.audiences` (default: the API server's own); the answer (201) is the
 * review with `status.authenticated`, `status.user`, the audiences the token was accepted for,
 * and `status.error` when it was refused.
 *
 * Audience-aware authenticators (ServiceAccount JWTs) check the audiences themselves; other
 * token kinds (bootstrap and node tokens) are valid only for the API server's audiences, as
 * upstream's `WrapAudienceAgnosticToken` makes them.
 *
 * @module
 */
import type { Clock } from "../../util/clock.ts";
import { ApiError } from "../errors.ts";
import type { RequestUser, ResourceRequest } from "../handlers/context.ts";
import {
  decodeBody,
  dryRunOf,
  fieldValidationOf,
  type ProtobufDecoder,
} from "../handlers/decode_body.ts";
import type { ReviewHandler } from "../handlers/extensions.ts";
import { renderObject } from "../handlers/render.ts";
import type { ResourceDef } from "../registry/resource_def.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import type { TokenReviewSpec, TokenReviewStatus, UserInfo } from "../types/authentication_v1.ts";
import { AuthenticationError, type TokenAuthenticator } from "./authenticator.ts";

/** A user and the audiences their token was accepted for. */
export interface TokenAuthResult {
  readonly user: RequestUser;
  readonly audiences: readonly string[];
}

/** A token authenticator that checks a token's audiences against the requested ones. */
export interface AudienceAwareTokenAuthenticator extends TokenAuthenticator {
  /**
   * The user of `token` if it is meant for one of `audiences`; null when the token is not of
   * this authenticator's kind. Throws `AuthenticationError` when it is and is not valid.
   */
  authenticateTokenFor(
    token: string,
    audiences: readonly string[],
  ): Promise<TokenAuthResult | null>;
}

function isAudienceAware(a: TokenAuthenticator): a is AudienceAwareTokenAuthenticator {
  return typeof (a as Partial<AudienceAwareTokenAuthenticator>).authenticateTokenFor ===
    "function";
}

/** What {@linkcode reviewToken} found. */
export type TokenReviewResult =
  | { readonly authenticated: true; readonly user: RequestUser; readonly audiences: string[] }
  | { readonly authenticated: false; readonly error: string };

/** Options of {@linkcode reviewToken}. */
export interface ReviewTokenOptions {
  /** Tried in order; the first that accepts the token decides. */
  readonly authenticators: readonly TokenAuthenticator[];
  /** The audiences the token must be meant for. */
  readonly audiences: readonly string[];
  /** The API server's own audiences. */
  readonly apiAudiences: readonly string[];
}

/** kube-apiserver's error when no authenticator accepts a bearer token. */
const INVALID_BEARER_TOKEN = "invalid bearer token";

/**
 * Authenticates `token` for `options.audiences`, as upstream's union of token authenticators
 * does. Errors other than `AuthenticationError` propagate.
 */
export async function reviewToken(
  token: string,
  options: ReviewTokenOptions,
): Promise<TokenReviewResult> {
  const wanted = new Set(options.audiences);
  const implicit = options.apiAudiences.filter((a) => wanted.has(a));
  const errors: string[] = [];
  for (const a of options.authenticators) {
    try {
      if (isAudienceAware(a)) {
        const r = await a.authenticateTokenFor(token, options.audiences);
        if (r) return { authenticated: true, user: r.user, audiences: [...r.audiences] };
        continue;
      }
      // An audience-agnostic token is only good for the API server's own audiences.
      if (implicit.length === 0) continue;
      const user = await a.authenticateToken(token);
      if (user) return { authenticated: true, user, audiences: implicit };
    } catch (err) {
      if (!(err instanceof AuthenticationError)) throw err;
      errors.push(err.message);
    }
  }
  return {
    authenticated: false,
    error: errors.length === 0
      ? INVALID_BEARER_TOKEN
      : `[${[INVALID_BEARER_TOKEN, ...errors].join(", ")}]`,
  };
}

/** `UserInfo` of a user, as the review's status carries it. */
export function userInfoOf(user: RequestUser): UserInfo {
  const info: UserInfo = { username: user.username };
  if (user.uid) info.uid = user.uid;
  if (user.groups.length > 0) info.groups = [...user.groups];
  const extra = Object.entries(user.extra ?? {});
  if (extra.length > 0) info.extra = Object.fromEntries(extra.map(([k, v]) => [k, [...v]]));
  return info;
}

/** Options of {@linkcode TokenReviewHandler}. */
export interface TokenReviewHandlerOptions {
  /** The server's token authenticators, in the order requests try them. */
  readonly authenticators: readonly TokenAuthenticator[];
  /** The API server's audiences (the default of `spec.audiences`). */
  readonly apiAudiences: readonly string[];
  /** Decodes protobuf bodies; without it they are refused with 415. */
  readonly protobuf?: ProtobufDecoder;
  readonly clock: Clock;
}

/** Answers TokenReviews. */
export class TokenReviewHandler implements ReviewHandler {
  readonly #o: TokenReviewHandlerOptions;

  constructor(options: TokenReviewHandlerOptions) {
    this.#o = options;
  }

  handles(def: ResourceDef): boolean {
    return def.group === "authentication.k8s.io" && def.resource === "tokenreviews";
  }

  async create(req: ResourceRequest): Promise<Response> {
    const { def, query } = req;
    dryRunOf(query, "CreateOptions");
    const { object, warnings } = decodeBody(await req.body(), {
      contentType: req.headers.get("content-type"),
      schema: def.schema,
      group: def.group,
      version: def.version,
      kind: def.kind,
      fieldValidation: fieldValidationOf(query, "CreateOptions"),
      ...(this.#o.protobuf ? { protobuf: this.#o.protobuf } : {}),
    });
    const spec = (object.spec ?? {}) as TokenReviewSpec;
    if (!spec.token) {
      throw ApiError.badRequest("token is required for TokenReview in authentication");
    }
    const audiences = spec.audiences?.length ? spec.audiences : this.#o.apiAudiences;
    const result = await reviewToken(spec.token, {
      authenticators: this.#o.authenticators,
      audiences,
      apiAudiences: this.#o.apiAudiences,
    });
    let status: TokenReviewStatus;
    if (result.authenticated) {
      const wanted = new Set(audiences);
      if (audiences.length > 0 && !result.audiences.some((a) => wanted.has(a))) {
        throw ApiError.internal(new Error("error validating audiences"));
      }
      status = {
        authenticated: true,
        user: userInfoOf(result.user),
        ...(result.audiences.length > 0 ? { audiences: result.audiences } : {}),
      };
    } else {
      status = { user: {}, error: result.error };
    }
    // The review comes back as sent, status filled in; Go writes the unset time as null.
    const review = {
      ...object,
      metadata: { creationTimestamp: null, ...object.metadata },
      status,
    } as unknown as KubeObject;
    return renderObject(review, {
      def,
      output: req.output,
      query,
      nowMs: this.#o.clock.now(),
      status: 201,
      warnings,
    });
  }
}
