/**
 * The Node authorizer: a node's credential (`system:node:<name>` in `system:nodes`) reaches
 * only what its own pods need, as kube-apiserver's Node authorization mode (v1.33, with
 * AuthorizeNodeWithSelectors on):
 *
 * - its pods: `get` of a pod bound to it, `list`/`watch` only with the field selector
 *   `spec.nodeName=<node>`; `create`/`delete`, `status` updates and evictions are allowed here
 *   and narrowed to its own pods by the NodeRestriction admission plugin;
 * - the Secrets, ConfigMaps, PersistentVolumeClaims, PersistentVolumes and ServiceAccount
 *   tokens its pods reference (through volumes, env, image pull secrets, the pod's
 *   ServiceAccount, and PVC → PV → Secret);
 * - its own Node object and Lease (`kube-node-lease`);
 * - everything else only through the static node rules (services, events, reviews, …).
 *
 * Non-nodes get no opinion, so the next authorizer (RBAC) decides. The relationships come
 * from the shared pod and PersistentVolume views and are kept as reverse indexes: a decision
 * costs a few map lookups whatever the cluster size.
 *
 * @example A node reads a secret its pod mounts, and no other
 * ```ts
 * import assert from "node:assert/strict";
 * import { NodeAuthorizer } from "./node_authorizer.ts";
 *
 * const pod = {
 *   metadata: { namespace: "default", name: "web" },
 *   spec: { nodeName: "edge-1", containers: [], volumes: [{ name: "s", secret: { secretName: "tls" } }] },
 * };
 * using authz = new NodeAuthorizer({ pods: { list: () => [pod], onChange: () => () => {} } });
 * const ask = (node: string) =>
 *   authz.authorize({
 *     user: { username: `system:node:${node}`, groups: ["system:nodes", "system:authenticated"] },
 *     verb: "get", resourceRequest: true, path: "/api/v1/namespaces/default/secrets/tls",
 *     apiGroup: "", apiVersion: "v1", resource: "secrets", subresource: "",
 *     namespace: "default", name: "tls",
 *   }).decision;
 * assert.equal(ask("edge-1"), "allow");
 * assert.equal(ask("edge-2"), "noOpinion");
 * ```
 *
 * @module
 */
import type { RequestUser } from "../handlers/context.ts";
import { parseFieldSelector } from "../selectors/field_selector.ts";
import type { ViewChange } from "../store/object_view.ts";
import { NODE_LEASE_NAMESPACE } from "../types/coordination_v1.ts";
import type { Pod } from "../types/core_v1_pod.ts";
import type { PersistentVolume } from "../types/core_v1_storage.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import { NodeGraph, type VertexKind } from "./_node_graph.ts";
import { NODE_RULES, rulesAllow } from "./_node_rules.ts";
import type { AuthorizationAttributes, AuthorizationResult, Authorizer } from "./authorizer.ts";

export { NODE_RULES, type NodePolicyRule } from "./_node_rules.ts";
export {
  isMirrorPod,
  podClaimNames,
  visitPodConfigMapNames,
  visitPodSecretNames,
} from "./_pod_references.ts";

/** The group every node credential carries. */
export const NODES_GROUP = "system:nodes";
/** The prefix of a node's user name. */
export const NODE_USER_PREFIX = "system:node:";

/** Who a user is as a node (upstream `nodeidentifier.NodeIdentity`). */
export interface NodeIdentity {
  /** Whether the user is a node: named `system:node:…` and in `system:nodes`. */
  readonly isNode: boolean;
  /** The node's name ("" when the user name has nothing after the prefix). */
  readonly nodeName: string;
}

const NOT_A_NODE: NodeIdentity = Object.freeze({ isNode: false, nodeName: "" });

/** The node identity of `user`. */
export function nodeIdentity(user: Pick<RequestUser, "username" | "groups">): NodeIdentity {
  if (!user.username.startsWith(NODE_USER_PREFIX)) return NOT_A_NODE;
  if (!user.groups.includes(NODES_GROUP)) return NOT_A_NODE;
  return { isNode: true, nodeName: user.username.slice(NODE_USER_PREFIX.length) };
}

/** What the authorizer follows: a view's objects and its changes (an `ObjectView`). */
export interface ObjectSource {
  list(): Iterable<KubeObject>;
  onChange(fn: (c: ViewChange) => void): () => void;
}

/** Options of {@linkcode NodeAuthorizer}. */
export interface NodeAuthorizerOptions {
  /** The view of `/registry/pods/`. */
  readonly pods: ObjectSource;
  /** The view of `/registry/persistentvolumes/`; without it no PV is reachable. */
  readonly persistentVolumes?: ObjectSource;
}

/** What `rulesFor` answers for a node: its rules cannot be listed, as upstream. */
export interface NodeRulesAnswer {
  readonly incomplete: true;
  readonly evaluationError: string;
}

const NO_OPINION: AuthorizationResult = Object.freeze({ decision: "noOpinion", reason: "" });
const ALLOW: AuthorizationResult = Object.freeze({ decision: "allow", reason: "" });

