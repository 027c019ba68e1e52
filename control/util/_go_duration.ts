/**
 * Go's `time.ParseDuration`, which `@every <duration>` schedules are read with: a signed
 * sequence of decimal numbers, each with an optional fraction and a unit (`ns`, `us`/`µs`,
 * `ms`, `s`, `m`, `h`), such as `1h30m` or `-1.5h`. Errors carry Go's messages, which reach
 * users in API errors and CronJob events.
 *
 * @module
 */

const UNIT_NS: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  "µs": 1_000n, // U+00B5 micro sign
  "μs": 1_000n, // U+03BC Greek small letter mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const MAX_NS = 2n ** 63n;

function quote(s: string): string {
  return JSON.stringify(s);
}

/**
 * The nanoseconds `text` stands for.
 *
 * @throws {SyntaxError} with Go's message: `time: invalid duration "x"`,
 *   `time: missing unit in duration "1"`, `time: unknown unit "d" in duration "1d"`.
 */
export function parseGoDuration(text: string): bigint {
  const invalid = () => new SyntaxError(`time: invalid duration ${quote(text)}`);
  let s = text;
  let negative = false;
  if (s.startsWith("-") || s.startsWith("+")) {
    negative = s[0] === "-";
    s = s.slice(1);
  }
  if (s === "0") return 0n;
  if (s === "") throw invalid();
  let total = 0n;
  while (s !== "") {
    if (!/^[0-9.]/.test(s)) throw invalid();
    const [number, whole = "", , fraction] = /^([0-9]*)(\.([0-9]*))?/.exec(s)!;
    if (whole === "" && !fraction) throw invalid();
    s = s.slice(number.length);
    const unit = /^[^0-9.]*/.exec(s)![0];
    if (unit === "") throw new SyntaxError(`time: missing unit in duration ${quote(text)}`);
    const unitNs = UNIT_NS[unit];
    if (unitNs === undefined) {
      throw new SyntaxError(`time: unknown unit ${quote(unit)} in duration ${quote(text)}`);
    }
    s = s.slice(unit.length);
    const wholeValue = whole === "" ? 0n : BigInt(whole);
    if (wholeValue > MAX_NS / unitNs) throw invalid();
    let value = wholeValue * unitNs;
    if (fraction) {
      // Go scales the fraction in floating point and truncates.
      const scaled = Number(`0.${fraction}`) * Number(unitNs);
      value += BigInt(Math.trunc(scaled));
      if (value > MAX_NS) throw invalid();
    }
    total += value;
    if (total > MAX_NS) throw invalid();
  }
  if (negative) return -total;
  if (total > MAX_NS - 1n) throw invalid();
  return total;
}
