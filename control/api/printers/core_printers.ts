/**
 * Printers of the core (`""`) group, with upstream's columns (`kubernetes` `pkg/printers/
 * internalversion/printers.go`) and cell logic: Pod (READY, STATUS with init containers,
 * sidecars, `Terminating`, `Completed`…, RESTARTS `5 (2m ago)`), PodTemplate, Service,
 * Endpoints, Node, Namespace, ConfigMap, Secret, ServiceAccount, Event, PersistentVolume,
 * PersistentVolumeClaim, ResourceQuota and ReplicationController. LimitRange has no printer of
 * its own upstream (it prints `Name`/`Created At`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CORE_PRINTERS } from "./core_printers.ts";
 *
 * const pod = { metadata: { name: "web" }, spec: { containers: [{ name: "c" }] }, status: { phase: "Pending" } };
 * assert.deepEqual(CORE_PRINTERS.get("/Pod")!.row(pod, 0).slice(0, 4), ["web", "0/1", "Pending", "0"]);
 * ```
 *
 * @module
 */
import {
  AGE,
  columns,
  CONTAINERS,
  IMAGES,
  integer,
  NAME,
  selectorColumn,
  text,
  wide,
} from "./_columns.ts";
import {
  arr,
  dig,
  int,
  type JsonObject,
  nameOf,
  obj,
  optStr,
  present,
  str,
  stringMap,
} from "./_fields.ts";
import {
  accessModes,
  age,
  compareStrings,
  formatLabels,
  loadBalancerIngress,
  parseTime,
  quantity,
  templateContainers,
} from "./_format.ts";
import { humanDuration } from "./duration.ts";
import { coreEventFields, EVENT_COLUMNS, eventRow } from "./_event.ts";
import type { Printer, TableRowCondition } from "./table.ts";

// ---------------------------------------------------------------------------------------------
// Pod

const POD_SUCCEEDED: readonly TableRowCondition[] = Object.freeze([
  Object.freeze({
    type: "Completed",
    status: "True",
    reason: "Succeeded",
    message: "The pod has completed successfully.",
  }),
]);
const POD_FAILED: readonly TableRowCondition[] = Object.freeze([
  Object.freeze({
    type: "Completed",
    status: "True",
    reason: "Failed",
    message: "The pod failed.",
  }),
]);

/** The latest of `current` and a container status' `lastState.terminated.finishedAt`. */
function laterRestart(current: number | undefined, status: JsonObject): number | undefined {
  const terminated = dig(status, "lastState", "terminated");
  if (!present(terminated)) return current;
  const finished = parseTime(obj(terminated).finishedAt);
  if (finished === undefined) return current;
  return current === undefined || current < finished ? finished : current;
}

function isRestartableInit(container: JsonObject | undefined): boolean {
  return container !== undefined && container.restartPolicy === "Always";
}

function conditionStatus(conditions: unknown, type: string): string | undefined {
  for (const c of arr(conditions)) {
    if (obj(c).type === type) return str(obj(c).status);
  }
  return undefined;
}

function hasTrueCondition(conditions: unknown, type: string): boolean {
  return arr(conditions).some((c) => obj(c).type === type && obj(c).status === "True");
}

/** `Signal:N` / `ExitCode:N` or the terminated state's reason. */
function terminatedReason(terminated: JsonObject, prefix: string): string {
  const reason = str(terminated.reason);
  if (reason !== "") return prefix + reason;
  const signal = int(terminated.signal);
  if (signal !== 0) return `${prefix}Signal:${signal}`;
  return `${prefix}ExitCode:${int(terminated.exitCode)}`;
}

interface PodSummary {
  ready: number;
  total: number;
  reason: string;
  restarts: string;
}

