/**
 * CronJob schedules: robfig/cron v3's standard parser (`cron.ParseStandard`), which the API
 * server validates `spec.schedule` with, and its `Next` computation, which the CronJob
 * controller runs by.
 *
 * - Five fields — minute, hour, day of month, month, day of week — each a comma-separated list
 *   of `*`, `?`, `n`, `a-b`, `*\/step`, `a/step` (`a` to the maximum) or `a-b/step`; months and
 *   days of week also by name (`JAN`, `mon`, any case). Day of week runs 0 (Sunday) to 6.
 * - Day of month and day of week: when either is `*` or `?` (a `*\/1` step keeps that meaning,
 *   a larger step drops it) both must match, otherwise either may (`0 0 1,15 * MON` runs on
 *   the 1st, the 15th and every Monday).
 * - Macros `@yearly`/`@annually`, `@monthly`, `@weekly` (Sundays), `@daily`/`@midnight`,
 *   `@hourly`, and `@every <Go duration>` (whole seconds, at least one; not aligned to the
 *   clock: each run is that long after the previous one).
 * - An optional `TZ=<zone> ` or `CRON_TZ=<zone> ` prefix (the API server refuses it on new
 *   CronJobs; the controller still honours it on old ones). Without it the schedule runs in
 *   the local time zone given to the parser.
 * - {@linkcode CronSchedule.next} walks month, day, hour, minute as robfig/cron does, in the
 *   zone's wall time: an hour a DST gap skips never matches (a `30 2 * * *` job does not run
 *   that night), an hour that repeats matches twice, and a midnight that does not exist is
 *   handled. It answers `null` when nothing matches within five years (`0 0 30 2 *`).
 *
 * Parse errors are SyntaxErrors (RangeErrors for an unknown zone) carrying the library's own
 * messages, which the API server returns in field errors and the controller puts in events:
 * `expected exactly 5 fields, found 4: [* * * *]`.
 *
 * @example The next run of a weekday schedule in Berlin
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCronSchedule } from "./cron_schedule.ts";
 *
 * const schedule = parseCronSchedule("TZ=Europe/Berlin 30 8 * * MON-FRI");
 * const friday = Date.parse("2024-03-29T07:30:00Z"); // 08:30 CET, a Friday
 * // The next weekday is Monday, after the switch to summer time.
 * assert.equal(new Date(schedule.next(friday)!).toISOString(), "2024-04-01T06:30:00.000Z");
 * ```
 *
 * @module
 */
import { parseGoDuration } from "./_go_duration.ts";
import { TimeZone } from "./time_zone.ts";

/** A parsed schedule. */
export interface CronSchedule {
  /**
   * The first activation strictly after `afterMs` (whole seconds, milliseconds since the
   * epoch), or `null` when there is none within five years.
   */
  next(afterMs: number): number | null;
}

/** Options of {@linkcode parseCronSchedule}. */
export interface ParseCronScheduleOptions {
  /**
   * The zone of schedules without a `TZ=` prefix, and of `TZ=Local`.
   * @default {the process's time zone}
   */
  readonly localTimeZone?: string;
}

/** One field: the values it matches, and whether it was written as `*` or `?`. */
interface FieldSet {
  readonly values: readonly boolean[];
  readonly star: boolean;
}

interface Bounds {
  readonly min: number;
  readonly max: number;
  readonly names?: Readonly<Record<string, number>>;
}

const MONTH_NAMES: Readonly<Record<string, number>> = {
  jan: 1,
  feb: 2,
  mar: 3,
  apr: 4,
  may: 5,
  jun: 6,
  jul: 7,
  aug: 8,
  sep: 9,
  oct: 10,
  nov: 11,
  dec: 12,
};

const DAY_NAMES: Readonly<Record<string, number>> = {
  sun: 0,
  mon: 1,
  tue: 2,
  wed: 3,
  thu: 4,
  fri: 5,
  sat: 6,
};

