/**
 * {@linkcode IpStore}: the on-disk IPv4 allocator of one network, in the layout of the
 * reference `host-local` plugin, safe across concurrent CNI processes and crashes.
 *
 * - `<dir>/<ip>`: one file per allocated address, holding `<containerId>\r\n<ifname>`. It is
 *   written complete to a temporary file, flushed, then hard-linked to its final name (`link`
 *   fails if the name exists, as `O_EXCL` does), so a reader never sees a half-written file.
 * - `<dir>/lock`: every allocation and release holds an exclusive `flock` on it. The kernel
 *   drops the lock when its holder dies, so a plugin killed mid-ADD (even `kill -9`) never
 *   wedges the store; its leftover temporary file is removed by the next allocation.
 * - `<dir>/last_reserved_ip.0`: the last address handed out, so allocation goes round the
 *   range instead of reusing a just-released address at once. Only a hint.
 * - Allocating for a (container, ifname) that already holds an address returns that address:
 *   an ADD retried after a crash does not take a second one; the runtime's DEL frees it.
 *
 * @module
 */
import { CNI_ERROR_CODES, CniError } from "./errors.ts";
import { formatIpv4, parseIpv4 } from "./_ipv4.ts";

/** Who holds an address. */
export interface IpOwner {
  readonly containerId: string;
  readonly ifname: string;
}

/** Options of {@linkcode IpStore}. */
export interface IpStoreOptions {
  /** The network's directory (`<dataDir>/<network name>`). */
  readonly dir: string;
  /** The first and last address to hand out (numbers, {@linkcode parseIpv4}). */
  readonly rangeStart: number;
  readonly rangeEnd: number;
  /** Addresses never handed out (the gateway). */
  readonly reserved?: readonly number[];
  /** Called after the address file is linked, before the hint is written (crash tests). */
  readonly afterReserve?: (ip: string) => Promise<void> | void;
}

/** One allocation as found on disk. */
export interface IpAllocation extends IpOwner {
  readonly ip: string;
}

const TEMP_PREFIX = ".tmp-";
const LAST_RESERVED = "last_reserved_ip.0";

function ownerText(owner: IpOwner): string {
  return `${owner.containerId}\r\n${owner.ifname}`;
}

function parseOwner(text: string): IpOwner | null {
  const [containerId, ifname, ...rest] = text.trim().split(/\r?\n/);
  if (!containerId || ifname === undefined || rest.length > 0) return null;
  return { containerId: containerId.trim(), ifname: ifname.trim() };
}

/** Allocates and releases the addresses of one network, on disk. */
export class IpStore {
  readonly #options: IpStoreOptions;
  readonly #reserved: ReadonlySet<number>;

  constructor(options: IpStoreOptions) {
    if (options.rangeStart > options.rangeEnd) {
      throw new RangeError("Cannot create an IP store: the range start is after its end");
    }
    this.#options = options;
    this.#reserved = new Set(options.reserved ?? []);
  }

  /** The store's directory. */
  get dir(): string {
    return this.#options.dir;
  }

