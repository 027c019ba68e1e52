/**
 * The node agent's startup script, in the order the kubelet brings a node up: the agent's
 * directories → the registries of `<data-dir>/agent/registries.yaml` → containerd (a supervised
 * child with a generated config, or an existing one at `containerRuntimeEndpoint`) → skiff's own
 * images (built from busybox-static when missing) and the air-gapped image import of
 * `<data-dir>/agent/images/` → the CRI client → node registration and status → the pod network
 * (CNI plugin and conflist for the node's pod CIDR) and the node Lease heartbeat → the node's
 * network components on one set of shared informers (routes to other nodes' pods, the
 * Service proxy, the node-local cluster DNS, NetworkPolicy) → the pod side
 * (`pod_lifecycle.ts`: pod workers, status, probes, volumes, static pods, the kubelet API). It
 * talks to the control plane only through the `client` it is given (authenticated as
 * `system:node:<name>`), so the same code runs inside `skiff server` and as `skiff agent`.
 *
 * On shutdown the pod side stops (within 2 s), the heartbeats stop and the CRI connection
 * closes; a managed containerd is stopped too, but runc's containers outlive it (their shims
 * keep them), so pods keep running and a restarted agent adopts them.
 *
 * @module
 */
import { isIPv4 } from "node:net";
import { join } from "node:path";
import type { Client } from "../../control/client/client.ts";
import { SharedInformerFactory } from "../../control/client/shared_informer_factory.ts";
import type { Clock } from "../../control/util/clock.ts";
import type { Logger } from "../../control/util/logger.ts";
import { CAP_SYS_RESOURCE, processHasCapability } from "../containerd/capabilities.ts";
import { DenoCommandRunner } from "../containerd/command_runner.ts";
import type { CommandRunner } from "../containerd/command_runner.ts";
import { containerdLayout } from "../containerd/config.ts";
import type { ContainerdRegistryAuth } from "../containerd/config.ts";
import { ContainerdSupervisor } from "../containerd/supervisor.ts";
import type { ContainerdSupervisorOptions } from "../containerd/supervisor.ts";
import { CriClient } from "../cri/client.ts";
import { ClusterDns } from "../dns/cluster_dns.ts";
import { ensureDnsAddress, removeDnsAddress } from "../dns/dns_address.ts";
import { NodeRoutes } from "../network/node_routes.ts";
import { deleteProxyTable, ServiceProxy } from "../proxy/service_proxy.ts";
import { deleteNetpolTable, NetworkPolicyEnforcer } from "../netpol/network_policy_enforcer.ts";
import { buildSkiffImages } from "../images/build_skiff_images.ts";
import { ImageImporter } from "../images/importer.ts";
import { writeRegistryHosts } from "../images/registries_config.ts";
import { PAUSE_IMAGE } from "../images/skiff_images.ts";
import { readMachineInfo, systemMachineHost } from "../status/machine_info.ts";
import type { MachineHost } from "../status/machine_info.ts";
import { NodeLease } from "../status/node_lease.ts";
import { DEFAULT_KUBELET_PORT, NodeStatusManager } from "../status/node_status_manager.ts";
import { agentPaths } from "./agent_paths.ts";
import { type MallocControl, MallocTrimmer } from "../../control/util/glibc_malloc.ts";
import { configurePodNetwork } from "./pod_network.ts";
import { startPodLifecycle } from "./pod_lifecycle.ts";
import { runtimeImages, runtimeReadiness, runtimeVersion } from "./runtime_state.ts";

