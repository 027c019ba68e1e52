/**
 * The Service strategy (upstream `SetDefaults_Service`, `pkg/registry/core/service/strategy.go`,
 * the IP-family initialisation of its REST storage, and `ValidateService*`).
 *
 * Allocation of cluster IPs and node ports needs storage, so the handler does it, between
 * {@linkcode Strategy.prepareForCreate} / `prepareForUpdate` and validation, using
 * {@linkcode planServiceAllocation} and {@linkcode applyServiceAllocation}:
 *
 * ```text
 * decode → default → prepareForCreate/Update → planServiceAllocation → reserve/allocate
 *        → applyServiceAllocation → validate (+ validateUpdate) → store → release plan.release*
 * ```
 *
 * @module
 */
import {
  DEFAULT_CLIENT_IP_AFFINITY_SECONDS,
  IP_FAMILIES,
  MAX_CLIENT_IP_AFFINITY_SECONDS,
  type Service,
  type ServicePort,
} from "../types/core_v1_service.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import {
  duplicate,
  type FieldError,
  FieldPath,
  forbidden,
  invalid,
  notSupported,
  required,
} from "../validation/field_errors.ts";
import { goQuote, goStringSlice, printedError } from "../validation/go_format.ts";
import { FIELD_IMMUTABLE } from "../validation/immutable.ts";
import {
  cidrWarnings,
  ipWarnings,
  isIPv6String,
  parseIPSloppy,
  validateCIDR,
  validateIP,
  validateNonSpecialIP,
} from "../validation/ip.ts";
import { validateLabels } from "../validation/label_validation.ts";
import {
  validateDns1123Label,
  validateDns1123Subdomain,
  validateQualifiedName,
} from "../validation/names.ts";
import { isValidPortName, isValidPortNum } from "../validation/ports.ts";
import { semanticEqual } from "../validation/semantic_equal.ts";
import type { Strategy } from "./strategy.ts";

/** An IP family. */
export type IpFamily = typeof IP_FAMILIES[number];

const TOPOLOGY_MODE = "service.kubernetes.io/topology-mode";
const TOPOLOGY_AWARE_HINTS = "service.kubernetes.io/topology-aware-hints";
const SOURCE_RANGES_ANNOTATION = "service.beta.kubernetes.io/load-balancer-source-ranges";
const CLUSTER_IP_NONE = "None";

// --- predicates (upstream pkg/api/service and the strategy's helpers) ----------------------------

/** NodePort and LoadBalancer services, and ClusterIP services with external IPs. */
export function externallyAccessible(svc: Service): boolean {
  const type = svc.spec?.type;
  return type === "LoadBalancer" || type === "NodePort" ||
    (type === "ClusterIP" && (svc.spec?.externalIPs ?? []).length > 0);
}

/** LoadBalancer services with externalTrafficPolicy Local need a health-check node port. */
export function needsHealthCheckNodePort(svc: Service): boolean {
  return svc.spec?.type === "LoadBalancer" && svc.spec.externalTrafficPolicy === "Local";
}

/** Every type but ExternalName has cluster IPs (or is headless). */
export function needsClusterIP(svc: Service): boolean {
  return svc.spec?.type !== "ExternalName";
}

/** NodePort and LoadBalancer services have node ports. */
export function needsNodePorts(svc: Service): boolean {
  return svc.spec?.type === "NodePort" || svc.spec?.type === "LoadBalancer";
}

/** A headless service: `clusterIPs` is exactly `["None"]`. */
export function isHeadless(svc: Service): boolean {
  const ips = svc.spec?.clusterIPs ?? [];
  return ips.length === 1 && ips[0] === CLUSTER_IP_NONE;
}

/** Whether new node ports are allocated for ports that do not name one. */
function shouldAllocateNodePorts(svc: Service): boolean {
  if (svc.spec?.type === "NodePort") return true;
  if (svc.spec?.type === "LoadBalancer") return svc.spec.allocateLoadBalancerNodePorts !== false;
  return false;
}

function familyOf(ip: string): IpFamily {
  return isIPv6String(ip) ? "IPv6" : "IPv4";
}

function sameList(a: readonly unknown[] | undefined, b: readonly unknown[] | undefined): boolean {
  return semanticEqual(a ?? [], b ?? []);
}

// --- defaults and preparation --------------------------------------------------------------------

function applyDefaults(svc: Service): void {
  const spec = svc.spec ?? (svc.spec = {});
  if (!spec.sessionAffinity) spec.sessionAffinity = "None";
  if (spec.sessionAffinity === "None") delete spec.sessionAffinityConfig;
  if (
    spec.sessionAffinity === "ClientIP" &&
    spec.sessionAffinityConfig?.clientIP?.timeoutSeconds === undefined
  ) {
    spec.sessionAffinityConfig = {
      clientIP: { timeoutSeconds: DEFAULT_CLIENT_IP_AFFINITY_SECONDS },
    };
  }
  if (!spec.type) spec.type = "ClusterIP";
  for (const port of spec.ports ?? []) {
    if (!port.protocol) port.protocol = "TCP";
    if (port.targetPort === undefined || port.targetPort === 0 || port.targetPort === "") {
      port.targetPort = port.port;
    }
  }
  if (externallyAccessible(svc) && !spec.externalTrafficPolicy) {
    spec.externalTrafficPolicy = "Cluster";
  }
  if (
    spec.internalTrafficPolicy === undefined &&
    (spec.type === "NodePort" || spec.type === "LoadBalancer" || spec.type === "ClusterIP")
  ) {
    spec.internalTrafficPolicy = "Cluster";
  }
  if (spec.type === "LoadBalancer") {
    spec.allocateLoadBalancerNodePorts ??= true;
    for (const ing of svc.status?.loadBalancer?.ingress ?? []) {
      if (ing.ip && ing.ipMode === undefined) ing.ipMode = "VIP";
    }
  }
}

/**
 * Keeps `clusterIP` and `clusterIPs` in sync (upstream `NormalizeClusterIPs`): whichever one the
 * client set fills the other; on update, a changed `clusterIP` replaces `clusterIPs[0]`.
 */
