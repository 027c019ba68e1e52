/**
 * `skiff server`: the control plane's startup script, in the order k3s wires its parts:
 * data directory → storage (+ compactor) → cluster certificates and kubeconfig → API server
 * (HTTPS, bootstrap objects) → scheduler (in process, as `system:kube-scheduler`; off with
 * `--disable-scheduler`) and controller manager (in process; off with
 * `--disable-controller-manager`), both under leader election on etcd, where several servers
 * share the datastore, and without it on the embedded Deno KV datastore, which only this process
 * can open → the node agent (unless `--disable-agent`, see `server_agent.ts`). On shutdown the
 * scheduler and the controllers stop (releasing their leases, flushing queued events), then the
 * agent (leaving its containers running), before the API server closes.
 *
 * @module
 */
import { dirname } from "node:path";
import type { ServerConfig } from "./config.ts";
import { runCompactor } from "./storage/compactor.ts";
import { type EncryptingStorage, openEncryptingStorage } from "./storage/encrypting_storage.ts";
import { encryptingStorageOptionsOf, ensureEncryptionConfig } from "./storage/encryption_config.ts";
import { EncryptionKeyManager } from "./storage/encryption_rotation.ts";
import { openStorage } from "./storage/registry.ts";
import type { Storage } from "./storage/types.ts";
import type { Clock, Logger } from "./util/mod.ts";
import { type ApiServer, startApiServer } from "./api/api_server.ts";
import { InProcessClient } from "./api/in_process_client.ts";
import { secretsEncryptRoutes } from "./api/secrets_encrypt_route.ts";
import { CertificateRenewer } from "./api/pki/certificate_renewer.ts";
import { ensureClusterPki, servingCertificateNames } from "./api/pki/cluster_pki.ts";
import { BUILTIN_RESOURCES } from "./api/registry/builtin_resources.ts";
import { ResourceRegistry } from "./api/registry/resource_registry.ts";
import { KUBERNETES_VERSION, SKIFF_VERSION } from "./version.ts";
import type { RunningAgent } from "../node/agent/agent.ts";
import { type MallocControl, MallocTrimmer, openGlibcMalloc } from "./util/glibc_malloc.ts";
import { observeStorage, SERVER_TRIM } from "./_server_malloc.ts";
import { v8FullGc } from "./util/v8_gc.ts";

/** What {@linkcode runServer} needs from its caller. */
export interface ServerDeps {
  readonly logger: Logger;
  readonly clock: Clock;
  /** Aborting it shuts the server down. */
  readonly signal: AbortSignal;
  /**
   * The machine's network interfaces (the serving certificate covers their addresses; the
   * first non-loopback IPv4 one is advertised). @default {Deno.networkInterfaces}
   */
  readonly interfaces?: () => readonly Pick<Deno.NetworkInterfaceInfo, "family" | "address">[];
  /** The machine's hostname. @default {Deno.hostname} */
  readonly hostname?: () => string;
  /**
   * The process's C allocator, given back free pages after bursts (see `_server_malloc.ts`);
   * null leaves it alone. @default {glibc's, when this process can call it}
   */
  readonly malloc?: (MallocControl & Disposable) | null;
  /** A full V8 collection, before each trim. @default {V8's, when the runtime gives it} */
  readonly collectGarbage?: () => void;
}

/** The machine's network interfaces; none when they cannot be read (no permission). */
function systemInterfaces(): Deno.NetworkInterfaceInfo[] {
  try {
    return Deno.networkInterfaces();
  } catch {
    return [];
  }
}

/** The `/version` document for the served Kubernetes API. */
function versionDocument(): {
  major: string;
  minor: string;
  gitVersion: string;
  [k: string]: string;
} {
  return {
    major: KUBERNETES_VERSION.major,
    minor: KUBERNETES_VERSION.minor,
    gitVersion: `${KUBERNETES_VERSION.gitVersion}+skiff${SKIFF_VERSION}`,
    gitCommit: "0000000000000000000000000000000000000000",
    gitTreeState: "clean",
    buildDate: "2026-12-01T00:00:00Z",
    goVersion: `deno${Deno.version.deno}`,
    compiler: "deno",
    platform: `linux/${Deno.build.arch === "aarch64" ? "arm64" : "amd64"}`,
  };
}

