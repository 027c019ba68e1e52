/**
 * The pod side of the agent, wired as the kubelet wires its managers:
 *
 * - the node-local state store (`<data-dir>/agent/state/`) loaded first, then fed with every pod
 *   bound to the node and the ConfigMaps, Secrets and tokens they use;
 * - ConfigMaps and Secrets read through one watch per referenced object, falling back to the
 *   stored copy when the API cannot be reached; a change resyncs the pods using it, so their
 *   volumes follow;
 * - ServiceAccount tokens from TokenRequest, stored, refreshed by the token manager;
 * - the volume manager, the status manager (a static pod's status goes to its mirror pod), the
 *   prober and probe manager, and the pod workers, started (adopting what runs) before any pod
 *   is handed to them;
 * - the pod sources: the API's pods of this node, and the static pods of
 *   `<data-dir>/agent/pod-manifests/` with their mirror pods;
 * - the kubelet API (port 10250) serving logs, exec, attach and port-forward.
 *
 * @module
 */
import type { Client, ResourceClient } from "../../control/client/client.ts";
import { EventBroadcaster } from "../../control/client/event_recorder.ts";
import { CONFIG_MAPS, PODS, SECRETS, SERVICE_ACCOUNTS } from "../../control/client/resources.ts";
import type { ConfigMap, Secret } from "../../control/api/types/core_v1_config.ts";
import type { KubeObject } from "../../control/api/types/meta_v1.ts";
import type { Node } from "../../control/api/types/core_v1_node.ts";
import type { TokenRequest } from "../../control/api/types/authentication_v1.ts";
import type { Clock } from "../../control/util/clock.ts";
import type { Logger } from "../../control/util/logger.ts";
import type { CommandRunner } from "../containerd/command_runner.ts";
import type { CriClient } from "../cri/client.ts";
import { PodStatusManager } from "../kubelet/pod_status_manager.ts";
import { PodWorkers } from "../kubelet/pod_workers.ts";
import { LocalStateStore } from "../local_state/local_state_store.ts";
import { StoredTokenSource } from "../local_state/stored_token_source.ts";
import { ProbeManager } from "../probes/probe_manager.ts";
import { Prober } from "../probes/prober.ts";
import { startKubeletApi } from "../server/kubelet_api.ts";
import type { KubeletServer } from "../server/kubelet_server.ts";
import { MirrorPods } from "../static_pods/mirror_pods.ts";
import { isStaticPod } from "../static_pods/static_pod.ts";
import { StaticPodSource } from "../static_pods/static_pod_source.ts";
import type { NodeResourceList } from "../status/node_resources.ts";
import { TokenManager } from "../volumes/token_manager.ts";
import { VolumeManager } from "../volumes/volume_manager.ts";
import type { AgentPaths } from "./agent_paths.ts";
import { ensureKubeletServingCertificate } from "./kubelet_serving_cert.ts";
import { PodSource } from "./pod_source.ts";
import { ReferencedObjects } from "./referenced_objects.ts";

/** What {@linkcode startPodLifecycle} needs. */
export interface PodLifecycleOptions {
  readonly client: Client;
  readonly cri: CriClient;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly runner: CommandRunner;
  readonly signal: AbortSignal;
  readonly nodeName: string;
  readonly hostname: string;
  readonly paths: AgentPaths;
  /** The Node as last written by the status manager (its addresses and allocatable). */
  readonly node: () => Node | undefined;
  readonly memoryCapacityBytes: number;
  readonly clusterDns: readonly string[];
  readonly clusterDomain: string;
  readonly podLogsRoot: string;
  /** The CA client certificates of the kubelet API must chain to (the cluster CA). */
  readonly clusterCaPem: string;
  readonly kubeletPort: number;
  /** Told when a pod of the node was added, changed or removed. */
  readonly onPodChange?: () => void;
}

/** The running pod side. */
export interface PodLifecycle {
  readonly workers: PodWorkers;
  readonly kubeletApi: KubeletServer;
  /** Stops the sources and the kubelet API, leaves containers running, flushes the store. */
  stop(): Promise<void>;
}

function internalIps(node: Node | undefined): string[] {
  return (node?.status?.addresses ?? []).filter((a) => a.type === "InternalIP").map((a) =>
    a.address
  );
}

/** The node-local store's calls for one kind of referenced object. */
interface StoredKind<T> {
  put(object: T): void;
  remove(namespace: string, name: string): void;
  get(namespace: string, name: string): Promise<T | undefined>;
}

