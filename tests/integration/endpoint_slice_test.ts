/**
 * The EndpointSlice controller against the real API app in process, on the real clock, its
 * informers and workers running; pods are made Ready by writing their status as a kubelet does.
 */
import assert from "node:assert/strict";
import type { EndpointSlice } from "../../control/api/types/discovery_v1.ts";
import type { Client } from "../../control/client/client.ts";
import { ENDPOINT_SLICES, SERVICES } from "../../control/client/resources.ts";
import { SharedInformerFactory } from "../../control/client/shared_informer_factory.ts";
import { EndpointSliceController } from "../../control/controllers/endpoint_slice.ts";
import { systemClock } from "../../control/util/clock.ts";
import { RecordingLogger } from "../../control/util/logger.ts";
import {
  createNode,
  createPod,
  setPodStatus,
  startControllerApi,
  until,
} from "../_support/controller_api.ts";

async function slicesOf(client: Client, service: string): Promise<EndpointSlice[]> {
  const list = await client.resource(ENDPOINT_SLICES).list({
    namespace: "default",
    labelSelector: `kubernetes.io/service-name=${service}`,
  });
  return list.items;
}

function ipOf(i: number): string {
  return `10.42.${Math.floor(i / 200)}.${(i % 200) + 10}`;
}

async function makeReadyPods(
  client: Client,
  pods: readonly { name: string; ip: string; port: number; node: string }[],
): Promise<void> {
  // A few at a time: the API is in process, but the machine is small.
  for (let i = 0; i < pods.length; i += 25) {
    await Promise.all(
      pods.slice(i, i + 25).map(async (p) => {
        await createPod(client, {
          namespace: "default",
          name: p.name,
          labels: { app: "web" },
          nodeName: p.node,
          ports: [{ name: "http", containerPort: p.port }],
        });
        await setPodStatus(client, { namespace: "default", name: p.name, podIP: p.ip });
      }),
    );
  }
}

async function withController(fn: (client: Client) => Promise<void>): Promise<void> {
  await using api = await startControllerApi();
  await createNode(api.client, {
    name: "edge-1",
    labels: { "topology.kubernetes.io/zone": "site-a" },
  });
  await createNode(api.client, { name: "edge-2" });
  const logger = new RecordingLogger();
  const informers = new SharedInformerFactory(api.client, { clock: systemClock, logger });
  const controller = new EndpointSliceController({
    client: api.client,
    informers,
    clock: systemClock,
    logger,
  });
  const stop = new AbortController();
  informers.start(stop.signal);
  const running = controller.run(stop.signal);
  try {
    await fn(api.client);
  } finally {
    stop.abort();
    await running;
    await informers.shutdown();
  }
}

async function createWebService(client: Client): Promise<void> {
  await client.resource(SERVICES).create({
    metadata: { namespace: "default", name: "web" },
    spec: { selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: "http" }] },
  });
}

Deno.test("a Service with 250 ready pods gets 3 slices of at most 100, and a readiness flip rewrites only the affected slice", async () => {
  await withController(async (client) => {
    const pods = Array.from({ length: 250 }, (_, i) => ({
      name: `web-${i}`,
      ip: ipOf(i),
      port: 8080,
      node: i % 2 === 0 ? "edge-1" : "edge-2",
    }));
    await makeReadyPods(client, pods);
    await createWebService(client);

    await until(async () => {
      const slices = await slicesOf(client, "web");
      return slices.reduce((n, s) => n + (s.endpoints ?? []).length, 0) === 250;
    }, { what: "250 endpoints", timeoutMs: 30_000 });
    const slices = await slicesOf(client, "web");
    assert.equal(slices.length, 3);
    for (const slice of slices) {
      assert.ok((slice.endpoints ?? []).length <= 100, `${slice.metadata?.name} holds at most 100`);
      assert.ok(slice.endpoints?.every((e) => e.conditions?.ready === true));
    }
    const zoned = slices.flatMap((s) => s.endpoints ?? []).find((e) => e.nodeName === "edge-1");
    assert.equal(zoned?.zone, "site-a");

    const holder = slices.find((s) => s.endpoints?.some((e) => e.targetRef?.name === "web-137"))!;
    const versions = new Map(slices.map((s) => [s.metadata!.name!, s.metadata!.resourceVersion]));
    await setPodStatus(client, {
      namespace: "default",
      name: "web-137",
      podIP: ipOf(137),
      ready: false,
    });
    await until(async () => {
      const now = await slicesOf(client, "web");
      const slice = now.find((s) => s.metadata?.name === holder.metadata?.name);
      const ep = slice?.endpoints?.find((e) => e.targetRef?.name === "web-137");
      return ep?.conditions?.ready === false;
    }, { what: "web-137 not ready" });

    const after = await slicesOf(client, "web");
    assert.equal(after.length, 3);
    for (const slice of after) {
      const name = slice.metadata!.name!;
      if (name === holder.metadata?.name) {
        assert.notEqual(slice.metadata?.resourceVersion, versions.get(name));
        const ep = slice.endpoints?.find((e) => e.targetRef?.name === "web-137");
        assert.deepEqual(ep?.conditions, { ready: false, serving: false, terminating: false });
      } else {
        assert.equal(slice.metadata?.resourceVersion, versions.get(name), `${name} untouched`);
      }
    }
  });
});

Deno.test("a named target port resolves per pod, and pods with different ports get different slices", async () => {
  await withController(async (client) => {
    await makeReadyPods(client, [
      { name: "web-old-0", ip: "10.42.0.10", port: 8080, node: "edge-1" },
      { name: "web-old-1", ip: "10.42.0.11", port: 8080, node: "edge-2" },
      { name: "web-new-0", ip: "10.42.0.20", port: 9090, node: "edge-1" },
    ]);
    await createWebService(client);

    await until(async () => {
      const slices = await slicesOf(client, "web");
      return slices.reduce((n, s) => n + (s.endpoints ?? []).length, 0) === 3;
    }, { what: "3 endpoints" });
    const byPort = Object.fromEntries(
      (await slicesOf(client, "web")).map((s) => [
        String(s.ports?.[0]?.port),
        (s.endpoints ?? []).map((e) => e.targetRef?.name).sort(),
      ]),
    );
    assert.deepEqual(byPort, {
      "8080": ["web-old-0", "web-old-1"],
      "9090": ["web-new-0"],
    });
    for (const slice of await slicesOf(client, "web")) {
      assert.equal(slice.ports?.[0]?.name, "http");
      assert.equal(slice.ports?.[0]?.protocol, "TCP");
    }
  });
});
