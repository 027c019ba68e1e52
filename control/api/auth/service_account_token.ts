/**
 * ServiceAccount token claims, as kube-apiserver's `pkg/serviceaccount/claims.go` writes them:
 * the registered claims `iss`, `sub` (`system:serviceaccount:<ns>:<name>`), `aud`, `exp`,
 * `iat`, `nbf`, `jti`, and the private `kubernetes.io` claim naming the namespace, the
 * ServiceAccount and the object the token is bound to (a pod — with the node it runs on — a
 * secret or a node) with their uids, plus `warnafter` for the extended pod tokens.
 *
 * Pod-bound tokens requesting 3607 seconds (what the ServiceAccount admission plugin puts in
 * every pod's projected volume) are extended to a year with `warnafter` at the requested
 * expiry, as upstream's `--service-account-extend-token-expiration` (on by default) does, so a
 * client that does not reload its token keeps working while the server can tell it is stale.
 *
 * @example The claims of a plain token
 * ```ts
 * import assert from "node:assert/strict";
 * import { serviceAccountClaims } from "./service_account_token.ts";
 *
 * const claims = serviceAccountClaims({
 *   issuer: "https://kubernetes.default.svc.cluster.local",
 *   audiences: ["https://kubernetes.default.svc.cluster.local"],
 *   serviceAccount: { namespace: "default", name: "builder", uid: "u-1" },
 *   expirationSeconds: 3600,
 *   nowMs: 1_700_000_000_000,
 *   jti: "j-1",
 * });
 * assert.equal(claims.sub, "system:serviceaccount:default:builder");
 * assert.equal(claims.exp - claims.iat, 3600);
 * ```
 *
 * @module
 */
import { signJws } from "./jwt.ts";
import type { ServiceAccountKeys } from "./service_account_keys.ts";

/**
 * The expiry the ServiceAccount admission plugin asks for (1 h 7 s): extended when pod-bound.
 * (Upstream's `WarnOnlyBoundTokenExpirationSeconds`; the admission plugin exports the same.)
 */
const WARN_ONLY_SECONDS = 60 * 60 + 7;

/** How long an extended pod-bound token lives: a year. */
export const EXPIRATION_EXTENSION_SECONDS = 24 * 365 * 60 * 60;

/** The issuer of a cluster whose DNS domain is `clusterDomain`, as kubeadm and k3s set it. */
export function defaultIssuer(clusterDomain = "cluster.local"): string {
  return `https://kubernetes.default.svc.${clusterDomain}`;
}

