import assert from "node:assert/strict";
import {
  type CronJob,
  CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION,
  type Job,
} from "../api/types/batch_v1.ts";
import type { KubeObject } from "../api/types/meta_v1.ts";
import type { EventRecord, EventRecorder } from "../client/event_recorder.ts";
import { CRON_JOBS, JOBS } from "../client/resources.ts";
import { metaNamespaceKey } from "../client/store.ts";
import { FakeClock } from "../util/clock.ts";
import { RecordingLogger } from "../util/logger.ts";
import { startControllerApi } from "../../tests/_support/controller_api.ts";
import { cronJobManifest, finishJob, type TestCronJob } from "../../tests/_support/cron_jobs.ts";
import { FakeInformer } from "./_fake_informer.ts";
import {
  CronJobController,
  formatSchedule,
  getJobName,
  indexJobsByCronJob,
  jobFromTemplate,
  rfc1123z,
  sortJobsByStartTime,
} from "./cron_job.ts";

const MINUTE = 60_000;

function cj(spec: Partial<NonNullable<CronJob["spec"]>> = {}): CronJob {
  return {
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: { name: "backup", namespace: "ops", uid: "cj-uid" },
    spec: { schedule: "* * * * *", jobTemplate: { spec: { template: {} } }, ...spec },
  };
}

Deno.test("getJobName() appends the scheduled time in minutes since the epoch", () => {
  assert.equal(getJobName(cj(), Date.parse("2025-04-01T12:00:00Z")), "backup-29058480");
  assert.equal(getJobName(cj(), Date.parse("2025-04-01T12:00:59Z")), "backup-29058480");
});

Deno.test("formatSchedule() prefixes spec.timeZone unless the schedule has its own", async (t) => {
  const cases: readonly [Partial<NonNullable<CronJob["spec"]>>, string][] = [
    [{ schedule: "0 3 * * *" }, "0 3 * * *"],
    [{ schedule: "0 3 * * *", timeZone: "Europe/Berlin" }, "TZ=Europe/Berlin 0 3 * * *"],
    [{ schedule: "CRON_TZ=UTC 0 3 * * *", timeZone: "Europe/Berlin" }, "CRON_TZ=UTC 0 3 * * *"],
    [{ schedule: "0 3 * * *", timeZone: "Mars/Olympus" }, "0 3 * * *"],
  ];
  for (const [spec, want] of cases) {
    await t.step(want, () => assert.equal(formatSchedule(cj(spec)), want));
  }
});

Deno.test("jobFromTemplate() copies the template and stamps the scheduled time in the zone", () => {
  const cronJob = cj({
    timeZone: "America/New_York",
    jobTemplate: {
      metadata: {
        name: "ignored",
        labels: { app: "backup" },
        annotations: { team: "ops" },
        finalizers: ["ignored"],
      },
      spec: { backoffLimit: 2, template: { spec: { containers: [{ name: "c", image: "i" }] } } },
    },
  });
  const scheduled = Date.parse("2025-07-01T07:00:00Z");
  const job = jobFromTemplate(cronJob, { scheduledMs: scheduled });
  assert.deepEqual(job, {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: "backup-29189220",
      namespace: "ops",
      labels: { app: "backup" },
      annotations: {
        team: "ops",
        [CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION]: "2025-07-01T03:00:00-04:00",
      },
      creationTimestamp: "2025-07-01T07:00:00Z",
      ownerReferences: [{
        apiVersion: "batch/v1",
        kind: "CronJob",
        name: "backup",
        uid: "cj-uid",
        controller: true,
        blockOwnerDeletion: true,
      }],
    },
    spec: { backoffLimit: 2, template: { spec: { containers: [{ name: "c", image: "i" }] } } },
  });
  // Without a zone the annotation is in UTC.
  const utc = jobFromTemplate(cj(), { scheduledMs: scheduled, localTimeZone: "Asia/Tokyo" });
  assert.equal(
    utc.metadata?.annotations?.[CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION],
    "2025-07-01T07:00:00Z",
  );
  assert.equal(utc.metadata?.labels, undefined);
});

