import assert from "node:assert/strict";
import type { Job, JobSpec } from "../api/types/batch_v1.ts";
import type { Pod } from "../api/types/core_v1_pod.ts";
import { Client } from "../client/client.ts";
import { FakeClock } from "../util/clock.ts";
import { RecordingLogger } from "../util/logger.ts";
import { FakeInformer } from "./_fake_informer.ts";
import { FakeJobApi, RecordingEvents, SimPodControl } from "./_job_fakes.ts";
import { JOB_TRACKING_FINALIZER } from "./_job_pod_control.ts";
import { JOB_CONTROLLER_NAME, JobController, jobController } from "./job.ts";

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const KEY = "batch/pi";

function at(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** A Job as the API server stores it (defaults and generated selector applied). */
function newJob(spec: Partial<JobSpec> = {}, status: Job["status"] | undefined = undefined): Job {
  const labels = {
    "batch.kubernetes.io/controller-uid": "uid-pi",
    "batch.kubernetes.io/job-name": "pi",
    "controller-uid": "uid-pi",
    "job-name": "pi",
  };
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      namespace: "batch",
      name: "pi",
      uid: "uid-pi",
      generation: 1,
      creationTimestamp: at(T0),
    },
    spec: {
      parallelism: 1,
      completions: 1,
      backoffLimit: 6,
      completionMode: "NonIndexed",
      suspend: false,
      podReplacementPolicy: "TerminatingOrFailed",
      manualSelector: false,
      selector: { matchLabels: { "batch.kubernetes.io/controller-uid": "uid-pi" } },
      template: {
        metadata: { labels },
        spec: { restartPolicy: "Never", containers: [{ name: "main", image: "busybox" }] },
      },
      ...spec,
    },
    ...(status ? { status } : {}),
  };
}

function setup(job: Job) {
  const clock = new FakeClock(T0);
  const jobInformer = new FakeInformer<Job>();
  const podInformer = new FakeInformer<Pod>();
  const api = new FakeJobApi();
  api.informer = jobInformer;
  const pods = new SimPodControl(podInformer, clock);
  const events = new RecordingEvents();
  const logger = new RecordingLogger();
  const controller = new JobController({
    client: new Client(api),
    jobInformer,
    podInformer,
    podControl: pods,
    recorder: events,
    clock,
    logger,
  });
  jobInformer.seed(api.put(job));
  return {
    clock,
    api,
    pods,
    events,
    jobInformer,
    podInformer,
    controller,
    logger,
    sync: () => controller.sync(KEY),
    job: () => api.job(KEY),
    /** Updates the stored spec (a new generation) and shows it in the informer. */
    patchSpec(change: Partial<JobSpec>) {
      const cur = api.job(KEY);
      const next = structuredClone(cur);
      Object.assign(next.spec!, change);
      next.metadata!.generation = (next.metadata!.generation ?? 1) + 1;
      delete next.metadata!.resourceVersion;
      jobInformer.update(api.put(next));
    },
  };
}

/** Takes every queued key (as a worker would, without syncing). */
async function drain(queue: JobController["queue"]): Promise<void> {
  while (queue.len() > 0) queue.done((await queue.get())!);
}

function conditionSummary(job: Job): string[] {
  return (job.status?.conditions ?? []).map((c) => `${c.type}=${c.status}/${c.reason ?? ""}`);
}

Deno.test("JobController.sync() creates parallelism pods with the tracking finalizer and a controllerRef", async () => {
  const h = setup(newJob({ parallelism: 2, completions: 5 }));
  await h.sync();
  assert.equal(h.pods.creates.length, 2);
  const pod = h.pods.pods()[0]!;
  assert.deepEqual(pod.metadata?.finalizers, [JOB_TRACKING_FINALIZER]);
  assert.deepEqual(pod.metadata?.ownerReferences, [{
    apiVersion: "batch/v1",
    kind: "Job",
    name: "pi",
    uid: "uid-pi",
    controller: true,
    blockOwnerDeletion: true,
  }]);
  assert.ok(pod.metadata?.name?.startsWith("pi-"));
  assert.equal(pod.metadata?.labels?.["batch.kubernetes.io/job-name"], "pi");
  const status = h.job().status!;
  assert.equal(status.startTime, "2025-01-01T12:00:00Z");
  assert.equal(status.active, 2);
  assert.equal(status.ready, 0);
  assert.equal(status.terminating, 0);
  assert.deepEqual(status.uncountedTerminatedPods, {});
});

