import assert from "node:assert/strict";
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
  await t.step("nodes may list and watch what their network components follow", () => {
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
      { kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: "system:nodes" },
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

Deno.test("a node credential lists and watches the network components' objects through the Node authorizer and RBAC", async (t) => {
  await using app = await nodeAuthorizationApp();
  const node = new InProcessClient(app.app, {
    username: "system:node:edge-1",
    groups: ["system:nodes", "system:authenticated"],
  });
  const cases: { path: string; status: number }[] = [
    { path: "/api/v1/pods", status: 200 },
    { path: "/api/v1/namespaces/default/pods", status: 200 },
    { path: "/api/v1/pods?watch=1&timeoutSeconds=1", status: 200 },
    { path: "/api/v1/services", status: 200 },
    { path: "/api/v1/namespaces", status: 200 },
    { path: "/api/v1/nodes", status: 200 },
    { path: "/apis/discovery.k8s.io/v1/endpointslices", status: 200 },
    { path: "/apis/networking.k8s.io/v1/networkpolicies", status: 200 },
    // What the role does not give stays refused.
    { path: "/api/v1/secrets", status: 403 },
    { path: "/api/v1/configmaps", status: 403 },
    { path: "/api/v1/namespaces/default", status: 403 },
  ];
  for (const c of cases) {
    await t.step(`GET ${c.path}`, async () => {
      const res = await node.request("GET", c.path, {});
      await res.body?.cancel();
      assert.equal(res.status, c.status);
    });
  }
  await t.step("a node still may not write Services", async () => {
    const res = await node.json("POST", "/api/v1/namespaces/default/services", {
      body: {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "x" },
        spec: { ports: [{ port: 80 }] },
      },
    });
    assert.equal(res.status, 403);
  });
  await t.step("a user that is not in system:nodes gets nothing", async () => {
    const impostor = new InProcessClient(app.app, {
      username: "system:node:edge-1",
      groups: ["system:authenticated"],
    });
    const res = await impostor.request("GET", "/api/v1/pods", {});
    await res.body?.cancel();
    assert.equal(res.status, 403);
  });
});

Deno.test("kubectl auth can-i --as=system:node:x --as-group=system:nodes answers yes for the network reads", async (t) => {
  await using app = await nodeAuthorizationApp();
  const ask = async (attrs: Record<string, string>) => {
    const res = await app.client.json(
      "POST",
      "/apis/authorization.k8s.io/v1/subjectaccessreviews",
      {
        body: {
          apiVersion: "authorization.k8s.io/v1",
          kind: "SubjectAccessReview",
          spec: { user: "system:node:x", groups: ["system:nodes"], resourceAttributes: attrs },
        },
      },
    );
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return (res.body.status as { allowed: boolean }).allowed;
  };
  const cases: { attrs: Record<string, string>; allowed: boolean }[] = [
    { attrs: { verb: "list", resource: "pods" }, allowed: true },
    { attrs: { verb: "watch", resource: "pods" }, allowed: true },
    { attrs: { verb: "list", resource: "services" }, allowed: true },
    { attrs: { verb: "watch", resource: "namespaces" }, allowed: true },
    { attrs: { verb: "list", resource: "nodes" }, allowed: true },
    {
      attrs: { verb: "list", group: "discovery.k8s.io", resource: "endpointslices" },
      allowed: true,
    },
    {
      attrs: { verb: "watch", group: "networking.k8s.io", resource: "networkpolicies" },
      allowed: true,
    },
    { attrs: { verb: "list", resource: "secrets" }, allowed: false },
    { attrs: { verb: "delete", resource: "pods", namespace: "default" }, allowed: true },
    {
      attrs: {
        verb: "update",
        group: "networking.k8s.io",
        resource: "networkpolicies",
        namespace: "default",
      },
      allowed: false,
    },
  ];
  for (const c of cases) {
    await t.step(JSON.stringify(c.attrs), async () => {
      assert.equal(await ask(c.attrs), c.allowed);
    });
  }
});
