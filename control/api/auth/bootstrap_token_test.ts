import assert from "node:assert/strict";
import { FakeClock, MAX_TIMER_DELAY_MS } from "../../util/clock.ts";
import { createTestApp } from "../_test_app.ts";
import { InProcessClient } from "../in_process_client.ts";
import { ObjectView } from "../store/object_view.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import { encodeSecretData, secretDataString } from "./_token_secret_data.ts";
import { SECRETS_PREFIX, secretsFixture, until } from "./_token_test_support.ts";
import { AuthenticationError } from "./authenticator.ts";
import {
  type ApiRequester,
  BootstrapTokenAuthenticator,
  BootstrapTokenCleaner,
  bootstrapTokenInfo,
  bootstrapTokenSecret,
  caCertHash,
  formatJoinToken,
  formatRfc3339,
  generateBootstrapToken,
  isBootstrapTokenId,
  joinTokenTrustsCa,
  parseBootstrapToken,
  parseJoinToken,
  parseRfc3339,
  validateBootstrapGroupName,
  validateTokenUsages,
} from "./bootstrap_token.ts";

const T0 = Date.UTC(2025, 0, 1);
const ID = "abcdef";
const SECRET = "0123456789abcdef";
const TOKEN = `${ID}.${SECRET}`;

function tokenSecret(
  data: Record<string, string>,
  options: { name?: string; type?: string; metadata?: Record<string, unknown> } = {},
): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: options.name ?? `bootstrap-token-${ID}`,
      namespace: "kube-system",
      ...options.metadata,
    },
    type: options.type ?? "bootstrap.kubernetes.io/token",
    data: encodeSecretData(data),
  };
}

const GOOD = {
  "token-id": ID,
  "token-secret": SECRET,
  "usage-bootstrap-authentication": "true",
  "usage-bootstrap-signing": "true",
};

Deno.test("parseBootstrapToken() accepts only [a-z0-9]{6}.[a-z0-9]{16}", async (t) => {
  const cases: [string, boolean][] = [
    [TOKEN, true],
    ["ABCDEF.0123456789abcdef", false],
    ["abcde.0123456789abcdef", false],
    ["abcdef.0123456789abcde", false],
    ["abcdef.0123456789abcdefg", false],
    ["abcdef0123456789abcdef", false],
    [`${TOKEN}\n`, false],
    [` ${TOKEN}`, false],
    ["abcdéf.0123456789abcdef", false],
    ["", false],
  ];
  for (const [token, ok] of cases) {
    await t.step(JSON.stringify(token), () => {
      const parsed = parseBootstrapToken(token);
      assert.deepEqual(parsed, ok ? { id: ID, secret: SECRET } : null);
    });
  }
  assert.equal(isBootstrapTokenId(ID), true);
  assert.equal(isBootstrapTokenId("abc"), false);
});

Deno.test("generateBootstrapToken() draws distinct tokens from upstream's alphabet", () => {
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const t = generateBootstrapToken();
    assert.match(t.token, /^[a-z0-9]{6}\.[a-z0-9]{16}$/);
    assert.equal(t.token, `${t.id}.${t.secret}`);
    seen.add(t.token);
  }
  assert.equal(seen.size, 200);
});

Deno.test("bootstrapTokenSecret() builds the Secret kubeadm writes", () => {
  const s = bootstrapTokenSecret({
    id: ID,
    secret: SECRET,
    expirationMs: T0 + 1234,
    description: "for edge-1",
    groups: ["system:bootstrappers:a", "system:bootstrappers:b"],
  });
  assert.equal(s.metadata?.name, "bootstrap-token-abcdef");
  assert.equal(s.metadata?.namespace, "kube-system");
  assert.equal(s.type, "bootstrap.kubernetes.io/token");
  const decoded = Object.fromEntries(
    Object.keys(s.data ?? {}).map((k) => [k, secretDataString(s as KubeObject, k)]),
  );
  assert.deepEqual(decoded, {
    "token-id": ID,
    "token-secret": SECRET,
    description: "for edge-1",
    expiration: "2025-01-01T00:00:01Z",
    "usage-bootstrap-signing": "true",
    "usage-bootstrap-authentication": "true",
    "auth-extra-groups": "system:bootstrappers:a,system:bootstrappers:b",
  });
  const info = bootstrapTokenInfo(s as KubeObject);
  assert.deepEqual(info.usages, ["authentication", "signing"]);
  assert.equal(info.groups, "system:bootstrappers:a,system:bootstrappers:b");
});

