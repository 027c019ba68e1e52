import assert from "node:assert/strict";
import type { KubeObject } from "../api/types/meta_v1.ts";
import type { EndpointSlice } from "../api/types/discovery_v1.ts";
import type { Client } from "../client/client.ts";
import type { EventRecord, EventRecorder } from "../client/event_recorder.ts";
import { ENDPOINT_SLICES, PODS, SERVICES } from "../client/resources.ts";
import { SharedInformerFactory } from "../client/shared_informer_factory.ts";
import { FakeClock } from "../util/clock.ts";
import { RecordingLogger } from "../util/logger.ts";
import {
  createNode,
  createPod,
  setPodStatus,
  startControllerApi,
  until,
} from "../../tests/_support/controller_api.ts";
import {
  ENDPOINT_SLICE_CONTROLLER_MANAGED_BY,
  EndpointSliceController,
  type EndpointSliceControllerOptions,
} from "./endpoint_slice.ts";

interface Harness extends AsyncDisposable {
  readonly client: Client;
  readonly clock: FakeClock;
  readonly controller: EndpointSliceController;
  readonly informers: SharedInformerFactory;
  readonly events: { object: KubeObject; record: EventRecord }[];
}

async function harness(options: EndpointSliceControllerOptions = {}): Promise<Harness> {
  const api = await startControllerApi();
  const clock = new FakeClock(Date.now());
  const logger = new RecordingLogger();
  const informers = new SharedInformerFactory(api.client, { clock, logger });
  const events: { object: KubeObject; record: EventRecord }[] = [];
  const recorder: EventRecorder = { event: (object, record) => events.push({ object, record }) };
  const controller = new EndpointSliceController(
    { client: api.client, informers, clock, logger, events: recorder },
    options,
  );
  const stop = new AbortController();
  informers.start(stop.signal);
  await informers.waitForCacheSync(stop.signal);
  return {
    client: api.client,
    clock,
    controller,
    informers,
    events,
    async [Symbol.asyncDispose]() {
      stop.abort();
      await informers.shutdown();
      await api[Symbol.asyncDispose]();
    },
  };
}

async function createService(
  client: Client,
  options: { name: string; selector?: Record<string, string>; labels?: Record<string, string> },
): Promise<void> {
  await client.resource(SERVICES).create({
    metadata: {
      namespace: "default",
      name: options.name,
      ...(options.labels ? { labels: options.labels } : {}),
    },
    spec: {
      ...(options.selector ? { selector: options.selector } : {}),
      ports: [{ name: "http", port: 80, targetPort: "http" }],
    },
  });
}

async function readyPod(
  client: Client,
  options: { name: string; ip: string; node?: string; ready?: boolean },
): Promise<void> {
  await createPod(client, {
    namespace: "default",
    name: options.name,
    labels: { app: "web" },
    nodeName: options.node ?? "node-a",
    ports: [{ name: "http", containerPort: 8080 }],
  });
  await setPodStatus(client, {
    namespace: "default",
    name: options.name,
    podIP: options.ip,
    ready: options.ready ?? true,
  });
}

async function slicesOf(client: Client, service: string): Promise<EndpointSlice[]> {
  const list = await client.resource(ENDPOINT_SLICES).list({
    namespace: "default",
    labelSelector: `kubernetes.io/service-name=${service}`,
  });
  return list.items;
}

/** Waits until the shared caches have every pod with an IP and the Service. */
async function cachesHave(h: Harness, options: { pods: number; service: string }): Promise<void> {
  const pods = h.informers.informerFor(PODS).store;
  const services = h.informers.informerFor(SERVICES).store;
  await until(
    () =>
      pods.list().filter((p) => p.status?.podIP).length >= options.pods &&
      services.get(`default/${options.service}`) !== undefined,
    { what: "the caches" },
  );
}

function summary(slice: EndpointSlice | undefined): string[] {
  return (slice?.endpoints ?? []).map((e) => {
    const c = e.conditions ?? {};
    return `${e.targetRef?.name} ${
      e.addresses.join(",")
    } ready=${c.ready} serving=${c.serving} terminating=${c.terminating}`;
  }).sort();
}

