/**
 * {@linkcode releaseStaleCniAddresses}: frees pod addresses whose sandbox no longer exists.
 * The plugin frees an address on DEL, which containerd sends for every sandbox it stops or
 * removes; an address outlives its sandbox only when containerd lost the sandbox (its state
 * wiped, a crash between ADD and its own bookkeeping). The agent calls this at start with the
 * IDs of every sandbox CRI lists.
 *
 * It reads the plugin's on-disk store (`<ipamDataDir>/<network>/<ip>` files holding
 * `<containerId>\r\n<ifname>`), holding the store's `flock` like the plugin does. Files younger
 * than `minAgeMs` are left alone: their ADD may still be running, its sandbox not listed yet.
 *
 * @module
 */
import type { Clock } from "../../control/util/clock.ts";
import { SKIFF_CNI_NETWORK } from "./cni_config.ts";

/** Options of {@linkcode releaseStaleCniAddresses}. */
export interface ReleaseStaleCniAddressesOptions {
  /** The conflist's `ipam.dataDir`. */
  readonly ipamDataDir: string;
  /** @default {SKIFF_CNI_NETWORK} */
  readonly network?: string;
  /** Every sandbox ID the runtime knows (ready or not). */
  readonly liveSandboxIds: ReadonlySet<string>;
  readonly clock: Clock;
  /** @default {120000} */
  readonly minAgeMs?: number;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Frees the addresses of sandboxes that are gone; returns the addresses freed. */
export async function releaseStaleCniAddresses(
  options: ReleaseStaleCniAddressesOptions,
): Promise<string[]> {
  const dir = `${options.ipamDataDir}/${options.network ?? SKIFF_CNI_NETWORK}`;
  const minAgeMs = options.minAgeMs ?? 120_000;
  let lock: Deno.FsFile;
  try {
    lock = await Deno.open(`${dir}/lock`, { read: true, write: true, create: true });
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw new Error(`Cannot open the CNI address store "${dir}"`, { cause: err });
  }
  const freed: string[] = [];
  try {
    await lock.lock(true);
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isFile || !IPV4.test(entry.name)) continue;
      const path = `${dir}/${entry.name}`;
      let owner: string;
      let mtimeMs: number;
      try {
        owner = (await Deno.readTextFile(path)).split(/\r?\n/)[0]!.trim();
        mtimeMs = (await Deno.stat(path)).mtime?.getTime() ?? 0;
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) continue;
        throw err;
      }
      if (owner === "" || options.liveSandboxIds.has(owner)) continue;
      if (options.clock.now() - mtimeMs < minAgeMs) continue;
      await Deno.remove(path).catch(() => {});
      freed.push(entry.name);
    }
  } finally {
    await lock.unlock().catch(() => {});
    lock.close();
  }
  return freed.sort();
}