Deno.test("JobController.sync() never runs more pods than the completions still missing", async () => {
  const h = setup(newJob({ parallelism: 5, completions: 3 }));
  await h.sync();
  assert.equal(h.pods.live().length, 3);
  h.pods.finish(h.pods.live()[0]!.metadata!.name!, { phase: "Succeeded" });
  await h.sync();
  await h.sync();
  assert.equal(h.pods.live().filter((p) => p.status?.phase !== "Succeeded").length, 2);
  assert.equal(h.pods.creates.length, 3);
});

Deno.test("JobController.sync() counts a succeeded pod through uncountedTerminatedPods, then removes its finalizer", async () => {
  const h = setup(newJob({ parallelism: 2, completions: 3 }));
  await h.sync();
  const [first] = h.pods.pods();
  h.pods.finish(first!.metadata!.name!, { phase: "Succeeded" });
  const writes = h.api.statusWrites.length;
  await h.sync();
  const [uncounted, counted] = h.api.statusWrites.slice(writes);
  // First write: the uid is listed as uncounted, the counter unchanged.
  assert.deepEqual(uncounted?.status?.uncountedTerminatedPods?.succeeded, [first!.metadata!.uid]);
  assert.equal(uncounted?.status?.succeeded ?? 0, 0);
  // The finalizer went between the two writes.
  const patched = h.pods.patches.at(-1)!;
  assert.equal(patched.name, first!.metadata!.name);
  // Second write: counted, the list empty again.
  assert.equal(counted?.status?.succeeded, 1);
  assert.deepEqual(counted?.status?.uncountedTerminatedPods, {});
  assert.equal(
    h.pods.pods().find((p) => p.metadata?.uid === first!.metadata!.uid)?.metadata
      ?.finalizers,
    undefined,
  );
});

Deno.test("JobController.sync() completes the Job: SuccessCriteriaMet, then Complete with completionTime", async () => {
  const h = setup(newJob({ parallelism: 2, completions: 2 }));
  await h.sync();
  h.clock.advance(30_000);
  for (const pod of h.pods.live()) h.pods.finish(pod.metadata!.name!, { phase: "Succeeded" });
  await h.sync();
  const job = h.job();
  assert.deepEqual(conditionSummary(job), [
    "SuccessCriteriaMet=True/CompletionsReached",
    "Complete=True/CompletionsReached",
  ]);
  const complete = job.status!.conditions![1]!;
  assert.equal(complete.message, "Reached expected number of succeeded pods");
  assert.equal(job.status!.completionTime, "2025-01-01T12:00:30Z");
  assert.equal(job.status!.succeeded, 2);
  // Zero counters are left out, as Go's omitempty does.
  assert.equal(job.status!.active, undefined);
  assert.deepEqual(h.events.lines(), ["Completed: Job completed"]);
  // A finished Job is left alone.
  const writes = h.api.statusWrites.length;
  await h.sync();
  assert.equal(h.api.statusWrites.length, writes);
});

Deno.test("JobController.sync() never counts a pod twice or loses it across a restart", async (t) => {
  const cases: {
    name: string;
    finalizer: boolean;
    uncounted: boolean;
    counted: number;
    want: number;
  }[] = [
    {
      name: "listed as uncounted, finalizer still there",
      finalizer: true,
      uncounted: true,
      counted: 0,
      want: 1,
    },
    {
      name: "listed as uncounted, finalizer gone",
      finalizer: false,
      uncounted: true,
      counted: 0,
      want: 1,
    },
    {
      name: "finalizer still there, not listed",
      finalizer: true,
      uncounted: false,
      counted: 0,
      want: 1,
    },
    { name: "already counted", finalizer: false, uncounted: false, counted: 1, want: 1 },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const h = setup(newJob({ parallelism: 1, completions: 2 }, {
        startTime: at(T0),
        ...(c.counted ? { succeeded: c.counted } : {}),
        uncountedTerminatedPods: c.uncounted ? { succeeded: ["uid-done"] } : {},
      }));
      h.podInformer.seed({
        apiVersion: "v1",
        kind: "Pod",
        metadata: {
          namespace: "batch",
          name: "done",
          uid: "uid-done",
          resourceVersion: "5",
          labels: { "batch.kubernetes.io/controller-uid": "uid-pi" },
          ...(c.finalizer ? { finalizers: [JOB_TRACKING_FINALIZER] } : {}),
          ownerReferences: [{
            apiVersion: "batch/v1",
            kind: "Job",
            name: "pi",
            uid: "uid-pi",
            controller: true,
          }],
        },
        spec: { containers: [{ name: "main" }] },
        status: { phase: "Succeeded" },
      });
      await h.sync();
      const status = h.job().status!;
      assert.equal(status.succeeded, c.want);
      assert.deepEqual(status.uncountedTerminatedPods, {});
      // One more pod for the second completion, no more.
      assert.equal(h.pods.creates.length, 1);
    });
  }
});

