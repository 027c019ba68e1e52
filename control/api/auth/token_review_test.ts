import assert from "node:assert/strict";
import { createTestApp, type TestApp } from "../_test_app.ts";
import { decodeProtobufBody } from "../codec/protobuf_body.ts";
import type { RequestUser } from "../handlers/context.ts";
import { FakeClock } from "../../util/clock.ts";
import { TEST_ISSUER, TEST_NOW_MS, until } from "./_sa_test_support.ts";
import { AuthenticationError, type TokenAuthenticator } from "./authenticator.ts";
import { ServiceAccountTokenAuthenticator } from "./service_account_authenticator.ts";
import { ServiceAccountKeys } from "./service_account_keys.ts";
import { serviceAccountClaims, ServiceAccountTokenIssuer } from "./service_account_token.ts";
import { reviewToken, TokenReviewHandler, userInfoOf } from "./token_review.ts";

const keys = await ServiceAccountKeys.generate();
const ALICE: RequestUser = { username: "alice", groups: ["devs", "system:authenticated"] };

/** An audience-agnostic token authenticator (as bootstrap tokens are). */
const staticTokens: TokenAuthenticator = {
  authenticateToken(token) {
    if (token === "bad-static") return Promise.reject(new AuthenticationError("token revoked"));
    return Promise.resolve(token === "static-token" ? ALICE : null);
  },
};

interface ReviewApp extends AsyncDisposable {
  readonly t: TestApp;
  readonly clock: FakeClock;
  readonly saUid: string;
  token(options?: { audiences?: string[]; expirationSeconds?: number }): Promise<string>;
  review(spec: unknown): Promise<{ status: number; body: Record<string, unknown> }>;
}

async function reviewApp(): Promise<ReviewApp> {
  const clock = new FakeClock(TEST_NOW_MS);
  const t = await createTestApp({
    extensions: (parts) => ({
      reviews: [
        new TokenReviewHandler({
          authenticators: [
            new ServiceAccountTokenAuthenticator({
              keys,
              issuer: TEST_ISSUER,
              views: parts.views,
              clock,
            }),
            staticTokens,
          ],
          apiAudiences: [TEST_ISSUER],
          clock,
          protobuf: decodeProtobufBody,
        }),
      ],
    }),
  });
  const created = await t.client.json("POST", "/api/v1/namespaces/default/serviceaccounts", {
    body: { metadata: { name: "builder" } },
  });
  const saUid = (created.body.metadata as { uid: string }).uid;
  const view = await t.views.started("/registry/serviceaccounts/");
  await until(() => view.getByName("default", "builder") !== undefined);
  const issuer = new ServiceAccountTokenIssuer({ keys });
  return {
    t,
    clock,
    saUid,
    async token(o = {}) {
      return await issuer.sign(serviceAccountClaims({
        issuer: TEST_ISSUER,
        audiences: o.audiences ?? [TEST_ISSUER],
        serviceAccount: { namespace: "default", name: "builder", uid: saUid },
        expirationSeconds: o.expirationSeconds ?? 3600,
        nowMs: clock.now(),
        jti: "j1",
      }));
    },
    review: (spec) =>
      t.client.json("POST", "/apis/authentication.k8s.io/v1/tokenreviews", {
        body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", spec },
      }),
    [Symbol.asyncDispose]: () => t[Symbol.asyncDispose](),
  };
}

Deno.test("TokenReviewHandler authenticates a ServiceAccount token as upstream answers", async () => {
  await using a = await reviewApp();
  const token = await a.token();
  const res = await a.review({ token });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  assert.deepEqual(res.body, {
    apiVersion: "authentication.k8s.io/v1",
    kind: "TokenReview",
    metadata: { creationTimestamp: null },
    spec: { token },
    status: {
      authenticated: true,
      user: {
        username: "system:serviceaccount:default:builder",
        uid: a.saUid,
        groups: [
          "system:serviceaccounts",
          "system:serviceaccounts:default",
          "system:authenticated",
        ],
        extra: { "authentication.kubernetes.io/credential-id": ["JTI=j1"] },
      },
      audiences: [TEST_ISSUER],
    },
  });
});

