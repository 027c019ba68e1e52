/**
 * What the workload controllers share to claim their pods (upstream
 * `PodControllerRefManager.ClaimPods` with each controller's `canAdopt`): the indexes that
 * find an owner's pods and the orphans it may adopt, the candidates themselves, and the read
 * past the cache that must show the owner unchanged and not being deleted before it adopts
 * (upstream `RecheckDeletionTimestamp` plus the uid check).
 *
 * @module
 */
import type { Pod } from "../api/types/core_v1_pod.ts";
import type { KubeObject } from "../api/types/meta_v1.ts";
import type { ResourceClient } from "../client/client.ts";
import { metaNamespaceKey, type ObjectStore, splitMetaNamespaceKey } from "../client/store.ts";
import { errorText } from "./_errors.ts";
import {
  type ClaimResult,
  type ControllerKind,
  getControllerOf,
  PodControllerRefManager,
} from "./controller_ref_manager.ts";
import type { PodControl } from "./pod_control.ts";

/** Index of objects by the uids of their owners (shared with other controllers). */
export const OWNER_UID_INDEX = "ownerUid";
/** Index of pods without a controller, by namespace (orphans to adopt). */
export const ORPHAN_NAMESPACE_INDEX = "orphanNamespace";

/** The orphans' index: a pod with no controllerRef is filed under its namespace. */
export function indexOrphansByNamespace(obj: KubeObject): readonly string[] {
  return getControllerOf(obj) ? [] : [obj.metadata?.namespace ?? ""];
}

/** The objects of `store` (indexed by {@linkcode OWNER_UID_INDEX}) whose controller is `uid`. */
export function controlledBy<T extends KubeObject>(store: ObjectStore<T>, uid: string): T[] {
  return store.byIndex(OWNER_UID_INDEX, uid).filter((obj) => getControllerOf(obj)?.uid === uid);
}

/**
 * The pods `owner` may claim: those it controls and the orphans of its namespace (`store`
 * indexed by {@linkcode OWNER_UID_INDEX} and {@linkcode ORPHAN_NAMESPACE_INDEX}).
 */
export function claimCandidates(store: ObjectStore<Pod>, owner: KubeObject): Pod[] {
  return [
    ...controlledBy(store, owner.metadata?.uid ?? ""),
    ...store.byIndex(ORPHAN_NAMESPACE_INDEX, owner.metadata?.namespace ?? ""),
  ];
}

/** Options of {@linkcode claimOwnedPods}. */
export interface ClaimOwnedPodsOptions {
  /** The pod cache, indexed as {@linkcode claimCandidates} needs. */
  readonly podStore: ObjectStore<Pod>;
  /** Adopts and releases pods. */
  readonly podControl: PodControl;
  /** The controller claiming pods. */
  readonly owner: KubeObject;
  readonly kind: ControllerKind;
  /** Whether a pod is the owner's (its selector, and anything else). */
  readonly matches: (pod: Pod) => boolean;
  /** Rejects when the owner must not adopt (see {@linkcode recheckOwner}). */
  readonly canAdopt: () => Promise<void>;
  /** Keeps only the candidates worth claiming (a ReplicaSet: active pods). @default {all} */
  readonly candidates?: (pods: Pod[]) => Pod[];
}

/** Adopts the matching orphans of `owner`, releases its pods that no longer match. */
export async function claimOwnedPods(options: ClaimOwnedPodsOptions): Promise<ClaimResult> {
  const candidates = claimCandidates(options.podStore, options.owner);
  const manager = new PodControllerRefManager({
    podControl: options.podControl,
    controller: options.owner,
    controllerKind: options.kind,
    matches: options.matches,
    canAdopt: options.canAdopt,
  });
  return await manager.claimPods(options.candidates ? options.candidates(candidates) : candidates);
}

/** Options of {@linkcode recheckOwner}. */
export interface RecheckOwnerOptions<T extends KubeObject> {
  /** Reads the owner past the cache. */
  readonly client: ResourceClient<T>;
  readonly kind: ControllerKind;
}

/**
 * Rejects unless an uncached read shows the same `owner` (same uid), not being deleted: an
 * owner must not adopt what it would let go again at once.
 */
export async function recheckOwner<T extends KubeObject>(
  owner: T,
  options: RecheckOwnerOptions<T>,
): Promise<void> {
  const kind = options.kind.kind;
  const { namespace, name } = splitMetaNamespaceKey(metaNamespaceKey(owner));
  let fresh: T;
  try {
    fresh = await options.client.get(name, { namespace });
  } catch (err) {
    throw new Error(`Cannot recheck deletionTimestamp: ${errorText(err)}`, { cause: err });
  }
  if (fresh.metadata?.uid !== owner.metadata?.uid) {
    throw new Error(
      `Original ${kind} "${namespace}/${name}" is gone: got uid ${fresh.metadata?.uid}, wanted ${owner.metadata?.uid}`,
    );
  }
  if (fresh.metadata?.deletionTimestamp) {
    throw new Error(
      `${kind} "${namespace}/${name}" has just been deleted at ${fresh.metadata.deletionTimestamp}`,
    );
  }
}
