/**
 * Stopping a child process the way a service manager does: SIGTERM, then a grace period.
 *
 * @module
 */

/**
 * Sends SIGTERM to `child` (already gone is fine) and waits up to `graceMs` for it to exit.
 * Returns whether it did; the caller decides what to do with one that did not (SIGKILL).
 */
export async function terminate(child: Deno.ChildProcess, graceMs: number): Promise<boolean> {
  try {
    child.kill("SIGTERM");
  } catch (err) {
    // A process that has exited already cannot be signalled.
    if (!(err instanceof TypeError)) throw err;
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const exited = await Promise.race([
    child.status.then(() => true),
    new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(false), graceMs)),
  ]);
  clearTimeout(timer);
  return exited;
}
