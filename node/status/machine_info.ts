/**
 * What the node agent learns about its machine, as the kubelet learns it from cAdvisor: the
 * fixed facts ({@linkcode readMachineInfo}: cores, memory, swap, huge pages, the data dir's
 * filesystem size, machine ID, system UUID, boot ID, kernel, OS image) and the changing ones
 * ({@linkcode readMachineStats}: available memory, free space and inodes, processes), all read
 * through a {@linkcode MachineHost} so that tests run on fixtures. {@linkcode systemMachineHost}
 * is the real machine (Linux `/proc` and `/sys`, `statfs(2)`).
 *
 * @example Read the real machine
 * ```ts ignore
 * const info = await readMachineInfo(systemMachineHost(), { rootDir: "/var/lib/skiff" });
 * ```
 *
 * @module
 */
import { statfs } from "node:fs/promises";

/** Sizes and counts of one filesystem (`statfs(2)`). */
export interface FsStats {
  /** Size in bytes (blocks × fragment size, as `df` reports it). */
  readonly capacityBytes: number;
  /** Bytes available to unprivileged users. */
  readonly availableBytes: number;
  readonly inodes: number;
  readonly inodesFree: number;
}

/** One address of a network interface. */
export interface HostInterfaceAddress {
  /** The interface, e.g. `eth0`. */
  readonly name: string;
  readonly family: "IPv4" | "IPv6";
  readonly address: string;
}

/** The machine as the status code reads it; replaced by fixtures in tests. */
export interface MachineHost {
  /** A file's text; rejects when it cannot be read. */
  readTextFile(path: string): Promise<string>;
  /** The names in a directory; rejects when it cannot be read. */
  readDir(path: string): Promise<string[]>;
  /** The filesystem holding `path`. */
  statfs(path: string): Promise<FsStats>;
  /** The host name, as the kernel has it. */
  hostname(): string;
  /** Every address of every interface, loopback included. */
  networkInterfaces(): readonly HostInterfaceAddress[];
  /** The number of logical CPUs, used when `/proc/cpuinfo` cannot be read. */
  cpuCount(): number;
  /** The operating system as Go spells it (`GOOS`): `linux`. */
  readonly os: string;
  /** The architecture as Go spells it (`GOARCH`): `amd64`, `arm64`, `arm`. */
  readonly arch: string;
}

/** One huge page size of the machine. */
export interface HugePages {
  readonly pageSizeKiB: number;
  readonly numPages: number;
}

/** The machine's fixed facts (cAdvisor's `MachineInfo` and `VersionInfo`). */
export interface MachineInfo {
  readonly numCores: number;
  readonly memoryCapacityBytes: number;
  readonly swapCapacityBytes: number;
  readonly hugePages: readonly HugePages[];
  /** The size of the filesystem holding the data dir (ephemeral-storage capacity). */
  readonly rootfsCapacityBytes: number;
  /** From `/etc/machine-id` (or `/var/lib/dbus/machine-id`); "" when neither is readable. */
  readonly machineID: string;
  /** From `/sys/class/dmi/id/product_uuid`; "" when it cannot be read (not root, no DMI). */
  readonly systemUUID: string;
  readonly bootID: string;
  /** `uname -r`. */
  readonly kernelVersion: string;
  /** `PRETTY_NAME` of `/etc/os-release`, "Linux" without one. */
  readonly osImage: string;
  readonly operatingSystem: string;
  readonly architecture: string;
}

/** The machine's changing state, read at each status update. */
export interface MachineStats {
  readonly memoryCapacityBytes: number;
  /** `MemAvailable` of `/proc/meminfo`. */
  readonly memoryAvailableBytes: number;
  /** The filesystem of the data dir. */
  readonly nodefs: FsStats;
  /** The filesystem of the image store (the data dir's unless told otherwise). */
  readonly imagefs: FsStats;
  /** The smaller of `kernel.pid_max` and `kernel.threads-max`. */
  readonly maxPID: number;
  /** Processes and threads that exist (`/proc/loadavg`). */
  readonly processes: number;
}

