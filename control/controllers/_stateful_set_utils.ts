/**
 * The StatefulSet controller's helpers (upstream `stateful_set_utils.go`): stable identities
 * (`<set>-<ordinal>`, the `statefulset.kubernetes.io/pod-name` and `apps.kubernetes.io/pod-index`
 * labels, hostname and subdomain), claims named `<template>-<set>-<ordinal>`, the owner
 * references a `persistentVolumeClaimRetentionPolicy` asks for, pod health predicates, pods
 * built at a revision, revisions of a set, and the status arithmetic.
 *
 * Every function is pure: pods and claims passed in are not changed unless the name says so
 * (`updateIdentity`, `updateStorage`, `setPodRevision`, which take a private copy).
 *
 * @module
 */
import type { ControllerRevision, StatefulSet, StatefulSetStatus } from "../api/types/apps_v1.ts";
import type { Pod, Volume } from "../api/types/core_v1_pod.ts";
import type { PersistentVolumeClaim } from "../api/types/core_v1_storage.ts";
import type { KubeObject, OwnerReference } from "../api/types/meta_v1.ts";
import { isPodAvailable, isPodReady } from "./active_pods.ts";
import {
  newControllerRevision,
  templateFromRevisionData,
  templateRevisionData,
} from "./controller_history.ts";
import { type ControllerKind, newControllerRef } from "./controller_ref_manager.ts";
import { scaledValue } from "./deployment.ts";
import { podFromTemplate } from "./pod_control.ts";

/** The kind the controller manages. */
export const STATEFUL_SET_KIND: ControllerKind = { apiVersion: "apps/v1", kind: "StatefulSet" };
/** The kind of a pod, as owner of a claim. */
export const POD_KIND: ControllerKind = { apiVersion: "v1", kind: "Pod" };

/** The label with a StatefulSet pod's own name (upstream `StatefulSetPodNameLabel`). */
export const STATEFUL_SET_POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name";
/** The label with a pod's ordinal (upstream `PodIndexLabel`). */
export const POD_INDEX_LABEL = "apps.kubernetes.io/pod-index";
/** The label naming the ControllerRevision a pod was made from (upstream `StatefulSetRevisionLabel`). */
export const STATEFUL_SET_REVISION_LABEL = "controller-revision-hash";

/** A pod as these helpers read it. */
type PodLike = Pick<Pod, "metadata" | "spec" | "status">;

const STATEFUL_POD_NAME = /^(.*)-([0-9]+)$/;
const MAX_INT32 = 2 ** 31 - 1;

/** The parent set's name and the ordinal in a pod's name; ordinal `-1` when there is none. */
export function parentNameAndOrdinal(name: string): { parent: string; ordinal: number } {
  const m = STATEFUL_POD_NAME.exec(name);
  if (!m) return { parent: "", ordinal: -1 };
  const n = Number(m[2]);
  return { parent: m[1]!, ordinal: Number.isSafeInteger(n) && n <= MAX_INT32 ? n : -1 };
}

/** The pod's ordinal, `-1` when its name has none. */
export function ordinalOf(pod: PodLike): number {
  return parentNameAndOrdinal(pod.metadata?.name ?? "").ordinal;
}

/** `spec.replicas`, 1 when unset. */
export function replicasOf(set: StatefulSet): number {
  return set.spec?.replicas ?? 1;
}

/** The first ordinal (`spec.ordinals.start`, else 0). */
export function startOrdinal(set: StatefulSet): number {
  return set.spec?.ordinals?.start ?? 0;
}

/** The last ordinal (inclusive). */
export function endOrdinal(set: StatefulSet): number {
  return startOrdinal(set) + replicasOf(set) - 1;
}

/** Whether the pod's ordinal is one the set wants now. */
export function podInOrdinalRange(pod: PodLike, set: StatefulSet): boolean {
  const ordinal = ordinalOf(pod);
  return ordinal >= startOrdinal(set) && ordinal <= endOrdinal(set);
}

