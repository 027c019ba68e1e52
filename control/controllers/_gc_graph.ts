/**
 * The garbage collector's dependency graph (upstream's `GraphBuilder` and `node`): one
 * {@linkcode GraphNode} per object of every watched resource, keyed by uid, each knowing its
 * owners (its `ownerReferences`, matched by uid) and its dependents. Owners named by a
 * reference but not (yet) seen are **virtual** nodes, queued so that a live GET can confirm
 * them or find them absent.
 *
 * The graph is fed synchronously by the metadata informers ({@linkcode DependencyGraph.observe},
 * {@linkcode DependencyGraph.observeDeleted}) and by the collector's own findings
 * ({@linkcode DependencyGraph.virtualDelete}); it never talks to the API. What may need work it
 * hands to two queues: `attemptToDelete` (objects whose owners may be gone, owners waiting for
 * their dependents, virtual nodes to verify) and `attemptToOrphan` (owners being deleted with
 * the `orphan` finalizer).
 *
 * A node holds only the uid, namespace, name, apiVersion and kind, the owner references
 * (apiVersion, kind, name, uid, controller, blockOwnerDeletion) and a few state bits; repeated
 * strings (apiVersions, kinds, namespaces, owner names and uids) are shared.
 *
 * @module
 */
import type { ObjectMeta, OwnerReference } from "../api/types/meta_v1.ts";
import type { EventRecorder } from "../client/event_recorder.ts";
import type { Logger } from "../util/logger.ts";
import {
  formatIdentity,
  identityKey,
  type ObjectIdentity,
  type ReferenceCache,
  sameIdentity,
} from "./_gc_reference_cache.ts";

/** The finalizer of a Foreground deletion. */
export const FINALIZER_DELETE_DEPENDENTS = "foregroundDeletion";
/** The finalizer of an Orphan deletion. */
export const FINALIZER_ORPHAN_DEPENDENTS = "orphan";

/** One owner reference as the graph keeps it. */
export interface GraphOwnerRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
  readonly controller: boolean;
  readonly blockOwnerDeletion: boolean;
}

/** The apiVersion and kind of the objects one informer watches. */
export interface ObservedType {
  readonly apiVersion: string;
  readonly kind: string;
}

const OBSERVED = 1;
const VIRTUAL = 2;
const BEING_DELETED = 4;
const DELETING_DEPENDENTS = 8;
const HAS_FOREGROUND_FINALIZER = 16;
const HAS_ORPHAN_FINALIZER = 32;
const QUEUED_VIRTUAL = 64;

const NO_OWNERS: readonly GraphOwnerRef[] = Object.freeze([]);

/** One object (or virtual owner) of the graph. Only the graph changes it. */
export class GraphNode implements ObjectIdentity {
  #apiVersion: string;
  #kind: string;
  #namespace: string;
  #name: string;
  #uid: string;
  #owners: readonly GraphOwnerRef[];
  #flags: number;
  #dependents: Set<GraphNode> | null = null;
  /** The owners list of a dependent naming only this node (shared by such dependents). */
  #soleOwnerOf: readonly GraphOwnerRef[] | null = null;

  constructor(identity: ObjectIdentity, owners: readonly GraphOwnerRef[], flags: number) {
    this.#apiVersion = identity.apiVersion;
    this.#kind = identity.kind;
    this.#namespace = identity.namespace;
    this.#name = identity.name;
    this.#uid = identity.uid;
    this.#owners = owners;
    this.#flags = flags;
  }

  get apiVersion(): string {
    return this.#apiVersion;
  }
  get kind(): string {
    return this.#kind;
  }
  get namespace(): string {
    return this.#namespace;
  }
  get name(): string {
    return this.#name;
  }
  get uid(): string {
    return this.#uid;
  }
  /** The object's owner references, as last observed. */
  get owners(): readonly GraphOwnerRef[] {
    return this.#owners;
  }

  /** A copy of the node's coordinates. */
  identity(): ObjectIdentity {
    return {
      apiVersion: this.#apiVersion,
      kind: this.#kind,
      namespace: this.#namespace,
      name: this.#name,
      uid: this.#uid,
    };
  }