/**
 * The ConfigMaps (or Secrets) the node's pods use: watched one by one, each change copied into
 * the store and handed to `onChange` with the UIDs of the pods using the object; read from the
 * API first and from the stored copy while the API cannot be reached.
 */
function storedReferences<T extends KubeObject>(options: {
  readonly client: ResourceClient<T>;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly onChange: (podUids: readonly string[]) => void;
  readonly stored: StoredKind<T>;
}): {
  refs: ReferencedObjects<T>;
  get: (namespace: string, name: string) => Promise<T | undefined>;
} {
  const { stored } = options;
  const refs: ReferencedObjects<T> = new ReferencedObjects<T>({
    client: options.client,
    clock: options.clock,
    logger: options.logger,
    onChange: (namespace, name) => {
      void refs.get(namespace, name).then((object) => {
        if (object) stored.put(object);
        else stored.remove(namespace, name);
        options.onChange(refs.usersOf(namespace, name));
      }, () => {});
    },
  });
  const get = async (namespace: string, name: string): Promise<T | undefined> => {
    try {
      const object = await refs.get(namespace, name);
      if (object) stored.put(object);
      return object;
    } catch (err) {
      const copy = await stored.get(namespace, name);
      if (copy) return copy;
      throw err;
    }
  };
  return { refs, get };
}

