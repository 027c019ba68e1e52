/**
 * An `events.k8s.io/v1` event recorder that writes as client-go's `tools/events` broadcaster
 * does, so `kubectl get events` and `kubectl describe` show the scheduler's events as they show
 * kube-scheduler's:
 *
 * - an event is named `<regarding name>.<hex nanoseconds>`, in the regarding object's namespace
 *   (`default` when it has none), with `reportingController`, `reportingInstance`
 *   (`<controller>-<hostname>`), `action`, `reason`, `note`, `type` and `eventTime`;
 * - events with the same type, action, reason, reporter, regarding object (resourceVersion
 *   included) and related object are one series: the first is created, the second patches
 *   `series: {count: 2, lastObservedTime}` onto it, later ones only count in memory;
 * - every 6 minutes a series quiet for 6 minutes gets its final count written and is forgotten
 *   (a single event is forgotten after 6 minutes), and a series still going is written again
 *   every 30 minutes (events expire after an hour). No timer runs while nothing is remembered.
 *
 * Writes never block the caller; a write that gets no answer is retried (up to 12 tries, about
 * 10 s apart); one the server refuses is dropped with a log line. This keeps a pod that stays
 * unschedulable from writing an event per attempt, which matters on SD cards.
 *
 * @module
 */
import { formatMicroTime as microTime } from "../util/k8s_time.ts";
import type { ObjectReference } from "../api/types/core_v1_common.ts";
import type { Event } from "../api/types/events_v1.ts";
import type { KubeObject } from "../api/types/meta_v1.ts";
import type { Client, ResourceClient } from "../client/client.ts";
import { isAlreadyExists, isNotFound, RequestError } from "../client/errors.ts";
import { EVENTS } from "../client/resources.ts";
import type { Clock, TimerHandle } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";

/** client-go's `finishTime`: a series quiet this long is ended. */
export const SERIES_FINISH_MS = 6 * 60_000;
/** client-go's `refreshTime`: a running series is written again this often. */
export const SERIES_REFRESH_MS = 30 * 60_000;
/** client-go's `maxTriesPerEvent`. */
const MAX_TRIES = 12;
/** client-go's sleep between tries (jittered by up to 25%). */
const RETRY_SLEEP_MS = 10_000;
/** Writes waiting at once beyond which new events are dropped (client-go's `maxQueuedEvents`). */
const MAX_PENDING_WRITES = 1000;
/** The longest note the API accepts (`NoteLengthLimit`, bytes). */
export const NOTE_LENGTH_LIMIT = 1024;

/** `message` cut to the API's note limit with a trailing ` ...`, as kube-scheduler does. */
export function truncateNote(message: string): string {
  // A UTF-16 code unit takes at most 3 bytes of UTF-8: most notes need no encoding at all.
  if (message.length * 3 <= NOTE_LENGTH_LIMIT) return message;
  const bytes = new TextEncoder().encode(message);
  if (bytes.length <= NOTE_LENGTH_LIMIT) return message;
  const suffix = " ...";
  let cut = new TextDecoder().decode(bytes.slice(0, NOTE_LENGTH_LIMIT - suffix.length));
  // A multi-byte character split at the cut decodes as U+FFFD: drop it.
  if (cut.endsWith("\uFFFD")) cut = cut.slice(0, -1);
  return cut + suffix;
}

export { microTime };

/** A reference to `obj` as client-go's `GetReference` makes it (resourceVersion included). */
export function referenceTo(obj: KubeObject): ObjectReference {
  const meta = obj.metadata ?? {};
  // Set field by field, in this order (one object, not one per present field).
  const ref: { -readonly [K in keyof ObjectReference]: ObjectReference[K] } = {};
  if (obj.kind) ref.kind = obj.kind;
  if (meta.namespace) ref.namespace = meta.namespace;
  if (meta.name) ref.name = meta.name;
  if (meta.uid) ref.uid = meta.uid;
  if (obj.apiVersion) ref.apiVersion = obj.apiVersion;
  if (meta.resourceVersion) ref.resourceVersion = meta.resourceVersion;
  return ref;
}

