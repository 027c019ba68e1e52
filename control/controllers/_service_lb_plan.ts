/**
 * Which nodes serve which LoadBalancer Service, and the `status.loadBalancer.ingress` that
 * follows, as k3s's ServiceLB decides it (there, one DaemonSet of `svclb` pods per Service, each
 * holding the Service's ports as hostPorts; here, the same decision made without the pods, since
 * every node's proxy serves the addresses itself):
 *
 * - A node can serve when it is Ready, not being deleted, and has no `NoSchedule`/`NoExecute`
 *   taint the svclb pods would not tolerate (a DaemonSet pod's tolerations, plus the
 *   control-plane/master `NoSchedule` taints and `CriticalAddonsOnly`).
 * - When any node carries the label `svccontroller.k3s.cattle.io/enablelb` (any value), only
 *   nodes labelled `enablelb=true` serve; then a Service labelled
 *   `svccontroller.k3s.cattle.io/lbpool=<pool>` is served only by nodes of that pool.
 * - A port (number and protocol) serves one Service per node, as a hostPort: Services claim
 *   nodes oldest first (creationTimestamp, then namespace/name); a node whose ports another
 *   Service already holds does not serve the later one.
 * - With `externalTrafficPolicy: Local`, only nodes with a ready pod endpoint of the Service
 *   (its EndpointSlices) count.
 * - The addresses are the serving nodes' ExternalIPs when any of them has one, else their
 *   InternalIPs; only the Service's IP families, in its `ipFamilies` order, each family sorted.
 *   Each ingress entry gets `ipMode: VIP` (the proxy on every node catches the traffic).
 *
 * @module
 */
import type { Taint, Toleration } from "../api/types/core_v1_common.ts";
import type { Node } from "../api/types/core_v1_node.ts";
import type { LoadBalancerIngress, Service } from "../api/types/core_v1_service.ts";
import type { EndpointSlice } from "../api/types/discovery_v1.ts";
import { metaNamespaceKey } from "../client/store.ts";
import { findUntoleratedTaint } from "../client/tolerations.ts";
import { DAEMON_POD_TOLERATIONS } from "./_daemon_set_node_fit.ts";
import { nodeCondition } from "./_node_taints.ts";

/** Nodes opt in to ServiceLB with this label set to `"true"` (once any node has the label). */
export const ENABLE_LB_LABEL = "svccontroller.k3s.cattle.io/enablelb";
/** A node's pool, and the pool a Service wants (only while nodes opt in). */
export const LB_POOL_LABEL = "svccontroller.k3s.cattle.io/lbpool";

