import assert from "node:assert/strict";
import type { Service } from "../types/core_v1_service.ts";
import {
  allocationInternalMessage,
  applyServiceAllocation,
  clusterIPAllocationError,
  createServiceStrategy,
  DEFAULT_NODE_PORT_RANGE,
  nodePortAllocationError,
  normalizeClusterIPs,
  planServiceAllocation,
  serviceStrategy,
  serviceWarnings,
} from "./service.ts";

function svc(spec: Service["spec"], extra: Partial<Service> = {}): Service {
  return { metadata: { name: "web", namespace: "default" }, ...extra, ...(spec ? { spec } : {}) };
}

/** Runs the create path of the generic handler: default, prepare, allocate, validate. */
function create(obj: Service, ips: string[] = ["10.43.0.10"]): string[] {
  serviceStrategy.default!(obj);
  serviceStrategy.prepareForCreate!(obj);
  const plan = planServiceAllocation(obj);
  let next = 30000;
  applyServiceAllocation(obj, {
    clusterIPs: new Map(plan.clusterIPs.map((r, i) => [r.index, r.ip ?? ips[i]!])),
    nodePorts: new Map(plan.allocateNodePorts.map((i) => [i, next++])),
    ...(plan.healthCheckNodePort === "allocate" ? { healthCheckNodePort: 32000 } : {}),
  });
  return serviceStrategy.validate!(obj).map(String);
}

Deno.test("serviceStrategy names are DNS-1035 labels", () => {
  assert.equal(serviceStrategy.nameRule, "dns1035");
});

Deno.test("serviceStrategy.default() applies upstream's Service defaults", async (t) => {
  await t.step("ClusterIP", () => {
    const obj = svc({ ports: [{ port: 80 }, { port: 53, protocol: "UDP", targetPort: "dns" }] });
    serviceStrategy.default!(obj);
    assert.deepEqual(obj.spec, {
      ports: [
        { port: 80, protocol: "TCP", targetPort: 80 },
        { port: 53, protocol: "UDP", targetPort: "dns" },
      ],
      sessionAffinity: "None",
      type: "ClusterIP",
      internalTrafficPolicy: "Cluster",
    });
  });
  await t.step("LoadBalancer", () => {
    const obj = svc({ type: "LoadBalancer", ports: [{ port: 443, targetPort: 0 }] });
    obj.status = { loadBalancer: { ingress: [{ ip: "192.0.2.1" }] } };
    serviceStrategy.default!(obj);
    assert.equal(obj.spec?.externalTrafficPolicy, "Cluster");
    assert.equal(obj.spec?.allocateLoadBalancerNodePorts, true);
    assert.equal(obj.spec?.ports?.[0]?.targetPort, 443);
    assert.equal(obj.status.loadBalancer?.ingress?.[0]?.ipMode, "VIP");
  });
  await t.step("ClientIP affinity", () => {
    const obj = svc({ sessionAffinity: "ClientIP", ports: [{ port: 80 }] });
    serviceStrategy.default!(obj);
    assert.deepEqual(obj.spec?.sessionAffinityConfig, { clientIP: { timeoutSeconds: 10800 } });
  });
  await t.step("ExternalName", () => {
    const obj = svc({ type: "ExternalName", externalName: "db.example.com" });
    serviceStrategy.default!(obj);
    assert.equal(obj.spec?.internalTrafficPolicy, undefined);
    assert.equal(obj.spec?.externalTrafficPolicy, undefined);
  });
});

Deno.test("serviceStrategy.prepareForCreate() sets single-stack IPv4 families and clears status", () => {
  const obj = svc({ clusterIP: "10.43.0.20", ports: [{ port: 80 }] });
  obj.status = { loadBalancer: { ingress: [{ ip: "1.2.3.4" }] } };
  serviceStrategy.default!(obj);
  serviceStrategy.prepareForCreate!(obj);
  assert.deepEqual(obj.spec?.clusterIPs, ["10.43.0.20"]);
  assert.equal(obj.spec?.ipFamilyPolicy, "SingleStack");
  assert.deepEqual(obj.spec?.ipFamilies, ["IPv4"]);
  assert.deepEqual(obj.status, { loadBalancer: {} });
});

Deno.test("a created ClusterIP Service allocates one IP and validates", () => {
  const obj = svc({ selector: { app: "web" }, ports: [{ port: 80 }] });
  assert.deepEqual(create(obj), []);
  assert.equal(obj.spec?.clusterIP, "10.43.0.10");
  assert.deepEqual(obj.spec?.clusterIPs, ["10.43.0.10"]);
});

