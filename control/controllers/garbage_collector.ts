/**
 * The garbage collector (upstream `pkg/controller/garbagecollector`): deletes objects whose
 * owners are gone, and carries out the Foreground and Orphan deletion of owners.
 *
 * - **The graph.** Discovery names every resource that supports `delete`, `list` and `watch`
 *   (in its preferred version; Events left out); a metadata-only informer per resource feeds
 *   the {@linkcode DependencyGraph}: a node per object (uid, namespace, name, kind, owner
 *   references, deletion state), edges by owner uid. Owners named but not seen are virtual
 *   nodes, verified by a live GET. Discovery that fails in part is retried with backoff until
 *   complete. Custom resources come and go with their CustomResourceDefinitions: a
 *   metadata-only informer on CRDs runs discovery again (debounced) after any CRD change, so
 *   new resources get a monitor and the monitors of resources no longer served stop — no
 *   periodic re-discovery while nothing changes.
 * - **attemptToDelete.** For an object whose owners may be gone, the live object is read and its
 *   owner references classified, each by a live GET of the owner (or the cache of owners known
 *   absent): *solid* (exists), *dangling* (absent, or another uid), *waiting* (being deleted in
 *   the foreground). With a solid owner, dangling and waiting references are removed (a
 *   strategic-merge patch); with none but a waiting owner, an object that has dependents of its
 *   own is deleted in the foreground; otherwise it is deleted with the policy its own finalizers
 *   ask for (Background by default). Deletes carry `Preconditions{uid, resourceVersion}`. An
 *   owner being deleted in the foreground (`foregroundDeletion` finalizer) gets its dependents
 *   queued, and loses the finalizer once no dependent with `blockOwnerDeletion` is left.
 * - **attemptToOrphan.** An owner being deleted with the `orphan` finalizer has its reference
 *   removed from every dependent, then loses the finalizer.
 * - A cluster-scoped dependent may not name a namespaced owner, and a namespaced one may name
 *   only owners of its own namespace or cluster-scoped ones: an observed owner in another
 *   namespace is reported with an `OwnerRefInvalidNamespace` warning event on the dependent.
 *
 * Both queues retry with the controller rate limiter (5 ms doubling to 1000 s per item, 10 qps
 * overall). After a restart the graph is rebuilt from lists, so dependents of owners deleted
 * meanwhile are found through their virtual owners and collected.
 *
 * @example Run it in a controller manager
 * ```ts ignore
 * registry: [{ name: GARBAGE_COLLECTOR_CONTROLLER_NAME, factory: garbageCollectorController }]
 * ```
 *
 * @module
 */
import type { ObjectMeta, OwnerReference } from "../api/types/meta_v1.ts";
import { Backoff } from "../client/backoff.ts";
import type { Client } from "../client/client.ts";
import { isConflict, isNotFound, StatusError } from "../client/errors.ts";
import type { EventRecorder } from "../client/event_recorder.ts";
import { MetadataClient } from "../client/metadata_client.ts";
import { MetadataInformer } from "../client/metadata_informer.ts";
import { defaultControllerRateLimiter } from "../client/rate_limiter.ts";
import {
  type ApiResource,
  apiVersionOf,
  CUSTOM_RESOURCE_DEFINITIONS,
} from "../client/resources.ts";
import { WorkQueue } from "../client/workqueue.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import { discoverServerResources, type ServerResourcesResult } from "./_api_discovery.ts";
import {
  DependencyGraph,
  FINALIZER_DELETE_DEPENDENTS,
  FINALIZER_ORPHAN_DEPENDENTS,
  type GraphNode,
} from "./_gc_graph.ts";
import { ApiGcOperations, type GcOperations } from "./_gc_operations.ts";
import { formatIdentity, type ObjectIdentity, ReferenceCache } from "./_gc_reference_cache.ts";
import {
  DEFAULT_GC_IGNORED_RESOURCES,
  deletableResources,
  type GroupResource,
  RestMapper,
} from "./_gc_rest_mapper.ts";
import type { ControllerContext, RunnableController } from "./controller_manager.ts";

/** The controller's name in `--controllers` and in logs. */
export const GARBAGE_COLLECTOR_CONTROLLER_NAME = "garbagecollector";

/** The component its events name. */
export const GARBAGE_COLLECTOR_EVENT_COMPONENT = "garbage-collector-controller";

