import assert from "node:assert/strict";
import { MemoryStorage } from "../../storage/memory.ts";
import type { Storage } from "../../storage/types.ts";
import { FakeClock } from "../../util/clock.ts";
import { RecordingLogger } from "../../util/logger.ts";
import { createTestApp, type TestApp } from "../_test_app.ts";
import { ApiError } from "../errors.ts";
import { BUILTIN_RESOURCES } from "../registry/builtin_resources.ts";
import { ResourceRegistry } from "../registry/resource_registry.ts";
import { ResourceQuotaController } from "../resource_quota_controller.ts";
import { decodeStored, encodeForStorage } from "../store/object_codec.ts";
import { ObjectViews } from "../store/object_views.ts";
import type { ResourceQuota } from "../types/core_v1_policy.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import type { AdmissionAttributes } from "./admission.ts";
import { RESOURCE_QUOTAS_PREFIX, ResourceQuotaAdmission } from "./resource_quota.ts";

const PODS = BUILTIN_RESOURCES.find((d) => d.group === "" && d.resource === "pods")!;
const CONFIGMAPS = BUILTIN_RESOURCES.find((d) => d.group === "" && d.resource === "configmaps")!;
const REGISTRY = new ResourceRegistry(BUILTIN_RESOURCES);

/** Retries `check` on each turn of the event loop until it holds (views lag a write). */
async function eventually(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 1));
  }
  assert.fail(`timed out waiting for ${what}`);
}

function pod(name: string, resources?: Record<string, Record<string, string>>): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default", uid: `uid-${name}` },
    spec: { containers: [{ name: "web", image: "busybox", ...(resources ? { resources } : {}) }] },
  };
}

function attrs(
  object: KubeObject,
  options: {
    def?: typeof PODS;
    operation?: "CREATE" | "UPDATE";
    subresource?: string;
    dryRun?: boolean;
  } = {},
): AdmissionAttributes {
  return {
    operation: options.operation ?? "CREATE",
    def: options.def ?? PODS,
    namespace: "default",
    name: object.metadata?.name ?? "",
    subresource: options.subresource ?? "",
    object,
    oldObject: options.operation === "UPDATE" ? object : undefined,
    dryRun: options.dryRun ?? false,
    username: "alice",
    groups: [],
  };
}

/** A quota as the controller leaves it: enforced limits and counted usage. */
async function storeQuota(
  storage: Storage,
  q: { name: string; hard: Record<string, string>; used?: Record<string, string> },
): Promise<void> {
  const obj: ResourceQuota = {
    apiVersion: "v1",
    kind: "ResourceQuota",
    metadata: { name: q.name, namespace: "default", uid: `uid-${q.name}` },
    spec: { hard: q.hard },
    status: { hard: q.hard, ...(q.used ? { used: q.used } : {}) },
  };
  await storage.create(`${RESOURCE_QUOTAS_PREFIX}default/${q.name}`, encodeForStorage(obj));
}

async function storedUsed(storage: Storage, name: string): Promise<Record<string, string>> {
  const kv = await storage.get(`${RESOURCE_QUOTAS_PREFIX}default/${name}`);
  return (decodeStored(kv!.value, kv!.modRevision) as ResourceQuota).status?.used ?? {};
}

async function refusal(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ApiError, String(err));
    return err;
  }
  assert.fail("expected the request to be refused");
}

/** A plugin over its own storage and views. */
function setup(storage: Storage = new MemoryStorage()) {
  const stop = new AbortController();
  const logger = new RecordingLogger();
  const views = new ObjectViews({ storage, logger, signal: stop.signal });
  const clock = new FakeClock(1_000_000);
  const plugin = new ResourceQuotaAdmission({ views, storage, logger, clock });
  return {
    storage,
    views,
    clock,
    plugin,
    logger,
    [Symbol.asyncDispose]: async () => {
      stop.abort();
      await storage[Symbol.asyncDispose]?.();
    },
  };
}

Deno.test("ResourceQuotaAdmission refuses with upstream's 403 and charges what it admits", async (t) => {
  await using s = setup();
  await storeQuota(s.storage, { name: "q", hard: { pods: "2" }, used: { pods: "1" } });
  await t.step("a pod that fits is charged before it is written", async () => {
    const a = attrs(pod("a"));
    await s.plugin.validate(a);
    s.plugin.committed(a, true);
    assert.deepEqual(await storedUsed(s.storage, "q"), { pods: "2" });
  });
  await t.step("the next one exceeds the quota", async () => {
    const err = await refusal(s.plugin.validate(attrs(pod("b"))));
    assert.equal(err.code, 403);
    assert.equal(err.reason, "Forbidden");
    assert.equal(
      err.message,
      'pods "b" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2',
    );
    assert.deepEqual(err.details, { name: "b", group: "", kind: "pods" });
  });
});

