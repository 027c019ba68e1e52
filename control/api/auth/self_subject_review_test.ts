import assert from "node:assert/strict";
import { createTestApp } from "../_test_app.ts";
import { decodeProtobufBody } from "../codec/protobuf_body.ts";
import { FakeClock } from "../../util/clock.ts";
import { TEST_ISSUER, TEST_NOW_MS, TestBearerAuthenticator, until } from "./_sa_test_support.ts";
import { SelfSubjectReviewHandler } from "./self_subject_review.ts";
import { ServiceAccountTokenAuthenticator } from "./service_account_authenticator.ts";
import { ServiceAccountKeys } from "./service_account_keys.ts";
import { serviceAccountClaims, ServiceAccountTokenIssuer } from "./service_account_token.ts";

const keys = await ServiceAccountKeys.generate();

async function whoamiApp() {
  const clock = new FakeClock(TEST_NOW_MS);
  const t = await createTestApp({
    authenticator: (parts) =>
      new TestBearerAuthenticator([
        new ServiceAccountTokenAuthenticator({
          keys,
          issuer: TEST_ISSUER,
          views: parts.views,
          clock,
        }),
      ]),
    extensions: () => ({
      reviews: [new SelfSubjectReviewHandler({ clock, protobuf: decodeProtobufBody })],
    }),
  });
  const sa = await t.client.json("POST", "/api/v1/namespaces/default/serviceaccounts", {
    body: { metadata: { name: "builder" } },
  });
  const uid = (sa.body.metadata as { uid: string }).uid;
  const view = await t.views.started("/registry/serviceaccounts/");
  await until(() => view.getByName("default", "builder") !== undefined);
  const token = await new ServiceAccountTokenIssuer({ keys }).sign(serviceAccountClaims({
    issuer: TEST_ISSUER,
    audiences: [TEST_ISSUER],
    serviceAccount: { namespace: "default", name: "builder", uid },
    expirationSeconds: 3600,
    nowMs: clock.now(),
    jti: "j1",
  }));
  return { t, uid, token };
}

Deno.test("SelfSubjectReviewHandler answers the requesting user in v1 and v1beta1", async (t) => {
  const { t: app, uid, token } = await whoamiApp();
  await using _ = app;
  for (const version of ["v1", "v1beta1"]) {
    await t.step(version, async () => {
      const res = await app.request(`/apis/authentication.k8s.io/${version}/selfsubjectreviews`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": "application/json",
          accept: "application/json",
        },
        body: JSON.stringify({
          kind: "SelfSubjectReview",
          apiVersion: `authentication.k8s.io/${version}`,
          metadata: { creationTimestamp: null, name: "ignored" },
          status: { userInfo: { username: "someone-else" } },
        }),
      });
      assert.equal(res.status, 201);
      assert.deepEqual(await res.json(), {
        kind: "SelfSubjectReview",
        apiVersion: `authentication.k8s.io/${version}`,
        metadata: { creationTimestamp: "2023-11-14T22:13:20Z" },
        status: {
          userInfo: {
            username: "system:serviceaccount:default:builder",
            uid,
            groups: [
              "system:serviceaccounts",
              "system:serviceaccounts:default",
              "system:authenticated",
            ],
            extra: { "authentication.kubernetes.io/credential-id": ["JTI=j1"] },
          },
        },
      });
    });
  }
});

Deno.test("SelfSubjectReviewHandler decodes protobuf bodies and refuses other kinds", async () => {
  const { t: app } = await whoamiApp();
  await using _ = app;
  const utf8 = (s: string) => [...new TextEncoder().encode(s)];
  const ld = (field: number, bytes: number[]) => [(field << 3) | 2, bytes.length, ...bytes];
  const typeMeta = [
    ...ld(1, utf8("authentication.k8s.io/v1")),
    ...ld(2, utf8("SelfSubjectReview")),
  ];
  const body = new Uint8Array([0x6b, 0x38, 0x73, 0x00, ...ld(1, typeMeta), ...ld(2, ld(1, []))]);
  const path = "/apis/authentication.k8s.io/v1/selfsubjectreviews";
  const admin = { connection: { internalUser: { username: "admin", groups: ["system:masters"] } } };
  const res = await app.app.fetch(
    new Request(`https://in-process${path}`, {
      method: "POST",
      headers: {
        "content-type": "application/vnd.kubernetes.protobuf",
        accept: "application/json",
      },
      body,
    }),
    admin,
  );
  assert.equal(res.status, 201);
  assert.deepEqual((await res.json()).status, {
    userInfo: { username: "admin", groups: ["system:masters"] },
  });
  const wrong = await app.client.json("POST", path, {
    body: { kind: "TokenReview", apiVersion: "authentication.k8s.io/v1" },
  });
  assert.equal(wrong.status, 400);
  assert.equal(
    wrong.body.message,
    "the kind in the data (TokenReview) does not match the expected kind (SelfSubjectReview)",
  );
});

Deno.test("SelfSubjectReviewHandler is only reached with valid credentials", async () => {
  const { t: app, token } = await whoamiApp();
  await using _ = app;
  const res = await app.request("/apis/authentication.k8s.io/v1/selfsubjectreviews", {
    method: "POST",
    headers: { authorization: `Bearer ${token}x`, "content-type": "application/json" },
    body: "{}",
  });
  assert.equal(res.status, 401);
});
