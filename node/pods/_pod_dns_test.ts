import assert from "node:assert/strict";
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import { type DnsEvent, parseResolvConf, podDnsConfig, type PodDnsOptions } from "./_pod_dns.ts";

const HOST = "nameserver 192.168.1.1\nnameserver 192.168.1.2\nsearch lan home.\noptions edns0\n";
const OPTIONS: PodDnsOptions = {
  clusterDns: ["10.43.0.10"],
  clusterDomain: "cluster.local",
  resolvConf: HOST,
};
const CLUSTER_SEARCH = ["ns1.svc.cluster.local", "svc.cluster.local", "cluster.local"];

function pod(spec: Partial<NonNullable<Pod["spec"]>> = {}): Pod {
  return {
    metadata: { name: "web", namespace: "ns1", uid: "u1" },
    spec: { containers: [{ name: "app" }], ...spec },
  };
}

Deno.test("parseResolvConf() reads nameservers, the last search line and options", async (t) => {
  const cases: { name: string; text: string; want: ReturnType<typeof parseResolvConf> }[] = [
    { name: "empty", text: "", want: { nameservers: [], searches: [], options: [] } },
    {
      name: "comments, blank lines and spacing",
      text: "# generated\n\n  nameserver\t1.1.1.1  \nnameserver 8.8.8.8 extra\ndomain lan\n",
      want: { nameservers: ["1.1.1.1", "8.8.8.8"], searches: [], options: [] },
    },
    {
      name: "the last search line wins, trailing dots and '.' dropped",
      text: "search a b\nsearch c. . d\n",
      want: { nameservers: [], searches: ["c", "d"], options: [] },
    },
    {
      name: "options accumulate, later ones replacing earlier ones by name",
      text: "options ndots:2 edns0\noptions ndots:3 rotate\n",
      want: { nameservers: [], searches: [], options: ["ndots:3", "edns0", "rotate"] },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.deepEqual(parseResolvConf(c.text), c.want));
  }
  await t.step("empty nameserver lines are errors", () => {
    assert.throws(
      () => parseResolvConf("nameserver\n"),
      new SyntaxError("nameserver list is empty "),
    );
    assert.throws(
      () => parseResolvConf("nameserver\nnameserver \n"),
      new SyntaxError("[nameserver list is empty , nameserver list is empty ]"),
    );
  });
});

Deno.test("podDnsConfig() follows the pod's dnsPolicy", async (t) => {
  const hostDns = {
    servers: ["192.168.1.1", "192.168.1.2"],
    searches: ["lan", "home"],
    options: ["edns0"],
  };
  const clusterDns = {
    servers: ["10.43.0.10"],
    searches: [...CLUSTER_SEARCH, "lan", "home"],
    options: ["ndots:5"],
  };
  const cases: {
    name: string;
    spec: Partial<NonNullable<Pod["spec"]>>;
    options?: Partial<PodDnsOptions>;
    want: unknown;
  }[] = [
    { name: "unset is ClusterFirst", spec: {}, want: clusterDns },
    { name: "ClusterFirst", spec: { dnsPolicy: "ClusterFirst" }, want: clusterDns },
    {
      name: "ClusterFirst on the host network falls back to Default",
      spec: { dnsPolicy: "ClusterFirst", hostNetwork: true },
      want: hostDns,
    },
    {
      name: "ClusterFirstWithHostNet on the host network",
      spec: { dnsPolicy: "ClusterFirstWithHostNet", hostNetwork: true },
      want: clusterDns,
    },
    { name: "Default", spec: { dnsPolicy: "Default" }, want: hostDns },
    { name: "None", spec: { dnsPolicy: "None" }, want: { servers: [], searches: [], options: [] } },
    {
      name: "several cluster DNS IPs",
      spec: {},
      options: { clusterDns: ["10.43.0.10", "fd00::a"] },
      want: { ...clusterDns, servers: ["10.43.0.10", "fd00::a"] },
    },
    {
      name: "no cluster domain adds no cluster searches",
      spec: {},
      options: { clusterDomain: "" },
      want: { ...clusterDns, searches: ["lan", "home"] },
    },
    {
      name: "host searches repeating the cluster ones are dropped",
      spec: {},
      options: { resolvConf: "search cluster.local lan\n" },
      want: { ...clusterDns, searches: [...CLUSTER_SEARCH, "lan"] },
    },
    {
      name: "Default without a resolv.conf points at the local host",
      spec: { dnsPolicy: "Default" },
      options: { resolvConf: null, nodeIps: ["10.0.0.5", "fd00::5"] },
      want: { servers: ["127.0.0.1", "::1"], searches: ["."], options: [] },
    },
    {
      name: "Default without a resolv.conf or node IPs",
      spec: { dnsPolicy: "Default" },
      options: { resolvConf: null },
      want: { servers: ["127.0.0.1"], searches: ["."], options: [] },
    },
    {
      name: "ClusterFirst without a resolv.conf",
      spec: {},
      options: { resolvConf: null },
      want: { servers: ["10.43.0.10"], searches: CLUSTER_SEARCH, options: ["ndots:5"] },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const { dns, events } = podDnsConfig(pod(c.spec), { ...OPTIONS, ...c.options });
      assert.deepEqual(dns, c.want);
      assert.deepEqual(events, []);
    });
  }
});

