/**
 * The informer handlers the workload controllers share (upstream each controller's
 * `addPod`/`updatePod`/`deletePod`, `addHistory`/…, `addJob`/…, and the owner's own
 * `add`/`update`/`delete`): they only enqueue owner keys and lower expectations.
 *
 * {@linkcode ownedObjectHandler}, for the objects an owner controls (pods, revisions, Jobs):
 * - **add**: an object already being deleted counts as deleted; one with a controllerRef
 *   observes a creation of its owner and enqueues it; an orphan enqueues every owner selecting
 *   it (to adopt it).
 * - **update**: nothing on a resync (same `resourceVersion`); a graceful delete that begins
 *   may count as a deletion at once; otherwise the old owner is enqueued when the
 *   controllerRef changed, the current owner always (and again later, if it wants to look at
 *   the object's availability), and an orphan whose labels or controllerRef changed is
 *   offered to every owner selecting it.
 * - **delete**: the owner observes the deletion and is enqueued. The object is the last state
 *   the informer saw (skiff's informers hand no tombstones to handlers).
 *
 * {@linkcode ownerHandler}, for the owners: each change enqueues the owner; a deleted owner (or
 * one replaced under the same name, a new uid) forgets its expectations.
 *
 * @module
 */
import type { Pod } from "../api/types/core_v1_pod.ts";
import type { KubeObject, OwnerReference } from "../api/types/meta_v1.ts";
import type { InformerHandler } from "../client/informer.ts";
import { metaNamespaceKey } from "../client/store.ts";
import type { DelayingQueue } from "../client/workqueue.ts";
import { isPodReady } from "./active_pods.ts";
import { getControllerOf } from "./controller_ref_manager.ts";
import type { ControllerExpectations } from "./expectations.ts";
import type { OwnerLookup } from "./owner_lookup.ts";

/** What an update that sets `deletionTimestamp` does (a graceful delete beginning). */
export type DeletionStart =
  /** Nothing special: handled as any other update (upstream StatefulSet, revisions, Jobs). */
  | "update"
  /** A deletion at once, so the owner replaces the object without waiting (DaemonSet). */
  | "delete"
  /** As `"delete"`, and the old state's owner is told too when the labels changed (ReplicaSet). */
  | "deleteOldToo";

/** Where the handlers put owner keys (`namespace/name`): a `WorkQueue`. */
export type OwnerKeyQueue = Pick<DelayingQueue<string>, "add" | "addAfter">;

/** An update an owned-object handler saw. */
export interface OwnedChange<T extends KubeObject> {
  readonly old: T;
  readonly cur: T;
}