/** `system:serviceaccount:<namespace>:<name>`. */
function serviceAccountUsername(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

/** A named object in the `kubernetes.io` claim; `uid` is absent when unknown. */
export interface ObjectRefClaim {
  readonly name: string;
  readonly uid?: string;
}

/** The private `kubernetes.io` claim. */
export interface KubernetesClaim {
  readonly namespace: string;
  readonly node?: ObjectRefClaim;
  readonly pod?: ObjectRefClaim;
  readonly secret?: ObjectRefClaim;
  readonly serviceaccount: ObjectRefClaim;
  /** Seconds since the epoch after which the token counts as stale (extended tokens). */
  readonly warnafter?: number;
}

/** The claims of a ServiceAccount token. */
export interface ServiceAccountClaims {
  readonly aud: readonly string[];
  readonly exp: number;
  readonly iat: number;
  readonly iss: string;
  readonly jti?: string;
  readonly "kubernetes.io": KubernetesClaim;
  readonly nbf: number;
  readonly sub: string;
}

/** An object a token is bound to, or the ServiceAccount itself. */
export interface ObjectIdentity {
  readonly name: string;
  readonly uid: string;
}

/** Options of {@linkcode serviceAccountClaims}. */
export interface ServiceAccountClaimsOptions {
  readonly issuer: string;
  readonly audiences: readonly string[];
  readonly serviceAccount: ObjectIdentity & { readonly namespace: string };
  /** The pod the token is bound to. */
  readonly pod?: ObjectIdentity;
  /**
   * A pod-bound token's node (its uid may be unknown when the Node object is missing), or the
   * node a token is bound to when there is no pod.
   */
  readonly node?: { readonly name: string; readonly uid?: string };
  /** The secret the token is bound to (not with a pod or node). */
  readonly secret?: ObjectIdentity;
  readonly expirationSeconds: number;
  /** Sets `warnafter` this long after now (extended tokens); 0 or absent: none. */
  readonly warnAfterSeconds?: number;
  readonly nowMs: number;
  /** @default {crypto.randomUUID()} */
  readonly jti?: string;
}

function ref(o: { readonly name: string; readonly uid?: string | undefined }): ObjectRefClaim {
  // Upstream's refs are `omitempty`: an unknown uid is left out.
  return o.uid ? { name: o.name, uid: o.uid } : { name: o.name };
}

/**
 * The claims of a token for `options.serviceAccount`, keys in the order Go's encoder writes
 * them (sorted), so tokens decode as upstream's do.
 */
export function serviceAccountClaims(options: ServiceAccountClaimsOptions): ServiceAccountClaims {
  if (options.secret && (options.pod || options.node)) {
    throw new TypeError("Cannot bind a token to a secret and to a pod or node");
  }
  const now = Math.floor(options.nowMs / 1000);
  const sa = options.serviceAccount;
  const k8s: KubernetesClaim = {
    namespace: sa.namespace,
    ...(options.node ? { node: ref(options.node) } : {}),
    ...(options.pod ? { pod: ref(options.pod) } : {}),
    ...(options.secret ? { secret: ref(options.secret) } : {}),
    serviceaccount: ref(sa),
    ...(options.warnAfterSeconds ? { warnafter: now + options.warnAfterSeconds } : {}),
  };
  return {
    aud: [...options.audiences],
    exp: now + options.expirationSeconds,
    iat: now,
    iss: options.issuer,
    jti: options.jti ?? crypto.randomUUID(),
    "kubernetes.io": k8s,
    nbf: now,
    sub: serviceAccountUsername(sa.namespace, sa.name),
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function numericDate(payload: Record<string, unknown>, name: string): number | undefined {
  const v = payload[name];
  if (v === undefined) return undefined;
  // RFC 7519 NumericDate; Go's decoder truncates fractions.
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new TypeError(`Cannot read token claims: "${name}" is not a number`);
  }
  return Math.trunc(v);
}

function stringClaim(o: Record<string, unknown>, name: string, where: string): string {
  const v = o[name];
  if (typeof v !== "string") {
    throw new TypeError(`Cannot read token claims: "${where}${name}" is not a string`);
  }
  return v;
}

function refClaim(k8s: Record<string, unknown>, name: string): ObjectRefClaim | undefined {
  const v = k8s[name];
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) {
    throw new TypeError(`Cannot read token claims: "kubernetes.io.${name}" is not an object`);
  }
  const where = `kubernetes.io.${name}.`;
  const refName = v.name === undefined ? "" : stringClaim(v, "name", where);
  const uid = v.uid === undefined ? "" : stringClaim(v, "uid", where);
  return uid ? { name: refName, uid } : { name: refName };
}

/**
 * Reads the claims of a (verified) token payload, refusing wrong types with a `TypeError`.
 * `exp` and the ServiceAccount's namespace, name and uid are required: skiff issues no token
 * without them. An absent `iat` or `nbf` (optional in RFC 7519) reads as 0, which no time
 * check refuses.
 */
export function parseServiceAccountClaims(
  payload: Readonly<Record<string, unknown>>,
): ServiceAccountClaims {
  const p = payload as Record<string, unknown>;
  const iss = stringClaim(p, "iss", "");
  const sub = p.sub === undefined ? "" : stringClaim(p, "sub", "");
  let aud: string[];
  if (p.aud === undefined) aud = [];
  else if (typeof p.aud === "string") aud = [p.aud];
  else if (Array.isArray(p.aud) && p.aud.every((a) => typeof a === "string")) aud = [...p.aud];
  else throw new TypeError('Cannot read token claims: "aud" is not a string or list of strings');
  const exp = numericDate(p, "exp");
  if (exp === undefined) throw new TypeError('Cannot read token claims: "exp" is missing');
  const iat = numericDate(p, "iat");
  const nbf = numericDate(p, "nbf");
  const jti = p.jti === undefined ? undefined : stringClaim(p, "jti", "");
  const k8s = p["kubernetes.io"];
  if (!isObject(k8s)) {
    throw new TypeError('Cannot read token claims: "kubernetes.io" is not an object');
  }
  const namespace = stringClaim(k8s, "namespace", "kubernetes.io.");
  const sa = refClaim(k8s, "serviceaccount");
  if (!namespace || !sa?.name || !sa.uid) {
    throw new TypeError("Cannot read token claims: the service account is not named");
  }
  const node = refClaim(k8s, "node");
  const pod = refClaim(k8s, "pod");
  const secret = refClaim(k8s, "secret");
  const warnafter = numericDate(k8s, "warnafter");
  return {
    aud,
    exp,
    iat: iat ?? 0,
    iss,
    ...(jti !== undefined ? { jti } : {}),
    "kubernetes.io": {
      namespace,
      ...(node ? { node } : {}),
      ...(pod ? { pod } : {}),
      ...(secret ? { secret } : {}),
      serviceaccount: sa,
      ...(warnafter ? { warnafter } : {}),
    },
    nbf: nbf ?? 0,
    sub,
  };
}

/** Options of {@linkcode tokenLifetime}. */
export interface TokenLifetimeOptions {
  /** The (validated, possibly shortened) `spec.expirationSeconds`. */
  readonly expirationSeconds: number;
  readonly podBound: boolean;
  readonly audiences: readonly string[];
  /** The API server's own audiences. */
  readonly apiAudiences: readonly string[];
  /** `--service-account-extend-token-expiration`. @default {true} */
  readonly extend?: boolean;
  /** @default {EXPIRATION_EXTENSION_SECONDS} */
  readonly extendedExpirationSeconds?: number;
}

/**
 * How long a token lives and when it turns stale: pod-bound tokens asking for exactly 3607
 * seconds, for audiences all of which are the API server's, live a year and warn after 3607
 * seconds (upstream's TokenREST); every other token lives what it asked for.
 */
export function tokenLifetime(options: TokenLifetimeOptions): {
  readonly expirationSeconds: number;
  readonly warnAfterSeconds: number;
} {
  const api = new Set(options.apiAudiences);
  if (
    (options.extend ?? true) && options.podBound &&
    options.expirationSeconds === WARN_ONLY_SECONDS &&
    options.audiences.every((a) => api.has(a))
  ) {
    return {
      expirationSeconds: options.extendedExpirationSeconds ?? EXPIRATION_EXTENSION_SECONDS,
      warnAfterSeconds: options.expirationSeconds,
    };
  }
  return { expirationSeconds: options.expirationSeconds, warnAfterSeconds: 0 };
}

/** Options of {@linkcode ServiceAccountTokenIssuer}. */
export interface ServiceAccountTokenIssuerOptions {
  /** The key set whose signing key signs (a function, to follow rotation). */
  readonly keys: ServiceAccountKeys | (() => ServiceAccountKeys);
}

/** Signs ServiceAccount tokens. */
export class ServiceAccountTokenIssuer {
  readonly #keys: () => ServiceAccountKeys;

  constructor(options: ServiceAccountTokenIssuerOptions) {
    const k = options.keys;
    this.#keys = typeof k === "function" ? k : () => k;
  }

  /** The token (a compact JWS, ES256, `kid` of the signing key) carrying `claims`. */
  async sign(claims: ServiceAccountClaims): Promise<string> {
    const { signing } = this.#keys();
    return await signJws(claims, { key: signing.privateKey, kid: signing.kid });
  }
}