Deno.test("EndpointSliceController.sync() writes the slice of a Service with a selector", async () => {
  await using h = await harness();
  await createNode(h.client, { name: "node-a", labels: { "topology.kubernetes.io/zone": "z1" } });
  await readyPod(h.client, { name: "web-0", ip: "10.42.0.10" });
  await readyPod(h.client, { name: "web-1", ip: "10.42.0.11", ready: false });
  await createService(h.client, { name: "web", selector: { app: "web" }, labels: { tier: "x" } });
  await cachesHave(h, { pods: 2, service: "web" });
  await until(() => h.informers.informerFor(SERVICES).store.get("default/web") !== undefined);

  await h.controller.sync("default/web");

  const [slice, ...more] = await slicesOf(h.client, "web");
  assert.deepEqual(more, []);
  const service = await h.client.resource(SERVICES).get("web", { namespace: "default" });
  assert.match(slice?.metadata?.name ?? "", /^web-[a-z0-9]{5}$/);
  assert.equal(slice?.addressType, "IPv4");
  assert.deepEqual(slice?.metadata?.labels, {
    tier: "x",
    "kubernetes.io/service-name": "web",
    "endpointslice.kubernetes.io/managed-by": ENDPOINT_SLICE_CONTROLLER_MANAGED_BY,
  });
  assert.deepEqual(slice?.metadata?.ownerReferences, [{
    apiVersion: "v1",
    kind: "Service",
    name: "web",
    uid: service.metadata?.uid,
    controller: true,
    blockOwnerDeletion: true,
  }]);
  assert.equal(
    slice?.metadata?.annotations?.["endpoints.kubernetes.io/last-change-trigger-time"],
    service.metadata?.creationTimestamp,
  );
  assert.deepEqual(slice?.ports, [{ name: "http", port: 8080, protocol: "TCP" }]);
  assert.deepEqual(summary(slice), [
    "web-0 10.42.0.10 ready=true serving=true terminating=false",
    "web-1 10.42.0.11 ready=false serving=false terminating=false",
  ]);
  const web0 = slice?.endpoints?.find((e) => e.targetRef?.name === "web-0");
  assert.equal(web0?.nodeName, "node-a");
  assert.equal(web0?.zone, "z1");
  assert.equal(web0?.targetRef?.kind, "Pod");

  // A second sync with nothing new writes nothing.
  const rv = slice?.metadata?.resourceVersion;
  await until(() =>
    h.informers.informerFor(ENDPOINT_SLICES, {
      labelSelector:
        `endpointslice.kubernetes.io/managed-by=${ENDPOINT_SLICE_CONTROLLER_MANAGED_BY}`,
    }).store.size === 1
  );
  await h.controller.sync("default/web");
  const [again] = await slicesOf(h.client, "web");
  assert.equal(again?.metadata?.resourceVersion, rv);
});

Deno.test("EndpointSliceController.sync() leaves Services without a selector alone", async () => {
  await using h = await harness();
  const before = await slicesOf(h.client, "kubernetes");
  await createService(h.client, { name: "manual" });
  await until(() => h.informers.informerFor(SERVICES).store.get("default/manual") !== undefined);

  await h.controller.sync("default/kubernetes");
  await h.controller.sync("default/manual");

  assert.deepEqual(await slicesOf(h.client, "kubernetes"), before);
  assert.deepEqual(await slicesOf(h.client, "manual"), []);
});

Deno.test("EndpointSliceController.sync() deletes the slices of a deleted Service", async () => {
  await using h = await harness();
  await createNode(h.client, { name: "node-a" });
  await readyPod(h.client, { name: "web-0", ip: "10.42.0.10" });
  await createService(h.client, { name: "web", selector: { app: "web" } });
  await cachesHave(h, { pods: 1, service: "web" });
  await h.controller.sync("default/web");
  assert.equal((await slicesOf(h.client, "web")).length, 1);
  const slices = h.informers.informerFor(ENDPOINT_SLICES, {
    labelSelector: `endpointslice.kubernetes.io/managed-by=${ENDPOINT_SLICE_CONTROLLER_MANAGED_BY}`,
  }).store;
  await until(() => slices.size === 1, { what: "the slice in the cache" });

  await h.client.resource(SERVICES).delete("web", { namespace: "default" });
  await until(() => h.informers.informerFor(SERVICES).store.get("default/web") === undefined);
  await h.controller.sync("default/web");

  assert.deepEqual(await slicesOf(h.client, "web"), []);
});

