import assert from "node:assert/strict";
import { FakeClock } from "../../util/clock.ts";
import { RecordingLogger } from "../../util/logger.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import { createJoinTestApp, TEST_CA_PEM } from "./_join_test_app.ts";
import { secretDataString } from "./_token_secret_data.ts";
import { secretsFixture, until } from "./_token_test_support.ts";
import { type AuthenticatedRequest, AuthenticationError } from "./authenticator.ts";
import { bootstrapTokenSecret, formatRfc3339 } from "./bootstrap_token.ts";
import {
  CaCertsRoute,
  MAX_NODE_CREDENTIAL_NAME_LENGTH,
  newNodeCredential,
  NODE_CREDENTIAL_PATH,
  NodeCredentialAuthenticator,
  NodeCredentialRoute,
  parseNodeCredentialToken,
} from "./node_credential.ts";
import { nodeNetworkToken } from "./node_network_identity.ts";

const SECRET43 = "A".repeat(21) + "_-" + "z9".repeat(10);

Deno.test("parseNodeCredentialToken() accepts only skiff-node[-network]:<dns-subdomain>:<43 base64url>", async (t) => {
  type Want = { nodeName: string; secret: string; identity: "node" | "network" };
  const node = (want: Omit<Want, "identity">): Want => ({ ...want, identity: "node" });
  const cases: [string, Want | null][] = [
    [`skiff-node:edge-1:${SECRET43}`, node({ nodeName: "edge-1", secret: SECRET43 })],
    [`skiff-node:rack.3.site-a:${SECRET43}`, node({ nodeName: "rack.3.site-a", secret: SECRET43 })],
    [`skiff-node-network:edge-1:${SECRET43}`, {
      nodeName: "edge-1",
      secret: SECRET43,
      identity: "network",
    }],
    [`skiff-node-network::${SECRET43}`, null],
    [`skiff-node-networks:edge-1:${SECRET43}`, null],
    [`skiff-node:Edge-1:${SECRET43}`, null],
    [`skiff-node::${SECRET43}`, null],
    [`skiff-node:edge-1:${SECRET43}x`, null],
    [`skiff-node:edge-1:${SECRET43.slice(1)}=`, null],
    [`skiff-node:edge-1:a:${SECRET43}`, null],
    [`skiff-node:${"a".repeat(MAX_NODE_CREDENTIAL_NAME_LENGTH + 1)}:${SECRET43}`, null],
    [
      `skiff-node:${"a".repeat(MAX_NODE_CREDENTIAL_NAME_LENGTH)}:${SECRET43}`,
      node({
        nodeName: "a".repeat(MAX_NODE_CREDENTIAL_NAME_LENGTH),
        secret: SECRET43,
      }),
    ],
    ["abcdef.0123456789abcdef", null],
    ["eyJhbGciOiJSUzI1NiJ9.e30.c2ln", null],
  ];
  for (const [token, want] of cases) {
    await t.step(token.slice(0, 40), () => assert.deepEqual(parseNodeCredentialToken(token), want));
  }
});

Deno.test("newNodeCredential() stores only a hash of the secret and the node name", () => {
  const { token, secret } = newNodeCredential("edge-1", { requestedBy: "system:bootstrap:abcdef" });
  const parsed = parseNodeCredentialToken(token);
  assert.equal(parsed?.nodeName, "edge-1");
  assert.equal(secret.metadata?.name, "node-credential-edge-1");
  assert.equal(secret.metadata?.namespace, "kube-system");
  assert.equal(secret.type, "skiff.io/node-credential");
  assert.equal(secret.immutable, true);
  assert.deepEqual(secret.metadata?.annotations, {
    "skiff.io/requested-by": "system:bootstrap:abcdef",
  });
  assert.deepEqual(Object.keys(secret.data ?? {}).sort(), ["node-name", "token-sha256"]);
  assert.equal(secretDataString(secret as KubeObject, "node-name"), "edge-1");
  assert.match(secretDataString(secret as KubeObject, "token-sha256"), /^[0-9a-f]{64}$/);
  const json = JSON.stringify(secret);
  assert.ok(!json.includes(parsed!.secret) && !json.includes(btoa(parsed!.secret).slice(0, 20)));
  assert.notEqual(newNodeCredential("edge-1").token, token);
});

