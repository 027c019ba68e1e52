// deno-lint-ignore-file no-console
/**
 * The server process of `deno task bench scheduler`: skiff's API server started as
 * `skiff server` starts it (Deno KV storage in a fresh data directory behind the encrypting
 * layer, the cluster PKI and admin kubeconfig, `startApiServer`, the compactor), plus one of:
 *
 * - `--mode scheduler`: the scheduler exactly as `skiff server` runs it — `runScheduler` in this
 *   process over an `InProcessClient` as `system:kube-scheduler`, under leader election;
 * - `--mode bind-only`: the baseline — no scheduling decisions, only the API work a scheduler
 *   cannot avoid: the same user and in-process transport watch unscheduled pods and POST each
 *   one's `pods/binding` the moment it is seen (no limit on binds in flight, as the scheduler
 *   binds in the background without one), to the nodes round-robin.
 *
 * Both modes count the bindings in flight through their transport, and the event writes.
 * Protocol: JSON lines on stdout (`{"event":"ready","kubeconfig":…}` once the API serves and the
 * scheduler's caches synced, or the binder watches); commands as JSON lines on stdin:
 * `{"nodes":N}` (bind-only: the nodes are `node-0`…`node-<N-1>`), `{"cpu":true}` (answers the
 * process's CPU time and the events written so far), `{"mem":true}` (answers
 * `{"event":"mem",…}`: CPU time, then after a full GC the V8 heap and `/proc/self/status`),
 * `{"stop":true}`.
 *
 * Usage: `deno run -A --v8-flags=<skiff's>,--expose-gc _scheduler_host.ts --data-dir D --port P
 * --mode scheduler|bind-only [--cpu-profile FILE]` (a V8 `.cpuprofile` of the measured phase,
 * for Chrome DevTools).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { startApiServer } from "../../control/api/api_server.ts";
import { InProcessClient } from "../../control/api/in_process_client.ts";
import { ensureClusterPki, servingCertificateNames } from "../../control/api/pki/cluster_pki.ts";
import { BUILTIN_RESOURCES } from "../../control/api/registry/builtin_resources.ts";
import { ResourceRegistry } from "../../control/api/registry/resource_registry.ts";
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import { Client } from "../../control/client/client.ts";
import { PODS } from "../../control/client/resources.ts";
import { runScheduler } from "../../control/scheduler/run_scheduler.ts";
import { runCompactor } from "../../control/storage/compactor.ts";
import { openEncryptingStorage } from "../../control/storage/encrypting_storage.ts";
import {
  encryptingStorageOptionsOf,
  ensureEncryptionConfig,
} from "../../control/storage/encryption_config.ts";
import { openStorage } from "../../control/storage/registry.ts";
import { systemClock } from "../../control/util/clock.ts";
import { JsonLogger, type LogFields, type Logger } from "../../control/util/logger.ts";
import { KUBERNETES_VERSION, SKIFF_VERSION } from "../../control/version.ts";
import { CountingTransport } from "./_counting_transport.ts";
import { HostProfiler } from "./_host_profiler.ts";
import { readLines } from "./_lines.ts";
import { heapAfterGc, ownCpuUs, procStatusMiB } from "./_proc_stats.ts";

/** The scheduler's log line once its informers synced (scheduler.ts). */
const CACHES_SYNCED = "Scheduler caches synced";

/** Warnings and errors to stderr; calls `onInfo` for every info message (to see the sync). */
class HostLogger implements Logger {
  readonly #inner: Logger;
  readonly #onInfo: (msg: string) => void;

  constructor(inner: Logger, onInfo: (msg: string) => void) {
    this.#inner = inner;
    this.#onInfo = onInfo;
  }
  error(msg: string, fields?: LogFields): void {
    this.#inner.error(msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.#inner.warn(msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.#onInfo(msg);
    this.#inner.info(msg, fields);
  }
  debug(msg: string, fields?: LogFields): void {
    this.#inner.debug(msg, fields);
  }
  with(fields: LogFields): Logger {
    return new HostLogger(this.#inner.with(fields), this.#onInfo);
  }
}

/**
 * The baseline binder: watches unscheduled pods and binds each, as soon as it is seen, to the
 * next node round-robin; never waits for one binding before sending the next.
 */
async function bindOnly(
  client: Client,
  state: { nodes: number; signal: AbortSignal; logger: Logger },
): Promise<void> {
  const pods = client.resource(PODS);
  const sent = new Set<string>();
  let next = 0;
  const bind = (pod: Pod) => {
    const uid = pod.metadata?.uid ?? "";
    if (sent.has(uid) || (pod.spec?.nodeName ?? "") !== "" || state.nodes === 0) return;
    sent.add(uid);
    const name = pod.metadata?.name ?? "";
    const target = `node-${next++ % state.nodes}`;
    pods.createSubresource(name, {
      namespace: pod.metadata?.namespace ?? "",
      subresource: "binding",
      body: {
        apiVersion: "v1",
        kind: "Binding",
        metadata: { name, namespace: pod.metadata?.namespace ?? "" },
        target: { apiVersion: "v1", kind: "Node", name: target },
      },
    }).catch((err) => {
      sent.delete(uid);
      state.logger.warn("Bind failed", { pod: name, error: String(err) });
    });
  };
  while (!state.signal.aborted) {
    try {
      const list = await pods.list({ fieldSelector: "spec.nodeName=", signal: state.signal });
      for (const pod of list.items) bind(pod);
      for await (
        const ev of pods.watch({
          fieldSelector: "spec.nodeName=",
          resourceVersion: list.metadata.resourceVersion ?? "",
          signal: state.signal,
        })
      ) {
        if (ev.type === "ADDED" || ev.type === "MODIFIED") bind(ev.object);
      }
    } catch (err) {
      if (state.signal.aborted) return;
      state.logger.warn("Binder watch failed; listing again", { error: String(err) });
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      "data-dir": { type: "string" },
      port: { type: "string" },
      mode: { type: "string", default: "scheduler" },
      /** Write a V8 CPU profile of the measured phase (from `cpu` to `mem`) to this file. */
      "cpu-profile": { type: "string" },
    },
  });
  const dataDir = values["data-dir"];
  const port = Number(values.port);
  const mode = values.mode;
  if (!dataDir || !Number.isInteger(port) || (mode !== "scheduler" && mode !== "bind-only")) {
    console.error("usage: _scheduler_host.ts --data-dir D --port P --mode scheduler|bind-only");
    Deno.exit(2);
  }
  const stop = new AbortController();
  const signal = stop.signal;
  let synced!: () => void;
  const schedulerSynced = new Promise<void>((r) => synced = r);
  const logger = new HostLogger(new JsonLogger({ level: "warn" }), (msg) => {
    if (msg === CACHES_SYNCED) synced();
  });
  const clock = systemClock;

