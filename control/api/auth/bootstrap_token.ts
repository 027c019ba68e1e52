/**
 * Bootstrap (join) tokens, as kubeadm and Kubernetes define them: a token
 * `<token-id>.<token-secret>` (`[a-z0-9]{6}.[a-z0-9]{16}`) lives in Secret
 * `kube-system/bootstrap-token-<token-id>` of type `bootstrap.kubernetes.io/token`, with data
 * keys `token-id`, `token-secret`, optional `expiration` (RFC3339), `usage-bootstrap-*` flags
 * (`"true"` or unset), `auth-extra-groups` and `description`.
 *
 * - {@linkcode BootstrapTokenAuthenticator} accepts a token as user `system:bootstrap:<id>`,
 *   groups `system:bootstrappers` plus its extra groups (sorted, deduplicated, as upstream) and
 *   `system:authenticated`, when the Secret exists, is not being deleted, has the right type,
 *   the same id and secret (compared in constant time), has not expired and is marked
 *   `usage-bootstrap-authentication: "true"`. It reads the shared Secrets view, never storage:
 *   deleting the Secret revokes the token as soon as the view sees the delete. Each Secret's
 *   data is decoded once per stored version (a cache keyed by the frozen view object, so it
 *   can never answer for a Secret the view no longer holds).
 * - {@linkcode BootstrapTokenCleaner} deletes expired token Secrets (upstream's tokencleaner)
 *   with one timer set for the next expiry, re-armed when the view changes.
 * - {@linkcode generateBootstrapToken} and {@linkcode bootstrapTokenSecret} make new tokens;
 *   {@linkcode formatJoinToken} / {@linkcode parseJoinToken} handle k3s's "secure" join token
 *   `K10<sha256 hex of the cluster CA PEM>::<id>.<secret>`, which lets a joining agent check the
 *   server's CA before it sends the token. Bearer authentication uses only `<id>.<secret>`.
 *
 * @example Build the Secret of a new token
 * ```ts
 * import assert from "node:assert/strict";
 * import { bootstrapTokenSecret, generateBootstrapToken } from "./bootstrap_token.ts";
 *
 * const token = generateBootstrapToken();
 * const secret = bootstrapTokenSecret({ ...token, usages: ["authentication"] });
 * assert.equal(secret.metadata?.name, `bootstrap-token-${token.id}`);
 * assert.equal(secret.type, "bootstrap.kubernetes.io/token");
 * ```
 *
 * @module
 */
import { formatTime as formatRfc3339 } from "../../util/k8s_time.ts";
import { createHash } from "node:crypto";
import { type Clock, setTimeoutAt, type TimerHandle } from "../../util/clock.ts";
import type { Logger } from "../../util/logger.ts";
import type { RequestUser } from "../handlers/context.ts";
import type { InProcessClient } from "../in_process_client.ts";
import type { ObjectView, ViewChange } from "../store/object_view.ts";
import { type Secret, SECRET_TYPES } from "../types/core_v1_config.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import {
  constantTimeEqual,
  encodeSecretData,
  hasSecretData,
  secretDataString,
} from "./_token_secret_data.ts";
import {
  AUTHENTICATED_GROUP,
  AuthenticationError,
  type TokenAuthenticator,
} from "./authenticator.ts";

/** The namespace bootstrap token Secrets live in. */
export const BOOTSTRAP_TOKEN_NAMESPACE = "kube-system";
/** The path agents trade a join token for their node credential at (`node_credential.ts`). */
export const NODE_CREDENTIAL_PATH = "/v1-skiff/node-credentials";
/** The public path the cluster CA is served at, whose hash a join token names. */
export const CA_CERTS_PATH = "/cacerts";
/** Bootstrap token Secrets are named `bootstrap-token-<token-id>`. */
export const BOOTSTRAP_TOKEN_SECRET_PREFIX = "bootstrap-token-";
/** The Secret type of bootstrap tokens. */
export const BOOTSTRAP_TOKEN_SECRET_TYPE = SECRET_TYPES.bootstrapToken;
/** The data keys of a bootstrap token Secret. */
export const BOOTSTRAP_TOKEN_KEYS = {
  id: "token-id",
  secret: "token-secret",
  expiration: "expiration",
  description: "description",
  extraGroups: "auth-extra-groups",
  usagePrefix: "usage-bootstrap-",
  usageAuthentication: "usage-bootstrap-authentication",
  usageSigning: "usage-bootstrap-signing",
} as const;
/** The username prefix of bootstrap tokens: `system:bootstrap:<token-id>`. */
export const BOOTSTRAP_USER_PREFIX = "system:bootstrap:";
/** The group every bootstrap token has (upstream `BootstrapDefaultGroup`). */
export const BOOTSTRAP_DEFAULT_GROUP = "system:bootstrappers";
/** The usages a bootstrap token may have. */
export const KNOWN_TOKEN_USAGES = ["signing", "authentication"] as const;
/** The pattern of a whole token (upstream `BootstrapTokenPattern`). */
export const BOOTSTRAP_TOKEN_PATTERN = "\\A([a-z0-9]{6})\\.([a-z0-9]{16})\\z";
/** The pattern of a token id (upstream `BootstrapTokenIDPattern`). */
export const BOOTSTRAP_TOKEN_ID_PATTERN = "\\A([a-z0-9]{6})\\z";
/** The pattern extra groups must match (upstream `BootstrapGroupPattern`). */
export const BOOTSTRAP_GROUP_PATTERN = "\\Asystem:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]\\z";