const MINUTES: Bounds = { min: 0, max: 59 };
const HOURS: Bounds = { min: 0, max: 23 };
const DAYS_OF_MONTH: Bounds = { min: 1, max: 31 };
const MONTHS: Bounds = { min: 1, max: 12, names: MONTH_NAMES };
const DAYS_OF_WEEK: Bounds = { min: 0, max: 6, names: DAY_NAMES };

function fieldOf(
  bounds: Bounds,
  ranges: readonly (readonly [number, number, number])[],
  star = false,
): FieldSet {
  const values = new Array<boolean>(bounds.max + 1).fill(false);
  for (const [start, end, step] of ranges) {
    for (let v = start; v <= end; v += step) values[v] = true;
  }
  return { values, star };
}

function every(bounds: Bounds): FieldSet {
  return fieldOf(bounds, [[bounds.min, bounds.max, 1]], true);
}

function only(bounds: Bounds, value: number): FieldSet {
  return fieldOf(bounds, [[value, value, 1]]);
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Go's `strconv.Atoi` as robfig's `mustParseInt` uses it, with its error texts. */
function parseNumber(expr: string): number {
  if (!/^[+-]?[0-9]+$/.test(expr)) {
    throw new SyntaxError(
      `failed to parse int from ${expr}: strconv.Atoi: parsing ${
        JSON.stringify(expr)
      }: invalid syntax`,
    );
  }
  const n = BigInt(expr);
  if (n < INT64_MIN || n > INT64_MAX) {
    throw new SyntaxError(
      `failed to parse int from ${expr}: strconv.Atoi: parsing ${
        JSON.stringify(expr)
      }: value out of range`,
    );
  }
  if (n < 0n) throw new SyntaxError(`negative number (${n}) not allowed: ${expr}`);
  // Anything this large fails the bounds checks; keep it exact enough for their messages.
  return n > 2n ** 53n ? Number.MAX_SAFE_INTEGER : Number(n);
}

function parseNumberOrName(expr: string, names: Bounds["names"]): number {
  return names?.[expr.toLowerCase()] ?? parseNumber(expr);
}

/** One range expression (`*`, `5`, `1-5`, `*\/10`, `3/10`, `1-20/5`) of a field. */
function parseRange(
  expr: string,
  bounds: Bounds,
): { range: [number, number, number]; star: boolean } {
  const rangeAndStep = expr.split("/");
  const lowAndHigh = rangeAndStep[0]!.split("-");
  const single = lowAndHigh.length === 1;
  let start: number;
  let end: number;
  let star = false;
  if (lowAndHigh[0] === "*" || lowAndHigh[0] === "?") {
    start = bounds.min;
    end = bounds.max;
    star = true;
  } else {
    start = parseNumberOrName(lowAndHigh[0]!, bounds.names);
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) end = parseNumberOrName(lowAndHigh[1]!, bounds.names);
    else throw new SyntaxError(`too many hyphens: ${expr}`);
  }
  let step = 1;
  if (rangeAndStep.length === 2) {
    step = parseNumber(rangeAndStep[1]!);
    // "N/step" runs from N to the maximum.
    if (single) end = bounds.max;
    if (step > 1) star = false;
  } else if (rangeAndStep.length > 2) {
    throw new SyntaxError(`too many slashes: ${expr}`);
  }
  if (start < bounds.min) {
    throw new SyntaxError(
      `beginning of range (${start}) below minimum (${bounds.min}): ${expr}`,
    );
  }
  if (end > bounds.max) {
    throw new SyntaxError(`end of range (${end}) above maximum (${bounds.max}): ${expr}`);
  }
  if (start > end) {
    throw new SyntaxError(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  }
  if (step === 0) throw new SyntaxError(`step of range should be a positive number: ${expr}`);
  return { range: [start, end, step], star };
}

function parseField(field: string, bounds: Bounds): FieldSet {
  const ranges: [number, number, number][] = [];
  let star = false;
  for (const expr of field.split(",")) {
    if (expr === "") continue;
    const parsed = parseRange(expr, bounds);
    ranges.push(parsed.range);
    star ||= parsed.star;
  }
  return fieldOf(bounds, ranges, star);
}

/** A schedule of the five fields (robfig's `SpecSchedule`; seconds are always 0). */
class FieldSchedule implements CronSchedule {
  readonly #minute: FieldSet;
  readonly #hour: FieldSet;
  readonly #dom: FieldSet;
  readonly #month: FieldSet;
  readonly #dow: FieldSet;
  readonly #zone: TimeZone;

  constructor(
    fields: { minute: FieldSet; hour: FieldSet; dom: FieldSet; month: FieldSet; dow: FieldSet },
    zone: TimeZone,
  ) {
    this.#minute = fields.minute;
    this.#hour = fields.hour;
    this.#dom = fields.dom;
    this.#month = fields.month;
    this.#dow = fields.dow;
    this.#zone = zone;
  }

  #dayMatches(day: number, weekday: number): boolean {
    const dom = this.#dom.values[day] === true;
    const dow = this.#dow.values[weekday] === true;
    return this.#dom.star || this.#dow.star ? dom && dow : dom || dow;
  }

  next(afterMs: number): number | null {
    const zone = this.#zone;
    // The earliest candidate: the next whole second.
    let t = Math.floor(afterMs / 1000) * 1000 + 1000;
    // Once a field has moved, the fields below it start from their lowest value.
    let reset = false;
    const yearLimit = zone.wall(t).year + 5;
    wrap: for (;;) {
      let w = zone.wall(t);
      if (w.year > yearLimit) return null;

      while (!this.#month.values[w.month]) {
        if (!reset) {
          reset = true;
          t = zone.instant([w.year, w.month, 1]);
        }
        t = zone.addDate(t, [0, 1, 0]);
        w = zone.wall(t);
        if (w.month === 1) continue wrap;
      }

      while (!this.#dayMatches(w.day, w.weekday)) {
        if (!reset) {
          reset = true;
          t = zone.instant([w.year, w.month, w.day]);
        }
        t = zone.addDate(t, [0, 0, 1]);
        w = zone.wall(t);
        // A midnight a DST change skipped lands near it: go to the hour that starts the day.
        if (w.hour !== 0) {
          t += (w.hour > 12 ? 24 - w.hour : -w.hour) * 3_600_000;
          w = zone.wall(t);
        }
        if (w.day === 1) continue wrap;
      }

      while (!this.#hour.values[w.hour]) {
        if (!reset) {
          reset = true;
          t = zone.instant([w.year, w.month, w.day], [w.hour, 0, 0]);
        }
        // Whole hours of elapsed time: a skipped wall hour is never seen, a repeated one twice.
        t += 3_600_000;
        w = zone.wall(t);
        if (w.hour === 0) continue wrap;
      }

      while (!this.#minute.values[w.minute]) {
        if (!reset) {
          reset = true;
          t -= ((t % 60_000) + 60_000) % 60_000;
        }
        t += 60_000;
        w = zone.wall(t);
        if (w.minute === 0) continue wrap;
      }

      if (w.second !== 0) {
        if (!reset) {
          reset = true;
          t -= ((t % 1000) + 1000) % 1000;
        }
        // Walk to the top of the next minute, one second at a time as upstream (in one step).
        t += (60 - w.second) * 1000;
        continue wrap;
      }
      return t;
    }
  }
}

