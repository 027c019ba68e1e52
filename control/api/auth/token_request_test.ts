import assert from "node:assert/strict";
import { createTestApp, type TestApp } from "../_test_app.ts";
import { type AdmissionAttributes, AdmissionChain } from "../admission/admission.ts";
import { decodeProtobufBody } from "../codec/protobuf_body.ts";
import { FakeClock } from "../../util/clock.ts";
import { TEST_ISSUER, TEST_NOW_MS, until } from "./_sa_test_support.ts";
import { parseJws, verifyJws } from "./jwt.ts";
import { ServiceAccountTokenAuthenticator } from "./service_account_authenticator.ts";
import { ServiceAccountKeys } from "./service_account_keys.ts";
import {
  EXPIRATION_EXTENSION_SECONDS,
  ServiceAccountTokenIssuer,
} from "./service_account_token.ts";
import { TokenRequestHook, type TokenRequestHookOptions } from "./token_request.ts";

const keys = await ServiceAccountKeys.generate();
const T = TEST_NOW_MS / 1000;

interface TokenApp extends AsyncDisposable {
  readonly t: TestApp;
  readonly clock: FakeClock;
  readonly uids: Record<string, string>;
  readonly admitted: AdmissionAttributes[];
  /** POSTs a TokenRequest for `sa` (in `default` unless `ns`). */
  post(
    sa: string,
    body: unknown,
    options?: { ns?: string; contentType?: string; method?: string },
  ): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }>;
}

async function tokenApp(
  options: Partial<Pick<TokenRequestHookOptions, "maxExpirationSeconds" | "extendExpiration">> = {},
): Promise<TokenApp> {
  const clock = new FakeClock(TEST_NOW_MS);
  const admitted: AdmissionAttributes[] = [];
  const recorder = {
    name: "Recorder",
    admit(a: AdmissionAttributes) {
      admitted.push({ ...a, object: structuredClone(a.object) });
      return Promise.resolve();
    },
    validate(a: AdmissionAttributes) {
      admitted.push({ ...a, object: structuredClone(a.object) });
      return Promise.resolve();
    },
  };
  const t = await createTestApp({
    extensions: (parts) => ({
      subresources: [
        new TokenRequestHook({
          issuer: new ServiceAccountTokenIssuer({ keys }),
          issuerUrl: TEST_ISSUER,
          apiAudiences: [TEST_ISSUER],
          views: parts.views,
          clock,
          admission: new AdmissionChain([recorder]),
          protobuf: decodeProtobufBody,
          ...options,
        }),
      ],
    }),
  });
  const uids: Record<string, string> = {};
  const create = async (path: string, body: Record<string, unknown>) => {
    const res = await t.client.json("POST", path, { body });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const meta = res.body.metadata as { name: string; uid: string };
    uids[meta.name] = meta.uid;
  };
  await create("/api/v1/namespaces/default/serviceaccounts", { metadata: { name: "builder" } });
  await create("/api/v1/namespaces/default/serviceaccounts", { metadata: { name: "other" } });
  await create("/api/v1/nodes", { metadata: { name: "n1" } });
  const pod = (name: string, spec: Record<string, unknown>) =>
    create("/api/v1/namespaces/default/pods", {
      metadata: { name },
      spec: { containers: [{ name: "c", image: "busybox" }], ...spec },
    });
  await pod("web", { serviceAccountName: "builder", nodeName: "n1" });
  await pod("pending", { serviceAccountName: "builder" });
  await pod("far", { serviceAccountName: "builder", nodeName: "ghost" });
  await pod("alien", { serviceAccountName: "other" });
  await create("/api/v1/namespaces/default/secrets", { metadata: { name: "s" } });
  const views = ["serviceaccounts", "pods", "secrets", "nodes"].map((r) =>
    t.views.started(`/registry/${r}/`)
  );
  const [sas, pods, secrets, nodes] = await Promise.all(views);
  await until(() =>
    sas!.size >= 2 && pods!.size >= 4 && secrets!.getByName("default", "s") !== undefined &&
    nodes!.getByName("", "n1") !== undefined
  );
  return {
    t,
    clock,
    uids,
    admitted,
    async post(sa, body, o = {}) {
      const res = await t.client.request(
        o.method ?? "POST",
        `/api/v1/namespaces/${o.ns ?? "default"}/serviceaccounts/${sa}/token`,
        {
          body,
          ...(o.contentType ? { contentType: o.contentType } : {}),
        },
      );
      const text = await res.text();
      return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : {} };
    },
    [Symbol.asyncDispose]: () => t[Symbol.asyncDispose](),
  };
}

