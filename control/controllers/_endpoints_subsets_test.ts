import assert from "node:assert/strict";
import type { ContainerPort, Pod } from "../api/types/core_v1_pod.ts";
import type { EndpointAddress, EndpointSubset, Service } from "../api/types/core_v1_service.ts";
import {
  podToEndpointAddress,
  repackSubsets,
  subsetsEqual,
  subsetsFor,
  truncateSubsets,
} from "./_endpoints_subsets.ts";

function makePod(i: number, options: {
  ready?: boolean;
  deleting?: boolean;
  ports?: ContainerPort[];
  hostname?: string;
} = {}): Pod {
  const name = `web-${i}`;
  return {
    metadata: {
      namespace: "shop",
      name,
      uid: `uid-${i}`,
      ...(options.deleting ? { deletionTimestamp: "2024-05-01T10:00:00Z" } : {}),
    },
    spec: {
      nodeName: "node-a",
      containers: [{
        name: "main",
        ports: options.ports ?? [{ name: "http", containerPort: 8080, protocol: "TCP" }],
      }],
      ...(options.hostname ? { hostname: options.hostname, subdomain: "web" } : {}),
    },
    status: {
      phase: "Running",
      podIP: `10.42.0.${i + 10}`,
      podIPs: [{ ip: `10.42.0.${i + 10}` }],
      conditions: [{ type: "Ready", status: options.ready === false ? "False" : "True" }],
    },
  } as Pod;
}

function makeService(spec: Partial<Service["spec"]> = {}): Service {
  return {
    metadata: { namespace: "shop", name: "web", uid: "svc" },
    spec: {
      selector: { app: "web" },
      clusterIP: "10.43.0.20",
      ipFamilies: ["IPv4"],
      ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }],
      ...spec,
    },
  };
}

function ips(addresses: readonly EndpointAddress[] | undefined): string[] {
  return (addresses ?? []).map((a) => a.ip);
}

Deno.test("subsetsFor() splits ready and not-ready pods and leaves terminating ones out", () => {
  const { subsets, ready, notReady } = subsetsFor(makeService(), [
    makePod(1),
    makePod(0),
    makePod(2, { ready: false }),
    makePod(3, { deleting: true }),
  ]);
  assert.deepEqual([ready, notReady], [2, 1]);
  assert.equal(subsets.length, 1);
  assert.deepEqual(ips(subsets[0]!.addresses), ["10.42.0.10", "10.42.0.11"]);
  assert.deepEqual(ips(subsets[0]!.notReadyAddresses), ["10.42.0.12"]);
  assert.deepEqual(subsets[0]!.ports, [{ name: "http", port: 8080, protocol: "TCP" }]);
  assert.deepEqual(subsets[0]!.addresses![0], {
    ip: "10.42.0.10",
    nodeName: "node-a",
    targetRef: { kind: "Pod", namespace: "shop", name: "web-0", uid: "uid-0" },
  });
});

Deno.test("subsetsFor() publishes every pod, terminating too, when asked to", () => {
  const { subsets } = subsetsFor(makeService({ publishNotReadyAddresses: true }), [
    makePod(0, { ready: false }),
    makePod(1, { deleting: true }),
  ]);
  assert.deepEqual(ips(subsets[0]!.addresses), ["10.42.0.10", "10.42.0.11"]);
  assert.equal(subsets[0]!.notReadyAddresses, undefined);
});

Deno.test("subsetsFor() puts pods whose named port differs into different subsets", () => {
  const { subsets } = subsetsFor(makeService(), [
    makePod(0, { ports: [{ name: "http", containerPort: 8080 }] }),
    makePod(1, { ports: [{ name: "http", containerPort: 9090 }] }),
    makePod(2, { ports: [{ name: "grpc", containerPort: 7000 }] }),
  ]);
  assert.deepEqual(subsets.map((s) => [ips(s.addresses), s.ports?.map((p) => p.port)]), [
    [["10.42.0.10"], [8080]],
    [["10.42.0.11"], [9090]],
  ]);
});

Deno.test("subsetsFor() gives a headless Service without ports its addresses only", async (t) => {
  await t.step("headless", () => {
    const { subsets } = subsetsFor(makeService({ clusterIP: "None", ports: [] }), [
      makePod(0, { hostname: "web-0" }),
    ]);
    assert.deepEqual(subsets, [{
      addresses: [{
        ip: "10.42.0.10",
        nodeName: "node-a",
        hostname: "web-0",
        targetRef: { kind: "Pod", namespace: "shop", name: "web-0", uid: "uid-0" },
      }],
    }]);
  });
  await t.step("not headless", () => {
    assert.deepEqual(subsetsFor(makeService({ ports: [] }), [makePod(0)]).subsets, []);
  });
});

