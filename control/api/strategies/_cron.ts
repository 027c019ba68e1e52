/**
 * The CronJob schedule grammar Kubernetes accepts (`cron.ParseStandard` of robfig/cron v3, which
 * the API server validates with): five fields (minute, hour, day of month, month, day of week)
 * with `*`, `?`, lists, ranges, steps and month/day names; the macros `@yearly`, `@annually`,
 * `@monthly`, `@weekly`, `@daily`, `@midnight`, `@hourly` and `@every <duration>`; and an
 * optional `TZ=`/`CRON_TZ=` prefix. Errors carry the parser's own messages, which the API server
 * passes to users.
 *
 * @module
 */

interface Bounds {
  readonly min: number;
  readonly max: number;
  readonly names?: Readonly<Record<string, number>>;
}

const MONTHS: Readonly<Record<string, number>> = {
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

const DAYS: Readonly<Record<string, number>> = {
  sun: 0,
  mon: 1,
  tue: 2,
  wed: 3,
  thu: 4,
  fri: 5,
  sat: 6,
};

/** Seconds (always "0" for standard specs), minutes, hours, day of month, month, day of week. */
const FIELD_BOUNDS: readonly Bounds[] = [
  { min: 0, max: 59 },
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: MONTHS },
  { min: 0, max: 6, names: DAYS },
];

const DESCRIPTORS = new Set([
  "@yearly",
  "@annually",
  "@monthly",
  "@weekly",
  "@daily",
  "@midnight",
  "@hourly",
]);

const INT64_MAX = 9223372036854775807n;

/** Go's `strconv.Atoi`, returning a BigInt or the error text. */
function atoi(s: string): bigint | string {
  if (!/^[+-]?[0-9]+$/.test(s)) return `strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`;
  const n = BigInt(s);
  if (n > INT64_MAX || n < -INT64_MAX - 1n) {
    return `strconv.Atoi: parsing ${JSON.stringify(s)}: value out of range`;
  }
  return n;
}

class CronError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CronError";
  }
}

function mustParseInt(expr: string): number {
  const n = atoi(expr);
  if (typeof n === "string") throw new CronError(`failed to parse int from ${expr}: ${n}`);
  if (n < 0n) throw new CronError(`negative number (${n}) not allowed: ${expr}`);
  // Values past any bound fail the range checks anyway; clamp to keep them exact enough.
  return n > 1000000n ? 1000000 : Number(n);
}

function parseIntOrName(expr: string, names: Bounds["names"]): number {
  const named = names?.[expr.toLowerCase()];
  return named ?? mustParseInt(expr);
}

