import assert from "node:assert/strict";
import type { PolicyRule } from "../types/rbac_v1.ts";
import {
  breakdownRule,
  compactRules,
  compactString,
  covers,
  describeSubject,
  firstMatchingSubject,
  nonResourceURLMatches,
  parseServiceAccountUsername,
  resourceMatches,
  resourceNameMatches,
  ruleAllows,
  type RuleRequest,
  rulesEqual,
  serviceAccountUsername,
  subjectMatches,
} from "./rbac_rules.ts";

function get(overrides: Partial<RuleRequest> = {}): RuleRequest {
  return {
    verb: "get",
    resourceRequest: true,
    path: "",
    apiGroup: "",
    resource: "pods",
    subresource: "",
    name: "",
    ...overrides,
  };
}

Deno.test("ruleAllows() matches verbs, groups, resources and names as RBAC does", async (t) => {
  const cases: { name: string; rule: PolicyRule; request: RuleRequest; want: boolean }[] = [
    {
      name: "exact verb, group and resource",
      rule: { verbs: ["get"], apiGroups: [""], resources: ["pods"] },
      request: get(),
      want: true,
    },
    {
      name: "another verb",
      rule: { verbs: ["list"], apiGroups: [""], resources: ["pods"] },
      request: get(),
      want: false,
    },
    {
      name: "star verb",
      rule: { verbs: ["*"], apiGroups: [""], resources: ["pods"] },
      request: get({ verb: "deletecollection" }),
      want: true,
    },
    {
      name: "core group does not match apps",
      rule: { verbs: ["get"], apiGroups: [""], resources: ["deployments"] },
      request: get({ apiGroup: "apps", resource: "deployments" }),
      want: false,
    },
    {
      name: "star group",
      rule: { verbs: ["get"], apiGroups: ["*"], resources: ["deployments"] },
      request: get({ apiGroup: "apps", resource: "deployments" }),
      want: true,
    },
    {
      name: "no groups listed matches no group",
      rule: { verbs: ["get"], resources: ["pods"] },
      request: get(),
      want: false,
    },
    {
      name: "a resource does not cover its subresources",
      rule: { verbs: ["get"], apiGroups: [""], resources: ["pods"] },
      request: get({ subresource: "log" }),
      want: false,
    },
    {
      name: "resource/subresource",
      rule: { verbs: ["get"], apiGroups: [""], resources: ["pods/log"] },
      request: get({ subresource: "log" }),
      want: true,
    },
    {
      name: "*/subresource matches that subresource of any resource",
      rule: { verbs: ["get"], apiGroups: ["*"], resources: ["*/scale"] },
      request: get({ apiGroup: "apps", resource: "deployments", subresource: "scale" }),
      want: true,
    },
    {
      name: "*/subresource does not match the resource itself",
      rule: { verbs: ["get"], apiGroups: ["*"], resources: ["*/scale"] },
      request: get({ apiGroup: "apps", resource: "deployments" }),
      want: false,
    },
    {
      name: "*/subresource does not match a longer subresource",
      rule: { verbs: ["get"], apiGroups: [""], resources: ["*/log"] },
      request: get({ subresource: "catalog" }),
      want: false,
    },
    {
      name: "resource/* is not a wildcard",
      rule: { verbs: ["get"], apiGroups: [""], resources: ["pods/*"] },
      request: get({ subresource: "log" }),
      want: false,
    },
    {
      name: "star resource covers subresources",
      rule: { verbs: ["get"], apiGroups: [""], resources: ["*"] },
      request: get({ subresource: "exec" }),
      want: true,
    },
    {
      name: "resource names: listed name",
      rule: { verbs: ["get"], apiGroups: [""], resources: ["pods"], resourceNames: ["a", "b"] },
      request: get({ name: "b" }),
      want: true,
    },
    {
      name: "resource names: other name",
      rule: { verbs: ["get"], apiGroups: [""], resources: ["pods"], resourceNames: ["a"] },
      request: get({ name: "c" }),
      want: false,
    },
    {
      name: "resource names never match a request without a name (list, create)",
      rule: { verbs: ["list"], apiGroups: [""], resources: ["pods"], resourceNames: ["a"] },
      request: get({ verb: "list" }),
      want: false,
    },
    {
      name: "a resource rule does not allow a non-resource request",
      rule: { verbs: ["get"], apiGroups: ["*"], resources: ["*"] },
      request: get({ resourceRequest: false, path: "/healthz", resource: "" }),
      want: false,
    },
    {
      name: "non-resource URL, exact",
      rule: { verbs: ["get"], nonResourceURLs: ["/healthz"] },
      request: get({ resourceRequest: false, path: "/healthz", resource: "" }),
      want: true,
    },
    {
      name: "non-resource URL, verb differs",
      rule: { verbs: ["get"], nonResourceURLs: ["/healthz"] },
      request: get({ resourceRequest: false, verb: "post", path: "/healthz", resource: "" }),
      want: false,
    },
    {
      name: "a non-resource rule does not allow a resource request",
      rule: { verbs: ["*"], nonResourceURLs: ["*"] },
      request: get(),
      want: false,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.equal(ruleAllows(c.request, c.rule), c.want));
  }
});

