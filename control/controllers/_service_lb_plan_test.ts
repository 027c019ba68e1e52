import assert from "node:assert/strict";
import type { Node } from "../api/types/core_v1_node.ts";
import type { Service } from "../api/types/core_v1_service.ts";
import type { EndpointSlice } from "../api/types/discovery_v1.ts";
import {
  ENABLE_LB_LABEL,
  ingressFor,
  isServiceLbService,
  LB_POOL_LABEL,
  nodeCanServe,
  planLoadBalancers,
  servicePortKeys,
} from "./_service_lb_plan.ts";

interface NodeSpec {
  ready?: boolean;
  internal?: string[];
  external?: string[];
  labels?: Record<string, string>;
  taints?: { key: string; effect: "NoSchedule" | "NoExecute" | "PreferNoSchedule" }[];
  deleting?: boolean;
}

function node(name: string, spec: NodeSpec = {}): Node {
  return {
    metadata: {
      name,
      ...(spec.labels ? { labels: spec.labels } : {}),
      ...(spec.deleting ? { deletionTimestamp: "2025-01-01T00:00:00Z" } : {}),
    },
    spec: spec.taints ? { taints: spec.taints } : {},
    status: {
      conditions: [{ type: "Ready", status: spec.ready === false ? "False" : "True" }],
      addresses: [
        ...(spec.internal ?? []).map((address) => ({ type: "InternalIP", address })),
        ...(spec.external ?? []).map((address) => ({ type: "ExternalIP", address })),
        { type: "Hostname", address: name },
      ],
    },
  };
}

interface SvcSpec {
  ports?: [number, ("TCP" | "UDP" | "SCTP")?][];
  created?: string;
  namespace?: string;
  labels?: Record<string, string>;
  local?: boolean;
  families?: ("IPv4" | "IPv6")[];
  type?: "LoadBalancer" | "NodePort" | "ClusterIP";
  lbClass?: string;
}

function svc(name: string, spec: SvcSpec = {}): Service {
  return {
    metadata: {
      namespace: spec.namespace ?? "default",
      name,
      creationTimestamp: spec.created ?? "2025-01-01T00:00:00Z",
      ...(spec.labels ? { labels: spec.labels } : {}),
    },
    spec: {
      type: spec.type ?? "LoadBalancer",
      ports: (spec.ports ?? [[80]]).map(([port, protocol]) => ({
        port,
        protocol: protocol ?? "TCP",
      })),
      ipFamilies: spec.families ?? ["IPv4"],
      ...(spec.local ? { externalTrafficPolicy: "Local" } : {}),
      ...(spec.lbClass ? { loadBalancerClass: spec.lbClass } : {}),
    },
  };
}

function slice(service: string, endpoints: { node: string; ready: boolean; pod?: boolean }[]) {
  return {
    metadata: {
      namespace: "default",
      name: `${service}-abc`,
      labels: { "kubernetes.io/service-name": service },
    },
    addressType: "IPv4",
    endpoints: endpoints.map((e, i) => ({
      addresses: [`10.42.0.${i + 1}`],
      conditions: { ready: e.ready },
      nodeName: e.node,
      ...(e.pod === false ? {} : { targetRef: { kind: "Pod", name: `p${i}` } }),
    })),
  } as EndpointSlice;
}

function plan(
  services: Service[],
  nodes: Node[],
  slices: Record<string, EndpointSlice[]> = {},
) {
  return planLoadBalancers({
    services,
    nodes,
    slicesOf: (s) => slices[s.metadata?.name ?? ""] ?? [],
  });
}

function ips(p: ReturnType<typeof plan>, key: string): string[] {
  return (p.get(key)?.ingress ?? []).map((i) => i.ip ?? "");
}

Deno.test("isServiceLbService() takes LoadBalancers without a loadBalancerClass", () => {
  assert.equal(isServiceLbService(svc("a")), true);
  assert.equal(isServiceLbService(svc("a", { lbClass: "example.com/lb" })), false);
  assert.equal(isServiceLbService(svc("a", { type: "NodePort" })), false);
  assert.equal(isServiceLbService(svc("a", { type: "ClusterIP" })), false);
});

Deno.test("servicePortKeys() names each port with its protocol", () => {
  assert.deepEqual(servicePortKeys(svc("a", { ports: [[80], [53, "UDP"], [53, "TCP"]] })), [
    "80/TCP",
    "53/UDP",
    "53/TCP",
  ]);
});

