/**
 * The RBAC bootstrap policy: the ClusterRoles, ClusterRoleBindings, Roles and RoleBindings a
 * kube-apiserver (v1.33) creates at start (`cluster-admin`, the aggregated `admin`/`edit`/`view`,
 * `system:discovery`, `system:basic-user`, `system:node`, the component roles, the
 * `system:controller:*` roles of the controllers skiff runs), plus skiff's own roles: one letting
 * join tokens (`system:bootstrappers`) ask for node credentials, and one letting every node
 * (`system:nodes`) list and watch what its network components (Service proxy, cluster DNS,
 * NetworkPolicy, routes) follow cluster-wide — Services, EndpointSlices, Namespaces, Pods,
 * NetworkPolicies and Nodes — which the Node authorizer alone would refuse (it limits a node
 * to its own pods and Node object; RBAC decides what it has no opinion on). Every object carries the
 * label `kubernetes.io/bootstrapping: rbac-defaults` and the annotation
 * `rbac.authorization.kubernetes.io/autoupdate: "true"`.
 *
 * {@linkcode reconcileBootstrapPolicy} runs at every start, as upstream's `ensureRBACPolicy`:
 * it creates what is missing and, on objects still marked autoupdate, adds missing rules,
 * aggregation selectors, subjects, labels and annotations — never removing what users added —
 * and leaves objects annotated `autoupdate: "false"` alone.
 *
 * @example Reconcile at start, once the API serves
 * ```ts ignore
 * const summary = await reconcileBootstrapPolicy(client, logger);
 * // summary.created: ["clusterroles/cluster-admin", …] on a fresh cluster, [] afterwards
 * ```
 *
 * @module
 */
import type { Logger } from "../../util/logger.ts";
import type { InProcessClient } from "../in_process_client.ts";
import type {
  ClusterRole,
  ClusterRoleBinding,
  PolicyRule,
  Role,
  RoleBinding,
  Subject,
} from "../types/rbac_v1.ts";
import { ANNOTATION_AUTOUPDATE, RBAC_GROUP } from "../types/rbac_v1.ts";
import {
  type BindingLike,
  reconcileBinding,
  reconcileRole,
  type RoleLike,
} from "./_rbac_reconcile.ts";
import { NODE_NETWORKS_GROUP } from "./node_network_identity.ts";

/** The label every bootstrap object carries. */
export const BOOTSTRAP_LABELS: Readonly<Record<string, string>> = {
  "kubernetes.io/bootstrapping": "rbac-defaults",
};

/** The group of join (bootstrap) tokens. */
export const BOOTSTRAPPERS_GROUP = "system:bootstrappers";

/** The route a joining node asks for its credentials on (a non-resource URL). */
export const NODE_CREDENTIALS_PATH = "/v1-skiff/node-credentials";

/** skiff's ClusterRole (and ClusterRoleBinding) letting join tokens post to the join route. */
export const NODE_CREDENTIALS_ROLE = "system:skiff:node-credentials";

/**
 * skiff's ClusterRole (and ClusterRoleBinding, to `system:skiff:node-networks`) for the
 * nodes' network components, which act as each node's network identity (see
 * `node_network_identity.ts`): list and watch of what they follow across the cluster.
 */
export const NODE_NETWORK_ROLE = "system:skiff:node-network";

const READ = ["get", "list", "watch"];
const READ_WRITE = [
  "get",
  "list",
  "watch",
  "create",
  "update",
  "patch",
  "delete",
  "deletecollection",
];
const WRITE = ["create", "delete", "deletecollection", "patch", "update"];

/** Builds one rule; every list is sorted, as upstream's rule builder does. */
class RuleBuilder {
  readonly #verbs: string[];
  #groups: string[] = [];
  #resources: string[] = [];
  #names: string[] = [];
  #urls: string[] = [];

  constructor(verbs: readonly string[]) {
    this.#verbs = [...new Set(verbs)];
  }

  groups(...g: string[]): this {
    this.#groups.push(...g);
    return this;
  }

  resources(...r: string[]): this {
    this.#resources.push(...r);
    return this;
  }

  names(...n: string[]): this {
    this.#names.push(...n);
    return this;
  }

  urls(...u: string[]): this {
    this.#urls.push(...u);
    return this;
  }