Deno.test("nonResourceURLMatches() takes a trailing star as a prefix", async (t) => {
  const cases: [string[], string, boolean][] = [
    [["/apis/*"], "/apis/apps", true],
    [["/apis/*"], "/apis/", true],
    [["/apis/*"], "/apis", false],
    [["/healthz*"], "/healthzfoo", true],
    [["*"], "/anything/at/all", true],
    [["/version"], "/version/", false],
    [["/version", "/version/"], "/version/", true],
    [["/a/*/b"], "/a/x/b", false],
  ];
  for (const [urls, path, want] of cases) {
    await t.step(`${urls.join(",")} ~ ${path}`, () => {
      assert.equal(nonResourceURLMatches({ verbs: ["get"], nonResourceURLs: urls }, path), want);
    });
  }
});

Deno.test("resourceMatches() and resourceNameMatches() read absent lists as empty", () => {
  assert.equal(resourceMatches({ verbs: ["get"] }, { resource: "pods", subresource: "" }), false);
  assert.equal(resourceNameMatches({ verbs: ["get"] }, "anything"), true);
});

Deno.test("subjectMatches() finds users, groups and service accounts", async (t) => {
  const bob = { username: "bob", groups: ["devs", "system:authenticated"] };
  const sa = {
    username: "system:serviceaccount:apps:builder",
    groups: ["system:serviceaccounts", "system:serviceaccounts:apps", "system:authenticated"],
  };
  const cases = [
    { name: "user by name", user: bob, subject: { kind: "User", name: "bob" }, ns: "", want: true },
    {
      name: "user, other name",
      user: bob,
      subject: { kind: "User", name: "al" },
      ns: "",
      want: false,
    },
    { name: "group", user: bob, subject: { kind: "Group", name: "devs" }, ns: "", want: true },
    {
      name: "group is not a user",
      user: bob,
      subject: { kind: "Group", name: "bob" },
      ns: "",
      want: false,
    },
    {
      name: "service account by namespace and name",
      user: sa,
      subject: { kind: "ServiceAccount", name: "builder", namespace: "apps" },
      ns: "",
      want: true,
    },
    {
      name: "service account in another namespace",
      user: sa,
      subject: { kind: "ServiceAccount", name: "builder", namespace: "web" },
      ns: "apps",
      want: false,
    },
    {
      name: "service account without namespace: the binding's",
      user: sa,
      subject: { kind: "ServiceAccount", name: "builder" },
      ns: "apps",
      want: true,
    },
    {
      name: "service account without namespace in a cluster binding: nobody",
      user: sa,
      subject: { kind: "ServiceAccount", name: "builder" },
      ns: "",
      want: false,
    },
    {
      name: "service account username as a User subject",
      user: sa,
      subject: { kind: "User", name: "system:serviceaccount:apps:builder" },
      ns: "",
      want: true,
    },
    {
      name: "unknown kind",
      user: bob,
      subject: { kind: "Robot", name: "bob" },
      ns: "",
      want: false,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.equal(subjectMatches(c.user, { subject: c.subject, namespace: c.ns }), c.want);
    });
  }
});