const TOKEN_RE = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
const TOKEN_ID_RE = /^[a-z0-9]{6}$/;
const GROUP_RE = /^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$/;
const TOKEN_CHARS = "0123456789abcdefghijklmnopqrstuvwxyz";

/** A bootstrap token's two parts. */
export interface BootstrapToken {
  readonly id: string;
  readonly secret: string;
}

/** The parts of a `<id>.<secret>` token; null when `token` is not of that form. */
export function parseBootstrapToken(token: string): BootstrapToken | null {
  const m = TOKEN_RE.exec(token);
  return m ? { id: m[1]!, secret: m[2]! } : null;
}

/** Whether `id` is a bootstrap token id (`[a-z0-9]{6}`). */
export function isBootstrapTokenId(id: string): boolean {
  return TOKEN_ID_RE.test(id);
}

/** `kube-system`'s Secret name for token `id`. */
export function bootstrapTokenSecretName(id: string): string {
  return `${BOOTSTRAP_TOKEN_SECRET_PREFIX}${id}`;
}

function randomChars(length: number): string {
  // 36 does not divide 256: drop bytes >= 252 so every character is equally likely.
  let out = "";
  const buf = new Uint8Array(length * 2);
  while (out.length < length) {
    crypto.getRandomValues(buf);
    for (const b of buf) {
      if (b >= 252) continue;
      out += TOKEN_CHARS[b % 36];
      if (out.length === length) break;
    }
  }
  return out;
}

/** A new random token (crypto random, upstream's alphabet `[0-9a-z]`). */
export function generateBootstrapToken(): BootstrapToken & { readonly token: string } {
  const id = randomChars(6);
  const secret = randomChars(16);
  return { id, secret, token: `${id}.${secret}` };
}

/** Upstream's error for an extra group that does not match the pattern, or null when valid. */
export function validateBootstrapGroupName(name: string): string | null {
  if (GROUP_RE.test(name)) return null;
  return `bootstrap group ${
    JSON.stringify(name)
  } is invalid (must match ${BOOTSTRAP_GROUP_PATTERN})`;
}

/** Upstream's error for unknown usages, or null when all are known. */
export function validateTokenUsages(usages: readonly string[]): string | null {
  const known = new Set<string>(KNOWN_TOKEN_USAGES);
  const bad = [...new Set(usages.filter((u) => !known.has(u)))].sort();
  if (bad.length === 0) return null;
  return `invalid bootstrap token usage string: ${bad.join(",")}, valid usage options: ${
    KNOWN_TOKEN_USAGES.join(",")
  }`;
}

const RFC3339_RE =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:Z|([+-])(\d{2}):(\d{2}))$/;

/** Milliseconds since the epoch of an RFC3339 time (as Go's `time.RFC3339` parses), or null. */
export function parseRfc3339(text: string): number | null {
  const m = RFC3339_RE.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as number[];
  if (month! < 1 || month! > 12 || hour! > 23 || minute! > 59 || second! > 59) return null;
  const base = Date.UTC(year!, month! - 1, day!, hour!, minute!, second!);
  const check = new Date(base);
  if (check.getUTCDate() !== day || check.getUTCMonth() !== month! - 1) return null;
  let ms = base;
  if (m[7]) ms += Math.trunc(Number(`0.${m[7]}`) * 1000);
  if (m[8]) {
    const offHours = Number(m[9]);
    const offMinutes = Number(m[10]);
    if (offHours > 23 || offMinutes > 59) return null;
    const offset = (offHours * 60 + offMinutes) * 60_000;
    ms += m[8] === "+" ? -offset : offset;
  }
  return ms;
}

