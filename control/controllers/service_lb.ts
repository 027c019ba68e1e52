/**
 * The ServiceLB controller, as k3s's (`servicelb`, off with `--disable servicelb`): gives every
 * `type: LoadBalancer` Service without a `spec.loadBalancerClass` the addresses of the nodes
 * that serve it in `status.loadBalancer.ingress` — what k3s's klipper-lb pods give users,
 * without the pods: each node's proxy serves those addresses itself. Which nodes, and which
 * addresses, is `_service_lb_plan.ts`: Ready nodes that could run a svclb pod (only the
 * `svccontroller.k3s.cattle.io/enablelb=true` ones once any node has that label, and those of
 * the Service's `lbpool`), one Service per port and protocol on a node (older Services first),
 * only nodes with a ready local endpoint under `externalTrafficPolicy: Local`; their
 * ExternalIPs if any, else InternalIPs, sorted, `ipMode: VIP`.
 *
 * - The status follows nodes coming, going, becoming unready or relabelled, endpoints moving
 *   (Local), and other LoadBalancer Services taking or freeing ports; it is written with a
 *   merge patch of `services/status` only when it differs.
 * - Events, as k3s's: `UpdatedLoadBalancer` (Normal, "Updated LoadBalancer with new IPs:
 *   [old] -> [new]") when the addresses change, `UnAvailableLoadBalancer` (Warning, "There are
 *   no available nodes for LoadBalancer") when a Service is left without any — also for a
 *   Service that never got one, once, with the ports and Services in the way when its ports
 *   are taken on every node.
 * - A Service that stops being a LoadBalancer has its ingress cleared (the API server already
 *   clears it on a type change); one with a `loadBalancerClass` belongs to another
 *   implementation and is never touched.
 *
 * @module
 */
import type { Node } from "../api/types/core_v1_node.ts";
import type { LoadBalancerIngress, Service } from "../api/types/core_v1_service.ts";
import type { EndpointSlice } from "../api/types/discovery_v1.ts";
import { LABEL_SERVICE_NAME } from "../api/types/discovery_v1.ts";
import type { Client, ResourceClient } from "../client/client.ts";
import { isNotFound } from "../client/errors.ts";
import type { EventRecorder } from "../client/event_recorder.ts";
import { ENDPOINT_SLICES, NODES, SERVICES } from "../client/resources.ts";
import { metaNamespaceKey, splitMetaNamespaceKey } from "../client/store.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import { addMissingIndexers, ControllerLoop, type InformerLike } from "./_controller_loop.ts";
import {
  ENABLE_LB_LABEL,
  isServiceLbService,
  LB_POOL_LABEL,
  type LoadBalancerAssignment,
  planLoadBalancers,
} from "./_service_lb_plan.ts";
import type { ControllerContext, RunnableController } from "./controller_manager.ts";

export { ENABLE_LB_LABEL, LB_POOL_LABEL } from "./_service_lb_plan.ts";

/** The controller's name in `--controllers`, in logs, and k3s's `--disable` name. */
export const SERVICE_LB_CONTROLLER_NAME = "servicelb";
/** The source of its events. */
export const SERVICE_LB_COMPONENT = "service-lb-controller";

/** The index of ServiceLB's Services on the Service informer (one value, `"lb"`). */
const LB_INDEX = "serviceLbServices";
/** The index of EndpointSlices by their Service's `namespace/name`. */
const SLICE_SERVICE_INDEX = "serviceLbSliceService";

function indexLbServices(svc: Service): readonly string[] {
  return isServiceLbService(svc) ? ["lb"] : [];
}

function indexSliceService(slice: EndpointSlice): readonly string[] {
  const name = slice.metadata?.labels?.[LABEL_SERVICE_NAME];
  return name ? [`${slice.metadata?.namespace ?? ""}/${name}`] : [];
}

