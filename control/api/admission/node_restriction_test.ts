import assert from "node:assert/strict";
import type { AuthorizationAttributes, Authorizer } from "../auth/authorizer.ts";
import { ApiError } from "../errors.ts";
import { BUILTIN_RESOURCES } from "../registry/builtin_resources.ts";
import type { ResourceDef } from "../registry/resource_def.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import type { AdmissionAttributes } from "./admission.ts";
import { forbiddenNodeLabels, isKubeletLabel, NodeRestriction } from "./node_restriction.ts";

function def(group: string, resource: string): ResourceDef {
  const found = BUILTIN_RESOURCES.find((d) => d.group === group && d.resource === resource);
  // Resources skiff does not serve (csinodes) still reach the plugin in tests by name.
  return found ?? ({ group, resource } as unknown as ResourceDef);
}

const NODE_A = { username: "system:node:node-a", groups: ["system:nodes", "system:authenticated"] };
const ADMIN = { username: "system:admin", groups: ["system:masters", "system:authenticated"] };

function pod(name: string, node: string, extra: Record<string, unknown> = {}): KubeObject {
  const { metadata, spec, ...rest } = extra as {
    metadata?: Record<string, unknown>;
    spec?: Record<string, unknown>;
  };
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { namespace: "default", name, uid: `uid-${name}`, ...metadata },
    spec: { nodeName: node, containers: [{ name: "c", image: "i" }], ...spec },
    ...rest,
  };
}

const POD_A = pod("pa", "node-a", {
  spec: {
    serviceAccountName: "sa-a",
    volumes: [{
      name: "kube-api-access",
      projected: {
        sources: [
          { serviceAccountToken: { path: "token", expirationSeconds: 3607 } },
          { serviceAccountToken: { path: "vault", audience: "vault" } },
        ],
      },
    }],
  },
});
const POD_B = pod("pb", "node-b");

function lookup(objects: KubeObject[]) {
  const byKey = new Map(
    objects.map((o) => [`${o.metadata?.namespace ?? ""}/${o.metadata?.name}`, o]),
  );
  return { getByName: (ns: string, name: string) => byKey.get(`${ns}/${name}`) };
}

const pods = lookup([POD_A, POD_B]);
const nodes = lookup([{ metadata: { name: "node-a", uid: "node-a-uid" } }]);

function mirror(
  extra: { metadata?: Record<string, unknown>; spec?: Record<string, unknown> } = {},
) {
  return pod("static-web", "node-a", {
    metadata: {
      annotations: { "kubernetes.io/config.mirror": "hash" },
      ownerReferences: [{
        apiVersion: "v1",
        kind: "Node",
        name: "node-a",
        uid: "node-a-uid",
        controller: true,
      }],
      ...extra.metadata,
    },
    ...(extra.spec ? { spec: extra.spec } : {}),
  });
}

function node(name: string, extra: { labels?: Record<string, string>; spec?: object } = {}) {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, ...(extra.labels ? { labels: extra.labels } : {}) },
    spec: extra.spec ?? {},
  } as KubeObject;
}

function tokenRequest(
  ref: Record<string, unknown> | null,
  audiences: string[] = [],
): KubeObject {
  return {
    apiVersion: "authentication.k8s.io/v1",
    kind: "TokenRequest",
    metadata: {},
    spec: { audiences, ...(ref ? { boundObjectRef: ref } : {}) },
  };
}

function pvc(status: Record<string, unknown>, labels?: Record<string, string>): KubeObject {
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: {
      namespace: "default",
      name: "c",
      resourceVersion: "5",
      ...(labels ? { labels } : {}),
    },
    spec: { resources: { requests: { storage: "1Gi" } } },
    status,
  };
}

interface Case {
  readonly op: AdmissionAttributes["operation"];
  readonly group?: string;
  readonly resource: string;
  readonly subresource?: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly object?: KubeObject;
  readonly old?: KubeObject;
  readonly user?: { username: string; groups: string[] };
  /** The refusal's message, its code when not 403, or null when admitted. */
  readonly error: string | null;
  readonly code?: number;
}

