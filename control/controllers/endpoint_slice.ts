/**
 * The EndpointSlice controller (upstream `pkg/controller/endpointslice`): for every Service with
 * a selector, `discovery.k8s.io/v1` EndpointSlices listing the selected pods — labelled
 * `kubernetes.io/service-name` and `endpointslice.kubernetes.io/managed-by:
 * endpointslice-controller.k8s.io`, owned by the Service, named `<service>-<random>`, at most
 * 100 endpoints each. Each endpoint carries the pod's address, `ready` / `serving` /
 * `terminating` conditions, node name, the node's zone and a reference to the pod; ports are
 * resolved per pod (named target ports), pods with different resolved ports go into different
 * slices. Changes are minimal: only slices whose content changed are written, and slices are
 * reused rather than replaced (see `_endpoint_slice_plan.ts`).
 *
 * Services without a selector (their slices are someone else's) and ExternalName Services are
 * left alone. When a Service is gone, its slices are deleted here too (not only by the garbage
 * collector). A sync never acts on a cache older than its own last writes.
 *
 * @example Run it in a controller manager
 * ```ts ignore
 * const controller = new EndpointSliceController({ client, informers, clock, logger });
 * informers.start(signal);
 * await controller.run(signal);
 * ```
 *
 * @module
 */
import type { Node } from "../api/types/core_v1_node.ts";
import type { Pod } from "../api/types/core_v1_pod.ts";
import type { Service } from "../api/types/core_v1_service.ts";
import {
  type EndpointSlice,
  LABEL_MANAGED_BY,
  LABEL_SERVICE_NAME,
} from "../api/types/discovery_v1.ts";
import type { Client } from "../client/client.ts";
import { runController } from "../client/controller.ts";
import { isNotFound, StatusError } from "../client/errors.ts";
import type { EventRecorder } from "../client/event_recorder.ts";
import type { Informer } from "../client/informer.ts";
import {
  BucketRateLimiter,
  ItemExponentialFailureRateLimiter,
  MaxOfRateLimiter,
} from "../client/rate_limiter.ts";
import { ENDPOINT_SLICES, NODES, PODS, SERVICES } from "../client/resources.ts";
import type { SharedInformerFactory } from "../client/shared_informer_factory.ts";
import { NAMESPACE_INDEX } from "../client/store.ts";
import { WorkQueue } from "../client/workqueue.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import { planEndpointSlices, type SlicePlan } from "./_endpoint_slice_plan.ts";
import { EndpointSliceTracker } from "./_endpoint_slice_tracker.ts";
import { rfc3339Nano } from "./_rfc3339.ts";
import {
  ENDPOINTS_LAST_CHANGE_TRIGGER_TIME,
  enqueueServicesOnChanges,
  selectorMatches,
  TriggerTimeTracker,
} from "./_service_endpoints.ts";

/** The controller's name in logs and in the controller manager's list. */
export const ENDPOINT_SLICE_CONTROLLER_NAME = "endpointslice";

/** The `endpointslice.kubernetes.io/managed-by` value of the slices this controller manages. */
export const ENDPOINT_SLICE_CONTROLLER_MANAGED_BY = "endpointslice-controller.k8s.io";

/** Upstream's default (`--max-endpoints-per-slice`). */
export const DEFAULT_MAX_ENDPOINTS_PER_SLICE = 100;

/** The slice store's index from a slice to its Service's key (`namespace/name`). */
const SERVICE_INDEX = "endpointslice-service";

/** A slice change by someone else is synced at least this much later (batching). */
const SLICE_CHANGE_MIN_SYNC_DELAY_MS = 1000;

/** Failures of a Service are retried this many times (1 s doubling to 1000 s), then dropped. */
const MAX_RETRIES = 15;

/** What an {@linkcode EndpointSliceController} works with. */
export interface EndpointSliceControllerDeps {
  readonly client: Client;
  /** Pods, Services, Nodes and the controller's EndpointSlices are watched through it. */
  readonly informers: SharedInformerFactory;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Where `FailedToUpdateEndpointSlices` warnings go (component `endpoint-slice-controller`). */
  readonly events?: EventRecorder;
}