Deno.test("sortJobsByStartTime() orders by start time, unstarted last, then by name", () => {
  const job = (name: string, startTime?: string): Job => ({
    metadata: { name },
    ...(startTime ? { status: { startTime } } : {}),
  });
  const sorted = sortJobsByStartTime([
    job("d"),
    job("c", "2025-01-01T00:00:02Z"),
    job("b", "2025-01-01T00:00:01Z"),
    job("a", "2025-01-01T00:00:02Z"),
    job("0"),
  ]);
  assert.deepEqual(sorted.map((j) => j.metadata?.name), ["b", "a", "c", "0", "d"]);
});

Deno.test("rfc1123z() formats as Go's time.RFC1123Z in UTC", () => {
  assert.equal(rfc1123z(Date.parse("2025-04-01T09:05:07Z")), "Tue, 01 Apr 2025 09:05:07 +0000");
});

Deno.test("indexJobsByCronJob() files a Job under the CronJob that controls it", () => {
  const owned = (kind: string, controller: boolean): Job => ({
    metadata: {
      name: "j",
      namespace: "ops",
      ownerReferences: [{ apiVersion: "batch/v1", kind, name: "backup", uid: "u", controller }],
    },
  });
  assert.deepEqual(indexJobsByCronJob(owned("CronJob", true)), ["ops/backup"]);
  assert.deepEqual(indexJobsByCronJob(owned("CronJob", false)), []);
  assert.deepEqual(indexJobsByCronJob(owned("Workflow", true)), []);
  assert.deepEqual(indexJobsByCronJob({ metadata: { name: "j" } }), []);
});

class RecordingRecorder implements EventRecorder {
  readonly events: (EventRecord & { readonly object: string })[] = [];
  event(object: KubeObject, record: EventRecord): void {
    this.events.push({ ...record, object: `${object.kind}/${object.metadata?.name}` });
  }
  reasons(): string[] {
    return this.events.map((e) => e.reason);
  }
  take(): string[] {
    return this.events.splice(0).map((e) => `${e.type} ${e.reason}: ${e.message}`);
  }
}

async function harness() {
  const api = await startControllerApi();
  const clock = new FakeClock(Date.now());
  const cronJobInformer = new FakeInformer<CronJob>();
  const jobInformer = new FakeInformer<Job>();
  const recorder = new RecordingRecorder();
  const controller = new CronJobController({
    client: api.client,
    cronJobInformer,
    jobInformer,
    recorder,
    clock,
    logger: new RecordingLogger(),
  }, { localTimeZone: "UTC" });
  const cronJobs = api.client.resource(CRON_JOBS);
  const jobs = api.client.resource(JOBS);
  /** Makes the caches what the API has. */
  async function refresh(): Promise<void> {
    const pairs = [
      [cronJobInformer, (await cronJobs.list({ namespace: "default" })).items],
      [jobInformer, (await jobs.list({ namespace: "default" })).items],
    ] as const;
    for (const [informer, items] of pairs) {
      const keep = new Set(items.map(metaNamespaceKey));
      for (const key of informer.store.keys()) if (!keep.has(key)) informer.store.delete(key);
      for (const item of items) (informer as FakeInformer<KubeObject>).seed(item);
    }
  }
  return {
    api,
    clock,
    recorder,
    controller,
    cronJobInformer,
    jobInformer,
    cronJobs,
    jobs,
    refresh,
    async create(options: TestCronJob): Promise<CronJob> {
      const created = await cronJobs.create(cronJobManifest(options));
      await refresh();
      return created;
    },
    /** Syncs `default/<name>` from fresh caches. */
    async sync(name: string): Promise<void> {
      await refresh();
      await controller.sync(`default/${name}`);
      await refresh();
    },
    async get(name: string): Promise<CronJob> {
      return await cronJobs.get(name, { namespace: "default" });
    },
    async jobNames(): Promise<string[]> {
      return (await jobs.list({ namespace: "default" })).items.map((j) => j.metadata!.name!)
        .sort();
    },
    /** Takes every queued key (as workers would, without syncing). */
    async drain(): Promise<void> {
      while (controller.queue.len() > 0) controller.queue.done((await controller.queue.get())!);
    },
    /** Moves the clock to `atMs`. */
    at(atMs: number): void {
      clock.advance(atMs - clock.now());
    },
    async [Symbol.asyncDispose]() {
      controller.queue.shutDown();
      await api[Symbol.asyncDispose]();
    },
  };
}

