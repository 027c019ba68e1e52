import assert from "node:assert/strict";
import { CniError } from "./errors.ts";
import {
  parseCniArgs,
  parseCniEnv,
  parseNetConf,
  parsePortMappings,
  sniffCniVersion,
} from "./net_conf.ts";
import { formatCidr } from "./_ipv4.ts";
import { formatIpv4 } from "./_ipv4.ts";

const BASE = {
  cniVersion: "1.0.0",
  name: "skiff",
  type: "skiff",
  ipam: { subnet: "10.42.3.0/24" },
};

function conf(extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ ...BASE, ...extra });
}

function code(fn: () => unknown): number {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof CniError, String(err));
    return err.code;
  }
  throw new Error("did not throw");
}

Deno.test("parseNetConf() applies the defaults", () => {
  const c = parseNetConf(conf());
  assert.equal(c.bridge, "skiff0");
  assert.equal(c.mtu, 1500);
  assert.equal(c.hairpinMode, true);
  assert.equal(c.ipMasq, true);
  assert.equal(c.isDefaultGateway, true);
  assert.equal(c.nftTable, "skiff-cni");
  assert.equal(formatCidr(c.clusterCidr), "10.42.3.0/24");
  assert.equal(formatIpv4(c.ipam.gateway), "10.42.3.1");
  assert.equal(formatIpv4(c.ipam.rangeStart), "10.42.3.1");
  assert.equal(formatIpv4(c.ipam.rangeEnd), "10.42.3.254");
  assert.equal(c.ipam.dataDir, "/var/lib/cni/networks");
  assert.deepEqual(c.portMappings, []);
  assert.equal(c.prevResult, undefined);
});

Deno.test("parseNetConf() reads every key, runtimeConfig and prevResult", () => {
  const c = parseNetConf(conf({
    bridge: "br-test",
    mtu: 1450,
    hairpinMode: false,
    ipMasq: false,
    isDefaultGateway: false,
    clusterCidr: "10.42.0.0/16",
    nftTable: "skiff-test",
    ipam: {
      subnet: "10.42.3.0/24",
      gateway: "10.42.3.254",
      rangeStart: "10.42.3.10",
      rangeEnd: "10.42.3.20",
      dataDir: "/var/lib/skiff/cni",
    },
    runtimeConfig: {
      portMappings: [{ HostPort: 8080, ContainerPort: 80, Protocol: "TCP", HostIP: "" }],
    },
    prevResult: { ips: [] },
    unknownKey: true,
  }));
  assert.equal(c.bridge, "br-test");
  assert.equal(c.mtu, 1450);
  assert.equal(c.hairpinMode, false);
  assert.equal(c.ipMasq, false);
  assert.equal(c.isDefaultGateway, false);
  assert.equal(formatCidr(c.clusterCidr), "10.42.0.0/16");
  assert.equal(c.nftTable, "skiff-test");
  assert.equal(formatIpv4(c.ipam.gateway), "10.42.3.254");
  assert.equal(formatIpv4(c.ipam.rangeStart), "10.42.3.10");
  assert.equal(formatIpv4(c.ipam.rangeEnd), "10.42.3.20");
  assert.equal(c.ipam.dataDir, "/var/lib/skiff/cni");
  assert.deepEqual(c.portMappings, [{
    hostPort: 8080,
    containerPort: 80,
    protocol: "tcp",
    hostIP: "",
  }]);
  assert.deepEqual(c.prevResult, { ips: [] });
});

Deno.test("parseNetConf() reports bad configs with the CNI codes", async (t) => {
  const cases: [string, string, number, RegExp][] = [
    ["not JSON", "{", 6, /Cannot decode the network config/],
    ["not an object", "[]", 6, /not a JSON object/],
    ["old version", conf({ cniVersion: "0.2.0" }), 1, /Unsupported CNI version "0.2.0"/],
    ["no version", JSON.stringify({ name: "x" }), 1, /Unsupported CNI version ""/],
    ["no name", conf({ name: "" }), 7, /"name" is required/],
    ["no ipam", conf({ ipam: undefined }), 7, /"ipam" must be an object/],
    ["no subnet", conf({ ipam: {} }), 7, /"ipam.subnet" is required/],
    ["bad subnet", conf({ ipam: { subnet: "10.42.3.1/24" } }), 7, /is not an IPv4 CIDR/],
    ["tiny subnet", conf({ ipam: { subnet: "10.42.3.0/31" } }), 7, /too small to allocate from/],
    [
      "gateway outside",
      conf({ ipam: { subnet: "10.42.3.0/24", gateway: "10.42.4.1" } }),
      7,
      /"ipam.gateway" is not a host address/,
    ],
    [
      "range reversed",
      conf({ ipam: { subnet: "10.42.3.0/24", rangeStart: "10.42.3.9", rangeEnd: "10.42.3.8" } }),
      7,
      /is after/,
    ],
    [
      "relative dataDir",
      conf({ ipam: { subnet: "10.42.3.0/24", dataDir: "x" } }),
      7,
      /absolute path/,
    ],
    ["bad mtu", conf({ mtu: 70000 }), 7, /"mtu" 70000/],
    ["bad bridge", conf({ bridge: "a-very-long-bridge-name" }), 7, /"bridge"/],
    ["bad boolean", conf({ ipMasq: "yes" }), 7, /"ipMasq" must be a boolean/],
    [
      "bad port",
      conf({ runtimeConfig: { portMappings: [{ hostPort: 0, containerPort: 80 }] } }),
      7,
      /hostPort 0/,
    ],
    [
      "bad protocol",
      conf({
        runtimeConfig: { portMappings: [{ hostPort: 1, containerPort: 1, protocol: "icmp" }] },
      }),
      7,
      /protocol "icmp"/,
    ],
  ];
  for (const [name, text, expected, message] of cases) {
    await t.step(name, () => {
      assert.equal(code(() => parseNetConf(text)), expected);
      assert.throws(() => parseNetConf(text), message);
    });
  }
});

