/**
 * The CronJob controller, as kube-controller-manager's `cronjob` controller (upstream's v2
 * controller): creates a CronJob's Jobs on its schedule and keeps its status.
 *
 * - Informer handlers only enqueue CronJob keys: a Job maps to the CronJob its controllerRef
 *   names (same uid). A change of a CronJob's schedule or time zone requeues it for its next
 *   activation; other changes sync it at once.
 * - `sync(key)` is level-triggered, from the caches: it deletes the oldest finished Jobs beyond
 *   `successfulJobsHistoryLimit` and `failedJobsHistoryLimit` (background propagation), drops
 *   finished and vanished Jobs from `status.active` (`SawCompletedJob`, `MissingJob`) and
 *   records `lastSuccessfulTime`; warns about unfinished Jobs it did not start
 *   (`UnexpectedJob`, e.g. `kubectl create job --from=cronjob/…`). Unless the CronJob is
 *   suspended or being deleted, it then starts the most recent activation since
 *   `lastScheduleTime` (or creation): only one after any downtime (`TooManyMissedTimes` past
 *   100 missed), none past `startingDeadlineSeconds` (`MissSchedule`), none while a Job runs
 *   under `concurrencyPolicy: Forbid` (`JobAlreadyActive`), after deleting the running ones
 *   under `Replace`. The Job is `<cronjob>-<scheduled time in minutes since the epoch>`, with
 *   the template's labels and annotations, the `batch.kubernetes.io/cronjob-scheduled-timestamp`
 *   annotation (RFC 3339 in the CronJob's zone) and a controllerRef to the CronJob
 *   (`SuccessfulCreate`); it joins `status.active` and `lastScheduleTime` moves on.
 * - Each sync requeues the CronJob for 100 ms after its next activation with the clock: one
 *   pending timer in the work queue per CronJob, nothing polls.
 * - The schedule runs in `spec.timeZone` (an IANA name), or the controller's local zone; a
 *   `TZ=`/`CRON_TZ=` prefix (refused by the API server on new CronJobs) still works, with an
 *   `UnsupportedSchedule` warning.
 *
 * @example Run it on shared informers
 * ```ts ignore
 * const controller = new CronJobController({
 *   client,
 *   cronJobInformer: informers.informerFor(CRON_JOBS),
 *   jobInformer: informers.informerFor(JOBS),
 *   recorder,
 *   clock,
 *   logger,
 * });
 * informers.start(signal);
 * await controller.run(signal);
 * ```
 *
 * @module
 */
import {
  type CronJob,
  CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION,
  type CronJobStatus,
  type Job,
} from "../api/types/batch_v1.ts";
import type { ObjectReference } from "../api/types/core_v1_common.ts";
import type { KubeObject } from "../api/types/meta_v1.ts";
import type { Client, ResourceClient } from "../client/client.ts";
import { isAlreadyExists, isNotFound } from "../client/errors.ts";
import type { EventRecorder, EventType } from "../client/event_recorder.ts";
import { CRON_JOBS, JOBS } from "../client/resources.ts";
import { metaNamespaceKey, splitMetaNamespaceKey } from "../client/store.ts";
import type { WorkQueue } from "../client/workqueue.ts";
import type { Clock } from "../util/clock.ts";
import { type CronSchedule, parseCronSchedule } from "../util/cron_schedule.ts";
import type { Logger } from "../util/logger.ts";
import { loadLocationError, localTimeZoneName, TimeZone } from "../util/time_zone.ts";
import { ownedObjectHandler, ownerHandler } from "./_controller_handlers.ts";
import { addMissingIndexers, ControllerLoop, type InformerLike } from "./_controller_loop.ts";
import { nextScheduleDelayMs, nextScheduleTime } from "./_cron_job_times.ts";
import { errorText } from "./_errors.ts";
import { parseTime, rfc3339 } from "./_rfc3339.ts";
import type { ControllerContext, RunnableController } from "./controller_manager.ts";
import {
  type ControllerKind,
  getControllerOf,
  newControllerRef,
} from "./controller_ref_manager.ts";
import { OwnerLookup } from "./owner_lookup.ts";
import { isNamespaceTerminating } from "./pod_control.ts";

