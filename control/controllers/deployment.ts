/**
 * The Deployment controller, as kube-controller-manager's `deployment` controller: runs each
 * Deployment's pods through ReplicaSets, one per pod template, named
 * `<deployment>-<pod-template-hash>`, and rolls from the old ones to the new one.
 *
 * - Informer handlers only enqueue Deployment keys: a ReplicaSet maps to its controller, an
 *   orphan ReplicaSet to every Deployment whose selector matches it (which adopts it), a
 *   deleted pod to its ReplicaSet's Deployment (a Recreate rollout waits for old pods to go).
 * - `sync(key)` is level-triggered and reads only the caches: it claims ReplicaSets, finds the
 *   new one (the template equal to the Deployment's, ignoring `pod-template-hash`) or creates
 *   it with the next `deployment.kubernetes.io/revision`, then scales: RollingUpdate keeps at
 *   most `replicas + maxSurge` pods and at least `replicas - maxUnavailable` available ones
 *   (25 %/25 % by default; a percentage of surge rounds up, of unavailability down); Recreate
 *   scales every old ReplicaSet to 0 and waits for their pods to be gone first.
 * - A change of `spec.replicas`, or a paused Deployment, only scales (mid-rollout, in
 *   proportion to the ReplicaSets' sizes); a paused one rolls nothing out.
 * - Once a rollout is complete, old ReplicaSets with no pods beyond `revisionHistoryLimit`
 *   (default 10) are deleted, oldest revision first.
 * - It writes `status` (counts summed over the ReplicaSets, the `Available` and `Progressing`
 *   conditions `kubectl rollout status` reads, `ProgressDeadlineExceeded` after
 *   `progressDeadlineSeconds` without progress) only when it changed, and records
 *   `ScalingReplicaSet` events with upstream's messages.
 *
 * @example Run it on shared informers
 * ```ts ignore
 * const controller = new DeploymentController({
 *   client,
 *   deploymentInformer: informers.informerFor(DEPLOYMENTS),
 *   rsInformer: informers.informerFor(REPLICA_SETS),
 *   podInformer: informers.informerFor(PODS),
 *   recorder,
 *   clock,
 *   logger,
 * });
 * informers.start(signal);
 * await controller.run(signal);
 * ```
 *
 * @module
 */
import type {
  Deployment,
  DeploymentCondition,
  DeploymentStatus,
  ReplicaSet,
} from "../api/types/apps_v1.ts";
import type { PodTemplateSpec } from "../api/types/core_v1_pod.ts";
import type { Pod } from "../api/types/core_v1_pod.ts";
import type { Client, ResourceClient } from "../client/client.ts";
import { isAlreadyExists, isConflict, isNotFound } from "../client/errors.ts";
import type { EventRecorder } from "../client/event_recorder.ts";
import type { CompiledLabelSelector } from "../client/label_selector.ts";
import { DEPLOYMENTS, REPLICA_SETS } from "../client/resources.ts";
import { indexByOwnerUid, metaNamespaceKey, splitMetaNamespaceKey } from "../client/store.ts";
import type { WorkQueue } from "../client/workqueue.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import {
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  revisionOf,
  setNewReplicaSetAnnotations,
  withDeploymentRevision,
} from "./_deployment_annotations.ts";
import { ownerHandler } from "./_controller_handlers.ts";
import { addMissingIndexers, ControllerLoop, type InformerLike } from "./_controller_loop.ts";
import { OWNER_UID_INDEX } from "./_owner_adoption.ts";
import { parseTime, rfc3339 } from "./_rfc3339.ts";
import {
  type ControllerKind,
  getControllerOf,
  newControllerRef,
  releasePatch,
} from "./controller_ref_manager.ts";
import { OwnerLookup } from "./owner_lookup.ts";

/** The controller's name in logs and in the controller manager's list. */
export const DEPLOYMENT_CONTROLLER_NAME = "deployment";

/** The kind the controller manages. */
export const DEPLOYMENT_KIND: ControllerKind = { apiVersion: "apps/v1", kind: "Deployment" };

/** The label (and selector key) that tells a Deployment's ReplicaSets apart. */
export const POD_TEMPLATE_HASH_LABEL = "pod-template-hash";
export {
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
} from "./_deployment_annotations.ts";

/** Condition types and reasons of a Deployment (upstream's). */
export const DEPLOYMENT_AVAILABLE = "Available";
export const DEPLOYMENT_PROGRESSING = "Progressing";
export const DEPLOYMENT_REPLICA_FAILURE = "ReplicaFailure";
export const MINIMUM_REPLICAS_AVAILABLE = "MinimumReplicasAvailable";
export const MINIMUM_REPLICAS_UNAVAILABLE = "MinimumReplicasUnavailable";
export const NEW_RS_CREATED_REASON = "NewReplicaSetCreated";
export const FOUND_NEW_RS_REASON = "FoundNewReplicaSet";
export const RS_UPDATED_REASON = "ReplicaSetUpdated";
export const NEW_RS_AVAILABLE_REASON = "NewReplicaSetAvailable";
export const PROGRESS_DEADLINE_EXCEEDED_REASON = "ProgressDeadlineExceeded";
export const DEPLOYMENT_PAUSED_REASON = "DeploymentPaused";
export const DEPLOYMENT_RESUMED_REASON = "DeploymentResumed";
/** The event reason of every ReplicaSet scaling. */
export const SCALING_REPLICA_SET_REASON = "ScalingReplicaSet";

const SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

/** JSON with object keys sorted, so equal values print equally. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

function fnv32a(bytes: Uint8Array, seed = 0x811c9dc5): number {
  let h = seed;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * The `pod-template-hash` of a template (upstream `ComputeHash`): FNV-32a over the template
 * (here its canonical JSON, where upstream prints the Go value), then, when there is one, the
 * collision count as 8 bytes (the low 4 little-endian), the decimal sum mapped onto the
 * safe-encoding alphabet. Stable for equal templates.
 */
export function computePodTemplateHash(
  template: PodTemplateSpec,
  collisionCount?: number,
): string {
  let h = fnv32a(new TextEncoder().encode(canonicalJson(template)));
  if (collisionCount !== undefined) {
    const extra = new Uint8Array(8);
    new DataView(extra.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(extra, h);
  }
  return [...String(h)].map((c) => SAFE_ALPHABET[c.charCodeAt(0) % SAFE_ALPHABET.length])
    .join("");
}

function withoutHash(template: PodTemplateSpec | undefined): PodTemplateSpec {
  const t = structuredClone(template ?? {});
  if (t.metadata?.labels) {
    delete t.metadata.labels[POD_TEMPLATE_HASH_LABEL];
    if (Object.keys(t.metadata.labels).length === 0) delete t.metadata.labels;
  }
  return t;
}

/** Whether two templates are equal but for `pod-template-hash` (upstream `EqualIgnoreHash`). */
export function templatesEqualIgnoringHash(
  a: PodTemplateSpec | undefined,
  b: PodTemplateSpec | undefined,
): boolean {
  return canonicalJson(withoutHash(a)) === canonicalJson(withoutHash(b));
}

/** `value` (an int or a percentage) of `total`, rounding a percentage up or down. */
export function scaledValue(
  value: number | string | undefined,
  options: { readonly total: number; readonly roundUp: boolean; readonly fallback: string },
): number {
  const v = value ?? options.fallback;
  if (typeof v === "number") return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) throw new TypeError(`Cannot use "${v}": not an integer or a percentage`);
  const exact = (Number(m[1]) * options.total) / 100;
  return options.roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/**
 * maxSurge and maxUnavailable of a RollingUpdate Deployment as pod counts (upstream
 * `ResolveFenceposts`): surge rounds up, unavailability down; both 0 makes unavailability 1.
 */
export function resolveFenceposts(d: Deployment): { surge: number; unavailable: number } {
  const replicas = d.spec?.replicas ?? 1;
  const ru = d.spec?.strategy?.rollingUpdate;
  const surge = scaledValue(ru?.maxSurge, { total: replicas, roundUp: true, fallback: "25%" });
  let unavailable = scaledValue(ru?.maxUnavailable, {
    total: replicas,
    roundUp: false,
    fallback: "25%",
  });
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

function isRecreate(d: Deployment): boolean {
  return d.spec?.strategy?.type === "Recreate";
}

/** The pods a Deployment may have unavailable (upstream `MaxUnavailable`): 0 for Recreate. */
export function maxUnavailable(d: Deployment): number {
  const replicas = d.spec?.replicas ?? 1;
  if (isRecreate(d) || replicas === 0) return 0;
  return Math.min(resolveFenceposts(d).unavailable, replicas);
}

/** The pods a Deployment may have above `replicas` (upstream `MaxSurge`): 0 for Recreate. */
export function maxSurge(d: Deployment): number {
  return isRecreate(d) ? 0 : resolveFenceposts(d).surge;
}

/** The replicas the new ReplicaSet should have next (upstream `NewRSNewReplicas`). */
export function newReplicaSetReplicas(
  d: Deployment,
  sets: { readonly all: readonly ReplicaSet[]; readonly newRs: ReplicaSet },
): number {
  const replicas = d.spec?.replicas ?? 1;
  const current = specReplicas(sets.newRs);
  if (isRecreate(d)) return replicas;
  const maxTotal = replicas + maxSurge(d);
  const total = sumOf(sets.all, specReplicas);
  if (total >= maxTotal) return current;
  return current + Math.max(0, Math.min(maxTotal - total, replicas - current));
}

function specReplicas(rs: ReplicaSet): number {
  return rs.spec?.replicas ?? 1;
}

function sumOf(sets: readonly ReplicaSet[], f: (rs: ReplicaSet) => number): number {
  return sets.reduce((n, rs) => n + f(rs), 0);
}

function byCreation(a: ReplicaSet, b: ReplicaSet): number {
  const ta = a.metadata?.creationTimestamp ?? "";
  const tb = b.metadata?.creationTimestamp ?? "";
  if (ta !== tb) return ta < tb ? -1 : 1;
  return (a.metadata?.name ?? "") < (b.metadata?.name ?? "") ? -1 : 1;
}

/** What {@linkcode calculateDeploymentStatus} needs besides the Deployment. */
export interface DeploymentStatusInput {
  readonly all: readonly ReplicaSet[];
  readonly newRs: ReplicaSet | undefined;
  readonly nowMs: number;
}

function setCondition(status: DeploymentStatus, condition: DeploymentCondition): void {
  const conditions = status.conditions ?? [];
  const cur = conditions.find((c) => c.type === condition.type);
  if (cur && cur.status === condition.status && cur.reason === condition.reason) return;
  const next = { ...condition };
  if (cur && cur.status === condition.status && cur.lastTransitionTime !== undefined) {
    next.lastTransitionTime = cur.lastTransitionTime;
  }
  status.conditions = [...conditions.filter((c) => c.type !== condition.type), next];
}

function condition(
  type: string,
  fields: { status: string; reason: string; message: string; nowMs: number },
): DeploymentCondition {
  const t = rfc3339(fields.nowMs);
  return {
    type,
    status: fields.status,
    lastUpdateTime: t,
    lastTransitionTime: t,
    reason: fields.reason,
    message: fields.message,
  };
}

/**
 * The status a Deployment's ReplicaSets give it (upstream `calculateStatus`), with the
 * `Available` condition; `Progressing` is set by the rollout.
 */
export function calculateDeploymentStatus(
  d: Deployment,
  input: DeploymentStatusInput,
): DeploymentStatus {
  const available = sumOf(input.all, (rs) => rs.status?.availableReplicas ?? 0);
  const total = sumOf(input.all, specReplicas);
  const status: DeploymentStatus = {
    ...(d.metadata?.generation !== undefined ? { observedGeneration: d.metadata.generation } : {}),
    replicas: sumOf(input.all, (rs) => rs.status?.replicas ?? 0),
    updatedReplicas: input.newRs?.status?.replicas ?? 0,
    readyReplicas: sumOf(input.all, (rs) => rs.status?.readyReplicas ?? 0),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, total - available),
  };
  if (d.status?.collisionCount !== undefined) status.collisionCount = d.status.collisionCount;
  if (d.status?.conditions) status.conditions = structuredClone(d.status.conditions);
  const ok = available >= (d.spec?.replicas ?? 1) - maxUnavailable(d);
  setCondition(
    status,
    condition(DEPLOYMENT_AVAILABLE, {
      status: ok ? "True" : "False",
      reason: ok ? MINIMUM_REPLICAS_AVAILABLE : MINIMUM_REPLICAS_UNAVAILABLE,
      message: ok
        ? "Deployment has minimum availability."
        : "Deployment does not have minimum availability.",
      nowMs: input.nowMs,
    }),
  );
  return status;
}

/**
 * Mirrors a ReplicaSet's `ReplicaFailure` condition (the new one's first, then the old ones')
 * onto the Deployment, or removes the Deployment's when none has one (upstream
 * `getReplicaFailures`): a quota or admission refusal of pod creates shows on the Deployment.
 */
export function setReplicaFailure(
  status: DeploymentStatus,
  sets: { readonly all: readonly ReplicaSet[]; readonly newRs: ReplicaSet | undefined },
): void {
  const ordered = sets.newRs
    ? [sets.newRs, ...sets.all.filter((rs) => rs.metadata?.uid !== sets.newRs?.metadata?.uid)]
    : sets.all;
  let failure: DeploymentCondition | undefined;
  for (const rs of ordered) {
    const c = rs.status?.conditions?.find((c) => c.type === DEPLOYMENT_REPLICA_FAILURE);
    if (!c) continue;
    failure = {
      type: DEPLOYMENT_REPLICA_FAILURE,
      status: c.status,
      ...(c.lastTransitionTime !== undefined
        ? { lastUpdateTime: c.lastTransitionTime, lastTransitionTime: c.lastTransitionTime }
        : {}),
      ...(c.reason !== undefined ? { reason: c.reason } : {}),
      ...(c.message !== undefined ? { message: c.message } : {}),
    };
    break;
  }
  const others = (status.conditions ?? []).filter((c) => c.type !== DEPLOYMENT_REPLICA_FAILURE);
  if (failure) {
    const cur = status.conditions?.find((c) => c.type === DEPLOYMENT_REPLICA_FAILURE);
    if (cur && cur.status === failure.status && cur.reason === failure.reason) return;
    status.conditions = [...others, failure];
  } else if (others.length !== (status.conditions ?? []).length) {
    status.conditions = others;
  }
}

/** Whether the rollout is done (upstream `DeploymentComplete`). */
export function deploymentComplete(d: Deployment, status: DeploymentStatus): boolean {
  const replicas = d.spec?.replicas ?? 1;
  return (status.updatedReplicas ?? 0) === replicas && (status.replicas ?? 0) === replicas &&
    (status.availableReplicas ?? 0) === replicas &&
    (status.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0);
}

/** What {@linkcode DeploymentController} works with. */
export interface DeploymentControllerDeps {
  /** Writes ReplicaSets and Deployment status. */
  readonly client: Client;
  readonly deploymentInformer: InformerLike<Deployment>;
  readonly rsInformer: InformerLike<ReplicaSet>;
  readonly podInformer: InformerLike<Pod>;
  /** Records `ScalingReplicaSet` events on the Deployment. */
  readonly recorder: EventRecorder;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** Options of {@linkcode DeploymentController}. */
export interface DeploymentControllerOptions {
  /** Syncs at once (upstream `--concurrent-deployment-syncs`). @default {5} */
  readonly workers?: number;
}

/** Rolls Deployments out through ReplicaSets. */
export class DeploymentController {
  readonly #deps: DeploymentControllerDeps;
  readonly #rsClient: ResourceClient<ReplicaSet>;
  readonly #dClient: ResourceClient<Deployment>;
  readonly #loop: ControllerLoop;
  readonly #queue: WorkQueue<string>;
  readonly #logger: Logger;
  /** The Deployments of the cache, by controllerRef; their compiled selectors. */
  readonly #owners: OwnerLookup<Deployment>;

  constructor(deps: DeploymentControllerDeps, options: DeploymentControllerOptions = {}) {
    this.#deps = deps;
    this.#rsClient = deps.client.resource(REPLICA_SETS);
    this.#dClient = deps.client.resource(DEPLOYMENTS);
    this.#logger = deps.logger.with({ controller: DEPLOYMENT_CONTROLLER_NAME });
    this.#loop = new ControllerLoop({
      name: DEPLOYMENT_CONTROLLER_NAME,
      workers: options.workers ?? 5,
      clock: deps.clock,
      logger: deps.logger,
    });
    this.#queue = this.#loop.queue;
    this.#owners = new OwnerLookup({
      store: deps.deploymentInformer.store,
      kind: DEPLOYMENT_KIND,
      selector: (d) => d.spec?.selector,
    });
    addMissingIndexers(deps.rsInformer, { [OWNER_UID_INDEX]: indexByOwnerUid });
    this.#loop.handle(deps.deploymentInformer, ownerHandler<Deployment>({ queue: this.#queue }));
    this.#loop.handle(deps.rsInformer, {
      add: (rs) => this.#onRs(rs),
      update: (old, cur) => {
        const oldRef = getControllerOf(old);
        if (oldRef && oldRef.uid !== getControllerOf(cur)?.uid) this.#onRs(old);
        this.#onRs(cur);
      },
      delete: (rs) => this.#onRs(rs),
    });
    this.#loop.handle(deps.podInformer, { delete: (pod) => this.#onPodDelete(pod) });
  }

  /** The keys waiting to be synced. */
  get queue(): WorkQueue<string> {
    return this.#queue;
  }

  /** Waits for the caches, then syncs queued keys until `signal` aborts. Runs once. */
  async run(signal: AbortSignal): Promise<void> {
    await this.#loop.run(signal, {
      sync: (key) => this.sync(key),
      waitFor: [this.#deps.deploymentInformer, this.#deps.rsInformer, this.#deps.podInformer],
    });
  }

  /** The Deployment's selector compiled; `null` when it is invalid or empty (selects no pods). */
  #selectorOf(d: Deployment): CompiledLabelSelector | null {
    const selector = this.#owners.selectorOf(d);
    return selector === null || selector.isEmpty ? null : selector;
  }

  #onRs(rs: ReplicaSet): void {
    const namespace = rs.metadata?.namespace ?? "";
    const ref = getControllerOf(rs);
    if (ref) {
      const d = this.#owners.resolve(namespace, ref);
      if (d) this.#queue.add(metaNamespaceKey(d));
      return;
    }
    for (const d of this.#owners.store.byIndex("namespace", namespace)) {
      if (this.#selectorOf(d)?.matches(rs.metadata?.labels)) this.#queue.add(metaNamespaceKey(d));
    }
  }

  #onPodDelete(pod: Pod): void {
    const namespace = pod.metadata?.namespace ?? "";
    const rsRef = getControllerOf(pod);
    if (!rsRef || rsRef.kind !== "ReplicaSet") return;
    const rs = this.#deps.rsInformer.store.get(`${namespace}/${rsRef.name}`);
    const ref = rs ? getControllerOf(rs) : undefined;
    const d = ref ? this.#owners.resolve(namespace, ref) : undefined;
    if (d && isRecreate(d)) this.#queue.add(metaNamespaceKey(d));
  }

  // --- sync -----------------------------------------------------------------------------------

  /** Converges the Deployment `key` (`namespace/name`) from the caches; throws to be retried. */
  async sync(key: string): Promise<void> {
    const d = this.#deps.deploymentInformer.store.get(key);
    if (!d) return;
    const selector = this.#selectorOf(d);
    if (selector === null) {
      this.#logger.warn("Deployment has an empty or invalid selector: it selects no pods", {
        key,
      });
      return;
    }
    const owned = await this.#claimReplicaSets(d, selector);
    if (d.metadata?.deletionTimestamp) {
      await this.#syncStatusOnly(d, owned);
      return;
    }
    if (d.spec?.paused || this.#isScalingEvent(d, owned)) {
      await this.#syncScale(d, owned);
      return;
    }
    if (isRecreate(d)) await this.#rolloutRecreate(d, owned);
    else await this.#rolloutRolling(d, owned);
  }

  /**
   * Whether `spec.replicas` changed since the active ReplicaSets were last scaled (their
   * `desired-replicas` annotation; upstream `isScalingEvent`).
   */
  #isScalingEvent(d: Deployment, owned: readonly ReplicaSet[]): boolean {
    const replicas = String(d.spec?.replicas ?? 1);
    const { newRs, old } = this.#split(d, owned);
    const all = newRs ? [...old, newRs] : old;
    return all.some((rs) => {
      const desired = rs.metadata?.annotations?.[DESIRED_REPLICAS_ANNOTATION];
      return specReplicas(rs) > 0 && desired !== undefined && desired !== replicas;
    });
  }

  /**
   * A paused Deployment or a change of `spec.replicas` (upstream `sync`): scales without
   * rolling out, spreading a RollingUpdate's change over its ReplicaSets by their size.
   */
  async #syncScale(d: Deployment, owned: readonly ReplicaSet[]): Promise<void> {
    const split = this.#split(d, owned);
    const found = await this.#newReplicaSet(d, { ...split, create: false });
    const newRs = found.newRs;
    let old = split.old;
    const all = await this.#scaleAll(d, newRs ? [...old, newRs] : old);
    const scaledNew = newRs
      ? all.find((rs) => rs.metadata?.uid === newRs.metadata?.uid)
      : undefined;
    old = all.filter((rs) => rs !== scaledNew);
    if (d.spec?.paused) await this.#cleanup(d, old);
    const status = calculateDeploymentStatus(d, {
      all,
      newRs: scaledNew,
      nowMs: this.#deps.clock.now(),
    });
    await this.#writeStatus(d, status, scaledNew);
  }

  /** Scales the ReplicaSets to `spec.replicas` (upstream `scale`); returns them all. */
  async #scaleAll(d: Deployment, all: readonly ReplicaSet[]): Promise<ReplicaSet[]> {
    const replicas = d.spec?.replicas ?? 1;
    const out = [...all];
    const active = out.filter((rs) => specReplicas(rs) > 0);
    const { newRs } = this.#split(d, out);
    if (active.length <= 1) {
      const target = active[0] ?? newRs ?? [...out].sort(byCreation).at(-1);
      if (!target) return out;
      out[out.indexOf(target)] = await this.#scale(d, target, replicas);
      return out;
    }
    if (
      newRs && specReplicas(newRs) === replicas &&
      (newRs.status?.availableReplicas ?? 0) === replicas
    ) {
      for (let i = 0; i < out.length; i++) {
        if (out[i] !== newRs) out[i] = await this.#scale(d, out[i]!, 0);
      }
      return out;
    }
    if (isRecreate(d)) return out;
    const allowed = replicas > 0 ? replicas + maxSurge(d) : 0;
    const toAdd = allowed - sumOf(out, specReplicas);
    if (toAdd === 0) return out;
    // Largest first; ties: newer first when adding, older first when removing.
    const order = [...active].sort((a, b) => {
      const size = specReplicas(b) - specReplicas(a);
      if (size !== 0) return size;
      return toAdd > 0 ? byCreation(b, a) : byCreation(a, b);
    });
    const sizes = new Map<ReplicaSet, number>();
    let added = 0;
    for (const rs of order) {
      const fraction = this.#fraction(d, rs);
      const left = toAdd - added;
      const share = left === 0
        ? 0
        : toAdd > 0
        ? Math.min(fraction, left)
        : Math.max(fraction, left);
      sizes.set(rs, specReplicas(rs) + share);
      added += share;
    }
    const first = order[0]!;
    sizes.set(first, Math.max(0, sizes.get(first)! + toAdd - added));
    for (const [rs, size] of sizes) {
      out[out.indexOf(rs)] = await this.#scale(d, rs, Math.max(0, size));
    }
    return out;
  }

  /** How many replicas `rs` gains (or loses) in a proportional scaling. */
  #fraction(d: Deployment, rs: ReplicaSet): number {
    const replicas = d.spec?.replicas ?? 1;
    if (replicas === 0) return -specReplicas(rs);
    const target = replicas + maxSurge(d);
    const annotated = Number(rs.metadata?.annotations?.[MAX_REPLICAS_ANNOTATION]);
    const was = Number.isInteger(annotated) && annotated > 0 ? annotated : d.status?.replicas ?? 0;
    if (was === 0) return 0;
    return Math.round((specReplicas(rs) * target) / was) - specReplicas(rs);
  }

  /**
   * Deletes the oldest old ReplicaSets with no replicas beyond `revisionHistoryLimit`
   * (default 10; upstream `cleanupDeployment`).
   */
  async #cleanup(d: Deployment, old: readonly ReplicaSet[]): Promise<void> {
    const limit = d.spec?.revisionHistoryLimit ?? 10;
    const cleanable = old.filter((rs) =>
      specReplicas(rs) === 0 && (rs.status?.replicas ?? 0) === 0 &&
      (rs.metadata?.generation ?? 0) <= (rs.status?.observedGeneration ?? 0) &&
      !rs.metadata?.deletionTimestamp
    ).sort((a, b) => revisionOf(a) - revisionOf(b) || byCreation(a, b));
    const excess = cleanable.length - limit;
    for (const rs of cleanable.slice(0, Math.max(0, excess))) {
      this.#logger.debug("Deleting old ReplicaSet", { replicaSet: metaNamespaceKey(rs) });
      try {
        await this.#rsClient.delete(rs.metadata?.name ?? "", {
          namespace: rs.metadata?.namespace ?? "",
        });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  async #claimReplicaSets(d: Deployment, selector: CompiledLabelSelector): Promise<ReplicaSet[]> {
    const uid = d.metadata?.uid ?? "";
    const namespace = d.metadata?.namespace ?? "";
    const out: ReplicaSet[] = [];
    for (const rs of this.#deps.rsInformer.store.byIndex("namespace", namespace)) {
      const ref = getControllerOf(rs);
      if (ref?.uid === uid) {
        // Owned but no longer selected (its labels or the selector changed): released, as
        // upstream's ControllerRefManager does, unless the Deployment is going away.
        if (!selector.matches(rs.metadata?.labels) && !d.metadata?.deletionTimestamp) {
          try {
            await this.#rsClient.patch(rs.metadata?.name ?? "", {
              namespace,
              type: "strategic",
              body: releasePatch(uid, rs.metadata?.uid ?? ""),
            });
          } catch (err) {
            // Gone already, or its uid changed: nothing to release.
            if (!isNotFound(err) && !isConflict(err)) throw err;
          }
          continue;
        }
        out.push(rs);
        continue;
      }
      if (ref || rs.metadata?.deletionTimestamp || d.metadata?.deletionTimestamp) continue;
      if (!selector.matches(rs.metadata?.labels)) continue;
      const adopted = await this.#rsClient.patch(rs.metadata?.name ?? "", {
        namespace,
        type: "strategic",
        body: {
          metadata: {
            ownerReferences: [newControllerRef(d, DEPLOYMENT_KIND)],
            uid: rs.metadata?.uid,
          },
        },
      });
      out.push(adopted);
    }
    return out;
  }

  /** The new ReplicaSet (oldest with the Deployment's template) and the others. */
  #split(d: Deployment, owned: readonly ReplicaSet[]): { newRs?: ReplicaSet; old: ReplicaSet[] } {
    const sorted = [...owned].sort(byCreation);
    const newRs = sorted.find((rs) =>
      templatesEqualIgnoringHash(rs.spec?.template, d.spec?.template)
    );
    return { ...(newRs ? { newRs } : {}), old: sorted.filter((rs) => rs !== newRs) };
  }

  #event(d: Deployment, message: string): void {
    this.#deps.recorder.event(d, { type: "Normal", reason: SCALING_REPLICA_SET_REASON, message });
  }

  /** Finds or creates the new ReplicaSet, keeping its revision and minReadySeconds current. */
  async #newReplicaSet(
    d: Deployment,
    sets: { readonly old: readonly ReplicaSet[]; readonly newRs?: ReplicaSet; create: boolean },
  ): Promise<{ newRs?: ReplicaSet; created: boolean }> {
    const revision = Math.max(0, ...sets.old.map(revisionOf)) + 1;
    const namespace = d.metadata?.namespace ?? "";
    const minReadySeconds = d.spec?.minReadySeconds ?? 0;
    if (sets.newRs) {
      const rs = sets.newRs;
      const next = structuredClone(rs) as ReplicaSet;
      const annotated = setNewReplicaSetAnnotations(next, { deployment: d, revision });
      if (!annotated && (rs.spec?.minReadySeconds ?? 0) === minReadySeconds) {
        return { newRs: rs, created: false };
      }
      next.spec = { ...next.spec!, minReadySeconds };
      return { newRs: await this.#rsClient.update(next, { namespace }), created: false };
    }
    if (!sets.create) return { created: false };
    const hash = computePodTemplateHash(d.spec!.template, d.status?.collisionCount);
    const template = structuredClone(d.spec!.template);
    template.metadata = {
      ...template.metadata,
      labels: { ...template.metadata?.labels, [POD_TEMPLATE_HASH_LABEL]: hash },
    };
    const selector = structuredClone(d.spec!.selector);
    selector.matchLabels = { ...selector.matchLabels, [POD_TEMPLATE_HASH_LABEL]: hash };
    const draft: ReplicaSet = {
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: {
        name: `${d.metadata?.name}-${hash}`,
        namespace,
        labels: { ...template.metadata.labels },
        ownerReferences: [newControllerRef(d, DEPLOYMENT_KIND)],
      },
      spec: { replicas: 0, minReadySeconds, selector, template },
    };
    setNewReplicaSetAnnotations(draft, { deployment: d, revision });
    const all = [...sets.old, draft];
    const replicas = newReplicaSetReplicas(d, { all, newRs: draft });
    draft.spec!.replicas = replicas;
    this.#setReplicasAnnotations(d, draft);
    let created: ReplicaSet;
    try {
      created = await this.#rsClient.create(draft, { namespace });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      const existing = await this.#rsClient.get(draft.metadata!.name!, { namespace });
      if (
        getControllerOf(existing)?.uid === d.metadata?.uid &&
        templatesEqualIgnoringHash(existing.spec?.template, d.spec?.template)
      ) {
        return { newRs: existing, created: false };
      }
      // A hash collision: the next sync tries another name.
      const status = { ...d.status, collisionCount: (d.status?.collisionCount ?? 0) + 1 };
      await this.#dClient.updateStatus({ ...d, status }, { namespace });
      throw new Error(
        `Cannot create ReplicaSet "${draft.metadata!.name}": the name is taken (hash collision)`,
        { cause: err },
      );
    }
    if (replicas > 0) {
      this.#event(d, `Scaled up replica set ${created.metadata?.name} from 0 to ${replicas}`);
    }
    return { newRs: created, created: true };
  }

  #setReplicasAnnotations(d: Deployment, rs: ReplicaSet): void {
    const replicas = d.spec?.replicas ?? 1;
    rs.metadata = {
      ...rs.metadata,
      annotations: {
        ...rs.metadata?.annotations,
        [DESIRED_REPLICAS_ANNOTATION]: String(replicas),
        [MAX_REPLICAS_ANNOTATION]: String(replicas + maxSurge(d)),
      },
    };
  }

  /** Sets a ReplicaSet's replicas (and annotations); records the event. */
  async #scale(d: Deployment, rs: ReplicaSet, replicas: number): Promise<ReplicaSet> {
    const from = specReplicas(rs);
    const next = structuredClone(rs) as ReplicaSet;
    next.spec = { ...next.spec!, replicas };
    this.#setReplicasAnnotations(d, next);
    if (
      from === replicas &&
      JSON.stringify(next.metadata?.annotations) === JSON.stringify(rs.metadata?.annotations)
    ) return rs;
    const updated = await this.#rsClient.update(next, { namespace: rs.metadata?.namespace ?? "" });
    if (from !== replicas) {
      const op = replicas > from ? "up" : "down";
      this.#event(d, `Scaled ${op} replica set ${rs.metadata?.name} from ${from} to ${replicas}`);
    }
    return updated;
  }

  async #rolloutRolling(d: Deployment, owned: readonly ReplicaSet[]): Promise<void> {
    const split = this.#split(d, owned);
    const old = split.old;
    const found = await this.#newReplicaSet(d, { ...split, create: true });
    let newRs = found.newRs!;
    let all = [...old, newRs];
    // Scale up the new ReplicaSet as far as maxSurge allows.
    const want = newReplicaSetReplicas(d, { all, newRs });
    if (want !== specReplicas(newRs)) {
      newRs = await this.#scale(d, newRs, want);
      await this.#syncRolloutStatus(d, { all: [...old, newRs], newRs, created: found.created });
      return;
    }
    // Scale down old ReplicaSets as far as maxUnavailable allows.
    const scaledOld = await this.#reconcileOld(d, { old, newRs, all });
    if (scaledOld !== null) {
      all = [...scaledOld, newRs];
      await this.#syncRolloutStatus(d, { all, newRs, created: found.created });
      return;
    }
    if (deploymentComplete(d, d.status ?? {})) await this.#cleanup(d, old);
    await this.#syncRolloutStatus(d, { all, newRs, created: found.created });
  }

  /** Old ReplicaSets after scaling down, or `null` when none was scaled. */
  async #reconcileOld(
    d: Deployment,
    sets: { old: ReplicaSet[]; newRs: ReplicaSet; all: ReplicaSet[] },
  ): Promise<ReplicaSet[] | null> {
    const oldCount = sumOf(sets.old, specReplicas);
    if (oldCount === 0) return null;
    const replicas = d.spec?.replicas ?? 1;
    const minAvailable = replicas - maxUnavailable(d);
    const newUnavailable = specReplicas(sets.newRs) - (sets.newRs.status?.availableReplicas ?? 0);
    let budget = sumOf(sets.all, specReplicas) - minAvailable - newUnavailable;
    if (budget <= 0) return null;
    const old = [...sets.old].sort(byCreation);
    let changed = false;
    // First the old pods that are not available anyway.
    for (let i = 0; i < old.length && budget > 0; i++) {
      const rs = old[i]!;
      const unhealthy = specReplicas(rs) - (rs.status?.availableReplicas ?? 0);
      if (unhealthy <= 0) continue;
      const down = Math.min(unhealthy, budget);
      old[i] = await this.#scale(d, rs, specReplicas(rs) - down);
      budget -= down;
      changed = true;
    }
    // Then available ones, keeping minAvailable.
    const available = sumOf([...old, sets.newRs], (rs) => rs.status?.availableReplicas ?? 0);
    let total = Math.min(available - minAvailable, budget);
    for (let i = 0; i < old.length && total > 0; i++) {
      const rs = old[i]!;
      const cur = specReplicas(rs);
      if (cur === 0) continue;
      const down = Math.min(cur, total);
      old[i] = await this.#scale(d, rs, cur - down);
      total -= down;
      changed = true;
    }
    return changed ? old : null;
  }

  async #rolloutRecreate(d: Deployment, owned: readonly ReplicaSet[]): Promise<void> {
    const split = this.#split(d, owned);
    const found = await this.#newReplicaSet(d, { ...split, create: false });
    let old = split.old;
    if (old.some((rs) => specReplicas(rs) > 0)) {
      old = await Promise.all(old.map((rs) => this.#scale(d, rs, 0)));
      await this.#syncRolloutStatus(d, {
        all: found.newRs ? [...old, found.newRs] : old,
        newRs: found.newRs,
        created: false,
      });
      return;
    }
    if (this.#oldPodsRunning(old)) {
      await this.#syncRolloutStatus(d, {
        all: found.newRs ? [...old, found.newRs] : old,
        newRs: found.newRs,
        created: false,
      });
      return;
    }
    let created = false;
    let newRs = found.newRs;
    if (!newRs) {
      const made = await this.#newReplicaSet(d, { old, create: true });
      newRs = made.newRs!;
      created = made.created;
    }
    newRs = await this.#scale(d, newRs, d.spec?.replicas ?? 1);
    if (deploymentComplete(d, d.status ?? {})) await this.#cleanup(d, old);
    await this.#syncRolloutStatus(d, { all: [...old, newRs], newRs, created });
  }

  /** Whether pods of the old ReplicaSets remain (not Failed or Succeeded). */
  #oldPodsRunning(old: readonly ReplicaSet[]): boolean {
    if (old.some((rs) => (rs.status?.replicas ?? 0) > 0)) return true;
    const uids = new Set(old.map((rs) => rs.metadata?.uid));
    for (const rs of old) {
      for (
        const pod of this.#deps.podInformer.store.byIndex("namespace", rs.metadata?.namespace ?? "")
      ) {
        const ref = getControllerOf(pod);
        const phase = pod.status?.phase;
        if (ref && uids.has(ref.uid) && phase !== "Failed" && phase !== "Succeeded") return true;
      }
    }
    return false;
  }

  async #syncStatusOnly(d: Deployment, owned: readonly ReplicaSet[]): Promise<void> {
    const { newRs } = this.#split(d, owned);
    const status = calculateDeploymentStatus(d, {
      all: owned,
      newRs,
      nowMs: this.#deps.clock.now(),
    });
    await this.#writeStatus(d, status, newRs);
  }

  /** Status with `Progressing` (upstream `syncRolloutStatus`), written when it changed. */
  async #syncRolloutStatus(
    d: Deployment,
    sets: { all: readonly ReplicaSet[]; newRs: ReplicaSet | undefined; created: boolean },
  ): Promise<void> {
    const nowMs = this.#deps.clock.now();
    const status = calculateDeploymentStatus(d, { all: sets.all, newRs: sets.newRs, nowMs });
    setReplicaFailure(status, sets);
    const name = sets.newRs?.metadata?.name ?? "";
    const progressing = (reason: string, message: string) =>
      setCondition(
        status,
        condition(DEPLOYMENT_PROGRESSING, { status: "True", reason, message, nowMs }),
      );
    const cur = status.conditions?.find((c) => c.type === DEPLOYMENT_PROGRESSING);
    if (sets.newRs && deploymentComplete(d, status)) {
      progressing(NEW_RS_AVAILABLE_REASON, `ReplicaSet "${name}" has successfully progressed.`);
    } else if (sets.created) {
      progressing(NEW_RS_CREATED_REASON, `Created new replica set "${name}"`);
    } else if (sets.newRs && this.#progressed(d, status)) {
      const next = condition(DEPLOYMENT_PROGRESSING, {
        status: "True",
        reason: RS_UPDATED_REASON,
        message: `ReplicaSet "${name}" is progressing.`,
        nowMs,
      });
      if (cur?.status === "True" && cur.lastTransitionTime) {
        next.lastTransitionTime = cur.lastTransitionTime;
      }
      status.conditions = [...(status.conditions ?? []).filter((c) => c !== cur), next];
    } else if (sets.newRs && this.#timedOut(d, cur, nowMs)) {
      setCondition(
        status,
        condition(DEPLOYMENT_PROGRESSING, {
          status: "False",
          reason: PROGRESS_DEADLINE_EXCEEDED_REASON,
          message: `ReplicaSet "${name}" has timed out progressing.`,
          nowMs,
        }),
      );
    } else if (sets.newRs && !cur) {
      progressing(FOUND_NEW_RS_REASON, `Found new replica set "${name}"`);
    }
    await this.#writeStatus(d, status, sets.newRs);
    this.#requeueStuck(d, status, nowMs);
  }

  /** Whether the rollout made no progress for `progressDeadlineSeconds` (default 600). */
  #timedOut(d: Deployment, cur: DeploymentCondition | undefined, nowMs: number): boolean {
    const deadline = d.spec?.progressDeadlineSeconds ?? 600;
    if (!cur || cur.reason === NEW_RS_AVAILABLE_REASON) return false;
    if (cur.reason === PROGRESS_DEADLINE_EXCEEDED_REASON) return true;
    const last = parseTime(cur.lastUpdateTime);
    return last !== null && last + deadline * 1000 < nowMs;
  }

  /** Checks an unfinished rollout again when its progress deadline passes. */
  #requeueStuck(d: Deployment, status: DeploymentStatus, nowMs: number): void {
    const cur = status.conditions?.find((c) => c.type === DEPLOYMENT_PROGRESSING);
    if (!cur || cur.status !== "True" || cur.reason === NEW_RS_AVAILABLE_REASON) return;
    if (deploymentComplete(d, status)) return;
    const last = parseTime(cur.lastUpdateTime);
    if (last === null) return;
    const deadline = (d.spec?.progressDeadlineSeconds ?? 600) * 1000;
    this.#queue.addAfter(metaNamespaceKey(d), Math.max(0, last + deadline - nowMs) + 1000);
  }

  /** Whether the rollout moved since the last status (upstream `DeploymentProgressing`). */
  #progressed(d: Deployment, next: DeploymentStatus): boolean {
    const old = d.status ?? {};
    const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
    const newOld = (next.replicas ?? 0) - (next.updatedReplicas ?? 0);
    return (next.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) || newOld < oldOld ||
      (next.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
      (next.availableReplicas ?? 0) > (old.availableReplicas ?? 0);
  }

  /**
   * Writes `status` when it changed, and the Deployment's revision annotation when it no longer
   * matches its new ReplicaSet's (through the status subresource, as upstream: status writes
   * may change a Deployment's annotations).
   */
  async #writeStatus(
    d: Deployment,
    status: DeploymentStatus,
    newRs: ReplicaSet | undefined,
  ): Promise<void> {
    const progressing = status.conditions?.find((c) => c.type === DEPLOYMENT_PROGRESSING);
    const pausedNow = progressing?.reason === DEPLOYMENT_PAUSED_REASON;
    if (d.spec?.paused !== pausedNow && (d.spec?.paused || pausedNow)) {
      setCondition(
        status,
        condition(DEPLOYMENT_PROGRESSING, {
          status: "Unknown",
          reason: d.spec?.paused ? DEPLOYMENT_PAUSED_REASON : DEPLOYMENT_RESUMED_REASON,
          message: d.spec?.paused ? "Deployment is paused" : "Deployment is resumed",
          nowMs: this.#deps.clock.now(),
        }),
      );
    }
    const metadata = newRs ? withDeploymentRevision(d, revisionOf(newRs)) : undefined;
    if (!metadata && canonicalJson(d.status ?? {}) === canonicalJson(status)) return;
    const { namespace } = splitMetaNamespaceKey(metaNamespaceKey(d));
    try {
      await this.#dClient.updateStatus({ ...d, ...(metadata ? { metadata } : {}), status }, {
        namespace,
      });
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
  }
}
