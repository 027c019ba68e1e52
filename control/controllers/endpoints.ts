/**
 * The Endpoints controller (upstream `pkg/controller/endpoint`): the legacy `v1` Endpoints
 * object of every Service with a selector, named as the Service — subsets of `addresses`
 * (ready pods, or every pod when the Service publishes not-ready addresses),
 * `notReadyAddresses` and the ports resolved on those pods; labelled as the Service (plus
 * `service.kubernetes.io/headless` for headless ones); annotated with
 * `endpoints.kubernetes.io/last-change-trigger-time`; capped at 1000 addresses, with
 * `endpoints.kubernetes.io/over-capacity: truncated` when cut.
 *
 * Services without a selector and ExternalName Services are left alone (their Endpoints are
 * someone else's). The Endpoints of a deleted Service are deleted; at start every existing
 * Endpoints object is checked once, so ones left by Services deleted meanwhile go too.
 *
 * @example Run it in a controller manager
 * ```ts ignore
 * const controller = new EndpointsController({ client, informers, clock, logger });
 * informers.start(signal);
 * await controller.run(signal);
 * ```
 *
 * @module
 */
import type { Pod } from "../api/types/core_v1_pod.ts";
import type { Endpoints, Service } from "../api/types/core_v1_service.ts";
import type { Client } from "../client/client.ts";
import { runController } from "../client/controller.ts";
import { isForbidden, isNotFound, StatusError } from "../client/errors.ts";
import type { EventRecorder } from "../client/event_recorder.ts";
import type { Informer } from "../client/informer.ts";
import { ENDPOINTS, PODS, SERVICES } from "../client/resources.ts";
import type { SharedInformerFactory } from "../client/shared_informer_factory.ts";
import { metaNamespaceKey, NAMESPACE_INDEX, splitMetaNamespaceKey } from "../client/store.ts";
import { WorkQueue } from "../client/workqueue.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import { subsetsEqual, subsetsFor, truncateSubsets } from "./_endpoints_subsets.ts";
import { rfc3339Nano } from "./_rfc3339.ts";
import {
  ENDPOINTS_LAST_CHANGE_TRIGGER_TIME,
  enqueueServicesOnChanges,
  IS_HEADLESS_SERVICE_LABEL,
  isServiceIpSet,
  selectorMatches,
  TriggerTimeTracker,
} from "./_service_endpoints.ts";

/** The controller's name in logs and in the controller manager's list (upstream's alias). */
export const ENDPOINTS_CONTROLLER_NAME = "endpoint";

/** The annotation marking an Endpoints object cut down to 1000 addresses. */
export const ENDPOINTS_OVER_CAPACITY = "endpoints.kubernetes.io/over-capacity";

/** Leader-election records once lived on Endpoints without a Service: never delete those. */
const LEADER_ELECTION_ANNOTATION = "control-plane.alpha.kubernetes.io/leader";

/** Failures of a Service are retried this many times (5 ms doubling), then dropped. */
const MAX_RETRIES = 15;

/** What an {@linkcode EndpointsController} works with. */
export interface EndpointsControllerDeps {
  readonly client: Client;
  /** Pods, Services and Endpoints are watched through it. */
  readonly informers: SharedInformerFactory;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Where `FailedToCreateEndpoint` / `FailedToUpdateEndpoint` go (`endpoint-controller`). */
  readonly events?: EventRecorder;
}

/** Options of {@linkcode EndpointsController}. */
export interface EndpointsControllerOptions {
  /**
   * Services synced at once (`--concurrent-endpoint-syncs`).
   *
   * @default {5}
   */
  readonly workers?: number;
  /**
   * Pod changes are synced this much later, so bursts make one write
   * (`--endpoint-updates-batch-period`).
   *
   * @default {0}
   */
  readonly endpointUpdatesBatchPeriodMs?: number;
}

function sameLabels(
  a: Readonly<Record<string, string>> | undefined,
  b: Readonly<Record<string, string>> | undefined,
): boolean {
  const ak = Object.keys(a ?? {});
  return ak.length === Object.keys(b ?? {}).length && ak.every((k) => a![k] === b?.[k]);
}

function withoutHeadless(
  labels: Readonly<Record<string, string>> | undefined,
): Record<string, string> {
  const { [IS_HEADLESS_SERVICE_LABEL]: _drop, ...rest } = labels ?? {};
  return rest;
}

