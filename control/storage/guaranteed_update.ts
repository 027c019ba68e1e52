/**
 * The optimistic read-modify-write loop over any {@linkcode Storage}, as Kubernetes'
 * `GuaranteedUpdate`: read, compute, write guarded by the read revision, retry on conflict.
 *
 * @module
 */
import { ConflictError, KeyExistsError, KeyNotFoundError } from "./errors.ts";
import type { KeyValue, Storage } from "./types.ts";

/** Options of {@linkcode guaranteedUpdate}. */
export interface GuaranteedUpdateOptions {
  /** The key to update. */
  readonly key: string;
  /**
   * Computes the new value from the current one; `null` current means the key is absent.
   * Return `null` to leave the key as it is. Throwing aborts the update.
   */
  readonly tryUpdate: (current: KeyValue | null) => Uint8Array | null | Promise<Uint8Array | null>;
  /** Create the key when absent (tryUpdate then sees `null`). @default false */
  readonly createIfMissing?: boolean;
  /** Conflicts tolerated before giving up with the last `ConflictError`. @default 100 */
  readonly maxAttempts?: number;
}

/**
 * Reads `options.key`, applies `tryUpdate` and writes the result guarded by the revision read, retrying
 * while another writer wins. Returns the stored result, or the unchanged key when `tryUpdate`
 * returned `null`.
 *
 * @example Increment a counter
 * ```ts
 * import { guaranteedUpdate, MemoryStorage } from "./mod.ts";
 * await using storage = new MemoryStorage();
 * await storage.create("/registry/counters/c", new Uint8Array([1]));
 * const kv = await guaranteedUpdate(storage, { key: "/registry/counters/c",
 *   tryUpdate: (cur) => new Uint8Array([(cur?.value[0] ?? 0) + 1]),
 * });
 * if (kv?.value[0] !== 2) throw new Error("expected 2");
 * ```
 */
export async function guaranteedUpdate(
  storage: Storage,
  options: GuaranteedUpdateOptions,
): Promise<KeyValue | null> {
  const key = options.key;
  const maxAttempts = options.maxAttempts ?? 100;
  let lastConflict: ConflictError | undefined;
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const current = await storage.get(key);
    if (current === null && !options.createIfMissing) throw new KeyNotFoundError(key);
    const next = await options.tryUpdate(current);
    if (next === null) return current;
    try {
      return current === null
        ? await storage.create(key, next)
        : await storage.update(key, next, current.modRevision);
    } catch (err) {
      if (err instanceof ConflictError) {
        lastConflict = err;
        continue;
      }
      if (current === null && err instanceof KeyExistsError) continue;
      if (current !== null && err instanceof KeyNotFoundError && options.createIfMissing) continue;
      throw err;
    }
  }
  throw lastConflict ?? new ConflictError(key, 0, 0);
}
