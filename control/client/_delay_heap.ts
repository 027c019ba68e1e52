/**
 * The waiting room of the work queue's `addAfter`: a binary min-heap of items by due time, each
 * item at most once (adding it again keeps the earlier due time). Items due at the same time come
 * out in the order they were first added.
 *
 * @module
 */

interface Entry<T> {
  readonly item: T;
  dueMs: number;
  seq: number;
  index: number;
}

/** Items waiting for a due time, earliest first. */
export class DelayHeap<T> {
  #heap: Entry<T>[] = [];
  #byItem = new Map<T, Entry<T>>();
  #seq = 0;

  /** The number of waiting items. */
  get size(): number {
    return this.#heap.length;
  }

  /** The earliest due time, or `undefined` when nothing waits. */
  peekDueMs(): number | undefined {
    return this.#heap[0]?.dueMs;
  }

  /** Whether `item` waits. */
  has(item: T): boolean {
    return this.#byItem.has(item);
  }

  /**
   * Adds `item` due at `dueMs`; if it already waits, keeps the earlier of the two due times.
   * Returns whether the earliest due time of the heap changed.
   */
  push(item: T, dueMs: number): boolean {
    const before = this.peekDueMs();
    const existing = this.#byItem.get(item);
    if (existing) {
      if (dueMs < existing.dueMs) {
        existing.dueMs = dueMs;
        this.#up(existing.index);
      }
    } else {
      const entry: Entry<T> = { item, dueMs, seq: this.#seq++, index: this.#heap.length };
      this.#heap.push(entry);
      this.#byItem.set(item, entry);
      this.#up(entry.index);
    }
    return this.peekDueMs() !== before;
  }

  /** Removes and returns the earliest item if it is due at or before `nowMs`. */
  popDue(nowMs: number): T | undefined {
    const top = this.#heap[0];
    if (top === undefined || top.dueMs > nowMs) return undefined;
    const last = this.#heap.pop()!;
    if (last !== top) {
      last.index = 0;
      this.#heap[0] = last;
      this.#down(0);
    }
    this.#byItem.delete(top.item);
    return top.item;
  }

  /** Drops every waiting item. */
  clear(): void {
    this.#heap = [];
    this.#byItem.clear();
  }

  #less(a: Entry<T>, b: Entry<T>): boolean {
    return a.dueMs < b.dueMs || (a.dueMs === b.dueMs && a.seq < b.seq);
  }

  #swap(i: number, j: number): void {
    const a = this.#heap[i]!;
    const b = this.#heap[j]!;
    this.#heap[i] = b;
    this.#heap[j] = a;
    a.index = j;
    b.index = i;
  }

  #up(index: number): void {
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(this.#heap[i]!, this.#heap[parent]!)) break;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #down(index: number): void {
    let i = index;
    const n = this.#heap.length;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < n && this.#less(this.#heap[left]!, this.#heap[smallest]!)) smallest = left;
      if (right < n && this.#less(this.#heap[right]!, this.#heap[smallest]!)) smallest = right;
      if (smallest === i) return;
      this.#swap(i, smallest);
      i = smallest;
    }
  }
}
