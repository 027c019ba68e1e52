/**
 * The node's desired state on its own disk, so that the agent can start and keep pods running
 * while no control plane answers (after a reboot too): the pods bound to the node and the
 * ConfigMaps, Secrets and ServiceAccount tokens they use, under `<data-dir>/agent/state/`:
 *
 * ```
 * state/pods/<uid>.json
 * state/configmaps/<namespace>_<name>.json
 * state/secrets/<namespace>_<name>.json
 * state/tokens/<sha256 of the token key, 32 hex digits>.json
 * ```
 *
 * Built for SD cards, it writes only when content changes: each object is kept in its stored
 * form ({@linkcode storedPod} and friends: no resourceVersion, no managedFields, no pod status
 * but a terminal phase), and a file is written only when the SHA-256 of that form's canonical
 * JSON differs from what is on disk. Puts are acknowledged at once and written in batches: the
 * first change starts a timer (`flushDelayMs` on the injected clock); when it fires, the latest
 * state of every changed object is written once, whatever number of puts it had, and each
 * directory is synced once per batch. Every file is written atomically (temporary file, data
 * synced, rename), all with mode 0600 in directories of mode 0700. Within a batch the files a
 * pod needs are written before the pod, and removed after it.
 *
 * A ConfigMap or Secret is on disk only while a stored pod references it (volumes, projected
 * sources, env `valueFrom`, `envFrom`, `imagePullSecrets`: {@linkcode podConfigMapNames},
 * {@linkcode podSecretNames}); one put before any pod references it is kept in memory and
 * written once one does, and one no pod references any more is forgotten (its watch ends, so
 * a copy would go stale: put it again when a pod references it again). A token is on disk
 * while the pod it is bound to is stored, and forgotten with the pod (an unbound one: on disk
 * while a stored pod in its namespace runs as its service account).
 *
 * {@linkcode LocalStateStore.load} reads everything at start; a file that does not parse or
 * does not hold what its name says is reported, logged and removed, and temporary files a
 * crash left are removed. {@linkcode LocalStateStore.close} writes what is pending: no put
 * acknowledged before a clean stop is lost.
 *
 * @example Store a pod and what it uses, then read it back after a restart
 * ```ts
 * import assert from "node:assert/strict";
 * import { RecordingLogger } from "../../control/util/logger.ts";
 * import { LocalStateStore } from "./local_state_store.ts";
 *
 * const dir = await Deno.makeTempDir();
 * const store = new LocalStateStore({ dir, logger: new RecordingLogger() });
 * await store.load();
 * store.putPod({
 *   metadata: { name: "web", namespace: "default", uid: "u1" },
 *   spec: { containers: [{ name: "app", envFrom: [{ configMapRef: { name: "settings" } }] }] },
 * });
 * store.putConfigMap({ metadata: { name: "settings", namespace: "default" }, data: { a: "1" } });
 * await store.close();
 *
 * const again = new LocalStateStore({ dir, logger: new RecordingLogger() });
 * const state = await again.load();
 * assert.deepEqual(state.pods.map((p) => p.metadata?.uid), ["u1"]);
 * assert.deepEqual(state.configMaps.map((c) => c.data), [{ a: "1" }]);
 * await again.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { ConfigMap, Secret } from "../../control/api/types/core_v1_config.ts";
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import type { TokenRequest } from "../../control/api/types/authentication_v1.ts";
import { type Clock, systemClock, type TimerHandle } from "../../control/util/clock.ts";
import type { Logger } from "../../control/util/logger.ts";
import { canonicalJson } from "./canonical_json.ts";
import { podConfigMapNames, podSecretNames } from "./pod_references.ts";
import { DenoStateFs, isTemporaryStateFile, type StateFs } from "./state_fs.ts";
import {
  storedConfigMap,
  storedPod,
  storedSecret,
  type StoredServiceAccountToken,
  storedToken,
  tokenKey,
} from "./stored_objects.ts";

/** The mode of every state file. */
export const STATE_FILE_MODE = 0o600;
/** The mode of the state directories. */
export const STATE_DIR_MODE = 0o700;
/** How long changes are gathered before they are written, by default. */
export const DEFAULT_FLUSH_DELAY_MS = 500;

