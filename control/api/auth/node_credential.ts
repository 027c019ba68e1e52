/**
 * A node's own credential after it joins (skiff's design, in the spirit of k3s's node
 * passwords):
 *
 * 1. `skiff token create` prints a join token `K10<sha256 of the CA PEM>::<id>.<secret>`.
 * 2. The agent fetches the cluster CA from the public `GET /cacerts` ({@linkcode CaCertsRoute})
 *    without trusting the connection, and accepts it only if its SHA-256 matches the hash in
 *    the join token; from then on it talks TLS verified by that CA, so the bootstrap token is
 *    never sent to a server that is not the cluster's.
 * 3. With the bootstrap token as bearer it calls `POST /v1-skiff/node-credentials` with
 *    `{"nodeName": "<name>"}` ({@linkcode NodeCredentialRoute}). Only members of
 *    `system:bootstrappers` may (403 otherwise); the name must be a DNS subdomain of at most
 *    237 characters (422). The server creates Secret `kube-system/node-credential-<name>` of type
 *    `skiff.io/node-credential` holding only the SHA-256 of the credential's secret and the node
 *    name, and answers 201 `{"token": "...", "caCert": "<PEM>"}`. When a credential for that
 *    node exists it answers 409 Conflict: a stolen join token cannot take over an existing node.
 *    An admin deletes the Secret to let the node join again.
 * 4. The agent keeps the token (mode 0600) and uses it as its bearer token from then on:
 *    {@linkcode NodeCredentialAuthenticator} maps it to `system:node:<name>`, groups
 *    `system:nodes` and `system:authenticated`. Deleting the Secret revokes it as soon as the
 *    Secrets view sees the delete.
 *
 * The credential is `skiff-node:<nodeName>:<secret>` with 32 random bytes of secret in
 * base64url (43 characters). It cannot be mistaken for a bootstrap token (`[a-z0-9]{6}.[a-z0-9]{16}`)
 * or a JWT (three base64url segments, no `:`), and names its Secret, so the authenticator finds it
 * with one lookup in the view. Only a hash is stored: a leaked datastore snapshot does not reveal
 * node credentials.
 *
 * @example Parse a credential
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseNodeCredentialToken } from "./node_credential.ts";
 *
 * const parsed = parseNodeCredentialToken(`skiff-node:edge-1:${"a".repeat(43)}`);
 * assert.equal(parsed?.nodeName, "edge-1");
 * ```
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { Logger } from "../../util/logger.ts";
import { readBody } from "../app.ts";
import { ApiError } from "../errors.ts";
import type { RequestUser } from "../handlers/context.ts";
import type { ExtraRoute } from "../handlers/extensions.ts";
import type { InProcessClient } from "../in_process_client.ts";
import type { ObjectView } from "../store/object_view.ts";
import type { Secret } from "../types/core_v1_config.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import {
  type FieldError,
  invalid,
  invalidEach,
  required,
  tooLong,
} from "../validation/field_errors.ts";
import { isDns1123Subdomain } from "../validation/names.ts";
import { constantTimeEqual, encodeSecretData, secretDataString } from "./_token_secret_data.ts";
import {
  AUTHENTICATED_GROUP,
  type AuthenticatedRequest,
  AuthenticationError,
  type TokenAuthenticator,
} from "./authenticator.ts";
import { BOOTSTRAP_DEFAULT_GROUP, CA_CERTS_PATH, NODE_CREDENTIAL_PATH } from "./bootstrap_token.ts";
import { NODE_USER_PREFIX, NODES_GROUP } from "./node_authorizer.ts";
import {
  NODE_NETWORK_TOKEN_PREFIX,
  NODE_TOKEN_PREFIX,
  nodeNetworkUser,
} from "./node_network_identity.ts";

// The join paths live with the join token, so that a joining agent (control/agent_join.ts)
// does not load this module and, through it, the API server's request handling.
export { CA_CERTS_PATH, NODE_CREDENTIAL_PATH };
/** The namespace credential Secrets live in. */
export const NODE_CREDENTIAL_NAMESPACE = "kube-system";
/** Credential Secrets are named `node-credential-<nodeName>`. */
export const NODE_CREDENTIAL_SECRET_PREFIX = "node-credential-";
/** The Secret type of node credentials. */
export const NODE_CREDENTIAL_SECRET_TYPE = "skiff.io/node-credential";
/** The data keys of a credential Secret. */
export const NODE_CREDENTIAL_KEYS = { nodeName: "node-name", tokenHash: "token-sha256" } as const;
/** The annotation naming the bootstrap user that requested the credential. */
export const NODE_CREDENTIAL_REQUESTER_ANNOTATION = "skiff.io/requested-by";
/** The longest node name whose Secret name still fits 253 characters. */
export const MAX_NODE_CREDENTIAL_NAME_LENGTH = 253 - NODE_CREDENTIAL_SECRET_PREFIX.length;

