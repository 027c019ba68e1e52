import assert from "node:assert/strict";
import { BridgePlugin, hostVethName, ipStoreFor, macForIp } from "./bridge_plugin.ts";
import type { CniCommandResult, CniCommandRunner, CniRunOptions } from "./command_runner.ts";
import { CniError } from "./errors.ts";
import { type CniEnv, parseCniEnv, parseNetConf } from "./net_conf.ts";
import type { CniSysctl } from "./sysctl.ts";
import { nftBaseMarker } from "./_nft_rules.ts";
import { parseIpv4Cidr } from "./_ipv4.ts";

interface Call {
  readonly argv: string;
  readonly stdin: string | undefined;
}

type Responder = (argv: string, stdin: string | undefined) => Partial<CniCommandResult> | undefined;

/** Answers commands by the first responder that knows them; everything else succeeds. */
class FakeRunner implements CniCommandRunner {
  readonly calls: Call[] = [];
  readonly responders: Responder[] = [];

  run(argv: readonly string[], options: CniRunOptions = {}): Promise<CniCommandResult> {
    const line = argv.join(" ");
    this.calls.push({ argv: line, stdin: options.stdin });
    for (const r of this.responders) {
      const answer = r(line, options.stdin);
      if (answer) return Promise.resolve({ code: 0, stdout: "", stderr: "", ...answer });
    }
    return Promise.resolve({ code: 0, stdout: "", stderr: "" });
  }
}

class FakeSysctl implements CniSysctl {
  readonly values = new Map<string, string>([["net.ipv4.ip_forward", "0"]]);
  get(key: string): Promise<string> {
    return Promise.resolve(this.values.get(key) ?? "");
  }
  set(key: string, value: string): Promise<void> {
    this.values.set(key, value);
    return Promise.resolve();
  }
}

const NETNS = "/var/run/netns/cni-1234";
const BRIDGE_UP = JSON.stringify([{
  ifname: "skiff0",
  address: "0a:58:0a:2a:03:01",
  flags: ["BROADCAST", "UP"],
  addr_info: [{ family: "inet", local: "10.42.3.1", prefixlen: 24 }],
}]);

