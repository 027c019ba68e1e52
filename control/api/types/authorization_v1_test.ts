import assert from "node:assert/strict";
import {
  LocalSubjectAccessReview,
  ResourceAttributes,
  SelfSubjectAccessReview,
  SelfSubjectRulesReview,
  SubjectAccessReview,
  SubjectAccessReviewSpec,
  SubjectAccessReviewStatus,
  SubjectRulesReviewStatus,
} from "./authorization_v1.ts";

Deno.test("authorization kinds carry their group-version-kinds", () => {
  for (
    const [kind, schema] of [
      ["SubjectAccessReview", SubjectAccessReview],
      ["SelfSubjectAccessReview", SelfSubjectAccessReview],
      ["LocalSubjectAccessReview", LocalSubjectAccessReview],
      ["SelfSubjectRulesReview", SelfSubjectRulesReview],
    ] as const
  ) {
    assert.equal(schema.name, `io.k8s.api.authorization.v1.${kind}`);
    assert.deepEqual(schema.gvk, [{ group: "authorization.k8s.io", version: "v1", kind }]);
    assert.equal(schema.fields.spec.required, true);
    assert.equal(schema.fields.status.proto, 3);
  }
});

Deno.test("authorization types follow upstream", () => {
  assert.deepEqual(
    Object.fromEntries(Object.entries(ResourceAttributes.fields).map(([k, f]) => [k, f.proto])),
    {
      namespace: 1,
      verb: 2,
      group: 3,
      version: 4,
      resource: 5,
      subresource: 6,
      name: 7,
      fieldSelector: 8,
      labelSelector: 9,
    },
  );
  assert.deepEqual(
    Object.fromEntries(
      Object.entries(SubjectAccessReviewSpec.fields).map(([k, f]) => [k, f.proto]),
    ),
    { resourceAttributes: 1, nonResourceAttributes: 2, user: 3, groups: 4, extra: 5, uid: 6 },
  );
  assert.deepEqual(
    Object.fromEntries(
      Object.entries(SubjectAccessReviewStatus.fields).map(([k, f]) => [k, f.proto]),
    ),
    { allowed: 1, denied: 4, reason: 2, evaluationError: 3 },
  );
  assert.equal(SubjectAccessReviewStatus.fields.allowed.required, false);
  assert.equal(SubjectRulesReviewStatus.fields.incomplete.proto, 3);
  assert.equal(
    ResourceAttributes.fields.fieldSelector.schema.fields.requirements.schema.items.name,
    "io.k8s.apimachinery.pkg.apis.meta.v1.FieldSelectorRequirement",
  );
});
