/**
 * The node IPAM controller, as kube-controller-manager's `nodeipam` with the range allocator
 * (`--allocate-node-cidrs`, `--cluster-cidr`, `--node-cidr-mask-size` 24): it gives every Node
 * without one a `spec.podCIDR` / `spec.podCIDRs` — the next free /24 of the cluster CIDR
 * (10.42.0.0/16 by default), round robin from the first — and frees it when the node goes.
 *
 * - At start, once the node cache is synced and before anything is allocated, the CIDRs of
 *   every existing node are marked used (upstream's occupy pass): a restarted controller
 *   never hands out a CIDR twice. Subnets overlapping the Service CIDR are never handed out.
 * - The CIDR goes on the node with a strategic merge patch
 *   `{"spec":{"podCIDR":…,"podCIDRs":[…]}}` (upstream `PatchNodeCIDRs`), logged as
 *   "Set node PodCIDR". The API keeps podCIDR immutable once set, so a node keeps its CIDR.
 * - A full range records `CIDRNotAvailable` on the node and a failed patch
 *   `CIDRAssignmentFailed` (Normal events, "Node <name> status is now: <reason>", from
 *   `cidrAllocator`), and the node is retried with backoff.
 * - A CIDR picked for a node whose patch failed stays reserved for that node until the patch
 *   succeeds or the node goes, rather than being freed and picked again.
 *
 * @module
 */
import type { Node } from "../api/types/core_v1_node.ts";
import type { Client, ResourceClient } from "../client/client.ts";
import type { CacheSyncWaiter } from "../client/controller.ts";
import { runController } from "../client/controller.ts";
import { isNotFound } from "../client/errors.ts";
import type { EventRecorder } from "../client/event_recorder.ts";
import type { HandlerRegistration, InformerHandler } from "../client/informer.ts";
import { NODES } from "../client/resources.ts";
import type { ObjectStore } from "../client/store.ts";
import { WorkQueue } from "../client/workqueue.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import { CidrSet, parseIpv4Block } from "./_cidr_set.ts";
import { errorText } from "./_errors.ts";
import type { ControllerContext, RunnableController } from "./controller_manager.ts";

/** The controller's name in `--controllers` and in logs. */
export const NODE_IPAM_CONTROLLER_NAME = "nodeipam";
/** The event source of the range allocator. */
export const CIDR_ALLOCATOR_COMPONENT = "cidrAllocator";
/** skiff's `--cluster-cidr` default (k3s's). */
export const DEFAULT_CLUSTER_CIDR = "10.42.0.0/16";
/** Upstream's `--node-cidr-mask-size` for IPv4. */
export const DEFAULT_NODE_CIDR_MASK_SIZE = 24;

/** What the controller needs of the Node informer. */
export interface NodeInformerLike extends CacheSyncWaiter {
  readonly store: ObjectStore<Node>;
  addHandler(handler: InformerHandler<Node>): HandlerRegistration;
}

/** What {@linkcode NodeIpamController} works with. */
export interface NodeIpamControllerDeps {
  readonly client: Client;
  readonly nodeInformer: NodeInformerLike;
  readonly recorder: EventRecorder;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** Options of {@linkcode NodeIpamController}. */
export interface NodeIpamControllerOptions {
  /** `--cluster-cidr` (IPv4). @default {DEFAULT_CLUSTER_CIDR} */
  readonly clusterCidr?: string;
  /** `--node-cidr-mask-size`. @default {DEFAULT_NODE_CIDR_MASK_SIZE} */
  readonly nodeCidrMaskSize?: number;
  /** `--service-cluster-ip-range`: subnets overlapping it are never handed out. */
  readonly serviceCidr?: string;
  /** Nodes synced at once. @default {1} */
  readonly workers?: number;
}

/** The pod CIDRs a node has (`spec.podCIDRs`, else `spec.podCIDR`). */
export function nodePodCidrs(node: Node): string[] {
  const cidrs = node.spec?.podCIDRs ?? [];
  if (cidrs.length > 0) return [...cidrs];
  return node.spec?.podCIDR ? [node.spec.podCIDR] : [];
}

/** Hands out a pod CIDR to every node. */
export class NodeIpamController {
  readonly #deps: NodeIpamControllerDeps;
  readonly #nodes: ResourceClient<Node>;
  readonly #store: ObjectStore<Node>;
  readonly #queue: WorkQueue<string>;
  readonly #logger: Logger;
  readonly #workers: number;
  readonly #set: CidrSet;
  readonly #clusterCidr: string;
  /** CIDRs picked for nodes whose patch has not succeeded yet. */
  readonly #pending = new Map<string, string>();
  readonly #registration: HandlerRegistration;

  /** @throws {RangeError} for a cluster CIDR, mask size or Service CIDR that cannot work. */
  constructor(deps: NodeIpamControllerDeps, options: NodeIpamControllerOptions = {}) {
    this.#deps = deps;
    this.#nodes = deps.client.resource(NODES);
    this.#store = deps.nodeInformer.store;
    this.#queue = new WorkQueue<string>({ clock: deps.clock });
    this.#logger = deps.logger.with({ controller: NODE_IPAM_CONTROLLER_NAME });
    this.#workers = options.workers ?? 1;
    this.#clusterCidr = options.clusterCidr ?? DEFAULT_CLUSTER_CIDR;
    const cluster = parseIpv4Block(this.#clusterCidr);
    if (!cluster) {
      throw new RangeError(`Invalid cluster CIDR "${this.#clusterCidr}": not an IPv4 CIDR`);
    }
    this.#set = new CidrSet(cluster, options.nodeCidrMaskSize ?? DEFAULT_NODE_CIDR_MASK_SIZE);
    if (options.serviceCidr !== undefined) {
      const service = parseIpv4Block(options.serviceCidr);
      if (!service) {
        throw new RangeError(`Invalid Service CIDR "${options.serviceCidr}": not an IPv4 CIDR`);
      }
      this.#set.occupyOverlap(service);
    }
    this.#registration = deps.nodeInformer.addHandler({
      add: (node) => this.#queue.add(node.metadata!.name!),
      update: (old, node) => {
        if (
          nodePodCidrs(node).length === 0 || nodePodCidrs(old).join() !== nodePodCidrs(node).join()
        ) {
          this.#queue.add(node.metadata!.name!);
        }
      },
      delete: (node) => this.#release(node),
    });
  }

