/**
 * Authenticates ServiceAccount tokens (JWTs this server signed), as kube-apiserver's
 * `pkg/serviceaccount/jwt.go` and `claims.go` do: a token whose payload does not name this
 * server's issuer is someone else's (null: the next authenticator may know it); one that does
 * must be well formed, signed by a verifying key (by `kid`), meant for one of the target
 * audiences, within its validity (60 s leeway, as go-jose's), and its ServiceAccount and bound
 * pod, secret or node must still exist with the uids the token names (objects deleted more
 * than the leeway ago count as gone). Anything else throws `AuthenticationError` with
 * upstream's reason.
 *
 * Lookups use the server's shared object views, never storage. A verified signature is
 * remembered per token (a small bounded cache), so the per-request cost of a known token is
 * its time checks and four map lookups; the ECDSA verify runs once per token.
 *
 * The user is upstream's: `system:serviceaccount:<ns>:<name>`, the ServiceAccount's uid,
 * groups `system:serviceaccounts`, `system:serviceaccounts:<ns>`, `system:authenticated`, and
 * extra `authentication.kubernetes.io/credential-id` (`JTI=<jti>`), `pod-name`, `pod-uid`,
 * `node-name`, `node-uid`.
 *
 * @module
 */
import type { Clock } from "../../util/clock.ts";
import type { RequestUser } from "../handlers/context.ts";
import type { ObjectView } from "../store/object_view.ts";
import type { ObjectViews } from "../store/object_views.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import { AUTHENTICATED_GROUP, AuthenticationError } from "./authenticator.ts";
import { decodeBase64Url, JwtError, type ParsedJws, parseJws, verifyJws } from "./jwt.ts";
import type { ServiceAccountKeys, VerifyingKey } from "./service_account_keys.ts";
import { parseServiceAccountClaims, type ServiceAccountClaims } from "./service_account_token.ts";
import type { AudienceAwareTokenAuthenticator, TokenAuthResult } from "./token_review.ts";

/** How far clocks may disagree: go-jose's `DefaultLeeway`. */
export const TOKEN_LEEWAY_MS = 60_000;

/** The group of every ServiceAccount. */
export const ALL_SERVICE_ACCOUNTS_GROUP = "system:serviceaccounts";

/** `user.extra` keys of ServiceAccount users (upstream's `serviceaccount` package). */
export const SERVICE_ACCOUNT_EXTRA = {
  credentialId: "authentication.kubernetes.io/credential-id",
  nodeName: "authentication.kubernetes.io/node-name",
  nodeUid: "authentication.kubernetes.io/node-uid",
  podName: "authentication.kubernetes.io/pod-name",
  podUid: "authentication.kubernetes.io/pod-uid",
} as const;

/** What a verified token says of its ServiceAccount (upstream's `ServiceAccountInfo`). */
export interface ServiceAccountInfo {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly podName?: string;
  readonly podUid?: string;
  readonly nodeName?: string;
  readonly nodeUid?: string;
  /** The token's `jti`. */
  readonly jti?: string;
}

/** The user a ServiceAccount token authenticates as. */
export function serviceAccountUser(info: ServiceAccountInfo): RequestUser {
  const extra: Record<string, readonly string[]> = {};
  // Keys in sorted order, as Go's encoder writes the map.
  if (info.jti) extra[SERVICE_ACCOUNT_EXTRA.credentialId] = [`JTI=${info.jti}`];
  if (info.nodeName) {
    extra[SERVICE_ACCOUNT_EXTRA.nodeName] = [info.nodeName];
    if (info.nodeUid) extra[SERVICE_ACCOUNT_EXTRA.nodeUid] = [info.nodeUid];
  }
  if (info.podName && info.podUid) {
    extra[SERVICE_ACCOUNT_EXTRA.podName] = [info.podName];
    extra[SERVICE_ACCOUNT_EXTRA.podUid] = [info.podUid];
  }
  return {
    username: `system:serviceaccount:${info.namespace}:${info.name}`,
    uid: info.uid,
    groups: [
      ALL_SERVICE_ACCOUNTS_GROUP,
      `${ALL_SERVICE_ACCOUNTS_GROUP}:${info.namespace}`,
      AUTHENTICATED_GROUP,
    ],
    ...(Object.keys(extra).length > 0 ? { extra } : {}),
  };
}

