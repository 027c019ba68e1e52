import assert from "node:assert/strict";
import type { ConnectionInfo } from "../api/auth/authenticator.ts";
import { createTestPki, startTestHttps } from "../api/_test_https.ts";
import { createCa } from "../util/x509/certificates.ts";
import { Client } from "./client.ts";
import { RequestError } from "./errors.ts";
import { NODES } from "./resources.ts";
import { HttpsTransport } from "./transport.ts";

/** An HTTPS server that answers what it saw of each request. */
async function echoServer() {
  const pki = await createTestPki();
  const server = await startTestHttps({
    fetch: async (request: Request, env: { connection: ConnectionInfo }) =>
      Response.json({
        method: request.method,
        url: new URL(request.url).pathname + new URL(request.url).search,
        authorization: request.headers.get("authorization"),
        userAgent: request.headers.get("user-agent"),
        contentType: request.headers.get("content-type"),
        body: request.body ? await request.text() : null,
        clientCertificate: env.connection.peerCertificate !== undefined,
      }),
  }, pki);
  return {
    pki,
    url: server.url,
    kubeconfig: server.kubeconfig,
    async [Symbol.asyncDispose]() {
      await server.close();
      await pki[Symbol.asyncDispose]();
    },
  };
}

Deno.test("HttpsTransport verifies the server by the CA and presents the client certificate", async () => {
  await using server = await echoServer();
  using transport = HttpsTransport.fromKubeconfig(server.kubeconfig, { userAgent: "skiff-test" });
  assert.equal(transport.server, server.url);
  const res = await transport.request("POST", "/api/v1/namespaces?dryRun=All", {
    body: { metadata: { name: "a" } },
  });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), {
    method: "POST",
    url: "/api/v1/namespaces?dryRun=All",
    authorization: null,
    userAgent: "skiff-test",
    contentType: "application/json",
    body: '{"metadata":{"name":"a"}}',
    clientCertificate: true,
  });
});

Deno.test("HttpsTransport sends a bearer token", async () => {
  await using server = await echoServer();
  using transport = new HttpsTransport({
    server: `${server.url}/`,
    caCertPem: server.pki.ca.certPem,
    token: "abcdef.0123456789abcdef",
  });
  const body = await (await transport.request("GET", "/api/v1/nodes")).json();
  assert.equal(body.authorization, "Bearer abcdef.0123456789abcdef");
  assert.equal(body.clientCertificate, false);
  assert.equal(body.url, "/api/v1/nodes");
});

Deno.test("HttpsTransport refuses a server its CA did not sign; the client names the request", async () => {
  await using server = await echoServer();
  const otherCa = await createCa({ commonName: "other-ca", now: new Date() });
  using transport = new HttpsTransport({ server: server.url, caCertPem: otherCa.certPem });
  const err = await new Client(transport).resource(NODES).get("edge-1").catch((e) => e);
  assert.ok(err instanceof RequestError, String(err));
  assert.match(err.message, /^Cannot GET \/api\/v1\/nodes\/edge-1: /);
});

Deno.test("HttpsTransport.close() closes the client; later requests fail", async () => {
  const transport = new HttpsTransport({ server: "https://127.0.0.1:1" });
  transport.close();
  transport.close();
  await assert.rejects(() => transport.request("GET", "/version"), {
    name: "TypeError",
    message: "Cannot GET /version: the transport is closed",
  });
});

Deno.test("HttpsTransport() refuses bad settings", async (t) => {
  const cases = [
    { name: "not a URL", options: { server: "::" }, message: 'Cannot use server "::": not a URL' },
    {
      name: "not http(s)",
      options: { server: "ftp://x" },
      message: 'Cannot use server "ftp://x": expected an https URL',
    },
    {
      name: "a certificate without a key",
      options: { server: "https://x", certPem: "c" },
      message: "Cannot use a client certificate without its key, or a key without its certificate",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.throws(() => new HttpsTransport(c.options), { name: "TypeError", message: c.message });
    });
  }
});

Deno.test("HttpsTransport keeps at most maxRequestsInFlight requests open, watches apart", async () => {
  const pki = await createTestPki();
  let active = 0;
  let peak = 0;
  let open!: () => void;
  const gate = new Promise<void>((resolve) => open = resolve);
  const server = await startTestHttps({
    fetch: async (request: Request) => {
      if (new URL(request.url).searchParams.get("watch") === "1") return new Response("watching");
      active++;
      peak = Math.max(peak, active);
      await gate;
      active--;
      return Response.json({ ok: true });
    },
  }, pki);
  try {
    using transport = new HttpsTransport({
      server: server.url,
      caCertPem: pki.ca.certPem,
      maxRequestsInFlight: 3,
    });
    const answers = Array.from(
      { length: 10 },
      (_, i) => transport.request("GET", `/api/v1/namespaces/default/pods/p${i}`),
    );
    while (active < 3) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(active, 3, "the rest wait in the transport");
    assert.equal(transport.requestsInFlight, 3);
    // A watch is long-running: it does not wait for a slot.
    const watch = await transport.request("GET", "/api/v1/pods?watch=1");
    assert.equal(await watch.text(), "watching");
    // One that gives up while waiting leaves the queue.
    const ac = new AbortController();
    const given = transport.request("GET", "/api/v1/namespaces", { signal: ac.signal });
    ac.abort(new Error("gave up"));
    await assert.rejects(given, /gave up/);
    open();
    for (const res of await Promise.all(answers)) assert.deepEqual(await res.json(), { ok: true });
    assert.equal(peak, 3);
    assert.equal(transport.requestsInFlight, 0);
  } finally {
    await server.close();
    await pki[Symbol.asyncDispose]();
  }
});
