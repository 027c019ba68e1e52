import assert from "node:assert/strict";
import { parseJws, verifyJws } from "./jwt.ts";
import { ServiceAccountKeys } from "./service_account_keys.ts";
import {
  defaultIssuer,
  EXPIRATION_EXTENSION_SECONDS,
  parseServiceAccountClaims,
  serviceAccountClaims,
  ServiceAccountTokenIssuer,
  tokenLifetime,
} from "./service_account_token.ts";

const ISSUER = "https://kubernetes.default.svc.cluster.local";
const NOW = 1_700_000_000_500; // the half second is dropped
const T = 1_700_000_000;
const SA = { namespace: "default", name: "builder", uid: "sa-uid" };

Deno.test("defaultIssuer() follows the cluster domain", () => {
  assert.equal(defaultIssuer(), ISSUER);
  assert.equal(defaultIssuer("edge.local"), "https://kubernetes.default.svc.edge.local");
});

Deno.test("serviceAccountClaims() writes upstream's claims in Go's key order", async (t) => {
  const base = { issuer: ISSUER, audiences: [ISSUER], serviceAccount: SA, nowMs: NOW, jti: "j" };
  const cases: {
    name: string;
    options: Parameters<typeof serviceAccountClaims>[0];
    json: string;
  }[] = [
    {
      name: "plain",
      options: { ...base, expirationSeconds: 3600 },
      json: `{"aud":["${ISSUER}"],"exp":${T + 3600},"iat":${T},"iss":"${ISSUER}","jti":"j",` +
        `"kubernetes.io":{"namespace":"default","serviceaccount":{"name":"builder","uid":"sa-uid"}},` +
        `"nbf":${T},"sub":"system:serviceaccount:default:builder"}`,
    },
    {
      name: "pod with its node, extended",
      options: {
        ...base,
        pod: { name: "web", uid: "pod-uid" },
        node: { name: "edge-1", uid: "node-uid" },
        expirationSeconds: EXPIRATION_EXTENSION_SECONDS,
        warnAfterSeconds: 3607,
      },
      json: `{"aud":["${ISSUER}"],"exp":${T + EXPIRATION_EXTENSION_SECONDS},"iat":${T},` +
        `"iss":"${ISSUER}","jti":"j","kubernetes.io":{"namespace":"default",` +
        `"node":{"name":"edge-1","uid":"node-uid"},"pod":{"name":"web","uid":"pod-uid"},` +
        `"serviceaccount":{"name":"builder","uid":"sa-uid"},"warnafter":${T + 3607}},` +
        `"nbf":${T},"sub":"system:serviceaccount:default:builder"}`,
    },
    {
      name: "pod on a node whose object is missing: name only",
      options: {
        ...base,
        pod: { name: "web", uid: "pod-uid" },
        node: { name: "edge-1" },
        expirationSeconds: 600,
      },
      json: `{"aud":["${ISSUER}"],"exp":${T + 600},"iat":${T},"iss":"${ISSUER}","jti":"j",` +
        `"kubernetes.io":{"namespace":"default","node":{"name":"edge-1"},` +
        `"pod":{"name":"web","uid":"pod-uid"},"serviceaccount":{"name":"builder","uid":"sa-uid"}},` +
        `"nbf":${T},"sub":"system:serviceaccount:default:builder"}`,
    },
    {
      name: "secret",
      options: { ...base, secret: { name: "s", uid: "s-uid" }, expirationSeconds: 600 },
      json: `{"aud":["${ISSUER}"],"exp":${T + 600},"iat":${T},"iss":"${ISSUER}","jti":"j",` +
        `"kubernetes.io":{"namespace":"default","secret":{"name":"s","uid":"s-uid"},` +
        `"serviceaccount":{"name":"builder","uid":"sa-uid"}},` +
        `"nbf":${T},"sub":"system:serviceaccount:default:builder"}`,
    },
    {
      name: "two audiences",
      options: { ...base, audiences: ["a", "b"], expirationSeconds: 600 },
      json: `{"aud":["a","b"],"exp":${T + 600},"iat":${T},"iss":"${ISSUER}","jti":"j",` +
        `"kubernetes.io":{"namespace":"default","serviceaccount":{"name":"builder","uid":"sa-uid"}},` +
        `"nbf":${T},"sub":"system:serviceaccount:default:builder"}`,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.equal(JSON.stringify(serviceAccountClaims(c.options)), c.json);
    });
  }
});

Deno.test("serviceAccountClaims() makes a random jti and refuses a secret with a pod", () => {
  const opts = { issuer: ISSUER, audiences: [], serviceAccount: SA, nowMs: NOW };
  const a = serviceAccountClaims({ ...opts, expirationSeconds: 600 });
  const b = serviceAccountClaims({ ...opts, expirationSeconds: 600 });
  assert.match(a.jti!, /^[0-9a-f-]{36}$/);
  assert.notEqual(a.jti, b.jti);
  assert.throws(
    () =>
      serviceAccountClaims({
        ...opts,
        expirationSeconds: 600,
        secret: { name: "s", uid: "1" },
        pod: { name: "p", uid: "2" },
      }),
    TypeError,
  );
});

