import assert from "node:assert/strict";
import type { ProxyEndpoint } from "./endpoint_selection.ts";
import { staleUdpFlows } from "./conntrack_cleanup.ts";
import type { ProxyServicePort } from "./service_ports.ts";

function ep(ip: string): ProxyEndpoint {
  return {
    ip,
    port: 53,
    ready: true,
    serving: true,
    terminating: false,
    nodeName: "",
    zoneHints: [],
  };
}

function port(init: Partial<ProxyServicePort>): ProxyServicePort {
  return {
    id: "kube-system/dns/udp/53",
    protocol: "udp",
    port: 53,
    clusterIPs: ["10.43.0.53"],
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

Deno.test("staleUdpFlows() flushes what a UDP port stopped using", async (t) => {
  const cases: {
    name: string;
    before: ProxyServicePort[];
    after: ProxyServicePort[];
    want: string[];
  }[] = [
    {
      name: "an endpoint gone: entries to it from every address and the node port",
      before: [
        port({
          cluster: [ep("10.42.0.5"), ep("10.42.0.6")],
          externalIPs: ["192.0.2.1"],
          nodePort: 30053,
        }),
      ],
      after: [port({ cluster: [ep("10.42.0.6")], externalIPs: ["192.0.2.1"], nodePort: 30053 })],
      want: [
        "conntrack -D -p udp --orig-dst 10.43.0.53 --dst-nat 10.42.0.5",
        "conntrack -D -p udp --orig-dst 192.0.2.1 --dst-nat 10.42.0.5",
        "conntrack -D -p udp --orig-port-dst 30053 --dst-nat 10.42.0.5",
      ],
    },
    {
      name: "a Service deleted: all its endpoints",
      before: [port({ cluster: [ep("10.42.0.5")] })],
      after: [],
      want: ["conntrack -D -p udp --orig-dst 10.43.0.53 --dst-nat 10.42.0.5"],
    },
    {
      name: "first endpoints: entries made while traffic was rejected",
      before: [port({})],
      after: [port({ cluster: [ep("10.42.0.5")] })],
      want: ["conntrack -D -p udp --orig-dst 10.43.0.53 --orig-port-dst 53"],
    },
    {
      name: "nothing for TCP or unchanged endpoints",
      before: [
        port({ protocol: "tcp", cluster: [ep("10.42.0.5")] }),
        port({ id: "x", cluster: [ep("10.42.0.9")] }),
      ],
      after: [port({ id: "x", cluster: [ep("10.42.0.9")] })],
      want: [],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.deepEqual(staleUdpFlows(c.before, c.after).map((argv) => argv.join(" ")), c.want);
    });
  }
});
