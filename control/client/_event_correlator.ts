/**
 * What the event broadcaster does to an event before it writes it, as client-go's
 * `EventCorrelator`: aggregation of similar events, de-duplication of identical ones into a
 * count, and a per-object spam filter.
 *
 * - Similar events (same source, object, type, reason and reporter; any message) seen 10 times
 *   within 10 minutes of each other become one event whose message starts with
 *   `(combined from similar events): `.
 * - An identical event (same source, object, type, reason and message) seen before becomes a
 *   PATCH of the earlier event's `count`, `lastTimestamp` and `message`.
 * - Each source + object may write 25 events at once, then one more every 5 minutes; the rest
 *   are dropped.
 *
 * Caches are LRUs of 4096 entries each, so memory stays bounded.
 *
 * @module
 */
import type { Event } from "../api/types/core_v1_event.ts";

/** Options of {@linkcode EventCorrelator}; the defaults are client-go's. */
export interface EventCorrelatorOptions {
  /** @default {4096} */
  readonly cacheSize?: number;
  /** Events a source may write about one object at once. @default {25} */
  readonly spamBurst?: number;
  /** Refill of that budget, events per second. @default {1 / 300} */
  readonly spamQps?: number;
  /** Distinct messages of similar events before they are combined. @default {10} */
  readonly aggregateMaxEvents?: number;
  /** How long similar events are remembered after the last one. @default {600_000} */
  readonly aggregateIntervalMs?: number;
}

/** What to write for one event. */
export type CorrelateResult =
  | { readonly skip: true }
  | {
    readonly skip: false;
    /** The event to write (create, or the full event when a patch finds nothing). */
    readonly event: Event;
    /** Set when an earlier event should be patched instead of creating a new one. */
    readonly patch?: {
      readonly count: number;
      readonly lastTimestamp: string;
      readonly message?: string;
    };
  };

/** What is remembered of an event written before. */
interface EventLog {
  readonly count: number;
  readonly firstTimestamp: string | undefined;
  readonly name: string;
  readonly resourceVersion: string | undefined;
}

interface AggregateRecord {
  readonly messages: Set<string>;
  lastMs: number;
}

/** A least-recently-used map of bounded size. */
class Lru<V> {
  readonly #max: number;
  readonly #map = new Map<string, V>();

  constructor(max: number) {
    this.#max = max;
  }

  get(key: string): V | undefined {
    const value = this.#map.get(key);
    if (value !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, value);
    }
    return value;
  }

  set(key: string, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    if (this.#map.size > this.#max) {
      const oldest = this.#map.keys().next();
      if (!oldest.done) this.#map.delete(oldest.value);
    }
  }
}

/** A token bucket that answers "may I, now?" (golang.org/x/time/rate `Allow`). */
class TokenBucket {
  readonly #burst: number;
  readonly #perMs: number;
  #tokens: number;
  #lastMs: number;

  constructor(burst: number, qps: number, nowMs: number) {
    this.#burst = burst;
    this.#perMs = qps / 1000;
    this.#tokens = burst;
    this.#lastMs = nowMs;
  }