/** A server {@linkcode runServer} started. */
export interface RunningServer {
  /** Resolves once storage is open; rejects when startup fails. */
  readonly ready: Promise<void>;
  /** Resolves after a clean shutdown; rejects when startup or shutdown fails. */
  readonly finished: Promise<void>;
}

const DIR_MODE = 0o700;
/** glibc arenas the server makes at most: the JS thread's, and one for every other thread. */
const SERVER_ARENAS = 2;

/** Creates `path` (and its parents) with mode 0700; returns whether it already existed. */
async function ensurePrivateDir(path: string): Promise<{ existed: boolean; mode: number | null }> {
  try {
    const info = await Deno.stat(path);
    if (!info.isDirectory) {
      throw new Error(`Cannot create directory "${path}": a file is in the way`);
    }
    return { existed: true, mode: info.mode === null ? null : info.mode & 0o777 };
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  await Deno.mkdir(path, { recursive: true, mode: DIR_MODE });
  await Deno.chmod(path, DIR_MODE);
  return { existed: false, mode: DIR_MODE };
}

/** The directory a `kv://` storage URL keeps its file in, or `null` for other backends. */
function kvDirectory(storageUrl: string): string | null {
  const match = /^kv:\/\/(\/.*)$/.exec(storageUrl);
  return match?.[1] ? dirname(match[1]) : null;
}

function abortPromise(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) =>
    signal.addEventListener("abort", () => resolve(), { once: true })
  );
}

