import assert from "node:assert/strict";
import { MemoryStorage } from "../storage/memory.ts";
import { FakeClock, systemClock } from "../util/clock.ts";
import { RecordingLogger } from "../util/logger.ts";
import { AdmissionChain } from "./admission/admission.ts";
import { DefaultTolerationSeconds } from "./admission/default_toleration_seconds.ts";
import { LimitRanger } from "./admission/limit_ranger.ts";
import { NamespaceLifecycle } from "./admission/namespace_lifecycle.ts";
import { PriorityAdmission } from "./admission/priority.ts";
import { ServiceAccountAdmission } from "./admission/service_account.ts";
import { ServiceAllocator } from "./admission/service_allocator.ts";
import { createApiApp } from "./app.ts";
import type { Authenticator } from "./auth/authenticator.ts";
import { bootstrapCluster } from "./bootstrap.ts";
import { decodeProtobufBody } from "./codec/protobuf_body.ts";
import type { RequestUser } from "./handlers/context.ts";
import { OpenApiHandler } from "./handlers/openapi_handler.ts";
import { InProcessClient, type InProcessRequestOptions } from "./in_process_client.ts";
import { BUILTIN_RESOURCES } from "./registry/builtin_resources.ts";
import { ResourceRegistry } from "./registry/resource_registry.ts";
import { ObjectViews } from "./store/object_views.ts";
import { WatchCaches } from "./store/watch_caches.ts";
import {
  isActiveNamespace,
  ROOT_CA_DESCRIPTION,
  ServiceAccountKeeper,
} from "./service_account_keeper.ts";
import type { Pod } from "./types/core_v1_pod.ts";

const ADMIN: RequestUser = {
  username: "admin",
  groups: ["system:masters", "system:authenticated"],
};
const CA = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n";

class AdminAuthenticator implements Authenticator {
  authenticate(): Promise<RequestUser> {
    return Promise.resolve(ADMIN);
  }
}

/**
 * The API app with the pod admission chain in upstream's order and the keeper running
 * (what `_test_app.ts` would give with these plugins wired in).
 */
async function podAdmissionServer(
  options: { wrap?: (c: InProcessClient) => InProcessClient; start?: boolean } = {},
) {
  const storage = new MemoryStorage();
  const logger = new RecordingLogger();
  const stop = new AbortController();
  const clock = new FakeClock();
  const views = new ObjectViews({ storage, logger, signal: stop.signal });
  const caches = new WatchCaches({ storage, logger, signal: stop.signal });
  const registry = new ResourceRegistry(BUILTIN_RESOURCES);
  const app = createApiApp({
    storage,
    registry: () => registry,
    caches,
    admission: new AdmissionChain([
      new NamespaceLifecycle({ storage, logger, signal: stop.signal }),
      new LimitRanger({ views }),
      new ServiceAccountAdmission({ views, clock }),
      new PriorityAdmission({ views }),
      new DefaultTolerationSeconds(),
      new ServiceAllocator({ storage, serviceCidr: "10.43.0.0/16" }),
    ]),
    clock: systemClock,
    logger,
    signal: stop.signal,
    authenticator: new AdminAuthenticator(),
    version: { major: "1", minor: "33", gitVersion: "v1.33.0" },
    serverAddress: () => "192.0.2.10:6443",
    openapi: new OpenApiHandler({ registry: () => registry, gitVersion: "v1.33.0" }),
    ready: () => true,
    rest: { protobuf: decodeProtobufBody },
  });
  const client = new InProcessClient(app, ADMIN);
  await bootstrapCluster({
    client,
    logger,
    serviceCidr: "10.43.0.0/16",
    advertiseAddress: "192.0.2.10",
    port: 6443,
  });
  const keeper = new ServiceAccountKeeper({ views, logger, clock, rootCaPem: CA });
  if (options.start ?? true) await keeper.start(options.wrap?.(client) ?? client, stop.signal);
  return {
    client,
    keeper,
    views,
    clock,
    logger,
    signal: stop.signal,
    async [Symbol.asyncDispose]() {
      stop.abort();
      caches.stop();
      await storage.close();
    },
  };
}

/** Waits (yielding to the event loop, at most 2 s) until `check` holds. */
async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

type Server = Awaited<ReturnType<typeof podAdmissionServer>>;

async function get(s: Server, path: string) {
  return await s.client.json("GET", path);
}

async function settled(s: Server): Promise<void> {
  await new Promise((r) => setTimeout(r, 5));
  await s.keeper.idle();
}

function uidOf(body: Record<string, unknown>): string | undefined {
  return (body.metadata as { uid?: string } | undefined)?.uid;
}

