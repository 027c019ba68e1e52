/**
 * The CronJob controller run by the ControllerManager against the real API in process, on a
 * fake clock: the test moves time to each activation (the controller's one requeue timer per
 * CronJob fires) and plays the Job controller by writing Job status. A schedule fires and its
 * Job is named for the scheduled minute; Forbid skips while a Job runs; Replace deletes it;
 * the history limits delete old Jobs; after a downtime only the most recent missed run starts;
 * a run past startingDeadlineSeconds does not.
 */
import assert from "node:assert/strict";
import type { CronJob, Job } from "../../control/api/types/batch_v1.ts";
import { CORE_EVENTS, CRON_JOBS, JOBS } from "../../control/client/resources.ts";
import { CRON_JOB_CONTROLLER_NAME, cronJobController } from "../../control/controllers/cron_job.ts";
import { FakeClock } from "../../control/util/clock.ts";
import { RecordingLogger } from "../../control/util/logger.ts";
import {
  startControllerApi,
  until as untilReal,
  type UntilOptions,
} from "../_support/controller_api.ts";
import { cronJobManifest, finishJob, type TestCronJob } from "../_support/cron_jobs.ts";
import { startTestManager, type TestManager } from "../_support/test_manager.ts";

const MINUTE = 60_000;

/** How far the fake clock moves on each poll of a wait (a retry's backoff runs on it). */
const TICK_MS = 20;

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

async function harness() {
  const api = await startControllerApi();
  const client = api.client;
  const clock = new FakeClock(Date.now());
  const logger = new RecordingLogger();
  const cronJobs = client.resource(CRON_JOBS);
  const jobs = client.resource(JOBS);
  let manager: TestManager | null = null;

  function startManager(): void {
    manager = startTestManager(api.transport, {
      clock,
      logger,
      registry: [{ name: CRON_JOB_CONTROLLER_NAME, factory: cronJobController }],
    });
  }

  async function stopManager(): Promise<void> {
    await manager?.stop();
    manager = null;
  }

  /** How many syncs of `default/<name>` the controller has finished. */
  function syncs(name: string): number {
    return logger.records.filter((r) =>
      r.msg === "Finished syncing" && r.fields.controller === CRON_JOB_CONTROLLER_NAME &&
      r.fields.key === `default/${name}`
    ).length;
  }

  /**
   * Polls `check` as `until` does, moving the fake clock on by a little each time: a sync that
   * failed (a status write racing the cache) is retried after a backoff on that clock.
   */
  function until(check: () => boolean | Promise<boolean>, options: UntilOptions = {}) {
    return untilReal(() => {
      clock.advance(TICK_MS);
      return check();
    }, options);
  }

  startManager();
  return {
    until,
    api,
    clock,
    cronJobs,
    jobs,
    startManager,
    stopManager,
    syncs,
    async create(options: TestCronJob): Promise<CronJob> {
      const before = syncs(options.name);
      const created = await cronJobs.create(cronJobManifest(options));
      if (manager) await until(() => syncs(options.name) > before, { what: "the first sync" });
      return created;
    },
    /** Moves the fake clock to `atMs` (if not past it), firing the controller's timers. */
    at(atMs: number): void {
      assert.ok(clock.now() <= atMs, `the clock is past ${iso(atMs)} already`);
      clock.advance(atMs - clock.now());
    },
    /** Waits for a sync of `default/<name>` that starts after this call. */
    async nextSync(name: string, move: () => void): Promise<void> {
      const before = syncs(name);
      move();
      await until(() => syncs(name) > before, { what: `a sync of ${name}` });
    },
    async jobNames(): Promise<string[]> {
      return (await jobs.list({ namespace: "default" })).items
        .filter((j: Job) => !j.metadata?.deletionTimestamp)
        .map((j: Job) => j.metadata!.name!).sort();
    },
    async untilJobs(want: string[]): Promise<void> {
      let last: string[] = [];
      try {
        await until(async () => {
          last = await this.jobNames();
          return JSON.stringify(last) === JSON.stringify(want);
        }, { what: `jobs ${want.join(", ")}` });
      } catch (err) {
        throw new Error(`Jobs are ${JSON.stringify(last)}, not ${JSON.stringify(want)}`, {
          cause: err,
        });
      }
    },
    async get(name: string): Promise<CronJob> {
      return await cronJobs.get(name, { namespace: "default" });
    },
    async events(): Promise<string[]> {
      const list = await client.resource(CORE_EVENTS).list({ namespace: "default" });
      return list.items
        .filter((e) => e.source?.component === "cronjob-controller")
        .map((e) => `${e.involvedObject.name} ${e.reason}: ${e.message}`);
    },
    async [Symbol.asyncDispose]() {
      await stopManager();
      await api[Symbol.asyncDispose]();
    },
  };
}

