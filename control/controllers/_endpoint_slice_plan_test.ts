import assert from "node:assert/strict";
import type { Node } from "../api/types/core_v1_node.ts";
import type { ContainerPort, Pod } from "../api/types/core_v1_pod.ts";
import type { Service } from "../api/types/core_v1_service.ts";
import type { EndpointSlice } from "../api/types/discovery_v1.ts";
import {
  addressTypesOf,
  planEndpointSlices,
  podToEndpoint,
  type SlicePlan,
  type SlicePlanInput,
} from "./_endpoint_slice_plan.ts";

const MANAGED_BY = "endpointslice-controller.k8s.io";

function makePod(i: number, options: {
  ready?: boolean;
  deleting?: boolean;
  node?: string;
  ports?: ContainerPort[];
  ip?: string;
} = {}): Pod {
  const name = `web-${i}`;
  return {
    metadata: {
      namespace: "shop",
      name,
      uid: `uid-${name}`,
      labels: { app: "web" },
      ...(options.deleting ? { deletionTimestamp: "2024-05-01T10:00:00Z" } : {}),
    },
    spec: {
      nodeName: options.node ?? "node-a",
      containers: [{
        name: "main",
        ports: options.ports ?? [{ name: "http", containerPort: 8080, protocol: "TCP" }],
      }],
    },
    status: {
      phase: "Running",
      podIP: options.ip ?? `10.42.${Math.floor(i / 250)}.${(i % 250) + 1}`,
      podIPs: [{ ip: options.ip ?? `10.42.${Math.floor(i / 250)}.${(i % 250) + 1}` }],
      conditions: [{
        type: "Ready",
        status: options.ready === false ? "False" : "True",
        lastTransitionTime: "2024-05-01T10:00:00Z",
      }],
    },
  } as Pod;
}

function makeService(overrides: Partial<Service["spec"]> = {}, uid = "svc-uid"): Service {
  return {
    metadata: { namespace: "shop", name: "web", uid, labels: { team: "checkout" } },
    spec: {
      selector: { app: "web" },
      clusterIP: "10.43.0.20",
      ipFamilies: ["IPv4"],
      ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }],
      ...overrides,
    },
  };
}

const NODES: Record<string, Node> = {
  "node-a": { metadata: { name: "node-a", labels: { "topology.kubernetes.io/zone": "zone-a" } } },
  "node-b": { metadata: { name: "node-b" } },
};

function input(overrides: Partial<SlicePlanInput>): SlicePlanInput {
  return {
    service: makeService(),
    pods: [],
    slices: [],
    nodeOf: (name) => NODES[name],
    maxEndpointsPerSlice: 100,
    controllerName: MANAGED_BY,
    ...overrides,
  };
}

/** The slices after applying `plan` to `slices`, as the API would store them. */
function apply(slices: readonly EndpointSlice[], plan: SlicePlan): EndpointSlice[] {
  let seq = slices.length;
  const byName = new Map(slices.map((s) => [s.metadata!.name!, s]));
  for (const s of plan.delete) byName.delete(s.metadata!.name!);
  for (const s of plan.update) byName.set(s.metadata!.name!, structuredClone(s));
  for (const s of plan.create) {
    const name = `web-${(seq++).toString(36)}`;
    byName.set(name, { ...structuredClone(s), metadata: { ...s.metadata, name, uid: name } });
  }
  return [...byName.values()];
}

function sizes(slices: readonly EndpointSlice[]): number[] {
  return slices.map((s) => (s.endpoints ?? []).length).sort((a, b) => b - a);
}

Deno.test("planEndpointSlices() packs 250 endpoints into 3 new slices of at most 100", () => {
  const pods = Array.from({ length: 250 }, (_, i) => makePod(i));
  const plan = planEndpointSlices(input({ pods }));
  assert.equal(plan.create.length, 3);
  assert.deepEqual(sizes(plan.create), [100, 100, 50]);
  assert.deepEqual(plan.update, []);
  assert.deepEqual(plan.delete, []);
  const slice = plan.create[0]!;
  assert.equal(slice.metadata?.generateName, "web-");
  assert.equal(slice.addressType, "IPv4");
  assert.deepEqual(slice.metadata?.labels, {
    team: "checkout",
    "kubernetes.io/service-name": "web",
    "endpointslice.kubernetes.io/managed-by": MANAGED_BY,
  });
  assert.deepEqual(slice.metadata?.ownerReferences, [{
    apiVersion: "v1",
    kind: "Service",
    name: "web",
    uid: "svc-uid",
    controller: true,
    blockOwnerDeletion: true,
  }]);
  assert.deepEqual(slice.ports, [{ name: "http", port: 8080, protocol: "TCP" }]);
  assert.deepEqual(slice.endpoints?.[0], {
    addresses: ["10.42.0.1"],
    conditions: { ready: true, serving: true, terminating: false },
    targetRef: { kind: "Pod", namespace: "shop", name: "web-0", uid: "uid-web-0" },
    nodeName: "node-a",
    zone: "zone-a",
  });
});

