/**
 * `metav1.Time` and `metav1.MicroTime` text: parsed as Go's `time.Parse` parses the RFC 3339
 * layouts (so a bad value fails with Go's message, which the API server returns) and printed in
 * UTC as their `MarshalJSON` does.
 *
 * @module
 */

/** Go's `time.RFC3339`. */
export const RFC3339 = "2006-01-02T15:04:05Z07:00";
/** `metav1.RFC3339Micro`. */
export const RFC3339_MICRO = "2006-01-02T15:04:05.000000Z07:00";

/** A parsed time: the instant as milliseconds plus the sub-millisecond nanoseconds. */
export interface GoTime {
  /** Milliseconds since the epoch, UTC, truncated. */
  readonly ms: number;
  /** Nanoseconds within the second. */
  readonly nanos: number;
}

/** Go's `quote` for time errors: double quotes, `\xNN` for control and non-ASCII bytes. */
function quote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c < 0x20 || c >= 0x80) {
      for (const b of new TextEncoder().encode(ch)) out += `\\x${b.toString(16).padStart(2, "0")}`;
    } else {
      out += ch === '"' || ch === "\\" ? `\\${ch}` : ch;
    }
  }
  return `${out}"`;
}

class ParseFailure {
  constructor(readonly message: string) {}
}

function parseError(
  layout: string,
  value: string,
  elem: { readonly layoutElem: string; readonly valueElem: string; readonly message?: string },
): ParseFailure {
  if (elem.message) return new ParseFailure(`parsing time ${quote(value)}${elem.message}`);
  return new ParseFailure(
    `parsing time ${quote(value)} as ${quote(layout)}: cannot parse ${quote(elem.valueElem)} as ${
      quote(elem.layoutElem)
    }`,
  );
}

function isDigit(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c >= 0x30 && c <= 0x39;
}

/** Go's `getnum`: one or two digits (`fixed`: exactly two). */
function getnum(s: string, fixed: boolean): [number, string] | null {
  if (!isDigit(s, 0)) return null;
  if (!isDigit(s, 1)) return fixed ? null : [s.charCodeAt(0) - 48, s.slice(1)];
  return [(s.charCodeAt(0) - 48) * 10 + (s.charCodeAt(1) - 48), s.slice(2)];
}