Deno.test("JobController.sync() waits 10 s, then 20 s before replacing failed pods", async () => {
  const h = setup(newJob({ backoffLimit: 6 }));
  await h.sync();
  h.pods.finish(h.pods.live()[0]!.metadata!.name!, { phase: "Failed", exitCode: 2 });
  await h.sync();
  assert.equal(h.job().status?.failed, 1);
  // No replacement yet: the job is queued for when the delay ends.
  assert.equal(h.pods.creates.length, 1);
  h.clock.advance(9_000);
  await h.sync();
  assert.equal(h.pods.creates.length, 1);
  h.clock.advance(1_000);
  assert.equal(h.controller.queue.len() > 0, true);
  await h.sync();
  assert.equal(h.pods.creates.length, 2);
  const second = h.pods.live().find((p) => p.status?.phase === "Pending")!;
  h.pods.finish(second.metadata!.name!, { phase: "Failed" });
  await h.sync();
  h.clock.advance(19_000);
  await h.sync();
  assert.equal(h.pods.creates.length, 2);
  h.clock.advance(1_000);
  await h.sync();
  assert.equal(h.pods.creates.length, 3);
});

Deno.test("JobController.sync() fails the Job once failures exceed backoffLimit", async () => {
  const h = setup(newJob({ parallelism: 2, completions: 4, backoffLimit: 1 }));
  await h.sync();
  const [a, b] = h.pods.live();
  h.pods.run(b!.metadata!.name!);
  h.pods.finish(a!.metadata!.name!, { phase: "Failed" });
  await h.sync();
  assert.equal(h.job().status?.failed, 1);
  assert.deepEqual(conditionSummary(h.job()), []);
  h.clock.advance(10_000);
  await h.sync();
  const c = h.pods.live().find((p) => p.status?.phase === "Pending")!;
  h.pods.finish(c.metadata!.name!, { phase: "Failed" });
  await h.sync();
  // Two failures > backoffLimit 1: FailureTarget first, the running pod deleted.
  let job = h.job();
  assert.deepEqual(conditionSummary(job), ["FailureTarget=True/BackoffLimitExceeded"]);
  assert.equal(job.status!.conditions![0]!.message, "Job has reached the specified backoff limit");
  assert.ok(h.pods.deletes.includes(`batch/${b!.metadata!.name}`));
  // The deleted running pod counts as failed too.
  assert.equal(job.status!.failed, 3);
  assert.equal(job.status!.terminating, 1);
  assert.deepEqual(h.events.lines(), []);
  // Once nothing is terminating any more: Failed, with the Warning event.
  await h.sync();
  job = h.job();
  assert.deepEqual(conditionSummary(job), [
    "FailureTarget=True/BackoffLimitExceeded",
    "Failed=True/BackoffLimitExceeded",
  ]);
  assert.equal(job.status!.terminating, 0);
  assert.equal(job.status!.completionTime, undefined);
  assert.deepEqual(h.events.events.map((e) => [e.type, e.reason, e.message]), [
    ["Warning", "BackoffLimitExceeded", "Job has reached the specified backoff limit"],
  ]);
  assert.equal(h.pods.pods().every((p) => !p.metadata?.finalizers), true);
});