function attrsOf(c: Case): AdmissionAttributes {
  const user = c.user ?? NODE_A;
  return {
    operation: c.op,
    def: def(c.group ?? "", c.resource),
    namespace: c.namespace ?? (c.resource === "nodes" ? "" : "default"),
    name: c.name ?? "",
    subresource: c.subresource ?? "",
    object: c.object,
    oldObject: c.old,
    dryRun: false,
    username: user.username,
    groups: user.groups,
    user,
  };
}

async function check(plugin: NodeRestriction, c: Case): Promise<void> {
  const run = plugin.admit(attrsOf(c));
  if (c.error === null) {
    await run;
    return;
  }
  await assert.rejects(run, (err: unknown) => {
    assert.ok(err instanceof ApiError, String(err));
    assert.equal(err.message, c.error);
    assert.equal(err.code, c.code ?? 403);
    assert.equal(err.reason, (c.code ?? 403) === 403 ? "Forbidden" : "NotFound");
    return true;
  });
}

function table(cases: Record<string, Case>, options: { authorizer?: Authorizer } = {}) {
  return async (t: Deno.TestContext) => {
    const plugin = new NodeRestriction({ pods, nodes, ...options });
    for (const [name, c] of Object.entries(cases)) await t.step(name, () => check(plugin, c));
  };
}

Deno.test(
  "NodeRestriction.admit() leaves other users alone and refuses unnamed nodes",
  table({
    "an admin deletes another node's pod": {
      op: "DELETE",
      resource: "pods",
      name: "pb",
      old: POD_B,
      user: ADMIN,
      error: null,
    },
    "a node name outside system:nodes": {
      op: "DELETE",
      resource: "pods",
      name: "pb",
      old: POD_B,
      user: { username: "system:node:node-a", groups: ["system:authenticated"] },
      error: null,
    },
    "an empty node name": {
      op: "DELETE",
      resource: "pods",
      name: "pb",
      old: POD_B,
      user: { username: "system:node:", groups: ["system:nodes"] },
      error: 'pods "pb" is forbidden: could not determine node from user "system:node:"',
    },
    "a node creates a configmap (the authorizer's call)": {
      op: "CREATE",
      resource: "configmaps",
      name: "x",
      object: { metadata: { name: "x" } },
      error: null,
    },
  }),
);

