/**
 * Printers of the remaining built-in groups, with upstream's columns and cells:
 * coordination (Lease), discovery (EndpointSlice), policy (PodDisruptionBudget), networking
 * (NetworkPolicy, Ingress, IngressClass, ServiceCIDR), storage (StorageClass,
 * VolumeAttachment, CSIDriver, CSINode, CSIStorageCapacity, VolumeAttributesClass), scheduling
 * (PriorityClass), events.k8s.io (Event), rbac (RoleBinding, ClusterRoleBinding), node
 * (RuntimeClass), admissionregistration (webhook configurations, ValidatingAdmissionPolicy),
 * certificates (CertificateSigningRequest) and autoscaling (HorizontalPodAutoscaler).
 *
 * Role, ClusterRole and CustomResourceDefinition have no printer upstream: they print with the
 * default `Name`/`Created At` printer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OTHER_PRINTERS } from "./other_printers.ts";
 *
 * const lease = { metadata: { name: "kube-scheduler" }, spec: { holderIdentity: "node-1" } };
 * assert.deepEqual(OTHER_PRINTERS.get("coordination.k8s.io/Lease")!.row(lease, 0).slice(0, 2), [
 *   "kube-scheduler",
 *   "node-1",
 * ]);
 * ```
 *
 * @module
 */
import { AGE, column, columns, integer, NAME, text, wide } from "./_columns.ts";
import { EVENT_COLUMNS, eventRow, eventsV1Fields } from "./_event.ts";
import {
  arr,
  bool,
  dig,
  int,
  type JsonObject,
  nameOf,
  obj,
  optBool,
  optInt,
  optStr,
  present,
  str,
  stringMap,
} from "./_fields.ts";
import {
  age,
  formatLabelSelector,
  intOrString,
  listWithMore,
  loadBalancerIngress,
  quantity,
} from "./_format.ts";
import { humanDuration } from "./duration.ts";
import type { Printer } from "./table.ts";

// ---------------------------------------------------------------------------------------------
// coordination, discovery, policy

const LEASE_PRINTER: Printer = Object.freeze({
  columns: columns(NAME, text("Holder", "The identity holding the lease."), AGE),
  row(o: JsonObject, nowMs: number): unknown[] {
    return [nameOf(o), str(dig(o, "spec", "holderIdentity")), age(o, nowMs)];
  },
});

function endpointSlicePorts(ports: unknown): string {
  const list = arr(ports).map((p) => {
    const port = obj(p);
    const number = optInt(port.port);
    if (number !== undefined) return String(number);
    return optStr(port.name) ?? "*";
  });
  return listWithMore(list, { count: list.length, max: 3 });
}

function endpointSliceEndpoints(endpoints: unknown): string {
  const list = arr(endpoints).flatMap((e) => arr(obj(e).addresses).map(str));
  return listWithMore(list, { count: list.length, max: 3 });
}

const ENDPOINT_SLICE_PRINTER: Printer = Object.freeze({
  columns: columns(
    NAME,
    text("AddressType", "IPv4, IPv6 or FQDN."),
    text("Ports", "The slice's port numbers (the first three)."),
    text("Endpoints", "The slice's endpoint addresses (the first three)."),
    AGE,
  ),
  row(o: JsonObject, nowMs: number): unknown[] {
    return [
      nameOf(o),
      str(o.addressType),
      endpointSlicePorts(o.ports),
      endpointSliceEndpoints(o.endpoints),
      age(o, nowMs),
    ];
  },
});

const POD_DISRUPTION_BUDGET_PRINTER: Printer = Object.freeze({
  columns: columns(
    NAME,
    text("Min Available", "Pods that must stay available, as a number or percentage."),
    text("Max Unavailable", "Pods that may be unavailable, as a number or percentage."),
    integer("Allowed Disruptions", "Pods that may be evicted now."),
    AGE,
  ),
  row(o: JsonObject, nowMs: number): unknown[] {
    const spec = obj(o.spec);
    return [
      nameOf(o),
      intOrString(spec.minAvailable) ?? "N/A",
      intOrString(spec.maxUnavailable) ?? "N/A",
      int(dig(o, "status", "disruptionsAllowed")),
      age(o, nowMs),
    ];
  },
});