function hasStatusCause(err: unknown, reason: string): boolean {
  return err instanceof StatusError &&
    (err.details?.causes ?? []).some((cause) => cause.reason === reason);
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Keeps the Endpoints object of every selector Service equal to its pods. */
export class EndpointsController {
  readonly #client: Client;
  readonly #pods: Informer<Pod>;
  readonly #services: Informer<Service>;
  readonly #endpoints: Informer<Endpoints>;
  readonly #queue: WorkQueue<string>;
  readonly #triggerTimes = new TriggerTimeTracker();
  /** The resourceVersion of an Endpoints object this controller replaced, per key. */
  readonly #staleVersions = new Map<string, string>();
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #events: EventRecorder | undefined;
  readonly #workers: number;
  readonly #batchMs: number;

  constructor(deps: EndpointsControllerDeps, options: EndpointsControllerOptions = {}) {
    const { workers = 5, endpointUpdatesBatchPeriodMs = 0 } = options;
    if (!Number.isInteger(workers) || workers < 1) {
      throw new RangeError(`Cannot run the Endpoints controller with ${workers} workers`);
    }
    if (!Number.isFinite(endpointUpdatesBatchPeriodMs) || endpointUpdatesBatchPeriodMs < 0) {
      throw new RangeError(
        `Cannot batch endpoint updates for ${endpointUpdatesBatchPeriodMs} ms: expected a finite number >= 0`,
      );
    }
    this.#client = deps.client;
    this.#clock = deps.clock;
    this.#logger = deps.logger.with({ controller: ENDPOINTS_CONTROLLER_NAME });
    this.#events = deps.events;
    this.#workers = workers;
    this.#batchMs = endpointUpdatesBatchPeriodMs;
    this.#queue = new WorkQueue<string>({ clock: deps.clock });

    this.#services = deps.informers.informerFor(SERVICES);
    this.#pods = deps.informers.informerFor(PODS);
    this.#endpoints = deps.informers.informerFor(ENDPOINTS);

    enqueueServicesOnChanges(
      { services: this.#services, pods: this.#pods },
      { queue: this.#queue, batchMs: this.#batchMs },
    );
    this.#endpoints.addHandler({
      // Each Endpoints object found at start is checked once: its Service may be gone.
      add: (ep, initialList) => {
        if (initialList && !ep.metadata?.annotations?.[LEADER_ELECTION_ANNOTATION]) {
          this.#queue.add(metaNamespaceKey(ep));
        }
      },
      delete: (ep) => this.#queue.add(metaNamespaceKey(ep)),
    });
  }

  /**
   * Converges the Endpoints of the Service `key` (`namespace/name`): written when its subsets,
   * labels or capacity annotation differ from what the pods say, deleted when the Service is
   * gone. Throws (retry with backoff) when a write fails or the cache lags the last write.
   */
  async sync(key: string, signal?: AbortSignal): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const request = signal ? { namespace, signal } : { namespace };
    const service = this.#services.store.get(key);
    if (!service) {
      try {
        await this.#client.resource(ENDPOINTS).delete(name, request);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      this.#triggerTimes.delete(key);
      this.#staleVersions.delete(key);
      return;
    }
    if (service.spec?.type === "ExternalName") return;
    const selector = service.spec?.selector;
    if (selector === undefined) return;

    const pods = this.#pods.store.byIndex(NAMESPACE_INDEX, namespace)
      .filter((pod) => selectorMatches(selector, pod.metadata?.labels));
    // Computed every sync, so the tracker knows the pods even when nothing is written.
    const triggerMs = this.#triggerTimes.compute(service, pods);
    const { subsets, ready, notReady } = subsetsFor(service, pods);

    const current = this.#endpoints.store.get(key);
    if (current && this.#staleVersions.get(key) === current.metadata?.resourceVersion) {
      throw new Error(
        `endpoints informer cache is out of date, resource version ${current.metadata?.resourceVersion} already processed for endpoints ${key}`,
      );
    }
    // Compared after truncation: an over-capacity Service is not rewritten every sync.
    const truncated = truncateSubsets(subsets);
    if (
      current &&
      subsetsEqual(current.subsets, subsets) &&
      sameLabels(withoutHeadless(current.metadata?.labels), service.metadata?.labels) &&
      (current.metadata?.annotations?.[ENDPOINTS_OVER_CAPACITY] !== undefined) === truncated
    ) {
      return;
    }

    const next: Endpoints = current ? structuredClone(current) as Endpoints : {
      apiVersion: "v1",
      kind: "Endpoints",
      metadata: { namespace, name },
    };
    const annotations = { ...next.metadata?.annotations };
    if (triggerMs !== null) {
      annotations[ENDPOINTS_LAST_CHANGE_TRIGGER_TIME] = rfc3339Nano(triggerMs);
    } else delete annotations[ENDPOINTS_LAST_CHANGE_TRIGGER_TIME];
    if (truncated) annotations[ENDPOINTS_OVER_CAPACITY] = "truncated";
    else delete annotations[ENDPOINTS_OVER_CAPACITY];
    const labels = withoutHeadless(service.metadata?.labels);
    if (!isServiceIpSet(service)) labels[IS_HEADLESS_SERVICE_LABEL] = "";
    next.metadata = { ...next.metadata, labels, annotations };
    if (subsets.length > 0) next.subsets = subsets;
    else delete next.subsets;

    this.#logger.debug("Update endpoints", {
      service: key,
      readyEndpoints: ready,
      notreadyEndpoints: notReady,
    });
    const endpoints = this.#client.resource(ENDPOINTS);
    try {
      if (!current) {
        await endpoints.create(next, request);
        return;
      }
      const updated = await endpoints.update(next, request);
      // The cache still holding this version later means it has not caught up.
      if (updated.metadata?.resourceVersion !== current.metadata?.resourceVersion) {
        this.#staleVersions.set(key, current.metadata?.resourceVersion ?? "");
      }
    } catch (err) {
      if (signal?.aborted) throw err;
      // Creates keep failing in a terminating namespace: nothing to retry.
      if (!current && isForbidden(err) && hasStatusCause(err, "NamespaceTerminating")) return;
      this.#events?.event(next, {
        type: "Warning",
        reason: current ? "FailedToUpdateEndpoint" : "FailedToCreateEndpoint",
        message: current
          ? `Failed to update endpoint ${key}: ${messageOf(err)}`
          : `Failed to create endpoint for service ${key}: ${messageOf(err)}`,
      });
      throw err;
    }
  }

  /** Runs the workers until `signal` aborts (the informer factory must be started too). */
  run(signal: AbortSignal): Promise<void> {
    return runController({
      name: ENDPOINTS_CONTROLLER_NAME,
      queue: this.#queue,
      sync: (key, s) => this.sync(key, s),
      workers: this.#workers,
      waitFor: [this.#pods, this.#services, this.#endpoints],
      signal,
      logger: this.#logger,
      clock: this.#clock,
      maxRetries: MAX_RETRIES,
    });
  }
}