const SECRET_RE = /^[A-Za-z0-9_-]{43}$/;
const MAX_BODY_BYTES = 16 * 1024;

/** `node-credential-<nodeName>`. */
export function nodeCredentialSecretName(nodeName: string): string {
  return `${NODE_CREDENTIAL_SECRET_PREFIX}${nodeName}`;
}

/** Why `nodeName` cannot have a credential (empty when it can). */
function nodeNameProblems(nodeName: string): string[] {
  return isDns1123Subdomain(nodeName);
}

/** A node credential's parts. */
export interface NodeCredentialToken {
  readonly nodeName: string;
  readonly secret: string;
  /**
   * `node` for `skiff-node:…` (the node itself), `network` for its network form
   * `skiff-node-network:…` (see `node_network_identity.ts`).
   */
  readonly identity: "node" | "network";
}

/** The identity a token's prefix names, or null when it is not a node credential. */
function credentialIdentity(token: string): { identity: "node" | "network"; rest: string } | null {
  if (token.startsWith(NODE_TOKEN_PREFIX)) {
    return { identity: "node", rest: token.slice(NODE_TOKEN_PREFIX.length) };
  }
  if (token.startsWith(NODE_NETWORK_TOKEN_PREFIX)) {
    return { identity: "network", rest: token.slice(NODE_NETWORK_TOKEN_PREFIX.length) };
  }
  return null;
}

/**
 * The parts of `skiff-node:<nodeName>:<secret>` or `skiff-node-network:<nodeName>:<secret>`;
 * null when `token` does not have that form (also when it starts with a prefix but is
 * malformed).
 */
export function parseNodeCredentialToken(token: string): NodeCredentialToken | null {
  const prefixed = credentialIdentity(token);
  if (!prefixed) return null;
  const { identity, rest } = prefixed;
  const sep = rest.indexOf(":");
  if (sep <= 0) return null;
  const nodeName = rest.slice(0, sep);
  const secret = rest.slice(sep + 1);
  if (!SECRET_RE.test(secret)) return null;
  if (nodeName.length > MAX_NODE_CREDENTIAL_NAME_LENGTH || nodeNameProblems(nodeName).length) {
    return null;
  }
  return { nodeName, secret, identity };
}

function base64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** A new credential for `nodeName` and the Secret that lets it authenticate. */
export function newNodeCredential(
  nodeName: string,
  options: { readonly requestedBy?: string } = {},
): { readonly token: string; readonly secret: Secret } {
  const random = new Uint8Array(32);
  crypto.getRandomValues(random);
  const secretPart = base64Url(random);
  return {
    token: `${NODE_TOKEN_PREFIX}${nodeName}:${secretPart}`,
    secret: {
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        name: nodeCredentialSecretName(nodeName),
        namespace: NODE_CREDENTIAL_NAMESPACE,
        ...(options.requestedBy
          ? { annotations: { [NODE_CREDENTIAL_REQUESTER_ANNOTATION]: options.requestedBy } }
          : {}),
      },
      type: NODE_CREDENTIAL_SECRET_TYPE,
      immutable: true,
      data: encodeSecretData({
        [NODE_CREDENTIAL_KEYS.nodeName]: nodeName,
        [NODE_CREDENTIAL_KEYS.tokenHash]: sha256Hex(secretPart),
      }),
    },
  };
}

// --- authentication -----------------------------------------------------------------------------

/** Options of {@linkcode NodeCredentialAuthenticator}. */
export interface NodeCredentialAuthenticatorOptions {
  /** The shared view of `/registry/secrets/` (started before requests are served). */
  readonly secrets: ObjectView;
}

interface ParsedCredential {
  readonly refusal: string | null;
  readonly nodeName: string;
  readonly hash: string;
}