/** A cluster-scoped object names a namespaced owner: retrying cannot help. */
export class NamespacedOwnerOfClusterScopedObjectError extends Error {
  constructor() {
    super("cluster-scoped objects cannot refer to namespaced owners");
    this.name = "NamespacedOwnerOfClusterScopedObjectError";
  }
}

/** What a {@linkcode GarbageCollector} works with. */
export interface GarbageCollectorDeps {
  /** Discovery, informers, deletes and patches go through it. */
  readonly client: Client;
  /** Records `OwnerRefInvalidNamespace` (component `garbage-collector-controller`). */
  readonly recorder: EventRecorder;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Replaces the API requests (tests). */
  readonly operations?: GcOperations;
  /** Replaces discovery (tests). */
  readonly discover?: (signal: AbortSignal) => Promise<ServerResourcesResult>;
}

/** Options of {@linkcode GarbageCollector}. */
export interface GarbageCollectorOptions {
  /**
   * Workers of each queue (kube-controller-manager's `--concurrent-gc-syncs`).
   *
   * @default {20}
   */
  readonly workers?: number;
  /** Resources never watched. @default {DEFAULT_GC_IGNORED_RESOURCES} (Events) */
  readonly ignoredResources?: readonly GroupResource[];
  /**
   * How long the workers wait for every resource's first list before they start anyway.
   *
   * @default {30000}
   */
  readonly initialSyncTimeoutMs?: number;
  /** Dependents patched at once when orphaning. @default {20} */
  readonly orphanConcurrency?: number;
  /** How long after a CustomResourceDefinition change discovery runs again. @default {1000} */
  readonly rediscoverDelayMs?: number;
  /** A random number in `[0, 1)` (informer jitter). @default {Math.random} */
  readonly random?: () => number;
}

type Action = "forget" | "requeue";

interface Classified {
  readonly solid: OwnerReference[];
  readonly dangling: OwnerReference[];
  readonly waiting: OwnerReference[];
}

/** `retry.DefaultBackoff`: 4 tries, 10 ms × 5 each time. */
const FINALIZER_RETRY_DELAYS_MS = [10, 50, 250];

