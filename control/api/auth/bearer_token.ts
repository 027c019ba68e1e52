/**
 * Bearer token authentication, as kube-apiserver's bearertoken and WebSocket protocol
 * authenticators read the token:
 *
 * - `Authorization: Bearer <token>`: the scheme is case-insensitive, the header is trimmed and
 *   split on single spaces; the token is the second part, and an empty one (`Bearer`,
 *   `Bearer  x`) is no token at all. Other schemes (`Basic …`) are not this authenticator's.
 * - A WebSocket upgrade (`Connection: upgrade`, `Upgrade: websocket`) may instead carry the token
 *   as the subprotocol `base64url.bearer.authorization.k8s.io.<base64url without padding>` of
 *   `Sec-WebSocket-Protocol` (browsers cannot set headers). Upstream's rules hold: at most one
 *   such protocol, valid base64url, valid UTF-8, and at least one other subprotocol offered.
 *
 * The token goes to each {@linkcode TokenAuthenticator} in turn; the first user wins. A token
 * that none accepts is refused with {@linkcode AuthenticationError} (401). Nothing is cached:
 * the token authenticators answer from in-memory views (a map lookup and a hash), so a revoked
 * credential stops working as soon as its view sees the change.
 *
 * @example Authenticate a request with a static token
 * ```ts
 * import assert from "node:assert/strict";
 * import { BearerTokenAuthenticator } from "./bearer_token.ts";
 *
 * const auth = new BearerTokenAuthenticator([{
 *   authenticateToken: (t) => Promise.resolve(t === "s3cret" ? { username: "u", groups: [] } : null),
 * }]);
 * const req = new Request("https://x/api", { headers: { authorization: "Bearer s3cret" } });
 * assert.equal((await auth.authenticate(req, {}))?.username, "u");
 * ```
 *
 * @module
 */
import type { RequestUser } from "../handlers/context.ts";
import {
  AuthenticationError,
  type Authenticator,
  type ConnectionInfo,
  type TokenAuthenticator,
} from "./authenticator.ts";

/** The WebSocket subprotocol prefix that carries a bearer token. */
export const WEBSOCKET_BEARER_PROTOCOL_PREFIX = "base64url.bearer.authorization.k8s.io.";
/** Longer tokens are refused before any token authenticator sees them. */
export const MAX_BEARER_TOKEN_LENGTH = 64 * 1024;

const BASE64URL_RE = /^[A-Za-z0-9_-]*$/;
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The token of an `Authorization: Bearer <token>` header; null when there is none. */
export function authorizationBearerToken(headers: Headers): string | null {
  const auth = (headers.get("authorization") ?? "").trim();
  if (auth === "") return null;
  const parts = auth.split(" ");
  if (parts.length < 2 || parts[0]!.toLowerCase() !== "bearer") return null;
  const token = parts[1]!;
  return token === "" ? null : token;
}

/** Whether `headers` ask for a WebSocket upgrade (upstream `wsstream.IsWebSocketRequest`). */
export function isWebSocketRequest(headers: Headers): boolean {
  const connection = (headers.get("connection") ?? "").toLowerCase();
  return connection.includes("upgrade") &&
    (headers.get("upgrade") ?? "").toLowerCase() === "websocket";
}

function decodeBase64Url(text: string): Uint8Array | null {
  if (!BASE64URL_RE.test(text) || text.length % 4 === 1) return null;
  const std = text.replace(/-/g, "+").replace(/_/g, "/");
  let binary: string;
  try {
    binary = atob(std + "=".repeat((4 - (std.length % 4)) % 4));
  } catch {
    return null;
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * The token a WebSocket upgrade carries in `Sec-WebSocket-Protocol`; null when it carries none
 * (or is no WebSocket request). Throws {@linkcode AuthenticationError} for a malformed one.
 */
export function webSocketBearerToken(headers: Headers): string | null {
  if (!isWebSocketRequest(headers)) return null;
  const header = headers.get("sec-websocket-protocol");
  if (header === null) return null;
  let token = "";
  let sawToken = false;
  let others = 0;
  for (const raw of header.split(",")) {
    const protocol = raw.trim();
    if (!protocol.startsWith(WEBSOCKET_BEARER_PROTOCOL_PREFIX)) {
      others++;
      continue;
    }
    if (sawToken) {
      throw new AuthenticationError("multiple base64.bearer.authorization tokens specified");
    }
    sawToken = true;
    const bytes = decodeBase64Url(protocol.slice(WEBSOCKET_BEARER_PROTOCOL_PREFIX.length));
    if (bytes === null) {
      throw new AuthenticationError("invalid base64.bearer.authorization token encoding");
    }
    try {
      token = utf8.decode(bytes);
    } catch {
      throw new AuthenticationError("invalid base64.bearer.authorization token");
    }
  }
  if (token !== "" && others === 0) throw new AuthenticationError("missing additional subprotocol");
  return token === "" ? null : token;
}

/** Authenticates requests by their bearer token with a list of token authenticators. */
export class BearerTokenAuthenticator implements Authenticator {
  readonly #tokens: readonly TokenAuthenticator[];

  constructor(tokens: readonly TokenAuthenticator[]) {
    this.#tokens = tokens;
  }

  /** The user of the request's bearer token; null when it has none. */
  async authenticate(request: Request, _connection: ConnectionInfo): Promise<RequestUser | null> {
    const candidates: string[] = [];
    const header = authorizationBearerToken(request.headers);
    if (header !== null) candidates.push(header);
    let wsFailure: AuthenticationError | null = null;
    try {
      const ws = webSocketBearerToken(request.headers);
      if (ws !== null) candidates.push(ws);
    } catch (err) {
      if (!(err instanceof AuthenticationError)) throw err;
      wsFailure = err;
    }
    if (candidates.length === 0) {
      if (wsFailure) throw wsFailure;
      return null;
    }
    let failure: AuthenticationError | null = null;
    for (const token of candidates) {
      try {
        const user = await this.authenticateToken(token);
        if (user) return user;
      } catch (err) {
        if (!(err instanceof AuthenticationError)) throw err;
        failure ??= err;
      }
    }
    throw failure ?? wsFailure ?? new AuthenticationError("invalid bearer token");
  }

  /**
   * The user of `token`: the first token authenticator's that knows it. Throws
   * {@linkcode AuthenticationError} when none accepts it.
   */
  async authenticateToken(token: string): Promise<RequestUser> {
    if (token.length > MAX_BEARER_TOKEN_LENGTH) {
      throw new AuthenticationError(
        `Bearer token refused: longer than ${MAX_BEARER_TOKEN_LENGTH} characters`,
      );
    }
    let failure: AuthenticationError | null = null;
    for (const t of this.#tokens) {
      try {
        const user = await t.authenticateToken(token);
        if (user) return user;
      } catch (err) {
        if (!(err instanceof AuthenticationError)) throw err;
        failure ??= err;
      }
    }
    throw failure ?? new AuthenticationError("invalid bearer token");
  }
}
