import assert from "node:assert/strict";
import type { Pod } from "../api/types/core_v1_pod.ts";
import type { ReplicationController } from "../api/types/core_v1_replication_controller.ts";
import { Client } from "../client/client.ts";
import { type RecordedRequest, ScriptedTransport } from "../client/_test_transport.ts";
import { FakeClock } from "../util/clock.ts";
import { RecordingLogger } from "../util/logger.ts";
import { FakeInformer } from "./_fake_informer.ts";
import { FakePodControl } from "./pod_control.ts";
import {
  REPLICATION_CONTROLLER_KIND,
  REPLICATION_CONTROLLER_REPLICATED_KIND,
  REPLICATIONCONTROLLER_CONTROLLER_NAME,
  ReplicationManager,
} from "./replication_controller.ts";

const START_MS = Date.UTC(2025, 0, 1, 12, 0, 0);

function time(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

const RC_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/replicationcontrollers\/([^/]+)(\/status)?$/;

/** The ReplicationController endpoints the controller calls: GET, and PUT of the status. */
class FakeRcApi {
  readonly objects = new Map<string, ReplicationController>();
  readonly statusWrites: ReplicationController[] = [];
  readonly transport = new ScriptedTransport((req) => this.#answer(req));
  #rv = 100;

  put(rc: ReplicationController): void {
    this.objects.set(`${rc.metadata!.namespace}/${rc.metadata!.name}`, structuredClone(rc));
  }

  #answer(req: RecordedRequest): Response {
    const m = req.pathname.match(RC_PATH);
    const stored = m ? this.objects.get(`${m[1]}/${m[2]}`) : undefined;
    if (!m || !stored) {
      return Response.json({
        kind: "Status",
        status: "Failure",
        reason: "NotFound",
        message: `replicationcontrollers "${m?.[2]}" not found`,
        code: 404,
      }, { status: 404 });
    }
    if (req.method === "GET") return Response.json(stored);
    if (req.method === "PUT" && m[3]) {
      const body = req.body as ReplicationController;
      this.statusWrites.push(structuredClone(body));
      const next = {
        ...stored,
        status: body.status!,
        metadata: { ...stored.metadata, resourceVersion: String(++this.#rv) },
      };
      this.objects.set(`${m[1]}/${m[2]}`, next);
      return Response.json(next);
    }
    return new Response("unexpected", { status: 405 });
  }
}

function newRc(name: string, init: { replicas?: number; generation?: number } = {}) {
  const rc: ReplicationController = {
    apiVersion: "v1",
    kind: "ReplicationController",
    metadata: {
      namespace: "default",
      name,
      uid: `uid-${name}`,
      resourceVersion: "1",
      generation: init.generation ?? 1,
    },
    spec: {
      replicas: init.replicas ?? 1,
      selector: { app: name },
      template: {
        metadata: { labels: { app: name, tier: "front" } },
        spec: { containers: [{ name: "c", image: "busybox" }] },
      },
    },
    status: { replicas: 0 },
  };
  return rc;
}

interface PodInit {
  readonly owner?: ReplicationController | null;
  readonly labels?: Record<string, string>;
  readonly ready?: boolean;
}

function newPod(name: string, init: PodInit = {}): Pod {
  const owner = init.owner;
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      namespace: "default",
      name,
      uid: `uid-${name}`,
      resourceVersion: "1",
      labels: init.labels ?? { app: owner?.metadata?.name ?? "web", tier: "front" },
      creationTimestamp: time(START_MS - 3_600_000),
      ...(owner
        ? {
          ownerReferences: [{
            apiVersion: "v1",
            kind: "ReplicationController",
            name: owner.metadata!.name!,
            uid: owner.metadata!.uid!,
            controller: true,
            blockOwnerDeletion: true,
          }],
        }
        : {}),
    },
    spec: { containers: [{ name: "c", image: "busybox" }], nodeName: "n1" },
    status: {
      phase: "Running",
      conditions: [{
        type: "Ready",
        status: (init.ready ?? true) ? "True" : "False",
        lastTransitionTime: time(START_MS - 1_800_000),
      }],
    },
  };
}

function setup() {
  const clock = new FakeClock(START_MS);
  const rcInformer = new FakeInformer<ReplicationController>();
  const podInformer = new FakeInformer<Pod>();
  const api = new FakeRcApi();
  const podControl = new FakePodControl();
  const logger = new RecordingLogger();
  const controller = new ReplicationManager({
    client: new Client(api.transport),
    rcInformer,
    podInformer,
    podControl,
    clock,
    logger,
  });
  function addRc(rc: ReplicationController): void {
    api.put(rc);
    rcInformer.seed(rc);
  }
  return { rcInformer, podInformer, api, podControl, logger, controller, addRc };
}

Deno.test("REPLICATION_CONTROLLER_REPLICATED_KIND reads the label map as matchLabels", () => {
  const kind = REPLICATION_CONTROLLER_REPLICATED_KIND;
  assert.equal(kind.name, "replicationcontroller");
  assert.equal(REPLICATIONCONTROLLER_CONTROLLER_NAME, "replicationcontroller");
  assert.deepEqual(kind.kind, { apiVersion: "v1", kind: "ReplicationController" });
  assert.deepEqual(kind.resource, {
    group: "",
    version: "v1",
    resource: "replicationcontrollers",
    kind: "ReplicationController",
    namespaced: true,
  });
  assert.deepEqual(kind.selector(newRc("web")), { matchLabels: { app: "web" } });
  const { selector: _, ...spec } = newRc("web").spec!;
  assert.equal(kind.selector({ ...newRc("web"), spec }), undefined);
});

Deno.test("ReplicationManager.sync() creates the missing pods with a v1 ReplicationController controllerRef", async () => {
  const { controller, podControl, api, addRc } = setup();
  addRc(newRc("web", { replicas: 3 }));
  await controller.sync("default/web");
  assert.equal(podControl.creates.length, 3);
  assert.deepEqual(podControl.creates[0]?.template.metadata?.labels, { app: "web", tier: "front" });
  assert.deepEqual(podControl.creates[0]?.controllerRef, {
    apiVersion: "v1",
    kind: "ReplicationController",
    name: "web",
    uid: "uid-web",
    controller: true,
    blockOwnerDeletion: true,
  });
  assert.equal(controller.expectations.get("default/web")?.add, 3);
  // Written through the core group's status subresource.
  assert.deepEqual(
    api.transport.requests.map((r) => `${r.method} ${r.pathname}`),
    ["PUT /api/v1/namespaces/default/replicationcontrollers/web/status"],
  );
  assert.deepEqual(api.statusWrites[0]?.status, {
    replicas: 0,
    fullyLabeledReplicas: 0,
    readyReplicas: 0,
    availableReplicas: 0,
    observedGeneration: 1,
  });
});

Deno.test("ReplicationManager.sync() adopts orphans its selector matches, after an uncached read", async () => {
  const { controller, podControl, podInformer, api, addRc } = setup();
  addRc(newRc("web", { replicas: 2 }));
  podInformer.seed(
    newPod("orphan", { owner: null, labels: { app: "web" } }),
    newPod("stranger", { owner: null, labels: { app: "db" } }),
  );
  await controller.sync("default/web");
  assert.ok(
    api.transport.requests.some((r) =>
      r.method === "GET" && r.pathname === "/api/v1/namespaces/default/replicationcontrollers/web"
    ),
  );
  assert.deepEqual(podControl.patches.map((p) => [p.name, p.patch]), [[
    "orphan",
    {
      metadata: {
        ownerReferences: [{
          apiVersion: "v1",
          kind: "ReplicationController",
          name: "web",
          uid: "uid-web",
          controller: true,
          blockOwnerDeletion: true,
        }],
        uid: "uid-orphan",
      },
    },
  ]]);
  assert.equal(podControl.creates.length, 1);
  const status = api.statusWrites.at(-1)?.status;
  assert.equal(status?.replicas, 1);
  // It lacks the template's tier label.
  assert.equal(status?.fullyLabeledReplicas, 0);
});

Deno.test("ReplicationManager.sync() deletes the excess pods and reports their status", async () => {
  const { controller, podControl, podInformer, api, addRc } = setup();
  const rc = newRc("web", { replicas: 1, generation: 4 });
  addRc(rc);
  podInformer.seed(
    newPod("web-a", { owner: rc }),
    newPod("web-b", { owner: rc, ready: false }),
    newPod("web-c", { owner: rc }),
  );
  await controller.sync("default/web");
  assert.equal(podControl.deletes.length, 2);
  assert.ok(podControl.deletes.includes("default/web-b"), "the unready pod goes first");
  assert.deepEqual(api.statusWrites.at(-1)?.status, {
    replicas: 3,
    fullyLabeledReplicas: 3,
    readyReplicas: 2,
    availableReplicas: 2,
    observedGeneration: 4,
  });
});

Deno.test("ReplicationManager.sync() sets ReplicaFailure when pods cannot be created", async () => {
  const { controller, podControl, api, addRc } = setup();
  addRc(newRc("web", { replicas: 2 }));
  podControl.createError = new Error('pods "web-" is forbidden: exceeded quota');
  await assert.rejects(controller.sync("default/web"), /exceeded quota/);
  const condition = api.statusWrites.at(-1)?.status?.conditions?.[0];
  assert.deepEqual(condition, {
    type: "ReplicaFailure",
    status: "True",
    lastTransitionTime: time(START_MS),
    reason: "FailedCreate",
    message: 'pods "web-" is forbidden: exceeded quota',
  });
});

Deno.test("ReplicationManager ignores pods of other kinds' controllers", async () => {
  const { controller, podControl, podInformer, addRc } = setup();
  addRc(newRc("web", { replicas: 1 }));
  const rsPod = newPod("rs-pod", { owner: null, labels: { app: "web", tier: "front" } });
  rsPod.metadata!.ownerReferences = [{
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    name: "web",
    uid: "uid-rs-web",
    controller: true,
  }];
  podInformer.seed(rsPod);
  await controller.sync("default/web");
  assert.equal(podControl.patches.length, 0);
  assert.equal(podControl.creates.length, 1);
});

Deno.test("ReplicationManager's handlers enqueue the ReplicationController of a pod", async (t) => {
  const { controller, podInformer, rcInformer } = setup();
  const web = newRc("web");
  const db = newRc("db");
  rcInformer.add(web);
  rcInformer.add(db);
  async function drain(): Promise<string[]> {
    const keys: string[] = [];
    while (controller.queue.len() > 0) {
      const key = (await controller.queue.get())!;
      keys.push(key);
      controller.queue.done(key);
    }
    return keys.sort();
  }
  await t.step("ReplicationController adds", async () => {
    assert.deepEqual(await drain(), ["default/db", "default/web"]);
  });
  await t.step("a pod with a controllerRef: its ReplicationController", async () => {
    podInformer.add(newPod("web-1", { owner: web }));
    assert.deepEqual(await drain(), ["default/web"]);
  });
  await t.step("an orphan: the ReplicationControllers selecting it", async () => {
    podInformer.add(newPod("loose", { owner: null, labels: { app: "db" } }));
    assert.deepEqual(await drain(), ["default/db"]);
  });
  controller.queue.shutDown();
});

Deno.test("REPLICATION_CONTROLLER_KIND is the core group's v1", () => {
  assert.deepEqual(REPLICATION_CONTROLLER_KIND, {
    apiVersion: "v1",
    kind: "ReplicationController",
  });
  assert.ok(Object.isFrozen(REPLICATION_CONTROLLER_KIND));
});
