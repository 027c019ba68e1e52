import assert from "node:assert/strict";
import type { KubeObject } from "../types/meta_v1.ts";
import {
  clusterRoleBindingStrategy,
  clusterRoleStrategy,
  roleBindingStrategy,
  roleStrategy,
} from "./rbac.ts";

function errors(s: { validate?(o: KubeObject): { toString(): string }[] }, obj: KubeObject) {
  return s.validate!(obj).map(String);
}

Deno.test("RBAC strategies validate names as path segments only", () => {
  for (
    const s of [roleStrategy, clusterRoleStrategy, roleBindingStrategy, clusterRoleBindingStrategy]
  ) {
    assert.equal(s.nameRule, "pathSegment");
  }
});

Deno.test("roleStrategy and clusterRoleStrategy check rules", async (t) => {
  const cases: { name: string; cluster: boolean; obj: KubeObject; want: string[] }[] = [
    {
      name: "a valid role",
      cluster: false,
      obj: { rules: [{ verbs: ["get"], apiGroups: [""], resources: ["pods"] }] },
      want: [],
    },
    {
      name: "a rule without verbs, groups and resources",
      cluster: false,
      obj: { rules: [{ verbs: [] }] },
      want: [
        "rules[0].verbs: Required value: verbs must contain at least one value",
        "rules[0].apiGroups: Required value: resource rules must supply at least one api group",
        "rules[0].resources: Required value: resource rules must supply at least one resource",
      ],
    },
    {
      name: "resource names on two resources",
      cluster: false,
      obj: {
        rules: [{ verbs: ["get"], apiGroups: [""], resources: ["a", "b"], resourceNames: ["x"] }],
      },
      want: [
        "rules[0].resourceNames: Required value: resource names cannot apply to multiple resources",
      ],
    },
    {
      name: "non-resource URLs in a Role",
      cluster: false,
      obj: { rules: [{ verbs: ["get"], nonResourceURLs: ["/healthz"], resources: ["pods"] }] },
      want: [
        'rules[0].nonResourceURLs: Invalid value: []string{"/healthz"}: namespaced rules cannot apply to non-resource URLs',
        'rules[0].nonResourceURLs: Invalid value: []string{"/healthz"}: rules cannot apply to both regular resources and non-resource URLs',
      ],
    },
    {
      name: "non-resource URLs in a ClusterRole",
      cluster: true,
      obj: { rules: [{ verbs: ["get"], nonResourceURLs: ["/healthz", "/api/*"] }] },
      want: [],
    },
    {
      name: "an aggregation rule without selectors",
      cluster: true,
      obj: { aggregationRule: {} },
      want: [
        "aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector required if aggregationRule is non-nil",
      ],
    },
    {
      name: "an aggregation rule with a bad selector",
      cluster: true,
      obj: {
        aggregationRule: {
          clusterRoleSelectors: [{ matchExpressions: [{ key: "a", operator: "In" }] }],
        },
      },
      want: [
        "aggregationRule.clusterRoleSelectors[0].matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
        'aggregationRule.clusterRoleSelectors[0]: Invalid value: "null": invalid label selector.',
      ],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.deepEqual(errors(c.cluster ? clusterRoleStrategy : roleStrategy, c.obj), c.want);
    });
  }
});

Deno.test("binding strategies default the RBAC group", () => {
  const obj: KubeObject = {
    roleRef: { kind: "ClusterRole", name: "view" },
    subjects: [
      { kind: "User", name: "alice" },
      { kind: "Group", name: "devs" },
      { kind: "ServiceAccount", name: "sa", namespace: "default" },
    ],
  };
  roleBindingStrategy.default!(obj);
  assert.deepEqual(obj, {
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
    subjects: [
      { kind: "User", name: "alice", apiGroup: "rbac.authorization.k8s.io" },
      { kind: "Group", name: "devs", apiGroup: "rbac.authorization.k8s.io" },
      { kind: "ServiceAccount", name: "sa", namespace: "default", apiGroup: "" },
    ],
  });
  assert.deepEqual(errors(roleBindingStrategy, obj), []);
});

Deno.test("binding strategies check roleRef and subjects", async (t) => {
  const ref = { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" };
  const cases: { name: string; cluster: boolean; obj: KubeObject; want: string[] }[] = [
    {
      name: "a ClusterRoleBinding to a Role",
      cluster: true,
      obj: { roleRef: { ...ref, kind: "Role" } },
      want: ['roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"'],
    },
    {
      name: "a foreign roleRef group and a bad name",
      cluster: false,
      obj: { roleRef: { apiGroup: "example.com", kind: "Foo", name: "a/b" } },
      want: [
        'roleRef.apiGroup: Unsupported value: "example.com": supported values: "rbac.authorization.k8s.io"',
        'roleRef.kind: Unsupported value: "Foo": supported values: "Role", "ClusterRole"',
        `roleRef.name: Invalid value: "a/b": may not contain '/'`,
      ],
    },
    {
      name: "a ServiceAccount without namespace in a ClusterRoleBinding",
      cluster: true,
      obj: { roleRef: ref, subjects: [{ kind: "ServiceAccount", name: "sa", apiGroup: "x" }] },
      want: [
        'subjects[0].apiGroup: Unsupported value: "x": supported values: ""',
        "subjects[0].namespace: Required value",
      ],
    },
    {
      name: "an empty user name and an unknown kind",
      cluster: false,
      obj: {
        roleRef: ref,
        subjects: [
          { kind: "User", name: "", apiGroup: "rbac.authorization.k8s.io" },
          { kind: "Robot", name: "r" },
        ],
      },
      want: [
        "subjects[0].name: Required value",
        'subjects[0].name: Invalid value: "": user name cannot be empty',
        'subjects[1].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"',
      ],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const s = c.cluster ? clusterRoleBindingStrategy : roleBindingStrategy;
      assert.deepEqual(errors(s, c.obj), c.want);
    });
  }
});

Deno.test("binding strategies refuse to change roleRef", () => {
  const old: KubeObject = {
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
  };
  const now: KubeObject = {
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "edit" },
  };
  assert.deepEqual(clusterRoleBindingStrategy.validateUpdate!(now, old).map(String), [
    'roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", Name:"edit"}: cannot change roleRef',
  ]);
  assert.deepEqual(roleBindingStrategy.validateUpdate!(old, structuredClone(old)), []);
});
