import assert from "node:assert/strict";
import type { RequestUser } from "../handlers/context.ts";
import type { AuthorizationAttributes } from "./authorizer.ts";
import { aggregateMessage, RbacAuthorizer, RoleRefError } from "./rbac_authorizer.ts";
import { binding, clusterBinding, clusterRole, RbacTestViews, role } from "./_rbac_test_views.ts";

const BOB: RequestUser = { username: "bob", groups: ["devs", "system:authenticated"] };
const SA: RequestUser = {
  username: "system:serviceaccount:apps:builder",
  groups: ["system:serviceaccounts", "system:serviceaccounts:apps", "system:authenticated"],
};

function attrs(
  user: RequestUser,
  overrides: Partial<AuthorizationAttributes> = {},
): AuthorizationAttributes {
  return {
    user,
    verb: "get",
    resourceRequest: true,
    path: "/api/v1/namespaces/apps/pods/p",
    apiGroup: "",
    apiVersion: "v1",
    resource: "pods",
    subresource: "",
    namespace: "apps",
    name: "p",
    ...overrides,
  };
}

const POD_READER = [{ verbs: ["get", "list"], apiGroups: [""], resources: ["pods"] }];

async function setup(objects: Parameters<RbacTestViews["put"]>[0][]) {
  const t = new RbacTestViews();
  for (const o of objects) await t.put(o);
  const rbac = new RbacAuthorizer({ views: t.views });
  await rbac.start();
  return { t, rbac };
}

Deno.test("RbacAuthorizer allows through each kind of binding, with upstream's reason", async (t) => {
  const { t: views, rbac } = await setup([
    clusterRole("pod-reader", POD_READER),
    role("apps", { name: "local-reader", rules: POD_READER }),
    clusterBinding("bob-reads", {
      role: "pod-reader",
      subjects: [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: "bob" }],
    }),
    binding("apps", {
      name: "sa-reads",
      kind: "Role",
      role: "local-reader",
      subjects: [{ kind: "ServiceAccount", name: "builder" }],
    }),
    binding("web", {
      name: "devs-read",
      kind: "ClusterRole",
      role: "pod-reader",
      subjects: [{ kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: "devs" }],
    }),
  ]);
  using _ = views;
  const cases = [
    {
      name: "ClusterRoleBinding to a user",
      attrs: attrs(BOB),
      decision: "allow",
      reason:
        'RBAC: allowed by ClusterRoleBinding "bob-reads" of ClusterRole "pod-reader" to User "bob"',
    },
    {
      name: "RoleBinding of a Role to a service account of the binding's namespace",
      attrs: attrs(SA, { verb: "list", name: "" }),
      decision: "allow",
      reason:
        'RBAC: allowed by RoleBinding "sa-reads/apps" of Role "local-reader" to ServiceAccount "builder/apps"',
    },
    {
      name: "the Role's namespace only",
      attrs: attrs(SA, { namespace: "web" }),
      decision: "noOpinion",
      reason: "",
    },
    {
      name: "RoleBinding of a ClusterRole, in its namespace",
      attrs: attrs({ username: "al", groups: ["devs"] }, { namespace: "web" }),
      decision: "allow",
      reason:
        'RBAC: allowed by RoleBinding "devs-read/web" of ClusterRole "pod-reader" to Group "devs"',
    },
    {
      name: "RoleBinding of a ClusterRole does not reach other namespaces",
      attrs: attrs({ username: "al", groups: ["devs"] }),
      decision: "noOpinion",
      reason: "",
    },
    {
      name: "RoleBinding of a ClusterRole does not reach the cluster scope",
      attrs: attrs({ username: "al", groups: ["devs"] }, { namespace: "", verb: "list" }),
      decision: "noOpinion",
      reason: "",
    },
    {
      name: "a verb the role lacks",
      attrs: attrs(BOB, { verb: "delete" }),
      decision: "noOpinion",
      reason: "",
    },
    {
      name: "a subresource the role lacks",
      attrs: attrs(BOB, { subresource: "log" }),
      decision: "noOpinion",
      reason: "",
    },
    {
      name: "nobody's binding",
      attrs: attrs({ username: "eve", groups: ["system:authenticated"] }),
      decision: "noOpinion",
      reason: "",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.deepEqual(rbac.authorize(c.attrs), { decision: c.decision, reason: c.reason });
    });
  }
});

Deno.test("RbacAuthorizer allows non-resource URLs through cluster bindings", async () => {
  const { t, rbac } = await setup([
    clusterRole("health", [{ verbs: ["get"], nonResourceURLs: ["/healthz", "/apis/*"] }]),
    clusterBinding("health", {
      role: "health",
      subjects: [{ kind: "Group", name: "system:authenticated" }],
    }),
  ]);
  using _ = t;
  const nonResource = (path: string, verb = "get") =>
    attrs(BOB, {
      resourceRequest: false,
      path,
      verb,
      resource: "",
      namespace: "",
      name: "",
      apiVersion: "",
    });
  assert.equal(rbac.authorize(nonResource("/healthz")).decision, "allow");
  assert.equal(rbac.authorize(nonResource("/apis/apps/v1")).decision, "allow");
  assert.equal(rbac.authorize(nonResource("/metrics")).decision, "noOpinion");
  assert.equal(rbac.authorize(nonResource("/healthz", "post")).decision, "noOpinion");
});