async function serve(
  config: ServerConfig,
  deps: ServerDeps,
  onReady: () => void,
): Promise<void> {
  const { logger, clock, signal } = deps;
  const startMs = clock.now();
  logger.info("Starting skiff server", {
    version: SKIFF_VERSION,
    nodeName: config.nodeName,
    dataDir: config.dataDir,
    storage: config.storage,
    httpsPort: config.httpsPort,
    disableAgent: config.disableAgent,
    disableScheduler: config.disableScheduler,
    configFile: config.configFile,
  });

  const dataDir = await ensurePrivateDir(config.dataDir).catch((err) => {
    throw new Error(`Cannot create data directory "${config.dataDir}"`, { cause: err });
  });
  if (dataDir.existed && dataDir.mode !== null && (dataDir.mode & 0o077) !== 0) {
    logger.warn("Data directory is readable by other users", {
      dataDir: config.dataDir,
      mode: `0${dataDir.mode.toString(8)}`,
    });
  }
  const kvDir = kvDirectory(config.storageUrl);
  if (kvDir !== null) {
    await ensurePrivateDir(kvDir).catch((err) => {
      throw new Error(`Cannot create storage directory "${kvDir}"`, { cause: err });
    });
  }

  // Secrets are encrypted at rest with the key file in the data dir (created on first start).
  const encryption = await ensureEncryptionConfig({ dataDir: config.dataDir });
  if (encryption.created) {
    logger.info("Created encryption key file", { path: encryption.path });
  } else if (encryption.mode !== null && (encryption.mode & 0o077) !== 0) {
    logger.warn("Encryption key file is readable by other users", {
      path: encryption.path,
      mode: `0${encryption.mode.toString(8)}`,
    });
  }

  let api: ApiServer | undefined;
  let renewing: Promise<void> | undefined;
  // The scheduler stops before the API server closes, so that it can release its lease.
  const schedulerStop = new AbortController();
  let scheduling: Promise<void> | undefined;
  let controlling: Promise<void> | undefined;
  const agentStop = new AbortController();
  let agent: RunningAgent | undefined;
  let raw: Storage;
  try {
    raw = await openStorage(config.storageUrl);
  } catch (err) {
    throw new Error(`Cannot open storage "${config.storageUrl}"`, { cause: err });
  }
  let encrypted: EncryptingStorage;
  try {
    encrypted = await openEncryptingStorage(raw, encryptingStorageOptionsOf(encryption.config));
  } catch (err) {
    await raw.close();
    throw new Error(`Cannot use the encryption keys in "${encryption.path}"`, { cause: err });
  }
  const storage: Storage = encrypted;
  // A burst (a list of thousands of objects) leaves garbage and free memory glibc keeps: the
  // server makes few arenas, and collects and gives the pages back once it has been quiet for a
  // moment — no request arrived and its storage was not used (GETs and lists served from the
  // watch caches touch no storage, and a full collection in the middle of them is a latency
  // spike).
  using malloc = deps.malloc === undefined ? openGlibcMalloc() : deps.malloc;
  malloc?.limitArenas(SERVER_ARENAS);
  using trimmer = malloc
    ? new MallocTrimmer(
      { malloc, clock, collectGarbage: deps.collectGarbage ?? v8FullGc() },
      SERVER_TRIM,
    )
    : null;
  const served = trimmer ? observeStorage(storage, () => trimmer.busy()) : storage;
  const encryptionKeys = new EncryptionKeyManager({
    storage: encrypted,
    path: encryption.path,
    config: encryption.config,
    logger: logger.with({ component: "encryption" }),
  });

  try {
    const revision = await storage.currentRevision();
    logger.info("Opened storage", {
      storage: config.storage,
      url: config.storageUrl,
      revision,
      durationMs: clock.now() - startMs,
    });
    const interfaces = (deps.interfaces ?? systemInterfaces)();
    const hostname = (deps.hostname ?? (() => Deno.hostname()))();
    const advertiseAddress = interfaces.find((i) =>
      i.family === "IPv4" && !i.address.startsWith("127.")
    )?.address ?? "127.0.0.1";
    const pkiOptions = {
      dataDir: config.dataDir,
      ...servingCertificateNames({
        nodeName: config.nodeName,
        hostname,
        interfaces,
        serviceCidr: config.serviceCidr,
        clusterDomain: config.clusterDomain,
        extraSans: config.tlsSans,
      }),
      serverUrl: `https://127.0.0.1:${config.httpsPort}`,
    };
    const pki = await ensureClusterPki({ ...pkiOptions, now: new Date(clock.now()) }).catch(
      (err) => {
        throw new Error(`Cannot prepare the cluster's certificates in "${config.dataDir}/tls"`, {
          cause: err,
        });
      },
    );
    const started = await startApiServer({
      storage: served,
      ...(trimmer ? { onRequest: () => trimmer.busy() } : {}),
      registry: new ResourceRegistry(BUILTIN_RESOURCES),
      pki,
      clock,
      logger,
      signal,
      version: versionDocument(),
      serviceCidr: config.serviceCidr,
      advertiseAddress,
      port: config.httpsPort,
      dataDir: config.dataDir,
      clusterDomain: config.clusterDomain,
      clusterDns: config.disableDns ? null : config.clusterDns,
      routes: secretsEncryptRoutes({
        keys: encryptionKeys,
        logger: logger.with({ component: "encryption" }),
      }),
    });
    api = started;
    // Leaf certificates renew 90 days before they expire, swapped on the live listener.
    renewing = new CertificateRenewer({
      ...pkiOptions,
      pki,
      clock,
      logger: logger.with({ component: "certificates" }),
      onRenewed: (next) => {
        started.setServingCertificate(next.serving);
        started.setKubeletClientCertificate(next.kubeletClient);
      },
    }).run(signal);
    logger.info("Wrote admin kubeconfig", { path: pki.kubeconfigPath });
    // An embedded Deno KV datastore belongs to this process alone (its file is locked): no
    // other server can share it, so there is nobody to elect against, and renewing a Lease
    // every 15 s would only wear the SD card (two Leases: ~11,500 writes a day).
    const elect = config.storage !== "kv";
    if (!elect && !(config.disableScheduler && config.disableControllerManager)) {
      logger.info("Running the scheduler and controllers without leader election", {
        reason: "the kv datastore belongs to this server alone",
      });
    }
    if (config.disableScheduler) {
      logger.info("Scheduler is disabled: pods wait for another scheduler");
    } else {
      scheduling = startScheduler(started, {
        code: await loadScheduler(),
        clock,
        logger,
        hostname,
        elect,
        signal: schedulerStop.signal,
      });
    }
    if (config.disableControllerManager) {
      logger.info("Controller manager is disabled: workloads wait for another one");
    } else {
      controlling = startControllerManager(started, {
        code: await loadControllerManager(),
        clock,
        logger,
        hostname,
        elect,
        clusterCidr: config.clusterCidr,
        serviceCidr: config.serviceCidr,
        disableServiceLb: config.disableServiceLb,
        signal: schedulerStop.signal,
      });
    }
    if (config.disableAgent) {
      logger.info("Node agent is disabled: running the control plane alone");
    } else {
      // The agent runs on its own signal: it stops after the controllers, before the API.
      const { startServerAgent } = await import("./server_agent.ts");
      agent = startServerAgent(started, {
        config,
        clusterCaPem: pki.ca.certPem,
        clock,
        logger,
        signal: agentStop.signal,
      });
      agent.ready.catch((err) => logger.error("Node agent did not start", { error: err }));
      agent.finished.catch((err) =>
        logger.error("Node agent stopped with an error", { error: err })
      );
    }
    // Keeps about one interval of history watchable; arms no timer while nothing is written.
    const compactor = runCompactor({
      storage,
      clock,
      logger: logger.with({ component: "compactor" }),
    }, {
      signal,
    }).catch((err) => logger.error("Compactor stopped", { error: String(err) }));
    onReady();
    await abortPromise(signal);
    const reason: unknown = signal.reason;
    logger.info("Shutting down skiff server", {
      reason: reason instanceof Error ? reason.message : String(reason),
    });
    schedulerStop.abort();
    await scheduling;
    await controlling;
    agentStop.abort();
    await agent?.finished.catch(() => {});
    await api.close();
    await compactor;
  } finally {
    schedulerStop.abort();
    await scheduling;
    await controlling;
    agentStop.abort();
    await agent?.finished.catch(() => {});
    await api?.close();
    await renewing;
    await storage.close();
  }
  logger.info("Stopped skiff server", { durationMs: clock.now() - startMs });
}

