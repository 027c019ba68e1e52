/**
 * A {@linkcode MachineHost} made of fixtures, for the tests of this folder: a Raspberry Pi-like
 * arm64 machine with 4 cores, 4 GiB of memory (1 GiB available), 1 GiB of swap, 2 MiB and
 * 1 GiB huge pages (none reserved), a 32 GiB data filesystem (half free), `eth0` holding the
 * default route. Tests change {@linkcode FixtureHost.files} and {@linkcode FixtureHost.fs} to
 * make the machine change.
 *
 * @module
 */
import type { FsStats, HostInterfaceAddress, MachineHost } from "./machine_info.ts";

const GiB = 1024 ** 3;

/** `/proc/meminfo` with sizes in KiB (and 1 GiB of swap). */
export function meminfo(totalKiB: number, availableKiB: number): string {
  return [
    `MemTotal:       ${totalKiB} kB`,
    `MemFree:        ${Math.floor(availableKiB / 2)} kB`,
    `MemAvailable:   ${availableKiB} kB`,
    "Buffers:          12345 kB",
    `SwapTotal:      ${1024 * 1024} kB`,
    "HugePages_Total:       0",
    "",
  ].join("\n");
}

function cpuinfo(cores: number): string {
  const out: string[] = [];
  for (let i = 0; i < cores; i++) out.push(`processor\t: ${i}`, "BogoMIPS\t: 108.00", "");
  return out.join("\n");
}

/** The default files of {@linkcode FixtureHost}. */
export function defaultFiles(): Map<string, string> {
  return new Map([
    ["/proc/meminfo", meminfo(4 * 1024 * 1024, 1024 * 1024)],
    ["/proc/cpuinfo", cpuinfo(4)],
    ["/etc/machine-id", "0123456789abcdef0123456789abcdef\n"],
    ["/proc/sys/kernel/random/boot_id", "11111111-2222-3333-4444-555555555555\n"],
    ["/proc/sys/kernel/osrelease", "6.1.0-rpi7-rpi-v8\n"],
    [
      "/etc/os-release",
      'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nID=debian\n',
    ],
    ["/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "0\n"],
    ["/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages", "0\n"],
    ["/proc/sys/kernel/pid_max", "4194304\n"],
    ["/proc/sys/kernel/threads-max", "30000\n"],
    ["/proc/loadavg", "0.10 0.20 0.30 2/312 4567\n"],
    [
      "/proc/net/route",
      "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n" +
      "eth0\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n" +
      "eth0\t0001A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n",
    ],
  ]);
}

/** A machine made of fixtures. */
export class FixtureHost implements MachineHost {
  readonly files: Map<string, string> = defaultFiles();
  /** Filesystems by path. */
  readonly fs: Map<string, FsStats> = new Map([["/var/lib/skiff", {
    capacityBytes: 32 * GiB,
    availableBytes: 16 * GiB,
    inodes: 2_000_000,
    inodesFree: 1_500_000,
  }]]);
  interfaces: HostInterfaceAddress[] = [
    { name: "lo", family: "IPv4", address: "127.0.0.1" },
    { name: "wlan0", family: "IPv4", address: "10.9.9.9" },
    { name: "eth0", family: "IPv4", address: "192.168.1.20" },
    { name: "eth0", family: "IPv6", address: "fe80::1" },
  ];
  name = "Edge-1";
  readonly os = "linux";
  readonly arch = "arm64";
  /** Paths read, in order. */
  readonly reads: string[] = [];

  readTextFile(path: string): Promise<string> {
    this.reads.push(path);
    const text = this.files.get(path);
    if (text === undefined) {
      return Promise.reject(new Deno.errors.NotFound(`No such file: ${path}`));
    }
    return Promise.resolve(text);
  }

  readDir(path: string): Promise<string[]> {
    const prefix = path.endsWith("/") ? path : `${path}/`;
    const names = new Set<string>();
    for (const file of this.files.keys()) {
      if (file.startsWith(prefix)) names.add(file.slice(prefix.length).split("/")[0]!);
    }
    if (names.size === 0) return Promise.reject(new Deno.errors.NotFound(`No such dir: ${path}`));
    return Promise.resolve([...names]);
  }

  statfs(path: string): Promise<FsStats> {
    const stats = this.fs.get(path);
    if (!stats) return Promise.reject(new Deno.errors.NotFound(`No filesystem: ${path}`));
    return Promise.resolve(stats);
  }

  hostname(): string {
    return this.name;
  }

  networkInterfaces(): readonly HostInterfaceAddress[] {
    return this.interfaces;
  }

  cpuCount(): number {
    return 2;
  }
}