Deno.test("planServiceAllocation() shares node ports between protocols of one port", () => {
  const obj = svc({
    type: "NodePort",
    ports: [
      { name: "dns", port: 53, protocol: "UDP" },
      { name: "dns-tcp", port: 53, protocol: "TCP" },
      { name: "web", port: 80, nodePort: 30080 },
    ],
  });
  serviceStrategy.default!(obj);
  serviceStrategy.prepareForCreate!(obj);
  const plan = planServiceAllocation(obj);
  assert.deepEqual(plan.allocateNodePorts, [0]);
  assert.deepEqual(plan.reserveNodePorts, [30080]);
  assert.deepEqual(plan.clusterIPs, [{ index: 0, family: "IPv4" }]);
  applyServiceAllocation(obj, {
    nodePorts: new Map([[0, 31000]]),
    clusterIPs: new Map([[0, "10.43.0.5"]]),
  });
  assert.deepEqual(obj.spec?.ports?.map((p) => p.nodePort), [31000, 31000, 30080]);
  assert.deepEqual(serviceStrategy.validate!(obj), []);
});

Deno.test("planServiceAllocation() asks for a health-check port and nothing for ExternalName", () => {
  const lb = svc({ type: "LoadBalancer", externalTrafficPolicy: "Local", ports: [{ port: 80 }] });
  assert.deepEqual(create(lb), []);
  assert.equal(lb.spec?.healthCheckNodePort, 32000);
  const ext = svc({ type: "ExternalName", externalName: "db.example.com." });
  assert.deepEqual(create(ext), []);
  assert.equal(ext.spec?.clusterIPs, undefined);
  assert.deepEqual(planServiceAllocation(ext).clusterIPs, []);
});

Deno.test("serviceStrategy.validate() reports upstream's messages", async (t) => {
  const cases: [string, Service["spec"], string[]][] = [
    ["no ports", {}, ["spec.ports: Required value"]],
    ["unnamed ports", { ports: [{ port: 80 }, { port: 81 }] }, [
      "spec.ports[0].name: Required value",
      "spec.ports[1].name: Required value",
    ]],
    ["duplicate names and ports", { ports: [{ name: "a", port: 80 }, { name: "a", port: 80 }] }, [
      'spec.ports[1].name: Duplicate value: "a"',
      'spec.ports[1]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}',
    ]],
    ["bad port numbers", { ports: [{ port: 70000, targetPort: "HTTP" }] }, [
      "spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive",
      'spec.ports[0].targetPort: Invalid value: "HTTP": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
      // Upstream checks each port-name rule on its own: "HTTP" has no lowercase letter either.
      'spec.ports[0].targetPort: Invalid value: "HTTP": must contain at least one letter (a-z)',
    ]],
    ["node port on ClusterIP", { ports: [{ port: 80, nodePort: 30001 }] }, [
      "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'",
    ]],
    ["headless NodePort", { type: "NodePort", clusterIP: "None", ports: [{ port: 80 }] }, [
      "spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for NodePort services",
    ]],
    ["ExternalName without a name", { type: "ExternalName" }, [
      "spec.externalName: Required value",
    ]],
    ["ExternalName with a bad name", { type: "ExternalName", externalName: "Not_A_Host" }, [
      `spec.externalName: Invalid value: "Not_A_Host": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    ]],
    ["ExternalName with a cluster IP", {
      type: "ExternalName",
      externalName: "db.example.com",
      clusterIP: "10.43.0.9",
    }, ["spec.clusterIPs: Forbidden: may not be set for ExternalName services"]],
    ["bad cluster IP", { clusterIP: "10.43.0.300", ports: [{ port: 80 }] }, [
      'spec.clusterIPs[0]: Invalid value: "10.43.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
    ]],
    ["IPv6 cluster IP on an IPv4 cluster", { clusterIP: "fd00::10", ports: [{ port: 80 }] }, [
      'spec.clusterIPs[0]: Invalid value: []string{"fd00::10"}: IPv6 is not configured on this cluster',
    ]],
    [
      "dual stack on an IPv4 cluster",
      { ipFamilyPolicy: "RequireDualStack", ports: [{ port: 80 }] },
      [
        'spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services',
      ],
    ],
    ["external traffic policy on ClusterIP", {
      externalTrafficPolicy: "Local",
      ports: [{ port: 80 }],
    }, [
      'spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services',
    ]],
    ["health check port without Local", {
      type: "NodePort",
      healthCheckNodePort: 31000,
      ports: [{ port: 80 }],
    }, [
      "spec.healthCheckNodePort: Invalid value: 31000: may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'",
    ]],
    ["affinity timeout", {
      sessionAffinity: "ClientIP",
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 90000 } },
      ports: [{ port: 80 }],
    }, [
      "spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 90000: must be greater than 0 and less than 86400",
    ]],
    ["source ranges on ClusterIP", {
      loadBalancerSourceRanges: ["10.0.0.0/8", "x"],
      ports: [{ port: 80 }],
    }, [
      "spec.LoadBalancerSourceRanges: Forbidden: may only be used when `type` is 'LoadBalancer'",
      'spec.LoadBalancerSourceRanges[1]: Invalid value: "x": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
    ]],
    ["loopback external IP", { externalIPs: ["127.0.0.1"], ports: [{ port: 80 }] }, [
      'spec.externalIPs[0]: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
    ]],
    ["load-balancer class on ClusterIP", {
      loadBalancerClass: "example.com/lb",
      ports: [{ port: 80 }],
    }, [
      "spec.loadBalancerClass: Forbidden: may only be used when `type` is 'LoadBalancer'",
    ]],
    ["bad selector", { selector: { "a b": "c" }, ports: [{ port: 80 }] }, [
      `spec.selector: Invalid value: "a b": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
    ]],
    ["traffic distribution", { trafficDistribution: "PreferSameNode", ports: [{ port: 80 }] }, [
      'spec.trafficDistribution: Unsupported value: "PreferSameNode": supported values: "PreferClose"',
    ]],
  ];
  for (const [name, spec, want] of cases) {
    await t.step(name, () => assert.deepEqual(create(svc(spec)), want));
  }
});