export function normalizeClusterIPs(svc: Service, old?: Service): void {
  const spec = svc.spec ?? (svc.spec = {});
  const ip = spec.clusterIP ?? "";
  const ips = spec.clusterIPs ?? [];
  if (ip === "" && ips.length > 0) {
    spec.clusterIP = ips[0]!;
    return;
  }
  if (ip !== "" && ips.length === 0) {
    spec.clusterIPs = [ip];
    return;
  }
  if (old === undefined) return;
  const oldIP = old.spec?.clusterIP ?? "";
  if (ip !== oldIP && sameList(ips, old.spec?.clusterIPs) && ips.length > 0) {
    spec.clusterIPs = [ip, ...ips.slice(1)];
  }
}

/** Copies values the client may omit on update from the stored object (`patchAllocatedValues`). */
function patchAllocatedValues(svc: Service, old: Service): void {
  const spec = svc.spec!;
  const before = old.spec ?? {};
  if (needsClusterIP(old) && needsClusterIP(svc)) {
    if (!spec.clusterIP && before.clusterIP !== undefined) spec.clusterIP = before.clusterIP;
    if ((spec.clusterIPs ?? []).length === 0 && (before.clusterIPs ?? []).length > 0) {
      spec.clusterIPs = [...before.clusterIPs!];
    }
  }
  if (needsNodePorts(old) && needsNodePorts(svc)) {
    const used = (s: ServicePort[] | undefined) =>
      new Set((s ?? []).map((p) => p.nodePort ?? 0).filter((n) => n !== 0));
    const oldUsed = used(before.ports);
    const newUsed = used(spec.ports);
    const byName = new Map<string, number>();
    for (const p of before.ports ?? []) byName.set(p.name ?? "", p.nodePort ?? 0);
    for (const p of spec.ports ?? []) {
      if (p.nodePort) continue;
      const oldVal = byName.get(p.name ?? "") ?? 0;
      if (!(oldUsed.has(oldVal) && newUsed.has(oldVal)) && oldVal !== 0) p.nodePort = oldVal;
    }
  }
  if (needsHealthCheckNodePort(old) && needsHealthCheckNodePort(svc)) {
    if (!spec.healthCheckNodePort && before.healthCheckNodePort) {
      spec.healthCheckNodePort = before.healthCheckNodePort;
    }
  }
}

/** Clears fields the new type no longer uses, unless the client changed them too. */
function dropTypeDependentFields(svc: Service, old: Service): void {
  const spec = svc.spec!;
  const before = old.spec ?? {};
  if (needsClusterIP(old) && !needsClusterIP(svc)) {
    if (sameList(spec.clusterIPs, before.clusterIPs)) {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    }
    if (sameList(spec.ipFamilies, before.ipFamilies)) delete spec.ipFamilies;
    if (spec.ipFamilyPolicy === before.ipFamilyPolicy) delete spec.ipFamilyPolicy;
  }
  const nodePorts = (s: ServicePort[] | undefined) => (s ?? []).map((p) => p.nodePort ?? 0);
  if (
    needsNodePorts(old) && !needsNodePorts(svc) &&
    sameList(nodePorts(spec.ports), nodePorts(before.ports))
  ) {
    for (const p of spec.ports ?? []) delete p.nodePort;
  }
  if (
    needsHealthCheckNodePort(old) && !needsHealthCheckNodePort(svc) &&
    (spec.healthCheckNodePort ?? 0) === (before.healthCheckNodePort ?? 0)
  ) {
    delete spec.healthCheckNodePort;
  }
  if (before.type === "LoadBalancer" && spec.type !== "LoadBalancer") {
    if (
      spec.allocateLoadBalancerNodePorts !== undefined &&
      before.allocateLoadBalancerNodePorts === spec.allocateLoadBalancerNodePorts
    ) {
      delete spec.allocateLoadBalancerNodePorts;
    }
    if (spec.loadBalancerClass === before.loadBalancerClass) delete spec.loadBalancerClass;
  }
  if (externallyAccessible(old) && !externallyAccessible(svc)) {
    if (spec.externalTrafficPolicy === before.externalTrafficPolicy) {
      delete spec.externalTrafficPolicy;
    }
  }
  if (spec.type !== "LoadBalancer") svc.status = { ...svc.status, loadBalancer: {} };
}

/** Defaults ipFamilyPolicy and ipFamilies (the defaulting half of upstream `initIPFamilyFields`). */
function initIPFamilies(svc: Service, options: { old?: Service; families: readonly IpFamily[] }) {
  const spec = svc.spec!;
  if (spec.type === "ExternalName") return;
  if (spec.ipFamilyPolicy === undefined) {
    const oldPolicy = options.old?.spec?.ipFamilyPolicy;
    if (oldPolicy !== undefined) spec.ipFamilyPolicy = oldPolicy;
    else if (spec.clusterIP === CLUSTER_IP_NONE && Object.keys(spec.selector ?? {}).length === 0) {
      spec.ipFamilyPolicy = "RequireDualStack";
    } else spec.ipFamilyPolicy = "SingleStack";
  }
  if (options.old !== undefined && spec.ipFamilyPolicy === "SingleStack") {
    const before = options.old.spec ?? {};
    if (sameList(spec.clusterIPs, before.clusterIPs) && (spec.clusterIPs ?? []).length > 1) {
      spec.clusterIPs = spec.clusterIPs!.slice(0, 1);
    }
    if (sameList(spec.ipFamilies, before.ipFamilies) && (spec.ipFamilies ?? []).length > 1) {
      spec.ipFamilies = spec.ipFamilies!.slice(0, 1);
    }
  }
  const families = [...(spec.ipFamilies ?? [])];
  for (const [i, ip] of (spec.clusterIPs ?? []).entries()) {
    if (ip === CLUSTER_IP_NONE || parseIPSloppy(ip) === null) break;
    if (i < families.length) continue;
    const fam = familyOf(ip);
    // An IP of a family the cluster lacks: leave the families for validation to report.
    if (!options.families.includes(fam)) return;
    families.push(fam);
  }
  if (families.length === 0) families.push(options.families[0] ?? "IPv4");
  const headlessSelectorless = spec.clusterIP === CLUSTER_IP_NONE &&
    Object.keys(spec.selector ?? {}).length === 0;
  if (families.length === 1 && spec.ipFamilyPolicy !== "SingleStack") {
    const other: IpFamily = families[0] === "IPv4" ? "IPv6" : "IPv4";
    if (headlessSelectorless || options.families.includes(other)) families.push(other);
  }
  spec.ipFamilies = families;
}