/** Options of {@linkcode readMachineInfo} and {@linkcode readMachineStats}. */
export interface MachineReadOptions {
  /** The agent's data dir: its filesystem is the node's ephemeral storage (nodefs). */
  readonly rootDir: string;
  /** Where images are stored (imagefs). @default {rootDir} */
  readonly imageDir?: string;
}

const HUGEPAGES_DIR = "/sys/kernel/mm/hugepages";

/** Maps Deno's architecture names to Go's. */
export function goArch(denoArch: string): string {
  switch (denoArch) {
    case "x86_64":
      return "amd64";
    case "aarch64":
      return "arm64";
    default:
      return denoArch;
  }
}

/** The real machine. */
export function systemMachineHost(): MachineHost {
  return {
    readTextFile: (path) => Deno.readTextFile(path),
    async readDir(path) {
      const names: string[] = [];
      for await (const entry of Deno.readDir(path)) names.push(entry.name);
      return names;
    },
    async statfs(path) {
      const s = await statfs(path);
      return {
        capacityBytes: s.blocks * s.bsize,
        availableBytes: s.bavail * s.bsize,
        inodes: s.files,
        inodesFree: s.ffree,
      };
    },
    hostname: () => Deno.hostname(),
    networkInterfaces: () =>
      Deno.networkInterfaces().map((i) => ({
        name: i.name,
        family: i.family,
        address: i.address,
      })),
    cpuCount: () => navigator.hardwareConcurrency,
    os: Deno.build.os,
    arch: goArch(Deno.build.arch),
  };
}

/** `/proc/meminfo` as bytes by field name (`MemTotal`, `MemAvailable`, `SwapTotal`…). */
export function parseMeminfo(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = /^([A-Za-z0-9_()]+):\s+(\d+)(?:\s+kB)?\s*$/.exec(line);
    if (!m) continue;
    const value = Number(m[2]);
    out.set(m[1]!, line.trimEnd().endsWith("kB") ? value * 1024 : value);
  }
  return out;
}

