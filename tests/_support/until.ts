/**
 * {@linkcode until}: a bounded wait, polling a condition in real time, for tests of things that
 * happen in the background (controllers, a server's loops).
 *
 * @module
 */

/** Options of {@linkcode until}. */
export interface UntilOptions {
  /** @default {10000} */
  readonly timeoutMs?: number;
  /** @default {10} */
  readonly intervalMs?: number;
  /** Named in the timeout error. */
  readonly what?: string;
}

/** Resolves once `check` answers true (it may be async); throws after `timeoutMs`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  options: UntilOptions = {},
): Promise<void> {
  const { timeoutMs = 10_000, intervalMs = 10, what = "the condition" } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