/** The controller's name in logs and in the controller manager's list. */
export const CRON_JOB_CONTROLLER_NAME = "cronjob";

/** The component its events name as their source. */
export const CRON_JOB_CONTROLLER_COMPONENT = "cronjob-controller";

/** The kind the controller manages. */
export const CRON_JOB_KIND: ControllerKind = { apiVersion: "batch/v1", kind: "CronJob" };

/** Index of Jobs by the `namespace/name` of the CronJob their controllerRef names. */
export const JOB_CRON_JOB_INDEX = "cronJobController";

/** The Jobs' index: a Job controlled by a CronJob is filed under `namespace/<cronjob>`. */
export function indexJobsByCronJob(job: KubeObject): readonly string[] {
  const ref = getControllerOf(job);
  if (!ref || ref.kind !== CRON_JOB_KIND.kind) return [];
  return [`${job.metadata?.namespace ?? ""}/${ref.name}`];
}

/** The name of the Job for the activation at `scheduledMs`: `<cronjob>-<minutes since epoch>`. */
export function getJobName(cj: CronJob, scheduledMs: number): string {
  return `${cj.metadata?.name ?? ""}-${Math.floor(scheduledMs / 60_000)}`;
}

/** The schedule as the controller parses it: `TZ=<spec.timeZone> <schedule>` when a zone is set. */
export function formatSchedule(cj: CronJob): string {
  const schedule = cj.spec?.schedule ?? "";
  const zone = cj.spec?.timeZone;
  if (schedule.includes("TZ") || zone === undefined || loadLocationError(zone) !== null) {
    return schedule;
  }
  return `TZ=${zone} ${schedule}`;
}

/** What {@linkcode jobFromTemplate} needs besides the CronJob. */
export interface JobFromTemplateInput {
  /** The activation the Job is for. */
  readonly scheduledMs: number;
  /** The zone `spec.timeZone: Local` stands for. @default {the process's time zone} */
  readonly localTimeZone?: string;
}

/**
 * The Job a CronJob starts for an activation (upstream `getJobFromTemplate2`).
 *
 * @throws {RangeError} when the CronJob's time zone does not load.
 */
export function jobFromTemplate(cj: CronJob, input: JobFromTemplateInput): Job {
  const { scheduledMs, localTimeZone } = input;
  const template = cj.spec?.jobTemplate;
  const zone = new TimeZone(
    cj.spec?.timeZone ?? "",
    localTimeZone !== undefined ? { local: localTimeZone } : {},
  );
  const annotations: Record<string, string> = {
    ...template?.metadata?.annotations,
    [CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION]: zone.formatRfc3339(scheduledMs),
  };
  const labels = { ...template?.metadata?.labels };
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: getJobName(cj, scheduledMs),
      namespace: cj.metadata?.namespace ?? "",
      ...(Object.keys(labels).length > 0 ? { labels } : {}),
      annotations,
      creationTimestamp: rfc3339(scheduledMs),
      ownerReferences: [newControllerRef(cj, CRON_JOB_KIND)],
    },
    spec: structuredClone(template?.spec ?? { template: {} }),
  };
}

/** A finished Job's `Complete` or `Failed` condition type (upstream `FinishedCondition`). */
export function finishedCondition(job: Job): "Complete" | "Failed" | undefined {
  for (const c of job.status?.conditions ?? []) {
    if ((c.type === "Complete" || c.type === "Failed") && c.status === "True") return c.type;
  }
  return undefined;
}

function isJobSucceeded(job: Job): boolean {
  return job.status?.conditions?.some((c) => c.type === "Complete" && c.status === "True") ??
    false;
}

