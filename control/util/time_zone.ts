/**
 * Wall-clock arithmetic in an IANA time zone, with Go's `time` package semantics (which CronJob
 * schedules are defined in), and which zone names Go's `time.LoadLocation` loads (what the API
 * server accepts in a CronJob's `spec.timeZone`): the wall-clock fields of an
 * instant, and the instant of a wall-clock time as `time.Date` picks it: out-of-range fields
 * roll over, and a wall time a DST change skips or repeats is read with the offset in effect
 * at `wall − offset(wall)`, treating the wall time as UTC first. West of UTC that puts a
 * skipped `02:30` before the gap (`01:30 EST` in New York) and a repeated one at its first
 * occurrence; east of UTC after the gap (`03:30 CEST` in Berlin) and at its second.
 *
 * Offsets come from `Intl.DateTimeFormat` (the runtime's ICU time zone data).
 *
 * @module
 */

/** The wall-clock reading of an instant in a zone. */
export interface WallTime {
  readonly year: number;
  /** 1–12. */
  readonly month: number;
  /** 1–31. */
  readonly day: number;
  /** 0–23. */
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  /** 0 (Sunday) – 6 (Saturday). */
  readonly weekday: number;
  /** The zone's offset from UTC at that instant, in milliseconds (east positive). */
  readonly offsetMs: number;
}

/** Milliseconds of a UTC calendar time; fields out of range roll over (as `time.Date`). */
export function utcMs(
  date: readonly [number, number, number],
  time: readonly [number, number, number] = [0, 0, 0],
): number {
  const d = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not read years 0–99 as 1900–1999.
  d.setUTCFullYear(date[0], date[1] - 1, date[2]);
  d.setUTCHours(time[0], time[1], time[2], 0);
  return d.getTime();
}

function floorMod(a: number, b: number): number {
  return ((a % b) + b) % b;
}

/**
 * Why Go's `time.LoadLocation(name)` fails, or `null` when it loads: `""`, `UTC` and `Local`
 * always load; names with `..` or a leading slash are invalid; other names must be zones the
 * runtime knows, spelled with their exact case (Go reads them from a case-sensitive zoneinfo
 * tree, while ICU would accept any case).
 */
export function loadLocationError(name: string): string | null {
  if (name === "" || name === "UTC" || name === "Local") return null;
  if (name.includes("..") || name.startsWith("/") || name.startsWith("\\")) {
    return "time: invalid location name";
  }
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat("en-US", { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return `unknown time zone ${name}`;
  }
  // The exact spelling when ICU reports the name itself back; for an alias it reports another
  // zone, and only the capitalization of each path component can be checked.
  const caseOk = resolved.toLowerCase() === name.toLowerCase()
    ? resolved === name
    : name.split("/").every((part) => /^[A-Z]/.test(part));
  return caseOk ? null : `unknown time zone ${name}`;
}

/** The process's own time zone (what Go calls `Local`). */
export function localTimeZoneName(): string {
  return new Intl.DateTimeFormat().resolvedOptions().timeZone;
}

const UTC_NAMES = new Set(["", "UTC", "Etc/UTC", "GMT", "Etc/GMT", "Etc/UCT", "UCT", "Zulu"]);

/** Options of {@linkcode TimeZone}. */
export interface TimeZoneOptions {
  /** The zone `Local` stands for. @default {the process's zone} */
  readonly local?: string;
}

/** A time zone, loaded by name as Go's `time.LoadLocation` does. */
export class TimeZone {
  /** The zone's name (`UTC` for `""`, the local zone's name for `Local`). */
  readonly name: string;
  readonly #format: Intl.DateTimeFormat | null;
  #lastMs = NaN;
  #lastOffsetMs = 0;

  /**
   * Loads `name`; `Local` is `options.local` (default: the process's zone).
   *
   * @throws {RangeError} with Go's message (`unknown time zone Mars/Olympus`).
   */
  constructor(name: string, options: TimeZoneOptions = {}) {
    const zone = name === "Local" ? options.local ?? localTimeZoneName() : name;
    const error = loadLocationError(zone);
    if (error !== null || zone === "Local") {
      throw new RangeError(error ?? `unknown time zone ${zone}`);
    }
    this.name = zone === "" ? "UTC" : zone;
    this.#format = UTC_NAMES.has(zone) ? null : new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
      era: "short",
    });
  }

  /** The zone's UTC offset at instant `ms`, in milliseconds (whole seconds). */
  offsetMs(ms: number): number {
    if (this.#format === null) return 0;
    const secondMs = Math.floor(ms / 1000) * 1000;
    if (secondMs === this.#lastMs) return this.#lastOffsetMs;
    const parts: Record<string, string> = {};
    for (const p of this.#format.formatToParts(secondMs)) parts[p.type] = p.value;
    let year = Number(parts.year);
    if (parts.era === "BC" || parts.era === "B") year = 1 - year;
    const wall = utcMs([year, Number(parts.month), Number(parts.day)], [
      Number(parts.hour),
      Number(parts.minute),
      Number(parts.second),
    ]);
    this.#lastMs = secondMs;
    this.#lastOffsetMs = wall - secondMs;
    return this.#lastOffsetMs;
  }

  /** The wall-clock reading of instant `ms` here. */
  wall(ms: number): WallTime {
    const offsetMs = this.offsetMs(ms);
    const d = new Date(ms + offsetMs);
    return {
      year: d.getUTCFullYear(),
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      hour: d.getUTCHours(),
      minute: d.getUTCMinutes(),
      second: d.getUTCSeconds(),
      weekday: d.getUTCDay(),
      offsetMs,
    };
  }

  /**
   * The instant of a wall-clock time here, as Go's `time.Date` computes it: fields roll over,
   * and the offset is the one in effect at `wall - offset(wall)`.
   */
  instant(
    date: readonly [number, number, number],
    time: readonly [number, number, number] = [0, 0, 0],
  ): number {
    const wall = utcMs(date, time);
    const first = this.offsetMs(wall);
    return wall - this.offsetMs(wall - first);
  }

  /** Go's `t.AddDate(years, months, days)`: the same wall time that many units on. */
  addDate(ms: number, delta: readonly [number, number, number]): number {
    const w = this.wall(ms);
    const instant = this.instant(
      [w.year + delta[0], w.month + delta[1], w.day + delta[2]],
      [w.hour, w.minute, w.second],
    );
    return instant + floorMod(ms, 1000);
  }

  /**
   * `ms` as RFC 3339 in this zone, as Go's `Format(time.RFC3339)`: whole seconds, `Z` for a zero
   * offset, else `±hh:mm`.
   */
  formatRfc3339(ms: number): string {
    const w = this.wall(ms);
    const pad = (n: number, width = 2) => String(n).padStart(width, "0");
    const date = `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}`;
    const time = `${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}`;
    let zone = "Z";
    if (w.offsetMs !== 0) {
      const minutes = Math.round(Math.abs(w.offsetMs) / 60_000);
      zone = `${w.offsetMs < 0 ? "-" : "+"}${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
    }
    return `${date}T${time}${zone}`;
  }
}