/** How the agent runs, from `skiff server` / `skiff agent` flags. */
export interface AgentOptions {
  readonly nodeName: string;
  /** skiff's `--data-dir`; the agent keeps its files under `<dataDir>/agent/`. */
  readonly dataDir: string;
  /** `nodeInfo.kubeletVersion`: the Kubernetes version skiff serves, e.g. `v1.33.0`. */
  readonly kubeletVersion: string;
  /** An existing CRI endpoint (`--container-runtime-endpoint`); unset: run containerd. */
  readonly containerRuntimeEndpoint?: string;
  /** `--node-ip`. @default {the default route's interface address} */
  readonly nodeIPs?: readonly string[];
  /** The busybox-static binary skiff's images are built from. @default {"/usr/bin/busybox"} */
  readonly busybox?: string;
  /** The cluster CA (PEM): the kubelet API accepts client certificates it signed. */
  readonly clusterCaPem: string;
  /** Pods' DNS servers (`--cluster-dns`). */
  readonly clusterDns: readonly string[];
  /** `--cluster-domain`. */
  readonly clusterDomain: string;
  /** The kubelet API's port. @default {10250} */
  readonly kubeletPort?: number;
  /**
   * Where containers' log files go.
   * @default {"/var/log/pods" with the default data dir, else `<data-dir>/agent/pod-logs`}
   */
  readonly podLogsRoot?: string;
  /** The pod network (`--cluster-cidr`): pod traffic inside it is not masqueraded. */
  readonly clusterCidr: string;
  /** The Service ClusterIP range (`--service-cidr`). @default {"10.43.0.0/16"} */
  readonly serviceCidr?: string;
  /**
   * How pod traffic reaches other nodes' pods (`--flannel-backend`, as k3s names it): a VXLAN
   * overlay, direct routes over a shared link, or nothing (another network plugin's job).
   * @default {"vxlan"}
   */
  readonly flannelBackend?: FlannelBackend;
  /** Run no Service proxy (`--disable-kube-proxy`). @default {false} */
  readonly disableKubeProxy?: boolean;
  /** Enforce no NetworkPolicy (`--disable-network-policy`). @default {false} */
  readonly disableNetworkPolicy?: boolean;
  /** Serve no cluster DNS on the node (`--disable=dns`). @default {false} */
  readonly disableDns?: boolean;
  /**
   * How containerd runs skiff as a CNI plugin: the compiled binary itself, or (from a checkout)
   * `deno run -A <moduleUrl>`. @default {the compiled binary: Deno.execPath()}
   */
  readonly cniPlugin?: { readonly executable: string; readonly moduleUrl?: string };
  /** The process may lower oom_score_adj. @default {whether it has CAP_SYS_RESOURCE} */
  readonly canLowerOomScore?: boolean;
  /** How long containerd gets to answer after it starts. @default {30000} */
  readonly runtimeReadyTimeoutMs?: number;
}

/** The values of `--flannel-backend`. */
export const FLANNEL_BACKENDS = ["vxlan", "host-gw", "none"] as const;

/** How pod traffic reaches other nodes (see {@linkcode AgentOptions.flannelBackend}). */
export type FlannelBackend = typeof FLANNEL_BACKENDS[number];

/** What the agent uses from its caller. */
export interface AgentDeps {
  /** The API, as `system:node:<nodeName>`. */
  readonly client: Client;
  /**
   * The API as the node's network identity (`system:skiff:node-network:<nodeName>`, see
   * `control/api/auth/node_network_identity.ts`): the Service proxy, cluster DNS, routes and
   * NetworkPolicy enforcer list and watch through it what the Node authorizer keeps from the
   * node itself. Writes (the node's own annotations) still go through `client`.
   */
  readonly networkClient: Client;
  readonly clock: Clock;
  readonly logger: Logger;
  /** @default {a DenoCommandRunner} */
  readonly runner?: CommandRunner;
  /** @default {systemMachineHost()} */
  readonly host?: MachineHost;
  /** Aborting it stops the agent. */
  readonly signal: AbortSignal;
  /**
   * The process's C allocator, when the agent owns the process (`skiff agent`): trimmed once
   * the agent is quiet after starting, and after each burst of pod changes.
   */
  readonly malloc?: MallocControl;
  /** A full garbage collection, run before each trim of {@linkcode AgentDeps.malloc}. */
  readonly collectGarbage?: () => void;
}

/** A started agent. */
export interface RunningAgent {
  /** Resolves when the node is registered and the runtime answers; rejects if start fails. */
  readonly ready: Promise<void>;
  /** Resolves when the agent has stopped (after `signal` aborts, or a failed start). */
  readonly finished: Promise<void>;
  /** The CRI endpoint in use (`unix://…`). */
  readonly runtimeEndpoint: string;
}

const DEFAULT_RUNTIME_READY_TIMEOUT_MS = 30_000;

