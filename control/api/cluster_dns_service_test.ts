import assert from "node:assert/strict";
import { RecordingLogger } from "../util/logger.ts";
import { createTestApp, type TestApp } from "./_test_app.ts";
import { bootstrapCluster } from "./bootstrap.ts";
import {
  CLUSTER_DNS_SERVICE_LABELS,
  clusterDnsService,
  reconcileClusterDnsService,
} from "./cluster_dns_service.ts";
import type { Service } from "./types/core_v1_service.ts";

const PATH = "/api/v1/namespaces/kube-system/services/kube-dns";

async function kubeDns(t: TestApp): Promise<Service | null> {
  const res = await t.json("GET", PATH);
  return res.status === 200 ? res.body as Service : null;
}

/** Creates a Service `default/<name>` on `clusterIP`; answers the status code. */
async function serviceOn(t: TestApp, name: string, clusterIP: string): Promise<number> {
  const res = await t.json("POST", "/api/v1/namespaces/default/services", {
    body: {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name },
      spec: { clusterIP, ports: [{ port: 80 }] },
    },
  });
  return res.status;
}

Deno.test("reconcileClusterDnsService() creates kube-system/kube-dns on the cluster DNS address", async () => {
  await using t = await createTestApp();
  const logger = new RecordingLogger();
  assert.equal(
    await reconcileClusterDnsService(t.client, { clusterDns: "10.43.0.10", logger }),
    "created",
  );
  const svc = await kubeDns(t);
  assert.equal(svc?.spec?.clusterIP, "10.43.0.10");
  assert.deepEqual(svc?.spec?.clusterIPs, ["10.43.0.10"]);
  assert.equal(svc?.spec?.type, "ClusterIP");
  assert.equal(svc?.spec?.selector, undefined);
  assert.deepEqual(svc?.spec?.ports, [
    { name: "dns", port: 53, protocol: "UDP", targetPort: 53 },
    { name: "dns-tcp", port: 53, protocol: "TCP", targetPort: 53 },
    { name: "metrics", port: 9153, protocol: "TCP", targetPort: 9153 },
  ]);
  assert.deepEqual(svc?.metadata?.labels, {
    "k8s-app": "kube-dns",
    "kubernetes.io/cluster-service": "true",
    "kubernetes.io/name": "CoreDNS",
  });
  // The address is held in the allocator: nobody else gets it.
  assert.equal(await serviceOn(t, "squatter", "10.43.0.10"), 422);
  assert.deepEqual(logger.messages("debug"), ["Created the cluster DNS Service"]);
});

Deno.test("reconcileClusterDnsService() run again writes nothing", async () => {
  await using t = await createTestApp();
  const logger = new RecordingLogger();
  await reconcileClusterDnsService(t.client, { clusterDns: "10.43.0.10", logger });
  const before = await t.storage.currentRevision();
  assert.equal(
    await reconcileClusterDnsService(t.client, { clusterDns: "10.43.0.10", logger }),
    "unchanged",
  );
  assert.equal(await t.storage.currentRevision(), before);
});

Deno.test("reconcileClusterDnsService() puts back ports, labels and a selector someone changed", async () => {
  await using t = await createTestApp();
  const logger = new RecordingLogger();
  await reconcileClusterDnsService(t.client, { clusterDns: "10.43.0.10", logger });
  const svc = (await kubeDns(t))!;
  const edited = {
    ...svc,
    metadata: { ...svc.metadata, labels: { "k8s-app": "mine", extra: "kept" } },
    spec: { ...svc.spec, selector: { app: "coredns" }, ports: [{ name: "dns", port: 5353 }] },
  };
  assert.equal((await t.json("PUT", PATH, { body: edited })).status, 200);
  assert.equal(
    await reconcileClusterDnsService(t.client, { clusterDns: "10.43.0.10", logger }),
    "updated",
  );
  const back = await kubeDns(t);
  assert.deepEqual(back?.metadata?.labels, { ...CLUSTER_DNS_SERVICE_LABELS, extra: "kept" });
  assert.equal(back?.spec?.selector, undefined);
  assert.deepEqual(
    back?.spec?.ports?.map((p) => `${p.name} ${p.port}/${p.protocol}`),
    ["dns 53/UDP", "dns-tcp 53/TCP", "metrics 9153/TCP"],
  );
  assert.equal(back?.metadata?.uid, svc.metadata?.uid, "updated in place");
});