Deno.test("JobController.sync() fails a Job running past activeDeadlineSeconds", async () => {
  const h = setup(newJob({ activeDeadlineSeconds: 30 }));
  await h.sync();
  h.pods.run(h.pods.live()[0]!.metadata!.name!);
  h.clock.advance(29_000);
  await h.sync();
  assert.deepEqual(conditionSummary(h.job()), []);
  // The sync scheduled its own wake-up for the deadline.
  h.clock.advance(500);
  await drain(h.controller.queue);
  h.clock.advance(499);
  assert.equal(h.controller.queue.len(), 0);
  h.clock.advance(1_000);
  assert.equal(h.controller.queue.len(), 1);
  await h.sync();
  assert.deepEqual(conditionSummary(h.job()), ["FailureTarget=True/DeadlineExceeded"]);
  assert.equal(h.pods.deletes.length, 1);
  await h.sync();
  assert.deepEqual(conditionSummary(h.job()), [
    "FailureTarget=True/DeadlineExceeded",
    "Failed=True/DeadlineExceeded",
  ]);
  assert.deepEqual(h.events.lines(), [
    "DeadlineExceeded: Job was active longer than specified deadline",
  ]);
});

Deno.test("JobController.sync() deletes a suspended Job's pods without counting them, and resumes", async () => {
  const h = setup(newJob({ parallelism: 2, completions: 4, activeDeadlineSeconds: 600 }));
  await h.sync();
  for (const pod of h.pods.live()) h.pods.run(pod.metadata!.name!);
  await h.sync();
  assert.equal(h.job().status?.ready, 2);
  h.clock.advance(60_000);
  h.patchSpec({ suspend: true });
  await h.sync();
  let job = h.job();
  assert.deepEqual(conditionSummary(job), ["Suspended=True/JobSuspended"]);
  assert.equal(job.status!.conditions![0]!.message, "Job suspended");
  // Finalizers removed first: the pods are gone and were not failures.
  assert.equal(h.pods.pods().length, 0);
  assert.equal(job.status!.failed ?? 0, 0);
  assert.equal(job.status!.active, undefined);
  assert.equal(job.status!.ready, 0);
  // No startTime while suspended: the deadline does not run.
  assert.equal(job.status!.startTime, undefined);
  assert.deepEqual(h.events.lines(), ["Suspended: Job suspended"]);
  // Suspended: nothing is created, and the deadline does not run.
  h.clock.advance(3_600_000);
  await h.sync();
  assert.equal(h.pods.pods().length, 0);
  assert.deepEqual(conditionSummary(h.job()), ["Suspended=True/JobSuspended"]);
  h.patchSpec({ suspend: false });
  await h.sync();
  job = h.job();
  assert.deepEqual(conditionSummary(job), ["Suspended=False/JobResumed"]);
  assert.equal(job.status!.startTime, at(T0 + 60_000 + 3_600_000));
  assert.equal(h.pods.live().length, 2);
  assert.deepEqual(h.events.lines(), ["Suspended: Job suspended", "Resumed: Job resumed"]);
});

Deno.test("JobController.sync() gives a Job created suspended no startTime and no pods", async () => {
  const h = setup(newJob({ suspend: true }));
  await h.sync();
  const job = h.job();
  assert.equal(job.status?.startTime, undefined);
  assert.equal(h.pods.creates.length, 0);
  assert.deepEqual(conditionSummary(job), ["Suspended=True/JobSuspended"]);
});

Deno.test("JobController.sync() runs an Indexed Job: one pod per index, completedIndexes as intervals", async () => {
  const h = setup(newJob({ completionMode: "Indexed", parallelism: 2, completions: 4 }));
  await h.sync();
  const created = h.pods.creates;
  assert.deepEqual(created.map((c) => c.generateName), ["pi-0-", "pi-1-"]);
  const pod = h.pods.pods().find((p) => p.metadata?.name?.startsWith("pi-1-"))!;
  assert.equal(pod.metadata?.annotations?.["batch.kubernetes.io/job-completion-index"], "1");
  assert.equal(pod.metadata?.labels?.["batch.kubernetes.io/job-completion-index"], "1");
  assert.equal(pod.spec?.hostname, "pi-1");
  assert.deepEqual(pod.spec?.containers[0]?.env, [{
    name: "JOB_COMPLETION_INDEX",
    valueFrom: {
      fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" },
    },
  }]);
  h.pods.finish(pod.metadata!.name!, { phase: "Succeeded" });
  await h.sync();
  assert.equal(h.job().status?.completedIndexes, "1");
  assert.equal(h.job().status?.succeeded, 1);
  await h.sync();
  // Index 1 is done: the next pod takes index 2.
  assert.deepEqual(h.pods.creates.map((c) => c.generateName), ["pi-0-", "pi-1-", "pi-2-"]);
  for (const p of h.pods.live()) {
    if (p.status?.phase === "Pending") h.pods.finish(p.metadata!.name!, { phase: "Succeeded" });
  }
  await h.sync();
  assert.equal(h.job().status?.completedIndexes, "0-2");
  await h.sync();
  const last = h.pods.live().find((p) => p.status?.phase === "Pending")!;
  assert.equal(last.metadata?.annotations?.["batch.kubernetes.io/job-completion-index"], "3");
  h.pods.finish(last.metadata!.name!, { phase: "Succeeded" });
  await h.sync();
  const job = h.job();
  assert.equal(job.status?.completedIndexes, "0-3");
  assert.equal(job.status?.succeeded, 4);
  assert.deepEqual(conditionSummary(job).at(-1), "Complete=True/CompletionsReached");
});