function noOpinion(reason: string): AuthorizationResult {
  return { decision: "noOpinion", reason };
}

function noRelationship(node: string): AuthorizationResult {
  return noOpinion(`no relationship found between node '${node}' and this object`);
}

/** Subscribes to `source` and feeds what it holds now. */
function follow(source: ObjectSource, apply: (c: ViewChange) => void): () => void {
  const stop = source.onChange(apply);
  for (const object of source.list()) apply({ type: "added", key: "", object });
  return stop;
}

/** The requirements of a field selector, or none if it does not parse. */
function fieldRequirements(selector: string | undefined) {
  if (!selector) return [];
  try {
    return parseFieldSelector(selector).requirements;
  } catch {
    return [];
  }
}

/**
 * The object name of a request; for `list`/`watch`, the `metadata.name=` of its field selector
 * (as kube-apiserver's request info fills it in).
 */
function requestName(a: AuthorizationAttributes): string {
  if (a.name || (a.verb !== "list" && a.verb !== "watch")) return a.name;
  for (const r of fieldRequirements(a.fieldSelector)) {
    if (r.field === "metadata.name" && r.operator === "=") return r.value;
  }
  return "";
}

/** The Node authorizer. */
export class NodeAuthorizer implements Authorizer, Disposable {
  readonly #graph = new NodeGraph();
  readonly #stops: (() => void)[] = [];

  constructor(options: NodeAuthorizerOptions) {
    this.#stops.push(follow(options.pods, (c) => this.#onPod(c)));
    if (options.persistentVolumes) {
      this.#stops.push(follow(options.persistentVolumes, (c) => this.#onPv(c)));
    }
  }

