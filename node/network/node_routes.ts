/**
 * {@linkcode NodeRoutes}: the agent component that makes every other node's pod CIDR
 * reachable from this node, as flannel does for k3s, kept current from an informer on Nodes
 * as nodes come, change and go (no polling; a retry with backoff only after a failure).
 *
 * - `host-gw`: a route `<podCIDR> via <node address> dev <link>` per peer. A peer whose
 *   address is not on a link this node shares (reached through a gateway, or not at all) gets
 *   no route, a warning log and a Warning event on this node's Node (`PeerNotDirectlyReachable`):
 *   such nodes need `vxlan`.
 * - `vxlan`: skiff's VXLAN device ({@linkcode SKIFF_VXLAN_DEVICE}, VNI 1, UDP 8472, no
 *   learning, MTU = link MTU − 50, bound to the node's address) whose MAC the node publishes
 *   on its own Node (`ROUTE_ANNOTATIONS`); per peer that published its MAC, a forwarding entry,
 *   a neighbour entry and an onlink route through the device (see `route_plan.ts`). The
 *   device exists while some other node has a pod CIDR: a node alone has no tunnel to make
 *   (and a one-node cluster leaves the host's links as they were).
 *
 * It touches only routes with skiff's protocol number ({@linkcode SKIFF_ROUTE_PROTOCOL}) and
 * its own device, and converges from what the kernel shows (`route_state.ts`): a restarted
 * agent changes nothing that is right, and until its informer has synced it changes nothing
 * at all, so pods keep reaching each other while the control plane is out of reach. Routes
 * outlive the agent (pods keep running when it stops).
 *
 * @example Wire it into an agent
 * ```ts ignore
 * const informers = new SharedInformerFactory(client, { clock, logger });
 * const routes = new NodeRoutes({ informers, clock, logger, runner, client }, {
 *   nodeName: "edge-1",
 *   backend: "vxlan",
 * });
 * informers.start(signal);
 * await routes.run(signal);
 * ```
 *
 * @module
 */
import type { Node } from "../../control/api/types/core_v1_node.ts";
import { Backoff } from "../../control/client/backoff.ts";
import type { Client } from "../../control/client/client.ts";
import { EventBroadcaster, type EventRecorder } from "../../control/client/event_recorder.ts";
import type { Informer } from "../../control/client/informer.ts";
import { NODES } from "../../control/client/resources.ts";
import type { SharedInformerFactory } from "../../control/client/shared_informer_factory.ts";
import type { Clock } from "../../control/util/clock.ts";
import type { Logger } from "../../control/util/logger.ts";
import type { CommandRunner } from "../containerd/command_runner.ts";
import { cidrNetworkAddress } from "./ipv4.ts";
import { nodeLink } from "./node_link.ts";
import { podCidrOf } from "./pod_cidr.ts";
import { podMtu } from "./pod_mtu.ts";
import { internalIpv4Of, ROUTE_ANNOTATIONS, type RoutePeer, routePeerOf } from "./route_peers.ts";
import { type DesiredRoutes, planRouteCommands, type PodRoute } from "./route_plan.ts";
import { readRouteState } from "./route_state.ts";

/** The route protocol number that marks skiff's routes (`ip route … proto 73`). */
export const SKIFF_ROUTE_PROTOCOL = 73;
/** skiff's VXLAN device. */
export const SKIFF_VXLAN_DEVICE = "skiff.vxlan";
/** The VXLAN network identifier (flannel's default). */
export const SKIFF_VXLAN_VNI = 1;
/** The VXLAN UDP port (Linux's and flannel's default). */
export const SKIFF_VXLAN_PORT = 8472;

/** What {@linkcode NodeRoutes} uses. */
export interface NodeRoutesDeps {
  readonly informers: SharedInformerFactory;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Runs `ip` and `bridge`. */
  readonly runner: CommandRunner;
  /** The API as the node: patches the node's own Node annotations, records its events. */
  readonly client: Client;
  /** @default {an EventBroadcaster of its own on `client`} */
  readonly recorder?: EventRecorder;
}

