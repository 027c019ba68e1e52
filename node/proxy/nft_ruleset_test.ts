import assert from "node:assert/strict";
import type { ProxyEndpoint } from "./endpoint_selection.ts";
import {
  type FragmentOptions,
  nftBaseCommands,
  serviceFragment,
  sharedChainRules,
} from "./nft_ruleset.ts";
import type { ProxyServicePort } from "./service_ports.ts";

const OPTIONS: FragmentOptions = {
  table: "skiff-proxy",
  clusterCidr: "10.42.0.0/16",
  serviceCidrs: ["10.43.0.0/16"],
  nodeIPs: ["192.0.2.10"],
  localServiceIPs: ["10.43.0.10"],
  nodeName: "n1",
};

function ep(ip: string, nodeName = "n1"): ProxyEndpoint {
  return {
    ip,
    port: 8080,
    ready: true,
    serving: true,
    terminating: false,
    nodeName,
    zoneHints: [],
  };
}

function port(init: Partial<ProxyServicePort>): ProxyServicePort {
  return {
    id: "shop/web/tcp/80",
    protocol: "tcp",
    port: 80,
    clusterIPs: ["10.43.0.5"],
    externalIPs: [],
    nodePort: 0,
    internalLocal: false,
    externalLocal: false,
    affinitySeconds: 0,
    cluster: [],
    local: [],
    hasAnyEndpoints: false,
    ...init,
  };
}

/** A fragment as lines: `<map> <element>`, `<chain>: <rule>`, `set <name> <timeout>`. */
function render(ports: ProxyServicePort[]): string {
  const f = serviceFragment(ports, OPTIONS);
  return [
    ...f.elements.map((e) => `${e.map} ${e.value === "" ? e.key : `${e.key} : ${e.value}`}`),
    ...f.chains.flatMap((c) => c.rules.map((r) => `${c.name}: ${r}`)),
    ...f.affinitySets.map((s) => `set ${s.name} ${s.timeoutSeconds}s`),
  ].join("\n") + "\n";
}

const A = ep("10.42.0.7");
const B = ep("10.42.1.4", "n2");

Deno.test("nftBaseCommands() writes the fixed table", () => {
  assert.equal(
    nftBaseCommands(OPTIONS).join("\n") + "\n",
    `add table ip skiff-proxy { comment "skiff service proxy"; }
add map ip skiff-proxy service-ips { type ipv4_addr . inet_proto . inet_service : verdict; }
add map ip skiff-proxy service-nodeports { type inet_proto . inet_service : verdict; }
add map ip skiff-proxy no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict; }
add map ip skiff-proxy no-endpoint-nodeports { type inet_proto . inet_service : verdict; }
add set ip skiff-proxy cluster-ips { type ipv4_addr; }
add set ip skiff-proxy hairpin { type ipv4_addr . ipv4_addr; }
add map ip skiff-proxy endpoints-tcp { typeof ip daddr . tcp dport . numgen random mod 1 : ip daddr . tcp dport; }
add map ip skiff-proxy nodeport-endpoints-tcp { typeof tcp dport . numgen random mod 1 : ip daddr . tcp dport; }
add map ip skiff-proxy endpoints-udp { typeof ip daddr . udp dport . numgen random mod 1 : ip daddr . udp dport; }
add map ip skiff-proxy nodeport-endpoints-udp { typeof udp dport . numgen random mod 1 : ip daddr . udp dport; }
add map ip skiff-proxy endpoints-sctp { typeof ip daddr . sctp dport . numgen random mod 1 : ip daddr . sctp dport; }
add map ip skiff-proxy nodeport-endpoints-sctp { typeof sctp dport . numgen random mod 1 : ip daddr . sctp dport; }
add set ip skiff-proxy nodeport-ips { type ipv4_addr; elements = { 192.0.2.10 }; }
add chain ip skiff-proxy filter-input { type filter hook input priority -110; policy accept; }
add chain ip skiff-proxy filter-forward { type filter hook forward priority -110; policy accept; }
add chain ip skiff-proxy filter-output { type filter hook output priority -110; policy accept; }
add chain ip skiff-proxy filter-output-post-dnat { type filter hook output priority -90; policy accept; }
add chain ip skiff-proxy nat-prerouting { type nat hook prerouting priority -100; policy accept; }
add chain ip skiff-proxy nat-output { type nat hook output priority -100; policy accept; }
add chain ip skiff-proxy nat-postrouting { type nat hook postrouting priority 100; policy accept; }
add chain ip skiff-proxy services
add chain ip skiff-proxy masquerading
add chain ip skiff-proxy mark-for-masquerade
add chain ip skiff-proxy reject-chain
add chain ip skiff-proxy service-endpoints-check
add chain ip skiff-proxy nodeport-endpoints-check
add chain ip skiff-proxy cluster-ips-check
add rule ip skiff-proxy filter-input ct state new jump nodeport-endpoints-check
add rule ip skiff-proxy filter-input ct state new jump service-endpoints-check
add rule ip skiff-proxy filter-forward ct state new jump service-endpoints-check
add rule ip skiff-proxy filter-forward ct state new jump cluster-ips-check
add rule ip skiff-proxy filter-output ct state new jump service-endpoints-check
add rule ip skiff-proxy filter-output-post-dnat ct state new jump cluster-ips-check
add rule ip skiff-proxy nat-prerouting jump services
add rule ip skiff-proxy nat-output jump services
add rule ip skiff-proxy nat-postrouting jump masquerading
add rule ip skiff-proxy services ip daddr . meta l4proto . th dport vmap @service-ips
add rule ip skiff-proxy services ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports
add rule ip skiff-proxy mark-for-masquerade meta mark set meta mark | 0x00004000
add rule ip skiff-proxy masquerading ip saddr . ip daddr @hairpin meta mark set meta mark | 0x00004000
add rule ip skiff-proxy masquerading meta mark & 0x00004000 == 0x00000000 return
add rule ip skiff-proxy masquerading meta mark set meta mark ^ 0x00004000
add rule ip skiff-proxy masquerading masquerade fully-random
add rule ip skiff-proxy reject-chain meta l4proto tcp reject with tcp reset
add rule ip skiff-proxy reject-chain reject
add rule ip skiff-proxy service-endpoints-check ip daddr . meta l4proto . th dport vmap @no-endpoint-services
add rule ip skiff-proxy nodeport-endpoints-check ip daddr @nodeport-ips meta l4proto . th dport vmap @no-endpoint-nodeports
add rule ip skiff-proxy cluster-ips-check ip daddr { 10.43.0.10 } return
add rule ip skiff-proxy cluster-ips-check ip daddr @cluster-ips goto reject-chain
add rule ip skiff-proxy cluster-ips-check ip daddr { 10.43.0.0/16 } drop
`,
  );
});

