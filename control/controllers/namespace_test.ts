import assert from "node:assert/strict";
import type { Namespace, NamespaceCondition } from "../api/types/core_v1_namespace.ts";
import type { Client } from "../client/client.ts";
import { isNotFound } from "../client/errors.ts";
import {
  type ApiResource,
  CONFIG_MAPS,
  DEPLOYMENTS,
  NAMESPACES,
  PODS,
  SECRETS,
  SERVICES,
} from "../client/resources.ts";
import { SharedInformerFactory } from "../client/shared_informer_factory.ts";
import type { Transport } from "../client/transport.ts";
import { FakeClock } from "../util/clock.ts";
import { RecordingLogger } from "../util/logger.ts";
import {
  type ControllerApi,
  createPod,
  startControllerApi,
  until,
} from "../../tests/_support/controller_api.ts";
import { NamespaceController, type NamespaceControllerOptions } from "./namespace.ts";

interface Harness extends AsyncDisposable {
  readonly api: ControllerApi;
  readonly client: Client;
  readonly clock: FakeClock;
  readonly logger: RecordingLogger;
  readonly controller: NamespaceController;
  readonly informers: SharedInformerFactory;
  readonly requests: string[];
}

interface HarnessOptions extends NamespaceControllerOptions {
  /** Answers instead of the API for requests it returns a response for. */
  readonly intercept?: (method: string, path: string) => Response | undefined;
}

async function harness(options: HarnessOptions = {}): Promise<Harness> {
  const requests: string[] = [];
  const api = await startControllerApi({
    wrap: (inner: Transport): Transport => ({
      request(method, path, opts) {
        requests.push(`${method} ${path}`);
        const answer = options.intercept?.(method, path);
        return answer ? Promise.resolve(answer) : inner.request(method, path, opts);
      },
    }),
  });
  const clock = new FakeClock(Date.now());
  const logger = new RecordingLogger();
  const informers = new SharedInformerFactory(api.client, { clock, logger });
  const controller = new NamespaceController(
    { client: api.client, informers, clock, logger },
    { deletionGracePeriodMs: 0, ...options },
  );
  const stop = new AbortController();
  informers.start(stop.signal);
  await informers.waitForCacheSync(stop.signal);
  return {
    api,
    client: api.client,
    clock,
    logger,
    controller,
    informers,
    requests,
    async [Symbol.asyncDispose]() {
      stop.abort();
      await informers.shutdown();
      await api[Symbol.asyncDispose]();
    },
  };
}

async function createNamespace(client: Client, name: string): Promise<void> {
  await client.resource(NAMESPACES).create({
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name },
  });
}

async function fillNamespace(client: Client, namespace: string): Promise<void> {
  await client.resource(CONFIG_MAPS).create({
    metadata: { namespace, name: "settings" },
    data: { mode: "edge" },
  });
  await client.resource(SECRETS).create({
    metadata: { namespace, name: "token" },
    stringData: { token: "s3cret" },
  });
  await client.resource(DEPLOYMENTS).create({
    metadata: { namespace, name: "web" },
    spec: {
      selector: { matchLabels: { app: "web" } },
      template: {
        metadata: { labels: { app: "web" } },
        spec: { containers: [{ name: "main", image: "busybox" }] },
      },
    },
  });
  await client.resource(SERVICES).create({
    metadata: { namespace, name: "web" },
    spec: { selector: { app: "web" }, ports: [{ port: 80 }] },
  });
  await createPod(client, { namespace, name: "web-0", labels: { app: "web" } });
}

/** Deletes the namespace and waits until the controller's cache has seen it Terminating. */
async function deleteNamespace(h: Harness, name: string): Promise<void> {
  await h.client.resource(NAMESPACES).delete(name);
  const store = h.informers.informerFor(NAMESPACES).store;
  await until(() => !!store.get(name)?.metadata?.deletionTimestamp, { what: "the deletion" });
}