function isUnsupportedMediaType(err: unknown): boolean {
  return err instanceof StatusError && err.code === 415;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function sameOwnerReferences(
  a: readonly OwnerReference[] | undefined,
  b: readonly OwnerReference[] | undefined,
): boolean {
  return JSON.stringify(a ?? []) === JSON.stringify(b ?? []);
}

/** Deletes objects whose owners are gone; finishes Foreground and Orphan deletions. */
export class GarbageCollector implements RunnableController {
  readonly #client: Client;
  readonly #metadata: MetadataClient;
  readonly #ops: GcOperations;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #discover: (signal: AbortSignal) => Promise<ServerResourcesResult>;
  readonly #workers: number;
  readonly #ignored: readonly GroupResource[];
  readonly #initialSyncTimeoutMs: number;
  readonly #orphanConcurrency: number;
  readonly #random: (() => number) | undefined;
  readonly #absent = new ReferenceCache(500);
  readonly #attemptToDelete: WorkQueue<GraphNode>;
  readonly #attemptToOrphan: WorkQueue<GraphNode>;
  readonly #graph: DependencyGraph;
  readonly #monitors = new Map<string, MetadataInformer>();
  /** Stops one monitor (its resource is no longer served). */
  readonly #monitorStops = new Map<string, AbortController>();
  readonly #monitorRuns: Promise<void>[] = [];
  readonly #rediscoverDelayMs: number;
  #mapper = new RestMapper();

  constructor(deps: GarbageCollectorDeps, options: GarbageCollectorOptions = {}) {
    const { workers = 20, initialSyncTimeoutMs = 30_000, orphanConcurrency = 20 } = options;
    if (!Number.isInteger(workers) || workers < 1) {
      throw new RangeError(`Cannot run the garbage collector with ${workers} workers`);
    }
    if (!Number.isInteger(orphanConcurrency) || orphanConcurrency < 1) {
      throw new RangeError(
        `Cannot orphan ${orphanConcurrency} dependents at once: expected a positive integer`,
      );
    }
    if (!Number.isFinite(initialSyncTimeoutMs) || initialSyncTimeoutMs < 0) {
      throw new RangeError(
        `Cannot wait ${initialSyncTimeoutMs} ms for the initial sync: expected a finite number >= 0`,
      );
    }
    this.#client = deps.client;
    this.#metadata = new MetadataClient(deps.client.transport);
    this.#ops = deps.operations ??
      new ApiGcOperations({ client: deps.client, metadata: this.#metadata });
    this.#clock = deps.clock;
    this.#logger = deps.logger.with({ controller: GARBAGE_COLLECTOR_CONTROLLER_NAME });
    this.#discover = deps.discover ??
      ((signal) => discoverServerResources(this.#client.transport, { signal }));
    this.#workers = workers;
    this.#ignored = options.ignoredResources ?? DEFAULT_GC_IGNORED_RESOURCES;
    this.#initialSyncTimeoutMs = initialSyncTimeoutMs;
    this.#orphanConcurrency = orphanConcurrency;
    this.#random = options.random;
    this.#rediscoverDelayMs = options.rediscoverDelayMs ?? 1000;
    this.#attemptToDelete = new WorkQueue<GraphNode>({
      clock: deps.clock,
      rateLimiter: defaultControllerRateLimiter({ clock: deps.clock }),
    });
    this.#attemptToOrphan = new WorkQueue<GraphNode>({
      clock: deps.clock,
      rateLimiter: defaultControllerRateLimiter({ clock: deps.clock }),
    });
    this.#graph = new DependencyGraph({
      queues: {
        attemptToDelete: (node) => {
          node.noteQueued();
          this.#attemptToDelete.add(node);
        },
        attemptToDeleteRateLimited: (node) => {
          node.noteQueued();
          this.#attemptToDelete.addRateLimited(node);
        },
        attemptToOrphan: (node) => this.#attemptToOrphan.add(node),
      },
      absentOwners: this.#absent,
      recorder: deps.recorder,
      logger: this.#logger,
    });
  }

  /** The dependency graph (read it, never change it). */
  get graph(): DependencyGraph {
    return this.#graph;
  }

  /** The resources watched so far (`pods`, `replicasets.apps`). */
  get monitoredResources(): string[] {
    return [...this.#monitors.keys()];
  }

  /** Whether every resource watched has been listed once. */
  isSynced(): boolean {
    return this.#monitors.size > 0 && [...this.#monitors.values()].every((m) => m.hasSynced());
  }

  /** Items waiting in attemptToDelete and attemptToOrphan. */
  queueLengths(): { attemptToDelete: number; attemptToOrphan: number } {
    return {
      attemptToDelete: this.#attemptToDelete.len(),
      attemptToOrphan: this.#attemptToOrphan.len(),
    };
  }

  /**
   * Uses the kinds of `groups` (as discovery answers) for owner references, and watches their
   * deletable resources. Called by {@linkcode GarbageCollector.run}; tests call it to build a
   * graph without discovery.
   */
  useDiscovery(groups: ServerResourcesResult["groups"], signal?: AbortSignal): ApiResource[] {
    this.#mapper = new RestMapper(groups).merge(this.#mapper);
    const started: ApiResource[] = [];
    for (const resource of deletableResources(groups, this.#ignored)) {
      const name = resourceName(resource);
      if (this.#monitors.has(name)) continue;
      const informer = new MetadataInformer(this.#metadata.resource(resource), {
        clock: this.#clock,
        logger: this.#logger,
        ...(this.#random ? { random: this.#random } : {}),
      });
      const type = { apiVersion: apiVersionOf(resource), kind: resource.kind };
      informer.addHandler({
        add: (meta) => this.#graph.observe(type, meta),
        update: (meta) => this.#graph.observe(type, meta),
        delete: (deleted) =>
          this.#graph.observeDeleted(type, {
            uid: deleted.uid,
            ...(deleted.metadata ? { metadata: deleted.metadata } : {}),
          }),
      });
      this.#monitors.set(name, informer);
      started.push(resource);
      if (signal) {
        const stop = new AbortController();
        this.#monitorStops.set(name, stop);
        this.#monitorRuns.push(informer.run(AbortSignal.any([signal, stop.signal])));
      }
    }
    return started;
  }

  /** Stops the monitors of resources a complete discovery no longer lists; returns them. */
  #stopStaleMonitors(groups: ServerResourcesResult["groups"]): string[] {
    const served = new Set(deletableResources(groups, this.#ignored).map(resourceName));
    const stale = [...this.#monitors.keys()].filter((name) => !served.has(name));
    for (const name of stale) {
      this.#monitorStops.get(name)?.abort();
      this.#monitorStops.delete(name);
      this.#monitors.delete(name);
    }
    return stale;
  }

  /**
   * Discovers, watches, waits for the first lists (at most the initial sync timeout), then
   * runs the workers of both queues until `signal` aborts.
   */
  async run(signal: AbortSignal): Promise<void> {
    this.#logger.info("Starting controller");
    const onAbort = () => {
      this.#attemptToDelete.shutDown();
      this.#attemptToOrphan.shutDown();
    };
    signal.addEventListener("abort", onAbort, { once: true });
    let discovery: Promise<void> = Promise.resolve();
    try {
      if (signal.aborted) return;
      const first = Promise.withResolvers<void>();
      discovery = this.#discoverUntilComplete(signal, first.resolve)
        .then(() => this.#followCustomResources(signal));
      await first.promise;
      if (signal.aborted) return;
      if (await this.#waitForInitialSync(signal)) {
        this.#logger.info("All resource monitors have synced");
      } else if (!signal.aborted) {
        this.#logger.info("Not all resource monitors could be synced, proceeding anyway");
      }
      if (signal.aborted) return;
      this.#logger.info("Proceeding to collect garbage");
      const loops: Promise<void>[] = [];
      for (let i = 0; i < this.#workers; i++) {
        loops.push(
          this.#worker(
            this.#attemptToDelete,
            (n) => this.processAttemptToDelete(n, signal),
            signal,
          ),
        );
        loops.push(
          this.#worker(
            this.#attemptToOrphan,
            (n) => this.processAttemptToOrphan(n, signal),
            signal,
          ),
        );
      }
      await Promise.all(loops);
    } finally {
      signal.removeEventListener("abort", onAbort);
      onAbort();
      await discovery;
      await Promise.all(this.#monitorRuns);
      this.#logger.info("Shutting down controller");
    }
  }

  /** One attemptToDelete item: what to do with it next. */
  async processAttemptToDelete(node: GraphNode, signal?: AbortSignal): Promise<Action> {
    const queuedVirtual = node.takeQueuedVirtual();
    if (this.#graph.get(node.uid) !== node) {
      this.#logger.debug("Item no longer in the graph, skipping attemptToDeleteItem", {
        item: formatIdentity(node),
      });
      return "forget";
    }
    if (queuedVirtual && node.isObserved()) {
      // Queued to verify a virtual owner; it has been seen since, and its events tell the rest.
      this.#logger.debug("Item no longer virtual in the graph, skipping attemptToDeleteItem", {
        item: formatIdentity(node),
      });
      return "forget";
    }
    try {
      if (await this.attemptToDeleteItem(node, signal) === "virtual-deleted") return "forget";
    } catch (err) {
      if (err instanceof NamespacedOwnerOfClusterScopedObjectError) return "forget";
      if (signal?.aborted) return "forget";
      this.#logger.error("Error syncing item", { item: formatIdentity(node), error: err });
      return "requeue";
    }
    if (!node.isObserved()) {
      // Keep verifying a virtual node until an informer sees it or a GET finds it gone.
      this.#logger.debug("Item hasn't been observed via informer yet", {
        item: formatIdentity(node),
      });
      return "requeue";
    }
    return "forget";
  }

  /** One attemptToOrphan item: orphans its dependents, then removes its `orphan` finalizer. */
  async processAttemptToOrphan(owner: GraphNode, signal?: AbortSignal): Promise<Action> {
    const id = owner.identity();
    try {
      await this.#orphanDependents(id, owner.dependents(), signal);
    } catch (err) {
      if (signal?.aborted) return "forget";
      this.#logger.error("OrphanDependents for owner failed", {
        owner: formatIdentity(id),
        error: err,
      });
      return "requeue";
    }
    try {
      await this.#removeFinalizer(id, FINALIZER_ORPHAN_DEPENDENTS, signal);
    } catch (err) {
      if (signal?.aborted) return "forget";
      this.#logger.error("RemoveOrphanFinalizer for owner failed", {
        owner: formatIdentity(id),
        error: err,
      });
      return "requeue";
    }
    return "forget";
  }

  /**
   * Reads the live object of `item` and deletes it when every owner is gone, removes references
   * to gone owners when one remains, or carries on its Foreground deletion. Answers
   * `virtual-deleted` when the object turned out absent (the graph dropped it).
   *
   * @throws {NamespacedOwnerOfClusterScopedObjectError} when a cluster-scoped object names a
   * namespaced owner; `RestMappingError` for an owner kind no resource serves.
   */
  async attemptToDeleteItem(
    item: GraphNode,
    signal?: AbortSignal,
  ): Promise<"done" | "virtual-deleted"> {
    const id = item.identity();
    this.#logger.debug("Processing item", {
      item: formatIdentity(id),
      virtual: !item.isObserved(),
    });
    // "Being deleted" is a one-way trip: wait for the final delete, then see to the dependents.
    if (item.isBeingDeleted() && !item.isDeletingDependents()) return "done";
    let latest: ObjectMeta;
    try {
      latest = await this.#getObject(id, signal);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      this.#logger.debug("Item not found, generating a virtual delete event", {
        item: formatIdentity(id),
      });
      this.#graph.virtualDelete(id);
      return "virtual-deleted";
    }
    if (latest.uid !== id.uid) {
      this.#logger.debug("UID doesn't match, item not found, generating a virtual delete event", {
        item: formatIdentity(id),
      });
      this.#graph.virtualDelete(id);
      return "virtual-deleted";
    }
    if (item.isDeletingDependents()) {
      await this.#processDeletingDependents(item, id, signal);
      return "done";
    }
    const owners = latest.ownerReferences ?? [];
    if (owners.length === 0) {
      this.#logger.debug("Item doesn't have an owner, continue on next item", {
        item: formatIdentity(id),
      });
      return "done";
    }
    const { solid, dangling, waiting } = await this.#classifyReferences(id, owners, signal);
    if (solid.length > 0) {
      if (dangling.length === 0 && waiting.length === 0) return "done";
      // Waiting references go too, or their owners would wait for this object forever.
      const uids = [...dangling, ...waiting].map((r) => r.uid ?? "");
      this.#logger.debug("Remove dangling references and waiting references for item", {
        item: formatIdentity(id),
        owners: uids,
      });
      await this.#patch(id, deleteOwnerRefsPatch(id.uid, uids), async () => {
        const live = await this.#getObject(id, signal);
        return {
          metadata: {
            resourceVersion: live.resourceVersion ?? "",
            ownerReferences: (live.ownerReferences ?? []).filter((r) =>
              !uids.includes(r.uid ?? "")
            ),
          },
        };
      }, signal);
      return "done";
    }
    let policy: "Orphan" | "Background" | "Foreground";
    if (waiting.length > 0 && item.dependentsLength() > 0) {
      for (const dep of item.dependents()) {
        if (!dep.isDeletingDependents()) continue;
        // A dependent waits for this object while this object waits for an owner: unblock this
        // object's references so that the cycle cannot hold (false positives are possible).
        this.#logger.info(
          "Processing item: some of its owners and its dependent have FinalizerDeletingDependents; its ownerReferences are made non-blocking and it is deleted in the foreground",
          { item: formatIdentity(id), dependent: formatIdentity(dep) },
        );
        await this.#patch(id, unblockOwnerRefsPatch(id.uid, item), async () => {
          const live = await this.#getObject(id, signal);
          return {
            metadata: {
              resourceVersion: live.resourceVersion ?? "",
              ownerReferences: (live.ownerReferences ?? []).map((r) => ({
                ...r,
                blockOwnerDeletion: false,
              })),
            },
          };
        }, signal);
        break;
      }
      policy = "Foreground";
    } else {
      // No owner left: the object goes, with the policy its own finalizers ask for.
      const finalizers = latest.finalizers ?? [];
      policy = finalizers.includes(FINALIZER_ORPHAN_DEPENDENTS)
        ? "Orphan"
        : finalizers.includes(FINALIZER_DELETE_DEPENDENTS)
        ? "Foreground"
        : "Background";
    }
    this.#logger.debug("Deleting item", { item: formatIdentity(id), propagationPolicy: policy });
    try {
      await this.#deleteObject(id, {
        resourceVersion: latest.resourceVersion ?? "",
        owners: latest.ownerReferences,
        policy,
      }, signal);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      this.#graph.virtualDelete(id);
      return "virtual-deleted";
    }
    return "done";
  }

  async #processDeletingDependents(
    item: GraphNode,
    id: ObjectIdentity,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const blocking = item.blockingDependents();
    if (blocking.length === 0) {
      this.#logger.debug("Remove DeleteDependents finalizer for item", {
        item: formatIdentity(id),
      });
      await this.#removeFinalizer(id, FINALIZER_DELETE_DEPENDENTS, signal);
      return;
    }
    for (const dep of blocking) {
      if (dep.isDeletingDependents()) continue;
      this.#logger.debug(
        "Adding dependent to attemptToDelete, because its owner is deletingDependents",
        {
          item: formatIdentity(id),
          dependent: formatIdentity(dep),
        },
      );
      dep.noteQueued();
      this.#attemptToDelete.add(dep);
    }
  }

  /** Sorts `owners` into solid, dangling and waiting-for-dependents (live GETs). */
  async #classifyReferences(
    item: ObjectIdentity,
    owners: readonly OwnerReference[],
    signal: AbortSignal | undefined,
  ): Promise<Classified> {
    const out: Classified = { solid: [], dangling: [], waiting: [] };
    for (const ref of owners) {
      const owner = await this.#ownerIfPresent(ref, item, signal);
      if (owner === null) out.dangling.push(ref);
      else if (
        owner.deletionTimestamp && (owner.finalizers ?? []).includes(FINALIZER_DELETE_DEPENDENTS)
      ) out.waiting.push(ref);
      else out.solid.push(ref);
    }
    return out;
  }

  /** The owner `ref` names, read live; null when it is absent (a dangling reference). */
  async #ownerIfPresent(
    ref: OwnerReference,
    item: ObjectIdentity,
    signal: AbortSignal | undefined,
  ): Promise<ObjectMeta | null> {
    const key = {
      apiVersion: ref.apiVersion ?? "",
      kind: ref.kind ?? "",
      name: ref.name ?? "",
      uid: ref.uid ?? "",
      namespace: "",
    };
    if (this.#absent.has(key)) return null;
    if (this.#absent.has({ ...key, namespace: item.namespace })) return null;
    const resource = this.#mapper.resourceFor(key.apiVersion, key.kind);
    if (item.namespace === "" && resource.namespaced) {
      this.#logger.info("Item is cluster-scoped, but refers to a namespaced owner", {
        item: formatIdentity(item),
        owner: key.name,
      });
      throw new NamespacedOwnerOfClusterScopedObjectError();
    }
    const absentKey = { ...key, namespace: resource.namespaced ? item.namespace : "" };
    let owner: ObjectMeta;
    try {
      owner = await this.#ops.get(resource, {
        namespace: absentKey.namespace,
        name: key.name,
      }, signal);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      this.#absent.add(absentKey);
      this.#logger.debug("Item's owner is not found", {
        item: formatIdentity(item),
        owner: key.name,
      });
      return null;
    }
    if (owner.uid !== key.uid) {
      this.#absent.add(absentKey);
      this.#logger.debug("Item's owner is not found, UID mismatch", {
        item: formatIdentity(item),
        owner: key.name,
      });
      return null;
    }
    return owner;
  }

  #target(id: ObjectIdentity): { resource: ApiResource; namespace: string; name: string } {
    const resource = this.#mapper.resourceFor(id.apiVersion, id.kind);
    const namespace = resource.namespaced ? id.namespace : "";
    // A namespaced kind without a namespace: only a cluster-scoped dependent names one so.
    if (resource.namespaced && namespace === "") {
      throw new NamespacedOwnerOfClusterScopedObjectError();
    }
    return { resource, namespace, name: id.name };
  }

  async #getObject(id: ObjectIdentity, signal: AbortSignal | undefined): Promise<ObjectMeta> {
    const { resource, ...target } = this.#target(id);
    return await this.#ops.get(resource, target, signal);
  }

  async #deleteObject(
    id: ObjectIdentity,
    what: {
      readonly resourceVersion: string;
      readonly owners: readonly OwnerReference[] | undefined;
      readonly policy: "Orphan" | "Background" | "Foreground";
    },
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const { resource, ...target } = this.#target(id);
    const base = {
      ...target,
      uid: id.uid,
      propagationPolicy: what.policy,
      ...(signal ? { signal } : {}),
    };
    try {
      await this.#ops.delete(resource, {
        ...base,
        ...(what.resourceVersion ? { resourceVersion: what.resourceVersion } : {}),
      });
    } catch (err) {
      if (!isConflict(err) || !what.resourceVersion) throw err;
      // The object changed since it was read: delete anyway if its owners did not.
      let live: ObjectMeta;
      try {
        live = await this.#ops.get(resource, target, signal);
      } catch (liveErr) {
        if (isNotFound(liveErr)) return;
        throw err;
      }
      if (live.uid !== id.uid) return;
      if (!sameOwnerReferences(live.ownerReferences, what.owners)) throw err;
      await this.#ops.delete(resource, base);
    }
  }

  /** A strategic-merge patch, or a JSON merge patch where that is not supported. */
  async #patch(
    id: ObjectIdentity,
    strategic: unknown,
    merge: () => Promise<unknown>,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const { resource, ...target } = this.#target(id);
    try {
      await this.#ops.patch(resource, {
        ...target,
        type: "strategic",
        body: strategic,
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      if (!isUnsupportedMediaType(err)) throw err;
      await this.#ops.patch(resource, {
        ...target,
        type: "merge",
        body: await merge(),
        ...(signal ? { signal } : {}),
      });
    }
  }

  /** Removes `finalizer` from the live object (a guarded merge patch, retried on conflict). */
  async #removeFinalizer(
    owner: ObjectIdentity,
    finalizer: string,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    for (let attempt = 0;; attempt++) {
      let live: ObjectMeta;
      try {
        live = await this.#getObject(owner, signal);
      } catch (err) {
        if (isNotFound(err)) return;
        throw new Error(
          `cannot finalize owner ${formatIdentity(owner)}, because cannot get it: ${
            errorText(err)
          }. The garbage collector will retry later`,
          { cause: err },
        );
      }
      const finalizers = live.finalizers ?? [];
      if (!finalizers.includes(finalizer)) {
        this.#logger.debug("Finalizer already removed from object", {
          item: formatIdentity(owner),
          finalizer,
        });
        return;
      }
      const rest = finalizers.filter((f) => f !== finalizer);
      const { resource, ...target } = this.#target(owner);
      try {
        await this.#ops.patch(resource, {
          ...target,
          type: "merge",
          body: {
            metadata: {
              resourceVersion: live.resourceVersion ?? "",
              finalizers: rest.length > 0 ? rest : null,
            },
          },
          ...(signal ? { signal } : {}),
        });
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        if (!isConflict(err)) throw err;
        const delayMs = FINALIZER_RETRY_DELAYS_MS[attempt];
        if (delayMs === undefined) {
          throw new Error(
            `updateMaxRetries(${
              FINALIZER_RETRY_DELAYS_MS.length + 1
            }) has reached. The garbage collector will retry later for owner ${
              formatIdentity(owner)
            }`,
            { cause: err },
          );
        }
        await this.#clock.sleep(delayMs, signal);
      }
    }
  }

  /** Removes `owner`'s reference from each dependent (a few at a time). */
  async #orphanDependents(
    owner: ObjectIdentity,
    dependents: readonly GraphNode[],
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const errors: string[] = [];
    let next = 0;
    const lane = async () => {
      while (next < dependents.length) {
        const dep = dependents[next++]!;
        const id = dep.identity();
        try {
          await this.#patch(id, deleteOwnerRefsPatch(id.uid, [owner.uid]), async () => {
            const live = await this.#getObject(id, signal);
            return {
              metadata: {
                resourceVersion: live.resourceVersion ?? "",
                ownerReferences: (live.ownerReferences ?? []).filter((r) => r.uid !== owner.uid),
              },
            };
          }, signal);
        } catch (err) {
          // A dependent that is gone needs no orphaning.
          if (!isNotFound(err)) {
            errors.push(`orphaning ${formatIdentity(id)} failed, ${errorText(err)}`);
          }
        }
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(this.#orphanConcurrency, dependents.length) }, lane),
    );
    if (errors.length > 0) {
      const all = errors.length === 1 ? errors[0]! : `[${errors.join(", ")}]`;
      throw new Error(
        `failed to orphan dependents of owner ${formatIdentity(owner)}, got errors: ${all}`,
      );
    }
    this.#logger.debug("Successfully updated all dependents", { owner: formatIdentity(owner) });
  }

  async #worker(
    queue: WorkQueue<GraphNode>,
    process: (node: GraphNode) => Promise<Action>,
    signal: AbortSignal,
  ): Promise<void> {
    for (;;) {
      const node = await queue.get();
      if (node === undefined) return;
      try {
        if (signal.aborted) continue;
        const action = await process(node);
        if (action === "forget") queue.forget(node);
        else if (!signal.aborted) {
          node.noteQueued();
          queue.addRateLimited(node);
        }
      } catch (err) {
        this.#logger.error("Garbage collector worker failed", {
          item: formatIdentity(node),
          error: err,
        });
      } finally {
        queue.done(node);
      }
    }
  }

  /** Discovers (retrying with backoff while any of it fails), watching what is found. */
  async #discoverUntilComplete(signal: AbortSignal, firstFound: () => void): Promise<void> {
    const backoff = new Backoff({
      initialMs: 1000,
      maxMs: 60_000,
      ...(this.#random ? { random: this.#random } : {}),
    });
    try {
      while (!signal.aborted) {
        let result: ServerResourcesResult;
        try {
          result = await this.#discover(signal);
        } catch (err) {
          if (signal.aborted) return;
          result = { groups: [], error: err instanceof Error ? err : new Error(String(err)) };
        }
        if (result.groups.length > 0) {
          const started = this.useDiscovery(result.groups, signal);
          if (started.length > 0) {
            this.#logger.info("Watching resources", {
              resources: started.map((r) =>
                r.group === "" ? r.resource : `${r.resource}.${r.group}`
              ),
            });
          }
          if (this.#monitors.size > 0) firstFound();
        }
        if (!result.error) {
          const stopped = this.#stopStaleMonitors(result.groups);
          if (stopped.length > 0) this.#logger.info("Stopped watching resources", { stopped });
          if (this.#monitors.size === 0) {
            this.#logger.warn("No resources reported by discovery; nothing to collect");
            firstFound();
          }
          return;
        }
        const delayMs = backoff.next();
        this.#logger.warn("Failed to discover some resources", {
          error: result.error,
          retryInMs: delayMs,
        });
        try {
          await this.#clock.sleep(delayMs, signal);
        } catch {
          return;
        }
      }
    } finally {
      firstFound();
    }
  }

  /**
   * Runs discovery again after CustomResourceDefinitions change (debounced), until `signal`
   * aborts; a server that does not serve CRDs leaves it idle.
   */
  async #followCustomResources(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const crds = new MetadataInformer(this.#metadata.resource(CUSTOM_RESOURCE_DEFINITIONS), {
      clock: this.#clock,
      logger: this.#logger,
      ...(this.#random ? { random: this.#random } : {}),
    });
    let changed = Promise.withResolvers<void>();
    const mark = () => {
      if (crds.hasSynced()) changed.resolve();
    };
    crds.addHandler({ add: mark, update: mark, delete: mark });
    const running = crds.run(signal);
    const stopped = new Promise<void>((resolve) =>
      signal.addEventListener("abort", () => resolve(), { once: true })
    );
    try {
      while (!signal.aborted) {
        await Promise.race([changed.promise, stopped]);
        if (signal.aborted) break;
        try {
          await this.#clock.sleep(this.#rediscoverDelayMs, signal);
        } catch {
          break;
        }
        changed = Promise.withResolvers<void>();
        await this.#discoverUntilComplete(signal, () => {});
      }
    } finally {
      await running;
    }
  }

  async #waitForInitialSync(signal: AbortSignal): Promise<boolean> {
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    signal.addEventListener("abort", onAbort, { once: true });
    const timer = this.#clock.setTimeout(() => stop.abort(), this.#initialSyncTimeoutMs);
    try {
      const results = await Promise.all(
        [...this.#monitors.values()].map((m) => m.waitForSync(stop.signal)),
      );
      return results.every((synced) => synced);
    } finally {
      timer.cancel();
      signal.removeEventListener("abort", onAbort);
    }
  }
}