// ---------------------------------------------------------------------------------------------
// networking

const NETWORK_POLICY_PRINTER: Printer = Object.freeze({
  columns: columns(NAME, text("Pod-Selector", "Labels of the pods the policy applies to."), AGE),
  row(o: JsonObject, nowMs: number): unknown[] {
    return [nameOf(o), formatLabelSelector(dig(o, "spec", "podSelector") ?? {}), age(o, nowMs)];
  },
});

/** Up to three rule hosts, ` + N more...`, or `*` (upstream's `formatHosts`). */
function ingressHosts(rules: unknown): string {
  const all = arr(rules).map(obj);
  const max = 3;
  const list: string[] = [];
  let more = false;
  for (const rule of all) {
    if (list.length === max) more = true;
    const host = str(rule.host);
    if (!more && host !== "") list.push(host);
  }
  if (list.length === 0) return "*";
  const joined = list.join(",");
  return more ? `${joined} + ${all.length - max} more...` : joined;
}

const INGRESS_PRINTER: Printer = Object.freeze({
  columns: columns(
    NAME,
    text("Class", "The ingress class that handles the ingress."),
    text("Hosts", "Hosts the rules match (the first three)."),
    text("Address", "Addresses of the load balancer serving the ingress."),
    text("Ports", "Ports served: 80, and 443 with TLS."),
    AGE,
  ),
  row(o: JsonObject, nowMs: number): unknown[] {
    const spec = obj(o.spec);
    return [
      nameOf(o),
      optStr(spec.ingressClassName) ?? "<none>",
      ingressHosts(spec.rules),
      loadBalancerIngress(dig(o, "status", "loadBalancer")),
      arr(spec.tls).length > 0 ? "80, 443" : "80",
      age(o, nowMs),
    ];
  },
});

const INGRESS_CLASS_PRINTER: Printer = Object.freeze({
  columns: columns(
    NAME,
    text("Controller", "The controller that implements the class."),
    text("Parameters", "The resource holding the class's parameters, as kind.group/name."),
    AGE,
  ),
  row(o: JsonObject, nowMs: number): unknown[] {
    const spec = obj(o.spec);
    let parameters = "<none>";
    if (present(spec.parameters)) {
      const p = obj(spec.parameters);
      const group = optStr(p.apiGroup);
      parameters = `${str(p.kind)}${group === undefined ? "" : `.${group}`}/${str(p.name)}`;
    }
    return [nameOf(o), str(spec.controller), parameters, age(o, nowMs)];
  },
});

const SERVICE_CIDR_PRINTER: Printer = Object.freeze({
  columns: columns(NAME, text("CIDRs", "The ranges service IPs are allocated from."), AGE),
  row(o: JsonObject, nowMs: number): unknown[] {
    return [nameOf(o), arr(dig(o, "spec", "cidrs")).map(str).join(","), age(o, nowMs)];
  },
});

// ---------------------------------------------------------------------------------------------
// storage

const DEFAULT_CLASS_ANNOTATIONS = [
  "storageclass.kubernetes.io/is-default-class",
  "storageclass.beta.kubernetes.io/is-default-class",
];