/** `<set>-<ordinal>`. */
export function podName(set: StatefulSet, ordinal: number): string {
  return `${set.metadata?.name ?? ""}-${ordinal}`;
}

/** `<template>-<set>-<ordinal>`, the claim a pod of `set` uses for a volume claim template. */
export function persistentVolumeClaimName(
  set: StatefulSet,
  claim: { readonly template: string; readonly ordinal: number },
): string {
  return `${claim.template}-${set.metadata?.name ?? ""}-${claim.ordinal}`;
}

/** Whether the pod's name says it belongs to `set`. */
export function isMemberOf(set: StatefulSet, pod: PodLike): boolean {
  return parentNameAndOrdinal(pod.metadata?.name ?? "").parent === set.metadata?.name;
}

/** Whether the pod's name, namespace and pod-name label are those of a member of `set`. */
export function identityMatches(set: StatefulSet, pod: PodLike): boolean {
  const name = pod.metadata?.name ?? "";
  const { parent, ordinal } = parentNameAndOrdinal(name);
  return ordinal >= 0 && parent === set.metadata?.name && name === podName(set, ordinal) &&
    pod.metadata?.namespace === set.metadata?.namespace &&
    pod.metadata?.labels?.[STATEFUL_SET_POD_NAME_LABEL] === name;
}

/** Whether the pod mounts, for each volume claim template, the claim named for its ordinal. */
export function storageMatches(set: StatefulSet, pod: PodLike): boolean {
  const ordinal = ordinalOf(pod);
  if (ordinal < 0) return false;
  const volumes = new Map((pod.spec?.volumes ?? []).map((v) => [v.name, v]));
  for (const claim of set.spec?.volumeClaimTemplates ?? []) {
    const template = claim.metadata?.name ?? "";
    const volume = volumes.get(template);
    if (
      volume?.persistentVolumeClaim?.claimName !==
        persistentVolumeClaimName(set, { template, ordinal })
    ) return false;
  }
  return true;
}

/** The set's claim retention policy, Retain/Retain when unset. */
export function retentionPolicy(set: StatefulSet): { whenDeleted: string; whenScaled: string } {
  const policy = set.spec?.persistentVolumeClaimRetentionPolicy;
  return {
    whenDeleted: policy?.whenDeleted || "Retain",
    whenScaled: policy?.whenScaled || "Retain",
  };
}

/**
 * The claims a pod with `ordinal` needs, by template name (upstream
 * `getPersistentVolumeClaims`): each template named for the pod, in the set's namespace, with
 * the selector's `matchLabels` added to its labels.
 */
export function persistentVolumeClaims(
  set: StatefulSet,
  ordinal: number,
): Map<string, PersistentVolumeClaim> {
  const claims = new Map<string, PersistentVolumeClaim>();
  const selectorLabels = set.spec?.selector?.matchLabels ?? {};
  for (const template of set.spec?.volumeClaimTemplates ?? []) {
    const name = template.metadata?.name ?? "";
    const claim = structuredClone(template) as PersistentVolumeClaim;
    claim.metadata = {
      ...claim.metadata,
      name: persistentVolumeClaimName(set, { template: name, ordinal }),
      namespace: set.metadata?.namespace ?? "",
      labels: { ...claim.metadata?.labels, ...selectorLabels },
    };
    claims.set(name, claim);
  }
  return claims;
}

/**
 * Points the pod's volumes named like the claim templates at its claims (upstream
 * `updateStorage`): those volumes come first, in template order, then the pod's other volumes.
 */
export function updateStorage(set: StatefulSet, pod: Pod): void {
  const claims = persistentVolumeClaims(set, ordinalOf(pod));
  if (claims.size === 0 && pod.spec?.volumes === undefined) return;
  const volumes: Volume[] = [];
  for (const [name, claim] of claims) {
    volumes.push({
      name,
      persistentVolumeClaim: { claimName: claim.metadata?.name ?? "" },
    });
  }
  for (const v of pod.spec?.volumes ?? []) if (!claims.has(v.name)) volumes.push(v);
  pod.spec = { ...(pod.spec ?? { containers: [] }), volumes };
}

