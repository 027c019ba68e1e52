/**
 * The DaemonSet controller, as kube-controller-manager's `daemonset` controller: one pod of
 * each DaemonSet on every node its template fits, rolled to a new template node by node.
 *
 * - **Placement** (`_daemon_set_node_fit.ts`): a node fits when the template's `nodeName` (if
 *   any), `nodeSelector` and required node affinity match it and every NoSchedule/NoExecute
 *   taint is tolerated — counting the tolerations every daemon pod gets (not-ready and
 *   unreachable NoExecute forever; disk-, memory-, pid-pressure and unschedulable NoSchedule;
 *   network-unavailable for hostNetwork pods). A pod may stay on a node with a new untolerated
 *   NoSchedule taint, not a NoExecute one.
 * - **Pods** are created with a required node affinity on `metadata.name` of their node (the
 *   scheduler binds them), labelled `controller-revision-hash` and `pod-template-generation`,
 *   in slow-start batches of at most 250 per sync. Pods on nodes that no longer fit are
 *   deleted, so are extra pods on a node (the oldest stays), succeeded pods, unbound pods of
 *   nodes that are gone, and failed pods — with a per-node backoff from 1 s to 15 min and a
 *   `FailedDaemonPod` event — to be created again.
 * - **Expectations**: after creating or deleting, the controller waits (at most 5 minutes)
 *   until its caches show the change, updating only status meanwhile; it never creates twice
 *   for a lagging cache.
 * - **Updates**: `RollingUpdate` (the default) with `maxUnavailable` (delete old pods, the
 *   main loop recreates them) or `maxSurge` (start the new pod next to the old, delete the old
 *   once the new is available after `minReadySeconds`); `OnDelete` replaces a pod only once it
 *   is deleted. Each template is a ControllerRevision (`_daemon_set_history.ts`), at most
 *   `revisionHistoryLimit` old ones kept, which `kubectl rollout history/undo` use.
 * - **Status**: desired/current/updated numbers scheduled, misscheduled, ready, available,
 *   unavailable and observedGeneration, written only when they change — what
 *   `kubectl rollout status daemonset/x` watches.
 * - Handlers only enqueue: DaemonSets; pods to their controller (orphans to every DaemonSet
 *   selecting them); revisions likewise; a node added to the DaemonSets that fit it, a node
 *   whose labels or taints change to those whose placement on it changes, a node deleted to
 *   those that could run there (upstream has no node-delete handler; it leaves the status
 *   stale until the next sync).
 *
 * @example Wire it from a controller manager's context
 * ```ts ignore
 * const controller = daemonSetController(context);
 * context.informers.start(signal);
 * await controller.run(signal);
 * ```
 *
 * @module
 */
import type { ControllerRevision, DaemonSet, DaemonSetStatus } from "../api/types/apps_v1.ts";
import type { Node } from "../api/types/core_v1_node.ts";
import type { Pod } from "../api/types/core_v1_pod.ts";
import type { Client, ResourceClient } from "../client/client.ts";
import { isNotFound } from "../client/errors.ts";
import type { EventRecorder } from "../client/event_recorder.ts";
import type { CompiledLabelSelector } from "../client/label_selector.ts";
import { CONTROLLER_REVISIONS, DAEMON_SETS, NODES, PODS } from "../client/resources.ts";
import {
  indexByOwnerUid,
  metaNamespaceKey,
  type ObjectStore,
  splitMetaNamespaceKey,
} from "../client/store.ts";
import type { WorkQueue } from "../client/workqueue.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import { availabilityRecheckMs, ownedObjectHandler, ownerHandler } from "./_controller_handlers.ts";
import { addMissingIndexers, ControllerLoop, type InformerLike } from "./_controller_loop.ts";
import { FailedPodsBackoff } from "./_daemon_set_backoff.ts";
import { DaemonSetHistory, ORPHAN_REVISION_INDEX } from "./_daemon_set_history.ts";
import {
  type DaemonPodPlacement,
  nodeShouldRunDaemonPod,
  targetNodeName,
  withNodeNameAffinity,
} from "./_daemon_set_node_fit.ts";
import {
  allowsSurge,
  compareDaemonPods,
  daemonPodTemplate,
  type DaemonPodTemplateOptions,
  isPodUpdated,
  REVISION_HASH_LABEL,
  templateGeneration,
} from "./_daemon_set_pods.ts";
import { planRollingUpdate, rollingUpdateCounts } from "./_daemon_set_rolling_update.ts";
import { aggregateErrors, errorText } from "./_errors.ts";
import {
  claimOwnedPods,
  indexOrphansByNamespace,
  ORPHAN_NAMESPACE_INDEX,
  OWNER_UID_INDEX,
  recheckOwner,
} from "./_owner_adoption.ts";
import { isPodAvailable, isPodReady } from "./active_pods.ts";
import type { ControllerContext, RunnableController } from "./controller_manager.ts";
import { type ControllerKind, newControllerRef } from "./controller_ref_manager.ts";
import { ControllerExpectations } from "./expectations.ts";
import { OwnerLookup } from "./owner_lookup.ts";
import { ApiPodControl, isNamespaceTerminating, type PodControl } from "./pod_control.ts";
import { slowStartBatch } from "./slow_start_batch.ts";

