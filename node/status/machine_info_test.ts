import assert from "node:assert/strict";
import {
  goArch,
  parseMeminfo,
  parseOsRelease,
  readDefaultRouteInterface,
  readMachineInfo,
  readMachineStats,
  systemMachineHost,
} from "./machine_info.ts";
import { FixtureHost } from "./_test_host.ts";

const GiB = 1024 ** 3;

Deno.test("parseMeminfo() reads kB fields as bytes and counts as they are", () => {
  const info = parseMeminfo(
    "MemTotal:  1000 kB\nHugePages_Total:   7\nActive(anon):  5 kB\nbad line\n",
  );
  assert.equal(info.get("MemTotal"), 1024_000);
  assert.equal(info.get("HugePages_Total"), 7);
  assert.equal(info.get("Active(anon)"), 5 * 1024);
  assert.equal(info.size, 3);
});

Deno.test("parseOsRelease() unquotes values and finds only the key asked", async (t) => {
  const cases: [string, string, string | undefined][] = [
    [
      'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"',
      "PRETTY_NAME",
      "Debian GNU/Linux 12 (bookworm)",
    ],
    ["PRETTY_NAME='Alpine Linux v3.19'", "PRETTY_NAME", "Alpine Linux v3.19"],
    ["PRETTY_NAME=Plain", "PRETTY_NAME", "Plain"],
    ['PRETTY_NAME="Say \\"hi\\""', "PRETTY_NAME", 'Say "hi"'],
    ["NAME=x\nID=y", "PRETTY_NAME", undefined],
    ["#PRETTY_NAME=commented", "PRETTY_NAME", undefined],
  ];
  for (const [text, key, want] of cases) {
    await t.step(text, () => assert.equal(parseOsRelease(text, key), want));
  }
});

Deno.test("goArch() spells Deno's architectures as Go does", () => {
  assert.deepEqual(["x86_64", "aarch64", "riscv64"].map(goArch), ["amd64", "arm64", "riscv64"]);
});

Deno.test("readMachineInfo() reads the machine's fixed facts from its files", async () => {
  const host = new FixtureHost();
  const info = await readMachineInfo(host, { rootDir: "/var/lib/skiff" });
  assert.deepEqual(info, {
    numCores: 4,
    memoryCapacityBytes: 4 * GiB,
    swapCapacityBytes: GiB,
    hugePages: [{ pageSizeKiB: 2048, numPages: 0 }, { pageSizeKiB: 1048576, numPages: 0 }],
    rootfsCapacityBytes: 32 * GiB,
    machineID: "0123456789abcdef0123456789abcdef",
    systemUUID: "",
    bootID: "11111111-2222-3333-4444-555555555555",
    kernelVersion: "6.1.0-rpi7-rpi-v8",
    osImage: "Debian GNU/Linux 12 (bookworm)",
    operatingSystem: "linux",
    architecture: "arm64",
  });
});

Deno.test("readMachineInfo() falls back where files are missing", async (t) => {
  await t.step("dbus machine-id, DMI UUID, no os-release, no cpuinfo, no huge pages", async () => {
    const host = new FixtureHost();
    host.files.delete("/etc/machine-id");
    host.files.set("/var/lib/dbus/machine-id", "feedface\n");
    host.files.set("/sys/class/dmi/id/product_uuid", "4c4c4544-0000\n");
    host.files.delete("/etc/os-release");
    host.files.delete("/proc/cpuinfo");
    for (const f of [...host.files.keys()]) if (f.includes("hugepages")) host.files.delete(f);
    const info = await readMachineInfo(host, { rootDir: "/var/lib/skiff" });
    assert.equal(info.machineID, "feedface");
    assert.equal(info.systemUUID, "4c4c4544-0000");
    assert.equal(info.osImage, "Linux");
    assert.equal(info.numCores, 2);
    assert.deepEqual(info.hugePages, []);
  });
  await t.step("reserved huge pages are counted", async () => {
    const host = new FixtureHost();
    host.files.set("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "64\n");
    const info = await readMachineInfo(host, { rootDir: "/var/lib/skiff" });
    assert.deepEqual(info.hugePages[0], { pageSizeKiB: 2048, numPages: 64 });
  });
});

Deno.test("readMachineInfo() rejects without /proc/meminfo or the data dir's filesystem", async () => {
  const noMem = new FixtureHost();
  noMem.files.delete("/proc/meminfo");
  await assert.rejects(
    readMachineInfo(noMem, { rootDir: "/var/lib/skiff" }),
    { message: 'Cannot read machine info: cannot read "/proc/meminfo"' },
  );
  await assert.rejects(
    readMachineInfo(new FixtureHost(), { rootDir: "/nowhere" }),
    { message: 'Cannot read the filesystem of "/nowhere"' },
  );
});

Deno.test("readMachineStats() reads memory, filesystems and processes", async () => {
  const host = new FixtureHost();
  const images = { capacityBytes: 100, availableBytes: 10, inodes: 0, inodesFree: 0 };
  host.fs.set("/images", images);
  const stats = await readMachineStats(host, { rootDir: "/var/lib/skiff", imageDir: "/images" });
  assert.equal(stats.memoryCapacityBytes, 4 * GiB);
  assert.equal(stats.memoryAvailableBytes, GiB);
  assert.equal(stats.nodefs.availableBytes, 16 * GiB);
  assert.deepEqual(stats.imagefs, images);
  assert.equal(stats.maxPID, 30000);
  assert.equal(stats.processes, 312);
  const same = await readMachineStats(host, { rootDir: "/var/lib/skiff" });
  assert.equal(same.imagefs, same.nodefs);
});

Deno.test("readDefaultRouteInterface() finds the default route's interface", async (t) => {
  await t.step(
    "eth0",
    async () => assert.equal(await readDefaultRouteInterface(new FixtureHost()), "eth0"),
  );
  await t.step("no default route", async () => {
    const host = new FixtureHost();
    host.files.set(
      "/proc/net/route",
      "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\n" +
        "eth0\t0001A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\n",
    );
    assert.equal(await readDefaultRouteInterface(host), undefined);
  });
  await t.step("no table", async () => {
    const host = new FixtureHost();
    host.files.delete("/proc/net/route");
    assert.equal(await readDefaultRouteInterface(host), undefined);
  });
});

Deno.test("systemMachineHost() reads this machine", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const host = systemMachineHost();
    const info = await readMachineInfo(host, { rootDir: dir });
    assert.ok(info.numCores >= 1);
    assert.ok(info.memoryCapacityBytes > 0);
    assert.ok(info.rootfsCapacityBytes > 0);
    assert.equal(info.operatingSystem, "linux");
    assert.ok(["amd64", "arm64"].includes(info.architecture), info.architecture);
    assert.ok(info.kernelVersion.length > 0);
    const stats = await readMachineStats(host, { rootDir: dir });
    assert.ok(
      stats.nodefs.availableBytes > 0 && stats.nodefs.availableBytes <= stats.nodefs.capacityBytes,
    );
    assert.ok(stats.processes > 0);
    assert.ok(host.networkInterfaces().some((i) => i.address === "127.0.0.1"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
