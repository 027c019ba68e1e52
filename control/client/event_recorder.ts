/**
 * Recording `core/v1` Events, as client-go's `tools/record`: a component calls
 * `recorder.event(object, { type, reason, message })` and goes on; an
 * {@linkcode EventBroadcaster} writes the events to the API server in the background, one at a
 * time, in order.
 *
 * - An event is named `<object name>.<hex timestamp in nanoseconds>` and lives in the
 *   object's namespace (`default` for cluster-scoped objects). It carries `involvedObject`
 *   (kind, namespace, name, uid, apiVersion, resourceVersion), `source.component` (and `host`),
 *   `reportingComponent` / `reportingInstance` (the same two), `firstTimestamp`,
 *   `lastTimestamp` and `count`.
 * - An event identical to one written before is a strategic-merge PATCH of the earlier one's
 *   `count` and `lastTimestamp`; if that event is gone (events expire), it is created again.
 *   Similar events with 10 different messages within 10 minutes are combined into one; each
 *   source + object may write 25 events at once, then one every 5 minutes (the rest are
 *   dropped). See `_event_correlator.ts`.
 * - Recording never blocks and never throws: events wait in a bounded queue (1000 by default;
 *   beyond it they are dropped and logged), failures are logged. A write that got no answer is
 *   retried (12 tries, 10 s apart, the first wait randomised); one the server refused is not.
 *
 * @example Record that a pod was created
 * ```ts ignore
 * const events = new EventBroadcaster({ client, clock, logger });
 * const recorder = events.newRecorder({ component: "replicaset-controller" });
 * recorder.event(rs, { type: "Normal", reason: "SuccessfulCreate", message: `Created pod: ${name}` });
 * await events.shutdown();
 * ```
 *
 * @module
 */
import { formatTime as rfc3339 } from "../util/k8s_time.ts";
import type { Event, EventSource } from "../api/types/core_v1_event.ts";
import type { KubeObject } from "../api/types/meta_v1.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import { EventCorrelator, type EventCorrelatorOptions } from "./_event_correlator.ts";
import type { Client, ResourceClient } from "./client.ts";
import { isAlreadyExists, isNotFound, StatusError } from "./errors.ts";
import { CORE_EVENTS } from "./resources.ts";

/** The two event types Kubernetes components emit. */
export type EventType = "Normal" | "Warning";

/** Who records events: `component` (`replicaset-controller`) and optionally the host. */
export interface RecorderSource {
  readonly component: string;
  readonly host?: string;
}

/** One occurrence to record. */
export interface EventRecord {
  readonly type: EventType;
  /** A short UpperCamelCase reason: `SuccessfulCreate`. */
  readonly reason: string;
  /** A human-readable message: `Created pod: web-7x2kq`. */
  readonly message: string;
  /** Annotations of the Event object. */
  readonly annotations?: Readonly<Record<string, string>>;
}

/** Records events about objects; never blocks, never throws. */
export interface EventRecorder {
  event(object: KubeObject, record: EventRecord): void;
}

/** Options of {@linkcode EventBroadcaster}. */
export interface EventBroadcasterOptions {
  readonly client: Client;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Events waiting to be written at most; more are dropped. @default {1000} */
  readonly queueSize?: number;
  /** Tries of a write that gets no answer. @default {12} */
  readonly maxTries?: number;
  /** The wait between tries (the first is a random part of it). @default {10000} */
  readonly retryDelayMs?: number;
  /** A random number in `[0, 1)`. @default {Math.random} */
  readonly random?: () => number;
  /** The correlator's limits (client-go's defaults unless set). */
  readonly correlator?: EventCorrelatorOptions;
}

function hasStatusCause(err: unknown, type: string): boolean {
  return err instanceof StatusError &&
    (err.details?.causes ?? []).some((cause) => cause.reason === type);
}

