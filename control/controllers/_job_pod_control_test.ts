import assert from "node:assert/strict";
import type { Pod } from "../api/types/core_v1_pod.ts";
import { Client } from "../client/client.ts";
import type { EventRecord, EventRecorder } from "../client/event_recorder.ts";
import type { KubeObject } from "../api/types/meta_v1.ts";
import { type RecordedRequest, ScriptedTransport } from "../client/_test_transport.ts";
import {
  ApiJobPodControl,
  hasTrackingFinalizer,
  JOB_TRACKING_FINALIZER,
  removeTrackingFinalizerPatch,
  trackingClaimControl,
} from "./_job_pod_control.ts";
import { adoptPatch, releasePatch } from "./controller_ref_manager.ts";
import { FakePodControl } from "./pod_control.ts";

class Events implements EventRecorder {
  readonly records: (EventRecord & { name: string })[] = [];
  event(object: KubeObject, record: EventRecord): void {
    this.records.push({ ...record, name: object.metadata?.name ?? "" });
  }
}

const JOB = {
  apiVersion: "batch/v1",
  kind: "Job",
  metadata: { namespace: "batch", name: "pi", uid: "job-uid" },
};

Deno.test("hasTrackingFinalizer() and removeTrackingFinalizerPatch() name the job-tracking finalizer", () => {
  assert.equal(hasTrackingFinalizer({ metadata: { finalizers: [JOB_TRACKING_FINALIZER] } }), true);
  assert.equal(hasTrackingFinalizer({ metadata: {} }), false);
  assert.deepEqual(removeTrackingFinalizerPatch(), {
    metadata: { "$deleteFromPrimitiveList/finalizers": ["batch.kubernetes.io/job-tracking"] },
  });
});

Deno.test("trackingClaimControl() adds the finalizer on adoption and removes it on release", async () => {
  const inner = new FakePodControl();
  const control = trackingClaimControl(inner);
  await control.patchPod({
    namespace: "batch",
    name: "p",
    patch: adoptPatch(JOB, { kind: { apiVersion: "batch/v1", kind: "Job" }, uid: "pod-uid" }),
  });
  await control.patchPod({
    namespace: "batch",
    name: "p",
    patch: releasePatch("job-uid", "pod-uid"),
  });
  await control.patchPod({ namespace: "batch", name: "p", patch: { metadata: { labels: {} } } });
  const [adopt, release, other] = inner.patches.map((p) =>
    p.patch as { metadata: Record<string, unknown> }
  );
  assert.deepEqual(adopt!.metadata.finalizers, [JOB_TRACKING_FINALIZER]);
  assert.equal((adopt!.metadata.ownerReferences as { uid: string }[])[0]!.uid, "job-uid");
  assert.deepEqual(release!.metadata["$deleteFromPrimitiveList/finalizers"], [
    JOB_TRACKING_FINALIZER,
  ]);
  assert.deepEqual(other, { metadata: { labels: {} } });
});

Deno.test("ApiJobPodControl.createPods() uses the given generateName and records the event", async () => {
  const transport = new ScriptedTransport((req: RecordedRequest) => {
    const body = req.body as Pod;
    return Response.json(
      { ...body, metadata: { ...body.metadata, name: `${body.metadata?.generateName}x7k2p` } },
      { status: 201 },
    );
  });
  const events = new Events();
  const control = new ApiJobPodControl({ client: new Client(transport), recorder: events });
  await control.createPods({
    namespace: "batch",
    template: { metadata: { labels: { app: "pi" } }, spec: { containers: [{ name: "c" }] } },
    owner: JOB,
    generateName: "pi-3-",
  });
  const sent = transport.requests[0]!;
  assert.equal(sent.method, "POST");
  assert.equal(sent.pathname, "/api/v1/namespaces/batch/pods");
  assert.equal((sent.body as Pod).metadata?.generateName, "pi-3-");
  assert.deepEqual(events.records, [{
    type: "Normal",
    reason: "SuccessfulCreate",
    message: "Created pod: pi-3-x7k2p",
    name: "pi",
  }]);
});

Deno.test("ApiJobPodControl.createPods() records FailedCreate when the API refuses", async () => {
  const transport = new ScriptedTransport(() =>
    Response.json({
      kind: "Status",
      status: "Failure",
      reason: "Forbidden",
      message: 'pods "pi-0-" is forbidden: exceeded quota',
      code: 403,
    }, { status: 403 })
  );
  const events = new Events();
  const control = new ApiJobPodControl({ client: new Client(transport), recorder: events });
  await assert.rejects(control.createPods({
    namespace: "batch",
    template: { metadata: { labels: { app: "pi" } }, spec: { containers: [{ name: "c" }] } },
    owner: JOB,
    generateName: "pi-0-",
  }));
  assert.equal(events.records[0]?.reason, "FailedCreate");
  assert.match(events.records[0]!.message, /^Error creating: .*exceeded quota/);
});
