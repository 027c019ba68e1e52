/**
 * Static pods from a manifest directory (`<data-dir>/agent/pod-manifests/`), as the kubelet's
 * file source reads `--pod-manifest-path`: every `.yaml`, `.yml` or `.json` file directly in
 * the directory holds one pod ({@linkcode staticPodFromManifest}); dotfiles, other files and
 * subdirectories are ignored. A file that makes no pod is logged (`Could not process manifest
 * file`, with the path and the cause) once per content and skipped; the others still run. Of
 * two files naming the same pod, the first by file name wins and the other is logged, as
 * upstream ignores a duplicate full name.
 *
 * {@linkcode StaticPodSource.watch} yields the whole set first, then again after every change:
 * it watches the directory with `Deno.watchFs` (no polling) and waits for a burst of events to
 * settle (`debounceMs` on the injected clock) before reading the directory again. A file whose
 * content did not change gives the same pod object (its `config.seen` stays).
 *
 * @example Read the manifests once
 * ```ts
 * import assert from "node:assert/strict";
 * import { RecordingLogger } from "../../control/util/logger.ts";
 * import { StaticPodSource } from "./static_pod_source.ts";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(
 *   `${dir}/web.yaml`,
 *   "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: app\n    image: busybox\n",
 * );
 * const source = new StaticPodSource({ dir, nodeName: "edge-1", logger: new RecordingLogger() });
 * const update = await source.scan();
 * assert.deepEqual(update.pods.map((p) => p.metadata?.name), ["web-edge-1"]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import { type Clock, systemClock } from "../../control/util/clock.ts";
import type { Logger } from "../../control/util/logger.ts";
import type { DirectoryWatcher } from "../images/importer.ts";
import { contentDigest } from "../local_state/canonical_json.ts";
import {
  CONFIG_SEEN_ANNOTATION,
  ManifestError,
  staticPodFromManifest,
  type StaticPodOptions,
} from "./static_pod.ts";

/** The file name endings read as manifests. */
export const MANIFEST_EXTENSIONS: readonly string[] = [".yaml", ".yml", ".json"];

/** Whether the file `name` in the manifest directory is read as a manifest. */
export function isManifestFileName(name: string): boolean {
  return !name.startsWith(".") && MANIFEST_EXTENSIONS.some((ext) => name.endsWith(ext));
}

/** Options of {@linkcode StaticPodSource}. */
export interface StaticPodSourceOptions
  extends Pick<StaticPodOptions, "defaultPod" | "validatePod"> {
  /** The manifest directory, `<data-dir>/agent/pod-manifests`; created when missing. */
  readonly dir: string;
  readonly nodeName: string;
  readonly logger: Logger;
  /** @default {systemClock} */
  readonly clock?: Clock;
  /** How long the directory must be quiet after an event before it is read. @default {100} */
  readonly debounceMs?: number;
  /** The longest a burst of events delays a read. @default {1000} */
  readonly maxDelayMs?: number;
  /**
   * Pods this source made before a restart (from the local state store): one with the same
   * UID keeps its `kubernetes.io/config.seen`.
   */
  readonly previous?: readonly Pod[];
  /** @default {(dir) => Deno.watchFs(dir, { recursive: false })} */
  readonly watchFs?: (dir: string) => DirectoryWatcher;
}

/** The static pods now, and what changed since the last update. */
export interface StaticPodUpdate {
  /** Every static pod, in manifest file name order. */
  readonly pods: readonly Pod[];
  readonly added: readonly Pod[];
  /** Pods with the same UID and other content (a manifest that sets `metadata.uid`). */
  readonly updated: readonly Pod[];
  readonly removed: readonly Pod[];
}

