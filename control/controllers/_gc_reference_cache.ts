/**
 * The garbage collector's cache of owners known to be absent (upstream's `ReferenceCache`, an
 * LRU of 500): an owner confirmed missing by a GET or by a delete event is remembered by its
 * full identity, so that its other dependents are classified without asking again.
 *
 * @module
 */

/** An object's coordinates as an owner reference names it, plus the namespace looked in. */
export interface ObjectIdentity {
  readonly apiVersion: string;
  readonly kind: string;
  /** `""` for cluster-scoped objects (or a reference not yet known to be namespaced). */
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

/** A map key of an identity (every coordinate counts). */
export function identityKey(id: ObjectIdentity): string {
  return `${id.uid}\u0000${id.apiVersion}\u0000${id.kind}\u0000${id.namespace}\u0000${id.name}`;
}

/** Whether two identities name the same coordinates. */
export function sameIdentity(a: ObjectIdentity, b: ObjectIdentity): boolean {
  return a.uid === b.uid && a.name === b.name && a.namespace === b.namespace &&
    a.kind === b.kind && a.apiVersion === b.apiVersion;
}

/**
 * `[apps/v1/ReplicaSet, namespace: default, name: web, uid: 1234]`, as upstream prints an
 * object reference (in logs and in the `OwnerRefInvalidNamespace` event).
 */
export function formatIdentity(id: ObjectIdentity): string {
  return `[${id.apiVersion}/${id.kind}, namespace: ${id.namespace}, name: ${id.name}, uid: ${id.uid}]`;
}

/** A least-recently-used set of identities. */
export class ReferenceCache {
  readonly #max: number;
  readonly #keys = new Set<string>();

  /** @throws {RangeError} unless `maxEntries` is a positive integer. */
  constructor(maxEntries = 500) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(
        `Cannot size a reference cache to ${maxEntries} entries: expected a positive integer`,
      );
    }
    this.#max = maxEntries;
  }

  /** How many identities are remembered. */
  get size(): number {
    return this.#keys.size;
  }

  /** Remembers `id` (as the most recent), forgetting the least recent beyond the size. */
  add(id: ObjectIdentity): void {
    const key = identityKey(id);
    this.#keys.delete(key);
    this.#keys.add(key);
    if (this.#keys.size > this.#max) {
      const oldest = this.#keys.values().next();
      if (!oldest.done) this.#keys.delete(oldest.value);
    }
  }

  /** Whether `id` is remembered; a hit makes it the most recent. */
  has(id: ObjectIdentity): boolean {
    const key = identityKey(id);
    if (!this.#keys.has(key)) return false;
    this.#keys.delete(key);
    this.#keys.add(key);
    return true;
  }
}