/** The first every-minute activation after the CronJob's creation. */
function firstMinute(created: CronJob): number {
  return Math.floor(Date.parse(created.metadata!.creationTimestamp!) / MINUTE) * MINUTE + MINUTE;
}

function minutes(ms: number): number {
  return Math.floor(ms / MINUTE);
}

Deno.test("CronJobController.sync() creates the Job of a due activation and requeues for the next", async () => {
  await using h = await harness();
  const created = await h.create({
    name: "x",
    schedule: "*/1 * * * *",
    jobLabels: { app: "x" },
    jobAnnotations: { note: "kept" },
  });
  const first = firstMinute(created);
  await h.sync("x");
  assert.deepEqual(await h.jobNames(), []);
  // One timer, due 100 ms after the activation.
  h.at(first + 99);
  assert.equal(h.controller.queue.len(), 0);
  h.at(first + 100);
  assert.equal(h.controller.queue.len(), 1);
  await h.sync("x");
  const name = `x-${minutes(first)}`;
  assert.deepEqual(await h.jobNames(), [name]);
  const job = await h.jobs.get(name, { namespace: "default" });
  assert.equal(job.metadata?.labels?.app, "x");
  assert.equal(job.metadata?.annotations?.note, "kept");
  assert.equal(
    job.metadata?.annotations?.[CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION],
    new Date(first).toISOString().replace(".000Z", "Z"),
  );
  assert.deepEqual(job.metadata?.ownerReferences, [{
    apiVersion: "batch/v1",
    kind: "CronJob",
    name: "x",
    uid: created.metadata!.uid!,
    controller: true,
    blockOwnerDeletion: true,
  }]);
  const status = (await h.get("x")).status;
  const { resourceVersion, ...ref } = status?.active?.[0] ?? {};
  assert.equal(status?.active?.length, 1);
  assert.deepEqual(ref, {
    kind: "Job",
    namespace: "default",
    name,
    uid: job.metadata!.uid!,
    apiVersion: "batch/v1",
  });
  assert.match(resourceVersion ?? "", /^\d+$/);
  assert.equal(status?.lastScheduleTime, new Date(first).toISOString().replace(".000Z", "Z"));
  assert.deepEqual(h.recorder.take(), [`Normal SuccessfulCreate: Created job ${name}`]);
  // The same activation again creates nothing.
  await h.sync("x");
  assert.deepEqual(await h.jobNames(), [name]);
  assert.deepEqual(h.recorder.take(), []);
  await h.drain();
  h.at(first + MINUTE + 99);
  assert.equal(h.controller.queue.len(), 0);
  h.at(first + MINUTE + 100);
  assert.equal(h.controller.queue.len(), 1);
});