Deno.test("planEndpointSlices() rewrites only the slice whose endpoint changed", () => {
  const pods = Array.from({ length: 250 }, (_, i) => makePod(i));
  const slices = apply([], planEndpointSlices(input({ pods })));
  assert.deepEqual(planEndpointSlices(input({ pods, slices })), {
    create: [],
    update: [],
    delete: [],
    errors: [],
  });

  const flipped = pods.map((p, i) => i === 120 ? makePod(120, { ready: false }) : p);
  const plan = planEndpointSlices(input({ pods: flipped, slices }));
  assert.equal(plan.update.length, 1);
  assert.deepEqual([plan.create.length, plan.delete.length], [0, 0]);
  const updated = plan.update[0]!;
  const before = slices.find((s) => s.metadata?.name === updated.metadata?.name)!;
  assert.equal(updated.endpoints?.length, before.endpoints?.length);
  const ep = updated.endpoints?.find((e) => e.targetRef?.name === "web-120");
  assert.deepEqual(ep?.conditions, { ready: false, serving: false, terminating: false });
});

Deno.test("planEndpointSlices() puts new endpoints into the unchanged slice they fit best", () => {
  const pods = Array.from({ length: 150 }, (_, i) => makePod(i));
  const slices = apply([], planEndpointSlices(input({ pods })));
  assert.deepEqual(sizes(slices), [100, 50]);
  const more = [...pods, ...Array.from({ length: 30 }, (_, i) => makePod(150 + i))];
  const plan = planEndpointSlices(input({ pods: more, slices }));
  assert.equal(plan.create.length, 0);
  assert.equal(plan.update.length, 1);
  assert.equal(plan.update[0]!.endpoints?.length, 80);
});

Deno.test("planEndpointSlices() fills a slice it updates anyway before others", () => {
  const pods = Array.from({ length: 150 }, (_, i) => makePod(i));
  const slices = apply([], planEndpointSlices(input({ pods })));
  // web-0 goes away (its slice is written anyway) and web-150 arrives: it takes web-0's place.
  const next = [...pods.slice(1), makePod(150)];
  const plan = planEndpointSlices(input({ pods: next, slices }));
  assert.equal(plan.update.length, 1);
  assert.equal(plan.create.length, 0);
  const names = plan.update[0]!.endpoints!.map((e) => e.targetRef?.name);
  assert.ok(names.includes("web-150") && !names.includes("web-0"));
});

Deno.test("planEndpointSlices() groups pods by the ports their named target port resolves to", () => {
  const pods = [
    makePod(0, { ports: [{ name: "http", containerPort: 8080 }] }),
    makePod(1, { ports: [{ name: "http", containerPort: 9090 }] }),
    makePod(2, { ports: [{ name: "http", containerPort: 8080 }] }),
    makePod(3, { ports: [{ name: "metrics", containerPort: 9100 }] }),
  ];
  const plan = planEndpointSlices(input({ pods }));
  const byPort = plan.create.map((s) => [
    JSON.stringify(s.ports),
    s.endpoints!.map((e) => e.targetRef?.name),
  ]);
  assert.deepEqual(byPort, [
    ['[{"name":"http","port":8080,"protocol":"TCP"}]', ["web-0", "web-2"]],
    ['[{"name":"http","port":9090,"protocol":"TCP"}]', ["web-1"]],
    ["[]", ["web-3"]],
  ]);
});

Deno.test("planEndpointSlices() keeps one empty placeholder slice for a Service without endpoints", async (t) => {
  const placeholderPlan = planEndpointSlices(input({}));
  await t.step("made when there is none", () => {
    assert.equal(placeholderPlan.create.length, 1);
    assert.deepEqual(placeholderPlan.create[0]!.endpoints, []);
    assert.deepEqual(placeholderPlan.create[0]!.ports, []);
  });
  const slices = apply([], placeholderPlan);
  await t.step("kept as it is", () => {
    assert.deepEqual(planEndpointSlices(input({ slices })), {
      create: [],
      update: [],
      delete: [],
      errors: [],
    });
  });
  await t.step("reused for the first endpoints", () => {
    const plan = planEndpointSlices(input({ slices, pods: [makePod(0)] }));
    assert.deepEqual([plan.create.length, plan.delete.length], [0, 0]);
    assert.equal(plan.update[0]!.metadata?.name, slices[0]!.metadata?.name);
    assert.equal(plan.update[0]!.endpoints?.length, 1);
  });
  await t.step("made again when the last endpoint goes", () => {
    const withPod = apply(slices, planEndpointSlices(input({ slices, pods: [makePod(0)] })));
    const plan = planEndpointSlices(input({ slices: withPod }));
    assert.deepEqual([plan.create.length, plan.delete.length], [0, 0]);
    assert.deepEqual(plan.update[0]!.endpoints, []);
    assert.deepEqual(plan.update[0]!.ports, []);
  });
});

