import assert from "node:assert/strict";
import type { StatefulSet } from "../api/types/apps_v1.ts";
import type { Pod } from "../api/types/core_v1_pod.ts";
import type { PersistentVolumeClaim } from "../api/types/core_v1_storage.ts";
import type { KubeObject } from "../api/types/meta_v1.ts";
import { Client } from "../client/client.ts";
import type { EventRecord, EventRecorder } from "../client/event_recorder.ts";
import { ObjectStore } from "../client/store.ts";
import type { Transport, TransportRequestOptions } from "../client/transport.ts";
import { ApiStatefulPodControl } from "./_stateful_pod_control.ts";
import { newStatefulSetPod } from "./_stateful_set_utils.ts";

class RecordingRecorder implements EventRecorder {
  readonly events: (EventRecord & { object: string })[] = [];

  event(object: KubeObject, record: EventRecord): void {
    this.events.push({ ...record, object: object.metadata?.name ?? "" });
  }

  text(): string[] {
    return this.events.map((e) => `${e.type} ${e.reason} ${e.message}`);
  }
}

function status(code: number, reason: string, message: string): Response {
  return Response.json({ kind: "Status", status: "Failure", code, reason, message }, {
    status: code,
  });
}

/** Pod and claim endpoints in memory; `fail` answers chosen requests with an error. */
class FakeApi implements Transport {
  readonly objects = new Map<string, KubeObject>();
  readonly calls: string[] = [];
  fail: ((method: string, path: string) => Response | undefined) | undefined;
  #rv = 1;