/** Gives the pod its stable name, namespace and the pod-name and pod-index labels. */
export function updateIdentity(set: StatefulSet, pod: Pod): void {
  const ordinal = ordinalOf(pod);
  const name = podName(set, ordinal);
  pod.metadata = {
    ...pod.metadata,
    name,
    namespace: set.metadata?.namespace ?? "",
    labels: {
      ...pod.metadata?.labels,
      [STATEFUL_SET_POD_NAME_LABEL]: name,
      [POD_INDEX_LABEL]: String(ordinal),
    },
  };
}

/** {@linkcode updateIdentity} plus the hostname and subdomain, set only at creation. */
function initIdentity(set: StatefulSet, pod: Pod): void {
  updateIdentity(set, pod);
  const spec = pod.spec ?? { containers: [] };
  spec.hostname = pod.metadata?.name ?? "";
  const service = set.spec?.serviceName;
  if (service) spec.subdomain = service;
  pod.spec = spec;
}

/** Phase Running and condition Ready. */
export function isRunningAndReady(pod: PodLike): boolean {
  return pod.status?.phase === "Running" && isPodReady(pod);
}

/** Ready for longer than `minReadySeconds`. */
export function isRunningAndAvailable(
  pod: PodLike,
  at: { readonly minReadySeconds: number; readonly nowMs: number },
): boolean {
  return isPodAvailable(pod, at);
}

/** Whether the API server has the pod (it has a phase). */
export function isCreated(pod: PodLike): boolean {
  return (pod.status?.phase ?? "") !== "";
}

/** Phase Pending. */
export function isPending(pod: PodLike): boolean {
  return pod.status?.phase === "Pending";
}

/** Phase Failed. */
export function isFailed(pod: PodLike): boolean {
  return pod.status?.phase === "Failed";
}

/** Phase Succeeded. */
export function isSucceeded(pod: PodLike): boolean {
  return pod.status?.phase === "Succeeded";
}

/** Being deleted. */
export function isTerminating(pod: PodLike): boolean {
  return !!pod.metadata?.deletionTimestamp;
}

/** Running, ready and not being deleted. */
export function isHealthy(pod: PodLike): boolean {
  return isRunningAndReady(pod) && !isTerminating(pod);
}

/** Not healthy, or not yet available. */
export function isUnavailable(
  pod: PodLike,
  at: { readonly minReadySeconds: number; readonly nowMs: number },
): boolean {
  return !isHealthy(pod) || !isRunningAndAvailable(pod, at);
}

/** `podManagementPolicy: Parallel`. */
export function allowsBurst(set: StatefulSet): boolean {
  return set.spec?.podManagementPolicy === "Parallel";
}

/** The revision label of a pod (`""` when it has none). */
export function podRevision(pod: PodLike): string {
  return pod.metadata?.labels?.[STATEFUL_SET_REVISION_LABEL] ?? "";
}

/** Labels the pod with its revision. */
export function setPodRevision(pod: Pod, revision: string): void {
  pod.metadata = {
    ...pod.metadata,
    labels: { ...pod.metadata?.labels, [STATEFUL_SET_REVISION_LABEL]: revision },
  };
}

/** A new pod of `set` for `ordinal`, from its template, with its identity and claims. */
export function newStatefulSetPod(set: StatefulSet, ordinal: number): Pod {
  const pod = podFromTemplate(set.spec?.template ?? {}, {
    ownerName: set.metadata?.name ?? "",
    controllerRef: newControllerRef(set, STATEFUL_SET_KIND),
  });
  pod.metadata = { ...pod.metadata, name: podName(set, ordinal) };
  initIdentity(set, pod);
  updateStorage(set, pod);
  return pod;
}