Deno.test("CronJobController.sync() follows concurrencyPolicy while a Job runs", async (t) => {
  for (const policy of ["Allow", "Forbid", "Replace"] as const) {
    await t.step(policy, async () => {
      await using h = await harness();
      const created = await h.create({ name: "x", spec: { concurrencyPolicy: policy } });
      const first = firstMinute(created);
      const one = `x-${minutes(first)}`;
      const two = `x-${minutes(first) + 1}`;
      h.at(first + 100);
      await h.sync("x");
      h.recorder.take();
      h.at(first + MINUTE + 100);
      await h.sync("x");
      const active = (await h.get("x")).status?.active?.map((r) => r.name);
      if (policy === "Allow") {
        assert.deepEqual(await h.jobNames(), [one, two]);
        assert.deepEqual(active, [one, two]);
        assert.deepEqual(h.recorder.take(), [`Normal SuccessfulCreate: Created job ${two}`]);
      } else if (policy === "Forbid") {
        assert.deepEqual(await h.jobNames(), [one]);
        assert.deepEqual(active, [one]);
        assert.deepEqual(h.recorder.take(), [
          "Normal JobAlreadyActive: Not starting job because prior execution is running and concurrency policy is Forbid",
        ]);
      } else {
        assert.deepEqual(await h.jobNames(), [two]);
        assert.deepEqual(active, [two]);
        assert.deepEqual(h.recorder.take(), [
          `Normal SuccessfulDelete: Deleted job ${one}`,
          `Normal SuccessfulCreate: Created job ${two}`,
        ]);
      }
    });
  }
});

Deno.test("CronJobController.sync() retires finished Jobs and keeps the history limits", async () => {
  await using h = await harness();
  const created = await h.create({
    name: "x",
    spec: { successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 1 },
  });
  const first = firstMinute(created);
  const names = [0, 1, 2].map((i) => `x-${minutes(first) + i}`);
  for (let i = 0; i < 3; i++) {
    h.at(first + i * MINUTE + 100);
    await h.sync("x");
  }
  assert.deepEqual(await h.jobNames(), names);
  h.recorder.take();
  const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");
  for (const [i, outcome] of [[0, "Complete"], [1, "Complete"], [2, "Failed"]] as const) {
    await finishJob(h.api.client, {
      name: names[i]!,
      outcome,
      startTime: iso(first + i * MINUTE + 1000),
      finishTime: iso(first + i * MINUTE + 10_000),
    });
  }
  await h.sync("x");
  // Of two successful Jobs one is kept (the newer); the one failed Job stays.
  assert.deepEqual(await h.jobNames(), [names[1], names[2]]);
  assert.deepEqual(h.recorder.take(), [
    `Normal SuccessfulDelete: Deleted job ${names[0]}`,
    `Normal SawCompletedJob: Saw completed job: ${names[1]}, condition: Complete`,
    `Normal SawCompletedJob: Saw completed job: ${names[2]}, condition: Failed`,
  ]);
  const status = (await h.get("x")).status;
  assert.equal(status?.active, undefined);
  assert.equal(status?.lastSuccessfulTime, iso(first + MINUTE + 10_000));
  // Nothing changed since: no status write.
  const rv = (await h.get("x")).metadata?.resourceVersion;
  await h.sync("x");
  assert.equal((await h.get("x")).metadata?.resourceVersion, rv);
});

Deno.test("CronJobController.sync() drops a vanished Job and warns of one it did not start", async () => {
  await using h = await harness();
  const created = await h.create({ name: "x", spec: { concurrencyPolicy: "Forbid" } });
  const first = firstMinute(created);
  h.at(first + 100);
  await h.sync("x");
  h.recorder.take();
  // As kubectl deletes: a Job deleted without a policy would orphan its pods and wait for the
  // garbage collector, which this test does not run.
  await h.jobs.delete(`x-${minutes(first)}`, {
    namespace: "default",
    propagationPolicy: "Background",
  });
  // What `kubectl create job --from=cronjob/x manual` makes.
  await h.jobs.create({
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: "manual",
      namespace: "default",
      annotations: { "cronjob.kubernetes.io/instantiate": "manual" },
      ownerReferences: [{
        apiVersion: "batch/v1",
        kind: "CronJob",
        name: "x",
        uid: created.metadata!.uid!,
        controller: true,
      }],
    },
    spec: structuredClone(created.spec!.jobTemplate.spec!),
  });
  await h.sync("x");
  assert.deepEqual(h.recorder.take(), [
    "Warning UnexpectedJob: Saw a job that the controller did not create or forgot: manual",
    `Normal MissingJob: Active job went missing: x-${minutes(first)}`,
  ]);
  assert.equal((await h.get("x")).status?.active, undefined);
});