Deno.test("nftBaseCommands() without node IPs, pods or local IPs", () => {
  const lines = nftBaseCommands({
    table: "t",
    serviceCidrs: ["10.43.0.0/16", "fd00::/108"],
    nodeIPs: [],
    localServiceIPs: [],
  });
  assert.ok(!lines.some((l) => l.includes("nodeport-ips")));
  assert.ok(lines.includes(
    "add rule ip t services fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports",
  ));
  assert.ok(!lines.some((l) => l.includes("return") && l.includes("cluster-ips-check")));
  assert.ok(lines.includes("add rule ip t cluster-ips-check ip daddr { 10.43.0.0/16 } drop"));
});

Deno.test("serviceFragment() renders each Service shape", async (t) => {
  const cases: { name: string; ports: ProxyServicePort[]; golden: string }[] = [
    {
      name: "ClusterIP: a shared chain and endpoint elements",
      ports: [port({ cluster: [A, B], hasAnyEndpoints: true })],
      golden: `cluster-ips 10.43.0.5
hairpin 10.42.0.7 . 10.42.0.7
service-ips 10.43.0.5 . tcp . 80 : goto cluster-tcp-2
endpoints-tcp 10.43.0.5 . 80 . 0 : 10.42.0.7 . 8080
endpoints-tcp 10.43.0.5 . 80 . 1 : 10.42.1.4 . 8080
cluster-tcp-2: ip saddr != 10.42.0.0/16 jump mark-for-masquerade
cluster-tcp-2: dnat ip addr . port to ip daddr . tcp dport . numgen random mod 2 map @endpoints-tcp
`,
    },
    {
      name: "no endpoints: every address rejects",
      ports: [port({ externalIPs: ["192.0.2.7"], nodePort: 30080 })],
      golden: `cluster-ips 10.43.0.5
no-endpoint-services 10.43.0.5 . tcp . 80 : goto reject-chain
no-endpoint-services 192.0.2.7 . tcp . 80 : goto reject-chain
no-endpoint-nodeports tcp . 30080 : goto reject-chain
`,
    },
    {
      name: "internalTrafficPolicy Local without local endpoints drops",
      ports: [port({ internalLocal: true, hasAnyEndpoints: true })],
      golden: `cluster-ips 10.43.0.5
no-endpoint-services 10.43.0.5 . tcp . 80 : drop
`,
    },
    {
      name: "internalTrafficPolicy Local with a local endpoint",
      ports: [port({ internalLocal: true, local: [A], hasAnyEndpoints: true })],
      golden: `cluster-ips 10.43.0.5
hairpin 10.42.0.7 . 10.42.0.7
service-ips 10.43.0.5 . tcp . 80 : goto cluster-tcp-1
endpoints-tcp 10.43.0.5 . 80 . 0 : 10.42.0.7 . 8080
cluster-tcp-1: ip saddr != 10.42.0.0/16 jump mark-for-masquerade
cluster-tcp-1: dnat ip addr . port to ip daddr . tcp dport . numgen random mod 1 map @endpoints-tcp
`,
    },
    {
      name: "UDP NodePort and external IP with Cluster policy masquerade",
      ports: [port({
        protocol: "udp",
        id: "shop/web/udp/80",
        externalIPs: ["192.0.2.7"],
        nodePort: 30080,
        cluster: [A, B],
        hasAnyEndpoints: true,
      })],
      golden: `cluster-ips 10.43.0.5
hairpin 10.42.0.7 . 10.42.0.7
service-ips 10.43.0.5 . udp . 80 : goto cluster-udp-2
endpoints-udp 10.43.0.5 . 80 . 0 : 10.42.0.7 . 8080
endpoints-udp 10.43.0.5 . 80 . 1 : 10.42.1.4 . 8080
service-ips 192.0.2.7 . udp . 80 : goto external-udp-2
endpoints-udp 192.0.2.7 . 80 . 0 : 10.42.0.7 . 8080
endpoints-udp 192.0.2.7 . 80 . 1 : 10.42.1.4 . 8080
service-nodeports udp . 30080 : goto nodeport-udp-2
nodeport-endpoints-udp 30080 . 0 : 10.42.0.7 . 8080
nodeport-endpoints-udp 30080 . 1 : 10.42.1.4 . 8080
cluster-udp-2: ip saddr != 10.42.0.0/16 jump mark-for-masquerade
cluster-udp-2: dnat ip addr . port to ip daddr . udp dport . numgen random mod 2 map @endpoints-udp
external-udp-2: jump mark-for-masquerade
external-udp-2: dnat ip addr . port to ip daddr . udp dport . numgen random mod 2 map @endpoints-udp
nodeport-udp-2: jump mark-for-masquerade
nodeport-udp-2: dnat ip addr . port to udp dport . numgen random mod 2 map @nodeport-endpoints-udp
`,
    },
    {
      name: "externalTrafficPolicy Local: cluster indexes, then local ones",
      ports: [port({
        nodePort: 30080,
        externalLocal: true,
        cluster: [A, B],
        local: [A],
        hasAnyEndpoints: true,
      })],
      golden: `cluster-ips 10.43.0.5
hairpin 10.42.0.7 . 10.42.0.7
service-ips 10.43.0.5 . tcp . 80 : goto cluster-tcp-2
endpoints-tcp 10.43.0.5 . 80 . 0 : 10.42.0.7 . 8080
endpoints-tcp 10.43.0.5 . 80 . 1 : 10.42.1.4 . 8080
service-nodeports tcp . 30080 : goto nodeport-local-tcp-2-1
nodeport-endpoints-tcp 30080 . 0 : 10.42.0.7 . 8080
nodeport-endpoints-tcp 30080 . 1 : 10.42.1.4 . 8080
nodeport-endpoints-tcp 30080 . 2 : 10.42.0.7 . 8080
cluster-tcp-2: ip saddr != 10.42.0.0/16 jump mark-for-masquerade
cluster-tcp-2: dnat ip addr . port to ip daddr . tcp dport . numgen random mod 2 map @endpoints-tcp
nodeport-local-tcp-2-1: ip saddr 10.42.0.0/16 dnat ip addr . port to tcp dport . numgen random mod 2 map @nodeport-endpoints-tcp
nodeport-local-tcp-2-1: fib saddr type local jump mark-for-masquerade
nodeport-local-tcp-2-1: fib saddr type local dnat ip addr . port to tcp dport . numgen random mod 2 map @nodeport-endpoints-tcp
nodeport-local-tcp-2-1: dnat ip addr . port to tcp dport . numgen random mod 1 offset 2 map @nodeport-endpoints-tcp
`,
    },
    {
      name: "ClientIP affinity: per-port chains and per-endpoint sets",
      ports: [
        port({ affinitySeconds: 60, nodePort: 30080, cluster: [A, B], hasAnyEndpoints: true }),
      ],
      golden: `cluster-ips 10.43.0.5
hairpin 10.42.0.7 . 10.42.0.7
service-ips 10.43.0.5 . tcp . 80 : goto svc-shop/web/tcp/80
service-nodeports tcp . 30080 : goto ext-shop/web/tcp/80
svc-shop/web/tcp/80: ip daddr 10.43.0.5 ip saddr != 10.42.0.0/16 jump mark-for-masquerade
svc-shop/web/tcp/80: ip saddr @aff-shop/web/tcp/80__10.42.0.7/8080__60 goto ep-shop/web/tcp/80__10.42.0.7/8080
svc-shop/web/tcp/80: ip saddr @aff-shop/web/tcp/80__10.42.1.4/8080__60 goto ep-shop/web/tcp/80__10.42.1.4/8080
svc-shop/web/tcp/80: numgen random mod 2 vmap { 0 : goto ep-shop/web/tcp/80__10.42.0.7/8080, 1 : goto ep-shop/web/tcp/80__10.42.1.4/8080 }
ext-shop/web/tcp/80: jump mark-for-masquerade
ext-shop/web/tcp/80: goto svc-shop/web/tcp/80
ep-shop/web/tcp/80__10.42.0.7/8080: update @aff-shop/web/tcp/80__10.42.0.7/8080__60 { ip saddr }
ep-shop/web/tcp/80__10.42.0.7/8080: meta l4proto tcp dnat to 10.42.0.7:8080
ep-shop/web/tcp/80__10.42.1.4/8080: update @aff-shop/web/tcp/80__10.42.1.4/8080__60 { ip saddr }
ep-shop/web/tcp/80__10.42.1.4/8080: meta l4proto tcp dnat to 10.42.1.4:8080
set aff-shop/web/tcp/80__10.42.0.7/8080__60 60s
set aff-shop/web/tcp/80__10.42.1.4/8080__60 60s
`,
    },
    {
      name: "affinity with externalTrafficPolicy Local and no local endpoint drops outside traffic",
      ports: [port({
        affinitySeconds: 10,
        nodePort: 30080,
        externalLocal: true,
        cluster: [B],
        hasAnyEndpoints: true,
      })],
      golden: `cluster-ips 10.43.0.5
service-ips 10.43.0.5 . tcp . 80 : goto svc-shop/web/tcp/80
service-nodeports tcp . 30080 : goto ext-shop/web/tcp/80
svc-shop/web/tcp/80: ip daddr 10.43.0.5 ip saddr != 10.42.0.0/16 jump mark-for-masquerade
svc-shop/web/tcp/80: ip saddr @aff-shop/web/tcp/80__10.42.1.4/8080__10 goto ep-shop/web/tcp/80__10.42.1.4/8080
svc-shop/web/tcp/80: numgen random mod 1 vmap { 0 : goto ep-shop/web/tcp/80__10.42.1.4/8080 }
ext-shop/web/tcp/80: ip saddr 10.42.0.0/16 goto svc-shop/web/tcp/80
ext-shop/web/tcp/80: fib saddr type local jump mark-for-masquerade
ext-shop/web/tcp/80: fib saddr type local goto svc-shop/web/tcp/80
ext-shop/web/tcp/80: drop
ep-shop/web/tcp/80__10.42.1.4/8080: update @aff-shop/web/tcp/80__10.42.1.4/8080__10 { ip saddr }
ep-shop/web/tcp/80__10.42.1.4/8080: meta l4proto tcp dnat to 10.42.1.4:8080
set aff-shop/web/tcp/80__10.42.1.4/8080__10 10s
`,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.equal(render(c.ports), c.golden));
  }
});

Deno.test("sharedChainRules() refuses names that are no shape", () => {
  assert.throws(() => sharedChainRules("cluster-icmp-2", OPTIONS), TypeError);
  assert.deepEqual(sharedChainRules("external-local-sctp-3-0", { ...OPTIONS, clusterCidr: "" }), [
    "fib saddr type local jump mark-for-masquerade",
    "fib saddr type local dnat ip addr . port to ip daddr . sctp dport . numgen random mod 3 map @endpoints-sctp",
    "drop",
  ]);
});
