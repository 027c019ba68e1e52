/**
 * Which Linux capabilities skiff's process holds, read from `/proc/self/status`: containerd
 * needs `restrict_oom_score_adj` where CAP_SYS_RESOURCE is missing (containers, user
 * namespaces), or every pod sandbox fails to start.
 *
 * @module
 */

/** The capability numbers skiff checks (`linux/capability.h`). */
export const CAP_SYS_RESOURCE = 24;

/**
 * The effective capability set (`CapEff:` hex mask) of a `/proc/<pid>/status` text. Throws
 * `SyntaxError` when the line is missing or malformed.
 */
export function parseEffectiveCapabilities(status: string): bigint {
  const match = /^CapEff:\s*([0-9a-fA-F]+)\s*$/m.exec(status);
  if (!match) {
    throw new SyntaxError('Cannot parse process status: no "CapEff" line with a hex mask');
  }
  return BigInt(`0x${match[1]}`);
}

/** Whether the effective mask `mask` contains capability number `cap`. */
export function hasCapability(mask: bigint, cap: number): boolean {
  if (!Number.isInteger(cap) || cap < 0 || cap > 63) {
    throw new RangeError(`Cannot check capability "${cap}": expected an integer from 0 to 63`);
  }
  return (mask >> BigInt(cap) & 1n) === 1n;
}

/** Whether this process holds capability `cap` in its effective set. */
export async function processHasCapability(cap: number): Promise<boolean> {
  return hasCapability(
    parseEffectiveCapabilities(await Deno.readTextFile("/proc/self/status")),
    cap,
  );
}
