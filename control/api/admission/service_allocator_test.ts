import assert from "node:assert/strict";
import { MemoryStorage } from "../../storage/memory.ts";
import { createTestApp } from "../_test_app.ts";
import { ApiError } from "../errors.ts";
import { BUILTIN_RESOURCES } from "../registry/builtin_resources.ts";
import { encodeForStorage } from "../store/object_codec.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import type { AdmissionAttributes } from "./admission.ts";
import {
  firstServiceIp,
  NODE_PORT_MAX,
  NODE_PORT_MIN,
  parseServiceCidr,
  ServiceAllocator,
} from "./service_allocator.ts";

const SERVICES = BUILTIN_RESOURCES.find((d) => d.resource === "services")!;
const CONFIGMAPS = BUILTIN_RESOURCES.find((d) => d.resource === "configmaps")!;

interface Spec {
  type?: string;
  clusterIP?: string;
  clusterIPs?: string[];
  ports?: { port: number; nodePort?: number }[];
  externalTrafficPolicy?: string;
  healthCheckNodePort?: number;
}

function service(name: string, spec: Spec): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: "default" },
    spec: { ...spec },
  };
}

function attrs(
  operation: AdmissionAttributes["operation"],
  objects: { object?: KubeObject; oldObject?: KubeObject; dryRun?: boolean },
): AdmissionAttributes {
  const obj = objects.object ?? objects.oldObject!;
  return {
    operation,
    def: SERVICES,
    namespace: "default",
    name: obj.metadata?.name ?? "",
    subresource: "",
    object: objects.object,
    oldObject: objects.oldObject,
    dryRun: objects.dryRun ?? false,
    username: "alice",
    groups: [],
  };
}

function specOf(obj: KubeObject): Spec {
  return obj.spec as Spec;
}

/** Creates `svc` through the allocator and commits it; returns the allocated spec. */
async function create(a: ServiceAllocator, svc: KubeObject, ok = true): Promise<Spec> {
  const at = attrs("CREATE", { object: svc });
  await a.admit(at);
  a.committed(at, ok);
  return specOf(svc);
}

async function invalid(p: Promise<unknown>): Promise<{ message: string; causes: unknown }> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ApiError, String(err));
    assert.equal(err.code, 422);
    assert.equal(err.reason, "Invalid");
    return { message: err.message, causes: err.details?.causes };
  }
  assert.fail("expected a 422");
}

Deno.test("parseServiceCidr() reads an IPv4 CIDR and refuses others", () => {
  assert.deepEqual(parseServiceCidr("10.43.0.0/16"), {
    base: 0x0a2b0000,
    size: 65536,
    text: "10.43.0.0/16",
  });
  assert.equal(parseServiceCidr("10.43.7.9/24").base, 0x0a2b0700, "host bits are dropped");
  for (const bad of ["10.43.0.0", "10.43.0.0/31", "10.43.0.0/7", "fd00::/108", "10.300.0.0/16"]) {
    assert.throws(() => parseServiceCidr(bad), {
      name: "TypeError",
      message: `Cannot use service CIDR "${bad}": expected an IPv4 CIDR from /8 to /30`,
    });
  }
});

Deno.test("firstServiceIp() is the range's first address, and node ports span 30000-32767", () => {
  assert.equal(firstServiceIp("10.43.0.0/16"), "10.43.0.1");
  assert.equal(firstServiceIp("192.168.5.0/24"), "192.168.5.1");
  assert.equal(NODE_PORT_MIN, 30000);
  assert.equal(NODE_PORT_MAX, 32767);
});

Deno.test("ServiceAllocator allocates dynamic addresses above the static band", async (t) => {
  const cases: [string, string][] = [
    // min(max(16, size/16), 256) addresses at the bottom stay for static use.
    ["10.43.0.0/16", "10.43.1.1"],
    ["10.43.0.0/24", "10.43.0.17"],
    ["10.0.0.0/8", "10.0.1.1"],
  ];
  for (const [cidr, first] of cases) {
    await t.step(cidr, async () => {
      await using storage = new MemoryStorage();
      const a = new ServiceAllocator({ storage, serviceCidr: cidr, random: () => 0 });
      const spec = await create(a, service("a", { ports: [{ port: 80 }] }));
      assert.equal(spec.clusterIP, first);
      assert.deepEqual(spec.clusterIPs, [first]);
      // The next one skips what is taken.
      const next = await create(a, service("b", { ports: [{ port: 80 }] }));
      assert.notEqual(next.clusterIP, first);
    });
  }
});

