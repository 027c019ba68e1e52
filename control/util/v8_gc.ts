/**
 * A full V8 garbage collection on demand, for a daemon's quiet moments (the agent's
 * `MallocTrimmer` of `glibc_malloc.ts` runs it before each trim): skiff runs V8 without its memory reducer, so
 * the garbage of a burst stays in the heap, and the malloc'd memory it holds stays with it,
 * until allocation makes V8 collect. `gc` is V8's own (`--expose-gc`), installed on a fresh
 * context, the way Node.js programs reach it without the command-line flag.
 *
 * @module
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** V8's full collection, or null when this runtime does not let the program have it. */
export function v8FullGc(): (() => void) | null {
  try {
    setFlagsFromString("--expose-gc");
    const gc: unknown = runInNewContext("gc");
    return typeof gc === "function" ? () => void gc() : null;
  } catch {
    return null;
  }
}
