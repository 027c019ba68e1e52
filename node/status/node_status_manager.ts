/**
 * Registers the node and keeps its status, as the kubelet's `registerWithAPIServer` and
 * `updateNodeStatus` (v1.33) do.
 *
 * **Registration.** The Node is created with its labels — `kubernetes.io/hostname`,
 * `kubernetes.io/os`, `kubernetes.io/arch` (and their `beta.kubernetes.io/` twins),
 * `node.kubernetes.io/instance-type` when given, `node-role.kubernetes.io/control-plane: "true"`
 * on a server, then `nodeLabels` (`--node-labels`) — the annotation
 * `volumes.kubernetes.io/controller-managed-attach-detach: "true"`, the taints given
 * (`--register-with-taints`, plus `node.kubernetes.io/unschedulable:NoSchedule` when not
 * schedulable) and its full status. A failed attempt is tried again after 100 ms, doubling up to
 * 7 s. When the Node exists already, the labels and the annotation above are set on it (never
 * removed; taints are left alone, as upstream leaves them and NodeRestriction forbids a node to
 * change them) with a patch of `nodes/<name>/status`.
 *
 * **Status.** Every `updateFrequencyMs` (10 s, plus up to 4 % jitter; one timer) the Node is
 * read and its status recomputed: capacity and allocatable ({@linkcode nodeCapacity},
 * {@linkcode nodeAllocatable}), addresses, `nodeInfo`, the kubelet endpoint, images, and the
 * conditions ({@linkcode setNodeConditions}, Ready from the caller's `readiness`, pressure from
 * the hard eviction thresholds). It is written — a strategic merge patch of `nodes/<name>/status`
 * holding only what changed — when anything but heartbeat times changed, or when the last write
 * is `reportFrequencyMs` (60 s) old. A failed update is tried 5 times (the first read may come
 * from the API server's cache, later ones do not). Transitions are recorded as events on the
 * Node (`NodeReady`, `NodeHasSufficientMemory`…: "Node edge-1 status is now: NodeReady"), and a
 * changed boot ID as `NodeRebooted`. {@linkcode NodeStatusManager.requestUpdate} runs an update
 * at once (e.g. when the runtime became ready). A Node deleted while the agent runs is not
 * created again until the agent restarts, as with upstream's kubelet.
 *
 * @example Register and keep the status until stopped
 * ```ts ignore
 * const manager = new NodeStatusManager(
 *   { client, clock, logger, host: systemMachineHost(), readiness: () => [], containerRuntimeVersion: () => "containerd://1.6.20" },
 *   { nodeName: "edge-1", rootDir: "/var/lib/skiff", kubeletVersion: "v1.33.0" },
 * );
 * const stop = new AbortController();
 * const running = manager.run(stop.signal);
 * ```
 *
 * @module
 */
import type { Taint } from "../../control/api/types/core_v1_common.ts";
import type { ContainerImage, Node, NodeStatus } from "../../control/api/types/core_v1_node.ts";
import type { Client, ResourceClient } from "../../control/client/client.ts";
import { isAlreadyExists } from "../../control/client/errors.ts";
import type { EventRecorder, EventType } from "../../control/client/event_recorder.ts";
import { NODES } from "../../control/client/resources.ts";
import type { Clock } from "../../control/util/clock.ts";
import type { Logger } from "../../control/util/logger.ts";
import { nodeStatusChanged, nodeStatusPatch } from "./_node_status_patch.ts";
import {
  DEFAULT_EVICTION_HARD,
  type EvictionThreshold,
  type NodePressure,
  parseEvictionThresholds,
  PressureTracker,
} from "./eviction_thresholds.ts";
import {
  type MachineHost,
  type MachineInfo,
  readDefaultRouteInterface,
  readMachineInfo,
  readMachineStats,
} from "./machine_info.ts";
import { nodeAddresses } from "./node_addresses.ts";
import { nodeStatusEventMessage, setNodeConditions } from "./node_conditions.ts";
import {
  allocatableReservation,
  HUGEPAGES_PREFIX,
  nodeAllocatable,
  nodeCapacity,
  type NodeResourceList,
} from "./node_resources.ts";

