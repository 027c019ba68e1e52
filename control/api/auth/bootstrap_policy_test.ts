import assert from "node:assert/strict";
import { nodeNetworkUser } from "./node_network_identity.ts";
import { createTestApp, type TestAppParts } from "../_test_app.ts";
import { decodeProtobufBody } from "../codec/protobuf_body.ts";
import { InProcessClient } from "../in_process_client.ts";
import type { ClusterRole, ClusterRoleBinding, PolicyRule } from "../types/rbac_v1.ts";
import { AccessReviewHandler } from "./access_reviews.ts";
import { UnionAuthorizer } from "./authorizer.ts";
import {
  BOOTSTRAPPERS_GROUP,
  bootstrapPolicy,
  NODE_CREDENTIALS_PATH,
  NODE_CREDENTIALS_ROLE,
  NODE_NETWORK_ROLE,
  reconcileBootstrapPolicy,
} from "./bootstrap_policy.ts";
import { ClusterRoleAggregationController } from "./cluster_role_aggregation.ts";
import { NodeAuthorizer } from "./node_authorizer.ts";
import { RBAC_PREFIXES, RbacAuthorizer } from "./rbac_authorizer.ts";
import { rulesAllow } from "./rbac_rules.ts";

const API = "/apis/rbac.authorization.k8s.io/v1";

Deno.test("bootstrapPolicy() labels and annotates every object, with unique names", () => {
  const p = bootstrapPolicy();
  const all = [...p.clusterRoles, ...p.clusterRoleBindings, ...p.roles, ...p.roleBindings];
  for (const o of all) {
    assert.equal(o.metadata?.labels?.["kubernetes.io/bootstrapping"], "rbac-defaults");
    assert.equal(
      o.metadata?.annotations?.["rbac.authorization.kubernetes.io/autoupdate"],
      "true",
    );
  }
  const ids = all.map((o) => `${o.kind}/${o.metadata?.namespace ?? ""}/${o.metadata?.name}`);
  assert.equal(new Set(ids).size, ids.length);
  const roleNames = new Set(p.clusterRoles.map((r) => r.metadata?.name));
  for (const b of p.clusterRoleBindings) assert.ok(roleNames.has(b.roleRef.name), b.roleRef.name);
});