/** The fields of a reference that tell events about different objects apart, in a fixed order. */
function referenceKey(ref: ObjectReference | undefined): (string | null)[] {
  if (ref === undefined) return [null];
  return [
    ref.kind ?? "",
    ref.namespace ?? "",
    ref.name ?? "",
    ref.uid ?? "",
    ref.apiVersion ?? "",
    ref.resourceVersion ?? "",
  ];
}

/** What one event says. */
export interface EventInit {
  readonly type: "Normal" | "Warning";
  /** Why, in CamelCase: `Scheduled`, `FailedScheduling`. */
  readonly reason: string;
  /** What was done or failed: `Binding`, `Scheduling`. */
  readonly action: string;
  /** The human-readable message (cut to 1024 bytes). */
  readonly note: string;
}

/** What {@linkcode EventRecorder} needs. */
export interface EventRecorderDeps {
  readonly client: Client;
  readonly clock: Clock;
  readonly logger: Logger;
  /** `reportingController`, e.g. the profile's scheduler name `default-scheduler`. */
  readonly reportingController: string;
  /** `reportingInstance`, e.g. `default-scheduler-edge-1`. */
  readonly reportingInstance: string;
  /** A random number in `[0, 1)` (retry jitter). @default {Math.random} */
  readonly random?: () => number;
}

interface Remembered {
  /** The event as last recorded: replaced on each repeat, never changed (writes keep theirs). */
  event: Event;
  /** When the event, or its series' latest occurrence, was observed. */
  observedMs: number;
  /** When the event (or its series' count) was last written. */
  writtenMs: number;
  /** The series count last written (1 for a single event). */
  writtenCount: number;
}

/** Records events about objects; see the module docs. Call `stop()` when done. */
export class EventRecorder {
  readonly #deps: EventRecorderDeps;
  readonly #events: ResourceClient<Event>;
  readonly #cache = new Map<string, Remembered>();
  readonly #stop = new AbortController();
  readonly #writes = new Set<Promise<void>>();
  #timer: TimerHandle | null = null;
  #lastNanos = 0n;

  constructor(deps: EventRecorderDeps) {
    this.#deps = deps;
    this.#events = deps.client.resource(EVENTS);
  }

  /** The number of events and series remembered for aggregation. */
  get remembered(): number {
    return this.#cache.size;
  }

  /**
   * Records an event about `regarding` (and `related`, if given). Returns at once; the write
   * happens in the background.
   */
  record(regarding: KubeObject, init: EventInit, related?: KubeObject): void {
    if (this.#stop.signal.aborted) return;
    const nowMs = this.#deps.clock.now();
    const ref = referenceTo(regarding);
    const relatedRef = related === undefined ? undefined : referenceTo(related);
    // The reporter is this recorder's own, so it is left out of the key.
    const key = JSON.stringify([
      init.type,
      init.action,
      init.reason,
      ...referenceKey(ref),
      ...referenceKey(relatedRef),
    ]);
    const known = this.#cache.get(key);
    if (known !== undefined) {
      // A remembered event is replaced, never changed: writes under way keep the one they got.
      const series = known.event.series;
      if (series !== undefined) {
        known.event = {
          ...known.event,
          series: { count: (series.count ?? 1) + 1, lastObservedTime: microTime(nowMs) },
        };
        known.observedMs = nowMs;
        return;
      }
      known.event = { ...known.event, series: { count: 2, lastObservedTime: microTime(nowMs) } };
      known.observedMs = nowMs;
      this.#write(known);
      return;
    }
    const event: Event = {
      apiVersion: "events.k8s.io/v1",
      kind: "Event",
      metadata: {
        name: `${ref.name ?? ""}.${this.#nanos(nowMs).toString(16)}`,
        namespace: ref.namespace || "default",
      },
      eventTime: microTime(nowMs),
      reportingController: this.#deps.reportingController,
      reportingInstance: this.#deps.reportingInstance,
      action: init.action,
      reason: init.reason,
      regarding: ref,
      ...relatedRef === undefined ? {} : { related: relatedRef },
      note: truncateNote(init.note),
      type: init.type,
    };
    const entry: Remembered = { event, observedMs: nowMs, writtenMs: nowMs, writtenCount: 0 };
    this.#cache.set(key, entry);
    this.#write(entry);
    this.#arm();
  }

