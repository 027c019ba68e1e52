import assert from "node:assert/strict";
import protobuf from "protobufjs";
import type { RequestUser } from "../handlers/context.ts";
import { createRbacTestApp, type RbacTestApp } from "./_rbac_test_app.ts";
import { BUILTIN_RESOURCES } from "../registry/builtin_resources.ts";
import { requestInfo } from "../request_info.ts";
import { AccessReviewHandler, reviewAttributes } from "./access_reviews.ts";
import { UnionAuthorizer } from "./authorizer.ts";
import type { RuleResolver } from "./rbac_authorizer.ts";

const AUTHZ = "/apis/authorization.k8s.io/v1";
const ADMIN: RequestUser = {
  username: "admin",
  groups: ["system:masters", "system:authenticated"],
};
const BOB: RequestUser = { username: "bob", groups: ["system:authenticated"] };

/** bob may edit in `apps`. */
async function setup(): Promise<RbacTestApp> {
  const app = await createRbacTestApp();
  await app.as(ADMIN, {
    method: "POST",
    path: "/api/v1/namespaces",
    body: { metadata: { name: "apps" } },
  });
  const res = await app.as(ADMIN, {
    method: "POST",
    path: "/apis/rbac.authorization.k8s.io/v1/namespaces/apps/rolebindings",
    body: {
      metadata: { name: "bob-edits" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "edit" },
      subjects: [{ kind: "User", name: "bob" }],
    },
  });
  assert.equal(res.status, 201);
  await app.seen(res.body);
  return app;
}