async function setup(extra: Record<string, unknown> = {}) {
  const dir = await Deno.makeTempDir({ prefix: "skiff-bridge-" });
  const conf = parseNetConf(JSON.stringify({
    cniVersion: "1.0.0",
    name: "skiff",
    type: "skiff",
    mtu: 1450,
    clusterCidr: "10.42.0.0/16",
    ipam: { subnet: "10.42.3.0/24", dataDir: dir },
    ...extra,
  }));
  const runner = new FakeRunner();
  const sysctl = new FakeSysctl();
  const plugin = new BridgePlugin({
    runner,
    sysctl,
    netnsExists: (p) => Promise.resolve(p === NETNS),
  });
  const env = (command: string, netns = NETNS): CniEnv =>
    parseCniEnv((k) =>
      ({
        CNI_COMMAND: command,
        CNI_CONTAINERID: "c1",
        CNI_NETNS: netns,
        CNI_IFNAME: "eth0",
      } as Record<
        string,
        string
      >)[k]
    );
  return {
    dir,
    conf,
    runner,
    sysctl,
    plugin,
    env,
    store: ipStoreFor(conf),
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}

Deno.test("macForIp() and hostVethName() derive stable names", async () => {
  assert.equal(macForIp("10.42.3.1"), "0a:58:0a:2a:03:01");
  assert.equal(macForIp("192.168.255.7"), "0a:58:c0:a8:ff:07");
  const name = await hostVethName("c1", "eth0");
  assert.match(name, /^veth[0-9a-f]{10}$/);
  assert.equal(name, await hostVethName("c1", "eth0"));
  assert.notEqual(name, await hostVethName("c2", "eth0"));
});

/** The plugin's `ip -j -batch -` on the host: the bridge's JSON, then the veth's lines. */
const HOST_BATCH = "ip -j -batch -";

function hostBatch(veth: string): RegExp {
  return new RegExp(
    `^addr show dev skiff0\nlink add ${veth} mtu 1450 address 02:[0-9a-f:]{14} type veth peer name eth0 mtu 1450 netns ${NETNS}\nlink set dev ${veth} master skiff0\nlink set dev ${veth} type bridge_slave hairpin on\nlink set dev ${veth} up\n$`,
  );
}

/** A current base table for the setup's config, as `nft -j list table` prints it. */
function currentTable(elements: unknown[] = []): string {
  const options = {
    table: "skiff-cni",
    subnet: parseIpv4Cidr("10.42.3.0/24")!,
    clusterCidr: parseIpv4Cidr("10.42.0.0/16")!,
    ipMasq: true,
  };
  const comment = nftBaseMarker(options);
  const chain = (name: string, prio: number) => ({
    chain: { name, type: "nat", hook: name, prio, policy: "accept" },
  });
  const rule = (chain: string) => ({ rule: { chain, comment } });
  return JSON.stringify({
    nftables: [
      { table: { name: "skiff-cni" } },
      { map: { name: "hostports", elem: elements } },
      { map: { name: "hostip_ports" } },
      chain("prerouting", -100),
      chain("output", -100),
      chain("postrouting", 100),
      rule("prerouting"),
      rule("prerouting"),
      rule("output"),
      rule("output"),
      rule("postrouting"),
      rule("postrouting"),
    ],
  });
}

Deno.test("BridgePlugin.add() creates the bridge, the veth pair, addresses, route and nft rules", async () => {
  await using h = await setup();
  let bridgeExists = false;
  h.runner.responders.push((argv) => {
    if (argv === HOST_BATCH) {
      return bridgeExists
        ? { stdout: JSON.stringify([{ address: "0a:58:0a:2a:03:01", flags: [], addr_info: [] }]) }
        : { code: 1, stderr: 'Device "skiff0" does not exist.\nCommand failed -:1' };
    }
    if (argv.startsWith("ip link add skiff0")) bridgeExists = true;
    if (argv === "nft -j list table ip skiff-cni") {
      return { code: 1, stderr: "Error: No such file or directory" };
    }
    return undefined;
  });
  const result = await h.plugin.add(h.conf, h.env("ADD"));
  const veth = await hostVethName("c1", "eth0");
  assert.deepEqual(result.ips, [{ address: "10.42.3.2/24", gateway: "10.42.3.1", interface: 2 }]);
  assert.deepEqual(result.routes, [{ dst: "0.0.0.0/0", gw: "10.42.3.1" }]);
  assert.deepEqual(result.interfaces.map((i) => i.name), ["skiff0", veth, "eth0"]);
  assert.deepEqual(result.interfaces[2], {
    name: "eth0",
    mac: "0a:58:0a:2a:03:02",
    sandbox: NETNS,
  });
  const ip = h.runner.calls.filter((c) => !c.argv.startsWith("nft"));
  assert.deepEqual(ip.map((c) => c.argv), [
    HOST_BATCH,
    "ip link add skiff0 mtu 1450 address 0a:58:0a:2a:03:01 type bridge",
    HOST_BATCH,
    "ip -batch -",
    `nsenter --net=${NETNS} ip -batch -`,
  ]);
  assert.match(ip[0]!.stdin!, hostBatch(veth));
  assert.equal(ip[2]!.stdin, ip[0]!.stdin);
  assert.equal(ip[3]!.stdin, "addr replace 10.42.3.1/24 dev skiff0\nlink set dev skiff0 up\n");
  assert.equal(
    ip[4]!.stdin,
    "link set dev eth0 address 0a:58:0a:2a:03:02\naddr add 10.42.3.2/24 dev eth0\nlink set dev eth0 up\nroute add default via 10.42.3.1 dev eth0\n",
  );
  const nft = h.runner.calls.filter((c) => c.argv.startsWith("nft"));
  assert.deepEqual(nft.map((c) => c.argv), ["nft -j list table ip skiff-cni", "nft -f -"]);
  assert.match(
    nft[1]!.stdin!,
    /ip saddr 10.42.3.0\/24 ip daddr != 10.42.0.0\/16 ip daddr != 224.0.0.0\/4 masquerade comment "skiff-cni [0-9a-f]{8}"/,
  );
  assert.equal(h.sysctl.values.get("net.ipv4.ip_forward"), "1");
  assert.equal(await h.store.lookup({ containerId: "c1", ifname: "eth0" }), "10.42.3.2");
});

Deno.test("BridgePlugin.add() on a configured node runs one host batch, one netns batch and an nft listing", async () => {
  await using h = await setup();
  h.runner.responders.push((argv) => {
    if (argv === HOST_BATCH) return { stdout: BRIDGE_UP };
    if (argv === "nft -j list table ip skiff-cni") return { stdout: currentTable() };
    return undefined;
  });
  const result = await h.plugin.add(h.conf, h.env("ADD"));
  assert.equal(result.interfaces[0]!.mac, "0a:58:0a:2a:03:01");
  assert.deepEqual(h.runner.calls.map((c) => c.argv).sort(), [
    HOST_BATCH,
    "nft -j list table ip skiff-cni",
    `nsenter --net=${NETNS} ip -batch -`,
  ]);
});

Deno.test("BridgePlugin.add() rewrites a base table that is not current", async (t) => {
  const cases: { name: string; table: () => string }[] = [
    { name: "rules of another config", table: () => currentTable().replaceAll("skiff-cni ", "x ") },
    {
      name: "a rule missing",
      table: () => {
        const doc = JSON.parse(currentTable());
        doc.nftables.pop();
        return JSON.stringify(doc);
      },
    },
    {
      name: "a rule added",
      table: () => {
        const doc = JSON.parse(currentTable());
        doc.nftables.push({ rule: { chain: "output" } });
        return JSON.stringify(doc);
      },
    },
    { name: "a map missing", table: () => currentTable().replace('"hostip_ports"', '"other"') },
    {
      name: "a chain of another hook",
      table: () => currentTable().replace('"hook":"output"', '"hook":"input"'),
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      await using h = await setup();
      h.runner.responders.push((argv) => {
        if (argv === HOST_BATCH) return { stdout: BRIDGE_UP };
        if (argv === "nft -j list table ip skiff-cni") return { stdout: c.table() };
        return undefined;
      });
      await h.plugin.add(h.conf, h.env("ADD"));
      const apply = h.runner.calls.filter((x) => x.argv === "nft -f -");
      assert.equal(apply.length, 1);
      assert.match(apply[0]!.stdin!, /^add table ip skiff-cni\n/);
    });
  }
});