Deno.test("JobController.sync() removes Indexed pods with a duplicated or invalid index", async () => {
  const h = setup(newJob({ completionMode: "Indexed", parallelism: 3, completions: 3 }));
  function indexed(name: string, index: string, ready: boolean): Pod {
    return {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        namespace: "batch",
        name,
        uid: `uid-${name}`,
        resourceVersion: "3",
        labels: { "batch.kubernetes.io/controller-uid": "uid-pi" },
        annotations: { "batch.kubernetes.io/job-completion-index": index },
        finalizers: [JOB_TRACKING_FINALIZER],
        ownerReferences: [{
          apiVersion: "batch/v1",
          kind: "Job",
          name: "pi",
          uid: "uid-pi",
          controller: true,
        }],
      },
      spec: { nodeName: "n", containers: [{ name: "main" }] },
      status: {
        phase: "Running",
        conditions: [{ type: "Ready", status: ready ? "True" : "False" }],
      },
    };
  }
  h.podInformer.seed(
    indexed("a", "0", true),
    indexed("b", "0", false),
    indexed("c", "7", true),
    indexed("d", "1", true),
    indexed("e", "2", true),
  );
  await h.sync();
  assert.deepEqual(h.pods.deletes.sort(), ["batch/b", "batch/c"]);
  assert.equal(h.pods.creates.length, 0);
});

Deno.test("JobController.sync() without completions completes once a pod succeeded and the rest ended", async () => {
  const job = newJob({ parallelism: 2 });
  delete job.spec!.completions;
  const h = setup(job);
  await h.sync();
  const [a, b] = h.pods.live();
  h.pods.run(b!.metadata!.name!);
  h.pods.finish(a!.metadata!.name!, { phase: "Succeeded" });
  await h.sync();
  // One success: the other pod is left running, nothing new is created.
  assert.equal(h.pods.creates.length, 2);
  assert.deepEqual(conditionSummary(h.job()), []);
  h.pods.finish(b!.metadata!.name!, { phase: "Succeeded" });
  await h.sync();
  assert.deepEqual(conditionSummary(h.job()).at(-1), "Complete=True/CompletionsReached");
  assert.equal(h.job().status?.succeeded, 2);
});

Deno.test("JobController.sync() fails an OnFailure Job whose containers restarted backoffLimit times", async () => {
  const job = newJob({ backoffLimit: 2 });
  job.spec!.template.spec!.restartPolicy = "OnFailure";
  const h = setup(job);
  await h.sync();
  const name = h.pods.live()[0]!.metadata!.name!;
  h.pods.run(name);
  h.pods.restarts(name, 1);
  await h.sync();
  assert.deepEqual(conditionSummary(h.job()), []);
  h.pods.restarts(name, 2);
  await h.sync();
  assert.deepEqual(conditionSummary(h.job()), ["FailureTarget=True/BackoffLimitExceeded"]);
});