Deno.test("isActiveNamespace() is false while a namespace is deleted", async (t) => {
  const cases: [Record<string, unknown>, boolean][] = [
    [{ metadata: { name: "a" }, status: { phase: "Active" } }, true],
    [{ metadata: { name: "a" } }, true],
    [{ metadata: { name: "a" }, status: { phase: "Terminating" } }, false],
    [{ metadata: { name: "a", deletionTimestamp: "2025-01-01T00:00:00Z" } }, false],
  ];
  for (const [ns, want] of cases) {
    await t.step(JSON.stringify(ns), () => assert.equal(isActiveNamespace(ns), want));
  }
});

Deno.test("ServiceAccountKeeper.start() gives every namespace its account and CA ConfigMap", async () => {
  await using s = await podAdmissionServer();
  for (const ns of ["default", "kube-system", "kube-public", "kube-node-lease"]) {
    const sa = await get(s, `/api/v1/namespaces/${ns}/serviceaccounts/default`);
    assert.equal(sa.status, 200, ns);
    const cm = await get(s, `/api/v1/namespaces/${ns}/configmaps/kube-root-ca.crt`);
    assert.equal(cm.status, 200, ns);
    assert.deepEqual(cm.body.data, { "ca.crt": CA });
    assert.deepEqual((cm.body.metadata as { annotations?: unknown }).annotations, {
      "kubernetes.io/description": ROOT_CA_DESCRIPTION,
    });
  }
  assert.equal(
    s.logger.records.filter((r) => r.msg === "Starting ServiceAccount keeper").length,
    1,
  );
});

Deno.test("ServiceAccountKeeper follows namespaces, accounts and ConfigMaps", async (t) => {
  await using s = await podAdmissionServer();
  await t.step("a new namespace gets both", async () => {
    await s.client.json("POST", "/api/v1/namespaces", { body: { metadata: { name: "apps" } } });
    await until(
      async () =>
        (await get(s, "/api/v1/namespaces/apps/serviceaccounts/default")).status === 200 &&
        (await get(s, "/api/v1/namespaces/apps/configmaps/kube-root-ca.crt")).status === 200,
      "the objects of namespace apps",
    );
  });
  await t.step("a deleted account is recreated", async () => {
    const before = uidOf((await get(s, "/api/v1/namespaces/apps/serviceaccounts/default")).body);
    const del = await s.client.json("DELETE", "/api/v1/namespaces/apps/serviceaccounts/default");
    assert.equal(del.status, 200);
    await until(async () => {
      const now = await get(s, "/api/v1/namespaces/apps/serviceaccounts/default");
      return now.status === 200 && uidOf(now.body) !== before;
    }, "the account to come back");
  });
  await t.step("edited CA data is restored", async () => {
    const path = "/api/v1/namespaces/apps/configmaps/kube-root-ca.crt";
    const cm = (await get(s, path)).body;
    const res = await s.client.json("PUT", path, {
      body: { ...cm, data: { "ca.crt": "forged", extra: "x" } },
    });
    assert.equal(res.status, 200);
    await until(async () => {
      const now = (await get(s, path)).body;
      return JSON.stringify(now.data) === JSON.stringify({ "ca.crt": CA });
    }, "the CA data to be restored");
  });
  await t.step("a removed description is restored", async () => {
    const path = "/api/v1/namespaces/apps/configmaps/kube-root-ca.crt";
    const cm = (await get(s, path)).body;
    const meta = { ...(cm.metadata as Record<string, unknown>), annotations: { other: "y" } };
    assert.equal(
      (await s.client.json("PUT", path, { body: { ...cm, metadata: meta } })).status,
      200,
    );
    await until(async () => {
      const now = (await get(s, path)).body.metadata as { annotations?: Record<string, string> };
      return now.annotations?.["kubernetes.io/description"] === ROOT_CA_DESCRIPTION &&
        now.annotations.other === "y";
    }, "the description to be restored");
  });
  await t.step("a deleted ConfigMap is recreated", async () => {
    const path = "/api/v1/namespaces/apps/configmaps/kube-root-ca.crt";
    assert.equal((await s.client.json("DELETE", path)).status, 200);
    await until(async () => (await get(s, path)).status === 200, "the ConfigMap to come back");
  });
  await t.step("another CA is published everywhere", async () => {
    s.keeper.setRootCa("NEW CA");
    await until(async () => {
      for (const ns of ["default", "apps"]) {
        const cm = await get(s, `/api/v1/namespaces/${ns}/configmaps/kube-root-ca.crt`);
        if ((cm.body.data as Record<string, string> | undefined)?.["ca.crt"] !== "NEW CA") {
          return false;
        }
      }
      return true;
    }, "the new CA");
  });
});