/** What {@linkcode ServiceLbController} works with. */
export interface ServiceLbControllerDeps {
  readonly client: Client;
  readonly serviceInformer: InformerLike<Service>;
  readonly nodeInformer: InformerLike<Node>;
  readonly endpointSliceInformer: InformerLike<EndpointSlice>;
  readonly recorder: EventRecorder;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** What of a Service decides its ports and nodes (a change re-plans every LoadBalancer). */
function lbFingerprint(svc: Service): string {
  if (!isServiceLbService(svc)) return "";
  return JSON.stringify([
    svc.spec?.ports?.map((p) => [p.port, p.protocol]),
    svc.metadata?.labels?.[LB_POOL_LABEL],
    svc.metadata?.creationTimestamp,
  ]);
}

/** What of a Node decides whether and how it serves (heartbeats alone change nothing). */
function nodeFingerprint(node: Node): string {
  return JSON.stringify([
    node.metadata?.deletionTimestamp,
    node.status?.conditions?.find((c) => c.type === "Ready")?.status,
    node.status?.addresses,
    node.spec?.taints?.map((t) => [t.key, t.value, t.effect]),
    node.metadata?.labels?.[ENABLE_LB_LABEL],
    node.metadata?.labels?.[LB_POOL_LABEL],
  ]);
}

/** The ingress as compared: every field of each entry, in order. */
function ingressText(ingress: readonly LoadBalancerIngress[]): string {
  return JSON.stringify(ingress.map((i) => [i.ip ?? "", i.hostname ?? "", i.ipMode, i.ports]));
}

/** k3s's `ingressToString`, as Go prints a string slice: `[10.0.0.1 10.0.0.2]`. */
function ingressList(ingress: readonly LoadBalancerIngress[]): string {
  return `[${ingress.map((i) => i.ip || i.hostname || "").join(" ")}]`;
}

const NO_NODES = "There are no available nodes for LoadBalancer";

function pendingMessage(assignment: LoadBalancerAssignment): string {
  const pending = assignment.pending;
  if (pending?.reason !== "PortsInUse") return NO_NODES;
  const ports = (pending.ports ?? []).join(", ");
  const holders = (pending.holders ?? []).join(", ");
  return `${NO_NODES}: ${ports} already used by LoadBalancer Service ${holders} on every node`;
}

/** Fills `status.loadBalancer.ingress` of LoadBalancer Services with node addresses. */
export class ServiceLbController implements RunnableController {
  readonly #deps: ServiceLbControllerDeps;
  readonly #services: ResourceClient<Service>;
  readonly #loop: ControllerLoop;
  readonly #logger: Logger;
  /** Per Service key: what was last announced in an event (its ingress, or why pending). */
  readonly #announced = new Map<string, string>();

