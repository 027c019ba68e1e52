/**
 * The Job and ttl-after-finished controllers, run by the ControllerManager against the real
 * API in process, with a fake kubelet that runs pods on fake nodes and ends them with exit
 * codes: completions with parallelism, Indexed Jobs, failures up to backoffLimit and past it,
 * activeDeadlineSeconds, suspend and resume, deletion after ttlSecondsAfterFinished, and a
 * controller manager that dies between removing a pod's finalizer and counting it, replaced by
 * a new one that finishes the Job with exactly `completions` successes.
 */
import assert from "node:assert/strict";
import type { Job } from "../../control/api/types/batch_v1.ts";
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import { Client } from "../../control/client/client.ts";
import { CORE_EVENTS, JOBS, PODS } from "../../control/client/resources.ts";
import type { Transport, TransportRequestOptions } from "../../control/client/transport.ts";
import { ControllerManager } from "../../control/controllers/controller_manager.ts";
import {
  GARBAGE_COLLECTOR_CONTROLLER_NAME,
  garbageCollectorController,
} from "../../control/controllers/garbage_collector.ts";
import { JOB_CONTROLLER_NAME, jobController } from "../../control/controllers/job.ts";
import {
  TTL_AFTER_FINISHED_CONTROLLER_NAME,
  ttlAfterFinishedController,
} from "../../control/controllers/ttl_after_finished.ts";
import { systemClock } from "../../control/util/clock.ts";
import { RecordingLogger } from "../../control/util/logger.ts";
import { type ControllerApi, startControllerApi, until } from "../_support/controller_api.ts";
import { FakeKubelet, type PodExit } from "../_support/fake_kubelet.ts";

const NS = "default";
const REGISTRY = [
  { name: JOB_CONTROLLER_NAME, factory: jobController },
  { name: TTL_AFTER_FINISHED_CONTROLLER_NAME, factory: ttlAfterFinishedController },
];

/** A running controller manager; `stop()` aborts it and waits for it. */
interface RunningManager {
  stop(): Promise<void>;
}

/** The log of the last manager started (errors end up in failure messages). */
let managerLog = new RecordingLogger();

function startManager(transport: Transport, options: { gc?: boolean } = {}): RunningManager {
  managerLog = new RecordingLogger();
  const manager = new ControllerManager({
    client: new Client(transport, { fieldManager: "kube-controller-manager" }),
    clock: systemClock,
    logger: managerLog,
    identity: "test",
    registry: options.gc
      ? [...REGISTRY, {
        name: GARBAGE_COLLECTOR_CONTROLLER_NAME,
        factory: garbageCollectorController,
      }]
      : REGISTRY,
    leaderElection: false,
  });
  const abort = new AbortController();
  const running = manager.run(abort.signal);
  return {
    async stop() {
      abort.abort();
      await running;
    },
  };
}

interface Harness extends AsyncDisposable {
  readonly api: ControllerApi;
  readonly kubelet: FakeKubelet;
  manager: RunningManager;
  job(name: string): Promise<Job>;
  /** The Job's pods (by the job-name label), oldest first. */
  pods(name: string): Promise<Pod[]>;
  /** `reason: message` of the events about `name`, oldest first. */
  events(name: string): Promise<string[]>;
  waitFor(
    name: string,
    what: string,
    check: (job: Job) => boolean,
    timeoutMs?: number,
  ): Promise<Job>;
}

interface StartOptions {
  /** How the fake kubelet ends pods (they run forever without). */
  readonly finish?: (pod: Pod) => PodExit | undefined;
  /** Run the garbage collector too (foreground deletions). */
  readonly gc?: boolean;
}

