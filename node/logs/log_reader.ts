/**
 * Reading a container's CRI log file the way `kubectl logs` asks for it: the last N lines,
 * lines since a time, the kubelet's timestamp prefix, a byte limit, and following the file as
 * the container writes (across log rotation) until the container exits or the caller aborts.
 *
 * @module
 */
import type { Logger } from "../../control/util/logger.ts";
import {
  type CriLogEntry,
  type LogStream,
  parseCriLogLine,
  PartialLineJoiner,
} from "./cri_log_parser.ts";
import { findTailStart } from "./_tail.ts";

/** Receives the log output; awaited before the next line is read (backpressure). */
export type LogWriteFunction = (bytes: Uint8Array, stream: LogStream) => void | Promise<void>;

/** Options of {@linkcode readContainerLogs}. */
export interface ReadContainerLogsOptions {
  /** Where the output goes. */
  write: LogWriteFunction;
  /** Only the last this many lines (`--tail`); absent or negative means all. */
  tailLines?: number;
  /** Skip lines written before this time (`--since`, `--since-time`); see {@linkcode logsSince}. */
  since?: Date;
  /** Prefix each line with its time, RFC 3339 with nine fraction digits, and a space. */
  timestamps?: boolean;
  /** Stop after this many bytes of output (`--limit-bytes`); the last line may be cut. */
  limitBytes?: number;
  /** Keep reading new output until `exited` settles or `signal` aborts (`-f`). */
  follow?: boolean;
  /** Which stream to return; both by default. */
  stream?: LogStream | "All";
  /** Ends a follow (and any read) early; the call then resolves without error. */
  signal?: AbortSignal;
  /** Settles when the container has exited: a follow then reads what is left and returns. */
  exited?: Promise<unknown>;
  /** Where malformed lines are reported (they are skipped, as the kubelet does). */
  logger?: Logger;
}

/** `sinceSeconds` and `sinceTime` of a `PodLogOptions`. */
export interface PodLogSince {
  sinceSeconds?: number;
  sinceTime?: string | Date;
}

/**
 * The time a log read starts from, as the kubelet derives it: `now - sinceSeconds`, or
 * `sinceTime` when that is later; undefined when neither is set.
 */
export function logsSince(options: PodLogSince, now: Date): Date | undefined {
  let since: Date | undefined;
  if (options.sinceSeconds !== undefined) {
    since = new Date(now.getTime() - options.sinceSeconds * 1000);
  }
  if (options.sinceTime !== undefined) {
    const t = new Date(options.sinceTime);
    if (since === undefined || t.getTime() > since.getTime()) since = t;
  }
  return since;
}

const NEWLINE = 0x0a;
const CHUNK_BYTES = 64 * 1024;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Streams the container log at `path` (a CRI log file; symlinks are resolved) to
 * `options.write`. Never reads more of the file than the requested tail needs.
 *
 * @throws {Error} with the kubelet's message when the file cannot be opened or read.
 */
export async function readContainerLogs(
  path: string,
  options: ReadContainerLogsOptions,
): Promise<void> {
  const reader = new LogFileReader(await resolve(path), options);
  await reader.run();
}

async function resolve(path: string): Promise<string> {
  try {
    return await Deno.realPath(path);
  } catch (err) {
    throw new Error(
      `failed to try resolving symlinks in path "${path}": ${(err as Error).message}`,
      { cause: err },
    );
  }
}

async function open(path: string): Promise<Deno.FsFile> {
  try {
    return await Deno.open(path, { read: true });
  } catch (err) {
    throw new Error(`failed to open log file "${path}": ${(err as Error).message}`, {
      cause: err,
    });
  }
}

class LogFileReader {
  #path: string;
  #options: ReadContainerLogsOptions;
  #joiner = new PartialLineJoiner();
  #remainingBytes: number;
  #linesLeft: number;
  #limited: boolean;
  #sinceNs: bigint | undefined;
  #leftover = new Uint8Array(0);
  #chunk = new Uint8Array(CHUNK_BYTES);
  #file: Deno.FsFile | undefined;
  #exited = false;
  #dirty = false;
  #wake: (() => void) | undefined;

  constructor(path: string, options: ReadContainerLogsOptions) {
    this.#path = path;
    this.#options = options;
    const limit = options.limitBytes;
    this.#remainingBytes = limit !== undefined && limit >= 0 ? limit : Infinity;
    const tail = options.tailLines ?? -1;
    this.#limited = tail >= 0 && options.follow !== true;
    this.#linesLeft = tail;
    this.#sinceNs = options.since === undefined
      ? undefined
      : BigInt(options.since.getTime()) * 1_000_000n;
  }

