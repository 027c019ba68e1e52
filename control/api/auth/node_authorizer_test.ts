import assert from "node:assert/strict";
import { MemoryStorage } from "../../storage/memory.ts";
import { BufferWriter, JsonLogger } from "../../util/mod.ts";
import { encodeForStorage } from "../store/object_codec.ts";
import { ObjectView } from "../store/object_view.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import { FakeView } from "./_test_view.ts";
import type { AuthorizationAttributes, Decision } from "./authorizer.ts";
import { NODE_RULES, NodeAuthorizer, nodeIdentity } from "./node_authorizer.ts";

const NODE_A = { username: "system:node:node-a", groups: ["system:nodes", "system:authenticated"] };
const NODE_B = { username: "system:node:node-b", groups: ["system:nodes", "system:authenticated"] };

function pod(name: string, node: string, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { namespace: "default", name, uid: `uid-${name}` },
    spec: { ...(node ? { nodeName: node } : {}), containers: [{ name: "c", image: "i" }], ...spec },
  };
}

function secretVolume(secretName: string) {
  return { name: `v-${secretName}`, secret: { secretName } };
}

/** A pod on node-a that references one object through every path upstream follows. */
const RICH_POD = pod("pa", "node-a", {
  serviceAccountName: "sa-a",
  imagePullSecrets: [{ name: "pull-secret" }],
  initContainers: [{
    name: "init",
    image: "i",
    env: [{ name: "X", valueFrom: { secretKeyRef: { name: "init-secret", key: "k" } } }],
  }],
  containers: [{
    name: "c",
    image: "i",
    env: [
      { name: "A", valueFrom: { secretKeyRef: { name: "env-secret", key: "k" } } },
      { name: "B", valueFrom: { configMapKeyRef: { name: "env-cm", key: "k" } } },
      { name: "C", value: "plain" },
    ],
    envFrom: [{ secretRef: { name: "envfrom-secret" } }, { configMapRef: { name: "envfrom-cm" } }],
  }],
  ephemeralContainers: [{
    name: "debug",
    image: "i",
    env: [{ name: "D", valueFrom: { secretKeyRef: { name: "eph-secret", key: "k" } } }],
  }],
  volumes: [
    secretVolume("vol-secret"),
    { name: "cm", configMap: { name: "vol-cm" } },
    {
      name: "proj",
      projected: {
        sources: [
          { secret: { name: "proj-secret" } },
          { configMap: { name: "proj-cm" } },
          { serviceAccountToken: { path: "token" } },
        ],
      },
    },
    { name: "csi", csi: { driver: "d", nodePublishSecretRef: { name: "csi-secret" } } },
    { name: "rbd", rbd: { monitors: ["m"], image: "i", secretRef: { name: "rbd-secret" } } },
    { name: "data", persistentVolumeClaim: { claimName: "claim-a" } },
    { name: "scratch", ephemeral: { volumeClaimTemplate: { spec: {} } } },
  ],
});

function pv(name: string, claim: string, csi: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name },
    spec: {
      capacity: { storage: "1Gi" },
      claimRef: { namespace: "default", name: claim },
      csi: { driver: "d", volumeHandle: "h", ...csi },
    },
  };
}

function fixture() {
  const pods = new FakeView();
  const pvs = new FakeView();
  pods.put(RICH_POD);
  pods.put(pod("pb", "node-b", {
    serviceAccountName: "sa-b",
    volumes: [secretVolume("shared"), secretVolume("sb-secret")],
  }));
  pods.put(pod("pa2", "node-a", { volumes: [secretVolume("shared")] }));
  pods.put(pod("pending", "", { volumes: [secretVolume("pending-secret")] }));
  const mirror = pod("mirror", "node-a", { volumes: [secretVolume("mirror-secret")] });
  mirror.metadata!.annotations = { "kubernetes.io/config.mirror": "x" };
  pods.put(mirror);
  pvs.put(pv("pv-a", "claim-a", {
    nodePublishSecretRef: { namespace: "storage", name: "pv-secret" },
    controllerPublishSecretRef: { namespace: "storage", name: "ctrl-secret" },
  }));
  pvs.put(pv("pv-b", "claim-b"));
  const authz = new NodeAuthorizer({ pods, persistentVolumes: pvs });
  return { pods, pvs, authz };
}