interface FileState {
  readonly digest: string;
  readonly pod: Pod | undefined;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Static pods from a manifest directory; see the module documentation. */
export class StaticPodSource {
  readonly #dir: string;
  readonly #nodeName: string;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #debounceMs: number;
  readonly #maxDelayMs: number;
  readonly #defaultPod: StaticPodOptions["defaultPod"];
  readonly #validatePod: StaticPodOptions["validatePod"];
  readonly #watchFs: (dir: string) => DirectoryWatcher;
  readonly #seen = new Map<string, string>();
  readonly #files = new Map<string, FileState>();
  readonly #reportedDuplicate = new Map<string, FileState>();
  #pods: readonly Pod[] = [];

  constructor(options: StaticPodSourceOptions) {
    this.#dir = options.dir.replace(/\/+$/, "") || "/";
    this.#nodeName = options.nodeName;
    this.#logger = options.logger.with({ source: "file", path: this.#dir });
    this.#clock = options.clock ?? systemClock;
    this.#debounceMs = options.debounceMs ?? 100;
    this.#maxDelayMs = options.maxDelayMs ?? 1_000;
    this.#defaultPod = options.defaultPod;
    this.#validatePod = options.validatePod;
    this.#watchFs = options.watchFs ?? ((dir) => Deno.watchFs(dir, { recursive: false }));
    for (const pod of options.previous ?? []) {
      const uid = pod.metadata?.uid;
      const seen = pod.metadata?.annotations?.[CONFIG_SEEN_ANNOTATION];
      if (uid && seen) this.#seen.set(uid, seen);
    }
  }

  /** The static pods of the last read (do not change them). */
  pods(): readonly Pod[] {
    return this.#pods;
  }