function ssar(spec: Record<string, unknown>) {
  return { apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectAccessReview", spec };
}

Deno.test("SelfSubjectAccessReview answers kubectl auth can-i", async (t) => {
  await using app = await setup();
  const ask = (user: RequestUser, spec: Record<string, unknown>) =>
    app.as(user, { method: "POST", path: `${AUTHZ}/selfsubjectaccessreviews`, body: ssar(spec) });
  await t.step("allowed, with RBAC's reason", async () => {
    const res = await ask(BOB, {
      resourceAttributes: {
        namespace: "apps",
        verb: "create",
        group: "apps",
        resource: "deployments",
      },
    });
    assert.equal(res.status, 201);
    assert.deepEqual(res.body, {
      kind: "SelfSubjectAccessReview",
      apiVersion: "authorization.k8s.io/v1",
      metadata: { creationTimestamp: null },
      spec: {
        resourceAttributes: {
          namespace: "apps",
          verb: "create",
          group: "apps",
          resource: "deployments",
        },
      },
      status: {
        allowed: true,
        reason: 'RBAC: allowed by RoleBinding "bob-edits/apps" of ClusterRole "edit" to User "bob"',
      },
    });
  });
  await t.step("not allowed: allowed false, nothing else", async () => {
    const res = await ask(BOB, {
      resourceAttributes: {
        namespace: "default",
        verb: "create",
        group: "apps",
        resource: "deployments",
      },
    });
    assert.equal(res.status, 201);
    assert.deepEqual(res.body.status, { allowed: false });
  });
  await t.step("a subresource", async () => {
    const res = await ask(BOB, {
      resourceAttributes: {
        namespace: "apps",
        verb: "create",
        resource: "pods",
        subresource: "exec",
      },
    });
    assert.equal((res.body.status as { allowed: boolean }).allowed, true);
    const log = await ask(BOB, {
      resourceAttributes: {
        namespace: "apps",
        verb: "delete",
        resource: "pods",
        subresource: "log",
      },
    });
    assert.equal((log.body.status as { allowed: boolean }).allowed, false);
  });
  await t.step("a non-resource URL", async () => {
    const res = await ask(BOB, { nonResourceAttributes: { path: "/apis/apps", verb: "get" } });
    assert.equal(
      (res.body.status as { reason: string }).reason,
      'RBAC: allowed by ClusterRoleBinding "system:discovery" of ClusterRole "system:discovery" to Group "system:authenticated"',
    );
  });
  await t.step("system:masters may do anything", async () => {
    const res = await ask(ADMIN, { resourceAttributes: { verb: "*", group: "*", resource: "*" } });
    assert.deepEqual(res.body.status, { allowed: true });
  });
  await t.step("a selector that does not parse is reported", async () => {
    const res = await ask(BOB, {
      resourceAttributes: {
        namespace: "apps",
        verb: "list",
        resource: "pods",
        labelSelector: { rawSelector: "a in (" },
      },
    });
    assert.deepEqual(res.body.status, {
      allowed: true,
      reason: 'RBAC: allowed by RoleBinding "bob-edits/apps" of ClusterRole "edit" to User "bob"',
      evaluationError: "spec.resourceAttributes.labelSelector ignored due to parse error",
    });
  });
  await t.step("YAML bodies", async () => {
    const res = await app.as(BOB, {
      method: "POST",
      path: `${AUTHZ}/selfsubjectaccessreviews`,
      contentType: "application/yaml",
      body: "apiVersion: authorization.k8s.io/v1\nkind: SelfSubjectAccessReview\n" +
        "spec:\n  resourceAttributes:\n    namespace: apps\n    verb: get\n    resource: secrets\n",
    });
    assert.equal((res.body.status as { allowed: boolean }).allowed, true);
  });
});

/** A protobuf SelfSubjectAccessReview as kubectl 1.32+ sends it. */
function protobufSsar(fields: { namespace: string; verb: string; resource: string }): Uint8Array {
  const w = protobuf.Writer.create();
  const str = (n: number, s: string) => w.uint32((n << 3) | 2).string(s);
  // runtime.Unknown: typeMeta (1), raw (2), contentEncoding (3), contentType (4).
  w.uint32((1 << 3) | 2).fork();
  str(1, "authorization.k8s.io/v1");
  str(2, "SelfSubjectAccessReview");
  w.ldelim();
  w.uint32((2 << 3) | 2).fork();
  w.uint32((1 << 3) | 2).fork().ldelim(); // metadata
  w.uint32((2 << 3) | 2).fork(); // spec
  w.uint32((1 << 3) | 2).fork(); // resourceAttributes
  str(1, fields.namespace);
  str(2, fields.verb);
  str(5, fields.resource);
  w.ldelim();
  w.ldelim();
  w.uint32((3 << 3) | 2).fork().ldelim(); // status
  w.ldelim();
  str(3, "");
  str(4, "");
  return new Uint8Array([0x6b, 0x38, 0x73, 0x00, ...w.finish()]);
}

Deno.test("SelfSubjectAccessReview decodes protobuf bodies", async () => {
  await using app = await setup();
  const res = await app.as(BOB, {
    method: "POST",
    path: `${AUTHZ}/selfsubjectaccessreviews`,
    contentType: "application/vnd.kubernetes.protobuf",
    body: protobufSsar({ namespace: "apps", verb: "get", resource: "pods" }),
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  assert.equal((res.body.status as { allowed: boolean }).allowed, true);
});

Deno.test("the access reviews are validated as upstream validates them", async (t) => {
  await using app = await setup();
  const cases: { name: string; path: string; body: unknown; code: number; message: string }[] = [
    {
      name: "neither attribute",
      path: `${AUTHZ}/selfsubjectaccessreviews`,
      body: ssar({}),
      code: 422,
      message:
        '.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified',
    },
    {
      name: "both attributes",
      path: `${AUTHZ}/selfsubjectaccessreviews`,
      body: ssar({
        resourceAttributes: { verb: "get", resource: "pods" },
        nonResourceAttributes: { path: "/x", verb: "get" },
      }),
      code: 422,
      message:
        '.authorization.k8s.io "" is invalid: spec.nonResourceAttributes: Invalid value: authorization.NonResourceAttributes{Path:"/x", Verb:"get"}: cannot be specified in combination with resourceAttributes',
    },
    {
      name: "metadata must be empty",
      path: `${AUTHZ}/selfsubjectaccessreviews`,
      body: { ...ssar({ resourceAttributes: { verb: "get" } }), metadata: { name: "x" } },
      code: 422,
      message: '.authorization.k8s.io "" is invalid: metadata: Invalid value: v1.ObjectMeta{' +
        'Name:"x", GenerateName:"", Namespace:"", SelfLink:"", UID:"", ResourceVersion:"", ' +
        "Generation:0, CreationTimestamp:v1.Time{Time:time.Date(1, time.January, 1, 0, 0, 0, 0, time.UTC)}, " +
        "DeletionTimestamp:(*v1.Time)(nil), DeletionGracePeriodSeconds:(*int64)(nil), " +
        "Labels:map[string]string(nil), Annotations:map[string]string(nil), " +
        "OwnerReferences:[]v1.OwnerReference(nil), Finalizers:[]string(nil), " +
        "ManagedFields:[]v1.ManagedFieldsEntry(nil)}: must be empty",
    },
    {
      name: "SubjectAccessReview needs a user or group",
      path: `${AUTHZ}/subjectaccessreviews`,
      body: { kind: "SubjectAccessReview", apiVersion: "authorization.k8s.io/v1", spec: {} },
      code: 422,
      message:
        '.authorization.k8s.io "" is invalid: [spec.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified, spec.user: Invalid value: "": at least one of user or group must be specified]',
    },
    {
      name: "selector with both forms",
      path: `${AUTHZ}/selfsubjectaccessreviews`,
      body: ssar({
        resourceAttributes: {
          verb: "list",
          resource: "pods",
          fieldSelector: {
            rawSelector: "a=b",
            requirements: [{ key: "a", operator: "In", values: ["b"] }],
          },
        },
      }),
      code: 422,
      message:
        '.authorization.k8s.io "" is invalid: spec.resourceAttributes.fieldSelector.rawSelector: Invalid value: "a=b": may not specified at the same time as requirements',
    },
    {
      name: "selector requirement without values",
      path: `${AUTHZ}/selfsubjectaccessreviews`,
      body: ssar({
        resourceAttributes: {
          verb: "list",
          resource: "pods",
          labelSelector: { requirements: [{ key: "a", operator: "In" }] },
        },
      }),
      code: 422,
      message:
        ".authorization.k8s.io \"\" is invalid: spec.resourceAttributes.labelSelector.requirements[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
    },
    {
      name: "local review: object namespace differs from the URL's",
      path: `${AUTHZ}/namespaces/apps/localsubjectaccessreviews`,
      body: {
        kind: "LocalSubjectAccessReview",
        apiVersion: "authorization.k8s.io/v1",
        metadata: { namespace: "other" },
        spec: { user: "bob", resourceAttributes: { namespace: "other", verb: "get" } },
      },
      code: 400,
      message:
        "the namespace of the provided object does not match the namespace sent on the request",
    },
    {
      name: "local review: attributes in another namespace",
      path: `${AUTHZ}/namespaces/apps/localsubjectaccessreviews`,
      body: {
        kind: "LocalSubjectAccessReview",
        apiVersion: "authorization.k8s.io/v1",
        spec: { user: "bob", resourceAttributes: { namespace: "other", verb: "get" } },
      },
      code: 422,
      message:
        '.authorization.k8s.io "" is invalid: spec.resourceAttributes.namespace: Invalid value: "other": must match metadata.namespace',
    },
    {
      name: "local review: no non-resource requests",
      path: `${AUTHZ}/namespaces/apps/localsubjectaccessreviews`,
      body: {
        kind: "LocalSubjectAccessReview",
        apiVersion: "authorization.k8s.io/v1",
        spec: { user: "bob", nonResourceAttributes: { path: "/x", verb: "get" } },
      },
      code: 422,
      message:
        '.authorization.k8s.io "" is invalid: spec.nonResourceAttributes: Invalid value: authorization.NonResourceAttributes{Path:"/x", Verb:"get"}: disallowed on this kind of request',
    },
    {
      name: "rules review needs a namespace",
      path: `${AUTHZ}/selfsubjectrulesreviews`,
      body: { kind: "SelfSubjectRulesReview", apiVersion: "authorization.k8s.io/v1", spec: {} },
      code: 400,
      message: "no namespace on request",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const res = await app.as(ADMIN, { method: "POST", path: c.path, body: c.body });
      assert.equal(res.status, c.code, JSON.stringify(res.body));
      assert.equal(res.body.message, c.message);
    });
  }
});

Deno.test("SubjectAccessReview and LocalSubjectAccessReview ask about another user", async () => {
  await using app = await setup();
  const sar = await app.as(ADMIN, {
    method: "POST",
    path: `${AUTHZ}/subjectaccessreviews`,
    body: {
      kind: "SubjectAccessReview",
      apiVersion: "authorization.k8s.io/v1",
      spec: {
        user: "bob",
        resourceAttributes: { namespace: "apps", verb: "delete", resource: "pods" },
      },
    },
  });
  assert.equal(sar.status, 201);
  assert.equal((sar.body.status as { allowed: boolean }).allowed, true);
  // The groups are those given: without system:authenticated, no discovery.
  const groupless = await app.as(ADMIN, {
    method: "POST",
    path: `${AUTHZ}/subjectaccessreviews`,
    body: {
      kind: "SubjectAccessReview",
      apiVersion: "authorization.k8s.io/v1",
      spec: { user: "bob", nonResourceAttributes: { path: "/api", verb: "get" } },
    },
  });
  assert.deepEqual(groupless.body.status, { allowed: false });
  const local = await app.as(ADMIN, {
    method: "POST",
    path: `${AUTHZ}/namespaces/apps/localsubjectaccessreviews`,
    body: {
      kind: "LocalSubjectAccessReview",
      apiVersion: "authorization.k8s.io/v1",
      spec: {
        user: "bob",
        resourceAttributes: { namespace: "apps", verb: "get", resource: "pods" },
      },
    },
  });
  assert.equal(local.status, 201, JSON.stringify(local.body));
  assert.deepEqual(local.body.metadata, { namespace: "apps", creationTimestamp: null });
  assert.equal((local.body.status as { allowed: boolean }).allowed, true);
  // bob may not ask about others.
  const forbidden = await app.as(BOB, {
    method: "POST",
    path: `${AUTHZ}/subjectaccessreviews`,
    body: {
      kind: "SubjectAccessReview",
      apiVersion: "authorization.k8s.io/v1",
      spec: { user: "al", resourceAttributes: { verb: "get", resource: "pods" } },
    },
  });
  assert.equal(forbidden.status, 403);
});

Deno.test("SelfSubjectRulesReview lists the caller's rules for kubectl auth can-i --list", async () => {
  await using app = await setup();
  const res = await app.as(BOB, {
    method: "POST",
    path: `${AUTHZ}/selfsubjectrulesreviews`,
    body: {
      kind: "SelfSubjectRulesReview",
      apiVersion: "authorization.k8s.io/v1",
      spec: { namespace: "apps" },
    },
  });
  assert.equal(res.status, 201);
  assert.deepEqual(res.body.spec, {});
  const status = res.body.status as {
    resourceRules: { verbs: string[]; apiGroups?: string[]; resources: string[] }[];
    nonResourceRules: { verbs: string[]; nonResourceURLs: string[] }[];
    incomplete: boolean;
  };
  assert.equal(status.incomplete, false);
  assert.ok(status.resourceRules.some((r) => r.resources.includes("selfsubjectaccessreviews")));
  assert.ok(
    status.resourceRules.some((r) =>
      r.apiGroups?.includes("apps") && r.resources.includes("deployments") &&
      r.verbs.includes("create")
    ),
  );
  assert.ok(status.nonResourceRules.some((r) => r.nonResourceURLs.includes("/api")));
  const elsewhere = await app.as(BOB, {
    method: "POST",
    path: `${AUTHZ}/selfsubjectrulesreviews`,
    body: {
      kind: "SelfSubjectRulesReview",
      apiVersion: "authorization.k8s.io/v1",
      spec: { namespace: "web" },
    },
  });
  const other = elsewhere.body.status as typeof status;
  assert.ok(!other.resourceRules.some((r) => r.resources.includes("deployments")));
});

Deno.test("SelfSubjectRulesReview joins every resolver and reports what they could not list", async () => {
  const resolvers: RuleResolver[] = [
    {
      rulesFor: (user) =>
        user.username.startsWith("system:node:")
          ? {
            incomplete: true,
            evaluationError: "node authorizer does not support user rule resolution",
          }
          : null,
    },
    { rulesFor: () => null },
    {
      rulesFor: (_user, namespace) => ({
        resourceRules: [{ verbs: ["get"], apiGroups: [""], resources: [`in-${namespace}`] }],
        nonResourceRules: [{ verbs: ["get"], nonResourceURLs: ["/healthz"] }],
        incomplete: false,
        errors: ['clusterrole.rbac.authorization.k8s.io "gone" not found'],
      }),
    },
  ];
  const handler = new AccessReviewHandler({
    authorizer: new UnionAuthorizer([]),
    ruleResolvers: resolvers,
  });
  const def = BUILTIN_RESOURCES.find((d) => d.resource === "selfsubjectrulesreviews")!;
  assert.ok(handler.handles(def));
  const url = new URL(`https://x${AUTHZ}/selfsubjectrulesreviews`);
  const info = requestInfo("POST", url);
  assert.ok(info.isResourceRequest);
  const body = JSON.stringify({
    kind: def.kind,
    apiVersion: "authorization.k8s.io/v1",
    spec: { namespace: "apps" },
  });
  const res = await handler.create({
    info,
    def,
    url,
    query: url.searchParams,
    headers: new Headers({ "content-type": "application/json" }),
    method: "POST",
    output: { format: "json" },
    user: { username: "system:node:n1", groups: ["system:nodes"] },
    body: () => Promise.resolve(new TextEncoder().encode(body)),
    signal: new AbortController().signal,
  });
  assert.equal(res.status, 201);
  assert.deepEqual((await res.json()).status, {
    resourceRules: [{ verbs: ["get"], apiGroups: [""], resources: ["in-apps"] }],
    nonResourceRules: [{ verbs: ["get"], nonResourceURLs: ["/healthz"] }],
    incomplete: true,
    evaluationError:
      '[node authorizer does not support user rule resolution, clusterrole.rbac.authorization.k8s.io "gone" not found]',
  });
});

Deno.test("reviewAttributes() turns review attributes into authorization attributes", () => {
  const { attrs, problems } = reviewAttributes(BOB, {
    resourceAttributes: {
      namespace: "apps",
      verb: "list",
      resource: "pods",
      fieldSelector: { requirements: [{ key: "spec.nodeName", operator: "In", values: ["n1"] }] },
      labelSelector: { requirements: [{ key: "app", operator: "In", values: ["a", "b"] }] },
    },
  });
  assert.deepEqual(problems, []);
  assert.equal(attrs.apiVersion, "*");
  assert.equal(attrs.fieldSelector, "spec.nodeName=n1");
  assert.equal(attrs.labelSelector, "app in (a,b)");
  const bad = reviewAttributes(BOB, {
    resourceAttributes: {
      verb: "list",
      fieldSelector: { requirements: [{ key: "a", operator: "In", values: ["1", "2"] }] },
    },
  });
  assert.deepEqual(bad.problems, [
    "spec.resourceAttributes.fieldSelector ignored due to parse error",
  ]);
  assert.equal(bad.attrs.fieldSelector, "");
});