interface Ask {
  readonly user?: { username: string; groups: string[] };
  readonly verb: string;
  readonly resource: string;
  readonly apiGroup?: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly subresource?: string;
  readonly fieldSelector?: string;
}

function attrs(q: Ask): AuthorizationAttributes {
  return {
    user: q.user ?? NODE_A,
    verb: q.verb,
    resourceRequest: true,
    path: "/api/v1/x",
    apiGroup: q.apiGroup ?? "",
    apiVersion: "v1",
    resource: q.resource,
    subresource: q.subresource ?? "",
    namespace: q.namespace ?? "default",
    name: q.name ?? "",
    fieldSelector: q.fieldSelector ?? "",
    labelSelector: "",
  };
}

const NO_REL_A = "no relationship found between node 'node-a' and this object";
const NO_REL_B = "no relationship found between node 'node-b' and this object";

interface Case extends Ask {
  readonly want: Decision;
  readonly reason?: string;
}

function runCases(cases: Record<string, Case>) {
  return async (t: Deno.TestContext) => {
    const { authz } = fixture();
    for (const [name, c] of Object.entries(cases)) {
      await t.step(name, () => {
        const res = authz.authorize(attrs(c));
        assert.equal(res.decision, c.want);
        if (c.reason !== undefined) assert.equal(res.reason, c.reason);
      });
    }
  };
}

Deno.test("nodeIdentity() needs the user name prefix and the system:nodes group", () => {
  assert.deepEqual(nodeIdentity(NODE_A), { isNode: true, nodeName: "node-a" });
  assert.deepEqual(nodeIdentity({ username: "system:node:x", groups: ["system:authenticated"] }), {
    isNode: false,
    nodeName: "",
  });
  assert.deepEqual(nodeIdentity({ username: "bob", groups: ["system:nodes"] }), {
    isNode: false,
    nodeName: "",
  });
  assert.deepEqual(nodeIdentity({ username: "system:node:", groups: ["system:nodes"] }), {
    isNode: true,
    nodeName: "",
  });
});

Deno.test(
  "NodeAuthorizer.authorize() has no opinion on other users and unnamed nodes",
  runCases({
    "a user": {
      user: { username: "bob", groups: [] },
      verb: "get",
      resource: "pods",
      name: "pa",
      want: "noOpinion",
      reason: "",
    },
    "a node name outside system:nodes": {
      user: { username: "system:node:node-a", groups: ["system:authenticated"] },
      verb: "get",
      resource: "secrets",
      name: "vol-secret",
      want: "noOpinion",
      reason: "",
    },
    "an empty node name": {
      user: { username: "system:node:", groups: ["system:nodes"] },
      verb: "get",
      resource: "pods",
      name: "pa",
      want: "noOpinion",
      reason: 'unknown node for user "system:node:"',
    },
  }),
);