Deno.test("reconcileClusterDnsService() moves the Service when --cluster-dns changed", async () => {
  await using t = await createTestApp();
  const logger = new RecordingLogger();
  await reconcileClusterDnsService(t.client, { clusterDns: "10.43.0.10", logger });
  assert.equal(
    await reconcileClusterDnsService(t.client, { clusterDns: "10.43.0.53", logger }),
    "replaced",
  );
  assert.equal((await kubeDns(t))?.spec?.clusterIP, "10.43.0.53");
  // The old address went back to the allocator.
  assert.equal(await serviceOn(t, "reuse", "10.43.0.10"), 201);
});

Deno.test("reconcileClusterDnsService() with DNS disabled removes skiff's Service only", async (t) => {
  await t.step("skiff's Service goes", async () => {
    await using app = await createTestApp();
    const logger = new RecordingLogger();
    await reconcileClusterDnsService(app.client, { clusterDns: "10.43.0.10", logger });
    assert.equal(
      await reconcileClusterDnsService(app.client, { clusterDns: null, logger }),
      "deleted",
    );
    assert.equal(await kubeDns(app), null);
    assert.equal(
      await reconcileClusterDnsService(app.client, { clusterDns: null, logger }),
      "absent",
    );
  });
  await t.step("another DNS's Service (it has a selector) stays", async () => {
    await using app = await createTestApp();
    const theirs = clusterDnsService("10.43.0.10");
    theirs.spec = { ...theirs.spec, selector: { "k8s-app": "kube-dns" } };
    const created = await app.json("POST", "/api/v1/namespaces/kube-system/services", {
      body: theirs,
    });
    assert.equal(created.status, 201);
    const logger = new RecordingLogger();
    assert.equal(
      await reconcileClusterDnsService(app.client, { clusterDns: null, logger }),
      "unchanged",
    );
    assert.deepEqual((await kubeDns(app))?.spec?.selector, { "k8s-app": "kube-dns" });
  });
});

Deno.test("reconcileClusterDnsService() logs an address another Service holds and goes on", async () => {
  await using t = await createTestApp();
  assert.equal(await serviceOn(t, "first", "10.43.0.10"), 201);
  const logger = new RecordingLogger();
  assert.equal(
    await reconcileClusterDnsService(t.client, { clusterDns: "10.43.0.10", logger }),
    "failed",
  );
  assert.deepEqual(logger.messages("error"), ["Cannot create the cluster DNS Service"]);
  assert.match(
    String(logger.records.find((r) => r.level === "error")?.fields.error),
    /^422 .*10\.43\.0\.10/,
  );
  assert.equal(await kubeDns(t), null);
});

Deno.test("bootstrapCluster() keeps the kube-dns Service only when told the cluster DNS address", async () => {
  await using t = await createTestApp();
  assert.equal(await kubeDns(t), null, "the test app's bootstrap leaves it alone");
  const opts = {
    client: t.client,
    logger: new RecordingLogger(),
    serviceCidr: "10.43.0.0/16",
    advertiseAddress: "192.0.2.10",
    port: 6443,
  };
  await bootstrapCluster({ ...opts, clusterDns: "10.43.0.10" });
  assert.equal((await kubeDns(t))?.spec?.clusterIP, "10.43.0.10");
  await bootstrapCluster(opts);
  assert.equal((await kubeDns(t))?.spec?.clusterIP, "10.43.0.10", "unset: untouched");
  await bootstrapCluster({ ...opts, clusterDns: null });
  assert.equal(await kubeDns(t), null);
});