/** An RFC3339 UTC time with whole seconds (`2025-01-02T03:04:05Z`). */
export { formatRfc3339 };

/** Options of {@linkcode bootstrapTokenSecret}. */
export interface BootstrapTokenSecretOptions extends BootstrapToken {
  /** When the token expires (ms since the epoch); never when absent. */
  readonly expirationMs?: number;
  readonly description?: string;
  /** @default {["signing", "authentication"]} */
  readonly usages?: readonly string[];
  /** Extra groups (`system:bootstrappers:…`). */
  readonly groups?: readonly string[];
}

/**
 * The Secret that stores a token, as kubeadm writes it. Throws `TypeError` for a malformed
 * id or secret, an unknown usage or an invalid extra group.
 */
export function bootstrapTokenSecret(options: BootstrapTokenSecretOptions): Secret {
  if (!parseBootstrapToken(`${options.id}.${options.secret}`)) {
    throw new TypeError(
      `Cannot build bootstrap token Secret: the token does not match ${BOOTSTRAP_TOKEN_PATTERN}`,
    );
  }
  const usages = options.usages ?? KNOWN_TOKEN_USAGES;
  const usageError = validateTokenUsages(usages);
  if (usageError) throw new TypeError(`Cannot build bootstrap token Secret: ${usageError}`);
  for (const g of options.groups ?? []) {
    const groupError = validateBootstrapGroupName(g);
    if (groupError) throw new TypeError(`Cannot build bootstrap token Secret: ${groupError}`);
  }
  const values: Record<string, string> = {
    [BOOTSTRAP_TOKEN_KEYS.id]: options.id,
    [BOOTSTRAP_TOKEN_KEYS.secret]: options.secret,
  };
  if (options.description) values[BOOTSTRAP_TOKEN_KEYS.description] = options.description;
  if (options.expirationMs !== undefined) {
    values[BOOTSTRAP_TOKEN_KEYS.expiration] = formatRfc3339(options.expirationMs);
  }
  for (const u of new Set(usages)) values[`${BOOTSTRAP_TOKEN_KEYS.usagePrefix}${u}`] = "true";
  if (options.groups && options.groups.length > 0) {
    values[BOOTSTRAP_TOKEN_KEYS.extraGroups] = options.groups.join(",");
  }
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: bootstrapTokenSecretName(options.id), namespace: BOOTSTRAP_TOKEN_NAMESPACE },
    type: BOOTSTRAP_TOKEN_SECRET_TYPE,
    data: encodeSecretData(values),
  };
}

/** What a bootstrap token Secret says, decoded (for listing). */
export interface BootstrapTokenInfo extends BootstrapToken {
  /** The raw `expiration` value ("" when the token never expires). */
  readonly expiration: string;
  /** The usages set to "true", sorted. */
  readonly usages: readonly string[];
  readonly description: string;
  /** The raw `auth-extra-groups` value. */
  readonly groups: string;
}

/** Decodes the data of a bootstrap token Secret (missing keys read as ""). */
export function bootstrapTokenInfo(secret: KubeObject): BootstrapTokenInfo {
  const data = (hasSecretData(secret) ? secret.data : {}) as Record<string, unknown>;
  const usages: string[] = [];
  for (const key of Object.keys(data)) {
    if (!key.startsWith(BOOTSTRAP_TOKEN_KEYS.usagePrefix)) continue;
    if (secretDataString(secret, key) !== "true") continue;
    usages.push(key.slice(BOOTSTRAP_TOKEN_KEYS.usagePrefix.length));
  }
  usages.sort();
  return {
    id: secretDataString(secret, BOOTSTRAP_TOKEN_KEYS.id),
    secret: secretDataString(secret, BOOTSTRAP_TOKEN_KEYS.secret),
    expiration: secretDataString(secret, BOOTSTRAP_TOKEN_KEYS.expiration),
    usages,
    description: secretDataString(secret, BOOTSTRAP_TOKEN_KEYS.description),
    groups: secretDataString(secret, BOOTSTRAP_TOKEN_KEYS.extraGroups),
  };
}

/**
 * When a token Secret expires: `null` when it has no `expiration`, `-Infinity` when the value
 * cannot be parsed (upstream treats that as expired).
 */
