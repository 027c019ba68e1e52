import assert from "node:assert/strict";
import { RecordingLogger } from "../util/logger.ts";
import { createTestApp, type TestApp } from "./_test_app.ts";
import { bootstrapCluster, type BootstrapOptions } from "./bootstrap.ts";
import { InProcessClient } from "./in_process_client.ts";

const ADMIN = { username: "admin", groups: ["system:masters", "system:authenticated"] };

function options(t: TestApp, extra: Partial<BootstrapOptions> = {}): BootstrapOptions {
  return {
    client: new InProcessClient(t.app, ADMIN),
    logger: new RecordingLogger(),
    serviceCidr: "10.43.0.0/16",
    advertiseAddress: "192.0.2.10",
    port: 6443,
    ...extra,
  };
}

Deno.test("bootstrapCluster() creates the system namespaces and priority classes", async () => {
  await using t = await createTestApp();
  const namespaces = await t.json("GET", "/api/v1/namespaces");
  assert.deepEqual(
    (namespaces.body.items as { metadata: { name: string } }[]).map((n) => n.metadata.name),
    ["default", "kube-node-lease", "kube-public", "kube-system"],
  );
  const pcs = await t.json("GET", "/apis/scheduling.k8s.io/v1/priorityclasses");
  const values = Object.fromEntries(
    (pcs.body.items as { metadata: { name: string }; value: number }[]).map((
      p,
    ) => [p.metadata.name, p.value]),
  );
  assert.deepEqual(values, {
    "system-cluster-critical": 2000000000,
    "system-node-critical": 2000001000,
  });
});

Deno.test("bootstrapCluster() publishes the kubernetes Service with its endpoints", async () => {
  await using t = await createTestApp();
  const svc = await t.json("GET", "/api/v1/namespaces/default/services/kubernetes");
  const spec = svc.body.spec as Record<string, unknown>;
  assert.equal(spec.clusterIP, "10.43.0.1");
  assert.equal(spec.type, "ClusterIP");
  assert.deepEqual(spec.ports, [{ name: "https", port: 443, protocol: "TCP", targetPort: 6443 }]);
  assert.deepEqual((svc.body.metadata as { labels: unknown }).labels, {
    component: "apiserver",
    provider: "kubernetes",
  });
  const ep = await t.json("GET", "/api/v1/namespaces/default/endpoints/kubernetes");
  assert.deepEqual(ep.body.subsets, [{
    addresses: [{ ip: "192.0.2.10" }],
    ports: [{ name: "https", port: 6443, protocol: "TCP" }],
  }]);
  const slice = await t.json(
    "GET",
    "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes",
  );
  assert.equal(slice.body.addressType, "IPv4");
  assert.deepEqual((slice.body.endpoints as { addresses: string[] }[]).map((e) => e.addresses), [[
    "192.0.2.10",
  ]]);
  assert.deepEqual(
    (slice.body.metadata as { labels: Record<string, string> })
      .labels["kubernetes.io/service-name"],
    "kubernetes",
  );
});

Deno.test("bootstrapCluster() run again writes nothing", async () => {
  await using t = await createTestApp();
  const before = await t.storage.currentRevision();
  const opts = options(t);
  await bootstrapCluster(opts);
  assert.equal(await t.storage.currentRevision(), before);
  assert.deepEqual((opts.logger as RecordingLogger).messages("info"), [
    "Bootstrapped cluster objects",
  ]);
});

Deno.test("bootstrapCluster() points the endpoints at a new address or port", async () => {
  await using t = await createTestApp();
  await bootstrapCluster(options(t, { advertiseAddress: "192.0.2.20", port: 7443 }));
  const ep = await t.json("GET", "/api/v1/namespaces/default/endpoints/kubernetes");
  assert.deepEqual(ep.body.subsets, [{
    addresses: [{ ip: "192.0.2.20" }],
    ports: [{ name: "https", port: 7443, protocol: "TCP" }],
  }]);
  const slice = await t.json(
    "GET",
    "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes",
  );
  assert.deepEqual(slice.body.ports, [{ name: "https", port: 7443, protocol: "TCP" }]);
});

Deno.test("bootstrapCluster() recreates what was deleted", async () => {
  await using t = await createTestApp();
  const slice = "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes";
  assert.equal((await t.json("DELETE", slice)).status, 200);
  assert.equal(
    (await t.json("DELETE", "/api/v1/namespaces/default/endpoints/kubernetes")).status,
    200,
  );
  await bootstrapCluster(options(t));
  assert.equal((await t.json("GET", slice)).status, 200);
  assert.equal(
    (await t.json("GET", "/api/v1/namespaces/default/endpoints/kubernetes")).status,
    200,
  );
});

Deno.test("bootstrapCluster() publishes no endpoints for a loopback address", async () => {
  await using t = await createTestApp();
  assert.equal(
    (await t.json("DELETE", "/api/v1/namespaces/default/endpoints/kubernetes")).status,
    200,
  );
  const opts = options(t, { advertiseAddress: "127.0.0.1" });
  await bootstrapCluster(opts);
  assert.equal(
    (await t.json("GET", "/api/v1/namespaces/default/endpoints/kubernetes")).status,
    404,
  );
  assert.deepEqual((opts.logger as RecordingLogger).messages("warn"), [
    "Not publishing the kubernetes Service's endpoints: no non-loopback address",
  ]);
});

Deno.test("bootstrapCluster() names what it could not create", async () => {
  await using t = await createTestApp();
  const refusing = {
    fetch(request: Request) {
      if (request.method === "GET") return new Response("{}", { status: 404 });
      return new Response(JSON.stringify({ message: "storage is read-only" }), { status: 503 });
    },
  };
  await assert.rejects(
    () => bootstrapCluster({ ...options(t), client: new InProcessClient(refusing, ADMIN) }),
    { message: "Cannot create /api/v1/namespaces/default: 503 storage is read-only" },
  );
});