  /** Stops timers and retries; waits for writes under way to end. */
  async stop(): Promise<void> {
    this.#stop.abort();
    this.#timer?.cancel();
    this.#timer = null;
    this.#cache.clear();
    await Promise.allSettled([...this.#writes]);
  }

  /** Nanoseconds since the epoch, strictly increasing (names stay unique within a millisecond). */
  #nanos(nowMs: number): bigint {
    let nanos = BigInt(Math.floor(nowMs)) * 1_000_000n;
    if (nanos <= this.#lastNanos) nanos = this.#lastNanos + 1n;
    this.#lastNanos = nanos;
    return nanos;
  }

  #arm(): void {
    if (this.#timer !== null || this.#cache.size === 0 || this.#stop.signal.aborted) return;
    this.#timer = this.#deps.clock.setTimeout(() => {
      this.#timer = null;
      this.#sweep();
      this.#arm();
    }, SERIES_FINISH_MS);
  }

  /** Ends quiet series (writing their final count), forgets old single events, refreshes the rest. */
  #sweep(): void {
    const nowMs = this.#deps.clock.now();
    for (const [key, entry] of this.#cache) {
      const series = entry.event.series;
      const quiet = entry.observedMs <= nowMs - SERIES_FINISH_MS;
      if (series === undefined) {
        if (quiet) this.#cache.delete(key);
        continue;
      }
      if (quiet) {
        this.#cache.delete(key);
        if (series.count !== entry.writtenCount) this.#write(entry);
      } else if (nowMs - entry.writtenMs >= SERIES_REFRESH_MS) {
        this.#write(entry);
      }
    }
  }

  #write(entry: Remembered): void {
    if (this.#writes.size >= MAX_PENDING_WRITES) {
      this.#deps.logger.warn("Dropped event: too many event writes waiting", {
        reason: entry.event.reason,
      });
      return;
    }
    const event = entry.event;
    entry.writtenMs = this.#deps.clock.now();
    entry.writtenCount = event.series?.count ?? 1;
    const done = this.#attempt(event).finally(() => this.#writes.delete(done));
    this.#writes.add(done);
  }

  async #attempt(event: Event): Promise<void> {
    const signal = this.#stop.signal;
    const random = this.#deps.random ?? Math.random;
    for (let tries = 1;; tries++) {
      if (signal.aborted) return;
      let retry: boolean;
      try {
        await this.#send(event, signal);
        return;
      } catch (err) {
        if (signal.aborted) return;
        // No answer (or a racing create of a series' first event): worth trying again.
        retry = err instanceof RequestError || (event.series !== undefined && isAlreadyExists(err));
        if (!retry || tries >= MAX_TRIES) {
          this.#deps.logger.warn(
            retry ? "Unable to write event (retry limit exceeded)" : "Server rejected event",
            { reason: event.reason, regarding: event.regarding?.name, error: err },
          );
          return;
        }
        this.#deps.logger.debug("Unable to write event (may retry after sleeping)", {
          error: err,
        });
      }
      try {
        await this.#deps.clock.sleep(RETRY_SLEEP_MS * (1 + 0.25 * random()), signal);
      } catch {
        return;
      }
    }
  }

  async #send(event: Event, signal: AbortSignal): Promise<void> {
    const namespace = event.metadata?.namespace ?? "default";
    if (event.series !== undefined) {
      try {
        await this.#events.patch(event.metadata?.name ?? "", {
          namespace,
          type: "strategic",
          body: { series: event.series },
          signal,
        });
        return;
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    const { resourceVersion: _rv, ...metadata } = event.metadata ?? {};
    await this.#events.create({ ...event, metadata }, { namespace, signal });
  }
}