Deno.test("bootstrapTokenSecret() throws TypeError for bad tokens, usages and groups", async (t) => {
  const cases = [
    { name: "bad id", o: { id: "ABCDEF", secret: SECRET }, re: /does not match/ },
    {
      name: "unknown usage",
      o: { id: ID, secret: SECRET, usages: ["signing", "bogus"] },
      re:
        /invalid bootstrap token usage string: bogus, valid usage options: signing,authentication/,
    },
    {
      name: "bad group",
      o: { id: ID, secret: SECRET, groups: ["system:masters"] },
      re: /bootstrap group "system:masters" is invalid/,
    },
  ];
  for (const c of cases) {
    await t.step(
      c.name,
      () => assert.throws(() => bootstrapTokenSecret(c.o), { name: "TypeError", message: c.re }),
    );
  }
});

Deno.test("validateBootstrapGroupName() and validateTokenUsages() follow upstream", () => {
  assert.equal(validateBootstrapGroupName("system:bootstrappers:kubeadm:default-node-token"), null);
  assert.equal(
    validateBootstrapGroupName("system:bootstrappers:"),
    String
      .raw`bootstrap group "system:bootstrappers:" is invalid (must match \Asystem:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]\z)`,
  );
  assert.notEqual(validateBootstrapGroupName(`system:bootstrappers:${"a".repeat(257)}`), null);
  assert.equal(validateTokenUsages(["signing", "authentication"]), null);
  assert.equal(
    validateTokenUsages(["x", "b", "x"]),
    "invalid bootstrap token usage string: b,x, valid usage options: signing,authentication",
  );
});

Deno.test("parseRfc3339() reads RFC3339 times as Go does", async (t) => {
  const cases: [string, number | null][] = [
    ["2025-01-01T00:00:00Z", T0],
    ["2025-01-01T01:30:00+01:30", T0],
    ["2024-12-31T19:00:00-05:00", T0],
    ["2025-01-01T00:00:00.250Z", T0 + 250],
    ["2024-02-29T00:00:00Z", Date.UTC(2024, 1, 29)],
    ["2025-02-29T00:00:00Z", null],
    ["2025-13-01T00:00:00Z", null],
    ["2025-01-01T24:00:00Z", null],
    ["2025-01-01 00:00:00Z", null],
    ["2025-01-01T00:00:00", null],
    ["tomorrow", null],
    ["", null],
  ];
  for (const [text, ms] of cases) {
    await t.step(text || "(empty)", () => assert.equal(parseRfc3339(text), ms));
  }
  assert.equal(formatRfc3339(T0 + 999), "2025-01-01T00:00:00Z");
});

Deno.test("formatJoinToken() and parseJoinToken() handle k3s's K10 format", async (t) => {
  const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  const hash = caCertHash(pem);
  assert.match(hash, /^[0-9a-f]{64}$/);
  const join = formatJoinToken(pem, TOKEN);
  assert.equal(join, `K10${hash}::${TOKEN}`);
  const parsed = parseJoinToken(join);
  assert.deepEqual(parsed, { caHash: hash, token: TOKEN, id: ID, secret: SECRET });
  assert.equal(joinTokenTrustsCa(parsed, pem), true);
  assert.equal(joinTokenTrustsCa(parsed, pem + "x"), false);
  assert.equal(parseJoinToken(`K10${hash.toUpperCase()}::${TOKEN}`).caHash, hash);
  const bare = parseJoinToken(` ${TOKEN}\n`);
  assert.equal(bare.caHash, null);
  assert.equal(joinTokenTrustsCa(bare, "anything"), true);
  assert.equal(parseJoinToken(`K10::${TOKEN}`).caHash, null);
  const bad: [string, RegExp][] = [
    [`K10abc::${TOKEN}`, /invalid token CA hash length/],
    [`K10${hash}${TOKEN}`, /expected "K10<ca-hash>::<token>"/],
    [`K10${hash}::user:password`, /does not match/],
    ["", /does not match/],
  ];
  for (const [text, re] of bad) {
    await t.step(`refuses ${JSON.stringify(text.slice(0, 20))}`, () => {
      assert.throws(() => parseJoinToken(text), (err: Error) => {
        assert.equal(err.name, "SyntaxError");
        assert.match(err.message, re);
        assert.ok(!err.message.includes(SECRET), "the message must not show the secret");
        return true;
      });
    });
  }
});

