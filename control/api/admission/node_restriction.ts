/**
 * The NodeRestriction admission plugin: what the Node authorizer allows a node in general
 * (writing Nodes, pods, pod status, evictions, Leases, tokens), this plugin narrows to the
 * node's own objects, as kube-apiserver's (v1.33, ServiceAccountNodeAudienceRestriction on):
 *
 * - its own Node only, without setting `node-restriction.kubernetes.io/` labels or
 *   `kubernetes.io`/`k8s.io` labels outside the kubelet's list, without changing its taints
 *   or its config source;
 * - status updates and deletes of pods bound to it, and evictions of them;
 * - creating only mirror pods: bound to itself, owned by its Node, naming no other object;
 * - its own Lease in `kube-node-lease`;
 * - tokens (`serviceaccounts/token`) only bound to a pod on the node (name and uid checked)
 *   and for an audience that pod uses (or one an authorizer grants it);
 * - PVC status updates only of `status.capacity`, `status.conditions` and the allocation
 *   fields.
 *
 * Requests from other users pass untouched. Refusals are 403s with upstream's messages
 * (`pods "web" is forbidden: node "edge-2" can only delete pods with spec.nodeName set to
 * itself`). It runs in the mutating phase, after ServiceAccount, as upstream orders it.
 *
 * @example A node may not update another node's pod status
 * ```ts
 * import assert from "node:assert/strict";
 * import { NodeRestriction } from "./node_restriction.ts";
 *
 * const plugin = new NodeRestriction({ pods: { getByName: () => undefined } });
 * const pod = { metadata: { name: "web", namespace: "default" }, spec: { nodeName: "edge-1" } };
 * await assert.rejects(
 *   plugin.admit({
 *     operation: "UPDATE", def: { group: "", resource: "pods" } as never, namespace: "default",
 *     name: "web", subresource: "status", object: pod, oldObject: pod, dryRun: false,
 *     username: "system:node:edge-2", groups: ["system:nodes"],
 *   }),
 *   /node "edge-2" can only update pod status for pods with spec.nodeName set to itself/,
 * );
 * ```
 *
 * @module
 */
import { NODE_LEASE_NAMESPACE } from "../types/coordination_v1.ts";
import {
  isMirrorPod,
  nodeIdentity,
  visitPodConfigMapNames,
  visitPodSecretNames,
} from "../auth/node_authorizer.ts";
import type { Authorizer } from "../auth/authorizer.ts";
import { ApiError } from "../errors.ts";
import { MIRROR_POD_ANNOTATION, type Pod } from "../types/core_v1_pod.ts";
import type { Node } from "../types/core_v1_node.ts";
import type { TokenRequest } from "../types/authentication_v1.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import type { AdmissionAttributes, AdmissionPlugin } from "./admission.ts";
import { admissionForbidden } from "./_forbidden.ts";

/** Finds an object by namespace and name (an `ObjectView`). */
export interface ObjectLookup {
  getByName(namespace: string, name: string): KubeObject | undefined;
}

/** Options of {@linkcode NodeRestriction}. */
export interface NodeRestrictionOptions {
  /** The view of `/registry/pods/` (the pods of evictions and token requests). */
  readonly pods: ObjectLookup;
  /** The view of `/registry/nodes/` (the owner UID of mirror pods); without it they are refused. */
  readonly nodes?: ObjectLookup;
  /**
   * Asked whether a node may request a token for an audience its pod does not use
   * (verb `request-serviceaccounts-token-audience`, resource = the audience); without it,
   * such requests are refused.
   */
  readonly authorizer?: Authorizer;
}

/** Label keys a kubelet may set on its own Node (upstream `kubeletapis.IsKubeletLabel`). */
const KUBELET_LABELS = new Set([
  "kubernetes.io/hostname",
  "topology.kubernetes.io/zone",
  "topology.kubernetes.io/region",
  "failure-domain.beta.kubernetes.io/zone",
  "failure-domain.beta.kubernetes.io/region",
  "beta.kubernetes.io/instance-type",
  "node.kubernetes.io/instance-type",
  "kubernetes.io/os",
  "kubernetes.io/arch",
  "beta.kubernetes.io/os",
  "beta.kubernetes.io/arch",
]);
/** Label namespaces (and their subdomains) a kubelet may set. */
const KUBELET_LABEL_NAMESPACES = ["kubelet.kubernetes.io", "node.kubernetes.io"];
/** The label namespace only administrators may set on Nodes. */
const NODE_RESTRICTION_LABEL_NAMESPACE = "node-restriction.kubernetes.io";