Deno.test("bootstrapPolicy() has upstream's key roles and bindings", async (t) => {
  const p = bootstrapPolicy();
  const cr = (name: string) => p.clusterRoles.find((r) => r.metadata?.name === name)!;
  const crb = (name: string) => p.clusterRoleBindings.find((r) => r.metadata?.name === name)!;
  const allows = (
    rules: PolicyRule[] | undefined,
    req: Partial<Parameters<typeof rulesAllow>[0]>,
  ) =>
    rulesAllow({
      verb: "get",
      resourceRequest: true,
      path: "",
      apiGroup: "",
      resource: "",
      subresource: "",
      name: "",
      ...req,
    }, rules ?? []);
  await t.step("cluster-admin: everything, bound to system:masters", () => {
    assert.deepEqual(cr("cluster-admin").rules, [
      { verbs: ["*"], apiGroups: ["*"], resources: ["*"] },
      { verbs: ["*"], nonResourceURLs: ["*"] },
    ]);
    assert.deepEqual(crb("cluster-admin").subjects, [
      { kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: "system:masters" },
    ]);
  });
  await t.step("admin, edit and view aggregate; edit and view feed the role above", () => {
    for (const [name, label] of [["admin", "admin"], ["edit", "edit"], ["view", "view"]]) {
      assert.deepEqual(cr(name!).aggregationRule, {
        clusterRoleSelectors: [{
          matchLabels: { [`rbac.authorization.k8s.io/aggregate-to-${label}`]: "true" },
        }],
      });
      assert.equal(cr(name!).rules, undefined);
    }
    assert.equal(
      cr("edit").metadata?.labels?.["rbac.authorization.k8s.io/aggregate-to-admin"],
      "true",
    );
    assert.equal(
      cr("view").metadata?.labels?.["rbac.authorization.k8s.io/aggregate-to-edit"],
      "true",
    );
  });
  await t.step("system:discovery and system:public-info-viewer", () => {
    const discovery = cr("system:discovery").rules;
    assert.deepEqual(discovery?.[0]?.nonResourceURLs, [
      "/api",
      "/api/*",
      "/apis",
      "/apis/*",
      "/healthz",
      "/livez",
      "/openapi",
      "/openapi/*",
      "/readyz",
      "/version",
      "/version/",
    ]);
    assert.deepEqual(crb("system:public-info-viewer").subjects?.map((s) => s.name), [
      "system:authenticated",
      "system:unauthenticated",
    ]);
  });
  await t.step("system:basic-user lets users review themselves", () => {
    const rules = cr("system:basic-user").rules;
    for (const resource of ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]) {
      assert.ok(allows(rules, { verb: "create", apiGroup: "authorization.k8s.io", resource }));
    }
    assert.ok(allows(rules, {
      verb: "create",
      apiGroup: "authentication.k8s.io",
      resource: "selfsubjectreviews",
    }));
  });
  await t.step("system:node exists and is bound to nobody", () => {
    assert.ok(allows(cr("system:node").rules, { resource: "nodes" }));
    assert.equal(crb("system:node").subjects, undefined);
  });
  await t.step("join tokens may post to the node-credentials route", () => {
    assert.ok(allows(cr(NODE_CREDENTIALS_ROLE).rules, {
      verb: "post",
      resourceRequest: false,
      path: NODE_CREDENTIALS_PATH,
    }));
    assert.deepEqual(crb(NODE_CREDENTIALS_ROLE).subjects?.map((s) => s.name), [
      BOOTSTRAPPERS_GROUP,
    ]);
  });
  await t.step("nodes' network identities may list and watch what they follow", () => {
    const rules = cr(NODE_NETWORK_ROLE).rules;
    const reads: [string, string][] = [
      ["", "services"],
      ["", "namespaces"],
      ["", "pods"],
      ["", "nodes"],
      ["discovery.k8s.io", "endpointslices"],
      ["networking.k8s.io", "networkpolicies"],
    ];
    for (const [apiGroup, resource] of reads) {
      for (const verb of ["list", "watch"]) {
        assert.ok(allows(rules, { verb, apiGroup, resource }), `${verb} ${resource}`);
      }
      for (const verb of ["get", "create", "update", "patch", "delete"]) {
        assert.ok(!allows(rules, { verb, apiGroup, resource }), `${verb} ${resource}`);
      }
    }
    assert.ok(!allows(rules, { verb: "list", resource: "secrets" }));
    assert.ok(!allows(rules, { verb: "list", resource: "pods", subresource: "log" }));
    assert.deepEqual(crb(NODE_NETWORK_ROLE).subjects, [
      { kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: "system:skiff:node-networks" },
    ]);
  });
  await t.step("each controller role is bound to its kube-system service account", () => {
    const b = crb("system:controller:replicaset-controller");
    assert.deepEqual(b.subjects, [
      { kind: "ServiceAccount", name: "replicaset-controller", namespace: "kube-system" },
    ]);
    assert.ok(allows(cr("system:controller:replicaset-controller").rules, {
      verb: "update",
      apiGroup: "apps",
      resource: "replicasets",
      subresource: "status",
    }));
  });
  await t.step("rules are sorted as upstream's rule builder sorts them", () => {
    const node = cr("system:node").rules!;
    assert.deepEqual(node[1], {
      verbs: ["create"],
      apiGroups: ["authorization.k8s.io"],
      resources: ["localsubjectaccessreviews", "subjectaccessreviews"],
    });
  });
});

