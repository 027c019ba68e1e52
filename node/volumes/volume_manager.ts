/**
 * A node's pod volumes, set up as the kubelet lays them out: each volume in
 * `<pods-dir>/<pod-uid>/volumes/kubernetes.io~<plugin>/<name>` (hostPath volumes are the node's
 * path itself).
 *
 * - `emptyDir` is a directory (mode 0777), or with `medium: Memory` a tmpfs sized by
 *   {@linkcode emptyDirMemorySize}; the `sizeLimit` of a disk emptyDir is only reported
 *   ({@linkcode MountedVolume.sizeLimitBytes}): eviction enforces it.
 * - `configMap`, `secret`, `downwardAPI` and `projected` volumes are written by an
 *   {@linkcode AtomicWriter} into such a directory — on tmpfs for secrets and projected volumes,
 *   so secrets and tokens never reach the disk — and containers mount them read-only.
 * - `hostPath` volumes are checked against their `type` ({@linkcode setUpHostPath}).
 *
 * The manager needs no API and no container runtime: ConfigMaps, Secrets and tokens come from
 * injected getters, mounts go through an injected {@linkcode CommandRunner}. The agent calls
 * {@linkcode VolumeManager.setUpPod} before starting a pod's containers, the `on…` methods on
 * watch events (a changed ConfigMap or Secret, an updated pod, a refreshed token) so that
 * running pods see new contents, and {@linkcode VolumeManager.tearDownPod} once the pod's
 * containers are gone. Failures read as the kubelet's `FailedMount` events:
 * `MountVolume.SetUp failed for volume "config" : configmap "app" not found`.
 *
 * @module
 */
import type { Pod, Volume } from "../../control/api/types/core_v1_pod.ts";
import type { ConfigMap, Secret } from "../../control/api/types/core_v1_config.ts";
import {
  DEFAULT_TOKEN_EXPIRATION_SECONDS,
  type TokenRequest,
  type TokenRequestSpec,
} from "../../control/api/types/authentication_v1.ts";
import { Quantity } from "../../control/api/types/quantity.ts";
import type { Clock } from "../../control/util/clock.ts";
import type { Logger } from "../../control/util/logger.ts";
import type { CommandRunner } from "../containerd/command_runner.ts";
import { AtomicWriter, type FileProjection, type Payload } from "./atomic_writer.ts";
import type { NodeResourceList } from "../status/node_resources.ts";
import { DEFAULT_VOLUME_FILE_MODE, downwardApiPayload } from "./downward_api.ts";
import { configMapPayload, secretPayload } from "./key_projection.ts";
import { emptyDirMemorySize, STORAGE_MEDIUM_MEMORY, tmpfsMountOptions } from "./empty_dir.ts";
import { setUpHostPath } from "./host_path.ts";
import { CommandMounter, type Mounter } from "./mounter.ts";
import { aggregateError } from "./_aggregate.ts";

/** The in-tree volume plugins skiff implements, by upstream's names. */
export const VOLUME_PLUGINS = {
  emptyDir: "kubernetes.io/empty-dir",
  configMap: "kubernetes.io/configmap",
  secret: "kubernetes.io/secret",
  downwardAPI: "kubernetes.io/downward-api",
  projected: "kubernetes.io/projected",
  hostPath: "kubernetes.io/host-path",
} as const;

/** One of the names in {@linkcode VOLUME_PLUGINS}. */
export type VolumePluginName = typeof VOLUME_PLUGINS[keyof typeof VOLUME_PLUGINS];

/** The reason of the Warning event a failed volume set-up is reported with. */
export const FAILED_MOUNT_REASON = "FailedMount";

/** A plugin name as a directory name: `kubernetes.io/configmap` → `kubernetes.io~configmap`. */
export function escapePluginName(name: string): string {
  return name.replaceAll("/", "~");
}

