import assert from "node:assert/strict";
import { createTestApp } from "../_test_app.ts";
import {
  JWKS_PATH,
  oidcDiscoveryRoutes,
  OPENID_CONFIGURATION_PATH,
  openIdConfiguration,
} from "./oidc_discovery.ts";
import { ServiceAccountKeys } from "./service_account_keys.ts";

const ISSUER = "https://kubernetes.default.svc.cluster.local";
const keys = await ServiceAccountKeys.generate();

Deno.test("openIdConfiguration() is upstream's document, jwks_uri on the external address", () => {
  const doc = openIdConfiguration({
    issuer: ISSUER,
    externalAddress: () => "192.0.2.10:6443",
    keys,
  });
  assert.equal(
    JSON.stringify(doc),
    `{"issuer":"${ISSUER}","jwks_uri":"https://192.0.2.10:6443/openid/v1/jwks",` +
      `"response_types_supported":["id_token"],"subject_types_supported":["public"],` +
      `"id_token_signing_alg_values_supported":["ES256"]}`,
  );
});

Deno.test("openIdConfiguration() takes a configured JWKS URI", () => {
  const doc = openIdConfiguration({
    issuer: ISSUER,
    jwksUri: "https://edge.example/keys",
    keys,
  });
  assert.equal(doc.jwks_uri, "https://edge.example/keys");
});

Deno.test("oidcDiscoveryRoutes() refuses an issuer it cannot serve", async (t) => {
  const cases: [string, Parameters<typeof oidcDiscoveryRoutes>[0]][] = [
    ["not a URL", { issuer: "kubernetes/serviceaccount", externalAddress: () => "h", keys }],
    ["http", { issuer: "http://k8s.example", externalAddress: () => "h", keys }],
    ["no address and no JWKS URI", { issuer: ISSUER, keys }],
  ];
  for (const [name, options] of cases) {
    await t.step(name, () => assert.throws(() => oidcDiscoveryRoutes(options), TypeError));
  }
});

Deno.test("oidcDiscoveryRoutes() serve the documents with upstream's types and cache headers", async (t) => {
  let address = "192.0.2.10:6443";
  let current = keys;
  await using app = await createTestApp({
    extensions: () => ({
      routes: oidcDiscoveryRoutes({
        issuer: ISSUER,
        externalAddress: () => address,
        keys: () => current,
      }),
    }),
  });
  for (const path of [OPENID_CONFIGURATION_PATH, `${OPENID_CONFIGURATION_PATH}/`]) {
    await t.step(path, async () => {
      const res = await app.request(path);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "application/json");
      assert.equal(res.headers.get("cache-control"), "public, max-age=3600");
      const doc = await res.json();
      assert.equal(doc.issuer, ISSUER);
      assert.equal(doc.jwks_uri, `https://${address}/openid/v1/jwks`);
    });
  }
  for (const path of [JWKS_PATH, `${JWKS_PATH}/`]) {
    await t.step(path, async () => {
      const res = await app.request(path);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "application/jwk-set+json");
      assert.equal(res.headers.get("cache-control"), "public, max-age=3600");
      assert.deepEqual(await res.json(), JSON.parse(JSON.stringify(keys.jwks())));
    });
  }
  await t.step("the documents follow the address and the keys", async () => {
    address = "198.51.100.7:6443";
    current = await ServiceAccountKeys.generate();
    const doc = await (await app.request(OPENID_CONFIGURATION_PATH)).json();
    assert.equal(doc.jwks_uri, "https://198.51.100.7:6443/openid/v1/jwks");
    const set = await (await app.request(JWKS_PATH)).json();
    assert.equal(set.keys[0].kid, current.signing.kid);
  });
});