Deno.test("RbacAuthorizer skips bindings to missing roles and says so when it denies", async () => {
  const { t, rbac } = await setup([
    clusterRole("pod-reader", POD_READER),
    clusterBinding("a-missing", {
      role: "missing",
      subjects: [{ kind: "User", name: "bob" }],
    }),
    binding("apps", {
      name: "b-missing",
      kind: "Role",
      role: "gone",
      subjects: [{ kind: "User", name: "bob" }],
    }),
    binding("apps", {
      name: "c-reads",
      kind: "ClusterRole",
      role: "pod-reader",
      subjects: [{ kind: "User", name: "bob" }],
    }),
  ]);
  using _ = t;
  assert.equal(rbac.authorize(attrs(BOB)).decision, "allow");
  assert.deepEqual(rbac.authorize(attrs(BOB, { verb: "delete" })), {
    decision: "noOpinion",
    reason:
      'RBAC: [clusterrole.rbac.authorization.k8s.io "missing" not found, role.rbac.authorization.k8s.io "gone" not found]',
  });
  assert.deepEqual(rbac.authorize(attrs(BOB, { namespace: "" })), {
    decision: "noOpinion",
    reason: 'RBAC: clusterrole.rbac.authorization.k8s.io "missing" not found',
  });
});

Deno.test("RbacAuthorizer follows roles and bindings as they change", async () => {
  const { t, rbac } = await setup([clusterRole("pod-reader", POD_READER)]);
  using _ = t;
  assert.equal(rbac.authorize(attrs(BOB)).decision, "noOpinion");
  const b = clusterBinding("bob-reads", {
    role: "pod-reader",
    subjects: [{ kind: "User", name: "bob" }],
  });
  await t.putAndWait(b);
  assert.equal(rbac.authorize(attrs(BOB)).decision, "allow");
  await t.putAndWait(
    clusterRole("pod-reader", [{ verbs: ["list"], apiGroups: [""], resources: ["pods"] }]),
  );
  assert.equal(rbac.authorize(attrs(BOB)).decision, "noOpinion");
  assert.equal(rbac.authorize(attrs(BOB, { verb: "list", name: "" })).decision, "allow");
  await t.putAndWait(clusterBinding("bob-reads", { role: "pod-reader", subjects: [] }));
  assert.equal(rbac.authorize(attrs(BOB, { verb: "list", name: "" })).decision, "noOpinion");
});

Deno.test("RbacAuthorizer.rulesFor() lists resource and non-resource rules and errors", async () => {
  const { t, rbac } = await setup([
    clusterRole("mixed", [
      { verbs: ["get"], apiGroups: [""], resources: ["pods"], resourceNames: ["p"] },
      { verbs: ["get"], nonResourceURLs: ["/healthz"] },
    ]),
    clusterBinding("mixed", { role: "mixed", subjects: [{ kind: "Group", name: "devs" }] }),
    binding("apps", {
      name: "gone",
      kind: "ClusterRole",
      role: "gone",
      subjects: [{ kind: "User", name: "bob" }],
    }),
  ]);
  using _ = t;
  assert.deepEqual(rbac.rulesFor(BOB, "apps"), {
    resourceRules: [{ verbs: ["get"], apiGroups: [""], resources: ["pods"], resourceNames: ["p"] }],
    nonResourceRules: [{ verbs: ["get"], nonResourceURLs: ["/healthz"] }],
    incomplete: false,
    errors: ['clusterrole.rbac.authorization.k8s.io "gone" not found'],
  });
  assert.equal(rbac.rulesFor(BOB, "web").errors.length, 0);
  assert.equal(rbac.policyRulesFor({ username: "x", groups: [] }, "apps").rules.length, 0);
});

Deno.test("RbacAuthorizer.roleRefRules() throws RoleRefError for a missing or odd role", async () => {
  const { t, rbac } = await setup([clusterRole("pod-reader", POD_READER)]);
  using _ = t;
  const ref = { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "pod-reader" };
  assert.deepEqual(rbac.roleRefRules(ref, ""), POD_READER);
  assert.throws(
    () => rbac.roleRefRules({ ...ref, kind: "Role" }, "apps"),
    (e: unknown) =>
      e instanceof RoleRefError &&
      e.registryMessage === 'roles.rbac.authorization.k8s.io "pod-reader" not found',
  );
  assert.throws(
    () => rbac.roleRefRules({ ...ref, kind: "Robot" }, ""),
    /unsupported role reference kind: "Robot"/,
  );
});

Deno.test("aggregateMessage() prints one error as is and several deduplicated in brackets", () => {
  assert.equal(aggregateMessage([]), "");
  assert.equal(aggregateMessage(["a", "a"]), "a");
  assert.equal(aggregateMessage(["a", "b", "a"]), "[a, b]");
});

Deno.test("RbacAuthorizer.authorize() costs microseconds with 1,000 bindings", async () => {
  const objects = [clusterRole("pod-reader", POD_READER)];
  for (let i = 0; i < 500; i++) {
    objects.push(clusterBinding(`user-${i}`, {
      role: "pod-reader",
      subjects: [{ kind: "User", name: `user-${i}` }],
    }));
    objects.push(binding(`ns-${i % 50}`, {
      name: `group-${i}`,
      kind: "ClusterRole",
      role: "pod-reader",
      subjects: [{ kind: "Group", name: `team-${i}` }],
    }));
  }
  const { t, rbac } = await setup(objects);
  using _ = t;
  const hit = attrs({ username: "user-250", groups: ["system:authenticated"] });
  const miss = attrs({ username: "eve", groups: ["team-7", "system:authenticated"] }, {
    namespace: "ns-3",
  });
  assert.equal(rbac.authorize(hit).decision, "allow");
  assert.equal(rbac.authorize(miss).decision, "noOpinion");
  const n = 20_000;
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    rbac.authorize(hit);
    rbac.authorize(miss);
  }
  const perCallUs = ((performance.now() - start) * 1000) / (2 * n);
  // Typically ~1 µs; the bound leaves room for a loaded CI machine.
  assert.ok(perCallUs < 50, `authorize took ${perCallUs.toFixed(2)} µs per call`);
});
