import assert from "node:assert/strict";
import { createPod, startControllerApi } from "../../tests/_support/controller_api.ts";
import type { Pod } from "../api/types/core_v1_pod.ts";
import type { KubeObject } from "../api/types/meta_v1.ts";
import type { EventRecord } from "../client/event_recorder.ts";
import { PODS } from "../client/resources.ts";
import {
  getControllerOf,
  newControllerRef,
  PodControllerRefManager,
} from "./controller_ref_manager.ts";
import { ApiPodControl, FakePodControl } from "./pod_control.ts";

const KIND = { apiVersion: "apps/v1", kind: "ReplicaSet" };
const RS: KubeObject = {
  apiVersion: "apps/v1",
  kind: "ReplicaSet",
  metadata: { namespace: "default", name: "web", uid: "rs-uid" },
};

function pod(name: string, init: { labels?: Record<string, string>; owner?: string }): Pod {
  return {
    metadata: {
      namespace: "default",
      name,
      uid: `uid-${name}`,
      labels: init.labels ?? { app: "web" },
      ...(init.owner
        ? {
          ownerReferences: [{
            apiVersion: "apps/v1",
            kind: "ReplicaSet",
            name: "x",
            uid: init.owner,
            controller: true,
          }],
        }
        : {}),
    },
    spec: { containers: [] },
  };
}

function manager(control: FakePodControl, controller: KubeObject = RS, canAdopt = () => {}) {
  let checks = 0;
  const m = new PodControllerRefManager({
    podControl: control,
    controller,
    controllerKind: KIND,
    matches: (p) => p.metadata?.labels?.app === "web",
    canAdopt: () => {
      checks++;
      return Promise.resolve().then(canAdopt);
    },
  });
  return { m, checks: () => checks };
}

Deno.test("getControllerOf() finds the owner reference with controller: true", () => {
  assert.equal(getControllerOf(pod("a", {})), undefined);
  assert.equal(getControllerOf(pod("a", { owner: "o" }))?.uid, "o");
  assert.deepEqual(newControllerRef(RS, KIND), {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    name: "web",
    uid: "rs-uid",
    controller: true,
    blockOwnerDeletion: true,
  });
});

Deno.test("PodControllerRefManager.claimPods() keeps, adopts, releases and ignores", async () => {
  const control = new FakePodControl();
  const { m, checks } = manager(control);
  const result = await m.claimPods([
    pod("mine", { owner: "rs-uid" }),
    pod("mine-relabeled", { owner: "rs-uid", labels: { app: "other" } }),
    pod("theirs", { owner: "other-uid" }),
    pod("orphan-1", {}),
    pod("orphan-2", {}),
    pod("orphan-unmatched", { labels: { app: "db" } }),
    {
      ...pod("orphan-elsewhere", {}),
      metadata: { ...pod("x", {}).metadata, namespace: "kube-system" },
    },
  ]);
  assert.deepEqual(result.claimed.map((p) => p.metadata?.name), ["mine", "orphan-1", "orphan-2"]);
  assert.deepEqual(result.errors, []);
  assert.deepEqual(control.patches.map((p) => p.name), [
    "mine-relabeled",
    "orphan-1",
    "orphan-2",
  ]);
  // The deletion recheck runs once, before the first adoption.
  assert.equal(checks(), 1);
});

Deno.test("PodControllerRefManager.claimPods() neither adopts nor releases for a controller being deleted", async () => {
  const control = new FakePodControl();
  const deleting = {
    ...RS,
    metadata: { ...RS.metadata, deletionTimestamp: "2025-01-01T00:00:00Z" },
  };
  const { m, checks } = manager(control, deleting);
  const result = await m.claimPods([
    pod("mine", { owner: "rs-uid" }),
    pod("mine-relabeled", { owner: "rs-uid", labels: { app: "other" } }),
    pod("orphan", {}),
  ]);
  assert.deepEqual(result.claimed.map((p) => p.metadata?.name), ["mine"]);
  assert.equal(control.patches.length, 0);
  assert.equal(checks(), 0);
});

Deno.test("PodControllerRefManager.claimPods() reports a failed deletion recheck per orphan", async () => {
  const control = new FakePodControl();
  const { m } = manager(control, RS, () => {
    throw new Error("ReplicaSet is being deleted");
  });
  const result = await m.claimPods([pod("orphan-1", {}), pod("orphan-2", {})]);
  assert.deepEqual(result.claimed, []);
  assert.equal(result.errors.length, 2);
  assert.match(
    (result.errors[0] as Error).message,
    /^Cannot adopt pod "default\/orphan-1" \(uid-orphan-1\): ReplicaSet is being deleted$/,
  );
  assert.equal(control.patches.length, 0);
});

Deno.test("PodControllerRefManager's patches adopt and release through the API", async () => {
  await using api = await startControllerApi();
  const events: EventRecord[] = [];
  const control = new ApiPodControl({
    client: api.client,
    recorder: { event: (_o, e) => void events.push(e) },
  });
  const pods = api.client.resource(PODS);
  const orphan = await createPod(api.client, {
    namespace: "default",
    name: "orphan",
    labels: { app: "web" },
  });
  const rs = { ...RS, metadata: { ...RS.metadata, uid: "11111111-2222-3333-4444-555555555555" } };
  const adopt = new PodControllerRefManager({
    podControl: control,
    controller: rs,
    controllerKind: KIND,
    matches: (p) => p.metadata?.labels?.app === "web",
    canAdopt: () => Promise.resolve(),
  });
  assert.equal((await adopt.claimPods([orphan])).claimed.length, 1);
  const adopted = await pods.get("orphan", { namespace: "default" });
  assert.deepEqual(adopted.metadata?.ownerReferences, [newControllerRef(rs, KIND)]);

  const relabeled = await pods.patch("orphan", {
    namespace: "default",
    type: "merge",
    body: { metadata: { labels: { app: "debug" } } },
  });
  const release = new PodControllerRefManager({
    podControl: control,
    controller: rs,
    controllerKind: KIND,
    matches: (p) => p.metadata?.labels?.app === "web",
    canAdopt: () => Promise.resolve(),
  });
  const result = await release.claimPods([relabeled]);
  assert.deepEqual(result, { claimed: [], errors: [] });
  const released = await pods.get("orphan", { namespace: "default" });
  // The emptied list is left out, as Kubernetes omits it.
  assert.equal(released.metadata?.ownerReferences, undefined);

  // A pod recreated under the same name (another uid) is left alone, without an error.
  await pods.delete("orphan", { namespace: "default" });
  await createPod(api.client, { namespace: "default", name: "orphan", labels: { app: "debug" } });
  const stale = await release.claimPods([relabeled]);
  assert.deepEqual(stale, { claimed: [], errors: [] });
  assert.equal(events.length, 0);
});