Deno.test("JobController.sync() applies the podFailurePolicy", async (t) => {
  const policy = {
    rules: [
      { action: "FailJob" as const, onExitCodes: { operator: "In" as const, values: [42] } },
      {
        action: "Ignore" as const,
        onPodConditions: [{ type: "DisruptionTarget", status: "True" }],
      },
    ],
  };
  await t.step("an ignored failure is not counted and replaced at once", async () => {
    const h = setup(
      newJob({ backoffLimit: 0, podFailurePolicy: policy, podReplacementPolicy: "Failed" }),
    );
    await h.sync();
    h.pods.finish(h.pods.live()[0]!.metadata!.name!, {
      phase: "Failed",
      exitCode: 137,
      conditions: [{ type: "DisruptionTarget", status: "True" }],
    });
    await h.sync();
    assert.equal(h.job().status?.failed ?? 0, 0);
    assert.deepEqual(conditionSummary(h.job()), []);
    // Not counted, but still replaced after the usual delay.
    h.clock.advance(10_000);
    await h.sync();
    assert.equal(h.pods.creates.length, 2);
  });
  await t.step("a FailJob exit code fails the Job with the rule's message", async () => {
    const h = setup(
      newJob({ backoffLimit: 6, podFailurePolicy: policy, podReplacementPolicy: "Failed" }),
    );
    await h.sync();
    const name = h.pods.live()[0]!.metadata!.name!;
    h.pods.finish(name, { phase: "Failed", exitCode: 42 });
    await h.sync();
    await h.sync();
    const job = h.job();
    assert.deepEqual(conditionSummary(job), [
      "FailureTarget=True/PodFailurePolicy",
      "Failed=True/PodFailurePolicy",
    ]);
    assert.equal(
      job.status!.conditions![1]!.message,
      `Container main for pod batch/${name} failed with exit code 42 matching FailJob rule at index 0`,
    );
  });
});

Deno.test("JobController.sync() creates nothing more while its creations are not in the cache", async () => {
  const h = setup(newJob({ parallelism: 3, completions: 3 }));
  h.pods.observe = false;
  await h.sync();
  await h.sync();
  assert.equal(h.pods.creates.length, 3);
  assert.equal(h.controller.expectations.satisfied(KEY), false);
  h.pods.flush();
  assert.equal(h.controller.expectations.satisfied(KEY), true);
  await h.sync();
  assert.equal(h.pods.creates.length, 3);
});

Deno.test("JobController.sync() counts a pod deleted by someone else as failed", async () => {
  const h = setup(newJob({ parallelism: 1, completions: 1 }));
  await h.sync();
  const name = h.pods.live()[0]!.metadata!.name!;
  h.pods.run(name);
  h.pods.externalDelete(name);
  await h.sync();
  const status = h.job().status!;
  assert.equal(status.failed, 1);
  assert.equal(status.terminating, 1);
  // Replaced at once (podReplacementPolicy TerminatingOrFailed; it ended 30 s ago).
  assert.equal(status.active, 1);
  assert.equal(h.pods.creates.length, 2);
});

Deno.test("JobController.sync() retries a conflicting status write from the fresh Job", async () => {
  const h = setup(newJob());
  h.api.conflicts = 1;
  await assert.rejects(
    h.sync(),
    /Cannot track the status of Job "batch\/pi": .*the object has been modified/,
  );
  h.pods.flush();
  await h.sync();
  assert.equal(h.job().status?.active, 1);
  assert.equal(h.pods.creates.length, 1);
});

Deno.test("JobController.syncOrphanPod() removes the finalizer of a pod whose Job is gone or finished", async (t) => {
  for (
    const c of [
      { name: "job gone", job: false, finished: false, want: true },
      { name: "job finished", job: true, finished: true, want: true },
      { name: "job running", job: true, finished: false, want: false },
    ]
  ) {
    await t.step(c.name, async () => {
      const h = setup(newJob(
        {},
        c.finished
          ? {
            startTime: at(T0),
            conditions: [{ type: "Complete", status: "True" }],
            completionTime: at(T0),
          }
          : undefined,
      ));
      if (!c.job) h.jobInformer.store.delete(KEY);
      h.podInformer.seed({
        metadata: {
          namespace: "batch",
          name: "orphan",
          uid: "uid-orphan",
          finalizers: [JOB_TRACKING_FINALIZER],
          ownerReferences: [{
            apiVersion: "batch/v1",
            kind: "Job",
            name: "pi",
            uid: "uid-pi",
            controller: true,
          }],
        },
        spec: { containers: [] },
        status: { phase: "Succeeded" },
      });
      await h.controller.syncOrphanPod("batch/orphan");
      assert.equal(h.pods.patches.length, c.want ? 1 : 0);
    });
  }
});