/** Options of {@linkcode NodeRoutes}. */
export interface NodeRoutesOptions {
  readonly nodeName: string;
  /** The agent's `flannelBackend` (the agent runs no NodeRoutes with `none`). */
  readonly backend: "vxlan" | "host-gw";
  /** @default {SKIFF_VXLAN_DEVICE} */
  readonly device?: string;
  /** @default {SKIFF_VXLAN_VNI} */
  readonly vni?: number;
  /** @default {SKIFF_VXLAN_PORT} */
  readonly port?: number;
  /** @default {SKIFF_ROUTE_PROTOCOL} */
  readonly protocol?: number;
  /** The first retry delay after a failed sync. @default {1000} */
  readonly initialBackoffMs?: number;
  /** @default {30000} */
  readonly maxBackoffMs?: number;
}

/** The inputs of one sync: a peer list that did not change needs no work. */
interface SyncInputs {
  readonly nodeIp: string;
  readonly podCidr: string | undefined;
  readonly published: readonly (string | undefined)[];
  readonly peers: readonly RoutePeer[];
  /** Whether any other node has a pod CIDR (routed or not yet): VXLAN's device exists then. */
  readonly others: boolean;
}

/** Why a peer gets no route (a warning, reported once until it changes). */
interface Skipped {
  readonly peer: string;
  /** The Warning event's reason. */
  readonly reason: "PeerNotDirectlyReachable" | "PeerBackendMismatch";
  readonly message: string;
}

function describeCommandFailure(argv: readonly string[], code: number, stderr: string): string {
  return `"${argv.join(" ")}" exited with ${code}: ${stderr.trim()}`;
}

/** Routes pod traffic to the other nodes (see the module doc). */
export class NodeRoutes {
  /** Resolves after the first sync that reached the kernel. */
  readonly ready: Promise<void>;
  readonly #deps: NodeRoutesDeps;
  readonly #o: Required<Omit<NodeRoutesOptions, "initialBackoffMs" | "maxBackoffMs">>;
  readonly #backoff: Backoff;
  readonly #log: Logger;
  readonly #nodes: Informer<Node>;
  #resolveReady!: () => void;
  #applied: string | undefined;
  #dirty = true;
  #wake: (() => void) | undefined;
  #running = false;
  /** Warnings reported (messages by peer): repeated only when their text changes. */
  #warned = new Map<string, string>();

