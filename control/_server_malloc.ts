/**
 * The C allocator under `skiff server`. glibc keeps what a burst freed: a list of 10k pods
 * allocates tens of MiB of short-lived buffers, and after it the process stays ~25 MiB larger
 * (free chunks inside the heap, arenas of threads that were busy) although nothing uses them
 * again. On a 1 GB device that is memory the pods need. A `MallocTrimmer` collects the
 * burst's garbage (a full V8 collection: the buffers it holds are malloc'd) and gives free pages
 * back (`malloc_trim(0)`) once the server has been quiet for a moment after it grew, and
 * the server makes at most two arenas from its start on (`mallopt(M_ARENA_MAX)`, what
 * `MALLOC_ARENA_MAX` sets before a process starts).
 *
 * The allocator is reached through `util/glibc_malloc.ts` (FFI); on another C library there is
 * nothing to tune.
 *
 * @module
 */
import type { Storage } from "./storage/types.ts";
import type { MallocTrimmerOptions } from "./util/glibc_malloc.ts";

/**
 * When the server trims: 200 ms after the last request and storage call, and only when it grew
 * 4 MiB since the last trim (a full collection of a 10k-object heap takes tens of ms, paid once
 * a burst, when nothing waits).
 */
export const SERVER_TRIM: MallocTrimmerOptions = {
  quietMs: 200,
  minGrowthBytes: 4 * 1024 * 1024,
};

/** The storage operations that mark the server busy. */
const WORK: ReadonlySet<PropertyKey> = new Set(["get", "list", "create", "update", "delete"]);

/** `storage`, calling `onWork` before each read and write (to see when the server is busy). */
export function observeStorage(storage: Storage, onWork: () => void): Storage {
  const methods = new Map<PropertyKey, unknown>();
  return new Proxy(storage, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      let method = methods.get(prop);
      if (method === undefined) {
        // Called on the storage itself: its #private fields are not the proxy's.
        method = WORK.has(prop)
          ? (...args: unknown[]) => {
            onWork();
            return value.apply(target, args);
          }
          : value.bind(target);
        methods.set(prop, method);
      }
      return method;
    },
  });
}
