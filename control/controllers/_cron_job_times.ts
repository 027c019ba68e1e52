/**
 * When a CronJob is due, as upstream's `mostRecentScheduleTime`, `nextScheduleTime` and
 * `nextScheduleTimeDuration` (pkg/controller/cronjob/utils.go) decide it:
 *
 * - The schedule runs from the last scheduled time (`status.lastScheduleTime`), or the
 *   CronJob's creation when it has none — and, when a sync asks, no earlier than
 *   `startingDeadlineSeconds` before now.
 * - Of the activations missed since then only the most recent one counts: after a long
 *   downtime one Job starts, not one per missed run. The count of missed runs is estimated
 *   from the interval between the first two; more than 100 is "many" (the controller warns).
 * - Two activations less than a second apart (a schedule such as `0 0 31 2 *` that never
 *   fires) are an error.
 * - The next sync is due 100 ms after the next activation (against clock skew).
 *
 * @module
 */
import type { CronJob } from "../api/types/batch_v1.ts";
import type { CronSchedule } from "../util/cron_schedule.ts";
import { parseTime } from "./_rfc3339.ts";

/** How long after an activation the controller syncs (upstream `nextScheduleDelta`). */
export const NEXT_SCHEDULE_DELTA_MS = 100;

/** More missed activations than this are reported (`TooManyMissedTimes`). */
export const MANY_MISSED_SCHEDULES = 100;

/** How many activations were missed: none, a few, or more than 100. */
export type MissedSchedules = "none" | "few" | "many";

/** What {@linkcode mostRecentScheduleTime} found. */
export interface ScheduleTimes {
  /** Where the schedule was read from: last schedule, creation, or the starting deadline. */
  readonly earliestMs: number;
  /** The most recent activation at or before now, if any. */
  readonly mostRecentMs: number | null;
  readonly missed: MissedSchedules;
  /** Set when the schedule's activations are less than a second apart. */
  readonly error?: string;
}

/** What the schedule computations need besides the CronJob. */
export interface ScheduleInput {
  readonly nowMs: number;
  readonly schedule: CronSchedule;
}

/** Options of {@linkcode mostRecentScheduleTime}. */
export interface MostRecentScheduleInput extends ScheduleInput {
  /** Start no earlier than `startingDeadlineSeconds` before now. */
  readonly includeStartingDeadline: boolean;
}

/** The most recent activation of `cj`'s schedule at or before now (upstream's estimate). */
export function mostRecentScheduleTime(
  cj: CronJob,
  input: MostRecentScheduleInput,
): ScheduleTimes {
  const { nowMs, schedule } = input;
  let earliestMs = parseTime(cj.status?.lastScheduleTime) ??
    parseTime(cj.metadata?.creationTimestamp) ?? 0;
  const deadlineSeconds = cj.spec?.startingDeadlineSeconds;
  if (input.includeStartingDeadline && deadlineSeconds !== undefined) {
    // Nothing earlier than this is started any more.
    earliestMs = Math.max(earliestMs, nowMs - deadlineSeconds * 1000);
  }
  const t1 = schedule.next(earliestMs);
  const t2 = t1 === null ? null : schedule.next(t1);
  if (t1 !== null && nowMs < t1) return { earliestMs, mostRecentMs: null, missed: "none" };
  if (t1 !== null && t2 !== null && nowMs < t2) {
    return { earliestMs, mostRecentMs: t1, missed: "none" };
  }
  const intervalSeconds = t1 === null || t2 === null ? 0 : Math.round((t2 - t1) / 1000);
  if (t1 === null || intervalSeconds < 1) {
    return {
      earliestMs,
      mostRecentMs: null,
      missed: "none",
      error: "time difference between two schedules is less than 1 second",
    };
  }
  // Estimate how many activations fit between the first and now, then let the schedule find
  // the most recent one from two intervals before the estimate (irregular schedules such as
  // `30 6-16/4 * * 1-5` have no single interval).
  const elapsedSeconds = Math.trunc((nowMs - t1) / 1000);
  const missedCount = Math.trunc(elapsedSeconds / intervalSeconds) + 1;
  let mostRecentMs: number | null = null;
  const from = t1 + (missedCount - 2) * intervalSeconds * 1000;
  for (let t = schedule.next(from); t !== null && t <= nowMs; t = schedule.next(t)) {
    mostRecentMs = t;
  }
  const missed: MissedSchedules = missedCount > MANY_MISSED_SCHEDULES
    ? "many"
    : missedCount > 0
    ? "few"
    : "none";
  return { earliestMs, mostRecentMs, missed };
}

/** What {@linkcode nextScheduleTime} found. */
export interface NextScheduleTime {
  /** The activation to start now, if one is due. */
  readonly scheduledMs: number | null;
  /** More than 100 activations were missed. */
  readonly tooManyMissed: boolean;
  readonly error?: string;
}

/**
 * The activation a sync should start now, if any (upstream `nextScheduleTime`): the most
 * recent one since the last, within the starting deadline.
 */
export function nextScheduleTime(cj: CronJob, input: ScheduleInput): NextScheduleTime {
  const times = mostRecentScheduleTime(cj, { ...input, includeStartingDeadline: true });
  const error = times.error !== undefined ? { error: times.error } : {};
  if (times.mostRecentMs === null || times.mostRecentMs > input.nowMs) {
    return { scheduledMs: null, tooManyMissed: false, ...error };
  }
  return { scheduledMs: times.mostRecentMs, tooManyMissed: times.missed === "many", ...error };
}

/**
 * How long until the sync after the next activation (upstream `nextScheduleTimeDuration`):
 * 100 ms past the activation after the most recent one (or after now, when runs were missed
 * or the schedule is broken). `null` when the schedule has no next activation.
 */
export function nextScheduleDelayMs(cj: CronJob, input: ScheduleInput): number | null {
  const { nowMs, schedule } = input;
  const times = mostRecentScheduleTime(cj, { ...input, includeStartingDeadline: false });
  let fromMs: number;
  if (times.error !== undefined) fromMs = nowMs;
  else if (times.mostRecentMs !== null) fromMs = times.mostRecentMs;
  else fromMs = times.missed === "none" ? times.earliestMs : nowMs;
  const next = schedule.next(fromMs);
  return next === null ? null : next + NEXT_SCHEDULE_DELTA_MS - nowMs;
}