Deno.test("reconcileBootstrapPolicy() creates everything once; a second run writes nothing", async () => {
  await using app = await createTestApp();
  const first = await reconcileBootstrapPolicy(app.client, app.logger);
  const p = bootstrapPolicy();
  const total = p.clusterRoles.length + p.clusterRoleBindings.length + p.roles.length +
    p.roleBindings.length;
  assert.equal(first.created.length, total);
  assert.deepEqual(first.updated, []);
  const stored = await app.json("GET", `${API}/clusterroles/system:basic-user`);
  assert.equal(stored.status, 200);
  const revision = await app.storage.currentRevision();
  const second = await reconcileBootstrapPolicy(app.client, app.logger);
  assert.deepEqual(second, { created: [], updated: [], skipped: [] });
  assert.equal(await app.storage.currentRevision(), revision);
});

Deno.test("reconcileBootstrapPolicy() adds what is missing and keeps what users added", async (t) => {
  await using app = await createTestApp();
  await reconcileBootstrapPolicy(app.client, app.logger);
  const extra: PolicyRule = { verbs: ["get"], apiGroups: [""], resources: ["secrets"] };
  await t.step("rules", async () => {
    const path = `${API}/clusterroles/system:basic-user`;
    const role = (await app.json("GET", path)).body as ClusterRole;
    role.rules = [role.rules![1]!, extra];
    role.metadata!.labels = { ...role.metadata!.labels, mine: "yes" };
    assert.equal((await app.json("PUT", path, { body: role })).status, 200);
    const res = await reconcileBootstrapPolicy(app.client, app.logger);
    assert.deepEqual(res.updated, ["clusterroles/system:basic-user"]);
    const after = (await app.json("GET", path)).body as ClusterRole;
    assert.deepEqual(after.rules?.[1], extra);
    assert.equal(after.metadata?.labels?.mine, "yes");
    assert.ok(rulesAllow({
      verb: "create",
      resourceRequest: true,
      path: "",
      apiGroup: "authorization.k8s.io",
      resource: "selfsubjectrulesreviews",
      subresource: "",
      name: "",
    }, after.rules!));
  });
  await t.step("subjects", async () => {
    const path = `${API}/clusterrolebindings/system:discovery`;
    const b = (await app.json("GET", path)).body as ClusterRoleBinding;
    b.subjects = [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: "alice" }];
    assert.equal((await app.json("PUT", path, { body: b })).status, 200);
    const res = await reconcileBootstrapPolicy(app.client, app.logger);
    assert.deepEqual(res.updated, ["clusterrolebindings/system:discovery"]);
    const after = (await app.json("GET", path)).body as ClusterRoleBinding;
    assert.deepEqual(after.subjects?.map((s) => s.name), ["alice", "system:authenticated"]);
  });
  await t.step("a binding to another role is recreated", async () => {
    const path = `${API}/clusterrolebindings/system:monitoring`;
    assert.equal((await app.json("DELETE", path)).status, 200);
    const created = await app.json("POST", `${API}/clusterrolebindings`, {
      body: {
        metadata: { name: "system:monitoring" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
        subjects: [{ kind: "Group", name: "system:monitoring" }],
      },
    });
    assert.equal(created.status, 201);
    const res = await reconcileBootstrapPolicy(app.client, app.logger);
    assert.deepEqual(res.updated, ["clusterrolebindings/system:monitoring"]);
    const after = (await app.json("GET", path)).body as ClusterRoleBinding;
    assert.equal(after.roleRef.name, "system:monitoring");
  });
  await t.step("a deleted role comes back", async () => {
    const path = `${API}/namespaces/kube-system/roles/system:controller:token-cleaner`;
    assert.equal((await app.json("DELETE", path)).status, 200);
    const res = await reconcileBootstrapPolicy(app.client, app.logger);
    assert.deepEqual(res.created, ["roles/kube-system/system:controller:token-cleaner"]);
  });
  await t.step("autoupdate false is left alone", async () => {
    const path = `${API}/clusterroles/system:monitoring`;
    const role = (await app.json("GET", path)).body as ClusterRole;
    role.rules = [];
    role.metadata!.annotations = { "rbac.authorization.kubernetes.io/autoupdate": "false" };
    assert.equal((await app.json("PUT", path, { body: role })).status, 200);
    const res = await reconcileBootstrapPolicy(app.client, app.logger);
    assert.deepEqual(res, {
      created: [],
      updated: [],
      skipped: ["clusterroles/system:monitoring"],
    });
    assert.deepEqual(((await app.json("GET", path)).body as ClusterRole).rules ?? [], []);
  });
});