/** Starts the pod side (see the module doc). */
export async function startPodLifecycle(o: PodLifecycleOptions): Promise<PodLifecycle> {
  const logger = o.logger;
  const store = new LocalStateStore({
    dir: o.paths.state,
    logger: logger.with({ component: "local-state" }),
    clock: o.clock,
  });
  const stored = await store.load();
  const events = new EventBroadcaster({ client: o.client, clock: o.clock, logger });
  const recorder = events.newRecorder({ component: "kubelet", host: o.nodeName });

  // Filled in below; the callbacks given before (reference changes, probe results, status
  // targets) reach them through this.
  const late: {
    workers?: PodWorkers;
    source?: PodSource;
    mirrors?: MirrorPods;
    probes?: ProbeManager;
  } = {};
  const resyncUsers = (uids: readonly string[]) => {
    for (const uid of uids) {
      const pod = late.source?.podByUid(uid);
      if (pod) late.workers?.update(pod);
    }
  };
  const configMapObjects = storedReferences<ConfigMap>({
    client: o.client.resource(CONFIG_MAPS),
    clock: o.clock,
    logger,
    onChange: resyncUsers,
    stored: {
      put: (cm) => store.putConfigMap(cm),
      remove: (namespace, name) => store.removeConfigMap(namespace, name),
      get: (namespace, name) => store.getConfigMap(namespace, name),
    },
  });
  const secretObjects = storedReferences<Secret>({
    client: o.client.resource(SECRETS),
    clock: o.clock,
    logger,
    onChange: resyncUsers,
    stored: {
      put: (secret) => store.putSecret(secret),
      remove: (namespace, name) => store.removeSecret(namespace, name),
      get: (namespace, name) => store.getSecret(namespace, name),
    },
  });
  const configMapRefs = configMapObjects.refs;
  const secretRefs = secretObjects.refs;
  const configMaps = { getConfigMap: configMapObjects.get };
  const secrets = { getSecret: secretObjects.get };
  const tokenManager = new TokenManager({
    requestToken: (r) =>
      o.client.resource(SERVICE_ACCOUNTS).createSubresource<TokenRequest>(r.name, {
        namespace: r.namespace,
        subresource: "token",
        body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: r.spec },
      }),
    logger,
    clock: o.clock,
  });
  const tokens = new StoredTokenSource({ source: tokenManager, store, clock: o.clock });
  const allocatable = (): Readonly<NodeResourceList> => o.node()?.status?.allocatable ?? {};
  const volumes = new VolumeManager({
    podsDir: o.paths.pods,
    configMaps,
    secrets,
    tokens,
    runner: o.runner,
    nodeAllocatable: allocatable,
    logger,
    clock: o.clock,
  });

  const statusManager = new PodStatusManager({
    pods: o.client.resource(PODS),
    clock: o.clock,
    logger,
    nodeIPs: () => internalIps(o.node()),
    probes: { result: (kind, id) => late.probes?.result(kind, id) },
    statusTarget: (pod) => isStaticPod(pod) ? late.mirrors?.mirrorPodOf(pod) : pod,
  });
  const prober = new Prober({
    execSync: (containerId, cmd, timeout) =>
      o.cri.execSync({ containerId, cmd: [...cmd], timeout }),
    recordEvent: (e) =>
      recorder.event(e.pod, { type: e.type, reason: e.reason, message: e.message }),
    logger,
    clock: o.clock,
  });
  const probes = new ProbeManager({
    clock: o.clock,
    prober,
    getPodStatus: (uid) => statusManager.getPodStatus(uid),
    onResult: (update) => late.workers?.handleProbeResult(update),
    logger,
  });
  late.probes = probes;
  const podWorkers = new PodWorkers({
    runtime: o.cri,
    statusManager,
    volumes,
    configMaps,
    secrets,
    recorder,
    clock: o.clock,
    logger,
    node: {
      hostname: o.hostname,
      ips: () => internalIps(o.node()),
      allocatable,
      memoryCapacityBytes: BigInt(o.memoryCapacityBytes),
    },
    probes,
  }, {
    sandbox: {
      resolvConf: "/etc/resolv.conf",
      clusterDns: o.clusterDns,
      clusterDomain: o.clusterDomain,
      podLogsRoot: o.podLogsRoot,
    },
    podsDir: o.paths.pods,
  });
  late.workers = podWorkers;
  await podWorkers.start();

  const staticPods = new StaticPodSource({
    dir: o.paths.podManifests,
    nodeName: o.nodeName,
    logger,
    clock: o.clock,
    previous: stored.pods.filter(isStaticPod),
  });
  const source = new PodSource({
    client: o.client,
    nodeName: o.nodeName,
    clock: o.clock,
    logger,
    sink: podWorkers,
    configMaps: configMapRefs,
    secrets: secretRefs,
    otherDesiredPods: () => staticPods.pods().map((p) => p.metadata?.uid ?? ""),
    onPod: (pod) => {
      store.putPod(pod);
      o.onPodChange?.();
    },
    onPodGone: (pod) => {
      store.removePod(pod.metadata?.uid ?? "");
      o.onPodChange?.();
    },
  });
  late.source = source;
  const mirrorPods = new MirrorPods({
    client: o.client,
    nodeName: o.nodeName,
    pods: source.informer,
    logger,
    clock: o.clock,
  });
  late.mirrors = mirrorPods;
  const running: Promise<unknown>[] = [];
  const stop = new AbortController();
  const stopped = AbortSignal.any([stop.signal, o.signal]);
  const keep = (what: string, task: Promise<unknown>) =>
    running.push(task.catch((err) => {
      if (!stopped.aborted) logger.error(`${what} stopped`, { error: err });
    }));
  keep("Pod source", source.run(stopped));
  keep("Mirror pods", mirrorPods.run(stopped));
  keep(
    "Static pods",
    (async () => {
      const first = await staticPods.scan();
      for (const pod of first.pods) {
        store.putPod(pod);
        podWorkers.update(pod);
      }
      mirrorPods.setStaticPods(first.pods);
      for await (const update of staticPods.watch(stopped)) {
        for (const pod of [...update.added, ...update.updated]) {
          store.putPod(pod);
          podWorkers.update(pod);
        }
        for (const pod of update.removed) {
          store.removePod(pod.metadata?.uid ?? "");
          podWorkers.forget(pod.metadata?.uid ?? "");
        }
        mirrorPods.setStaticPods(update.pods);
      }
    })(),
  );

  const cert = await ensureKubeletServingCertificate({
    certPath: o.paths.servingCert,
    keyPath: o.paths.servingKey,
    nodeName: o.nodeName,
    hostname: o.hostname,
    ipAddresses: internalIps(o.node()),
    now: new Date(o.clock.now()),
  });
  const kubeletApi = await startKubeletApi({
    nodeName: o.nodeName,
    pods: podWorkers,
    runtime: o.cri,
    client: o.client,
    clientCaPem: o.clusterCaPem,
    certPem: cert.certPem,
    keyPem: cert.keyPem,
    port: o.kubeletPort,
    clock: o.clock,
    logger,
  });
  logger.info("Kubelet API is serving", { port: kubeletApi.port });

  return {
    workers: podWorkers,
    kubeletApi,
    async stop() {
      stop.abort();
      await kubeletApi.close();
      await Promise.all(running);
      await podWorkers.stop();
      await configMapRefs.close();
      await secretRefs.close();
      await events.shutdown();
      await store.close();
    },
  };
}
