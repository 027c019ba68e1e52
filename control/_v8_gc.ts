/**
 * A full V8 garbage collection on demand, for the server's quiet moments (see
 * `_server_malloc.ts`): skiff runs V8 without its memory reducer, so the garbage of a burst (and
 * the malloc'd buffers it holds) stays until allocation makes V8 collect. `gc` is V8's own
 * (`--expose-gc`), installed on a fresh context, as Node.js programs reach it without the flag.
 * (`node/agent/v8_gc.ts` is the agent's copy; one of the two should move to `util/`.)
 *
 * @module
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** V8's full collection, or null when this runtime does not let the program have it. */
export function serverFullGc(): (() => void) | null {
  try {
    setFlagsFromString("--expose-gc");
    const gc: unknown = runInNewContext("gc");
    return typeof gc === "function" ? () => void gc() : null;
  } catch {
    return null;
  }
}