/** Reads ConfigMaps (from an informer's cache). */
export interface ConfigMapGetter {
  /** The ConfigMap, or undefined when it does not exist; rejects for other failures. */
  getConfigMap(namespace: string, name: string): Promise<ConfigMap | undefined>;
}

/** Reads Secrets (from an informer's cache). */
export interface SecretGetter {
  /** The Secret, or undefined when it does not exist; rejects for other failures. */
  getSecret(namespace: string, name: string): Promise<Secret | undefined>;
}

/** Issues ServiceAccount tokens ({@linkcode TokenManager} is one). */
export interface ServiceAccountTokenSource {
  getServiceAccountToken(
    namespace: string,
    name: string,
    spec: TokenRequestSpec,
  ): Promise<TokenRequest>;
  /** Forgets the tokens bound to a pod that is gone. */
  deleteServiceAccountTokens(podUid: string): void;
}

/** Options of {@linkcode VolumeManager}. */
export interface VolumeManagerOptions {
  /** Where pod directories live (`<data-dir>/agent/pods`). */
  readonly podsDir: string;
  readonly configMaps: ConfigMapGetter;
  readonly secrets: SecretGetter;
  readonly tokens: ServiceAccountTokenSource;
  /** Runs `mount` and `umount`. */
  readonly runner: CommandRunner;
  /** Reads the mount table. @default {reads /proc/self/mountinfo} */
  readonly readMountInfo?: () => Promise<string>;
  /** The node's allocatable resources (downward API defaults, tmpfs sizes). */
  readonly nodeAllocatable: () => Readonly<NodeResourceList>;
  readonly logger: Logger;
  /** Names the atomic writer's timestamped directories. @default {systemClock} */
  readonly clock?: Clock;
  /** Keep secret and projected volumes on tmpfs, as upstream does. @default {true} */
  readonly secretsOnTmpfs?: boolean;
  /** Mount tmpfs volumes with `noswap` (Linux 6.4+). @default {false} */
  readonly tmpfsNoswap?: boolean;
}

/** A volume ready for the pod's containers. */
export interface MountedVolume {
  readonly name: string;
  readonly plugin: VolumePluginName;
  /** What containers mount (with the volumeMount's `subPath` appended). */
  readonly hostPath: string;
  /** Containers must mount it read-only (configMap, secret, downwardAPI, projected). */
  readonly readOnly: boolean;
  /** A tmpfs volume. */
  readonly memoryBacked: boolean;
  /** A disk emptyDir's `sizeLimit` in bytes, for eviction to enforce. */
  readonly sizeLimitBytes?: bigint;
}

/** A volume that could not be set up or updated. */
export interface VolumeFailure {
  readonly podUid: string;
  readonly podNamespace: string;
  readonly podName: string;
  readonly volume: string;
  /** The event message, as the kubelet's. */
  readonly message: string;
  readonly cause: unknown;
}

/** {@linkcode VolumeManager.setUpPod} failed for some of the pod's volumes. */
export class VolumeSetUpError extends Error {
  readonly failures: readonly VolumeFailure[];

  constructor(failures: readonly VolumeFailure[]) {
    const first = failures[0];
    super(
      first
        ? `Cannot set up the volumes of pod "${first.podNamespace}/${first.podName}": ${
          failures.map((f) => f.message).join("; ")
        }`
        : "Cannot set up the volumes of a pod",
    );
    this.name = "VolumeSetUpError";
    this.failures = failures;
  }
}

type VolumeKind = keyof typeof VOLUME_PLUGINS;

const PAYLOAD_KINDS: ReadonlySet<VolumeKind> = new Set([
  "configMap",
  "secret",
  "downwardAPI",
  "projected",
]);