  /** Seen through an informer (not only named by a dependent). */
  isObserved(): boolean {
    return (this.#flags & OBSERVED) !== 0;
  }
  /** Made from an owner reference (it may have been observed since). */
  isVirtual(): boolean {
    return (this.#flags & VIRTUAL) !== 0;
  }
  /** Has a deletionTimestamp. */
  isBeingDeleted(): boolean {
    return (this.#flags & BEING_DELETED) !== 0;
  }
  /** Being deleted in the foreground: waits for its blocking dependents. */
  isDeletingDependents(): boolean {
    return (this.#flags & DELETING_DEPENDENTS) !== 0;
  }

  /** The dependents (a copy). */
  dependents(): GraphNode[] {
    return this.#dependents ? [...this.#dependents] : [];
  }

  /** How many dependents there are. */
  dependentsLength(): number {
    return this.#dependents?.size ?? 0;
  }

  /** Whether `node` is a dependent of this node. */
  hasDependent(node: GraphNode): boolean {
    return this.#dependents?.has(node) ?? false;
  }

  /** The dependents whose reference to this node has `blockOwnerDeletion: true`. */
  blockingDependents(): GraphNode[] {
    const out: GraphNode[] = [];
    for (const dep of this.#dependents ?? []) {
      if (dep.#owners.some((o) => o.uid === this.#uid && o.blockOwnerDeletion)) out.push(dep);
    }
    return out;
  }

  /** Whether the node was queued while virtual, and no one queued it since it was observed. */
  takeQueuedVirtual(): boolean {
    const queued = (this.#flags & QUEUED_VIRTUAL) !== 0;
    this.#flags &= ~QUEUED_VIRTUAL;
    return queued;
  }

  /** Marks what a queueing is for: a virtual node to verify, or an observed object. */
  noteQueued(): void {
    if (this.isObserved()) this.#flags &= ~QUEUED_VIRTUAL;
    else this.#flags |= QUEUED_VIRTUAL;
  }

  /** @internal */
  setIdentity(identity: ObjectIdentity): void {
    this.#apiVersion = identity.apiVersion;
    this.#kind = identity.kind;
    this.#namespace = identity.namespace;
    this.#name = identity.name;
  }
  /** @internal */
  setOwners(owners: readonly GraphOwnerRef[]): void {
    this.#owners = owners;
  }
  /** @internal */
  setFlag(flag: number, on: boolean): void {
    if (on) this.#flags |= flag;
    else this.#flags &= ~flag;
  }
  /** @internal */
  hasFlag(flag: number): boolean {
    return (this.#flags & flag) !== 0;
  }
  /** @internal */
  soleOwnerRefs(): readonly GraphOwnerRef[] | null {
    return this.#soleOwnerOf;
  }
  /** @internal */
  setSoleOwnerRefs(refs: readonly GraphOwnerRef[]): void {
    this.#soleOwnerOf = refs;
  }
  /** @internal */
  addDependent(node: GraphNode): void {
    (this.#dependents ??= new Set()).add(node);
  }
  /** @internal */
  deleteDependent(node: GraphNode): void {
    if (!this.#dependents) return;
    this.#dependents.delete(node);
    if (this.#dependents.size === 0) this.#dependents = null;
  }
}

/** Where the graph puts work. */
export interface GraphQueues {
  /** Adds to attemptToDelete. */
  attemptToDelete(node: GraphNode): void;
  /** Adds to attemptToDelete after the node's backoff. */
  attemptToDeleteRateLimited(node: GraphNode): void;
  /** Adds to attemptToOrphan. */
  attemptToOrphan(node: GraphNode): void;
}

/** What a {@linkcode DependencyGraph} works with. */
export interface DependencyGraphDeps {
  readonly queues: GraphQueues;
  /** Owners known to be absent (shared with the collector). */
  readonly absentOwners: ReferenceCache;
  /** Records `OwnerRefInvalidNamespace` warnings (component `garbage-collector-controller`). */
  readonly recorder: EventRecorder;
  readonly logger: Logger;
}

/** A deleted object as an informer reports it. */
export interface ObservedDeletion {
  readonly uid: string;
  /** Its last metadata, when known. */
  readonly metadata?: ObjectMeta;
}

/** Whether an owner reference names exactly `id`'s uid, name, kind and apiVersion. */
export function ownerReferenceMatches(ref: GraphOwnerRef, id: ObjectIdentity): boolean {
  return ref.uid === id.uid && ref.name === id.name && ref.kind === id.kind &&
    ref.apiVersion === id.apiVersion;
}

/**
 * Splits `dependents` by whether their reference to `owner`'s uid matches all of `owner`'s
 * coordinates (a namespaced owner must also share the dependent's namespace). A dependent may
 * be in both lists (two references to one uid).
 */
export function partitionDependents(
  dependents: readonly GraphNode[],
  owner: ObjectIdentity,
): { matching: GraphNode[]; nonmatching: GraphNode[] } {
  const matching: GraphNode[] = [];
  const nonmatching: GraphNode[] = [];
  const ownerNamespaced = owner.namespace !== "";
  for (const dep of dependents) {
    let match = false;
    let mismatch = false;
    if (ownerNamespaced && owner.namespace !== dep.namespace) {
      mismatch = true;
    } else {
      for (const ref of dep.owners) {
        if (ref.uid !== owner.uid) continue;
        if (ownerReferenceMatches(ref, owner)) match = true;
        else mismatch = true;
      }
    }
    if (match) matching.push(dep);
    if (mismatch) nonmatching.push(dep);
  }
  return { matching, nonmatching };
}

/**
 * Another identity by which `dependents` refer to `absent`'s uid (the one that prints first),
 * or null: what a virtual owner is tried as once one identity is confirmed absent.
 */
export function alternateOwnerIdentity(
  dependents: readonly GraphNode[],
  absent: ObjectIdentity,
): ObjectIdentity | null {
  const absentClusterScoped = absent.namespace === "";
  const seen = new Set([identityKey(absent)]);
  let first: ObjectIdentity | null = null;
  for (const dep of dependents) {
    for (const ref of dep.owners) {
      if (ref.uid !== absent.uid) continue;
      if (
        ownerReferenceMatches(ref, absent) &&
        (absentClusterScoped || absent.namespace === dep.namespace)
      ) continue;
      const sameType = ref.apiVersion === absent.apiVersion && ref.kind === absent.kind;
      const candidate: ObjectIdentity = {
        apiVersion: ref.apiVersion,
        kind: ref.kind,
        name: ref.name,
        uid: ref.uid,
        // This apiVersion/kind is cluster-scoped: the absent identity says so.
        namespace: absentClusterScoped && sameType ? "" : dep.namespace,
      };
      const key = identityKey(candidate);
      if (seen.has(key)) continue;
      seen.add(key);
      if (first === null || formatIdentity(candidate) < formatIdentity(first)) first = candidate;
    }
  }
  return first;
}

interface FinalizerState {
  readonly deleting: boolean;
  readonly foreground: boolean;
  readonly orphan: boolean;
}

function startsDeletionWith(
  old: FinalizerState | null,
  now: FinalizerState,
  finalizer: "foreground" | "orphan",
): boolean {
  if (!now.deleting || !now[finalizer]) return false;
  return old === null || !old.deleting || !old[finalizer];
}

/** The graph of every watched object, its owners and its dependents. */
export class DependencyGraph {
  readonly #nodes = new Map<string, GraphNode>();
  readonly #queues: GraphQueues;
  readonly #absent: ReferenceCache;
  readonly #recorder: EventRecorder;
  readonly #logger: Logger;
  /** apiVersions, kinds and namespaces, one string each. */
  readonly #strings = new Map<string, string>();

  constructor(deps: DependencyGraphDeps) {
    this.#queues = deps.queues;
    this.#absent = deps.absentOwners;
    this.#recorder = deps.recorder;
    this.#logger = deps.logger;
  }

  /** How many nodes (objects and virtual owners) the graph holds. */
  get size(): number {
    return this.#nodes.size;
  }

  /** The node of `uid`. */
  get(uid: string): GraphNode | undefined {
    return this.#nodes.get(uid);
  }

  /** Every node. */
  nodes(): IterableIterator<GraphNode> {
    return this.#nodes.values();
  }

  /** An informer saw the object `metadata` of `type` added or changed. */
  observe(type: ObservedType, metadata: ObjectMeta): void {
    const uid = metadata.uid;
    if (!uid) return;
    const identity: ObjectIdentity = {
      apiVersion: this.#intern(type.apiVersion),
      kind: this.#intern(type.kind),
      namespace: this.#intern(metadata.namespace ?? ""),
      name: metadata.name ?? "",
      uid,
    };
    const finalizers = metadata.finalizers ?? [];
    const now: FinalizerState = {
      deleting: !!metadata.deletionTimestamp,
      foreground: finalizers.includes(FINALIZER_DELETE_DEPENDENTS),
      orphan: finalizers.includes(FINALIZER_ORPHAN_DEPENDENTS),
    };
    let node = this.#nodes.get(uid);
    let old: FinalizerState | null = null;
    if (node && node.isObserved()) {
      old = {
        deleting: node.isBeingDeleted(),
        foreground: node.hasFlag(HAS_FOREGROUND_FINALIZER),
        orphan: node.hasFlag(HAS_ORPHAN_FINALIZER),
      };
    } else if (node) {
      this.#firstObservation(node, identity);
    }
    const owners = this.#owners(metadata.ownerReferences);
    if (!node) {
      let flags = OBSERVED;
      if (now.deleting) flags |= BEING_DELETED;
      if (now.deleting && now.foreground) flags |= DELETING_DEPENDENTS;
      node = new GraphNode(identity, owners, flags);
      this.#nodes.set(uid, node);
      this.#addDependentToOwners(node, owners);
    } else {
      if (node.apiVersion !== identity.apiVersion || node.kind !== identity.kind) {
        node.setIdentity({
          ...node.identity(),
          apiVersion: identity.apiVersion,
          kind: identity.kind,
        });
      }
      const diff = referencesDiff(node.owners, owners);
      if (diff.added.length > 0 || diff.removed.length > 0 || diff.changed.length > 0) {
        this.#addUnblockedOwnersToDeleteQueue(diff.removed, diff.changed);
        node.setOwners(owners);
        this.#addDependentToOwners(node, diff.added);
        this.#removeDependentFromOwners(node, diff.removed);
      }
      if (now.deleting) node.setFlag(BEING_DELETED, true);
    }
    node.setFlag(HAS_FOREGROUND_FINALIZER, now.foreground);
    node.setFlag(HAS_ORPHAN_FINALIZER, now.orphan);
    this.#processTransitions(old, now, node);
  }

  /** An informer saw an object of `type` deleted. */
  observeDeleted(type: ObservedType, deleted: ObservedDeletion): void {
    const node = this.#nodes.get(deleted.uid);
    if (!node) {
      this.#logger.debug("Item doesn't exist in the graph", { uid: deleted.uid });
      return;
    }
    const meta = deleted.metadata;
    this.#removeNode(node, {
      apiVersion: type.apiVersion,
      kind: type.kind,
      namespace: meta ? meta.namespace ?? "" : node.namespace,
      name: meta ? meta.name ?? "" : node.name,
      uid: deleted.uid,
    });
  }

  /**
   * The collector found `identity` absent at the API (a GET answered NotFound or another uid):
   * the node goes, unless dependents know it by other coordinates (then those are tried).
   */
  virtualDelete(identity: ObjectIdentity): void {
    const node = this.#nodes.get(identity.uid);
    if (!node) return;
    let remove = true;
    if (node.isVirtual()) {
      // Not sure of a virtual node's coordinates: do dependents name it otherwise?
      const { matching, nonmatching } = partitionDependents(node.dependents(), identity);
      if (nonmatching.length > 0) {
        remove = false;
        if (matching.length > 0) {
          this.#absent.add(identity);
          for (const dep of matching) this.#queues.attemptToDelete(dep);
        }
        if (sameIdentity(node, identity)) {
          const alternate = alternateOwnerIdentity(nonmatching, identity);
          if (alternate) {
            this.#logger.debug("Replacing virtual item with an alternate identity", {
              item: formatIdentity(identity),
              alternate: formatIdentity(alternate),
            });
            node.setIdentity(alternate);
            this.#queues.attemptToDeleteRateLimited(node);
          }
        }
      }
    } else if (!sameIdentity(node, identity)) {
      // An observed node is not removed for coordinates it does not have.
      remove = false;
      const { matching } = partitionDependents(node.dependents(), identity);
      if (matching.length > 0) {
        this.#absent.add(identity);
        for (const dep of matching) this.#queues.attemptToDelete(dep);
      }
    }
    if (remove) this.#removeNode(node, identity);
  }

  /** A virtual node is seen for real: check its dependents against what it really is. */
  #firstObservation(node: GraphNode, observed: ObjectIdentity): void {
    if (!sameIdentity(node, observed)) {
      const { nonmatching } = partitionDependents(node.dependents(), observed);
      for (const dep of nonmatching) {
        if (observed.namespace !== "" && dep.namespace !== observed.namespace) {
          this.#logger.info("Item references an owner but does not match namespaces", {
            item: formatIdentity(dep),
            owner: formatIdentity(observed),
          });
          this.#reportInvalidNamespaceOwnerRef(dep, observed.uid);
        }
        this.#queues.attemptToDelete(dep);
      }
      this.#logger.debug("Replacing virtual item with observed item", {
        virtual: formatIdentity(node),
        observed: formatIdentity(observed),
      });
      node.setIdentity(observed);
    }
    node.setFlag(OBSERVED, true);
  }

  #processTransitions(old: FinalizerState | null, now: FinalizerState, node: GraphNode): void {
    if (startsDeletionWith(old, now, "orphan")) {
      this.#logger.debug("Add item to attemptToOrphan", { item: formatIdentity(node) });
      this.#queues.attemptToOrphan(node);
      return;
    }
    if (startsDeletionWith(old, now, "foreground")) {
      this.#logger.debug("Add item to attemptToDelete, because it's waiting for its dependents", {
        item: formatIdentity(node),
      });
      node.setFlag(DELETING_DEPENDENTS, true);
      for (const dep of node.dependents()) this.#queues.attemptToDelete(dep);
      this.#queues.attemptToDelete(node);
    }
  }

  #addDependentToOwners(node: GraphNode, owners: readonly GraphOwnerRef[]): void {
    let potentiallyInvalid = false;
    for (const owner of owners) {
      let ownerNode = this.#nodes.get(owner.uid);
      if (!ownerNode) {
        // A virtual owner, in the dependent's namespace until seen, to verify with a GET.
        ownerNode = new GraphNode(
          {
            apiVersion: owner.apiVersion,
            kind: owner.kind,
            namespace: node.namespace,
            name: owner.name,
            uid: owner.uid,
          },
          NO_OWNERS,
          VIRTUAL,
        );
        this.#nodes.set(owner.uid, ownerNode);
        ownerNode.addDependent(node);
        this.#queues.attemptToDelete(ownerNode);
        continue;
      }
      ownerNode.addDependent(node);
      if (potentiallyInvalid) continue;
      const ownerNamespaced = ownerNode.namespace !== "";
      if (ownerNamespaced && ownerNode.namespace !== node.namespace) {
        if (ownerNode.isObserved()) {
          // Only cluster-scoped owners may be named from another namespace (or from none).
          this.#logger.info("Item references an owner but does not match namespaces", {
            item: formatIdentity(node),
            owner: formatIdentity(ownerNode),
          });
          this.#reportInvalidNamespaceOwnerRef(node, owner.uid);
        }
        potentiallyInvalid = true;
      } else if (!ownerReferenceMatches(owner, ownerNode)) {
        if (ownerNode.isObserved()) {
          this.#logger.info(
            "Item references an owner with coordinates that do not match the observed identity",
            { item: formatIdentity(node), owner: formatIdentity(ownerNode) },
          );
        }
        potentiallyInvalid = true;
      } else if (
        !ownerNamespaced && ownerNode.namespace !== node.namespace && !ownerNode.isObserved()
      ) {
        // A virtual cluster-scoped owner named from a namespace: it may be a namespaced kind
        // named by a cluster-scoped dependent. Verify the dependent's references.
        potentiallyInvalid = true;
      }
    }
    if (potentiallyInvalid) this.#queues.attemptToDelete(node);
  }

  #removeDependentFromOwners(node: GraphNode, owners: readonly GraphOwnerRef[]): void {
    for (const owner of owners) this.#nodes.get(owner.uid)?.deleteDependent(node);
  }

  #removeNode(node: GraphNode, deleted: ObjectIdentity): void {
    this.#nodes.delete(node.uid);
    this.#removeDependentFromOwners(node, node.owners);
    const dependents = node.dependents();
    if (dependents.length > 0) this.#absent.add(deleted);
    for (const dep of dependents) this.#queues.attemptToDelete(dep);
    for (const owner of node.owners) {
      const ownerNode = this.#nodes.get(owner.uid);
      // An owner waiting for its dependents may now have none left.
      if (ownerNode?.isDeletingDependents()) this.#queues.attemptToDelete(ownerNode);
    }
  }

  /** A removed or unblocked blocking reference may free an owner waiting in the foreground. */
  #addUnblockedOwnersToDeleteQueue(
    removed: readonly GraphOwnerRef[],
    changed: readonly (readonly [GraphOwnerRef, GraphOwnerRef])[],
  ): void {
    for (const ref of removed) {
      if (!ref.blockOwnerDeletion) continue;
      const owner = this.#nodes.get(ref.uid);
      if (owner) this.#queues.attemptToDelete(owner);
    }
    for (const [oldRef, newRef] of changed) {
      if (!oldRef.blockOwnerDeletion || newRef.blockOwnerDeletion) continue;
      const owner = this.#nodes.get(newRef.uid);
      if (owner) this.#queues.attemptToDelete(owner);
    }
  }

  #reportInvalidNamespaceOwnerRef(dependent: GraphNode, ownerUid: string): void {
    const ref = dependent.owners.find((o) => o.uid === ownerUid);
    if (!ref) return;
    const invalid = formatIdentity({
      apiVersion: ref.apiVersion,
      kind: ref.kind,
      name: ref.name,
      uid: ref.uid,
      namespace: dependent.namespace,
    });
    this.#recorder.event({
      apiVersion: dependent.apiVersion,
      kind: dependent.kind,
      metadata: {
        name: dependent.name,
        uid: dependent.uid,
        ...(dependent.namespace !== "" ? { namespace: dependent.namespace } : {}),
      },
    }, {
      type: "Warning",
      reason: "OwnerRefInvalidNamespace",
      message: `ownerRef ${invalid} does not exist in namespace ${
        JSON.stringify(dependent.namespace)
      }`,
    });
  }

  /**
   * The graph's form of `refs`, sharing what it can with the owners' nodes: their uid and name
   * strings, and for the usual single owner the whole (frozen) list, which every dependent of
   * that owner then shares.
   */
  #owners(refs: readonly OwnerReference[] | undefined): readonly GraphOwnerRef[] {
    if (!refs || refs.length === 0) return NO_OWNERS;
    if (refs.length === 1) {
      const ref = refs[0]!;
      const known = this.#nodes.get(ref.uid ?? "");
      if (known) {
        const shared = known.soleOwnerRefs();
        if (shared && sameReference(shared[0]!, ref)) return shared;
        const made = Object.freeze([this.#ownerRef(ref, known)]);
        known.setSoleOwnerRefs(made);
        return made;
      }
    }
    return Object.freeze(refs.map((ref) => this.#ownerRef(ref, this.#nodes.get(ref.uid ?? ""))));
  }

  #ownerRef(ref: OwnerReference, known: GraphNode | undefined): GraphOwnerRef {
    const name = ref.name ?? "";
    return Object.freeze({
      apiVersion: this.#intern(ref.apiVersion ?? ""),
      kind: this.#intern(ref.kind ?? ""),
      name: known && known.name === name ? known.name : name,
      uid: known ? known.uid : ref.uid ?? "",
      controller: ref.controller === true,
      blockOwnerDeletion: ref.blockOwnerDeletion === true,
    });
  }

  #intern(text: string): string {
    const known = this.#strings.get(text);
    if (known !== undefined) return known;
    this.#strings.set(text, text);
    return text;
  }
}