/** Options of {@linkcode EndpointSliceController}. */
export interface EndpointSliceControllerOptions {
  /**
   * Services synced at once (`--concurrent-service-endpoint-syncs`).
   *
   * @default {5}
   */
  readonly workers?: number;
  /**
   * The most endpoints in one slice (`--max-endpoints-per-slice`, 1 to 1000).
   *
   * @default {100}
   */
  readonly maxEndpointsPerSlice?: number;
  /**
   * Pod changes are synced this much later, so bursts make one write
   * (`--endpointslice-updates-batch-period`).
   *
   * @default {0}
   */
  readonly endpointUpdatesBatchPeriodMs?: number;
}

function serviceIndex(slice: EndpointSlice): readonly string[] {
  const name = slice.metadata?.labels?.[LABEL_SERVICE_NAME];
  return name ? [`${slice.metadata?.namespace ?? ""}/${name}`] : [];
}

function hasStatusCause(err: unknown, reason: string): boolean {
  return err instanceof StatusError &&
    (err.details?.causes ?? []).some((cause) => cause.reason === reason);
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function withTriggerTime(slice: EndpointSlice, triggerMs: number | null): EndpointSlice {
  const annotations = { ...slice.metadata?.annotations };
  if (triggerMs !== null) annotations[ENDPOINTS_LAST_CHANGE_TRIGGER_TIME] = rfc3339Nano(triggerMs);
  else delete annotations[ENDPOINTS_LAST_CHANGE_TRIGGER_TIME];
  return { ...slice, metadata: { ...slice.metadata, annotations } };
}

/** Keeps the EndpointSlices of selector Services equal to their pods. */
export class EndpointSliceController {
  readonly #client: Client;
  readonly #pods: Informer<Pod>;
  readonly #services: Informer<Service>;
  readonly #nodes: Informer<Node>;
  readonly #slices: Informer<EndpointSlice>;
  readonly #queue: WorkQueue<string>;
  readonly #tracker = new EndpointSliceTracker();
  readonly #triggerTimes = new TriggerTimeTracker();
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #events: EventRecorder | undefined;
  readonly #workers: number;
  readonly #maxEndpointsPerSlice: number;
  readonly #batchMs: number;

  constructor(deps: EndpointSliceControllerDeps, options: EndpointSliceControllerOptions = {}) {
    const {
      workers = 5,
      maxEndpointsPerSlice = DEFAULT_MAX_ENDPOINTS_PER_SLICE,
      endpointUpdatesBatchPeriodMs = 0,
    } = options;
    if (!Number.isInteger(workers) || workers < 1) {
      throw new RangeError(`Cannot run the EndpointSlice controller with ${workers} workers`);
    }
    if (
      !Number.isInteger(maxEndpointsPerSlice) || maxEndpointsPerSlice < 1 ||
      maxEndpointsPerSlice > 1000
    ) {
      throw new RangeError(
        `Cannot put ${maxEndpointsPerSlice} endpoints in a slice: expected an integer from 1 to 1000`,
      );
    }
    if (!Number.isFinite(endpointUpdatesBatchPeriodMs) || endpointUpdatesBatchPeriodMs < 0) {
      throw new RangeError(
        `Cannot batch endpoint updates for ${endpointUpdatesBatchPeriodMs} ms: expected a finite number >= 0`,
      );
    }
    this.#client = deps.client;
    this.#clock = deps.clock;
    this.#logger = deps.logger.with({ controller: ENDPOINT_SLICE_CONTROLLER_NAME });
    this.#events = deps.events;
    this.#workers = workers;
    this.#maxEndpointsPerSlice = maxEndpointsPerSlice;
    this.#batchMs = endpointUpdatesBatchPeriodMs;
    // Like the default controller limiter, but from 1 s: slice writes can be many.
    this.#queue = new WorkQueue<string>({
      clock: deps.clock,
      rateLimiter: new MaxOfRateLimiter<string>(
        new ItemExponentialFailureRateLimiter({ baseDelayMs: 1000, maxDelayMs: 1_000_000 }),
        new BucketRateLimiter({ qps: 10, burst: 100, clock: deps.clock }),
      ),
    });

    this.#services = deps.informers.informerFor(SERVICES);
    this.#pods = deps.informers.informerFor(PODS);
    this.#nodes = deps.informers.informerFor(NODES);
    this.#slices = deps.informers.informerFor(ENDPOINT_SLICES, {
      labelSelector: `${LABEL_MANAGED_BY}=${ENDPOINT_SLICE_CONTROLLER_MANAGED_BY}`,
      indexers: { [SERVICE_INDEX]: serviceIndex },
    });

    enqueueServicesOnChanges(
      { services: this.#services, pods: this.#pods },
      { queue: this.#queue, batchMs: this.#batchMs },
    );
    this.#slices.addHandler({
      add: (slice) => {
        if (this.#tracker.shouldSync(slice)) this.#queueForSlice(slice);
      },
      update: (oldSlice, slice) => {
        const before = oldSlice.metadata?.labels?.[LABEL_SERVICE_NAME];
        if (before !== slice.metadata?.labels?.[LABEL_SERVICE_NAME]) {
          this.#queueForSlice(slice);
          this.#queueForSlice(oldSlice);
        } else if (this.#tracker.shouldSync(slice)) {
          this.#queueForSlice(slice);
        }
      },
      delete: (slice) => {
        // A slice deleted by someone else is put back.
        if (!this.#tracker.handleDeletion(slice)) this.#queueForSlice(slice);
      },
    });
  }

  /**
   * Converges the slices of the Service `key` (`namespace/name`). Throws (retry with backoff)
   * when a write failed, a pod's node is unknown, or the slice cache lags the last writes.
   */
  async sync(key: string, signal?: AbortSignal): Promise<void> {
    const service = this.#services.store.get(key);
    if (!service) {
      this.#triggerTimes.delete(key);
      this.#tracker.deleteService(key);
      await this.#deleteSlicesOfGoneService(key, signal);
      return;
    }
    if (service.spec?.type === "ExternalName") return;
    // Without a selector, the Service's slices are managed by someone else.
    const selector = service.spec?.selector;
    if (selector === undefined) return;

    const namespace = service.metadata?.namespace ?? "";
    const pods = this.#pods.store.byIndex(NAMESPACE_INDEX, namespace)
      .filter((pod) => selectorMatches(selector, pod.metadata?.labels));
    const slices = this.#slices.store.byIndex(SERVICE_INDEX, key)
      .filter((slice) => !slice.metadata?.deletionTimestamp);
    if (this.#tracker.staleSlices(service, slices)) {
      throw new Error("EndpointSlice informer cache is out of date");
    }
    const triggerMs = this.#triggerTimes.compute(service, pods);
    const plan = planEndpointSlices({
      service,
      pods,
      slices,
      nodeOf: (name) => this.#nodes.store.get(name),
      maxEndpointsPerSlice: this.#maxEndpointsPerSlice,
      controllerName: ENDPOINT_SLICE_CONTROLLER_MANAGED_BY,
    });
    const errors = [...plan.errors];
    try {
      await this.#apply(service, { plan, triggerMs, signal });
    } catch (err) {
      if (signal?.aborted) throw err;
      errors.push(err instanceof Error ? err : new Error(String(err)));
    }
    if (errors.length === 0) return;
    const message = errors.length === 1
      ? errors[0]!.message
      : `[${errors.map((e) => e.message).join(", ")}]`;
    this.#events?.event(service, {
      type: "Warning",
      reason: "FailedToUpdateEndpointSlices",
      message: `Error updating Endpoint Slices for Service ${key}: ${message}`,
    });
    throw errors.length === 1 ? errors[0]! : new AggregateError(errors, message);
  }

  /** Runs the workers until `signal` aborts (the informer factory must be started too). */
  run(signal: AbortSignal): Promise<void> {
    return runController({
      name: ENDPOINT_SLICE_CONTROLLER_NAME,
      queue: this.#queue,
      sync: (key, s) => this.sync(key, s),
      workers: this.#workers,
      waitFor: [this.#pods, this.#services, this.#slices, this.#nodes],
      signal,
      logger: this.#logger,
      clock: this.#clock,
      maxRetries: MAX_RETRIES,
    });
  }

  async #apply(
    service: Service,
    work: { plan: SlicePlan; triggerMs: number | null; signal: AbortSignal | undefined },
  ): Promise<void> {
    const { plan, triggerMs, signal } = work;
    const slices = this.#client.resource(ENDPOINT_SLICES);
    const namespace = service.metadata?.namespace ?? "";
    const svc = `${namespace}/${service.metadata?.name ?? ""}`;
    const request = signal ? { namespace, signal } : { namespace };
    // No new slices for a Service being deleted: the garbage collector would race them.
    if (!service.metadata?.deletionTimestamp) {
      for (const slice of plan.create) {
        try {
          this.#tracker.update(await slices.create(withTriggerTime(slice, triggerMs), request));
        } catch (err) {
          // Creates keep failing in a terminating namespace: nothing to retry.
          if (hasStatusCause(err, "NamespaceTerminating")) return;
          throw new Error(`failed to create EndpointSlice for Service ${svc}: ${messageOf(err)}`, {
            cause: err,
          });
        }
      }
    }
    for (const slice of plan.update) {
      try {
        this.#tracker.update(await slices.update(withTriggerTime(slice, triggerMs), request));
      } catch (err) {
        throw new Error(
          `failed to update ${slice.metadata?.name} EndpointSlice for Service ${svc}: ${
            messageOf(err)
          }`,
          { cause: err },
        );
      }
    }
    for (const slice of plan.delete) {
      await this.#deleteSlice(slice, { svc, signal });
    }
    const changed = plan.create.length + plan.update.length + plan.delete.length;
    if (changed > 0) {
      this.#logger.debug("Reconciled EndpointSlices", {
        service: svc,
        created: plan.create.length,
        updated: plan.update.length,
        deleted: plan.delete.length,
      });
    }
  }

  async #deleteSlice(
    slice: EndpointSlice,
    context: { svc: string; signal: AbortSignal | undefined },
  ): Promise<void> {
    const name = slice.metadata?.name ?? "";
    const namespace = slice.metadata?.namespace ?? "";
    try {
      await this.#client.resource(ENDPOINT_SLICES).delete(
        name,
        context.signal ? { namespace, signal: context.signal } : { namespace },
      );
    } catch (err) {
      if (!isNotFound(err)) {
        throw new Error(
          `failed to delete ${name} EndpointSlice for Service ${context.svc}: ${messageOf(err)}`,
          { cause: err },
        );
      }
    }
    this.#tracker.expectDeletion(slice);
  }

  async #deleteSlicesOfGoneService(key: string, signal: AbortSignal | undefined): Promise<void> {
    const left = this.#slices.store.byIndex(SERVICE_INDEX, key)
      .filter((slice) => !slice.metadata?.deletionTimestamp);
    for (const slice of left) await this.#deleteSlice(slice, { svc: key, signal });
    if (left.length > 0) {
      this.#logger.info("Deleted EndpointSlices of a deleted Service", {
        service: key,
        slices: left.length,
      });
    }
  }

  #queueForSlice(slice: EndpointSlice): void {
    const name = slice.metadata?.labels?.[LABEL_SERVICE_NAME];
    if (!name) return;
    const key = `${slice.metadata?.namespace ?? ""}/${name}`;
    this.#queue.addAfter(key, Math.max(SLICE_CHANGE_MIN_SYNC_DELAY_MS, this.#batchMs));
  }
}