/** Options of {@linkcode LocalStateStore}. */
export interface LocalStateStoreOptions {
  /** The state directory, `<data-dir>/agent/state`. */
  readonly dir: string;
  readonly logger: Logger;
  /** @default {systemClock} */
  readonly clock?: Clock;
  /** @default {new DenoStateFs()} */
  readonly fs?: StateFs;
  /** How long changes are gathered before a batch is written. @default {500} */
  readonly flushDelayMs?: number;
  /** How long after a failed batch the next attempt is made. @default {5000} */
  readonly retryDelayMs?: number;
}

/** A file {@linkcode LocalStateStore.load} found unreadable, and removed. */
export interface CorruptStateFile {
  readonly path: string;
  readonly error: string;
}

/** What {@linkcode LocalStateStore.load} found. */
export interface LocalState {
  readonly pods: readonly Pod[];
  readonly configMaps: readonly ConfigMap[];
  readonly secrets: readonly Secret[];
  readonly tokens: readonly StoredServiceAccountToken[];
  /** Files that could not be read as what their name says; they were removed. */
  readonly corrupt: readonly CorruptStateFile[];
}

/** Which token {@linkcode LocalStateStore.removeToken} and {@linkcode LocalStateStore.token} mean. */
export type TokenIdentity = Pick<StoredServiceAccountToken, "namespace" | "name" | "spec">;

type Kind = "pods" | "configmaps" | "secrets" | "tokens";
const KINDS: readonly Kind[] = ["pods", "configmaps", "secrets", "tokens"];

interface Entry<T> {
  readonly value: T;
  readonly text: string;
  readonly digest: string;
}

