import assert from "node:assert/strict";
import type { RequestUser } from "../handlers/context.ts";
import { createRbacTestApp, type RbacTestApp } from "./_rbac_test_app.ts";
import { onlyGcFieldsChanged } from "./rbac_escalation.ts";

const API = "/apis/rbac.authorization.k8s.io/v1";
const ADMIN: RequestUser = {
  username: "admin",
  groups: ["system:masters", "system:authenticated"],
};
const ED: RequestUser = { username: "ed", groups: ["system:authenticated"] };

/** Gives `ed` edit in `apps` and the right to write RBAC objects (but nothing more). */
async function setup(extraRules: unknown[] = []): Promise<RbacTestApp> {
  const app = await createRbacTestApp();
  const writes = [
    {
      path: `${API}/clusterroles`,
      body: {
        metadata: { name: "rbac-writer" },
        rules: [
          {
            verbs: ["create", "update"],
            apiGroups: ["rbac.authorization.k8s.io"],
            resources: ["roles", "rolebindings", "clusterroles", "clusterrolebindings"],
          },
          ...extraRules,
        ],
      },
    },
    {
      path: `${API}/clusterrolebindings`,
      body: {
        metadata: { name: "ed-writes-rbac" },
        roleRef: {
          apiGroup: "rbac.authorization.k8s.io",
          kind: "ClusterRole",
          name: "rbac-writer",
        },
        subjects: [{ kind: "User", name: "ed" }],
      },
    },
    {
      path: `${API}/namespaces/apps/rolebindings`,
      body: {
        metadata: { name: "ed-edits" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "edit" },
        subjects: [{ kind: "User", name: "ed" }],
      },
    },
  ];
  await app.as(ADMIN, {
    method: "POST",
    path: "/api/v1/namespaces",
    body: { metadata: { name: "apps" } },
  });
  for (const w of writes) {
    const res = await app.as(ADMIN, { method: "POST", path: w.path, body: w.body });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    await app.seen(res.body);
  }
  return app;
}

function crbTo(role: string, name = "ed-admin", user = "ed") {
  return {
    metadata: { name },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role },
    subjects: [{ kind: "User", name: user }],
  };
}

const NOT_HELD = 'user "ed" (groups=["system:authenticated"]) is attempting to grant RBAC ' +
  "permissions not currently held:";

Deno.test("RbacEscalation: a user with edit cannot bind himself to cluster-admin", async () => {
  await using app = await setup();
  const res = await app.as(ED, {
    method: "POST",
    path: `${API}/clusterrolebindings`,
    body: crbTo("cluster-admin"),
  });
  assert.equal(res.status, 403);
  assert.equal(res.body.reason, "Forbidden");
  assert.equal(
    res.body.message,
    `clusterrolebindings.rbac.authorization.k8s.io "ed-admin" is forbidden: ${NOT_HELD}\n` +
      '{APIGroups:["*"], Resources:["*"], Verbs:["*"]}\n{NonResourceURLs:["*"], Verbs:["*"]}',
  );
  assert.deepEqual(res.body.details, {
    name: "ed-admin",
    group: "rbac.authorization.k8s.io",
    kind: "clusterrolebindings",
  });
  const rb = await app.as(ED, {
    method: "POST",
    path: `${API}/namespaces/apps/rolebindings`,
    body: { ...crbTo("cluster-admin"), metadata: { name: "ed-admin" } },
  });
  assert.equal(rb.status, 403);
  assert.match(String(rb.body.message), /^rolebindings\.rbac\.authorization\.k8s\.io "ed-admin"/);
  assert.equal(
    (await app.as(ADMIN, { method: "GET", path: `${API}/clusterrolebindings/ed-admin` })).status,
    404,
  );
});