Deno.test("ServiceAllocator falls back to the static band when the dynamic range is full", async () => {
  await using storage = new MemoryStorage();
  // A /28: 14 addresses, all in the static band but the last.
  const a = new ServiceAllocator({ storage, serviceCidr: "10.43.0.0/28", random: () => 0 });
  const ips = [];
  for (let i = 0; i < 14; i++) ips.push((await create(a, service(`s${i}`, {}))).clusterIP);
  assert.equal(new Set(ips).size, 14);
  assert.ok(ips.every((ip) => /^10\.43\.0\.([1-9]|1[0-4])$/.test(ip!)), ips.join(","));
  await assert.rejects(() => a.admit(attrs("CREATE", { object: service("full", {}) })), {
    name: "ApiError",
    message: "Internal error occurred: failed to allocate a serviceIP: range is full",
  });
});

Deno.test("ServiceAllocator claims a static clusterIP only in range and free, with upstream's 422", async () => {
  await using storage = new MemoryStorage();
  const a = new ServiceAllocator({ storage, serviceCidr: "10.43.0.0/16" });
  const spec = await create(a, service("dns", { clusterIP: "10.43.0.10" }));
  assert.deepEqual(spec.clusterIPs, ["10.43.0.10"]);
  const taken = await invalid(
    a.admit(attrs("CREATE", { object: service("dup", { clusterIP: "10.43.0.10" }) })),
  );
  assert.equal(
    taken.message,
    'Service "dup" is invalid: spec.clusterIPs: Invalid value: []string{"10.43.0.10"}: failed to allocate IP 10.43.0.10: provided IP is already allocated',
  );
  assert.deepEqual(taken.causes, [{
    reason: "FieldValueInvalid",
    message:
      'Invalid value: []string{"10.43.0.10"}: failed to allocate IP 10.43.0.10: provided IP is already allocated',
    field: "spec.clusterIPs",
  }]);
  for (const ip of ["10.44.0.1", "10.43.0.0", "10.43.255.255"]) {
    const out = await invalid(
      a.admit(attrs("CREATE", { object: service("out", { clusterIP: ip }) })),
    );
    assert.equal(
      out.message,
      `Service "out" is invalid: spec.clusterIPs: Invalid value: []string{"${ip}"}: failed to allocate IP ${ip}: the provided IP (${ip}) is not in the valid range. The range of valid IPs is 10.43.0.0/16`,
    );
  }
});

Deno.test("ServiceAllocator gives headless and ExternalName services no address", async () => {
  await using storage = new MemoryStorage();
  const a = new ServiceAllocator({ storage, serviceCidr: "10.43.0.0/16", random: () => 0 });
  const headless = await create(a, service("h", { clusterIP: "None", ports: [{ port: 80 }] }));
  assert.equal(headless.clusterIP, "None");
  assert.deepEqual(headless.clusterIPs, ["None"]);
  const external = await create(a, service("e", { type: "ExternalName" }));
  assert.equal(external.clusterIP, undefined);
  assert.equal(external.clusterIPs, undefined);
  // Neither took an address: the first dynamic one is still free.
  assert.equal((await create(a, service("c", {}))).clusterIP, "10.43.1.1");
});

Deno.test("ServiceAllocator allocates node ports for NodePort and LoadBalancer services", async () => {
  await using storage = new MemoryStorage();
  const a = new ServiceAllocator({ storage, serviceCidr: "10.43.0.0/16", random: () => 0 });
  const np = await create(
    a,
    service("np", { type: "NodePort", ports: [{ port: 80 }, { port: 443, nodePort: 31443 }] }),
  );
  assert.deepEqual(np.ports, [{ port: 80, nodePort: 30000 }, { port: 443, nodePort: 31443 }]);
  const taken = await invalid(
    a.admit(
      attrs("CREATE", {
        object: service("np2", { type: "NodePort", ports: [{ port: 1, nodePort: 31443 }] }),
      }),
    ),
  );
  assert.equal(
    taken.message,
    'Service "np2" is invalid: spec.ports[0].nodePort: Invalid value: 31443: provided port is already allocated',
  );
  const range = await invalid(
    a.admit(
      attrs("CREATE", {
        object: service("np3", { type: "NodePort", ports: [{ port: 1, nodePort: 8080 }] }),
      }),
    ),
  );
  assert.equal(
    range.message,
    'Service "np3" is invalid: spec.ports[0].nodePort: Invalid value: 8080: provided port is not in the valid range. The range of valid ports is 30000-32767',
  );
  const lb = await create(
    a,
    service("lb", { type: "LoadBalancer", externalTrafficPolicy: "Local", ports: [{ port: 80 }] }),
  );
  assert.equal(lb.ports![0]!.nodePort, 30001);
  assert.equal(lb.healthCheckNodePort, 30002);
  // ClusterIP services carry no node ports, even if sent.
  const cip = await create(
    a,
    service("cip", { ports: [{ port: 80, nodePort: 30500 }], healthCheckNodePort: 30501 }),
  );
  assert.deepEqual(cip.ports, [{ port: 80 }]);
  assert.equal(cip.healthCheckNodePort, undefined);
});