Deno.test("JobController handlers: Job changes sync at once, pod events after 1 s", async () => {
  const h = setup(newJob({ parallelism: 1 }));
  await h.sync();
  // The pod's creation (seen by the informer) and the status write are batched.
  assert.equal(h.controller.queue.len(), 0);
  h.clock.advance(999);
  assert.equal(h.controller.queue.len(), 0);
  h.clock.advance(1);
  assert.equal(h.controller.queue.len(), 1);
  const key = await h.controller.queue.get();
  h.controller.queue.done(key!);
  h.patchSpec({ parallelism: 2 });
  assert.equal(h.controller.queue.len(), 1);
});

Deno.test("jobController() builds a runnable controller named job", () => {
  assert.equal(JOB_CONTROLLER_NAME, "job");
  assert.equal(typeof jobController, "function");
});

Deno.test("JobController.sync() with backoffLimitPerIndex retries each index on its own and fails it", async () => {
  const h = setup(newJob({
    completionMode: "Indexed",
    completions: 2,
    parallelism: 2,
    backoffLimitPerIndex: 1,
    backoffLimit: 2147483647,
  }));
  await h.sync();
  const byIndex = (ix: string) =>
    h.pods.live().filter((p) =>
      p.metadata?.annotations?.["batch.kubernetes.io/job-completion-index"] === ix &&
      p.status?.phase !== "Failed"
    );
  const first0 = byIndex("0")[0]!;
  assert.equal(first0.metadata?.annotations?.["batch.kubernetes.io/job-index-failure-count"], "0");
  assert.equal(h.job().status?.failedIndexes, "");
  h.pods.finish(first0.metadata!.name!, { phase: "Failed" });
  await h.sync();
  // The failed pod keeps its finalizer until its replacement exists, which waits 10 s.
  assert.deepEqual(
    h.pods.pods().find((p) => p.metadata?.uid === first0.metadata?.uid)?.metadata
      ?.finalizers,
    [JOB_TRACKING_FINALIZER],
  );
  assert.equal(byIndex("0").length, 0);
  h.clock.advance(10_000);
  await h.sync();
  const second0 = byIndex("0")[0]!;
  assert.equal(second0.metadata?.annotations?.["batch.kubernetes.io/job-index-failure-count"], "1");
  await h.sync();
  assert.equal(h.job().status?.failed, 1);
  // Index 0 fails again: limit reached. Index 1 succeeds: nothing left, the Job fails.
  h.pods.finish(second0.metadata!.name!, { phase: "Failed" });
  h.pods.finish(byIndex("1")[0]!.metadata!.name!, { phase: "Succeeded" });
  await h.sync();
  await h.sync();
  const job = h.job();
  assert.equal(job.status?.failedIndexes, "0");
  assert.equal(job.status?.completedIndexes, "1");
  assert.deepEqual(conditionSummary(job), [
    "FailureTarget=True/FailedIndexes",
    "Failed=True/FailedIndexes",
  ]);
  assert.deepEqual(h.events.lines(), ["FailedIndexes: Job has failed indexes"]);
});

Deno.test("JobController.sync() completes an Indexed Job early when its successPolicy holds", async () => {
  const h = setup(newJob({
    completionMode: "Indexed",
    completions: 3,
    parallelism: 3,
    successPolicy: { rules: [{ succeededIndexes: "0" }] },
  }));
  await h.sync();
  for (const p of h.pods.live()) h.pods.run(p.metadata!.name!);
  const leader = h.pods.live().find((p) =>
    p.metadata?.annotations?.["batch.kubernetes.io/job-completion-index"] === "0"
  )!;
  h.pods.finish(leader.metadata!.name!, { phase: "Succeeded" });
  await h.sync();
  await h.sync();
  const job = h.job();
  assert.deepEqual(conditionSummary(job), [
    "SuccessCriteriaMet=True/SuccessPolicy",
    "Complete=True/SuccessPolicy",
  ]);
  assert.equal(job.status?.conditions?.[1]?.message, "Matched rules at index 0");
  // The other pods were removed and are no failures.
  assert.equal(h.pods.deletes.length, 2);
  assert.equal(job.status?.failed, undefined);
  assert.equal(job.status?.succeeded, 1);
});