Deno.test("parseServiceAccountClaims() reads what serviceAccountClaims() writes", () => {
  const claims = serviceAccountClaims({
    issuer: ISSUER,
    audiences: [ISSUER],
    serviceAccount: SA,
    pod: { name: "web", uid: "p" },
    node: { name: "n" },
    expirationSeconds: 3600,
    warnAfterSeconds: 10,
    nowMs: NOW,
    jti: "j",
  });
  assert.deepEqual(parseServiceAccountClaims(JSON.parse(JSON.stringify(claims))), claims);
});

Deno.test("parseServiceAccountClaims() accepts a single audience string and fractional dates", () => {
  const c = parseServiceAccountClaims({
    iss: ISSUER,
    aud: "x",
    exp: 10.9,
    "kubernetes.io": { namespace: "ns", serviceaccount: { name: "sa", uid: "u" } },
  });
  assert.deepEqual(c.aud, ["x"]);
  assert.equal(c.exp, 10);
  assert.equal(c.iat, 0);
  assert.equal(c.nbf, 0);
});

Deno.test("parseServiceAccountClaims() refuses claims of the wrong types", async (t) => {
  const good = {
    iss: ISSUER,
    aud: [ISSUER],
    exp: 10,
    "kubernetes.io": { namespace: "ns", serviceaccount: { name: "sa", uid: "u" } },
  };
  const k8s = good["kubernetes.io"];
  const cases: [string, Record<string, unknown>][] = [
    ["iss missing", { ...good, iss: undefined }],
    ["iss a number", { ...good, iss: 1 }],
    ["aud a number", { ...good, aud: 1 }],
    ["aud with a number", { ...good, aud: ["a", 1] }],
    ["exp missing", { ...good, exp: undefined }],
    ["exp a string", { ...good, exp: "10" }],
    ["exp infinite", { ...good, exp: Infinity }],
    ["nbf a string", { ...good, nbf: "1" }],
    ["jti a number", { ...good, jti: 3 }],
    ["kubernetes.io missing", { ...good, "kubernetes.io": undefined }],
    ["kubernetes.io a list", { ...good, "kubernetes.io": [] }],
    ["namespace missing", { ...good, "kubernetes.io": { ...k8s, namespace: undefined } }],
    ["namespace empty", { ...good, "kubernetes.io": { ...k8s, namespace: "" } }],
    ["serviceaccount missing", { ...good, "kubernetes.io": { namespace: "ns" } }],
    ["serviceaccount uid missing", {
      ...good,
      "kubernetes.io": { namespace: "ns", serviceaccount: { name: "sa" } },
    }],
    ["pod a string", { ...good, "kubernetes.io": { ...k8s, pod: "p" } }],
    ["pod uid a number", { ...good, "kubernetes.io": { ...k8s, pod: { name: "p", uid: 1 } } }],
    ["warnafter a string", { ...good, "kubernetes.io": { ...k8s, warnafter: "x" } }],
  ];
  for (const [name, payload] of cases) {
    await t.step(name, () => {
      const p = JSON.parse(JSON.stringify(payload));
      assert.throws(() => parseServiceAccountClaims(p), TypeError);
    });
  }
});

Deno.test("tokenLifetime() extends only pod-bound 3607 s tokens for the API's audiences", async (t) => {
  const api = [ISSUER];
  const base = {
    expirationSeconds: 3607,
    podBound: true,
    audiences: api,
    apiAudiences: api,
  };
  const cases: [string, Parameters<typeof tokenLifetime>[0], number, number][] = [
    ["pod-bound 3607 s", base, EXPIRATION_EXTENSION_SECONDS, 3607],
    ["not pod-bound", { ...base, podBound: false }, 3607, 0],
    ["3600 s", { ...base, expirationSeconds: 3600 }, 3600, 0],
    ["a foreign audience", { ...base, audiences: [ISSUER, "vault"] }, 3607, 0],
    ["extension off", { ...base, extend: false }, 3607, 0],
    ["a shorter extension", { ...base, extendedExpirationSeconds: 86400 }, 86400, 3607],
  ];
  for (const [name, options, exp, warn] of cases) {
    await t.step(name, () => {
      assert.deepEqual(tokenLifetime(options), {
        expirationSeconds: exp,
        warnAfterSeconds: warn,
      });
    });
  }
});

Deno.test("ServiceAccountTokenIssuer.sign() signs with the current signing key and its kid", async () => {
  let keys = await ServiceAccountKeys.generate();
  const issuer = new ServiceAccountTokenIssuer({ keys: () => keys });
  const claims = serviceAccountClaims({
    issuer: ISSUER,
    audiences: [ISSUER],
    serviceAccount: SA,
    expirationSeconds: 600,
    nowMs: NOW,
  });
  for (let i = 0; i < 2; i++) {
    const parsed = parseJws(await issuer.sign(claims));
    assert.deepEqual(parsed.header, { alg: "ES256", kid: keys.signing.kid });
    assert.deepEqual(parsed.payload, JSON.parse(JSON.stringify(claims)));
    await verifyJws(parsed, keys.verifying(keys.signing.kid)!.publicKey);
    keys = await ServiceAccountKeys.generate();
  }
});
