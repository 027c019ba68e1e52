/**
 * Authentication and authorization of the kubelet API, as the kubelet does them with
 * `--anonymous-auth=false`, `--authentication-token-webhook` and `--authorization-mode=Webhook`:
 *
 * - a TLS client certificate that chains to the cluster CA names the user (CN) and groups
 *   (O entries); the chain check itself is injected ({@linkcode ClientCertificateVerifier});
 * - else a bearer token is sent to the API server in a TokenReview (answers cached 2 minutes,
 *   the kubelet's `authentication.webhook.cacheTTL`);
 * - else the request is anonymous and refused (401 `Unauthorized`);
 * - every authenticated request is authorized with SubjectAccessReviews on the node's
 *   subresources, mapped from the path as the kubelet maps them with fine-grained kubelet
 *   authorization (on by default since 1.33): `/pods` → `nodes/pods` then `nodes/proxy`,
 *   `/healthz` → `nodes/healthz` then `nodes/proxy`, `/stats` → `nodes/stats`, `/metrics` →
 *   `nodes/metrics`, `/logs` → `nodes/log`, everything else (`/containerLogs`, `/exec`,
 *   `/attach`, `/portForward`, `/run`) → `nodes/proxy`; the verb comes from the HTTP method.
 *   Any allowed attribute admits the request. Decisions are cached (allowed 5 minutes, denied
 *   30 seconds, the kubelet's webhook cache TTLs).
 *
 * @module
 */
import type { SubjectAccessReview } from "../../control/api/types/authorization_v1.ts";
import type { TokenReview } from "../../control/api/types/authentication_v1.ts";
import type { Client } from "../../control/client/client.ts";
import { apiResource } from "../../control/client/resources.ts";
import type { Clock } from "../../control/util/clock.ts";

/** An authenticated user. */
export interface KubeletUser {
  readonly username: string;
  readonly uid?: string;
  readonly groups: readonly string[];
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

/** What a client certificate check concludes (the shape of control/api/pki's). */
export type KubeletCertificateResult =
  | { readonly ok: true; readonly commonName: string; readonly organizations: readonly string[] }
  | { readonly ok: false; readonly reason: string };

/**
 * Checks a client certificate (DER) against the cluster CA at `now`: chain, validity, client
 * authentication usage. The client's own intermediates are never trusted.
 */
export type ClientCertificateVerifier = (
  der: Uint8Array,
  now: Date,
) => Promise<KubeletCertificateResult>;

/**
 * A {@linkcode ClientCertificateVerifier} trusting the CAs in `caPem` (the cluster CA bundle,
 * `--client-ca-file`): the leaf must be signed by one of them itself, be valid at `now` and be
 * meant for client authentication, as the API server's x509 authenticator checks.
 *
 * The X.509 library (pkijs) is loaded with the first client certificate to check: an agent that
 * nobody asks for logs, exec or port-forward does not keep it (~8 MiB of resident memory).
 *
 * @throws {SyntaxError} when `caPem` holds no certificate.
 */
export function clusterCaVerifier(caPem: string): ClientCertificateVerifier {
  if (!/-----BEGIN CERTIFICATE-----/.test(caPem)) {
    throw new SyntaxError("Cannot verify client certificates: the CA bundle has no certificate");
  }
  let verifier: Promise<ClientCertificateVerifier> | undefined;
  return async (der, now) => {
    verifier ??= import("../../control/util/x509/certificates.ts").then((x509) => {
      const cas = x509.pemCertificates(caPem).map((d) => x509.parseCertificate(d));
      if (cas.length === 0) {
        throw new SyntaxError(
          "Cannot verify client certificates: the CA bundle has no certificate",
        );
      }
      return (d: Uint8Array, at: Date) =>
        x509.verifyClientCertificate(d, { cas, intermediates: [], now: at });
    });
    let verify: ClientCertificateVerifier;
    try {
      verify = await verifier;
    } catch (err) {
      return { ok: false, reason: `unusable client CA bundle: ${String(err)}` };
    }
    return await verify(der, now);
  };
}

/** The API server's answer to a TokenReview. */
export interface TokenReviewAnswer {
  readonly authenticated: boolean;
  readonly user?: KubeletUser;
  readonly error?: string;
}

/** One authorization question: a resource request on this node. */
export interface NodeRequestAttributes {
  readonly verb: string;
  /** Always `nodes`. */
  readonly resource: "nodes";
  readonly subresource: string;
  /** The node's name. */
  readonly name: string;
  readonly apiVersion: "v1";
  readonly path: string;
}

/** The API server's review APIs, as the kubelet calls them. */
export interface ApiReviews {
  reviewToken(token: string): Promise<TokenReviewAnswer>;
  /** Whether `user` may do `attributes` (SubjectAccessReview `status.allowed`). */
  reviewAccess(user: KubeletUser, attributes: NodeRequestAttributes): Promise<boolean>;
}

const TOKEN_REVIEWS = apiResource<TokenReview>({
  group: "authentication.k8s.io",
  version: "v1",
  resource: "tokenreviews",
  kind: "TokenReview",
  namespaced: false,
});

const SUBJECT_ACCESS_REVIEWS = apiResource<SubjectAccessReview>({
  group: "authorization.k8s.io",
  version: "v1",
  resource: "subjectaccessreviews",
  kind: "SubjectAccessReview",
  namespaced: false,
});

/** {@linkcode ApiReviews} through a control/client {@linkcode Client} (the agent's credentials). */
export class ClientApiReviews implements ApiReviews {
  readonly #client: Client;