Deno.test("serviceStrategy.validateUpdate() keeps the cluster IP once set", () => {
  const old = svc({ ports: [{ port: 80 }] });
  create(old);
  const obj: Service = structuredClone(old);
  obj.spec!.clusterIP = "10.43.0.99";
  serviceStrategy.default!(obj);
  serviceStrategy.prepareForUpdate!(obj, old);
  assert.deepEqual(obj.spec?.clusterIPs, ["10.43.0.99"]);
  assert.deepEqual(serviceStrategy.validateUpdate!(obj, old).map(String), [
    'spec.clusterIPs[0]: Invalid value: []string{"10.43.0.99"}: may not change once set',
  ]);
});

Deno.test("serviceStrategy.prepareForUpdate() restores omitted allocated values", () => {
  const old = svc({
    type: "LoadBalancer",
    externalTrafficPolicy: "Local",
    ports: [{ name: "http", port: 80 }],
  });
  create(old);
  const obj = svc({
    type: "LoadBalancer",
    externalTrafficPolicy: "Local",
    ports: [{ name: "http", port: 80 }],
  });
  serviceStrategy.default!(obj);
  serviceStrategy.prepareForUpdate!(obj, old);
  assert.equal(obj.spec?.clusterIP, "10.43.0.10");
  assert.equal(obj.spec?.ports?.[0]?.nodePort, 30000);
  assert.equal(obj.spec?.healthCheckNodePort, 32000);
  assert.deepEqual(planServiceAllocation(obj, old).allocateNodePorts, []);
  assert.deepEqual(serviceStrategy.validate!(obj), []);
  assert.deepEqual(serviceStrategy.validateUpdate!(obj, old), []);
});

Deno.test("serviceStrategy.prepareForUpdate() drops fields the new type does not use", () => {
  const old = svc({ type: "NodePort", ports: [{ port: 80 }] });
  create(old);
  const obj: Service = structuredClone(old);
  obj.spec!.type = "ClusterIP";
  serviceStrategy.default!(obj);
  serviceStrategy.prepareForUpdate!(obj, old);
  assert.equal(obj.spec?.ports?.[0]?.nodePort, undefined);
  assert.equal(obj.spec?.externalTrafficPolicy, undefined);
  assert.deepEqual(planServiceAllocation(obj, old).releaseNodePorts, [30000]);
  assert.deepEqual(serviceStrategy.validate!(obj), []);
});

Deno.test("switching a Service to ExternalName releases its cluster IP", () => {
  const old = svc({ ports: [{ port: 80 }] });
  create(old);
  const obj: Service = structuredClone(old);
  obj.spec!.type = "ExternalName";
  obj.spec!.externalName = "db.example.com";
  serviceStrategy.default!(obj);
  serviceStrategy.prepareForUpdate!(obj, old);
  assert.equal(obj.spec?.clusterIPs, undefined);
  assert.equal(obj.spec?.ipFamilies, undefined);
  assert.deepEqual(planServiceAllocation(obj, old).releaseClusterIPs, ["10.43.0.10"]);
  assert.deepEqual(serviceStrategy.validate!(obj), []);
});