Deno.test("firstMatchingSubject() returns the first subject that is the user", () => {
  const user = { username: "bob", groups: ["devs"] };
  const subjects = [
    { kind: "User", name: "al" },
    { kind: "Group", name: "devs" },
    { kind: "User", name: "bob" },
  ];
  assert.equal(firstMatchingSubject(user, { subjects, namespace: "" }), 1);
  assert.equal(firstMatchingSubject(user, { subjects: undefined, namespace: "" }), -1);
});

Deno.test("describeSubject() names service accounts as name/namespace", () => {
  assert.equal(describeSubject({ kind: "User", name: "bob" }, ""), 'User "bob"');
  assert.equal(
    describeSubject({ kind: "ServiceAccount", name: "sa" }, "apps"),
    'ServiceAccount "sa/apps"',
  );
});

Deno.test("parseServiceAccountUsername() splits system:serviceaccount:<ns>:<name>", () => {
  assert.deepEqual(parseServiceAccountUsername(serviceAccountUsername("a", "b")), {
    namespace: "a",
    name: "b",
  });
  assert.equal(parseServiceAccountUsername("bob"), null);
  assert.equal(parseServiceAccountUsername("system:serviceaccount:a"), null);
  assert.equal(parseServiceAccountUsername("system:serviceaccount::b"), null);
  assert.equal(parseServiceAccountUsername("system:serviceaccount:a:"), null);
});

Deno.test("breakdownRule() splits a rule into one group, resource, verb and name each", () => {
  assert.deepEqual(
    breakdownRule({
      verbs: ["get", "list"],
      apiGroups: ["", "apps"],
      resources: ["x"],
      resourceNames: ["n"],
    }),
    [
      { apiGroups: [""], resources: ["x"], verbs: ["get"], resourceNames: ["n"] },
      { apiGroups: [""], resources: ["x"], verbs: ["list"], resourceNames: ["n"] },
      { apiGroups: ["apps"], resources: ["x"], verbs: ["get"], resourceNames: ["n"] },
      { apiGroups: ["apps"], resources: ["x"], verbs: ["list"], resourceNames: ["n"] },
    ],
  );
  assert.deepEqual(breakdownRule({ verbs: ["get"], nonResourceURLs: ["/a", "/b"] }), [
    { nonResourceURLs: ["/a"], verbs: ["get"] },
    { nonResourceURLs: ["/b"], verbs: ["get"] },
  ]);
});