Deno.test("ServiceAccountKeeper leaves a terminating namespace alone", async () => {
  await using s = await podAdmissionServer();
  await s.client.json("POST", "/api/v1/namespaces", { body: { metadata: { name: "old" } } });
  await until(
    async () => (await get(s, "/api/v1/namespaces/old/serviceaccounts/default")).status === 200,
    "the account of namespace old",
  );
  // Without a namespace controller the namespace stays Terminating.
  assert.equal((await s.client.json("DELETE", "/api/v1/namespaces/old")).status, 200);
  await until(() => {
    const ns = s.views.get("/registry/namespaces/").getByName("", "old");
    return ns !== undefined && !isActiveNamespace(ns);
  }, "namespace old to terminate");
  await s.client.json("DELETE", "/api/v1/namespaces/old/serviceaccounts/default");
  await settled(s);
  assert.equal((await get(s, "/api/v1/namespaces/old/serviceaccounts/default")).status, 404);
});

Deno.test("ServiceAccountKeeper retries a failed sync with a growing delay", async () => {
  let failures = 2;
  const wrap = (real: InProcessClient) =>
    ({
      request: real.request.bind(real),
      json(method: string, path: string, options?: InProcessRequestOptions) {
        if (method === "POST" && path.endsWith("/serviceaccounts") && failures > 0) {
          failures--;
          return Promise.resolve({ status: 500, body: { message: "disk on fire" } });
        }
        return real.json(method, path, options);
      },
    }) as unknown as InProcessClient;
  await using s = await podAdmissionServer({ start: false });
  // The bootstrap created the namespaces before the keeper started: the first pass fails once.
  await s.keeper.start(wrap(s.client), s.signal);
  const sa = () => get(s, "/api/v1/namespaces/kube-node-lease/serviceaccounts/default");
  const failed = s.logger.records.filter((r) =>
    r.msg === "Cannot sync namespace objects, retrying"
  );
  assert.equal(failed.length, 2);
  assert.equal(failed[0]?.fields.delayMs, 500);
  s.clock.advance(500);
  await settled(s);
  assert.equal(failures, 0);
  for (const ns of ["default", "kube-system", "kube-public", "kube-node-lease"]) {
    assert.equal(
      (await get(s, `/api/v1/namespaces/${ns}/serviceaccounts/default`)).status,
      200,
      ns,
    );
  }
  assert.equal((await sa()).status, 200);
});

// --- the pod admission chain through the API ---------------------------------------------------

function podBody(name: string, spec: Record<string, unknown> = {}) {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name },
    spec: { containers: [{ name: "app", image: "nginx" }], ...spec },
  };
}