Deno.test("NodeAuthorizer.authorize() lets a node read only what its pods reference", async (t) => {
  const { authz } = fixture();
  const reachable: [string, string][] = [
    ["secrets", "pull-secret"],
    ["secrets", "init-secret"],
    ["secrets", "env-secret"],
    ["secrets", "envfrom-secret"],
    ["secrets", "eph-secret"],
    ["secrets", "vol-secret"],
    ["secrets", "proj-secret"],
    ["secrets", "csi-secret"],
    ["secrets", "rbd-secret"],
    ["secrets", "shared"],
    ["configmaps", "env-cm"],
    ["configmaps", "envfrom-cm"],
    ["configmaps", "vol-cm"],
    ["configmaps", "proj-cm"],
    ["persistentvolumeclaims", "claim-a"],
    ["persistentvolumeclaims", "pa-scratch"],
    ["pods", "pa"],
    ["pods", "pa2"],
    ["pods", "mirror"],
  ];
  for (const [resource, name] of reachable) {
    await t.step(`node-a gets ${resource}/${name}, node-b does not`, () => {
      assert.equal(authz.authorize(attrs({ verb: "get", resource, name })).decision, "allow");
      const b = authz.authorize(attrs({ user: NODE_B, verb: "get", resource, name }));
      if (name === "shared") assert.equal(b.decision, "allow");
      else assert.deepEqual(b, { decision: "noOpinion", reason: NO_REL_B });
    });
  }
  const unreachable: [string, string][] = [
    ["secrets", "sb-secret"],
    ["secrets", "pending-secret"],
    ["secrets", "mirror-secret"],
    ["secrets", "unrelated"],
    ["configmaps", "unrelated"],
    ["persistentvolumeclaims", "claim-b"],
    ["pods", "pb"],
    ["pods", "pending"],
  ];
  for (const [resource, name] of unreachable) {
    await t.step(`node-a may not get ${resource}/${name}`, () => {
      assert.deepEqual(authz.authorize(attrs({ verb: "get", resource, name })), {
        decision: "noOpinion",
        reason: NO_REL_A,
      });
    });
  }
});

Deno.test(
  "NodeAuthorizer.authorize() follows PVC → PV → Secret for the kubelet's secrets only",
  runCases({
    "the bound PV": {
      verb: "get",
      resource: "persistentvolumes",
      namespace: "",
      name: "pv-a",
      want: "allow",
    },
    "the PV's node-publish secret": {
      verb: "get",
      resource: "secrets",
      namespace: "storage",
      name: "pv-secret",
      want: "allow",
    },
    "the PV's controller secret": {
      verb: "get",
      resource: "secrets",
      namespace: "storage",
      name: "ctrl-secret",
      want: "noOpinion",
      reason: NO_REL_A,
    },
    "another node and the PV": {
      user: NODE_B,
      verb: "get",
      resource: "persistentvolumes",
      namespace: "",
      name: "pv-a",
      want: "noOpinion",
      reason: NO_REL_B,
    },
    "another node and the PV's secret": {
      user: NODE_B,
      verb: "get",
      resource: "secrets",
      namespace: "storage",
      name: "pv-secret",
      want: "noOpinion",
      reason: NO_REL_B,
    },
    "a PV whose claim no pod uses": {
      verb: "get",
      resource: "persistentvolumes",
      namespace: "",
      name: "pv-b",
      want: "noOpinion",
      reason: NO_REL_A,
    },
    "listing PVs": {
      verb: "list",
      resource: "persistentvolumes",
      namespace: "",
      want: "noOpinion",
      reason: "can only get individual resources of this type",
    },
  }),
);