export { REVISION_HASH_LABEL, TEMPLATE_GENERATION_LABEL } from "./_daemon_set_pods.ts";
export { nodeShouldRunDaemonPod } from "./_daemon_set_node_fit.ts";

/** The controller's name in `--controllers` and in logs. */
export const DAEMON_SET_CONTROLLER_NAME = "daemonset";

/** The component its events name as their source. */
export const DAEMON_SET_EVENT_SOURCE = "daemonset-controller";

/** The kind the controller manages. */
export const DAEMON_SET_KIND: ControllerKind = { apiVersion: "apps/v1", kind: "DaemonSet" };

/** The most pods one sync creates or deletes (upstream `BurstReplicas`). */
export const DAEMON_SET_BURST_REPLICAS = 250;

/** Event reasons (upstream's). */
export const SELECTING_ALL_REASON = "SelectingAll";
export const FAILED_PLACEMENT_REASON = "FailedPlacement";
export const FAILED_DAEMON_POD_REASON = "FailedDaemonPod";
export const SUCCEEDED_DAEMON_POD_REASON = "SucceededDaemonPod";

/** Status writes retried after a fresh read (upstream `StatusUpdateRetries`). */
const STATUS_UPDATE_RETRIES = 1;

/** What {@linkcode DaemonSetController} works with. */
export interface DaemonSetControllerDeps {
  /** Rereads DaemonSets, writes their status and their ControllerRevisions. */
  readonly client: Client;
  readonly dsInformer: InformerLike<DaemonSet>;
  readonly historyInformer: InformerLike<ControllerRevision>;
  readonly podInformer: InformerLike<Pod>;
  readonly nodeInformer: InformerLike<Node>;
  readonly podControl: PodControl;
  /** Records `SelectingAll`, `FailedDaemonPod` and `SucceededDaemonPod` events. */
  readonly recorder: EventRecorder;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** Options of {@linkcode DaemonSetController}. */
export interface DaemonSetControllerOptions {
  /** @default {DAEMON_SET_BURST_REPLICAS} */
  readonly burstReplicas?: number;
  /** Syncs at once (upstream `--concurrent-daemonset-syncs`). @default {2} */
  readonly workers?: number;
  /** @default {EXPECTATIONS_TIMEOUT_MS} */
  readonly expectationsTimeoutMs?: number;
  /** The first delay before a failed pod on a node is replaced again. @default {1000} */
  readonly failedPodsBackoffInitialMs?: number;
  /** @default {900000} */
  readonly failedPodsBackoffMaxMs?: number;
}

/** The counts of a DaemonSet's status (upstream `updateDaemonSetStatus`). */
export interface DaemonSetStatusCounts {
  readonly desiredNumberScheduled: number;
  readonly currentNumberScheduled: number;
  readonly numberMisscheduled: number;
  readonly numberReady: number;
  readonly updatedNumberScheduled: number;
  readonly numberAvailable: number;
  readonly numberUnavailable: number;
}

/** What {@linkcode calculateDaemonSetStatus} counts from. */
export interface DaemonSetStatusInput {
  readonly nodes: readonly Node[];
  /** The DaemonSet's pods by the node they are for. */
  readonly nodeToDaemonPods: ReadonlyMap<string, readonly Pod[]>;
  /** The current revision's hash. */
  readonly hash: string;
  readonly nowMs: number;
}

/**
 * The status counts of `ds`: per node that should run it, whether it has a pod and whether
 * its oldest pod is ready, available and updated; per node that should not, whether it has
 * one anyway.
 */
export function calculateDaemonSetStatus(
  ds: DaemonSet,
  input: DaemonSetStatusInput,
): DaemonSetStatusCounts {
  let desired = 0;
  let current = 0;
  let misscheduled = 0;
  let ready = 0;
  let updated = 0;
  let available = 0;
  const minReadySeconds = ds.spec?.minReadySeconds ?? 0;
  const revision: DaemonPodTemplateOptions = {
    generation: templateGeneration(ds),
    hash: input.hash,
  };
  for (const node of input.nodes) {
    const { shouldRun } = nodeShouldRunDaemonPod(node, ds.spec?.template?.spec);
    const pods = input.nodeToDaemonPods.get(node.metadata?.name ?? "") ?? [];
    if (!shouldRun) {
      if (pods.length > 0) misscheduled++;
      continue;
    }
    desired++;
    if (pods.length === 0) continue;
    current++;
    const pod = [...pods].sort(compareDaemonPods)[0]!;
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, { minReadySeconds, nowMs: input.nowMs })) available++;
    }
    if (isPodUpdated(pod, revision)) updated++;
  }
  return {
    desiredNumberScheduled: desired,
    currentNumberScheduled: current,
    numberMisscheduled: misscheduled,
    numberReady: ready,
    updatedNumberScheduled: updated,
    numberAvailable: available,
    numberUnavailable: desired - available,
  };
}