Deno.test(
  "NodeRestriction.admit() lets a node create only well-formed mirror pods of its own",
  table({
    "an ordinary pod": {
      op: "CREATE",
      resource: "pods",
      name: "new",
      object: pod("new", "node-a"),
      error:
        'pods "new" is forbidden: pod does not have "kubernetes.io/config.mirror" annotation, node "node-a" can only create mirror pods',
    },
    "an ordinary pod with only a generated name": {
      op: "CREATE",
      resource: "pods",
      object: pod("", "node-a", { metadata: { name: undefined, generateName: "web-" } }),
      error:
        'pods "web-" is forbidden: pod does not have "kubernetes.io/config.mirror" annotation, node "node-a" can only create mirror pods',
    },
    "a mirror pod for another node": {
      op: "CREATE",
      resource: "pods",
      name: "static-web",
      object: { ...mirror(), spec: { nodeName: "node-b", containers: [] } },
      error:
        'pods "static-web" is forbidden: node "node-a" can only create pods with spec.nodeName set to itself',
    },
    "a mirror pod without an owner": {
      op: "CREATE",
      resource: "pods",
      name: "static-web",
      object: mirror({ metadata: { ownerReferences: [] } }),
      error:
        'pods "static-web" is forbidden: node "node-a" can only create pods with an owner reference set to itself',
    },
    "a mirror pod with two owners": {
      op: "CREATE",
      resource: "pods",
      name: "static-web",
      object: mirror({
        metadata: {
          ownerReferences: [
            { apiVersion: "v1", kind: "Node", name: "node-a", uid: "node-a-uid" },
            { apiVersion: "v1", kind: "Node", name: "node-a", uid: "node-a-uid" },
          ],
        },
      }),
      error:
        'pods "static-web" is forbidden: node "node-a" can only create pods with a single owner reference set to itself',
    },
    "a mirror pod owned by another node": {
      op: "CREATE",
      resource: "pods",
      name: "static-web",
      object: mirror({
        metadata: {
          ownerReferences: [{
            apiVersion: "v1",
            kind: "Node",
            name: "node-b",
            uid: "u",
            controller: true,
          }],
        },
      }),
      error:
        'pods "static-web" is forbidden: node "node-a" can only create pods with an owner reference set to itself',
    },
    "a mirror pod whose owner is not its controller": {
      op: "CREATE",
      resource: "pods",
      name: "static-web",
      object: mirror({
        metadata: {
          ownerReferences: [{ apiVersion: "v1", kind: "Node", name: "node-a", uid: "node-a-uid" }],
        },
      }),
      error:
        'pods "static-web" is forbidden: node "node-a" can only create pods with a controller owner reference set to itself',
    },
    "a mirror pod blocking owner deletion": {
      op: "CREATE",
      resource: "pods",
      name: "static-web",
      object: mirror({
        metadata: {
          ownerReferences: [{
            apiVersion: "v1",
            kind: "Node",
            name: "node-a",
            uid: "node-a-uid",
            controller: true,
            blockOwnerDeletion: true,
          }],
        },
      }),
      error:
        'pods "static-web" is forbidden: node "node-a" must not set blockOwnerDeletion on an owner reference',
    },
    "a mirror pod with a stale node uid": {
      op: "CREATE",
      resource: "pods",
      name: "static-web",
      object: mirror({
        metadata: {
          ownerReferences: [{
            apiVersion: "v1",
            kind: "Node",
            name: "node-a",
            uid: "old",
            controller: true,
          }],
        },
      }),
      error:
        'pods "static-web" is forbidden: node node-a UID mismatch: expected old got node-a-uid',
    },
    "a mirror pod naming a ServiceAccount": {
      op: "CREATE",
      resource: "pods",
      name: "static-web",
      object: mirror({
        spec: { nodeName: "node-a", serviceAccountName: "default", containers: [] },
      }),
      error:
        'pods "static-web" is forbidden: node "node-a" can not create pods that reference a service account',
    },
    "a mirror pod mounting a secret": {
      op: "CREATE",
      resource: "pods",
      name: "static-web",
      object: mirror({
        spec: {
          nodeName: "node-a",
          containers: [],
          volumes: [{ name: "s", secret: { secretName: "db" } }],
        },
      }),
      error:
        'pods "static-web" is forbidden: node "node-a" can not create pods that reference secrets',
    },
    "a mirror pod reading a configmap in env": {
      op: "CREATE",
      resource: "pods",
      name: "static-web",
      object: mirror({
        spec: {
          nodeName: "node-a",
          containers: [{
            name: "c",
            image: "i",
            env: [{ name: "X", valueFrom: { configMapKeyRef: { name: "cfg", key: "k" } } }],
          }],
        },
      }),
      error:
        'pods "static-web" is forbidden: node "node-a" can not create pods that reference configmaps',
    },
    "a mirror pod projecting a cluster trust bundle": {
      op: "CREATE",
      resource: "pods",
      name: "static-web",
      object: mirror({
        spec: {
          nodeName: "node-a",
          containers: [],
          volumes: [{
            name: "b",
            projected: { sources: [{ clusterTrustBundle: { path: "ca.pem" } }] },
          }],
        },
      }),
      error:
        'pods "static-web" is forbidden: node "node-a" can not create pods that reference clustertrustbundles',
    },
    "a mirror pod using a claim": {
      op: "CREATE",
      resource: "pods",
      name: "static-web",
      object: mirror({
        spec: {
          nodeName: "node-a",
          containers: [],
          volumes: [{ name: "d", persistentVolumeClaim: { claimName: "data" } }],
        },
      }),
      error:
        'pods "static-web" is forbidden: node "node-a" can not create pods that reference persistentvolumeclaims',
    },
    "a well-formed mirror pod": {
      op: "CREATE",
      resource: "pods",
      name: "static-web",
      object: mirror(),
      error: null,
    },
  }),
);

