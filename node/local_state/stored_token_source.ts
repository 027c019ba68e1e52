/**
 * A {@linkcode ServiceAccountTokenSource} that keeps every token it hands out in the local
 * state store, and answers from the store when the source it wraps fails (the control plane is
 * unreachable) while the stored token has not expired — so that pods restarted without the
 * API still get a token the API accepts once it is back, if it has not expired.
 *
 * @example Fall back to the stored token
 * ```ts ignore
 * const tokens = new StoredTokenSource({ source: tokenManager, store, clock });
 * const volumes = new VolumeManager({ ..., tokens });
 * ```
 *
 * @module
 */
import type { TokenRequest, TokenRequestSpec } from "../../control/api/types/authentication_v1.ts";
import { type Clock, systemClock } from "../../control/util/clock.ts";
import type { ServiceAccountTokenSource } from "../volumes/volume_manager.ts";
import type { LocalStateStore } from "./local_state_store.ts";

/** Options of {@linkcode StoredTokenSource}. */
export interface StoredTokenSourceOptions {
  /** Where tokens come from while the API answers (the `TokenManager`). */
  readonly source: ServiceAccountTokenSource;
  readonly store: LocalStateStore;
  /** @default {systemClock} */
  readonly clock?: Clock;
}

/** Tokens from a source, kept in and, when the source fails, served from the local store. */
export class StoredTokenSource implements ServiceAccountTokenSource {
  readonly #source: ServiceAccountTokenSource;
  readonly #store: LocalStateStore;
  readonly #clock: Clock;

  constructor(options: StoredTokenSourceOptions) {
    this.#source = options.source;
    this.#store = options.store;
    this.#clock = options.clock ?? systemClock;
  }

  async getServiceAccountToken(
    namespace: string,
    name: string,
    spec: TokenRequestSpec,
  ): Promise<TokenRequest> {
    let issued: TokenRequest;
    try {
      issued = await this.#source.getServiceAccountToken(namespace, name, spec);
    } catch (err) {
      const stored = this.#store.token({ namespace, name, spec });
      const expires = Date.parse(stored?.status?.expirationTimestamp ?? "");
      if (stored && Number.isFinite(expires) && this.#clock.now() < expires) return stored;
      throw err;
    }
    if (issued.status) {
      this.#store.putToken({ namespace, name, spec, status: issued.status });
    }
    return issued;
  }

  deleteServiceAccountTokens(podUid: string): void {
    this.#source.deleteServiceAccountTokens(podUid);
  }
}
