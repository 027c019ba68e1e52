/**
 * Air-gapped image import, as k3s users know it: every image archive in a directory
 * (`<data-dir>/agent/images/`) is imported into containerd's `k8s.io` namespace, where the CRI
 * finds it, at start and whenever one is added. Archives are `*.tar` (OCI layout or
 * `docker save`) or gzip'd `*.tar.gz` / `*.tgz` (decompressed to a temporary file first:
 * `ctr images import` does not read compressed archives).
 *
 * Imports run one at a time through `ctr --address <socket> -n k8s.io images import
 * --all-platforms <file>`. What was imported is remembered by file name, size and modification
 * time in a small state file, rewritten only when it changes, so a restart does not import
 * again — unless containerd no longer has the images an archive gave (a wiped containerd root).
 *
 * The directory is watched with `Deno.watchFs`, not polled. A file is imported when its writer
 * closes it or it is renamed into the directory; after other changes, once it has been quiet
 * for {@linkcode ImageImporterOptions.settleMs}. A failed import (a truncated archive, containerd
 * not answering) is retried with backoff a few times, and again whenever the file changes.
 *
 * @example Import once, with a fake runner
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { ImageImporter } from "./importer.ts";
 * import { RecordingLogger, systemClock } from "../../control/util/mod.ts";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/pause.tar`, "an archive");
 * const runner = {
 *   run: () => Promise.resolve({ code: 0, stdout: "unpacking docker.io/skiff/pause:3.9 (sha256:ab)...done\n", stderr: "" }),
 * };
 * const importer = new ImageImporter(
 *   { runner, logger: new RecordingLogger(), clock: systemClock },
 *   { dir, socketPath: "/run/skiff/containerd.sock" },
 * );
 * const result = await importer.importAll();
 * deepEqual(result.imported, ["pause.tar"]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */
import { dirname, join } from "node:path";
import type { Clock, TimerHandle } from "../../control/util/clock.ts";
import type { Logger } from "../../control/util/logger.ts";
import type { CommandRunner } from "../containerd/command_runner.ts";
import { ImportState } from "./_import_state.ts";

/** A directory watcher: `Deno.watchFs`'s shape. */
export interface DirectoryWatcher extends AsyncIterable<Deno.FsEvent> {
  close(): void;
}

/** Dependencies of {@linkcode ImageImporter}. */
export interface ImageImporterDeps {
  /** Runs `ctr`. */
  readonly runner: CommandRunner;
  readonly logger: Logger;
  /** Drives the settle and retry timers. */
  readonly clock: Clock;
  /** Watches the directory. @default {Deno.watchFs(dir, { recursive: false })} */
  readonly watch?: (dir: string) => DirectoryWatcher;
}

/** Options of {@linkcode ImageImporter}. */
export interface ImageImporterOptions {
  /** The directory of image archives, e.g. `<data-dir>/agent/images` (created if missing). */
  readonly dir: string;
  /** containerd's gRPC socket (`ctr --address`). */
  readonly socketPath: string;
  /** The containerd namespace the CRI uses. @default {"k8s.io"} */
  readonly namespace?: string;
  /** The `ctr` binary. @default {"ctr"} */
  readonly ctr?: string;
  /** The snapshotter to unpack for (containerd's CRI snapshotter); ctr's default if unset. */
  readonly snapshotter?: string;
  /** The state file. @default {`<dir>/.imported.json`} */
  readonly stateFile?: string;
  /** Where compressed archives are decompressed. @default {the state file's directory} */
  readonly workDir?: string;
  /** How long a changed file must stay quiet before it is imported. @default {2000} */
  readonly settleMs?: number;
  /** Backoff between attempts at a failing archive. @default {{ initialMs: 2000, maxMs: 60000 }} */
  readonly retry?: { readonly initialMs?: number; readonly maxMs?: number };
  /** Attempts at one version (size, mtime) of an archive before waiting for it to change. @default {5} */
  readonly maxAttempts?: number;
}

/** What one pass of {@linkcode ImageImporter.importAll} did, by archive file name. */
export interface ImportSummary {
  readonly imported: readonly string[];
  /** Unchanged since they were imported. */
  readonly skipped: readonly string[];
  readonly failed: readonly string[];
}

type Outcome = "imported" | "skipped" | "failed" | "gone";

interface FileVersion {
  readonly size: number;
  readonly mtimeMs: number;
}

interface Failure extends FileVersion {
  attempts: number;
}