/** The first every-minute activation after the CronJob's creation. */
function firstMinute(cj: CronJob): number {
  return Math.floor(Date.parse(cj.metadata!.creationTimestamp!) / MINUTE) * MINUTE + MINUTE;
}

function jobName(ms: number): string {
  return `x-${Math.floor(ms / MINUTE)}`;
}

Deno.test("a CronJob's schedule fires: its Job is named for the scheduled minute", async () => {
  await using h = await harness();
  const created = await h.create({ name: "x", schedule: "*/1 * * * *" });
  const first = firstMinute(created);
  assert.deepEqual(await h.jobNames(), []);
  // The requeue timer is due 100 ms after the activation: nothing before.
  await h.nextSync("x", () => h.at(first + 100));
  await h.untilJobs([jobName(first)]);
  const job = await h.jobs.get(jobName(first), { namespace: "default" });
  assert.equal(
    job.metadata?.annotations?.["batch.kubernetes.io/cronjob-scheduled-timestamp"],
    iso(first),
  );
  assert.equal(job.metadata?.ownerReferences?.[0]?.uid, created.metadata?.uid);
  await h.until(async () => (await h.get("x")).status?.lastScheduleTime === iso(first), {
    what: "lastScheduleTime",
  });
  const cj = await h.get("x");
  assert.deepEqual(cj.status?.active?.map((r) => [r.kind, r.name, r.uid]), [
    ["Job", jobName(first), job.metadata?.uid],
  ]);
  await h.until(
    async () => (await h.events()).includes(`x SuccessfulCreate: Created job ${jobName(first)}`),
    {
      what: "the SuccessfulCreate event",
    },
  );
  // The next minute, the next Job.
  await h.nextSync("x", () => h.at(first + MINUTE + 100));
  await h.untilJobs([jobName(first), jobName(first + MINUTE)]);
});

Deno.test("Forbid skips a run while the Job is active, and runs again once it finished", async () => {
  await using h = await harness();
  const created = await h.create({ name: "x", spec: { concurrencyPolicy: "Forbid" } });
  const first = firstMinute(created);
  await h.nextSync("x", () => h.at(first + 100));
  await h.untilJobs([jobName(first)]);
  await h.until(async () => ((await h.get("x")).status?.active?.length ?? 0) === 1, {
    what: "the active Job in status",
  });
  await h.nextSync("x", () => h.at(first + MINUTE + 100));
  assert.deepEqual(await h.jobNames(), [jobName(first)]);
  await h.until(async () =>
    (await h.events()).includes(
      "x JobAlreadyActive: Not starting job because prior execution is running and concurrency policy is Forbid",
    ), { what: "the JobAlreadyActive event" });
  await finishJob(h.api.client, {
    name: jobName(first),
    outcome: "Complete",
    startTime: iso(first + 1000),
    finishTime: iso(first + 90_000),
  });
  // The run it skipped has not been started yet (lastScheduleTime stayed): without a
  // startingDeadlineSeconds it starts now, late, as upstream's controller does.
  await h.untilJobs([jobName(first), jobName(first + MINUTE)]);
  await h.until(
    async () =>
      JSON.stringify((await h.get("x")).status?.active?.map((r) => r.name)) ===
        JSON.stringify([jobName(first + MINUTE)]),
    { what: "the late run alone in status.active" },
  );
  const cj = await h.get("x");
  assert.equal(cj.status?.lastSuccessfulTime, iso(first + 90_000));
  assert.equal(cj.status?.lastScheduleTime, iso(first + MINUTE));
  // And it blocks the next one.
  await h.nextSync("x", () => h.at(first + 2 * MINUTE + 100));
  assert.deepEqual(await h.jobNames(), [jobName(first), jobName(first + MINUTE)]);
});

