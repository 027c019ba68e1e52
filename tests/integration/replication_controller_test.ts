/**
 * The ReplicationController controller, run by the ControllerManager with the garbage
 * collector, against the real API in process and a fake kubelet: a ReplicationController
 * defaulted from its template gets its pods (owned as `v1/ReplicationController`), scales
 * through `/scale`, adopts a matching orphan, reports its status and events as Kubernetes
 * does, and its pods go with it on a cascading delete.
 */
import assert from "node:assert/strict";
import type { ReplicationController } from "../../control/api/types/core_v1_replication_controller.ts";
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import type { Client } from "../../control/client/client.ts";
import { CORE_EVENTS, PODS, REPLICATION_CONTROLLERS } from "../../control/client/resources.ts";
import {
  GARBAGE_COLLECTOR_CONTROLLER_NAME,
  garbageCollectorController,
} from "../../control/controllers/garbage_collector.ts";
import {
  REPLICATIONCONTROLLER_CONTROLLER_NAME,
  replicationControllerController,
} from "../../control/controllers/replication_controller.ts";
import {
  type ControllerApi,
  createPod,
  startControllerApi,
  until,
} from "../_support/controller_api.ts";
import { FakeKubelet } from "../_support/fake_kubelet.ts";
import { startTestManager, type TestManager } from "../_support/test_manager.ts";

const REGISTRY = [
  { name: REPLICATIONCONTROLLER_CONTROLLER_NAME, factory: replicationControllerController },
  { name: GARBAGE_COLLECTOR_CONTROLLER_NAME, factory: garbageCollectorController },
];

/** A ReplicationController whose selector and labels the API defaults from the template. */
function testRc(name: string, replicas: number): ReplicationController {
  return {
    apiVersion: "v1",
    kind: "ReplicationController",
    metadata: { namespace: "default", name },
    spec: {
      replicas,
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: "main", image: "busybox" }] },
      },
    },
  };
}

interface Harness extends AsyncDisposable {
  readonly api: ControllerApi;
  readonly client: Client;
  rc(name: string): Promise<ReplicationController>;
  pods(app: string): Promise<Pod[]>;
  events(name: string, reason: string): Promise<{ message: string; component: string }[]>;
}

async function start(): Promise<Harness> {
  const api = await startControllerApi();
  const kubelet = await FakeKubelet.start({
    client: api.client,
    nodes: ["node-1"],
    bindUnscheduled: true,
  });
  const manager: TestManager = startTestManager(api.transport, { registry: REGISTRY });
  const client = api.client;
  return {
    api,
    client,
    async rc(name) {
      return await client.resource(REPLICATION_CONTROLLERS).get(name, { namespace: "default" });
    },
    async pods(app) {
      const list = await client.resource(PODS).list({
        namespace: "default",
        labelSelector: `app=${app}`,
      });
      return list.items.filter((p) => !p.metadata?.deletionTimestamp);
    },
    async events(name, reason) {
      const events = (await client.resource(CORE_EVENTS).list({ namespace: "default" })).items;
      return events
        .filter((e) =>
          e.involvedObject?.kind === "ReplicationController" && e.involvedObject.name === name &&
          e.reason === reason
        )
        .map((e) => ({ message: e.message ?? "", component: e.source?.component ?? "" }));
    },
    async [Symbol.asyncDispose]() {
      await manager.stop();
      await kubelet.stop();
      await api[Symbol.asyncDispose]();
    },
  };
}

/** Waits until the ReplicationController reports `replicas` ready pods for its generation. */
async function converged(h: Harness, name: string, replicas: number) {
  let last: ReplicationController | undefined;
  await until(async () => {
    last = await h.rc(name);
    const s = last.status;
    return s?.observedGeneration === last.metadata?.generation && s?.replicas === replicas &&
      (s?.readyReplicas ?? 0) === replicas && (s?.availableReplicas ?? 0) === replicas &&
      (await h.pods(name)).length === replicas;
  }, { what: `${name} at ${replicas} ready replicas`, timeoutMs: 15_000 });
  return last!;
}