export function bootstrapTokenExpiryMs(secret: KubeObject): number | null {
  const text = secretDataString(secret, BOOTSTRAP_TOKEN_KEYS.expiration);
  if (text === "") return null;
  return parseRfc3339(text) ?? -Infinity;
}

// --- k3s-style join tokens ----------------------------------------------------------------------

/** The prefix of k3s's secure join token format. */
export const JOIN_TOKEN_PREFIX = "K10";
const CA_HASH_RE = /^[0-9a-f]{64}$/;

/** The hex SHA-256 of the cluster CA PEM, as the join token carries it. */
export function caCertHash(caCertPem: string): string {
  return createHash("sha256").update(caCertPem).digest("hex");
}

/** `K10<sha256 hex of caCertPem>::<token>`. */
export function formatJoinToken(caCertPem: string, token: string): string {
  return `${JOIN_TOKEN_PREFIX}${caCertHash(caCertPem)}::${token}`;
}

/** A parsed join token. */
export interface JoinToken {
  /** The expected hex SHA-256 of the cluster CA PEM; null when the token carries none. */
  readonly caHash: string | null;
  /** The bearer token (`<id>.<secret>`). */
  readonly token: string;
  readonly id: string;
  readonly secret: string;
}

/**
 * Parses a join token: `K10<hash>::<id>.<secret>` or a bare `<id>.<secret>` (no CA check, as
 * k3s accepts). Throws `SyntaxError` naming what is wrong, never the secret.
 */
export function parseJoinToken(text: string): JoinToken {
  let rest = text.trim();
  let caHash: string | null = null;
  if (rest.startsWith(JOIN_TOKEN_PREFIX)) {
    const sep = rest.indexOf("::");
    if (sep < 0) throw new SyntaxError(`Cannot parse join token: expected "K10<ca-hash>::<token>"`);
    const hash = rest.slice(JOIN_TOKEN_PREFIX.length, sep).toLowerCase();
    if (hash !== "" && !CA_HASH_RE.test(hash)) {
      throw new SyntaxError("Cannot parse join token: invalid token CA hash length");
    }
    caHash = hash === "" ? null : hash;
    rest = rest.slice(sep + 2);
  }
  const parts = parseBootstrapToken(rest);
  if (!parts) {
    throw new SyntaxError(
      `Cannot parse join token: the bootstrap token does not match ${BOOTSTRAP_TOKEN_PATTERN}`,
    );
  }
  return { caHash, token: rest, ...parts };
}

/** Whether `caCertPem` is the CA a join token's hash names (true when it names none). */
export function joinTokenTrustsCa(join: JoinToken, caCertPem: string): boolean {
  return join.caHash === null || constantTimeEqual(join.caHash, caCertHash(caCertPem));
}

// --- authentication -----------------------------------------------------------------------------

/** Options of {@linkcode BootstrapTokenAuthenticator}. */
export interface BootstrapTokenAuthenticatorOptions {
  /** The shared view of `/registry/secrets/` (started before requests are served). */
  readonly secrets: ObjectView;
  readonly clock: Clock;
}

/** What a token Secret holds, decoded once per stored version. */
interface ParsedTokenSecret {
  /** Why the Secret cannot authenticate anything, whatever the token; null when it can. */
  readonly refusal: string | null;
  readonly id: string;
  readonly secret: string;
  /** null: never expires; -Infinity: unparseable (expired). */
  readonly expiryMs: number | null;
  readonly authentication: boolean;
  /** The user's groups, or null when `auth-extra-groups` is invalid. */
  readonly groups: readonly string[] | null;
}

function parseTokenSecret(obj: KubeObject): ParsedTokenSecret {
  const base = { id: "", secret: "", expiryMs: null, authentication: false, groups: null };
  if (obj.metadata?.deletionTimestamp) {
    return { ...base, refusal: "is deleted and awaiting removal" };
  }
  if (obj.type !== BOOTSTRAP_TOKEN_SECRET_TYPE || !hasSecretData(obj)) {
    return { ...base, refusal: `has invalid type, expected ${BOOTSTRAP_TOKEN_SECRET_TYPE}` };
  }
  let groups: string[] | null = [BOOTSTRAP_DEFAULT_GROUP];
  const extra = secretDataString(obj, BOOTSTRAP_TOKEN_KEYS.extraGroups);
  if (extra !== "") {
    const set = new Set<string>([BOOTSTRAP_DEFAULT_GROUP]);
    for (const g of extra.split(",")) {
      if (validateBootstrapGroupName(g) !== null) {
        set.clear();
        break;
      }
      set.add(g);
    }
    groups = set.size === 0 ? null : [...set].sort();
  }
  if (groups && !groups.includes(AUTHENTICATED_GROUP)) groups.push(AUTHENTICATED_GROUP);
  return {
    refusal: null,
    id: secretDataString(obj, BOOTSTRAP_TOKEN_KEYS.id),
    secret: secretDataString(obj, BOOTSTRAP_TOKEN_KEYS.secret),
    expiryMs: bootstrapTokenExpiryMs(obj),
    authentication: secretDataString(obj, BOOTSTRAP_TOKEN_KEYS.usageAuthentication) === "true",
    groups,
  };
}