/** The storage prefixes of the views the authenticator reads. */
const PREFIX = {
  serviceAccounts: "/registry/serviceaccounts/",
  pods: "/registry/pods/",
  secrets: "/registry/secrets/",
  nodes: "/registry/nodes/",
} as const;

/** Options of {@linkcode ServiceAccountTokenAuthenticator}. */
export interface ServiceAccountTokenAuthenticatorOptions {
  /** The verifying keys (a function, to follow rotation). */
  readonly keys: ServiceAccountKeys | (() => ServiceAccountKeys);
  /** The issuer (`iss`) of this server's tokens. */
  readonly issuer: string;
  /** The audiences of the API server itself. @default {[issuer]} */
  readonly apiAudiences?: readonly string[];
  readonly views: ObjectViews;
  readonly clock: Clock;
  /** How many verified tokens to remember. @default {256} */
  readonly cacheSize?: number;
}

interface Verified {
  readonly key: VerifyingKey;
  readonly claims: ServiceAccountClaims;
}

/** Tokens longer than this are verified every time rather than remembered. */
const MAX_CACHED_TOKEN_LENGTH = 4096;

/** Go's `%q` of a string list: `["a" "b"]`. */
function quoteList(list: readonly string[]): string {
  return `[${list.map((s) => JSON.stringify(s)).join(" ")}]`;
}

/** Whether `token` has the shape of a compact JWS: exactly two dots. */
function hasTwoDots(token: string): boolean {
  const first = token.indexOf(".");
  if (first < 0) return false;
  const second = token.indexOf(".", first + 1);
  return second >= 0 && token.indexOf(".", second + 1) < 0;
}

/** The unverified `iss` of a JWT-shaped token, or null when it has none. */
function unverifiedIssuer(token: string): string | null {
  const parts = token.split(".");
  if (parts.length !== 3) return null;
  try {
    const payload: unknown = JSON.parse(new TextDecoder().decode(decodeBase64Url(parts[1]!)));
    const iss = (payload as { iss?: unknown } | null)?.iss;
    return typeof iss === "string" ? iss : null;
  } catch {
    return null;
  }
}

function deletedBefore(obj: KubeObject, limitMs: number): boolean {
  const ts = obj.metadata?.deletionTimestamp;
  return typeof ts === "string" && Date.parse(ts) < limitMs;
}

const INVALIDATED = "service account token has been invalidated";

/** Authenticates this server's ServiceAccount tokens. */
export class ServiceAccountTokenAuthenticator implements AudienceAwareTokenAuthenticator {
  readonly #keys: () => ServiceAccountKeys;
  readonly #issuer: string;
  readonly #apiAudiences: readonly string[];
  readonly #clock: Clock;
  readonly #cacheSize: number;
  readonly #cache = new Map<string, Verified>();
  readonly #views: ObjectViews;
  readonly #serviceAccounts: ObjectView;
  readonly #pods: ObjectView;
  readonly #secrets: ObjectView;
  readonly #nodes: ObjectView;
  #ready: Promise<void> | undefined;

  constructor(options: ServiceAccountTokenAuthenticatorOptions) {
    const k = options.keys;
    this.#keys = typeof k === "function" ? k : () => k;
    this.#issuer = options.issuer;
    this.#apiAudiences = options.apiAudiences ?? [options.issuer];
    this.#clock = options.clock;
    this.#cacheSize = options.cacheSize ?? 256;
    this.#views = options.views;
    this.#serviceAccounts = options.views.get(PREFIX.serviceAccounts);
    this.#pods = options.views.get(PREFIX.pods);
    this.#secrets = options.views.get(PREFIX.secrets);
    this.#nodes = options.views.get(PREFIX.nodes);
  }

