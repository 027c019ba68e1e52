/**
 * ControllerRefs and claiming, as upstream's `controller_ref_manager.go`: an object has at
 * most one owner reference with `controller: true` — its controller. A controller *claims* the
 * pods it should manage from a candidate list:
 *
 * - a pod whose controllerRef names another controller is left alone;
 * - a pod it controls and whose labels still match is kept; one whose labels no longer match is
 *   released (its controllerRef removed by a strategic patch), unless the controller is being
 *   deleted;
 * - an orphan (no controllerRef) whose labels match, that is not being deleted and lives in the
 *   controller's namespace, is adopted (a patch adding the controllerRef with
 *   `blockOwnerDeletion: true`) — but only after an uncached read confirms the controller
 *   itself is not being deleted (`canAdopt`, checked once per manager).
 *
 * Patches carry the pod's uid, so a pod deleted and recreated under the same name is not
 * touched (the server answers Invalid, which counts as "nothing to do").
 *
 * @module
 */
import type { Pod } from "../api/types/core_v1_pod.ts";
import type { KubeObject, OwnerReference } from "../api/types/meta_v1.ts";
import { isInvalid, isNotFound } from "../client/errors.ts";
import type { PodControl } from "./pod_control.ts";

/** The owner reference with `controller: true`, if any (upstream `GetControllerOf`). */
export function getControllerOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((ref) => ref.controller === true);
}

/** The kind of a controller: its `apiVersion` and `kind`. */
export interface ControllerKind {
  readonly apiVersion: string;
  readonly kind: string;
}

/** A controllerRef to `owner` (upstream `NewControllerRef`). */
export function newControllerRef(owner: KubeObject, kind: ControllerKind): OwnerReference {
  return {
    apiVersion: kind.apiVersion,
    kind: kind.kind,
    name: owner.metadata?.name ?? "",
    uid: owner.metadata?.uid ?? "",
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** The strategic patch that makes `owner` the pod's controller. */
export function adoptPatch(
  owner: KubeObject,
  target: { readonly kind: ControllerKind; readonly uid: string },
): unknown {
  return {
    metadata: { ownerReferences: [newControllerRef(owner, target.kind)], uid: target.uid },
  };
}

/** The strategic patch that removes the owner reference to `ownerUid` from the object `uid`. */
export function releasePatch(ownerUid: string, uid: string): unknown {
  return { metadata: { ownerReferences: [{ $patch: "delete", uid: ownerUid }], uid } };
}

/** What {@linkcode PodControllerRefManager} works with. */
export interface PodControllerRefManagerOptions {
  readonly podControl: PodControl;
  /** The controller claiming pods (a ReplicaSet, …). */
  readonly controller: KubeObject;
  readonly controllerKind: ControllerKind;
  /** Whether a pod's labels (and anything else) make it one of the controller's. */
  readonly matches: (pod: Pod) => boolean;
  /**
   * Rejects when the controller must not adopt (it is being deleted, or it is gone); called at
   * most once, before the first adoption.
   */
  readonly canAdopt: () => Promise<void>;
}

/** What {@linkcode PodControllerRefManager.claimPods} found. */
export interface ClaimResult {
  /** The pods the controller manages now. */
  readonly claimed: Pod[];
  /** Adoptions and releases that failed (their pods are not claimed). */
  readonly errors: unknown[];
}

/** Claims pods for one controller during one sync. */
export class PodControllerRefManager {
  readonly #options: PodControllerRefManagerOptions;
  #canAdopt: Promise<void> | null = null;

  constructor(options: PodControllerRefManagerOptions) {
    this.#options = options;
  }

  /** Sorts `pods` into the controller's, adopting and releasing as needed. */
  async claimPods(pods: readonly Pod[]): Promise<ClaimResult> {
    const claimed: Pod[] = [];
    const errors: unknown[] = [];
    for (const pod of pods) {
      try {
        if (await this.#claim(pod)) claimed.push(pod);
      } catch (err) {
        errors.push(err);
      }
    }
    return { claimed, errors };
  }

  async #claim(pod: Pod): Promise<boolean> {
    const { controller, matches } = this.#options;
    const uid = controller.metadata?.uid ?? "";
    const ref = getControllerOf(pod);
    const controllerDeleting = !!controller.metadata?.deletionTimestamp;
    if (ref) {
      if (ref.uid !== uid) return false;
      if (matches(pod)) return true;
      if (controllerDeleting) return false;
      await this.#release(pod);
      return false;
    }
    if (controllerDeleting || !matches(pod)) return false;
    if (pod.metadata?.deletionTimestamp) return false;
    const namespace = controller.metadata?.namespace ?? "";
    if (namespace !== "" && namespace !== pod.metadata?.namespace) return false;
    try {
      await this.#adopt(pod);
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
    return true;
  }

  async #adopt(pod: Pod): Promise<void> {
    const meta = pod.metadata ?? {};
    const { podControl, controller, controllerKind } = this.#options;
    this.#canAdopt ??= this.#options.canAdopt();
    try {
      await this.#canAdopt;
    } catch (err) {
      throw new Error(
        `Cannot adopt pod "${meta.namespace}/${meta.name}" (${meta.uid}): ${
          err instanceof Error ? err.message : String(err)
        }`,
        { cause: err },
      );
    }
    await podControl.patchPod({
      namespace: meta.namespace ?? "",
      name: meta.name ?? "",
      patch: adoptPatch(controller, { kind: controllerKind, uid: meta.uid ?? "" }),
    });
  }

  async #release(pod: Pod): Promise<void> {
    const meta = pod.metadata ?? {};
    const { podControl, controller } = this.#options;
    try {
      await podControl.patchPod({
        namespace: meta.namespace ?? "",
        name: meta.name ?? "",
        patch: releasePatch(controller.metadata?.uid ?? "", meta.uid ?? ""),
      });
    } catch (err) {
      // Gone, or recreated under the same name (the uid in the patch no longer matches).
      if (isNotFound(err) || isInvalid(err)) return;
      throw err;
    }
  }
}