// --- allocation plan -----------------------------------------------------------------------------

/** A cluster IP to reserve or allocate, for `spec.clusterIPs[index]`. */
export interface ClusterIPRequest {
  readonly index: number;
  readonly family: IpFamily;
  /** The IP the client asked for; allocate any free one when absent. */
  readonly ip?: string;
}

/** What the handler must allocate, reserve and release for a Service write. */
export interface ServiceAllocationPlan {
  /** Cluster IPs to reserve (`ip` set) or allocate, in `spec.clusterIPs` order. */
  readonly clusterIPs: readonly ClusterIPRequest[];
  /** Node ports the service asks for that are not yet its own: reserve them. */
  readonly reserveNodePorts: readonly number[];
  /** Indexes in `spec.ports` that need a newly allocated node port. */
  readonly allocateNodePorts: readonly number[];
  /** `"allocate"`, a requested port to reserve, or nothing. */
  readonly healthCheckNodePort?: "allocate" | number;
  /** Cluster IPs of the stored object to release once the write is stored. */
  readonly releaseClusterIPs: readonly string[];
  /** Node ports of the stored object to release once the write is stored. */
  readonly releaseNodePorts: readonly number[];
}

function collectNodePorts(svc: Service | undefined): number[] {
  if (svc === undefined) return [];
  const ports = new Set<number>();
  for (const p of svc.spec?.ports ?? []) if (p.nodePort) ports.add(p.nodePort);
  if (svc.spec?.healthCheckNodePort) ports.add(svc.spec.healthCheckNodePort);
  return [...ports];
}

function planClusterIPs(svc: Service, old?: Service): {
  clusterIPs: ClusterIPRequest[];
  release: string[];
} {
  const spec = svc.spec ?? {};
  const families = spec.ipFamilies ?? [];
  const ips = spec.clusterIPs ?? [];
  const all = (): ClusterIPRequest[] =>
    families.map((family, index) => {
      const ip = ips[index];
      return ip ? { index, family, ip } : { index, family };
    });
  if (spec.type === "ExternalName") {
    if (old !== undefined && needsClusterIP(old) && !isHeadless(old)) {
      return { clusterIPs: [], release: (old.spec?.clusterIPs ?? []).filter((ip) => ip) };
    }
    return { clusterIPs: [], release: [] };
  }
  if (isHeadless(svc)) return { clusterIPs: [], release: [] };
  if (old === undefined || old.spec?.type === "ExternalName") {
    return { clusterIPs: all(), release: [] };
  }
  if (isHeadless(old)) return { clusterIPs: [], release: [] };
  const oldFamilies = old.spec?.ipFamilies ?? [];
  if (oldFamilies.length === 1 && families.length === 2) {
    const ip = ips[1];
    return {
      clusterIPs: [
        ip ? { index: 1, family: families[1]!, ip } : { index: 1, family: families[1]! },
      ],
      release: [],
    };
  }
  if (oldFamilies.length === 2 && families.length === 1) {
    const ip = old.spec?.clusterIPs?.[1];
    return { clusterIPs: [], release: ip ? [ip] : [] };
  }
  return { clusterIPs: [], release: [] };
}

/**
 * What a create (`old` unset) or update of `svc` needs allocated, reserved and released, after
 * {@linkcode Strategy.prepareForCreate} / `prepareForUpdate` ran. Mirrors upstream's
 * `allocateCreate` / `allocateUpdate`: on create, ports with the same number share one node port.
 */
export function planServiceAllocation(svc: Service, old?: Service): ServiceAllocationPlan {
  const { clusterIPs, release } = planClusterIPs(svc, old);
  const ports = svc.spec?.ports ?? [];
  const reserve = new Set<number>();
  const allocate: number[] = [];
  const oldNodePorts = new Set(collectNodePorts(old));
  let releaseNodePorts: number[] = [];
  if (needsNodePorts(svc)) {
    if (old === undefined) {
      const byPort = new Map<number, number | "new">();
      ports.forEach((p, i) => {
        if (!p.nodePort && !shouldAllocateNodePorts(svc)) return;
        const mapped = byPort.get(p.port);
        if (mapped === undefined) {
          const requested = ports.find((q) => q.port === p.port && q.nodePort)?.nodePort;
          if (requested) {
            reserve.add(requested);
            byPort.set(p.port, requested);
          } else {
            allocate.push(i);
            byPort.set(p.port, "new");
          }
        } else if (p.nodePort && p.nodePort !== mapped) {
          reserve.add(p.nodePort);
        }
      });
    } else {
      ports.forEach((p, i) => {
        if (!p.nodePort && !shouldAllocateNodePorts(svc)) return;
        if (p.nodePort) {
          if (!oldNodePorts.has(p.nodePort)) reserve.add(p.nodePort);
        } else {
          allocate.push(i);
        }
      });
    }
  }
  let healthCheckNodePort: "allocate" | number | undefined;
  if (needsHealthCheckNodePort(svc)) {
    const hc = svc.spec?.healthCheckNodePort ?? 0;
    const hadIt = old !== undefined && needsHealthCheckNodePort(old);
    if (hc === 0) healthCheckNodePort = "allocate";
    else if (!hadIt || hc !== old?.spec?.healthCheckNodePort) healthCheckNodePort = hc;
  }
  if (old !== undefined) {
    const kept = new Set<number>([...ports.map((p) => p.nodePort ?? 0), ...reserve]);
    if (needsHealthCheckNodePort(svc) && svc.spec?.healthCheckNodePort) {
      kept.add(svc.spec.healthCheckNodePort);
    }
    releaseNodePorts = [...oldNodePorts].filter((n) => !kept.has(n));
    if (!needsNodePorts(svc)) {
      releaseNodePorts = [...oldNodePorts].filter((n) =>
        !(needsHealthCheckNodePort(svc) && n === svc.spec?.healthCheckNodePort)
      );
    }
  }
  const plan: ServiceAllocationPlan = {
    clusterIPs,
    reserveNodePorts: [...reserve],
    allocateNodePorts: allocate,
    releaseClusterIPs: release,
    releaseNodePorts,
  };
  return healthCheckNodePort === undefined ? plan : { ...plan, healthCheckNodePort };
}