  constructor(deps: NodeRoutesDeps, options: NodeRoutesOptions) {
    if (options.nodeName === "") throw new TypeError("Cannot route pod traffic: empty node name");
    this.#deps = deps;
    this.#o = {
      nodeName: options.nodeName,
      backend: options.backend,
      device: options.device ?? SKIFF_VXLAN_DEVICE,
      vni: options.vni ?? SKIFF_VXLAN_VNI,
      port: options.port ?? SKIFF_VXLAN_PORT,
      protocol: options.protocol ?? SKIFF_ROUTE_PROTOCOL,
    };
    this.#backoff = new Backoff({
      initialMs: options.initialBackoffMs ?? 1000,
      maxMs: options.maxBackoffMs ?? 30_000,
    });
    this.#log = deps.logger.with({ component: "routes", node: options.nodeName });
    this.ready = new Promise((resolve) => this.#resolveReady = resolve);
    this.#nodes = deps.informers.informerFor(NODES);
    const changed = () => this.#changed();
    this.#nodes.addHandler({ add: changed, update: changed, delete: changed });
  }

  /** Keeps the routes until `signal` aborts; they stay in place afterwards. */
  async run(signal: AbortSignal): Promise<void> {
    if (this.#running) throw new TypeError("Cannot run NodeRoutes twice");
    this.#running = true;
    const events = this.#deps.recorder ? undefined : new EventBroadcaster({
      client: this.#deps.client,
      clock: this.#deps.clock,
      logger: this.#log,
    });
    const recorder = this.#deps.recorder ??
      events!.newRecorder({ component: "skiff-routes", host: this.#o.nodeName });
    try {
      if (!await this.#nodes.waitForSync(signal)) return;
      this.#log.info("Routing pod traffic to other nodes", {
        backend: this.#o.backend,
        ...(this.#o.backend === "vxlan" ? { device: this.#o.device } : {}),
      });
      while (!signal.aborted) {
        if (!this.#dirty) {
          await this.#nextChange(signal);
          continue;
        }
        this.#dirty = false;
        try {
          await this.#sync(recorder, signal);
          this.#backoff.reset();
        } catch (err) {
          if (signal.aborted) break;
          // Read everything again next time: a failed command may have left anything.
          this.#applied = undefined;
          const retryInMs = this.#backoff.next();
          this.#log.error("Cannot sync the pod routes", { error: err, retryInMs });
          await this.#deps.clock.sleep(retryInMs, signal).catch(() => {});
          this.#dirty = true;
        }
      }
    } finally {
      this.#running = false;
      await events?.shutdown();
    }
  }

  #changed(): void {
    this.#dirty = true;
    this.#wake?.();
  }

  #nextChange(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        signal.removeEventListener("abort", done);
        this.#wake = undefined;
        resolve();
      };
      this.#wake = done;
      signal.addEventListener("abort", done, { once: true });
    });
  }

  /** The inputs from the informer's store, or `undefined` while this node is not ready. */
  #inputs(own: Node): { inputs: SyncInputs; skipped: Skipped[] } | undefined {
    const nodeIp = internalIpv4Of(own);
    const podCidr = podCidrOf(own);
    if (nodeIp === undefined) return undefined;
    // VXLAN's device address is the network address of the node's own pod CIDR.
    if (this.#o.backend === "vxlan" && (!podCidr || !cidrNetworkAddress(podCidr))) {
      return undefined;
    }
    const peers: RoutePeer[] = [];
    let others = false;
    const skipped: Skipped[] = [];
    for (const node of this.#nodes.store.list()) {
      if (node.metadata?.name === this.#o.nodeName) continue;
      const peer = routePeerOf(node);
      if (!peer) continue;
      if (peer.backend !== undefined && peer.backend !== this.#o.backend) {
        skipped.push({
          peer: peer.nodeName,
          reason: "PeerBackendMismatch",
          message:
            `Cannot route pod CIDR "${peer.podCidr}" of node "${peer.nodeName}": it uses backend "${peer.backend}", this node "${this.#o.backend}"`,
        });
        continue;
      }
      if (peer.podCidr === podCidr) continue;
      others = true;
      // A VXLAN peer is reachable once its agent has published its device's MAC.
      if (this.#o.backend === "vxlan" && peer.vtepMac === undefined) continue;
      peers.push(peer);
    }
    peers.sort((a, b) => a.nodeName < b.nodeName ? -1 : a.nodeName > b.nodeName ? 1 : 0);
    const annotations = own.metadata?.annotations ?? {};
    const published = Object.values(ROUTE_ANNOTATIONS).map((key) => annotations[key]);
    return { inputs: { nodeIp, podCidr, published, peers, others }, skipped };
  }

  async #sync(recorder: EventRecorder, signal: AbortSignal): Promise<void> {
    const own = this.#nodes.store.get(this.#o.nodeName);
    const found = own ? this.#inputs(own) : undefined;
    if (!own || !found) {
      this.#log.debug("Waiting for the node's address and pod CIDR");
      return;
    }
    const { inputs, skipped } = found;
    const key = JSON.stringify(inputs);
    if (key === this.#applied) return;
    const started = this.#deps.clock.now();
    const runner = this.#deps.runner;
    const link = await nodeLink({ runner, address: inputs.nodeIp });
    if (!link) {
      throw new Error(
        `Cannot route pod traffic from node "${this.#o.nodeName}": no interface has its address "${inputs.nodeIp}"`,
      );
    }
    const desired = this.#o.backend === "vxlan"
      ? this.#vxlanRoutes(inputs, link)
      : await this.#hostGwRoutes(inputs, skipped);
    this.#report(own, skipped, recorder);
    const observed = await readRouteState({
      runner,
      protocol: this.#o.protocol,
      device: this.#o.device,
    });
    const commands = planRouteCommands({ desired, observed }, this.#o);
    const failures: string[] = [];
    for (const argv of commands) {
      const out = await runner.run(argv, { signal });
      if (out.code !== 0) failures.push(describeCommandFailure(argv, out.code, out.stderr));
    }
    if (failures.length > 0) {
      throw new Error(
        `Cannot apply ${failures.length} of ${commands.length} route changes: ${
          failures.join("; ")
        }`,
      );
    }
    const created = commands.some((c) => c[1] === "link" && c[2] === "add");
    const mac = desired.vxlan === undefined
      ? null
      : (created ? undefined : observed.device?.mac) ?? await this.#deviceMac();
    await this.#publish(own, inputs, mac);
    this.#applied = key;
    const fields = {
      peers: inputs.peers.map((p) => p.nodeName),
      changes: commands.length,
      durationMs: this.#deps.clock.now() - started,
    };
    if (commands.length > 0) this.#log.info("Pod routes synced", fields);
    else this.#log.debug("Pod routes synced", fields);
    this.#resolveReady();
  }

  #vxlanRoutes(inputs: SyncInputs, link: { name: string; mtu: number }): DesiredRoutes {
    const device = this.#o.device;
    // A node alone needs no tunnel (and a one-node cluster leaves the host's links alone).
    if (!inputs.others) return { routes: [], vteps: [] };
    return {
      vxlan: {
        vni: this.#o.vni,
        port: this.#o.port,
        local: inputs.nodeIp,
        underlay: link.name,
        mtu: podMtu("vxlan", link.mtu),
        address: cidrNetworkAddress(inputs.podCidr!)!,
      },
      vteps: inputs.peers.map((p) => ({
        address: p.vtepAddress,
        mac: p.vtepMac!,
        remote: p.publicIp,
      })),
      routes: inputs.peers.map((p) => ({
        dst: p.podCidr,
        via: p.vtepAddress,
        dev: device,
        onlink: true,
      })),
    };
  }

  /** Direct routes to the peers on a shared link; the others go to `skipped`. */
  async #hostGwRoutes(inputs: SyncInputs, skipped: Skipped[]): Promise<DesiredRoutes> {
    const routes: PodRoute[] = [];
    for (const peer of inputs.peers) {
      const out = await this.#deps.runner.run(["ip", "-j", "-4", "route", "get", peer.publicIp]);
      const found = out.code === 0
        ? (JSON.parse(out.stdout.trim() || "[]") as { dev?: string; gateway?: string }[])[0]
        : undefined;
      if (found?.dev && found.gateway === undefined && found.dev !== "lo") {
        routes.push({ dst: peer.podCidr, via: peer.publicIp, dev: found.dev, onlink: false });
        continue;
      }
      const why = found?.gateway
        ? `it is reached through gateway "${found.gateway}"`
        : out.code === 0
        ? "it is this node's own address"
        : `it is unreachable (${out.stderr.trim()})`;
      skipped.push({
        peer: peer.nodeName,
        reason: "PeerNotDirectlyReachable",
        message:
          `Cannot route pod CIDR "${peer.podCidr}" of node "${peer.nodeName}" with host-gw: its address "${peer.publicIp}" is not on a link this node shares, ${why}; use the vxlan backend`,
      });
    }
    return { routes, vteps: [] };
  }

  /** Warns about each skipped peer once (until its message changes). */
  #report(own: Node, skipped: readonly Skipped[], recorder: EventRecorder): void {
    const now = new Map<string, string>();
    for (const { peer, reason, message } of skipped) {
      now.set(peer, message);
      if (this.#warned.get(peer) === message) continue;
      this.#log.warn("Peer not routed", { peer, reason, message });
      recorder.event(own, { type: "Warning", reason, message });
    }
    this.#warned = now;
  }

  /**
   * Patches this node's annotations when they differ from what it should publish (`vtepMac`
   * null: the node has no VXLAN device).
   */
  async #publish(own: Node, inputs: SyncInputs, vtepMac: string | null): Promise<void> {
    const wanted: Record<string, string | null> = {
      [ROUTE_ANNOTATIONS.backend]: this.#o.backend,
      [ROUTE_ANNOTATIONS.publicIp]: inputs.nodeIp,
      [ROUTE_ANNOTATIONS.vtepMac]: vtepMac,
    };
    const current = own.metadata?.annotations ?? {};
    const patch = Object.fromEntries(
      Object.entries(wanted).filter(([key, value]) => (current[key] ?? null) !== value),
    );
    if (Object.keys(patch).length === 0) return;
    await this.#deps.client.resource(NODES).patch(this.#o.nodeName, {
      type: "merge",
      body: { metadata: { annotations: patch } },
    });
    this.#log.info("Published the node's route annotations", { annotations: patch });
  }

  async #deviceMac(): Promise<string> {
    const argv = ["ip", "-j", "link", "show", "dev", this.#o.device];
    const out = await this.#deps.runner.run(argv);
    const mac = out.code === 0
      ? (JSON.parse(out.stdout.trim() || "[]") as { address?: string }[])[0]?.address
      : undefined;
    if (!mac) {
      throw new Error(
        `Cannot read the MAC address of "${this.#o.device}": ${
          describeCommandFailure(argv, out.code, out.stderr)
        }`,
      );
    }
    return mac;
  }
}
