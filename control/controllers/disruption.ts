/**
 * The disruption controller, as kube-controller-manager's `disruption` controller: keeps each
 * PodDisruptionBudget's `status` — `expectedPods`, `currentHealthy`, `desiredHealthy`,
 * `disruptionsAllowed`, `disruptedPods`, `observedGeneration` and the `DisruptionAllowed`
 * condition — which the pods' eviction subresource reads before it lets a pod go.
 *
 * - Informer handlers only enqueue budget keys: a budget's own changes, and a pod's to the
 *   budgets whose selectors match it (before and after the change). A pod matching several
 *   budgets gets upstream's `MultiplePodDisruptionBudgets` warning.
 * - `sync(key)` reads the budget and its pods (all pods its selector matches in its namespace)
 *   from the caches. `expectedPods` is the number of pods for an integer `minAvailable`, else
 *   the sum of the pods' controllers' scales — Deployment (through its ReplicaSet), ReplicaSet
 *   and StatefulSet `spec.replicas` from the caches, any other kind through its `scale`
 *   subresource. `desiredHealthy` is `minAvailable` (a percentage rounded up) or
 *   `expectedPods - maxUnavailable` (a percentage rounded up); `currentHealthy` counts Ready
 *   pods that are not being deleted nor recently evicted; `disruptionsAllowed` is the
 *   difference, never below 0, and 0 while no pod is expected.
 * - `disruptedPods` (written by the eviction subresource) is cleaned up: pods that are gone or
 *   being deleted are dropped, and one not deleted 2 minutes after its eviction is dropped with
 *   a `NotDeleted` warning; the budget is synced again when the earliest entry times out.
 * - Status is written only when it changed. When the status cannot be computed the budget gets
 *   `disruptionsAllowed: 0` and `DisruptionAllowed=False` reason `SyncFailed` with the error
 *   (upstream's fail-safe), plus the `NoPods` / `CalculateExpectedPodCountFailed` warnings;
 *   a budget without pods gets a `NoPods` event, one with pods that no controller owns an
 *   `UnmanagedPods` warning (upstream v1.33 has no `NoControllers` event any more: a pod
 *   without a known controller fails the count with `found no controllers for pod "…"`).
 * - A pod left with `DisruptionTarget=True` but never deleted (not set by the kubelet, not
 *   terminal) has the condition reset to False two minutes after it was set, as upstream's
 *   stale-disruption cleanup does (a second queue of pod keys, due exactly then: no polling).
 *
 * Events name the component `controllermanager`, as upstream's disruption controller does.
 * A pod owned by a ReplicationController is counted through the generic `/scale` finder (the
 * last of upstream's finders), not a ReplicationController lister of its own.
 *
 * @example Run it on shared informers
 * ```ts ignore
 * const controller = disruptionController(context);
 * informers.start(signal);
 * await controller.run(signal);
 * ```
 *
 * @module
 */
import type { Deployment, ReplicaSet, StatefulSet } from "../api/types/apps_v1.ts";
import type { Pod, PodCondition } from "../api/types/core_v1_pod.ts";
import type { KubeObject, OwnerReference } from "../api/types/meta_v1.ts";
import type { PodDisruptionBudget, PodDisruptionBudgetStatus } from "../api/types/policy_v1.ts";
import type { Client, ResourceClient } from "../client/client.ts";
import { runController } from "../client/controller.ts";
import { isConflict, isNotFound } from "../client/errors.ts";
import type { EventRecorder } from "../client/event_recorder.ts";
import { type CompiledLabelSelector, compileLabelSelector } from "../client/label_selector.ts";
import {
  DEPLOYMENTS,
  POD_DISRUPTION_BUDGETS,
  PODS,
  REPLICA_SETS,
  STATEFUL_SETS,
} from "../client/resources.ts";
import { metaNamespaceKey } from "../client/store.ts";
import { WorkQueue } from "../client/workqueue.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import {
  buildDisruptedPodMap,
  conditionsAreUpToDate,
  countHealthyPods,
  DISRUPTION_ALLOWED_CONDITION,
  disruptionsAllowed,
  goLabelSelector,
  sameDisruptedPods,
  scaledValueFromIntOrPercent,
  setStatusCondition,
  SYNC_FAILED_REASON,
  updateDisruptionAllowedCondition,
} from "./_pdb_status.ts";
import { parseTime, rfc3339 } from "./_rfc3339.ts";
import { ApiScaleLookup, parseGroupVersion, type ScaleLookup } from "./_scale_lookup.ts";
import type { ControllerContext, RunnableController } from "./controller_manager.ts";
import { getControllerOf } from "./controller_ref_manager.ts";
import type { InformerLike } from "./replicaset.ts";

