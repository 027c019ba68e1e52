import assert from "node:assert/strict";
import type { Service } from "../../control/api/types/core_v1_service.ts";
import type { EndpointSlice } from "../../control/api/types/discovery_v1.ts";
import { proxyServicePorts, serviceKey, type ServicePortContext } from "./service_ports.ts";

const CONTEXT: ServicePortContext = {
  nodeName: "n1",
  zone: "",
  localServiceIPs: new Set(["10.43.0.10"]),
};

function service(spec: Service["spec"] & object, status?: Service["status"]): Service {
  return {
    metadata: { namespace: "shop", name: "web" },
    spec: { clusterIP: "10.43.0.5", clusterIPs: ["10.43.0.5"], ...spec },
    ...(status ? { status } : {}),
  };
}

const SLICE: EndpointSlice = {
  metadata: { name: "web-1", namespace: "shop" },
  addressType: "IPv4",
  ports: [{ name: "", port: 8080, protocol: "TCP" }],
  endpoints: [
    { addresses: ["10.42.0.7"], nodeName: "n1" },
    { addresses: ["10.42.1.4"], nodeName: "n2" },
  ],
};

const PORT = { port: 80, protocol: "TCP" as const, targetPort: 8080, nodePort: 30080 };

Deno.test("serviceKey() is namespace/name", () => {
  assert.equal(serviceKey(service({})), "shop/web");
});

Deno.test("proxyServicePorts() gives no ports to Services the proxy leaves alone", async (t) => {
  const cases: [string, Service][] = [
    ["ExternalName", service({ type: "ExternalName", externalName: "example.com", ports: [PORT] })],
    ["headless", service({ clusterIP: "None", clusterIPs: ["None"], ports: [PORT] })],
    ["no cluster IP yet", service({ clusterIP: "", clusterIPs: [], ports: [PORT] })],
    ["IPv6 only", service({ clusterIP: "fd00::5", clusterIPs: ["fd00::5"], ports: [PORT] })],
    [
      "served on the node",
      service({ clusterIP: "10.43.0.10", clusterIPs: ["10.43.0.10"], ports: [PORT] }),
    ],
  ];
  for (const [name, svc] of cases) {
    await t.step(name, () => {
      assert.deepEqual(proxyServicePorts(svc, { slices: [SLICE], context: CONTEXT }), []);
    });
  }
});

Deno.test("proxyServicePorts() collects addresses, policies and endpoints per port", () => {
  const [port, ...rest] = proxyServicePorts(
    service({
      type: "LoadBalancer",
      externalIPs: ["192.0.2.7", "fd00::7"],
      externalTrafficPolicy: "Local",
      sessionAffinity: "ClientIP",
      ports: [PORT, { port: 81, protocol: "UDP", targetPort: 53 }],
    }, {
      loadBalancer: {
        ingress: [{ ip: "192.0.2.9" }, { ip: "192.0.2.7" }, { ip: "192.0.2.11", ipMode: "Proxy" }, {
          hostname: "lb.example.com",
        }],
      },
    }),
    { slices: [SLICE], context: CONTEXT },
  );
  assert.ok(port);
  assert.equal(port.id, "shop/web/tcp/80");
  assert.deepEqual(port.clusterIPs, ["10.43.0.5"]);
  assert.deepEqual(port.externalIPs, ["192.0.2.7", "192.0.2.9"]);
  assert.equal(port.nodePort, 30080);
  assert.equal(port.externalLocal, true);
  assert.equal(port.internalLocal, false);
  assert.equal(port.affinitySeconds, 10800);
  assert.deepEqual(port.cluster.map((e) => e.ip), ["10.42.0.7", "10.42.1.4"]);
  assert.deepEqual(port.local.map((e) => e.ip), ["10.42.0.7"]);
  assert.equal(port.hasAnyEndpoints, true);
  // The UDP port matches no slice port: no endpoints.
  assert.equal(rest.length, 1);
  assert.equal(rest[0]!.id, "shop/web/udp/81");
  assert.deepEqual(rest[0]!.cluster, []);
  assert.equal(rest[0]!.hasAnyEndpoints, false);
});

Deno.test("proxyServicePorts() uses node ports only for NodePort and LoadBalancer types", () => {
  const [clusterIP] = proxyServicePorts(service({ type: "ClusterIP", ports: [PORT] }), {
    slices: [SLICE],
    context: CONTEXT,
  });
  assert.equal(clusterIP!.nodePort, 0);
  assert.equal(clusterIP!.externalLocal, false);
  const [nodePort] = proxyServicePorts(
    service({
      type: "NodePort",
      ports: [PORT],
      sessionAffinity: "ClientIP",
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } },
    }),
    { slices: [SLICE], context: CONTEXT },
  );
  assert.equal(nodePort!.nodePort, 30080);
  assert.equal(nodePort!.affinitySeconds, 60);
  // Ingress IPs count only for LoadBalancer Services.
  const [notLb] = proxyServicePorts(
    service({ type: "NodePort", ports: [PORT] }, {
      loadBalancer: { ingress: [{ ip: "192.0.2.9" }] },
    }),
    { slices: [SLICE], context: CONTEXT },
  );
  assert.deepEqual(notLb!.externalIPs, []);
});
