import assert from "node:assert/strict";
import type { ConnectionInfo } from "../api/auth/authenticator.ts";
import { createTestPki, startTestHttps } from "../api/_test_https.ts";
import { createCa } from "../api/pki/certificates.ts";
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
