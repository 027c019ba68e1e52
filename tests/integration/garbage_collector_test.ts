/**
 * The garbage collector, run by the ControllerManager beside the ReplicaSet and Deployment
 * controllers, against the real API in process with a fake kubelet: Background, Foreground and
 * Orphan propagation, owners of other kinds, dangling and invalid owner references, several
 * owners, and a restart after owners were deleted while the collector was down.
 */
import assert from "node:assert/strict";
import type { Deployment } from "../../control/api/types/apps_v1.ts";
import type { ConfigMap } from "../../control/api/types/core_v1_config.ts";
import type { OwnerReference } from "../../control/api/types/meta_v1.ts";
import type { Client } from "../../control/client/client.ts";
import { isNotFound } from "../../control/client/errors.ts";
import {
  CONFIG_MAPS,
  CORE_EVENTS,
  DEPLOYMENTS,
  NAMESPACES,
  PODS,
  PRIORITY_CLASSES,
  REPLICA_SETS,
} from "../../control/client/resources.ts";
import { defaultControllers } from "../../control/controllers/controller_manager.ts";
import {
  GARBAGE_COLLECTOR_CONTROLLER_NAME,
  garbageCollectorController,
} from "../../control/controllers/garbage_collector.ts";
import { RecordingLogger } from "../../control/util/logger.ts";
import { type ControllerApi, startControllerApi, until } from "../_support/controller_api.ts";
import { FakeKubelet } from "../_support/fake_kubelet.ts";
import { startTestManager } from "../_support/test_manager.ts";
import { testReplicaSet } from "../_support/workloads.ts";

const REGISTRY = [
  ...defaultControllers(),
  { name: GARBAGE_COLLECTOR_CONTROLLER_NAME, factory: garbageCollectorController },
];

/** The controller manager running `controllers` of the registry above, and its log. */
function startManager(api: ControllerApi, controllers: readonly string[]) {
  const logger = new RecordingLogger();
  return {
    logger,
    ...startTestManager(api.transport, { logger, controllers, registry: REGISTRY }),
  };
}

/** The API, a fake kubelet and the ReplicaSet, Deployment and garbage collector controllers. */
async function cluster(
  controllers: readonly string[] = ["replicaset", "deployment", GARBAGE_COLLECTOR_CONTROLLER_NAME],
) {
  const api = await startControllerApi();
  const kubelet = await FakeKubelet.start({
    client: api.client,
    nodes: ["node-1"],
    bindUnscheduled: true,
  });
  const manager = startManager(api, controllers);
  return {
    api,
    client: api.client,
    manager,
    async [Symbol.asyncDispose]() {
      await manager.stop();
      await kubelet.stop();
      await api[Symbol.asyncDispose]();
    },
  };
}

function configMap(name: string, owners: OwnerReference[] = [], namespace = "default"): ConfigMap {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      namespace,
      name,
      ...(owners.length > 0 ? { ownerReferences: owners } : {}),
    },
    data: { k: "v" },
  };
}

function ownerRef(cm: ConfigMap, extra: Partial<OwnerReference> = {}): OwnerReference {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    name: cm.metadata?.name ?? "",
    uid: cm.metadata?.uid ?? "",
    ...extra,
  };
}

async function exists(check: () => Promise<unknown>): Promise<boolean> {
  try {
    await check();
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

async function podsOf(client: Client, app: string) {
  return (await client.resource(PODS).list({ namespace: "default", labelSelector: `app=${app}` }))
    .items;
}

async function withRunningReplicaSet(client: Client, name: string, replicas: number) {
  const rs = await client.resource(REPLICA_SETS).create(testReplicaSet(name, { replicas }));
  await until(async () => (await podsOf(client, name)).length === replicas, {
    what: `${replicas} pods of ${name}`,
  });
  return rs;
}

Deno.test("garbage collector: deleting a ReplicaSet (Background) deletes its pods", async () => {
  await using c = await cluster();
  await withRunningReplicaSet(c.client, "web", 3);
  await c.client.resource(REPLICA_SETS).delete("web", {
    namespace: "default",
    propagationPolicy: "Background",
  });
  await until(async () => (await podsOf(c.client, "web")).length === 0, {
    what: "the ReplicaSet's pods to be collected",
  });
});

Deno.test("garbage collector: deleting a Deployment deletes its ReplicaSets and pods", async () => {
  await using c = await cluster();
  const deployment: Deployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { namespace: "default", name: "api" },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: "api" } },
      template: {
        metadata: { labels: { app: "api" } },
        spec: { containers: [{ name: "main", image: "busybox" }] },
      },
    },
  };
  await c.client.resource(DEPLOYMENTS).create(deployment);
  await until(async () => (await podsOf(c.client, "api")).length === 2, { what: "2 pods" });
  // No propagation policy: the API server's default for apps/v1 is to delete dependents.
  await c.client.resource(DEPLOYMENTS).delete("api", { namespace: "default" });
  await until(async () => {
    const sets = await c.client.resource(REPLICA_SETS).list({ namespace: "default" });
    return sets.items.length === 0 && (await podsOf(c.client, "api")).length === 0;
  }, { what: "the ReplicaSet and pods to be collected" });
});