  rule(): PolicyRule {
    const sorted = (l: string[]) => [...l].sort();
    const r: PolicyRule = { verbs: sorted(this.#verbs) };
    if (this.#groups.length) r.apiGroups = sorted(this.#groups);
    if (this.#resources.length) r.resources = sorted(this.#resources);
    if (this.#names.length) r.resourceNames = sorted(this.#names);
    if (this.#urls.length) r.nonResourceURLs = sorted(this.#urls);
    return r;
  }
}

function newRule(...verbs: (string | readonly string[])[]): RuleBuilder {
  return new RuleBuilder(verbs.flat());
}

/** Create, update and patch of core and events.k8s.io Events (upstream `eventsRule`). */
function eventsRule(): PolicyRule {
  return newRule("create", "update", "patch").groups("", "events.k8s.io").resources("events")
    .rule();
}

function meta(name: string, options: { namespace?: string; labels?: Record<string, string> }) {
  return {
    name,
    ...(options.namespace ? { namespace: options.namespace } : {}),
    labels: { ...BOOTSTRAP_LABELS, ...options.labels },
    annotations: { [ANNOTATION_AUTOUPDATE]: "true" },
  };
}

/** A rule, built or ready. */
type RuleSpec = RuleBuilder | PolicyRule;

function built(rules: readonly RuleSpec[]): PolicyRule[] {
  return rules.map((r) => r instanceof RuleBuilder ? r.rule() : r);
}

function clusterRole(
  name: string,
  rules: readonly RuleSpec[],
  options: { labels?: Record<string, string>; aggregateFrom?: string } = {},
): ClusterRole {
  const role: ClusterRole = {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    metadata: meta(name, options.labels ? { labels: options.labels } : {}),
  };
  if (options.aggregateFrom) {
    role.aggregationRule = {
      clusterRoleSelectors: [{
        matchLabels: {
          [`rbac.authorization.k8s.io/aggregate-to-${options.aggregateFrom}`]: "true",
        },
      }],
    };
  } else {
    role.rules = built(rules);
  }
  return role;
}

function aggregateTo(role: string): Record<string, string> {
  return { [`rbac.authorization.k8s.io/aggregate-to-${role}`]: "true" };
}

function user(name: string): Subject {
  return { kind: "User", apiGroup: RBAC_GROUP, name };
}

function group(name: string): Subject {
  return { kind: "Group", apiGroup: RBAC_GROUP, name };
}

function serviceAccount(namespace: string, name: string): Subject {
  return { kind: "ServiceAccount", name, namespace };
}

function clusterRoleBinding(role: string, subjects: readonly Subject[]): ClusterRoleBinding {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: meta(role, {}),
    roleRef: { apiGroup: RBAC_GROUP, kind: "ClusterRole", name: role },
    ...(subjects.length ? { subjects: [...subjects] } : {}),
  };
}

/** The ClusterRoles of upstream's `ClusterRoles()` plus skiff's join role. */
function clusterRoles(): ClusterRole[] {
  const r = newRule;
  const approver = (signer: string) =>
    clusterRole(`system:certificates.k8s.io:${signer}-approver`, [
      r("approve").groups("certificates.k8s.io").resources("signers").names(
        `kubernetes.io/${signer}`,
      ),
    ]);
  return [
    clusterRole("admin", [], { aggregateFrom: "admin" }),
    clusterRole("cluster-admin", [r("*").groups("*").resources("*"), r("*").urls("*")]),
    clusterRole("edit", [], { aggregateFrom: "edit", labels: aggregateTo("admin") }),
    clusterRole("system:aggregate-to-admin", [
      r("create").groups("authorization.k8s.io").resources("localsubjectaccessreviews"),
      r(READ_WRITE).groups("rbac.authorization.k8s.io").resources("roles", "rolebindings"),
    ], { labels: aggregateTo("admin") }),
    clusterRole("system:aggregate-to-edit", [
      r(READ).groups("").resources(
        "pods/attach",
        "pods/proxy",
        "pods/exec",
        "pods/portforward",
        "secrets",
        "services/proxy",
      ),
      r("impersonate").groups("").resources("serviceaccounts"),
      r(WRITE).groups("").resources(
        "pods",
        "pods/attach",
        "pods/proxy",
        "pods/exec",
        "pods/portforward",
      ),
      r("create").groups("").resources("pods/eviction"),
      r(WRITE).groups("").resources(
        "replicationcontrollers",
        "replicationcontrollers/scale",
        "serviceaccounts",
        "services",
        "services/proxy",
        "persistentvolumeclaims",
        "configmaps",
        "secrets",
        "events",
      ),
      r("create").groups("").resources("serviceaccounts/token"),
      r(WRITE).groups("apps").resources(
        "statefulsets",
        "statefulsets/scale",
        "daemonsets",
        "deployments",
        "deployments/scale",
        "deployments/rollback",
        "replicasets",
        "replicasets/scale",
      ),
      r(WRITE).groups("autoscaling").resources("horizontalpodautoscalers"),
      r(WRITE).groups("batch").resources("jobs", "cronjobs"),
      r(WRITE).groups("extensions").resources(
        "daemonsets",
        "deployments",
        "deployments/scale",
        "deployments/rollback",
        "ingresses",
        "replicasets",
        "replicasets/scale",
        "replicationcontrollers/scale",
        "networkpolicies",
      ),
      r(WRITE).groups("policy").resources("poddisruptionbudgets"),
      r(WRITE).groups("networking.k8s.io").resources("ingresses", "networkpolicies"),
      r(READ_WRITE).groups("coordination.k8s.io").resources("leases"),
    ], { labels: aggregateTo("edit") }),
    clusterRole("system:aggregate-to-view", [
      r(READ).groups("").resources(
        "pods",
        "replicationcontrollers",
        "replicationcontrollers/scale",
        "serviceaccounts",
        "services",
        "services/status",
        "endpoints",
        "persistentvolumeclaims",
        "persistentvolumeclaims/status",
        "configmaps",
      ),
      r(READ).groups("").resources(
        "limitranges",
        "resourcequotas",
        "bindings",
        "events",
        "pods/status",
        "resourcequotas/status",
        "namespaces/status",
        "replicationcontrollers/status",
        "pods/log",
      ),
      r(READ).groups("").resources("namespaces"),
      r(READ).groups("discovery.k8s.io").resources("endpointslices"),
      r(READ).groups("apps").resources(
        "controllerrevisions",
        "statefulsets",
        "statefulsets/status",
        "statefulsets/scale",
        "daemonsets",
        "daemonsets/status",
        "deployments",
        "deployments/status",
        "deployments/scale",
        "replicasets",
        "replicasets/status",
        "replicasets/scale",
      ),
      r(READ).groups("autoscaling").resources(
        "horizontalpodautoscalers",
        "horizontalpodautoscalers/status",
      ),
      r(READ).groups("batch").resources("jobs", "cronjobs", "cronjobs/status", "jobs/status"),
      r(READ).groups("extensions").resources(
        "daemonsets",
        "daemonsets/status",
        "deployments",
        "deployments/scale",
        "deployments/status",
        "ingresses",
        "ingresses/status",
        "replicasets",
        "replicasets/scale",
        "replicasets/status",
        "replicationcontrollers/scale",
        "networkpolicies",
      ),
      r(READ).groups("policy").resources("poddisruptionbudgets", "poddisruptionbudgets/status"),
      r(READ).groups("networking.k8s.io").resources(
        "ingresses",
        "ingresses/status",
        "networkpolicies",
      ),
    ], { labels: aggregateTo("view") }),
    clusterRole("system:auth-delegator", [
      r("create").groups("authentication.k8s.io").resources("tokenreviews"),
      r("create").groups("authorization.k8s.io").resources("subjectaccessreviews"),
    ]),
    clusterRole("system:basic-user", [
      r("create").groups("authorization.k8s.io").resources(
        "selfsubjectaccessreviews",
        "selfsubjectrulesreviews",
      ),
      r("create").groups("authentication.k8s.io").resources("selfsubjectreviews"),
    ]),
    clusterRole("system:certificates.k8s.io:certificatesigningrequests:nodeclient", [
      r("create").groups("certificates.k8s.io").resources("certificatesigningrequests/nodeclient"),
    ]),
    clusterRole("system:certificates.k8s.io:certificatesigningrequests:selfnodeclient", [
      r("create").groups("certificates.k8s.io").resources(
        "certificatesigningrequests/selfnodeclient",
      ),
    ]),
    approver("kube-apiserver-client"),
    approver("kube-apiserver-client-kubelet"),
    approver("kubelet-serving"),
    approver("legacy-unknown"),
    clusterRole("system:discovery", [
      r("get").urls(
        "/livez",
        "/readyz",
        "/healthz",
        "/version",
        "/version/",
        "/openapi",
        "/openapi/*",
        "/api",
        "/api/*",
        "/apis",
        "/apis/*",
      ),
    ]),
    clusterRole("system:heapster", [
      r(READ).groups("").resources("events", "pods", "nodes", "namespaces"),
      r(READ).groups("extensions").resources("deployments"),
    ]),
    clusterRole("system:kube-aggregator", [
      r(READ).groups("").resources("services", "endpoints"),
    ]),
    clusterRole("system:kube-controller-manager", [
      eventsRule(),
      r("create").groups("coordination.k8s.io").resources("leases"),
      r("get", "update").groups("coordination.k8s.io").resources("leases").names(
        "kube-controller-manager",
      ),
      r("create").groups("").resources("secrets", "serviceaccounts"),
      r("delete").groups("").resources("secrets"),
      r("get").groups("").resources("namespaces", "secrets", "serviceaccounts", "configmaps"),
      r("update").groups("").resources("secrets", "serviceaccounts"),
      r("create").groups("authentication.k8s.io").resources("tokenreviews"),
      r("create").groups("authorization.k8s.io").resources("subjectaccessreviews"),
      r("list", "watch").groups("*").resources("*"),
      r("create").groups("").resources("serviceaccounts/token"),
    ]),
    clusterRole("system:kube-dns", [
      r("list", "watch").groups("").resources("endpoints", "services"),
    ]),
    clusterRole("system:kube-scheduler", [
      eventsRule(),
      r("create").groups("coordination.k8s.io").resources("leases"),
      r("get", "update").groups("coordination.k8s.io").resources("leases").names(
        "kube-scheduler",
      ),
      r(READ).groups("").resources("nodes"),
      r("get", "list", "watch", "delete").groups("").resources("pods"),
      r("create").groups("").resources("pods/binding", "bindings"),
      r("patch", "update").groups("").resources("pods/status"),
      r(READ).groups("").resources("replicationcontrollers", "services"),
      r(READ).groups("apps", "extensions").resources("replicasets"),
      r(READ).groups("apps").resources("statefulsets"),
      r(READ).groups("policy").resources("poddisruptionbudgets"),
      r(READ).groups("").resources("persistentvolumeclaims", "persistentvolumes"),
      r("create").groups("authentication.k8s.io").resources("tokenreviews"),
      r("create").groups("authorization.k8s.io").resources("subjectaccessreviews"),
      r(READ).groups("storage.k8s.io").resources("csinodes"),
      r(READ).groups("").resources("namespaces"),
      r(READ).groups("storage.k8s.io").resources("csidrivers"),
      r(READ).groups("storage.k8s.io").resources("csistoragecapacities"),
    ]),
    clusterRole("system:kubelet-api-admin", [
      r(READ).groups("").resources("nodes"),
      r("proxy").groups("").resources("nodes"),
      r("*").groups("").resources("nodes/proxy", "nodes/metrics", "nodes/stats", "nodes/log"),
    ]),
    clusterRole("system:monitoring", [
      r("get").urls(
        "/metrics",
        "/metrics/slis",
        "/livez",
        "/readyz",
        "/healthz",
        "/livez/*",
        "/readyz/*",
        "/healthz/*",
      ),
    ]),
    clusterRole("system:node", [
      r("create").groups("authentication.k8s.io").resources("tokenreviews"),
      r("create").groups("authorization.k8s.io").resources(
        "subjectaccessreviews",
        "localsubjectaccessreviews",
      ),
      r(READ).groups("").resources("services"),
      r("create", "get", "list", "watch").groups("").resources("nodes"),
      r("update", "patch").groups("").resources("nodes/status"),
      r("update", "patch").groups("").resources("nodes"),
      r("create", "update", "patch").groups("").resources("events"),
      r(READ).groups("").resources("pods"),
      r("create", "delete").groups("").resources("pods"),
      r("update", "patch").groups("").resources("pods/status"),
      r("create").groups("").resources("pods/eviction"),
      r(READ).groups("").resources("secrets", "configmaps"),
      r("get").groups("").resources("persistentvolumeclaims", "persistentvolumes"),
      r("get").groups("").resources("endpoints"),
      r("create", "get", "list", "watch").groups("certificates.k8s.io").resources(
        "certificatesigningrequests",
      ),
      r("get", "create", "update", "patch", "delete").groups("coordination.k8s.io").resources(
        "leases",
      ),
      r("get").groups("storage.k8s.io").resources("volumeattachments"),
      r("create").groups("").resources("serviceaccounts/token"),
      r("get", "update", "patch").groups("").resources("persistentvolumeclaims/status"),
      r(READ).groups("storage.k8s.io").resources("csidrivers"),
      r("get", "create", "update", "patch", "delete").groups("storage.k8s.io").resources(
        "csinodes",
      ),
      r(READ).groups("node.k8s.io").resources("runtimeclasses"),
    ]),
    clusterRole("system:node-bootstrapper", [
      r("create", "get", "list", "watch").groups("certificates.k8s.io").resources(
        "certificatesigningrequests",
      ),
    ]),
    clusterRole("system:node-problem-detector", [
      r("get").groups("").resources("nodes"),
      r("patch").groups("").resources("nodes/status"),
      eventsRule(),
    ]),
    clusterRole("system:node-proxier", [
      r("list", "watch").groups("").resources("services", "endpoints"),
      r(READ).groups("").resources("nodes"),
      eventsRule(),
      r("list", "watch").groups("discovery.k8s.io").resources("endpointslices"),
    ]),
    clusterRole("system:persistent-volume-provisioner", [
      r("get", "list", "watch", "create", "delete").groups("").resources("persistentvolumes"),
      r("get", "list", "watch", "update").groups("").resources("persistentvolumeclaims"),
      r(READ).groups("storage.k8s.io").resources("storageclasses"),
      r("watch").groups("").resources("events"),
      eventsRule(),
    ]),
    clusterRole("system:public-info-viewer", [
      r("get").urls("/livez", "/readyz", "/healthz", "/version", "/version/"),
    ]),
    clusterRole("system:service-account-issuer-discovery", [
      r("get").urls("/.well-known/openid-configuration", "/openid/v1/jwks"),
    ]),
    clusterRole(NODE_CREDENTIALS_ROLE, [r("post").urls(NODE_CREDENTIALS_PATH)]),
    clusterRole(NODE_NETWORK_ROLE, [
      r("list", "watch").groups("").resources("services", "namespaces", "pods", "nodes"),
      r("list", "watch").groups("discovery.k8s.io").resources("endpointslices"),
      r("list", "watch").groups("networking.k8s.io").resources("networkpolicies"),
    ]),
    clusterRole("system:volume-scheduler", [
      r("get", "list", "watch", "update", "patch").groups("").resources("persistentvolumes"),
      r(READ).groups("storage.k8s.io").resources("storageclasses"),
      r("get", "list", "watch", "update", "patch").groups("").resources(
        "persistentvolumeclaims",
      ),
    ]),
    clusterRole("view", [], { aggregateFrom: "view", labels: aggregateTo("edit") }),
  ];
}

/** The `system:controller:*` ClusterRoles of the controllers skiff runs. */
function controllerRoles(): ClusterRole[] {
  const r = newRule;
  const ev = eventsRule();
  const c = (name: string, rules: RuleSpec[]) => clusterRole(`system:controller:${name}`, rules);
  return [
    c("clusterrole-aggregation-controller", [
      r("escalate", "get", "list", "watch", "update", "patch").groups("rbac.authorization.k8s.io")
        .resources("clusterroles"),
    ]),
    c("cronjob-controller", [
      r("get", "list", "watch", "update").groups("batch").resources("cronjobs"),
      r("get", "list", "watch", "create", "update", "delete", "patch").groups("batch").resources(
        "jobs",
      ),
      r("update").groups("batch").resources("cronjobs/status"),
      r("update").groups("batch").resources("cronjobs/finalizers"),
      r("list", "watch", "delete").groups("").resources("pods"),
      ev,
    ]),
    c("daemon-set-controller", [
      r(READ).groups("extensions", "apps").resources("daemonsets"),
      r("update").groups("extensions", "apps").resources("daemonsets/status"),
      r("update").groups("extensions", "apps").resources("daemonsets/finalizers"),
      r("list", "watch").groups("").resources("nodes"),
      r("list", "watch", "create", "delete", "patch").groups("").resources("pods"),
      r("create").groups("").resources("pods/binding"),
      r("get", "list", "watch", "create", "delete", "update", "patch").groups("apps").resources(
        "controllerrevisions",
      ),
      ev,
    ]),
    c("deployment-controller", [
      r("get", "list", "watch", "update").groups("extensions", "apps").resources("deployments"),
      r("update").groups("extensions", "apps").resources("deployments/status"),
      r("update").groups("extensions", "apps").resources("deployments/finalizers"),
      r("get", "list", "watch", "create", "update", "patch", "delete").groups("extensions", "apps")
        .resources("replicasets"),
      r("get", "list", "watch", "update").groups("").resources("pods"),
      ev,
    ]),
    c("disruption-controller", [
      r(READ).groups("extensions", "apps").resources("deployments"),
      r(READ).groups("extensions", "apps").resources("replicasets"),
      r(READ).groups("").resources("replicationcontrollers"),
      r(READ).groups("policy").resources("poddisruptionbudgets"),
      r(READ).groups("apps").resources("statefulsets"),
      r("update").groups("policy").resources("poddisruptionbudgets/status"),
      r("patch", "update").groups("").resources("pods/status"),
      r("get").groups("*").resources("*/scale"),
      ev,
    ]),
    c("endpoint-controller", [
      r(READ).groups("").resources("services", "pods"),
      r("get", "list", "watch", "create", "update", "delete").groups("").resources("endpoints"),
      r("create").groups("").resources("endpoints/restricted"),
      ev,
    ]),
    c("endpointslice-controller", [
      r(READ).groups("").resources("services", "pods", "nodes"),
      r("update").groups("").resources("services/finalizers"),
      r("get", "list", "watch", "create", "update", "delete").groups("discovery.k8s.io")
        .resources("endpointslices"),
      ev,
    ]),
    c("generic-garbage-collector", [
      r("get", "list", "watch", "patch", "update", "delete").groups("*").resources("*"),
      ev,
    ]),
    c("job-controller", [
      r("get", "list", "watch", "update", "patch").groups("batch").resources("jobs"),
      r("update").groups("batch").resources("jobs/status"),
      r("update").groups("batch").resources("jobs/finalizers"),
      r("list", "watch", "create", "delete", "patch").groups("").resources("pods"),
      ev,
    ]),
    c("namespace-controller", [
      r("get", "list", "watch", "delete").groups("").resources("namespaces"),
      r("update").groups("").resources("namespaces/finalize", "namespaces/status"),
      r("get", "list", "watch", "delete", "deletecollection").groups("*").resources("*"),
    ]),
    c("node-controller", [
      r("get", "list", "watch", "update", "delete", "patch").groups("").resources("nodes"),
      r("patch", "update").groups("").resources("nodes/status"),
      r("patch", "update").groups("").resources("pods/status"),
      r("list", "watch", "get", "delete").groups("").resources("pods"),
      ev,
    ]),
    c("pod-garbage-collector", [
      r("list", "watch", "delete").groups("").resources("pods"),
      r("get", "list", "watch").groups("").resources("nodes"),
      r("patch").groups("").resources("pods/status"),
    ]),
    c("replicaset-controller", [
      r("get", "list", "watch", "update").groups("extensions", "apps").resources("replicasets"),
      r("update").groups("extensions", "apps").resources("replicasets/status"),
      r("update").groups("extensions", "apps").resources("replicasets/finalizers"),
      r("list", "watch", "patch", "create", "delete").groups("").resources("pods"),
      ev,
    ]),
    c("resourcequota-controller", [
      r("list", "watch").groups("*").resources("*"),
      r("update").groups("").resources("resourcequotas/status"),
      ev,
    ]),
    c("root-ca-cert-publisher", [
      r("create", "update").groups("").resources("configmaps"),
      ev,
    ]),
    c("service-account-controller", [
      r("create").groups("").resources("serviceaccounts"),
      ev,
    ]),
    c("statefulset-controller", [
      r("list", "watch").groups("").resources("pods"),
      r(READ).groups("apps").resources("statefulsets"),
      r("update").groups("apps").resources("statefulsets/status"),
      r("update").groups("apps").resources("statefulsets/finalizers"),
      r("get", "create", "delete", "update", "patch").groups("").resources("pods"),
      r("get", "list", "watch", "create", "delete", "update", "patch").groups("apps").resources(
        "controllerrevisions",
      ),
      r("get", "create", "list", "watch").groups("").resources("persistentvolumeclaims"),
      r("update", "delete").groups("").resources("persistentvolumeclaims"),
      r("update").groups("").resources("pods/finalizers"),
      ev,
    ]),
    c("ttl-after-finished-controller", [
      r("get", "list", "watch", "delete").groups("batch").resources("jobs"),
      ev,
    ]),
  ];
}

/** The ClusterRoleBindings: upstream's, skiff's join binding, one per controller role. */
function clusterRoleBindings(): ClusterRoleBinding[] {
  const bindings = [
    clusterRoleBinding("cluster-admin", [group("system:masters")]),
    clusterRoleBinding("system:basic-user", [group("system:authenticated")]),
    clusterRoleBinding("system:discovery", [group("system:authenticated")]),
    clusterRoleBinding("system:kube-controller-manager", [user("system:kube-controller-manager")]),
    clusterRoleBinding("system:kube-dns", [serviceAccount("kube-system", "kube-dns")]),
    clusterRoleBinding("system:kube-scheduler", [user("system:kube-scheduler")]),
    clusterRoleBinding("system:monitoring", [group("system:monitoring")]),
    // Bound to nobody: the Node authorizer decides what nodes may do.
    clusterRoleBinding("system:node", []),
    clusterRoleBinding("system:node-proxier", [user("system:kube-proxy")]),
    clusterRoleBinding("system:public-info-viewer", [
      group("system:authenticated"),
      group("system:unauthenticated"),
    ]),
    clusterRoleBinding("system:service-account-issuer-discovery", [
      group("system:serviceaccounts"),
    ]),
    clusterRoleBinding(NODE_CREDENTIALS_ROLE, [group(BOOTSTRAPPERS_GROUP)]),
    clusterRoleBinding(NODE_NETWORK_ROLE, [group(NODE_NETWORKS_GROUP)]),
    clusterRoleBinding("system:volume-scheduler", [user("system:kube-scheduler")]),
  ];
  for (const role of controllerRoles()) {
    const name = role.metadata!.name!;
    const sa = name.slice("system:controller:".length);
    bindings.push(clusterRoleBinding(name, [serviceAccount("kube-system", sa)]));
  }
  return bindings;
}

function role(
  namespace: string,
  options: { name: string; rules: readonly RuleSpec[] },
): Role {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "Role",
    metadata: meta(options.name, { namespace }),
    rules: built(options.rules),
  };
}

function roleBinding(
  namespace: string,
  options: { name: string; role: string; subjects: readonly Subject[] },
): RoleBinding {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: meta(options.name, { namespace }),
    roleRef: { apiGroup: RBAC_GROUP, kind: "Role", name: options.role },
    subjects: [...options.subjects],
  };
}

/** The Roles of upstream's `NamespaceRoles()` (kube-system, kube-public). */
function namespaceRoles(): Role[] {
  const r = newRule;
  const ev = eventsRule();
  const leaderLocking = [
    r("watch", "create", "list", "get", "update").groups("coordination.k8s.io").resources(
      "leases",
    ),
    r("watch", "create", "list", "get", "update").groups("coordination.k8s.io").resources(
      "leasecandidates",
    ),
  ];
  return [
    role("kube-public", {
      name: "system:controller:bootstrap-signer",
      rules: [
        r(READ).groups("").resources("configmaps"),
        r("update").groups("").resources("configmaps").names("cluster-info"),
        ev,
      ],
    }),
    role("kube-system", {
      name: "extension-apiserver-authentication-reader",
      rules: [
        r(READ).groups("").resources("configmaps").names("extension-apiserver-authentication"),
      ],
    }),
    role("kube-system", {
      name: "system::leader-locking-kube-controller-manager",
      rules: leaderLocking,
    }),
    role("kube-system", { name: "system::leader-locking-kube-scheduler", rules: leaderLocking }),
    role("kube-system", {
      name: "system:controller:bootstrap-signer",
      rules: [r(READ).groups("").resources("secrets")],
    }),
    role("kube-system", {
      name: "system:controller:cloud-provider",
      rules: [r("create", "get", "list", "watch").groups("").resources("configmaps")],
    }),
    role("kube-system", {
      name: "system:controller:token-cleaner",
      rules: [r("delete", "get", "list", "watch").groups("").resources("secrets"), ev],
    }),
  ];
}

/** The RoleBindings of upstream's `NamespaceRoleBindings()`. */
function namespaceRoleBindings(): RoleBinding[] {
  const sys = (name: string) => serviceAccount("kube-system", name);
  return [
    roleBinding("kube-public", {
      name: "system:controller:bootstrap-signer",
      role: "system:controller:bootstrap-signer",
      subjects: [sys("bootstrap-signer")],
    }),
    roleBinding("kube-system", {
      name: "system::extension-apiserver-authentication-reader",
      role: "extension-apiserver-authentication-reader",
      subjects: [user("system:kube-controller-manager"), user("system:kube-scheduler")],
    }),
    roleBinding("kube-system", {
      name: "system::leader-locking-kube-controller-manager",
      role: "system::leader-locking-kube-controller-manager",
      subjects: [
        user("system:kube-controller-manager"),
        sys("kube-controller-manager"),
        sys("leader-election-controller"),
      ],
    }),
    roleBinding("kube-system", {
      name: "system::leader-locking-kube-scheduler",
      role: "system::leader-locking-kube-scheduler",
      subjects: [user("system:kube-scheduler"), sys("kube-scheduler")],
    }),
    roleBinding("kube-system", {
      name: "system:controller:bootstrap-signer",
      role: "system:controller:bootstrap-signer",
      subjects: [sys("bootstrap-signer")],
    }),
    roleBinding("kube-system", {
      name: "system:controller:cloud-provider",
      role: "system:controller:cloud-provider",
      subjects: [sys("cloud-provider")],
    }),
    roleBinding("kube-system", {
      name: "system:controller:token-cleaner",
      role: "system:controller:token-cleaner",
      subjects: [sys("token-cleaner")],
    }),
  ];
}

/** Every object of the bootstrap policy, freshly built (callers may change them). */
export interface BootstrapPolicy {
  readonly clusterRoles: ClusterRole[];
  readonly clusterRoleBindings: ClusterRoleBinding[];
  readonly roles: Role[];
  readonly roleBindings: RoleBinding[];
}

/** The bootstrap policy, in the order it is reconciled. */
export function bootstrapPolicy(): BootstrapPolicy {
  return {
    clusterRoles: [...clusterRoles(), ...controllerRoles()],
    clusterRoleBindings: clusterRoleBindings(),
    roles: namespaceRoles(),
    roleBindings: namespaceRoleBindings(),
  };
}

// --- reconciliation --------------------------------------------------------------------------

/** What {@linkcode reconcileBootstrapPolicy} wrote, as `clusterroles/admin`, `roles/kube-system/x`. */
export interface ReconcileSummary {
  readonly created: string[];
  readonly updated: string[];
  /** Objects annotated `autoupdate: "false"` that differ from the policy. */
  readonly skipped: string[];
}

const RBAC_API = "/apis/rbac.authorization.k8s.io/v1";

interface Target {
  readonly resource: "clusterroles" | "clusterrolebindings" | "roles" | "rolebindings";
  readonly object: RoleLike | BindingLike;
}

function collectionOf(t: Target): string {
  const ns = t.object.metadata?.namespace;
  return ns ? `${RBAC_API}/namespaces/${ns}/${t.resource}` : `${RBAC_API}/${t.resource}`;
}

function idOf(t: Target): string {
  const ns = t.object.metadata?.namespace;
  const name = t.object.metadata?.name ?? "";
  return ns ? `${t.resource}/${ns}/${name}` : `${t.resource}/${name}`;
}

function failure(what: string, res: { status: number; body: Record<string, unknown> }): Error {
  return new Error(`Cannot reconcile ${what}: ${res.status} ${String(res.body.message ?? "")}`);
}

async function ensureNamespace(client: InProcessClient, namespace: string): Promise<void> {
  const res = await client.json("POST", "/api/v1/namespaces", {
    body: { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } },
  });
  if (res.status !== 201 && res.status !== 409) throw failure(`namespace "${namespace}"`, res);
}

async function create(client: InProcessClient, t: Target): Promise<number> {
  let res = await client.json("POST", collectionOf(t), { body: t.object });
  const ns = t.object.metadata?.namespace;
  if (res.status === 404 && ns) {
    await ensureNamespace(client, ns);
    res = await client.json("POST", collectionOf(t), { body: t.object });
  }
  if (res.status !== 201 && res.status !== 409) throw failure(idOf(t), res);
  return res.status;
}

type Outcome = "created" | "updated" | "skipped" | "unchanged";

async function reconcileOne(
  client: InProcessClient,
  t: Target,
): Promise<{ outcome: Outcome; detail: Record<string, unknown> }> {
  const path = `${collectionOf(t)}/${t.object.metadata?.name ?? ""}`;
  const isRole = t.resource === "clusterroles" || t.resource === "roles";
  for (let attempt = 0; attempt < 3; attempt++) {
    const got = await client.json("GET", path);
    if (got.status === 404) {
      if (await create(client, t) === 409) continue;
      return { outcome: "created", detail: {} };
    }
    if (got.status !== 200) throw failure(idOf(t), got);
    const result = isRole
      ? reconcileRole(got.body as RoleLike, t.object as RoleLike)
      : reconcileBinding(got.body as BindingLike, t.object as BindingLike);
    if (result.operation === "none") return { outcome: "unchanged", detail: {} };
    if (result.protected) return { outcome: "skipped", detail: result.detail };
    if (result.operation === "recreate") {
      const uid = (got.body.metadata as { uid?: string } | undefined)?.uid;
      const del = await client.json("DELETE", path, {
        body: {
          apiVersion: "v1",
          kind: "DeleteOptions",
          ...(uid ? { preconditions: { uid } } : {}),
        },
      });
      if (del.status !== 200 && del.status !== 202 && del.status !== 404) {
        if (del.status === 409) continue;
        throw failure(idOf(t), del);
      }
      if (await create(client, t) === 409) continue;
      return { outcome: "updated", detail: result.detail };
    }
    const put = await client.json("PUT", path, { body: result.object });
    if (put.status === 409 || put.status === 404) continue;
    if (put.status !== 200) throw failure(idOf(t), put);
    return { outcome: "updated", detail: result.detail };
  }
  throw new Error(`Cannot reconcile ${idOf(t)}: it kept changing`);
}

/**
 * Creates the bootstrap policy's missing objects and brings autoupdate objects up to it,
 * through `client` (a cluster admin). Run once the API serves, at every start; a second run
 * writes nothing. Throws after trying every object if any failed.
 */
export async function reconcileBootstrapPolicy(
  client: InProcessClient,
  logger: Logger,
): Promise<ReconcileSummary> {
  const policy = bootstrapPolicy();
  const targets: Target[] = [
    ...policy.clusterRoles.map((object) => ({ resource: "clusterroles" as const, object })),
    ...policy.clusterRoleBindings.map((object) => ({
      resource: "clusterrolebindings" as const,
      object,
    })),
    ...policy.roles.map((object) => ({ resource: "roles" as const, object })),
    ...policy.roleBindings.map((object) => ({ resource: "rolebindings" as const, object })),
  ];
  const summary: ReconcileSummary = { created: [], updated: [], skipped: [] };
  const errors: string[] = [];
  for (const t of targets) {
    const id = idOf(t);
    try {
      const { outcome, detail } = await reconcileOne(client, t);
      if (outcome === "unchanged") continue;
      summary[outcome].push(id);
      if (outcome === "skipped") {
        logger.warn("Skipped reconciling a protected RBAC object", { object: id, ...detail });
      } else if (outcome === "created") {
        logger.debug("Created RBAC bootstrap object", { object: id });
      } else {
        logger.info("Updated RBAC bootstrap object", { object: id, ...detail });
      }
    } catch (err) {
      errors.push((err as Error).message);
    }
  }
  if (errors.length > 0) {
    throw new Error(`Cannot reconcile the RBAC bootstrap policy: ${errors.join("; ")}`);
  }
  return summary;
}