/** The controller's name in `--controllers` and in logs. */
export const DISRUPTION_CONTROLLER_NAME = "disruption";

/** The component upstream's disruption controller records events as. */
export const DISRUPTION_EVENT_COMPONENT = "controllermanager";

/** The pod condition that marks a pod about to be disrupted. */
export const DISRUPTION_TARGET_CONDITION = "DisruptionTarget";

/** The reason the kubelet gives its own `DisruptionTarget` conditions (never stale). */
const TERMINATION_BY_KUBELET_REASON = "TerminationByKubelet";

/**
 * How long a pod may keep `DisruptionTarget=True` without being deleted before the condition
 * is reset (upstream `stalePodDisruptionTimeout`).
 */
export const STALE_POD_DISRUPTION_TIMEOUT_MS = 2 * 60_000;

/** What {@linkcode DisruptionController} works with. */
export interface DisruptionControllerDeps {
  /** Writes budget status and pod status. */
  readonly client: Client;
  readonly pdbInformer: InformerLike<PodDisruptionBudget>;
  readonly podInformer: InformerLike<Pod>;
  readonly rsInformer: InformerLike<ReplicaSet>;
  readonly deploymentInformer: InformerLike<Deployment>;
  readonly statefulSetInformer: InformerLike<StatefulSet>;
  /** Scales of other controllers. @default {an ApiScaleLookup on the client's transport} */
  readonly scales?: ScaleLookup;
  readonly recorder: EventRecorder;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** Options of {@linkcode DisruptionController}. */
export interface DisruptionControllerOptions {
  /** @default {STALE_POD_DISRUPTION_TIMEOUT_MS} */
  readonly stalePodDisruptionTimeoutMs?: number;
}

/** What a budget expects (upstream `getExpectedPodCount`'s results). */
interface ExpectedCounts {
  readonly expectedCount: number;
  readonly desiredHealthy: number;
  readonly unmanagedPods: readonly string[];
}

type Finder = (ref: OwnerReference, namespace: string) => Promise<ControllerScaleLike | null>;

interface ControllerScaleLike {
  readonly uid: string;
  readonly replicas: number;
}

/** Whether `ref` names `kind` in one of `groups` (upstream `verifyGroupKind`). */
function isGroupKind(ref: OwnerReference, kind: string, groups: readonly string[]): boolean {
  const { group } = parseGroupVersion(ref.apiVersion);
  return ref.kind === kind && groups.includes(group);
}

function isTerminalPhase(phase: string | undefined): boolean {
  return phase === "Succeeded" || phase === "Failed";
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Keeps PodDisruptionBudget status current. */
export class DisruptionController implements RunnableController {
  readonly #deps: DisruptionControllerDeps;
  readonly #logger: Logger;
  readonly #queue: WorkQueue<string>;
  readonly #staleQueue: WorkQueue<string>;
  readonly #pdbClient: ResourceClient<PodDisruptionBudget>;
  readonly #podClient: ResourceClient<Pod>;
  readonly #scales: ScaleLookup;
  readonly #staleTimeoutMs: number;
  readonly #selectors = new WeakMap<PodDisruptionBudget, CompiledLabelSelector | Error>();
  readonly #registrations: { remove(): void }[] = [];

  constructor(deps: DisruptionControllerDeps, options: DisruptionControllerOptions = {}) {
    this.#deps = deps;
    this.#logger = deps.logger.with({ controller: DISRUPTION_CONTROLLER_NAME });
    this.#queue = new WorkQueue<string>({ clock: deps.clock });
    this.#staleQueue = new WorkQueue<string>({ clock: deps.clock });
    this.#pdbClient = deps.client.resource(POD_DISRUPTION_BUDGETS);
    this.#podClient = deps.client.resource(PODS);
    this.#scales = deps.scales ?? new ApiScaleLookup(deps.client.transport);
    this.#staleTimeoutMs = options.stalePodDisruptionTimeoutMs ?? STALE_POD_DISRUPTION_TIMEOUT_MS;
    this.#registrations.push(
      deps.pdbInformer.addHandler({
        add: (pdb) => this.#enqueue(pdb),
        update: (_old, cur) => this.#enqueue(cur),
        delete: (pdb) => this.#enqueue(pdb),
      }),
      deps.podInformer.addHandler({
        add: (pod) => this.#onPod(pod),
        update: (old, cur) => this.#onPodUpdate(old, cur),
        delete: (pod) => {
          for (const pdb of this.#pdbsForPod(pod)) this.#enqueue(pdb);
        },
      }),
    );
  }

  /** The budget keys waiting to be synced. */
  get queue(): WorkQueue<string> {
    return this.#queue;
  }

  /** The pod keys waiting for a stale `DisruptionTarget` check. */
  get staleQueue(): WorkQueue<string> {
    return this.#staleQueue;
  }

  /** Waits for the caches, then syncs budgets and stale pods until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const { pdbInformer, podInformer, rsInformer, deploymentInformer, statefulSetInformer } =
      this.#deps;
    const waitFor = [pdbInformer, podInformer, rsInformer, deploymentInformer, statefulSetInformer];
    try {
      await Promise.all([
        runController({
          name: DISRUPTION_CONTROLLER_NAME,
          queue: this.#queue,
          sync: (key) => this.sync(key),
          waitFor,
          signal,
          logger: this.#deps.logger,
          clock: this.#deps.clock,
        }),
        runController({
          name: `${DISRUPTION_CONTROLLER_NAME}-stale-pod-disruption`,
          queue: this.#staleQueue,
          sync: (key) => this.syncStalePodDisruption(key),
          waitFor,
          signal,
          logger: this.#deps.logger,
          clock: this.#deps.clock,
        }),
      ]);
    } finally {
      for (const r of this.#registrations.splice(0)) r.remove();
    }
  }

  // --- event handlers: only enqueue keys ----------------------------------------------------

  #enqueue(pdb: PodDisruptionBudget): void {
    this.#queue.add(metaNamespaceKey(pdb));
  }

  #selectorOf(pdb: PodDisruptionBudget): CompiledLabelSelector | Error {
    const known = this.#selectors.get(pdb);
    if (known) return known;
    let selector: CompiledLabelSelector | Error;
    try {
      selector = compileLabelSelector(pdb.spec?.selector);
    } catch (err) {
      selector = err instanceof Error ? err : new Error(String(err));
    }
    if (Object.isFrozen(pdb)) this.#selectors.set(pdb, selector);
    return selector;
  }

  /**
   * The budgets whose selectors match the pod (upstream `GetPodPodDisruptionBudgets`: an empty
   * selector matches every pod of the namespace, a missing or invalid one none).
   */
  #pdbsForPod(pod: Pod): PodDisruptionBudget[] {
    const namespace = pod.metadata?.namespace ?? "";
    return this.#deps.pdbInformer.store.byIndex("namespace", namespace).filter((pdb) => {
      const selector = this.#selectorOf(pdb);
      return !(selector instanceof Error) && selector.matches(pod.metadata?.labels);
    });
  }

  #onPod(pod: Pod): void {
    const pdbs = this.#pdbsForPod(pod);
    if (pdbs.length > 1) {
      const message = `Pod ${JSON.stringify(pod.metadata?.namespace ?? "")}/${
        JSON.stringify(pod.metadata?.name ?? "")
      } matches multiple PodDisruptionBudgets.  Chose ${
        JSON.stringify(pdbs[0]!.metadata?.name ?? "")
      } arbitrarily.`;
      this.#logger.info(message);
      this.#deps.recorder.event(pod, {
        type: "Warning",
        reason: "MultiplePodDisruptionBudgets",
        message,
      });
    }
    for (const pdb of pdbs) this.#enqueue(pdb);
    const stale = this.#staleDisruption(pod);
    if (stale !== null) this.#staleQueue.addAfter(metaNamespaceKey(pod), stale);
  }

  #onPodUpdate(old: Pod, cur: Pod): void {
    if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return;
    // A pod that left a budget's selector changes that budget too.
    const now = new Set(this.#pdbsForPod(cur).map(metaNamespaceKey));
    for (const pdb of this.#pdbsForPod(old)) {
      if (!now.has(metaNamespaceKey(pdb))) this.#enqueue(pdb);
    }
    this.#onPod(cur);
  }

  /**
   * When a pod's `DisruptionTarget=True` becomes stale, in ms from now (0: already), or `null`
   * when it has none that can become stale (upstream
   * `nonTerminatingPodHasStaleDisruptionCondition`).
   */
  #staleDisruption(pod: Pod): number | null {
    if (pod.metadata?.deletionTimestamp) return null;
    const cond = pod.status?.conditions?.find((c) => c.type === DISRUPTION_TARGET_CONDITION);
    if (
      !cond || cond.status !== "True" || cond.reason === TERMINATION_BY_KUBELET_REASON ||
      isTerminalPhase(pod.status?.phase)
    ) return null;
    const since = parseTime(cond.lastTransitionTime) ?? 0;
    return Math.max(0, this.#staleTimeoutMs - (this.#deps.clock.now() - since));
  }

  // --- budget sync ----------------------------------------------------------------------------

  /**
   * Computes and writes the status of the budget `key` (`namespace/name`). Throws to be
   * retried: a conflict, or a failure of the fail-safe write.
   */
  async sync(key: string): Promise<void> {
    const pdb = this.#deps.pdbInformer.store.get(key);
    if (!pdb) return;
    try {
      await this.#trySync(pdb);
    } catch (err) {
      // A conflict is retried as it is, without the fail-safe.
      if (isConflict(err)) throw err;
      this.#logger.error("Failed to sync PDB", { podDisruptionBudget: key, error: err });
      await this.#failSafe(pdb, err);
    }
  }

  async #trySync(pdb: PodDisruptionBudget): Promise<void> {
    const key = metaNamespaceKey(pdb);
    const selector = this.#selectorOf(pdb);
    if (selector instanceof Error) {
      this.#event(pdb, "Warning", "NoPods", `Failed to get pods: ${selector.message}`);
      throw selector;
    }
    const pods = this.#deps.podInformer.store.byIndex("namespace", pdb.metadata?.namespace ?? "")
      .filter((pod) => selector.matches(pod.metadata?.labels));
    if (pods.length === 0) this.#event(pdb, "Normal", "NoPods", "No matching pods found");
    let counts: ExpectedCounts;
    try {
      counts = await this.#expectedPodCount(pdb, pods);
    } catch (err) {
      this.#event(
        pdb,
        "Warning",
        "CalculateExpectedPodCountFailed",
        `Failed to calculate the number of expected pods: ${errorText(err)}`,
      );
      throw err;
    }
    if (counts.unmanagedPods.length > 0) {
      this.#logger.debug("Found unmanaged pods associated with this PDB", {
        podDisruptionBudget: key,
        pods: counts.unmanagedPods,
      });
      this.#event(
        pdb,
        "Warning",
        "UnmanagedPods",
        `Pods selected by this PodDisruptionBudget (selector: ${
          goLabelSelector(pdb.spec?.selector)
        }) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.`,
      );
    }
    const nowMs = this.#deps.clock.now();
    const { disruptedPods, recheckAtMs, overdue } = buildDisruptedPodMap(pods, { pdb, nowMs });
    for (const pod of overdue) {
      this.#logger.info("Pod was expected to be deleted but it was not, updating PDB", {
        pod: metaNamespaceKey(pod),
        podDisruptionBudget: key,
      });
      // Upstream names the budget's namespace twice here.
      this.#event(
        pod,
        "Warning",
        "NotDeleted",
        `Pod was expected by PDB ${pdb.metadata?.namespace ?? ""}/${
          pdb.metadata?.namespace ?? ""
        } to be deleted but it wasn't`,
      );
    }
    const currentHealthy = countHealthyPods(pods, { disruptedPods, nowMs });
    await this.#updateStatus(pdb, {
      currentHealthy,
      desiredHealthy: counts.desiredHealthy,
      expectedPods: counts.expectedCount,
      disruptedPods,
    });
    if (recheckAtMs !== null) this.#queue.addAfter(key, recheckAtMs - nowMs);
  }

  #event(
    obj: KubeObject,
    type: "Normal" | "Warning",
    reason: string,
    message: string,
  ): void {
    this.#deps.recorder.event(obj, { type, reason, message });
  }

  /** Upstream `getExpectedPodCount`. */
  async #expectedPodCount(pdb: PodDisruptionBudget, pods: readonly Pod[]): Promise<ExpectedCounts> {
    const { maxUnavailable, minAvailable } = pdb.spec ?? {};
    if (maxUnavailable !== undefined) {
      const { expectedCount, unmanagedPods } = await this.#expectedScale(pods);
      const unavailable = scaledValueFromIntOrPercent(maxUnavailable, {
        total: expectedCount,
        roundUp: true,
      });
      return {
        expectedCount,
        desiredHealthy: Math.max(0, expectedCount - unavailable),
        unmanagedPods,
      };
    }
    if (minAvailable !== undefined) {
      if (typeof minAvailable === "number") {
        return { expectedCount: pods.length, desiredHealthy: minAvailable, unmanagedPods: [] };
      }
      const { expectedCount, unmanagedPods } = await this.#expectedScale(pods);
      const desiredHealthy = scaledValueFromIntOrPercent(minAvailable, {
        total: expectedCount,
        roundUp: true,
      });
      return { expectedCount, desiredHealthy, unmanagedPods };
    }
    return { expectedCount: 0, desiredHealthy: 0, unmanagedPods: [] };
  }

  /** The sum of the scales of the pods' controllers (upstream `getExpectedScale`). */
  async #expectedScale(
    pods: readonly Pod[],
  ): Promise<{ expectedCount: number; unmanagedPods: string[] }> {
    const scales = new Map<string, number>();
    const unmanagedPods: string[] = [];
    for (const pod of pods) {
      const ref = getControllerOf(pod);
      if (!ref) {
        unmanagedPods.push(pod.metadata?.name ?? "");
        continue;
      }
      if (scales.has(ref.uid)) continue;
      let found: ControllerScaleLike | null = null;
      for (const finder of this.#finders()) {
        found = await finder(ref, pod.metadata?.namespace ?? "");
        if (found) break;
      }
      if (!found) {
        throw new Error(`found no controllers for pod ${JSON.stringify(pod.metadata?.name ?? "")}`);
      }
      scales.set(found.uid, found.replicas);
    }
    let expectedCount = 0;
    for (const replicas of scales.values()) expectedCount += replicas;
    return { expectedCount, unmanagedPods };
  }

  /** Upstream's finders in order, less the ReplicationController one (`/scale` covers it). */
  #finders(): Finder[] {
    return [
      (ref, ns) => Promise.resolve(this.#deploymentScale(ref, ns)),
      (ref, ns) => Promise.resolve(this.#replicaSetScale(ref, ns)),
      (ref, ns) => Promise.resolve(this.#statefulSetScale(ref, ns)),
      (ref, ns) => this.#scales.scaleOf(ref, ns),
    ];
  }

  #replicaSetOf(ref: OwnerReference, namespace: string): ReplicaSet | null {
    if (!isGroupKind(ref, "ReplicaSet", ["apps", "extensions"])) return null;
    const rs = this.#deps.rsInformer.store.get(`${namespace}/${ref.name}`);
    return rs && rs.metadata?.uid === ref.uid ? rs : null;
  }

  /** A ReplicaSet not controlled by a Deployment (upstream `getPodReplicaSet`). */
  #replicaSetScale(ref: OwnerReference, namespace: string): ControllerScaleLike | null {
    const rs = this.#replicaSetOf(ref, namespace);
    if (!rs) return null;
    if (getControllerOf(rs)?.kind === "Deployment") return null;
    return { uid: rs.metadata?.uid ?? "", replicas: rs.spec?.replicas ?? 1 };
  }

  /** The Deployment of the pod's ReplicaSet (upstream `getPodDeployment`). */
  #deploymentScale(ref: OwnerReference, namespace: string): ControllerScaleLike | null {
    const rs = this.#replicaSetOf(ref, namespace);
    if (!rs) return null;
    const owner = getControllerOf(rs);
    if (!owner || !isGroupKind(owner, "Deployment", ["apps", "extensions"])) return null;
    const d = this.#deps.deploymentInformer.store.get(`${namespace}/${owner.name}`);
    if (!d || d.metadata?.uid !== owner.uid) return null;
    return { uid: d.metadata?.uid ?? "", replicas: d.spec?.replicas ?? 1 };
  }

  /** Upstream `getPodStatefulSet`. */
  #statefulSetScale(ref: OwnerReference, namespace: string): ControllerScaleLike | null {
    if (!isGroupKind(ref, "StatefulSet", ["apps"])) return null;
    const ss = this.#deps.statefulSetInformer.store.get(`${namespace}/${ref.name}`);
    if (!ss || ss.metadata?.uid !== ref.uid) return null;
    return { uid: ss.metadata?.uid ?? "", replicas: ss.spec?.replicas ?? 1 };
  }

  /** Writes the status unless nothing changed (upstream `updatePdbStatus`), without retrying. */
  async #updateStatus(
    pdb: PodDisruptionBudget,
    counts: {
      readonly currentHealthy: number;
      readonly desiredHealthy: number;
      readonly expectedPods: number;
      readonly disruptedPods: Record<string, string>;
    },
  ): Promise<void> {
    const allowed = disruptionsAllowed(counts);
    const old = pdb.status;
    const generation = pdb.metadata?.generation ?? 0;
    if (
      old && old.currentHealthy === counts.currentHealthy &&
      old.desiredHealthy === counts.desiredHealthy && old.expectedPods === counts.expectedPods &&
      old.disruptionsAllowed === allowed &&
      sameDisruptedPods(old.disruptedPods, counts.disruptedPods) &&
      (old.observedGeneration ?? 0) === generation && conditionsAreUpToDate(pdb)
    ) return;
    const status: PodDisruptionBudgetStatus = {
      ...(Object.keys(counts.disruptedPods).length > 0
        ? { disruptedPods: counts.disruptedPods }
        : {}),
      currentHealthy: counts.currentHealthy,
      desiredHealthy: counts.desiredHealthy,
      expectedPods: counts.expectedPods,
      disruptionsAllowed: allowed,
      observedGeneration: generation,
      conditions: structuredClone(old?.conditions ?? []),
    };
    updateDisruptionAllowedCondition(status, this.#deps.clock.now());
    await this.#pdbClient.updateStatus({ ...structuredClone(pdb), status });
  }

  /**
   * At least takes the allowance away when the status cannot be computed (upstream
   * `failSafe`): `disruptionsAllowed: 0` and `DisruptionAllowed=False` `SyncFailed`.
   */
  async #failSafe(pdb: PodDisruptionBudget, err: unknown): Promise<void> {
    const next = structuredClone(pdb);
    const status: PodDisruptionBudgetStatus = next.status ??= {
      currentHealthy: 0,
      desiredHealthy: 0,
      expectedPods: 0,
      disruptionsAllowed: 0,
    };
    status.disruptionsAllowed = 0;
    const conditions = status.conditions ?? [];
    setStatusCondition(conditions, {
      update: {
        type: DISRUPTION_ALLOWED_CONDITION,
        status: "False",
        reason: SYNC_FAILED_REASON,
        message: errorText(err),
        observedGeneration: status.observedGeneration ?? 0,
      },
      nowMs: this.#deps.clock.now(),
    });
    status.conditions = conditions;
    await this.#pdbClient.updateStatus(next);
  }

  // --- stale DisruptionTarget cleanup ---------------------------------------------------------

  /**
   * Resets the pod `key`'s stale `DisruptionTarget=True` to False, or waits until it is stale
   * (upstream `syncStalePodDisruption`).
   */
  async syncStalePodDisruption(key: string): Promise<void> {
    const pod = this.#deps.podInformer.store.get(key);
    if (!pod) return;
    const waitMs = this.#staleDisruption(pod);
    if (waitMs === null) return;
    if (waitMs > 0) {
      this.#staleQueue.addAfter(key, waitMs);
      return;
    }
    const next = structuredClone(pod);
    const status = next.status ??= {};
    const reset: PodCondition = {
      type: DISRUPTION_TARGET_CONDITION,
      status: "False",
      lastTransitionTime: rfc3339(this.#deps.clock.now()),
    };
    status.conditions = (status.conditions ?? []).map((c) =>
      c.type === DISRUPTION_TARGET_CONDITION ? reset : c
    );
    try {
      await this.#podClient.updateStatus(next);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    this.#logger.info("Reset stale DisruptionTarget condition to False", { pod: key });
  }
}

/** Builds the disruption controller on the manager's shared informers. */
export function disruptionController(
  context: ControllerContext,
  options: DisruptionControllerOptions = {},
): RunnableController {
  return new DisruptionController({
    client: context.client,
    pdbInformer: context.informers.informerFor(POD_DISRUPTION_BUDGETS),
    podInformer: context.informers.informerFor(PODS),
    rsInformer: context.informers.informerFor(REPLICA_SETS),
    deploymentInformer: context.informers.informerFor(DEPLOYMENTS),
    statefulSetInformer: context.informers.informerFor(STATEFUL_SETS),
    recorder: context.recorder(DISRUPTION_EVENT_COMPONENT),
    clock: context.clock,
    logger: context.logger,
  }, options);
}
