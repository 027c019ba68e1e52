/**
 * The proxy's table in memory, twice: what the Services want (each Service's
 * {@linkcode NftFragment}, merged: elements, chains and sets with their owners) and a mirror of
 * what the last successful transaction left in the kernel. {@linkcode NftState.incremental}
 * compares the two only where a fragment changed since the last commit, so an update costs
 * O(changed elements), never O(table); {@linkcode NftState.full} rebuilds the whole table.
 *
 * Transaction order (all one `nft -f`): new chains and sets, flush of changed chains, their
 * rules, element deletes then adds (a changed value is delete + add: nft refuses to overwrite
 * an element), and last the removed chains (flushed, then deleted) and sets, once nothing
 * refers to them.
 *
 * Shared chains (a Service shape's) outlive their last user: the
 * {@linkcode MAX_UNUSED_SHARED_CHAINS} most recently unused stay in the kernel, so a Service
 * moving between two endpoint counts does not create and delete a chain each time (deleting
 * costs the transaction an RCU grace period); a full rebuild drops them all.
 *
 * Two Services claiming the same element (two load balancers on one IP and port) is resolved
 * the same way every time: the owner that sorts first wins.
 *
 * @module
 */
import type { NftElement, NftFragment } from "./nft_ruleset.ts";

/** An element's owners and their values; most elements have one owner. */
interface Owned {
  owner: string;
  value: string;
  others?: Map<string, string>;
}

interface Shared<T> {
  readonly content: T;
  readonly owners: Set<string>;
  /** Kept when unused (a shared chain). */
  readonly sticky?: boolean;
}

/** How many unused shared chains stay in the kernel. */
export const MAX_UNUSED_SHARED_CHAINS = 32;

/** What {@linkcode NftState} needs. */
export interface NftStateOptions {
  readonly table: string;
  /** The table without Services ({@linkcode nftBaseCommands}). */
  readonly baseCommands: readonly string[];
}

/** How big a transaction is, for logs. */
export interface TransactionStats {
  readonly elementsAdded: number;
  readonly elementsDeleted: number;
  readonly chainsWritten: number;
  readonly chainsDeleted: number;
}

/** A transaction's text and size. */
export interface NftTransaction extends TransactionStats {
  /** `""` when nothing changed. */
  readonly text: string;
}

function effective(owned: Owned | undefined): string | undefined {
  if (owned === undefined) return undefined;
  if (!owned.others) return owned.value;
  let best = owned.owner;
  let value = owned.value;
  for (const [owner, v] of owned.others) {
    if (owner < best) {
      best = owner;
      value = v;
    }
  }
  return value;
}

function element(key: string, value: string): string {
  return value === "" ? key : `${key} : ${value}`;
}

/** The desired table and the kernel mirror (see the module doc). */
export class NftState {
  readonly #t: string;
  readonly #base: readonly string[];
  readonly #fragments = new Map<string, NftFragment>();
  readonly #elements = new Map<string, Map<string, Owned>>();
  readonly #chains = new Map<string, Shared<string>>();
  readonly #sets = new Map<string, Shared<number>>();
  // What the kernel has.
  readonly #kElements = new Map<string, Map<string, string>>();
  readonly #kChains = new Map<string, string>();
  readonly #kSets = new Map<string, number>();
  // What changed since the last commit.
  readonly #dirtyElements = new Map<string, Set<string>>();
  readonly #dirtyChains = new Set<string>();
  readonly #dirtySets = new Set<string>();
  /** Shared chains without users, oldest first. */
  readonly #unused = new Set<string>();

  constructor(options: NftStateOptions) {
    this.#t = `ip ${options.table}`;
    this.#base = options.baseCommands;
  }

  /** The number of Services with a fragment. */
  get size(): number {
    return this.#fragments.size;
  }

  /** Whether some change is not committed yet. */
  get dirty(): boolean {
    return this.#dirtyElements.size > 0 || this.#dirtyChains.size > 0 || this.#dirtySets.size > 0;
  }