function parseCredentialSecret(obj: KubeObject): ParsedCredential {
  if (obj.metadata?.deletionTimestamp) {
    return { refusal: "is deleted and awaiting removal", nodeName: "", hash: "" };
  }
  if (obj.type !== NODE_CREDENTIAL_SECRET_TYPE) {
    return {
      refusal: `has invalid type, expected ${NODE_CREDENTIAL_SECRET_TYPE}`,
      nodeName: "",
      hash: "",
    };
  }
  return {
    refusal: null,
    nodeName: secretDataString(obj, NODE_CREDENTIAL_KEYS.nodeName),
    hash: secretDataString(obj, NODE_CREDENTIAL_KEYS.tokenHash),
  };
}

/** Authenticates node credentials against their Secrets in `kube-system`. */
export class NodeCredentialAuthenticator implements TokenAuthenticator {
  readonly #o: NodeCredentialAuthenticatorOptions;
  readonly #parsed = new WeakMap<KubeObject, ParsedCredential>();

  constructor(options: NodeCredentialAuthenticatorOptions) {
    this.#o = options;
  }

  authenticateToken(token: string): Promise<RequestUser | null> {
    try {
      return Promise.resolve(this.#authenticate(token));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  #authenticate(token: string): RequestUser | null {
    if (!credentialIdentity(token)) return null;
    const parts = parseNodeCredentialToken(token);
    if (!parts) throw new AuthenticationError("Node credential refused: it is malformed");
    const name = nodeCredentialSecretName(parts.nodeName);
    const refuse = (why: string) =>
      new AuthenticationError(
        `Node credential refused: Secret "${NODE_CREDENTIAL_NAMESPACE}/${name}" ${why}`,
      );
    const obj = this.#o.secrets.getByName(NODE_CREDENTIAL_NAMESPACE, name);
    if (!obj) throw refuse("does not exist");
    let p = this.#parsed.get(obj);
    if (!p) this.#parsed.set(obj, p = parseCredentialSecret(obj));
    if (p.refusal !== null) throw refuse(p.refusal);
    if (!constantTimeEqual(p.hash, sha256Hex(parts.secret))) {
      throw refuse(`has another value for key ${NODE_CREDENTIAL_KEYS.tokenHash}`);
    }
    if (p.nodeName !== parts.nodeName) {
      throw refuse(`has another value for key ${NODE_CREDENTIAL_KEYS.nodeName}`);
    }
    if (parts.identity === "network") return nodeNetworkUser(parts.nodeName);
    return {
      username: `${NODE_USER_PREFIX}${parts.nodeName}`,
      groups: [NODES_GROUP, AUTHENTICATED_GROUP],
    };
  }
}

// --- issuing ------------------------------------------------------------------------------------

/** The part of {@linkcode InProcessClient} the route uses. */
export type NodeCredentialClient = Pick<InProcessClient, "json">;

/** Options of {@linkcode NodeCredentialRoute}. */
export interface NodeCredentialRouteOptions {
  /** The cluster CA (PEM), read per request so a renewed CA is served. */
  readonly caCertPem: () => string;
  readonly logger: Logger;
  /**
   * The view of `/registry/nodes/`. When given, a name that has a Node object is refused too
   * (409), so a join token cannot claim a node that registered some other way (a client
   * certificate); to let such a node join, an admin deletes its Node.
   */
  readonly nodes?: ObjectView;
}

const GROUP_KIND = { group: "skiff.io", kind: "NodeCredential" } as const;
const GROUP_RESOURCE = { group: "skiff.io", resource: "nodecredentials" } as const;

function validateRequest(body: unknown): { nodeName: string } {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw ApiError.badRequest(
      `NodeCredential request cannot be handled: expected a JSON object like {"nodeName": "<name>"}`,
    );
  }
  const nodeName = (body as Record<string, unknown>).nodeName;
  const errors: FieldError[] = [];
  if (nodeName === undefined || nodeName === null || nodeName === "") {
    errors.push(required("nodeName"));
  } else if (typeof nodeName !== "string") {
    errors.push(invalid("nodeName", { value: nodeName, detail: "must be a string" }));
  } else {
    errors.push(
      ...invalidEach("nodeName", { value: nodeName, messages: nodeNameProblems(nodeName) }),
    );
    if (nodeName.length > MAX_NODE_CREDENTIAL_NAME_LENGTH) {
      errors.push(tooLong("nodeName", MAX_NODE_CREDENTIAL_NAME_LENGTH));
    }
  }
  if (errors.length > 0) {
    throw ApiError.invalid(GROUP_KIND, {
      name: typeof nodeName === "string" ? nodeName : "",
      errors,
    });
  }
  return { nodeName: nodeName as string };
}

function conflict(nodeName: string, detail: string): ApiError {
  return ApiError.conflict(GROUP_RESOURCE, { name: nodeName, detail });
}

/**
 * `POST /v1-skiff/node-credentials`: issues a node's own credential to a caller holding a
 * bootstrap token. The Secret is created through the API as the server itself; it exists only
 * after {@linkcode NodeCredentialRoute.start} hands it the client (503 before).
 */
export class NodeCredentialRoute implements ExtraRoute {
  readonly method = "POST";
  readonly path = NODE_CREDENTIAL_PATH;
  readonly #o: NodeCredentialRouteOptions;
  #client: NodeCredentialClient | null = null;