Deno.test("CronJobController.sync() starts only the most recent activation after a downtime", async (t) => {
  for (const [down, warns] of [[5, false], [180, true]] as const) {
    await t.step(`${down} minutes down`, async () => {
      await using h = await harness();
      const created = await h.create({ name: "x" });
      const first = firstMinute(created);
      h.at(first + (down - 1) * MINUTE + 30_000);
      await h.sync("x");
      const latest = `x-${minutes(first) + down - 1}`;
      assert.deepEqual(await h.jobNames(), [latest]);
      const events = h.recorder.take();
      assert.deepEqual(events, [
        ...(warns
          ? [
            "Warning TooManyMissedTimes: too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew",
          ]
          : []),
        `Normal SuccessfulCreate: Created job ${latest}`,
      ]);
    });
  }
});

Deno.test("CronJobController.sync() does not start an activation older than startingDeadlineSeconds", async () => {
  await using h = await harness();
  const created = await h.create({ name: "x", spec: { startingDeadlineSeconds: 10 } });
  const first = firstMinute(created);
  h.at(first + 30_000);
  await h.sync("x");
  assert.deepEqual(await h.jobNames(), []);
  assert.deepEqual(h.recorder.take(), []);
  // Requeued for the next activation, which starts within the deadline.
  h.at(first + MINUTE + 99);
  assert.equal(h.controller.queue.len(), 0);
  h.at(first + MINUTE + 5000);
  assert.equal(h.controller.queue.len(), 1);
  await h.sync("x");
  assert.deepEqual(await h.jobNames(), [`x-${minutes(first) + 1}`]);
});

Deno.test("CronJobController.sync() starts nothing while suspended, and no timer", async () => {
  await using h = await harness();
  const created = await h.create({ name: "x", spec: { suspend: true } });
  h.at(firstMinute(created) + 100);
  await h.sync("x");
  assert.deepEqual(await h.jobNames(), []);
  assert.equal(h.clock.pendingTimers, 0);
});

Deno.test("CronJobController.sync() reports schedules and zones it cannot use", async (t) => {
  const cases: readonly [Partial<NonNullable<CronJob["spec"]>>, string][] = [
    [
      { schedule: "bad" },
      'Warning UnparseableSchedule: unparseable schedule: "bad" : expected exactly 5 fields, found 1: [bad]',
    ],
    [
      { timeZone: "Mars/Olympus" },
      'Warning UnknownTimeZone: invalid timeZone: "Mars/Olympus": unknown time zone Mars/Olympus',
    ],
    [
      { schedule: "0 0 31 2 *" },
      "Warning InvalidSchedule: invalid schedule: 0 0 31 2 * : time difference between two schedules is less than 1 second",
    ],
  ];
  for (const [spec, event] of cases) {
    await t.step(event.split(":")[0]!, async () => {
      await using h = await harness();
      const created = await h.create({ name: "x" });
      // What the API would refuse today, as a CronJob stored before could still have it.
      h.cronJobInformer.seed({ ...created, spec: { ...created.spec!, ...spec } });
      h.at(firstMinute(created) + 100);
      await h.controller.sync("default/x");
      assert.deepEqual(await h.jobNames(), []);
      assert.deepEqual(h.recorder.take(), [event]);
      assert.equal(h.clock.pendingTimers, 0);
    });
  }
});

Deno.test("CronJobController.sync() still runs a TZ= schedule, with a warning", async () => {
  await using h = await harness();
  const created = await h.create({ name: "x" });
  h.cronJobInformer.seed({
    ...created,
    spec: { ...created.spec!, schedule: "TZ=Asia/Kolkata * * * * *" },
  });
  const first = firstMinute(created);
  h.at(first + 100);
  await h.controller.sync("default/x");
  assert.deepEqual(await h.jobNames(), [`x-${minutes(first)}`]);
  assert.deepEqual(h.recorder.reasons(), ["UnsupportedSchedule", "SuccessfulCreate"]);
  assert.equal(
    h.recorder.events[0]?.message,
    'CRON_TZ or TZ used in schedule "TZ=Asia/Kolkata * * * * *" is not officially supported, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details',
  );
});