Deno.test("a pod created through the API gets its account, token volume, tolerations and priority", async () => {
  await using s = await podAdmissionServer();
  const res = await s.client.json("POST", "/api/v1/namespaces/default/pods", {
    body: podBody("web"),
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const spec = (res.body as unknown as Pod).spec!;
  assert.equal(spec.serviceAccountName, "default");
  assert.equal(spec.serviceAccount, "default");
  const volume = spec.volumes?.find((v) => v.name.startsWith("kube-api-access-"));
  assert.match(volume?.name ?? "", /^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  assert.deepEqual(volume?.projected?.sources?.map((x) => Object.keys(x)[0]), [
    "serviceAccountToken",
    "configMap",
    "downwardAPI",
  ]);
  assert.equal(volume?.projected?.defaultMode, 420);
  assert.deepEqual(spec.containers[0]?.volumeMounts, [{
    name: volume!.name,
    readOnly: true,
    mountPath: "/var/run/secrets/kubernetes.io/serviceaccount",
  }]);
  assert.deepEqual(spec.tolerations, [
    {
      key: "node.kubernetes.io/not-ready",
      operator: "Exists",
      effect: "NoExecute",
      tolerationSeconds: 300,
    },
    {
      key: "node.kubernetes.io/unreachable",
      operator: "Exists",
      effect: "NoExecute",
      tolerationSeconds: 300,
    },
  ]);
  assert.equal(spec.priority, 0);
  assert.equal(spec.preemptionPolicy, "PreemptLowerPriority");
  // What was stored is what was answered.
  const stored = await get(s, "/api/v1/namespaces/default/pods/web");
  assert.deepEqual((stored.body as unknown as Pod).spec, spec);
});

Deno.test("a pod created through the API gets LimitRange defaults and a system priority", async () => {
  await using s = await podAdmissionServer();
  const lr = await s.client.json("POST", "/api/v1/namespaces/default/limitranges", {
    body: {
      metadata: { name: "defaults" },
      spec: { limits: [{ type: "Container", max: { cpu: "1" }, default: { cpu: "500m" } }] },
    },
  });
  assert.equal(lr.status, 201, JSON.stringify(lr.body));
  const limitRanges = await s.views.started("/registry/limitranges/");
  await until(() => limitRanges.size === 1, "the LimitRange view");
  const res = await s.client.json("POST", "/api/v1/namespaces/default/pods", {
    body: podBody("critical", { priorityClassName: "system-node-critical" }),
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const pod = res.body as unknown as Pod;
  assert.deepEqual(pod.spec?.containers[0]?.resources, {
    limits: { cpu: "500m" },
    requests: { cpu: "500m" },
  });
  assert.equal(
    pod.metadata?.annotations?.["kubernetes.io/limit-ranger"],
    "LimitRanger plugin set: cpu request for container app; cpu limit for container app",
  );
  assert.equal(pod.spec?.priority, 2000001000);
  const big = await s.client.json("POST", "/api/v1/namespaces/default/pods", {
    body: podBody("big", {
      containers: [{ name: "app", image: "nginx", resources: { limits: { cpu: "2" } } }],
    }),
  });
  assert.equal(big.status, 403);
  assert.equal(
    big.body.message,
    'pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 2',
  );
});

Deno.test("a pod in a namespace created a moment ago waits for its default account", async () => {
  await using s = await podAdmissionServer();
  assert.equal(
    (await s.client.json("POST", "/api/v1/namespaces", { body: { metadata: { name: "fresh" } } }))
      .status,
    201,
  );
  const res = await s.client.json("POST", "/api/v1/namespaces/fresh/pods", {
    body: podBody("web"),
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
});

Deno.test("pod admission through the API refuses unknown accounts and classes, and account changes", async (t) => {
  await using s = await podAdmissionServer();
  await t.step("unknown account", async () => {
    const res = s.client.json("POST", "/api/v1/namespaces/default/pods", {
      body: podBody("a", { serviceAccountName: "robot" }),
    });
    // The plugin waits on the view for "robot" (100 ms on its fake clock).
    await until(() => s.clock.pendingTimers > 0, "the wait for robot");
    s.clock.advance(100);
    const answer = await res;
    assert.equal(answer.status, 403);
    assert.equal(
      answer.body.message,
      'pods "a" is forbidden: error looking up service account default/robot: serviceaccount "robot" not found',
    );
  });
  await t.step("unknown priority class", async () => {
    const res = await s.client.json("POST", "/api/v1/namespaces/default/pods", {
      body: podBody("b", { priorityClassName: "gold" }),
    });
    assert.equal(res.status, 403);
    assert.equal(
      res.body.message,
      'pods "b" is forbidden: no PriorityClass with name gold was found',
    );
  });
  await t.step("the account of a pod cannot change", async () => {
    await s.client.json("POST", "/api/v1/namespaces/default/serviceaccounts", {
      body: { metadata: { name: "other" } },
    });
    const created = await s.client.json("POST", "/api/v1/namespaces/default/pods", {
      body: podBody("c"),
    });
    assert.equal(created.status, 201);
    const pod = created.body as unknown as Pod;
    pod.spec!.serviceAccountName = "other";
    pod.spec!.serviceAccount = "other";
    const res = await s.client.json("PUT", "/api/v1/namespaces/default/pods/c", { body: pod });
    assert.equal(res.status, 422);
    assert.match(String(res.body.message), /pod updates may not change fields other than/);
  });
  await t.step("deleting a system priority class", async () => {
    const res = await s.client.json(
      "DELETE",
      "/apis/scheduling.k8s.io/v1/priorityclasses/system-cluster-critical",
    );
    assert.equal(res.status, 403);
    assert.equal(
      res.body.message,
      'priorityclasses.scheduling.k8s.io "system-cluster-critical" is forbidden: this is a system priority class and cannot be deleted',
    );
  });
  await t.step("a dry-run pod is admitted and not stored", async () => {
    const res = await s.client.json("POST", "/api/v1/namespaces/default/pods?dryRun=All", {
      body: podBody("d"),
    });
    assert.equal(res.status, 201);
    assert.equal(((res.body as unknown as Pod).spec?.volumes ?? []).length, 1);
    assert.equal((await get(s, "/api/v1/namespaces/default/pods/d")).status, 404);
  });
});