  constructor(deps: ServiceLbControllerDeps) {
    this.#deps = deps;
    this.#services = deps.client.resource(SERVICES);
    this.#logger = deps.logger.with({ controller: SERVICE_LB_CONTROLLER_NAME });
    this.#loop = new ControllerLoop({
      name: SERVICE_LB_CONTROLLER_NAME,
      workers: 1,
      clock: deps.clock,
      logger: deps.logger,
    });
    addMissingIndexers(deps.serviceInformer, { [LB_INDEX]: indexLbServices });
    addMissingIndexers(deps.endpointSliceInformer, { [SLICE_SERVICE_INDEX]: indexSliceService });
    const queue = this.#loop.queue;
    this.#loop.handle(deps.serviceInformer, {
      add: (svc) => queue.add(metaNamespaceKey(svc)),
      update: (old, svc) => {
        queue.add(metaNamespaceKey(svc));
        if (lbFingerprint(old) !== lbFingerprint(svc)) this.#enqueueAll();
      },
      delete: (svc) => {
        queue.add(metaNamespaceKey(svc));
        if (isServiceLbService(svc)) this.#enqueueAll();
      },
    });
    this.#loop.handle(deps.nodeInformer, {
      add: () => this.#enqueueAll(),
      update: (old, node) => {
        if (nodeFingerprint(old) !== nodeFingerprint(node)) this.#enqueueAll();
      },
      delete: () => this.#enqueueAll(),
    });
    const onSlice = (slice: EndpointSlice) => {
      for (const key of indexSliceService(slice)) {
        const svc = deps.serviceInformer.store.get(key);
        if (svc && isServiceLbService(svc) && svc.spec?.externalTrafficPolicy === "Local") {
          queue.add(key);
        }
      }
    };
    this.#loop.handle(deps.endpointSliceInformer, {
      add: onSlice,
      update: (old, slice) => {
        onSlice(old);
        onSlice(slice);
      },
      delete: onSlice,
    });
  }

  /** The Service keys waiting to be synced. */
  get queue(): ControllerLoop["queue"] {
    return this.#loop.queue;
  }

  #enqueueAll(): void {
    for (const key of this.#deps.serviceInformer.store.indexKeys(LB_INDEX, "lb")) {
      this.#loop.queue.add(key);
    }
  }

  /** Waits for the caches, then syncs Services until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const { serviceInformer, nodeInformer, endpointSliceInformer } = this.#deps;
    this.#logger.info("Starting ServiceLB controller");
    await this.#loop.run(signal, {
      sync: (key) => this.sync(key),
      waitFor: [serviceInformer, nodeInformer, endpointSliceInformer],
    });
  }

  /** What ServiceLB would give the Service `key` now (undefined: not one of its Services). */
  assignmentFor(key: string): LoadBalancerAssignment | undefined {
    const { serviceInformer, nodeInformer, endpointSliceInformer } = this.#deps;
    const plan = planLoadBalancers({
      services: serviceInformer.store.byIndex(LB_INDEX, "lb"),
      nodes: nodeInformer.store.list(),
      slicesOf: (svc) =>
        endpointSliceInformer.store.byIndex(SLICE_SERVICE_INDEX, metaNamespaceKey(svc)),
    });
    return plan.get(key);
  }

  /** Brings the Service `key`'s load-balancer status to the plan. Throws to be retried. */
  async sync(key: string): Promise<void> {
    const svc = this.#deps.serviceInformer.store.get(key);
    if (!svc) {
      this.#announced.delete(key);
      return;
    }
    const current = svc.status?.loadBalancer?.ingress ?? [];
    if (!isServiceLbService(svc)) {
      this.#announced.delete(key);
      if (svc.spec?.type !== "LoadBalancer" && current.length > 0) {
        await this.#patch(svc, []);
        this.#logger.info("Cleared the load balancer of a Service that is none any more", {
          service: key,
        });
      }
      return;
    }
    const assignment = this.assignmentFor(key)!;
    const ingress = assignment.ingress;
    const pending = ingress.length === 0;
    const announce = pending ? `pending:${pendingMessage(assignment)}` : ingressText(ingress);
    if (ingressText(current) !== ingressText(ingress)) {
      if (!(await this.#patch(svc, ingress))) return;
      this.#logger.info("Updated the load balancer status", {
        service: key,
        ingress: ingress.map((i) => i.ip),
        nodes: assignment.nodes,
      });
      if (pending) {
        this.#event(svc, "Warning", "UnAvailableLoadBalancer", pendingMessage(assignment));
      } else {
        this.#event(
          svc,
          "Normal",
          "UpdatedLoadBalancer",
          `Updated LoadBalancer with new IPs: ${ingressList(current)} -> ${ingressList(ingress)}`,
        );
      }
      this.#announced.set(key, announce);
      return;
    }
    if (pending && this.#announced.get(key) !== announce) {
      // Pending from the start (its status never changes): say so once, and why.
      this.#event(svc, "Warning", "UnAvailableLoadBalancer", pendingMessage(assignment));
      this.#logger.debug("LoadBalancer Service is pending", {
        service: key,
        reason: assignment.pending?.reason,
      });
    }
    this.#announced.set(key, announce);
  }

  #event(svc: Service, type: "Normal" | "Warning", reason: string, message: string): void {
    this.#deps.recorder.event(svc, { type, reason, message });
  }

  /** Writes the ingress; `false` when the Service is gone. */
  async #patch(svc: Service, ingress: readonly LoadBalancerIngress[]): Promise<boolean> {
    const { namespace, name } = splitMetaNamespaceKey(metaNamespaceKey(svc));
    try {
      await this.#services.patch(name, {
        namespace,
        type: "merge",
        subresource: "status",
        body: { status: { loadBalancer: { ingress: ingress.length > 0 ? ingress : null } } },
      });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }
}

/** Builds the ServiceLB controller for the controller manager. */
export function serviceLbController(context: ControllerContext): RunnableController {
  return new ServiceLbController({
    client: context.client,
    serviceInformer: context.informers.informerFor(SERVICES),
    nodeInformer: context.informers.informerFor(NODES),
    endpointSliceInformer: context.informers.informerFor(ENDPOINT_SLICES),
    recorder: context.recorder(SERVICE_LB_COMPONENT),
    clock: context.clock,
    logger: context.logger,
  });
}