const TR = { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest" };

function claimsOf(body: Record<string, unknown>): Record<string, unknown> {
  const token = (body.status as { token: string }).token;
  return parseJws(token).payload as Record<string, unknown>;
}

Deno.test("TokenRequestHook issues a token with upstream's defaults", async () => {
  await using a = await tokenApp();
  const res = await a.post("builder", { ...TR, spec: {} });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const { status, ...rest } = res.body;
  assert.deepEqual(rest, {
    ...TR,
    metadata: { name: "builder", namespace: "default", creationTimestamp: "2023-11-14T22:13:20Z" },
    spec: { audiences: [TEST_ISSUER], expirationSeconds: 3600, boundObjectRef: null },
  });
  const st = status as { token: string; expirationTimestamp: string };
  assert.equal(st.expirationTimestamp, "2023-11-14T23:13:20Z");
  const parsed = parseJws(st.token);
  await verifyJws(parsed, keys.verifying(parsed.header.kid!)!.publicKey);
  const { jti, ...claims } = parsed.payload;
  assert.match(jti as string, /^[0-9a-f-]{36}$/);
  assert.deepEqual(claims, {
    aud: [TEST_ISSUER],
    exp: T + 3600,
    iat: T,
    iss: TEST_ISSUER,
    "kubernetes.io": {
      namespace: "default",
      serviceaccount: { name: "builder", uid: a.uids.builder },
    },
    nbf: T,
    sub: "system:serviceaccount:default:builder",
  });
});

Deno.test("TokenRequestHook's tokens authenticate", async () => {
  await using a = await tokenApp();
  const res = await a.post("builder", {
    ...TR,
    spec: { boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "web" } },
  });
  const auth = new ServiceAccountTokenAuthenticator({
    keys,
    issuer: TEST_ISSUER,
    views: a.t.views,
    clock: a.clock,
  });
  const user = await auth.authenticateToken((res.body.status as { token: string }).token);
  assert.equal(user?.username, "system:serviceaccount:default:builder");
  assert.deepEqual(user?.extra?.["authentication.kubernetes.io/pod-uid"], [a.uids.web]);
  assert.deepEqual(user?.extra?.["authentication.kubernetes.io/node-uid"], [a.uids.n1]);
});