function kindOf(volume: Volume): VolumeKind | undefined {
  for (const kind of Object.keys(VOLUME_PLUGINS) as VolumeKind[]) {
    if (volume[kind] !== undefined) return kind;
  }
  return undefined;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Upstream's `GenerateError`: `<prefix> for volume "<name>" : <error>`. */
function mountError(prefix: string, volume: string, err: unknown): string {
  return `${prefix} for volume ${JSON.stringify(volume)} : ${errorMessage(err)}`;
}

/** A pod UID as a safe directory name. */
function checkUid(uid: string | undefined): string {
  if (!uid || uid.includes("/") || uid === "." || uid === "..") {
    throw new TypeError(`Cannot manage the volumes of a pod with UID "${uid ?? ""}"`);
  }
  return uid;
}

/** The pod's runAsUser when every (init) container runs as the same one (upstream's `FsUserFrom`). */
function fsUserOf(pod: Pod): number | undefined {
  let user: number | undefined;
  const containers = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  for (const c of containers) {
    const uid = c.securityContext?.runAsUser ?? pod.spec?.securityContext?.runAsUser;
    if (uid === undefined || (user !== undefined && user !== uid)) return undefined;
    user = uid;
  }
  return user;
}

interface TrackedPod {
  pod: Pod;
  readonly writers: Map<string, AtomicWriter>;
}

/** Group bits `fsGroup` adds to a volume's root directory (setgid, rwx for the group). */
const FS_GROUP_ROOT_BITS = 0o2770;

/** Sets up, updates and tears down the volumes of the pods on this node. */
export class VolumeManager {
  readonly #podsDir: string;
  readonly #configMaps: ConfigMapGetter;
  readonly #secrets: SecretGetter;
  readonly #tokens: ServiceAccountTokenSource;
  readonly #mounter: Mounter;
  readonly #nodeAllocatable: () => Readonly<NodeResourceList>;
  readonly #logger: Logger;
  readonly #clock: Clock | undefined;
  readonly #secretsOnTmpfs: boolean;
  readonly #noswap: boolean;
  readonly #pods = new Map<string, TrackedPod>();
  readonly #locks = new Map<string, Promise<unknown>>();

  constructor(options: VolumeManagerOptions) {
    this.#podsDir = options.podsDir;
    this.#configMaps = options.configMaps;
    this.#secrets = options.secrets;
    this.#tokens = options.tokens;
    this.#mounter = new CommandMounter({
      runner: options.runner,
      ...(options.readMountInfo ? { readMountInfo: options.readMountInfo } : {}),
    });
    this.#nodeAllocatable = options.nodeAllocatable;
    this.#logger = options.logger;
    this.#clock = options.clock;
    this.#secretsOnTmpfs = options.secretsOnTmpfs ?? true;
    this.#noswap = options.tmpfsNoswap ?? false;
  }

  /** `<pods-dir>/<uid>/volumes/kubernetes.io~<plugin>/<name>`. */
  volumePath(podUid: string, plugin: VolumePluginName, name: string): string {
    if (name === "" || name.includes("/") || name === "." || name === "..") {
      throw new TypeError(`Cannot set up a volume named "${name}"`);
    }
    return `${this.#podsDir}/${checkUid(podUid)}/volumes/${escapePluginName(plugin)}/${name}`;
  }

  /** The UIDs of the pods whose volumes are tracked. */
  get podUids(): string[] {
    return [...this.#pods.keys()];
  }

  /**
   * Sets up every volume of `pod` (again: it is idempotent, and unchanged payloads write
   * nothing) and returns them by name. Throws a {@linkcode VolumeSetUpError} listing the
   * volumes that failed; the others are set up, and a later call retries the rest.
   */
  async setUpPod(pod: Pod): Promise<ReadonlyMap<string, MountedVolume>> {
    const uid = checkUid(pod.metadata?.uid);
    return await this.#locked(uid, async () => {
      const tracked = this.#track(uid, pod);
      const mounted = new Map<string, MountedVolume>();
      const failures: VolumeFailure[] = [];
      for (const volume of pod.spec?.volumes ?? []) {
        const kind = kindOf(volume);
        if (kind === undefined) {
          failures.push(
            this.#failure(
              pod,
              volume.name,
              "MountVolume.FindPluginBySpec failed",
              new Error("no volume plugin matched"),
            ),
          );
          continue;
        }
        try {
          mounted.set(volume.name, await this.#setUpVolume(tracked, volume, kind));
        } catch (err) {
          failures.push(this.#failure(pod, volume.name, "MountVolume.SetUp failed", err));
        }
      }
      if (failures.length > 0) throw new VolumeSetUpError(failures);
      return mounted;
    });
  }

  /** Rewrites the volumes that project the ConfigMap `namespace/name`; returns the failures. */
  onConfigMapChanged(namespace: string, name: string): Promise<VolumeFailure[]> {
    return this.#resyncWhere((pod, volume) =>
      pod.metadata?.namespace === namespace &&
      (volume.configMap?.name === name ||
        (volume.projected?.sources ?? []).some((s) => s.configMap?.name === name))
    );
  }

  /** Rewrites the volumes that project the Secret `namespace/name`; returns the failures. */
  onSecretChanged(namespace: string, name: string): Promise<VolumeFailure[]> {
    return this.#resyncWhere((pod, volume) =>
      pod.metadata?.namespace === namespace &&
      ((volume.secret !== undefined && (volume.secret.secretName ?? "") === name) ||
        (volume.projected?.sources ?? []).some((s) => s.secret?.name === name))
    );
  }

  /**
   * Takes a newer version of a tracked pod and rewrites its downward API files (labels and
   * annotations change on a running pod); returns the failures.
   */
  async onPodUpdated(pod: Pod): Promise<VolumeFailure[]> {
    const uid = checkUid(pod.metadata?.uid);
    const tracked = this.#pods.get(uid);
    if (!tracked) return [];
    tracked.pod = pod;
    return await this.#resyncWhere(
      (p, volume) =>
        p.metadata?.uid === uid &&
        (volume.downwardAPI !== undefined ||
          (volume.projected?.sources ?? []).some((s) => s.downwardAPI !== undefined)),
    );
  }

  /** Rewrites the pod's projected volumes holding a ServiceAccount token; returns the failures. */
  onServiceAccountTokenRefreshed(podUid: string): Promise<VolumeFailure[]> {
    return this.#resyncWhere((pod, volume) =>
      pod.metadata?.uid === podUid &&
      (volume.projected?.sources ?? []).some((s) => s.serviceAccountToken !== undefined)
    );
  }

  /**
   * Removes a pod's volumes, working from what is on disk (so it also cleans up after an agent
   * restart): unmounts its tmpfs volumes, removes the volume directories, forgets its tokens,
   * and removes the pod directory when nothing else is left in it. Call it once the pod's
   * containers are gone. Refuses to remove a directory with any other mount below it.
   */
  async tearDownPod(podUid: string): Promise<void> {
    const uid = checkUid(podUid);
    return await this.#locked(uid, async () => {
      const podDir = `${this.#podsDir}/${uid}`;
      const volumesDir = `${podDir}/volumes`;
      const errors: Error[] = [];
      const mounts = await this.#mounter.mountsUnder(volumesDir);
      const realVolumes = mounts.length ? await Deno.realPath(volumesDir) : volumesDir;
      for (const entry of mounts.toReversed()) {
        const rel = entry.mountPoint.slice(realVolumes.length + 1);
        const ours = entry.fsType === "tmpfs" && rel.split("/").length === 2;
        if (!ours) {
          errors.push(
            new Error(
              `Cannot tear down the volumes of pod "${uid}": a ${entry.fsType} file system is mounted at "${entry.mountPoint}"`,
            ),
          );
          continue;
        }
        try {
          await this.#mounter.unmount(entry.mountPoint);
        } catch (err) {
          errors.push(err instanceof Error ? err : new Error(String(err)));
        }
      }
      if (errors.length > 0) throw aggregateError(errors);
      for (const dir of [volumesDir, `${podDir}/plugins`]) {
        await Deno.remove(dir, { recursive: true }).catch((err) => {
          if (!(err instanceof Deno.errors.NotFound)) throw err;
        });
      }
      await Deno.remove(podDir).catch(() => {
        // Not empty (other parts of the agent keep files there) or already gone.
      });
      this.#tokens.deleteServiceAccountTokens(uid);
      this.#pods.delete(uid);
      this.#logger.debug("Tore down pod volumes", { podUid: uid });
    });
  }

  /**
   * Tears down the pods found in the pods directory whose UID is not in `keep` (pods deleted
   * while the agent was down). Returns the UIDs torn down.
   */
  async tearDownOrphans(keep: Iterable<string>): Promise<string[]> {
    const keepSet = new Set(keep);
    const torn: string[] = [];
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(this.#podsDir));
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return [];
      throw err;
    }
    for (const entry of entries) {
      if (!entry.isDirectory || keepSet.has(entry.name)) continue;
      try {
        await this.tearDownPod(entry.name);
        torn.push(entry.name);
      } catch (err) {
        this.#logger.warn("Cannot tear down orphaned pod volumes", {
          podUid: entry.name,
          error: err,
        });
      }
    }
    return torn;
  }

  #track(uid: string, pod: Pod): TrackedPod {
    let tracked = this.#pods.get(uid);
    if (!tracked) {
      tracked = { pod, writers: new Map() };
      this.#pods.set(uid, tracked);
    }
    tracked.pod = pod;
    return tracked;
  }

  #failure(pod: Pod, volume: string, prefix: string, err: unknown): VolumeFailure {
    const failure: VolumeFailure = {
      podUid: pod.metadata?.uid ?? "",
      podNamespace: pod.metadata?.namespace ?? "",
      podName: pod.metadata?.name ?? "",
      volume,
      message: mountError(prefix, volume, err),
      cause: err,
    };
    this.#logger.warn("Volume set-up failed", {
      pod: `${failure.podNamespace}/${failure.podName}`,
      volume,
      error: err,
    });
    return failure;
  }

  /** Runs `fn` after the previous operation on the same pod settled. */
  #locked<T>(uid: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(uid) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const tail = run.catch(() => {});
    this.#locks.set(uid, tail);
    tail.then(() => {
      if (this.#locks.get(uid) === tail) this.#locks.delete(uid);
    });
    return run;
  }

  async #resyncWhere(match: (pod: Pod, volume: Volume) => boolean): Promise<VolumeFailure[]> {
    const failures: VolumeFailure[] = [];
    for (const [uid, tracked] of [...this.#pods]) {
      const volumes = (tracked.pod.spec?.volumes ?? []).filter((v) => match(tracked.pod, v));
      if (volumes.length === 0) continue;
      await this.#locked(uid, async () => {
        if (this.#pods.get(uid) !== tracked) return; // torn down meanwhile
        for (const volume of volumes) {
          const kind = kindOf(volume);
          if (kind === undefined || !PAYLOAD_KINDS.has(kind)) continue;
          try {
            await this.#setUpVolume(tracked, volume, kind);
          } catch (err) {
            failures.push(this.#failure(tracked.pod, volume.name, "MountVolume.SetUp failed", err));
          }
        }
      });
    }
    return failures;
  }

  async #setUpVolume(
    tracked: TrackedPod,
    volume: Volume,
    kind: VolumeKind,
  ): Promise<MountedVolume> {
    const pod = tracked.pod;
    const uid = checkUid(pod.metadata?.uid);
    const plugin = VOLUME_PLUGINS[kind];
    if (kind === "hostPath" && volume.hostPath) {
      return {
        name: volume.name,
        plugin,
        hostPath: await setUpHostPath(volume.hostPath),
        readOnly: false,
        memoryBacked: false,
      };
    }
    const dir = this.volumePath(uid, plugin, volume.name);
    const fsGroup = pod.spec?.securityContext?.fsGroup;
    if (kind === "emptyDir") {
      const medium = volume.emptyDir?.medium ?? "";
      const sizeLimit = volume.emptyDir?.sizeLimit;
      if (medium !== "" && medium !== STORAGE_MEDIUM_MEMORY) {
        throw new Error(`unknown storage medium ${JSON.stringify(medium)}`);
      }
      const memory = medium === STORAGE_MEDIUM_MEMORY;
      await this.#setUpDir(dir, { memory, pod, sizeLimit, fsGroup, writable: true });
      const limit = !memory && sizeLimit !== undefined
        ? Quantity.parse(sizeLimit).value()
        : undefined;
      return {
        name: volume.name,
        plugin,
        hostPath: dir,
        readOnly: false,
        memoryBacked: memory,
        ...(limit !== undefined && limit > 0n ? { sizeLimitBytes: limit } : {}),
      };
    }
    // configMap, secret, downwardAPI and projected: a wrapped emptyDir and a payload.
    const memory = this.#secretsOnTmpfs && (kind === "secret" || kind === "projected");
    await this.#setUpDir(dir, { memory, pod, sizeLimit: undefined, fsGroup, writable: false });
    const payload = await this.#collect(pod, volume, kind);
    let writer = tracked.writers.get(volume.name);
    if (!writer) {
      writer = new AtomicWriter(dir, this.#clock ? { clock: this.#clock } : {});
      tracked.writers.set(volume.name, writer);
    }
    const wrote = await writer.write(payload, fsGroup === undefined ? {} : { fsGroup });
    if (wrote) {
      this.#logger.debug("Wrote volume payload", {
        pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`,
        volume: volume.name,
        files: payload.size,
      });
    }
    return { name: volume.name, plugin, hostPath: dir, readOnly: true, memoryBacked: memory };
  }

  /** The emptyDir a volume lives in: created 0777, mounted as tmpfs when memory-backed. */
  async #setUpDir(
    dir: string,
    options: {
      memory: boolean;
      pod: Pod;
      sizeLimit: string | undefined;
      fsGroup: number | undefined;
      writable: boolean;
    },
  ): Promise<void> {
    let created = false;
    try {
      await Deno.lstat(dir);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
      await Deno.mkdir(dir, { recursive: true, mode: 0o750 });
      created = true;
    }
    if (created) {
      // The parents stay 0750 (the agent's); the volume itself is open to any container user.
      await Deno.chmod(dir, 0o777);
    }
    let mounted = false;
    if (options.memory && await this.#mounter.mountedFsType(dir) !== "tmpfs") {
      const size = emptyDirMemorySize(options.pod, {
        ...(this.#nodeAllocatable().memory === undefined
          ? {}
          : { nodeAllocatableMemory: this.#nodeAllocatable().memory }),
        ...(options.sizeLimit === undefined ? {} : { sizeLimit: options.sizeLimit }),
      });
      await this.#mounter.mountTmpfs(dir, tmpfsMountOptions(size, { noswap: this.#noswap }));
      mounted = true;
    }
    if (options.fsGroup !== undefined && (created || mounted)) {
      const info = await Deno.stat(dir);
      await Deno.chown(dir, null, options.fsGroup);
      await Deno.chmod(dir, ((info.mode ?? 0o777) & 0o7777) | FS_GROUP_ROOT_BITS);
    }
  }

  async #collect(pod: Pod, volume: Volume, kind: VolumeKind): Promise<Payload> {
    const namespace = pod.metadata?.namespace ?? "default";
    if (kind === "configMap" && volume.configMap) {
      const source = volume.configMap;
      const configMap = await this.#getConfigMap(namespace, source.name ?? "", source.optional);
      return configMapPayload(configMap, source);
    }
    if (kind === "secret" && volume.secret) {
      const source = volume.secret;
      const secret = await this.#getSecret(namespace, source.secretName ?? "", source.optional);
      return secretPayload(secret, source);
    }
    if (kind === "downwardAPI" && volume.downwardAPI) {
      return downwardApiPayload(volume.downwardAPI.items ?? [], {
        pod,
        ...(volume.downwardAPI.defaultMode === undefined
          ? {}
          : { defaultMode: volume.downwardAPI.defaultMode }),
        nodeAllocatable: this.#nodeAllocatable(),
      });
    }
    if (kind === "projected" && volume.projected) return await this.#collectProjected(pod, volume);
    throw new Error(`Spec does not reference a ${kind} volume type`);
  }

  async #getConfigMap(
    namespace: string,
    name: string,
    optional: boolean | undefined,
  ): Promise<ConfigMap> {
    const found = await this.#configMaps.getConfigMap(namespace, name);
    if (found) return found;
    if (!optional) throw new Error(`configmap ${JSON.stringify(name)} not found`);
    return { metadata: { name, namespace } };
  }

  async #getSecret(
    namespace: string,
    name: string,
    optional: boolean | undefined,
  ): Promise<Secret> {
    const found = await this.#secrets.getSecret(namespace, name);
    if (found) return found;
    if (!optional) throw new Error(`secret ${JSON.stringify(name)} not found`);
    return { metadata: { name, namespace } };
  }

  /** The files of a projected volume, from all its sources; every failing source is reported. */
  async #collectProjected(pod: Pod, volume: Volume): Promise<Payload> {
    const projected = volume.projected ?? {};
    const namespace = pod.metadata?.namespace ?? "default";
    const defaultMode = projected.defaultMode ?? DEFAULT_VOLUME_FILE_MODE;
    const fsUser = fsUserOf(pod);
    const fsGroup = pod.spec?.securityContext?.fsGroup;
    const payload = new Map<string, FileProjection>();
    const errors: Error[] = [];
    const merge = (part: Payload) => {
      for (const [k, v] of part) payload.set(k, v);
    };
    for (const source of projected.sources ?? []) {
      try {
        if (source.secret) {
          const s = source.secret;
          const secret = await this.#getSecret(namespace, s.name ?? "", s.optional);
          merge(secretPayload(secret, { ...s, defaultMode }));
        } else if (source.configMap) {
          const c = source.configMap;
          const configMap = await this.#getConfigMap(namespace, c.name ?? "", c.optional);
          merge(configMapPayload(configMap, { ...c, defaultMode }));
        } else if (source.downwardAPI) {
          merge(downwardApiPayload(source.downwardAPI.items ?? [], {
            pod,
            defaultMode,
            nodeAllocatable: this.#nodeAllocatable(),
          }));
        } else if (source.serviceAccountToken) {
          const t = source.serviceAccountToken;
          const spec: TokenRequestSpec = {
            ...(t.audience ? { audiences: [t.audience] } : {}),
            expirationSeconds: t.expirationSeconds ?? DEFAULT_TOKEN_EXPIRATION_SECONDS,
            boundObjectRef: {
              apiVersion: "v1",
              kind: "Pod",
              name: pod.metadata?.name ?? "",
              uid: pod.metadata?.uid ?? "",
            },
          };
          const account = pod.spec?.serviceAccountName || "default";
          const issued = await this.#tokens.getServiceAccountToken(namespace, account, spec);
          // With fsUser or fsGroup the token is private to them (0600, 0640 with the group).
          const mode = fsUser !== undefined || fsGroup !== undefined ? 0o600 : defaultMode;
          payload.set(t.path, {
            data: new TextEncoder().encode(issued.status?.token ?? ""),
            mode,
            ...(fsUser === undefined ? {} : { fsUser }),
          });
        } else if (source.clusterTrustBundle) {
          throw new Error("clusterTrustBundle projections are not supported by skiff");
        }
      } catch (err) {
        errors.push(err instanceof Error ? err : new Error(String(err)));
      }
    }
    if (errors.length > 0) throw aggregateError(errors);
    return payload;
  }
}
