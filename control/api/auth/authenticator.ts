/**
 * Authentication: every request resolves to a user or to nobody (then 401, except on the
 * public paths). Authenticators are tried in order, as kube-apiserver's union authenticator
 * does; the first that recognizes the request's credential decides.
 *
 * @module
 */
import type { RequestUser } from "../handlers/context.ts";

/** What the transport knows of the request's connection. */
export interface ConnectionInfo {
  /** The client's TLS certificate (DER), when it sent one. */
  readonly peerCertificate?: Uint8Array;
  /** Further certificates the client sent (DER), leaf's issuer first. */
  readonly peerChain?: readonly Uint8Array[];
  /**
   * Why the client's certificate cannot be read, when it sent one the TLS layer took but
   * cannot parse (then there is no `peerCertificate`). Such a request presented a bad
   * credential: it is refused, never served as anonymous.
   */
  readonly peerCertificateError?: string;
  /** An object unique to the connection, for caching per-connection results. */
  readonly connectionKey?: object;
  readonly remoteAddress?: string;
  /**
   * The user of an in-process request (the server's own clients: bootstrap, controllers in
   * the same process). Only in-process callers can set it; the HTTPS listener never does.
   */
  readonly internalUser?: RequestUser;
}

/** A request after authentication. */
export type AuthenticatedRequest = Request & { skiffUser?: RequestUser };

/**
 * A credential was presented and is not valid (a bad signature, an expired or unknown token, a
 * certificate of another CA). The request fails with 401 even on the public paths, as
 * kube-apiserver answers; `message` is for the server's log, never the client.
 */
export class AuthenticationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "AuthenticationError";
  }
}

/** Resolves the user of a request. */
export interface Authenticator {
  /**
   * The user; null when the request carries no credential of this authenticator's kind.
   * Throws {@linkcode AuthenticationError} for a credential of its kind that is not valid.
   */
  authenticate(request: Request, connection: ConnectionInfo): Promise<RequestUser | null>;
}

/**
 * Checks one bearer token (`Authorization: Bearer <token>`, or a WebSocket's
 * `base64url.bearer.authorization.k8s.io.` subprotocol). Returns null when the token is not of
 * its kind (another authenticator's format); throws {@linkcode AuthenticationError} when it is
 * of its kind and not valid (unknown, expired, bad signature, revoked).
 */
export interface TokenAuthenticator {
  authenticateToken(token: string): Promise<RequestUser | null>;
}

/** The group every authenticated user has. */
export const AUTHENTICATED_GROUP = "system:authenticated";

/** Tries `authenticators` in order. */
export class UnionAuthenticator implements Authenticator {
  readonly #list: readonly Authenticator[];

  constructor(authenticators: readonly Authenticator[]) {
    this.#list = authenticators;
  }

  /**
   * The first user an authenticator finds. When none does and one rejected a credential,
   * throws that {@linkcode AuthenticationError} (the request is not anonymous: it tried).
   */
  async authenticate(request: Request, connection: ConnectionInfo): Promise<RequestUser | null> {
    let failure: AuthenticationError | null = null;
    for (const a of this.#list) {
      try {
        const user = await a.authenticate(request, connection);
        if (user) return user;
      } catch (err) {
        if (!(err instanceof AuthenticationError)) throw err;
        failure ??= err;
      }
    }
    if (failure) throw failure;
    return null;
  }
}

/** Trusts the user an in-process caller names (never set for network requests). */
export class InternalAuthenticator implements Authenticator {
  authenticate(_request: Request, connection: ConnectionInfo): Promise<RequestUser | null> {
    return Promise.resolve(connection.internalUser ?? null);
  }
}