function labelNamespace(key: string): string {
  const slash = key.indexOf("/");
  return slash < 0 ? "" : key.slice(0, slash);
}

function inNamespace(ns: string, domain: string): boolean {
  return ns === domain || ns.endsWith(`.${domain}`);
}

/** Whether a node may set the label `key` on itself. */
export function isKubeletLabel(key: string): boolean {
  if (KUBELET_LABELS.has(key)) return true;
  const ns = labelNamespace(key);
  return KUBELET_LABEL_NAMESPACES.some((d) => inNamespace(ns, d));
}

/** The label keys whose presence or value differs between `a` and `b`. */
function modifiedLabels(
  a: Readonly<Record<string, string>> | undefined,
  b: Readonly<Record<string, string>> | undefined,
): Set<string> {
  const out = new Set<string>();
  const x = a ?? {};
  const y = b ?? {};
  for (const [k, v] of Object.entries(x)) if (y[k] !== v) out.add(k);
  for (const [k, v] of Object.entries(y)) if (x[k] !== v) out.add(k);
  return out;
}

/** The labels a node may not add, remove or change on itself, sorted. */
export function forbiddenNodeLabels(modified: Iterable<string>): string[] {
  const out: string[] = [];
  for (const key of modified) {
    const ns = labelNamespace(key);
    const restricted = inNamespace(ns, NODE_RESTRICTION_LABEL_NAMESPACE);
    const kubernetes = inNamespace(ns, "kubernetes.io") || inNamespace(ns, "k8s.io");
    if (restricted || (kubernetes && !isKubeletLabel(key))) out.push(key);
  }
  return out.sort();
}

/**
 * Deep equality as apimachinery's semantic equality treats JSON: a missing field, `null`, an
 * empty list and an empty map are the same.
 */
function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  return typeof v === "object" && Object.keys(v as object).length === 0;
}

/** The paths where `a` and `b` differ (`spec.resources`), for the PVC status message. */
function differences(a: unknown, b: unknown, path: string, out: string[]): void {
  if (isEmpty(a) && isEmpty(b)) return;
  if (
    a && b && typeof a === "object" && typeof b === "object" &&
    Array.isArray(a) === Array.isArray(b)
  ) {
    const x = a as Record<string, unknown>;
    const y = b as Record<string, unknown>;
    const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
    for (const k of [...keys].sort()) differences(x[k], y[k], path ? `${path}.${k}` : k, out);
    return;
  }
  if (a !== b) out.push(path);
}

function labelsEqual(
  a: Readonly<Record<string, string>> | undefined,
  b: Readonly<Record<string, string>> | undefined,
): boolean {
  return modifiedLabels(a, b).size === 0;
}

interface ClaimStatus {
  readonly name?: string;
  readonly resourceClaimName?: string | null;
}

function claimStatusesEqual(
  a: readonly ClaimStatus[] | undefined,
  b: readonly ClaimStatus[] | undefined,
): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length &&
    x.every((s, i) =>
      s.name === y[i]!.name && (s.resourceClaimName ?? null) === (y[i]!.resourceClaimName ?? null)
    );
}

/** The NodeRestriction admission plugin. */
export class NodeRestriction implements AdmissionPlugin {
  readonly name = "NodeRestriction";
  readonly #o: NodeRestrictionOptions;

  constructor(options: NodeRestrictionOptions) {
    this.#o = options;
  }

  async admit(a: AdmissionAttributes): Promise<void> {
    this.#check(a);
    const { isNode, nodeName } = nodeIdentity(a);
    if (isNode && a.def.group === "" && a.def.resource === "serviceaccounts") {
      await this.#serviceAccountAudience(nodeName, a);
    }
  }