/** `@every <duration>`: runs a fixed time after the previous activation (robfig's `Every`). */
class IntervalSchedule implements CronSchedule {
  readonly #intervalMs: number;

  constructor(intervalMs: number) {
    this.#intervalMs = intervalMs;
  }

  next(afterMs: number): number | null {
    return afterMs - (((afterMs % 1000) + 1000) % 1000) + this.#intervalMs;
  }
}

const EVERY = "@every ";

function parseDescriptor(descriptor: string, zone: TimeZone): CronSchedule {
  const midnight = { minute: only(MINUTES, 0), hour: only(HOURS, 0) };
  switch (descriptor) {
    case "@yearly":
    case "@annually":
      return new FieldSchedule({
        ...midnight,
        dom: only(DAYS_OF_MONTH, 1),
        month: only(MONTHS, 1),
        dow: every(DAYS_OF_WEEK),
      }, zone);
    case "@monthly":
      return new FieldSchedule({
        ...midnight,
        dom: only(DAYS_OF_MONTH, 1),
        month: every(MONTHS),
        dow: every(DAYS_OF_WEEK),
      }, zone);
    case "@weekly":
      return new FieldSchedule({
        ...midnight,
        dom: every(DAYS_OF_MONTH),
        month: every(MONTHS),
        dow: only(DAYS_OF_WEEK, 0),
      }, zone);
    case "@daily":
    case "@midnight":
      return new FieldSchedule({
        ...midnight,
        dom: every(DAYS_OF_MONTH),
        month: every(MONTHS),
        dow: every(DAYS_OF_WEEK),
      }, zone);
    case "@hourly":
      return new FieldSchedule({
        minute: only(MINUTES, 0),
        hour: every(HOURS),
        dom: every(DAYS_OF_MONTH),
        month: every(MONTHS),
        dow: every(DAYS_OF_WEEK),
      }, zone);
  }
  if (descriptor.startsWith(EVERY)) {
    let ns: bigint;
    try {
      ns = parseGoDuration(descriptor.slice(EVERY.length));
    } catch (err) {
      throw new SyntaxError(`failed to parse duration ${descriptor}: ${(err as Error).message}`);
    }
    // At least a second, and whole seconds only.
    const seconds = ns < 1_000_000_000n ? 1n : ns / 1_000_000_000n;
    return new IntervalSchedule(Number(seconds) * 1000);
  }
  throw new SyntaxError(`unrecognized descriptor: ${descriptor}`);
}