Deno.test("ReplicationController gets its pods, scales through /scale and reports status and events", async () => {
  await using h = await start();
  const created = await h.client.resource(REPLICATION_CONTROLLERS).create(testRc("web", 3));
  assert.deepEqual(created.spec?.selector, { app: "web" });
  assert.deepEqual(created.metadata?.labels, { app: "web" });

  const rc = await converged(h, "web", 3);
  assert.equal(rc.status?.fullyLabeledReplicas, 3);
  assert.equal(rc.status?.conditions, undefined);
  for (const pod of await h.pods("web")) {
    assert.match(pod.metadata?.name ?? "", /^web-[a-z0-9]{5}$/);
    assert.deepEqual(pod.metadata?.ownerReferences, [{
      apiVersion: "v1",
      kind: "ReplicationController",
      name: "web",
      uid: rc.metadata?.uid,
      controller: true,
      blockOwnerDeletion: true,
    }]);
  }

  // kubectl scale: the Scale of the ReplicationController, then a write of it.
  const scalePath = "/api/v1/namespaces/default/replicationcontrollers/web/scale";
  const scale = await (await h.api.transport.request("GET", scalePath)).json();
  assert.equal(scale.kind, "Scale");
  assert.equal(scale.apiVersion, "autoscaling/v1");
  assert.deepEqual([scale.spec.replicas, scale.status.replicas], [3, 3]);
  await h.client.resource(REPLICATION_CONTROLLERS).patch("web", {
    namespace: "default",
    subresource: "scale",
    type: "merge",
    body: { spec: { replicas: 1 } },
  });
  const scaled = await converged(h, "web", 1);
  assert.equal(scaled.metadata?.generation, 2);

  await until(async () => (await h.events("web", "SuccessfulDelete")).length === 2, {
    what: "2 SuccessfulDelete events",
  });
  const creates = await h.events("web", "SuccessfulCreate");
  assert.equal(creates.length, 3);
  for (const e of creates) {
    assert.match(e.message, /^Created pod: web-[a-z0-9]{5}$/);
    assert.equal(e.component, "replication-controller");
  }
  for (const e of await h.events("web", "SuccessfulDelete")) {
    assert.match(e.message, /^Deleted pod: web-[a-z0-9]{5}$/);
  }
});

Deno.test("ReplicationController adopts a matching orphan and leaves other pods alone", async () => {
  await using h = await start();
  await createPod(h.client, { namespace: "default", name: "stray", labels: { app: "api" } });
  await createPod(h.client, { namespace: "default", name: "other", labels: { app: "db" } });
  await h.client.resource(REPLICATION_CONTROLLERS).create(testRc("api", 2));
  const rc = await converged(h, "api", 2);
  const stray = await h.client.resource(PODS).get("stray", { namespace: "default" });
  assert.equal(stray.metadata?.ownerReferences?.[0]?.kind, "ReplicationController");
  assert.equal(stray.metadata?.ownerReferences?.[0]?.uid, rc.metadata?.uid);
  const other = await h.client.resource(PODS).get("other", { namespace: "default" });
  assert.equal(other.metadata?.ownerReferences, undefined);
  // One pod created: the orphan counts as the other replica.
  assert.equal((await h.events("api", "SuccessfulCreate")).length, 1);
});

Deno.test("ReplicationController deleted in the background takes its pods with it", async () => {
  await using h = await start();
  await h.client.resource(REPLICATION_CONTROLLERS).create(testRc("gone", 2));
  await converged(h, "gone", 2);
  await h.client.resource(REPLICATION_CONTROLLERS).delete("gone", {
    namespace: "default",
    propagationPolicy: "Background",
  });
  await until(async () => {
    const all = await h.client.resource(PODS).list({
      namespace: "default",
      labelSelector: "app=gone",
    });
    return all.items.length === 0;
  }, { what: "the pods of the deleted ReplicationController gone", timeoutMs: 15_000 });
});

Deno.test("ReplicationController with a bad template is refused with upstream's message", async () => {
  await using api = await startControllerApi();
  const bad = testRc("bad", 1);
  bad.spec!.selector = { app: "other" };
  await assert.rejects(
    api.client.resource(REPLICATION_CONTROLLERS).create(bad),
    (err: Error) => {
      assert.equal(
        err.message,
        'ReplicationController "bad" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"bad"}: `selector` does not match template `labels`',
      );
      return true;
    },
  );
});