Deno.test("podToEndpointAddress() picks the IP of the Service's family", () => {
  const pod = makePod(0);
  pod.status!.podIPs = [{ ip: "10.42.0.10" }, { ip: "fd00:42::a" }];
  assert.equal(podToEndpointAddress(makeService({ ipFamilies: ["IPv6"] }), pod)?.ip, "fd00:42::a");
  assert.equal(podToEndpointAddress(makeService(), pod)?.ip, "10.42.0.10");
  pod.status!.podIPs = [{ ip: "fd00:42::a" }];
  assert.equal(podToEndpointAddress(makeService(), pod), null);
});

Deno.test("repackSubsets() groups addresses by the exact ports they offer", () => {
  const a = (ip: string): EndpointAddress => ({ ip, targetRef: { kind: "Pod", uid: ip } });
  const http = { name: "http", port: 80, protocol: "TCP" as const };
  const metrics = { name: "metrics", port: 9100, protocol: "TCP" as const };
  const subsets: EndpointSubset[] = [
    { addresses: [a("10.0.0.2")], ports: [http] },
    { addresses: [a("10.0.0.2")], ports: [metrics] },
    { addresses: [a("10.0.0.1")], ports: [http] },
    { addresses: [a("10.0.0.1")], ports: [metrics] },
    { notReadyAddresses: [a("10.0.0.3")], ports: [http] },
  ];
  const packed = repackSubsets(subsets);
  assert.deepEqual(
    packed.map((s) => [ips(s.addresses), ips(s.notReadyAddresses), s.ports?.map((p) => p.name)]),
    [
      [["10.0.0.1", "10.0.0.2"], ["10.0.0.3"], ["http"]],
      [["10.0.0.1", "10.0.0.2"], [], ["metrics"]],
    ],
  );
});

Deno.test("truncateSubsets() keeps 1000 addresses, ready ones first, in proportion", async (t) => {
  const many = (prefix: string, n: number): EndpointAddress[] =>
    Array.from({ length: n }, (_, i) => ({ ip: `${prefix}.${i}` }));
  await t.step("under capacity: nothing cut", () => {
    const subsets: EndpointSubset[] = [{ addresses: many("a", 1000) }];
    assert.equal(truncateSubsets(subsets), false);
    assert.equal(subsets[0]!.addresses!.length, 1000);
  });
  await t.step("too many ready: ready cut by share, not-ready dropped", () => {
    const subsets: EndpointSubset[] = [
      { addresses: many("a", 900), notReadyAddresses: many("n", 10) },
      { addresses: many("b", 300) },
    ];
    assert.equal(truncateSubsets(subsets), true);
    assert.deepEqual(
      subsets.map((s) => [s.addresses?.length ?? 0, s.notReadyAddresses?.length ?? 0]),
      [[750, 0], [250, 0]],
    );
  });
  await t.step("ready fit: not-ready cut to what is left", () => {
    const subsets: EndpointSubset[] = [
      { addresses: many("a", 800), notReadyAddresses: many("n", 300) },
      { notReadyAddresses: many("m", 100) },
    ];
    assert.equal(truncateSubsets(subsets), true);
    assert.deepEqual(
      subsets.map((s) => [s.addresses?.length ?? 0, s.notReadyAddresses?.length ?? 0]),
      [[800, 150], [0, 50]],
    );
  });
});

Deno.test("subsetsEqual() ignores the pods' resourceVersions and unset versus empty lists", () => {
  const a: EndpointSubset[] = [{
    addresses: [{ ip: "10.0.0.1", targetRef: { kind: "Pod", uid: "u", resourceVersion: "5" } }],
    notReadyAddresses: [],
    ports: [{ port: 80, protocol: "TCP" }],
  }];
  const b: EndpointSubset[] = [{
    addresses: [{ ip: "10.0.0.1", targetRef: { kind: "Pod", uid: "u" } }],
    ports: [{ port: 80, protocol: "TCP" }],
  }];
  assert.equal(subsetsEqual(a, b), true);
  assert.equal(subsetsEqual(a, []), false);
  assert.equal(subsetsEqual(undefined, []), true);
});
