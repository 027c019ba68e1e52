/**
 * The CRI container log format that containerd writes and the kubelet reads:
 * `<RFC3339Nano time> <stdout|stderr> <P|F> <content>\n`, where `P` marks a fragment of a line
 * that was too long and `F` the last (or only) piece of a line.
 *
 * @module
 */

/** Which of the container's output streams a log line came from. */
export type LogStream = "stdout" | "stderr";

/** The Go layout the kubelet parses CRI log times with (RFC 3339, up to nine fraction digits). */
export const CRI_LOG_TIME_LAYOUT = "2006-01-02T15:04:05.999999999Z07:00";

/** One parsed line of a CRI log file. */
export interface CriLogEntry {
  /** The time as written in the file. */
  timestamp: string;
  /** The time in nanoseconds since the Unix epoch. */
  timeNs: bigint;
  /** The time in the kubelet's output form: always nine fraction digits, the file's offset kept. */
  fixedTimestamp: string;
  stream: LogStream;
  /** True for a `P` fragment: the line goes on in the next entry of the same stream. */
  partial: boolean;
  /** The content; a full line keeps its trailing newline, a fragment has none. */
  content: Uint8Array;
}

const SPACE = 0x20;
const NEWLINE = 0x0a;
const latin1 = new TextDecoder("latin1");
const TIME_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Parses an RFC 3339 time with up to nine fraction digits into nanoseconds since the epoch and
 * the kubelet's fixed-width form.
 *
 * @throws {SyntaxError} when `text` is not such a time.
 */
export function parseCriLogTime(text: string): { timeNs: bigint; fixed: string } {
  const m = TIME_PATTERN.exec(text);
  if (m === null) {
    throw new SyntaxError(`parsing time "${text}" as "${CRI_LOG_TIME_LAYOUT}"`);
  }
  const [, y, mo, d, h, mi, s, frac = "", zone = "Z"] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (
    Number(mo) < 1 || Number(mo) > 12 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59 ||
    new Date(ms).getUTCDate() !== Number(d)
  ) {
    throw new SyntaxError(`parsing time "${text}": out of range`);
  }
  let offsetMinutes = 0;
  if (zone !== "Z") {
    const sign = zone.startsWith("-") ? -1 : 1;
    offsetMinutes = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  }
  const nanos = frac.padEnd(9, "0");
  const timeNs = (BigInt(ms) - BigInt(offsetMinutes) * 60_000n) * 1_000_000n + BigInt(nanos);
  const fixed = `${y}-${mo}-${d}T${h}:${mi}:${s}.${nanos}${zone}`;
  return { timeNs, fixed };
}

/**
 * Parses one line of a CRI log file (with or without its trailing newline).
 *
 * @throws {SyntaxError} with the kubelet's message (`timestamp is not found`,
 * `unexpected timestamp format …`, `stream type is not found`, `unexpected stream type "x"`,
 * `log tag is not found`) when the line is not in the CRI format.
 */
export function parseCriLogLine(line: Uint8Array): CriLogEntry {
  let idx = line.indexOf(SPACE);
  if (idx < 0) throw new SyntaxError("timestamp is not found");
  const timestamp = latin1.decode(line.subarray(0, idx));
  let time;
  try {
    time = parseCriLogTime(timestamp);
  } catch (err) {
    throw new SyntaxError(
      `unexpected timestamp format "${CRI_LOG_TIME_LAYOUT}": ${(err as Error).message}`,
    );
  }
  let rest = line.subarray(idx + 1);
  idx = rest.indexOf(SPACE);
  if (idx < 0) throw new SyntaxError("stream type is not found");
  const stream = latin1.decode(rest.subarray(0, idx));
  if (stream !== "stdout" && stream !== "stderr") {
    throw new SyntaxError(`unexpected stream type "${stream}"`);
  }
  rest = rest.subarray(idx + 1);
  idx = rest.indexOf(SPACE);
  if (idx < 0) throw new SyntaxError("log tag is not found");
  // Tags are ":"-separated for forward compatibility; the first one is P or F.
  const tags = latin1.decode(rest.subarray(0, idx));
  const partial = tags.split(":")[0] === "P";
  let content = rest.subarray(idx + 1);
  if (partial && content.at(-1) === NEWLINE) content = content.subarray(0, -1);
  return { timestamp, timeNs: time.timeNs, fixedTimestamp: time.fixed, stream, partial, content };
}

/**
 * Whether a CRI log line whose first bytes are `prefix` ends a logical line (its tag is not
 * `P`). Lines that do not parse count as ending one. Reads only the first three fields.
 */
export function endsLogicalLine(prefix: Uint8Array): boolean {
  let start = 0;
  for (let field = 0; field < 2; field++) {
    const idx = prefix.indexOf(SPACE, start);
    if (idx < 0) return true;
    start = idx + 1;
  }
  let end = start;
  while (end < prefix.length && prefix[end] !== SPACE && prefix[end] !== 0x3a) end++;
  return !(end - start === 1 && prefix[start] === 0x50 && end < prefix.length);
}

/**
 * Joins `P` fragments with the `F` piece that ends them, per stream (stdout and stderr may
 * interleave). The joined entry carries the first fragment's time.
 */
export class PartialLineJoiner {
  #pending = new Map<LogStream, { first: CriLogEntry; parts: Uint8Array[] }>();

  /** Adds an entry; returns the whole line once its `F` piece arrives, else undefined. */
  push(entry: CriLogEntry): CriLogEntry | undefined {
    const pending = this.#pending.get(entry.stream);
    if (entry.partial) {
      if (pending === undefined) {
        this.#pending.set(entry.stream, { first: entry, parts: [entry.content] });
      } else pending.parts.push(entry.content);
      return undefined;
    }
    if (pending === undefined) return entry;
    this.#pending.delete(entry.stream);
    pending.parts.push(entry.content);
    return { ...pending.first, partial: false, content: concat(pending.parts) };
  }

  /** Returns (and forgets) the fragments still waiting for their end, oldest first. */
  flush(): CriLogEntry[] {
    const out = [...this.#pending.values()].map((p) => ({
      ...p.first,
      content: concat(p.parts),
    }));
    this.#pending.clear();
    return out.sort((a, b) => (a.timeNs < b.timeNs ? -1 : a.timeNs > b.timeNs ? 1 : 0));
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