Deno.test(
  "NodeAuthorizer.authorize() restricts verbs on secrets, configmaps and claims as upstream",
  runCases({
    "list a referenced secret by metadata.name": {
      verb: "list",
      resource: "secrets",
      fieldSelector: "metadata.name=vol-secret",
      want: "allow",
    },
    "watch a referenced configmap by metadata.name": {
      verb: "watch",
      resource: "configmaps",
      fieldSelector: "metadata.name==vol-cm",
      want: "allow",
    },
    "watch an unrelated secret by metadata.name": {
      verb: "watch",
      resource: "secrets",
      fieldSelector: "metadata.name=sb-secret",
      want: "noOpinion",
      reason: NO_REL_A,
    },
    "list every secret": {
      verb: "list",
      resource: "secrets",
      want: "noOpinion",
      reason: "No Object name found",
    },
    "list secrets of all namespaces": {
      verb: "list",
      resource: "secrets",
      namespace: "",
      want: "noOpinion",
      reason: "can only read namespaced object of this type",
    },
    "create a secret": {
      verb: "create",
      resource: "secrets",
      want: "noOpinion",
      reason: "can only read resources of this type",
    },
    "update a referenced configmap": {
      verb: "update",
      resource: "configmaps",
      name: "vol-cm",
      want: "noOpinion",
      reason: "can only read resources of this type",
    },
    "update the status of its claim": {
      verb: "patch",
      resource: "persistentvolumeclaims",
      subresource: "status",
      name: "claim-a",
      want: "allow",
    },
    "update the status of another claim": {
      verb: "update",
      resource: "persistentvolumeclaims",
      subresource: "status",
      name: "claim-b",
      want: "noOpinion",
      reason: NO_REL_A,
    },
    "get the status of its claim": {
      verb: "get",
      resource: "persistentvolumeclaims",
      subresource: "status",
      name: "claim-a",
      want: "noOpinion",
      reason: "can only get/update/patch this type",
    },
    "update its claim": {
      verb: "update",
      resource: "persistentvolumeclaims",
      name: "claim-a",
      want: "noOpinion",
      reason: "can only get individual resources of this type",
    },
    "a volume attachment (none in skiff)": {
      verb: "get",
      resource: "volumeattachments",
      apiGroup: "storage.k8s.io",
      namespace: "",
      name: "va",
      want: "noOpinion",
      reason: NO_REL_A,
    },
  }),
);

Deno.test(
  "NodeAuthorizer.authorize() scopes pod reads to the node and defers writes to admission",
  runCases({
    "list with its spec.nodeName selector": {
      verb: "list",
      resource: "pods",
      namespace: "",
      fieldSelector: "spec.nodeName=node-a",
      want: "allow",
    },
    "watch with its selector among others": {
      verb: "watch",
      resource: "pods",
      namespace: "",
      fieldSelector: "status.phase!=Succeeded,spec.nodeName=node-a",
      want: "allow",
    },
    "list without a selector": {
      verb: "list",
      resource: "pods",
      namespace: "",
      want: "noOpinion",
      reason: "can only list/watch pods with spec.nodeName field selector",
    },
    "list with another node's selector": {
      verb: "list",
      resource: "pods",
      fieldSelector: "spec.nodeName=node-b",
      want: "noOpinion",
      reason: "can only list/watch pods with spec.nodeName field selector",
    },
    "list with a negated selector": {
      verb: "list",
      resource: "pods",
      fieldSelector: "spec.nodeName!=node-a",
      want: "noOpinion",
      reason: "can only list/watch pods with spec.nodeName field selector",
    },
    "list with a selector that does not parse": {
      verb: "list",
      resource: "pods",
      fieldSelector: "spec.nodeName",
      want: "noOpinion",
      reason: "can only list/watch pods with spec.nodeName field selector",
    },
    "watch one of its pods by name": {
      verb: "watch",
      resource: "pods",
      fieldSelector: "metadata.name=pa",
      want: "allow",
    },
    "watch another node's pod by name": {
      verb: "watch",
      resource: "pods",
      fieldSelector: "metadata.name=pb",
      want: "noOpinion",
      reason: NO_REL_A,
    },
    "update the status of a pod (admission checks whose)": {
      verb: "patch",
      resource: "pods",
      subresource: "status",
      name: "pb",
      want: "allow",
    },
    "create a pod (admission allows mirror pods only)": {
      verb: "create",
      resource: "pods",
      want: "allow",
    },
    "delete a pod": { verb: "delete", resource: "pods", name: "pb", want: "allow" },
    "evict a pod": {
      verb: "create",
      resource: "pods",
      subresource: "eviction",
      name: "pa",
      want: "allow",
    },
    "update a pod": { verb: "update", resource: "pods", name: "pa", want: "noOpinion", reason: "" },
    "read a pod's log": {
      verb: "get",
      resource: "pods",
      subresource: "log",
      name: "pa",
      want: "noOpinion",
      reason: "",
    },
    "get a pod's status": {
      verb: "get",
      resource: "pods",
      subresource: "status",
      name: "pa",
      want: "noOpinion",
      reason: "",
    },
    "bind a pod": {
      verb: "create",
      resource: "pods",
      subresource: "binding",
      name: "pending",
      want: "noOpinion",
      reason: "",
    },
    "delete every pod": {
      verb: "deletecollection",
      resource: "pods",
      want: "noOpinion",
      reason: "",
    },
  }),
);

