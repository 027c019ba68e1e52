import assert from "node:assert/strict";
import {
  AggregationRule,
  ClusterRole,
  ClusterRoleBinding,
  PolicyRule,
  Role,
  RoleBinding,
  RoleRef,
  Subject,
} from "./rbac_v1.ts";

Deno.test("RBAC kinds carry their group-version-kinds", async (t) => {
  for (
    const [kind, schema] of [
      ["Role", Role],
      ["ClusterRole", ClusterRole],
      ["RoleBinding", RoleBinding],
      ["ClusterRoleBinding", ClusterRoleBinding],
    ] as const
  ) {
    await t.step(kind, () => {
      assert.equal(schema.name, `io.k8s.api.rbac.v1.${kind}`);
      assert.deepEqual(schema.gvk, [{ group: "rbac.authorization.k8s.io", version: "v1", kind }]);
    });
  }
});

Deno.test("RBAC types follow upstream", () => {
  assert.deepEqual(
    Object.fromEntries(Object.entries(PolicyRule.fields).map(([k, f]) => [k, f.proto])),
    { verbs: 1, apiGroups: 2, resources: 3, resourceNames: 4, nonResourceURLs: 5 },
  );
  assert.equal(PolicyRule.fields.verbs.required, true);
  assert.equal(Subject.mapType, "atomic");
  assert.equal(RoleRef.mapType, "atomic");
  assert.equal(RoleRef.fields.kind.required, true);
  assert.equal(RoleRef.fields.apiGroup.required, false);
  assert.equal(RoleBinding.fields.roleRef.required, true);
  assert.equal(RoleBinding.fields.roleRef.proto, 3);
  assert.equal(ClusterRole.fields.aggregationRule.proto, 3);
  assert.equal(
    AggregationRule.fields.clusterRoleSelectors.schema.items.name,
    "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector",
  );
});