/** The scheduler's code, loaded only when it runs. */
type SchedulerCode =
  & typeof import("./client/client.ts")
  & typeof import("./scheduler/run_scheduler.ts");

/** The controller manager's code, loaded only when it runs. */
type ControllerManagerCode =
  & typeof import("./client/client.ts")
  & typeof import("./controllers/controller_manager.ts")
  & typeof import("./controllers/service_lb.ts");

/**
 * Loads the scheduler's code. `skiff server` loads each component's modules only when the
 * configuration runs it: with `--disable-scheduler --disable-controller-manager --disable-agent`
 * the process holds the API server's modules alone, about 10 MiB less on a 1 GB device.
 */
async function loadScheduler(): Promise<SchedulerCode> {
  const [client, scheduler] = await Promise.all([
    import("./client/client.ts"),
    import("./scheduler/run_scheduler.ts"),
  ]);
  return { ...client, ...scheduler };
}

/** Loads the controller manager's code (see {@linkcode loadScheduler}). */
async function loadControllerManager(): Promise<ControllerManagerCode> {
  const [client, manager, serviceLb] = await Promise.all([
    import("./client/client.ts"),
    import("./controllers/controller_manager.ts"),
    import("./controllers/service_lb.ts"),
  ]);
  return { ...client, ...manager, ...serviceLb };
}

/**
 * Runs the scheduler in this process on `api`, authenticated as `system:kube-scheduler` (the
 * RBAC bootstrap policy binds its role: bind pods, patch pod status, write events, hold the
 * `kube-system/kube-scheduler` Lease), under leader election when `elect`. Never rejects.
 */