/** What {@linkcode newVersionedStatefulSetPod} builds a pod from. */
export interface VersionedPodInput {
  /** The set with the current revision's template. */
  readonly currentSet: StatefulSet;
  /** The set with the update revision's template. */
  readonly updateSet: StatefulSet;
  readonly currentRevision: string;
  readonly updateRevision: string;
  readonly ordinal: number;
}

/**
 * The pod for `ordinal` at the revision it should have (upstream
 * `newVersionedStatefulSetPod`): a RollingUpdate set keeps ordinals below the partition (or,
 * without `rollingUpdate`, below `status.currentReplicas`) at the current revision; every
 * other pod is made at the update revision.
 */
export function newVersionedStatefulSetPod(input: VersionedPodInput): Pod {
  const { currentSet, updateSet, ordinal } = input;
  const strategy = currentSet.spec?.updateStrategy;
  const start = startOrdinal(currentSet);
  // Upstream's precedence: (RollingUpdate && no rollingUpdate && below currentReplicas) ||
  // (rollingUpdate && below partition).
  const keepCurrent = (strategy?.type === "RollingUpdate" && strategy.rollingUpdate === undefined &&
    ordinal < start + (currentSet.status?.currentReplicas ?? 0)) ||
    (strategy?.rollingUpdate !== undefined &&
      ordinal < start + (strategy.rollingUpdate.partition ?? 0));
  const pod = newStatefulSetPod(keepCurrent ? currentSet : updateSet, ordinal);
  setPodRevision(pod, keepCurrent ? input.currentRevision : input.updateRevision);
  return pod;
}

/** The set with the template recorded in `revision` (upstream `ApplyRevision`). */
export function applyRevision(set: StatefulSet, revision: ControllerRevision): StatefulSet {
  const template = templateFromRevisionData(revision.data);
  const clone = structuredClone(set);
  if (template !== undefined && clone.spec) clone.spec.template = template;
  return clone;
}

/**
 * An unsaved revision of the set's current template (upstream `newRevision`): the set's
 * annotations are copied onto it (`kubernetes.io/change-cause` for `kubectl rollout history`).
 */
export function newStatefulSetRevision(
  set: StatefulSet,
  at: { readonly revision: number; readonly collisionCount: number },
): ControllerRevision {
  const revision = newControllerRevision(set, {
    kind: STATEFUL_SET_KIND,
    templateLabels: set.spec?.template?.metadata?.labels ?? {},
    data: templateRevisionData(set.spec?.template ?? {}),
    revision: at.revision,
    collisionCount: at.collisionCount,
  });
  revision.metadata = {
    ...revision.metadata,
    annotations: { ...set.metadata?.annotations },
  };
  return revision;
}

/** Whether `status` differs from the set's in what upstream compares (`inconsistentStatus`). */
export function inconsistentStatus(set: StatefulSet, status: StatefulSetStatus): boolean {
  const cur = set.status;
  return (status.observedGeneration ?? 0) > (cur?.observedGeneration ?? 0) ||
    status.replicas !== (cur?.replicas ?? 0) ||
    (status.currentReplicas ?? 0) !== (cur?.currentReplicas ?? 0) ||
    (status.readyReplicas ?? 0) !== (cur?.readyReplicas ?? 0) ||
    (status.updatedReplicas ?? 0) !== (cur?.updatedReplicas ?? 0) ||
    (status.currentRevision ?? "") !== (cur?.currentRevision ?? "") ||
    (status.availableReplicas ?? 0) !== (cur?.availableReplicas ?? 0) ||
    (status.updateRevision ?? "") !== (cur?.updateRevision ?? "") ||
    (status.collisionCount ?? 0) !== (cur?.collisionCount ?? 0);
}

/**
 * Ends a finished rolling update in `status` (upstream `completeRollingUpdate`): once every
 * wanted pod is updated and ready, the update revision becomes the current one.
 */
export function completeRollingUpdate(set: StatefulSet, status: StatefulSetStatus): void {
  const replicas = replicasOf(set);
  if (
    set.spec?.updateStrategy?.type === "RollingUpdate" &&
    status.updatedReplicas === replicas && status.readyReplicas === replicas &&
    status.replicas === replicas
  ) {
    status.currentReplicas = status.updatedReplicas;
    if (status.updateRevision !== undefined) status.currentRevision = status.updateRevision;
  }
}

