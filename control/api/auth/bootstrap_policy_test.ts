import assert from "node:assert/strict";
import { createTestApp } from "../_test_app.ts";
import type { ClusterRole, ClusterRoleBinding, PolicyRule } from "../types/rbac_v1.ts";
import {
  BOOTSTRAPPERS_GROUP,
  bootstrapPolicy,
  NODE_CREDENTIALS_PATH,
  NODE_CREDENTIALS_ROLE,
  reconcileBootstrapPolicy,
} from "./bootstrap_policy.ts";
import { ClusterRoleAggregationController } from "./cluster_role_aggregation.ts";
import { RBAC_PREFIXES } from "./rbac_authorizer.ts";
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