Deno.test("BootstrapTokenAuthenticator accepts a valid token as system:bootstrap:<id>", async () => {
  await using f = await secretsFixture();
  const clock = new FakeClock(T0);
  const auth = new BootstrapTokenAuthenticator({ secrets: f.secrets, clock });
  await f.put(tokenSecret({
    ...GOOD,
    expiration: "2025-01-02T00:00:00Z",
    "auth-extra-groups": "system:bootstrappers:z,system:bootstrappers:a,system:bootstrappers:z",
  }));
  assert.deepEqual(await auth.authenticateToken(TOKEN), {
    username: "system:bootstrap:abcdef",
    groups: [
      "system:bootstrappers",
      "system:bootstrappers:a",
      "system:bootstrappers:z",
      "system:authenticated",
    ],
  });
  // Other formats are for other authenticators.
  assert.equal(await auth.authenticateToken("eyJhbGciOiJSUzI1NiJ9.e30.sig"), null);
  assert.equal(await auth.authenticateToken(`skiff-node:a:${"x".repeat(43)}`), null);
});

Deno.test("BootstrapTokenAuthenticator refuses tokens upstream refuses", async (t) => {
  const cases: { name: string; secret?: KubeObject; token?: string; reason: RegExp }[] = [
    { name: "no Secret", reason: /does not exist/ },
    {
      name: "wrong secret",
      secret: tokenSecret(GOOD),
      token: `${ID}.${"f".repeat(16)}`,
      reason: /token-secret/,
    },
    { name: "wrong type", secret: tokenSecret(GOOD, { type: "Opaque" }), reason: /invalid type/ },
    {
      name: "no data",
      secret: { ...tokenSecret(GOOD), data: undefined },
      reason: /invalid type/,
    },
    {
      name: "usage not set",
      secret: tokenSecret({ ...GOOD, "usage-bootstrap-authentication": "" }),
      reason: /usage-bootstrap-authentication=true/,
    },
    {
      name: "usage not true",
      secret: tokenSecret({ ...GOOD, "usage-bootstrap-authentication": "TRUE" }),
      reason: /usage-bootstrap-authentication=true/,
    },
    {
      name: "expired",
      secret: tokenSecret({ ...GOOD, expiration: "2024-12-31T23:59:59Z" }),
      reason: /has expired/,
    },
    {
      name: "expires now",
      secret: tokenSecret({ ...GOOD, expiration: "2025-01-01T00:00:00Z" }),
      reason: /has expired/,
    },
    {
      name: "unparseable expiration",
      secret: tokenSecret({ ...GOOD, expiration: "soon" }),
      reason: /has expired/,
    },
    {
      name: "token-id mismatch",
      secret: tokenSecret({ ...GOOD, "token-id": "zzzzzz" }),
      reason: /token-id/,
    },
    {
      name: "being deleted",
      secret: tokenSecret(GOOD, { metadata: { deletionTimestamp: "2025-01-01T00:00:00Z" } }),
      reason: /awaiting removal/,
    },
    {
      name: "invalid extra group",
      secret: tokenSecret({
        ...GOOD,
        "auth-extra-groups": "system:bootstrappers:a,system:masters",
      }),
      reason: /auth-extra-groups/,
    },
    {
      name: "empty extra group",
      secret: tokenSecret({ ...GOOD, "auth-extra-groups": "system:bootstrappers:a," }),
      reason: /auth-extra-groups/,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      await using f = await secretsFixture();
      const auth = new BootstrapTokenAuthenticator({
        secrets: f.secrets,
        clock: new FakeClock(T0),
      });
      if (c.secret) await f.put(c.secret);
      const token = c.token ?? TOKEN;
      await assert.rejects(auth.authenticateToken(token), (err: Error) => {
        assert.ok(err instanceof AuthenticationError);
        assert.match(err.message, c.reason);
        assert.ok(!err.message.includes(token.slice(7)), "the message must not show the secret");
        return true;
      });
    });
  }
});

Deno.test("BootstrapTokenAuthenticator stops accepting a token at its expiry and once deleted", async () => {
  await using f = await secretsFixture();
  const clock = new FakeClock(T0);
  const auth = new BootstrapTokenAuthenticator({ secrets: f.secrets, clock });
  await f.put(tokenSecret({ ...GOOD, expiration: "2025-01-01T00:00:10Z" }));
  assert.ok(await auth.authenticateToken(TOKEN));
  clock.advance(9_999);
  assert.ok(await auth.authenticateToken(TOKEN));
  clock.advance(1);
  await assert.rejects(auth.authenticateToken(TOKEN), /has expired/);

  // A new version of the Secret is read again (the per-object cache cannot go stale).
  await f.put(tokenSecret(GOOD));
  assert.ok(await auth.authenticateToken(TOKEN));
  await f.remove("kube-system", `bootstrap-token-${ID}`);
  await assert.rejects(auth.authenticateToken(TOKEN), /does not exist/);
});

