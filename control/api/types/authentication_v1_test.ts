import assert from "node:assert/strict";
import {
  BoundObjectReference,
  SELF_SUBJECT_REVIEW_V1BETA1_GVK,
  SelfSubjectReview,
  SelfSubjectReviewV1beta1,
  TokenRequest,
  TokenRequestSpec,
  TokenReview,
  TokenReviewStatus,
  UserInfo,
} from "./authentication_v1.ts";

Deno.test("authentication kinds carry their group-version-kinds", () => {
  for (
    const [kind, schema] of [
      ["TokenRequest", TokenRequest],
      ["TokenReview", TokenReview],
      ["SelfSubjectReview", SelfSubjectReview],
    ] as const
  ) {
    assert.equal(schema.name, `io.k8s.api.authentication.v1.${kind}`);
    assert.deepEqual(schema.gvk, [{ group: "authentication.k8s.io", version: "v1", kind }]);
  }
});

Deno.test("SelfSubjectReviewV1beta1 is the same object under v1beta1 names", () => {
  assert.equal(
    SelfSubjectReviewV1beta1.name,
    "io.k8s.api.authentication.v1beta1.SelfSubjectReview",
  );
  assert.deepEqual(SelfSubjectReviewV1beta1.gvk, [SELF_SUBJECT_REVIEW_V1BETA1_GVK]);
  assert.equal(SELF_SUBJECT_REVIEW_V1BETA1_GVK.version, "v1beta1");
  const status = SelfSubjectReviewV1beta1.fields.status.schema;
  assert.equal(status.name, "io.k8s.api.authentication.v1beta1.SelfSubjectReviewStatus");
  assert.equal(status.fields.userInfo.schema, UserInfo);
});

Deno.test("authentication types follow upstream", () => {
  assert.deepEqual(
    Object.fromEntries(Object.entries(TokenRequestSpec.fields).map(([k, f]) => [k, f.proto])),
    { audiences: 1, expirationSeconds: 4, boundObjectRef: 3 },
  );
  assert.equal(TokenRequestSpec.fields.expirationSeconds.schema.format, "int64");
  assert.equal(TokenRequestSpec.fields.expirationSeconds.default, 3600);
  assert.equal(TokenReviewStatus.fields.audiences.proto, 4);
  assert.equal(TokenReviewStatus.fields.error.proto, 3);
  assert.deepEqual(UserInfo.fields.extra.schema, {
    type: "map",
    values: { type: "array", items: { type: "string" }, protoItems: 1 },
  });
  assert.deepEqual(Object.keys(BoundObjectReference.fields), ["kind", "apiVersion", "name", "uid"]);
  assert.equal(SelfSubjectReview.fields.status.proto, 2);
});