  #check(a: AdmissionAttributes): void {
    if (a.operation === "CONNECT") return;
    const { isNode, nodeName } = nodeIdentity(a);
    if (!isNode) return;
    if (!nodeName) {
      throw admissionForbidden(
        a,
        `could not determine node from user ${JSON.stringify(a.username)}`,
      );
    }
    switch (`${a.def.group}/${a.def.resource}`) {
      case "/pods":
        switch (a.subresource) {
          case "":
            return this.#pod(nodeName, a);
          case "status":
            return podStatus(nodeName, a);
          case "eviction":
            return this.#podEviction(nodeName, a);
          default:
            throw admissionForbidden(
              a,
              `unexpected pod subresource ${
                JSON.stringify(a.subresource)
              }, only 'status' and 'eviction' are allowed`,
            );
        }
      case "/nodes":
        return nodeObject(nodeName, a);
      case "/persistentvolumeclaims":
        if (a.subresource !== "status") throw admissionForbidden(a, "may only update PVC status");
        return pvcStatus(nodeName, a);
      case "/serviceaccounts":
        return this.#serviceAccount(nodeName, a);
      case "coordination.k8s.io/leases":
        return lease(nodeName, a);
      case "storage.k8s.io/csinodes":
        return csiNode(nodeName, a);
    }
  }

  #existingPod(a: AdmissionAttributes, name: string): Pod {
    const pod = this.#o.pods.getByName(a.namespace, name);
    if (!pod) throw ApiError.notFound({ group: "", resource: "pod" }, name);
    return pod as Pod;
  }

  #pod(node: string, a: AdmissionAttributes): void {
    switch (a.operation) {
      case "CREATE":
        return this.#podCreate(node, a);
      case "DELETE": {
        const pod = (a.oldObject ?? this.#existingPod(a, a.name)) as Pod;
        if ((pod.spec?.nodeName ?? "") !== node) {
          throw admissionForbidden(
            a,
            `node ${JSON.stringify(node)} can only delete pods with spec.nodeName set to itself`,
          );
        }
        return;
      }
      default:
        throw admissionForbidden(
          a,
          `unexpected operation ${JSON.stringify(a.operation)}, node ${
            JSON.stringify(node)
          } can only create and delete mirror pods`,
        );
    }
  }

  #podCreate(node: string, a: AdmissionAttributes): void {
    const pod = (a.object ?? {}) as Pod;
    const q = JSON.stringify(node);
    if (!isMirrorPod(pod)) {
      throw admissionForbidden(
        a,
        `pod does not have ${
          JSON.stringify(MIRROR_POD_ANNOTATION)
        } annotation, node ${q} can only create mirror pods`,
      );
    }
    if ((pod.spec?.nodeName ?? "") !== node) {
      throw admissionForbidden(
        a,
        `node ${q} can only create pods with spec.nodeName set to itself`,
      );
    }
    const owners = pod.metadata?.ownerReferences ?? [];
    if (owners.length > 1) {
      throw admissionForbidden(
        a,
        `node ${q} can only create pods with a single owner reference set to itself`,
      );
    }
    const owner = owners[0];
    if (!owner) {
      throw admissionForbidden(
        a,
        `node ${q} can only create pods with an owner reference set to itself`,
      );
    }
    if (owner.apiVersion !== "v1" || owner.kind !== "Node" || owner.name !== node) {
      throw admissionForbidden(
        a,
        `node ${q} can only create pods with an owner reference set to itself`,
      );
    }
    if (owner.controller !== true) {
      throw admissionForbidden(
        a,
        `node ${q} can only create pods with a controller owner reference set to itself`,
      );
    }
    if (owner.blockOwnerDeletion === true) {
      throw admissionForbidden(
        a,
        `node ${q} must not set blockOwnerDeletion on an owner reference`,
      );
    }
    const self = this.#o.nodes?.getByName("", node);
    if (!self) throw ApiError.notFound({ group: "", resource: "node" }, node);
    const uid = self.metadata?.uid ?? "";
    if (owner.uid !== uid) {
      throw admissionForbidden(a, `node ${node} UID mismatch: expected ${owner.uid} got ${uid}`);
    }
    if (pod.spec?.serviceAccountName) {
      throw admissionForbidden(a, `node ${q} can not create pods that reference a service account`);
    }
    if (!visitPodSecretNames(pod, () => false)) {
      throw admissionForbidden(a, `node ${q} can not create pods that reference secrets`);
    }
    if (!visitPodConfigMapNames(pod, () => false)) {
      throw admissionForbidden(a, `node ${q} can not create pods that reference configmaps`);
    }
    const volumes = pod.spec?.volumes ?? [];
    if (volumes.some((v) => (v.projected?.sources ?? []).some((s) => s.clusterTrustBundle))) {
      throw admissionForbidden(
        a,
        `node ${q} can not create pods that reference clustertrustbundles`,
      );
    }
    if (volumes.some((v) => v.persistentVolumeClaim)) {
      throw admissionForbidden(
        a,
        `node ${q} can not create pods that reference persistentvolumeclaims`,
      );
    }
  }

  /**
   * Evictions: upstream admits the CREATE of the Eviction; skiff's eviction handler admits the
   * pod's DELETE under the `eviction` subresource, with the pod as the old object. Both are
   * checked here.
   */
  #podEviction(node: string, a: AdmissionAttributes): void {
    let pod: Pod;
    if (a.operation === "CREATE") {
      const name = a.name || (a.object?.metadata?.name ?? "");
      if (!name) throw admissionForbidden(a, "could not determine pod from request data");
      pod = this.#existingPod(a, name);
    } else if (a.operation === "DELETE") {
      pod = (a.oldObject ?? this.#existingPod(a, a.name)) as Pod;
    } else {
      throw admissionForbidden(a, `unexpected operation ${a.operation}`);
    }
    if ((pod.spec?.nodeName ?? "") !== node) {
      throw admissionForbidden(
        a,
        `node ${node} can only evict pods with spec.nodeName set to itself`,
      );
    }
  }

  #serviceAccount(node: string, a: AdmissionAttributes): void {
    if (a.operation !== "CREATE" || a.subresource !== "token") return;
    const tr = (a.object ?? {}) as TokenRequest;
    const ref = tr.spec?.boundObjectRef;
    if (!ref || ref.apiVersion !== "v1" || ref.kind !== "Pod" || !ref.name) {
      throw admissionForbidden(a, "node requested token not bound to a pod");
    }
    if (!ref.uid) {
      throw admissionForbidden(a, "node requested token with a pod binding without a uid");
    }
    const pod = this.#existingPod(a, ref.name);
    if (ref.uid !== pod.metadata?.uid) {
      throw admissionForbidden(
        a,
        `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
      );
    }
    if ((pod.spec?.nodeName ?? "") !== node) {
      throw admissionForbidden(
        a,
        "node requested token bound to a pod scheduled on a different node",
      );
    }
    if ((tr.spec?.audiences ?? []).length > 1) {
      throw admissionForbidden(a, "node may only request 0 or 1 audiences");
    }
  }

  /**
   * A node may ask only for an audience its pod uses (a projected `serviceAccountToken`
   * volume), unless an authorizer grants `request-serviceaccounts-token-audience` on it.
   * skiff serves no CSIDriver objects, so CSI token audiences never count.
   */
  async #serviceAccountAudience(node: string, a: AdmissionAttributes): Promise<void> {
    if (a.operation !== "CREATE" || a.subresource !== "token") return;
    const tr = (a.object ?? {}) as TokenRequest;
    const audience = tr.spec?.audiences?.[0] ?? "";
    const pod = this.#existingPod(a, tr.spec?.boundObjectRef?.name ?? "");
    for (const v of pod.spec?.volumes ?? []) {
      for (const s of v.projected?.sources ?? []) {
        if (s.serviceAccountToken && (s.serviceAccountToken.audience ?? "") === audience) return;
      }
    }
    if (this.#o.authorizer) {
      const res = await this.#o.authorizer.authorize({
        user: a.user ?? { username: a.username, groups: a.groups },
        verb: "request-serviceaccounts-token-audience",
        resourceRequest: true,
        path: "",
        apiGroup: "",
        apiVersion: "v1",
        resource: audience,
        subresource: "",
        namespace: a.namespace,
        name: a.name,
      });
      if (res.decision === "allow") return;
    }
    throw admissionForbidden(
      a,
      `audience ${
        JSON.stringify(audience)
      } not found in pod spec volume, system:node:${node} is not authorized to request tokens for this audience`,
    );
  }
}

function podStatus(node: string, a: AdmissionAttributes): void {
  if (a.operation !== "UPDATE") {
    throw admissionForbidden(a, `unexpected operation ${JSON.stringify(a.operation)}`);
  }
  const q = JSON.stringify(node);
  const old = (a.oldObject ?? {}) as Pod;
  if ((old.spec?.nodeName ?? "") !== node) {
    throw admissionForbidden(
      a,
      `node ${q} can only update pod status for pods with spec.nodeName set to itself`,
    );
  }
  const pod = (a.object ?? {}) as Pod;
  if (!labelsEqual(old.metadata?.labels, pod.metadata?.labels)) {
    throw admissionForbidden(a, `node ${q} cannot update labels through pod status`);
  }
  if (!claimStatusesEqual(old.status?.resourceClaimStatuses, pod.status?.resourceClaimStatuses)) {
    throw admissionForbidden(a, `node ${q} cannot update resource claim statues`);
  }
}

/** Status fields a node may change on a claim (capacity, conditions, expansion recovery). */
const PVC_NODE_STATUS_FIELDS = [
  "capacity",
  "conditions",
  "allocatedResourceStatuses",
  "allocatedResources",
];

function pvcStatus(node: string, a: AdmissionAttributes): void {
  if (a.operation !== "UPDATE") {
    throw admissionForbidden(a, `unexpected operation ${JSON.stringify(a.operation)}`);
  }
  const strip = (o: KubeObject | undefined): KubeObject => {
    const c = structuredClone(o ?? {}) as KubeObject & { status?: Record<string, unknown> };
    if (c.metadata) {
      delete c.metadata.resourceVersion;
      delete c.metadata.managedFields;
    }
    if (c.status) { for (const f of PVC_NODE_STATUS_FIELDS) delete c.status[f]; }
    return c;
  };
  const diff: string[] = [];
  differences(strip(a.oldObject), strip(a.object), "", diff);
  if (diff.length > 0) {
    throw admissionForbidden(
      a,
      `node ${
        JSON.stringify(node)
      } is not allowed to update fields other than status.capacity and status.conditions: ${
        diff.join(", ")
      }`,
    );
  }
}

function nodeObject(node: string, a: AdmissionAttributes): void {
  const q = JSON.stringify(node);
  if (a.name !== node) {
    throw admissionForbidden(
      a,
      `node ${q} is not allowed to modify node ${JSON.stringify(a.name)}`,
    );
  }
  const obj = (a.object ?? {}) as Node;
  if (a.operation === "CREATE") {
    if (obj.spec?.configSource) {
      throw admissionForbidden(
        a,
        `node ${q} is not allowed to create pods with a non-nil configSource`,
      );
    }
    const bad = forbiddenNodeLabels(modifiedLabels(obj.metadata?.labels, undefined));
    if (bad.length > 0) {
      throw admissionForbidden(
        a,
        `node ${q} is not allowed to set the following labels: ${bad.join(", ")}`,
      );
    }
  } else if (a.operation === "UPDATE") {
    const old = (a.oldObject ?? {}) as Node;
    if (
      obj.spec?.configSource &&
      JSON.stringify(obj.spec.configSource) !== JSON.stringify(old.spec?.configSource ?? null)
    ) {
      throw admissionForbidden(
        a,
        `node ${q} is not allowed to update configSource to a new non-nil configSource`,
      );
    }
    const taints: string[] = [];
    differences(old.spec?.taints, obj.spec?.taints, "taints", taints);
    if (taints.length > 0) throw admissionForbidden(a, `node ${q} is not allowed to modify taints`);
    const bad = forbiddenNodeLabels(modifiedLabels(obj.metadata?.labels, old.metadata?.labels));
    if (bad.length > 0) {
      throw admissionForbidden(a, `is not allowed to modify labels: ${bad.join(", ")}`);
    }
  }
}

function lease(node: string, a: AdmissionAttributes): void {
  if (a.namespace !== NODE_LEASE_NAMESPACE) {
    throw admissionForbidden(
      a,
      `can only access leases in the "${NODE_LEASE_NAMESPACE}" system namespace`,
    );
  }
  const name = a.operation === "CREATE" ? a.object?.metadata?.name ?? "" : a.name;
  if (name !== node) {
    throw admissionForbidden(
      a,
      "can only access node lease with the same name as the requesting node",
    );
  }
}

function csiNode(node: string, a: AdmissionAttributes): void {
  const name = a.operation === "CREATE" ? a.object?.metadata?.name ?? "" : a.name;
  if (name !== node) {
    throw admissionForbidden(
      a,
      "can only access CSINode with the same name as the requesting node",
    );
  }
}