  constructor(client: Client) {
    this.#client = client;
  }

  async reviewToken(token: string): Promise<TokenReviewAnswer> {
    const review = await this.#client.resource(TOKEN_REVIEWS).create({
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenReview",
      metadata: {},
      spec: { token },
    });
    const status = review.status ?? {};
    const user = status.user;
    if (status.authenticated !== true || !user?.username) {
      return { authenticated: false, ...(status.error ? { error: status.error } : {}) };
    }
    return {
      authenticated: true,
      user: {
        username: user.username,
        groups: user.groups ?? [],
        ...(user.uid ? { uid: user.uid } : {}),
        ...(user.extra ? { extra: user.extra } : {}),
      },
    };
  }

  async reviewAccess(user: KubeletUser, attributes: NodeRequestAttributes): Promise<boolean> {
    const review = await this.#client.resource(SUBJECT_ACCESS_REVIEWS).create({
      apiVersion: "authorization.k8s.io/v1",
      kind: "SubjectAccessReview",
      metadata: {},
      spec: {
        resourceAttributes: {
          verb: attributes.verb,
          version: attributes.apiVersion,
          resource: attributes.resource,
          subresource: attributes.subresource,
          name: attributes.name,
        },
        user: user.username,
        groups: [...user.groups],
        ...(user.uid ? { uid: user.uid } : {}),
        ...(user.extra
          ? {
            extra: Object.fromEntries(
              Object.entries(user.extra).map(([k, v]) => [k, [...v]]),
            ),
          }
          : {}),
      },
    });
    return review.status?.allowed === true;
  }
}

/** The HTTP method's API verb, as the kubelet maps it ("" for others). */
export function apiVerbOf(method: string): string {
  switch (method) {
    case "POST":
      return "create";
    case "GET":
      return "get";
    case "PUT":
      return "update";
    case "PATCH":
      return "patch";
    case "DELETE":
      return "delete";
    default:
      return "";
  }
}

/** Whether `path` is `prefix` or below it (`/stats` matches `/stats` and `/stats/summary`). */
function isSubpath(path: string, prefix: string): boolean {
  const p = prefix.endsWith("/") ? prefix.slice(0, -1) : prefix;
  return path === p || (path.startsWith(p) && path[p.length] === "/");
}

/** Options of {@linkcode nodeRequestAttributes}. */
export interface NodeRequestOptions {
  readonly method: string;
  /** The URL path. */
  readonly path: string;
  readonly nodeName: string;
}