/** What the handler allocated for a {@linkcode ServiceAllocationPlan}. */
export interface ServiceAllocation {
  /** IPs by `spec.clusterIPs` index. */
  readonly clusterIPs?: ReadonlyMap<number, string>;
  /** Node ports by `spec.ports` index. */
  readonly nodePorts?: ReadonlyMap<number, number>;
  readonly healthCheckNodePort?: number;
}

/** Writes allocated values into `svc`; ports sharing a number with an allocated one share it. */
export function applyServiceAllocation(svc: Service, allocation: ServiceAllocation): void {
  const spec = svc.spec ?? (svc.spec = {});
  if (allocation.clusterIPs?.size) {
    const ips = [...(spec.clusterIPs ?? [])];
    for (const [i, ip] of allocation.clusterIPs) ips[i] = ip;
    spec.clusterIPs = Array.from(ips, (ip) => ip ?? "");
    spec.clusterIP = spec.clusterIPs[0]!;
  }
  const ports = spec.ports ?? [];
  for (const [i, np] of allocation.nodePorts ?? []) {
    const port = ports[i];
    if (port) port.nodePort = np;
  }
  if (needsNodePorts(svc)) {
    for (const p of ports) {
      if (p.nodePort || !shouldAllocateNodePorts(svc)) continue;
      const sibling = ports.find((q) => q.port === p.port && q.nodePort);
      if (sibling) p.nodePort = sibling.nodePort!;
    }
  }
  if (allocation.healthCheckNodePort !== undefined) {
    spec.healthCheckNodePort = allocation.healthCheckNodePort;
  }
}

/** The node port range upstream defaults to (`--service-node-port-range`). */
export const DEFAULT_NODE_PORT_RANGE = { first: 30000, last: 32767 } as const;

/** Why an allocator refused a value, worded as upstream's allocators. */
export type AllocationFailure =
  | { readonly kind: "allocated" }
  | { readonly kind: "notInRange"; readonly range: string }
  | { readonly kind: "full" };

function ipFailureText(failure: AllocationFailure): string {
  switch (failure.kind) {
    case "allocated":
      return "provided IP is already allocated";
    case "notInRange":
      return `provided IP is not in the valid range. The range of valid IPs is ${failure.range}`;
    case "full":
      return "range is full";
  }
}

function portFailureText(failure: AllocationFailure): string {
  switch (failure.kind) {
    case "allocated":
      return "provided port is already allocated";
    case "notInRange":
      return `provided port is not in the valid range. The range of valid ports is ${failure.range}`;
    case "full":
      return "range is full";
  }
}

/**
 * The field error for a requested cluster IP the allocator refused:
 * `spec.clusterIPs: Invalid value: []string{"10.43.0.10"}: failed to allocate IP 10.43.0.10:
 * provided IP is already allocated` (an Invalid Status, 422).
 */
export function clusterIPAllocationError(
  svc: Service,
  options: { readonly ip: string; readonly failure: AllocationFailure },
): FieldError {
  return invalid(new FieldPath("spec").child("clusterIPs"), {
    value: svc.spec?.clusterIPs ?? [],
    detail: `failed to allocate IP ${options.ip}: ${ipFailureText(options.failure)}`,
  });
}

/**
 * The field error for a requested node port the allocator refused:
 * `spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated`.
 */
export function nodePortAllocationError(
  index: number,
  options: { readonly nodePort: number; readonly failure: AllocationFailure },
): FieldError {
  return invalid(new FieldPath("spec").child("ports").index(index).child("nodePort"), {
    value: options.nodePort,
    detail: portFailureText(options.failure),
  });
}

/**
 * The message of the Internal Status (500) upstream returns when a fresh value cannot be
 * allocated or a health-check port cannot be reserved.
 */
export function allocationInternalMessage(
  what: "clusterIP" | "nodePort" | { readonly healthCheckNodePort: number },
  failure: AllocationFailure,
): string {
  if (what === "clusterIP") return `failed to allocate a serviceIP: ${ipFailureText(failure)}`;
  if (what === "nodePort") return `failed to allocate a nodePort: ${portFailureText(failure)}`;
  return `failed to allocate requested HealthCheck NodePort ${what.healthCheckNodePort}: ${
    portFailureText(failure)
  }`;
}

// --- validation ----------------------------------------------------------------------------------

function printServicePortKey(p: ServicePort): string {
  return `core.ServicePort{Name:"", Protocol:${
    goQuote(p.protocol ?? "")
  }, AppProtocol:(*string)(nil), Port:${p.port}, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}`;
}

function printFamilies(families: readonly string[] | undefined): string {
  return families === undefined ? "[]core.IPFamily(nil)" : goStringSlice("core.IPFamily", families);
}