function startScheduler(
  api: ApiServer,
  deps: {
    clock: Clock;
    logger: Logger;
    hostname: string;
    elect: boolean;
    signal: AbortSignal;
    code: SchedulerCode;
  },
): Promise<void> {
  const logger = deps.logger.with({ component: "scheduler" });
  const { Client, runScheduler } = deps.code;
  const transport = new InProcessClient(api.app, {
    username: "system:kube-scheduler",
    groups: ["system:authenticated"],
  });
  return runScheduler({
    client: new Client(transport, { fieldManager: "kube-scheduler" }),
    clock: deps.clock,
    logger,
    identity: `${deps.hostname}_${crypto.randomUUID()}`,
    hostname: deps.hostname,
    ...(deps.elect ? {} : { leaderElection: false as const }),
    signal: deps.signal,
  }).catch((err) => logger.error("Scheduler stopped with an error", { error: err }));
}

/**
 * Runs kube-controller-manager's controllers in this process on `api`, under leader election
 * on the `kube-system/kube-controller-manager` Lease when `elect`. They act as `system:kube-controller-manager`
 * in `system:masters`: trusted code in the API server's own process that must read and delete
 * anything (the namespace controller empties whole namespaces), as kube-controller-manager does
 * with its per-controller ServiceAccounts' broad roles. Never rejects.
 */
function startControllerManager(
  api: ApiServer,
  deps: {
    clock: Clock;
    logger: Logger;
    hostname: string;
    elect: boolean;
    signal: AbortSignal;
    clusterCidr: string;
    serviceCidr: string;
    /** `--disable servicelb`: every controller but ServiceLB. */
    disableServiceLb: boolean;
    code: ControllerManagerCode;
  },
): Promise<void> {
  const logger = deps.logger.with({ component: "controller-manager" });
  const { Client, ControllerManager, SERVICE_LB_CONTROLLER_NAME } = deps.code;
  const transport = new InProcessClient(api.app, {
    username: "system:kube-controller-manager",
    groups: ["system:masters", "system:authenticated"],
  });
  return new ControllerManager({
    client: new Client(transport, { fieldManager: "kube-controller-manager" }),
    clock: deps.clock,
    logger,
    clusterCidr: deps.clusterCidr,
    serviceCidr: deps.serviceCidr,
    identity: `${deps.hostname}_${crypto.randomUUID()}`,
    ...(deps.disableServiceLb ? { controllers: ["*", `-${SERVICE_LB_CONTROLLER_NAME}`] } : {}),
    ...(deps.elect ? {} : { leaderElection: false as const }),
  }).run(deps.signal).catch((err) =>
    logger.error("Controller manager stopped with an error", { error: err })
  );
}

/**
 * Starts the control plane with `config` and runs it until `deps.signal` aborts: creates the data
 * directory (mode 0700), opens storage at `config.storageUrl`, then waits; on abort it logs
 * "Shutting down skiff server" and closes storage.
 *
 * @example Run a server until aborted
 * ```ts ignore
 * import { JsonLogger, systemClock } from "./util/mod.ts";
 * import { runServer } from "./server.ts";
 *
 * const controller = new AbortController();
 * const server = runServer(config, {
 *   logger: new JsonLogger(),
 *   clock: systemClock,
 *   signal: controller.signal,
 * });
 * await server.ready;
 * controller.abort();
 * await server.finished;
 * ```
 */
export function runServer(config: ServerConfig, deps: ServerDeps): RunningServer {
  let resolveReady!: () => void;
  let rejectReady!: (err: unknown) => void;
  const ready = new Promise<void>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  const finished = serve(config, deps, resolveReady);
  finished.catch(rejectReady);
  // Callers may await only one of the two: neither must surface as an unhandled rejection.
  ready.catch(() => {});
  finished.catch(() => {});
  return { ready, finished };
}