  #onPod(c: ViewChange): void {
    const pod = c.object as Pod;
    if (c.type === "deleted") {
      this.#graph.deletePod(`${pod.metadata?.namespace ?? ""}/${pod.metadata?.name ?? ""}`);
    } else {
      this.#graph.putPod(pod);
    }
  }

  #onPv(c: ViewChange): void {
    const pv = c.object as PersistentVolume;
    if (c.type === "deleted") this.#graph.deletePv(pv.metadata?.name ?? "");
    else this.#graph.putPv(pv);
  }

  /** Stops following the views. */
  [Symbol.dispose](): void {
    for (const stop of this.#stops.splice(0)) stop();
  }

  /** How many pods, PVs and referenced objects the graph holds. */
  get graphSize(): { pods: number; pvs: number; objects: number } {
    return this.#graph.size;
  }

  /**
   * For SelfSubjectRulesReview: a node's permissions cannot be enumerated (null for other
   * users, whose rules this authorizer has no say in).
   */
  rulesFor(user: Pick<RequestUser, "username" | "groups">): NodeRulesAnswer | null {
    if (!nodeIdentity(user).isNode) return null;
    return {
      incomplete: true,
      evaluationError: "node authorizer does not support user rule resolution",
    };
  }

  authorize(attrs: AuthorizationAttributes): AuthorizationResult {
    const { isNode, nodeName } = nodeIdentity(attrs.user);
    if (!isNode) return NO_OPINION;
    if (!nodeName) return noOpinion(`unknown node for user ${JSON.stringify(attrs.user.username)}`);
    if (!attrs.resourceRequest) return NO_OPINION;
    const a = { ...attrs, name: requestName(attrs) };
    switch (`${a.apiGroup}/${a.resource}`) {
      case "/secrets":
        return this.#readNamespaced(nodeName, "secret", a);
      case "/configmaps":
        return this.#readNamespaced(nodeName, "configmap", a);
      case "/persistentvolumeclaims":
        return a.subresource === "status"
          ? this.#statusUpdate(nodeName, "pvc", a)
          : this.#get(nodeName, "pvc", a);
      case "/persistentvolumes":
        return this.#get(nodeName, "pv", a);
      case "resource.k8s.io/resourceclaims":
      case "storage.k8s.io/volumeattachments":
        // skiff keeps no graph of these: a node reaches none of them.
        return this.#get(nodeName, null, a);
      case "/serviceaccounts":
        return this.#createToken(nodeName, a);
      case "coordination.k8s.io/leases":
        return this.#lease(nodeName, a);
      case "storage.k8s.io/csinodes":
        return this.#csiNode(nodeName, a);
      case "resource.k8s.io/resourceslices":
        return this.#resourceSlice(nodeName, a);
      case "/nodes":
        return this.#node(nodeName, a);
      case "/pods":
        return this.#pod(nodeName, a);
    }
    return rulesAllow(NODE_RULES, a) ? ALLOW : NO_OPINION;
  }

  /** Whether the graph links the named object to the node. */
  #related(
    node: string,
    kind: VertexKind | null,
    a: AuthorizationAttributes,
  ): AuthorizationResult {
    if (!a.name) return noOpinion("No Object name found");
    if (kind === null) return noRelationship(node);
    const ok = this.#graph.hasPath(node, { kind, namespace: a.namespace, name: a.name });
    return ok ? ALLOW : noRelationship(node);
  }

  #get(node: string, kind: VertexKind | null, a: AuthorizationAttributes): AuthorizationResult {
    if (a.verb !== "get") return noOpinion("can only get individual resources of this type");
    if (a.subresource) return noOpinion("cannot get subresource");
    return this.#related(node, kind, a);
  }

  #readNamespaced(
    node: string,
    kind: VertexKind,
    a: AuthorizationAttributes,
  ): AuthorizationResult {
    if (a.verb !== "get" && a.verb !== "list" && a.verb !== "watch") {
      return noOpinion("can only read resources of this type");
    }
    if (a.subresource) return noOpinion("cannot read subresource");
    if (!a.namespace) return noOpinion("can only read namespaced object of this type");
    return this.#related(node, kind, a);
  }

  #statusUpdate(node: string, kind: VertexKind, a: AuthorizationAttributes): AuthorizationResult {
    if (a.verb !== "update" && a.verb !== "patch") {
      return noOpinion("can only get/update/patch this type");
    }
    if (a.subresource !== "status") return noOpinion("can only update status subresource");
    return this.#related(node, kind, a);
  }

  #createToken(node: string, a: AuthorizationAttributes): AuthorizationResult {
    if (a.verb !== "create" || !a.name) {
      return noOpinion("can only create tokens for individual service accounts");
    }
    if (a.subresource !== "token") {
      return noOpinion("can only create token subresource of serviceaccount");
    }
    return this.#related(node, "serviceaccount", a);
  }

  #lease(node: string, a: AuthorizationAttributes): AuthorizationResult {
    if (!["get", "create", "update", "patch", "delete"].includes(a.verb)) {
      return noOpinion("can only get, create, update, patch, or delete a node lease");
    }
    if (a.namespace !== NODE_LEASE_NAMESPACE) {
      return noOpinion(`can only access leases in the "${NODE_LEASE_NAMESPACE}" system namespace`);
    }
    // The name of a create is checked by NodeRestriction, which sees the object.
    if (a.verb !== "create" && a.name !== node) {
      return noOpinion("can only access node lease with the same name as the requesting node");
    }
    return ALLOW;
  }

  #csiNode(node: string, a: AuthorizationAttributes): AuthorizationResult {
    if (!["get", "create", "update", "patch", "delete"].includes(a.verb)) {
      return noOpinion("can only get, create, update, patch, or delete a CSINode");
    }
    if (a.subresource) return noOpinion("cannot authorize CSINode subresources");
    if (a.verb !== "create" && a.name !== node) {
      return noOpinion("can only access CSINode with the same name as the requesting node");
    }
    return ALLOW;
  }

  #resourceSlice(node: string, a: AuthorizationAttributes): AuthorizationResult {
    if (a.subresource) return noOpinion("cannot authorize ResourceSlice subresources");
    switch (a.verb) {
      case "create":
        return ALLOW;
      case "get":
      case "update":
      case "patch":
      case "delete":
        return this.#related(node, null, a);
      case "watch":
      case "list":
      case "deletecollection":
        for (const r of fieldRequirements(a.fieldSelector)) {
          if (r.field === "nodeName" && r.operator === "=" && r.value === node) return ALLOW;
        }
        return noOpinion(
          "can only list/watch/deletecollection resourceslices with nodeName field selector",
        );
    }
    return noOpinion(
      "only the following verbs are allowed for a ResourceSlice: get, watch, list, create, update, patch, delete, deletecollection",
    );
  }

  #node(node: string, a: AuthorizationAttributes): AuthorizationResult {
    if (a.subresource === "") {
      switch (a.verb) {
        case "create":
        case "update":
        case "patch":
          // NodeRestriction limits these to the node's own object.
          return ALLOW;
        case "get":
        case "list":
        case "watch":
          // By name, not through the graph: a node reads its Node before it registers.
          if (a.name === node) return ALLOW;
          if (a.name === "") {
            return noOpinion(`node '${node}' cannot read all nodes, only its own Node object`);
          }
          return noOpinion(`node '${node}' cannot read '${a.name}', only its own Node object`);
      }
    } else if (a.subresource === "status" && (a.verb === "update" || a.verb === "patch")) {
      return ALLOW;
    }
    return NO_OPINION;
  }

  #pod(node: string, a: AuthorizationAttributes): AuthorizationResult {
    switch (a.subresource) {
      case "":
        switch (a.verb) {
          case "get":
            return this.#get(node, "pod", a);
          case "list":
          case "watch":
            for (const r of fieldRequirements(a.fieldSelector)) {
              if (r.field === "spec.nodeName" && r.operator === "=" && r.value === node) {
                return ALLOW;
              }
            }
            if (a.name) return this.#related(node, "pod", a);
            return noOpinion("can only list/watch pods with spec.nodeName field selector");
          case "create":
          case "delete":
            // Mirror pods; NodeRestriction limits them to pods bound to the node.
            return ALLOW;
        }
        break;
      case "status":
        if (a.verb === "update" || a.verb === "patch") return ALLOW;
        break;
      case "eviction":
        if (a.verb === "create") return ALLOW;
        break;
    }
    return NO_OPINION;
  }
}
