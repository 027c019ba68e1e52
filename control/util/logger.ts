/**
 * Structured logging: a constant message plus fields, as JSON lines on stderr.
 *
 * Components take a {@linkcode Logger} through their deps and never write to the console.
 *
 * @module
 */
import { type Clock, systemClock } from "./clock.ts";
import { type SyncWriter, writeTextSync } from "./writer.ts";

/** The log levels, most severe first. */
export const LOG_LEVELS = ["error", "warn", "info", "debug"] as const;

/** One of {@linkcode LOG_LEVELS}. */
export type LogLevel = typeof LOG_LEVELS[number];

/** Structured context attached to a log message. */
export type LogFields = Record<string, unknown>;

/** Where components send their log messages. */
export interface Logger {
  error(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  debug(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every message (the caller's fields win on a clash). */
  with(fields: LogFields): Logger;
}

/** Options of {@linkcode JsonLogger}. */
export interface JsonLoggerOptions {
  /**
   * The least severe level written; messages below it are dropped.
   *
   * @default {"info"}
   */
  level?: LogLevel;
  /**
   * Where the JSON lines go.
   *
   * @default {Deno.stderr}
   */
  writer?: SyncWriter;
  /**
   * The clock that stamps each line.
   *
   * @default {systemClock}
   */
  clock?: Clock;
  /** Fields added to every line. */
  fields?: LogFields;
}

const RESERVED_KEYS = new Set(["time", "level", "msg"]);

function levelRank(level: LogLevel): number {
  return LOG_LEVELS.indexOf(level);
}

function errorToJson(err: Error, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = { name: err.name, message: err.message };
  if (err.cause !== undefined && depth < 5) {
    out.cause = err.cause instanceof Error ? errorToJson(err.cause, depth + 1) : err.cause;
  }
  return out;
}

function toJsonLine(record: Record<string, unknown>): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(record, (_key, value: unknown) => {
    if (typeof value === "bigint") return value.toString();
    if (value instanceof Error) return errorToJson(value, 0);
    if (value instanceof Uint8Array) return `<${value.length} bytes>`;
    if (typeof value === "object" && value !== null) {
      if (seen.has(value)) return "[Circular]";
      seen.add(value);
    }
    return value;
  });
}

/**
 * Writes each message as one JSON object per line: `time` (ISO 8601), `level`, `msg`, then the
 * fields. Errors in fields are written as `{ name, message, cause }`.
 *
 * @example Log a message with fields
 * ```ts
 * import assert from "node:assert/strict";
 * import { FakeClock } from "./clock.ts";
 * import { JsonLogger } from "./logger.ts";
 * import { BufferWriter } from "./writer.ts";
 *
 * const out = new BufferWriter();
 * const log = new JsonLogger({ writer: out, clock: new FakeClock(0) });
 * log.with({ component: "storage" }).info("Opened storage", { revision: 7 });
 * assert.deepEqual(JSON.parse(out.text()), {
 *   time: "1970-01-01T00:00:00.000Z",
 *   level: "info",
 *   msg: "Opened storage",
 *   component: "storage",
 *   revision: 7,
 * });
 * ```
 */
export class JsonLogger implements Logger {
  #rank: number;
  #writer: SyncWriter;
  #clock: Clock;
  #fields: LogFields;

  constructor(options: JsonLoggerOptions = {}) {
    this.#rank = levelRank(options.level ?? "info");
    this.#writer = options.writer ?? Deno.stderr;
    this.#clock = options.clock ?? systemClock;
    this.#fields = { ...options.fields };
  }

  error(msg: string, fields?: LogFields): void {
    this.#write("error", msg, fields);
  }

  warn(msg: string, fields?: LogFields): void {
    this.#write("warn", msg, fields);
  }

  info(msg: string, fields?: LogFields): void {
    this.#write("info", msg, fields);
  }

  debug(msg: string, fields?: LogFields): void {
    this.#write("debug", msg, fields);
  }

  with(fields: LogFields): Logger {
    return new JsonLogger({
      level: LOG_LEVELS[this.#rank] ?? "info",
      writer: this.#writer,
      clock: this.#clock,
      fields: { ...this.#fields, ...fields },
    });
  }

  #write(level: LogLevel, msg: string, fields: LogFields | undefined): void {
    if (levelRank(level) > this.#rank) return;
    const record: Record<string, unknown> = {
      time: new Date(this.#clock.now()).toISOString(),
      level,
      msg,
    };
    for (const [key, value] of Object.entries({ ...this.#fields, ...fields })) {
      record[RESERVED_KEYS.has(key) ? `field.${key}` : key] = value;
    }
    writeTextSync(this.#writer, toJsonLine(record) + "\n");
  }
}

/** One message a {@linkcode RecordingLogger} received. */
export interface LogRecord {
  readonly level: LogLevel;
  readonly msg: string;
  /** The logger's own fields merged with the message's. */
  readonly fields: LogFields;
}

/**
 * A logger for tests: keeps every message, at every level, in {@linkcode RecordingLogger.records}
 * (shared with the loggers {@linkcode RecordingLogger.with} returns).
 *
 * @example Assert on what was logged
 * ```ts
 * import assert from "node:assert/strict";
 * import { RecordingLogger } from "./logger.ts";
 *
 * const log = new RecordingLogger();
 * log.with({ key: "default/web" }).debug("Synced");
 * assert.deepEqual(log.records, [{ level: "debug", msg: "Synced", fields: { key: "default/web" } }]);
 * ```
 */
export class RecordingLogger implements Logger {
  readonly records: LogRecord[];
  #fields: LogFields;

  constructor(fields: LogFields = {}, records: LogRecord[] = []) {
    this.#fields = fields;
    this.records = records;
  }

  error(msg: string, fields?: LogFields): void {
    this.#record("error", msg, fields);
  }

  warn(msg: string, fields?: LogFields): void {
    this.#record("warn", msg, fields);
  }

  info(msg: string, fields?: LogFields): void {
    this.#record("info", msg, fields);
  }

  debug(msg: string, fields?: LogFields): void {
    this.#record("debug", msg, fields);
  }

  with(fields: LogFields): RecordingLogger {
    return new RecordingLogger({ ...this.#fields, ...fields }, this.records);
  }

  /** The messages recorded so far, optionally only those at `level`. */
  messages(level?: LogLevel): string[] {
    return this.records.filter((r) => level === undefined || r.level === level).map((r) => r.msg);
  }

  #record(level: LogLevel, msg: string, fields: LogFields | undefined): void {
    this.records.push({ level, msg, fields: { ...this.#fields, ...fields } });
  }
}