Deno.test("CronJobController.sync() runs spec.timeZone's wall time and stamps its offset", async () => {
  await using h = await harness();
  // 09:30 in Kolkata is 04:00 UTC.
  const created = await h.create({
    name: "x",
    schedule: "30 9 * * *",
    spec: { timeZone: "Asia/Kolkata" },
  });
  const createdMs = Date.parse(created.metadata!.creationTimestamp!);
  const day = 24 * 60 * MINUTE;
  let due = Math.floor(createdMs / day) * day + 4 * 60 * MINUTE;
  if (due <= createdMs) due += day;
  await h.sync("x");
  h.at(due + 99);
  assert.equal(h.controller.queue.len(), 0);
  h.at(due + 100);
  assert.equal(h.controller.queue.len(), 1);
  await h.sync("x");
  const job = await h.jobs.get(`x-${minutes(due)}`, { namespace: "default" });
  const stamp = job.metadata?.annotations?.[CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION];
  assert.match(stamp ?? "", /T09:30:00\+05:30$/);
  assert.equal(Date.parse(stamp!), due);
});

Deno.test("CronJobController.sync() puts back a Job whose status write was lost", async () => {
  await using h = await harness();
  const created = await h.create({ name: "x" });
  const first = firstMinute(created);
  h.at(first + 100);
  await h.sync("x");
  h.recorder.take();
  const name = `x-${minutes(first)}`;
  const stored = await h.get("x");
  await h.cronJobs.updateStatus({ ...stored, status: {} });
  await h.sync("x");
  assert.deepEqual(await h.jobNames(), [name]);
  assert.deepEqual(h.recorder.take(), [
    `Warning UnexpectedJob: Saw a job that the controller did not create or forgot: ${name}`,
  ]);
  const status = (await h.get("x")).status;
  assert.deepEqual(status?.active?.map((r) => r.name), [name]);
  assert.equal(status?.lastScheduleTime, new Date(first).toISOString().replace(".000Z", "Z"));
});

Deno.test("CronJobController enqueues on Job events of its Jobs and requeues a new schedule at its time", async () => {
  await using h = await harness();
  const created = await h.create({ name: "x", schedule: "0 * * * *" });
  const key = "default/x";
  const cached = h.cronJobInformer.store.get(key)!;
  const job = (uid: string): Job => ({
    metadata: {
      name: `x-${uid}`,
      namespace: "default",
      resourceVersion: "1",
      ownerReferences: [{
        apiVersion: "batch/v1",
        kind: "CronJob",
        name: "x",
        uid,
        controller: true,
      }],
    },
  });
  h.jobInformer.add(job("other-uid"));
  assert.equal(h.controller.queue.len(), 0);
  h.jobInformer.add(job(created.metadata!.uid!));
  assert.equal(h.controller.queue.len(), 1);
  await h.drain();
  // A new schedule: queued for its next activation, not now.
  const rescheduled = { ...cached, spec: { ...cached.spec!, schedule: "*/1 * * * *" } };
  h.cronJobInformer.update(rescheduled);
  assert.equal(h.controller.queue.len(), 0);
  h.at(firstMinute(created) + 99);
  assert.equal(h.controller.queue.len(), 0);
  h.at(firstMinute(created) + 100);
  assert.equal(h.controller.queue.len(), 1);
  await h.drain();
  // Anything else: queued at once.
  h.cronJobInformer.update({
    ...rescheduled,
    metadata: { ...rescheduled.metadata, labels: { a: "b" } },
  });
  assert.equal(h.controller.queue.len(), 1);
});