const ARCHIVE_SUFFIXES = [".tar", ".tar.gz", ".tgz"];
const GZIP_SUFFIXES = [".tar.gz", ".tgz"];
const UNPACKED_LINE = /^unpacking (\S+) \(sha256:[0-9a-f]+\)\.\.\.done$/gm;
/**
 * Events after which the writer is done with the file: closed after writing (inotify's
 * IN_CLOSE_WRITE, which Deno reports as "access"; reads report nothing), moved in, or removed.
 */
const COMPLETE_EVENTS = new Set<Deno.FsEvent["kind"]>(["access", "rename", "remove"]);

/** Whether `name` is a file name the importer takes (hidden files never are). */
export function isImageArchiveName(name: string): boolean {
  return !name.startsWith(".") && ARCHIVE_SUFFIXES.some((s) => name.endsWith(s));
}

/** Image names in `ctr images import` output (`unpacking <name> (sha256:…)...done`). */
export function parseImportedImages(stdout: string): string[] {
  return [...stdout.matchAll(UNPACKED_LINE)].map((m) => m[1]!);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function sameVersion(a: FileVersion, b: FileVersion): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs;
}

/** Imports the image archives of a directory into containerd (see the module doc). */
export class ImageImporter {
  readonly #deps: ImageImporterDeps;
  readonly #dir: string;
  readonly #socketPath: string;
  readonly #namespace: string;
  readonly #ctr: string;
  readonly #snapshotter: string | undefined;
  readonly #workDir: string;
  readonly #settleMs: number;
  readonly #retryInitialMs: number;
  readonly #retryMaxMs: number;
  readonly #maxAttempts: number;
  readonly #state: ImportState;
  readonly #log: Logger;
  #loaded: Promise<void> | undefined;
  /** Files waiting for the worker, in arrival order. */
  readonly #queue = new Set<string>();
  #worker: Promise<void> | undefined;
  readonly #timers = new Map<string, TimerHandle>();
  readonly #failures = new Map<string, Failure>();
  #signal: AbortSignal | undefined;
  #readyResolve!: () => void;
  /** Resolves when {@linkcode ImageImporter.run}'s first pass over the directory is done. */
  readonly ready: Promise<void>;

