import assert from "node:assert/strict";
import type { ControllerRevision, StatefulSet } from "../api/types/apps_v1.ts";
import type { Pod } from "../api/types/core_v1_pod.ts";
import type { PersistentVolumeClaim } from "../api/types/core_v1_storage.ts";
import { Client } from "../client/client.ts";
import { ScriptedTransport } from "../client/_test_transport.ts";
import type { EventRecord, EventRecorder } from "../client/event_recorder.ts";
import type { KubeObject } from "../api/types/meta_v1.ts";
import { FakeClock } from "../util/clock.ts";
import { RecordingLogger } from "../util/logger.ts";
import { FakeInformer } from "./_fake_informer.ts";
import type { StatefulPodControl } from "./_stateful_pod_control.ts";
import {
  STATEFUL_SET_CONTROLLER_NAME,
  StatefulSetController,
  statefulSetController,
} from "./stateful_set.ts";

const START_MS = Date.UTC(2025, 0, 1, 12);

class NullRecorder implements EventRecorder {
  readonly events: EventRecord[] = [];
  event(_object: KubeObject, record: EventRecord): void {
    this.events.push(record);
  }
}

/** Pod writes the control loop asks for, recorded. */
class RecordingPodControl implements StatefulPodControl {
  readonly log: string[] = [];
  createStatefulPod(_set: StatefulSet, pod: Pod): Promise<void> {
    this.log.push(`create ${pod.metadata?.name}`);
    return Promise.resolve();
  }
  updateStatefulPod(_set: StatefulSet, pod: Pod): Promise<void> {
    this.log.push(`update ${pod.metadata?.name}`);
    return Promise.resolve();
  }
  deleteStatefulPod(_set: StatefulSet, pod: Pod): Promise<void> {
    this.log.push(`delete ${pod.metadata?.name}`);
    return Promise.resolve();
  }
  claimsMatchRetentionPolicy(): boolean {
    return true;
  }
  updatePodClaimForRetentionPolicy(): Promise<void> {
    return Promise.resolve();
  }
  podClaimIsStale(): boolean {
    return false;
  }
  createMissingPersistentVolumeClaims(): Promise<void> {
    return Promise.resolve();
  }
}

function statefulSet(init: { minReadySeconds?: number; replicas?: number } = {}): StatefulSet {
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: {
      namespace: "default",
      name: "web",
      uid: "uid-web",
      resourceVersion: "5",
      generation: 1,
    },
    spec: {
      replicas: init.replicas ?? 1,
      serviceName: "web",
      selector: { matchLabels: { app: "web" } },
      ...(init.minReadySeconds ? { minReadySeconds: init.minReadySeconds } : {}),
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 0 } },
      template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c" }] } },
    },
  };
}

function pod(
  name: string,
  init: { owner?: string; labels?: Record<string, string>; rv?: string; ready?: boolean } = {},
): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      namespace: "default",
      name,
      uid: `uid-${name}`,
      resourceVersion: init.rv ?? "1",
      labels: init.labels ?? { app: "web" },
      ...(init.owner
        ? {
          ownerReferences: [{
            apiVersion: "apps/v1",
            kind: "StatefulSet",
            name: "web",
            uid: init.owner,
            controller: true,
          }],
        }
        : {}),
    },
    spec: { containers: [] },
    status: {
      phase: "Running",
      conditions: [{
        type: "Ready",
        status: init.ready === false ? "False" : "True",
        lastTransitionTime: new Date(START_MS).toISOString(),
      }],
    },
  };
}

function harness() {
  const clock = new FakeClock(START_MS);
  const sets = new FakeInformer<StatefulSet>();
  const pods = new FakeInformer<Pod>();
  const revisions = new FakeInformer<ControllerRevision>();
  const claims = new FakeInformer<PersistentVolumeClaim>();
  const podControl = new RecordingPodControl();
  const transport = new ScriptedTransport((req) => {
    if (req.method === "GET" && req.pathname.endsWith("/statefulsets/web")) {
      return Response.json(sets.store.get("default/web"));
    }
    if (req.method === "POST" && req.pathname.endsWith("/controllerrevisions")) {
      return Response.json(req.body, { status: 201 });
    }
    if (req.method === "PATCH") return Response.json({});
    if (req.method === "PUT" && req.pathname.endsWith("/status")) return Response.json(req.body);
    return new Response("unexpected", { status: 500 });
  });
  const controller = new StatefulSetController({
    client: new Client(transport),
    setInformer: sets,
    podInformer: pods,
    revisionInformer: revisions,
    claimInformer: claims,
    recorder: new NullRecorder(),
    clock,
    logger: new RecordingLogger(),
    podControl,
  });
  const requests = () => transport.requests.map((r) => `${r.method} ${r.pathname}`);
  return { clock, sets, pods, revisions, claims, podControl, transport, controller, requests };
}

