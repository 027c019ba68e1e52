/**
 * A binary heap whose items are also found by key (upstream `backend/heap`): the scheduling
 * queue's activeQ and backoffQ. Adding an item whose key is already present replaces it and
 * moves it to its new place; any item can be removed by key in O(log n).
 *
 * @module
 */

/** The heap's order and the identity of its items. */
export interface KeyedHeapOptions<T> {
  /** The key of `item`; two items with one key are the same item. */
  readonly key: (item: T) => string;
  /** Whether `a` comes out before `b`. */
  readonly less: (a: T, b: T) => boolean;
}

/** Items in `less` order, each at most once per key. */
export class KeyedHeap<T> {
  #items: T[] = [];
  #index = new Map<string, number>();
  #key: (item: T) => string;
  #less: (a: T, b: T) => boolean;

  constructor(options: KeyedHeapOptions<T>) {
    this.#key = options.key;
    this.#less = options.less;
  }

  /** The number of items. */
  get size(): number {
    return this.#items.length;
  }

  /** Whether an item with `key` is in the heap. */
  has(key: string): boolean {
    return this.#index.has(key);
  }

  /** The item with `key`, if any. */
  get(key: string): T | undefined {
    const i = this.#index.get(key);
    return i === undefined ? undefined : this.#items[i];
  }

  /** The first item, if any, without removing it. */
  peek(): T | undefined {
    return this.#items[0];
  }

  /** Adds `item`, or replaces the item with its key and moves it to where it now belongs. */
  push(item: T): void {
    const key = this.#key(item);
    const i = this.#index.get(key);
    if (i === undefined) {
      this.#items.push(item);
      this.#index.set(key, this.#items.length - 1);
      this.#up(this.#items.length - 1);
      return;
    }
    this.#items[i] = item;
    this.#fix(i);
  }

  /** Removes and returns the first item, if any. */
  pop(): T | undefined {
    const first = this.#items[0];
    if (first === undefined) return undefined;
    this.#removeAt(0);
    return first;
  }

  /** Removes and returns the item with `key`, if any. */
  delete(key: string): T | undefined {
    const i = this.#index.get(key);
    if (i === undefined) return undefined;
    const item = this.#items[i]!;
    this.#removeAt(i);
    return item;
  }

  /** The items in no particular order. */
  values(): readonly T[] {
    return this.#items.slice();
  }

  /** The items in heap order (sorts a copy). */
  sorted(): T[] {
    return this.#items.slice().sort((a, b) => this.#less(a, b) ? -1 : this.#less(b, a) ? 1 : 0);
  }

  /** Removes every item. */
  clear(): void {
    this.#items = [];
    this.#index.clear();
  }

  #removeAt(i: number): void {
    const item = this.#items[i]!;
    this.#index.delete(this.#key(item));
    const last = this.#items.pop()!;
    if (i === this.#items.length) return;
    this.#items[i] = last;
    this.#index.set(this.#key(last), i);
    this.#fix(i);
  }

  #fix(i: number): void {
    if (!this.#up(i)) this.#down(i);
  }

  #swap(i: number, j: number): void {
    const a = this.#items[i]!;
    const b = this.#items[j]!;
    this.#items[i] = b;
    this.#items[j] = a;
    this.#index.set(this.#key(b), i);
    this.#index.set(this.#key(a), j);
  }

  /** Moves the item at `i` up while it is less than its parent; returns whether it moved. */
  #up(i: number): boolean {
    const start = i;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(this.#items[i]!, this.#items[parent]!)) break;
      this.#swap(i, parent);
      i = parent;
    }
    return i !== start;
  }

  #down(i: number): void {
    const n = this.#items.length;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let first = i;
      if (left < n && this.#less(this.#items[left]!, this.#items[first]!)) first = left;
      if (right < n && this.#less(this.#items[right]!, this.#items[first]!)) first = right;
      if (first === i) return;
      this.#swap(i, first);
      i = first;
    }
  }
}