/** Where containers' logs go by default (see {@linkcode AgentOptions.podLogsRoot}). */
function defaultPodLogsRoot(dataDir: string): string {
  return dataDir.replace(/\/+$/, "") === "/var/lib/skiff"
    ? "/var/log/pods"
    : join(dataDir, "agent", "pod-logs");
}

/** Resolves when `signal` aborts. */
function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

/** The pause and busybox archives in the image dir, built from busybox-static when missing. */
async function ensureSkiffImages(
  dir: string,
  options: { busybox: string; logger: Logger },
): Promise<void> {
  const wanted = ["pause.tar", "busybox.tar"];
  const present = await Promise.all(
    wanted.map((name) => Deno.stat(join(dir, name)).then(() => true, () => false)),
  );
  if (present.every(Boolean)) return;
  try {
    const built = await buildSkiffImages({ outDir: dir, busybox: options.busybox });
    options.logger.info("Built skiff's images", {
      images: built.map((b) => b.archive.name),
      dir,
    });
  } catch (err) {
    // Not fatal: the images may already be in containerd, or arrive as archives later.
    options.logger.warn("Cannot build skiff's images", { dir, error: err });
  }
}

/**
 * Writes containerd's `hosts.toml` files from `<data-dir>/agent/registries.yaml` when it exists
 * (and removes the ones a previous file needed), returning the credentials for containerd's
 * config; an invalid file fails the start.
 */
async function configureRegistries(
  agentDir: string,
  certsDir: string,
  logger: Logger,
): Promise<Readonly<Record<string, ContainerdRegistryAuth>> | undefined> {
  const path = join(agentDir, "registries.yaml");
  const present = await Deno.stat(path).then(() => true, () => false);
  const result = await writeRegistryHosts(
    present ? { registriesPath: path, certsDir } : { registriesYaml: "", certsDir },
  );
  for (const warning of result.warnings) logger.warn("Registry setting ignored", { warning });
  if (result.written.length > 0 || result.removed.length > 0) {
    logger.info("Wrote registry hosts", {
      path,
      written: result.written,
      removed: result.removed,
    });
  }
  return Object.keys(result.auths).length > 0 ? result.auths : undefined;
}

/**
 * Starts the node agent and runs it until `signal` aborts (see the module doc).
 *
 * @example
 * ```ts ignore
 * const agent = runAgent({ nodeName: "edge-1", dataDir: "/var/lib/skiff", kubeletVersion: "v1.33.0" },
 *   { client, clock: systemClock, logger, signal });
 * await agent.ready;
 * ```
 */