const STORAGE_CLASS_PRINTER: Printer = Object.freeze({
  columns: columns(
    NAME,
    text("Provisioner", "The volume plugin that provisions volumes of the class."),
    text("ReclaimPolicy", "What happens to provisioned volumes when released."),
    text("VolumeBindingMode", "When volumes are bound: Immediate or WaitForFirstConsumer."),
    text("AllowVolumeExpansion", "Whether volumes of the class may grow."),
    AGE,
  ),
  row(o: JsonObject, nowMs: number): unknown[] {
    const annotations = stringMap(dig(o, "metadata", "annotations"));
    const isDefault = DEFAULT_CLASS_ANNOTATIONS.some((a) => annotations[a] === "true");
    return [
      isDefault ? `${nameOf(o)} (default)` : nameOf(o),
      str(o.provisioner),
      optStr(o.reclaimPolicy) ?? "Delete",
      optStr(o.volumeBindingMode) ?? "Immediate",
      bool(o.allowVolumeExpansion),
      age(o, nowMs),
    ];
  },
});

const VOLUME_ATTACHMENT_PRINTER: Printer = Object.freeze({
  columns: columns(
    NAME,
    column("Attacher", { description: "The driver that attaches the volume.", format: "name" }),
    text("PV", "The persistent volume attached."),
    text("Node", "The node the volume is attached to."),
    column("Attached", { description: "Whether the attach succeeded.", type: "boolean" }),
    AGE,
  ),
  row(o: JsonObject, nowMs: number): unknown[] {
    const spec = obj(o.spec);
    return [
      nameOf(o),
      str(spec.attacher),
      str(dig(spec.source, "persistentVolumeName")),
      str(spec.nodeName),
      bool(dig(o, "status", "attached")),
      age(o, nowMs),
    ];
  },
});

function boolColumn(name: string, description: string) {
  return column(name, { description, type: "boolean" });
}

const CSI_DRIVER_PRINTER: Printer = Object.freeze({
  columns: columns(
    NAME,
    boolColumn("AttachRequired", "Whether volumes need an attach step."),
    boolColumn("PodInfoOnMount", "Whether pod details are passed on mount."),
    boolColumn("StorageCapacity", "Whether the driver reports storage capacity."),
    text("TokenRequests", "Audiences of the service account tokens passed to the driver."),
    boolColumn("RequiresRepublish", "Whether volumes are remounted periodically."),
    text("Modes", "Volume lifecycle modes the driver supports."),
    AGE,
  ),
  row(o: JsonObject, nowMs: number): unknown[] {
    const spec = obj(o.spec);
    const modes = arr(spec.volumeLifecycleModes).map(str).join(",");
    const tokenRequests = present(spec.tokenRequests)
      ? arr(spec.tokenRequests).map((t) => str(obj(t).audience)).join(",")
      : "<unset>";
    return [
      nameOf(o),
      optBool(spec.attachRequired) ?? true,
      bool(spec.podInfoOnMount),
      bool(spec.storageCapacity),
      tokenRequests,
      bool(spec.requiresRepublish),
      modes === "" ? "<none>" : modes,
      age(o, nowMs),
    ];
  },
});

const CSI_NODE_PRINTER: Printer = Object.freeze({
  columns: columns(NAME, integer("Drivers", "CSI drivers registered on the node."), AGE),
  row(o: JsonObject, nowMs: number): unknown[] {
    return [nameOf(o), arr(dig(o, "spec", "drivers")).length, age(o, nowMs)];
  },
});

const CSI_STORAGE_CAPACITY_PRINTER: Printer = Object.freeze({
  columns: columns(
    NAME,
    text("StorageClassName", "The storage class the capacity is for."),
    text("Capacity", "The capacity available."),
  ),
  row(o: JsonObject): unknown[] {
    return [
      nameOf(o),
      str(o.storageClassName),
      present(o.capacity) ? quantity(o.capacity) : "<unset>",
    ];
  },
});

const VOLUME_ATTRIBUTES_CLASS_PRINTER: Printer = Object.freeze({
  columns: columns(NAME, text("DriverName", "The CSI driver the class is for."), AGE),
  row(o: JsonObject, nowMs: number): unknown[] {
    return [nameOf(o), str(o.driverName), age(o, nowMs)];
  },
});

