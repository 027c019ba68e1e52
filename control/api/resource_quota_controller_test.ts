import assert from "node:assert/strict";
import { ConflictError } from "../storage/errors.ts";
import { MemoryStorage } from "../storage/memory.ts";
import { FakeClock } from "../util/clock.ts";
import { RecordingLogger } from "../util/logger.ts";
import { createTestApp, type TestApp } from "./_test_app.ts";
import { RESOURCE_QUOTAS_PREFIX, ResourceQuotaAdmission } from "./admission/resource_quota.ts";
import type { AdmissionAttributes } from "./admission/admission.ts";
import { BUILTIN_RESOURCES } from "./registry/builtin_resources.ts";
import { ResourceRegistry } from "./registry/resource_registry.ts";
import { type QuotaStatusClient, ResourceQuotaController } from "./resource_quota_controller.ts";
import { decodeStored, encodeForStorage } from "./store/object_codec.ts";
import { ObjectViews } from "./store/object_views.ts";
import type { ResourceQuota } from "./types/core_v1_policy.ts";
import type { KubeObject } from "./types/meta_v1.ts";

const REGISTRY = new ResourceRegistry(BUILTIN_RESOURCES);
const PODS = BUILTIN_RESOURCES.find((d) => d.group === "" && d.resource === "pods")!;

async function eventually(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 1));
  }
  assert.fail(`timed out waiting for ${what}`);
}

function pod(
  name: string,
  extra: { spec?: Record<string, unknown>; metadata?: Record<string, unknown> } = {},
) {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, ...extra.metadata },
    spec: { containers: [{ name: "c", image: "busybox" }], ...extra.spec },
  };
}

async function controllerApp(): Promise<{ t: TestApp; controller: ResourceQuotaController }> {
  const t = await createTestApp();
  const controller = new ResourceQuotaController({
    views: t.views,
    registry: () => REGISTRY,
    logger: t.logger,
    debounceMs: 0,
  });
  await controller.start(t.client, t.signal);
  const ns = await t.json("POST", "/api/v1/namespaces", { body: { metadata: { name: "apps" } } });
  assert.equal(ns.status, 201);
  return { t, controller };
}

async function post(t: TestApp, path: string, body: unknown): Promise<void> {
  const res = await t.json("POST", `/api/v1/namespaces/apps/${path}`, { body });
  assert.equal(res.status, 201, JSON.stringify(res.body));
}

async function status(t: TestApp, name: string): Promise<ResourceQuota["status"]> {
  const res = await t.json("GET", `/api/v1/namespaces/apps/resourcequotas/${name}`);
  return (res.body as ResourceQuota).status;
}

async function usedBecomes(
  t: TestApp,
  name: string,
  want: Record<string, string>,
): Promise<void> {
  await eventually(
    async () => JSON.stringify((await status(t, name))?.used) === JSON.stringify(want),
    `${name} to use ${JSON.stringify(want)}`,
  );
}

Deno.test("ResourceQuotaController counts what a new quota names and copies its limits", async () => {
  const { t } = await controllerApp();
  await using _app = t;
  await post(
    t,
    "pods",
    pod("a", {
      spec: { containers: [{ name: "c", image: "x", resources: { requests: { cpu: "250m" } } }] },
    }),
  );
  await post(t, "pods", pod("b"));
  await post(t, "services", {
    metadata: { name: "s" },
    spec: { type: "NodePort", ports: [{ port: 80 }] },
  });
  await post(t, "configmaps", { metadata: { name: "c1" } });
  await post(t, "secrets", { metadata: { name: "s1" } });
  await post(t, "secrets", { metadata: { name: "s2" } });
  await t.json("POST", "/apis/apps/v1/namespaces/apps/deployments", {
    body: {
      metadata: { name: "d" },
      spec: {
        selector: { matchLabels: { app: "d" } },
        template: {
          metadata: { labels: { app: "d" } },
          spec: { containers: [{ name: "c", image: "x" }] },
        },
      },
    },
  });
  const hard = {
    pods: "10",
    "requests.cpu": "2",
    services: "5",
    "services.nodeports": "2",
    configmaps: "9",
    "count/secrets": "9",
    "count/deployments.apps": "1",
    "requests.storage": "1Gi",
  };
  await post(t, "resourcequotas", { metadata: { name: "q" }, spec: { hard } });
  await usedBecomes(t, "q", {
    configmaps: "1",
    "count/deployments.apps": "1",
    "count/secrets": "2",
    pods: "2",
    "requests.cpu": "250m",
    "requests.storage": "0",
    services: "1",
    "services.nodeports": "1",
  });
  assert.deepEqual((await status(t, "q"))?.hard, hard);
});