async function start(options: StartOptions = {}): Promise<Harness> {
  const { finish } = options;
  const api = await startControllerApi();
  const kubelet = await FakeKubelet.start({
    client: api.client,
    nodes: ["node-1", "node-2"],
    bindUnscheduled: true,
    ...(finish ? { finish } : {}),
  });
  const h: Harness = {
    api,
    kubelet,
    manager: startManager(api.transport, options.gc ? { gc: true } : {}),
    async job(name) {
      return await api.client.resource(JOBS).get(name, { namespace: NS });
    },
    async pods(name) {
      const list = await api.client.resource(PODS).list({
        namespace: NS,
        labelSelector: `batch.kubernetes.io/job-name=${name}`,
      });
      return list.items.sort((a, b) =>
        (a.metadata?.creationTimestamp ?? "").localeCompare(b.metadata?.creationTimestamp ?? "") ||
        (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? "")
      );
    },
    async events(name) {
      const list = await api.client.resource(CORE_EVENTS).list({ namespace: NS });
      return list.items
        .filter((e) => e.involvedObject?.kind === "Job" && e.involvedObject?.name === name)
        .sort((a, b) => (a.firstTimestamp ?? "").localeCompare(b.firstTimestamp ?? ""))
        .map((e) => `${e.reason}: ${e.message}`);
    },
    async waitFor(name, what, check, timeoutMs = 15_000) {
      let last: Job | undefined;
      try {
        await until(async () => check(last = await h.job(name)), {
          what: `${what} of Job ${name}`,
          timeoutMs,
          intervalMs: 50,
        });
      } catch (err) {
        const errors = managerLog.records.filter((r) => r.level === "error").slice(-5);
        throw new Error(
          `${(err as Error).message}; last status: ${JSON.stringify(last?.status)}; errors: ${
            JSON.stringify(errors, (_k, v) => v instanceof Error ? v.message : v)
          }`,
        );
      }
      return last!;
    },
    async [Symbol.asyncDispose]() {
      await h.manager.stop();
      await kubelet.stop();
      await api[Symbol.asyncDispose]();
    },
  };
  return h;
}

function newJob(name: string, spec: Partial<NonNullable<Job["spec"]>> = {}): Job {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { namespace: NS, name },
    spec: {
      template: {
        spec: { restartPolicy: "Never", containers: [{ name: "main", image: "busybox" }] },
      },
      ...spec,
    },
  };
}

function conditions(job: Job): string[] {
  return (job.status?.conditions ?? []).map((c) => `${c.type}=${c.status}/${c.reason ?? ""}`);
}

function isTrue(job: Job, type: string): boolean {
  return (job.status?.conditions ?? []).some((c) => c.type === type && c.status === "True");
}

function succeedAfter(ms: number): (pod: Pod) => PodExit {
  return () => ({ phase: "Succeeded", afterMs: ms });
}

Deno.test("Job controller runs completions pods, at most parallelism at once, and completes", async () => {
  await using h = await start({ finish: succeedAfter(150) });
  await h.api.client.resource(JOBS).create(newJob("pi", { completions: 5, parallelism: 2 }));
  let maxActive = 0;
  const done = await h.waitFor("pi", "Complete", (job) => {
    maxActive = Math.max(maxActive, job.status?.active ?? 0);
    return isTrue(job, "Complete");
  });
  assert.ok(maxActive >= 1 && maxActive <= 2, `active reached ${maxActive}`);
  assert.deepEqual(conditions(done), [
    "SuccessCriteriaMet=True/CompletionsReached",
    "Complete=True/CompletionsReached",
  ]);
  const status = done.status!;
  assert.equal(status.succeeded, 5);
  assert.equal(status.failed, undefined);
  assert.equal(status.active, undefined);
  assert.equal(status.ready, 0);
  assert.equal(status.terminating, 0);
  assert.ok(status.startTime && status.completionTime && status.completionTime >= status.startTime);
  const pods = await h.pods("pi");
  assert.equal(pods.length, 5);
  for (const pod of pods) {
    assert.equal(pod.status?.phase, "Succeeded");
    assert.equal(pod.metadata?.finalizers, undefined, "the tracking finalizer is gone");
    assert.equal(pod.metadata?.labels?.["batch.kubernetes.io/controller-uid"], done.metadata?.uid);
    assert.equal(pod.metadata?.labels?.["controller-uid"], done.metadata?.uid);
    assert.equal(pod.metadata?.labels?.["job-name"], "pi");
    assert.equal(pod.metadata?.ownerReferences?.[0]?.kind, "Job");
  }
  await until(async () => (await h.events("pi")).includes("Completed: Job completed"), {
    what: "the Completed event",
  });
  const events = await h.events("pi");
  assert.equal(events.filter((e) => e.startsWith("SuccessfulCreate: Created pod: pi-")).length, 5);
});