Deno.test("Replace deletes the active Job and starts the new one", async () => {
  await using h = await harness();
  const created = await h.create({ name: "x", spec: { concurrencyPolicy: "Replace" } });
  const first = firstMinute(created);
  await h.nextSync("x", () => h.at(first + 100));
  await h.untilJobs([jobName(first)]);
  await h.until(async () => ((await h.get("x")).status?.active?.length ?? 0) === 1, {
    what: "the active Job in status",
  });
  await h.nextSync("x", () => h.at(first + MINUTE + 100));
  await h.untilJobs([jobName(first + MINUTE)]);
  await h.until(async () => {
    const events = await h.events();
    return events.includes(`x SuccessfulDelete: Deleted job ${jobName(first)}`) &&
      events.includes(`x SuccessfulCreate: Created job ${jobName(first + MINUTE)}`);
  }, { what: "the delete and create events" });
  await h.until(
    async () =>
      JSON.stringify((await h.get("x")).status?.active?.map((r) => r.name)) ===
        JSON.stringify([jobName(first + MINUTE)]),
    { what: "only the new Job active" },
  );
});

Deno.test("the history limits delete the oldest finished Jobs", async () => {
  await using h = await harness();
  const created = await h.create({
    name: "x",
    spec: { successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 1 },
  });
  const first = firstMinute(created);
  const names = [0, 1, 2, 3].map((i) => jobName(first + i * MINUTE));
  for (let i = 0; i < 4; i++) {
    await h.nextSync("x", () => h.at(first + i * MINUTE + 100));
    await h.untilJobs(names.slice(0, i + 1));
  }
  const outcomes = ["Complete", "Failed", "Complete", "Failed"] as const;
  for (const [i, outcome] of outcomes.entries()) {
    await finishJob(h.api.client, {
      name: names[i]!,
      outcome,
      startTime: iso(first + i * MINUTE + 1000),
      finishTime: iso(first + i * MINUTE + 20_000),
    });
  }
  // One of each kind is kept: the newest.
  await h.untilJobs([names[2]!, names[3]!]);
  await h.until(async () => {
    const events = await h.events();
    return events.includes(`x SuccessfulDelete: Deleted job ${names[0]}`) &&
      events.includes(`x SuccessfulDelete: Deleted job ${names[1]}`);
  }, { what: "the delete events" });
});

Deno.test("after a downtime only the most recent missed run starts", async () => {
  await using h = await harness();
  const created = await h.create({ name: "x" });
  const first = firstMinute(created);
  await h.stopManager();
  // Ten activations pass while no controller runs.
  h.at(first + 9 * MINUTE + 30_000);
  const before = h.syncs("x");
  h.startManager();
  await h.until(() => h.syncs("x") > before, { what: "the sync after the restart" });
  await h.untilJobs([jobName(first + 9 * MINUTE)]);
  await h.until(
    async () => (await h.get("x")).status?.lastScheduleTime === iso(first + 9 * MINUTE),
    { what: "lastScheduleTime" },
  );
  // Its own status write brings it back once more: still nothing else to start.
  await h.until(() => h.syncs("x") >= before + 2, { what: "the sync after the status write" });
  assert.deepEqual(await h.jobNames(), [jobName(first + 9 * MINUTE)]);
});

Deno.test("a run missed by more than startingDeadlineSeconds does not start", async () => {
  await using h = await harness();
  const created = await h.create({ name: "x", spec: { startingDeadlineSeconds: 10 } });
  const first = firstMinute(created);
  await h.stopManager();
  // Back 30 s after the activation: too late for it.
  h.at(first + 30_000);
  const before = h.syncs("x");
  h.startManager();
  await h.until(() => h.syncs("x") > before, { what: "the sync after the restart" });
  assert.deepEqual(await h.jobNames(), []);
  // The next one is on time.
  await h.nextSync("x", () => h.at(first + MINUTE + 100));
  await h.untilJobs([jobName(first + MINUTE)]);
});
