import assert from "node:assert/strict";
import type { CommandResult, CommandRunner } from "../containerd/command_runner.ts";
import { ensureDnsAddress, removeDnsAddress } from "./dns_address.ts";

/** A fake `ip` that keeps one interface's state. */
class FakeIp implements CommandRunner {
  readonly calls: string[] = [];
  link:
    | { kind: string; up: boolean; addrs: { local: string; prefixlen: number; scope: string }[] }
    | undefined;
  dummySupported = true;

  run(argv: readonly string[]): Promise<CommandResult> {
    const cmd = argv.join(" ");
    this.calls.push(cmd);
    const ok = (stdout = "") => Promise.resolve({ code: 0, stdout, stderr: "" });
    const fail = (stderr: string) => Promise.resolve({ code: 1, stdout: "", stderr });
    let m: RegExpMatchArray | null;
    if (/^ip -d -j addr show dev /.test(cmd)) {
      if (!this.link) return fail('Device "skiff-dns" does not exist.');
      return ok(JSON.stringify([{
        ifname: "skiff-dns",
        flags: this.link.up ? ["BROADCAST", "NOARP", "UP", "LOWER_UP"] : ["BROADCAST", "NOARP"],
        linkinfo: { info_kind: this.link.kind },
        addr_info: this.link.addrs.map((a) => ({ family: "inet", ...a })),
      }]));
    }
    if ((m = cmd.match(/^ip link add \S+ type (\w+)$/))) {
      if (this.link) return fail("RTNETLINK answers: File exists");
      if (m[1] === "dummy" && !this.dummySupported) return fail("Error: Unknown device type.");
      this.link = { kind: m[1]!, up: false, addrs: [] };
      return ok();
    }
    if ((m = cmd.match(/^ip addr add (\S+)\/(\d+) dev \S+( nodad)?$/))) {
      this.link!.addrs.push({ local: m[1]!, prefixlen: Number(m[2]), scope: "global" });
      return ok();
    }
    if ((m = cmd.match(/^ip addr del (\S+)\/(\d+) dev \S+$/))) {
      this.link!.addrs = this.link!.addrs.filter((a) => a.local !== m![1]);
      return ok();
    }
    if (/^ip link set \S+ up$/.test(cmd)) {
      this.link!.up = true;
      return ok();
    }
    if (/^ip link del /.test(cmd)) {
      if (!this.link) return fail('Cannot find device "skiff-dns"');
      this.link = undefined;
      return ok();
    }
    return fail(`unexpected: ${cmd}`);
  }
}

Deno.test("ensureDnsAddress() makes the dummy interface with the /32, then changes nothing", async () => {
  const ip = new FakeIp();
  await ensureDnsAddress(ip, { interface: "skiff-dns", address: "10.43.0.10" });
  assert.deepEqual(ip.link, {
    kind: "dummy",
    up: true,
    addrs: [{ local: "10.43.0.10", prefixlen: 32, scope: "global" }],
  });
  const before = ip.calls.length;
  await ensureDnsAddress(ip, { interface: "skiff-dns", address: "10.43.0.10" });
  assert.deepEqual(ip.calls.slice(before), ["ip -d -j addr show dev skiff-dns"]);
});

Deno.test("ensureDnsAddress() replaces an address left from another cluster DNS IP", async () => {
  const ip = new FakeIp();
  ip.link = {
    kind: "dummy",
    up: true,
    addrs: [
      { local: "10.43.0.99", prefixlen: 32, scope: "global" },
      { local: "fe80::1", prefixlen: 64, scope: "link" },
    ],
  };
  await ensureDnsAddress(ip, { address: "10.43.0.10" });
  assert.deepEqual(ip.link.addrs.map((a) => `${a.local}/${a.prefixlen}`), [
    "fe80::1/64",
    "10.43.0.10/32",
  ]);
});

Deno.test("ensureDnsAddress() uses an empty bridge on kernels without the dummy driver", async () => {
  const ip = new FakeIp();
  ip.dummySupported = false;
  await ensureDnsAddress(ip, { address: "fd00:43::a" });
  assert.equal(ip.link?.kind, "bridge");
  assert.deepEqual(ip.link?.addrs.map((a) => `${a.local}/${a.prefixlen}`), ["fd00:43::a/128"]);
});

Deno.test("ensureDnsAddress() refuses an interface of another kind and a bad address", async () => {
  const ip = new FakeIp();
  ip.link = { kind: "veth", up: true, addrs: [] };
  await assert.rejects(
    ensureDnsAddress(ip, { address: "10.43.0.10" }),
    /Cannot put the cluster DNS address on interface "skiff-dns": it exists and is not a dummy interface/,
  );
  await assert.rejects(ensureDnsAddress(ip, { address: "10.43.0" }), TypeError);
});

Deno.test("removeDnsAddress() deletes the interface and tolerates its absence", async () => {
  const ip = new FakeIp();
  await ensureDnsAddress(ip, { address: "10.43.0.10" });
  await removeDnsAddress(ip);
  assert.equal(ip.link, undefined);
  await removeDnsAddress(ip);
});

Deno.test("ensureDnsAddress() holds one address per family for a dual-stack cluster DNS", async () => {
  const ip = new FakeIp();
  await ensureDnsAddress(ip, { address: ["10.43.0.10", "fd00:43::a"] });
  await ensureDnsAddress(ip, { address: ["10.43.0.10", "fd00:43::a"] });
  assert.deepEqual(ip.link?.addrs.map((a) => `${a.local}/${a.prefixlen}`), [
    "10.43.0.10/32",
    "fd00:43::a/128",
  ]);
});