/** The tolerations of k3s's svclb pods, besides every DaemonSet pod's. */
const SVCLB_TOLERATIONS: readonly Toleration[] = Object.freeze([
  ...DAEMON_POD_TOLERATIONS,
  { key: "node-role.kubernetes.io/master", operator: "Exists", effect: "NoSchedule" },
  { key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" },
  { key: "CriticalAddonsOnly", operator: "Exists" },
]);

/** Whether ServiceLB handles `svc`: a LoadBalancer without a `loadBalancerClass`. */
export function isServiceLbService(svc: Service): boolean {
  return svc.spec?.type === "LoadBalancer" && !svc.spec.loadBalancerClass;
}

/** Whether `node` could run a svclb pod now: Ready, not deleting, no untolerated taint. */
export function nodeCanServe(node: Node): boolean {
  if (node.metadata?.deletionTimestamp) return false;
  if (nodeCondition(node, "Ready")?.status !== "True") return false;
  const taints: readonly Taint[] = node.spec?.taints ?? [];
  return findUntoleratedTaint(taints, SVCLB_TOLERATIONS) === undefined;
}

/** The `<port>/<protocol>` keys a Service holds on each node serving it. */
export function servicePortKeys(svc: Service): string[] {
  return (svc.spec?.ports ?? []).map((p) => `${p.port}/${p.protocol ?? "TCP"}`);
}

/** What a LoadBalancer Service gets. */
export interface LoadBalancerAssignment {
  /** The nodes serving it, by name, sorted. */
  readonly nodes: readonly string[];
  /** Its `status.loadBalancer.ingress` (empty: pending). */
  readonly ingress: readonly LoadBalancerIngress[];
  /**
   * Why it is pending, when it is: no node can serve it, every node that could has its ports
   * held by older Services (`holders`, `ports`), or (externalTrafficPolicy Local) none of those
   * nodes runs a ready endpoint.
   */
  readonly pending?: {
    readonly reason: "NoNodes" | "PortsInUse" | "NoLocalEndpoints";
    readonly ports?: readonly string[];
    readonly holders?: readonly string[];
  };
}

/** The inputs of {@linkcode planLoadBalancers}. */
export interface LoadBalancerPlanInput {
  /** Every Service (others than ServiceLB's are skipped). */
  readonly services: readonly Service[];
  readonly nodes: readonly Node[];
  /** The EndpointSlices of a Service (for externalTrafficPolicy Local). */
  readonly slicesOf: (svc: Service) => readonly EndpointSlice[];
}

function olderFirst(a: Service, b: Service): number {
  const ta = a.metadata?.creationTimestamp ?? "";
  const tb = b.metadata?.creationTimestamp ?? "";
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = metaNamespaceKey(a);
  const kb = metaNamespaceKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** The nodes with a ready pod endpoint of the Service. */
function nodesWithReadyEndpoints(slices: readonly EndpointSlice[]): Set<string> {
  const out = new Set<string>();
  for (const slice of slices) {
    for (const ep of slice.endpoints ?? []) {
      if (ep.targetRef?.kind !== "Pod" || ep.conditions?.ready !== true || !ep.nodeName) continue;
      out.add(ep.nodeName);
    }
  }
  return out;
}

function isIpv6(ip: string): boolean {
  return ip.includes(":");
}

/** The ingress entries for `nodes` serving `svc` (see the module doc). */
export function ingressFor(svc: Service, nodes: readonly Node[]): LoadBalancerIngress[] {
  const external = new Set<string>();
  const internal = new Set<string>();
  for (const node of nodes) {
    for (const a of node.status?.addresses ?? []) {
      if (a.type === "ExternalIP") external.add(a.address);
      else if (a.type === "InternalIP") internal.add(a.address);
    }
  }
  const ips = [...(external.size > 0 ? external : internal)];
  const families = svc.spec?.ipFamilies?.length ? svc.spec.ipFamilies : ["IPv4"];
  const out: LoadBalancerIngress[] = [];
  for (const family of families) {
    const mine = ips.filter((ip) => isIpv6(ip) === (family === "IPv6")).sort();
    for (const ip of mine) out.push({ ip, ipMode: "VIP" });
  }
  return out;
}

/** Decides every ServiceLB Service's nodes and ingress, by `namespace/name`. */
export function planLoadBalancers(
  input: LoadBalancerPlanInput,
): Map<string, LoadBalancerAssignment> {
  const nodes = [...input.nodes].sort((a, b) =>
    (a.metadata?.name ?? "") < (b.metadata?.name ?? "") ? -1 : 1
  );
  const optIn = nodes.some((n) => n.metadata?.labels?.[ENABLE_LB_LABEL] !== undefined);
  const serving = nodes.filter(nodeCanServe);
  /** Per node: which Service holds each `<port>/<protocol>`. */
  const held = new Map<string, Map<string, string>>();
  const plan = new Map<string, LoadBalancerAssignment>();
  const services = input.services.filter(isServiceLbService).sort(olderFirst);
  for (const svc of services) {
    const key = metaNamespaceKey(svc);
    const pool = svc.metadata?.labels?.[LB_POOL_LABEL] ?? "";
    const candidates = serving.filter((n) => {
      if (!optIn) return true;
      const labels = n.metadata?.labels ?? {};
      return labels[ENABLE_LB_LABEL] === "true" && (pool === "" || labels[LB_POOL_LABEL] === pool);
    });
    const ports = servicePortKeys(svc);
    const mine: Node[] = [];
    const blocked = new Set<string>();
    const holders = new Set<string>();
    for (const node of candidates) {
      const name = node.metadata?.name ?? "";
      const taken = held.get(name) ?? new Map<string, string>();
      const clashes = ports.filter((p) => taken.has(p));
      if (clashes.length > 0) {
        for (const p of clashes) {
          blocked.add(p);
          holders.add(taken.get(p)!);
        }
        continue;
      }
      for (const p of ports) taken.set(p, key);
      held.set(name, taken);
      mine.push(node);
    }
    let chosen = mine;
    if (svc.spec?.externalTrafficPolicy === "Local") {
      const local = nodesWithReadyEndpoints(input.slicesOf(svc));
      chosen = mine.filter((n) => local.has(n.metadata?.name ?? ""));
    }
    const ingress = ingressFor(svc, chosen);
    let pending: LoadBalancerAssignment["pending"];
    if (ingress.length === 0) {
      if (candidates.length > 0 && mine.length === 0) {
        pending = {
          reason: "PortsInUse",
          ports: [...blocked].sort(),
          holders: [...holders].sort(),
        };
      } else if (mine.length > 0 && chosen.length === 0) {
        pending = { reason: "NoLocalEndpoints" };
      } else {
        pending = { reason: "NoNodes" };
      }
    }
    plan.set(key, {
      nodes: chosen.map((n) => n.metadata?.name ?? ""),
      ingress,
      ...(pending ? { pending } : {}),
    });
  }
  return plan;
}