/**
 * The attributes a kubelet request is authorized with, in the order they are tried (any one
 * allowed admits it).
 */
export function nodeRequestAttributes(options: NodeRequestOptions): NodeRequestAttributes[] {
  const { path } = options;
  const subresources: string[] = [];
  if (isSubpath(path, "/pods")) subresources.push("pods");
  else if (isSubpath(path, "/healthz")) subresources.push("healthz");
  else if (isSubpath(path, "/configz")) subresources.push("configz");
  else if (isSubpath(path, "/statusz")) subresources.push("statusz");
  else if (isSubpath(path, "/runningpods/")) subresources.push("pods");
  if (isSubpath(path, "/stats/")) subresources.push("stats");
  else if (isSubpath(path, "/metrics")) subresources.push("metrics");
  else if (isSubpath(path, "/logs/")) subresources.push("log");
  else if (isSubpath(path, "/checkpoint/")) subresources.push("checkpoint");
  else subresources.push("proxy");
  const verb = apiVerbOf(options.method);
  return subresources.map((subresource) => ({
    verb,
    resource: "nodes",
    subresource,
    name: options.nodeName,
    apiVersion: "v1",
    path,
  }));
}

/** Why a request is refused: the status and the kubelet's plain-text body. */
export interface KubeletAuthFailure {
  readonly status: 401 | 403 | 500;
  readonly message: string;
}

/** Options of {@linkcode KubeletAuth}. */
export interface KubeletAuthOptions {
  readonly nodeName: string;
  readonly reviews: ApiReviews;
  /** Checks client certificates; without it, certificates authenticate no one. */
  readonly verifyClientCertificate?: ClientCertificateVerifier;
  readonly clock: Clock;
  /** @default {120000} */
  readonly tokenCacheTtlMs?: number;
  /** @default {300000} */
  readonly allowedCacheTtlMs?: number;
  /** @default {30000} */
  readonly deniedCacheTtlMs?: number;
  /** Entries per cache. @default {1024} */
  readonly cacheSize?: number;
}

/** What a request presents. */
export interface KubeletCredentials {
  /** The TLS peer's certificate (DER), if it sent one. */
  readonly peerCertificate?: Uint8Array;
  /** The `Authorization` header. */
  readonly authorization?: string | null;
}

interface Cached<T> {
  readonly value: T;
  readonly expiresMs: number;
}

/** A small map whose entries expire; the oldest entry goes first when full. */
class TtlCache<T> {
  readonly #entries = new Map<string, Cached<T>>();
  readonly #size: number;

  constructor(size: number) {
    this.#size = size;
  }

  get(key: string, nowMs: number): T | undefined {
    const hit = this.#entries.get(key);
    if (!hit) return undefined;
    if (hit.expiresMs <= nowMs) {
      this.#entries.delete(key);
      return undefined;
    }
    return hit.value;
  }

  set(key: string, value: T, expiresMs: number): void {
    this.#entries.delete(key);
    if (this.#entries.size >= this.#size) {
      this.#entries.delete(this.#entries.keys().next().value!);
    }
    this.#entries.set(key, { value, expiresMs });
  }
}

function derKey(der: Uint8Array): string {
  let s = "";
  for (let i = 0; i < der.length; i += 4096) {
    s += String.fromCharCode(...der.subarray(i, i + 4096));
  }
  return s;
}

/** Authenticates and authorizes kubelet API requests. */
export class KubeletAuth {
  readonly #o: KubeletAuthOptions;
  readonly #tokens: TtlCache<Promise<KubeletUser | null>>;
  readonly #certificates: TtlCache<Promise<KubeletUser | null>>;
  readonly #decisions: TtlCache<boolean>;

  constructor(options: KubeletAuthOptions) {
    this.#o = options;
    const size = options.cacheSize ?? 1024;
    this.#tokens = new TtlCache(size);
    this.#certificates = new TtlCache(size);
    this.#decisions = new TtlCache(size);
  }

