/**
 * The owners of objects, found in an informer's cache as the workload controllers' event
 * handlers find them:
 *
 * - the owner an object's controllerRef names: same kind, name and uid (upstream each
 *   controller's `resolveControllerRef`), so that a new owner of the same name is not taken
 *   for the old;
 * - the owners whose selectors match an orphan's labels (upstream `GetPodReplicaSets`,
 *   `GetPodDaemonSets`, `getPodStatefulSets`): an object without labels has none, an empty
 *   or invalid selector matches nothing here, and more than one match is a user error that
 *   is logged as a warning.
 *
 * Each owner's compiled selector is cached per cached object: informers hand out frozen
 * objects, replaced on every change, so a frozen object's selector never goes stale.
 *
 * @example Resolve a pod's ReplicaSet
 * ```ts ignore
 * const owners = new OwnerLookup<ReplicaSet>({
 *   store: rsInformer.store,
 *   kind: REPLICA_SET_KIND,
 *   selector: (rs) => rs.spec?.selector,
 * });
 * const rs = owners.controllerOf(pod);
 * const adopters = rs ? [] : owners.selecting(pod);
 * ```
 *
 * @module
 */
import type { KubeObject, LabelSelector, OwnerReference } from "../api/types/meta_v1.ts";
import { type CompiledLabelSelector, compileLabelSelector } from "../client/label_selector.ts";
import { metaNamespaceKey, type ObjectStore } from "../client/store.ts";
import type { Logger } from "../util/logger.ts";
import { type ControllerKind, getControllerOf } from "./controller_ref_manager.ts";

/** The warning {@linkcode OwnerLookup.selecting} logs when several owners match one object. */
export interface OverlapWarning {
  readonly logger: Logger;
  /** The constant message (`More than one ReplicaSet is selecting pods with these labels`). */
  readonly message: string;
  /** The field naming the object's `namespace/name` (`pod`). */
  readonly objectField: string;
  /** The field listing the owners' `namespace/name`s (`replicaSets`). */
  readonly ownersField: string;
}

/** Options of {@linkcode OwnerLookup}. */
export interface OwnerLookupOptions<T extends KubeObject> {
  /** The owners' cache (an informer's store, with the `namespace` index). */
  readonly store: ObjectStore<T>;
  /** The owners' kind, as controllerRefs name it. */
  readonly kind: ControllerKind;
  /** The selector of the objects an owner may adopt. Absent: orphans match no owner. */
  readonly selector?: (owner: T) => LabelSelector | undefined;
  /** Logged by {@linkcode OwnerLookup.selecting}. Absent: nothing is logged. */
  readonly overlapWarning?: OverlapWarning;
}

/** Finds owners of one kind in a cache by controllerRef or by selector. */
export class OwnerLookup<T extends KubeObject> {
  readonly #store: ObjectStore<T>;
  readonly #kind: string;
  readonly #selector: ((owner: T) => LabelSelector | undefined) | undefined;
  readonly #overlapWarning: OverlapWarning | undefined;
  readonly #selectors = new WeakMap<T, CompiledLabelSelector | null>();

  constructor(options: OwnerLookupOptions<T>) {
    this.#store = options.store;
    this.#kind = options.kind.kind;
    this.#selector = options.selector;
    this.#overlapWarning = options.overlapWarning;
  }

  /** The owners' cache. */
  get store(): ObjectStore<T> {
    return this.#store;
  }

  /** The cached owner `ref` names in `namespace`: same kind, name and uid. */
  resolve(namespace: string, ref: OwnerReference): T | undefined {
    if (ref.kind !== this.#kind) return undefined;
    const owner = this.#store.get(`${namespace}/${ref.name}`);
    return owner && owner.metadata?.uid === ref.uid ? owner : undefined;
  }

  /** The cached owner `obj`'s controllerRef names, if it has one and it is cached. */
  controllerOf(obj: KubeObject): T | undefined {
    const ref = getControllerOf(obj);
    return ref ? this.resolve(obj.metadata?.namespace ?? "", ref) : undefined;
  }

  /**
   * The owner's selector compiled (cached while the owner object is frozen), or `null` when
   * it is invalid or the lookup has no selector.
   */
  selectorOf(owner: T): CompiledLabelSelector | null {
    if (this.#selectors.has(owner)) return this.#selectors.get(owner)!;
    let selector: CompiledLabelSelector | null = null;
    if (this.#selector) {
      try {
        selector = compileLabelSelector(this.#selector(owner));
      } catch {
        selector = null;
      }
    }
    if (Object.isFrozen(owner)) this.#selectors.set(owner, selector);
    return selector;
  }

  /**
   * The owners in `obj`'s namespace whose selectors match its labels; none for an object
   * without labels. A nil or empty selector matches nothing here, not everything.
   */
  matching(obj: KubeObject): T[] {
    const labels = obj.metadata?.labels;
    if (!labels || Object.keys(labels).length === 0) return [];
    return this.#store.byIndex("namespace", obj.metadata?.namespace ?? "").filter((owner) => {
      const selector = this.selectorOf(owner);
      return selector !== null && !selector.isEmpty && selector.matches(labels);
    });
  }

  /** {@linkcode OwnerLookup.matching}, warning when more than one owner matches. */
  selecting(obj: KubeObject): T[] {
    const matched = this.matching(obj);
    const warning = this.#overlapWarning;
    if (matched.length > 1 && warning) {
      warning.logger.warn(warning.message, {
        [warning.objectField]: metaNamespaceKey(obj),
        labels: obj.metadata?.labels,
        [warning.ownersField]: matched.map(metaNamespaceKey),
      });
    }
    return matched;
  }
}
