import assert from "node:assert/strict";
import {
  AlwaysAllow,
  type AuthorizationAttributes,
  type Authorizer,
  forbiddenMessage,
  UnionAuthorizer,
} from "./authorizer.ts";

const bob = { username: "bob", groups: ["system:authenticated"] };

function attrs(extra: Partial<AuthorizationAttributes>): AuthorizationAttributes {
  return {
    user: bob,
    verb: "get",
    resourceRequest: true,
    path: "/apis/apps/v1/namespaces/default/deployments/web",
    apiGroup: "apps",
    apiVersion: "v1",
    resource: "deployments",
    subresource: "",
    namespace: "default",
    name: "web",
    ...extra,
  };
}

Deno.test("forbiddenMessage() prints kube-apiserver's 403 texts", async (t) => {
  const cases: [Partial<AuthorizationAttributes>, string][] = [
    [
      {},
      'deployments.apps "web" is forbidden: User "bob" cannot get resource "deployments" in API group "apps" in the namespace "default"',
    ],
    [
      { name: "", verb: "list" },
      'deployments.apps is forbidden: User "bob" cannot list resource "deployments" in API group "apps" in the namespace "default"',
    ],
    [
      { apiGroup: "", resource: "nodes", namespace: "", name: "n1" },
      'nodes "n1" is forbidden: User "bob" cannot get resource "nodes" in API group "" at the cluster scope',
    ],
    [
      { apiGroup: "", resource: "pods", subresource: "log", name: "p" },
      'pods "p" is forbidden: User "bob" cannot get resource "pods/log" in API group "" in the namespace "default"',
    ],
    [
      { resourceRequest: false, path: "/metrics" },
      'forbidden: User "bob" cannot get path "/metrics"',
    ],
  ];
  for (const [extra, want] of cases) {
    await t.step(want, () => assert.equal(forbiddenMessage(attrs(extra)), want));
  }
  assert.match(forbiddenMessage(attrs({}), "no RBAC policy matched"), /: no RBAC policy matched$/);
});

Deno.test("UnionAuthorizer asks in order, stops at a decision and lets system:masters in", async () => {
  const calls: string[] = [];
  const make = (name: string, decision: "allow" | "deny" | "noOpinion"): Authorizer => ({
    authorize() {
      calls.push(name);
      return { decision, reason: `${name} said ${decision}` };
    },
  });
  const union = new UnionAuthorizer([
    make("node", "noOpinion"),
    make("rbac", "deny"),
    make("x", "allow"),
  ]);
  assert.deepEqual(await union.authorize(attrs({})), {
    decision: "deny",
    reason: "rbac said deny",
  });
  assert.deepEqual(calls, ["node", "rbac"]);
  const none = await new UnionAuthorizer([make("a", "noOpinion")]).authorize(attrs({}));
  assert.equal(none.decision, "noOpinion");
  calls.length = 0;
  const admin = await union.authorize(
    attrs({ user: { username: "root", groups: ["system:masters"] } }),
  );
  assert.equal(admin.decision, "allow");
  assert.deepEqual(calls, [], "masters bypass every authorizer");
  assert.equal((await new AlwaysAllow().authorize()).decision, "allow");
});