function sameReference(a: GraphOwnerRef, b: OwnerReference): boolean {
  return a.uid === (b.uid ?? "") && a.name === (b.name ?? "") && a.kind === (b.kind ?? "") &&
    a.apiVersion === (b.apiVersion ?? "") && a.controller === (b.controller === true) &&
    a.blockOwnerDeletion === (b.blockOwnerDeletion === true);
}

/** What changed between two lists of owner references, by uid. */
export function referencesDiff(
  old: readonly GraphOwnerRef[],
  now: readonly GraphOwnerRef[],
): {
  added: GraphOwnerRef[];
  removed: GraphOwnerRef[];
  changed: (readonly [GraphOwnerRef, GraphOwnerRef])[];
} {
  const oldByUid = new Map(old.map((r) => [r.uid, r]));
  const added: GraphOwnerRef[] = [];
  const changed: (readonly [GraphOwnerRef, GraphOwnerRef])[] = [];
  for (const ref of now) {
    const before = oldByUid.get(ref.uid);
    if (!before) {
      added.push(ref);
      continue;
    }
    oldByUid.delete(ref.uid);
    if (
      before.apiVersion !== ref.apiVersion || before.kind !== ref.kind ||
      before.name !== ref.name || before.controller !== ref.controller ||
      before.blockOwnerDeletion !== ref.blockOwnerDeletion
    ) changed.push([before, ref]);
  }
  return { added, removed: [...oldByUid.values()], changed };
}