// ---------------------------------------------------------------------------------------------
// scheduling, events, rbac, node

const PRIORITY_CLASS_PRINTER: Printer = Object.freeze({
  columns: columns(
    NAME,
    integer("Value", "The priority pods of the class get."),
    boolColumn("Global-Default", "Whether pods without a class get this one."),
    AGE,
    text("PreemptionPolicy", "Whether pods of the class may preempt others."),
  ),
  row(o: JsonObject, nowMs: number): unknown[] {
    return [
      nameOf(o),
      int(o.value),
      bool(o.globalDefault),
      age(o, nowMs),
      str(o.preemptionPolicy),
    ];
  },
});

const EVENTS_V1_EVENT_PRINTER: Printer = Object.freeze({
  columns: EVENT_COLUMNS,
  row(e: JsonObject, nowMs: number): unknown[] {
    return eventRow(eventsV1Fields(e), nowMs);
  },
});

/** Users, groups and service accounts of a binding (rbac's `SubjectsStrings`). */
function subjects(o: JsonObject): [string, string, string] {
  const users: string[] = [];
  const groups: string[] = [];
  const serviceAccounts: string[] = [];
  for (const s of arr(o.subjects).map(obj)) {
    switch (s.kind) {
      case "ServiceAccount":
        serviceAccounts.push(`${str(s.namespace)}/${str(s.name)}`);
        break;
      case "User":
        users.push(str(s.name));
        break;
      case "Group":
        groups.push(str(s.name));
        break;
    }
  }
  return [users.join(", "), groups.join(", "), serviceAccounts.join(", ")];
}

function bindingPrinter(of: string): Printer {
  return Object.freeze({
    columns: columns(
      NAME,
      text("Role", `The role the ${of} grants, as kind/name.`),
      AGE,
      wide("Users", `Users in the ${of}.`),
      wide("Groups", `Groups in the ${of}.`),
      wide("ServiceAccounts", `Service accounts in the ${of}, as namespace/name.`),
    ),
    row(o: JsonObject, nowMs: number): unknown[] {
      const ref = obj(o.roleRef);
      return [nameOf(o), `${str(ref.kind)}/${str(ref.name)}`, age(o, nowMs), ...subjects(o)];
    },
  });
}

const RUNTIME_CLASS_PRINTER: Printer = Object.freeze({
  columns: columns(NAME, text("Handler", "The CRI handler that runs pods of the class."), AGE),
  row(o: JsonObject, nowMs: number): unknown[] {
    return [nameOf(o), str(o.handler), age(o, nowMs)];
  },
});

// ---------------------------------------------------------------------------------------------
// admissionregistration, certificates

const WEBHOOK_CONFIGURATION_PRINTER: Printer = Object.freeze({
  columns: columns(NAME, integer("Webhooks", "Webhooks in the configuration."), AGE),
  row(o: JsonObject, nowMs: number): unknown[] {
    return [nameOf(o), arr(o.webhooks).length, age(o, nowMs)];
  },
});

const VALIDATING_ADMISSION_POLICY_PRINTER: Printer = Object.freeze({
  columns: columns(
    NAME,
    integer("Validations", "Validation rules in the policy."),
    text("ParamKind", "The kind of the policy's parameter resource, as apiVersion/kind."),
    AGE,
  ),
  row(o: JsonObject, nowMs: number): unknown[] {
    const spec = obj(o.spec);
    const paramKind = present(spec.paramKind)
      ? `${str(obj(spec.paramKind).apiVersion)}/${str(obj(spec.paramKind).kind)}`
      : "<unset>";
    return [nameOf(o), arr(spec.validations).length, paramKind, age(o, nowMs)];
  },
});

