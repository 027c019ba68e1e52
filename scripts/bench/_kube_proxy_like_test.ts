import assert from "node:assert/strict";
import { kubeProxyLikeRuleset } from "./_kube_proxy_like.ts";

Deno.test("kubeProxyLikeRuleset() makes a service chain and a chain per endpoint", () => {
  const text = kubeProxyLikeRuleset([{ name: "s0", ip: "10.43.0.5", endpoints: ["10.44.0.1"] }], {
    table: "kp",
    clusterCidr: "10.42.0.0/16",
  });
  assert.equal(
    text,
    `add table ip kp
delete table ip kp
add table ip kp
add map ip kp service-ips { type ipv4_addr . inet_proto . inet_service : verdict; }
add chain ip kp mark-for-masquerade
add rule ip kp mark-for-masquerade meta mark set meta mark | 0x00004000
add chain ip kp service-default/s0/tcp/80
add chain ip kp endpoint-default/s0/tcp/80__10.44.0.1/8080
add rule ip kp service-default/s0/tcp/80 ip daddr 10.43.0.5 tcp dport 80 ip saddr != 10.42.0.0/16 jump mark-for-masquerade
add rule ip kp service-default/s0/tcp/80 numgen random mod 1 vmap { 0 : goto endpoint-default/s0/tcp/80__10.44.0.1/8080 }
add rule ip kp endpoint-default/s0/tcp/80__10.44.0.1/8080 ip saddr 10.44.0.1 jump mark-for-masquerade
add rule ip kp endpoint-default/s0/tcp/80__10.44.0.1/8080 meta l4proto tcp dnat to 10.44.0.1:8080
add element ip kp service-ips { 10.43.0.5 . tcp . 80 : goto service-default/s0/tcp/80 }
`,
  );
});