Deno.test("BridgePlugin.add() leaves a configured bridge alone and maps hostPorts, replacing stale elements", async () => {
  await using h = await setup({
    cniVersion: "0.4.0",
    runtimeConfig: {
      portMappings: [{ HostPort: 8080, ContainerPort: 80, Protocol: "tcp", HostIP: "" }],
    },
  });
  h.runner.responders.push((argv) => {
    if (argv === HOST_BATCH) return { stdout: BRIDGE_UP };
    if (argv === "nft -j list table ip skiff-cni") {
      return {
        stdout: currentTable([
          [{ concat: ["tcp", 8080] }, { concat: ["10.42.3.77", 80] }],
          [{ concat: ["tcp", 9090] }, { concat: ["10.42.3.78", 90] }],
        ]),
      };
    }
    return undefined;
  });
  const result = await h.plugin.add(h.conf, h.env("ADD"));
  assert.deepEqual(result.ips, [{
    version: "4",
    address: "10.42.3.2/24",
    gateway: "10.42.3.1",
    interface: 2,
  }]);
  assert.equal(result.interfaces[0]!.mac, "0a:58:0a:2a:03:01");
  const argvs = h.runner.calls.map((c) => c.argv);
  assert.ok(!argvs.some((a) => a.startsWith("ip link add skiff0")));
  assert.ok(!argvs.includes("ip -batch -"));
  const nft = h.runner.calls.at(-1)!;
  assert.equal(nft.argv, "nft -f -");
  assert.equal(
    nft.stdin,
    "delete element ip skiff-cni hostports { tcp . 8080 }\nadd element ip skiff-cni hostports { tcp . 8080 : 10.42.3.2 . 80 }\n",
  );
});