/** Oldest first by `status.startTime` (unstarted last), then by name (upstream `byJobStartTime`). */
export function sortJobsByStartTime(jobs: readonly Job[]): Job[] {
  return [...jobs].sort((a, b) => {
    const sa = parseTime(a.status?.startTime);
    const sb = parseTime(b.status?.startTime);
    if (sa === null && sb !== null) return 1;
    if (sa !== null && sb === null) return -1;
    if (sa === sb) {
      const na = a.metadata?.name ?? "";
      const nb = b.metadata?.name ?? "";
      return na < nb ? -1 : na > nb ? 1 : 0;
    }
    return sa! - sb!;
  });
}

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** `ms` in UTC as Go's `time.RFC1123Z`: `Tue, 01 Apr 2025 12:00:00 +0000`. */
export function rfc1123z(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${WEEKDAYS[d.getUTCDay()]}, ${pad(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${
    String(d.getUTCFullYear()).padStart(4, "0")
  } ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

/** What {@linkcode CronJobController} works with. */
export interface CronJobControllerDeps {
  /** Creates and deletes Jobs, reads past the caches, writes CronJob status. */
  readonly client: Client;
  readonly cronJobInformer: InformerLike<CronJob>;
  readonly jobInformer: InformerLike<Job>;
  /** Records events as `cronjob-controller`. */
  readonly recorder: EventRecorder;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** Options of {@linkcode CronJobController}. */
export interface CronJobControllerOptions {
  /** Syncs at once (upstream `--concurrent-cron-job-syncs`). @default {5} */
  readonly workers?: number;
  /**
   * The zone of CronJobs without `spec.timeZone` (kube-controller-manager's local time).
   * @default {the process's time zone}
   */
  readonly localTimeZone?: string;
}

/** A CronJob being synced: a private copy to change, and whether its status must be written. */
interface SyncState {
  cj: CronJob;
  /** The status the copy started from, as JSON. */
  baseStatus: string;
  updateStatus: boolean;
}

/** Parsed schedules kept at most (a CronJob's schedule rarely changes). */
const SCHEDULE_CACHE_SIZE = 1024;

/** Creates each CronJob's Jobs on its schedule. */
export class CronJobController {
  readonly #deps: CronJobControllerDeps;
  readonly #cronJobs: ResourceClient<CronJob>;
  readonly #jobs: ResourceClient<Job>;
  readonly #loop: ControllerLoop;
  readonly #queue: WorkQueue<string>;
  readonly #logger: Logger;
  readonly #localTimeZone: string;
  readonly #schedules = new Map<string, CronSchedule | SyntaxError | RangeError>();

  constructor(deps: CronJobControllerDeps, options: CronJobControllerOptions = {}) {
    this.#deps = deps;
    this.#cronJobs = deps.client.resource(CRON_JOBS);
    this.#jobs = deps.client.resource(JOBS);
    this.#logger = deps.logger.with({ controller: CRON_JOB_CONTROLLER_NAME });
    this.#loop = new ControllerLoop({
      name: CRON_JOB_CONTROLLER_NAME,
      workers: options.workers ?? 5,
      clock: deps.clock,
      logger: deps.logger,
    });
    this.#queue = this.#loop.queue;
    this.#localTimeZone = options.localTimeZone ?? localTimeZoneName();
    addMissingIndexers(deps.jobInformer, { [JOB_CRON_JOB_INDEX]: indexJobsByCronJob });
    this.#loop.handle(deps.cronJobInformer, {
      ...ownerHandler<CronJob>({ queue: this.#queue }),
      update: (old, cur) => this.#onCronJobUpdate(old, cur),
    });
    // A Job maps to the CronJob its controllerRef names; an orphan Job is never adopted.
    this.#loop.handle(
      deps.jobInformer,
      ownedObjectHandler<Job, CronJob>({
        owners: new OwnerLookup({ store: deps.cronJobInformer.store, kind: CRON_JOB_KIND }),
        queue: this.#queue,
        adoptOrphans: false,
      }),
    );
  }

  /** The keys waiting to be synced. */
  get queue(): WorkQueue<string> {
    return this.#queue;
  }

  /** Waits for the caches, then syncs queued keys until `signal` aborts. Runs once. */
  async run(signal: AbortSignal): Promise<void> {
    await this.#loop.run(signal, {
      sync: (key) => this.sync(key),
      waitFor: [this.#deps.jobInformer, this.#deps.cronJobInformer],
    });
  }

  // --- event handlers: only enqueue keys ------------------------------------------------------

  #onCronJobUpdate(old: CronJob, cur: CronJob): void {
    const key = metaNamespaceKey(cur);
    if (
      old.spec?.schedule === cur.spec?.schedule && old.spec?.timeZone === cur.spec?.timeZone
    ) {
      // Anything else changed: sync now (a change within the starting deadline still counts).
      this.#queue.add(key);
      return;
    }
    // A new schedule: wait for its next activation (an earlier pending requeue still fires).
    const schedule = this.#schedule(formatSchedule(cur));
    if (!("next" in schedule)) {
      this.#logger.debug("Unparseable schedule for cronjob", {
        cronjob: key,
        schedule: cur.spec?.schedule,
        error: schedule,
      });
      this.#event(cur, {
        type: "Warning",
        reason: "UnParseableCronJobSchedule",
        message: `unparseable schedule for cronjob: ${cur.spec?.schedule ?? ""}`,
      });
      return;
    }
    const delayMs = nextScheduleDelayMs(cur, { nowMs: this.#deps.clock.now(), schedule });
    this.#queue.addAfter(key, delayMs ?? 0);
  }

  // --- helpers ----------------------------------------------------------------------------

  #event(
    cj: CronJob,
    record: { readonly type: EventType; readonly reason: string; readonly message: string },
  ): void {
    const object = cj.kind ? cj : { ...cj, apiVersion: "batch/v1", kind: "CronJob" };
    this.#deps.recorder.event(object, record);
  }

  /** The parsed schedule (cached), or the parse error. */
  #schedule(spec: string): CronSchedule | SyntaxError | RangeError {
    let parsed = this.#schedules.get(spec);
    if (parsed !== undefined) return parsed;
    try {
      parsed = parseCronSchedule(spec, { localTimeZone: this.#localTimeZone });
    } catch (err) {
      if (!(err instanceof SyntaxError || err instanceof RangeError)) throw err;
      parsed = err;
    }
    if (this.#schedules.size >= SCHEDULE_CACHE_SIZE) this.#schedules.clear();
    this.#schedules.set(spec, parsed);
    return parsed;
  }

  /** The Jobs whose controllerRef names the CronJob (upstream matches the name only). */
  #jobsOf(cj: CronJob): Job[] {
    return this.#deps.jobInformer.store.byIndex(JOB_CRON_JOB_INDEX, metaNamespaceKey(cj));
  }

  // --- sync -----------------------------------------------------------------------------------

  /**
   * Converges the CronJob `key` (`namespace/name`) and requeues it for its next activation.
   * Throws to be retried with backoff (a failed read, create, delete or status write).
   */
  async sync(key: string): Promise<void> {
    const cached = this.#deps.cronJobInformer.store.get(key);
    if (!cached) {
      this.#logger.debug("CronJob not found, may be it is deleted", { cronjob: key });
      return;
    }
    const jobs = this.#jobsOf(cached);
    const state: SyncState = {
      cj: structuredClone(cached) as CronJob,
      baseStatus: JSON.stringify(cached.status ?? {}),
      updateStatus: false,
    };
    await this.#cleanupFinishedJobs(state, jobs);
    let requeueMs: number | null = null;
    let syncError: unknown = undefined;
    try {
      requeueMs = await this.#syncCronJob(state, jobs);
    } catch (err) {
      syncError = err;
      this.#logger.debug("Error reconciling cronjob", { cronjob: key, error: err });
    }
    if (state.updateStatus && JSON.stringify(state.cj.status ?? {}) !== state.baseStatus) {
      try {
        await this.#cronJobs.updateStatus(state.cj);
      } catch (err) {
        this.#logger.debug("Unable to update status for cronjob", {
          cronjob: key,
          resourceVersion: state.cj.metadata?.resourceVersion,
          error: err,
        });
        throw err;
      }
    }
    if (requeueMs !== null) {
      this.#logger.debug("Re-queuing cronjob", { cronjob: key, requeueAfterMs: requeueMs });
      this.#queue.addAfter(key, requeueMs);
      return;
    }
    if (syncError !== undefined) throw syncError;
  }

  /** Deletes the oldest finished Jobs beyond the history limits (upstream `cleanupFinishedJobs`). */
  async #cleanupFinishedJobs(state: SyncState, jobs: readonly Job[]): Promise<void> {
    const spec = state.cj.spec;
    const successfulLimit = spec?.successfulJobsHistoryLimit;
    const failedLimit = spec?.failedJobsHistoryLimit;
    if (successfulLimit === undefined && failedLimit === undefined) return;
    const successful = jobs.filter((j) => finishedCondition(j) === "Complete");
    const failed = jobs.filter((j) => finishedCondition(j) === "Failed");
    if (successfulLimit !== undefined) {
      await this.#removeOldestJobs(state, successful, successfulLimit);
    }
    if (failedLimit !== undefined) await this.#removeOldestJobs(state, failed, failedLimit);
  }

  async #removeOldestJobs(state: SyncState, jobs: readonly Job[], keep: number): Promise<void> {
    const count = jobs.length - keep;
    if (count <= 0) return;
    this.#logger.debug("Cleaning up jobs from CronJob list", {
      cronjob: metaNamespaceKey(state.cj),
      deleteJobs: count,
      jobs: jobs.length,
    });
    for (const job of sortJobsByStartTime(jobs).slice(0, count)) {
      if (await this.#deleteJob(state, job)) state.updateStatus = true;
    }
  }

  /** Deletes a Job (its pods in the background) and drops it from `status.active`. */
  async #deleteJob(state: SyncState, job: Job): Promise<boolean> {
    const { namespace, name } = splitMetaNamespaceKey(metaNamespaceKey(job));
    try {
      await this.#jobs.delete(name, { namespace, propagationPolicy: "Background" });
    } catch (err) {
      this.#event(state.cj, {
        type: "Warning",
        reason: "FailedDelete",
        message: `Deleted job: ${errorText(err)}`,
      });
      this.#logger.error("Error deleting job from cronjob", {
        job: `${namespace}/${name}`,
        cronjob: metaNamespaceKey(state.cj),
        error: err,
      });
      return false;
    }
    removeFromActive(state.cj, job.metadata?.uid ?? "");
    this.#event(state.cj, {
      type: "Normal",
      reason: "SuccessfulDelete",
      message: `Deleted job ${name}`,
    });
    return true;
  }

  /** Upstream `syncCronJob`: the requeue delay, or `null` for none. */
  async #syncCronJob(state: SyncState, jobs: readonly Job[]): Promise<number | null> {
    const nowMs = this.#deps.clock.now();
    const children = new Set<string>();
    for (const job of jobs) {
      const uid = job.metadata?.uid ?? "";
      children.add(uid);
      const found = inActive(state.cj, uid);
      const finished = finishedCondition(job);
      if (!found && finished === undefined) {
        // Not ours as far as the cache knows: look at the CronJob as it is now.
        const { namespace, name } = splitMetaNamespaceKey(metaNamespaceKey(state.cj));
        const fresh = await this.#cronJobs.get(name, { namespace });
        if (inActive(fresh, uid)) {
          state.cj = fresh;
          state.baseStatus = JSON.stringify(fresh.status ?? {});
          continue;
        }
        this.#event(state.cj, {
          type: "Warning",
          reason: "UnexpectedJob",
          message: `Saw a job that the controller did not create or forgot: ${job.metadata?.name}`,
        });
      } else if (finished !== undefined) {
        if (found) {
          removeFromActive(state.cj, uid);
          this.#event(state.cj, {
            type: "Normal",
            reason: "SawCompletedJob",
            message: `Saw completed job: ${job.metadata?.name}, condition: ${finished}`,
          });
          state.updateStatus = true;
        }
        if (isJobSucceeded(job)) {
          const completed = parseTime(job.status?.completionTime);
          const last = parseTime(state.cj.status?.lastSuccessfulTime);
          if (last === null || (completed !== null && completed > last)) {
            const status = statusOf(state.cj);
            if (job.status?.completionTime !== undefined) {
              status.lastSuccessfulTime = job.status.completionTime;
            } else {
              delete status.lastSuccessfulTime;
            }
            state.updateStatus = true;
          }
        }
      }
    }

    // Active Jobs that are gone (checked past the cache) leave the list.
    for (const ref of [...(state.cj.status?.active ?? [])]) {
      if (children.has(ref.uid ?? "")) continue;
      try {
        await this.#jobs.get(ref.name ?? "", { namespace: ref.namespace ?? "" });
      } catch (err) {
        if (!isNotFound(err)) throw err;
        this.#event(state.cj, {
          type: "Normal",
          reason: "MissingJob",
          message: `Active job went missing: ${ref.name}`,
        });
        removeFromActive(state.cj, ref.uid ?? "");
        state.updateStatus = true;
      }
    }

    const cj = state.cj;
    const key = metaNamespaceKey(cj);
    if (cj.metadata?.deletionTimestamp) return null;

    const zone = cj.spec?.timeZone;
    if (zone !== undefined) {
      const zoneError = loadLocationError(zone);
      if (zoneError !== null) {
        this.#logger.debug("Not starting job because timeZone is invalid", {
          cronjob: key,
          timeZone: zone,
          error: zoneError,
        });
        this.#event(cj, {
          type: "Warning",
          reason: "UnknownTimeZone",
          message: `invalid timeZone: ${JSON.stringify(zone)}: ${zoneError}`,
        });
        return null;
      }
    }

    if (cj.spec?.suspend === true) {
      this.#logger.debug("Not starting job because the cron is suspended", { cronjob: key });
      return null;
    }

    const scheduleText = cj.spec?.schedule ?? "";
    if (scheduleText.includes("TZ")) {
      this.#event(cj, {
        type: "Warning",
        reason: "UnsupportedSchedule",
        message: `CRON_TZ or TZ used in schedule ${
          JSON.stringify(scheduleText)
        } is not officially supported, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details`,
      });
    }
    const schedule = this.#schedule(formatSchedule(cj));
    if (!("next" in schedule)) {
      this.#logger.debug("Unparseable schedule", {
        cronjob: key,
        schedule: scheduleText,
        error: schedule,
      });
      this.#event(cj, {
        type: "Warning",
        reason: "UnparseableSchedule",
        message: `unparseable schedule: ${JSON.stringify(scheduleText)} : ${schedule.message}`,
      });
      return null;
    }
    const input = { nowMs, schedule };
    const due = nextScheduleTime(cj, input);
    if (due.tooManyMissed) {
      this.#event(cj, {
        type: "Warning",
        reason: "TooManyMissedTimes",
        message:
          "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew",
      });
      this.#logger.info("too many missed times", { cronjob: key });
    }
    if (due.error !== undefined) {
      this.#logger.debug("Invalid schedule", {
        cronjob: key,
        schedule: scheduleText,
        error: due.error,
      });
      this.#event(cj, {
        type: "Warning",
        reason: "InvalidSchedule",
        message: `invalid schedule: ${scheduleText} : ${due.error}`,
      });
      return null;
    }
    const scheduledMs = due.scheduledMs;
    if (scheduledMs === null) {
      this.#logger.debug("No unmet start times", { cronjob: key });
      return nextScheduleDelayMs(cj, input);
    }

    const deadlineSeconds = cj.spec?.startingDeadlineSeconds;
    if (deadlineSeconds !== undefined && scheduledMs + deadlineSeconds * 1000 < nowMs) {
      this.#logger.debug("Missed starting window", { cronjob: key });
      this.#event(cj, {
        type: "Warning",
        reason: "MissSchedule",
        message: `Missed scheduled time to start a job: ${rfc1123z(scheduledMs)}`,
      });
      return nextScheduleDelayMs(cj, input);
    }

    const jobName = getJobName(cj, scheduledMs);
    const namespace = cj.metadata?.namespace ?? "";
    if (
      (cj.status?.active ?? []).some((r) => r.name === jobName && r.namespace === namespace) ||
      parseTime(cj.status?.lastScheduleTime) === scheduledMs
    ) {
      this.#logger.debug("Not starting job because the scheduled time is already processed", {
        cronjob: key,
        schedule: rfc3339(scheduledMs),
      });
      return nextScheduleDelayMs(cj, input);
    }

    const policy = cj.spec?.concurrencyPolicy ?? "Allow";
    if (policy === "Forbid" && (cj.status?.active?.length ?? 0) > 0) {
      this.#logger.debug(
        "Not starting job because prior execution is still running and concurrency policy is Forbid",
        { cronjob: key },
      );
      this.#event(cj, {
        type: "Normal",
        reason: "JobAlreadyActive",
        message:
          "Not starting job because prior execution is running and concurrency policy is Forbid",
      });
      return nextScheduleDelayMs(cj, input);
    }
    if (policy === "Replace") {
      for (const ref of [...(cj.status?.active ?? [])]) {
        this.#logger.debug("Deleting job that was still running at next scheduled start time", {
          job: `${ref.namespace}/${ref.name}`,
        });
        let job: Job;
        try {
          job = await this.#jobs.get(ref.name ?? "", { namespace: ref.namespace ?? "" });
        } catch (err) {
          this.#event(cj, {
            type: "Warning",
            reason: "FailedGet",
            message: `Get job: ${errorText(err)}`,
          });
          throw err;
        }
        if (!(await this.#deleteJob(state, job))) {
          throw new Error(`Cannot replace job "${ref.namespace}/${ref.name}"`);
        }
        state.updateStatus = true;
      }
    }

    let created: Job;
    const request = jobFromTemplate(cj, { scheduledMs, localTimeZone: this.#localTimeZone });
    try {
      created = await this.#jobs.create(request, { namespace });
      this.#logger.debug("Created Job", { job: `${namespace}/${jobName}`, cronjob: key });
      this.#event(cj, {
        type: "Normal",
        reason: "SuccessfulCreate",
        message: `Created job ${created.metadata?.name}`,
      });
    } catch (err) {
      // In a namespace being deleted every creation fails: nothing to report.
      if (isNamespaceTerminating(err)) throw err;
      if (!isAlreadyExists(err)) {
        this.#event(cj, {
          type: "Warning",
          reason: "FailedCreate",
          message: `Error creating job: ${errorText(err)}`,
        });
        throw err;
      }
      // Created earlier (the status write after it failed), or by someone else.
      created = await this.#jobs.get(jobName, { namespace });
      if (getControllerOf(created)?.uid !== cj.metadata?.uid) return null;
      if (inActive(cj, created.metadata?.uid ?? "")) return null;
      this.#logger.info("Job already exists", { cronjob: key, job: `${namespace}/${jobName}` });
    }

    const status = statusOf(cj);
    status.active = [...(status.active ?? []), jobReference(created)];
    status.lastScheduleTime = rfc3339(scheduledMs);
    state.updateStatus = true;
    return nextScheduleDelayMs(cj, input);
  }
}