Deno.test("NodeCredentialAuthenticator maps a credential to system:node:<name>", async (t) => {
  await using f = await secretsFixture();
  const auth = new NodeCredentialAuthenticator({ secrets: f.secrets });
  const issued = newNodeCredential("edge-1");
  await f.put(issued.secret as KubeObject);
  assert.deepEqual(await auth.authenticateToken(issued.token), {
    username: "system:node:edge-1",
    groups: ["system:nodes", "system:authenticated"],
  });
  assert.deepEqual(await auth.authenticateToken(nodeNetworkToken(issued.token)), {
    username: "system:skiff:node-network:edge-1",
    groups: ["system:skiff:node-networks", "system:authenticated"],
  }, "the network form authenticates against the same Secret as the node's network identity");
  assert.equal(await auth.authenticateToken("abcdef.0123456789abcdef"), null);
  assert.equal(await auth.authenticateToken("eyJhbGciOiJSUzI1NiJ9.e30.c2ln"), null);

  const other = newNodeCredential("edge-2");
  await f.put(other.secret as KubeObject);
  const cases: { name: string; token: string; secret?: KubeObject; reason: RegExp }[] = [
    { name: "malformed", token: "skiff-node:edge-1", reason: /malformed/ },
    { name: "malformed network form", token: "skiff-node-network:edge-1", reason: /malformed/ },
    {
      name: "network form with a wrong secret",
      token: `skiff-node-network:edge-1:${SECRET43}`,
      reason: /token-sha256/,
    },
    { name: "unknown node", token: newNodeCredential("edge-9").token, reason: /does not exist/ },
    {
      name: "wrong secret",
      token: `skiff-node:edge-1:${SECRET43}`,
      reason: /token-sha256/,
    },
    {
      name: "another node's secret",
      token: `skiff-node:edge-1:${parseNodeCredentialToken(other.token)!.secret}`,
      reason: /token-sha256/,
    },
    {
      name: "wrong type",
      token: issued.token,
      secret: { ...issued.secret, type: "Opaque" } as KubeObject,
      reason: /invalid type/,
    },
    {
      name: "being deleted",
      token: issued.token,
      secret: {
        ...issued.secret,
        metadata: { ...issued.secret.metadata, deletionTimestamp: "2025-01-01T00:00:00Z" },
      } as KubeObject,
      reason: /awaiting removal/,
    },
    {
      name: "node-name mismatch",
      token: issued.token,
      secret: {
        ...issued.secret,
        data: { ...issued.secret.data, "node-name": btoa("edge-2") },
      } as KubeObject,
      reason: /node-name/,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      if (c.secret) await f.put(c.secret);
      await assert.rejects(auth.authenticateToken(c.token), (err: Error) => {
        assert.ok(err instanceof AuthenticationError);
        assert.match(err.message, c.reason);
        const secretPart = c.token.split(":")[2] ?? "";
        assert.ok(secretPart === "" || !err.message.includes(secretPart));
        return true;
      });
    });
  }
  await t.step("deleting the Secret revokes the credential and its network form", async () => {
    await f.put(issued.secret as KubeObject);
    assert.ok(await auth.authenticateToken(issued.token));
    await f.remove("kube-system", "node-credential-edge-1");
    await assert.rejects(auth.authenticateToken(issued.token), /does not exist/);
    await assert.rejects(auth.authenticateToken(nodeNetworkToken(issued.token)), /does not exist/);
  });
});

function postAs(user: { username: string; groups: string[] } | undefined, body: string): Request {
  const req = new Request(`https://skiff.test${NODE_CREDENTIAL_PATH}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
  if (user) (req as AuthenticatedRequest).skiffUser = user;
  return req;
}

Deno.test("NodeCredentialRoute answers 403 outside system:bootstrappers and 503 before start", async (t) => {
  const route = new NodeCredentialRoute({
    caCertPem: () => TEST_CA_PEM,
    logger: new RecordingLogger(),
  });
  const body = JSON.stringify({ nodeName: "edge-1" });
  for (
    const user of [
      undefined,
      { username: "system:admin", groups: ["system:masters", "system:authenticated"] },
      { username: "system:node:edge-1", groups: ["system:nodes", "system:authenticated"] },
    ]
  ) {
    await t.step(user?.username ?? "no user", async () => {
      const res = await route.handle(postAs(user, body));
      assert.equal(res.status, 403);
      const status = await res.json();
      assert.equal(status.reason, "Forbidden");
      assert.match(
        status.message,
        new RegExp(
          `^forbidden: User "${
            user?.username ?? "system:anonymous"
          }" cannot post path "/v1-skiff/node-credentials"`,
        ),
      );
    });
  }
  const res = await route.handle(
    postAs({ username: "system:bootstrap:abcdef", groups: ["system:bootstrappers"] }, body),
  );
  assert.equal(res.status, 503);
  await res.body?.cancel();
});