Deno.test("Job controller runs an Indexed Job: one pod per index, hostname and completedIndexes", async () => {
  await using h = await start({ finish: succeedAfter(100) });
  await h.api.client.resource(JOBS).create(
    newJob("idx", { completions: 3, parallelism: 3, completionMode: "Indexed" }),
  );
  const done = await h.waitFor("idx", "Complete", (job) => isTrue(job, "Complete"));
  assert.equal(done.status?.completedIndexes, "0-2");
  assert.equal(done.status?.succeeded, 3);
  const pods = await h.pods("idx");
  const byIndex = pods.map((p) => ({
    annotation: p.metadata?.annotations?.["batch.kubernetes.io/job-completion-index"],
    label: p.metadata?.labels?.["batch.kubernetes.io/job-completion-index"],
    hostname: p.spec?.hostname,
    prefix: p.metadata?.name?.slice(0, 6),
  })).sort((a, b) => (a.annotation ?? "").localeCompare(b.annotation ?? ""));
  assert.deepEqual(
    byIndex,
    [0, 1, 2].map((i) => ({
      annotation: String(i),
      label: String(i),
      hostname: `idx-${i}`,
      prefix: `idx-${i}-`,
    })),
  );
  assert.equal(pods[0]?.spec?.containers[0]?.env?.[0]?.name, "JOB_COMPLETION_INDEX");
});

Deno.test("Job controller fails a Job whose failures exceed backoffLimit", async () => {
  await using h = await start({ finish: () => ({ phase: "Failed", exitCode: 2, afterMs: 50 }) });
  await h.api.client.resource(JOBS).create(
    newJob("bad", { completions: 3, parallelism: 3, backoffLimit: 2 }),
  );
  const failed = await h.waitFor("bad", "Failed", (job) => isTrue(job, "Failed"));
  assert.deepEqual(conditions(failed), [
    "FailureTarget=True/BackoffLimitExceeded",
    "Failed=True/BackoffLimitExceeded",
  ]);
  assert.equal(failed.status?.failed, 3);
  assert.equal(failed.status?.completionTime, undefined);
  const pods = await h.pods("bad");
  assert.equal(pods.length, 3);
  assert.ok(pods.every((p) => p.status?.phase === "Failed" && !p.metadata?.finalizers));
  await until(async () =>
    (await h.events("bad")).includes(
      "BackoffLimitExceeded: Job has reached the specified backoff limit",
    ), { what: "the BackoffLimitExceeded event" });
});

Deno.test("Job controller replaces a failed pod after the 10 s backoff, within backoffLimit", async () => {
  let seen = 0;
  // The first pod fails, the next one succeeds.
  await using h = await start({
    finish: () => ++seen === 1 ? { phase: "Failed", exitCode: 1 } : { phase: "Succeeded" },
  });
  await h.api.client.resource(JOBS).create(newJob("retry", { backoffLimit: 1 }));
  const failed = await h.waitFor("retry", "one failure", (j) => j.status?.failed === 1);
  assert.deepEqual(conditions(failed), []);
  const done = await h.waitFor("retry", "Complete", (job) => isTrue(job, "Complete"), 30_000);
  assert.equal(done.status?.failed, 1);
  assert.equal(done.status?.succeeded, 1);
  const pods = await h.pods("retry");
  assert.equal(pods.length, 2);
  const [first, second] = pods;
  const firstFinished = Date.parse(
    first!.status!.containerStatuses![0]!.state!.terminated!.finishedAt!,
  );
  const replaced = Date.parse(second!.metadata!.creationTimestamp!);
  // Whole seconds on both sides: at least 9 s apart.
  assert.ok(replaced - firstFinished >= 9_000, `replaced ${replaced - firstFinished} ms after`);
});