  constructor(deps: ImageImporterDeps, options: ImageImporterOptions) {
    this.#deps = deps;
    this.#dir = options.dir;
    this.#socketPath = options.socketPath;
    this.#namespace = options.namespace ?? "k8s.io";
    this.#ctr = options.ctr ?? "ctr";
    this.#snapshotter = options.snapshotter;
    const stateFile = options.stateFile ?? join(options.dir, ".imported.json");
    this.#workDir = options.workDir ?? dirname(stateFile);
    this.#settleMs = options.settleMs ?? 2000;
    this.#retryInitialMs = options.retry?.initialMs ?? 2000;
    this.#retryMaxMs = options.retry?.maxMs ?? 60_000;
    this.#maxAttempts = options.maxAttempts ?? 5;
    this.#state = new ImportState(stateFile);
    this.#log = deps.logger.with({ component: "image-importer", dir: options.dir });
    this.ready = new Promise((resolve) => this.#readyResolve = resolve);
  }

  /**
   * Imports every archive in the directory that is new or changed since it was imported, one
   * at a time, and returns what it did. Never throws for a failing archive: it is logged,
   * reported in `failed` and retried later while {@linkcode ImageImporter.run} runs.
   */
  async importAll(): Promise<ImportSummary> {
    await this.#load();
    await Deno.mkdir(this.#dir, { recursive: true });
    const names: string[] = [];
    for await (const entry of Deno.readDir(this.#dir)) {
      if (isImageArchiveName(entry.name)) names.push(entry.name);
    }
    names.sort();
    // Archives deleted while the importer was not running.
    for (const name of this.#state.names()) {
      if (!names.includes(name)) this.#state.delete(name);
    }
    const present = await this.#presentImages(names);
    const summary = { imported: [] as string[], skipped: [] as string[], failed: [] as string[] };
    for (const name of names) {
      const outcome = await this.#importFile(name, present);
      if (outcome !== "gone") summary[outcome].push(name);
    }
    await this.#saveState();
    return summary;
  }

  /**
   * Watches the directory, imports everything in it once (then {@linkcode ImageImporter.ready}
   * resolves), and imports archives as they arrive until `signal` aborts. Throws only when the
   * directory cannot be created, read or watched. Use either this or
   * {@linkcode ImageImporter.importAll}, not both at once.
   */
  async run(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    this.#signal = signal;
    await this.#load();
    await Deno.mkdir(this.#dir, { recursive: true });
    // Watch first, so an archive added during the first pass is not missed.
    const watcher = this.#deps.watch?.(this.#dir) ?? Deno.watchFs(this.#dir, { recursive: false });
    const onAbort = () => watcher.close();
    signal.addEventListener("abort", onAbort, { once: true });
    this.#log.info("Starting image importer", { namespace: this.#namespace });
    const events = this.#consume(watcher);
    events.catch(() => {}); // awaited below; this only keeps it from being unhandled meanwhile
    try {
      const first = await this.importAll();
      this.#log.info("Imported image archives", { ...first });
      this.#readyResolve();
      await events;
      if (!signal.aborted) throw new Error("the directory watch ended");
    } catch (err) {
      if (!signal.aborted) {
        throw new Error(`Cannot import image archives from "${this.#dir}"`, { cause: err });
      }
    } finally {
      signal.removeEventListener("abort", onAbort);
      watcher.close();
      for (const timer of this.#timers.values()) timer.cancel();
      this.#timers.clear();
      this.#queue.clear();
      this.#readyResolve();
      await this.#worker?.catch(() => {});
      this.#log.info("Shutting down image importer");
    }
  }

  async #consume(watcher: DirectoryWatcher): Promise<void> {
    try {
      for await (const event of watcher) this.#onEvent(event);
    } catch (err) {
      if (!this.#signal?.aborted) throw err;
    }
  }

  #onEvent(event: Deno.FsEvent): void {
    // The watch is not recursive: every path is directly in the directory.
    for (const path of event.paths) {
      const name = path.slice(path.lastIndexOf("/") + 1);
      if (!isImageArchiveName(name)) continue;
      this.#timers.get(name)?.cancel();
      this.#timers.delete(name);
      if (COMPLETE_EVENTS.has(event.kind)) {
        this.#enqueue(name);
      } else {
        this.#schedule(name, this.#settleMs);
      }
    }
  }

  /** Imports `name` after `delayMs`, unless an event or another schedule comes first. */
  #schedule(name: string, delayMs: number): void {
    if (this.#signal === undefined || this.#signal.aborted) return; // only while running
    this.#timers.get(name)?.cancel();
    this.#timers.set(
      name,
      this.#deps.clock.setTimeout(() => {
        this.#timers.delete(name);
        this.#enqueue(name);
      }, delayMs),
    );
  }

  #enqueue(name: string): void {
    if (this.#signal?.aborted) return;
    this.#queue.add(name);
    this.#worker ??= this.#drain().finally(() => this.#worker = undefined);
  }

  async #drain(): Promise<void> {
    // Let the first pass finish before events import anything, so files are not done twice.
    await this.ready;
    for (;;) {
      const next = this.#queue.values().next();
      if (next.done || this.#signal?.aborted) return;
      this.#queue.delete(next.value);
      try {
        await this.#importFile(next.value, undefined);
        await this.#saveState();
      } catch (err) {
        if (this.#signal?.aborted) return;
        this.#log.error("Cannot import image archive", { file: next.value, err });
      }
    }
  }

  #load(): Promise<void> {
    this.#loaded ??= this.#state.load().then((err) => {
      if (err) this.#log.warn("Ignoring image import state", { err });
    });
    return this.#loaded;
  }

  async #saveState(): Promise<void> {
    try {
      await this.#state.save();
    } catch (err) {
      this.#log.error("Cannot save image import state", { err });
    }
  }

  /**
   * Image names containerd has, when some archive looks imported already (to tell whether its
   * images are still there); `undefined` when no check is needed or it failed.
   */
  async #presentImages(names: readonly string[]): Promise<Set<string> | undefined> {
    if (!names.some((name) => (this.#state.get(name)?.images.length ?? 0) > 0)) return undefined;
    try {
      const r = await this.#deps.runner.run(
        [this.#ctr, "--address", this.#socketPath, "-n", this.#namespace, "images", "ls", "-q"],
        this.#signal ? { signal: this.#signal } : {},
      );
      if (r.code === 0) return new Set(r.stdout.split("\n").filter((l) => l !== ""));
      this.#log.warn("Cannot list images, trusting the import state", {
        code: r.code,
        stderr: r.stderr.trim(),
      });
    } catch (err) {
      if (this.#signal?.aborted) throw err;
      this.#log.warn("Cannot list images, trusting the import state", { err });
    }
    return undefined;
  }

  async #stat(name: string): Promise<FileVersion | undefined> {
    try {
      const info = await Deno.stat(join(this.#dir, name));
      if (!info.isFile) return undefined;
      return { size: info.size, mtimeMs: info.mtime?.getTime() ?? 0 };
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return undefined;
      throw err;
    }
  }

  async #importFile(name: string, present: Set<string> | undefined): Promise<Outcome> {
    const version = await this.#stat(name);
    if (version === undefined) {
      this.#state.delete(name);
      this.#failures.delete(name);
      return "gone";
    }
    const known = this.#state.get(name);
    if (
      known && sameVersion(known, version) &&
      (present === undefined || known.images.every((image) => present.has(image)))
    ) {
      return "skipped";
    }
    const failure = this.#failures.get(name);
    if (failure && sameVersion(failure, version) && failure.attempts >= this.#maxAttempts) {
      // Given up on this version; it is tried again when it changes.
      return "failed";
    }
    const startedMs = this.#deps.clock.now();
    let images: string[];
    try {
      images = await this.#ctrImport(name);
    } catch (err) {
      if (this.#signal?.aborted) throw err;
      return this.#failed(name, version, err);
    }
    const after = await this.#stat(name);
    if (after === undefined || !sameVersion(after, version)) {
      // Changed while ctr read it: its next event imports the final content.
      this.#log.info("Image archive changed while importing, waiting for it to settle", {
        file: name,
      });
      if (after !== undefined) this.#schedule(name, this.#settleMs);
      return "failed";
    }
    this.#failures.delete(name);
    this.#state.set(name, { ...version, images });
    this.#log.info("Imported image archive", {
      file: name,
      images,
      durationMs: this.#deps.clock.now() - startedMs,
    });
    return "imported";
  }

  #failed(name: string, version: FileVersion, err: unknown): Outcome {
    const previous = this.#failures.get(name);
    const attempts = previous && sameVersion(previous, version) ? previous.attempts + 1 : 1;
    this.#failures.set(name, { ...version, attempts });
    const fields = { file: name, attempts, error: errorText(err) };
    if (attempts >= this.#maxAttempts) {
      this.#log.error("Cannot import image archive, waiting for it to change", fields);
    } else {
      const delayMs = Math.min(this.#retryInitialMs * 2 ** (attempts - 1), this.#retryMaxMs);
      this.#log.warn("Cannot import image archive, retrying", { ...fields, delayMs });
      this.#schedule(name, delayMs);
    }
    return "failed";
  }

  /** Runs `ctr images import` on the archive (decompressed first if gzip'd). */
  async #ctrImport(name: string): Promise<string[]> {
    const source = join(this.#dir, name);
    const gzipped = GZIP_SUFFIXES.some((s) => name.endsWith(s));
    const file = gzipped ? await this.#gunzip(source) : source;
    try {
      const argv = [this.#ctr, "--address", this.#socketPath, "-n", this.#namespace];
      argv.push("images", "import", "--all-platforms");
      if (this.#snapshotter !== undefined) argv.push("--snapshotter", this.#snapshotter);
      argv.push(file);
      const r = await this.#deps.runner.run(argv, this.#signal ? { signal: this.#signal } : {});
      if (r.code !== 0) {
        const stderr = r.stderr.trim().split("\n").filter((l) => l !== "").at(-1) ?? "";
        throw new Error(`Cannot import "${name}" with ctr: exit code ${r.code}: ${stderr}`);
      }
      return parseImportedImages(r.stdout);
    } finally {
      if (gzipped) await Deno.remove(file).catch(() => {});
    }
  }

  async #gunzip(source: string): Promise<string> {
    await Deno.mkdir(this.#workDir, { recursive: true });
    const target = join(this.#workDir, `.import-${crypto.randomUUID().slice(0, 8)}.tar`);
    try {
      const input = await Deno.open(source, { read: true });
      const output = await Deno.open(target, { write: true, createNew: true, mode: 0o600 });
      await input.readable.pipeThrough(new DecompressionStream("gzip")).pipeTo(output.writable);
      return target;
    } catch (err) {
      await Deno.remove(target).catch(() => {});
      throw new Error(`Cannot decompress "${source}"`, { cause: err });
    }
  }
}
