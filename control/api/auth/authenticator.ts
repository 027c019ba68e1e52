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

/** Resolves the user of a request. */
export interface Authenticator {
  /** The user, or null when the request carries no credential this authenticator accepts. */
  authenticate(request: Request, connection: ConnectionInfo): Promise<RequestUser | null>;
}

/** The group every authenticated user has. */
export const AUTHENTICATED_GROUP = "system:authenticated";

/** Tries `authenticators` in order. */
export class UnionAuthenticator implements Authenticator {
  readonly #list: readonly Authenticator[];

  constructor(authenticators: readonly Authenticator[]) {
    this.#list = authenticators;
  }

  async authenticate(request: Request, connection: ConnectionInfo): Promise<RequestUser | null> {
    for (const a of this.#list) {
      const user = await a.authenticate(request, connection);
      if (user) return user;
    }
    return null;
  }
}

/** Trusts the user an in-process caller names (never set for network requests). */
export class InternalAuthenticator implements Authenticator {
  authenticate(_request: Request, connection: ConnectionInfo): Promise<RequestUser | null> {
    return Promise.resolve(connection.internalUser ?? null);
  }
}