Deno.test("TokenRequestHook extends pod-bound 3607 s tokens to a year with warnafter", async () => {
  await using a = await tokenApp();
  const res = await a.post("builder", {
    ...TR,
    spec: {
      expirationSeconds: 3607,
      boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "web", uid: a.uids.web },
    },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const claims = claimsOf(res.body);
  assert.equal(claims.exp, T + EXPIRATION_EXTENSION_SECONDS);
  assert.deepEqual(claims["kubernetes.io"], {
    namespace: "default",
    node: { name: "n1", uid: a.uids.n1 },
    pod: { name: "web", uid: a.uids.web },
    serviceaccount: { name: "builder", uid: a.uids.builder },
    warnafter: T + 3607,
  });
  // The status tells the requested lifetime, as upstream's.
  assert.equal(
    (res.body.status as Record<string, string>).expirationTimestamp,
    "2023-11-14T23:13:27Z",
  );
  assert.deepEqual((res.body.spec as Record<string, unknown>).boundObjectRef, {
    kind: "Pod",
    apiVersion: "v1",
    name: "web",
    uid: a.uids.web,
  });
});

Deno.test("TokenRequestHook extends nothing else", async (t) => {
  await using a = await tokenApp();
  const web = { kind: "Pod", apiVersion: "v1", name: "web" };
  const cases: [string, Record<string, unknown>][] = [
    ["not pod-bound", { expirationSeconds: 3607 }],
    ["a foreign audience", { expirationSeconds: 3607, audiences: ["vault"], boundObjectRef: web }],
    ["3600 s", { expirationSeconds: 3600, boundObjectRef: web }],
  ];
  for (const [name, spec] of cases) {
    await t.step(name, async () => {
      const res = await a.post("builder", { ...TR, spec });
      const claims = claimsOf(res.body);
      assert.equal(claims.exp, T + (spec.expirationSeconds as number));
      assert.equal((claims["kubernetes.io"] as Record<string, unknown>).warnafter, undefined);
    });
  }
  await t.step("extension switched off", async () => {
    await using b = await tokenApp({ extendExpiration: false });
    const res = await b.post("builder", {
      ...TR,
      spec: { expirationSeconds: 3607, boundObjectRef: web },
    });
    assert.equal(claimsOf(res.body).exp, T + 3607);
  });
});

Deno.test("TokenRequestHook binds to pods, secrets and nodes", async (t) => {
  await using a = await tokenApp();
  const cases: [string, Record<string, unknown>, (u: Record<string, string>) => unknown][] = [
    ["an unscheduled pod: no node", { kind: "Pod", apiVersion: "v1", name: "pending" }, (u) => ({
      pod: { name: "pending", uid: u.pending },
    })],
    ["a pod on a missing node: the node's name", { kind: "Pod", name: "far" }, (u) => ({
      node: { name: "ghost" },
      pod: { name: "far", uid: u.far },
    })],
    ["a secret", { kind: "Secret", apiVersion: "v1", name: "s" }, (u) => ({
      secret: { name: "s", uid: u.s },
    })],
    ["a node", { kind: "Node", apiVersion: "v1", name: "n1" }, (u) => ({
      node: { name: "n1", uid: u.n1 },
    })],
  ];
  for (const [name, ref, want] of cases) {
    await t.step(name, async () => {
      const res = await a.post("builder", { ...TR, spec: { boundObjectRef: ref } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      const { namespace: _n, serviceaccount: _s, ...bound } = claimsOf(res.body)[
        "kubernetes.io"
      ] as Record<string, unknown>;
      assert.deepEqual(bound, want(a.uids));
    });
  }
});

Deno.test("TokenRequestHook answers upstream's errors", async (t) => {
  await using a = await tokenApp();
  const cases: {
    name: string;
    sa?: string;
    body: Record<string, unknown>;
    code: number;
    reason: string;
    message: string;
  }[] = [
    {
      name: "expiration under 10 minutes",
      body: { ...TR, spec: { expirationSeconds: 599 } },
      code: 422,
      reason: "Invalid",
      message:
        'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes',
    },
    {
      name: "expiration zero",
      body: { ...TR, spec: { expirationSeconds: 0 } },
      code: 422,
      reason: "Invalid",
      message:
        'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 0: may not specify a duration less than 10 minutes',
    },
    {
      name: "expiration over 2^32 seconds",
      body: { ...TR, spec: { expirationSeconds: 2 ** 32 + 1 } },
      code: 422,
      reason: "Invalid",
      message:
        'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 4294967297: may not specify a duration larger than 2^32 seconds',
    },
    {
      name: "another name in the body",
      body: { ...TR, metadata: { name: "other" }, spec: {} },
      code: 422,
      reason: "Invalid",
      message:
        'TokenRequest.authentication.k8s.io "builder" is invalid: metadata.name: Invalid value: "other": must match the service account name if specified',
    },
    {
      name: "another namespace in the body",
      body: { ...TR, metadata: { namespace: "kube-system" }, spec: {} },
      code: 422,
      reason: "Invalid",
      message:
        'TokenRequest.authentication.k8s.io "builder" is invalid: metadata.namespace: Invalid value: "kube-system": must match the service account namespace if specified',
    },
    {
      name: "no such ServiceAccount",
      sa: "ghost",
      body: { ...TR, spec: {} },
      code: 404,
      reason: "NotFound",
      message: 'serviceaccounts "ghost" not found',
    },
    {
      name: "a kind that cannot be bound",
      body: { ...TR, spec: { boundObjectRef: { kind: "ConfigMap", apiVersion: "v1", name: "x" } } },
      code: 400,
      reason: "BadRequest",
      message: "cannot bind token to object of type /v1, Kind=ConfigMap",
    },
    {
      name: "a kind of another group",
      body: {
        ...TR,
        spec: { boundObjectRef: { kind: "Deployment", apiVersion: "apps/v1", name: "x" } },
      },
      code: 400,
      reason: "BadRequest",
      message: "cannot bind token to object of type apps/v1, Kind=Deployment",
    },
    {
      name: "a Pod of another group",
      body: {
        ...TR,
        spec: { boundObjectRef: { kind: "Pod", apiVersion: "x.io/v1", name: "web" } },
      },
      code: 400,
      reason: "BadRequest",
      message: "cannot bind token to object of type x.io/v1, Kind=Pod",
    },
    {
      name: "a missing pod",
      body: { ...TR, spec: { boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "nope" } } },
      code: 404,
      reason: "NotFound",
      message: 'pods "nope" not found',
    },
    {
      name: "a pod without a name",
      body: { ...TR, spec: { boundObjectRef: { kind: "Pod", apiVersion: "v1" } } },
      code: 400,
      reason: "BadRequest",
      message: "Name parameter required.",
    },
    {
      name: "a pod of another ServiceAccount",
      body: { ...TR, spec: { boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "alien" } } },
      code: 400,
      reason: "BadRequest",
      message:
        'cannot bind token for serviceaccount "builder" to pod running with different serviceaccount name.',
    },
    {
      name: "a pod with another uid",
      body: {
        ...TR,
        spec: { boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "web", uid: "old" } },
      },
      code: 409,
      reason: "Conflict",
      message:
        'Operation cannot be fulfilled on Pod "web": the UID in the bound object reference (old) does not match the UID in record. The object might have been deleted and then recreated',
    },
    {
      name: "a missing secret",
      body: { ...TR, spec: { boundObjectRef: { kind: "Secret", apiVersion: "v1", name: "nope" } } },
      code: 404,
      reason: "NotFound",
      message: 'secrets "nope" not found',
    },
    {
      name: "a secret with another uid",
      body: {
        ...TR,
        spec: { boundObjectRef: { kind: "Secret", apiVersion: "v1", name: "s", uid: "old" } },
      },
      code: 409,
      reason: "Conflict",
      message:
        'Operation cannot be fulfilled on Secret "s": the UID in the bound object reference (old) does not match the UID in record. The object might have been deleted and then recreated',
    },
    {
      name: "a missing node",
      body: { ...TR, spec: { boundObjectRef: { kind: "Node", apiVersion: "v1", name: "nope" } } },
      code: 404,
      reason: "NotFound",
      message: 'nodes "nope" not found',
    },
    {
      name: "another kind of body",
      body: { apiVersion: "v1", kind: "Pod" },
      code: 400,
      reason: "BadRequest",
      message:
        "the API version in the data (v1) does not match the expected API version (authentication.k8s.io/v1)",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const res = await a.post(c.sa ?? "builder", c.body);
      assert.equal(res.status, c.code, JSON.stringify(res.body));
      assert.equal(res.body.reason, c.reason);
      assert.equal(res.body.message, c.message);
    });
  }
});