Deno.test("NodeRestriction.admit() refuses mirror pods when it cannot see the Node", async () => {
  const plugin = new NodeRestriction({ pods });
  await check(plugin, {
    op: "CREATE",
    resource: "pods",
    name: "static-web",
    object: mirror(),
    error: 'node "node-a" not found',
    code: 404,
  });
});

Deno.test(
  "NodeRestriction.admit() limits pod deletes, status updates and evictions to the node's pods",
  table({
    "delete its pod": { op: "DELETE", resource: "pods", name: "pa", old: POD_A, error: null },
    "delete another node's pod": {
      op: "DELETE",
      resource: "pods",
      name: "pb",
      old: POD_B,
      error:
        'pods "pb" is forbidden: node "node-a" can only delete pods with spec.nodeName set to itself',
    },
    "update a pod": {
      op: "UPDATE",
      resource: "pods",
      name: "pa",
      object: POD_A,
      old: POD_A,
      error:
        'pods "pa" is forbidden: unexpected operation "UPDATE", node "node-a" can only create and delete mirror pods',
    },
    "update its pod's status": {
      op: "UPDATE",
      resource: "pods",
      subresource: "status",
      name: "pa",
      object: { ...POD_A, status: { phase: "Running" } },
      old: POD_A,
      error: null,
    },
    "update another node's pod's status": {
      op: "UPDATE",
      resource: "pods",
      subresource: "status",
      name: "pb",
      object: POD_B,
      old: POD_B,
      error:
        'pods "pb" is forbidden: node "node-a" can only update pod status for pods with spec.nodeName set to itself',
    },
    "relabel its pod through status": {
      op: "UPDATE",
      resource: "pods",
      subresource: "status",
      name: "pa",
      object: pod("pa", "node-a", { metadata: { labels: { app: "x" } } }),
      old: POD_A,
      error: 'pods "pa" is forbidden: node "node-a" cannot update labels through pod status',
    },
    "change its pod's resource claim statuses": {
      op: "UPDATE",
      resource: "pods",
      subresource: "status",
      name: "pa",
      object: {
        ...POD_A,
        status: { resourceClaimStatuses: [{ name: "gpu", resourceClaimName: "c" }] },
      },
      old: POD_A,
      error: 'pods "pa" is forbidden: node "node-a" cannot update resource claim statues',
    },
    "bind a pod": {
      op: "CREATE",
      resource: "pods",
      subresource: "binding",
      name: "pa",
      object: { metadata: { name: "pa" } },
      error:
        "pods \"pa\" is forbidden: unexpected pod subresource \"binding\", only 'status' and 'eviction' are allowed",
    },
    "evict its pod (skiff's delete under eviction)": {
      op: "DELETE",
      resource: "pods",
      subresource: "eviction",
      name: "pa",
      old: POD_A,
      error: null,
    },
    "evict another node's pod (skiff's delete under eviction)": {
      op: "DELETE",
      resource: "pods",
      subresource: "eviction",
      name: "pb",
      old: POD_B,
      error:
        'pods "pb" is forbidden: node node-a can only evict pods with spec.nodeName set to itself',
    },
    "create an Eviction of its pod": {
      op: "CREATE",
      resource: "pods",
      subresource: "eviction",
      name: "pa",
      object: { apiVersion: "policy/v1", kind: "Eviction", metadata: { name: "pa" } },
      error: null,
    },
    "create an Eviction of another node's pod": {
      op: "CREATE",
      resource: "pods",
      subresource: "eviction",
      object: { apiVersion: "policy/v1", kind: "Eviction", metadata: { name: "pb" } },
      error:
        'pods "pb" is forbidden: node node-a can only evict pods with spec.nodeName set to itself',
    },
    "create an Eviction of a missing pod": {
      op: "CREATE",
      resource: "pods",
      subresource: "eviction",
      name: "ghost",
      object: { apiVersion: "policy/v1", kind: "Eviction", metadata: { name: "ghost" } },
      error: 'pod "ghost" not found',
      code: 404,
    },
    "create an Eviction naming no pod": {
      op: "CREATE",
      resource: "pods",
      subresource: "eviction",
      object: { apiVersion: "policy/v1", kind: "Eviction", metadata: {} },
      error: 'pods "Unknown" is forbidden: could not determine pod from request data',
    },
  }),
);