function daysIn(month: number, year: number): number {
  if (month === 2) return (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) ? 29 : 28;
  return [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
}

/** Go's `parseNanoseconds` over `value[0:nbytes]` (a separator, then digits). */
function nanos(value: string, nbytes: number): number | null {
  if (value[0] !== "." && value[0] !== ",") return null;
  const digits = value.slice(1, Math.min(nbytes, 10));
  if (!/^[0-9]+$/.test(digits)) return null;
  return Number(digits.padEnd(9, "0"));
}

/** The layout elements of the two RFC 3339 layouts, in order. */
type Elem = "year" | "month" | "day" | "hour" | "minute" | "second" | "frac6" | "zone";
const LAYOUTS: Readonly<Record<string, readonly (readonly [string, Elem, string])[]>> = {
  [RFC3339]: [
    ["", "year", "2006"],
    ["-", "month", "01"],
    ["-", "day", "02"],
    ["T", "hour", "15"],
    [":", "minute", "04"],
    [":", "second", "05"],
    ["", "zone", "Z07:00"],
  ],
  [RFC3339_MICRO]: [
    ["", "year", "2006"],
    ["-", "month", "01"],
    ["-", "day", "02"],
    ["T", "hour", "15"],
    [":", "minute", "04"],
    [":", "second", "05"],
    ["", "frac6", ".000000"],
    ["", "zone", "Z07:00"],
  ],
};

/**
 * Parses `value` with one of the RFC 3339 layouts as Go's `time.Parse` does.
 *
 * @returns the time, or the error message Go gives.
 */
export function parseGoTime(
  value: string,
  layout: typeof RFC3339 | typeof RFC3339_MICRO,
): GoTime | string {
  const r = parse(value, layout);
  return r instanceof ParseFailure ? r.message : r;
}

function parse(original: string, layout: string): GoTime | ParseFailure {
  const elems = LAYOUTS[layout]!;
  let value = original;
  let year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, ns = 0, offset = 0;
  for (let e = 0; e < elems.length; e++) {
    const [prefix, elem, stdstr] = elems[e]!;
    for (let k = 0; k < prefix.length; k++) {
      if (value.length === 0 || value[0] !== prefix[k]) {
        return parseError(layout, original, { layoutElem: prefix, valueElem: value });
      }
      value = value.slice(1);
    }
    const hold = value;
    let bad = false;
    let range = "";
    switch (elem) {
      case "year": {
        if (value.length < 4) {
          bad = true;
          break;
        }
        const p = value.slice(0, 4);
        value = value.slice(4);
        const m = /^[+-]?[0-9]+$/.exec(p);
        if (!m) bad = true;
        else year = Number(p);
        break;
      }
      case "month":
      case "day":
      case "minute":
      case "second":
      case "hour": {
        const got = getnum(value, elem !== "hour");
        if (got === null) {
          bad = true;
          break;
        }
        const [n, rest] = got;
        value = rest;
        if (elem === "month") {
          month = n;
          if (n <= 0 || n > 12) range = "month";
        } else if (elem === "day") {
          day = n;
        } else if (elem === "hour") {
          hour = n;
          if (n >= 24) range = "hour";
        } else if (elem === "minute") {
          minute = n;
          if (n >= 60) range = "minute";
        } else {
          second = n;
          if (n >= 60) {
            range = "second";
            break;
          }
          // A fraction the layout does not spell out is accepted after the seconds.
          const next = elems[e + 1]?.[1];
          if (value.length >= 2 && (value[0] === "." || value[0] === ",") && isDigit(value, 1)) {
            if (next === "frac6") break;
            let n2 = 2;
            while (n2 < value.length && isDigit(value, n2)) n2++;
            const f = nanos(value, n2);
            if (f === null) bad = true;
            else ns = f;
            value = value.slice(n2);
          }
        }
        break;
      }
      case "frac6": {
        if (value.length < 7) {
          bad = true;
          break;
        }
        const f = nanos(value, 7);
        if (f === null) bad = true;
        else ns = f;
        value = value.slice(7);
        break;
      }
      case "zone": {
        if (value[0] === "Z") {
          value = value.slice(1);
          break;
        }
        if (value.length < 6 || value[3] !== ":") {
          bad = true;
          break;
        }
        const sign = value[0];
        const hh = getnum(value.slice(1, 3), true);
        const mm = getnum(value.slice(4, 6), true);
        value = value.slice(6);
        if (hh === null || mm === null || (sign !== "+" && sign !== "-")) {
          bad = true;
          break;
        }
        if (hh[0] > 24) range = "time zone offset hour";
        if (mm[0] > 60) range = "time zone offset minute";
        offset = (hh[0] * 60 + mm[0]) * 60 * (sign === "-" ? -1 : 1);
        break;
      }
    }
    if (range) {
      return parseError(layout, original, {
        layoutElem: stdstr,
        valueElem: value,
        message: `: ${range} out of range`,
      });
    }
    if (bad) return parseError(layout, original, { layoutElem: stdstr, valueElem: hold });
  }
  if (value.length !== 0) {
    return parseError(layout, original, {
      layoutElem: "",
      valueElem: value,
      message: `: extra text: ${quote(value)}`,
    });
  }
  if (day < 1 || day > daysIn(month, year)) {
    return parseError(layout, original, {
      layoutElem: "",
      valueElem: value,
      message: ": day out of range",
    });
  }
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, 0);
  return { ms: d.getTime() - offset * 1000 + Math.floor(ns / 1e6), nanos: ns };
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

/**
 * The instant in UTC as `metav1.Time` prints it (`2024-01-02T03:04:05Z`) or, with `micro`, as
 * `metav1.MicroTime` does (`2024-01-02T03:04:05.123456Z`).
 */
export function formatGoTime(t: GoTime, micro: boolean): string {
  const d = new Date(t.ms);
  const base = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${
    pad(d.getUTCDate(), 2)
  }T${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}`;
  if (!micro) return `${base}Z`;
  return `${base}.${pad(Math.floor(t.nanos / 1000), 6)}Z`;
}

/** Whether `t` is Go's zero time (`0001-01-01T00:00:00Z`), which Kubernetes writes as null. */
export function isZeroGoTime(t: GoTime): boolean {
  return t.ms === ZERO_MS && t.nanos === 0;
}

const ZERO_MS = (() => {
  const d = new Date(0);
  d.setUTCFullYear(1, 0, 1);
  return d.getTime();
})();