export function runAgent(options: AgentOptions, deps: AgentDeps): RunningAgent {
  const signal = deps.signal;
  const logger = deps.logger.with({ component: "agent", node: options.nodeName });
  const runner = deps.runner ?? new DenoCommandRunner();
  const paths = agentPaths(options.dataDir);
  const readyTimeoutMs = options.runtimeReadyTimeoutMs ?? DEFAULT_RUNTIME_READY_TIMEOUT_MS;
  const layout = containerdLayout({ dataDir: options.dataDir });
  let resolveReady!: () => void;
  let rejectReady!: (err: unknown) => void;
  const ready = new Promise<void>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  ready.catch(() => {});

  const trimmer = deps.malloc
    ? new MallocTrimmer({
      malloc: deps.malloc,
      clock: deps.clock,
      ...(deps.collectGarbage ? { collectGarbage: deps.collectGarbage } : {}),
    })
    : null;
  const run = async (): Promise<void> => {
    const tasks: Promise<void>[] = [];
    const canLowerOomScore = options.canLowerOomScore ??
      await processHasCapability(CAP_SYS_RESOURCE);
    const registryAuths = options.containerRuntimeEndpoint
      ? undefined
      : await configureRegistries(paths.root, layout.registryConfigPath, logger);
    const supervisorOptions: ContainerdSupervisorOptions = options.containerRuntimeEndpoint
      ? { mode: "external", endpoint: options.containerRuntimeEndpoint, readyTimeoutMs }
      : {
        mode: "managed",
        readyTimeoutMs,
        configPath: layout.configPath,
        config: {
          rootDir: layout.rootDir,
          stateDir: layout.stateDir,
          socketPath: layout.socketPath,
          cniBinDir: layout.cniBinDir,
          cniConfDir: layout.cniConfDir,
          sandboxImage: PAUSE_IMAGE,
          registryConfigPath: layout.registryConfigPath,
          ...(registryAuths ? { registryAuths } : {}),
          streamServerAddress: "127.0.0.1",
          streamServerPort: "0",
          // runc's state and the pods' network namespaces stay apart from any other containerd.
          runcRoot: `${layout.stateDir}/runc`,
          netnsMountsUnderStateDir: true,
          // Without CAP_SYS_RESOURCE (in a container) a negative oom_score_adj fails sandboxes.
          restrictOomScoreAdj: !canLowerOomScore,
        },
      };
    const supervisor = new ContainerdSupervisor(supervisorOptions, {
      logger: deps.logger.with({ component: "containerd" }),
      clock: deps.clock,
      runner,
    });
    const cri = new CriClient({ endpoint: supervisor.endpoint });
    try {
      for (const dir of [paths.root, paths.images, paths.podManifests, paths.pods]) {
        await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
      }
      await supervisor.start(signal);
      await cri.waitForReady();
      logger.info("Container runtime is ready", {
        endpoint: supervisor.endpoint,
        mode: supervisor.mode,
        version: await runtimeVersion(cri),
      });

      await ensureSkiffImages(paths.images, {
        busybox: options.busybox ?? "/usr/bin/busybox",
        logger,
      });
      const importer = new ImageImporter(
        { runner, logger: deps.logger.with({ component: "image-import" }), clock: deps.clock },
        { dir: paths.images, socketPath: supervisor.socketPath },
      );
      tasks.push(
        importer.run(signal).catch((err) => logger.error("Image import stopped", { error: err })),
      );
      await importer.ready;

      const host = deps.host ?? systemMachineHost();
      const kubeletPort = options.kubeletPort ?? DEFAULT_KUBELET_PORT;
      const status = new NodeStatusManager({
        client: deps.client,
        clock: deps.clock,
        logger: deps.logger,
        host,
        readiness: () => runtimeReadiness(cri),
        containerRuntimeVersion: () => runtimeVersion(cri),
        images: () => runtimeImages(cri),
      }, {
        nodeName: options.nodeName,
        rootDir: options.dataDir,
        kubeletVersion: options.kubeletVersion,
        kubeletPort,
        ...(options.nodeIPs ? { nodeIPs: options.nodeIPs } : {}),
      });
      tasks.push(
        status.run(signal).catch((err) => logger.error("Node status stopped", { error: err })),
      );
      await Promise.race([status.registration, aborted(signal)]);
      if (signal.aborted) return;
      const backend = options.flannelBackend ?? "vxlan";
      const nodeIp = options.nodeIPs?.find((ip) => isIPv4(ip));
      const podNetwork = configurePodNetwork({
        client: deps.client,
        nodeName: options.nodeName,
        clock: deps.clock,
        logger,
        signal,
        runner,
        confDir: layout.cniConfDir,
        binDir: layout.cniBinDir,
        ipamDataDir: join(paths.root, "cni", "networks"),
        clusterCidr: options.clusterCidr,
        plugin: options.cniPlugin ?? { executable: Deno.execPath() },
        backend,
        ...(nodeIp ? { nodeIp } : {}),
      }).catch((err) => {
        if (!signal.aborted) logger.error("Cannot set up the pod network", { error: err });
      });
      tasks.push(podNetwork);
      // The node's network components share one informer per resource: each asks the factory
      // for its informers when constructed; the factory starts them once all are made.
      const informers = new SharedInformerFactory(deps.networkClient, {
        clock: deps.clock,
        logger: deps.logger,
      });
      const componentDeps = { informers, clock: deps.clock, logger: deps.logger, runner };
      // Each runs until `signal` aborts, after what it needs first (e.g. the pod network).
      const components: { readonly name: string; readonly run: () => Promise<void> }[] = [];
      if (backend !== "none") {
        const routes = new NodeRoutes({ ...componentDeps, client: deps.client }, {
          nodeName: options.nodeName,
          backend,
        });
        components.push({
          name: "Node routes",
          run: () => podNetwork.then(() => routes.run(signal)),
        });
      }
      if (options.disableKubeProxy) {
        // An earlier run's table would go on steering Service traffic.
        components.push({ name: "Service proxy cleanup", run: () => deleteProxyTable(runner) });
      } else {
        // NodePorts and LoadBalancer IPs answer on the node's own addresses.
        const nodeAddresses = options.nodeIPs ??
          (status.node?.status?.addresses ?? [])
            .filter((a) => a.type === "InternalIP" || a.type === "ExternalIP")
            .map((a) => a.address);
        const proxy = new ServiceProxy(componentDeps, {
          nodeName: options.nodeName,
          nodeIPs: nodeAddresses,
          clusterCidr: options.clusterCidr,
          serviceCidrs: [options.serviceCidr ?? "10.43.0.0/16"],
          localServiceIPs: options.disableDns ? [] : options.clusterDns,
        });
        components.push({ name: "Service proxy", run: () => proxy.run(signal) });
      }
      if (options.disableDns) {
        components.push({ name: "Cluster DNS cleanup", run: () => removeDnsAddress(runner) });
      } else {
        // Node-local: every node answers the cluster DNS IP itself, on an address of its own.
        const dns = new ClusterDns(componentDeps, {
          listen: options.clusterDns.map((hostname) => ({ hostname })),
          clusterDomain: options.clusterDomain,
          clusterDnsIPs: options.clusterDns,
        });
        components.push({
          name: "Cluster DNS",
          run: async () => {
            await ensureDnsAddress(runner, { address: options.clusterDns });
            await dns.run(signal);
          },
        });
      }
      if (options.disableNetworkPolicy) {
        // An earlier run's table would go on enforcing its policies.
        components.push({ name: "NetworkPolicy cleanup", run: () => deleteNetpolTable(runner) });
      } else {
        const netpol = new NetworkPolicyEnforcer(componentDeps, {
          nodeName: options.nodeName,
          ...(options.disableDns ? {} : { nodeLocalServiceIPs: options.clusterDns }),
        });
        components.push({ name: "NetworkPolicy enforcer", run: () => netpol.run(signal) });
      }
      informers.start(signal);
      for (const { name, run } of components) {
        tasks.push(run().catch((err) => logger.error(`${name} stopped`, { error: err })));
      }
      // The Lease is owned by the Node: it starts once the Node exists.
      const lease = new NodeLease({ client: deps.client, clock: deps.clock, logger: deps.logger }, {
        nodeName: options.nodeName,
      });
      tasks.push(
        lease.run(signal).catch((err) => logger.error("Node lease stopped", { error: err })),
      );
      const machine = await readMachineInfo(host, { rootDir: options.dataDir });
      const pods = await startPodLifecycle({
        client: deps.client,
        cri,
        clock: deps.clock,
        logger: deps.logger,
        runner,
        signal,
        nodeName: options.nodeName,
        hostname: host.hostname().trim().toLowerCase(),
        paths,
        node: () => status.node,
        memoryCapacityBytes: machine.memoryCapacityBytes,
        clusterDns: options.clusterDns,
        clusterDomain: options.clusterDomain,
        podLogsRoot: options.podLogsRoot ?? defaultPodLogsRoot(options.dataDir),
        clusterCaPem: options.clusterCaPem,
        kubeletPort,
        ...(trimmer ? { onPodChange: () => trimmer.busy() } : {}),
      });
      try {
        trimmer?.busy();
        resolveReady();
        logger.info("Node agent is running");
        await aborted(signal);
      } finally {
        await pods.stop();
      }
    } catch (err) {
      rejectReady(err);
      if (!signal.aborted) throw err;
    } finally {
      trimmer?.[Symbol.dispose]();
      await Promise.all(tasks);
      cri.close();
      await supervisor.stop();
    }
  };
  const finished = run().catch((err) => {
    rejectReady(err);
    throw err;
  });
  const given = options.containerRuntimeEndpoint;
  const runtimeEndpoint = given === undefined
    ? `unix://${layout.socketPath}`
    : given.startsWith("unix://")
    ? given
    : `unix://${given}`;
  return { ready, finished, runtimeEndpoint };
}