/** What {@linkcode countReplicas} compares pods against. */
export interface ReplicaCountInput {
  readonly minReadySeconds: number;
  readonly nowMs: number;
  readonly currentRevision: string;
  readonly updateRevision: string;
}

/** The status counts over `pods` (upstream `computeReplicaStatus`); uncreated pods count not. */
export function countReplicas(
  pods: readonly (PodLike | undefined)[],
  input: ReplicaCountInput,
): Pick<
  Required<StatefulSetStatus>,
  "replicas" | "readyReplicas" | "availableReplicas" | "currentReplicas" | "updatedReplicas"
> {
  const counts = {
    replicas: 0,
    readyReplicas: 0,
    availableReplicas: 0,
    currentReplicas: 0,
    updatedReplicas: 0,
  };
  for (const pod of pods) {
    if (!pod) continue;
    const created = isCreated(pod);
    if (created) counts.replicas++;
    if (isRunningAndReady(pod)) {
      counts.readyReplicas++;
      if (isRunningAndAvailable(pod, input)) counts.availableReplicas++;
    }
    if (created && !isTerminating(pod)) {
      const revision = podRevision(pod);
      if (revision === input.currentRevision) counts.currentReplicas++;
      if (revision === input.updateRevision) counts.updatedReplicas++;
    }
  }
  return counts;
}

/**
 * How many pods a rolling update may take down at once (upstream
 * `getStatefulSetMaxUnavailable`): `maxUnavailable` (default 1) of the replicas, a percentage
 * rounded down, at least 1.
 */
export function maxUnavailable(set: StatefulSet): number {
  const value = set.spec?.updateStrategy?.rollingUpdate?.maxUnavailable;
  if (value === undefined) return 1;
  return Math.max(1, scaledValue(value, { total: replicasOf(set), roundUp: false, fallback: "1" }));
}

// --- claim ownership for the retention policy ----------------------------------------------

function refMatches(ref: OwnerReference, obj: KubeObject, kind: ControllerKind): boolean {
  return ref.apiVersion === kind.apiVersion && ref.kind === kind.kind &&
    ref.name === obj.metadata?.name;
}

/** Whether `target` has an owner reference with the owner's uid. */
export function hasOwnerRef(target: KubeObject, owner: KubeObject): boolean {
  const uid = owner.metadata?.uid;
  return (target.metadata?.ownerReferences ?? []).some((ref) => ref.uid === uid);
}

/**
 * Whether the claim's first reference naming `obj` (kind and name) carries another uid: an
 * earlier object of that name owned it.
 */
export function hasStaleOwnerRef(
  claim: PersistentVolumeClaim,
  owner: { readonly object: KubeObject; readonly kind: ControllerKind },
): boolean {
  const ref = (claim.metadata?.ownerReferences ?? []).find((r) =>
    refMatches(r, owner.object, owner.kind)
  );
  return ref !== undefined && ref.uid !== (owner.object.metadata?.uid ?? "");
}

/** The set and one of its pods, whose claim is looked at. */
export interface SetAndPod {
  readonly set: StatefulSet;
  readonly pod: PodLike;
}

/**
 * Whether, under a deleting policy, the claim has a controller other than the set or pod (or a
 * reference to them with a stale uid): the claim is then left to that owner.
 */
export function hasUnexpectedController(claim: PersistentVolumeClaim, owners: SetAndPod): boolean {
  const { set, pod } = owners;
  const policy = retentionPolicy(set);
  if (policy.whenScaled === "Retain" && policy.whenDeleted === "Retain") return false;
  for (const ref of claim.metadata?.ownerReferences ?? []) {
    if (refMatches(ref, set, STATEFUL_SET_KIND)) {
      if (ref.uid !== set.metadata?.uid) return true;
      continue;
    }
    if (refMatches(ref, pod as KubeObject, POD_KIND)) {
      if (ref.uid !== pod.metadata?.uid) return true;
      continue;
    }
    if (ref.controller === true) return true;
  }
  return false;
}