const T0 = Date.UTC(2025, 0, 1);

async function joinApp(options: { checkNodes?: boolean; clock?: FakeClock } = {}) {
  const t = await createJoinTestApp(options);
  const token = "abcdef.0123456789abcdef";
  const created = await t.admin.json("POST", "/api/v1/namespaces/kube-system/secrets", {
    body: bootstrapTokenSecret({
      id: "abcdef",
      secret: "0123456789abcdef",
      expirationMs: (options.clock?.now() ?? Date.now()) + 3_600_000,
    }),
  });
  assert.equal(created.status, 201);
  await until(() => t.secrets.getByName("kube-system", "bootstrap-token-abcdef") !== undefined);
  return { t, token };
}

function join(
  t: Awaited<ReturnType<typeof createJoinTestApp>>,
  token: string | null,
  body: unknown,
) {
  return t.fetch(NODE_CREDENTIAL_PATH, {
    method: "POST",
    token,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

Deno.test("The join flow: a bootstrap token gets a node credential once; the node authenticates with it", async () => {
  const { t, token } = await joinApp();
  await using _t = t;
  const res = await join(t, token, { nodeName: "edge-1" });
  assert.equal(res.status, 201);
  assert.equal(res.headers.get("cache-control"), "no-store");
  const issued = await res.json() as { token: string; caCert: string };
  assert.deepEqual(Object.keys(issued).sort(), ["caCert", "token"]);
  assert.equal(issued.caCert, TEST_CA_PEM);
  assert.equal(parseNodeCredentialToken(issued.token)?.nodeName, "edge-1");
  assert.deepEqual(t.users.map((u) => u.username), [
    "system:apiserver", // joinApp's bootstrap token
    "system:bootstrap:abcdef",
    "system:apiserver", // the route creating the credential's Secret
  ]);

  const stored = await t.admin.json(
    "GET",
    "/api/v1/namespaces/kube-system/secrets/node-credential-edge-1",
  );
  assert.equal(stored.status, 200);
  assert.equal(stored.body.type, "skiff.io/node-credential");
  assert.equal(
    (stored.body.metadata as { annotations: Record<string, string> })
      .annotations["skiff.io/requested-by"],
    "system:bootstrap:abcdef",
  );

  // The node's credential authenticates it as system:node:edge-1.
  await until(() => t.secrets.getByName("kube-system", "node-credential-edge-1") !== undefined);
  const pods = await t.fetch("/api/v1/namespaces/default/pods", { token: issued.token });
  assert.equal(pods.status, 200);
  await pods.body?.cancel();
  assert.deepEqual(t.users.at(-1), {
    username: "system:node:edge-1",
    groups: ["system:nodes", "system:authenticated"],
  });

  // A second join for the same node is refused: a stolen join token cannot take it over.
  const again = await join(t, token, { nodeName: "edge-1" });
  assert.equal(again.status, 409);
  const conflict = await again.json();
  assert.equal(conflict.reason, "Conflict");
  assert.equal(
    conflict.message,
    'Operation cannot be fulfilled on nodecredentials.skiff.io "edge-1": a credential for node "edge-1" already exists; delete Secret "kube-system/node-credential-edge-1" to let the node join again',
  );

  // The node itself may not ask for credentials.
  const byNode = await join(t, issued.token, { nodeName: "edge-2" });
  assert.equal(byNode.status, 403);
  await byNode.body?.cancel();

  // An admin deletes the Secret: the old credential stops working and the node may rejoin.
  const del = await t.admin.request(
    "DELETE",
    "/api/v1/namespaces/kube-system/secrets/node-credential-edge-1",
  );
  assert.equal(del.status, 200);
  await del.body?.cancel();
  await until(() => t.secrets.getByName("kube-system", "node-credential-edge-1") === undefined);
  const revoked = await t.fetch("/api/v1/namespaces/default/pods", { token: issued.token });
  assert.equal(revoked.status, 401);
  await revoked.body?.cancel();
  const rejoin = await join(t, token, { nodeName: "edge-1" });
  assert.equal(rejoin.status, 201);
  const second = await rejoin.json() as { token: string };
  assert.notEqual(second.token, issued.token);
  assert.ok(
    !t.logger.records.some((r) => JSON.stringify(r).includes(issued.token.split(":")[2]!)),
    "the credential must never be logged",
  );
});

Deno.test("NodeCredentialRoute validates the request body", async (t) => {
  const { t: app, token } = await joinApp();
  await using _app = app;
  const cases: { name: string; body: unknown; status: number; message: RegExp }[] = [
    {
      name: "bad name",
      body: { nodeName: "Edge_1" },
      status: 422,
      message:
        /^NodeCredential\.skiff\.io "Edge_1" is invalid: nodeName: Invalid value: "Edge_1": a lowercase RFC 1123 subdomain must consist of/,
    },
    { name: "missing", body: {}, status: 422, message: /nodeName: Required value/ },
    {
      name: "not a string",
      body: { nodeName: 7 },
      status: 422,
      message: /nodeName: Invalid value: 7/,
    },
    {
      name: "too long for its Secret",
      body: { nodeName: "a".repeat(MAX_NODE_CREDENTIAL_NAME_LENGTH + 1) },
      status: 422,
      message: /nodeName: Too long: may not be more than 237 bytes/,
    },
    { name: "not JSON", body: "{nodeName", status: 400, message: /cannot be handled/ },
    { name: "not an object", body: "[1]", status: 400, message: /expected a JSON object/ },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const res = await join(app, token, c.body);
      assert.equal(res.status, c.status);
      const status = await res.json();
      assert.match(status.message, c.message);
    });
  }
  await t.step("refuses other media types", async () => {
    const res = await app.fetch(NODE_CREDENTIAL_PATH, {
      method: "POST",
      token,
      body: "nodeName: edge-1",
      contentType: "application/yaml",
    });
    assert.equal(res.status, 415);
    await res.body?.cancel();
  });
  await t.step("refuses bodies over 16 KiB", async () => {
    const res = await join(app, token, { nodeName: "edge-1", pad: "x".repeat(20_000) });
    assert.equal(res.status, 413);
    await res.body?.cancel();
  });
  assert.equal(app.secrets.getByName("kube-system", "node-credential-edge-1"), undefined);
});

Deno.test("The join route refuses expired and unknown bootstrap tokens with 401", async () => {
  const clock = new FakeClock(T0);
  const { t, token } = await joinApp({ clock });
  await using _t = t;
  clock.advance(3_600_000);
  const expired = await join(t, token, { nodeName: "edge-1" });
  assert.equal(expired.status, 401);
  assert.equal((await expired.json()).message, "Unauthorized");
  const unknown = await join(t, "zzzzzz.0123456789abcdef", { nodeName: "edge-1" });
  assert.equal(unknown.status, 401);
  await unknown.body?.cancel();
  // A presented credential that is not valid fails even on public paths, as kube-apiserver does.
  const healthz = await t.fetch("/healthz", { token: "zzzzzz.0123456789abcdef" });
  assert.equal(healthz.status, 401);
  await healthz.body?.cancel();
  assert.equal(formatRfc3339(clock.now()), "2025-01-01T01:00:00Z");
});

Deno.test("NodeCredentialRoute with the Nodes view refuses names that registered otherwise", async () => {
  const { t, token } = await joinApp({ checkNodes: true });
  await using _t = t;
  const node = await t.admin.json("POST", "/api/v1/nodes", {
    body: { apiVersion: "v1", kind: "Node", metadata: { name: "server-1" } },
  });
  assert.equal(node.status, 201);
  await until(() => t.nodes.getByName("", "server-1") !== undefined);
  const res = await join(t, token, { nodeName: "server-1" });
  assert.equal(res.status, 409);
  assert.match(
    (await res.json()).message,
    /node "server-1" is already registered; delete the Node/,
  );
  const ok = await join(t, token, { nodeName: "edge-1" });
  assert.equal(ok.status, 201);
  await ok.body?.cancel();
});

Deno.test("CaCertsRoute serves the current cluster CA as text", async () => {
  let pem = TEST_CA_PEM;
  const route = new CaCertsRoute(() => pem);
  assert.equal(route.method, "GET");
  assert.equal(route.path, "/cacerts");
  const res = route.handle(new Request("https://skiff.test/cacerts"));
  assert.equal(res.headers.get("content-type"), "text/plain; charset=utf-8");
  assert.equal(await res.text(), TEST_CA_PEM);
  pem = "renewed";
  assert.equal(await route.handle(new Request("https://skiff.test/cacerts")).text(), "renewed");
});