  /** The node names waiting to be looked at. */
  get queue(): WorkQueue<string> {
    return this.#queue;
  }

  /** How many CIDRs are in use (allocated or occupied) of how many. */
  usage(): { used: number; size: number } {
    return { used: this.#set.used, size: this.#set.size };
  }

  /** Waits for the cache, marks the CIDRs the nodes have, then allocates until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    try {
      if ((await this.#deps.nodeInformer.waitForSync(signal)) === false) return;
      for (const node of this.#store.list()) this.#occupy(node);
      this.#logger.info("Recovered pod CIDRs of existing nodes", {
        clusterCidr: this.#clusterCidr,
        used: this.#set.used,
      });
      await runController({
        name: NODE_IPAM_CONTROLLER_NAME,
        queue: this.#queue,
        sync: (key) => this.sync(key),
        workers: this.#workers,
        waitFor: [this.#deps.nodeInformer],
        signal,
        logger: this.#deps.logger,
        clock: this.#deps.clock,
      });
    } finally {
      this.#registration.remove();
    }
  }

  /** Marks `node`'s CIDRs used; `false` when one cannot be (outside the cluster CIDR). */
  #occupy(node: Node): boolean {
    for (const cidr of nodePodCidrs(node)) {
      try {
        this.#set.occupy(cidr);
      } catch (err) {
        this.#logger.error("Failed to mark the node's pod CIDR as occupied", {
          node: node.metadata?.name,
          podCIDR: cidr,
          error: errorText(err),
        });
        return false;
      }
    }
    return true;
  }

  #release(node: Node): void {
    const name = node.metadata?.name ?? "";
    const pending = this.#pending.get(name);
    this.#pending.delete(name);
    const held = new Set(
      this.#store.list().filter((n) => n.metadata?.name !== name).flatMap(nodePodCidrs),
    );
    for (const cidr of [...nodePodCidrs(node), ...(pending ? [pending] : [])]) {
      if (held.has(cidr)) continue;
      try {
        this.#set.release(cidr);
        this.#logger.info("Released pod CIDR of deleted node", { node: name, podCIDR: cidr });
      } catch {
        // Outside the cluster CIDR: never ours.
      }
    }
  }

  #event(node: Node, reason: string): void {
    this.#deps.recorder.event(node, {
      type: "Normal",
      reason,
      message: `Node ${node.metadata?.name} status is now: ${reason}`,
    });
  }

  /** Gives the node `name` a pod CIDR if it has none (upstream `AllocateOrOccupyCIDR`). */
  async sync(name: string): Promise<void> {
    const node = this.#store.get(name);
    if (!node || node.metadata?.deletionTimestamp) return;
    if (nodePodCidrs(node).length > 0) {
      this.#occupy(node);
      const pending = this.#pending.get(name);
      this.#pending.delete(name);
      if (pending !== undefined && !nodePodCidrs(node).includes(pending)) {
        this.#set.release(pending);
      }
      return;
    }
    let cidr = this.#pending.get(name);
    if (cidr === undefined) {
      const next = this.#set.allocateNext();
      if (next === null) {
        this.#event(node, "CIDRNotAvailable");
        throw new Error(
          `failed to allocate cidr from cluster cidr at idx:0: CIDR allocation failed; there are no remaining CIDRs left to allocate in the accepted range`,
        );
      }
      cidr = next;
      this.#pending.set(name, cidr);
    }
    try {
      await this.#nodes.patch(name, {
        type: "strategic",
        body: { spec: { podCIDR: cidr, podCIDRs: [cidr] } },
      });
    } catch (err) {
      if (isNotFound(err)) {
        this.#pending.delete(name);
        this.#set.release(cidr);
        return;
      }
      this.#event(node, "CIDRAssignmentFailed");
      throw new Error(`failed to patch node ${name} CIDR to [${cidr}]: ${errorText(err)}`, {
        cause: err,
      });
    }
    this.#pending.delete(name);
    this.#logger.info("Set node PodCIDR", { node: name, podCIDRs: [cidr] });
  }
}

/** Builds the nodeipam controller for the controller manager. */
export function nodeIpamController(
  context: ControllerContext,
  options: NodeIpamControllerOptions = {},
): RunnableController {
  return new NodeIpamController({
    client: context.client,
    nodeInformer: context.informers.informerFor(NODES),
    recorder: context.recorder(CIDR_ALLOCATOR_COMPONENT),
    clock: context.clock,
    logger: context.logger,
  }, {
    ...(context.clusterCidr !== undefined ? { clusterCidr: context.clusterCidr } : {}),
    ...(context.serviceCidr !== undefined ? { serviceCidr: context.serviceCidr } : {}),
    ...options,
  });
}
