import assert from "node:assert/strict";
import type { Endpoints } from "../api/types/core_v1_service.ts";
import type { Client } from "../client/client.ts";
import { isNotFound } from "../client/errors.ts";
import { ENDPOINTS, PODS, SERVICES } from "../client/resources.ts";
import { SharedInformerFactory } from "../client/shared_informer_factory.ts";
import { FakeClock } from "../util/clock.ts";
import { RecordingLogger } from "../util/logger.ts";
import {
  createPod,
  setPodStatus,
  startControllerApi,
  until,
} from "../../tests/_support/controller_api.ts";
import { EndpointsController, type EndpointsControllerOptions } from "./endpoints.ts";

interface Harness extends AsyncDisposable {
  readonly client: Client;
  readonly clock: FakeClock;
  readonly informers: SharedInformerFactory;
  readonly controller: EndpointsController;
  /** Starts the informers (after the test created what they should find). */
  start(): Promise<void>;
}

async function harness(options: EndpointsControllerOptions = {}): Promise<Harness> {
  const api = await startControllerApi();
  const clock = new FakeClock(Date.now());
  const logger = new RecordingLogger();
  const informers = new SharedInformerFactory(api.client, { clock, logger });
  const controller = new EndpointsController(
    { client: api.client, informers, clock, logger },
    options,
  );
  const stop = new AbortController();
  return {
    client: api.client,
    clock,
    informers,
    controller,
    async start() {
      informers.start(stop.signal);
      await informers.waitForCacheSync(stop.signal);
    },
    async [Symbol.asyncDispose]() {
      stop.abort();
      await informers.shutdown();
      await api[Symbol.asyncDispose]();
    },
  };
}

async function createService(
  client: Client,
  options: { name: string; selector?: Record<string, string>; headless?: boolean },
): Promise<void> {
  await client.resource(SERVICES).create({
    metadata: { namespace: "default", name: options.name, labels: { team: "shop" } },
    spec: {
      ...(options.selector ? { selector: options.selector } : {}),
      ...(options.headless ? { clusterIP: "None" } : {}),
      ports: [{ name: "http", port: 80, targetPort: "http" }],
    },
  });
}

async function makePods(
  client: Client,
  pods: readonly { name: string; ip: string; ready?: boolean }[],
): Promise<void> {
  for (let i = 0; i < pods.length; i += 50) {
    await Promise.all(
      pods.slice(i, i + 50).map(async (p) => {
        await createPod(client, {
          namespace: "default",
          name: p.name,
          labels: { app: "web" },
          nodeName: "node-a",
          ports: [{ name: "http", containerPort: 8080 }],
        });
        await setPodStatus(client, {
          namespace: "default",
          name: p.name,
          podIP: p.ip,
          ready: p.ready ?? true,
        });
      }),
    );
  }
}