Deno.test(
  "NodeAuthorizer.authorize() gives a node its own Node object only",
  runCases({
    "get itself": { verb: "get", resource: "nodes", namespace: "", name: "node-a", want: "allow" },
    "get itself before it exists": {
      user: { username: "system:node:new", groups: ["system:nodes"] },
      verb: "get",
      resource: "nodes",
      namespace: "",
      name: "new",
      want: "allow",
    },
    "get another node": {
      verb: "get",
      resource: "nodes",
      namespace: "",
      name: "node-b",
      want: "noOpinion",
      reason: "node 'node-a' cannot read 'node-b', only its own Node object",
    },
    "list every node": {
      verb: "list",
      resource: "nodes",
      namespace: "",
      want: "noOpinion",
      reason: "node 'node-a' cannot read all nodes, only its own Node object",
    },
    "watch itself by metadata.name": {
      verb: "watch",
      resource: "nodes",
      namespace: "",
      fieldSelector: "metadata.name=node-a",
      want: "allow",
    },
    "watch another by metadata.name": {
      verb: "watch",
      resource: "nodes",
      namespace: "",
      fieldSelector: "metadata.name=node-b",
      want: "noOpinion",
      reason: "node 'node-a' cannot read 'node-b', only its own Node object",
    },
    "create (admission checks the name)": {
      verb: "create",
      resource: "nodes",
      namespace: "",
      want: "allow",
    },
    "patch (admission checks the name)": {
      verb: "patch",
      resource: "nodes",
      namespace: "",
      name: "node-b",
      want: "allow",
    },
    "update its status": {
      verb: "update",
      resource: "nodes",
      subresource: "status",
      namespace: "",
      name: "node-a",
      want: "allow",
    },
    "delete itself": {
      verb: "delete",
      resource: "nodes",
      namespace: "",
      name: "node-a",
      want: "noOpinion",
      reason: "",
    },
    "get its status": {
      verb: "get",
      resource: "nodes",
      subresource: "status",
      namespace: "",
      name: "node-a",
      want: "noOpinion",
      reason: "",
    },
  }),
);

Deno.test(
  "NodeAuthorizer.authorize() gives a node its own Lease in kube-node-lease",
  runCases({
    "get its lease": {
      verb: "get",
      resource: "leases",
      apiGroup: "coordination.k8s.io",
      namespace: "kube-node-lease",
      name: "node-a",
      want: "allow",
    },
    "update its lease": {
      verb: "update",
      resource: "leases",
      apiGroup: "coordination.k8s.io",
      namespace: "kube-node-lease",
      name: "node-a",
      want: "allow",
    },
    "create a lease (admission checks the name)": {
      verb: "create",
      resource: "leases",
      apiGroup: "coordination.k8s.io",
      namespace: "kube-node-lease",
      want: "allow",
    },
    "update another node's lease": {
      verb: "update",
      resource: "leases",
      apiGroup: "coordination.k8s.io",
      namespace: "kube-node-lease",
      name: "node-b",
      want: "noOpinion",
      reason: "can only access node lease with the same name as the requesting node",
    },
    "a lease in another namespace": {
      verb: "get",
      resource: "leases",
      apiGroup: "coordination.k8s.io",
      namespace: "kube-system",
      name: "node-a",
      want: "noOpinion",
      reason: 'can only access leases in the "kube-node-lease" system namespace',
    },
    "list leases": {
      verb: "list",
      resource: "leases",
      apiGroup: "coordination.k8s.io",
      namespace: "kube-node-lease",
      want: "noOpinion",
      reason: "can only get, create, update, patch, or delete a node lease",
    },
    "its CSINode": {
      verb: "update",
      resource: "csinodes",
      apiGroup: "storage.k8s.io",
      namespace: "",
      name: "node-a",
      want: "allow",
    },
    "another CSINode": {
      verb: "get",
      resource: "csinodes",
      apiGroup: "storage.k8s.io",
      namespace: "",
      name: "node-b",
      want: "noOpinion",
      reason: "can only access CSINode with the same name as the requesting node",
    },
  }),
);