function drain(
  queue: { len(): number; get(): Promise<string | undefined>; done(k: string): void },
) {
  return (async () => {
    const keys: string[] = [];
    while (queue.len() > 0) {
      const key = (await queue.get())!;
      queue.done(key);
      keys.push(key);
    }
    return keys;
  })();
}

Deno.test("StatefulSetController enqueues sets for their pods, matching orphans and deleted claims", async (t) => {
  const h = harness();
  h.sets.add(statefulSet());
  assert.deepEqual(await drain(h.controller.queue), ["default/web"]);
  const cases: [string, () => void, string[]][] = [
    ["a pod it controls", () => h.pods.add(pod("web-0", { owner: "uid-web" })), ["default/web"]],
    ["a pod of an older set of that name", () => h.pods.add(pod("web-1", { owner: "old" })), []],
    ["an orphan pod it selects", () => h.pods.add(pod("web-2")), ["default/web"]],
    [
      "an orphan pod it does not select",
      () => h.pods.add(pod("db-0", { labels: { app: "db" } })),
      [],
    ],
    [
      "a resync of a pod (same resourceVersion)",
      () => h.pods.update(pod("web-0", { owner: "uid-web" })),
      [],
    ],
    ["a deleted pod it controls", () => h.pods.delete(pod("web-0", { owner: "uid-web" })), [
      "default/web",
    ]],
    [
      "a deleted claim it selects",
      () =>
        h.claims.delete({
          metadata: { namespace: "default", name: "www-web-0", labels: { app: "web" } },
        }),
      ["default/web"],
    ],
  ];
  for (const [what, act, want] of cases) {
    await t.step(what, async () => {
      act();
      assert.deepEqual(await drain(h.controller.queue), want);
    });
  }
});

Deno.test("StatefulSetController looks again minReadySeconds after a pod becomes ready", async () => {
  const h = harness();
  h.sets.add(statefulSet({ minReadySeconds: 10 }));
  h.pods.add(pod("web-0", { owner: "uid-web", ready: false }));
  await drain(h.controller.queue);
  h.pods.update(pod("web-0", { owner: "uid-web", rv: "2" }));
  assert.deepEqual(await drain(h.controller.queue), ["default/web"]);
  h.clock.advance(10_999);
  assert.equal(h.controller.queue.len(), 0);
  h.clock.advance(1);
  assert.deepEqual(await drain(h.controller.queue), ["default/web"]);
});

Deno.test("StatefulSetController.sync() adopts its orphans, runs the control loop and writes status", async () => {
  const h = harness();
  h.sets.add(statefulSet({ replicas: 2 }));
  h.pods.add(pod("web-0"));
  h.pods.add(pod("other-0") /* selected, but not named for the set */);
  h.revisions.add({
    apiVersion: "apps/v1",
    kind: "ControllerRevision",
    metadata: { namespace: "default", name: "web-old", uid: "uid-rev", labels: { app: "web" } },
    data: {},
    revision: 1,
  });
  await h.controller.sync("default/web");
  assert.deepEqual(h.requests(), [
    "GET /apis/apps/v1/namespaces/default/statefulsets/web",
    "PATCH /apis/apps/v1/namespaces/default/controllerrevisions/web-old",
    // Pods are claimed with their own deletion recheck, as upstream's.
    "GET /apis/apps/v1/namespaces/default/statefulsets/web",
    "PATCH /api/v1/namespaces/default/pods/web-0",
    "POST /apis/apps/v1/namespaces/default/controllerrevisions",
    "PUT /apis/apps/v1/namespaces/default/statefulsets/web/status",
  ]);
  const adopt = h.transport.requests[3]!.body as Pod;
  assert.equal(adopt.metadata?.ownerReferences?.[0]?.uid, "uid-web");
  // The adopted web-0 is ready: its identity is repaired (no pod-name label) and web-1 made.
  assert.deepEqual(h.podControl.log, ["update web-0", "create web-1"]);
  const written = h.transport.requests.at(-1)!.body as StatefulSet;
  assert.equal(written.status?.replicas, 1);
  assert.equal(written.status?.observedGeneration, 1);
});

Deno.test("StatefulSetController.sync() does nothing for a set that is gone", async () => {
  const h = harness();
  await h.controller.sync("default/nope");
  assert.deepEqual(h.requests(), []);
  assert.deepEqual(h.podControl.log, []);
});

Deno.test("statefulSetController() is the manager's statefulset controller", () => {
  assert.equal(STATEFUL_SET_CONTROLLER_NAME, "statefulset");
  assert.equal(typeof statefulSetController, "function");
});