function statusOf(cj: CronJob): CronJobStatus {
  return cj.status ??= {};
}

function inActive(cj: CronJob, uid: string): boolean {
  return cj.status?.active?.some((ref) => ref.uid === uid) ?? false;
}

function removeFromActive(cj: CronJob, uid: string): void {
  const active = cj.status?.active;
  if (!active) return;
  const kept = active.filter((ref) => ref.uid !== uid);
  // An empty list is left out, as upstream's omitempty.
  if (kept.length > 0) cj.status!.active = kept;
  else delete cj.status!.active;
}

/** An object reference to a Job (client-go `reference.GetReference`). */
function jobReference(job: Job): ObjectReference {
  return {
    kind: "Job",
    namespace: job.metadata?.namespace ?? "",
    name: job.metadata?.name ?? "",
    uid: job.metadata?.uid ?? "",
    apiVersion: "batch/v1",
    resourceVersion: job.metadata?.resourceVersion ?? "",
  };
}

/** Builds the CronJob controller for one term of the controller manager. */
export function cronJobController(context: ControllerContext): RunnableController {
  return new CronJobController({
    client: context.client,
    cronJobInformer: context.informers.informerFor(CRON_JOBS),
    jobInformer: context.informers.informerFor(JOBS),
    recorder: context.recorder(CRON_JOB_CONTROLLER_COMPONENT),
    clock: context.clock,
    logger: context.logger,
  });
}