Deno.test(
  "NodeRestriction.admit() lets a node write only its own Node, labels and taints as upstream",
  table({
    "register itself with kubelet labels": {
      op: "CREATE",
      resource: "nodes",
      name: "node-a",
      object: node("node-a", {
        labels: {
          "kubernetes.io/hostname": "node-a",
          "kubernetes.io/arch": "arm64",
          "node.kubernetes.io/instance-type": "pi4",
          "kubelet.kubernetes.io/x": "1",
          "site.node.kubernetes.io/pole": "17",
          "example.com/rack": "3",
        },
      }),
      error: null,
    },
    "register another node": {
      op: "CREATE",
      resource: "nodes",
      name: "node-b",
      object: node("node-b"),
      error: 'nodes "node-b" is forbidden: node "node-a" is not allowed to modify node "node-b"',
    },
    "register itself with restricted labels": {
      op: "CREATE",
      resource: "nodes",
      name: "node-a",
      object: node("node-a", {
        labels: {
          "node-role.kubernetes.io/control-plane": "",
          "node-restriction.kubernetes.io/pool": "gold",
          "foo.k8s.io/x": "y",
          "kubernetes.io/hostname": "node-a",
        },
      }),
      error:
        'nodes "node-a" is forbidden: node "node-a" is not allowed to set the following labels: foo.k8s.io/x, node-restriction.kubernetes.io/pool, node-role.kubernetes.io/control-plane',
    },
    "register itself with a config source": {
      op: "CREATE",
      resource: "nodes",
      name: "node-a",
      object: node("node-a", { spec: { configSource: { configMap: { name: "c" } } } }),
      error:
        'nodes "node-a" is forbidden: node "node-a" is not allowed to create pods with a non-nil configSource',
    },
    "update its status": {
      op: "UPDATE",
      resource: "nodes",
      subresource: "status",
      name: "node-a",
      object: { ...node("node-a"), status: { phase: "Running" } },
      old: node("node-a"),
      error: null,
    },
    "update another node's status": {
      op: "UPDATE",
      resource: "nodes",
      subresource: "status",
      name: "node-b",
      object: node("node-b"),
      old: node("node-b"),
      error: 'nodes "node-b" is forbidden: node "node-a" is not allowed to modify node "node-b"',
    },
    "change its taints": {
      op: "UPDATE",
      resource: "nodes",
      name: "node-a",
      object: node("node-a", { spec: { taints: [] } }),
      old: node("node-a", { spec: { taints: [{ key: "k", effect: "NoSchedule" }] } }),
      error: 'nodes "node-a" is forbidden: node "node-a" is not allowed to modify taints',
    },
    "keep no taints (absent and empty are the same)": {
      op: "UPDATE",
      resource: "nodes",
      name: "node-a",
      object: node("node-a", { spec: { taints: [] } }),
      old: node("node-a"),
      error: null,
    },
    "change a kubelet label": {
      op: "UPDATE",
      resource: "nodes",
      name: "node-a",
      object: node("node-a", { labels: { "kubernetes.io/os": "linux", "app.example/x": "1" } }),
      old: node("node-a", { labels: { "kubernetes.io/os": "windows" } }),
      error: null,
    },
    "give itself a role": {
      op: "UPDATE",
      resource: "nodes",
      name: "node-a",
      object: node("node-a", { labels: { "node-role.kubernetes.io/worker": "" } }),
      old: node("node-a"),
      error:
        'nodes "node-a" is forbidden: is not allowed to modify labels: node-role.kubernetes.io/worker',
    },
    "remove a restricted label": {
      op: "UPDATE",
      resource: "nodes",
      name: "node-a",
      object: node("node-a"),
      old: node("node-a", { labels: { "node-restriction.kubernetes.io/pool": "gold" } }),
      error:
        'nodes "node-a" is forbidden: is not allowed to modify labels: node-restriction.kubernetes.io/pool',
    },
    "set a new config source": {
      op: "UPDATE",
      resource: "nodes",
      name: "node-a",
      object: node("node-a", { spec: { configSource: { configMap: { name: "c" } } } }),
      old: node("node-a"),
      error:
        'nodes "node-a" is forbidden: node "node-a" is not allowed to update configSource to a new non-nil configSource',
    },
  }),
);