Deno.test("ResourceQuotaController gives usage back when objects are deleted", async () => {
  const { t } = await controllerApp();
  await using _app = t;
  await post(t, "pods", pod("a"));
  await post(t, "pods", pod("b"));
  await post(t, "configmaps", { metadata: { name: "c1" } });
  await post(t, "resourcequotas", {
    metadata: { name: "q" },
    spec: { hard: { pods: "5", "count/configmaps": "5" } },
  });
  await usedBecomes(t, "q", { "count/configmaps": "1", pods: "2" });
  let res = await t.json("DELETE", "/api/v1/namespaces/apps/pods/a?gracePeriodSeconds=0");
  assert.equal(res.status, 200);
  res = await t.json("DELETE", "/api/v1/namespaces/apps/configmaps/c1");
  assert.equal(res.status, 200);
  await usedBecomes(t, "q", { "count/configmaps": "0", pods: "1" });
});

Deno.test("ResourceQuotaController follows spec changes and scopes", async () => {
  const { t } = await controllerApp();
  await using _app = t;
  await post(t, "pods", pod("best"));
  await post(
    t,
    "pods",
    pod("burst", {
      spec: {
        containers: [{ name: "c", image: "x", resources: { requests: { memory: "64Mi" } } }],
      },
    }),
  );
  await post(t, "resourcequotas", {
    metadata: { name: "be" },
    spec: { hard: { pods: "3" }, scopes: ["BestEffort"] },
  });
  await post(t, "resourcequotas", {
    metadata: { name: "nbe" },
    spec: { hard: { pods: "3", "requests.memory": "1Gi" }, scopes: ["NotBestEffort"] },
  });
  await usedBecomes(t, "be", { pods: "1" });
  await usedBecomes(t, "nbe", { pods: "1", "requests.memory": "64Mi" });
  const res = await t.json("PATCH", "/api/v1/namespaces/apps/resourcequotas/nbe", {
    contentType: "application/merge-patch+json",
    body: { spec: { hard: { "requests.memory": null, "limits.memory": "2Gi" } } },
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  await usedBecomes(t, "nbe", { "limits.memory": "0", pods: "1" });
  assert.deepEqual((await status(t, "nbe"))?.hard, { pods: "3", "limits.memory": "2Gi" });
});

/** Views over a bare storage, a fake clock and a client that writes quota status to storage. */
function bare() {
  const storage = new MemoryStorage();
  const stop = new AbortController();
  const logger = new RecordingLogger();
  const views = new ObjectViews({ storage, logger, signal: stop.signal });
  const clock = new FakeClock(100_000);
  const writes: ResourceQuota[] = [];
  const client: QuotaStatusClient = {
    async json(_method, _path, options) {
      const q = structuredClone(options?.body) as ResourceQuota;
      writes.push(q);
      const key = `${RESOURCE_QUOTAS_PREFIX}${q.metadata?.namespace}/${q.metadata?.name}`;
      try {
        await storage.update(key, encodeForStorage(q), Number(q.metadata?.resourceVersion));
        return { status: 200, body: {} };
      } catch (err) {
        if (err instanceof ConflictError) return { status: 409, body: { message: "conflict" } };
        throw err;
      }
    },
  };
  const put = async (prefix: string, obj: KubeObject) => {
    const key = `/registry/${prefix}/${obj.metadata?.namespace}/${obj.metadata?.name}`;
    const kv = await storage.get(key);
    return kv
      ? await storage.update(key, encodeForStorage(obj), kv.modRevision)
      : await storage.create(key, encodeForStorage(obj));
  };
  const used = async (name: string) => {
    const kv = await storage.get(`${RESOURCE_QUOTAS_PREFIX}default/${name}`);
    return (decodeStored(kv!.value, kv!.modRevision) as ResourceQuota).status?.used;
  };
  return {
    storage,
    views,
    clock,
    logger,
    client,
    writes,
    put,
    used,
    signal: stop.signal,
    [Symbol.asyncDispose]: async () => {
      stop.abort();
      await storage[Symbol.asyncDispose]?.();
    },
  };
}

Deno.test("ResourceQuotaController wakes when a deleted pod's grace period ends", async () => {
  await using b = bare();
  await b.put("resourcequotas", {
    apiVersion: "v1",
    kind: "ResourceQuota",
    metadata: { name: "q", namespace: "default" },
    spec: { hard: { pods: "5" } },
  });
  // Deleted at 100 s with 30 s of grace: charged until 130 s.
  await b.put("pods", {
    ...pod("going", {
      metadata: {
        namespace: "default",
        deletionTimestamp: "1970-01-01T00:01:40Z",
        deletionGracePeriodSeconds: 30,
      },
    }),
  });
  const controller = new ResourceQuotaController({
    views: b.views,
    registry: () => REGISTRY,
    logger: b.logger,
    clock: b.clock,
    debounceMs: 10,
  });
  await controller.start(b.client, b.signal);
  await controller.sync("default");
  assert.deepEqual(await b.used("q"), { pods: "1" });
  await eventually(() => b.views.get(RESOURCE_QUOTAS_PREFIX).revision > 2, "the view");
  b.clock.advance(30_001);
  await eventually(async () => (await b.used("q"))?.pods === "0", "the charge to end");
});

Deno.test("ResourceQuotaController ignores updates that change nothing quota measures", async () => {
  await using b = bare();
  await b.put("resourcequotas", {
    metadata: { name: "q", namespace: "default" },
    spec: { hard: { pods: "5" } },
  });
  const p = pod("a", { metadata: { namespace: "default" } });
  await b.put("pods", p);
  const controller = new ResourceQuotaController({
    views: b.views,
    registry: () => REGISTRY,
    logger: b.logger,
    clock: b.clock,
    debounceMs: 10,
  });
  await controller.start(b.client, b.signal);
  await controller.sync("default");
  b.clock.advance(10);
  await controller.idle();
  const podsView = b.views.get("/registry/pods/");
  const timers = b.clock.pendingTimers;
  const rev =
    (await b.put("pods", { ...p, metadata: { ...p.metadata, labels: { x: "y" } } })).modRevision;
  await eventually(() => podsView.revision >= rev, "the label change");
  assert.equal(b.clock.pendingTimers, timers, "a label change is not queued");
  const rev2 = (await b.put("pods", { ...p, status: { phase: "Succeeded" } })).modRevision;
  await eventually(() => podsView.revision >= rev2, "the phase change");
  assert.equal(b.clock.pendingTimers, timers + 1, "a pod that finished is queued");
});

Deno.test("ResourceQuotaController waits for a charge the views do not show yet", async () => {
  await using b = bare();
  await b.put("resourcequotas", {
    metadata: { name: "q", namespace: "default" },
    spec: { hard: { pods: "5" } },
    status: { hard: { pods: "5" }, used: { pods: "0" } },
  });
  const admission = new ResourceQuotaAdmission({
    views: b.views,
    storage: b.storage,
    logger: b.logger,
    clock: b.clock,
  });
  const controller = new ResourceQuotaController({
    views: b.views,
    registry: () => REGISTRY,
    logger: b.logger,
    clock: b.clock,
    debounceMs: 10,
    admission,
  });
  await controller.start(b.client, b.signal);
  await controller.sync("default");
  const object = pod("a", { metadata: { namespace: "default" } }) as KubeObject;
  const attrs: AdmissionAttributes = {
    operation: "CREATE",
    def: PODS,
    namespace: "default",
    name: "a",
    subresource: "",
    object,
    oldObject: undefined,
    dryRun: false,
    username: "u",
    groups: [],
  };
  await admission.validate(attrs);
  assert.deepEqual(await b.used("q"), { pods: "1" }, "charged");
  const before = b.writes.length;
  // Recalculating now, from views without the pod, would write pods=0.
  await controller.sync("default");
  const kv = await b.put("pods", object);
  admission.committed(attrs, true);
  object.metadata!.resourceVersion = String(kv.modRevision);
  await controller.sync("default");
  assert.equal(b.writes.length, before, "nothing written while the charge is unsettled");
  await eventually(() => b.views.get("/registry/pods/").revision >= kv.modRevision, "the pod");
  await controller.sync("default");
  assert.equal(b.writes.length, before, "the views agree with the charge");
  assert.deepEqual(await b.used("q"), { pods: "1" });
});