/** Options of {@linkcode ownedObjectHandler}. */
export interface OwnedObjectHandlerOptions<T extends KubeObject, O extends KubeObject> {
  /** Resolves controllerRefs and finds the owners selecting an orphan. */
  readonly owners: OwnerLookup<O>;
  readonly queue: OwnerKeyQueue;
  /** Lowered by the creations and deletions seen. Absent: none are tracked. */
  readonly expectations?: ControllerExpectations;
  /** Whether an orphan is offered to the owners selecting it. @default {true} */
  readonly adoptOrphans?: boolean;
  /**
   * Whether an added object with an owner enqueues that owner (a DaemonSet does not for its
   * own new revisions: it made them). @default {true}
   */
  readonly enqueueOwnerOnAdd?: boolean;
  /** @default {"update"} */
  readonly deletionStart?: DeletionStart;
  /**
   * After an update with an owner: a delay after which the owner is enqueued again, if any
   * (see {@linkcode availabilityRecheckMs}).
   */
  readonly recheckAfterMs?: (owner: O, change: OwnedChange<T>) => number | undefined;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** The add, update and delete handlers of objects that owners of one kind control. */
export function ownedObjectHandler<T extends KubeObject, O extends KubeObject>(
  options: OwnedObjectHandlerOptions<T, O>,
): Required<InformerHandler<T>> {
  const { owners, queue, expectations, recheckAfterMs } = options;
  const adoptOrphans = options.adoptOrphans ?? true;
  const enqueueOwnerOnAdd = options.enqueueOwnerOnAdd ?? true;
  const deletionStart = options.deletionStart ?? "update";
  const ownerOf = (obj: T, ref: OwnerReference) =>
    owners.resolve(obj.metadata?.namespace ?? "", ref);
  const offerOrphan = (obj: T) => {
    for (const owner of owners.selecting(obj)) queue.add(metaNamespaceKey(owner));
  };
  const onDelete = (obj: T) => {
    const ref = getControllerOf(obj);
    if (!ref) return;
    const owner = ownerOf(obj, ref);
    if (!owner) return;
    const key = metaNamespaceKey(owner);
    expectations?.deletionObserved(key, metaNamespaceKey(obj));
    queue.add(key);
  };
  return {
    add(obj) {
      if (obj.metadata?.deletionTimestamp) {
        // Seen for the first time already being deleted: not a creation to observe.
        onDelete(obj);
        return;
      }
      const ref = getControllerOf(obj);
      if (ref) {
        if (!enqueueOwnerOnAdd) return;
        const owner = ownerOf(obj, ref);
        if (!owner) return;
        const key = metaNamespaceKey(owner);
        expectations?.creationObserved(key);
        queue.add(key);
        return;
      }
      // An orphan: every matching owner may want to adopt it. No creation is observed.
      if (adoptOrphans) offerOrphan(obj);
    },
    update(old, cur) {
      // A resync (same version): nothing changed.
      if (cur.metadata?.resourceVersion === old.metadata?.resourceVersion) return;
      const labelsChanged = !sameJson(cur.metadata?.labels ?? {}, old.metadata?.labels ?? {});
      if (deletionStart !== "update" && cur.metadata?.deletionTimestamp) {
        // A graceful delete began: count it now and replace the object without waiting for
        // the deletion to finish.
        onDelete(cur);
        if (deletionStart === "deleteOldToo" && labelsChanged) onDelete(old);
        return;
      }
      const curRef = getControllerOf(cur);
      const oldRef = getControllerOf(old);
      const refChanged = !sameJson(curRef, oldRef);
      if (refChanged && oldRef) {
        const owner = ownerOf(old, oldRef);
        if (owner) queue.add(metaNamespaceKey(owner));
      }
      if (curRef) {
        const owner = ownerOf(cur, curRef);
        if (!owner) return;
        queue.add(metaNamespaceKey(owner));
        const delayMs = recheckAfterMs?.(owner, { old, cur });
        if (delayMs !== undefined) queue.addAfter(metaNamespaceKey(owner), delayMs);
        return;
      }
      if (adoptOrphans && (labelsChanged || refChanged)) offerOrphan(cur);
    },
    delete(obj) {
      onDelete(obj);
    },
  };
}

/**
 * For the pods of an owner with `spec.minReadySeconds`: the delay after which a pod that just
 * became ready is available (+1 s against clock skew), so that the owner counts it then.
 */
export function availabilityRecheckMs(
  owner: { readonly spec?: { readonly minReadySeconds?: number } },
  change: OwnedChange<Pod>,
): number | undefined {
  const minReadySeconds = owner.spec?.minReadySeconds ?? 0;
  if (minReadySeconds <= 0 || isPodReady(change.old) || !isPodReady(change.cur)) return undefined;
  return minReadySeconds * 1000 + 1000;
}

/** Options of {@linkcode ownerHandler}. */
export interface OwnerHandlerOptions<O extends KubeObject> {
  readonly queue: OwnerKeyQueue;
  /** Forgotten for an owner deleted or replaced under its name. Absent: none are kept. */
  readonly expectations?: ControllerExpectations;
  /** Called on each update before the owner is enqueued (to log what changed). */
  readonly updated?: (old: O, cur: O) => void;
}

/** The add, update and delete handlers of the owners themselves: each enqueues the owner. */
export function ownerHandler<O extends KubeObject>(
  options: OwnerHandlerOptions<O>,
): Required<InformerHandler<O>> {
  const { queue, expectations, updated } = options;
  const onDelete = (owner: O) => {
    const key = metaNamespaceKey(owner);
    // A new owner of the same name starts with clean expectations.
    expectations?.delete(key);
    queue.add(key);
  };
  return {
    add(owner) {
      queue.add(metaNamespaceKey(owner));
    },
    update(old, cur) {
      if (expectations && old.metadata?.uid !== cur.metadata?.uid) onDelete(old);
      updated?.(old, cur);
      queue.add(metaNamespaceKey(cur));
    },
    delete(owner) {
      onDelete(owner);
    },
  };
}