  request(method: string, path: string, options: TransportRequestOptions = {}): Promise<Response> {
    return Promise.resolve(this.#answer(method, path.split("?")[0]!, options));
  }

  #answer(method: string, path: string, options: TransportRequestOptions): Response {
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/(pods|persistentvolumeclaims)(?:\/([^/]+))?$/
      .exec(path);
    if (!m) return new Response("no route", { status: 404 });
    const [, ns, kind, name] = m;
    const body = options.body as KubeObject | undefined;
    const target = name ?? body?.metadata?.name ?? "";
    this.calls.push(`${method} ${kind}/${target}`);
    const failed = this.fail?.(method, `${kind}/${target}`);
    if (failed) return failed;
    const key = `${ns}/${kind}/${target}`;
    const stored = this.objects.get(key);
    if (method === "POST") {
      if (stored) return status(409, "AlreadyExists", `${kind} "${target}" already exists`);
      const created = {
        ...body!,
        metadata: { ...body!.metadata, uid: `uid-${target}`, resourceVersion: String(this.#rv++) },
      };
      this.objects.set(key, created);
      return Response.json(created, { status: 201 });
    }
    if (!stored) return status(404, "NotFound", `${kind} "${target}" not found`);
    if (method === "GET") return Response.json(stored);
    if (method === "DELETE") {
      this.objects.delete(key);
      return Response.json(stored);
    }
    if (method === "PUT") {
      if (body?.metadata?.resourceVersion !== stored.metadata?.resourceVersion) {
        return status(409, "Conflict", "the object has been modified");
      }
      const next = {
        ...body!,
        metadata: { ...body!.metadata, resourceVersion: String(this.#rv++) },
      };
      this.objects.set(key, next);
      return Response.json(next);
    }
    return new Response("unexpected", { status: 405 });
  }
}

function statefulSet(
  policy?: { whenDeleted: string; whenScaled: string },
  replicas = 2,
): StatefulSet {
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { namespace: "default", name: "web", uid: "uid-web" },
    spec: {
      replicas,
      serviceName: "web",
      selector: { matchLabels: { app: "web" } },
      template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c" }] } },
      volumeClaimTemplates: [{ metadata: { name: "www" }, spec: {} }],
      ...(policy ? { persistentVolumeClaimRetentionPolicy: policy } : {}),
    },
  };
}

function harness() {
  const api = new FakeApi();
  const recorder = new RecordingRecorder();
  const podStore = new ObjectStore<Pod>();
  const claimStore = new ObjectStore<PersistentVolumeClaim>();
  const control = new ApiStatefulPodControl({
    client: new Client(api),
    podStore,
    claimStore,
    recorder,
  });
  /** Copies what the API holds into the caches (a watch catching up). */
  function sync(): void {
    for (const [key, obj] of api.objects) {
      if (key.includes("/pods/")) podStore.add(obj as Pod);
      else claimStore.add(obj as PersistentVolumeClaim);
    }
  }
  return { api, recorder, podStore, claimStore, control, sync };
}

Deno.test("ApiStatefulPodControl.createStatefulPod() creates the claims first, with upstream's events", async () => {
  const h = harness();
  const set = statefulSet();
  await h.control.createStatefulPod(set, newStatefulSetPod(set, 0));
  assert.deepEqual(h.api.calls, ["POST persistentvolumeclaims/www-web-0", "POST pods/web-0"]);
  assert.deepEqual(h.recorder.text(), [
    "Normal SuccessfulCreate create Claim www-web-0 Pod web-0 in StatefulSet web success",
    "Normal SuccessfulCreate create Pod web-0 in StatefulSet web successful",
  ]);
  const claim = h.api.objects.get("default/persistentvolumeclaims/www-web-0");
  assert.deepEqual(claim?.metadata?.labels, { app: "web" });

  // A claim the cache has is not created again; a pod that exists is rejected without event.
  h.sync();
  h.api.calls.length = 0;
  h.recorder.events.length = 0;
  await assert.rejects(
    h.control.createStatefulPod(set, newStatefulSetPod(set, 0)),
    /already exists/,
  );
  assert.deepEqual(h.api.calls, ["POST pods/web-0"]);
  assert.deepEqual(h.recorder.events, []);
});

Deno.test("ApiStatefulPodControl.createStatefulPod() reports failures as FailedCreate", async (t) => {
  await t.step("the pod", async () => {
    const h = harness();
    h.api.fail = (method, what) =>
      method === "POST" && what === "pods/web-1"
        ? status(403, "Forbidden", 'pods "web-1" is forbidden: exceeded quota')
        : undefined;
    const set = statefulSet();
    await assert.rejects(h.control.createStatefulPod(set, newStatefulSetPod(set, 1)), /quota/);
    assert.deepEqual(
      h.recorder.text().at(-1),
      'Warning FailedCreate create Pod web-1 in StatefulSet web failed error: pods "web-1" is forbidden: exceeded quota',
    );
  });
  await t.step("a claim", async () => {
    const h = harness();
    h.api.fail = (method, what) =>
      method === "POST" && what.startsWith("persistentvolumeclaims/")
        ? status(422, "Invalid", "bad claim")
        : undefined;
    const set = statefulSet();
    await assert.rejects(
      h.control.createStatefulPod(set, newStatefulSetPod(set, 1)),
      /failed to create PVC www-web-1: bad claim/,
    );
    assert.deepEqual(
      h.api.calls,
      ["POST persistentvolumeclaims/www-web-1"],
      "no pod without its claim",
    );
    assert.deepEqual(h.recorder.text(), [
      "Warning FailedCreate create Claim www-web-1 for Pod web-1 in StatefulSet web failed error: bad claim",
      "Warning FailedCreate create Pod web-1 in StatefulSet web failed error: failed to create PVC www-web-1: bad claim",
    ]);
  });
  await t.step("a claim being deleted", async () => {
    const h = harness();
    h.claimStore.add({
      metadata: {
        namespace: "default",
        name: "www-web-0",
        deletionTimestamp: "2025-01-01T00:00:00Z",
      },
    });
    const set = statefulSet();
    await assert.rejects(
      h.control.createStatefulPod(set, newStatefulSetPod(set, 0)),
      /pvc www-web-0 is being deleted/,
    );
    assert.deepEqual(h.api.calls, []);
  });
});

Deno.test("ApiStatefulPodControl.updateStatefulPod() repairs identity and storage, retrying a conflict", async () => {
  const h = harness();
  const set = statefulSet();
  await h.control.createStatefulPod(set, newStatefulSetPod(set, 1));
  h.sync();
  const cached = h.podStore.get("default/web-1")!;
  const broken = structuredClone(cached);
  broken.metadata!.labels = { app: "web" };
  broken.spec!.volumes = [];
  // The stored pod moved on: the first update conflicts, the retry reads it again.
  const key = "default/pods/web-1";
  h.api.objects.set(key, {
    ...h.api.objects.get(key)!,
    metadata: { ...broken.metadata, resourceVersion: "99" },
  });
  h.api.calls.length = 0;
  h.recorder.events.length = 0;
  await h.control.updateStatefulPod(set, broken);
  assert.deepEqual(h.api.calls, ["PUT pods/web-1", "GET pods/web-1", "PUT pods/web-1"]);
  const stored = h.api.objects.get(key) as Pod;
  assert.equal(stored.metadata?.labels?.["statefulset.kubernetes.io/pod-name"], "web-1");
  assert.deepEqual(stored.spec?.volumes, [{
    name: "www",
    persistentVolumeClaim: { claimName: "www-web-1" },
  }]);
  assert.deepEqual(h.recorder.text(), [
    "Normal SuccessfulUpdate update Pod web-1 in StatefulSet web successful",
  ]);
  h.sync();
  h.api.calls.length = 0;
  await h.control.updateStatefulPod(set, h.podStore.get("default/web-1")!);
  assert.deepEqual(h.api.calls, [], "a consistent pod is not written");
});

Deno.test("ApiStatefulPodControl.deleteStatefulPod() records SuccessfulDelete or FailedDelete", async () => {
  const h = harness();
  const set = statefulSet();
  await h.control.createStatefulPod(set, newStatefulSetPod(set, 0));
  h.recorder.events.length = 0;
  await h.control.deleteStatefulPod(set, newStatefulSetPod(set, 0));
  await assert.rejects(h.control.deleteStatefulPod(set, newStatefulSetPod(set, 0)), /not found/);
  assert.deepEqual(h.recorder.text(), [
    "Normal SuccessfulDelete delete Pod web-0 in StatefulSet web successful",
    'Warning FailedDelete delete Pod web-0 in StatefulSet web failed error: pods "web-0" not found',
  ]);
});

Deno.test("ApiStatefulPodControl sets claim owners for the retention policy", async () => {
  const h = harness();
  const set = statefulSet({ whenDeleted: "Delete", whenScaled: "Delete" }, 1);
  await h.control.createStatefulPod(set, newStatefulSetPod(set, 0));
  await h.control.createStatefulPod(set, newStatefulSetPod(set, 1));
  h.sync();
  const web0 = h.podStore.get("default/web-0")!;
  const web1 = h.podStore.get("default/web-1")!;
  assert.equal(h.control.claimsMatchRetentionPolicy(set, web0), false);
  await h.control.updatePodClaimForRetentionPolicy(set, web0);
  await h.control.updatePodClaimForRetentionPolicy(set, web1);
  const claim0 = h.api.objects.get("default/persistentvolumeclaims/www-web-0")!;
  const claim1 = h.api.objects.get("default/persistentvolumeclaims/www-web-1")!;
  assert.deepEqual(claim0.metadata?.ownerReferences?.map((r) => `${r.kind}/${r.name}/${r.uid}`), [
    "StatefulSet/web/uid-web",
  ]);
  // web-1 is beyond replicas 1: its claim goes with the pod.
  assert.deepEqual(claim1.metadata?.ownerReferences?.map((r) => `${r.kind}/${r.name}/${r.uid}`), [
    "Pod/web-1/uid-web-1",
  ]);
  h.sync();
  assert.equal(h.control.claimsMatchRetentionPolicy(set, web0), true);

  // A new web-1 (no uid yet) sees its claim still owned by the old pod: stale.
  const fresh = newStatefulSetPod(set, 1);
  assert.equal(h.control.podClaimIsStale(set, fresh), true);
  assert.equal(h.control.podClaimIsStale(statefulSet(undefined, 1), fresh), false, "Retain");
});

Deno.test("ApiStatefulPodControl warns of a claim another controller owns", async () => {
  const h = harness();
  const set = statefulSet({ whenDeleted: "Delete", whenScaled: "Retain" });
  h.claimStore.add({
    metadata: {
      namespace: "default",
      name: "www-web-0",
      resourceVersion: "1",
      ownerReferences: [{ apiVersion: "v1", kind: "Thing", name: "t", uid: "u", controller: true }],
    },
  });
  await h.control.updatePodClaimForRetentionPolicy(set, newStatefulSetPod(set, 0));
  assert.deepEqual(h.recorder.text(), [
    "Warning ConflictingController PersistentVolumeClaim www-web-0 has a conflicting OwnerReference that acts as a manging controller, the retention policy is ignored for this claim",
  ]);
  assert.deepEqual(h.api.calls, [], "the claim is left alone");
});