function entryOf<T>(value: T): Entry<T> {
  const text = canonicalJson(value);
  return { value, text, digest: createHash("sha256").update(text).digest("hex") };
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function checkFileName(what: string, name: string): void {
  if (name === "" || name.includes("/") || name.startsWith(".") || name.includes("\0")) {
    throw new TypeError(`Cannot store ${what}: ${JSON.stringify(name)} is not a usable file name`);
  }
}

function namespacedKey(
  what: string,
  obj: { metadata?: { namespace?: string; name?: string } },
): string {
  const ns = obj.metadata?.namespace ?? "";
  const name = obj.metadata?.name ?? "";
  if (!ns || !name) {
    throw new TypeError(`Cannot store ${what} "${ns}/${name}": it needs a namespace and a name`);
  }
  checkFileName(`${what} "${ns}/${name}"`, ns);
  checkFileName(`${what} "${ns}/${name}"`, name);
  return `${ns}/${name}`;
}

function fileOfNamespaced(key: string): string {
  return `${key.replace("/", "_")}.json`;
}

function tokenFile(key: string): string {
  return `${createHash("sha256").update(key).digest("hex").slice(0, 32)}.json`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Keeps the node's desired state on disk; see the module documentation. */
export class LocalStateStore {
  readonly #dir: string;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #fs: StateFs;
  readonly #flushDelayMs: number;
  readonly #retryDelayMs: number;

  readonly #pods = new Map<string, Entry<Pod>>();
  readonly #configMaps = new Map<string, Entry<ConfigMap>>();
  readonly #secrets = new Map<string, Entry<Secret>>();
  readonly #tokens = new Map<string, Entry<StoredServiceAccountToken>>();
  /** Per pod UID: the `ns/name` keys of what it references. */
  readonly #podRefs = new Map<string, { configMaps: string[]; secrets: string[] }>();
  readonly #configMapRefs = new Map<string, number>();
  readonly #secretRefs = new Map<string, number>();

  /** `<kind>/<file>` → digest of what is on disk. */
  readonly #onDisk = new Map<string, string>();
  /** `<kind>/<file>` whose desired state may differ from the disk. */
  #dirty = new Set<string>();
  /** `<kind>/<file>` → the object key, for the files the store knows of. */
  readonly #fileKeys = new Map<string, string>();

  #loaded = false;
  #loading = false;
  #closed = false;
  #timer: TimerHandle | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(options: LocalStateStoreOptions) {
    this.#dir = options.dir.replace(/\/+$/, "") || "/";
    this.#logger = options.logger;
    this.#clock = options.clock ?? systemClock;
    this.#fs = options.fs ?? new DenoStateFs();
    this.#flushDelayMs = options.flushDelayMs ?? DEFAULT_FLUSH_DELAY_MS;
    this.#retryDelayMs = options.retryDelayMs ?? 5_000;
  }

  /** The number of files whose change is not written yet. */
  get pendingWrites(): number {
    let n = 0;
    for (const path of this.#dirty) if (this.#differs(path)) n++;
    return n;
  }

  /**
   * Reads what is stored (once, before any put). Corrupt files and leftover temporary files are
   * removed; ConfigMaps, Secrets and tokens no stored pod uses any more are left out and
   * removed with the next batch.
   */
  async load(): Promise<LocalState> {
    if (this.#loaded) throw new TypeError("Cannot load local state twice");
    this.#loaded = true;
    this.#loading = true;
    const corrupt: CorruptStateFile[] = [];
    for (const kind of KINDS) {
      const dir = `${this.#dir}/${kind}`;
      await this.#fs.mkdir(dir, STATE_DIR_MODE);
      let removed = false;
      for (const name of await this.#fs.readDir(dir)) {
        const path = `${dir}/${name}`;
        if (isTemporaryStateFile(name)) {
          this.#logger.info("Removing leftover temporary state file", { path });
          await this.#fs.remove(path);
          removed = true;
          continue;
        }
        if (!name.endsWith(".json")) continue;
        try {
          const parsed: unknown = JSON.parse(
            new TextDecoder().decode(await this.#fs.readFile(path)),
          );
          this.#adopt(kind, name, parsed);
        } catch (err) {
          const error = errorMessage(err);
          this.#logger.warn("Removing corrupt local state file", { path, error });
          corrupt.push({ path, error });
          await this.#fs.remove(path);
          removed = true;
        }
      }
      if (removed) await this.#fs.syncDir(dir);
    }
    this.#loading = false;
    for (const path of this.#onDisk.keys()) this.#dirty.add(path);
    if (this.pendingWrites > 0) this.#schedule(this.#flushDelayMs);
    const tokens = [...this.#tokens.entries()]
      .filter(([key]) => this.#tokenUsed(key))
      .map(([, e]) => e.value);
    return {
      pods: [...this.#pods.values()].map((e) => e.value),
      configMaps: [...this.#configMaps.entries()]
        .filter(([key]) => (this.#configMapRefs.get(key) ?? 0) > 0)
        .map(([, e]) => e.value),
      secrets: [...this.#secrets.entries()]
        .filter(([key]) => (this.#secretRefs.get(key) ?? 0) > 0)
        .map(([, e]) => e.value),
      tokens,
      corrupt,
    };
  }

  /** Stores `pod` (bound to this node; by UID). Returns whether its stored form changed. */
  putPod(pod: Pod): boolean {
    this.#checkOpen("pod");
    const uid = pod.metadata?.uid ?? "";
    const what = `pod "${pod.metadata?.namespace ?? ""}/${pod.metadata?.name ?? ""}"`;
    if (!uid) throw new TypeError(`Cannot store ${what}: it has no metadata.uid`);
    checkFileName(what, uid);
    const entry = entryOf(storedPod(pod));
    const old = this.#pods.get(uid);
    if (old?.digest === entry.digest) return false;
    this.#pods.set(uid, entry);
    this.#setPodRefs(uid, entry.value);
    this.#markPod(uid, entry.value);
    return true;
  }

  /** Forgets the pod with `uid`, and with it what only it used. */
  removePod(uid: string): boolean {
    this.#checkOpen("pod");
    const old = this.#pods.get(uid);
    if (!old) return false;
    this.#pods.delete(uid);
    this.#setPodRefs(uid, undefined);
    this.#markPod(uid, old.value);
    return true;
  }

  /** Stores `configMap`. Returns whether its stored form changed. */
  putConfigMap(configMap: ConfigMap): boolean {
    this.#checkOpen("ConfigMap");
    const key = namespacedKey("ConfigMap", configMap);
    const entry = entryOf(storedConfigMap(configMap));
    if (this.#configMaps.get(key)?.digest === entry.digest) return false;
    this.#configMaps.set(key, entry);
    this.#mark("configmaps", fileOfNamespaced(key), key);
    return true;
  }

  /** Forgets the ConfigMap (it was deleted). */
  removeConfigMap(namespace: string, name: string): boolean {
    this.#checkOpen("ConfigMap");
    const key = `${namespace}/${name}`;
    if (!this.#configMaps.delete(key)) return false;
    this.#mark("configmaps", fileOfNamespaced(key), key);
    return true;
  }

  /** Stores `secret`. Returns whether its stored form changed. */
  putSecret(secret: Secret): boolean {
    this.#checkOpen("Secret");
    const key = namespacedKey("Secret", secret);
    const entry = entryOf(storedSecret(secret));
    if (this.#secrets.get(key)?.digest === entry.digest) return false;
    this.#secrets.set(key, entry);
    this.#mark("secrets", fileOfNamespaced(key), key);
    return true;
  }

  /** Forgets the Secret (it was deleted). */
  removeSecret(namespace: string, name: string): boolean {
    this.#checkOpen("Secret");
    const key = `${namespace}/${name}`;
    if (!this.#secrets.delete(key)) return false;
    this.#mark("secrets", fileOfNamespaced(key), key);
    return true;
  }

  /** Stores an issued token. Returns whether its stored form changed. */
  putToken(token: StoredServiceAccountToken): boolean {
    this.#checkOpen("token");
    const key = tokenKey(token);
    const entry = entryOf(storedToken(token));
    if (this.#tokens.get(key)?.digest === entry.digest) return false;
    this.#tokens.set(key, entry);
    this.#mark("tokens", tokenFile(key), key);
    return true;
  }

  /** Forgets a token. */
  removeToken(token: TokenIdentity): boolean {
    this.#checkOpen("token");
    const key = tokenKey(token);
    if (!this.#tokens.delete(key)) return false;
    this.#mark("tokens", tokenFile(key), key);
    return true;
  }

  /** The stored pods (their stored form). */
  pods(): Pod[] {
    return [...this.#pods.values()].map((e) => e.value);
  }

  /** The stored pod with `uid`. */
  pod(uid: string): Pod | undefined {
    return this.#pods.get(uid)?.value;
  }

  /** The stored ConfigMap (a `ConfigMapGetter` for when the API is unreachable). */
  getConfigMap(namespace: string, name: string): Promise<ConfigMap | undefined> {
    return Promise.resolve(this.#configMaps.get(`${namespace}/${name}`)?.value);
  }

  /** The stored Secret (a `SecretGetter` for when the API is unreachable). */
  getSecret(namespace: string, name: string): Promise<Secret | undefined> {
    return Promise.resolve(this.#secrets.get(`${namespace}/${name}`)?.value);
  }

  /** The stored token for the service account `name` in `namespace` requested with `spec`. */
  token(token: TokenIdentity): TokenRequest | undefined {
    const stored = this.#tokens.get(tokenKey(token))?.value;
    return stored &&
      {
        apiVersion: "authentication.k8s.io/v1",
        kind: "TokenRequest",
        spec: stored.spec,
        status: stored.status,
      };
  }

  /** Writes every pending change now; rejects when a write fails (it is retried later). */
  async flush(): Promise<void> {
    this.#timer?.cancel();
    this.#timer = undefined;
    const run = this.#flushing.then(() => this.#writeBatch());
    this.#flushing = run.catch(() => {});
    await run;
  }

  /** Writes what is pending and stops; later puts throw. */
  async close(): Promise<void> {
    if (this.#closed) return;
    if (!this.#loaded) {
      this.#closed = true;
      return;
    }
    try {
      await this.flush();
    } finally {
      this.#closed = true;
      this.#timer?.cancel();
      this.#timer = undefined;
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #checkOpen(what: string): void {
    if (!this.#loaded) throw new TypeError(`Cannot store ${what} before the local state is loaded`);
    if (this.#closed) throw new TypeError(`Cannot store ${what}: the local state store is closed`);
  }

  /** Takes a file found by load as what is on disk. Throws when it is not what its name says. */
  #adopt(kind: Kind, name: string, parsed: unknown): void {
    if (!isObject(parsed)) throw new SyntaxError("expected a JSON object");
    const base = name.slice(0, -".json".length);
    switch (kind) {
      case "pods": {
        const pod = parsed as Pod;
        if (pod.kind !== "Pod") {
          throw new SyntaxError(`expected kind "Pod", found ${JSON.stringify(pod.kind)}`);
        }
        if (pod.metadata?.uid !== base) {
          throw new SyntaxError(
            `expected metadata.uid "${base}", found ${JSON.stringify(pod.metadata?.uid)}`,
          );
        }
        const entry = entryOf(pod);
        this.#pods.set(base, entry);
        this.#setPodRefs(base, pod);
        this.#known("pods", name, base, entry.digest);
        return;
      }
      case "configmaps":
      case "secrets": {
        const expected = kind === "configmaps" ? "ConfigMap" : "Secret";
        if (parsed.kind !== expected) {
          throw new SyntaxError(
            `expected kind "${expected}", found ${JSON.stringify(parsed.kind)}`,
          );
        }
        const key = namespacedKey(expected, parsed as ConfigMap);
        if (fileOfNamespaced(key) !== name) {
          throw new SyntaxError(
            `expected the ${expected} "${base.replace("_", "/")}", found "${key}"`,
          );
        }
        if (kind === "configmaps") {
          const entry = entryOf(parsed as ConfigMap);
          this.#configMaps.set(key, entry);
          this.#known(kind, name, key, entry.digest);
        } else {
          const entry = entryOf(parsed as Secret);
          this.#secrets.set(key, entry);
          this.#known(kind, name, key, entry.digest);
        }
        return;
      }
      case "tokens": {
        const t = parsed as unknown as StoredServiceAccountToken;
        if (
          typeof t.namespace !== "string" || typeof t.name !== "string" || !isObject(t.spec) ||
          !isObject(t.status)
        ) {
          throw new SyntaxError("expected a token with namespace, name, spec and status");
        }
        const key = tokenKey(t);
        if (tokenFile(key) !== name) {
          throw new SyntaxError("the token does not match its file name");
        }
        const entry = entryOf(t);
        this.#tokens.set(key, entry);
        this.#known(kind, name, key, entry.digest);
        return;
      }
    }
  }

  #known(kind: Kind, file: string, key: string, digest: string): void {
    const path = `${kind}/${file}`;
    this.#onDisk.set(path, digest);
    this.#fileKeys.set(path, key);
  }

  #setPodRefs(uid: string, pod: Pod | undefined): void {
    const old = this.#podRefs.get(uid);
    const ns = pod?.metadata?.namespace ?? "";
    const next = pod
      ? {
        configMaps: [...podConfigMapNames(pod)].map((n) => `${ns}/${n}`),
        secrets: [...podSecretNames(pod)].map((n) => `${ns}/${n}`),
      }
      : undefined;
    if (next) this.#podRefs.set(uid, next);
    else this.#podRefs.delete(uid);
    this.#count(this.#configMapRefs, "configmaps", old?.configMaps, next?.configMaps);
    this.#count(this.#secretRefs, "secrets", old?.secrets, next?.secrets);
  }

  #count(
    refs: Map<string, number>,
    kind: Kind,
    before: readonly string[] | undefined,
    after: readonly string[] | undefined,
  ): void {
    const was = new Set(before);
    const now = new Set(after);
    for (const key of was) {
      if (now.has(key)) continue;
      const n = (refs.get(key) ?? 0) - 1;
      if (n > 0) refs.set(key, n);
      else {
        refs.delete(key);
        // No pod uses it: nothing watches it any more, so the copy would go stale.
        (kind === "configmaps" ? this.#configMaps : this.#secrets).delete(key);
      }
      this.#mark(kind, fileOfNamespaced(key), key);
    }
    for (const key of now) {
      if (was.has(key)) continue;
      refs.set(key, (refs.get(key) ?? 0) + 1);
      this.#mark(kind, fileOfNamespaced(key), key);
    }
  }

  /** Marks the pod's file and the tokens that hang on it. */
  #markPod(uid: string, pod: Pod): void {
    this.#mark("pods", `${uid}.json`, uid);
    const ns = pod.metadata?.namespace ?? "";
    const gone = !this.#pods.has(uid);
    for (const [key, entry] of [...this.#tokens]) {
      const t = entry.value;
      const bound = t.spec.boundObjectRef?.uid;
      if (bound === uid || (!bound && t.namespace === ns)) {
        this.#mark("tokens", tokenFile(key), key);
      }
      // A token bound to a pod that is gone is of no use any more.
      if (bound === uid && gone) this.#tokens.delete(key);
    }
  }

  #mark(kind: Kind, file: string, key: string): void {
    const path = `${kind}/${file}`;
    this.#fileKeys.set(path, key);
    this.#dirty.add(path);
    if (this.#timer === undefined && !this.#closed && !this.#loading) {
      this.#schedule(this.#flushDelayMs);
    }
  }

  #schedule(delayMs: number): void {
    this.#timer?.cancel();
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.flush().catch((err) => {
        this.#logger.error("Cannot write local state", { dir: this.#dir, error: err });
        if (!this.#closed) this.#schedule(this.#retryDelayMs);
      });
    }, delayMs);
  }

  #tokenUsed(key: string): boolean {
    const t = this.#tokens.get(key)?.value;
    if (!t) return false;
    const bound = t.spec.boundObjectRef?.uid;
    if (bound) return this.#pods.has(bound);
    for (const e of this.#pods.values()) {
      const pod = e.value;
      if (
        pod.metadata?.namespace === t.namespace &&
        (pod.spec?.serviceAccountName || "default") === t.name
      ) return true;
    }
    return false;
  }

  /** What should be in the file at `path` now: its entry, or undefined for no file. */
  #desired(path: string): Entry<unknown> | undefined {
    const key = this.#fileKeys.get(path);
    if (key === undefined) return undefined;
    const kind = path.slice(0, path.indexOf("/")) as Kind;
    switch (kind) {
      case "pods":
        return this.#pods.get(key);
      case "configmaps":
        return (this.#configMapRefs.get(key) ?? 0) > 0 ? this.#configMaps.get(key) : undefined;
      case "secrets":
        return (this.#secretRefs.get(key) ?? 0) > 0 ? this.#secrets.get(key) : undefined;
      case "tokens":
        return this.#tokenUsed(key) ? this.#tokens.get(key) : undefined;
    }
  }

  #differs(path: string): boolean {
    return this.#desired(path)?.digest !== this.#onDisk.get(path);
  }

  async #writeBatch(): Promise<void> {
    const paths = [...this.#dirty];
    this.#dirty = new Set();
    const failed: string[] = [];
    let firstError: unknown;
    // Dependencies first, then pods, then the dependencies that went away.
    const isPod = (p: string) => p.startsWith("pods/");
    const phases: Array<(p: string) => boolean> = [
      (p) => !isPod(p) && this.#desired(p) !== undefined,
      isPod,
      (p) => !isPod(p) && this.#desired(p) === undefined,
    ];
    const done = new Set<string>();
    for (const inPhase of phases) {
      const synced = new Set<string>();
      for (const path of paths) {
        if (done.has(path) || !inPhase(path)) continue;
        done.add(path);
        if (!this.#differs(path)) continue;
        const want = this.#desired(path);
        const full = `${this.#dir}/${path}`;
        try {
          if (want) {
            await this.#fs.writeFile(full, new TextEncoder().encode(want.text), STATE_FILE_MODE);
            this.#onDisk.set(path, want.digest);
          } else {
            await this.#fs.remove(full);
            this.#onDisk.delete(path);
          }
          synced.add(path.slice(0, path.indexOf("/")));
        } catch (err) {
          failed.push(path);
          firstError ??= err;
        }
      }
      for (const kind of synced) {
        try {
          await this.#fs.syncDir(`${this.#dir}/${kind}`);
        } catch (err) {
          firstError ??= err;
        }
      }
    }
    for (const path of paths) {
      if (!this.#onDisk.has(path) && this.#desired(path) === undefined && !failed.includes(path)) {
        this.#fileKeys.delete(path);
      }
    }
    for (const path of failed) this.#dirty.add(path);
    if (firstError !== undefined) {
      throw new Error(`Cannot write local state in "${this.#dir}"`, { cause: firstError });
    }
    // Changes made while this batch was written go out with the next one.
    if (this.#dirty.size > 0 && this.#timer === undefined && !this.#closed) {
      this.#schedule(this.#flushDelayMs);
    }
  }
}