  /** Replaces `owner`'s fragment (`undefined` removes it). */
  setFragment(owner: string, fragment: NftFragment | undefined): void {
    const old = this.#fragments.get(owner);
    if (old) {
      for (const e of old.elements) this.#removeElement(owner, e);
      for (const c of old.chains) {
        if (this.#removeShared(this.#chains, this.#dirtyChains, owner, c.name)) {
          this.#unused.add(c.name);
        }
      }
      for (const s of old.affinitySets) {
        this.#removeShared(this.#sets, this.#dirtySets, owner, s.name);
      }
    }
    if (fragment === undefined || isEmpty(fragment)) {
      this.#fragments.delete(owner);
      return;
    }
    this.#fragments.set(owner, fragment);
    for (const e of fragment.elements) this.#addElement(owner, e);
    for (const c of fragment.chains) {
      this.#unused.delete(c.name);
      this.#addShared(this.#chains, this.#dirtyChains, owner, {
        name: c.name,
        content: c.rules.join("\n"),
        sticky: c.shared === true,
      });
    }
    for (const s of fragment.affinitySets) {
      this.#addShared(this.#sets, this.#dirtySets, owner, {
        name: s.name,
        content: s.timeoutSeconds,
        sticky: false,
      });
    }
  }

  /** The value of an element as desired (`""` for a set element), if any. */
  desiredElement(map: string, key: string): string | undefined {
    return effective(this.#elements.get(map)?.get(key));
  }

  /** The value of an element as the kernel has it, if any. */
  kernelElement(map: string, key: string): string | undefined {
    return this.#kElements.get(map)?.get(key);
  }

  /** The whole table: `add table`, `delete table`, then everything desired. */
  full(): NftTransaction {
    for (const name of this.#unused) this.#chains.delete(name);
    this.#unused.clear();
    const t = this.#t;
    const lines = [`add table ${t}`, `delete table ${t}`, ...this.#base];
    for (const name of this.#chains.keys()) lines.push(`add chain ${t} ${name}`);
    for (const [name, set] of this.#sets) lines.push(addSet(t, name, set.content));
    let chainsWritten = 0;
    for (const [name, chain] of this.#chains) {
      chainsWritten++;
      for (const rule of rules(chain.content)) lines.push(`add rule ${t} ${name} ${rule}`);
    }
    let elementsAdded = 0;
    for (const [map, elements] of this.#elements) {
      const items: string[] = [];
      for (const [key, owned] of elements) items.push(element(key, effective(owned)!));
      elementsAdded += items.length;
      if (items.length > 0) lines.push(`add element ${t} ${map} { ${items.join(", ")} }`);
    }
    return {
      text: lines.join("\n") + "\n",
      elementsAdded,
      elementsDeleted: 0,
      chainsWritten,
      chainsDeleted: 0,
    };
  }

  /** Only what changed since the last commit (`text` is `""` when nothing did). */
  incremental(): NftTransaction {
    for (const name of this.#unused) {
      if (this.#unused.size <= MAX_UNUSED_SHARED_CHAINS) break;
      this.#unused.delete(name);
      this.#chains.delete(name);
      this.#dirtyChains.add(name);
    }
    const t = this.#t;
    const addChains: string[] = [];
    const addSets: string[] = [];
    const flushChanged: string[] = [];
    const ruleLines: string[] = [];
    const removeChains: string[] = [];
    const removeSets: string[] = [];
    let chainsWritten = 0;
    for (const name of this.#dirtyChains) {
      const want = this.#chains.get(name)?.content;
      const have = this.#kChains.get(name);
      if (want === have) continue;
      if (want === undefined) {
        removeChains.push(name);
        continue;
      }
      chainsWritten++;
      if (have === undefined) addChains.push(`add chain ${t} ${name}`);
      else flushChanged.push(`flush chain ${t} ${name}`);
      for (const rule of rules(want)) ruleLines.push(`add rule ${t} ${name} ${rule}`);
    }
    for (const name of this.#dirtySets) {
      const want = this.#sets.get(name)?.content;
      const have = this.#kSets.get(name);
      if (want === have) continue;
      // Set names carry the timeout: a set is only ever added or removed.
      if (have !== undefined) removeSets.push(`delete set ${t} ${name}`);
      if (want !== undefined) addSets.push(addSet(t, name, want));
    }
    const deletes: string[] = [];
    const adds: string[] = [];
    let elementsAdded = 0;
    let elementsDeleted = 0;
    for (const [map, keys] of this.#dirtyElements) {
      const desired = this.#elements.get(map);
      const kernel = this.#kElements.get(map);
      const del: string[] = [];
      const add: string[] = [];
      for (const key of keys) {
        const want = effective(desired?.get(key));
        const have = kernel?.get(key);
        if (want === have) continue;
        if (have !== undefined) del.push(key);
        if (want !== undefined) add.push(element(key, want));
      }
      elementsDeleted += del.length;
      elementsAdded += add.length;
      if (del.length > 0) deletes.push(`delete element ${t} ${map} { ${del.join(", ")} }`);
      if (add.length > 0) adds.push(`add element ${t} ${map} { ${add.join(", ")} }`);
    }
    const lines = [
      ...addChains,
      ...addSets,
      ...flushChanged,
      ...ruleLines,
      ...deletes,
      ...adds,
      ...removeChains.map((name) => `flush chain ${t} ${name}`),
      ...removeChains.map((name) => `delete chain ${t} ${name}`),
      ...removeSets,
    ];
    return {
      text: lines.length === 0 ? "" : lines.join("\n") + "\n",
      elementsAdded,
      elementsDeleted,
      chainsWritten,
      chainsDeleted: removeChains.length,
    };
  }

  /**
   * Records that the last transaction built succeeded: the mirror takes what was desired
   * (everything after {@linkcode NftState.full}, the changed part after an incremental one).
   */
  commit(full: boolean): void {
    if (full) {
      this.#kElements.clear();
      this.#kChains.clear();
      this.#kSets.clear();
      for (const [map, elements] of this.#elements) {
        const copy = new Map<string, string>();
        for (const [key, owned] of elements) copy.set(key, effective(owned)!);
        this.#kElements.set(map, copy);
      }
      for (const [name, chain] of this.#chains) this.#kChains.set(name, chain.content);
      for (const [name, set] of this.#sets) this.#kSets.set(name, set.content);
    } else {
      for (const [map, keys] of this.#dirtyElements) {
        const desired = this.#elements.get(map);
        let kernel = this.#kElements.get(map);
        for (const key of keys) {
          const want = effective(desired?.get(key));
          if (want === undefined) {
            kernel?.delete(key);
          } else {
            if (!kernel) this.#kElements.set(map, kernel = new Map());
            kernel.set(key, want);
          }
        }
      }
      for (const name of this.#dirtyChains) {
        const want = this.#chains.get(name)?.content;
        if (want === undefined) this.#kChains.delete(name);
        else this.#kChains.set(name, want);
      }
      for (const name of this.#dirtySets) {
        const want = this.#sets.get(name)?.content;
        if (want === undefined) this.#kSets.delete(name);
        else this.#kSets.set(name, want);
      }
    }
    this.#dirtyElements.clear();
    this.#dirtyChains.clear();
    this.#dirtySets.clear();
  }

  #markElement(map: string, key: string): void {
    let keys = this.#dirtyElements.get(map);
    if (!keys) this.#dirtyElements.set(map, keys = new Set());
    keys.add(key);
  }

  #addElement(owner: string, e: NftElement): void {
    let elements = this.#elements.get(e.map);
    if (!elements) this.#elements.set(e.map, elements = new Map());
    const owned = elements.get(e.key);
    if (owned === undefined) {
      elements.set(e.key, { owner, value: e.value });
    } else if (owned.owner === owner) {
      owned.value = e.value;
    } else {
      (owned.others ??= new Map()).set(owner, e.value);
    }
    this.#markElement(e.map, e.key);
  }

  #removeElement(owner: string, e: NftElement): void {
    const elements = this.#elements.get(e.map);
    const owned = elements?.get(e.key);
    if (!elements || !owned) return;
    if (owned.owner === owner) {
      const next = owned.others?.entries().next();
      if (next && !next.done) {
        const [nextOwner, value] = next.value;
        owned.others!.delete(nextOwner);
        owned.owner = nextOwner;
        owned.value = value;
        if (owned.others!.size === 0) delete owned.others;
      } else {
        elements.delete(e.key);
      }
    } else {
      owned.others?.delete(owner);
      if (owned.others?.size === 0) delete owned.others;
    }
    this.#markElement(e.map, e.key);
  }

  #addShared<T>(
    table: Map<string, Shared<T>>,
    dirty: Set<string>,
    owner: string,
    item: { name: string; content: T; sticky: boolean },
  ): void {
    const current = table.get(item.name);
    if (current && current.content === item.content) {
      current.owners.add(owner);
      return;
    }
    table.set(item.name, {
      content: item.content,
      owners: new Set([...(current?.owners ?? []), owner]),
      sticky: item.sticky,
    });
    dirty.add(item.name);
  }

  /** Drops `owner`'s use; true when an unused sticky entry stays. */
  #removeShared<T>(
    table: Map<string, Shared<T>>,
    dirty: Set<string>,
    owner: string,
    name: string,
  ): boolean {
    const current = table.get(name);
    if (!current) return false;
    current.owners.delete(owner);
    if (current.owners.size > 0) return false;
    if (current.sticky) return true;
    table.delete(name);
    dirty.add(name);
    return false;
  }
}

function isEmpty(fragment: NftFragment): boolean {
  return fragment.elements.length === 0 && fragment.chains.length === 0 &&
    fragment.affinitySets.length === 0;
}

function rules(content: string): string[] {
  return content === "" ? [] : content.split("\n");
}

function addSet(t: string, name: string, timeoutSeconds: number): string {
  return `add set ${t} ${name} { type ipv4_addr; flags dynamic,timeout; timeout ${timeoutSeconds}s; }`;
}