Deno.test("EndpointSliceController.run() follows readiness and termination, and puts back a deleted slice", async () => {
  await using h = await harness();
  await createNode(h.client, { name: "node-a" });
  await readyPod(h.client, { name: "web-0", ip: "10.42.0.10", ready: false });
  await createService(h.client, { name: "web", selector: { app: "web" } });
  const stop = new AbortController();
  const running = h.controller.run(stop.signal);
  const summaryNow = async () => summary((await slicesOf(h.client, "web"))[0]);
  try {
    await until(
      async () =>
        (await summaryNow()).join() ===
          "web-0 10.42.0.10 ready=false serving=false terminating=false",
      { what: "the not-ready endpoint" },
    );
    await setPodStatus(h.client, { namespace: "default", name: "web-0", podIP: "10.42.0.10" });
    await until(
      async () =>
        (await summaryNow()).join() ===
          "web-0 10.42.0.10 ready=true serving=true terminating=false",
      { what: "the ready endpoint" },
    );
    // Deleting a pod on a node starts its grace period: serving, not ready, terminating.
    await h.client.resource(PODS).delete("web-0", { namespace: "default" });
    await until(
      async () =>
        (await summaryNow()).join() ===
          "web-0 10.42.0.10 ready=false serving=true terminating=true",
      { what: "the terminating endpoint" },
    );

    const [slice] = await slicesOf(h.client, "web");
    await h.client.resource(ENDPOINT_SLICES).delete(slice!.metadata!.name!, {
      namespace: "default",
    });
    await until(async () => (await slicesOf(h.client, "web")).length === 0);
    // Someone else's change is synced after a second.
    h.clock.advance(1_000);
    await until(async () => (await slicesOf(h.client, "web")).length === 1, {
      what: "the slice to be put back",
    });
  } finally {
    stop.abort();
    await running;
  }
});

Deno.test("EndpointSliceController.sync() skips pods on unknown nodes and fails to be retried", async () => {
  await using h = await harness();
  await createNode(h.client, { name: "node-a" });
  await readyPod(h.client, { name: "web-0", ip: "10.42.0.10" });
  await readyPod(h.client, { name: "web-1", ip: "10.42.0.11", node: "node-x" });
  await createService(h.client, { name: "web", selector: { app: "web" } });
  await cachesHave(h, { pods: 2, service: "web" });

  await assert.rejects(
    h.controller.sync("default/web"),
    /skipping Pod web-1 for Service default\/web: Node node-x Not Found/,
  );

  assert.deepEqual(summary((await slicesOf(h.client, "web"))[0]), [
    "web-0 10.42.0.10 ready=true serving=true terminating=false",
  ]);
  assert.deepEqual(h.events.map((e) => [e.object.metadata?.name, e.record.type, e.record.reason]), [
    ["web", "Warning", "FailedToUpdateEndpointSlices"],
  ]);
  assert.equal(
    h.events[0]?.record.message,
    "Error updating Endpoint Slices for Service default/web: skipping Pod web-1 for Service default/web: Node node-x Not Found",
  );
});

Deno.test("EndpointSliceController() rejects bad options", async (t) => {
  await using h = await harness();
  const deps = {
    client: h.client,
    informers: h.informers,
    clock: h.clock,
    logger: new RecordingLogger(),
  };
  const cases: { name: string; options: EndpointSliceControllerOptions; message: RegExp }[] = [
    { name: "no workers", options: { workers: 0 }, message: /with 0 workers/ },
    {
      name: "too many endpoints per slice",
      options: { maxEndpointsPerSlice: 1001 },
      message: /Cannot put 1001 endpoints in a slice/,
    },
    {
      name: "a negative batch period",
      options: { endpointUpdatesBatchPeriodMs: -5 },
      message: /for -5 ms/,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.throws(() => new EndpointSliceController(deps, c.options), RangeError);
      assert.throws(() => new EndpointSliceController(deps, c.options), c.message);
    });
  }
});