function checkRange(expr: string, bounds: Bounds): void {
  const rangeAndStep = expr.split("/");
  const lowAndHigh = rangeAndStep[0]!.split("-");
  const singleDigit = lowAndHigh.length === 1;
  let start: number;
  let end: number;
  if (lowAndHigh[0] === "*" || lowAndHigh[0] === "?") {
    start = bounds.min;
    end = bounds.max;
  } else {
    start = parseIntOrName(lowAndHigh[0]!, bounds.names);
    if (lowAndHigh.length === 1) {
      end = start;
    } else if (lowAndHigh.length === 2) {
      end = parseIntOrName(lowAndHigh[1]!, bounds.names);
    } else {
      throw new CronError(`too many hyphens: ${expr}`);
    }
  }
  let step: number;
  if (rangeAndStep.length === 1) {
    step = 1;
  } else if (rangeAndStep.length === 2) {
    step = mustParseInt(rangeAndStep[1]!);
    // "N/step" means "N-max/step".
    if (singleDigit) end = bounds.max;
  } else {
    throw new CronError(`too many slashes: ${expr}`);
  }
  if (start < bounds.min) {
    throw new CronError(`beginning of range (${start}) below minimum (${bounds.min}): ${expr}`);
  }
  if (end > bounds.max) {
    throw new CronError(`end of range (${end}) above maximum (${bounds.max}): ${expr}`);
  }
  if (start > end) {
    throw new CronError(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  }
  if (step === 0) throw new CronError(`step of range should be a positive number: ${expr}`);
}

const DURATION_UNITS = new Set(["ns", "us", "µs", "μs", "ms", "s", "m", "h"]);

/** Go's `time.ParseDuration` error for `s`, or `null` when it parses. */
export function durationError(orig: string): string | null {
  const quoted = JSON.stringify(orig);
  let s = orig;
  if (s.startsWith("-") || s.startsWith("+")) s = s.slice(1);
  if (s === "0") return null;
  if (s === "") return `time: invalid duration ${quoted}`;
  let total = 0;
  while (s !== "") {
    const m = /^([0-9]*)(\.([0-9]*))?/.exec(s)!;
    const pre = m[1]!.length > 0;
    const post = m[3] !== undefined && m[3].length > 0;
    if (!(s[0] === "." || (s[0]! >= "0" && s[0]! <= "9"))) {
      return `time: invalid duration ${quoted}`;
    }
    if (!pre && !post) return `time: invalid duration ${quoted}`;
    s = s.slice(m[0].length);
    const unit = /^[^0-9.]*/.exec(s)![0];
    if (unit === "") return `time: missing unit in duration ${quoted}`;
    if (!DURATION_UNITS.has(unit)) {
      return `time: unknown unit ${JSON.stringify(unit)} in duration ${quoted}`;
    }
    total += Number(`${m[1] || "0"}.${m[3] ?? "0"}`);
    if (!Number.isFinite(total) || total > 9.2e18) return `time: invalid duration ${quoted}`;
    s = s.slice(unit.length);
  }
  return null;
}

/** A time zone name Go's `time.LoadLocation` finds (IANA database names, `UTC`, `Local`). */
export function isKnownTimeZone(name: string): boolean {
  if (name === "" || name === "UTC" || name === "Local") return true;
  // Go looks names up case-sensitively in the zoneinfo database, where every path component
  // starts with a capital letter; ICU (Intl) would also accept other casings.
  if (!name.split("/").every((part) => /^[A-Z]/.test(part))) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

function checkDescriptor(descriptor: string): void {
  if (DESCRIPTORS.has(descriptor)) return;
  const every = "@every ";
  if (descriptor.startsWith(every)) {
    const err = durationError(descriptor.slice(every.length));
    if (err !== null) throw new CronError(`failed to parse duration ${descriptor}: ${err}`);
    return;
  }
  throw new CronError(`unrecognized descriptor: ${descriptor}`);
}

/**
 * Why `spec` is not a schedule `cron.ParseStandard` accepts, or `null` when it is:
 * `expected exactly 5 fields, found 4: [* * * *]`, `end of range (60) above maximum (59): 60`, …
 */
export function cronScheduleError(spec: string): string | null {
  try {
    checkSchedule(spec);
    return null;
  } catch (e) {
    if (e instanceof CronError) return e.message;
    throw e;
  }
}

function checkSchedule(input: string): void {
  if (input.length === 0) throw new CronError("empty spec string");
  let spec = input;
  if (spec.startsWith("TZ=") || spec.startsWith("CRON_TZ=")) {
    const space = spec.indexOf(" ");
    const eq = spec.indexOf("=");
    const zone = spec.slice(eq + 1, space < 0 ? spec.length : space);
    if (space < 0 || !isKnownTimeZone(zone)) {
      throw new CronError(`provided bad location ${zone}: unknown time zone ${zone}`);
    }
    spec = spec.slice(space).trim();
  }
  if (spec.startsWith("@")) {
    checkDescriptor(spec);
    return;
  }
  const fields = spec.split(/\s+/).filter((f) => f !== "");
  if (fields.length !== 5) {
    throw new CronError(
      `expected exactly 5 fields, found ${fields.length}: [${fields.join(" ")}]`,
    );
  }
  ["0", ...fields].forEach((field, i) => {
    for (const expr of field.split(",").filter((e) => e !== "")) checkRange(expr, FIELD_BOUNDS[i]!);
  });
}