Deno.test("Job controller fails a Job running past activeDeadlineSeconds and deletes its pods", async () => {
  await using h = await start();
  await h.api.client.resource(JOBS).create(
    newJob("slow", { completions: 2, parallelism: 2, activeDeadlineSeconds: 2 }),
  );
  await h.waitFor("slow", "2 active", (job) => job.status?.active === 2);
  const failed = await h.waitFor("slow", "Failed", (job) => isTrue(job, "Failed"), 20_000);
  assert.deepEqual(conditions(failed), [
    "FailureTarget=True/DeadlineExceeded",
    "Failed=True/DeadlineExceeded",
  ]);
  const started = Date.parse(failed.status!.startTime!);
  const target = Date.parse(failed.status!.conditions![0]!.lastTransitionTime!);
  assert.ok(target - started >= 2_000, `failed ${target - started} ms after start`);
  await until(async () => (await h.pods("slow")).length === 0, { what: "the pods deleted" });
  assert.equal(failed.status?.failed, 2);
  await until(async () =>
    (await h.events("slow")).includes(
      "DeadlineExceeded: Job was active longer than specified deadline",
    ), { what: "the DeadlineExceeded event" });
});

Deno.test("Job controller deletes a suspended Job's pods and starts again on resume", async () => {
  await using h = await start();
  const jobs = h.api.client.resource(JOBS);
  await jobs.create(newJob("pause", { completions: 4, parallelism: 2 }));
  const running = await h.waitFor("pause", "2 active", (job) => job.status?.active === 2);
  const firstPods = (await h.pods("pause")).map((p) => p.metadata?.name);
  await new Promise((resolve) => setTimeout(resolve, 1100));
  await jobs.patch("pause", { namespace: NS, type: "merge", body: { spec: { suspend: true } } });
  const suspended = await h.waitFor("pause", "Suspended", (job) => isTrue(job, "Suspended"));
  assert.equal(suspended.status?.conditions?.[0]?.reason, "JobSuspended");
  await until(async () => (await h.pods("pause")).length === 0, { what: "the pods deleted" });
  const quiet = await h.waitFor("pause", "no active", (job) => (job.status?.active ?? 0) === 0);
  assert.equal(quiet.status?.failed, undefined, "deleted for suspension is no failure");
  await jobs.patch("pause", { namespace: NS, type: "merge", body: { spec: { suspend: false } } });
  const resumed = await h.waitFor(
    "pause",
    "resumed",
    (job) =>
      (job.status?.conditions ?? []).some((c) => c.type === "Suspended" && c.status === "False") &&
      job.status?.active === 2,
  );
  assert.equal(resumed.status?.conditions?.[0]?.reason, "JobResumed");
  assert.ok(resumed.status!.startTime! > running.status!.startTime!, "startTime restarted");
  const newPods = (await h.pods("pause")).map((p) => p.metadata?.name);
  assert.equal(newPods.filter((n) => firstPods.includes(n)).length, 0);
  await until(async () => {
    const events = await h.events("pause");
    return events.includes("Suspended: Job suspended") && events.includes("Resumed: Job resumed");
  }, { what: "the Suspended and Resumed events" });
  const deletes = (await h.events("pause")).filter((e) => e.startsWith("SuccessfulDelete: "));
  assert.equal(deletes.length, 2);
});

