import assert from "node:assert/strict";
import { createPod, startControllerApi } from "../../tests/_support/controller_api.ts";
import type { KubeObject } from "../api/types/meta_v1.ts";
import type { EventRecord, EventRecorder } from "../client/event_recorder.ts";
import { isNotFound } from "../client/errors.ts";
import { PODS } from "../client/resources.ts";
import { ApiPodControl, FakePodControl, podFromTemplate } from "./pod_control.ts";

class RecordedEvents implements EventRecorder {
  readonly events: (EventRecord & { object: string })[] = [];
  event(object: KubeObject, record: EventRecord): void {
    this.events.push({ object: object.metadata?.name ?? "", ...record });
  }
}

const OWNER: KubeObject = {
  apiVersion: "apps/v1",
  kind: "ReplicaSet",
  metadata: { namespace: "default", name: "web", uid: "rs-uid" },
};
const CONTROLLER_REF = {
  apiVersion: "apps/v1",
  kind: "ReplicaSet",
  name: "web",
  uid: "rs-uid",
  controller: true,
  blockOwnerDeletion: true,
};
const TEMPLATE = {
  metadata: { labels: { app: "web" }, annotations: { note: "x" }, finalizers: ["example.com/f"] },
  spec: { containers: [{ name: "main", image: "busybox" }] },
};

Deno.test("podFromTemplate() copies the template and names the pod after its owner", async (t) => {
  await t.step("labels, annotations, finalizers, spec, controllerRef", () => {
    const pod = podFromTemplate(TEMPLATE, { ownerName: "web", controllerRef: CONTROLLER_REF });
    assert.deepEqual(pod.metadata, {
      generateName: "web-",
      labels: { app: "web" },
      annotations: { note: "x" },
      finalizers: ["example.com/f"],
      ownerReferences: [CONTROLLER_REF],
    });
    assert.deepEqual(pod.spec, TEMPLATE.spec);
    assert.notEqual(pod.spec, TEMPLATE.spec);
  });
  await t.step("a 253-character owner name is used without the dash", () => {
    const name = "a".repeat(253);
    assert.equal(podFromTemplate(TEMPLATE, { ownerName: name }).metadata?.generateName, name);
  });
});

Deno.test("ApiPodControl.createPods() creates the pod and records SuccessfulCreate", async () => {
  await using api = await startControllerApi();
  const recorder = new RecordedEvents();
  const control = new ApiPodControl({ client: api.client, recorder });
  await control.createPods({
    namespace: "default",
    template: { metadata: { labels: { app: "web" } }, spec: TEMPLATE.spec },
    owner: OWNER,
    controllerRef: CONTROLLER_REF,
  });
  const [pod, ...more] = (await api.client.resource(PODS).list({ namespace: "default" })).items;
  assert.equal(more.length, 0);
  assert.match(pod?.metadata?.name ?? "", /^web-[a-z0-9]{5}$/);
  assert.deepEqual(pod?.metadata?.ownerReferences, [CONTROLLER_REF]);
  assert.deepEqual(recorder.events, [{
    object: "web",
    type: "Normal",
    reason: "SuccessfulCreate",
    message: `Created pod: ${pod?.metadata?.name}`,
  }]);
});

Deno.test("ApiPodControl.createPods() records FailedCreate with the server's message", async () => {
  await using api = await startControllerApi();
  const recorder = new RecordedEvents();
  const control = new ApiPodControl({ client: api.client, recorder });
  const bad = { metadata: { labels: { app: "web" } }, spec: { containers: [] } };
  const err = await control.createPods({ namespace: "default", template: bad, owner: OWNER })
    .then(() => null, (e: Error) => e);
  assert.ok(err);
  assert.equal(recorder.events.length, 1);
  assert.equal(recorder.events[0]?.type, "Warning");
  assert.equal(recorder.events[0]?.reason, "FailedCreate");
  assert.equal(recorder.events[0]?.message, `Error creating: ${err.message}`);
  assert.match(err.message, /^Pod "web-[a-z0-9]{5}" is invalid: spec.containers: Required value$/);
});

Deno.test("ApiPodControl.createPods() refuses a template without labels", async () => {
  await using api = await startControllerApi();
  const recorder = new RecordedEvents();
  const control = new ApiPodControl({ client: api.client, recorder });
  await assert.rejects(
    control.createPods({ namespace: "default", template: { spec: TEMPLATE.spec }, owner: OWNER }),
    /^Error: unable to create pods, no labels$/,
  );
  assert.equal(recorder.events.length, 0);
});

Deno.test("ApiPodControl.deletePod() records SuccessfulDelete, and nothing for a missing pod", async () => {
  await using api = await startControllerApi();
  const recorder = new RecordedEvents();
  const control = new ApiPodControl({ client: api.client, recorder });
  await createPod(api.client, { namespace: "default", name: "web-1", labels: { app: "web" } });
  await control.deletePod({ namespace: "default", name: "web-1", owner: OWNER });
  assert.deepEqual(recorder.events, [{
    object: "web",
    type: "Normal",
    reason: "SuccessfulDelete",
    message: "Deleted pod: web-1",
  }]);
  const err = await control.deletePod({ namespace: "default", name: "web-1", owner: OWNER })
    .then(() => null, (e: unknown) => e);
  assert.ok(isNotFound(err));
  assert.equal(recorder.events.length, 1);
});

Deno.test("FakePodControl records calls and fails past its limit", async () => {
  const control = new FakePodControl();
  control.createLimit = 1;
  await control.createPods({ namespace: "default", template: TEMPLATE, owner: OWNER });
  await assert.rejects(
    control.createPods({ namespace: "default", template: TEMPLATE, owner: OWNER }),
    /limit 1 already reached/,
  );
  await control.deletePod({ namespace: "default", name: "a", owner: OWNER });
  await control.patchPod({ namespace: "default", name: "a", patch: {} });
  assert.equal(control.creates.length, 2);
  assert.deepEqual(control.deletes, ["default/a"]);
  assert.equal(control.patches.length, 1);
  control.clear();
  assert.equal(control.creates.length + control.deletes.length + control.patches.length, 0);
});