const COUNT_FIELDS = [
  "desiredNumberScheduled",
  "currentNumberScheduled",
  "numberMisscheduled",
  "numberReady",
  "updatedNumberScheduled",
  "numberAvailable",
  "numberUnavailable",
] as const;

/** Whether writing `counts` would change nothing (upstream `storeDaemonSetStatus`'s check). */
export function daemonSetStatusUnchanged(ds: DaemonSet, counts: DaemonSetStatusCounts): boolean {
  const status: Partial<DaemonSetStatus> = ds.status ?? {};
  return COUNT_FIELDS.every((f) => (status[f] ?? 0) === counts[f]) &&
    (status.observedGeneration ?? 0) >= (ds.metadata?.generation ?? 0);
}

function isSelectingAll(ds: DaemonSet): boolean {
  const s = ds.spec?.selector;
  return s !== undefined && Object.keys(s.matchLabels ?? {}).length === 0 &&
    (s.matchExpressions ?? []).length === 0;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** The pods a sync acts on, by node (upstream `getNodesToDaemonPods`). */
type NodeToDaemonPods = Map<string, Pod[]>;

/** What one sync of a DaemonSet works from: every node, the current revision, the selector. */
interface DaemonSetPass {
  readonly nodes: readonly Node[];
  /** The current revision's hash. */
  readonly hash: string;
  readonly selector: CompiledLabelSelector;
}

/** What one call of `#syncNodes` does. */
interface SyncNodesRequest {
  readonly podsToDelete: readonly string[];
  readonly nodesToCreate: readonly string[];
  readonly hash: string;
}

/** Runs each DaemonSet's pod on every node it fits. */
export class DaemonSetController {
  readonly #deps: DaemonSetControllerDeps;
  readonly #dsClient: ResourceClient<DaemonSet>;
  readonly #dsStore: ObjectStore<DaemonSet>;
  readonly #podStore: ObjectStore<Pod>;
  readonly #nodeStore: ObjectStore<Node>;
  readonly #history: DaemonSetHistory;
  readonly #loop: ControllerLoop;
  readonly #queue: WorkQueue<string>;
  readonly #expectations: ControllerExpectations;
  readonly #backoff: FailedPodsBackoff;
  readonly #logger: Logger;
  readonly #burstReplicas: number;
  /** The DaemonSets of the cache, by controllerRef or selector. */
  readonly #owners: OwnerLookup<DaemonSet>;

  constructor(deps: DaemonSetControllerDeps, options: DaemonSetControllerOptions = {}) {
    this.#deps = deps;
    this.#dsClient = deps.client.resource(DAEMON_SETS);
    this.#logger = deps.logger.with({ controller: DAEMON_SET_CONTROLLER_NAME });
    this.#burstReplicas = options.burstReplicas ?? DAEMON_SET_BURST_REPLICAS;
    this.#loop = new ControllerLoop({
      name: DAEMON_SET_CONTROLLER_NAME,
      workers: options.workers ?? 2,
      clock: deps.clock,
      logger: deps.logger,
    });
    this.#queue = this.#loop.queue;
    this.#expectations = new ControllerExpectations({
      clock: deps.clock,
      logger: this.#logger,
      timeoutMs: options.expectationsTimeoutMs,
    });
    this.#backoff = new FailedPodsBackoff({
      ...(options.failedPodsBackoffInitialMs !== undefined
        ? { initialMs: options.failedPodsBackoffInitialMs }
        : {}),
      ...(options.failedPodsBackoffMaxMs !== undefined
        ? { maxMs: options.failedPodsBackoffMaxMs }
        : {}),
    });
    addMissingIndexers(deps.podInformer, {
      [OWNER_UID_INDEX]: indexByOwnerUid,
      [ORPHAN_NAMESPACE_INDEX]: indexOrphansByNamespace,
    });
    addMissingIndexers(deps.historyInformer, {
      [OWNER_UID_INDEX]: indexByOwnerUid,
      [ORPHAN_REVISION_INDEX]: indexOrphansByNamespace,
    });
    this.#dsStore = deps.dsInformer.store;
    this.#podStore = deps.podInformer.store;
    this.#nodeStore = deps.nodeInformer.store;
    this.#owners = new OwnerLookup({
      store: this.#dsStore,
      kind: DAEMON_SET_KIND,
      selector: (ds) => ds.spec?.selector,
      overlapWarning: {
        logger: this.#logger,
        message: "More than one DaemonSet is selecting these labels",
        objectField: "object",
        ownersField: "daemonSets",
      },
    });
    this.#history = new DaemonSetHistory({
      client: deps.client,
      store: deps.historyInformer.store,
      kind: DAEMON_SET_KIND,
      ownerIndex: OWNER_UID_INDEX,
      logger: this.#logger,
    });
    this.#loop.handle(
      deps.dsInformer,
      ownerHandler<DaemonSet>({ queue: this.#queue, expectations: this.#expectations }),
    );
    // Only a revision's owner cares about it, and for a new one its owner made it.
    this.#loop.handle(
      deps.historyInformer,
      ownedObjectHandler<ControllerRevision, DaemonSet>({
        owners: this.#owners,
        queue: this.#queue,
        enqueueOwnerOnAdd: false,
      }),
    );
    this.#loop.handle(
      deps.podInformer,
      ownedObjectHandler<Pod, DaemonSet>({
        owners: this.#owners,
        queue: this.#queue,
        expectations: this.#expectations,
        deletionStart: "delete",
        recheckAfterMs: availabilityRecheckMs,
      }),
    );
    this.#loop.handle(deps.nodeInformer, {
      add: (node) => this.#onNodeAdd(node),
      update: (old, cur) => this.#onNodeUpdate(old, cur),
      delete: (node) => this.#onNodeDelete(node),
    });
  }

  /** The keys waiting to be synced. */
  get queue(): WorkQueue<string> {
    return this.#queue;
  }

  /** The creations and deletions each DaemonSet still expects to observe. */
  get expectations(): ControllerExpectations {
    return this.#expectations;
  }

  /** Waits for the caches, then syncs queued keys until `signal` aborts. Runs once. */
  async run(signal: AbortSignal): Promise<void> {
    await this.#loop.run(signal, {
      sync: (key) => this.sync(key),
      waitFor: [
        this.#deps.podInformer,
        this.#deps.nodeInformer,
        this.#deps.historyInformer,
        this.#deps.dsInformer,
      ],
    });
  }

  // --- event handlers of nodes: only enqueue keys -------------------------------------------

  #enqueue(ds: DaemonSet): void {
    this.#queue.add(metaNamespaceKey(ds));
  }

  #placement(node: Node, ds: DaemonSet): DaemonPodPlacement {
    return nodeShouldRunDaemonPod(node, ds.spec?.template?.spec);
  }

  #onNodeAdd(node: Node): void {
    for (const ds of this.#dsStore.list()) {
      if (this.#placement(node, ds).shouldRun) this.#enqueue(ds);
    }
  }

  #onNodeUpdate(old: Node, cur: Node): void {
    // Placement reads only labels and taints.
    if (
      sameJson(old.metadata?.labels ?? {}, cur.metadata?.labels ?? {}) &&
      sameJson(old.spec?.taints ?? [], cur.spec?.taints ?? [])
    ) return;
    for (const ds of this.#dsStore.list()) {
      const before = this.#placement(old, ds);
      const after = this.#placement(cur, ds);
      if (
        before.shouldRun !== after.shouldRun ||
        before.shouldContinueRunning !== after.shouldContinueRunning
      ) this.#enqueue(ds);
    }
  }

  #onNodeDelete(node: Node): void {
    // Not upstream (which waits for the next sync): the desired count drops now.
    for (const ds of this.#dsStore.list()) {
      if (this.#placement(node, ds).shouldContinueRunning) this.#enqueue(ds);
    }
  }

  // --- sync -----------------------------------------------------------------------------------

  /**
   * Converges the DaemonSet `key` (`namespace/name`) from the caches (upstream
   * `syncDaemonSet`). Throws to be retried with backoff.
   */
  async sync(key: string): Promise<void> {
    const ds = this.#dsStore.get(key);
    if (!ds) {
      this.#expectations.delete(key);
      return;
    }
    const nodes = this.#nodeStore.list();
    if (isSelectingAll(ds)) {
      this.#deps.recorder.event(ds, {
        type: "Warning",
        reason: SELECTING_ALL_REASON,
        message: "This daemon set is selecting all pods. A non-empty selector is required.",
      });
      return;
    }
    const selector = this.#owners.selectorOf(ds);
    if (selector === null) {
      this.#logger.error("Cannot use the DaemonSet's pod selector", { key });
      return;
    }
    // The history of a DaemonSet being deleted may be gone already: its status cannot be
    // trusted, so nothing is done at all.
    if (ds.metadata?.deletionTimestamp) return;
    let history;
    try {
      history = await this.#history.construct(ds, {
        selector,
        pods: async () => await this.#claimPods(ds, selector),
        canAdopt: () => this.#canAdopt(ds),
      });
    } catch (err) {
      throw new Error(`failed to construct revisions of DaemonSet: ${errorText(err)}`, {
        cause: err,
      });
    }
    const hash = history.cur.metadata?.labels?.[REVISION_HASH_LABEL] ?? "";
    if (!this.#expectations.satisfied(key)) {
      // Status only; observedGeneration stays, as this generation was not acted on.
      await this.#updateStatus(ds, { nodes, hash, selector, observedGeneration: false });
      return;
    }
    let updateError: unknown;
    try {
      await this.#updateDaemonSet(ds, { nodes, hash, selector, old: history.old });
    } catch (err) {
      updateError = err;
    }
    try {
      await this.#updateStatus(ds, { nodes, hash, selector, observedGeneration: true });
    } catch (err) {
      if (updateError === undefined) throw err;
      this.#logger.error("Failed to update status", { daemonSet: key, error: err });
    }
    if (updateError !== undefined) throw updateError;
  }

  /** Rejects unless an uncached read shows the same DaemonSet, not being deleted. */
  async #canAdopt(ds: DaemonSet): Promise<void> {
    await recheckOwner(ds, { client: this.#dsClient, kind: DAEMON_SET_KIND });
  }

  /** The pods `ds` controls, after adopting and releasing (upstream `getDaemonPods`). */
  async #claimPods(ds: DaemonSet, selector: CompiledLabelSelector): Promise<Pod[]> {
    const { claimed, errors } = await claimOwnedPods({
      podStore: this.#podStore,
      podControl: this.#deps.podControl,
      owner: ds,
      kind: DAEMON_SET_KIND,
      matches: (pod) => selector.matches(pod.metadata?.labels),
      canAdopt: () => this.#canAdopt(ds),
    });
    if (errors.length > 0) throw aggregateErrors(errors);
    return claimed;
  }

  /**
   * The claimed pods by the node they are for; terminal pods being deleted are left out unless
   * `includeDeletedTerminal` (upstream `getNodesToDaemonPods`).
   */
  async #nodeToDaemonPods(
    ds: DaemonSet,
    options: { readonly selector: CompiledLabelSelector; readonly includeDeletedTerminal: boolean },
  ): Promise<NodeToDaemonPods> {
    let claimed: Pod[];
    try {
      claimed = await this.#claimPods(ds, options.selector);
    } catch (err) {
      throw new Error(
        `couldn't get node to daemon pod mapping for daemon set "${ds.metadata?.name}": ${
          errorText(err)
        }`,
        { cause: err },
      );
    }
    const out: NodeToDaemonPods = new Map();
    for (const pod of claimed) {
      const phase = pod.status?.phase;
      const terminal = phase === "Failed" || phase === "Succeeded";
      if (!options.includeDeletedTerminal && terminal && pod.metadata?.deletionTimestamp) continue;
      let nodeName: string;
      try {
        nodeName = targetNodeName(pod);
      } catch {
        this.#logger.debug("Failed to get target node name of Pod in DaemonSet", {
          pod: metaNamespaceKey(pod),
          daemonSet: metaNamespaceKey(ds),
        });
        continue;
      }
      const list = out.get(nodeName);
      if (list) list.push(pod);
      else out.set(nodeName, [pod]);
    }
    return out;
  }

  /** Creates and deletes pods, rolls the update, cleans history (upstream `updateDaemonSet`). */
  async #updateDaemonSet(
    ds: DaemonSet,
    input: DaemonSetPass & { readonly old: readonly ControllerRevision[] },
  ): Promise<void> {
    const { nodes, hash, selector } = input;
    await this.#manage(ds, { nodes, hash, selector });
    if (this.#expectations.satisfied(metaNamespaceKey(ds))) {
      const type = ds.spec?.updateStrategy?.type ?? "RollingUpdate";
      if (type === "RollingUpdate") await this.#rollingUpdate(ds, { nodes, hash, selector });
    }
    try {
      const byNode = await this.#nodeToDaemonPods(ds, { selector, includeDeletedTerminal: true });
      await this.#history.cleanup(ds, { old: input.old, pods: [...byNode.values()].flat() });
    } catch (err) {
      throw new Error(`failed to clean up revisions of DaemonSet: ${errorText(err)}`, {
        cause: err,
      });
    }
  }

  /** Creates missing pods, deletes the ones that must go (upstream `manage`). */
  async #manage(
    ds: DaemonSet,
    input: DaemonSetPass,
  ): Promise<void> {
    const { nodes, hash, selector } = input;
    const byNode = await this.#nodeToDaemonPods(ds, { selector, includeDeletedTerminal: false });
    const nodesToCreate: string[] = [];
    const podsToDelete: string[] = [];
    for (const node of nodes) {
      const plan = this.#podsShouldBeOnNode(ds, { node, byNode, hash });
      nodesToCreate.push(...plan.nodesToCreate);
      podsToDelete.push(...plan.podsToDelete);
    }
    // Unbound pods for nodes that are gone: never scheduled, so no pod GC will remove them.
    const known = new Set(nodes.map((n) => n.metadata?.name ?? ""));
    for (const [nodeName, pods] of byNode) {
      if (known.has(nodeName)) continue;
      for (const pod of pods) {
        if ((pod.spec?.nodeName ?? "") === "") podsToDelete.push(pod.metadata?.name ?? "");
      }
    }
    await this.#syncNodes(ds, { podsToDelete, nodesToCreate, hash });
  }

  /** What one node needs of `ds` (upstream `podsShouldBeOnNode`). */
  #podsShouldBeOnNode(
    ds: DaemonSet,
    input: { readonly node: Node; readonly byNode: NodeToDaemonPods; readonly hash: string },
  ): { nodesToCreate: string[]; podsToDelete: string[] } {
    const { node, byNode, hash } = input;
    const nodeName = node.metadata?.name ?? "";
    const { shouldRun, shouldContinueRunning } = this.#placement(node, ds);
    const daemonPods = byNode.get(nodeName);
    const nodesToCreate: string[] = [];
    const podsToDelete: string[] = [];
    if (shouldRun && daemonPods === undefined) {
      nodesToCreate.push(nodeName);
    } else if (shouldContinueRunning) {
      const running: Pod[] = [];
      for (const pod of daemonPods ?? []) {
        if (pod.metadata?.deletionTimestamp) continue;
        const phase = pod.status?.phase;
        if (phase === "Failed") {
          if (this.#failedPodMayGo(ds, { pod, nodeName })) {
            podsToDelete.push(pod.metadata?.name ?? "");
          }
        } else if (phase === "Succeeded") {
          this.#reportFinishedPod(ds, { pod, nodeName, failed: false });
          podsToDelete.push(pod.metadata?.name ?? "");
        } else {
          running.push(pod);
        }
      }
      const excess = this.#excessPods(ds, { running, hash });
      podsToDelete.push(...excess.podsToDelete);
      // Surging, a node left with no running pod gets one now.
      if (excess.empty && shouldRun) nodesToCreate.push(nodeName);
    } else if (daemonPods !== undefined) {
      // Not wanted here any more: every pod goes.
      for (const pod of daemonPods) {
        if (!pod.metadata?.deletionTimestamp) podsToDelete.push(pod.metadata?.name ?? "");
      }
    }
    return { nodesToCreate, podsToDelete };
  }

  /** Whether a failed pod may be deleted now, or must wait out the node's backoff. */
  #failedPodMayGo(ds: DaemonSet, at: { readonly pod: Pod; readonly nodeName: string }): boolean {
    const { pod, nodeName } = at;
    const backoffKey = `${ds.metadata?.uid ?? ""}/${
      ds.status?.observedGeneration ?? 0
    }/${nodeName}`;
    const nowMs = this.#deps.clock.now();
    if (this.#backoff.isInBackOffSinceUpdate(backoffKey, nowMs)) {
      const delayMs = this.#backoff.get(backoffKey);
      this.#logger.debug("Deleting failed pod on node has been limited by backoff", {
        pod: metaNamespaceKey(pod),
        node: nodeName,
        currentDelayMs: delayMs,
      });
      this.#queue.addAfter(metaNamespaceKey(ds), delayMs);
      return false;
    }
    this.#backoff.next(backoffKey, nowMs);
    this.#reportFinishedPod(ds, { pod, nodeName, failed: true });
    return true;
  }

  /** Logs and records (upstream's texts) that a failed or succeeded pod on a node goes. */
  #reportFinishedPod(
    ds: DaemonSet,
    at: { readonly pod: Pod; readonly nodeName: string; readonly failed: boolean },
  ): void {
    const pod = metaNamespaceKey(at.pod);
    const [what, verb] = at.failed ? ["failed", "kill"] : ["succeeded", "delete"];
    this.#logger.info(`Found ${what} daemon pod on node, will try to ${verb} it`, {
      pod,
      node: at.nodeName,
    });
    this.#deps.recorder.event(ds, {
      type: at.failed ? "Warning" : "Normal",
      reason: at.failed ? FAILED_DAEMON_POD_REASON : SUCCEEDED_DAEMON_POD_REASON,
      message: `Found ${what} daemon pod ${pod} on node ${at.nodeName}, will try to ${verb} it`,
    });
  }

  /**
   * The running pods on one node that must go: all but the oldest without surge; with surge,
   * all but the oldest new and oldest old pod, and the old one too once it is not ready or the
   * new one is available. `empty`: surging, and no pod runs there.
   */
  #excessPods(
    ds: DaemonSet,
    input: { readonly running: readonly Pod[]; readonly hash: string },
  ): { podsToDelete: string[]; empty: boolean } {
    const sorted = [...input.running].sort(compareDaemonPods);
    const names = (pods: readonly Pod[]) => pods.map((p) => p.metadata?.name ?? "");
    if (!allowsSurge(ds)) return { podsToDelete: names(sorted.slice(1)), empty: false };
    if (sorted.length <= 1) return { podsToDelete: [], empty: sorted.length === 0 };
    let oldestNew: Pod | undefined;
    let oldestOld: Pod | undefined;
    const out: Pod[] = [];
    for (const pod of sorted) {
      if (pod.metadata?.labels?.[REVISION_HASH_LABEL] === input.hash) {
        if (!oldestNew) {
          oldestNew = pod;
          continue;
        }
      } else if (!oldestOld) {
        oldestOld = pod;
        continue;
      }
      out.push(pod);
    }
    if (oldestNew && oldestOld) {
      const minReadySeconds = ds.spec?.minReadySeconds ?? 0;
      const nowMs = this.#deps.clock.now();
      if (!isPodReady(oldestOld) || isPodAvailable(oldestNew, { minReadySeconds, nowMs })) {
        out.push(oldestOld);
      }
    }
    return { podsToDelete: names(out), empty: false };
  }

  /** One RollingUpdate step (upstream `rollingUpdate`). */
  async #rollingUpdate(
    ds: DaemonSet,
    input: DaemonSetPass,
  ): Promise<void> {
    const { nodes, hash, selector } = input;
    const byNode = await this.#nodeToDaemonPods(ds, { selector, includeDeletedTerminal: false });
    const placements = new Map<string, DaemonPodPlacement>();
    let desired = 0;
    for (const node of nodes) {
      const name = node.metadata?.name ?? "";
      const placement = this.#placement(node, ds);
      placements.set(name, placement);
      if (!placement.shouldRun) continue;
      desired++;
      if (!byNode.has(name)) byNode.set(name, []);
    }
    let counts;
    try {
      counts = rollingUpdateCounts(ds, desired);
    } catch (err) {
      throw new Error(`couldn't get unavailable numbers: ${errorText(err)}`, { cause: err });
    }
    const plan = planRollingUpdate({
      nodeToDaemonPods: byNode,
      counts,
      revision: { generation: templateGeneration(ds), hash },
      minReadySeconds: ds.spec?.minReadySeconds ?? 0,
      nowMs: this.#deps.clock.now(),
      shouldRun: (nodeName) => placements.get(nodeName)?.shouldRun,
    });
    await this.#syncNodes(ds, { ...plan, hash });
  }

  /**
   * Deletes `podsToDelete` and creates a pod on each of `nodesToCreate` (at most
   * `burstReplicas` of each), expecting them first (upstream `syncNodes`).
   */
  async #syncNodes(ds: DaemonSet, request: SyncNodesRequest): Promise<void> {
    const key = metaNamespaceKey(ds);
    const namespace = ds.metadata?.namespace ?? "";
    const creates = request.nodesToCreate.slice(0, this.#burstReplicas);
    const deletes = [...new Set(request.podsToDelete)].slice(0, this.#burstReplicas);
    // Expect them all before the first write: the informer may show a pod before the call
    // returns.
    this.#expectations.expectDeletions(key, deletes.map((name) => `${namespace}/${name}`));
    this.#expectations.raise(key, { add: creates.length, del: 0 });
    const errors: unknown[] = [];
    if (creates.length > 0) {
      this.#logger.debug("Nodes needing daemon pods for daemon set, creating", {
        daemonSet: key,
        nodes: creates,
      });
      const template = daemonPodTemplate(ds.spec?.template, {
        generation: templateGeneration(ds),
        hash: request.hash,
      });
      const controllerRef = newControllerRef(ds, DAEMON_SET_KIND);
      let started = 0;
      await slowStartBatch(creates.length, {
        fn: async () => {
          const nodeName = creates[started++]!;
          const podTemplate = structuredClone(template);
          const spec = podTemplate.spec!;
          spec.affinity = withNodeNameAffinity(spec.affinity, nodeName);
          try {
            await this.#deps.podControl.createPods({
              namespace,
              template: podTemplate,
              owner: ds,
              controllerRef,
            });
          } catch (err) {
            // In a namespace being deleted every creation fails: nothing to do.
            if (isNamespaceTerminating(err)) return;
            this.#logger.info("Failed creation, decrementing expectations for daemon set", {
              daemonSet: key,
            });
            this.#expectations.creationObserved(key);
            errors.push(err);
            throw err;
          }
        },
      });
      const skipped = creates.length - started;
      if (skipped > 0) {
        this.#logger.info(
          "Slow-start failure. Skipping creation pods, decrementing expectations for daemon set",
          { skippedPods: skipped, daemonSet: key },
        );
        this.#expectations.lower(key, { add: skipped, del: 0 });
      }
    }
    if (deletes.length > 0) {
      this.#logger.debug("Pods to delete for daemon set, deleting", {
        daemonSet: key,
        pods: deletes,
      });
    }
    await Promise.all(deletes.map(async (name) => {
      try {
        await this.#deps.podControl.deletePod({ namespace, name, owner: ds });
      } catch (err) {
        // The informer will never show this deletion.
        this.#expectations.deletionObserved(key, `${namespace}/${name}`);
        if (isNotFound(err)) return;
        this.#logger.info("Failed deletion, decremented expectations for daemon set", {
          daemonSet: key,
        });
        errors.push(err);
      }
    }));
    if (errors.length > 0) throw aggregateErrors(errors);
  }

  /** Counts and writes the status (upstream `updateDaemonSetStatus`). */
  async #updateStatus(
    ds: DaemonSet,
    input: DaemonSetPass & { readonly observedGeneration: boolean },
  ): Promise<void> {
    const byNode = await this.#nodeToDaemonPods(ds, {
      selector: input.selector,
      includeDeletedTerminal: false,
    });
    const counts = calculateDaemonSetStatus(ds, {
      nodes: input.nodes,
      nodeToDaemonPods: byNode,
      hash: input.hash,
      nowMs: this.#deps.clock.now(),
    });
    try {
      await this.#storeStatus(ds, { counts, observedGeneration: input.observedGeneration });
    } catch (err) {
      throw new Error(
        `Cannot store status of DaemonSet "${metaNamespaceKey(ds)}": ${errorText(err)}`,
        { cause: err },
      );
    }
    const minReadySeconds = ds.spec?.minReadySeconds ?? 0;
    if (minReadySeconds > 0 && counts.numberReady !== counts.numberAvailable) {
      // A last check of availability, should a pod's update be missed.
      this.#queue.addAfter(metaNamespaceKey(ds), minReadySeconds * 1000);
    }
  }

  /** Writes the counts unless nothing changed; rereads and retries once after a failure. */
  async #storeStatus(
    ds: DaemonSet,
    input: { readonly counts: DaemonSetStatusCounts; readonly observedGeneration: boolean },
  ): Promise<void> {
    if (daemonSetStatusUnchanged(ds, input.counts)) return;
    const { namespace, name } = splitMetaNamespaceKey(metaNamespaceKey(ds));
    let current: DaemonSet = ds;
    for (let attempt = 0;; attempt++) {
      const status: DaemonSetStatus = { ...current.status, ...input.counts };
      if (input.observedGeneration && ds.metadata?.generation !== undefined) {
        status.observedGeneration = ds.metadata.generation;
      }
      try {
        await this.#dsClient.updateStatus({ ...current, status });
        return;
      } catch (err) {
        if (attempt >= STATUS_UPDATE_RETRIES) throw err;
        current = await this.#dsClient.get(name, { namespace });
      }
    }
  }
}

/** Builds the DaemonSet controller on a controller manager's shared informers. */
export function daemonSetController(context: ControllerContext): RunnableController {
  const recorder = context.recorder(DAEMON_SET_EVENT_SOURCE);
  return new DaemonSetController({
    client: context.client,
    dsInformer: context.informers.informerFor(DAEMON_SETS),
    historyInformer: context.informers.informerFor(CONTROLLER_REVISIONS),
    podInformer: context.informers.informerFor(PODS),
    nodeInformer: context.informers.informerFor(NODES),
    podControl: new ApiPodControl({ client: context.client, recorder, logger: context.logger }),
    recorder,
    clock: context.clock,
    logger: context.logger,
  });
}
