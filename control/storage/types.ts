/**
 * The storage interface every backend implements: revisioned like etcd, shaped like kine's Backend.
 *
 * @module
 */

/** One stored key at one revision. */
export interface KeyValue {
  /** The full key, `/registry/<resource>/[<namespace>/]<name>`. */
  readonly key: string;
  /** The stored bytes, opaque to storage. */
  readonly value: Uint8Array;
  /** The revision of the write that created this key (in its current lifetime). */
  readonly createRevision: number;
  /** The revision of the last write to this key: the object's resourceVersion. */
  readonly modRevision: number;
}

/** Options of {@linkcode Storage.get}. */
export interface GetOptions {
  /** Read the key as it was at this revision; omitted or 0 reads the current state. */
  readonly revision?: number;
}

/** Options of {@linkcode Storage.list}. */
export interface ListOptions {
  /** The most items to return; omitted or 0 returns all. */
  readonly limit?: number;
  /** The token of the previous page; the page is read at the same revision as the first. */
  readonly continue?: string;
  /** Read at this revision; omitted or 0 reads the current state. Ignored with `continue`. */
  readonly revision?: number;
}

/** A page of a list, read at one revision. */
export interface ListResult {
  readonly items: KeyValue[];
  /** The revision the whole list (every page of it) is read at. */
  readonly revision: number;
  /** Set when more items remain: pass it as {@linkcode ListOptions.continue}. */
  readonly continue?: string;
}

/** The kinds of change a watch reports. */
export type WatchEventType = "created" | "updated" | "deleted";

/** One change, as a watch delivers it. */
export interface WatchEvent {
  readonly type: WatchEventType;
  /**
   * The key after the change. For `deleted`, the last stored value with `modRevision` set to the
   * revision of the deletion.
   */
  readonly kv: KeyValue;
  /** The key before the change, for `updated` and `deleted`. */
  readonly prevKv?: KeyValue;
}

/** Options of {@linkcode Storage.create}. */
export interface CreateOptions {
  /** Reserved for leases (Events); no backend supports it yet. */
  readonly ttlMs?: never;
}

/**
 * The revisioned key-value store the API server sits on.
 *
 * Revisions form one monotonic, cluster-wide sequence (not necessarily contiguous); every write
 * gets a revision greater than every earlier one, and a key's `modRevision` is the revision of its
 * last write.
 */
export interface Storage extends AsyncDisposable {
  /** Reads one key, or `null` when absent. Throws `CompactedError` or `FutureRevisionError`. */
  get(key: string, options?: GetOptions): Promise<KeyValue | null>;
  /** Lists the keys under `prefix` (which ends in `/`) in byte order, at one revision. */
  list(prefix: string, options?: ListOptions): Promise<ListResult>;
  /** Creates a key; throws `KeyExistsError` when it exists. */
  create(key: string, value: Uint8Array, options?: CreateOptions): Promise<KeyValue>;
  /**
   * Replaces a key's value if its `modRevision` is still `expectedRevision`; throws
   * `ConflictError` (with the current revision) otherwise, `KeyNotFoundError` when absent.
   */
  update(key: string, value: Uint8Array, expectedRevision: number): Promise<KeyValue>;
  /**
   * Deletes a key, guarded by `expectedRevision` when given. Returns the last value with
   * `modRevision` set to the revision of the deletion.
   */
  delete(key: string, expectedRevision?: number): Promise<KeyValue>;
  /**
   * Yields every change under `prefix` with a revision greater than `fromRevision`, in order,
   * exactly once, until `signal` aborts. Throws `CompactedError` when that history is gone.
   */
  watch(prefix: string, fromRevision: number, signal: AbortSignal): AsyncIterable<WatchEvent>;
  /** The revision of the latest write. */
  currentRevision(): Promise<number>;
  /**
   * Discards history before `revision`: afterwards reads below it and watches from below
   * `revision - 1` throw `CompactedError`. Compacting to an already compacted revision is a no-op.
   */
  compact(revision: number): Promise<void>;
  /** The revision history was last compacted to (0 when never). */
  compactedRevision(): Promise<number>;
  /** Releases the backend's resources; in-flight watches end. */
  close(): Promise<void>;
}