/** `Denied`/`Approved`/`Pending`, then `,Failed` and `,Issued` (upstream's `extractCSRStatus`). */
function csrCondition(o: JsonObject): string {
  const types = new Set(arr(dig(o, "status", "conditions")).map((c) => obj(c).type));
  let status = types.has("Denied") ? "Denied" : types.has("Approved") ? "Approved" : "Pending";
  if (types.has("Failed")) status += ",Failed";
  if (str(dig(o, "status", "certificate")) !== "") status += ",Issued";
  return status;
}

const CERTIFICATE_SIGNING_REQUEST_PRINTER: Printer = Object.freeze({
  columns: columns(
    NAME,
    AGE,
    text("SignerName", "The signer asked to sign the request."),
    text("Requestor", "The user who created the request."),
    text("RequestedDuration", "The certificate lifetime asked for."),
    text("Condition", "Approved, Denied or Pending, and Failed or Issued."),
  ),
  row(o: JsonObject, nowMs: number): unknown[] {
    const spec = obj(o.spec);
    const seconds = optInt(spec.expirationSeconds);
    const signer = str(spec.signerName);
    return [
      nameOf(o),
      age(o, nowMs),
      signer === "" ? "<none>" : signer,
      str(spec.username),
      seconds === undefined ? "<none>" : humanDuration(seconds * 1000),
      csrCondition(o),
    ];
  },
});

// ---------------------------------------------------------------------------------------------
// autoscaling

/** A `*resource.Quantity` as Go prints it: `<nil>` when unset. */
function quantityPtr(value: unknown): string {
  return present(value) ? quantity(value) : "<nil>";
}

/** `value (avg)` or `value` targets of Object and External metrics. */
function valueMetric(target: JsonObject, current: JsonObject | undefined): string {
  if (present(target.averageValue)) {
    const now = current !== undefined && present(current.averageValue)
      ? quantity(current.averageValue)
      : "<unknown>";
    return `${now}/${quantity(target.averageValue)} (avg)`;
  }
  const now = current !== undefined ? quantityPtr(current.value) : "<unknown>";
  return `${now}/${quantityPtr(target.value)}`;
}

/** `cpu: 50%/80%` or `memory: 100Mi/200Mi` targets of Resource and ContainerResource metrics. */
function resourceMetric(source: JsonObject, current: JsonObject | undefined): string {
  const name = str(source.name);
  const target = obj(source.target);
  if (present(target.averageValue)) {
    const now = current !== undefined ? quantityPtr(current.averageValue) : "<unknown>";
    return `${name}: ${now}/${quantity(target.averageValue)}`;
  }
  const utilization = current === undefined ? undefined : optInt(current.averageUtilization);
  const now = utilization === undefined ? "<unknown>" : `${utilization}%`;
  const wanted = optInt(target.averageUtilization);
  return `${name}: ${now}/${wanted === undefined ? "<auto>" : `${wanted}%`}`;
}

/** The TARGETS cell: up to two metrics as current/target, ` + N more...` (`formatHPAMetrics`). */
function hpaTargets(o: JsonObject): string {
  const specs = arr(dig(o, "spec", "metrics")).map(obj);
  if (specs.length === 0) return "<none>";
  const statuses = arr(dig(o, "status", "currentMetrics")).map(obj);
  const list = specs.map((spec, i) => {
    const status = statuses[i];
    const part = (key: string): JsonObject | undefined =>
      status !== undefined && present(status[key]) ? obj(status[key]) : undefined;
    const current = (key: string): JsonObject | undefined => {
      const p = part(key);
      return p === undefined ? undefined : obj(p.current);
    };
    switch (spec.type) {
      case "External":
        return valueMetric(obj(dig(spec.external, "target")), current("external"));
      case "Object":
        return valueMetric(obj(dig(spec.object, "target")), current("object"));
      case "Pods": {
        const now = current("pods");
        return `${now === undefined ? "<unknown>" : quantityPtr(now.averageValue)}/${
          quantityPtr(dig(spec.pods, "target", "averageValue"))
        }`;
      }
      case "Resource":
        return resourceMetric(obj(spec.resource), current("resource"));
      case "ContainerResource":
        return resourceMetric(obj(spec.containerResource), current("containerResource"));
      default:
        return "<unknown type>";
    }
  });
  const max = 2;
  if (list.length > max) return `${list.slice(0, max).join(", ")} + ${list.length - max} more...`;
  return list.join(", ");
}