/** READY, STATUS and RESTARTS of a pod, as upstream's `printPod`. */
function summarizePod(pod: JsonObject, nowMs: number): PodSummary {
  const spec = obj(pod.spec);
  const status = obj(pod.status);
  let restarts = 0;
  let sidecarRestarts = 0;
  let total = arr(spec.containers).length;
  let ready = 0;
  let lastRestart: number | undefined;
  let lastSidecarRestart: number | undefined;

  const phase = str(status.phase);
  let reason = str(status.reason) !== "" ? str(status.reason) : phase;
  for (const c of arr(status.conditions)) {
    if (obj(c).type === "PodScheduled" && obj(c).reason === "SchedulingGated") {
      reason = "SchedulingGated";
    }
  }

  const initSpecs = arr(spec.initContainers).map(obj);
  const initByName = new Map<string, JsonObject>();
  for (const c of initSpecs) {
    initByName.set(str(c.name), c);
    if (isRestartableInit(c)) total++;
  }

  let initializing = false;
  const initStatuses = arr(status.initContainerStatuses).map(obj);
  for (const [i, cs] of initStatuses.entries()) {
    restarts += int(cs.restartCount);
    lastRestart = laterRestart(lastRestart, cs);
    const restartable = isRestartableInit(initByName.get(str(cs.name)));
    if (restartable) {
      sidecarRestarts += int(cs.restartCount);
      lastSidecarRestart = laterRestart(lastSidecarRestart, cs);
    }
    const state = obj(cs.state);
    const terminated = present(state.terminated) ? obj(state.terminated) : undefined;
    const waitingReason = present(state.waiting) ? str(obj(state.waiting).reason) : "";
    if (terminated !== undefined && int(terminated.exitCode) === 0) continue;
    if (restartable && cs.started === true) {
      if (cs.ready === true) ready++;
      continue;
    }
    if (terminated !== undefined) {
      reason = terminatedReason(terminated, "Init:");
    } else if (waitingReason !== "" && waitingReason !== "PodInitializing") {
      reason = `Init:${waitingReason}`;
    } else {
      reason = `Init:${i}/${initSpecs.length}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || conditionStatus(status.conditions, "Initialized") === "True") {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    let errorReason = "";
    const statuses = arr(status.containerStatuses).map(obj);
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i] ?? {};
      restarts += int(cs.restartCount);
      lastRestart = laterRestart(lastRestart, cs);
      const state = obj(cs.state);
      const waitingReason = present(state.waiting) ? str(obj(state.waiting).reason) : "";
      if (waitingReason !== "") {
        reason = waitingReason;
      } else if (present(state.terminated)) {
        const terminated = obj(state.terminated);
        reason = terminatedReason(terminated, "");
        if (int(terminated.exitCode) !== 0) errorReason = reason;
      } else if (cs.ready === true && present(state.running)) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === "Completed") {
      if (hasRunning && hasTrueCondition(status.conditions, "Ready")) reason = "Running";
      else if (errorReason !== "") reason = errorReason;
      else if (hasRunning) reason = "NotReady";
    }
  }

  if (present(dig(pod, "metadata", "deletionTimestamp"))) {
    if (str(status.reason) === "NodeLost") reason = "Unknown";
    else if (phase !== "Failed" && phase !== "Succeeded") reason = "Terminating";
  }

  const restartsCell = restarts !== 0 && lastRestart !== undefined
    ? `${restarts} (${humanDuration(nowMs - lastRestart)} ago)`
    : String(restarts);
  return { ready, total, reason, restarts: restartsCell };
}

function podIP(status: JsonObject): string {
  const ips = arr(status.podIPs);
  const ip = ips.length > 0 ? str(obj(ips[0]).ip) : str(status.podIP);
  return ip === "" ? "<none>" : ip;
}

function readinessGates(pod: JsonObject): string {
  const gates = arr(dig(pod, "spec", "readinessGates"));
  if (gates.length === 0) return "<none>";
  const conditions = arr(dig(pod, "status", "conditions")).map(obj);
  let passing = 0;
  for (const g of gates) {
    const found = conditions.find((c) => c.type === obj(g).conditionType);
    if (found?.status === "True") passing++;
  }
  return `${passing}/${gates.length}`;
}

function orNone(s: string): string {
  return s === "" ? "<none>" : s;
}

const POD_PRINTER: Printer = Object.freeze({
  columns: columns(
    NAME,
    text("Ready", "Ready containers out of all (sidecars included)."),
    text("Status", "A summary of the pod's phase and container states."),
    text("Restarts", "Container restarts, and how long ago the last one was."),
    AGE,
    wide("IP", "The pod's first IP address."),
    wide("Node", "The node the pod is bound to."),
    wide("Nominated Node", "The node preemption has made room on for the pod."),
    wide("Readiness Gates", "Readiness gates whose condition is true, out of all."),
  ),
  row(pod: JsonObject, nowMs: number): unknown[] {
    const s = summarizePod(pod, nowMs);
    const status = obj(pod.status);
    return [
      nameOf(pod),
      `${s.ready}/${s.total}`,
      s.reason,
      s.restarts,
      age(pod, nowMs),
      podIP(status),
      orNone(str(dig(pod, "spec", "nodeName"))),
      orNone(str(status.nominatedNodeName)),
      readinessGates(pod),
    ];
  },
  conditions(pod: JsonObject): TableRowCondition[] | undefined {
    const phase = dig(pod, "status", "phase");
    if (phase === "Succeeded") return [...POD_SUCCEEDED];
    if (phase === "Failed") return [...POD_FAILED];
    return undefined;
  },
});

// ---------------------------------------------------------------------------------------------
// PodTemplate, ReplicationController

const POD_TEMPLATE_PRINTER: Printer = Object.freeze({
  columns: columns(
    NAME,
    text("Containers", "Names of the containers in the template."),
    text("Images", "Images of the containers in the template."),
    text("Pod Labels", "Labels of the pods made from the template."),
  ),
  row(o: JsonObject): unknown[] {
    const [names, images] = templateContainers(o.template);
    return [nameOf(o), names, images, formatLabels(dig(o, "template", "metadata", "labels"))];
  },
});

const REPLICATION_CONTROLLER_PRINTER: Printer = Object.freeze({
  columns: columns(
    NAME,
    integer("Desired", "Pods wanted."),
    integer("Current", "Pods that exist."),
    integer("Ready", "Pods that are ready."),
    AGE,
    CONTAINERS,
    IMAGES,
    selectorColumn("Labels of the pods the controller manages."),
  ),
  row(o: JsonObject, nowMs: number): unknown[] {
    const spec = obj(o.spec);
    const status = obj(o.status);
    const [names, images] = templateContainers(spec.template);
    return [
      nameOf(o),
      int(spec.replicas),
      int(status.replicas),
      int(status.readyReplicas),
      age(o, nowMs),
      names,
      images,
      formatLabels(spec.selector),
    ];
  },
});

// ---------------------------------------------------------------------------------------------
// Service, Endpoints

function serviceExternalIP(svc: JsonObject): string {
  const spec = obj(svc.spec);
  const externalIPs = arr(spec.externalIPs).map(str);
  switch (str(spec.type)) {
    case "ClusterIP":
    case "NodePort":
      return externalIPs.length > 0 ? externalIPs.join(",") : "<none>";
    case "LoadBalancer": {
      const lb = loadBalancerIngress(dig(svc, "status", "loadBalancer"));
      if (externalIPs.length > 0) {
        return [...(lb === "" ? [] : lb.split(",")), ...externalIPs].join(",");
      }
      return lb !== "" ? lb : "<pending>";
    }
    case "ExternalName":
      return str(spec.externalName);
    default:
      return "<unknown>";
  }
}

function servicePorts(ports: unknown): string {
  const pieces = arr(ports).map((p) => {
    const port = obj(p);
    const nodePort = int(port.nodePort);
    const protocol = str(port.protocol);
    return nodePort > 0
      ? `${int(port.port)}:${nodePort}/${protocol}`
      : `${int(port.port)}/${protocol}`;
  });
  return pieces.length === 0 ? "<none>" : pieces.join(",");
}

function clusterIP(spec: JsonObject): string {
  const ips = arr(spec.clusterIPs).map(str);
  if (ips.length > 0) return ips[0] ?? "";
  const ip = str(spec.clusterIP);
  return ip === "" ? "<none>" : ip;
}

const SERVICE_PRINTER: Printer = Object.freeze({
  columns: columns(
    NAME,
    text("Type", "How the service is exposed: ClusterIP, NodePort, LoadBalancer or ExternalName."),
    text("Cluster-IP", "The service's virtual IP inside the cluster."),
    text("External-IP", "Addresses the service is reachable at from outside the cluster."),
    text("Port(s)", "Service ports, with node ports, and protocols."),
    AGE,
    selectorColumn("Labels of the pods the service sends traffic to."),
  ),
  row(svc: JsonObject, nowMs: number): unknown[] {
    const spec = obj(svc.spec);
    return [
      nameOf(svc),
      str(spec.type),
      clusterIP(spec),
      serviceExternalIP(svc),
      servicePorts(spec.ports),
      age(svc, nowMs),
      formatLabels(spec.selector),
    ];
  },
});

/** `net.JoinHostPort`: brackets around IPv6 hosts. */
function joinHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Up to three `ip:port` endpoints, then ` + N more...` (upstream's `formatEndpoints`). */
function formatEndpoints(endpoints: JsonObject): string {
  const subsets = arr(endpoints.subsets).map(obj);
  if (subsets.length === 0) return "<none>";
  const max = 3;
  const list: string[] = [];
  let more = false;
  let count = 0;
  for (const ss of subsets) {
    const addresses = arr(ss.addresses).map((a) => str(obj(a).ip));
    const ports = arr(ss.ports).map(obj);
    if (ports.length === 0) {
      count += addresses.length;
      for (const ip of addresses) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(ip);
      }
      continue;
    }
    for (const port of ports) {
      count += addresses.length;
      for (const ip of addresses) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(joinHostPort(ip, int(port.port)));
      }
    }
  }
  const joined = list.join(",");
  return more ? `${joined} + ${count - max} more...` : joined;
}

const ENDPOINTS_PRINTER: Printer = Object.freeze({
  columns: columns(
    NAME,
    text("Endpoints", "Addresses and ports of the endpoints (the first three)."),
    AGE,
  ),
  row(o: JsonObject, nowMs: number): unknown[] {
    return [nameOf(o), formatEndpoints(o), age(o, nowMs)];
  },
});

// ---------------------------------------------------------------------------------------------
// Node, Namespace

function nodeStatus(node: JsonObject): string {
  let ready: string | undefined;
  for (const c of arr(dig(node, "status", "conditions"))) {
    if (obj(c).type === "Ready") ready = str(obj(c).status);
  }
  const status: string[] = [];
  if (ready !== undefined) status.push(ready === "True" ? "Ready" : "NotReady");
  else status.push("Unknown");
  if (dig(node, "spec", "unschedulable") === true) status.push("SchedulingDisabled");
  return status.join(",");
}

/** Roles from `node-role.kubernetes.io/<role>` label keys and the `kubernetes.io/role` value. */
function nodeRoles(node: JsonObject): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(stringMap(dig(node, "metadata", "labels")))) {
    if (k.startsWith("node-role.kubernetes.io/")) {
      const role = k.slice("node-role.kubernetes.io/".length);
      if (role !== "") roles.add(role);
    } else if (k === "kubernetes.io/role" && v !== "") {
      roles.add(v);
    }
  }
  return roles.size === 0 ? "<none>" : [...roles].sort(compareStrings).join(",");
}

function nodeAddress(node: JsonObject, type: string): string {
  for (const a of arr(dig(node, "status", "addresses"))) {
    if (obj(a).type === type) return str(obj(a).address);
  }
  return "<none>";
}

function orUnknown(s: string): string {
  return s === "" ? "<unknown>" : s;
}

const NODE_PRINTER: Printer = Object.freeze({
  columns: columns(
    NAME,
    text("Status", "Whether the node is ready, and whether it takes new pods."),
    text("Roles", "The node's roles, from its node-role labels."),
    AGE,
    text("Version", "The kubelet version the node reports."),
    wide("Internal-IP", "The node's first internal IP."),
    wide("External-IP", "The node's first external IP."),
    wide("OS-Image", "The operating system the node reports."),
    wide("Kernel-Version", "The kernel version the node reports."),
    wide("Container-Runtime", "The container runtime and version the node reports."),
  ),
  row(node: JsonObject, nowMs: number): unknown[] {
    const info = obj(dig(node, "status", "nodeInfo"));
    return [
      nameOf(node),
      nodeStatus(node),
      nodeRoles(node),
      age(node, nowMs),
      str(info.kubeletVersion),
      nodeAddress(node, "InternalIP"),
      nodeAddress(node, "ExternalIP"),
      orUnknown(str(info.osImage)),
      orUnknown(str(info.kernelVersion)),
      orUnknown(str(info.containerRuntimeVersion)),
    ];
  },
});

const NAMESPACE_PRINTER: Printer = Object.freeze({
  columns: columns(NAME, text("Status", "The namespace's phase: Active or Terminating."), AGE),
  row(o: JsonObject, nowMs: number): unknown[] {
    return [nameOf(o), str(dig(o, "status", "phase")), age(o, nowMs)];
  },
});

// ---------------------------------------------------------------------------------------------
// ConfigMap, Secret, ServiceAccount

const CONFIG_MAP_PRINTER: Printer = Object.freeze({
  columns: columns(NAME, text("Data", "Number of keys, text and binary."), AGE),
  row(o: JsonObject, nowMs: number): unknown[] {
    const keys = Object.keys(obj(o.data)).length + Object.keys(obj(o.binaryData)).length;
    return [nameOf(o), keys, age(o, nowMs)];
  },
});

const SECRET_PRINTER: Printer = Object.freeze({
  columns: columns(
    NAME,
    text("Type", "The secret's type, which says what its data holds."),
    text("Data", "Number of keys."),
    AGE,
  ),
  row(o: JsonObject, nowMs: number): unknown[] {
    return [nameOf(o), str(o.type), Object.keys(obj(o.data)).length, age(o, nowMs)];
  },
});

// kube-apiserver 1.33 still prints the count of `secrets` references (removed only in 1.35).
const SERVICE_ACCOUNT_PRINTER: Printer = Object.freeze({
  columns: columns(NAME, text("Secrets", "Number of secrets the account refers to."), AGE),
  row(o: JsonObject, nowMs: number): unknown[] {
    const secrets = Array.isArray(o.secrets) ? o.secrets.length : 0;
    return [nameOf(o), secrets, age(o, nowMs)];
  },
});

// ---------------------------------------------------------------------------------------------
// Event (core/v1; events.k8s.io/v1 maps onto the same fields)

const EVENT_PRINTER: Printer = Object.freeze({
  columns: EVENT_COLUMNS,
  row(e: JsonObject, nowMs: number): unknown[] {
    return eventRow(coreEventFields(e), nowMs);
  },
});

// ---------------------------------------------------------------------------------------------
// PersistentVolume, PersistentVolumeClaim, ResourceQuota

const BETA_STORAGE_CLASS = "volume.beta.kubernetes.io/storage-class";

function annotation(o: JsonObject, key: string): string | undefined {
  return optStr(obj(dig(o, "metadata", "annotations"))[key]);
}

function phaseOrTerminating(o: JsonObject): string {
  if (present(dig(o, "metadata", "deletionTimestamp"))) return "Terminating";
  return str(dig(o, "status", "phase"));
}

const PERSISTENT_VOLUME_PRINTER: Printer = Object.freeze({
  columns: columns(
    NAME,
    text("Capacity", "The volume's storage size."),
    text("Access Modes", "How the volume can be mounted: RWO, ROX, RWX, RWOP."),
    text("Reclaim Policy", "What happens to the volume when its claim goes away."),
    text("Status", "The volume's phase."),
    text("Claim", "The claim bound to the volume, as namespace/name."),
    text("StorageClass", "The volume's storage class."),
    text("VolumeAttributesClass", "The volume's attributes class."),
    text("Reason", "Why the volume is in its phase."),
    AGE,
    wide("VolumeMode", "Filesystem or Block."),
  ),
  row(pv: JsonObject, nowMs: number): unknown[] {
    const spec = obj(pv.spec);
    const claimRef = present(spec.claimRef)
      ? `${str(obj(spec.claimRef).namespace)}/${str(obj(spec.claimRef).name)}`
      : "";
    return [
      nameOf(pv),
      quantity(obj(spec.capacity).storage),
      accessModes(spec.accessModes),
      str(spec.persistentVolumeReclaimPolicy),
      phaseOrTerminating(pv),
      claimRef,
      annotation(pv, BETA_STORAGE_CLASS) ?? str(spec.storageClassName),
      optStr(spec.volumeAttributesClassName) ?? "<unset>",
      str(dig(pv, "status", "reason")),
      age(pv, nowMs),
      optStr(spec.volumeMode) ?? "<unset>",
    ];
  },
});

const PERSISTENT_VOLUME_CLAIM_PRINTER: Printer = Object.freeze({
  columns: columns(
    NAME,
    text("Status", "The claim's phase."),
    text("Volume", "The volume bound to the claim."),
    text("Capacity", "The bound volume's storage size."),
    text("Access Modes", "How the bound volume can be mounted: RWO, ROX, RWX, RWOP."),
    text("StorageClass", "The claim's storage class."),
    text("VolumeAttributesClass", "The claim's attributes class."),
    AGE,
    wide("VolumeMode", "Filesystem or Block."),
  ),
  row(pvc: JsonObject, nowMs: number): unknown[] {
    const spec = obj(pvc.spec);
    const status = obj(pvc.status);
    const volumeName = str(spec.volumeName);
    const bound = volumeName !== "";
    return [
      nameOf(pvc),
      phaseOrTerminating(pvc),
      volumeName,
      bound ? quantity(obj(status.capacity).storage) : "",
      bound ? accessModes(status.accessModes) : "",
      annotation(pvc, BETA_STORAGE_CLASS) ?? str(spec.storageClassName),
      optStr(spec.volumeAttributesClassName) ?? "<unset>",
      age(pvc, nowMs),
      optStr(spec.volumeMode) ?? "<unset>",
    ];
  },
});

const RESOURCE_QUOTA_PRINTER: Printer = Object.freeze({
  columns: columns(
    NAME,
    text("Request", "Used and hard quota of everything but limits.*, as used/hard."),
    text("Limit", "Used and hard quota of limits.*, as used/hard."),
    AGE,
  ),
  row(o: JsonObject, nowMs: number): unknown[] {
    const hard = obj(dig(o, "status", "hard"));
    const used = obj(dig(o, "status", "used"));
    const requests: string[] = [];
    const limits: string[] = [];
    for (const resource of Object.keys(hard).sort(compareStrings)) {
      const pieces = resource.split(".");
      const into = pieces.length > 1 && pieces[0] === "limits" ? limits : requests;
      into.push(`${resource}: ${quantity(used[resource])}/${quantity(hard[resource])}`);
    }
    return [nameOf(o), requests.join(", "), limits.join(", "), age(o, nowMs)];
  },
});

/** Printers of the core group, keyed `/<Kind>`. */
export const CORE_PRINTERS: ReadonlyMap<string, Printer> = new Map<string, Printer>([
  ["/Pod", POD_PRINTER],
  ["/PodTemplate", POD_TEMPLATE_PRINTER],
  ["/ReplicationController", REPLICATION_CONTROLLER_PRINTER],
  ["/Service", SERVICE_PRINTER],
  ["/Endpoints", ENDPOINTS_PRINTER],
  ["/Node", NODE_PRINTER],
  ["/Namespace", NAMESPACE_PRINTER],
  ["/ConfigMap", CONFIG_MAP_PRINTER],
  ["/Secret", SECRET_PRINTER],
  ["/ServiceAccount", SERVICE_ACCOUNT_PRINTER],
  ["/Event", EVENT_PRINTER],
  ["/PersistentVolume", PERSISTENT_VOLUME_PRINTER],
  ["/PersistentVolumeClaim", PERSISTENT_VOLUME_CLAIM_PRINTER],
  ["/ResourceQuota", RESOURCE_QUOTA_PRINTER],
]);
