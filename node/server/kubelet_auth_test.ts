import assert from "node:assert/strict";
import { FakeClock } from "../../control/util/clock.ts";
import { pemToDer } from "../../control/util/x509/certificates.ts";
import { FakeReviews, makeTestCa } from "./_test_support.ts";
import {
  apiVerbOf,
  clusterCaVerifier,
  KubeletAuth,
  nodeRequestAttributes,
} from "./kubelet_auth.ts";

Deno.test("nodeRequestAttributes() maps paths to the node's subresources as the kubelet", async (t) => {
  const cases: [string, string, string[]][] = [
    ["GET", "/containerLogs/default/p/c", ["proxy"]],
    ["POST", "/exec/default/p/c", ["proxy"]],
    ["GET", "/exec/default/p/uid/c", ["proxy"]],
    ["POST", "/attach/default/p/c", ["proxy"]],
    ["POST", "/portForward/default/p", ["proxy"]],
    ["POST", "/run/default/p/c", ["proxy"]],
    ["GET", "/pods", ["pods", "proxy"]],
    ["GET", "/pods/", ["pods", "proxy"]],
    ["GET", "/healthz", ["healthz", "proxy"]],
    ["GET", "/healthz/syncloop", ["healthz", "proxy"]],
    ["GET", "/configz", ["configz", "proxy"]],
    ["GET", "/runningpods/", ["pods", "proxy"]],
    ["GET", "/stats/summary", ["stats"]],
    ["GET", "/stats", ["stats"]],
    ["GET", "/metrics", ["metrics"]],
    ["GET", "/metrics/cadvisor", ["metrics"]],
    ["GET", "/logs/", ["log"]],
    ["GET", "/logs/syslog", ["log"]],
    ["POST", "/checkpoint/default/p/c", ["checkpoint"]],
    ["GET", "/podsx", ["proxy"]],
    ["GET", "/statsx", ["proxy"]],
  ];
  for (const [method, path, subresources] of cases) {
    await t.step(`${method} ${path}`, () => {
      const attrs = nodeRequestAttributes({ method, path, nodeName: "edge-1" });
      assert.deepEqual(attrs.map((a) => a.subresource), subresources);
      for (const a of attrs) {
        assert.equal(a.resource, "nodes");
        assert.equal(a.name, "edge-1");
        assert.equal(a.apiVersion, "v1");
        assert.equal(a.verb, apiVerbOf(method));
        assert.equal(a.path, path);
      }
    });
  }
});

Deno.test("apiVerbOf() turns HTTP methods into API verbs", () => {
  assert.deepEqual(
    ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"].map(apiVerbOf),
    ["get", "create", "update", "patch", "delete", ""],
  );
});

function setup() {
  const reviews = new FakeReviews();
  const clock = new FakeClock(1_000_000);
  const auth = new KubeletAuth({
    nodeName: "edge-1",
    reviews,
    clock,
    verifyClientCertificate: (der) =>
      Promise.resolve(
        der[0] === 1
          ? {
            ok: true,
            commonName: "kube-apiserver-kubelet-client",
            organizations: ["system:masters"],
          }
          : { ok: false, reason: "certificate signed by unknown authority" },
      ),
  });
  return { reviews, clock, auth };
}

Deno.test("KubeletAuth.check() refuses anonymous requests and bad credentials with 401", async (t) => {
  const { auth, reviews } = setup();
  const cases: [string, { peerCertificate?: Uint8Array; authorization?: string }][] = [
    ["no credentials", {}],
    ["an unknown token", { authorization: "Bearer nope" }],
    ["a basic header", { authorization: "Basic YTpi" }],
    ["a certificate of another CA", { peerCertificate: new Uint8Array([2]) }],
  ];
  for (const [name, credentials] of cases) {
    await t.step(name, async () => {
      const res = await auth.check({ method: "GET", path: "/pods" }, credentials);
      assert.deepEqual(res, { failure: { status: 401, message: "Unauthorized" } });
    });
  }
  assert.deepEqual(reviews.accessCalls, []);
});

Deno.test("KubeletAuth.check() admits a client certificate's user by its groups", async () => {
  const { auth, reviews } = setup();
  const res = await auth.check({ method: "POST", path: "/exec/default/p/c" }, {
    peerCertificate: new Uint8Array([1]),
  });
  assert.deepEqual(res, {
    user: {
      username: "kube-apiserver-kubelet-client",
      groups: ["system:masters", "system:authenticated"],
    },
  });
  assert.deepEqual(reviews.accessCalls, ["kube-apiserver-kubelet-client create proxy edge-1"]);
});