  /** Reads the directory once; the update tells what changed since the last read. */
  async scan(): Promise<StaticPodUpdate> {
    const names = await this.#manifestNames();
    const seenFiles = new Set<string>();
    const pods: Pod[] = [];
    const byFullName = new Map<string, string>();
    for (const name of names) {
      const path = `${this.#dir}/${name}`;
      let text: string;
      try {
        text = await Deno.readTextFile(path);
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) continue;
        this.#logger.error("Could not process manifest file", { path, error: errorMessage(err) });
        continue;
      }
      seenFiles.add(name);
      const state = this.#fileState(name, path, text);
      const pod = state.pod;
      if (!pod) continue;
      const fullName = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
      const first = byFullName.get(fullName);
      if (first !== undefined) {
        if (state !== this.#reportedDuplicate.get(name)) {
          this.#logger.error("Could not process manifest file", {
            path,
            error: `duplicate pod name ${JSON.stringify(fullName)} (also in "${first}"), ignoring`,
          });
          this.#reportedDuplicate.set(name, state);
        }
        continue;
      }
      this.#reportedDuplicate.delete(name);
      byFullName.set(fullName, name);
      pods.push(pod);
    }
    for (const name of [...this.#files.keys()]) if (!seenFiles.has(name)) this.#files.delete(name);
    return this.#replace(pods);
  }

  /**
   * Yields the static pods now, then after every change, until `signal` aborts (then the
   * iteration ends). Creates the directory when it is missing.
   */
  async *watch(signal: AbortSignal): AsyncGenerator<StaticPodUpdate> {
    await Deno.mkdir(this.#dir, { recursive: true, mode: 0o755 });
    let pending = false;
    let wake: (() => void) | undefined;
    const notify = () => {
      pending = true;
      wake?.();
    };
    let watcher: DirectoryWatcher | undefined;
    let failed = false;
    const onAbort = () => {
      watcher?.close();
      wake?.();
    };
    signal.addEventListener("abort", onAbort, { once: true });
    const start = () => {
      const w = this.#watchFs(this.#dir);
      watcher = w;
      failed = false;
      (async () => {
        try {
          for await (const event of w) {
            if (event.paths.length === 0 || event.paths.some((p) => !basename(p).startsWith("."))) {
              notify();
            }
          }
        } catch (err) {
          if (!signal.aborted) {
            this.#logger.warn("Manifest directory watch failed", { error: errorMessage(err) });
          }
        }
        if (!signal.aborted && watcher === w) {
          failed = true;
          notify();
        }
      })();
    };
    try {
      this.#logger.info("Watching static pod manifests", {});
      start();
      yield await this.scan();
      while (!signal.aborted) {
        if (!pending) {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
          continue;
        }
        const startedMs = this.#clock.now();
        do {
          pending = false;
          await this.#clock.sleep(this.#debounceMs, signal);
        } while (pending && this.#clock.now() - startedMs < this.#maxDelayMs);
        if (failed) {
          // The directory went away or the watch broke: make it again and watch anew.
          watcher?.close();
          await this.#clock.sleep(1_000, signal);
          await Deno.mkdir(this.#dir, { recursive: true, mode: 0o755 });
          start();
        }
        const update = await this.scan();
        if (update.added.length + update.updated.length + update.removed.length > 0) {
          yield update;
        }
      }
    } catch (err) {
      if (!signal.aborted) throw err;
    } finally {
      signal.removeEventListener("abort", onAbort);
      watcher?.close();
    }
  }

  async #manifestNames(): Promise<string[]> {
    const names: string[] = [];
    try {
      for await (const entry of Deno.readDir(this.#dir)) {
        if (!isManifestFileName(entry.name)) continue;
        if (entry.isFile) names.push(entry.name);
        else if (entry.isSymlink) {
          const info = await Deno.stat(`${this.#dir}/${entry.name}`).catch(() => undefined);
          if (info?.isFile) names.push(entry.name);
        }
      }
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return [];
      throw new Error(`Cannot read static pod manifests in "${this.#dir}"`, { cause: err });
    }
    return names.sort();
  }

  #fileState(name: string, path: string, text: string): FileState {
    const digest = contentDigest(text);
    const known = this.#files.get(name);
    if (known?.digest === digest) return known;
    let pod: Pod | undefined;
    try {
      pod = staticPodFromManifest(text, {
        path,
        nodeName: this.#nodeName,
        seenMs: this.#clock.now(),
        ...(this.#defaultPod ? { defaultPod: this.#defaultPod } : {}),
        ...(this.#validatePod ? { validatePod: this.#validatePod } : {}),
      });
      const uid = pod.metadata!.uid!;
      const seen = this.#seen.get(uid);
      if (seen) pod.metadata!.annotations![CONFIG_SEEN_ANNOTATION] = seen;
      else this.#seen.set(uid, pod.metadata!.annotations![CONFIG_SEEN_ANNOTATION]!);
    } catch (err) {
      const error = err instanceof ManifestError ? err.message : `${path}: ${errorMessage(err)}`;
      this.#logger.error("Could not process manifest file", { path, error });
    }
    const state = { digest, pod };
    this.#files.set(name, state);
    return state;
  }

  #replace(pods: Pod[]): StaticPodUpdate {
    const before = new Map(this.#pods.map((p) => [p.metadata!.uid!, p]));
    const after = new Map(pods.map((p) => [p.metadata!.uid!, p]));
    const added: Pod[] = [];
    const updated: Pod[] = [];
    const removed: Pod[] = [];
    for (const [uid, pod] of after) {
      const old = before.get(uid);
      if (!old) added.push(pod);
      else if (old !== pod && contentDigest(old) !== contentDigest(pod)) updated.push(pod);
    }
    for (const [uid, pod] of before) if (!after.has(uid)) removed.push(pod);
    for (const pod of removed) this.#seen.delete(pod.metadata!.uid!);
    this.#pods = pods;
    if (added.length + updated.length + removed.length > 0) {
      this.#logger.info("Static pods changed", {
        added: added.map(fullName),
        updated: updated.map(fullName),
        removed: removed.map(fullName),
      });
    }
    return { pods, added, updated, removed };
  }
}

function fullName(pod: Pod): string {
  return `${pod.metadata?.namespace}/${pod.metadata?.name}`;
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}