Deno.test("parsePortMappings() accepts Go's capitalised keys and lower-case ones", () => {
  assert.deepEqual(
    parsePortMappings([
      { HostPort: 8080, ContainerPort: 80, Protocol: "tcp", HostIP: "0.0.0.0" },
      { hostPort: 5353, containerPort: 53, protocol: "udp", hostIP: "192.168.1.5" },
      { hostPort: 9, containerPort: 9 },
    ]),
    [
      { hostPort: 8080, containerPort: 80, protocol: "tcp", hostIP: "" },
      { hostPort: 5353, containerPort: 53, protocol: "udp", hostIP: "192.168.1.5" },
      { hostPort: 9, containerPort: 9, protocol: "tcp", hostIP: "" },
    ],
  );
});

Deno.test("parseCniEnv() requires the variables the spec requires per command", async (t) => {
  const full = {
    CNI_COMMAND: "ADD",
    CNI_CONTAINERID: "abc123",
    CNI_NETNS: "/var/run/netns/cni-1",
    CNI_IFNAME: "eth0",
    CNI_ARGS: "K8S_POD_NAMESPACE=default;IgnoreUnknown=1",
    CNI_PATH: "/opt/cni/bin:/usr/lib/cni",
  };
  await t.step("ADD with everything", () => {
    const env = parseCniEnv((k) => (full as Record<string, string>)[k]);
    assert.equal(env.command, "ADD");
    assert.equal(env.args.get("K8S_POD_NAMESPACE"), "default");
    assert.deepEqual(env.path, ["/opt/cni/bin", "/usr/lib/cni"]);
  });
  await t.step("ADD without a netns", () => {
    const get = (k: string) => k === "CNI_NETNS" ? undefined : (full as Record<string, string>)[k];
    assert.equal(code(() => parseCniEnv(get)), 4);
    assert.throws(
      () => parseCniEnv(get),
      /^CniError: Missing environment variables for ADD: CNI_NETNS$/,
    );
  });
  await t.step("DEL with an empty netns", () => {
    const get = (k: string) =>
      k === "CNI_NETNS" ? "" : k === "CNI_COMMAND" ? "DEL" : (full as Record<string, string>)[k];
    assert.equal(parseCniEnv(get).netns, "");
  });
  await t.step("DEL without a container", () => {
    const get = (k: string) => k === "CNI_COMMAND" ? "DEL" : undefined;
    assert.throws(
      () => parseCniEnv(get),
      /Missing environment variables for DEL: CNI_CONTAINERID, CNI_IFNAME/,
    );
  });
  await t.step("VERSION with nothing else", () => {
    assert.equal(
      parseCniEnv((k) => k === "CNI_COMMAND" ? "VERSION" : undefined).command,
      "VERSION",
    );
  });
  await t.step("an ifname with a slash", () => {
    const get = (k: string) => k === "CNI_IFNAME" ? "../x" : (full as Record<string, string>)[k];
    assert.equal(code(() => parseCniEnv(get)), 4);
  });
});

Deno.test("parseCniArgs() splits KEY=VALUE pairs and rejects others", () => {
  assert.deepEqual([...parseCniArgs("A=1;B=x=y;;")], [["A", "1"], ["B", "x=y"]]);
  assert.equal(code(() => parseCniArgs("A")), 4);
});

Deno.test("sniffCniVersion() finds the version of any JSON object", () => {
  assert.equal(sniffCniVersion(`{"cniVersion":"0.4.0"}`), "0.4.0");
  assert.equal(sniffCniVersion("{"), undefined);
});