Deno.test("RbacEscalation: binding a role one holds, or one may bind, is allowed", async (t) => {
  await using app = await setup([
    {
      verbs: ["bind"],
      apiGroups: ["rbac.authorization.k8s.io"],
      resources: ["clusterroles"],
      resourceNames: ["cluster-admin"],
    },
  ]);
  await t.step("view in the namespace ed edits", async () => {
    const res = await app.as(ED, {
      method: "POST",
      path: `${API}/namespaces/apps/rolebindings`,
      body: { ...crbTo("view"), metadata: { name: "ed-view" } },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  });
  await t.step("view in a namespace ed has nothing in", async () => {
    await app.as(ADMIN, {
      method: "POST",
      path: "/api/v1/namespaces",
      body: { metadata: { name: "other" } },
    });
    const res = await app.as(ED, {
      method: "POST",
      path: `${API}/namespaces/other/rolebindings`,
      body: { ...crbTo("view"), metadata: { name: "ed-view" } },
    });
    assert.equal(res.status, 403);
  });
  await t.step("bind on cluster-admin is not bind on admin", async () => {
    const res = await app.as(ED, {
      method: "POST",
      path: `${API}/clusterrolebindings`,
      body: crbTo("admin", "ed-ns-admin"),
    });
    assert.equal(res.status, 403);
  });
  await t.step("cluster-admin, with bind on it", async () => {
    const res = await app.as(ED, {
      method: "POST",
      path: `${API}/clusterrolebindings`,
      body: crbTo("cluster-admin"),
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  });
});

Deno.test("RbacEscalation: a binding to a missing role is 404", async () => {
  await using app = await setup();
  const res = await app.as(ED, {
    method: "POST",
    path: `${API}/clusterrolebindings`,
    body: crbTo("nope"),
  });
  assert.equal(res.status, 404);
  assert.equal(res.body.message, 'clusterroles.rbac.authorization.k8s.io "nope" not found');
});

Deno.test("RbacEscalation: roles may grant only what their author holds, or escalate", async (t) => {
  await using app = await setup();
  const roleBody = (name: string, rules: unknown[]) => ({ metadata: { name }, rules });
  await t.step("a Role within edit", async () => {
    const res = await app.as(ED, {
      method: "POST",
      path: `${API}/namespaces/apps/roles`,
      body: roleBody("pods", [{ verbs: ["get", "list"], apiGroups: [""], resources: ["pods"] }]),
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  });
  await t.step("a Role beyond edit", async () => {
    const res = await app.as(ED, {
      method: "POST",
      path: `${API}/namespaces/apps/roles`,
      body: roleBody("quota", [
        { verbs: ["get", "update"], apiGroups: [""], resources: ["resourcequotas", "pods"] },
      ]),
    });
    assert.equal(res.status, 403);
    assert.equal(
      res.body.message,
      `roles.rbac.authorization.k8s.io "quota" is forbidden: ${NOT_HELD}\n` +
        '{APIGroups:[""], Resources:["resourcequotas"], Verbs:["update"]}',
    );
  });
  await t.step("a ClusterRole with rules ed holds only in apps", async () => {
    const res = await app.as(ED, {
      method: "POST",
      path: `${API}/clusterroles`,
      body: roleBody("pods", [{ verbs: ["get"], apiGroups: [""], resources: ["pods"] }]),
    });
    assert.equal(res.status, 403);
    assert.match(
      String(res.body.message),
      /\{APIGroups:\[""\], Resources:\["pods"\], Verbs:\["get"\]\}$/,
    );
  });
  await t.step("an aggregation rule needs cluster-admin", async () => {
    const res = await app.as(ED, {
      method: "POST",
      path: `${API}/clusterroles`,
      body: {
        metadata: { name: "agg" },
        aggregationRule: { clusterRoleSelectors: [{ matchLabels: { x: "y" } }] },
      },
    });
    assert.equal(res.status, 403);
    assert.equal(
      res.body.message,
      'clusterroles.rbac.authorization.k8s.io "agg" is forbidden: must have cluster-admin privileges to use the aggregationRule',
    );
  });
  await t.step("with escalate on roles, anything", async () => {
    const grant = await app.as(ADMIN, {
      method: "POST",
      path: `${API}/namespaces/apps/roles`,
      body: roleBody("escalator", [
        { verbs: ["escalate"], apiGroups: ["rbac.authorization.k8s.io"], resources: ["roles"] },
      ]),
    });
    assert.equal(grant.status, 201);
    const bind = await app.as(ADMIN, {
      method: "POST",
      path: `${API}/namespaces/apps/rolebindings`,
      body: {
        metadata: { name: "ed-escalates" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "escalator" },
        subjects: [{ kind: "User", name: "ed" }],
      },
    });
    assert.equal(bind.status, 201);
    await app.seen(bind.body);
    const res = await app.as(ED, {
      method: "POST",
      path: `${API}/namespaces/apps/roles`,
      body: roleBody("quota", [{ verbs: ["*"], apiGroups: ["*"], resources: ["*"] }]),
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  });
});

Deno.test("RbacEscalation: system:masters and garbage-collector-only updates pass", async () => {
  await using app = await setup();
  const made = await app.as(ADMIN, {
    method: "POST",
    path: `${API}/clusterrolebindings`,
    body: crbTo("cluster-admin", "someone-admin", "someone"),
  });
  assert.equal(made.status, 201);
  const withFinalizer = structuredClone(made.body) as {
    metadata: Record<string, unknown>;
    subjects: unknown[];
  };
  withFinalizer.metadata.finalizers = ["example.com/keep"];
  const gc = await app.as(ED, {
    method: "PUT",
    path: `${API}/clusterrolebindings/someone-admin`,
    body: withFinalizer,
  });
  assert.equal(gc.status, 200, JSON.stringify(gc.body));
  const changed = structuredClone(gc.body) as { subjects: unknown[] };
  changed.subjects = [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: "eve" }];
  const res = await app.as(ED, {
    method: "PUT",
    path: `${API}/clusterrolebindings/someone-admin`,
    body: changed,
  });
  assert.equal(res.status, 403);
});

Deno.test("onlyGcFieldsChanged() ignores owner references, finalizers and managed fields", () => {
  const old = { kind: "Role", metadata: { name: "r", resourceVersion: "5" }, rules: [] };
  assert.equal(
    onlyGcFieldsChanged({
      ...old,
      metadata: { ...old.metadata, finalizers: ["f"], ownerReferences: [] },
    }, old),
    true,
  );
  assert.equal(
    onlyGcFieldsChanged({ ...old, metadata: { ...old.metadata, labels: { a: "b" } } }, old),
    false,
  );
});