/** The label of control-plane nodes. */
export const CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane";
/** The annotation saying the attach/detach controller attaches this node's volumes. */
export const CONTROLLER_MANAGED_ATTACH_DETACH_ANNOTATION =
  "volumes.kubernetes.io/controller-managed-attach-detach";
/** The taint of a node registered as not schedulable. */
export const UNSCHEDULABLE_TAINT_KEY = "node.kubernetes.io/unschedulable";
/** The kubelet's default port (`status.daemonEndpoints.kubeletEndpoint`). */
export const DEFAULT_KUBELET_PORT = 10250;
/** The kubelet's default `--node-status-max-images`. */
export const DEFAULT_MAX_IMAGES = 50;
/** Names reported per image at most. */
const MAX_NAMES_PER_IMAGE = 5;
const UPDATE_RETRIES = 5;
const REGISTER_BACKOFF_INITIAL_MS = 100;
const REGISTER_BACKOFF_MAX_MS = 7000;

/** What a {@linkcode NodeStatusManager} uses. */
export interface NodeStatusManagerDeps {
  readonly client: Client;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The machine (fixtures in tests, {@linkcode systemMachineHost} otherwise). */
  readonly host: MachineHost;
  /**
   * Why the node cannot run pods now ("container runtime is down", "container runtime network
   * not ready: …"); empty when it can. Asked at each update.
   */
  readonly readiness: () => readonly string[] | Promise<readonly string[]>;
  /** The runtime as `<type>://<version>`, e.g. `containerd://1.6.20`. */
  readonly containerRuntimeVersion: () => string | Promise<string>;
  /** The images on the node (any order; the biggest 50 are reported). */
  readonly images?: () => readonly ContainerImage[] | Promise<readonly ContainerImage[]>;
  /** Where node events go; none are recorded without it. */
  readonly recorder?: EventRecorder;
  /** A random number in `[0, 1)` (the jitter). @default {Math.random} */
  readonly random?: () => number;
}

/** Options of {@linkcode NodeStatusManager}, with the kubelet's flag defaults. */
export interface NodeStatusManagerOptions {
  readonly nodeName: string;
  /** The data dir: its filesystem is the node's ephemeral storage. */
  readonly rootDir: string;
  /** Where images are stored. @default {rootDir} */
  readonly imageDir?: string;
  /** `nodeInfo.kubeletVersion`: the Kubernetes version skiff serves, e.g. `v1.33.0`. */
  readonly kubeletVersion: string;
  /**
   * `nodeInfo.kubeProxyVersion`. A v1.33 kubelet leaves it empty, but skiff's API still refuses
   * an empty value, so it defaults to the kubelet's version (as v1.32 kubelets report it).
   * @default {kubeletVersion}
   */
  readonly kubeProxyVersion?: string;
  /** The `Hostname` address and `kubernetes.io/hostname` label. @default {the host name, lower case} */
  readonly hostname?: string;
  /** `--node-ip`: one address, or one per family. @default {the default route's interface address} */
  readonly nodeIPs?: readonly string[];
  /** `--node-labels`. */
  readonly nodeLabels?: Readonly<Record<string, string>>;
  /** `--register-with-taints`: set only when the Node is created. */
  readonly registerWithTaints?: readonly Taint[];
  /** `--register-schedulable`. @default {true} */
  readonly registerSchedulable?: boolean;
  /**
   * Label the node `node-role.kubernetes.io/control-plane: "true"`. NodeRestriction refuses this
   * label from a node's own credential: the client must be allowed to set it.
   */
  readonly controlPlane?: boolean;
  /** `node.kubernetes.io/instance-type` (and `beta.kubernetes.io/instance-type`). */
  readonly instanceType?: string;
  readonly providerID?: string;
  /** `--enable-controller-attach-detach`. @default {true} */
  readonly controllerAttachDetach?: boolean;
  /** @default {10250} */
  readonly kubeletPort?: number;
  /** @default {110} */
  readonly maxPods?: number;
  readonly kubeReserved?: Readonly<NodeResourceList>;
  readonly systemReserved?: Readonly<NodeResourceList>;
  /** `--eviction-hard`. @default {DEFAULT_EVICTION_HARD} */
  readonly evictionHard?: string;
  /** `--eviction-pressure-transition-period`. @default {300000} */
  readonly pressureTransitionPeriodMs?: number;
  /** `--node-status-update-frequency`. @default {10000} */
  readonly updateFrequencyMs?: number;
  /** How old the last write may get before an unchanged status is written again. @default {60000} */
  readonly reportFrequencyMs?: number;
  /** The wait between updates is stretched by up to this fraction. @default {0.04} */
  readonly jitter?: number;
  /** `--node-status-max-images`; -1 for all. @default {50} */
  readonly maxImages?: number;
}