Deno.test(
  "NodeAuthorizer.authorize() creates tokens only for its pods' ServiceAccounts",
  runCases({
    "its pod's ServiceAccount": {
      verb: "create",
      resource: "serviceaccounts",
      subresource: "token",
      name: "sa-a",
      want: "allow",
    },
    "another node's pod's ServiceAccount": {
      verb: "create",
      resource: "serviceaccounts",
      subresource: "token",
      name: "sa-b",
      want: "noOpinion",
      reason: NO_REL_A,
    },
    "the other node asks for sa-a": {
      user: NODE_B,
      verb: "create",
      resource: "serviceaccounts",
      subresource: "token",
      name: "sa-a",
      want: "noOpinion",
      reason: NO_REL_B,
    },
    "get the ServiceAccount": {
      verb: "get",
      resource: "serviceaccounts",
      name: "sa-a",
      want: "noOpinion",
      reason: "can only create tokens for individual service accounts",
    },
    "create a ServiceAccount": {
      verb: "create",
      resource: "serviceaccounts",
      want: "noOpinion",
      reason: "can only create tokens for individual service accounts",
    },
  }),
);

Deno.test(
  "NodeAuthorizer.authorize() applies the static node rules to everything else",
  runCases({
    "list services": { verb: "list", resource: "services", namespace: "", want: "allow" },
    "watch services": { verb: "watch", resource: "services", namespace: "", want: "allow" },
    "create a service": { verb: "create", resource: "services", want: "noOpinion", reason: "" },
    "create an event": { verb: "create", resource: "events", want: "allow" },
    "create an events.k8s.io event": {
      verb: "create",
      resource: "events",
      apiGroup: "events.k8s.io",
      want: "noOpinion",
    },
    "get endpoints": { verb: "get", resource: "endpoints", name: "kubernetes", want: "allow" },
    "list endpointslices": {
      verb: "list",
      resource: "endpointslices",
      apiGroup: "discovery.k8s.io",
      namespace: "",
      want: "noOpinion",
    },
    "create a tokenreview": {
      verb: "create",
      resource: "tokenreviews",
      apiGroup: "authentication.k8s.io",
      namespace: "",
      want: "allow",
    },
    "create a subjectaccessreview": {
      verb: "create",
      resource: "subjectaccessreviews",
      apiGroup: "authorization.k8s.io",
      namespace: "",
      want: "allow",
    },
    "create a selfsubjectreview (RBAC's basic-user decides)": {
      verb: "create",
      resource: "selfsubjectreviews",
      apiGroup: "authentication.k8s.io",
      namespace: "",
      want: "noOpinion",
    },
    "list runtimeclasses": {
      verb: "list",
      resource: "runtimeclasses",
      apiGroup: "node.k8s.io",
      namespace: "",
      want: "allow",
    },
    "create a CSR": {
      verb: "create",
      resource: "certificatesigningrequests",
      apiGroup: "certificates.k8s.io",
      namespace: "",
      want: "allow",
    },
    "list deployments": {
      verb: "list",
      resource: "deployments",
      apiGroup: "apps",
      namespace: "",
      want: "noOpinion",
    },
  }),
);