Deno.test("TokenReviewHandler reports why a token is refused", async (t) => {
  await using a = await reviewApp();
  const expiring = await a.token({ expirationSeconds: 600 });
  const forApi = await a.token();
  const cases: [string, () => Promise<unknown>, string][] = [
    [
      "an unknown token",
      () => Promise.resolve({ token: "nobody-knows-me" }),
      "invalid bearer token",
    ],
    ["an expired token", () => {
      a.clock.advance(661_000);
      return Promise.resolve({ token: expiring });
    }, "[invalid bearer token, service account token has expired]"],
    [
      "another audience",
      () => Promise.resolve({ token: forApi, audiences: ["vault"] }),
      `[invalid bearer token, token audiences ["${TEST_ISSUER}"] is invalid for the target audiences ["vault"]]`,
    ],
    [
      "a revoked static token",
      () => Promise.resolve({ token: "bad-static" }),
      "[invalid bearer token, token revoked]",
    ],
    [
      "an audience-agnostic token for another audience",
      () => Promise.resolve({ token: "static-token", audiences: ["vault"] }),
      "invalid bearer token",
    ],
  ];
  for (const [name, spec, error] of cases) {
    await t.step(name, async () => {
      const res = await a.review(await spec());
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.deepEqual(res.body.status, { user: {}, error });
    });
  }
});

Deno.test("TokenReviewHandler refuses the token of a deleted ServiceAccount", async () => {
  await using a = await reviewApp();
  const token = await a.token();
  const del = await a.t.client.json("DELETE", "/api/v1/namespaces/default/serviceaccounts/builder");
  assert.equal(del.status, 200);
  const view = await a.t.views.started("/registry/serviceaccounts/");
  await until(() => view.getByName("default", "builder") === undefined);
  const res = await a.review({ token });
  assert.deepEqual(res.body.status, {
    user: {},
    error: '[invalid bearer token, serviceaccounts "builder" not found]',
  });
});

Deno.test("TokenReviewHandler honours spec.audiences", async (t) => {
  await using a = await reviewApp();
  await t.step("a token for vault, reviewed for vault", async () => {
    const res = await a.review({
      token: await a.token({ audiences: ["vault"] }),
      audiences: ["vault"],
    });
    const status = res.body.status as Record<string, unknown>;
    assert.equal(status.authenticated, true);
    assert.deepEqual(status.audiences, ["vault"]);
  });
  await t.step("an audience-agnostic token gets the API server's audiences", async () => {
    const res = await a.review({ token: "static-token" });
    assert.deepEqual(res.body.status, {
      authenticated: true,
      user: { username: "alice", groups: ["devs", "system:authenticated"] },
      audiences: [TEST_ISSUER],
    });
  });
});

Deno.test("TokenReviewHandler requires a token", async () => {
  await using a = await reviewApp();
  for (const spec of [{}, { token: "" }]) {
    const res = await a.review(spec);
    assert.equal(res.status, 400);
    assert.equal(res.body.message, "token is required for TokenReview in authentication");
  }
});

Deno.test("reviewToken() lets errors other than AuthenticationError through", async () => {
  const broken: TokenAuthenticator = {
    authenticateToken: () => Promise.reject(new RangeError("boom")),
  };
  await assert.rejects(
    () => reviewToken("t", { authenticators: [broken], audiences: ["a"], apiAudiences: ["a"] }),
    RangeError,
  );
});

Deno.test("userInfoOf() leaves out what the user does not have", () => {
  assert.deepEqual(userInfoOf({ username: "u", groups: [] }), { username: "u" });
  assert.deepEqual(
    userInfoOf({ username: "u", uid: "1", groups: ["g"], extra: { k: ["v"] } }),
    { username: "u", uid: "1", groups: ["g"], extra: { k: ["v"] } },
  );
});
