/**
 * Projected ServiceAccount tokens, as the kubelet's token manager keeps them: one cached
 * TokenRequest per (service account, namespace, audiences, expiration, bound object), requested
 * through an injected call (`POST serviceaccounts/<name>/token`) and refreshed once 80 % of its
 * lifetime has passed or it is 24 hours old (each less a jitter of up to 10 s, so that pods
 * started together do not refresh together). One timer on the injected clock refreshes the next
 * token due; listeners hear of each refresh so the volumes holding it are rewritten. A failed
 * refresh keeps the old token while it is valid and retries.
 *
 * @example Request a token once, then serve it from the cache
 * ```ts
 * import assert from "node:assert/strict";
 * import { FakeClock } from "../../control/util/clock.ts";
 * import { RecordingLogger } from "../../control/util/logger.ts";
 * import { TokenManager } from "./token_manager.ts";
 *
 * const clock = new FakeClock(0);
 * let calls = 0;
 * const tokens = new TokenManager({
 *   clock,
 *   logger: new RecordingLogger(),
 *   requestToken: ({ spec }) => {
 *     calls++;
 *     const expires = clock.now() + (spec.expirationSeconds ?? 3600) * 1000;
 *     return Promise.resolve({
 *       spec,
 *       status: { token: `t${calls}`, expirationTimestamp: new Date(expires).toISOString() },
 *     });
 *   },
 * });
 * const spec = { expirationSeconds: 3600 };
 * assert.equal((await tokens.getServiceAccountToken("default", "web", spec)).status?.token, "t1");
 * assert.equal((await tokens.getServiceAccountToken("default", "web", spec)).status?.token, "t1");
 * tokens.close();
 * ```
 *
 * @module
 */
import {
  type Clock,
  setTimeoutAt,
  systemClock,
  type TimerHandle,
} from "../../control/util/clock.ts";
import type { Logger } from "../../control/util/logger.ts";
import {
  DEFAULT_TOKEN_EXPIRATION_SECONDS,
  type TokenRequest,
  type TokenRequestSpec,
} from "../../control/api/types/authentication_v1.ts";

/** A token older than this is refreshed whatever its lifetime (upstream's `maxTTL`). */
export const MAX_TOKEN_AGE_MS = 24 * 60 * 60 * 1000;
/** The most a refresh is moved earlier at random (upstream's `maxJitter`). */
export const MAX_TOKEN_REFRESH_JITTER_MS = 10_000;

/** What the injected call is asked for. */
export interface ServiceAccountTokenRequest {
  readonly namespace: string;
  /** The service account. */
  readonly name: string;
  readonly spec: TokenRequestSpec;
}

/** Options of {@linkcode TokenManager}. */
export interface TokenManagerOptions {
  /** Creates a token: `POST /api/v1/namespaces/<ns>/serviceaccounts/<name>/token`. */
  readonly requestToken: (request: ServiceAccountTokenRequest) => Promise<TokenRequest>;
  readonly logger: Logger;
  /** @default {systemClock} */
  readonly clock?: Clock;
  /** A number in [0, 1) for the jitter. @default {Math.random} */
  readonly random?: () => number;
  /** How long after a failed refresh the next attempt is made. @default {30000} */
  readonly retryDelayMs?: number;
}

/** What listeners of {@linkcode TokenManager.onRefreshed} are told. */
export interface TokenRefresh {
  readonly namespace: string;
  readonly name: string;
  /** The pod (or other object) the token is bound to, if any. */
  readonly boundObjectUid?: string;
  /** The cache key (safe to log: no token in it). */
  readonly key: string;
}

interface Entry {
  readonly namespace: string;
  readonly name: string;
  readonly spec: TokenRequestSpec;
  request: TokenRequest;
  /** Clock time after which the token needs a refresh (jitter included). */
  refreshAtMs: number;
  expiresAtMs: number;
  /** Clock time of the next timed attempt (a refresh or a retry). */
  nextAttemptMs: number;
}