Deno.test("NodeAuthorizer.authorize() has no opinion on non-resource paths", () => {
  const { authz } = fixture();
  const res = authz.authorize({ ...attrs({ verb: "get", resource: "" }), resourceRequest: false });
  assert.deepEqual(res, { decision: "noOpinion", reason: "" });
});

Deno.test("NodeAuthorizer follows pods as they are scheduled, moved and deleted", async (t) => {
  const pods = new FakeView();
  using authz = new NodeAuthorizer({ pods });
  const can = (user: typeof NODE_A, name: string) =>
    authz.authorize(attrs({ user, verb: "get", resource: "secrets", name })).decision === "allow";

  await t.step("a pending pod grants nothing", () => {
    pods.put(pod("p", "", { volumes: [secretVolume("s1")] }));
    assert.equal(can(NODE_A, "s1"), false);
    assert.equal(authz.graphSize.pods, 0);
  });
  await t.step("scheduling the pod grants its node the secret", () => {
    pods.put(pod("p", "node-a", { volumes: [secretVolume("s1")] }));
    assert.equal(can(NODE_A, "s1"), true);
    assert.equal(can(NODE_B, "s1"), false);
  });
  await t.step("a status update changes nothing", () => {
    const p = pod("p", "node-a", { volumes: [secretVolume("s1")] });
    p.status = { phase: "Running" };
    pods.put(p);
    assert.equal(can(NODE_A, "s1"), true);
    assert.deepEqual(authz.graphSize, { pods: 1, pvs: 0, objects: 1 });
  });
  await t.step("moving the pod (a recreated pod on another node) moves the access", () => {
    pods.put(pod("p", "node-b", { volumes: [secretVolume("s1")] }));
    assert.equal(can(NODE_A, "s1"), false);
    assert.equal(can(NODE_B, "s1"), true);
  });
  await t.step("deleting the pod removes the access", () => {
    pods.delete("default", "p");
    assert.equal(can(NODE_B, "s1"), false);
    assert.deepEqual(authz.graphSize, { pods: 0, pvs: 0, objects: 0 });
  });
});

Deno.test("NodeAuthorizer counts a secret used by several pods on several nodes", async (t) => {
  const pods = new FakeView();
  using authz = new NodeAuthorizer({ pods });
  const can = (user: typeof NODE_A) =>
    authz.authorize(attrs({ user, verb: "get", resource: "secrets", name: "shared" })).decision ===
      "allow";
  pods.put(pod("a1", "node-a", { volumes: [secretVolume("shared")] }));
  pods.put(pod("a2", "node-a", { volumes: [secretVolume("shared"), secretVolume("shared")] }));
  pods.put(pod("b1", "node-b", { volumes: [secretVolume("shared")] }));

  await t.step("both nodes read it", () => {
    assert.equal(can(NODE_A), true);
    assert.equal(can(NODE_B), true);
  });
  await t.step("removing one of node-a's pods keeps node-a's access", () => {
    pods.delete("default", "a1");
    assert.equal(can(NODE_A), true);
  });
  await t.step("removing node-a's last pod ends it, node-b keeps its own", () => {
    pods.delete("default", "a2");
    assert.equal(can(NODE_A), false);
    assert.equal(can(NODE_B), true);
  });
  await t.step("a status update of the same pod keeps it (references are immutable)", () => {
    const p = pod("b1", "node-b", { volumes: [secretVolume("shared")] });
    p.status = { phase: "Succeeded" };
    pods.put(p);
    assert.equal(can(NODE_B), true);
  });
  await t.step("a recreated pod without the reference ends node-b's", () => {
    const p = pod("b1", "node-b", { volumes: [secretVolume("other")] });
    p.metadata!.uid = "uid-b1-again";
    pods.put(p);
    assert.equal(can(NODE_B), false);
  });
  await t.step("an added ephemeral container's references count", () => {
    const p = pod("b1", "node-b", {
      volumes: [secretVolume("other")],
      ephemeralContainers: [{
        name: "debug",
        image: "i",
        envFrom: [{ secretRef: { name: "shared" } }],
      }],
    });
    p.metadata!.uid = "uid-b1-again";
    pods.put(p);
    assert.equal(can(NODE_B), true);
  });
});