Deno.test("TokenRequestHook shortens to the maximum expiration with a warning", async () => {
  await using a = await tokenApp({ maxExpirationSeconds: 7200 });
  const res = await a.post("builder", { ...TR, spec: { expirationSeconds: 86400 } });
  assert.equal(res.status, 201);
  assert.equal((res.body.spec as Record<string, unknown>).expirationSeconds, 7200);
  assert.equal(claimsOf(res.body).exp, T + 7200);
  assert.equal(
    res.headers.get("warning"),
    '299 - "requested expiration of 86400 seconds shortened to 7200 seconds"',
  );
});

Deno.test("TokenRequestHook runs admission on the request, validation after defaulting", async () => {
  await using a = await tokenApp();
  const ref = { kind: "Pod", apiVersion: "v1", name: "web", uid: "" };
  const res = await a.post("builder", {
    ...TR,
    spec: { boundObjectRef: { ...ref, uid: a.uids.web } },
  });
  assert.equal(res.status, 201);
  assert.equal(a.admitted.length, 2);
  const [admit, validate] = a.admitted as [AdmissionAttributes, AdmissionAttributes];
  for (const at of [admit, validate]) {
    assert.equal(at.operation, "CREATE");
    assert.equal(at.subresource, "token");
    assert.equal(at.name, "builder");
    assert.equal(at.namespace, "default");
    assert.equal(at.def.resource, "serviceaccounts");
    assert.equal(at.object?.kind, "TokenRequest");
  }
  assert.equal((admit.object?.spec as Record<string, unknown>).audiences, undefined);
  assert.deepEqual((validate.object?.spec as Record<string, unknown>).audiences, [TEST_ISSUER]);
});

Deno.test("TokenRequestHook decodes protobuf bodies, as kubectl 1.32+ sends them", async () => {
  await using a = await tokenApp();
  const utf8 = (s: string) => [...new TextEncoder().encode(s)];
  const ld = (field: number, bytes: number[]) => [(field << 3) | 2, bytes.length, ...bytes];
  // TokenRequest{spec: {audiences: ["vault"], expirationSeconds: 900}}
  const spec = [...ld(1, utf8("vault")), 4 << 3, ...[0x84, 0x07]];
  const raw = [...ld(1, []), ...ld(2, spec)];
  const typeMeta = [...ld(1, utf8("authentication.k8s.io/v1")), ...ld(2, utf8("TokenRequest"))];
  const body = new Uint8Array([0x6b, 0x38, 0x73, 0x00, ...ld(1, typeMeta), ...ld(2, raw)]);
  // Raw bytes, so straight to the app as the in-process client would send them.
  const res = await a.t.app.fetch(
    new Request("https://in-process/api/v1/namespaces/default/serviceaccounts/builder/token", {
      method: "POST",
      headers: {
        "content-type": "application/vnd.kubernetes.protobuf",
        accept: "application/vnd.kubernetes.protobuf, application/json",
      },
      body,
    }),
    { connection: { internalUser: { username: "admin", groups: ["system:masters"] } } },
  );
  const json = await res.json();
  assert.equal(res.status, 201, JSON.stringify(json));
  assert.deepEqual(json.spec.audiences, ["vault"]);
  assert.equal(json.spec.expirationSeconds, 900);
  assert.deepEqual(claimsOf(json).aud, ["vault"]);
});

Deno.test("TokenRequestHook refuses methods other than POST", async () => {
  await using a = await tokenApp();
  const res = await a.post("builder", undefined, { method: "GET" });
  assert.equal(res.status, 405);
  assert.equal(res.body.reason, "MethodNotAllowed");
});
