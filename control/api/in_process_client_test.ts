import assert from "node:assert/strict";
import type { ConnectionInfo } from "./auth/authenticator.ts";
import { createTestApp } from "./_test_app.ts";
import { InProcessClient } from "./in_process_client.ts";

const USER = { username: "system:apiserver", groups: ["system:masters"] };

/** Records what the client sends. */
function recorder() {
  const seen: { request: Request; body: string; connection: ConnectionInfo }[] = [];
  return {
    seen,
    async fetch(request: Request, env: { connection: ConnectionInfo }) {
      seen.push({ request, body: await request.text(), connection: env.connection });
      return new Response(JSON.stringify({ ok: true }), { status: 201 });
    },
  };
}

Deno.test("InProcessClient.request() passes its user in the connection, never in headers", async () => {
  const target = recorder();
  const client = new InProcessClient(target, USER);
  const res = await client.request("GET", "/api/v1/namespaces?limit=1");
  assert.equal(res.status, 201);
  const { request, connection } = target.seen[0]!;
  assert.equal(request.method, "GET");
  assert.equal(new URL(request.url).pathname, "/api/v1/namespaces");
  assert.equal(new URL(request.url).search, "?limit=1");
  assert.equal(request.headers.get("accept"), "application/json");
  assert.equal(request.headers.get("authorization"), null);
  assert.deepEqual(connection, { internalUser: USER });
});

Deno.test("InProcessClient.request() sends objects as JSON and strings as given", async () => {
  const target = recorder();
  const client = new InProcessClient(target, USER);
  await client.request("POST", "/api/v1/namespaces", { body: { metadata: { name: "a" } } });
  await client.request("PATCH", "/api/v1/namespaces/a", {
    body: '{"metadata":{"labels":{"x":"y"}}}',
    contentType: "application/merge-patch+json",
    accept: "application/yaml",
  });
  assert.equal(target.seen[0]!.body, '{"metadata":{"name":"a"}}');
  assert.equal(target.seen[0]!.request.headers.get("content-type"), "application/json");
  assert.equal(target.seen[1]!.body, '{"metadata":{"labels":{"x":"y"}}}');
  assert.equal(target.seen[1]!.request.headers.get("content-type"), "application/merge-patch+json");
  assert.equal(target.seen[1]!.request.headers.get("accept"), "application/yaml");
});

Deno.test("InProcessClient.request() declares the body's length in UTF-8 bytes", async () => {
  const target = recorder();
  const client = new InProcessClient(target, USER);
  await client.request("POST", "/api/v1/namespaces", { body: { metadata: { name: "é" } } });
  await client.request("GET", "/api/v1/namespaces");
  assert.equal(target.seen[0]!.request.headers.get("content-length"), "26");
  assert.equal(target.seen[0]!.body, '{"metadata":{"name":"é"}}');
  assert.equal(target.seen[1]!.request.headers.get("content-length"), null);
});

Deno.test("InProcessClient.request() aborts with its signal", async () => {
  const seen: AbortSignal[] = [];
  const client = new InProcessClient({
    fetch(request) {
      seen.push(request.signal);
      return new Response("{}");
    },
  }, USER);
  const ac = new AbortController();
  await client.request("GET", "/api", { signal: ac.signal });
  ac.abort();
  assert.equal(seen[0]!.aborted, true);
});

Deno.test("InProcessClient.json() parses the answer with its status", async () => {
  const client = new InProcessClient({
    fetch: () => new Response(null, { status: 204 }),
  }, USER);
  assert.deepEqual(await client.json("DELETE", "/x"), { status: 204, body: {} });
});

Deno.test("InProcessClient goes through the real app as its user", async () => {
  await using t = await createTestApp();
  const client = new InProcessClient(t.app, USER);
  const created = await client.json("POST", "/api/v1/namespaces/default/configmaps", {
    body: { metadata: { name: "in-process" }, data: { k: "v" } },
  });
  assert.equal(created.status, 201);
  assert.equal((created.body.metadata as { name: string }).name, "in-process");
  const missing = await client.json("GET", "/api/v1/namespaces/default/configmaps/nope");
  assert.equal(missing.status, 404);
  assert.equal(missing.body.message, 'configmaps "nope" not found');
});