Deno.test("NodeAuthorizer follows PersistentVolumes binding and unbinding", () => {
  const pods = new FakeView();
  const pvs = new FakeView();
  using authz = new NodeAuthorizer({ pods, persistentVolumes: pvs });
  const canPv = () =>
    authz.authorize(attrs({ verb: "get", resource: "persistentvolumes", namespace: "", name: "v" }))
      .decision;
  pods.put(
    pod("p", "node-a", { volumes: [{ name: "d", persistentVolumeClaim: { claimName: "c" } }] }),
  );
  assert.equal(canPv(), "noOpinion");
  pvs.put(pv("v", "c"));
  assert.equal(canPv(), "allow");
  const unbound = pv("v", "c");
  delete (unbound.spec as { claimRef?: unknown }).claimRef;
  pvs.put(unbound);
  assert.equal(canPv(), "noOpinion");
  pvs.put(pv("v", "c"));
  pvs.delete("", "v");
  assert.equal(canPv(), "noOpinion");
});

Deno.test("NodeAuthorizer stops following its views when disposed", () => {
  const pods = new FakeView();
  const pvs = new FakeView();
  const authz = new NodeAuthorizer({ pods, persistentVolumes: pvs });
  assert.equal(pods.listeners + pvs.listeners, 2);
  authz[Symbol.dispose]();
  assert.equal(pods.listeners + pvs.listeners, 0);
  assert.deepEqual(authz.rulesFor(NODE_A), {
    incomplete: true,
    evaluationError: "node authorizer does not support user rule resolution",
  });
  assert.equal(authz.rulesFor({ username: "bob", groups: [] }), null);
});

Deno.test("NodeAuthorizer reads the server's pod view fed by storage", async () => {
  const storage = new MemoryStorage();
  await storage.create(
    "/registry/pods/default/early",
    encodeForStorage(pod("early", "node-a", {
      volumes: [secretVolume("early-secret")],
    })),
  );
  const view = new ObjectView({
    storage,
    prefix: "/registry/pods/",
    logger: new JsonLogger({ writer: new BufferWriter() }),
  });
  const ac = new AbortController();
  await view.start(ac.signal);
  using authz = new NodeAuthorizer({ pods: view });
  const can = (name: string) =>
    authz.authorize(attrs({ verb: "get", resource: "secrets", name })).decision === "allow";
  assert.equal(can("early-secret"), true);
  await storage.create(
    "/registry/pods/default/late",
    encodeForStorage(pod("late", "node-a", {
      volumes: [secretVolume("late-secret")],
    })),
  );
  for (let i = 0; i < 200 && !can("late-secret"); i++) await new Promise((r) => setTimeout(r, 5));
  assert.equal(can("late-secret"), true);
  ac.abort();
});

Deno.test("NODE_RULES are upstream's system:node rules", () => {
  const flat = NODE_RULES.map((r) =>
    `${r.apiGroups.join(",")}:${r.resources.join(",")}:${r.verbs.join(",")}`
  );
  assert.equal(flat.length, 22);
  assert.ok(flat.includes(":pods/eviction:create"));
  assert.ok(flat.includes(":serviceaccounts/token:create"));
  assert.ok(flat.includes("coordination.k8s.io:leases:get,create,update,patch,delete"));
  assert.ok(Object.isFrozen(NODE_RULES[0]!.verbs));
});