Deno.test(
  "NodeRestriction.admit() limits a node to its own Lease and CSINode",
  table({
    "create its lease": {
      op: "CREATE",
      group: "coordination.k8s.io",
      resource: "leases",
      namespace: "kube-node-lease",
      name: "node-a",
      object: { metadata: { name: "node-a" } },
      error: null,
    },
    "create another node's lease": {
      op: "CREATE",
      group: "coordination.k8s.io",
      resource: "leases",
      namespace: "kube-node-lease",
      name: "node-b",
      object: { metadata: { name: "node-b" } },
      error:
        'leases.coordination.k8s.io "node-b" is forbidden: can only access node lease with the same name as the requesting node',
    },
    "renew another node's lease": {
      op: "UPDATE",
      group: "coordination.k8s.io",
      resource: "leases",
      namespace: "kube-node-lease",
      name: "node-b",
      object: { metadata: { name: "node-b" } },
      old: { metadata: { name: "node-b" } },
      error:
        'leases.coordination.k8s.io "node-b" is forbidden: can only access node lease with the same name as the requesting node',
    },
    "delete its lease": {
      op: "DELETE",
      group: "coordination.k8s.io",
      resource: "leases",
      namespace: "kube-node-lease",
      name: "node-a",
      old: { metadata: { name: "node-a" } },
      error: null,
    },
    "a lease elsewhere": {
      op: "CREATE",
      group: "coordination.k8s.io",
      resource: "leases",
      namespace: "kube-system",
      name: "node-a",
      object: { metadata: { name: "node-a" } },
      error:
        'leases.coordination.k8s.io "node-a" is forbidden: can only access leases in the "kube-node-lease" system namespace',
    },
    "create its CSINode": {
      op: "CREATE",
      group: "storage.k8s.io",
      resource: "csinodes",
      namespace: "",
      name: "node-a",
      object: { metadata: { name: "node-a" } },
      error: null,
    },
    "update another CSINode": {
      op: "UPDATE",
      group: "storage.k8s.io",
      resource: "csinodes",
      namespace: "",
      name: "node-b",
      object: { metadata: { name: "node-b" } },
      error:
        'csinodes.storage.k8s.io "node-b" is forbidden: can only access CSINode with the same name as the requesting node',
    },
  }),
);