async function endpointsOf(client: Client, name: string): Promise<Endpoints | null> {
  try {
    return await client.resource(ENDPOINTS).get(name, { namespace: "default" });
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
}

async function cachesHave(h: Harness, options: { pods: number; service?: string }) {
  const pods = h.informers.informerFor(PODS).store;
  const services = h.informers.informerFor(SERVICES).store;
  await until(
    () =>
      pods.list().filter((p) => p.status?.podIP).length >= options.pods &&
      (!options.service || services.get(`default/${options.service}`) !== undefined),
    { what: "the caches" },
  );
}

Deno.test("EndpointsController.sync() writes the Endpoints of a Service with a selector", async () => {
  await using h = await harness();
  await makePods(h.client, [
    { name: "web-0", ip: "10.42.0.10" },
    { name: "web-1", ip: "10.42.0.11", ready: false },
  ]);
  await createService(h.client, { name: "web", selector: { app: "web" } });
  await h.start();
  await cachesHave(h, { pods: 2, service: "web" });

  await h.controller.sync("default/web");

  const ep = await endpointsOf(h.client, "web");
  const service = await h.client.resource(SERVICES).get("web", { namespace: "default" });
  assert.deepEqual(ep?.metadata?.labels, { team: "shop" });
  assert.equal(
    ep?.metadata?.annotations?.["endpoints.kubernetes.io/last-change-trigger-time"],
    service.metadata?.creationTimestamp,
  );
  assert.equal(ep?.metadata?.annotations?.["endpoints.kubernetes.io/over-capacity"], undefined);
  const pod0 = await h.client.resource(PODS).get("web-0", { namespace: "default" });
  assert.deepEqual(ep?.subsets, [{
    addresses: [{
      ip: "10.42.0.10",
      nodeName: "node-a",
      targetRef: { kind: "Pod", namespace: "default", name: "web-0", uid: pod0.metadata?.uid },
    }],
    notReadyAddresses: [{
      ip: "10.42.0.11",
      nodeName: "node-a",
      targetRef: {
        kind: "Pod",
        namespace: "default",
        name: "web-1",
        uid: (await h.client.resource(PODS).get("web-1", { namespace: "default" })).metadata?.uid,
      },
    }],
    ports: [{ name: "http", port: 8080, protocol: "TCP" }],
  }]);

  // Nothing changed: nothing written.
  const store = h.informers.informerFor(ENDPOINTS).store;
  await until(() => store.get("default/web") !== undefined, { what: "the Endpoints cached" });
  await h.controller.sync("default/web");
  assert.equal(
    (await endpointsOf(h.client, "web"))?.metadata?.resourceVersion,
    ep?.metadata?.resourceVersion,
  );
});

Deno.test("EndpointsController.sync() labels a headless Service's Endpoints", async () => {
  await using h = await harness();
  await makePods(h.client, [{ name: "web-0", ip: "10.42.0.10" }]);
  await createService(h.client, { name: "web", selector: { app: "web" }, headless: true });
  await h.start();
  await cachesHave(h, { pods: 1, service: "web" });

  await h.controller.sync("default/web");

  const ep = await endpointsOf(h.client, "web");
  assert.deepEqual(ep?.metadata?.labels, { team: "shop", "service.kubernetes.io/headless": "" });
});

Deno.test("EndpointsController.sync() caps an Endpoints object at 1000 addresses", async () => {
  await using h = await harness();
  const pods = Array.from({ length: 1005 }, (_, i) => ({
    name: `web-${i}`,
    ip: `10.42.${Math.floor(i / 200)}.${(i % 200) + 10}`,
  }));
  await makePods(h.client, pods);
  await createService(h.client, { name: "web", selector: { app: "web" } });
  await h.start();
  await cachesHave(h, { pods: 1005, service: "web" });

  await h.controller.sync("default/web");

  const ep = await endpointsOf(h.client, "web");
  assert.equal(ep?.metadata?.annotations?.["endpoints.kubernetes.io/over-capacity"], "truncated");
  const count = (ep?.subsets ?? []).reduce((n, s) => n + (s.addresses ?? []).length, 0);
  assert.equal(count, 1000);

  // Truncated and unchanged: not rewritten.
  const store = h.informers.informerFor(ENDPOINTS).store;
  await until(() => store.get("default/web") !== undefined, { what: "the Endpoints cached" });
  await h.controller.sync("default/web");
  assert.equal(
    (await endpointsOf(h.client, "web"))?.metadata?.resourceVersion,
    ep?.metadata?.resourceVersion,
  );

  // Back under capacity: the annotation goes.
  await h.client.resource(PODS).deleteCollection({
    namespace: "default",
    labelSelector: "app=web",
    gracePeriodSeconds: 0,
  });
  await until(() => h.informers.informerFor(PODS).store.size === 0, { what: "pods gone" });
  await h.controller.sync("default/web");
  const emptied = await endpointsOf(h.client, "web");
  assert.equal(
    emptied?.metadata?.annotations?.["endpoints.kubernetes.io/over-capacity"],
    undefined,
  );
  assert.equal(emptied?.subsets, undefined);
});

Deno.test("EndpointsController leaves Services without a selector alone and deletes Endpoints without a Service", async () => {
  await using h = await harness();
  await createService(h.client, { name: "manual" });
  const manual: Endpoints = {
    metadata: { namespace: "default", name: "manual" },
    subsets: [{ addresses: [{ ip: "192.0.2.50" }], ports: [{ port: 80, protocol: "TCP" }] }],
  };
  await h.client.resource(ENDPOINTS).create(manual);
  await h.client.resource(ENDPOINTS).create({
    metadata: { namespace: "default", name: "orphan" },
    subsets: [{ addresses: [{ ip: "192.0.2.51" }] }],
  });
  const kubernetes = await endpointsOf(h.client, "kubernetes");
  await h.start();
  const stop = new AbortController();
  const running = h.controller.run(stop.signal);
  try {
    // Every Endpoints object is looked at once at start.
    await until(async () => (await endpointsOf(h.client, "orphan")) === null, {
      what: "the orphan to go",
    });
    assert.deepEqual((await endpointsOf(h.client, "manual"))?.subsets, manual.subsets);
    assert.deepEqual(await endpointsOf(h.client, "kubernetes"), kubernetes);
  } finally {
    stop.abort();
    await running;
  }
});

Deno.test("EndpointsController.run() follows readiness and removes the Endpoints of a deleted Service", async () => {
  await using h = await harness();
  await makePods(h.client, [{ name: "web-0", ip: "10.42.0.10", ready: false }]);
  await createService(h.client, { name: "web", selector: { app: "web" } });
  await h.start();
  const stop = new AbortController();
  const running = h.controller.run(stop.signal);
  try {
    await until(async () => {
      const ep = await endpointsOf(h.client, "web");
      return ep?.subsets?.[0]?.notReadyAddresses?.[0]?.ip === "10.42.0.10";
    }, { what: "the not-ready address" });
    await setPodStatus(h.client, { namespace: "default", name: "web-0", podIP: "10.42.0.10" });
    await until(async () => {
      const ep = await endpointsOf(h.client, "web");
      return ep?.subsets?.[0]?.addresses?.[0]?.ip === "10.42.0.10" &&
        ep.subsets[0].notReadyAddresses === undefined;
    }, { what: "the ready address" });

    await h.client.resource(SERVICES).delete("web", { namespace: "default" });
    await until(async () => (await endpointsOf(h.client, "web")) === null, {
      what: "the Endpoints to go",
    });
  } finally {
    stop.abort();
    await running;
  }
});

Deno.test("EndpointsController() rejects bad options", async (t) => {
  await using h = await harness();
  const deps = {
    client: h.client,
    informers: h.informers,
    clock: h.clock,
    logger: new RecordingLogger(),
  };
  const cases: { name: string; options: EndpointsControllerOptions; message: RegExp }[] = [
    { name: "no workers", options: { workers: 1.5 }, message: /with 1.5 workers/ },
    {
      name: "a negative batch period",
      options: { endpointUpdatesBatchPeriodMs: -1 },
      message: /for -1 ms/,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.throws(() => new EndpointsController(deps, c.options), RangeError);
      assert.throws(() => new EndpointsController(deps, c.options), c.message);
    });
  }
});