function validatePort(
  port: ServicePort,
  options: { requireName: boolean; names: Set<string>; path: FieldPath },
): FieldError[] {
  const { path } = options;
  const errs: FieldError[] = [];
  if (options.requireName && !port.name) {
    errs.push(required(path.child("name")));
  } else if (port.name) {
    errs.push(...validateDns1123Label(port.name, path.child("name")));
    if (options.names.has(port.name)) errs.push(duplicate(path.child("name"), port.name));
    else options.names.add(port.name);
  }
  for (const detail of isValidPortNum(port.port)) {
    errs.push(invalid(path.child("port"), { value: port.port, detail }));
  }
  const target = port.targetPort;
  if (typeof target === "number") {
    for (const detail of isValidPortNum(target)) {
      errs.push(invalid(path.child("targetPort"), { value: target, detail }));
    }
  } else if (typeof target === "string") {
    for (const detail of isValidPortName(target)) {
      errs.push(invalid(path.child("targetPort"), { value: target, detail }));
    }
  }
  if (port.appProtocol !== undefined) {
    errs.push(...validateQualifiedName(port.appProtocol, path.child("appProtocol")));
  }
  return errs;
}

/** `ValidateServiceClusterIPsRelatedFields`. */
function validateClusterIPsRelated(svc: Service): FieldError[] {
  const spec = svc.spec ?? {};
  if (spec.type === "ExternalName") return [];
  const errs: FieldError[] = [];
  const p = new FieldPath("spec");
  const ipsPath = p.child("clusterIPs");
  const ips = spec.clusterIPs ?? [];
  const families = spec.ipFamilies ?? [];
  if (spec.clusterIP) {
    if (ips.length === 0) errs.push(required(ipsPath));
    else if (ips[0] !== spec.clusterIP) {
      errs.push(invalid(ipsPath, { value: ips, detail: "first value must match `clusterIP`" }));
    }
  } else if (ips.length !== 0) {
    errs.push(invalid(ipsPath, {
      value: ips,
      detail: "must be empty when `clusterIP` is not specified",
    }));
  }
  const seen = new Set<string>();
  families.forEach((f, i) => {
    if (seen.has(f)) errs.push(duplicate(p.child("ipFamilies").index(i), f));
    seen.add(f);
  });
  let hasInvalid = false;
  ips.forEach((ip, i) => {
    if (i === 0 && ip === CLUSTER_IP_NONE) {
      if (ips.length > 1) {
        hasInvalid = true;
        errs.push(
          invalid(ipsPath, { value: ips, detail: "'None' must be the first and only value" }),
        );
      }
      return;
    }
    const e = validateIP(ip, ipsPath.index(i));
    if (e.length) hasInvalid = true;
    errs.push(...e);
  });
  if (ips.length > 2) {
    errs.push(invalid(ipsPath, { value: ips, detail: "may only hold up to 2 values" }));
  }
  if (hasInvalid) return errs;
  if (ips.length > 1) {
    const v6 = ips.filter((ip) => isIPv6String(ip)).length;
    if (v6 === 0 || v6 === ips.length) {
      errs.push(invalid(ipsPath, {
        value: ips,
        detail: "may specify no more than one IP for each IP family",
      }));
    }
  }
  if (!isHeadless(svc) && ips.length > 0 && families.length > 0) {
    ips.forEach((ip, i) => {
      if (i > families.length - 1) return;
      if (families[i] === "IPv4" && isIPv6String(ip)) {
        errs.push(invalid(ipsPath.index(i), {
          value: ip,
          detail: `expected an IPv4 value as indicated by \`ipFamilies[${i}]\``,
        }));
      }
      if (families[i] === "IPv6" && !isIPv6String(ip)) {
        errs.push(invalid(ipsPath.index(i), {
          value: ip,
          detail: `expected an IPv6 value as indicated by \`ipFamilies[${i}]\``,
        }));
      }
    });
  }
  return errs;
}

/** The checks of upstream `initIPFamilyFields` that depend on the cluster's IP families. */
function validateClusterFamilies(svc: Service, clusterFamilies: readonly IpFamily[]): FieldError[] {
  const spec = svc.spec ?? {};
  if (spec.type === "ExternalName") return [];
  const errs: FieldError[] = [];
  const p = new FieldPath("spec");
  const policy = spec.ipFamilyPolicy;
  const ips = spec.clusterIPs ?? [];
  const families = spec.ipFamilies ?? [];
  if (policy === "SingleStack") {
    if (ips.length === 2) {
      errs.push(invalid(p.child("ipFamilyPolicy"), {
        value: policy,
        detail:
          "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified",
      }));
    }
    if (families.length === 2) {
      errs.push(invalid(p.child("ipFamilyPolicy"), {
        value: policy,
        detail:
          "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified",
      }));
    }
  }
  ips.some((ip, i) => {
    if (ip === CLUSTER_IP_NONE || parseIPSloppy(ip) === null) return true;
    const fam = familyOf(ip);
    if (!clusterFamilies.includes(fam) && families[i] === undefined) {
      errs.push(invalid(p.child("clusterIPs").index(i), {
        value: ips,
        detail: `${fam} is not configured on this cluster`,
      }));
    }
    return false;
  });
  if (errs.length) return errs;
  if (spec.clusterIP === CLUSTER_IP_NONE && Object.keys(spec.selector ?? {}).length === 0) {
    return [];
  }
  if (policy === "RequireDualStack" && clusterFamilies.length < 2) {
    errs.push(invalid(p.child("ipFamilyPolicy"), {
      value: policy,
      detail: "this cluster is not configured for dual-stack services",
    }));
  }
  families.forEach((f, i) => {
    if (!clusterFamilies.includes(f)) {
      errs.push(invalid(p.child("ipFamilies").index(i), {
        value: f,
        detail: "not configured on this cluster",
      }));
    }
  });
  return errs;
}

