/**
 * Rate limits of NoExecute tainting, per zone (upstream `RateLimitedTimedQueue` with a token
 * bucket of burst 1 per zone, and `ComputeZoneState`).
 *
 * {@linkcode ZoneTainter} holds the nodes waiting to be tainted, first come first served, one
 * FIFO per zone. Each zone has a token bucket (`qps` tokens a second, at most one stored): a
 * node is granted (`onGrant(node)`) when a token is there; otherwise one timer waits for the
 * next token. Nothing waits, no timer runs. A `qps` of 0 grants nothing (a zone, or the
 * whole cluster, in disruption).
 *
 * @module
 */
import { type Clock, setTimeoutAt, type TimerHandle } from "../util/clock.ts";

/** The states of a zone (upstream `ZoneState`). */
export type ZoneState = "Initial" | "Normal" | "PartialDisruption" | "FullDisruption";

/**
 * The state of a zone with `ready` Ready nodes and `notReady` others: FullDisruption when
 * none is ready, PartialDisruption when more than 2 are not ready and they are at least
 * `unhealthyThreshold` of the zone, Normal otherwise.
 */
export function computeZoneState(
  counts: { readonly ready: number; readonly notReady: number },
  unhealthyThreshold: number,
): ZoneState {
  const { ready, notReady } = counts;
  if (ready === 0 && notReady > 0) return "FullDisruption";
  if (notReady > 2 && notReady / (notReady + ready) >= unhealthyThreshold) {
    return "PartialDisruption";
  }
  return "Normal";
}

/** Float slack: a bucket refilled to 0.9999999 holds its token. */
const EPSILON = 1e-9;

/** A token bucket holding at most one token (upstream `EvictionRateLimiterBurst`). */
class TokenBucket {
  readonly qps: number;
  #tokens: number;
  #lastMs: number;

  constructor(qps: number, at: { readonly nowMs: number; readonly full: boolean }) {
    this.qps = qps;
    this.#tokens = at.full ? 1 : 0;
    this.#lastMs = at.nowMs;
  }

  #refill(nowMs: number): void {
    const elapsedMs = Math.max(0, nowMs - this.#lastMs);
    this.#tokens = Math.min(1, this.#tokens + (elapsedMs * this.qps) / 1000);
    this.#lastMs = nowMs;
  }

  /** Whether a token is stored at `nowMs`. */
  full(nowMs: number): boolean {
    this.#refill(nowMs);
    return this.#tokens >= 1 - EPSILON;
  }

  tryAccept(nowMs: number): boolean {
    if (this.qps <= 0) return false;
    this.#refill(nowMs);
    if (this.#tokens < 1 - EPSILON) return false;
    this.#tokens = Math.max(0, this.#tokens - 1);
    return true;
  }

  /** When the next token is there (`Infinity` at 0 qps). */
  nextTokenMs(nowMs: number): number {
    if (this.qps <= 0) return Infinity;
    this.#refill(nowMs);
    return this.#tokens >= 1 - EPSILON
      ? nowMs
      : nowMs + Math.ceil(((1 - this.#tokens) * 1000) / this.qps);
  }
}

interface Zone {
  bucket: TokenBucket;
  /** Waiting nodes, in arrival order. */
  readonly pending: Set<string>;
  timer: TimerHandle | undefined;
}

/** Options of {@linkcode ZoneTainter}. */
export interface ZoneTainterOptions {
  readonly clock: Clock;
  /** Tokens per second of a new zone. */
  readonly qps: number;
  /** Called when `node` may be tainted now (once per grant). */
  readonly onGrant: (node: string) => void;
}

/** Per-zone rate-limited queues of nodes to taint. */
export class ZoneTainter {
  readonly #clock: Clock;
  readonly #defaultQps: number;
  readonly #onGrant: (node: string) => void;
  readonly #zones = new Map<string, Zone>();
  readonly #zoneOf = new Map<string, string>();

  constructor(options: ZoneTainterOptions) {
    this.#clock = options.clock;
    this.#defaultQps = options.qps;
    this.#onGrant = options.onGrant;
  }

  #zone(key: string): Zone {
    let zone = this.#zones.get(key);
    if (!zone) {
      zone = {
        bucket: new TokenBucket(this.#defaultQps, { nowMs: this.#clock.now(), full: true }),
        pending: new Set(),
        timer: undefined,
      };
      this.#zones.set(key, zone);
    }
    return zone;
  }

  /** Queues `node` of zone `zone` (no-op if it waits already; moves it if its zone changed). */
  add(zone: string, node: string): void {
    const was = this.#zoneOf.get(node);
    if (was === zone) return;
    if (was !== undefined) this.remove(node);
    this.#zoneOf.set(node, zone);
    this.#zone(zone).pending.add(node);
    this.#drain(zone);
  }

  /** Drops `node` from its queue; returns whether it was waiting. */
  remove(node: string): boolean {
    const zoneKey = this.#zoneOf.get(node);
    if (zoneKey === undefined) return false;
    this.#zoneOf.delete(node);
    const zone = this.#zones.get(zoneKey);
    zone?.pending.delete(node);
    if (zone && zone.pending.size === 0) this.#disarm(zone);
    return true;
  }

  /** Whether `node` waits. */
  has(node: string): boolean {
    return this.#zoneOf.has(node);
  }

  /** The nodes waiting in `zone`, first first. */
  pending(zone: string): string[] {
    return [...(this.#zones.get(zone)?.pending ?? [])];
  }

  /** The rate of `zone`. */
  qps(zone: string): number {
    return this.#zone(zone).bucket.qps;
  }

  /**
   * Sets the rate of `zone` (upstream `SwapLimiter`): a new bucket, which starts with a token
   * only if the old one had one stored.
   */
  setQps(zone: string, qps: number): void {
    const z = this.#zone(zone);
    if (z.bucket.qps === qps) return;
    const nowMs = this.#clock.now();
    z.bucket = new TokenBucket(qps, { nowMs, full: z.bucket.full(nowMs) });
    this.#disarm(z);
    this.#drain(zone);
  }

  /** Cancels every timer. */
  stop(): void {
    for (const zone of this.#zones.values()) this.#disarm(zone);
  }

  #disarm(zone: Zone): void {
    zone.timer?.cancel();
    zone.timer = undefined;
  }

  #drain(key: string): void {
    const zone = this.#zones.get(key);
    if (!zone) return;
    while (zone.pending.size > 0) {
      const nowMs = this.#clock.now();
      if (!zone.bucket.tryAccept(nowMs)) {
        const atMs = zone.bucket.nextTokenMs(nowMs);
        if (zone.timer === undefined && Number.isFinite(atMs)) {
          zone.timer = setTimeoutAt(this.#clock, {
            atMs,
            run: () => {
              zone.timer = undefined;
              this.#drain(key);
            },
          });
        }
        return;
      }
      const node = zone.pending.values().next().value as string;
      zone.pending.delete(node);
      this.#zoneOf.delete(node);
      this.#onGrant(node);
    }
    this.#disarm(zone);
  }
}