Deno.test("reconcileBootstrapPolicy() and the aggregation controller settle on admin, edit, view", async () => {
  await using app = await createTestApp();
  const controller = new ClusterRoleAggregationController({ views: app.views, logger: app.logger });
  await controller.start(app.client, app.signal);
  await reconcileBootstrapPolicy(app.client, app.logger);
  const view = app.views.get(RBAC_PREFIXES.clusterRoles);
  const settled = () => {
    const n = (name: string) => ((view.getByName("", name) as ClusterRole)?.rules ?? []).length;
    return n("view") > 0 && n("edit") > n("view") && n("admin") > n("edit");
  };
  await new Promise<void>((resolve) => {
    if (settled()) return resolve();
    const off = view.onChange(() => {
      if (!settled()) return;
      off();
      resolve();
    });
  });
  await controller.idle();
  const admin = view.getByName("", "admin") as ClusterRole;
  const request = {
    verb: "create",
    resourceRequest: true,
    path: "",
    apiGroup: "rbac.authorization.k8s.io",
    resource: "rolebindings",
    subresource: "",
    name: "",
  };
  assert.ok(rulesAllow(request, admin.rules!));
  assert.ok(!rulesAllow(request, (view.getByName("", "edit") as ClusterRole).rules!));
  const res = await reconcileBootstrapPolicy(app.client, app.logger);
  assert.deepEqual(res, { created: [], updated: [], skipped: [] });
});

/**
 * The app with the server's authorizer chain (the Node authorizer, then RBAC, behind the
 * `system:masters` bypass), the access reviews, and the bootstrap policy reconciled.
 */
async function nodeAuthorizationApp() {
  let chain: { rbac: RbacAuthorizer; union: UnionAuthorizer } | null = null;
  const parts = (p: TestAppParts) => {
    if (!chain) {
      const rbac = new RbacAuthorizer({ views: p.views });
      const node = new NodeAuthorizer({
        pods: p.views.get("/registry/pods/"),
        persistentVolumes: p.views.get("/registry/persistentvolumes/"),
      });
      chain = { rbac, union: new UnionAuthorizer([node, rbac]) };
    }
    return chain;
  };
  const app = await createTestApp({
    // Only in-process users: the admin client and the ones the test makes.
    authenticator: () => ({ authenticate: () => Promise.resolve(null) }),
    authorizer: (p) => parts(p).union,
    extensions: (p) => ({
      reviews: [
        new AccessReviewHandler({
          authorizer: parts(p).union,
          ruleResolvers: [parts(p).rbac],
          protobuf: decodeProtobufBody,
        }),
      ],
    }),
  });
  await parts(app).rbac.start();
  await reconcileBootstrapPolicy(app.client, app.logger);
  // RBAC decides from the views: wait until they hold the binding just written.
  const bindings = app.views.get(RBAC_PREFIXES.clusterRoleBindings);
  await new Promise<void>((resolve) => {
    const has = () => bindings.getByName("", NODE_NETWORK_ROLE) !== undefined;
    if (has()) return resolve();
    const off = bindings.onChange(() => {
      if (!has()) return;
      off();
      resolve();
    });
  });
  return app;
}