Deno.test("ServiceAllocator releases what a failed or dry-run create reserved", async () => {
  await using storage = new MemoryStorage();
  const a = new ServiceAllocator({ storage, serviceCidr: "10.43.0.0/16", random: () => 0 });
  // Rejected by a later step: committed(false).
  await create(
    a,
    service("x", {
      clusterIP: "10.43.0.20",
      type: "NodePort",
      ports: [{ port: 80, nodePort: 30100 }],
    }),
    false,
  );
  // Dry run: committed(true) but nothing is kept.
  const dry = attrs("CREATE", {
    object: service("y", {
      clusterIP: "10.43.0.21",
      type: "NodePort",
      ports: [{ port: 80, nodePort: 30101 }],
    }),
    dryRun: true,
  });
  await a.admit(dry);
  a.committed(dry, true);
  // A create with errors releases what it claimed before the error.
  await invalid(a.admit(attrs("CREATE", {
    object: service("z", {
      clusterIP: "10.43.0.22",
      type: "NodePort",
      ports: [{ port: 80, nodePort: 99 }],
    }),
  })));
  const again = await create(
    a,
    service("again", {
      clusterIP: "10.43.0.20",
      type: "NodePort",
      ports: [{ port: 80, nodePort: 30100 }, { port: 81, nodePort: 30101 }],
    }),
  );
  assert.equal(again.clusterIP, "10.43.0.20");
  assert.equal(
    (await create(a, service("z2", { clusterIP: "10.43.0.21" }))).clusterIP,
    "10.43.0.21",
  );
  assert.equal(
    (await create(a, service("z3", { clusterIP: "10.43.0.22" }))).clusterIP,
    "10.43.0.22",
  );
});

Deno.test("ServiceAllocator releases a deleted Service's address and ports", async () => {
  await using storage = new MemoryStorage();
  const a = new ServiceAllocator({ storage, serviceCidr: "10.43.0.0/16" });
  const svc = service("d", {
    clusterIP: "10.43.0.30",
    type: "NodePort",
    ports: [{ port: 80, nodePort: 30200 }],
  });
  await create(a, svc);
  const del = attrs("DELETE", { oldObject: svc });
  await a.admit(del);
  a.committed(del, true);
  const reused = await create(
    a,
    service("d2", {
      clusterIP: "10.43.0.30",
      type: "NodePort",
      ports: [{ port: 80, nodePort: 30200 }],
    }),
  );
  assert.equal(reused.clusterIP, "10.43.0.30");
  // A delete that did not happen keeps them.
  const keep = attrs("DELETE", { oldObject: service("d2", reused) });
  a.committed(keep, false);
  await invalid(a.admit(attrs("CREATE", { object: service("d3", { clusterIP: "10.43.0.30" }) })));
});