function hasNonControllerOwner(claim: PersistentVolumeClaim, owners: SetAndPod): boolean {
  const uids = [owners.set.metadata?.uid, owners.pod.metadata?.uid];
  return (claim.metadata?.ownerReferences ?? []).some((ref) =>
    uids.includes(ref.uid) && ref.controller !== true
  );
}

/**
 * Whether the claim's owner references fit the retention policy (upstream
 * `isClaimOwnerUpToDate`): Retain/Retain no reference to the set or pod; whenDeleted Delete a
 * controller reference to the set; whenScaled Delete a controller reference to the pod once it
 * is scaled away (instead of the set's, under Delete/Delete). Claims with stale references or
 * another controller are left as they are.
 */
export function isClaimOwnerUpToDate(claim: PersistentVolumeClaim, owners: SetAndPod): boolean {
  const { set, pod } = owners;
  if (
    hasStaleOwnerRef(claim, { object: set, kind: STATEFUL_SET_KIND }) ||
    hasStaleOwnerRef(claim, { object: pod as KubeObject, kind: POD_KIND })
  ) return true;
  const setRef = hasOwnerRef(claim, set);
  const podRef = hasOwnerRef(claim, pod as KubeObject);
  if (hasUnexpectedController(claim, owners)) return !(setRef || podRef);
  if (hasNonControllerOwner(claim, owners)) return false;
  const policy = retentionPolicy(set);
  const scaledDown = !podInOrdinalRange(pod, set);
  if (policy.whenScaled === "Delete" && policy.whenDeleted === "Delete") {
    return scaledDown !== setRef && scaledDown === podRef;
  }
  if (policy.whenScaled === "Delete" && policy.whenDeleted === "Retain") {
    return !setRef && scaledDown === podRef;
  }
  if (policy.whenScaled === "Retain" && policy.whenDeleted === "Delete") {
    return setRef && !podRef;
  }
  return !setRef && !podRef;
}

function addControllerRef(
  refs: OwnerReference[],
  owner: { readonly object: KubeObject; readonly kind: ControllerKind },
): OwnerReference[] {
  const uid = owner.object.metadata?.uid;
  if (refs.some((r) => r.uid === uid)) return refs;
  return [...refs, newControllerRef(owner.object, owner.kind)];
}

/**
 * The claim's owner references rewritten for the retention policy (upstream
 * `updateClaimOwnerRefForSetAndPod`): references to the set and pod are dropped, then the
 * controller references the policy wants are added (none when another controller owns it).
 */
export function claimOwnerRefsForPolicy(
  claim: PersistentVolumeClaim,
  owners: SetAndPod,
): OwnerReference[] {
  const { set, pod } = owners;
  const unexpected = hasUnexpectedController(claim, owners);
  let refs = (claim.metadata?.ownerReferences ?? []).filter((r) =>
    !refMatches(r, set, STATEFUL_SET_KIND) && !refMatches(r, pod as KubeObject, POD_KIND)
  ).map((r) => ({ ...r }));
  if (unexpected) return refs;
  const policy = retentionPolicy(set);
  const scaledDown = !podInOrdinalRange(pod, set);
  const setOwner = { object: set, kind: STATEFUL_SET_KIND };
  const podOwner = { object: pod as KubeObject, kind: POD_KIND };
  if (policy.whenScaled === "Retain" && policy.whenDeleted === "Delete") {
    refs = addControllerRef(refs, setOwner);
  } else if (policy.whenScaled === "Delete" && policy.whenDeleted === "Retain") {
    if (scaledDown) refs = addControllerRef(refs, podOwner);
  } else if (policy.whenScaled === "Delete" && policy.whenDeleted === "Delete") {
    refs = addControllerRef(refs, scaledDown ? podOwner : setOwner);
  }
  return refs;
}
