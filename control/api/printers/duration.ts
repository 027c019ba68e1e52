/**
 * Human-readable durations as `kubectl get` shows them in AGE-like columns, with the same
 * rounding and thresholds as apimachinery's `util/duration` (`HumanDuration`,
 * `ShortHumanDuration`).
 *
 * Both take milliseconds. A duration a little below zero (down to 2 s of clock skew, excluded)
 * prints as `0s`; further below zero it prints as `<invalid>`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { humanDuration, shortHumanDuration } from "./duration.ts";
 *
 * assert.equal(humanDuration(5 * 60_000), "5m");
 * assert.equal(humanDuration(51 * 3_600_000), "2d3h");
 * assert.equal(shortHumanDuration(51 * 3_600_000), "2d");
 * ```
 *
 * @module
 */

const SECOND_MS = 1_000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;
const DAYS_PER_YEAR = 365;

/** Whole units in `ms`, truncated toward zero (as Go's integer division of durations). */
function whole(ms: number, unitMs: number): number {
  return Math.trunc(ms / unitMs);
}

/** Returns `<invalid>` or `0s` for negative durations, `undefined` otherwise. */
function negative(ms: number): string | undefined {
  const seconds = whole(ms, SECOND_MS);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  return undefined;
}

/**
 * A duration with two or three significant figures: `90s`, `5m30s`, `45m`, `3h20m`, `20h`,
 * `2d3h`, `30d`, `3y20d`, `10y`.
 */
export function humanDuration(ms: number): string {
  if (!Number.isFinite(ms)) return "<invalid>";
  const neg = negative(ms);
  if (neg !== undefined) return neg;
  const seconds = whole(ms, SECOND_MS);
  if (seconds < 120) return `${seconds}s`;
  const minutes = whole(ms, MINUTE_MS);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 180) return `${minutes}m`;
  const hours = whole(ms, HOUR_MS);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  const days = Math.trunc(hours / 24);
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${days}d` : `${days}d${h}h`;
  }
  if (hours < 24 * DAYS_PER_YEAR * 2) return `${days}d`;
  const years = Math.trunc(days / DAYS_PER_YEAR);
  if (hours < 24 * DAYS_PER_YEAR * 8) {
    const d = days % DAYS_PER_YEAR;
    return d === 0 ? `${years}y` : `${years}y${d}d`;
  }
  return `${years}y`;
}

/** A duration in its largest whole unit: `59s`, `59m`, `23h`, `364d`, `2y`. */
export function shortHumanDuration(ms: number): string {
  if (!Number.isFinite(ms)) return "<invalid>";
  const neg = negative(ms);
  if (neg !== undefined) return neg;
  const seconds = whole(ms, SECOND_MS);
  if (seconds < 60) return `${seconds}s`;
  const minutes = whole(ms, MINUTE_MS);
  if (minutes < 60) return `${minutes}m`;
  const hours = whole(ms, HOUR_MS);
  if (hours < 24) return `${hours}h`;
  if (hours < 24 * DAYS_PER_YEAR) return `${Math.trunc(hours / 24)}d`;
  return `${Math.trunc(ms / HOUR_MS / 24 / DAYS_PER_YEAR)}y`;
}