Deno.test("ResourceQuotaAdmission checks dry runs without charging them", async () => {
  await using s = setup();
  await storeQuota(s.storage, { name: "q", hard: { pods: "1" }, used: { pods: "0" } });
  const a = attrs(pod("a"), { dryRun: true });
  await s.plugin.validate(a);
  s.plugin.committed(a, false);
  assert.deepEqual(await storedUsed(s.storage, "q"), { pods: "0" });
  await storeQuota(s.storage, { name: "full", hard: { pods: "1" }, used: { pods: "1" } });
  await eventually(() => s.views.get(RESOURCE_QUOTAS_PREFIX).size === 2, "the view");
  const err = await refusal(s.plugin.validate(attrs(pod("b"), { dryRun: true })));
  assert.match(err.message, /exceeded quota: full/);
});

Deno.test("ResourceQuotaAdmission gives back what a failed write was charged", async () => {
  await using s = setup();
  await storeQuota(s.storage, {
    name: "q",
    hard: { pods: "5", "requests.cpu": "2" },
    used: { pods: "1", "requests.cpu": "100m" },
  });
  const a = attrs(pod("a", { requests: { cpu: "500m" } }));
  await s.plugin.validate(a);
  assert.deepEqual(await storedUsed(s.storage, "q"), { pods: "2", "requests.cpu": "600m" });
  let settled = "";
  s.plugin.onSettle((ns) => settled = ns);
  s.plugin.committed(a, false);
  await eventually(() => settled === "default", "the release");
  assert.deepEqual(await storedUsed(s.storage, "q"), { pods: "1", "requests.cpu": "100m" });
  assert.equal(s.plugin.unsettled("default", () => true), false);
});

Deno.test("ResourceQuotaAdmission holds a namespace until the views show a charged write", async () => {
  await using s = setup();
  await storeQuota(s.storage, { name: "q", hard: { pods: "5" }, used: { pods: "0" } });
  s.plugin.onSettle(() => {});
  const a = attrs(pod("a"));
  await s.plugin.validate(a);
  assert.equal(s.plugin.unsettled("default", () => true), true, "charged, not yet written");
  s.plugin.committed(a, true);
  a.object!.metadata!.resourceVersion = "42";
  const asked: [string, number][] = [];
  assert.equal(
    s.plugin.unsettled("default", (prefix, rev) => {
      asked.push([prefix, rev]);
      return false;
    }),
    true,
  );
  assert.deepEqual(asked, [["/registry/pods/", 42]]);
  assert.equal(s.plugin.unsettled("default", () => true), false, "seen");
  assert.equal(s.plugin.unsettled("other", () => false), false);
});

Deno.test("ResourceQuotaAdmission stops holding a namespace after the settle timeout", async () => {
  await using s = setup();
  await storeQuota(s.storage, { name: "q", hard: { pods: "5" }, used: { pods: "0" } });
  s.plugin.onSettle(() => {});
  const a = attrs(pod("a"));
  await s.plugin.validate(a);
  s.plugin.committed(a, true);
  assert.equal(s.plugin.unsettled("default", () => false), true);
  s.clock.advance(10_001);
  assert.equal(s.plugin.unsettled("default", () => false), false);
});

Deno.test("ResourceQuotaAdmission retries a charge another writer raced, against its usage", async () => {
  const inner = new MemoryStorage();
  let raced = false;
  // Another writer fills the quota between the plugin's read and its guarded write.
  const storage = new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === "update") {
        return async (key: string, value: Uint8Array, rev: number) => {
          if (!raced) {
            raced = true;
            const kv = await target.get(key);
            const q = decodeStored(kv!.value, kv!.modRevision) as ResourceQuota;
            q.status!.used = { pods: "2" };
            await target.update(key, encodeForStorage(q), kv!.modRevision);
          }
          return await target.update(key, value, rev);
        };
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  await using s = setup(storage);
  await storeQuota(s.storage, { name: "q", hard: { pods: "2" }, used: { pods: "1" } });
  const err = await refusal(s.plugin.validate(attrs(pod("a"))));
  assert.equal(raced, true);
  assert.equal(
    err.message,
    'pods "a" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2',
  );
});

Deno.test("ResourceQuotaAdmission leaves alone what quota does not charge", async (t) => {
  await using s = setup();
  await storeQuota(s.storage, {
    name: "full",
    hard: { pods: "0", configmaps: "0" },
    used: { pods: "0", configmaps: "0" },
  });
  const cases: [string, AdmissionAttributes][] = [
    ["a pod status update", attrs(pod("a"), { operation: "UPDATE", subresource: "status" })],
    ["a pod spec update", attrs(pod("a"), { operation: "UPDATE" })],
    [
      "a ConfigMap update",
      attrs({ metadata: { name: "c" } }, { def: CONFIGMAPS, operation: "UPDATE" }),
    ],
    ["a pod in a namespace without quotas", { ...attrs(pod("a")), namespace: "other" }],
  ];
  for (const [name, a] of cases) await t.step(name, () => s.plugin.validate(a));
  await t.step("but counts a new ConfigMap under its legacy name", async () => {
    const err = await refusal(
      s.plugin.validate(attrs({ metadata: { name: "c" } }, { def: CONFIGMAPS })),
    );
    assert.equal(
      err.message,
      'configmaps "c" is forbidden: exceeded quota: full, requested: configmaps=1, used: configmaps=0, limited: configmaps=0',
    );
  });
});