/** Authenticates bootstrap tokens against their Secrets in `kube-system`. */
export class BootstrapTokenAuthenticator implements TokenAuthenticator {
  readonly #o: BootstrapTokenAuthenticatorOptions;
  readonly #parsed = new WeakMap<KubeObject, ParsedTokenSecret>();

  constructor(options: BootstrapTokenAuthenticatorOptions) {
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
    const parts = parseBootstrapToken(token);
    if (!parts) return null;
    const name = bootstrapTokenSecretName(parts.id);
    const obj = this.#o.secrets.getByName(BOOTSTRAP_TOKEN_NAMESPACE, name);
    const refuse = (why: string) =>
      new AuthenticationError(
        `Bootstrap token refused: Secret "${BOOTSTRAP_TOKEN_NAMESPACE}/${name}" ${why}`,
      );
    if (!obj) throw refuse("does not exist");
    let p = this.#parsed.get(obj);
    if (!p) this.#parsed.set(obj, p = parseTokenSecret(obj));
    if (p.refusal !== null) throw refuse(p.refusal);
    if (!constantTimeEqual(p.secret, parts.secret)) {
      throw refuse(`has another value for key ${BOOTSTRAP_TOKEN_KEYS.secret}`);
    }
    if (p.id !== parts.id) throw refuse(`has another value for key ${BOOTSTRAP_TOKEN_KEYS.id}`);
    if (p.expiryMs !== null && p.expiryMs - this.#o.clock.now() <= 0) {
      throw refuse("has expired");
    }
    if (!p.authentication) {
      throw refuse(`is not marked ${BOOTSTRAP_TOKEN_KEYS.usageAuthentication}=true`);
    }
    if (!p.groups) throw refuse(`has an invalid value for key ${BOOTSTRAP_TOKEN_KEYS.extraGroups}`);
    return { username: `${BOOTSTRAP_USER_PREFIX}${parts.id}`, groups: p.groups };
  }
}

// --- expiry -------------------------------------------------------------------------------------

const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 5 * 60_000;

/** The part of {@linkcode InProcessClient} the cleaner uses. */
export type ApiRequester = Pick<InProcessClient, "request">;

/** Options of {@linkcode BootstrapTokenCleaner}. */
export interface BootstrapTokenCleanerOptions {
  /** The shared view of `/registry/secrets/`. */
  readonly secrets: ObjectView;
  readonly clock: Clock;
  readonly logger: Logger;
}

interface Tracked {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  /** -Infinity when the expiration cannot be parsed. */
  readonly expiryMs: number;
  /** A delete is in flight or succeeded; wait for the view. */
  pending: boolean;
  retryAtMs: number;
  failures: number;
}

/**
 * Deletes bootstrap token Secrets in `kube-system` once they expire (upstream tokencleaner),
 * through the API so the delete is validated, admitted and watched like any other. It keeps the
 * expiries of token Secrets from the Secrets view and one timer for the earliest (no polling);
 * the delete carries the Secret's uid as a precondition, so a token re-created under the same
 * name is left alone.
 */
export class BootstrapTokenCleaner {
  readonly #o: BootstrapTokenCleanerOptions;
  readonly #tracked = new Map<string, Tracked>();
  readonly #inFlight = new Set<Promise<void>>();
  #client: ApiRequester | null = null;
  #timer: TimerHandle | null = null;
  #stopped = false;

  constructor(options: BootstrapTokenCleanerOptions) {
    this.#o = options;
  }