// --- cleaner -----------------------------------------------------------------------------------

interface Call {
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
}

/** A client that records calls and deletes from the fixture's storage. */
function fakeClient(
  f: { storage: { delete(key: string): Promise<unknown> } },
  answer: (call: Call) => number = () => 200,
): ApiRequester & { calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    async request(method, path, options = {}) {
      const call = { method, path, body: options.body };
      calls.push(call);
      const status = answer(call);
      if (status === 200) {
        const m = /^\/api\/v1\/namespaces\/([^/]+)\/secrets\/([^/]+)$/.exec(path)!;
        await f.storage.delete(`${SECRETS_PREFIX}${m[1]}/${m[2]}`);
      }
      return new Response("{}", { status });
    },
  };
}

function expiring(id: string, expiration: string, extra: Record<string, string> = {}): KubeObject {
  return tokenSecret({ ...GOOD, "token-id": id, expiration, ...extra }, {
    name: `bootstrap-token-${id}`,
  });
}

Deno.test("BootstrapTokenCleaner deletes a token when it expires, with one timer", async () => {
  await using f = await secretsFixture();
  const clock = new FakeClock(T0);
  await f.put(expiring("aaaaaa", "2025-01-01T00:01:00Z"));
  await f.put(expiring("bbbbbb", "2025-01-01T00:02:00Z"));
  await f.put(tokenSecret(GOOD)); // never expires
  await f.put({ ...expiring("cccccc", "2024-01-01T00:00:00Z"), type: "Opaque" }); // not a token
  await f.put({
    ...expiring("dddddd", "2024-01-01T00:00:00Z"),
    metadata: { name: "bootstrap-token-dddddd", namespace: "default" },
  }); // not in kube-system
  const client = fakeClient(f);
  const cleaner = new BootstrapTokenCleaner({ secrets: f.secrets, clock, logger: f.logger });
  const stop = new AbortController();
  cleaner.start(client, stop.signal);
  assert.equal(clock.pendingTimers, 1);
  assert.equal(cleaner.nextDueMs, T0 + 60_000);

  const uid = f.secrets.getByName("kube-system", "bootstrap-token-aaaaaa")?.metadata?.uid;
  assert.ok(uid);
  clock.advance(59_999);
  await cleaner.idle();
  assert.equal(client.calls.length, 0);
  clock.advance(1);
  await cleaner.idle();
  assert.deepEqual(client.calls, [{
    method: "DELETE",
    path: "/api/v1/namespaces/kube-system/secrets/bootstrap-token-aaaaaa",
    body: { apiVersion: "v1", kind: "DeleteOptions", preconditions: { uid } },
  }]);
  await until(() => f.secrets.getByName("kube-system", "bootstrap-token-aaaaaa") === undefined);
  assert.equal(cleaner.nextDueMs, T0 + 120_000);
  assert.equal(clock.pendingTimers, 1);

  clock.advance(60_000);
  await cleaner.idle();
  assert.equal(client.calls.length, 2);
  await until(() => cleaner.nextDueMs === null);
  assert.equal(clock.pendingTimers, 0, "no timer when nothing expires");
  assert.ok(f.secrets.getByName("kube-system", "bootstrap-token-abcdef"));
  assert.ok(f.secrets.getByName("kube-system", "bootstrap-token-cccccc"));
  stop.abort();
  assert.deepEqual(
    f.logger.records.filter((r) => r.level === "info").map((r) => r.msg),
    ["Starting bootstrap token cleaner", "Shutting down bootstrap token cleaner"],
  );
});