Deno.test(
  "NodeRestriction.admit() lets a node change only the capacity and conditions of claims",
  table({
    "update a claim": {
      op: "UPDATE",
      resource: "persistentvolumeclaims",
      name: "c",
      object: pvc({}),
      old: pvc({}),
      error: 'persistentvolumeclaims "c" is forbidden: may only update PVC status',
    },
    "report capacity and conditions": {
      op: "UPDATE",
      resource: "persistentvolumeclaims",
      subresource: "status",
      name: "c",
      object: {
        ...pvc({
          phase: "Bound",
          capacity: { storage: "2Gi" },
          conditions: [{ type: "Resizing", status: "True" }],
          allocatedResources: { storage: "2Gi" },
        }),
        metadata: { namespace: "default", name: "c", resourceVersion: "6" },
      },
      old: pvc({ phase: "Bound", capacity: { storage: "1Gi" } }),
      error: null,
    },
    "change the phase": {
      op: "UPDATE",
      resource: "persistentvolumeclaims",
      subresource: "status",
      name: "c",
      object: pvc({ phase: "Lost" }),
      old: pvc({ phase: "Bound" }),
      error:
        'persistentvolumeclaims "c" is forbidden: node "node-a" is not allowed to update fields other than status.capacity and status.conditions: status.phase',
    },
    "relabel the claim through status": {
      op: "UPDATE",
      resource: "persistentvolumeclaims",
      subresource: "status",
      name: "c",
      object: pvc({}, { tier: "gold" }),
      old: pvc({}),
      error:
        'persistentvolumeclaims "c" is forbidden: node "node-a" is not allowed to update fields other than status.capacity and status.conditions: metadata.labels',
    },
  }),
);

const TOKEN_CASES: Record<string, Case> = {
  "a token bound to its pod": {
    op: "CREATE",
    resource: "serviceaccounts",
    subresource: "token",
    name: "sa-a",
    object: tokenRequest({ apiVersion: "v1", kind: "Pod", name: "pa", uid: "uid-pa" }),
    error: null,
  },
  "a token for an audience its pod projects": {
    op: "CREATE",
    resource: "serviceaccounts",
    subresource: "token",
    name: "sa-a",
    object: tokenRequest({ apiVersion: "v1", kind: "Pod", name: "pa", uid: "uid-pa" }, ["vault"]),
    error: null,
  },
  "a token bound to nothing": {
    op: "CREATE",
    resource: "serviceaccounts",
    subresource: "token",
    name: "sa-a",
    object: tokenRequest(null),
    error: 'serviceaccounts "sa-a" is forbidden: node requested token not bound to a pod',
  },
  "a token bound to a secret": {
    op: "CREATE",
    resource: "serviceaccounts",
    subresource: "token",
    name: "sa-a",
    object: tokenRequest({ apiVersion: "v1", kind: "Secret", name: "s", uid: "u" }),
    error: 'serviceaccounts "sa-a" is forbidden: node requested token not bound to a pod',
  },
  "a pod binding without a uid": {
    op: "CREATE",
    resource: "serviceaccounts",
    subresource: "token",
    name: "sa-a",
    object: tokenRequest({ apiVersion: "v1", kind: "Pod", name: "pa" }),
    error:
      'serviceaccounts "sa-a" is forbidden: node requested token with a pod binding without a uid',
  },
  "a missing pod": {
    op: "CREATE",
    resource: "serviceaccounts",
    subresource: "token",
    name: "sa-a",
    object: tokenRequest({ apiVersion: "v1", kind: "Pod", name: "ghost", uid: "u" }),
    error: 'pod "ghost" not found',
    code: 404,
  },
  "a recreated pod": {
    op: "CREATE",
    resource: "serviceaccounts",
    subresource: "token",
    name: "sa-a",
    object: tokenRequest({ apiVersion: "v1", kind: "Pod", name: "pa", uid: "old-uid" }),
    error:
      'serviceaccounts "sa-a" is forbidden: the UID in the bound object reference (old-uid) does not match the UID in record. The object might have been deleted and then recreated',
  },
  "another node's pod": {
    op: "CREATE",
    resource: "serviceaccounts",
    subresource: "token",
    name: "default",
    object: tokenRequest({ apiVersion: "v1", kind: "Pod", name: "pb", uid: "uid-pb" }),
    error:
      'serviceaccounts "default" is forbidden: node requested token bound to a pod scheduled on a different node',
  },
  "two audiences": {
    op: "CREATE",
    resource: "serviceaccounts",
    subresource: "token",
    name: "sa-a",
    object: tokenRequest({ apiVersion: "v1", kind: "Pod", name: "pa", uid: "uid-pa" }, ["a", "b"]),
    error: 'serviceaccounts "sa-a" is forbidden: node may only request 0 or 1 audiences',
  },
  "an audience its pod does not use": {
    op: "CREATE",
    resource: "serviceaccounts",
    subresource: "token",
    name: "sa-a",
    object: tokenRequest({ apiVersion: "v1", kind: "Pod", name: "pa", uid: "uid-pa" }, [
      "registry",
    ]),
    error:
      'serviceaccounts "sa-a" is forbidden: audience "registry" not found in pod spec volume, system:node:node-a is not authorized to request tokens for this audience',
  },
  "creating a ServiceAccount (the authorizer's call)": {
    op: "CREATE",
    resource: "serviceaccounts",
    name: "x",
    object: { metadata: { name: "x" } },
    error: null,
  },
};