Deno.test("garbage collector: Foreground keeps the ReplicaSet until its pods are gone", async () => {
  await using c = await cluster();
  await withRunningReplicaSet(c.client, "fg", 2);
  const pods = c.client.resource(PODS);
  // A finalizer of the test's own holds one pod (and so the ReplicaSet) until it is removed.
  const [held] = await podsOf(c.client, "fg");
  const heldName = held!.metadata!.name!;
  await pods.patch(heldName, {
    namespace: "default",
    type: "merge",
    body: { metadata: { finalizers: ["example.com/hold"] } },
  });
  await c.client.resource(REPLICA_SETS).delete("fg", {
    namespace: "default",
    propagationPolicy: "Foreground",
  });
  await until(async () => {
    const left = await podsOf(c.client, "fg");
    return left.length === 1 && left[0]!.metadata?.name === heldName &&
      !!left[0]!.metadata?.deletionTimestamp;
  }, { what: "every pod but the held one deleted, the held one being deleted" });
  const rs = await c.client.resource(REPLICA_SETS).get("fg", { namespace: "default" });
  assert.ok(rs.metadata?.deletionTimestamp, "the ReplicaSet is being deleted");
  assert.deepEqual(rs.metadata?.finalizers, ["foregroundDeletion"]);
  await pods.patch(heldName, {
    namespace: "default",
    type: "merge",
    body: { metadata: { finalizers: null } },
  });
  await until(
    async () =>
      !(await exists(() => c.client.resource(REPLICA_SETS).get("fg", { namespace: "default" }))),
    { what: "the ReplicaSet to go once its pods are gone" },
  );
  assert.equal((await podsOf(c.client, "fg")).length, 0);
});

Deno.test("garbage collector: Orphan leaves the pods without ownerReferences", async () => {
  await using c = await cluster();
  await withRunningReplicaSet(c.client, "orphans", 2);
  await c.client.resource(REPLICA_SETS).delete("orphans", {
    namespace: "default",
    propagationPolicy: "Orphan",
  });
  await until(
    async () =>
      !(await exists(() =>
        c.client.resource(REPLICA_SETS).get("orphans", { namespace: "default" })
      )),
    { what: "the ReplicaSet to go" },
  );
  const left = await podsOf(c.client, "orphans");
  assert.equal(left.length, 2);
  for (const pod of left) {
    assert.equal(pod.metadata?.ownerReferences, undefined, `${pod.metadata?.name} is orphaned`);
    assert.equal(pod.metadata?.deletionTimestamp, undefined);
  }
});

Deno.test("garbage collector: a ConfigMap owned by another ConfigMap goes with it", async () => {
  await using c = await cluster([GARBAGE_COLLECTOR_CONTROLLER_NAME]);
  const cms = c.client.resource(CONFIG_MAPS);
  const owner = await cms.create(configMap("owner"));
  await cms.create(configMap("dependent", [ownerRef(owner)]));
  await cms.create(configMap("bystander"));
  await cms.delete("owner", { namespace: "default" });
  await until(async () => !(await exists(() => cms.get("dependent", { namespace: "default" }))), {
    what: "the dependent ConfigMap to be collected",
  });
  assert.ok(await exists(() => cms.get("bystander", { namespace: "default" })));
});

Deno.test("garbage collector: dangling owner references are confirmed by a GET, then collected", async (t) => {
  await using c = await cluster([GARBAGE_COLLECTOR_CONTROLLER_NAME]);
  const cms = c.client.resource(CONFIG_MAPS);
  const real = await cms.create(configMap("real-owner"));
  await t.step("an owner that never existed", async () => {
    await cms.create(configMap("ghost-child", [{
      apiVersion: "v1",
      kind: "ConfigMap",
      name: "ghost",
      uid: "00000000-0000-0000-0000-000000000001",
    }]));
    await until(
      async () => !(await exists(() => cms.get("ghost-child", { namespace: "default" }))),
      {
        what: "the dependent of a ghost to be collected",
      },
    );
  });
  await t.step("an owner name that exists with another uid", async () => {
    await cms.create(configMap("impostor-child", [{
      ...ownerRef(real),
      uid: "00000000-0000-0000-0000-000000000002",
    }]));
    await until(
      async () => !(await exists(() => cms.get("impostor-child", { namespace: "default" }))),
      { what: "the dependent of a uid mismatch to be collected" },
    );
  });
  await t.step("a live owner keeps its dependent", async () => {
    await cms.create(configMap("kept-child", [ownerRef(real)]));
    // Give the collector time to look at it (it is queued as soon as it is seen).
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.ok(await exists(() => cms.get("kept-child", { namespace: "default" })));
    assert.ok(await exists(() => cms.get("real-owner", { namespace: "default" })));
  });
});