Deno.test("BridgePlugin.add() writes the base table and hostPorts in one transaction", async () => {
  await using h = await setup({
    runtimeConfig: {
      portMappings: [{ HostPort: 8080, ContainerPort: 80, Protocol: "tcp", HostIP: "" }],
    },
  });
  h.runner.responders.push((argv) => {
    if (argv === HOST_BATCH) return { stdout: BRIDGE_UP };
    if (argv === "nft -j list table ip skiff-cni") return { code: 1, stderr: "No such file" };
    return undefined;
  });
  await h.plugin.add(h.conf, h.env("ADD"));
  const apply = h.runner.calls.filter((c) => c.argv === "nft -f -");
  assert.equal(apply.length, 1);
  assert.match(apply[0]!.stdin!, /^add table ip skiff-cni\n/);
  assert.ok(apply[0]!.stdin!.endsWith(
    "add element ip skiff-cni hostports { tcp . 8080 : 10.42.3.2 . 80 }\n",
  ));
});

Deno.test("BridgePlugin.add() undoes its work when a step fails", async (t) => {
  const cases: { name: string; fail: string; message: string }[] = [
    {
      name: "the netns batch",
      fail: "nsenter",
      message:
        `Cannot configure interface "eth0" in "${NETNS}": RTNETLINK answers: Permission denied Command failed -:1`,
    },
    {
      name: "the host batch after the bridge",
      fail: HOST_BATCH,
      message:
        'Cannot create the veth pair "VETH": RTNETLINK answers: Permission denied Command failed -:1',
    },
    {
      name: "nftables",
      fail: "nft -f -",
      message: "Cannot program nftables: RTNETLINK answers: Permission denied Command failed -:1",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      await using h = await setup({
        runtimeConfig: {
          portMappings: [{ HostPort: 8080, ContainerPort: 80, Protocol: "tcp", HostIP: "" }],
        },
      });
      const veth = await hostVethName("c1", "eth0");
      h.runner.responders.push((argv) => {
        if (argv.startsWith(c.fail)) {
          return {
            code: 1,
            stdout: argv === HOST_BATCH ? BRIDGE_UP : "",
            stderr: "RTNETLINK answers: Permission denied\nCommand failed -:1",
          };
        }
        if (argv === HOST_BATCH) return { stdout: BRIDGE_UP };
        if (argv === "nft -j list table ip skiff-cni") return { stdout: currentTable() };
        return undefined;
      });
      await assert.rejects(() => h.plugin.add(h.conf, h.env("ADD")), (err) => {
        assert.ok(err instanceof CniError);
        assert.equal(err.code, 999);
        assert.equal(err.message, c.message.replace("VETH", veth));
        return true;
      });
      assert.equal(h.runner.calls.at(-1)!.argv, `ip link del ${veth}`);
      // The pod's hostPort goes in only once its links are up.
      if (c.fail !== "nft -f -") {
        assert.ok(!h.runner.calls.some((x) => x.stdin?.includes("add element")));
      }
      assert.equal(await h.store.lookup({ containerId: "c1", ifname: "eth0" }), undefined);
    });
  }
});

Deno.test("BridgePlugin.add() with no address left removes the veth it made meanwhile", async () => {
  await using h = await setup({ ipam: { subnet: "10.42.3.0/30" } });
  await h.store.allocate({ containerId: "other", ifname: "eth0" });
  h.runner.responders.push((argv) => {
    if (argv === HOST_BATCH) return { stdout: BRIDGE_UP };
    if (argv === "nft -j list table ip skiff-cni") return { stdout: currentTable() };
    return undefined;
  });
  await assert.rejects(
    () => h.plugin.add(h.conf, h.env("ADD")),
    (err) => err instanceof CniError && err.code === 100,
  );
  const veth = await hostVethName("c1", "eth0");
  assert.equal(h.runner.calls.at(-1)!.argv, `ip link del ${veth}`);
  assert.ok(!h.runner.calls.some((c) => c.argv.startsWith("nsenter")));
  assert.deepEqual((await h.store.list()).map((a) => a.containerId), ["other"]);
});

Deno.test("BridgePlugin.add() fails when the container interface exists, keeping the address it held", async () => {
  await using h = await setup();
  await h.store.allocate({ containerId: "c1", ifname: "eth0" });
  h.runner.responders.push((argv) => {
    if (argv === HOST_BATCH) {
      return {
        code: 1,
        stdout: BRIDGE_UP,
        stderr: "RTNETLINK answers: File exists\nCommand failed -:2",
      };
    }
    if (argv.startsWith("ip link show dev veth")) {
      return { code: 1, stderr: 'Device "x" does not exist.' };
    }
    return undefined;
  });
  await assert.rejects(
    () => h.plugin.add(h.conf, h.env("ADD")),
    /Cannot create interface "eth0" in "\/var\/run\/netns\/cni-1234": it already exists/,
  );
  assert.ok(!h.runner.calls.some((c) => c.argv.startsWith("ip link del")));
  assert.equal(await h.store.lookup({ containerId: "c1", ifname: "eth0" }), "10.42.3.2");
});