  async run(): Promise<void> {
    const { signal } = this.#options;
    if (signal?.aborted) return;
    if (this.#remainingBytes <= 0 || (this.#limited && this.#linesLeft === 0)) return;
    let file = await open(this.#path);
    this.#file = file;
    let watcher: Deno.FsWatcher | undefined;
    const notify = () => this.#notify();
    try {
      const tail = this.#options.tailLines ?? -1;
      let start;
      try {
        start = await findTailStart(file, { lines: tail });
        await file.seek(start, Deno.SeekMode.Start);
      } catch (err) {
        throw new Error(
          `failed to tail ${tail} lines of log file "${this.#path}": ${(err as Error).message}`,
          { cause: err },
        );
      }
      if (await this.#drain(file)) return;
      if (this.#options.follow !== true) {
        await this.#finish();
        return;
      }
      watcher = Deno.watchFs(dirname(this.#path), { recursive: false });
      this.#pump(watcher);
      signal?.addEventListener("abort", notify, { once: true });
      this.#options.exited?.then(() => this.#markExited(), () => this.#markExited());
      // A write may have landed before the watcher existed, so the loop reads before it waits.
      while (!signal?.aborted) {
        if (await this.#drain(file)) return;
        const next = await this.#rotated(file);
        if (next !== undefined) {
          file.close();
          file = next;
          this.#file = file;
          continue;
        }
        if (this.#exited) {
          // What the container wrote before it exited may have landed after the read above.
          if (!(await this.#drain(file))) await this.#finish();
          return;
        }
        await this.#waitForChange();
      }
    } finally {
      signal?.removeEventListener("abort", notify);
      watcher?.close();
      this.#file?.close();
    }
  }

  #markExited(): void {
    this.#exited = true;
    this.#notify();
  }

  #notify(): void {
    this.#dirty = true;
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async #waitForChange(): Promise<void> {
    if (!this.#dirty) await new Promise<void>((resolve) => (this.#wake = resolve));
    this.#dirty = false;
  }

  #pump(watcher: Deno.FsWatcher): void {
    const path = this.#path;
    (async () => {
      for await (const event of watcher) {
        if (event.paths.some((p) => p === path || p.startsWith(`${path}.`))) this.#notify();
      }
    })().catch((err) => {
      this.#options.logger?.warn("Log file watch failed", { path, error: String(err) });
    });
  }

  /** The newly created file at the path when the one being read was rotated away. */
  async #rotated(file: Deno.FsFile): Promise<Deno.FsFile | undefined> {
    let current: Deno.FileInfo;
    try {
      current = await Deno.stat(this.#path);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return undefined;
      throw err;
    }
    const mine = await file.stat();
    if (current.ino === mine.ino && current.dev === mine.dev) {
      // Truncated in place (copytruncate): start again from the top.
      if (mine.size < await file.seek(0, Deno.SeekMode.Current)) {
        this.#leftover = new Uint8Array(0);
        await file.seek(0, Deno.SeekMode.Start);
        this.#notify();
      }
      return undefined;
    }
    // The rest of the old file has been read; a line cut off at its end is emitted on its own.
    if (await this.#flushLeftover()) return undefined;
    return await open(this.#path);
  }

  /** Reads to the end of `file`; true when the output is complete (limit or tail reached). */
  async #drain(file: Deno.FsFile): Promise<boolean> {
    for (;;) {
      let n: number | null;
      try {
        n = await file.read(this.#chunk);
      } catch (err) {
        throw new Error(`failed to read log file "${this.#path}": ${(err as Error).message}`, {
          cause: err,
        });
      }
      if (n === null) return false;
      if (this.#options.signal?.aborted) return true;
      const data = concat(this.#leftover, this.#chunk.slice(0, n));
      let start = 0;
      for (;;) {
        const nl = data.indexOf(NEWLINE, start);
        if (nl < 0) break;
        const line = data.subarray(start, nl + 1);
        start = nl + 1;
        if (await this.#line(line)) return true;
      }
      this.#leftover = data.slice(start);
    }
  }

  /** The end of the read: an unterminated last line and unfinished fragments are written. */
  async #finish(): Promise<void> {
    if (await this.#flushLeftover()) return;
    for (const entry of this.#joiner.flush()) {
      if (await this.#emit(entry)) return;
    }
  }

  async #flushLeftover(): Promise<boolean> {
    if (this.#leftover.length === 0) return false;
    const line = this.#leftover;
    this.#leftover = new Uint8Array(0);
    this.#options.logger?.info("Incomplete line in log file", {
      path: this.#path,
      line: decoder.decode(line),
    });
    return await this.#line(line);
  }

  async #line(line: Uint8Array): Promise<boolean> {
    let entry: CriLogEntry;
    try {
      entry = parseCriLogLine(line);
    } catch (err) {
      this.#options.logger?.error("Failed when parsing line in log file", {
        path: this.#path,
        line: decoder.decode(line),
        error: (err as Error).message,
      });
      return false;
    }
    const whole = this.#joiner.push(entry);
    return whole === undefined ? false : await this.#emit(whole);
  }

  async #emit(entry: CriLogEntry): Promise<boolean> {
    const wanted = this.#options.stream;
    const selected = wanted === undefined || wanted === "All" || wanted === entry.stream;
    if (selected && (this.#sinceNs === undefined || entry.timeNs >= this.#sinceNs)) {
      let out = entry.content;
      if (this.#options.timestamps === true) {
        out = concat(encoder.encode(`${entry.fixedTimestamp} `), out);
      }
      if (out.length > this.#remainingBytes) out = out.subarray(0, this.#remainingBytes);
      await this.#options.write(out, entry.stream);
      this.#remainingBytes -= out.length;
      if (this.#remainingBytes <= 0) return true;
    }
    if (this.#limited) {
      this.#linesLeft--;
      if (this.#linesLeft <= 0) return true;
    }
    return false;
  }
}

function dirname(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