  tryAccept(nowMs: number): boolean {
    const elapsed = Math.max(0, nowMs - this.#lastMs);
    this.#lastMs = nowMs;
    this.#tokens = Math.min(this.#burst, this.#tokens + elapsed * this.#perMs);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

function sourceAndObject(event: Event): string[] {
  const ref = event.involvedObject ?? {};
  return [
    event.source?.component ?? "",
    event.source?.host ?? "",
    ref.kind ?? "",
    ref.namespace ?? "",
    ref.name ?? "",
  ];
}

/** The identity of an event for de-duplication (client-go's `getEventKey`). */
export function eventKey(event: Event): string {
  const ref = event.involvedObject ?? {};
  return JSON.stringify([
    ...sourceAndObject(event),
    ref.fieldPath ?? "",
    ref.uid ?? "",
    ref.apiVersion ?? "",
    event.type ?? "",
    event.reason ?? "",
    event.message ?? "",
  ]);
}

function spamKey(event: Event): string {
  const ref = event.involvedObject ?? {};
  return JSON.stringify([...sourceAndObject(event), ref.uid ?? "", ref.apiVersion ?? ""]);
}

function aggregateKey(event: Event): string {
  const ref = event.involvedObject ?? {};
  return JSON.stringify([
    ...sourceAndObject(event),
    ref.uid ?? "",
    ref.apiVersion ?? "",
    event.type ?? "",
    event.reason ?? "",
    event.reportingComponent ?? "",
    event.reportingInstance ?? "",
  ]);
}

/** The prefix of the message of combined similar events. */
export const COMBINED_MESSAGE_PREFIX = "(combined from similar events): ";

/** Filters, aggregates and counts events (one per broadcaster; not shared across processes). */
export class EventCorrelator {
  readonly #spamBurst: number;
  readonly #spamQps: number;
  readonly #maxEvents: number;
  readonly #intervalMs: number;
  readonly #spam: Lru<TokenBucket>;
  readonly #aggregates: Lru<AggregateRecord>;
  readonly #logs: Lru<EventLog>;

  constructor(options: EventCorrelatorOptions = {}) {
    const size = options.cacheSize ?? 4096;
    this.#spamBurst = options.spamBurst ?? 25;
    this.#spamQps = options.spamQps ?? 1 / 300;
    this.#maxEvents = options.aggregateMaxEvents ?? 10;
    this.#intervalMs = options.aggregateIntervalMs ?? 600_000;
    this.#spam = new Lru(size);
    this.#aggregates = new Lru(size);
    this.#logs = new Lru(size);
  }

  /**
   * Decides what to write for `event` at `nowMs`. `newName` names a combined event (it gets
   * a fresh name, as upstream). `timestamp` is `nowMs` as an RFC 3339 time.
   */
  correlate(
    event: Event,
    context: { readonly nowMs: number; readonly timestamp: string; readonly newName: string },
  ): CorrelateResult {
    const { event: aggregated, key } = this.#aggregate(event, context);
    const observed = this.#observe(aggregated, key);
    let bucket = this.#spam.get(spamKey(observed.event));
    if (!bucket) bucket = new TokenBucket(this.#spamBurst, this.#spamQps, context.nowMs);
    this.#spam.set(spamKey(observed.event), bucket);
    if (!bucket.tryAccept(context.nowMs)) return { skip: true };
    return { skip: false, ...observed };
  }

  /** Remembers the server's copy of a written event (its name, resourceVersion and count). */
  updateState(written: Event): void {
    this.#logs.set(eventKey(written), {
      count: written.count ?? 1,
      firstTimestamp: written.firstTimestamp,
      name: written.metadata?.name ?? "",
      resourceVersion: written.metadata?.resourceVersion,
    });
  }

  #aggregate(
    event: Event,
    context: { readonly nowMs: number; readonly timestamp: string; readonly newName: string },
  ): { event: Event; key: string } {
    const groupKey = aggregateKey(event);
    let record = this.#aggregates.get(groupKey);
    if (!record || context.nowMs - record.lastMs > this.#intervalMs) {
      record = { messages: new Set(), lastMs: context.nowMs };
    }
    record.messages.add(event.message ?? "");
    record.lastMs = context.nowMs;
    this.#aggregates.set(groupKey, record);
    if (record.messages.size < this.#maxEvents) return { event, key: eventKey(event) };
    // Keep the set at the threshold: every later similar event stays combined.
    const first = record.messages.values().next();
    if (!first.done) record.messages.delete(first.value);
    const combined: Event = {
      metadata: { name: context.newName, namespace: event.metadata?.namespace ?? "" },
      involvedObject: event.involvedObject,
      reason: event.reason ?? "",
      message: COMBINED_MESSAGE_PREFIX + (event.message ?? ""),
      source: event.source ?? {},
      firstTimestamp: context.timestamp,
      lastTimestamp: context.timestamp,
      count: 1,
      type: event.type ?? "",
    };
    if (event.apiVersion !== undefined) combined.apiVersion = event.apiVersion;
    if (event.kind !== undefined) combined.kind = event.kind;
    return { event: combined, key: groupKey };
  }

  #observe(
    event: Event,
    key: string,
  ): { event: Event; patch?: { count: number; lastTimestamp: string; message?: string } } {
    const last = this.#logs.get(key);
    let out = event;
    let patch: { count: number; lastTimestamp: string; message?: string } | undefined;
    if (last && last.count > 0) {
      const metadata = { ...event.metadata, name: last.name };
      if (last.resourceVersion !== undefined) metadata.resourceVersion = last.resourceVersion;
      out = { ...event, metadata, count: last.count + 1 };
      if (last.firstTimestamp !== undefined) out.firstTimestamp = last.firstTimestamp;
      patch = { count: out.count!, lastTimestamp: out.lastTimestamp ?? "" };
      if (out.message) patch.message = out.message;
    }
    this.#logs.set(key, {
      count: out.count ?? 1,
      firstTimestamp: out.firstTimestamp,
      name: out.metadata?.name ?? "",
      resourceVersion: out.metadata?.resourceVersion,
    });
    return patch ? { event: out, patch } : { event: out };
  }
}