/** Writes recorded events to the API server in the background, in order. */
export class EventBroadcaster {
  readonly #events: ResourceClient<Event>;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #queueSize: number;
  readonly #maxTries: number;
  readonly #retryDelayMs: number;
  readonly #random: () => number;
  /** Events dropped since the queue last had room. */
  #dropped = 0;
  readonly #correlator: EventCorrelator;
  readonly #queue: Event[] = [];
  readonly #stop = new AbortController();
  #draining: Promise<void> | null = null;
  #lastNameMs = -1;
  #nameSeq = 0;

  constructor(options: EventBroadcasterOptions) {
    this.#events = options.client.resource(CORE_EVENTS);
    this.#clock = options.clock;
    this.#logger = options.logger.with({ component: "event-broadcaster" });
    this.#queueSize = options.queueSize ?? 1000;
    this.#maxTries = options.maxTries ?? 12;
    this.#retryDelayMs = options.retryDelayMs ?? 10_000;
    this.#random = options.random ?? Math.random;
    this.#correlator = new EventCorrelator(options.correlator);
  }

  /** A recorder whose events name `source` as their reporter. */
  newRecorder(source: RecorderSource): EventRecorder {
    return { event: (object, record) => this.#record(object, { source, record }) };
  }

  /** The number of events waiting to be written (including one being written). */
  get pending(): number {
    return this.#queue.length;
  }

  /** Resolves once every event recorded so far has been written (or given up on). */
  async flush(): Promise<void> {
    while (this.#draining) await this.#draining;
  }

  /**
   * Stops retrying and drops later events; events still queued get one try each. Resolves
   * when they have had it.
   */
  async shutdown(): Promise<void> {
    this.#stop.abort();
    await this.flush();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }

  /**
   * A unique name for an event about `name`: the time in nanoseconds, in hex, as upstream's.
   * Below the millisecond the clock gives, a random start (so two recorders in one process —
   * the agent's and the controller manager's — do not pick the same name in the same
   * millisecond) plus a sequence within this recorder.
   */
  #newName(name: string, nowMs: number): string {
    if (nowMs === this.#lastNameMs) this.#nameSeq++;
    else {
      this.#lastNameMs = nowMs;
      this.#nameSeq = Math.floor(this.#random() * 500_000);
    }
    const nanos = BigInt(Math.floor(nowMs)) * 1_000_000n + BigInt(this.#nameSeq % 1_000_000);
    return `${name}.${nanos.toString(16)}`;
  }

  #record(
    object: KubeObject,
    what: { readonly source: RecorderSource; readonly record: EventRecord },
  ): void {
    const { source, record } = what;
    try {
      if (record.type !== "Normal" && record.type !== "Warning") {
        this.#logger.error("Unsupported event type", { eventType: record.type });
        return;
      }
      const meta = object.metadata ?? {};
      if (!object.kind || !meta.name) {
        this.#logger.error("Could not construct reference, will not report event", {
          object: `${meta.namespace ?? ""}/${meta.name ?? ""}`,
          reason: record.reason,
        });
        return;
      }
      if (this.#stop.signal.aborted) {
        this.#logger.debug("Event broadcaster is shut down, dropped event", {
          reason: record.reason,
        });
        return;
      }
      const nowMs = this.#clock.now();
      const involved: NonNullable<Event["involvedObject"]> = { kind: object.kind, name: meta.name };
      if (meta.namespace) involved.namespace = meta.namespace;
      if (meta.uid) involved.uid = meta.uid;
      if (object.apiVersion) involved.apiVersion = object.apiVersion;
      if (meta.resourceVersion) involved.resourceVersion = meta.resourceVersion;
      const sourceField: EventSource = { component: source.component };
      if (source.host) sourceField.host = source.host;
      const time = rfc3339(nowMs);
      const event: Event = {
        apiVersion: "v1",
        kind: "Event",
        metadata: {
          name: this.#newName(meta.name, nowMs),
          namespace: meta.namespace || "default",
          ...(record.annotations ? { annotations: { ...record.annotations } } : {}),
        },
        involvedObject: involved,
        reason: record.reason,
        message: record.message,
        source: sourceField,
        firstTimestamp: time,
        lastTimestamp: time,
        count: 1,
        type: record.type,
        reportingComponent: source.component,
        reportingInstance: source.host ?? "",
      };
      this.#logger.debug("Event occurred", {
        object: `${involved.namespace ?? ""}/${involved.name}`,
        kind: involved.kind,
        apiVersion: involved.apiVersion,
        type: event.type,
        reason: event.reason,
        message: event.message,
      });
      if (this.#queue.length >= this.#queueSize) {
        // One line per burst, not per event: a burst of 10,000 pod creates drops thousands.
        if (this.#dropped++ === 0) {
          this.#logger.error("Unable to record event: too many queued events, dropped event", {
            object: `${involved.namespace ?? ""}/${involved.name}`,
            reason: event.reason,
          });
        }
        return;
      }
      if (this.#dropped > 1) {
        this.#logger.error("Dropped events while the event queue was full", {
          dropped: this.#dropped,
        });
      }
      this.#dropped = 0;
      this.#queue.push(event);
      this.#draining ??= this.#drain();
    } catch (err) {
      this.#logger.error("Unable to record event", { error: err, reason: record.reason });
    }
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const event = this.#queue[0]!;
        try {
          await this.#writeWithRetries(event);
        } catch (err) {
          this.#logger.error("Unable to write event", { error: err, event: event.metadata?.name });
        }
        this.#queue.shift();
      }
    } finally {
      this.#draining = null;
    }
  }

  async #writeWithRetries(recorded: Event): Promise<void> {
    const nowMs = this.#clock.now();
    const result = this.#correlator.correlate(recorded, {
      nowMs,
      timestamp: rfc3339(nowMs),
      newName: this.#newName(recorded.involvedObject?.name ?? "", nowMs),
    });
    if (result.skip) return;
    for (let tries = 1;; tries++) {
      if (await this.#write(result)) return;
      if (tries >= this.#maxTries || this.#stop.signal.aborted) {
        this.#logger.error(
          this.#stop.signal.aborted
            ? "Unable to write event (broadcaster is shut down)"
            : "Unable to write event (retry limit exceeded!)",
          { event: result.event.metadata?.name, reason: result.event.reason },
        );
        return;
      }
      const delayMs = tries === 1 ? this.#retryDelayMs * this.#random() : this.#retryDelayMs;
      try {
        await this.#clock.sleep(delayMs, this.#stop.signal);
      } catch {
        this.#logger.error("Unable to write event (broadcaster is shut down)", {
          event: result.event.metadata?.name,
          reason: result.event.reason,
        });
        return;
      }
    }
  }

  /** One attempt; `true` when done with the event (written or refused), `false` to retry. */
  async #write(result: Extract<ReturnType<EventCorrelator["correlate"]>, { skip: false }>) {
    const event = result.event;
    const namespace = event.metadata?.namespace ?? "default";
    try {
      let written: Event | undefined;
      if (result.patch) {
        try {
          written = await this.#events.patch(event.metadata?.name ?? "", {
            namespace,
            type: "strategic",
            body: result.patch,
          });
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
      if (!written) {
        const { resourceVersion: _, ...metadata } = event.metadata ?? {};
        written = await this.#events.create({ ...event, metadata }, { namespace });
      }
      this.#correlator.updateState(written);
      return true;
    } catch (err) {
      if (err instanceof StatusError) {
        const fields = { error: err, event: event.metadata?.name, reason: event.reason };
        if (isAlreadyExists(err) || hasStatusCause(err, "NamespaceTerminating")) {
          this.#logger.debug("Server rejected event (will not retry!)", fields);
        } else {
          this.#logger.error("Server rejected event (will not retry!)", fields);
        }
        return true;
      }
      this.#logger.error("Unable to write event (may retry after sleeping)", {
        error: err,
        event: event.metadata?.name,
        reason: event.reason,
      });
      return false;
    }
  }
}