Deno.test("nodeCanServe() wants a Ready node a svclb pod tolerates", async (t) => {
  const cases: { name: string; node: Node; can: boolean }[] = [
    { name: "ready", node: node("n"), can: true },
    { name: "not ready", node: node("n", { ready: false }), can: false },
    { name: "no Ready condition", node: { metadata: { name: "n" } }, can: false },
    { name: "being deleted", node: node("n", { deleting: true }), can: false },
    {
      name: "control-plane NoSchedule",
      node: node("n", {
        taints: [{ key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" }],
      }),
      can: true,
    },
    {
      name: "CriticalAddonsOnly NoExecute",
      node: node("n", { taints: [{ key: "CriticalAddonsOnly", effect: "NoExecute" }] }),
      can: true,
    },
    {
      name: "cordoned",
      node: node("n", {
        taints: [{ key: "node.kubernetes.io/unschedulable", effect: "NoSchedule" }],
      }),
      can: true,
    },
    {
      name: "a PreferNoSchedule taint",
      node: node("n", { taints: [{ key: "gpu", effect: "PreferNoSchedule" }] }),
      can: true,
    },
    {
      name: "another NoSchedule taint",
      node: node("n", { taints: [{ key: "gpu", effect: "NoSchedule" }] }),
      can: false,
    },
    {
      name: "another NoExecute taint",
      node: node("n", { taints: [{ key: "dedicated", effect: "NoExecute" }] }),
      can: false,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.equal(nodeCanServe(c.node), c.can));
  }
});

Deno.test("planLoadBalancers() gives every Ready node's InternalIP, sorted, ipMode VIP", () => {
  const p = plan([svc("web")], [
    node("c", { internal: ["10.0.0.9"] }),
    node("a", { internal: ["10.0.0.10"] }),
    node("b", { internal: ["10.0.0.2"], ready: false }),
  ]);
  const web = p.get("default/web")!;
  // Sorted as strings, as k3s sorts them.
  assert.deepEqual(web.ingress, [
    { ip: "10.0.0.10", ipMode: "VIP" },
    { ip: "10.0.0.9", ipMode: "VIP" },
  ]);
  assert.deepEqual(web.nodes, ["a", "c"]);
  assert.equal(web.pending, undefined);
});

Deno.test("planLoadBalancers() takes only ExternalIPs once any serving node has one", () => {
  const p = plan([svc("web")], [
    node("a", { internal: ["10.0.0.1"], external: ["203.0.113.1"] }),
    node("b", { internal: ["10.0.0.2"] }),
  ]);
  assert.deepEqual(ips(p, "default/web"), ["203.0.113.1"]);
});

Deno.test("planLoadBalancers() keeps to enablelb nodes and the Service's pool once nodes opt in", async (t) => {
  await t.step("no node labelled: all nodes", () => {
    const p = plan([svc("web")], [
      node("a", { internal: ["10.0.0.1"] }),
      node("b", { internal: ["10.0.0.2"] }),
    ]);
    assert.deepEqual(ips(p, "default/web"), ["10.0.0.1", "10.0.0.2"]);
  });
  await t.step("a label of any value: only enablelb=true", () => {
    const p = plan([svc("web")], [
      node("a", { internal: ["10.0.0.1"], labels: { [ENABLE_LB_LABEL]: "false" } }),
      node("b", { internal: ["10.0.0.2"] }),
    ]);
    assert.deepEqual(p.get("default/web")?.pending, { reason: "NoNodes" });
    const q = plan([svc("web")], [
      node("a", { internal: ["10.0.0.1"], labels: { [ENABLE_LB_LABEL]: "true" } }),
      node("b", { internal: ["10.0.0.2"] }),
    ]);
    assert.deepEqual(ips(q, "default/web"), ["10.0.0.1"]);
  });
  await t.step("pools", () => {
    const nodes = [
      node("a", {
        internal: ["10.0.0.1"],
        labels: { [ENABLE_LB_LABEL]: "true", [LB_POOL_LABEL]: "x" },
      }),
      node("b", {
        internal: ["10.0.0.2"],
        labels: { [ENABLE_LB_LABEL]: "true", [LB_POOL_LABEL]: "y" },
      }),
      node("c", { internal: ["10.0.0.3"], labels: { [ENABLE_LB_LABEL]: "true" } }),
    ];
    const p = plan([
      svc("in-x", { labels: { [LB_POOL_LABEL]: "x" } }),
      svc("anywhere", { ports: [[8080]] }),
    ], nodes);
    assert.deepEqual(ips(p, "default/in-x"), ["10.0.0.1"]);
    assert.deepEqual(ips(p, "default/anywhere"), ["10.0.0.1", "10.0.0.2", "10.0.0.3"]);
  });
  await t.step("a pool label without opted-in nodes is ignored", () => {
    const p = plan([svc("in-x", { labels: { [LB_POOL_LABEL]: "x" } })], [
      node("a", { internal: ["10.0.0.1"] }),
    ]);
    assert.deepEqual(ips(p, "default/in-x"), ["10.0.0.1"]);
  });
});

Deno.test("planLoadBalancers() gives a port and protocol to the oldest Service on each node", async (t) => {
  const nodes = [node("a", { internal: ["10.0.0.1"] }), node("b", { internal: ["10.0.0.2"] })];
  await t.step("the younger Service stays pending, naming the port and the holder", () => {
    const p = plan([
      svc("young", { created: "2025-01-02T00:00:00Z", ports: [[80], [443]] }),
      svc("old", { created: "2025-01-01T00:00:00Z", namespace: "shop" }),
    ], nodes);
    assert.deepEqual(ips(p, "shop/old"), ["10.0.0.1", "10.0.0.2"]);
    assert.deepEqual(p.get("default/young"), {
      nodes: [],
      ingress: [],
      pending: { reason: "PortsInUse", ports: ["80/TCP"], holders: ["shop/old"] },
    });
  });
  await t.step("same age: by namespace/name", () => {
    const p = plan([svc("b"), svc("a")], nodes);
    assert.deepEqual(ips(p, "default/a"), ["10.0.0.1", "10.0.0.2"]);
    assert.equal(p.get("default/b")?.pending?.reason, "PortsInUse");
  });
  await t.step("another protocol on the same port is no clash", () => {
    const p = plan([svc("tcp"), svc("udp", { ports: [[80, "UDP"]] })], nodes);
    assert.deepEqual(ips(p, "default/udp"), ["10.0.0.1", "10.0.0.2"]);
  });
  await t.step("a clash on some nodes leaves the others", () => {
    const pooled = [
      node("a", {
        internal: ["10.0.0.1"],
        labels: { [ENABLE_LB_LABEL]: "true", [LB_POOL_LABEL]: "x" },
      }),
      node("b", { internal: ["10.0.0.2"], labels: { [ENABLE_LB_LABEL]: "true" } }),
    ];
    const p = plan([
      svc("old", { labels: { [LB_POOL_LABEL]: "x" } }),
      svc("young", { created: "2025-01-02T00:00:00Z" }),
    ], pooled);
    assert.deepEqual(ips(p, "default/old"), ["10.0.0.1"]);
    assert.deepEqual(ips(p, "default/young"), ["10.0.0.2"]);
  });
  await t.step("Services of another class hold no port", () => {
    const p = plan([svc("theirs", { lbClass: "example.com/lb" }), svc("ours")], nodes);
    assert.equal(p.has("default/theirs"), false);
    assert.deepEqual(ips(p, "default/ours"), ["10.0.0.1", "10.0.0.2"]);
  });
});

Deno.test("planLoadBalancers() with externalTrafficPolicy Local keeps nodes with a ready pod endpoint", () => {
  const nodes = [
    node("a", { internal: ["10.0.0.1"] }),
    node("b", { internal: ["10.0.0.2"] }),
    node("c", { internal: ["10.0.0.3"] }),
  ];
  const p = plan(
    [svc("web", { local: true }), svc("none", { local: true, ports: [[81]] })],
    nodes,
    {
      web: [slice("web", [
        { node: "b", ready: true },
        { node: "c", ready: false },
        { node: "a", ready: true, pod: false },
      ])],
      none: [slice("none", [{ node: "a", ready: false }])],
    },
  );
  assert.deepEqual(ips(p, "default/web"), ["10.0.0.2"]);
  assert.deepEqual(p.get("default/none")?.pending, { reason: "NoLocalEndpoints" });
});

Deno.test("ingressFor() follows the Service's IP families and their order", async (t) => {
  const nodes = [
    node("a", { internal: ["10.0.0.1", "fd00::1"] }),
    node("b", { internal: ["fd00::2", "10.0.0.2"] }),
  ];
  const cases: { families: ("IPv4" | "IPv6")[]; ips: string[] }[] = [
    { families: ["IPv4"], ips: ["10.0.0.1", "10.0.0.2"] },
    { families: ["IPv6"], ips: ["fd00::1", "fd00::2"] },
    { families: ["IPv6", "IPv4"], ips: ["fd00::1", "fd00::2", "10.0.0.1", "10.0.0.2"] },
  ];
  for (const c of cases) {
    await t.step(c.families.join(","), () => {
      assert.deepEqual(
        ingressFor(svc("web", { families: c.families }), nodes).map((i) => i.ip),
        c.ips,
      );
    });
  }
});