Deno.test("KubeletAuth.check() reviews bearer tokens and caches the answer", async () => {
  const { auth, reviews, clock } = setup();
  reviews.tokens.set("t1", { username: "alice", groups: ["devs", "system:authenticated"] });
  reviews.allowed.add("alice get proxy");
  const req = { method: "GET", path: "/containerLogs/default/p/c" };
  const first = await auth.check(req, { authorization: "Bearer t1" });
  assert.ok("user" in first && first.user.username === "alice");
  await auth.check(req, { authorization: "Bearer t1" });
  assert.deepEqual(reviews.tokenCalls, ["t1"]);
  assert.equal(reviews.accessCalls.length, 1);
  clock.advance(121_000);
  await auth.check(req, { authorization: "Bearer t1" });
  assert.deepEqual(reviews.tokenCalls, ["t1", "t1"]);
  // The allowed decision lives 5 minutes.
  assert.equal(reviews.accessCalls.length, 1);
  clock.advance(300_000);
  await auth.check(req, { authorization: "Bearer t1" });
  assert.equal(reviews.accessCalls.length, 2);
});

Deno.test("KubeletAuth.check() refuses with 403 naming every subresource tried", async () => {
  const { auth, reviews, clock } = setup();
  reviews.tokens.set("t2", { username: "bob", groups: ["system:authenticated"] });
  const res = await auth.check({ method: "GET", path: "/pods" }, { authorization: "Bearer t2" });
  assert.deepEqual(res, {
    failure: {
      status: 403,
      message: "Forbidden (user=bob, verb=get, resource=nodes, subresource(s)=[pods proxy])",
    },
  });
  assert.deepEqual(reviews.accessCalls, ["bob get pods edge-1", "bob get proxy edge-1"]);
  // Denials are remembered 30 s; then asked again (and now allowed by nodes/proxy).
  reviews.allowed.add("bob get proxy");
  const cached = await auth.check({ method: "GET", path: "/pods" }, { authorization: "Bearer t2" });
  assert.ok("failure" in cached);
  clock.advance(30_001);
  const later = await auth.check({ method: "GET", path: "/pods" }, { authorization: "Bearer t2" });
  assert.ok("user" in later);
});

Deno.test("KubeletAuth.check() answers 500 when the review cannot be made", async () => {
  const { auth, reviews } = setup();
  reviews.tokens.set("t3", { username: "carol", groups: [] });
  reviews.failAccess = true;
  const res = await auth.check({ method: "POST", path: "/attach/ns/p/c" }, {
    authorization: "Bearer t3",
  });
  assert.deepEqual(res, {
    failure: {
      status: 500,
      message: "Authorization error (user=carol, verb=create, resource=nodes, subresource=proxy)",
    },
  });
});

Deno.test("clusterCaVerifier() accepts client certificates the cluster CA signed, only", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kubelet-auth-" });
  try {
    const ca = await makeTestCa(dir);
    const other = await makeTestCa(dir, "other-ca");
    const verify = clusterCaVerifier(ca.certPem);
    const der = (pem: string) => pemToDer(pem, "CERTIFICATE");
    const good = await ca.client("kube-apiserver-kubelet-client", ["system:masters"]);
    const foreignCert = await other.client("mallory");
    const servingCert = await ca.serving();
    // After every certificate's notBefore (openssl starts them at the current second).
    const now = new Date();
    assert.deepEqual(await verify(der(good.certPem), now), {
      ok: true,
      commonName: "kube-apiserver-kubelet-client",
      organizations: ["system:masters"],
    });
    const foreign = await verify(der(foreignCert.certPem), now);
    assert.equal(foreign.ok, false);
    assert.deepEqual(await verify(der(servingCert.certPem), now), {
      ok: false,
      reason: "certificate specifies an incompatible key usage",
    });
    const later = await verify(der(good.certPem), new Date(now.getTime() + 3 * 86_400_000));
    assert.deepEqual(later, {
      ok: false,
      reason: "certificate has expired or is not yet valid",
    });
    assert.throws(() => clusterCaVerifier("no pem"), SyntaxError);
    const broken = clusterCaVerifier(
      "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    );
    const refused = await broken(der(good.certPem), now);
    assert.equal(refused.ok, false);
    assert.match(refused.ok ? "" : refused.reason, /^unusable client CA bundle: /);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