Deno.test(
  "NodeRestriction.admit() binds node tokens to the node's pods and their audiences",
  table(TOKEN_CASES),
);

Deno.test("NodeRestriction.admit() asks the authorizer about other audiences", async () => {
  const asked: AuthorizationAttributes[] = [];
  const authorizer: Authorizer = {
    authorize(a) {
      asked.push(a);
      return { decision: a.resource === "registry" ? "allow" : "noOpinion", reason: "" };
    },
  };
  const plugin = new NodeRestriction({ pods, authorizer });
  await check(plugin, { ...TOKEN_CASES["an audience its pod does not use"]!, error: null });
  assert.equal(asked.length, 1);
  const a = asked[0]!;
  assert.deepEqual(
    [a.user.username, a.verb, a.apiGroup, a.apiVersion, a.resource, a.namespace, a.name],
    [
      "system:node:node-a",
      "request-serviceaccounts-token-audience",
      "",
      "v1",
      "registry",
      "default",
      "sa-a",
    ],
  );
  const other = tokenRequest({ apiVersion: "v1", kind: "Pod", name: "pa", uid: "uid-pa" }, ["x"]);
  await check(plugin, {
    ...TOKEN_CASES["an audience its pod does not use"]!,
    object: other,
    error:
      'serviceaccounts "sa-a" is forbidden: audience "x" not found in pod spec volume, system:node:node-a is not authorized to request tokens for this audience',
  });
});

Deno.test("isKubeletLabel() and forbiddenNodeLabels() follow upstream's label policy", async (t) => {
  const cases: [string, boolean, boolean][] = [
    // key, kubelet label, forbidden
    ["kubernetes.io/hostname", true, false],
    ["beta.kubernetes.io/arch", true, false],
    ["topology.kubernetes.io/zone", true, false],
    ["failure-domain.beta.kubernetes.io/region", true, false],
    ["node.kubernetes.io/exclude-from-external-load-balancers", true, false],
    ["a.b.kubelet.kubernetes.io/x", true, false],
    ["node-role.kubernetes.io/worker", false, true],
    ["kubernetes.io/role", false, true],
    ["k8s.io/x", false, true],
    ["sub.k8s.io/x", false, true],
    ["node-restriction.kubernetes.io/pool", false, true],
    ["x.node-restriction.kubernetes.io/pool", false, true],
    ["example.com/x", false, false],
    ["plain", false, false],
    ["notkubernetes.io/x", false, false],
  ];
  for (const [key, kubelet, bad] of cases) {
    await t.step(key, () => {
      assert.equal(isKubeletLabel(key), kubelet);
      assert.deepEqual(forbiddenNodeLabels([key]), bad ? [key] : []);
    });
  }
});