  await Deno.mkdir(`${dataDir}/db`, { recursive: true, mode: 0o700 });
  const encryption = await ensureEncryptionConfig({ dataDir });
  const raw = await openStorage(`kv://${dataDir}/db/state.kv`);
  const storage = await openEncryptingStorage(raw, encryptingStorageOptionsOf(encryption.config));
  const serviceCidr = "10.43.0.0/16";
  const hostname = Deno.hostname();
  // The address skiff server advertises: the first non-loopback IPv4 one.
  const advertiseAddress =
    Deno.networkInterfaces().find((i) => i.family === "IPv4" && !i.address.startsWith("127."))
      ?.address ?? "127.0.0.1";
  const pki = await ensureClusterPki({
    dataDir,
    ...servingCertificateNames({
      nodeName: hostname,
      hostname,
      interfaces: [],
      serviceCidr,
      clusterDomain: "cluster.local",
    }),
    serverUrl: `https://127.0.0.1:${port}`,
    now: new Date(),
  });
  const api = await startApiServer({
    storage,
    registry: new ResourceRegistry(BUILTIN_RESOURCES),
    pki,
    clock,
    logger,
    signal,
    version: {
      major: KUBERNETES_VERSION.major,
      minor: KUBERNETES_VERSION.minor,
      gitVersion: `${KUBERNETES_VERSION.gitVersion}+skiff${SKIFF_VERSION}`,
    },
    serviceCidr,
    advertiseAddress,
    hostname: "127.0.0.1",
    port,
    dataDir,
    clusterDomain: "cluster.local",
  });
  const compactor = runCompactor({ storage, clock, logger }, { signal }).catch(() => {});
  // The scheduler's identity and transport, as control/server.ts's startScheduler.
  // Event writes are counted, to tell how many were written within the measured phase.
  const events = new CountingTransport(
    new InProcessClient(api.app, {
      username: "system:kube-scheduler",
      groups: ["system:authenticated"],
    }),
    { tracked: (method, path) => method === "POST" && path.split("?")[0]!.endsWith("/events") },
  );
  const transport = new CountingTransport(
    events,
    // The `pods/binding` requests in flight are tracked.
    { tracked: (method, path) => method === "POST" && path.includes("/binding") },
  );
  const client = new Client(transport, { fieldManager: "kube-scheduler" });
  const binder = { nodes: 0, signal, logger };
  let work: Promise<void>;
  if (mode === "scheduler") {
    work = runScheduler({
      client,
      clock,
      logger,
      identity: `${hostname}_${crypto.randomUUID()}`,
      hostname,
      signal,
    }).catch((err) => logger.error("Scheduler stopped with an error", { error: String(err) }));
    await schedulerSynced;
  } else {
    work = bindOnly(client, binder);
  }
  const say = (obj: Record<string, unknown>) => console.log(JSON.stringify(obj));
  say({ event: "ready", kubeconfig: pki.kubeconfigPath, mode });

  const profiler = new HostProfiler();
  for await (const line of readLines(Deno.stdin.readable)) {
    if (line.trim() === "") continue;
    const cmd = JSON.parse(line) as {
      nodes?: number;
      cpu?: boolean;
      mem?: boolean;
      stop?: boolean;
    };
    if (cmd.cpu) {
      if (values["cpu-profile"]) await profiler.start();
      say({ event: "cpu", cpuUs: ownCpuUs(), eventsWritten: events.trackedOk });
    }
    if (cmd.nodes !== undefined) {
      binder.nodes = cmd.nodes;
      say({ event: "nodes", nodes: cmd.nodes });
    }
    if (cmd.mem) {
      const cpuUs = ownCpuUs();
      if (values["cpu-profile"]) await profiler.stopTo(values["cpu-profile"]);
      say({
        event: "mem",
        cpuUs,
        ...heapAfterGc(),
        proc: await procStatusMiB("self"),
        binds: transport.trackedOk,
        failedBinds: transport.trackedFailed,
        maxInflightBinds: transport.maxInflight,
        eventsWritten: events.trackedOk,
      });
    }
    if (cmd.stop) break;
  }
  stop.abort();
  await work;
  await compactor;
  await api.close();
  await storage.close();
}

if (import.meta.main) await main();