/** `pods`, `replicasets.apps`: how monitors are named. */
function resourceName(resource: ApiResource): string {
  return resource.group === "" ? resource.resource : `${resource.resource}.${resource.group}`;
}

/** `{"metadata":{"ownerReferences":[{"$patch":"delete","uid":…}…],"uid":…}}` */
function deleteOwnerRefsPatch(dependentUid: string, ownerUids: readonly string[]): unknown {
  return {
    metadata: {
      ownerReferences: ownerUids.map((uid) => ({ $patch: "delete", uid })),
      uid: dependentUid,
    },
  };
}

/** Sets `blockOwnerDeletion: false` on every blocking reference of `node`. */
function unblockOwnerRefsPatch(uid: string, node: GraphNode): unknown {
  return {
    metadata: {
      ownerReferences: node.owners.filter((o) => o.blockOwnerDeletion).map((o) => ({
        apiVersion: o.apiVersion,
        kind: o.kind,
        name: o.name,
        uid: o.uid,
        ...(o.controller ? { controller: true } : {}),
        blockOwnerDeletion: false,
      })),
      uid,
    },
  };
}

/** The controller manager's factory of the garbage collector. */
export function garbageCollectorController(context: ControllerContext): RunnableController {
  return new GarbageCollector({
    client: context.client,
    recorder: context.recorder(GARBAGE_COLLECTOR_EVENT_COMPONENT),
    clock: context.clock,
    logger: context.logger,
  });
}