  /** Starts following the view and deleting expired tokens until `signal` aborts. */
  start(client: ApiRequester, signal: AbortSignal): void {
    if (this.#client) throw new Error("Cannot start the bootstrap token cleaner: it is running");
    this.#client = client;
    this.#o.logger.info("Starting bootstrap token cleaner");
    const unsubscribe = this.#o.secrets.onChange((c) => this.#onChange(c));
    for (const obj of this.#o.secrets.list()) this.#track(obj);
    const stop = () => {
      this.#stopped = true;
      unsubscribe();
      this.#timer?.cancel();
      this.#timer = null;
      this.#o.logger.info("Shutting down bootstrap token cleaner");
    };
    if (signal.aborted) stop();
    else signal.addEventListener("abort", stop, { once: true });
    this.#arm();
  }

  /** Resolves once no delete is in flight (for tests and shutdown). */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight);
  }

  /** When the next check is due (ms since the epoch), or null when no token expires. */
  get nextDueMs(): number | null {
    return this.#nextDue();
  }

  #keyOf(obj: KubeObject): string {
    return `${obj.metadata?.namespace ?? ""}/${obj.metadata?.name ?? ""}`;
  }

  /** Updates what is tracked for `obj`; whether anything changed. */
  #track(obj: KubeObject): boolean {
    const key = this.#keyOf(obj);
    const meta = obj.metadata;
    const expiryMs = obj.type === BOOTSTRAP_TOKEN_SECRET_TYPE &&
        meta?.namespace === BOOTSTRAP_TOKEN_NAMESPACE && !meta.deletionTimestamp
      ? bootstrapTokenExpiryMs(obj)
      : null;
    if (expiryMs === null) return this.#tracked.delete(key);
    const old = this.#tracked.get(key);
    if (old && old.uid === (meta?.uid ?? "") && old.expiryMs === expiryMs) return false;
    this.#tracked.set(key, {
      namespace: meta!.namespace!,
      name: meta!.name ?? "",
      uid: meta?.uid ?? "",
      expiryMs,
      pending: false,
      retryAtMs: -Infinity,
      failures: 0,
    });
    return true;
  }

  #onChange(c: ViewChange): void {
    const changed = c.type === "deleted"
      ? this.#tracked.delete(this.#keyOf(c.object))
      : this.#track(c.object);
    if (changed) this.#arm();
  }

  #nextDue(): number | null {
    let due: number | null = null;
    for (const t of this.#tracked.values()) {
      if (t.pending) continue;
      const at = Math.max(t.expiryMs, t.retryAtMs);
      if (due === null || at < due) due = at;
    }
    return due;
  }

  #arm(): void {
    if (this.#stopped || !this.#client) return;
    this.#timer?.cancel();
    this.#timer = null;
    const due = this.#nextDue();
    if (due === null) return;
    this.#timer = setTimeoutAt(this.#o.clock, { atMs: due, run: () => this.#sweep() });
  }

  #sweep(): void {
    this.#timer = null;
    if (this.#stopped) return;
    const now = this.#o.clock.now();
    for (const [key, t] of this.#tracked) {
      if (t.pending || Math.max(t.expiryMs, t.retryAtMs) > now) continue;
      t.pending = true;
      const p = this.#delete(key, t).finally(() => this.#inFlight.delete(p));
      this.#inFlight.add(p);
    }
    this.#arm();
  }

  async #delete(key: string, t: Tracked): Promise<void> {
    const { logger } = this.#o;
    logger.debug("Deleting expired bootstrap token", { secret: key });
    let status = 0;
    let failure: unknown = null;
    try {
      const res = await this.#client!.request(
        "DELETE",
        `/api/v1/namespaces/${encodeURIComponent(t.namespace)}/secrets/${
          encodeURIComponent(t.name)
        }`,
        {
          body: {
            apiVersion: "v1",
            kind: "DeleteOptions",
            ...(t.uid ? { preconditions: { uid: t.uid } } : {}),
          },
        },
      );
      status = res.status;
      await res.body?.cancel();
    } catch (err) {
      failure = err;
    }
    // Deleted, already gone, or replaced by another Secret (the uid precondition failed): the
    // view's next event says what to track.
    if (failure === null && ((status >= 200 && status < 300) || status === 404 || status === 409)) {
      return;
    }
    if (this.#tracked.get(key) !== t) return;
    t.failures++;
    t.retryAtMs = this.#o.clock.now() +
      Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(t.failures - 1, 20));
    t.pending = false;
    logger.warn("Cannot delete expired bootstrap token", {
      secret: key,
      ...(failure ? { error: failure } : { status }),
    });
    this.#arm();
  }
}