/** The test app with the plugin and the controller running. */
async function quotaApp(): Promise<{ t: TestApp; controller: ResourceQuotaController }> {
  let plugin!: ResourceQuotaAdmission;
  const t = await createTestApp({
    admission: (
      p,
    ) => [
      plugin = new ResourceQuotaAdmission({ views: p.views, storage: p.storage, logger: p.logger }),
    ],
  });
  const controller = new ResourceQuotaController({
    views: t.views,
    registry: () => REGISTRY,
    logger: t.logger,
    admission: plugin,
    debounceMs: 0,
  });
  await controller.start(t.client, t.signal);
  return { t, controller };
}

async function quotaStatus(
  t: TestApp,
  name: string,
): Promise<Record<string, Record<string, string>>> {
  const res = await t.json("GET", `/api/v1/namespaces/default/resourcequotas/${name}`);
  return (res.body.status ?? {}) as Record<string, Record<string, string>>;
}

Deno.test("ResourceQuota admission lets exactly one of racing creates take the last unit", async () => {
  const { t } = await quotaApp();
  await using _app = t;
  const created = await t.json("POST", "/api/v1/namespaces/default/resourcequotas", {
    body: { metadata: { name: "q" }, spec: { hard: { pods: "3" } } },
  });
  assert.equal(created.status, 201);
  await eventually(async () => (await quotaStatus(t, "q")).used?.pods === "0", "the quota counted");
  for (const name of ["a", "b"]) {
    const res = await t.json("POST", "/api/v1/namespaces/default/pods", { body: pod(name) });
    assert.equal(res.status, 201);
  }
  const racers = ["c", "d", "e", "f", "g"];
  const results = await Promise.all(
    racers.map((n) => t.json("POST", "/api/v1/namespaces/default/pods", { body: pod(n) })),
  );
  const won = results.filter((r) => r.status === 201);
  const lost = results.filter((r) => r.status === 403);
  assert.equal(won.length, 1);
  assert.equal(lost.length, racers.length - 1);
  for (const r of lost) {
    assert.match(
      String(r.body.message),
      /^pods "[c-g]" is forbidden: exceeded quota: q, requested: pods=1, used: pods=3, limited: pods=3$/,
    );
  }
  const list = await t.json("GET", "/api/v1/namespaces/default/pods");
  assert.equal((list.body.items as unknown[]).length, 3);
  assert.deepEqual((await quotaStatus(t, "q")).used, { pods: "3" });
});

Deno.test("ResourceQuota admission answers kubectl's create with upstream's messages", async (t) => {
  const { t: app } = await quotaApp();
  await using _app = app;
  await app.json("POST", "/api/v1/namespaces/default/resourcequotas", {
    body: {
      metadata: { name: "compute" },
      spec: { hard: { "limits.cpu": "1", "limits.memory": "1Gi" } },
    },
  });
  await eventually(
    async () => (await quotaStatus(app, "compute")).used !== undefined,
    "the quota counted",
  );
  await t.step("containers must set what the quota limits", async () => {
    const res = await app.json("POST", "/api/v1/namespaces/default/pods", { body: pod("web") });
    assert.equal(res.status, 403);
    assert.equal(
      res.body.message,
      'pods "web" is forbidden: failed quota: compute: must specify limits.cpu for: web; limits.memory for: web',
    );
  });
  await t.step("a pod that fits is admitted and counted", async () => {
    const res = await app.json("POST", "/api/v1/namespaces/default/pods", {
      body: pod("web", { limits: { cpu: "600m", memory: "512Mi" } }),
    });
    assert.equal(res.status, 201);
    assert.deepEqual((await quotaStatus(app, "compute")).used, {
      "limits.cpu": "600m",
      "limits.memory": "512Mi",
    });
  });
  await t.step("a duplicate name is charged, refused by storage, and given back", async () => {
    const res = await app.json("POST", "/api/v1/namespaces/default/pods", {
      body: pod("web", { limits: { cpu: "100m", memory: "1Mi" } }),
    });
    assert.equal(res.status, 409);
    await eventually(
      async () => (await quotaStatus(app, "compute")).used?.["limits.cpu"] === "600m",
      "the release",
    );
  });
  await t.step("one that does not fit is refused", async () => {
    const res = await app.json("POST", "/api/v1/namespaces/default/pods", {
      body: pod("big", { limits: { cpu: "500m", memory: "1Mi" } }),
    });
    assert.equal(res.status, 403);
    assert.equal(
      res.body.message,
      'pods "big" is forbidden: exceeded quota: compute, requested: limits.cpu=500m, used: limits.cpu=600m, limited: limits.cpu=1',
    );
  });
});