Deno.test("ttl-after-finished deletes a finished Job and its pods after ttlSecondsAfterFinished", async () => {
  await using h = await start({ finish: succeedAfter(50), gc: true });
  await h.api.client.resource(JOBS).create(newJob("short", { ttlSecondsAfterFinished: 2 }));
  const done = await h.waitFor("short", "Complete", (job) => isTrue(job, "Complete"));
  const finishedAt = Date.parse(done.status!.completionTime!);
  assert.equal((await h.pods("short")).length, 1);
  await until(async () => {
    const list = await h.api.client.resource(JOBS).list({ namespace: NS });
    return !list.items.some((j) => j.metadata?.name === "short");
  }, { what: "the Job deleted", timeoutMs: 15_000 });
  // Whole seconds: the condition's time is truncated.
  assert.ok(Date.now() - finishedAt >= 2_000);
  await until(async () => (await h.pods("short")).length === 0, { what: "its pod deleted" });
});

/** Passes requests through until it crashes; then answers every one 503, as a dead process. */
class CrashingTransport implements Transport {
  readonly #inner: Transport;
  readonly #crashAfter: (method: string, body: unknown) => boolean;
  #crashed = false;

  /** `crashAfter`: whether this request is the last one to go through. */
  constructor(inner: Transport, crashAfter: (method: string, body: unknown) => boolean) {
    this.#inner = inner;
    this.#crashAfter = crashAfter;
  }

  get crashed(): boolean {
    return this.#crashed;
  }

  async request(method: string, path: string, options: TransportRequestOptions = {}) {
    if (this.#crashed) return this.#dead();
    const last = this.#crashAfter(method, options.body);
    const res = await this.#inner.request(method, path, options);
    if (last) this.#crashed = true;
    return res;
  }

  #dead(): Response {
    return Response.json({
      kind: "Status",
      apiVersion: "v1",
      status: "Failure",
      reason: "ServiceUnavailable",
      message: "the controller manager died",
      code: 503,
    }, { status: 503 });
  }
}

Deno.test("a new controller manager finishes a Job the old one left mid-count: exactly completions successes", async () => {
  await using h = await start({ finish: succeedAfter(200) });
  // Manager A dies right after removing the tracking finalizer of a succeeded pod (its second
  // removal), before it writes the count: the pod is only listed in uncountedTerminatedPods.
  await h.manager.stop();
  let removals = 0;
  const crashing = new CrashingTransport(h.api.transport, (method, body) =>
    method === "PATCH" &&
    JSON.stringify(body ?? null).includes("$deleteFromPrimitiveList/finalizers") &&
    ++removals === 2);
  h.manager = startManager(crashing);
  await h.api.client.resource(JOBS).create(newJob("chaos", { completions: 6, parallelism: 2 }));
  await until(() => crashing.crashed, { what: "manager A to die mid-Job", timeoutMs: 15_000 });
  await h.manager.stop();
  const left = await h.job("chaos");
  const uncounted = left.status?.uncountedTerminatedPods?.succeeded ?? [];
  const podsLeft = await h.pods("chaos");
  const unfinalized = podsLeft.filter((p) =>
    uncounted.includes(p.metadata?.uid ?? "") && !p.metadata?.finalizers
  );
  assert.ok(unfinalized.length >= 1, "a pod lost its finalizer without being counted");
  assert.ok((left.status?.succeeded ?? 0) + uncounted.length < 6);
  // Pods go on finishing while no controller runs.
  await new Promise((resolve) => setTimeout(resolve, 500));
  h.manager = startManager(h.api.transport);
  const done = await h.waitFor("chaos", "Complete", (job) => isTrue(job, "Complete"), 30_000);
  assert.equal(done.status?.succeeded, 6);
  assert.deepEqual(done.status?.uncountedTerminatedPods ?? {}, {});
  const pods = await h.pods("chaos");
  assert.equal(pods.length, 6, `pods: ${pods.map((p) => p.metadata?.name).join(", ")}`);
  assert.ok(pods.every((p) => p.status?.phase === "Succeeded" && !p.metadata?.finalizers));
});