function validateSessionAffinity(svc: Service, p: FieldPath): FieldError[] {
  const spec = svc.spec ?? {};
  const cfgPath = p.child("sessionAffinityConfig");
  if (spec.sessionAffinity === "None") {
    return spec.sessionAffinityConfig === undefined
      ? []
      : [forbidden(cfgPath, "must not be set when session affinity is None")];
  }
  if (spec.sessionAffinity !== "ClientIP") return [];
  const when = "when session affinity type is ClientIP";
  const cfg = spec.sessionAffinityConfig;
  if (cfg === undefined) return [required(cfgPath, when)];
  if (cfg.clientIP === undefined) return [required(cfgPath.child("clientIP"), when)];
  const timeout = cfg.clientIP.timeoutSeconds;
  const tp = cfgPath.child("clientIP").child("timeoutSeconds");
  if (timeout === undefined) return [required(tp, when)];
  if (timeout <= 0 || timeout > MAX_CLIENT_IP_AFFINITY_SECONDS) {
    return [invalid(tp, {
      value: timeout,
      detail: `must be greater than 0 and less than ${MAX_CLIENT_IP_AFFINITY_SECONDS}`,
    })];
  }
  return [];
}

function validateTrafficPolicies(svc: Service, p: FieldPath): FieldError[] {
  const spec = svc.spec ?? {};
  const errs: FieldError[] = [];
  if (!externallyAccessible(svc)) {
    if (spec.externalTrafficPolicy) {
      errs.push(invalid(p.child("externalTrafficPolicy"), {
        value: spec.externalTrafficPolicy,
        detail: "may only be set for externally-accessible services",
      }));
    }
  } else if (!spec.externalTrafficPolicy) {
    errs.push(required(p.child("externalTrafficPolicy")));
  }
  const hc = spec.healthCheckNodePort ?? 0;
  if (!needsHealthCheckNodePort(svc)) {
    if (hc !== 0) {
      errs.push(invalid(p.child("healthCheckNodePort"), {
        value: hc,
        detail:
          "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'",
      }));
    }
  } else if (hc === 0) {
    errs.push(required(p.child("healthCheckNodePort")));
  } else {
    for (const detail of isValidPortNum(hc)) {
      errs.push(invalid(p.child("healthCheckNodePort"), { value: hc, detail }));
    }
  }
  if (
    spec.internalTrafficPolicy === undefined &&
    (spec.type === "NodePort" || spec.type === "LoadBalancer" || spec.type === "ClusterIP")
  ) {
    errs.push(required(p.child("internalTrafficPolicy")));
  }
  if (spec.trafficDistribution !== undefined && spec.trafficDistribution !== "PreferClose") {
    errs.push(notSupported(p.child("trafficDistribution"), {
      value: spec.trafficDistribution,
      supported: ["PreferClose"],
    }));
  }
  return errs;
}

function validateSourceRanges(svc: Service, p: FieldPath): FieldError[] {
  const spec = svc.spec ?? {};
  const errs: FieldError[] = [];
  const ranges = spec.loadBalancerSourceRanges ?? [];
  const lbOnly = "may only be used when `type` is 'LoadBalancer'";
  if (ranges.length > 0) {
    // Upstream spells this path with a capital L.
    const rp = p.child("LoadBalancerSourceRanges");
    if (spec.type !== "LoadBalancer") errs.push(forbidden(rp, lbOnly));
    ranges.forEach((r, i) => errs.push(...validateCIDR(r.trim(), rp.index(i))));
    return errs;
  }
  const annotation = svc.metadata?.annotations?.[SOURCE_RANGES_ANNOTATION];
  if (annotation !== undefined) {
    const ap = new FieldPath("metadata").child("annotations").index(SOURCE_RANGES_ANNOTATION);
    if (spec.type !== "LoadBalancer") errs.push(forbidden(ap, lbOnly));
    const val = annotation.trim();
    if (val !== "") {
      for (const r of val.split(",")) errs.push(...validateCIDR(r.trim(), ap));
    }
  }
  return errs;
}

function validatePortUniqueness(svc: Service, p: FieldPath): FieldError[] {
  const spec = svc.spec ?? {};
  const errs: FieldError[] = [];
  const portsPath = p.child("ports");
  if (spec.type === "ClusterIP") {
    (spec.ports ?? []).forEach((port, i) => {
      if (port.nodePort) {
        errs.push(forbidden(
          portsPath.index(i).child("nodePort"),
          "may not be used when `type` is 'ClusterIP'",
        ));
      }
    });
  }
  const nodePorts = new Set<string>();
  (spec.ports ?? []).forEach((port, i) => {
    if (!port.nodePort) return;
    const key = `${port.protocol}/${port.nodePort}`;
    if (nodePorts.has(key)) {
      errs.push(duplicate(portsPath.index(i).child("nodePort"), port.nodePort));
    }
    nodePorts.add(key);
  });
  const ports = new Set<string>();
  (spec.ports ?? []).forEach((port, i) => {
    const key = `${port.protocol}/${port.port}`;
    if (ports.has(key)) {
      errs.push(printedError(portsPath.index(i), {
        type: "duplicate",
        text: printServicePortKey(port),
      }));
    }
    ports.add(key);
  });
  return errs;
}