Deno.test("ServiceAllocator keeps addresses on update and follows type changes", async () => {
  await using storage = new MemoryStorage();
  const a = new ServiceAllocator({ storage, serviceCidr: "10.43.0.0/16", random: () => 0 });
  const v1 = service("s", { ports: [{ port: 80 }] });
  await create(a, v1);
  const update = async (old: KubeObject, spec: Spec) => {
    const next = service("s", spec);
    const at = attrs("UPDATE", { object: next, oldObject: old });
    await a.admit(at);
    a.committed(at, true);
    return next;
  };
  // An update that leaves the address out keeps it.
  const v2 = await update(v1, { ports: [{ port: 80 }] });
  assert.equal(specOf(v2).clusterIP, "10.43.1.1");
  assert.deepEqual(specOf(v2).clusterIPs, ["10.43.1.1"]);
  // ClusterIP → NodePort allocates a node port.
  const v3 = await update(v2, { type: "NodePort", ports: [{ port: 80 }] });
  assert.equal(specOf(v3).ports![0]!.nodePort, 30000);
  // NodePort → NodePort keeps the port when the client leaves it out.
  const v4 = await update(v3, { type: "NodePort", ports: [{ port: 80 }] });
  assert.equal(specOf(v4).ports![0]!.nodePort, 30000);
  // NodePort → ClusterIP drops and releases it.
  const v5 = await update(v4, { type: "ClusterIP", ports: [{ port: 80, nodePort: 30000 }] });
  assert.equal(specOf(v5).ports![0]!.nodePort, undefined);
  assert.equal(
    (await create(a, service("np", { type: "NodePort", ports: [{ port: 1 }] }))).ports![0]!
      .nodePort,
    30000,
  );
  // ClusterIP → ExternalName releases the address once committed.
  const v6 = await update(v5, { type: "ExternalName" });
  assert.equal(specOf(v6).clusterIP, undefined);
  assert.equal(
    (await create(a, service("reuse", { clusterIP: "10.43.1.1" }))).clusterIP,
    "10.43.1.1",
  );
});

Deno.test("ServiceAllocator rebuilds its state from the stored Services and ignores other kinds", async () => {
  await using storage = new MemoryStorage();
  await storage.create(
    "/registry/services/default/old",
    encodeForStorage(
      service("old", {
        clusterIP: "10.43.0.40",
        clusterIPs: ["10.43.0.40"],
        type: "NodePort",
        ports: [{ port: 80, nodePort: 30300 }],
      }),
    ),
  );
  const a = new ServiceAllocator({ storage, serviceCidr: "10.43.0.0/16" });
  await invalid(a.admit(attrs("CREATE", { object: service("x", { clusterIP: "10.43.0.40" }) })));
  await invalid(
    a.admit(
      attrs("CREATE", {
        object: service("y", { type: "NodePort", ports: [{ port: 1, nodePort: 30300 }] }),
      }),
    ),
  );
  // Not a Service, or a status write: untouched.
  const cm: KubeObject = { metadata: { name: "c" }, data: {} };
  await a.admit({ ...attrs("CREATE", { object: cm }), def: CONFIGMAPS });
  assert.deepEqual(cm, { metadata: { name: "c" }, data: {} });
  const status = service("s", {});
  await a.admit({
    ...attrs("UPDATE", { object: status, oldObject: status }),
    subresource: "status",
  });
  assert.deepEqual(specOf(status), {});
});

Deno.test("POST services allocates, and a dry run or a failed create keeps nothing", async () => {
  await using t = await createTestApp();
  const S = "/api/v1/namespaces/default/services";
  const body = (name: string, spec: Record<string, unknown>) => ({
    body: {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name },
      spec: { ports: [{ port: 80 }], ...spec },
    },
  });
  const kubernetes = await t.json("GET", `${S}/kubernetes`);
  assert.equal(
    (kubernetes.body.spec as Spec).clusterIP,
    "10.43.0.1",
    "bootstrapped on the first address",
  );
  const before = await t.storage.currentRevision();
  const dry = await t.json("POST", `${S}?dryRun=All`, body("dry", { clusterIP: "10.43.0.50" }));
  assert.equal(dry.status, 201);
  assert.equal((dry.body.spec as Spec).clusterIP, "10.43.0.50");
  assert.equal(await t.storage.currentRevision(), before, "a dry run stores nothing");
  // Fails validation after allocation: the address is released.
  const bad = await t.json(
    "POST",
    S,
    body("bad", { clusterIP: "10.43.0.50", ports: [{ port: 80, name: "NOT VALID" }] }),
  );
  assert.equal(bad.status, 422);
  const real = await t.json("POST", S, body("real", { clusterIP: "10.43.0.50" }));
  assert.equal(real.status, 201);
  assert.equal((await t.json("POST", S, body("dup", { clusterIP: "10.43.0.50" }))).status, 422);
  assert.equal((await t.json("DELETE", `${S}/real`)).status, 200);
  assert.equal((await t.json("POST", S, body("after", { clusterIP: "10.43.0.50" }))).status, 201);
});