  /**
   * The user the credentials name, or null (anonymous or refused): the client certificate
   * first, then the bearer token, as the kubelet's union of authenticators.
   */
  async authenticate(credentials: KubeletCredentials): Promise<KubeletUser | null> {
    const der = credentials.peerCertificate;
    if (der && der.length > 0 && this.#o.verifyClientCertificate) {
      const user = await this.#certificateUser(der);
      if (user) return user;
    }
    const header = credentials.authorization ?? "";
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match) return await this.#tokenUser(match[1]!);
    return null;
  }

  #certificateUser(der: Uint8Array): Promise<KubeletUser | null> {
    const nowMs = this.#o.clock.now();
    const key = derKey(der);
    const cached = this.#certificates.get(key, nowMs);
    if (cached) return cached;
    const verify = this.#o.verifyClientCertificate!;
    const user = verify(der, new Date(nowMs)).then((res): KubeletUser | null => {
      if (!res.ok) return null;
      const groups = [...res.organizations];
      if (!groups.includes("system:authenticated")) groups.push("system:authenticated");
      return { username: res.commonName, groups };
    });
    // Remembered briefly: expiry is then checked again.
    this.#certificates.set(key, user, nowMs + 60_000);
    return user;
  }

  #tokenUser(token: string): Promise<KubeletUser | null> {
    const nowMs = this.#o.clock.now();
    const cached = this.#tokens.get(token, nowMs);
    if (cached) return cached;
    const user = this.#o.reviews.reviewToken(token).then(
      (answer) => answer.authenticated && answer.user ? answer.user : null,
    );
    this.#tokens.set(token, user, nowMs + (this.#o.tokenCacheTtlMs ?? 120_000));
    // A failed review is not remembered: the next request asks again.
    user.catch(() => this.#tokens.set(token, user, 0));
    return user;
  }

  /**
   * Authenticates and authorizes a request: the user, or why it is refused with the
   * kubelet's texts (`Unauthorized`; `Forbidden (user=…, verb=…, resource=…, subresource(s)=[…])`).
   */
  async check(
    request: { readonly method: string; readonly path: string },
    credentials: KubeletCredentials,
  ): Promise<{ user: KubeletUser } | { failure: KubeletAuthFailure }> {
    let user: KubeletUser | null;
    try {
      user = await this.authenticate(credentials);
    } catch {
      return { failure: { status: 401, message: "Unauthorized" } };
    }
    if (user === null) return { failure: { status: 401, message: "Unauthorized" } };
    const attrs = nodeRequestAttributes({
      method: request.method,
      path: request.path,
      nodeName: this.#o.nodeName,
    });
    for (const attr of attrs) {
      let allowed: boolean;
      try {
        allowed = await this.#allowed(user, attr);
      } catch {
        return {
          failure: {
            status: 500,
            message:
              `Authorization error (user=${user.username}, verb=${attr.verb}, resource=${attr.resource}, subresource=${attr.subresource})`,
          },
        };
      }
      if (allowed) return { user };
    }
    const subresources = attrs.map((a) => a.subresource).join(" ");
    return {
      failure: {
        status: 403,
        message: `Forbidden (user=${user.username}, verb=${attrs[0]!.verb}, resource=${
          attrs[0]!.resource
        }, subresource(s)=[${subresources}])`,
      },
    };
  }

  async #allowed(user: KubeletUser, attr: NodeRequestAttributes): Promise<boolean> {
    const key = JSON.stringify([
      user.username,
      user.uid ?? "",
      user.groups,
      user.extra ?? {},
      attr.verb,
      attr.subresource,
    ]);
    const nowMs = this.#o.clock.now();
    const cached = this.#decisions.get(key, nowMs);
    if (cached !== undefined) return cached;
    const allowed = await this.#o.reviews.reviewAccess(user, attr);
    const ttl = allowed ? this.#o.allowedCacheTtlMs ?? 300_000 : this.#o.deniedCacheTtlMs ?? 30_000;
    this.#decisions.set(key, allowed, this.#o.clock.now() + ttl);
    return allowed;
  }
}