Deno.test("planEndpointSlices() replaces slices owned by an earlier Service of the same name", () => {
  const slices = apply([], planEndpointSlices(input({ pods: [makePod(0)] })));
  const plan = planEndpointSlices(input({
    service: makeService({}, "new-uid"),
    pods: [makePod(0)],
    slices,
  }));
  assert.equal(plan.delete.length, 1);
  assert.equal(plan.create.length, 1);
  assert.equal(plan.create[0]!.metadata?.ownerReferences?.[0]?.uid, "new-uid");
});

Deno.test("planEndpointSlices() skips pods on unknown nodes unless not-ready addresses are published", async (t) => {
  const pods = [makePod(0), makePod(1, { node: "node-x" })];
  await t.step("skipped, with an error to retry", () => {
    const plan = planEndpointSlices(input({ pods }));
    assert.deepEqual(plan.create[0]!.endpoints!.map((e) => e.targetRef?.name), ["web-0"]);
    assert.deepEqual(plan.errors.map((e) => e.message), [
      "skipping Pod web-1 for Service shop/web: Node node-x Not Found",
    ]);
  });
  await t.step("published", () => {
    const plan = planEndpointSlices(input({
      service: makeService({ publishNotReadyAddresses: true }),
      pods,
    }));
    assert.equal(plan.create[0]!.endpoints!.length, 2);
    assert.deepEqual(plan.errors, []);
  });
});

Deno.test("planEndpointSlices() deletes slices of address types the Service no longer has", () => {
  const v6 = apply(
    [],
    planEndpointSlices(input({
      service: makeService({ ipFamilies: ["IPv6"], clusterIP: "fd00::20" }),
      pods: [makePod(0, { ip: "fd00:42::1" })],
    })),
  );
  const plan = planEndpointSlices(input({ pods: [makePod(0)], slices: v6 }));
  assert.equal(plan.delete.length, 1);
  assert.equal(plan.delete[0]!.addressType, "IPv6");
  assert.equal(plan.create.length, 1);
  assert.equal(plan.create[0]!.addressType, "IPv4");
});

Deno.test("planEndpointSlices() updates slices when the Service's labels change", () => {
  const slices = apply([], planEndpointSlices(input({ pods: [makePod(0)] })));
  const relabelled = makeService();
  relabelled.metadata!.labels = { team: "payments" };
  const plan = planEndpointSlices(input({ service: relabelled, pods: [makePod(0)], slices }));
  assert.equal(plan.update.length, 1);
  assert.equal(plan.update[0]!.metadata?.labels?.team, "payments");
});

Deno.test("podToEndpoint() sets ready, serving and terminating as upstream", async (t) => {
  const cases = [
    { name: "ready", pod: makePod(0), pub: false, want: [true, true, false] },
    {
      name: "not ready",
      pod: makePod(0, { ready: false }),
      pub: false,
      want: [false, false, false],
    },
    {
      name: "terminating, still ready",
      pod: makePod(0, { deleting: true }),
      pub: false,
      want: [false, true, true],
    },
    {
      name: "terminating, not ready",
      pod: makePod(0, { deleting: true, ready: false }),
      pub: false,
      want: [false, false, true],
    },
    {
      name: "not ready, published",
      pod: makePod(0, { ready: false }),
      pub: true,
      want: [true, false, false],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const ep = podToEndpoint(c.pod, {
        service: makeService({ publishNotReadyAddresses: c.pub }),
        node: NODES["node-b"],
        addressType: "IPv4",
      });
      const cond = ep.conditions!;
      assert.deepEqual([cond.ready, cond.serving, cond.terminating], c.want);
      assert.equal(ep.zone, undefined, "a node without a zone label gives no zone");
    });
  }
});

Deno.test("addressTypesOf() follows ipFamilies, else the cluster IP, else both", async (t) => {
  const cases = [
    {
      name: "families",
      spec: { ipFamilies: ["IPv6", "IPv4"] as ("IPv4" | "IPv6")[] },
      want: ["IPv6", "IPv4"],
    },
    { name: "v6 cluster IP", spec: { ipFamilies: [], clusterIP: "fd00::1" }, want: ["IPv6"] },
    { name: "headless", spec: { ipFamilies: [], clusterIP: "None" }, want: ["IPv4", "IPv6"] },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.deepEqual([...addressTypesOf(makeService(c.spec))], c.want));
  }
});

Deno.test("planEndpointSlices() labels a headless Service's slices", () => {
  const plan = planEndpointSlices(input({
    service: makeService({ clusterIP: "None" }),
    pods: [makePod(0)],
  }));
  assert.equal(plan.create[0]!.metadata?.labels?.["service.kubernetes.io/headless"], "");
});