/** The cache key of upstream's `keyFunc`: name, namespace, audiences, expiration, bound object. */
function keyOf(namespace: string, name: string, spec: TokenRequestSpec): string {
  const ref = spec.boundObjectRef;
  return JSON.stringify([
    name,
    namespace,
    spec.audiences ?? [],
    spec.expirationSeconds ?? 0,
    ref ? [ref.kind ?? "", ref.apiVersion ?? "", ref.name ?? "", ref.uid ?? ""] : null,
  ]);
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Caches and refreshes ServiceAccount tokens for projected volumes. */
export class TokenManager {
  readonly #requestToken: (request: ServiceAccountTokenRequest) => Promise<TokenRequest>;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #retryDelayMs: number;
  readonly #cache = new Map<string, Entry>();
  readonly #inFlight = new Map<string, Promise<TokenRequest>>();
  readonly #listeners = new Set<(refresh: TokenRefresh) => void>();
  #timer: TimerHandle | undefined;
  #timerAtMs = Infinity;
  #closed = false;

  constructor(options: TokenManagerOptions) {
    this.#requestToken = options.requestToken;
    this.#logger = options.logger;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#retryDelayMs = options.retryDelayMs ?? 30_000;
  }

  /** The number of cached tokens. */
  get size(): number {
    return this.#cache.size;
  }

  /**
   * A valid token for the service account `name` in `namespace`: the cached one unless it
   * needs a refresh, else a new one. When a refresh fails, the cached token is returned while
   * it has not expired. Rejects with upstream's messages (`failed to fetch token: …`,
   * `token <key> expired and refresh failed: …`).
   */
  async getServiceAccountToken(
    namespace: string,
    name: string,
    spec: TokenRequestSpec,
  ): Promise<TokenRequest> {
    const key = keyOf(namespace, name, spec);
    const cached = this.#cache.get(key);
    if (cached && this.#clock.now() <= cached.refreshAtMs) return cached.request;
    return await this.#refresh(key, { namespace, name, spec });
  }

  /** Forgets the tokens bound to the object with `uid` (a pod that is gone). */
  deleteServiceAccountTokens(uid: string): void {
    for (const [key, entry] of this.#cache) {
      if (entry.spec.boundObjectRef?.uid === uid) this.#cache.delete(key);
    }
    this.#schedule();
  }

  /** Calls `listener` after each timed refresh; returns a function that unsubscribes. */
  onRefreshed(listener: (refresh: TokenRefresh) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stops the refresh timer; cached tokens stay readable, no timer is set again. */
  close(): void {
    this.#closed = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#timerAtMs = Infinity;
  }

  #refresh(
    key: string,
    request: { namespace: string; name: string; spec: TokenRequestSpec },
  ): Promise<TokenRequest> {
    const running = this.#inFlight.get(key);
    if (running) return running;
    const run = this.#fetch(key, request).finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, run);
    return run;
  }

  async #fetch(
    key: string,
    request: { namespace: string; name: string; spec: TokenRequestSpec },
  ): Promise<TokenRequest> {
    const cached = this.#cache.get(key);
    let issued: TokenRequest;
    try {
      issued = await this.#requestToken(request);
      if (!issued.status?.token || !issued.status.expirationTimestamp) {
        throw new Error("the TokenRequest answer has no token or expirationTimestamp");
      }
    } catch (err) {
      const now = this.#clock.now();
      if (!cached) throw new Error(`failed to fetch token: ${errorMessage(err)}`, { cause: err });
      if (now > cached.expiresAtMs) {
        this.#cache.delete(key);
        this.#schedule();
        throw new Error(`token ${key} expired and refresh failed: ${errorMessage(err)}`, {
          cause: err,
        });
      }
      this.#logger.warn("Couldn't update token", { cacheKey: key, error: err });
      cached.nextAttemptMs = Math.min(now + this.#retryDelayMs, cached.expiresAtMs + 1);
      this.#schedule();
      return cached.request;
    }
    // A refresh of a token that was deleted meanwhile (its pod is gone) does not bring it back.
    if (!cached || this.#cache.get(key) === cached) this.#set(key, request, issued);
    return issued;
  }

  #set(
    key: string,
    request: { namespace: string; name: string; spec: TokenRequestSpec },
    issued: TokenRequest,
  ): void {
    const expiresAtMs = Date.parse(issued.status?.expirationTimestamp ?? "");
    const seconds = issued.spec.expirationSeconds ?? request.spec.expirationSeconds ??
      DEFAULT_TOKEN_EXPIRATION_SECONDS;
    // Upstream takes the issue time as expiry minus the requested lifetime.
    const issuedAtMs = expiresAtMs - seconds * 1000;
    const jitterMs = Math.floor(this.#random() * (MAX_TOKEN_REFRESH_JITTER_MS / 1000)) * 1000;
    const refreshAtMs = Math.min(
      issuedAtMs + MAX_TOKEN_AGE_MS,
      expiresAtMs - Math.floor((seconds * 20) / 100) * 1000,
    ) - jitterMs;
    this.#cache.set(key, {
      namespace: request.namespace,
      name: request.name,
      spec: request.spec,
      request: issued,
      refreshAtMs,
      expiresAtMs,
      nextAttemptMs: refreshAtMs + 1,
    });
    this.#schedule();
  }

  /** Sets the one timer for the earliest attempt due. */
  #schedule(): void {
    if (this.#closed) return;
    let next = Infinity;
    for (const entry of this.#cache.values()) next = Math.min(next, entry.nextAttemptMs);
    if (next === this.#timerAtMs) return;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#timerAtMs = next;
    if (next === Infinity) return;
    this.#timer = setTimeoutAt(this.#clock, {
      atMs: next,
      run: () => {
        this.#timer = undefined;
        this.#timerAtMs = Infinity;
        this.#onTimer();
      },
    });
  }

  #onTimer(): void {
    const now = this.#clock.now();
    for (const [key, entry] of this.#cache) {
      if (entry.nextAttemptMs > now) continue;
      // No timer for this entry until the attempt settles.
      entry.nextAttemptMs = Infinity;
      const { namespace, name, spec } = entry;
      this.#refresh(key, { namespace, name, spec }).then((issued) => {
        if (issued !== entry.request) this.#notify(key, entry);
      }, (err) => {
        this.#logger.error("Token expired and could not be refreshed", {
          cacheKey: key,
          error: err,
        });
      });
    }
    this.#schedule();
  }

  #notify(key: string, entry: Entry): void {
    const uid = entry.spec.boundObjectRef?.uid;
    const refresh: TokenRefresh = {
      namespace: entry.namespace,
      name: entry.name,
      key,
      ...(uid === undefined ? {} : { boundObjectUid: uid }),
    };
    for (const listener of this.#listeners) {
      try {
        listener(refresh);
      } catch (err) {
        this.#logger.error("Token refresh listener failed", { cacheKey: key, error: err });
      }
    }
  }
}