const HORIZONTAL_POD_AUTOSCALER_PRINTER: Printer = Object.freeze({
  columns: columns(
    NAME,
    text("Reference", "The workload scaled, as kind/name."),
    text("Targets", "Metrics as current/target."),
    text("MinPods", "The fewest replicas."),
    text("MaxPods", "The most replicas."),
    text("Replicas", "Replicas now."),
    AGE,
  ),
  row(o: JsonObject, nowMs: number): unknown[] {
    const spec = obj(o.spec);
    const ref = obj(spec.scaleTargetRef);
    const min = optInt(spec.minReplicas);
    return [
      nameOf(o),
      `${str(ref.kind)}/${str(ref.name)}`,
      hpaTargets(o),
      min === undefined ? "<unset>" : String(min),
      int(spec.maxReplicas),
      int(dig(o, "status", "currentReplicas")),
      age(o, nowMs),
    ];
  },
});

/** Printers of the other built-in groups, keyed `<group>/<Kind>`. */
export const OTHER_PRINTERS: ReadonlyMap<string, Printer> = new Map<string, Printer>([
  ["coordination.k8s.io/Lease", LEASE_PRINTER],
  ["discovery.k8s.io/EndpointSlice", ENDPOINT_SLICE_PRINTER],
  ["policy/PodDisruptionBudget", POD_DISRUPTION_BUDGET_PRINTER],
  ["networking.k8s.io/NetworkPolicy", NETWORK_POLICY_PRINTER],
  ["networking.k8s.io/Ingress", INGRESS_PRINTER],
  ["networking.k8s.io/IngressClass", INGRESS_CLASS_PRINTER],
  ["networking.k8s.io/ServiceCIDR", SERVICE_CIDR_PRINTER],
  ["storage.k8s.io/StorageClass", STORAGE_CLASS_PRINTER],
  ["storage.k8s.io/VolumeAttachment", VOLUME_ATTACHMENT_PRINTER],
  ["storage.k8s.io/CSIDriver", CSI_DRIVER_PRINTER],
  ["storage.k8s.io/CSINode", CSI_NODE_PRINTER],
  ["storage.k8s.io/CSIStorageCapacity", CSI_STORAGE_CAPACITY_PRINTER],
  ["storage.k8s.io/VolumeAttributesClass", VOLUME_ATTRIBUTES_CLASS_PRINTER],
  ["scheduling.k8s.io/PriorityClass", PRIORITY_CLASS_PRINTER],
  ["events.k8s.io/Event", EVENTS_V1_EVENT_PRINTER],
  ["rbac.authorization.k8s.io/RoleBinding", bindingPrinter("role binding")],
  ["rbac.authorization.k8s.io/ClusterRoleBinding", bindingPrinter("cluster role binding")],
  ["node.k8s.io/RuntimeClass", RUNTIME_CLASS_PRINTER],
  ["admissionregistration.k8s.io/MutatingWebhookConfiguration", WEBHOOK_CONFIGURATION_PRINTER],
  ["admissionregistration.k8s.io/ValidatingWebhookConfiguration", WEBHOOK_CONFIGURATION_PRINTER],
  ["admissionregistration.k8s.io/ValidatingAdmissionPolicy", VALIDATING_ADMISSION_POLICY_PRINTER],
  ["certificates.k8s.io/CertificateSigningRequest", CERTIFICATE_SIGNING_REQUEST_PRINTER],
  ["autoscaling/HorizontalPodAutoscaler", HORIZONTAL_POD_AUTOSCALER_PRINTER],
]);
