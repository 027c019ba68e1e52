/**
 * A node's network identity: the user its Service proxy, cluster DNS, routes and NetworkPolicy
 * enforcer act as. They follow Services, EndpointSlices, Pods, Nodes, Namespaces and
 * NetworkPolicies across the whole cluster, which the node's own identity
 * (`system:node:<name>`, held to its own pods by the Node authorizer) may not read. A k3s agent
 * holds a second credential for the same reason (its `system:k3s-controller` and kube-proxy
 * certificates).
 *
 * The network credential is the node credential under another prefix:
 * `skiff-node-network:<nodeName>:<secret>` authenticates, against the same Secret, as
 * `system:skiff:node-network:<nodeName>` in group `system:skiff:node-networks`, which RBAC binds
 * to the ClusterRole `system:skiff:node-network` (list and watch of those kinds, nothing else).
 * A host that holds one holds both, as a k3s agent does; what the split buys is that the
 * node's own identity stays exactly what Kubernetes' Node authorizer allows, and that audit
 * and `kubectl auth can-i` tell the two apart.
 *
 * This module has no imports, so a joining agent loads nothing of the API server with it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nodeNetworkToken, nodeNetworkUser } from "./node_network_identity.ts";
 *
 * const token = nodeNetworkToken(`skiff-node:edge-1:${"a".repeat(43)}`);
 * assert.equal(token, `skiff-node-network:edge-1:${"a".repeat(43)}`);
 * assert.equal(nodeNetworkUser("edge-1").username, "system:skiff:node-network:edge-1");
 * ```
 *
 * @module
 */

/** What a node credential starts with. */
export const NODE_TOKEN_PREFIX = "skiff-node:";
/** What the network form of a node credential starts with. */
export const NODE_NETWORK_TOKEN_PREFIX = "skiff-node-network:";
/** Network identities are users `system:skiff:node-network:<nodeName>`. */
export const NODE_NETWORK_USER_PREFIX = "system:skiff:node-network:";
/** The group of every node's network identity (bound to the node-network ClusterRole). */
export const NODE_NETWORKS_GROUP = "system:skiff:node-networks";

/** The network form of the node credential `nodeToken` (`skiff-node:<name>:<secret>`). */
export function nodeNetworkToken(nodeToken: string): string {
  if (!nodeToken.startsWith(NODE_TOKEN_PREFIX)) {
    throw new TypeError(
      `Cannot derive a network credential: the node credential does not start with "${NODE_TOKEN_PREFIX}"`,
    );
  }
  return NODE_NETWORK_TOKEN_PREFIX + nodeToken.slice(NODE_TOKEN_PREFIX.length);
}

/** The user `nodeName`'s network components act as. */
export function nodeNetworkUser(nodeName: string): { username: string; groups: string[] } {
  return {
    username: `${NODE_NETWORK_USER_PREFIX}${nodeName}`,
    groups: [NODE_NETWORKS_GROUP, "system:authenticated"],
  };
}