interface Settings {
  readonly nodeName: string;
  readonly hostname: string;
  readonly updateFrequencyMs: number;
  readonly reportFrequencyMs: number;
  readonly jitter: number;
  readonly evictionHard: readonly EvictionThreshold[];
}

function checkPositive(what: string, ms: number): void {
  if (!(Number.isFinite(ms) && ms > 0)) {
    throw new RangeError(`Cannot use ${what} of ${ms} ms: expected a number > 0`);
  }
}

/** Registers the node and keeps its status. */
export class NodeStatusManager {
  readonly #deps: NodeStatusManagerDeps;
  readonly #options: NodeStatusManagerOptions;
  readonly #s: Settings;
  readonly #nodes: ResourceClient<Node>;
  readonly #log: Logger;
  readonly #pressure: PressureTracker;
  #info: MachineInfo | undefined;
  #node: Node | undefined;
  #registered = false;
  #lastReportMs = -Infinity;
  #wake: (() => void) | undefined;
  #wakeRequested = false;
  #running = false;
  #onRegistered!: () => void;
  /** Resolves once the node is registered (never rejects; stays pending if it never is). */
  readonly registration: Promise<void> = new Promise((resolve) => {
    this.#onRegistered = resolve;
  });

  constructor(deps: NodeStatusManagerDeps, options: NodeStatusManagerOptions) {
    if (options.nodeName === "") throw new TypeError("Cannot register a node: empty node name");
    const updateFrequencyMs = options.updateFrequencyMs ?? 10_000;
    const reportFrequencyMs = options.reportFrequencyMs ?? 60_000;
    checkPositive("node status update frequency", updateFrequencyMs);
    checkPositive("node status report frequency", reportFrequencyMs);
    const evictionHard = parseEvictionThresholds(options.evictionHard ?? DEFAULT_EVICTION_HARD);
    this.#deps = deps;
    this.#options = options;
    this.#s = {
      nodeName: options.nodeName,
      hostname: (options.hostname ?? deps.host.hostname()).trim().toLowerCase(),
      updateFrequencyMs,
      reportFrequencyMs,
      jitter: options.jitter ?? 0.04,
      evictionHard,
    };
    this.#nodes = deps.client.resource(NODES);
    this.#log = deps.logger.with({ component: "node-status", node: options.nodeName });
    this.#pressure = new PressureTracker({
      thresholds: evictionHard,
      ...(options.pressureTransitionPeriodMs !== undefined
        ? { transitionPeriodMs: options.pressureTransitionPeriodMs }
        : {}),
    });
  }

  /** The Node as last written or read by this manager. */
  get node(): Node | undefined {
    return this.#node;
  }

  /** Whether the node has been registered. */
  get registered(): boolean {
    return this.#registered;
  }

  /** Registers the node (until that works), then updates its status until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    if (this.#running) throw new Error(`Cannot run the status of node "${this.#s.nodeName}" twice`);
    this.#running = true;
    try {
      if (!await this.#register(signal)) return;
      while (!signal.aborted) {
        await this.#updateStatus(signal);
        const random = this.#deps.random ?? Math.random;
        await this.#wait(this.#s.updateFrequencyMs * (1 + this.#s.jitter * random()), signal);
      }
    } finally {
      this.#running = false;
    }
  }

  /** Runs the next registration attempt or status update now instead of at its time. */
  requestUpdate(): void {
    if (this.#wake) this.#wake();
    else this.#wakeRequested = true;
  }

  /** Resolves after `ms`, on {@linkcode requestUpdate}, or when `signal` aborts. */
  #wait(ms: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    if (this.#wakeRequested) {
      this.#wakeRequested = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        timer.cancel();
        signal.removeEventListener("abort", done);
        this.#wake = undefined;
        resolve();
      };
      const timer = this.#deps.clock.setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
      this.#wake = done;
    });
  }

  // --- registration ----------------------------------------------------------------------------

  async #register(signal: AbortSignal): Promise<boolean> {
    let stepMs = REGISTER_BACKOFF_INITIAL_MS;
    while (!signal.aborted) {
      try {
        const initial = await this.#initialNode();
        this.#log.info("Attempting to register node");
        await this.#tryRegister(initial, signal);
        this.#log.info("Successfully registered node");
        this.#registered = true;
        this.#onRegistered();
        return true;
      } catch (err) {
        if (signal.aborted) return false;
        this.#log.error("Unable to register node with API server", { err });
      }
      await this.#wait(stepMs, signal);
      stepMs = Math.min(stepMs * 2, REGISTER_BACKOFF_MAX_MS);
    }
    return false;
  }

  /** Creates the Node, or reconciles the one there; throws when neither worked. */
  async #tryRegister(
    initial: { node: Node; events: Emitted[] },
    signal: AbortSignal,
  ): Promise<void> {
    const nowMs = this.#deps.clock.now();
    try {
      this.#node = await this.#nodes.create(initial.node, { signal });
      this.#lastReportMs = nowMs;
      this.#emit(initial.events);
      return;
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
    const existing = await this.#nodes.get(this.#s.nodeName, { signal });
    this.#log.info("Node was previously registered");
    const wanted = this.#reconcile(initial.node, existing);
    this.#node = wanted === undefined ? existing : await this.#nodes.patch(this.#s.nodeName, {
      type: "strategic",
      subresource: "status",
      body: nodeStatusPatch(existing, wanted),
      signal,
    });
  }

  /** The labels and annotations this agent owns, on a copy of `existing`; undefined when all are set. */
  #reconcile(initial: Node, existing: Node): Node | undefined {
    const wanted = structuredClone(existing);
    const meta = wanted.metadata ??= {};
    let changed = false;
    const labels = meta.labels ??= {};
    for (const [key, value] of Object.entries(initial.metadata?.labels ?? {})) {
      if (labels[key] === value) continue;
      labels[key] = value;
      changed = true;
    }
    const cmad = initial.metadata?.annotations?.[CONTROLLER_MANAGED_ATTACH_DETACH_ANNOTATION];
    const annotations = meta.annotations ??= {};
    if (annotations[CONTROLLER_MANAGED_ATTACH_DETACH_ANNOTATION] !== cmad) {
      if (cmad === undefined) delete annotations[CONTROLLER_MANAGED_ATTACH_DETACH_ANNOTATION];
      else annotations[CONTROLLER_MANAGED_ATTACH_DETACH_ANNOTATION] = cmad;
      changed = true;
    }
    return changed ? wanted : undefined;
  }

  async #initialNode(): Promise<{ node: Node; events: Emitted[] }> {
    const o = this.#options;
    const { os, arch } = this.#deps.host;
    const labels: Record<string, string> = {
      "kubernetes.io/hostname": this.#s.hostname,
      "kubernetes.io/os": os,
      "kubernetes.io/arch": arch,
      "beta.kubernetes.io/os": os,
      "beta.kubernetes.io/arch": arch,
    };
    if (o.instanceType) {
      labels["node.kubernetes.io/instance-type"] = o.instanceType;
      labels["beta.kubernetes.io/instance-type"] = o.instanceType;
    }
    if (o.controlPlane) labels[CONTROL_PLANE_LABEL] = "true";
    for (const [key, value] of Object.entries(o.nodeLabels ?? {})) {
      if (labels[key] !== undefined && labels[key] !== value) {
        this.#log.warn("The node label will overwrite the default setting", { label: key, value });
      }
      labels[key] = value;
    }
    const schedulable = o.registerSchedulable ?? true;
    const taints: Taint[] = (o.registerWithTaints ?? []).map((t) => ({ ...t }));
    if (!schedulable && !taints.some((t) => t.key === UNSCHEDULABLE_TAINT_KEY)) {
      taints.push({ key: UNSCHEDULABLE_TAINT_KEY, effect: "NoSchedule" });
    }
    const node: Node = {
      apiVersion: "v1",
      kind: "Node",
      metadata: {
        name: this.#s.nodeName,
        labels,
        ...((o.controllerAttachDetach ?? true)
          ? { annotations: { [CONTROLLER_MANAGED_ATTACH_DETACH_ANNOTATION]: "true" } }
          : {}),
      },
      spec: {
        ...(schedulable ? {} : { unschedulable: true }),
        ...(taints.length > 0 ? { taints } : {}),
        ...(o.providerID ? { providerID: o.providerID } : {}),
      },
      status: {},
    };
    const events = await this.#setStatus(node, this.#deps.clock.now());
    return { node, events };
  }

  // --- status ----------------------------------------------------------------------------------

  async #updateStatus(signal: AbortSignal): Promise<void> {
    for (let attempt = 0; attempt < UPDATE_RETRIES; attempt++) {
      if (signal.aborted) return;
      try {
        await this.#tryUpdateStatus(attempt, signal);
        return;
      } catch (err) {
        if (signal.aborted) return;
        this.#log.error("Error updating node status, will retry", { err, attempt });
      }
    }
    this.#log.error("Unable to update node status: update node status exceeds retry count");
  }

  async #tryUpdateStatus(attempt: number, signal: AbortSignal): Promise<void> {
    const current = await this.#nodes.get(
      this.#s.nodeName,
      attempt === 0 ? { resourceVersion: "0", signal } : { signal },
    );
    const wanted = structuredClone(current);
    const nowMs = this.#deps.clock.now();
    const events = await this.#setStatus(wanted, nowMs);
    if (
      nowMs < this.#lastReportMs + this.#s.reportFrequencyMs &&
      !nodeStatusChanged(current.status, wanted.status)
    ) {
      this.#node = current;
      return;
    }
    const patch = nodeStatusPatch(current, wanted);
    this.#node = Object.keys(patch).length === 0 ? current : await this.#nodes.patch(
      this.#s.nodeName,
      { type: "strategic", subresource: "status", body: patch, signal },
    );
    this.#lastReportMs = nowMs;
    this.#emit(events);
  }

  async #machineInfo(): Promise<MachineInfo> {
    this.#info ??= await readMachineInfo(this.#deps.host, this.#dirs());
    return this.#info;
  }

  #dirs(): { rootDir: string; imageDir?: string } {
    return {
      rootDir: this.#options.rootDir,
      ...(this.#options.imageDir ? { imageDir: this.#options.imageDir } : {}),
    };
  }

  /** Sets everything the agent reports on `node.status` (in place); answers the events to record. */
  async #setStatus(node: Node, nowMs: number): Promise<Emitted[]> {
    const o = this.#options;
    const info = await this.#machineInfo();
    const status: NodeStatus = node.status ??= {};
    const events: Emitted[] = [];

    // Capacity and allocatable: ours are set, other writers' extended resources kept.
    const capacity = nodeCapacity(info, o.maxPods !== undefined ? { maxPods: o.maxPods } : {});
    const merged: NodeResourceList = {};
    for (const [name, value] of Object.entries(status.capacity ?? {})) {
      if (!name.startsWith(HUGEPAGES_PREFIX)) merged[name] = value;
    }
    Object.assign(merged, capacity);
    status.capacity = merged;
    status.allocatable = nodeAllocatable(
      merged,
      allocatableReservation(merged, {
        ...(o.kubeReserved ? { kubeReserved: o.kubeReserved } : {}),
        ...(o.systemReserved ? { systemReserved: o.systemReserved } : {}),
        evictionHard: this.#s.evictionHard,
      }),
    );

    // nodeInfo.
    const previousBootID = status.nodeInfo?.bootID;
    if (previousBootID && previousBootID !== info.bootID) {
      events.push({
        type: "Warning",
        reason: "NodeRebooted",
        message: `Node ${this.#s.nodeName} has been rebooted, boot id: ${info.bootID}`,
      });
    }
    status.nodeInfo = {
      machineID: info.machineID,
      // Boards without DMI (a Raspberry Pi) have no system UUID; skiff's API refuses an empty one.
      systemUUID: info.systemUUID || info.machineID,
      bootID: info.bootID,
      kernelVersion: info.kernelVersion,
      osImage: info.osImage,
      containerRuntimeVersion: await this.#runtimeVersion(status.nodeInfo?.containerRuntimeVersion),
      kubeletVersion: o.kubeletVersion,
      kubeProxyVersion: o.kubeProxyVersion ?? o.kubeletVersion,
      operatingSystem: info.operatingSystem,
      architecture: info.architecture,
      swap: { capacity: info.swapCapacityBytes },
    };

    // Addresses (kept as they were when none can be found).
    try {
      status.addresses = nodeAddresses({
        nodeName: this.#s.nodeName,
        hostname: this.#s.hostname,
        ...(o.nodeIPs ? { nodeIPs: o.nodeIPs } : {}),
        interfaces: this.#deps.host.networkInterfaces(),
        defaultRouteInterface: await readDefaultRouteInterface(this.#deps.host),
      });
    } catch (err) {
      this.#log.error("Failed to set node addresses", { err });
    }
    status.daemonEndpoints = { kubeletEndpoint: { Port: o.kubeletPort ?? DEFAULT_KUBELET_PORT } };
    if (this.#deps.images) status.images = await this.#images();

    // Conditions.
    const notReady = await this.#readiness();
    const pressure = await this.#observePressure(nowMs);
    for (const event of setNodeConditions(status, { nowMs, pressure, notReady })) {
      events.push({
        type: "Normal",
        reason: event,
        message: nodeStatusEventMessage(this.#s.nodeName, event),
      });
    }
    return events;
  }

  async #runtimeVersion(previous: string | undefined): Promise<string> {
    try {
      return await this.#deps.containerRuntimeVersion();
    } catch (err) {
      this.#log.debug("Cannot read the container runtime version", { err });
      return previous ?? "";
    }
  }

  async #readiness(): Promise<readonly string[]> {
    try {
      return await this.#deps.readiness();
    } catch (err) {
      return [err instanceof Error ? err.message : String(err)];
    }
  }

  async #observePressure(nowMs: number): Promise<NodePressure> {
    try {
      return this.#pressure.observe(await readMachineStats(this.#deps.host, this.#dirs()), nowMs);
    } catch (err) {
      this.#log.error("Cannot observe the node's resources", { err });
      return { memory: false, disk: false, pid: false };
    }
  }

  async #images(): Promise<ContainerImage[]> {
    try {
      const images = [...await this.#deps.images!()]
        .sort((a, b) => (b.sizeBytes ?? 0) - (a.sizeBytes ?? 0));
      const max = this.#options.maxImages ?? DEFAULT_MAX_IMAGES;
      return (max >= 0 ? images.slice(0, max) : images).map((image) => ({
        ...image,
        ...(image.names ? { names: image.names.slice(0, MAX_NAMES_PER_IMAGE) } : {}),
      }));
    } catch (err) {
      this.#log.error("Error getting image list", { err });
      return [];
    }
  }

  #emit(events: readonly Emitted[]): void {
    const recorder = this.#deps.recorder;
    if (!recorder) return;
    // Upstream's node reference: the UID is the node's name.
    const ref = {
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: this.#s.nodeName, uid: this.#s.nodeName },
    };
    for (const e of events) recorder.event(ref, e);
  }
}

/** An event to record on the Node. */
interface Emitted {
  readonly type: EventType;
  readonly reason: string;
  readonly message: string;
}