Deno.test("podDnsConfig() falls back to Default without cluster DNS and says so", () => {
  const { dns, events } = podDnsConfig(pod(), { ...OPTIONS, clusterDns: [] });
  assert.deepEqual(dns, {
    servers: ["192.168.1.1", "192.168.1.2"],
    searches: ["lan", "home"],
    options: ["edns0"],
  });
  const message =
    'kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" policy. Falling back to "Default" policy.';
  assert.deepEqual(events, [
    { on: "node", type: "Warning", reason: "MissingClusterDNS", message },
    {
      on: "pod",
      type: "Warning",
      reason: "MissingClusterDNS",
      message: `pod: "web_ns1(u1)". ${message}`,
    },
  ]);
});

Deno.test("podDnsConfig() merges the pod's dnsConfig", async (t) => {
  const cases: {
    name: string;
    spec: Partial<NonNullable<Pod["spec"]>>;
    want: unknown;
  }[] = [
    {
      name: "None takes the dnsConfig alone",
      spec: {
        dnsPolicy: "None",
        dnsConfig: {
          nameservers: ["1.1.1.1"],
          searches: ["a.example"],
          options: [{ name: "ndots", value: "2" }, { name: "edns0" }],
        },
      },
      want: { servers: ["1.1.1.1"], searches: ["a.example"], options: ["ndots:2", "edns0"] },
    },
    {
      name: "appended to ClusterFirst, duplicates merged, options replaced by name",
      spec: {
        dnsConfig: {
          nameservers: ["10.43.0.10", "1.1.1.1"],
          searches: ["lan", "extra"],
          options: [{ name: "ndots", value: "1" }, { name: "single-request" }],
        },
      },
      want: {
        servers: ["10.43.0.10", "1.1.1.1"],
        searches: [...CLUSTER_SEARCH, "lan", "home", "extra"],
        options: ["ndots:1", "single-request"],
      },
    },
    {
      name: "an option without value replaces one with",
      spec: { dnsPolicy: "Default", dnsConfig: { options: [{ name: "edns0", value: "" }] } },
      want: {
        servers: ["192.168.1.1", "192.168.1.2"],
        searches: ["lan", "home"],
        options: ["edns0"],
      },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.deepEqual(podDnsConfig(pod(c.spec), OPTIONS).dns, c.want);
    });
  }
});

Deno.test("podDnsConfig() keeps within resolv.conf's limits", async (t) => {
  const searchEvent = (line: string): DnsEvent => ({
    on: "pod",
    type: "Warning",
    reason: "DNSConfigForming",
    message:
      `Search Line limits were exceeded, some search paths have been omitted, the applied search line is: ${line}`,
  });
  const many = Array.from({ length: 40 }, (_, i) => `d${i}.example`);
  const long = "x".repeat(254);
  const big = Array.from({ length: 10 }, (_, i) => `${i}${"y".repeat(249)}`); // 250 each
  const cases: {
    name: string;
    dnsConfig: NonNullable<NonNullable<Pod["spec"]>["dnsConfig"]>;
    servers?: string[];
    searches?: string[];
    events: DnsEvent[];
  }[] = [
    {
      name: "at most 3 nameservers",
      dnsConfig: { nameservers: ["1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4"] },
      servers: ["1.1.1.1", "2.2.2.2", "3.3.3.3"],
      events: [{
        on: "pod",
        type: "Warning",
        reason: "DNSConfigForming",
        message:
          "Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: 1.1.1.1 2.2.2.2 3.3.3.3",
      }],
    },
    {
      name: "3 nameservers are fine",
      dnsConfig: { nameservers: ["1.1.1.1", "2.2.2.2", "3.3.3.3"] },
      servers: ["1.1.1.1", "2.2.2.2", "3.3.3.3"],
      events: [],
    },
    {
      name: "at most 32 search domains",
      dnsConfig: { searches: many },
      searches: many.slice(0, 32),
      events: [searchEvent(many.slice(0, 32).join(" "))],
    },
    {
      name: "search domains over 253 characters are dropped",
      dnsConfig: { searches: ["a.example", long, "b.example"] },
      searches: ["a.example", "b.example"],
      events: [searchEvent("a.example b.example")],
    },
    {
      name: "the search line is cut to 2048 characters from the end",
      dnsConfig: { searches: big },
      searches: big.slice(0, 8),
      events: [searchEvent(big.slice(0, 8).join(" "))],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const { dns, events } = podDnsConfig(
        pod({ dnsPolicy: "None", dnsConfig: c.dnsConfig }),
        OPTIONS,
      );
      assert.deepEqual(dns.servers, c.servers ?? []);
      assert.deepEqual(dns.searches, c.searches ?? []);
      assert.deepEqual(events, c.events);
    });
  }
});