  /**
   * Takes a free address for `owner`, or returns the one it already holds (`reused`).
   *
   * @throws {CniError} code 100 when the range is full.
   */
  async allocate(owner: IpOwner): Promise<{ ip: string; reused: boolean }> {
    return await this.#locked(async () => {
      const allocations = await this.#scan({ removeTemp: true });
      const mine = allocations.find((a) => sameOwner(a, owner));
      if (mine) return { ip: mine.ip, reused: true };
      const taken = new Set(allocations.map((a) => parseIpv4(a.ip)!));
      const { rangeStart, rangeEnd } = this.#options;
      const size = rangeEnd - rangeStart + 1;
      const last = await this.#lastReserved();
      const first = last !== null && last >= rangeStart && last <= rangeEnd ? last + 1 : rangeStart;
      for (let i = 0; i < size; i++) {
        const candidate = rangeStart + ((first - rangeStart + i) % size);
        if (taken.has(candidate) || this.#reserved.has(candidate)) continue;
        const ip = formatIpv4(candidate);
        if (await this.#reserve(ip, owner)) {
          await this.#options.afterReserve?.(ip);
          await Deno.writeTextFile(`${this.dir}/${LAST_RESERVED}`, ip).catch(() => {});
          return { ip, reused: false };
        }
      }
      throw new CniError(
        CNI_ERROR_CODES.noAddressAvailable,
        `No IP addresses available in range ${formatIpv4(rangeStart)}-${formatIpv4(rangeEnd)}`,
      );
    });
  }

  /** Frees every address `owner` holds; returns them (none: already released). */
  async release(owner: IpOwner): Promise<string[]> {
    return await this.#locked(async () => {
      const freed: string[] = [];
      for (const a of await this.#scan({ removeTemp: false })) {
        if (!sameOwner(a, owner)) continue;
        await Deno.remove(`${this.dir}/${a.ip}`).catch((err) => {
          if (!(err instanceof Deno.errors.NotFound)) throw err;
        });
        freed.push(a.ip);
      }
      return freed;
    });
  }

  /** The address `owner` holds, if any (no lock: address files appear whole). */
  async lookup(owner: IpOwner): Promise<string | undefined> {
    return (await this.#scan({ removeTemp: false })).find((a) => sameOwner(a, owner))?.ip;
  }

  /** Every allocation on disk. */
  async list(): Promise<IpAllocation[]> {
    return await this.#scan({ removeTemp: false });
  }

  async #lastReserved(): Promise<number | null> {
    try {
      return parseIpv4((await Deno.readTextFile(`${this.dir}/${LAST_RESERVED}`)).trim());
    } catch {
      return null;
    }
  }

  /** Writes the address file; `false` when another holder has it already. */
  async #reserve(ip: string, owner: IpOwner): Promise<boolean> {
    const tmp = `${this.dir}/${TEMP_PREFIX}${crypto.randomUUID()}`;
    const file = await Deno.open(tmp, { write: true, createNew: true, mode: 0o644 });
    try {
      await file.write(new TextEncoder().encode(ownerText(owner)));
      await file.syncData();
    } finally {
      file.close();
    }
    try {
      await Deno.link(tmp, `${this.dir}/${ip}`);
    } catch (err) {
      if (err instanceof Deno.errors.AlreadyExists) return false;
      throw new Error(`Cannot reserve IP "${ip}" in "${this.dir}"`, { cause: err });
    } finally {
      await Deno.remove(tmp).catch(() => {});
    }
    await syncDir(this.dir);
    return true;
  }

  async #scan(options: { readonly removeTemp: boolean }): Promise<IpAllocation[]> {
    const out: IpAllocation[] = [];
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(this.dir));
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return out;
      throw new Error(`Cannot read the IP store "${this.dir}"`, { cause: err });
    }
    for (const entry of entries) {
      if (options.removeTemp && entry.name.startsWith(TEMP_PREFIX)) {
        // Only written while the lock is held, which we hold: a crashed holder's leftover.
        await Deno.remove(`${this.dir}/${entry.name}`).catch(() => {});
        continue;
      }
      if (!entry.isFile || parseIpv4(entry.name) === null) continue;
      let text: string;
      try {
        text = await Deno.readTextFile(`${this.dir}/${entry.name}`);
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) continue;
        throw err;
      }
      const owner = parseOwner(text);
      // A file we cannot read as an owner still holds its address.
      out.push({ ip: entry.name, ...(owner ?? { containerId: "", ifname: "" }) });
    }
    return out;
  }

  async #locked<T>(fn: () => Promise<T>): Promise<T> {
    try {
      await Deno.mkdir(this.dir, { recursive: true, mode: 0o755 });
    } catch (err) {
      throw new CniError(CNI_ERROR_CODES.ioFailure, `Cannot create the IP store "${this.dir}"`, {
        cause: err,
        details: err instanceof Error ? err.message : String(err),
      });
    }
    const lock = await Deno.open(`${this.dir}/lock`, { read: true, write: true, create: true });
    try {
      await lock.lock(true);
      try {
        return await fn();
      } finally {
        await lock.unlock();
      }
    } finally {
      lock.close();
    }
  }
}

function sameOwner(a: IpOwner, b: IpOwner): boolean {
  return a.containerId === b.containerId && a.ifname === b.ifname;
}

async function syncDir(dir: string): Promise<void> {
  const d = await Deno.open(dir, { read: true });
  try {
    await d.syncData().catch(() => {});
  } finally {
    d.close();
  }
}