Deno.test("garbage collector: a dependent of several owners goes only with the last", async () => {
  await using c = await cluster([GARBAGE_COLLECTOR_CONTROLLER_NAME]);
  const cms = c.client.resource(CONFIG_MAPS);
  const a = await cms.create(configMap("owner-a"));
  const b = await cms.create(configMap("owner-b"));
  await cms.create(configMap("shared", [ownerRef(a), ownerRef(b)]));
  await cms.delete("owner-a", { namespace: "default" });
  // The reference to the gone owner is removed; the object stays for its other owner.
  await until(async () => {
    const shared = await cms.get("shared", { namespace: "default" });
    return (shared.metadata?.ownerReferences ?? []).length === 1;
  }, { what: "the dangling reference to be removed" });
  const shared = await cms.get("shared", { namespace: "default" });
  assert.deepEqual(shared.metadata?.ownerReferences?.map((r) => r.name), ["owner-b"]);
  await cms.delete("owner-b", { namespace: "default" });
  await until(async () => !(await exists(() => cms.get("shared", { namespace: "default" }))), {
    what: "the shared dependent to be collected",
  });
});

Deno.test("garbage collector: owners deleted while it was down are collected after a restart", async () => {
  await using api = await startControllerApi();
  const cms = api.client.resource(CONFIG_MAPS);
  let manager = startManager(api, [GARBAGE_COLLECTOR_CONTROLLER_NAME]);
  const owner = await cms.create(configMap("parent"));
  await cms.create(configMap("child", [ownerRef(owner)]));
  await until(() => manager.logger.messages().includes("Proceeding to collect garbage"), {
    what: "the collector to start",
  });
  await manager.stop();
  await cms.delete("parent", { namespace: "default" });
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.ok(await exists(() => cms.get("child", { namespace: "default" })), "nobody collected it");
  manager = startManager(api, [GARBAGE_COLLECTOR_CONTROLLER_NAME]);
  try {
    await until(async () => !(await exists(() => cms.get("child", { namespace: "default" }))), {
      what: "the orphaned child to be collected after the restart",
    });
  } finally {
    await manager.stop();
  }
});

Deno.test("garbage collector: an owner in another namespace is reported and not honoured", async () => {
  await using c = await cluster([GARBAGE_COLLECTOR_CONTROLLER_NAME]);
  const cms = c.client.resource(CONFIG_MAPS);
  await c.client.resource(NAMESPACES)
    .create({ apiVersion: "v1", kind: "Namespace", metadata: { name: "other" } });
  const owner = await cms.create(configMap("home"));
  // Let the collector see the owner first: the check is made when the dependent is seen.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const stray = await cms.create(configMap("stray", [ownerRef(owner)], "other"));
  const priority = await c.client.resource(PRIORITY_CLASSES).create({
    apiVersion: "scheduling.k8s.io/v1",
    kind: "PriorityClass",
    metadata: { name: "cluster-scoped-dependent", ownerReferences: [ownerRef(owner)] },
    value: 1000,
  });
  const events = c.client.resource(CORE_EVENTS);
  await until(async () => {
    const list = await events.list({ fieldSelector: "reason=OwnerRefInvalidNamespace" });
    return list.items.length >= 2;
  }, { what: "two OwnerRefInvalidNamespace events" });
  const list = await events.list({ fieldSelector: "reason=OwnerRefInvalidNamespace" });
  const byName = new Map(list.items.map((e) => [e.involvedObject?.name, e]));
  const ref = `[v1/ConfigMap, namespace: %s, name: home, uid: ${owner.metadata?.uid}]`;
  const strayEvent = byName.get("stray");
  assert.equal(strayEvent?.type, "Warning");
  assert.equal(strayEvent?.involvedObject?.uid, stray.metadata?.uid);
  assert.equal(
    strayEvent?.message,
    `ownerRef ${ref.replace("%s", "other")} does not exist in namespace "other"`,
  );
  assert.equal(strayEvent?.source?.component, "garbage-collector-controller");
  const pcEvent = byName.get("cluster-scoped-dependent");
  assert.equal(pcEvent?.involvedObject?.uid, priority.metadata?.uid);
  assert.equal(
    pcEvent?.message,
    `ownerRef ${ref.replace("%s", "")} does not exist in namespace ""`,
  );
  // The namespaced stray's owner does not exist in its namespace: it is collected. The
  // cluster-scoped one cannot name a namespaced owner at all: it is left alone.
  await until(async () => !(await exists(() => cms.get("stray", { namespace: "other" }))), {
    what: "the stray ConfigMap to be collected",
  });
  assert.ok(
    await exists(() => c.client.resource(PRIORITY_CLASSES).get("cluster-scoped-dependent")),
  );
});