  /** Starts the views the checks read (also done on first use). */
  start(): Promise<void> {
    this.#ready ??= Promise.all(Object.values(PREFIX).map((p) => this.#views.started(p)))
      .then(() => {});
    return this.#ready;
  }

  /** The user of `token` for the API server's own audiences; null when it is not ours. */
  async authenticateToken(token: string): Promise<RequestUser | null> {
    return (await this.authenticateTokenFor(token, this.#apiAudiences))?.user ?? null;
  }

  /**
   * The user of `token` and the audiences it was accepted for, among `audiences`; null when
   * it is not one of this server's tokens.
   */
  async authenticateTokenFor(
    token: string,
    audiences: readonly string[],
  ): Promise<TokenAuthResult | null> {
    const verified = await this.#verify(token);
    if (verified === null) return null;
    const { claims } = verified;
    const tokenAudiences = claims.aud.length > 0 ? claims.aud : this.#apiAudiences;
    const wanted = new Set(audiences);
    const matched = tokenAudiences.filter((a) => wanted.has(a));
    if (matched.length === 0 && this.#apiAudiences.length > 0) {
      throw new AuthenticationError(
        `token audiences ${quoteList(tokenAudiences)} is invalid for the target audiences ${
          quoteList(audiences)
        }`,
      );
    }
    const info = await this.#validate(claims);
    return { user: serviceAccountUser(info), audiences: matched };
  }

  /** The verified claims of `token`, or null when another issuer's (or not a JWT). */
  async #verify(token: string): Promise<Verified | null> {
    const keys = this.#keys();
    const cached = this.#cache.get(token);
    if (cached && keys.verifying(cached.key.kid) === cached.key) {
      // Most recently used last: eviction drops the oldest.
      this.#cache.delete(token);
      this.#cache.set(token, cached);
      return cached;
    }
    if (!hasTwoDots(token)) return null; // an opaque or bootstrap token: not a JWT at all
    let parsed: ParsedJws;
    try {
      parsed = parseJws(token);
    } catch (err) {
      if (unverifiedIssuer(token) !== this.#issuer) return null;
      throw new AuthenticationError("service account token is malformed", { cause: err });
    }
    if (parsed.payload.iss !== this.#issuer) return null;
    const key = await this.#verifyingKey(parsed, keys);
    let claims: ServiceAccountClaims;
    try {
      claims = parseServiceAccountClaims(parsed.payload);
    } catch (err) {
      throw new AuthenticationError("service account token claims are malformed", { cause: err });
    }
    const verified = { key, claims };
    if (token.length <= MAX_CACHED_TOKEN_LENGTH && this.#cacheSize > 0) {
      if (this.#cache.size >= this.#cacheSize) {
        this.#cache.delete(this.#cache.keys().next().value!);
      }
      this.#cache.set(token, verified);
    }
    return verified;
  }

  async #verifyingKey(parsed: ParsedJws, keys: ServiceAccountKeys): Promise<VerifyingKey> {
    const kid = parsed.header.kid;
    const candidates = kid === undefined
      ? keys.verifyingKeys
      : [keys.verifying(kid)].filter((k) => k !== undefined);
    if (candidates.length === 0) {
      throw new AuthenticationError("service account token was signed by an unknown key");
    }
    let failure: unknown;
    for (const key of candidates) {
      try {
        await verifyJws(parsed, key.publicKey);
        return key;
      } catch (err) {
        if (!(err instanceof JwtError)) throw err;
        failure = err;
      }
    }
    throw new AuthenticationError("service account token signature is invalid", {
      cause: failure,
    });
  }

  /** Upstream's `validator.Validate`: validity, then the ServiceAccount and bound objects. */
  async #validate(claims: ServiceAccountClaims): Promise<ServiceAccountInfo> {
    const now = this.#clock.now();
    if (claims.nbf && now + TOKEN_LEEWAY_MS < claims.nbf * 1000) {
      throw new AuthenticationError("service account token is not valid yet");
    }
    if (now - TOKEN_LEEWAY_MS > claims.exp * 1000) {
      throw new AuthenticationError("service account token has expired");
    }
    if (claims.iat && now + TOKEN_LEEWAY_MS < claims.iat * 1000) {
      throw new AuthenticationError("service account token is issued in the future");
    }
    await this.start();
    const deletedLimit = now - TOKEN_LEEWAY_MS;
    const k8s = claims["kubernetes.io"];
    const ns = k8s.namespace;
    const saRef = k8s.serviceaccount;
    const sa = this.#serviceAccounts.getByName(ns, saRef.name);
    if (!sa) throw new AuthenticationError(`serviceaccounts "${saRef.name}" not found`);
    const saUid = sa.metadata?.uid ?? "";
    if (saUid !== saRef.uid) {
      throw new AuthenticationError(
        `service account UID (${saUid}) does not match claim (${saRef.uid})`,
      );
    }
    if (deletedBefore(sa, deletedLimit)) {
      throw new AuthenticationError(`service account ${ns}/${saRef.name} has been deleted`);
    }
    if (k8s.secret) {
      const secret = this.#secrets.getByName(ns, k8s.secret.name);
      if (!secret) throw new AuthenticationError(INVALIDATED);
      const uid = secret.metadata?.uid ?? "";
      if (uid !== (k8s.secret.uid ?? "")) {
        throw new AuthenticationError(
          `secret UID (${uid}) does not match service account secret ref claim (${
            k8s.secret.uid ?? ""
          })`,
        );
      }
      if (deletedBefore(secret, deletedLimit)) throw new AuthenticationError(INVALIDATED);
    }
    let podName: string | undefined;
    let podUid: string | undefined;
    if (k8s.pod) {
      const pod = this.#pods.getByName(ns, k8s.pod.name);
      if (!pod) throw new AuthenticationError(INVALIDATED);
      const uid = pod.metadata?.uid ?? "";
      if (uid !== (k8s.pod.uid ?? "")) {
        throw new AuthenticationError(
          `pod UID (${uid}) does not match service account pod ref claim (${k8s.pod.uid ?? ""})`,
        );
      }
      if (deletedBefore(pod, deletedLimit)) throw new AuthenticationError(INVALIDATED);
      podName = k8s.pod.name;
      podUid = k8s.pod.uid;
    }
    let nodeName: string | undefined;
    let nodeUid: string | undefined;
    if (k8s.node) {
      if (!k8s.pod) {
        const node = this.#nodes.getByName("", k8s.node.name);
        if (!node) throw new AuthenticationError(INVALIDATED);
        const uid = node.metadata?.uid ?? "";
        if (uid !== (k8s.node.uid ?? "")) {
          throw new AuthenticationError(
            `node UID (${uid}) does not match service account node ref claim (${
              k8s.node.uid ?? ""
            })`,
          );
        }
        if (deletedBefore(node, deletedLimit)) throw new AuthenticationError(INVALIDATED);
      }
      // A pod-bound token's node claims are informational: upstream only extracts them.
      nodeName = k8s.node.name;
      nodeUid = k8s.node.uid;
    }
    return {
      namespace: ns,
      name: saRef.name,
      uid: saRef.uid ?? "",
      ...(podName ? { podName } : {}),
      ...(podUid ? { podUid } : {}),
      ...(nodeName ? { nodeName } : {}),
      ...(nodeUid ? { nodeUid } : {}),
      ...(claims.jti ? { jti: claims.jti } : {}),
    };
  }
}