Deno.test("BootstrapTokenCleaner re-arms when the view changes and stops on abort", async () => {
  await using f = await secretsFixture();
  const clock = new FakeClock(T0);
  const client = fakeClient(f);
  const cleaner = new BootstrapTokenCleaner({ secrets: f.secrets, clock, logger: f.logger });
  const stop = new AbortController();
  cleaner.start(client, stop.signal);
  assert.equal(clock.pendingTimers, 0);
  await f.put(expiring("aaaaaa", "2025-01-01T01:00:00Z"));
  assert.equal(cleaner.nextDueMs, T0 + 3_600_000);
  await f.put(expiring("bbbbbb", "2025-01-01T00:00:05Z"));
  assert.equal(cleaner.nextDueMs, T0 + 5_000);
  assert.equal(clock.pendingTimers, 1);
  // A later expiration of the same token moves the timer.
  await f.put(expiring("bbbbbb", "2025-01-01T02:00:00Z"));
  assert.equal(cleaner.nextDueMs, T0 + 3_600_000);
  // An unparseable expiration is expired now (upstream) and deleted at once.
  await f.put(expiring("cccccc", "not a time"));
  clock.advance(0);
  await cleaner.idle();
  assert.deepEqual(client.calls.map((c) => c.path.split("/").pop()), ["bootstrap-token-cccccc"]);
  stop.abort();
  assert.equal(clock.pendingTimers, 0);
  await f.put(expiring("dddddd", "2025-01-01T00:00:01Z"));
  assert.equal(clock.pendingTimers, 0, "no timer after abort");
});

Deno.test("BootstrapTokenCleaner chains timers for expiries beyond 2^31-1 ms", async () => {
  await using f = await secretsFixture();
  const clock = new FakeClock(T0);
  const client = fakeClient(f);
  const cleaner = new BootstrapTokenCleaner({ secrets: f.secrets, clock, logger: f.logger });
  const stop = new AbortController();
  await f.put(expiring("aaaaaa", formatRfc3339(T0 + 40 * 86_400_000)));
  cleaner.start(client, stop.signal);
  clock.advance(MAX_TIMER_DELAY_MS);
  await cleaner.idle();
  assert.equal(client.calls.length, 0);
  assert.equal(clock.pendingTimers, 1);
  clock.advance(40 * 86_400_000 - MAX_TIMER_DELAY_MS);
  await cleaner.idle();
  assert.equal(client.calls.length, 1);
  stop.abort();
});

Deno.test("BootstrapTokenCleaner retries a failed delete with backoff, not NotFound or Conflict", async () => {
  await using f = await secretsFixture();
  const clock = new FakeClock(T0);
  let failures = 2;
  const client = fakeClient(f, () => failures-- > 0 ? 500 : 200);
  const cleaner = new BootstrapTokenCleaner({ secrets: f.secrets, clock, logger: f.logger });
  const stop = new AbortController();
  await f.put(expiring("aaaaaa", "2024-01-01T00:00:00Z"));
  cleaner.start(client, stop.signal);
  clock.advance(0);
  await cleaner.idle();
  assert.equal(client.calls.length, 1);
  clock.advance(999);
  await cleaner.idle();
  assert.equal(client.calls.length, 1);
  clock.advance(1);
  await cleaner.idle();
  assert.equal(client.calls.length, 2);
  clock.advance(2_000);
  await cleaner.idle();
  assert.equal(client.calls.length, 3);
  await until(() => f.secrets.size === 0);
  assert.equal(
    f.logger.records.filter((r) => r.msg === "Cannot delete expired bootstrap token").length,
    2,
  );

  // 404 and 409 are not retried: the view will say what happened.
  const gone = fakeClient(f, () => 404);
  const c2 = new BootstrapTokenCleaner({ secrets: f.secrets, clock, logger: f.logger });
  await f.put(expiring("bbbbbb", "2024-01-01T00:00:00Z"));
  c2.start(gone, stop.signal);
  clock.advance(60_000);
  await c2.idle();
  assert.equal(gone.calls.length, 1);
  stop.abort();
});

Deno.test("BootstrapTokenCleaner deletes through the real API with a uid precondition", async () => {
  await using t = await createTestApp();
  const stop = new AbortController();
  const view = new ObjectView({ storage: t.storage, prefix: SECRETS_PREFIX, logger: t.logger });
  await view.start(stop.signal);
  const admin = { username: "admin", groups: ["system:masters", "system:authenticated"] };
  const client = new InProcessClient(t.app, admin);
  const created = await client.json("POST", "/api/v1/namespaces/kube-system/secrets", {
    body: bootstrapTokenSecret({ id: ID, secret: SECRET, expirationMs: Date.now() - 1000 }),
  });
  assert.equal(created.status, 201);
  await until(() => view.getByName("kube-system", `bootstrap-token-${ID}`) !== undefined);
  const clock = new FakeClock(Date.now());
  const cleaner = new BootstrapTokenCleaner({ secrets: view, clock, logger: t.logger });
  cleaner.start(client, stop.signal);
  clock.advance(0);
  await cleaner.idle();
  const res = await client.json(
    "GET",
    `/api/v1/namespaces/kube-system/secrets/bootstrap-token-${ID}`,
  );
  assert.equal(res.status, 404);
  stop.abort();
});