/** `ValidateService`: the checks of a Service on create and update. */
export function validateService(svc: Service): FieldError[] {
  const errs: FieldError[] = [];
  const annotations = svc.metadata?.annotations ?? {};
  const mode = annotations[TOPOLOGY_MODE];
  const hints = annotations[TOPOLOGY_AWARE_HINTS];
  if (mode !== undefined && hints !== undefined && mode !== hints) {
    errs.push(invalid(new FieldPath("metadata").child("annotations").index(TOPOLOGY_MODE), {
      value: mode,
      detail: `must match annotations[${TOPOLOGY_AWARE_HINTS}] when both are specified`,
    }));
  }
  const spec = svc.spec ?? {};
  const p = new FieldPath("spec");
  const ports = spec.ports ?? [];
  if (ports.length === 0 && !isHeadless(svc) && spec.type !== "ExternalName") {
    errs.push(required(p.child("ports")));
  }
  switch (spec.type) {
    case "LoadBalancer":
    case "NodePort":
      if (isHeadless(svc)) {
        errs.push(invalid(p.child("clusterIPs").index(0), {
          value: CLUSTER_IP_NONE,
          detail: `may not be set to 'None' for ${spec.type} services`,
        }));
      }
      break;
    case "ExternalName": {
      const notForExternalName = "may not be set for ExternalName services";
      if ((spec.clusterIPs ?? []).length > 0) {
        errs.push(forbidden(p.child("clusterIPs"), notForExternalName));
      }
      if ((spec.ipFamilies ?? []).length > 0) {
        errs.push(forbidden(p.child("ipFamilies"), notForExternalName));
      }
      if (spec.ipFamilyPolicy !== undefined) {
        errs.push(forbidden(p.child("ipFamilyPolicy"), notForExternalName));
      }
      const cname = (spec.externalName ?? "").replace(/\.$/, "");
      if (cname) errs.push(...validateDns1123Subdomain(cname, p.child("externalName")));
      else errs.push(required(p.child("externalName")));
      break;
    }
  }
  const names = new Set<string>();
  ports.forEach((port, i) => {
    errs.push(...validatePort(port, {
      requireName: ports.length > 1,
      names,
      path: p.child("ports").index(i),
    }));
  });
  if (spec.selector !== undefined) errs.push(...validateLabels(spec.selector, p.child("selector")));
  errs.push(...validateSessionAffinity(svc, p));
  errs.push(...validateClusterIPsRelated(svc));
  (spec.externalIPs ?? []).forEach((ip, i) => {
    const ipPath = p.child("externalIPs").index(i);
    const e = validateIP(ip, ipPath);
    errs.push(...(e.length ? e : validateNonSpecialIP(ip, ipPath)));
  });
  errs.push(...validatePortUniqueness(svc, p));
  errs.push(...validateSourceRanges(svc, p));
  const lbOnly = "may only be used when `type` is 'LoadBalancer'";
  if (spec.allocateLoadBalancerNodePorts !== undefined && spec.type !== "LoadBalancer") {
    errs.push(forbidden(p.child("allocateLoadBalancerNodePorts"), lbOnly));
  }
  if (spec.type === "LoadBalancer" && spec.allocateLoadBalancerNodePorts === undefined) {
    // Upstream reports this without the spec prefix.
    errs.push(required("allocateLoadBalancerNodePorts"));
  }
  if (spec.type === "LoadBalancer") {
    if (spec.loadBalancerClass !== undefined) {
      errs.push(...validateQualifiedName(spec.loadBalancerClass, p.child("loadBalancerClass")));
    }
  } else if (spec.loadBalancerClass !== undefined) {
    errs.push(forbidden(p.child("loadBalancerClass"), lbOnly));
  }
  errs.push(...validateTrafficPolicies(svc, p));
  return errs;
}

function validateUpgradeDowngradeClusterIPs(svc: Service, old: Service): FieldError[] {
  if (svc.spec?.type === "ExternalName" || old.spec?.type === "ExternalName") return [];
  if (isHeadless(old) && isHeadless(svc)) return [];
  const errs: FieldError[] = [];
  const p = new FieldPath("spec").child("clusterIPs");
  const ips = svc.spec?.clusterIPs ?? [];
  const oldIPs = old.spec?.clusterIPs ?? [];
  const mayNotChange = "may not change once set";
  if (oldIPs.length === ips.length) {
    oldIPs.forEach((ip, i) => {
      if (ip !== ips[i]) errs.push(invalid(p.index(i), { value: ips, detail: mayNotChange }));
    });
  } else if (oldIPs.length > ips.length) {
    if (ips.length === 0) {
      errs.push(invalid(p.index(0), { value: ips, detail: "primary clusterIP can not be unset" }));
    }
    if (oldIPs.length > 0 && ips.length > 0 && ips[0] !== oldIPs[0]) {
      errs.push(invalid(p.index(0), { value: ips, detail: mayNotChange }));
    }
    if (ips.length === 1 && svc.spec?.ipFamilyPolicy !== "SingleStack") {
      errs.push(invalid(new FieldPath("spec").child("ipFamilyPolicy"), {
        value: svc.spec?.ipFamilyPolicy ?? "null",
        detail: "must be set to 'SingleStack' when releasing the secondary clusterIP",
      }));
    }
  } else if (oldIPs.length > 0 && ips[0] !== oldIPs[0]) {
    errs.push(invalid(p.index(0), { value: ips, detail: mayNotChange }));
  }
  return errs;
}

function validateUpgradeDowngradeIPFamilies(svc: Service, old: Service): FieldError[] {
  if (svc.spec?.type === "ExternalName" || old.spec?.type === "ExternalName") return [];
  if (isHeadless(old) !== isHeadless(svc) || isHeadless(svc)) return [];
  const errs: FieldError[] = [];
  const p = new FieldPath("spec").child("ipFamilies").index(0);
  const families = svc.spec?.ipFamilies;
  const fams = families ?? [];
  const oldFams = old.spec?.ipFamilies ?? [];
  const ipsText = goStringSlice("string", svc.spec?.clusterIPs ?? []);
  const mayNotChange = "may not change once set";
  if (oldFams.length === fams.length) {
    oldFams.forEach((f, i) => {
      if (f !== fams[i]) {
        errs.push(printedError(p, {
          type: "invalid",
          text: printFamilies(families),
          detail: mayNotChange,
        }));
      }
    });
  } else if (oldFams.length > fams.length) {
    if ((svc.spec?.clusterIPs ?? []).length === 0) {
      errs.push(printedError(p, {
        type: "invalid",
        text: printFamilies(families),
        detail: "primary ipFamily can not be unset",
      }));
    }
    if (fams.length > 0 && fams[0] !== oldFams[0]) {
      errs.push(printedError(p, { type: "invalid", text: ipsText, detail: mayNotChange }));
    }
    if (fams.length === 1 && svc.spec?.ipFamilyPolicy !== "SingleStack") {
      errs.push(invalid(new FieldPath("spec").child("ipFamilyPolicy"), {
        value: svc.spec?.ipFamilyPolicy ?? "null",
        detail: "must be set to 'SingleStack' when releasing the secondary ipFamily",
      }));
    }
  } else if (oldFams.length > 0 && fams.length > 0 && fams[0] !== oldFams[0]) {
    errs.push(printedError(p, { type: "invalid", text: ipsText, detail: mayNotChange }));
  }
  return errs;
}