Deno.test("normalizeClusterIPs() fills clusterIP from clusterIPs", () => {
  const obj = svc({ clusterIPs: ["10.43.0.7"] });
  normalizeClusterIPs(obj);
  assert.equal(obj.spec?.clusterIP, "10.43.0.7");
});

Deno.test("serviceStrategy.validateStatusUpdate() checks load-balancer ingress", () => {
  const obj = svc({ type: "ClusterIP", ports: [{ port: 80 }] });
  obj.status = { loadBalancer: { ingress: [{ ip: "192.0.2.1" }] } };
  assert.deepEqual(serviceStrategy.validateStatusUpdate!(obj, obj).map(String), [
    "status.loadBalancer.ingress: Forbidden: may only be used when `spec.type` is 'LoadBalancer'",
  ]);
  const lb = svc({ type: "LoadBalancer", ports: [{ port: 80 }] });
  lb.status = {
    loadBalancer: { ingress: [{ ip: "192.0.2.1" }, { hostname: "1.2.3.4", ipMode: "VIP" }] },
  };
  assert.deepEqual(serviceStrategy.validateStatusUpdate!(lb, lb).map(String), [
    "status.loadBalancer.ingress[0].ipMode: Required value: must be specified when `ip` is set",
    "status.loadBalancer.ingress[1].ipMode: Forbidden: may not be specified when `ip` is not set",
    'status.loadBalancer.ingress[1].hostname: Invalid value: "1.2.3.4": must be a DNS name, not an IP address',
  ]);
});

Deno.test("createServiceStrategy() for a dual-stack cluster adds the second family", () => {
  const dual = createServiceStrategy({ ipFamilies: ["IPv4", "IPv6"] });
  const obj = svc({ ipFamilyPolicy: "PreferDualStack", ports: [{ port: 80 }] });
  dual.default!(obj);
  dual.prepareForCreate!(obj);
  assert.deepEqual(obj.spec?.ipFamilies, ["IPv4", "IPv6"]);
  assert.deepEqual(planServiceAllocation(obj).clusterIPs, [
    { index: 0, family: "IPv4" },
    { index: 1, family: "IPv6" },
  ]);
});

Deno.test("serviceWarnings() flags ignored fields and non-standard IPs", () => {
  assert.deepEqual(
    serviceWarnings(svc({ type: "ClusterIP", externalName: "x", clusterIPs: ["010.43.0.1"] })),
    [
      'spec.clusterIPs[0]: non-standard IP address "010.43.0.1" will be considered invalid in a future Kubernetes release: use "10.43.0.1"',
      'spec.externalName is ignored when spec.type is not "ExternalName"',
    ],
  );
});

Deno.test("allocation errors print as upstream's allocators and REST storage", () => {
  const obj = svc({ clusterIP: "10.43.0.10", clusterIPs: ["10.43.0.10"], ports: [{ port: 80 }] });
  assert.equal(
    clusterIPAllocationError(obj, { ip: "10.43.0.10", failure: { kind: "allocated" } }).toString(),
    'spec.clusterIPs: Invalid value: []string{"10.43.0.10"}: failed to allocate IP 10.43.0.10: provided IP is already allocated',
  );
  assert.equal(
    clusterIPAllocationError(obj, {
      ip: "10.43.0.10",
      failure: { kind: "notInRange", range: "10.43.0.0/16" },
    }).toString(),
    'spec.clusterIPs: Invalid value: []string{"10.43.0.10"}: failed to allocate IP 10.43.0.10: provided IP is not in the valid range. The range of valid IPs is 10.43.0.0/16',
  );
  assert.equal(
    nodePortAllocationError(0, {
      nodePort: 80,
      failure: { kind: "notInRange", range: "30000-32767" },
    }).toString(),
    "spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767",
  );
  assert.equal(
    nodePortAllocationError(1, { nodePort: 30080, failure: { kind: "allocated" } }).toString(),
    "spec.ports[1].nodePort: Invalid value: 30080: provided port is already allocated",
  );
  assert.equal(
    allocationInternalMessage("nodePort", { kind: "full" }),
    "failed to allocate a nodePort: range is full",
  );
  assert.equal(
    allocationInternalMessage({ healthCheckNodePort: 31000 }, { kind: "allocated" }),
    "failed to allocate requested HealthCheck NodePort 31000: provided port is already allocated",
  );
  assert.deepEqual(DEFAULT_NODE_PORT_RANGE, { first: 30000, last: 32767 });
});