Deno.test("BridgePlugin.add() replaces a stale host veth of the same container", async () => {
  await using h = await setup();
  let attempts = 0;
  h.runner.responders.push((argv) => {
    if (argv === HOST_BATCH && attempts++ === 0) {
      return {
        code: 1,
        stdout: BRIDGE_UP,
        stderr: "RTNETLINK answers: File exists\nCommand failed -:2",
      };
    }
    if (argv === HOST_BATCH) return { stdout: BRIDGE_UP };
    return undefined;
  });
  await h.plugin.add(h.conf, h.env("ADD"));
  const veth = await hostVethName("c1", "eth0");
  const argvs = h.runner.calls.map((c) => c.argv).filter((a) => !a.startsWith("nft"));
  assert.deepEqual(argvs, [
    HOST_BATCH,
    `ip link show dev ${veth}`,
    `ip link del ${veth}`,
    HOST_BATCH,
    `nsenter --net=${NETNS} ip -batch -`,
  ]);
});

Deno.test("BridgePlugin.add() fails for a missing netns without allocating", async () => {
  await using h = await setup();
  await assert.rejects(
    () => h.plugin.add(h.conf, h.env("ADD", "/var/run/netns/gone")),
    /Cannot open netns "\/var\/run\/netns\/gone": it does not exist/,
  );
  assert.deepEqual(await h.store.list(), []);
});

Deno.test("BridgePlugin.del() removes the veth, hostPort elements and address, and repeats without error", async () => {
  await using h = await setup();
  await h.store.allocate({ containerId: "c1", ifname: "eth0" });
  let vethGone = false;
  h.runner.responders.push((argv) => {
    if (argv.startsWith("ip link del veth")) {
      if (vethGone) return { code: 1, stderr: 'Cannot find device "vethx"' };
      vethGone = true;
      return {};
    }
    if (argv.startsWith("nsenter")) return { code: 1, stderr: 'Cannot find device "eth0"' };
    if (argv === "nft -j list table ip skiff-cni") {
      return {
        stdout: JSON.stringify({
          nftables: [{
            map: {
              name: "hostports",
              elem: [
                [{ concat: ["tcp", 8080] }, { concat: ["10.42.3.2", 80] }],
                [{ concat: ["tcp", 9090] }, { concat: ["10.42.3.9", 90] }],
              ],
            },
          }],
        }),
      };
    }
    return undefined;
  });
  await h.plugin.del(h.conf, h.env("DEL"));
  const nft = h.runner.calls.find((c) => c.argv === "nft -f -")!;
  assert.equal(nft.stdin, "delete element ip skiff-cni hostports { tcp . 8080 }\n");
  assert.equal(await h.store.lookup({ containerId: "c1", ifname: "eth0" }), undefined);
  // Again, with the netns and without.
  await h.plugin.del(h.conf, h.env("DEL"));
  await h.plugin.del(h.conf, h.env("DEL", ""));
  await h.plugin.del(h.conf, h.env("DEL", "/var/run/netns/gone"));
  assert.equal(h.runner.calls.filter((c) => c.argv === "nft -f -").length, 1);
});

Deno.test("BridgePlugin.del() reports an interface it cannot delete", async () => {
  await using h = await setup();
  h.runner.responders.push(() => ({
    code: 2,
    stderr: "RTNETLINK answers: Operation not permitted",
  }));
  await assert.rejects(() => h.plugin.del(h.conf, h.env("DEL")), /Operation not permitted/);
});

Deno.test("BridgePlugin.check() needs a prevResult and CNI 0.4.0 or later", async () => {
  await using h = await setup();
  await assert.rejects(() => h.plugin.check(h.conf, h.env("CHECK")), /Required prevResult missing/);
  await using old = await setup({ cniVersion: "0.3.1", prevResult: { ips: [] } });
  await assert.rejects(
    () => old.plugin.check(old.conf, old.env("CHECK")),
    (err) => err instanceof CniError && err.code === 1,
  );
});