/** `ValidateServiceUpdate`, beyond `ValidateService` on the new object. */
export function validateServiceUpdate(svc: Service, old: Service): FieldError[] {
  const errs = [
    ...validateUpgradeDowngradeClusterIPs(svc, old),
    ...validateUpgradeDowngradeIPFamilies(svc, old),
  ];
  if (old.spec?.type === "LoadBalancer" && svc.spec?.type === "LoadBalancer") {
    if (old.spec.loadBalancerClass !== svc.spec.loadBalancerClass) {
      errs.push(invalid(new FieldPath("spec").child("loadBalancerClass"), {
        value: svc.spec.loadBalancerClass ?? "null",
        detail: "may not change once set",
      }));
    }
  }
  if (
    needsHealthCheckNodePort(old) && needsHealthCheckNodePort(svc) &&
    (old.spec?.healthCheckNodePort ?? 0) !== (svc.spec?.healthCheckNodePort ?? 0)
  ) {
    errs.push(forbidden(new FieldPath("spec").child("healthCheckNodePort"), FIELD_IMMUTABLE));
  }
  return errs;
}

/** `ValidateLoadBalancerStatus`, for writes through `services/status`. */
export function validateServiceStatus(svc: Service): FieldError[] {
  const errs: FieldError[] = [];
  const ingresses = svc.status?.loadBalancer?.ingress ?? [];
  const p = new FieldPath("status").child("loadBalancer").child("ingress");
  if (svc.spec?.type !== "LoadBalancer" && ingresses.length !== 0) {
    return [forbidden(p, "may only be used when `spec.type` is 'LoadBalancer'")];
  }
  ingresses.forEach((ing, i) => {
    const ip = p.index(i);
    if (ing.ip) errs.push(...validateIP(ing.ip, ip.child("ip")));
    if (ing.ipMode === undefined) {
      if (ing.ip) errs.push(required(ip.child("ipMode"), "must be specified when `ip` is set"));
    } else if (!ing.ip) {
      errs.push(forbidden(ip.child("ipMode"), "may not be specified when `ip` is not set"));
    }
    if (ing.hostname) {
      errs.push(...validateDns1123Subdomain(ing.hostname, ip.child("hostname")));
      if (parseIPSloppy(ing.hostname) !== null) {
        errs.push(invalid(ip.child("hostname"), {
          value: ing.hostname,
          detail: "must be a DNS name, not an IP address",
        }));
      }
    }
  });
  return errs;
}

/** Upstream `GetWarningsForService`. */
export function serviceWarnings(svc: Service): string[] {
  const warnings: string[] = [];
  const spec = svc.spec ?? {};
  if (svc.metadata?.annotations?.[TOPOLOGY_AWARE_HINTS] !== undefined) {
    warnings.push(
      `annotation ${TOPOLOGY_AWARE_HINTS} is deprecated, please use ${TOPOLOGY_MODE} instead`,
    );
  }
  const ips = spec.clusterIPs ?? [];
  if (ips.length > 0 && ips[0] !== CLUSTER_IP_NONE) {
    ips.forEach((ip, i) => warnings.push(...ipWarnings(`spec.clusterIPs[${i}]`, ip)));
  }
  (spec.externalIPs ?? []).forEach((ip, i) => {
    warnings.push(...ipWarnings(`spec.externalIPs[${i}]`, ip));
  });
  if (spec.loadBalancerIP) warnings.push(...ipWarnings("spec.loadBalancerIP", spec.loadBalancerIP));
  (spec.loadBalancerSourceRanges ?? []).forEach((cidr, i) => {
    warnings.push(...cidrWarnings(`spec.loadBalancerSourceRanges[${i}]`, cidr));
  });
  if (spec.type === "ExternalName" && (spec.externalIPs ?? []).length > 0) {
    warnings.push('spec.externalIPs is ignored when spec.type is "ExternalName"');
  }
  if (spec.type !== "ExternalName" && spec.externalName) {
    warnings.push('spec.externalName is ignored when spec.type is not "ExternalName"');
  }
  return warnings;
}

/** Options of {@linkcode createServiceStrategy}. */
export interface ServiceStrategyOptions {
  /**
   * The IP families of the cluster's service CIDRs, primary first.
   *
   * @default {["IPv4"]}
   */
  readonly ipFamilies?: readonly IpFamily[];
}

/** The Service strategy for a cluster with the given service IP families. */
export function createServiceStrategy(options: ServiceStrategyOptions = {}): Strategy {
  const families = options.ipFamilies ?? ["IPv4"];
  return {
    nameRule: "dns1035",
    default(obj: KubeObject): void {
      applyDefaults(obj as Service);
    },
    prepareForCreate(obj: KubeObject): void {
      const svc = obj as Service;
      svc.status = { loadBalancer: {} };
      normalizeClusterIPs(svc);
      initIPFamilies(svc, { families });
    },
    prepareForUpdate(obj: KubeObject, old: KubeObject): void {
      const svc = obj as Service;
      const before = old as Service;
      svc.spec ??= {};
      svc.status = before.status ?? { loadBalancer: {} };
      patchAllocatedValues(svc, before);
      normalizeClusterIPs(svc, before);
      dropTypeDependentFields(svc, before);
      initIPFamilies(svc, { old: before, families });
    },
    validate(obj: KubeObject): FieldError[] {
      const svc = obj as Service;
      return [...validateClusterFamilies(svc, families), ...validateService(svc)];
    },
    validateUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
      return validateServiceUpdate(obj as Service, old as Service);
    },
    validateStatusUpdate(obj: KubeObject): FieldError[] {
      return validateServiceStatus(obj as Service);
    },
    warnings(obj: KubeObject): string[] {
      return serviceWarnings(obj as Service);
    },
  };
}

/** The Service strategy of a single-stack IPv4 cluster (skiff's default service CIDR). */
export const serviceStrategy: Strategy = createServiceStrategy();