Deno.test("a node's network identity lists and watches what its network components follow; the node itself does not", async (t) => {
  await using app = await nodeAuthorizationApp();
  const network = new InProcessClient(app.app, nodeNetworkUser("edge-1"));
  const node = new InProcessClient(app.app, {
    username: "system:node:edge-1",
    groups: ["system:nodes", "system:authenticated"],
  });
  // [path, network identity, node identity (the Node authorizer's rules alone)]
  const cases: [string, number, number][] = [
    ["/api/v1/pods", 200, 403],
    ["/api/v1/namespaces/default/pods", 200, 403],
    ["/api/v1/pods?watch=1&timeoutSeconds=1", 200, 403],
    ["/api/v1/pods?fieldSelector=spec.nodeName%3Dedge-1", 200, 200],
    ["/api/v1/services", 200, 200],
    ["/api/v1/namespaces", 200, 403],
    ["/api/v1/nodes", 200, 403],
    ["/apis/discovery.k8s.io/v1/endpointslices", 200, 403],
    ["/apis/networking.k8s.io/v1/networkpolicies", 200, 403],
    // What the role does not give stays refused.
    ["/api/v1/secrets", 403, 403],
    ["/api/v1/configmaps", 403, 403],
    ["/api/v1/namespaces/default", 403, 403],
    ["/api/v1/namespaces/default/pods/web", 403, 403],
  ];
  for (const [path, networkStatus, nodeStatus] of cases) {
    await t.step(`GET ${path}`, async () => {
      const asNetwork = await network.request("GET", path, {});
      await asNetwork.body?.cancel();
      assert.equal(asNetwork.status, networkStatus, "as the network identity");
      const asNode = await node.request("GET", path, {});
      await asNode.body?.cancel();
      assert.equal(asNode.status, nodeStatus, "as the node");
    });
  }
  await t.step("the network identity may not write", async () => {
    const res = await network.json("POST", "/api/v1/namespaces/default/services", {
      body: {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "x" },
        spec: { ports: [{ port: 80 }] },
      },
    });
    assert.equal(res.status, 403);
  });
  await t.step(
    "a user in the group but not named as a network identity gets only the role",
    async () => {
      const impostor = new InProcessClient(app.app, {
        username: "system:node:edge-1",
        groups: ["system:authenticated"],
      });
      const res = await impostor.request("GET", "/api/v1/pods", {});
      await res.body?.cancel();
      assert.equal(res.status, 403);
    },
  );
});

Deno.test("kubectl auth can-i answers yes for the network reads as a network identity, no as the node", async (t) => {
  await using app = await nodeAuthorizationApp();
  const ask = async (attrs: Record<string, string>, as: { user: string; groups: string[] }) => {
    const res = await app.client.json(
      "POST",
      "/apis/authorization.k8s.io/v1/subjectaccessreviews",
      {
        body: {
          apiVersion: "authorization.k8s.io/v1",
          kind: "SubjectAccessReview",
          spec: { ...as, resourceAttributes: attrs },
        },
      },
    );
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return (res.body.status as { allowed: boolean }).allowed;
  };
  const networkUser = {
    user: "system:skiff:node-network:x",
    groups: ["system:skiff:node-networks"],
  };
  const nodeUser = { user: "system:node:x", groups: ["system:nodes"] };
  // [attributes, allowed to the network identity, allowed to the node]
  const cases: [Record<string, string>, boolean, boolean][] = [
    [{ verb: "list", resource: "pods" }, true, false],
    [{ verb: "watch", resource: "pods" }, true, false],
    [{ verb: "list", resource: "services" }, true, true],
    [{ verb: "watch", resource: "namespaces" }, true, false],
    [{ verb: "list", resource: "nodes" }, true, false],
    [{ verb: "list", group: "discovery.k8s.io", resource: "endpointslices" }, true, false],
    [{ verb: "watch", group: "networking.k8s.io", resource: "networkpolicies" }, true, false],
    [{ verb: "list", resource: "secrets" }, false, false],
    [{ verb: "delete", resource: "pods", namespace: "default" }, false, true],
    [
      {
        verb: "update",
        group: "networking.k8s.io",
        resource: "networkpolicies",
        namespace: "default",
      },
      false,
      false,
    ],
  ];
  for (const [attrs, network, node] of cases) {
    await t.step(JSON.stringify(attrs), async () => {
      assert.equal(await ask(attrs, networkUser), network, "as the network identity");
      assert.equal(await ask(attrs, nodeUser), node, "as the node");
    });
  }
});