/** The value of `key` in an os-release file, unquoted; undefined when absent. */
export function parseOsRelease(text: string, key: string): string | undefined {
  for (const line of text.split("\n")) {
    const eq = line.indexOf("=");
    if (eq < 0 || line.slice(0, eq).trim() !== key) continue;
    let value = line.slice(eq + 1).trim();
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0])) {
      value = value.slice(1, -1).replace(/\\(["'$`\\])/g, "$1");
    }
    return value;
  }
  return undefined;
}

async function optionalText(host: MachineHost, ...paths: string[]): Promise<string | undefined> {
  for (const path of paths) {
    try {
      return (await host.readTextFile(path)).trim();
    } catch {
      // Try the next one.
    }
  }
  return undefined;
}

async function requiredText(host: MachineHost, path: string): Promise<string> {
  try {
    return await host.readTextFile(path);
  } catch (err) {
    throw new Error(`Cannot read machine info: cannot read "${path}"`, { cause: err });
  }
}

async function meminfo(host: MachineHost): Promise<Map<string, number>> {
  const info = parseMeminfo(await requiredText(host, "/proc/meminfo"));
  if (!info.has("MemTotal")) {
    throw new Error('Cannot read machine info: "/proc/meminfo" has no MemTotal');
  }
  return info;
}

async function cpuCores(host: MachineHost): Promise<number> {
  const text = await optionalText(host, "/proc/cpuinfo");
  const n = text?.split("\n").filter((l) => /^processor\s*:/.test(l)).length ?? 0;
  return n > 0 ? n : Math.max(1, host.cpuCount());
}

async function hugePages(host: MachineHost): Promise<HugePages[]> {
  let names: string[];
  try {
    names = await host.readDir(HUGEPAGES_DIR);
  } catch {
    return [];
  }
  const out: HugePages[] = [];
  for (const name of names) {
    const m = /^hugepages-(\d+)kB$/.exec(name);
    if (!m) continue;
    const count = await optionalText(host, `${HUGEPAGES_DIR}/${name}/nr_hugepages`);
    out.push({ pageSizeKiB: Number(m[1]), numPages: Number(count ?? "0") || 0 });
  }
  return out.sort((a, b) => a.pageSizeKiB - b.pageSizeKiB);
}

async function fsStats(host: MachineHost, path: string): Promise<FsStats> {
  try {
    return await host.statfs(path);
  } catch (err) {
    throw new Error(`Cannot read the filesystem of "${path}"`, { cause: err });
  }
}

/** Reads the machine's fixed facts; rejects when `/proc/meminfo` or the data dir's filesystem cannot be read. */
export async function readMachineInfo(
  host: MachineHost,
  options: MachineReadOptions,
): Promise<MachineInfo> {
  const mem = await meminfo(host);
  const osRelease = await optionalText(host, "/etc/os-release", "/usr/lib/os-release");
  return {
    numCores: await cpuCores(host),
    memoryCapacityBytes: mem.get("MemTotal")!,
    swapCapacityBytes: mem.get("SwapTotal") ?? 0,
    hugePages: await hugePages(host),
    rootfsCapacityBytes: (await fsStats(host, options.rootDir)).capacityBytes,
    machineID: await optionalText(host, "/etc/machine-id", "/var/lib/dbus/machine-id") ?? "",
    systemUUID: await optionalText(host, "/sys/class/dmi/id/product_uuid") ?? "",
    bootID: await optionalText(host, "/proc/sys/kernel/random/boot_id") ?? "",
    kernelVersion: await optionalText(host, "/proc/sys/kernel/osrelease") ?? "",
    osImage: (osRelease && parseOsRelease(osRelease, "PRETTY_NAME")) || "Linux",
    operatingSystem: host.os,
    architecture: host.arch,
  };
}

/** Reads what changes: memory, filesystems, processes. */
export async function readMachineStats(
  host: MachineHost,
  options: MachineReadOptions,
): Promise<MachineStats> {
  const mem = await meminfo(host);
  const nodefs = await fsStats(host, options.rootDir);
  const imagefs = options.imageDir && options.imageDir !== options.rootDir
    ? await fsStats(host, options.imageDir)
    : nodefs;
  const pidMax = Number(await optionalText(host, "/proc/sys/kernel/pid_max")) || 32768;
  const threadsMax = Number(await optionalText(host, "/proc/sys/kernel/threads-max")) || pidMax;
  const loadavg = await optionalText(host, "/proc/loadavg");
  const processes = Number(/\s\d+\/(\d+)\s/.exec(` ${loadavg ?? ""} `)?.[1] ?? 0);
  return {
    memoryCapacityBytes: mem.get("MemTotal")!,
    memoryAvailableBytes: mem.get("MemAvailable") ?? mem.get("MemFree") ?? 0,
    nodefs,
    imagefs,
    maxPID: Math.min(pidMax, threadsMax),
    processes,
  };
}

/**
 * The interface of the IPv4 default route in `/proc/net/route`, or undefined when there is
 * none or the table cannot be read.
 */
export async function readDefaultRouteInterface(host: MachineHost): Promise<string | undefined> {
  const table = await optionalText(host, "/proc/net/route");
  for (const line of table?.split("\n").slice(1) ?? []) {
    const [iface, destination, , flags, , , , mask] = line.trim().split(/\s+/);
    if (!iface || destination !== "00000000" || mask !== "00000000") continue;
    // RTF_UP (0x1).
    if ((parseInt(flags ?? "0", 16) & 1) === 0) continue;
    return iface;
  }
  return undefined;
}
