import assert from "node:assert/strict";
import { createTestApp } from "../_test_app.ts";
import type { AdmissionPlugin } from "../admission/admission.ts";
import type { Authorizer } from "../auth/authorizer.ts";
import type { ApiExtensions } from "./extensions.ts";

const json = { "content-type": "application/json", accept: "application/json" };

function extensions(): ApiExtensions {
  return {
    reviews: [{
      handles: (def) => def.resource === "selfsubjectreviews",
      create: (req) =>
        Promise.resolve(Response.json({ kind: "SelfSubjectReview", user: req.user.username }, {
          status: 201,
        })),
    }],
    subresources: [{
      group: "",
      resource: "serviceaccounts",
      subresource: "token",
      handle: (req) => Promise.resolve(Response.json({ sa: req.info.name }, { status: 201 })),
    }],
    routes: [{
      method: "GET",
      path: "/.well-known/openid-configuration",
      handle: () => Response.json({ issuer: "https://kubernetes.default.svc.cluster.local" }),
    }],
  };
}

Deno.test("createApiApp() sends review creates to their handler and refuses other verbs", async () => {
  await using t = await createTestApp({ extensions });
  const path = "/apis/authentication.k8s.io/v1/selfsubjectreviews";
  const created = await t.json("POST", path, { body: {} });
  assert.equal(created.status, 201);
  assert.deepEqual(created.body, { kind: "SelfSubjectReview", user: "admin" });
  const list = await t.json("GET", path);
  assert.equal(list.status, 405);
  assert.equal(list.body.reason, "MethodNotAllowed");
  // Nothing was stored.
  assert.equal((await t.storage.list("/registry/selfsubjectreviews/")).items.length, 0);
});

Deno.test("createApiApp() answers a review without a handler with 500, storing nothing", async () => {
  await using t = await createTestApp({ extensions });
  const path = "/apis/authentication.k8s.io/v1/tokenreviews";
  const res = await t.json("POST", path, { body: { spec: { token: "x" } } });
  assert.equal(res.status, 500);
  assert.equal(res.body.kind, "Status");
  assert.equal(
    (await t.storage.list("/registry/")).items.some((kv) => kv.key.includes("tokenreview")),
    false,
  );
});

Deno.test("createApiApp() routes subresource hooks and extra routes", async () => {
  await using t = await createTestApp({ extensions });
  const token = await t.json("POST", "/api/v1/namespaces/default/serviceaccounts/builder/token", {
    body: {},
  });
  assert.equal(token.status, 201);
  assert.deepEqual(token.body, { sa: "builder" });
  const oidc = await t.json("GET", "/.well-known/openid-configuration");
  assert.equal(oidc.status, 200);
  assert.equal(oidc.body.issuer, "https://kubernetes.default.svc.cluster.local");
});

Deno.test("createApiApp() authorizes extra routes by path like any non-resource URL", async () => {
  const seen: string[] = [];
  const denyOidc: Authorizer = {
    authorize: (a) => {
      seen.push(`${a.verb} ${a.path} ${a.resourceRequest}`);
      return a.path.startsWith("/.well-known/")
        ? { decision: "noOpinion", reason: "" }
        : { decision: "allow", reason: "" };
    },
  };
  await using t = await createTestApp({
    extensions,
    authenticator: () => ({
      authenticate: () => Promise.resolve({ username: "bob", groups: ["system:authenticated"] }),
    }),
    authorizer: () => denyOidc,
  });
  const res = await t.json("GET", "/.well-known/openid-configuration");
  assert.equal(res.status, 403);
  assert.equal(
    res.body.message,
    'forbidden: User "bob" cannot get path "/.well-known/openid-configuration"',
  );
  assert.ok(seen.includes("get /.well-known/openid-configuration false"));
});

Deno.test("admission warnings reach the client as Warning headers", async () => {
  const warner: AdmissionPlugin = {
    name: "Warner",
    validate: (attrs) => {
      if (attrs.def.resource === "configmaps") attrs.warnings?.push("configmaps are watched");
      return Promise.resolve();
    },
  };
  await using t = await createTestApp({ admission: () => [warner] });
  const res = await t.request("/api/v1/namespaces/default/configmaps", {
    method: "POST",
    headers: json,
    body: JSON.stringify({ metadata: { name: "c" } }),
  });
  assert.equal(res.status, 201);
  assert.equal(res.headers.get("warning"), '299 - "configmaps are watched"');
  await res.body?.cancel();
  const update = await t.request("/api/v1/namespaces/default/configmaps/c", {
    method: "PUT",
    headers: json,
    body: JSON.stringify({ metadata: { name: "c" }, data: { a: "1" } }),
  });
  assert.equal(update.status, 200);
  assert.equal(update.headers.get("warning"), '299 - "configmaps are watched"');
  await update.body?.cancel();
});