  constructor(options: NodeCredentialRouteOptions) {
    this.#o = options;
  }

  /** Serves requests with `client` (the server's own, in `system:masters`) until `signal` aborts. */
  start(client: NodeCredentialClient, signal: AbortSignal): void {
    this.#client = client;
    signal.addEventListener("abort", () => this.#client = null, { once: true });
  }

  async handle(request: Request): Promise<Response> {
    try {
      return await this.#handle(request);
    } catch (err) {
      if (err instanceof ApiError) return err.toResponse();
      throw err;
    }
  }

  async #handle(request: Request): Promise<Response> {
    const user = (request as AuthenticatedRequest).skiffUser;
    if (!user || !user.groups.includes(BOOTSTRAP_DEFAULT_GROUP)) {
      const who = JSON.stringify(user?.username ?? "system:anonymous");
      throw new ApiError(
        `forbidden: User ${who} cannot post path ${
          JSON.stringify(NODE_CREDENTIAL_PATH)
        }: only bootstrap tokens (group "${BOOTSTRAP_DEFAULT_GROUP}") may request a node credential`,
        { code: 403, reason: "Forbidden", details: {} },
      );
    }
    const client = this.#client;
    if (!client) throw ApiError.unavailable("the node credential service is not ready");
    const contentType = (request.headers.get("content-type") ?? "").split(";")[0]!.trim();
    if (contentType !== "" && contentType.toLowerCase() !== "application/json") {
      throw ApiError.unsupportedMediaType(contentType, ["application/json"]);
    }
    const bytes = await readBody(request, MAX_BODY_BYTES);
    let body: unknown;
    try {
      body = JSON.parse(new TextDecoder().decode(bytes));
    } catch (err) {
      throw ApiError.badRequest(
        `NodeCredential request cannot be handled: ${err instanceof Error ? err.message : err}`,
      );
    }
    const { nodeName } = validateRequest(body);
    const secretRef = `${NODE_CREDENTIAL_NAMESPACE}/${nodeCredentialSecretName(nodeName)}`;
    if (this.#o.nodes?.getByName("", nodeName)) {
      throw conflict(
        nodeName,
        `node "${nodeName}" is already registered; delete the Node to let it join again`,
      );
    }
    const issued = newNodeCredential(nodeName, { requestedBy: user.username });
    const res = await client.json(
      "POST",
      `/api/v1/namespaces/${NODE_CREDENTIAL_NAMESPACE}/secrets`,
      { body: issued.secret },
    );
    if (res.status === 409) {
      this.#o.logger.info("Refused a node credential: the node has one", {
        node: nodeName,
        user: user.username,
      });
      throw conflict(
        nodeName,
        `a credential for node "${nodeName}" already exists; delete Secret "${secretRef}" to let the node join again`,
      );
    }
    if (res.status !== 201) {
      const message = typeof res.body.message === "string" ? res.body.message : "";
      throw ApiError.internal(
        new Error(`Cannot create Secret "${secretRef}": ${res.status} ${message}`.trim()),
      );
    }
    this.#o.logger.info("Issued a node credential", { node: nodeName, user: user.username });
    return new Response(JSON.stringify({ token: issued.token, caCert: this.#o.caCertPem() }), {
      status: 201,
      headers: { "content-type": "application/json", "cache-control": "no-store" },
    });
  }
}

/**
 * `GET /cacerts`: the cluster CA (PEM) for joining agents, which check it against the hash in
 * their join token before they trust it. It must be a public path (anonymous), like k3s's.
 */
export class CaCertsRoute implements ExtraRoute {
  readonly method = "GET";
  readonly path = CA_CERTS_PATH;
  readonly public = true;
  readonly #caCertPem: () => string;

  constructor(caCertPem: () => string) {
    this.#caCertPem = caCertPem;
  }

  handle(_request: Request): Response {
    return new Response(this.#caCertPem(), {
      headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-cache" },
    });
  }
}
