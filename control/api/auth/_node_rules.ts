/**
 * The static rules of nodes (upstream bootstrap policy `NodeRules()`, v1.33 with its default
 * feature gates): what every node may do on resources the Node authorizer does not subdivide
 * by its graph. The same rules make the `system:node` ClusterRole.
 *
 * @module
 */

/** A rule as RBAC's PolicyRule (resource rules only). */
export interface NodePolicyRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
}

const READ = ["get", "list", "watch"] as const;

function rule(
  apiGroup: string,
  resources: readonly string[],
  verbs: readonly string[],
): NodePolicyRule {
  return Object.freeze({
    apiGroups: Object.freeze([apiGroup]),
    resources: Object.freeze([...resources]),
    verbs: Object.freeze([...verbs]),
  });
}

/** The `system:node` rules, in upstream's order. */
export const NODE_RULES: readonly NodePolicyRule[] = Object.freeze([
  // API access checks (non-mutating creates).
  rule("authentication.k8s.io", ["tokenreviews"], ["create"]),
  rule("authorization.k8s.io", ["subjectaccessreviews", "localsubjectaccessreviews"], ["create"]),
  // Service environment variables.
  rule("", ["services"], READ),
  // Registering and reporting its Node (NodeRestriction limits it to its own).
  rule("", ["nodes"], ["create", "get", "list", "watch"]),
  rule("", ["nodes/status"], ["update", "patch"]),
  rule("", ["nodes"], ["update", "patch"]),
  rule("", ["events"], ["create", "update", "patch"]),
  rule("", ["pods"], READ),
  // Mirror pods, pod status and evictions (NodeRestriction limits them to its pods).
  rule("", ["pods"], ["create", "delete"]),
  rule("", ["pods/status"], ["update", "patch"]),
  rule("", ["pods/eviction"], ["create"]),
  // What its pods use (the Node authorizer limits these to its pods' objects).
  rule("", ["secrets", "configmaps"], READ),
  rule("", ["persistentvolumeclaims", "persistentvolumes"], ["get"]),
  rule("", ["endpoints"], ["get"]),
  rule("certificates.k8s.io", ["certificatesigningrequests"], ["create", "get", "list", "watch"]),
  rule("coordination.k8s.io", ["leases"], ["get", "create", "update", "patch", "delete"]),
  rule("storage.k8s.io", ["volumeattachments"], ["get"]),
  rule("", ["serviceaccounts/token"], ["create"]),
  rule("", ["persistentvolumeclaims/status"], ["get", "update", "patch"]),
  rule("storage.k8s.io", ["csidrivers"], ["get", "watch", "list"]),
  rule("storage.k8s.io", ["csinodes"], ["get", "create", "update", "patch", "delete"]),
  rule("node.k8s.io", ["runtimeclasses"], READ),
]);

/** Whether one rule allows the request (RBAC's `RuleAllows` for resource requests). */
function allows(
  r: NodePolicyRule,
  a: { verb: string; apiGroup: string; resource: string; subresource: string },
): boolean {
  if (!r.verbs.includes(a.verb) && !r.verbs.includes("*")) return false;
  if (!r.apiGroups.includes(a.apiGroup) && !r.apiGroups.includes("*")) return false;
  const combined = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  return r.resources.some((res) =>
    res === "*" || res === combined || (a.subresource !== "" && res === `*/${a.subresource}`)
  );
}

/** Whether any of `rules` allows the resource request. */
export function rulesAllow(
  rules: readonly NodePolicyRule[],
  a: { verb: string; apiGroup: string; resource: string; subresource: string },
): boolean {
  return rules.some((r) => allows(r, a));
}
