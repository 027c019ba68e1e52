/**
 * Controller expectations, as upstream's `UIDTrackingControllerExpectations`: what a
 * controller has asked the API server to create and delete and has not yet seen in its
 * informer's cache. While a controller's expectations for a key are neither fulfilled nor
 * expired, it must not create or delete anything more for that key: its cache lags behind its
 * own writes, and acting on it would create or delete twice.
 *
 * - {@linkcode ControllerExpectations.expectCreations} / `expectDeletions` set the counts
 *   (replacing earlier ones) and stamp the time; deletions remember which pods (`ns/name`), so a
 *   pod seen first with a deletionTimestamp and then deleted counts once.
 * - The informer's handlers lower them: {@linkcode ControllerExpectations.creationObserved},
 *   {@linkcode ControllerExpectations.deletionObserved}.
 * - {@linkcode ControllerExpectations.satisfied} is true when both counts are ≤ 0, when they
 *   were set more than 5 minutes ago (a lost watch event must not stall the controller
 *   forever), or when none were set.
 *
 * @example Wait for the pods a sync created
 * ```ts
 * import assert from "node:assert/strict";
 * import { FakeClock } from "../util/clock.ts";
 * import { ControllerExpectations } from "./expectations.ts";
 *
 * const expectations = new ControllerExpectations({ clock: new FakeClock() });
 * expectations.expectCreations("default/web", 2);
 * assert.equal(expectations.satisfied("default/web"), false);
 * expectations.creationObserved("default/web");
 * expectations.creationObserved("default/web");
 * assert.equal(expectations.satisfied("default/web"), true);
 * ```
 *
 * @module
 */
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";

/** How long expectations hold before a controller acts anyway (upstream 5 minutes). */
export const EXPECTATIONS_TIMEOUT_MS = 5 * 60 * 1000;

/** Options of {@linkcode ControllerExpectations}. */
export interface ControllerExpectationsOptions {
  readonly clock: Clock;
  readonly logger?: Logger;
  /** @default {EXPECTATIONS_TIMEOUT_MS} */
  readonly timeoutMs?: number | undefined;
}

/** The expectations of one key. */
export interface Expectation {
  /** Creations still expected (≤ 0: none). */
  readonly add: number;
  /** Deletions still expected (≤ 0: none). */
  readonly del: number;
  /** When they were set. */
  readonly timestampMs: number;
}

interface Entry {
  add: number;
  del: number;
  timestampMs: number;
}

/** The creations and deletions each controller key still expects to observe. */
export class ControllerExpectations {
  readonly #clock: Clock;
  readonly #logger: Logger | undefined;
  readonly #timeoutMs: number;
  readonly #entries = new Map<string, Entry>();
  /** Per key: the pods (`ns/name`) whose deletion is expected. */
  readonly #deletions = new Map<string, Set<string>>();

  constructor(options: ControllerExpectationsOptions) {
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#timeoutMs = options.timeoutMs ?? EXPECTATIONS_TIMEOUT_MS;
  }

  /** The expectations of `key`, if any are recorded. */
  get(key: string): Expectation | undefined {
    const e = this.#entries.get(key);
    return e ? { add: e.add, del: e.del, timestampMs: e.timestampMs } : undefined;
  }

  /** The pods whose deletion `key` still expects. */
  expectedDeletions(key: string): string[] {
    return [...(this.#deletions.get(key) ?? [])];
  }

  /** Whether the controller may act on `key`: fulfilled, expired, or never set. */
  satisfied(key: string): boolean {
    const e = this.#entries.get(key);
    if (!e) return true;
    if (e.add <= 0 && e.del <= 0) return true;
    if (this.#clock.now() - e.timestampMs > this.#timeoutMs) {
      this.#logger?.debug("Controller expectations expired", { key, add: e.add, del: e.del });
      return true;
    }
    this.#logger?.debug("Controller still waiting on expectations", {
      key,
      add: e.add,
      del: e.del,
    });
    return false;
  }

  /** Replaces the expectations of `key` with `adds` creations (and no deletions). */
  expectCreations(key: string, adds: number): void {
    this.#set(key, { add: adds, del: 0 });
  }

  /** Replaces the expectations of `key` with the deletion of `podKeys` (`ns/name` each). */
  expectDeletions(key: string, podKeys: readonly string[]): void {
    const existing = this.#deletions.get(key);
    if (existing && existing.size > 0) {
      this.#logger?.warn("Clobbering existing delete keys", { key, keys: [...existing] });
    }
    const keys = new Set(podKeys);
    this.#deletions.set(key, keys);
    this.#set(key, { add: 0, del: keys.size });
  }

  /** One expected creation was observed (or will never happen). */
  creationObserved(key: string): void {
    this.lower(key, { add: 1, del: 0 });
  }

  /** The pod `podKey` was seen deleted (or being deleted); counts once per expected pod. */
  deletionObserved(key: string, podKey: string): void {
    const keys = this.#deletions.get(key);
    if (!keys || !keys.delete(podKey)) return;
    this.lower(key, { add: 0, del: 1 });
  }

  /** Lowers the counts of `key` (if it has expectations). */
  lower(key: string, by: { readonly add: number; readonly del: number }): void {
    const e = this.#entries.get(key);
    if (!e) return;
    e.add -= by.add;
    e.del -= by.del;
  }

  /** Raises the counts of `key` (if it has expectations). */
  raise(key: string, by: { readonly add: number; readonly del: number }): void {
    const e = this.#entries.get(key);
    if (!e) return;
    e.add += by.add;
    e.del += by.del;
  }

  /** Forgets `key` (its object was deleted; a new one of that name starts clean). */
  delete(key: string): void {
    this.#entries.delete(key);
    this.#deletions.delete(key);
  }

  #set(key: string, counts: { readonly add: number; readonly del: number }): void {
    this.#entries.set(key, { ...counts, timestampMs: this.#clock.now() });
    this.#logger?.debug("Setting expectations", { key, ...counts });
  }
}