Deno.test("covers() tells whether owner rules hold every servant permission", async (t) => {
  const cases: {
    name: string;
    owner: PolicyRule[];
    servant: PolicyRule[];
    missing: PolicyRule[];
  }[] = [
    {
      name: "the same rule",
      owner: [{ verbs: ["get", "list"], apiGroups: [""], resources: ["pods"] }],
      servant: [{ verbs: ["get", "list"], apiGroups: [""], resources: ["pods"] }],
      missing: [],
    },
    {
      name: "split across owner rules",
      owner: [
        { verbs: ["get"], apiGroups: [""], resources: ["pods"] },
        { verbs: ["list"], apiGroups: [""], resources: ["pods"] },
      ],
      servant: [{ verbs: ["get", "list"], apiGroups: [""], resources: ["pods"] }],
      missing: [],
    },
    {
      name: "one verb missing",
      owner: [{ verbs: ["get"], apiGroups: [""], resources: ["pods"] }],
      servant: [{ verbs: ["get", "delete"], apiGroups: [""], resources: ["pods"] }],
      missing: [{ verbs: ["delete"], apiGroups: [""], resources: ["pods"] }],
    },
    {
      name: "stars cover everything",
      owner: [{ verbs: ["*"], apiGroups: ["*"], resources: ["*"] }],
      servant: [{ verbs: ["get"], apiGroups: ["apps"], resources: ["deployments/scale"] }],
      missing: [],
    },
    {
      name: "a resource does not cover its subresource",
      owner: [{ verbs: ["get"], apiGroups: [""], resources: ["pods"] }],
      servant: [{ verbs: ["get"], apiGroups: [""], resources: ["pods/log"] }],
      missing: [{ verbs: ["get"], apiGroups: [""], resources: ["pods/log"] }],
    },
    {
      name: "*/subresource covers that subresource",
      owner: [{ verbs: ["get"], apiGroups: [""], resources: ["*/log"] }],
      servant: [{ verbs: ["get"], apiGroups: [""], resources: ["pods/log"] }],
      missing: [],
    },
    {
      name: "named owner rule does not cover an unnamed one",
      owner: [{ verbs: ["get"], apiGroups: [""], resources: ["pods"], resourceNames: ["a"] }],
      servant: [{ verbs: ["get"], apiGroups: [""], resources: ["pods"] }],
      missing: [{ verbs: ["get"], apiGroups: [""], resources: ["pods"] }],
    },
    {
      name: "unnamed owner rule covers a named one",
      owner: [{ verbs: ["get"], apiGroups: [""], resources: ["pods"] }],
      servant: [{ verbs: ["get"], apiGroups: [""], resources: ["pods"], resourceNames: ["a"] }],
      missing: [],
    },
    {
      name: "star verb covers a star-verb servant",
      owner: [{ verbs: ["*"], apiGroups: [""], resources: ["pods"] }],
      servant: [{ verbs: ["*"], apiGroups: [""], resources: ["pods"] }],
      missing: [],
    },
    {
      name: "listing every verb does not cover the star verb",
      owner: [{ verbs: ["get", "list"], apiGroups: [""], resources: ["pods"] }],
      servant: [{ verbs: ["*"], apiGroups: [""], resources: ["pods"] }],
      missing: [{ verbs: ["*"], apiGroups: [""], resources: ["pods"] }],
    },
    {
      name: "non-resource URL prefix",
      owner: [{ verbs: ["get"], nonResourceURLs: ["/apis/*"] }],
      servant: [{ verbs: ["get"], nonResourceURLs: ["/apis/apps", "/healthz"] }],
      missing: [{ verbs: ["get"], nonResourceURLs: ["/healthz"] }],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const got = covers(c.owner, c.servant);
      assert.deepEqual(got.missing, c.missing);
      assert.equal(got.covered, c.missing.length === 0);
    });
  }
});

Deno.test("compactRules() merges verbs of simple rules and compactString() prints them", () => {
  const missing = covers([], [
    { verbs: ["get", "list"], apiGroups: [""], resources: ["pods"] },
    { verbs: ["get"], apiGroups: [""], resources: ["secrets"], resourceNames: ["s"] },
    { verbs: ["get"], nonResourceURLs: ["/metrics"] },
  ]).missing;
  assert.deepEqual(compactRules(missing).map(compactString), [
    '{APIGroups:[""], Resources:["secrets"], ResourceNames:["s"], Verbs:["get"]}',
    '{NonResourceURLs:["/metrics"], Verbs:["get"]}',
    '{APIGroups:[""], Resources:["pods"], Verbs:["get" "list"]}',
  ]);
});

Deno.test("rulesEqual() treats absent and empty lists alike", () => {
  assert.equal(
    rulesEqual([{ verbs: ["get"], resourceNames: [] }], [{ verbs: ["get"] }]),
    true,
  );
  assert.equal(rulesEqual([{ verbs: ["get"] }], [{ verbs: ["list"] }]), false);
  assert.equal(rulesEqual(undefined, []), true);
});