/**
 * Parses a CronJob schedule as `cron.ParseStandard` does.
 *
 * @throws {SyntaxError} for a malformed schedule, {RangeError} for an unknown `TZ=` zone, both
 *   with the library's messages.
 */
export function parseCronSchedule(
  spec: string,
  options: ParseCronScheduleOptions = {},
): CronSchedule {
  if (spec.length === 0) throw new SyntaxError("empty spec string");
  const local = options.localTimeZone;
  let rest = spec;
  let zoneName = "Local";
  if (rest.startsWith("TZ=") || rest.startsWith("CRON_TZ=")) {
    const space = rest.indexOf(" ");
    const name = rest.slice(rest.indexOf("=") + 1, space < 0 ? rest.length : space);
    try {
      new TimeZone(name, local !== undefined ? { local } : {});
    } catch (err) {
      throw new RangeError(`provided bad location ${name}: ${(err as Error).message}`);
    }
    zoneName = name;
    rest = space < 0 ? "" : rest.slice(space).trim();
  }
  const zone = new TimeZone(zoneName, local !== undefined ? { local } : {});
  if (rest.startsWith("@")) return parseDescriptor(rest, zone);
  const fields = rest.split(/\s+/).filter((f) => f !== "");
  if (fields.length !== 5) {
    throw new SyntaxError(
      `expected exactly 5 fields, found ${fields.length}: [${fields.join(" ")}]`,
    );
  }
  const [minute, hour, dom, month, dow] = fields as [string, string, string, string, string];
  return new FieldSchedule({
    minute: parseField(minute, MINUTES),
    hour: parseField(hour, HOURS),
    dom: parseField(dom, DAYS_OF_MONTH),
    month: parseField(month, MONTHS),
    dow: parseField(dow, DAYS_OF_WEEK),
  }, zone);
}