async function getNamespace(client: Client, name: string): Promise<Namespace | null> {
  try {
    return await client.resource(NAMESPACES).get(name);
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
}

function conditionsOf(ns: Namespace | null): Record<string, Omit<NamespaceCondition, "type">> {
  const out: Record<string, Omit<NamespaceCondition, "type">> = {};
  for (const { type, lastTransitionTime: _t, ...rest } of ns?.status?.conditions ?? []) {
    out[type] = rest;
  }
  return out;
}

Deno.test("NamespaceController.sync() deletes every namespaced object, then finalizes the namespace", async () => {
  await using h = await harness();
  await createNamespace(h.client, "apps");
  await fillNamespace(h.client, "apps");
  await deleteNamespace(h, "apps");

  await h.controller.sync("apps");

  assert.equal(await getNamespace(h.client, "apps"), null);
  const resources: ApiResource[] = [CONFIG_MAPS, SECRETS, DEPLOYMENTS, SERVICES, PODS];
  for (const resource of resources) {
    const left = await h.client.resource(resource).list({ namespace: "apps" });
    assert.deepEqual(left.items.map((o) => o.metadata?.name), [], resource.resource);
  }
  // Collections that serve deletecollection are deleted at once; services only one by one.
  assert.ok(h.requests.includes("DELETE /api/v1/namespaces/apps/configmaps"));
  assert.ok(h.requests.includes("DELETE /api/v1/namespaces/apps/services/web"));
  assert.ok(h.requests.includes("PUT /api/v1/namespaces/apps/finalize"));
  assert.ok(h.logger.messages("info").includes("Finalized namespace"));
});

Deno.test("NamespaceController.sync() reports the content and finalizers a pod's finalizer holds", async () => {
  await using h = await harness({ finalizerEstimateSeconds: 4 });
  await createNamespace(h.client, "held");
  await createPod(h.client, {
    namespace: "held",
    name: "stuck",
    finalizers: ["example.com/hold"],
    terminationGracePeriodSeconds: 0,
  });
  await deleteNamespace(h, "held");

  await h.controller.sync("held");

  const ns = await getNamespace(h.client, "held");
  assert.equal(ns?.status?.phase, "Terminating");
  assert.deepEqual(ns?.spec?.finalizers, ["kubernetes"]);
  assert.deepEqual(conditionsOf(ns), {
    NamespaceDeletionDiscoveryFailure: {
      status: "False",
      reason: "ResourcesDiscovered",
      message: "All resources successfully discovered",
    },
    NamespaceDeletionGroupVersionParsingFailure: {
      status: "False",
      reason: "ParsedGroupVersions",
      message: "All legacy kube types successfully parsed",
    },
    NamespaceDeletionContentFailure: {
      status: "False",
      reason: "ContentDeleted",
      message: "All content successfully deleted, may be waiting on finalization",
    },
    NamespaceContentRemaining: {
      status: "True",
      reason: "SomeResourcesRemain",
      message: "Some resources are remaining: pods. has 1 resource instances",
    },
    NamespaceFinalizersRemaining: {
      status: "True",
      reason: "SomeFinalizerRemain",
      message: "Some finalizers are remaining: example.com/hold in 1 resource instances",
    },
  });
  const transition = ns?.status?.conditions?.[0]?.lastTransitionTime;
  assert.match(transition ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
});

Deno.test("NamespaceController.run() requeues a held namespace after half the estimate and finalizes it once the finalizer is gone", async () => {
  await using h = await harness({ finalizerEstimateSeconds: 4 });
  await createNamespace(h.client, "held");
  await createPod(h.client, {
    namespace: "held",
    name: "stuck",
    finalizers: ["example.com/hold"],
    terminationGracePeriodSeconds: 0,
  });
  const stop = new AbortController();
  const running = h.controller.run(stop.signal);
  try {
    await deleteNamespace(h, "held");
    h.clock.advance(0);
    await until(async () => {
      const ns = await getNamespace(h.client, "held");
      return conditionsOf(ns).NamespaceContentRemaining?.status === "True";
    }, { what: "NamespaceContentRemaining" });
    const passes = () => h.requests.filter((r) => r === "GET /apis").length;
    const first = passes();

    await h.client.resource(PODS).patch("stuck", {
      namespace: "held",
      type: "merge",
      body: { metadata: { finalizers: null } },
    });
    // The namespace is not looked at again until 4 / 2 + 1 = 3 s have passed.
    h.clock.advance(2_900);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(passes(), first);
    assert.notEqual(await getNamespace(h.client, "held"), null);

    h.clock.advance(100);
    await until(async () => (await getNamespace(h.client, "held")) === null, {
      what: "the namespace to go",
    });
  } finally {
    stop.abort();
    await running;
  }
});

Deno.test("NamespaceController.run() waits for a pod's grace period without polling", async () => {
  await using h = await harness();
  await createNamespace(h.client, "graceful");
  await createPod(h.client, {
    namespace: "graceful",
    name: "web-0",
    nodeName: "node-1",
    terminationGracePeriodSeconds: 30,
  });
  const stop = new AbortController();
  const running = h.controller.run(stop.signal);
  try {
    await deleteNamespace(h, "graceful");
    h.clock.advance(0);
    await until(async () => {
      const ns = await getNamespace(h.client, "graceful");
      return conditionsOf(ns).NamespaceContentRemaining?.status === "True";
    }, { what: "NamespaceContentRemaining" });
    const pod = await h.client.resource(PODS).get("web-0", { namespace: "graceful" });
    assert.ok(pod.metadata?.deletionTimestamp, "the pod is terminating, not gone");
    const passes = () => h.requests.filter((r) => r === "GET /apis").length;
    const first = passes();

    // The kubelet's final delete; the controller looks again only after 30 / 2 + 1 = 16 s.
    await h.client.resource(PODS).delete("web-0", { namespace: "graceful", gracePeriodSeconds: 0 });
    h.clock.advance(15_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(passes(), first);

    h.clock.advance(1_000);
    await until(async () => (await getNamespace(h.client, "graceful")) === null, {
      what: "the namespace to go",
    });
  } finally {
    stop.abort();
    await running;
  }
});

Deno.test("NamespaceController.sync() reports a failing group as NamespaceDeletionDiscoveryFailure and keeps the namespace", async () => {
  await using h = await harness({
    intercept: (method, path) =>
      method === "GET" && path === "/apis/batch/v1"
        ? Response.json({
          kind: "Status",
          apiVersion: "v1",
          status: "Failure",
          message: "the server is currently unable to handle the request",
          reason: "ServiceUnavailable",
          code: 503,
        }, { status: 503 })
        : undefined,
  });
  await createNamespace(h.client, "apps");
  await deleteNamespace(h, "apps");

  await assert.rejects(
    h.controller.sync("apps"),
    /unable to retrieve the complete list of server APIs: batch\/v1: the server is currently unable to handle the request/,
  );

  const ns = await getNamespace(h.client, "apps");
  assert.deepEqual(conditionsOf(ns).NamespaceDeletionDiscoveryFailure, {
    status: "True",
    reason: "DiscoveryFailed",
    message:
      "Discovery failed for some groups, 1 failing: unable to retrieve the complete list of server APIs: batch/v1: the server is currently unable to handle the request",
  });
  assert.deepEqual(ns?.spec?.finalizers, ["kubernetes"]);
});

Deno.test("NamespaceController.sync() lists and deletes one by one where deletecollection is refused", async () => {
  await using h = await harness({
    intercept: (method, path) =>
      method === "DELETE" && path.startsWith("/api/v1/namespaces/apps/configmaps?") ||
        method === "DELETE" && path === "/api/v1/namespaces/apps/configmaps"
        ? Response.json({
          kind: "Status",
          apiVersion: "v1",
          status: "Failure",
          message: "the server does not allow this method on the requested resource",
          reason: "MethodNotAllowed",
          code: 405,
        }, { status: 405 })
        : undefined,
  });
  await createNamespace(h.client, "apps");
  await fillNamespace(h.client, "apps");
  await deleteNamespace(h, "apps");

  await h.controller.sync("apps");

  assert.equal(await getNamespace(h.client, "apps"), null);
  assert.ok(h.requests.includes("DELETE /api/v1/namespaces/apps/configmaps/settings"));
});

Deno.test("NamespaceController.sync() leaves namespaces alone that are not being deleted", async (t) => {
  await using h = await harness();
  await createNamespace(h.client, "apps");
  await fillNamespace(h.client, "apps");
  const store = h.informers.informerFor(NAMESPACES).store;
  await until(() => store.get("apps") !== undefined, { what: "the namespace in the cache" });

  await t.step("an active namespace", async () => {
    await h.controller.sync("apps");
    const ns = await getNamespace(h.client, "apps");
    assert.equal(ns?.status?.phase, "Active");
    assert.equal(ns?.status?.conditions, undefined);
    const left = await h.client.resource(CONFIG_MAPS).list({ namespace: "apps" });
    assert.ok(left.items.some((c) => c.metadata?.name === "settings"));
  });
  await t.step("a namespace the cache does not have", async () => {
    await h.controller.sync("gone");
    assert.ok(h.logger.messages("info").includes("Namespace has been deleted"));
  });
});

Deno.test("NamespaceController enqueues a deleted namespace only after the deletion grace period", async () => {
  await using h = await harness({ deletionGracePeriodMs: 5000 });
  await createNamespace(h.client, "apps");
  const stop = new AbortController();
  const running = h.controller.run(stop.signal);
  try {
    await deleteNamespace(h, "apps");
    h.clock.advance(4_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.notEqual(await getNamespace(h.client, "apps"), null);
    h.clock.advance(1_000);
    await until(async () => (await getNamespace(h.client, "apps")) === null, {
      what: "the namespace to go",
    });
  } finally {
    stop.abort();
    await running;
  }
});

Deno.test("NamespaceController() rejects bad options", async (t) => {
  await using h = await harness();
  const deps = { client: h.client, informers: h.informers, clock: h.clock, logger: h.logger };
  const cases: { name: string; options: NamespaceControllerOptions; message: RegExp }[] = [
    { name: "no workers", options: { workers: 0 }, message: /with 0 workers/ },
    {
      name: "negative grace",
      options: { deletionGracePeriodMs: -1 },
      message: /grace period of -1 ms/,
    },
    {
      name: "infinite estimate",
      options: { finalizerEstimateSeconds: Infinity },
      message: /finalizer estimate of Infinity s/,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.throws(() => new NamespaceController(deps, c.options), RangeError);
      assert.throws(() => new NamespaceController(deps, c.options), c.message);
    });
  }
});
