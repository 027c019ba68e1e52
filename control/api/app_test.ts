import assert from "node:assert/strict";
import { MemoryStorage } from "../storage/memory.ts";
import { systemClock } from "../util/clock.ts";
import { RecordingLogger } from "../util/logger.ts";
import { createTestApp } from "./_test_app.ts";
import { AdmissionChain } from "./admission/admission.ts";
import { type ApiAppDeps, authorizationAttributes, createApiApp, readBody } from "./app.ts";
import type { Authenticator } from "./auth/authenticator.ts";
import type { Authorizer } from "./auth/authorizer.ts";
import { ApiError } from "./errors.ts";
import type { ApiExtensions } from "./handlers/extensions.ts";
import type { RequestUser } from "./handlers/context.ts";
import { OpenApiHandler } from "./handlers/openapi_handler.ts";
import { BUILTIN_RESOURCES } from "./registry/builtin_resources.ts";
import { ResourceRegistry } from "./registry/resource_registry.ts";
import { WatchCaches } from "./store/watch_caches.ts";

const registry = new ResourceRegistry(BUILTIN_RESOURCES);
const ADMIN: RequestUser = { username: "admin", groups: ["system:masters"] };

/** An app that knows only the user a test gives it (null: anonymous). */
function appWith(
  options: {
    user?: RequestUser | null;
    authenticator?: Authenticator;
    ready?: () => boolean;
    authorizer?: Authorizer;
    extensions?: ApiExtensions;
  } = {},
) {
  const storage = new MemoryStorage();
  const logger = new RecordingLogger();
  const stop = new AbortController();
  const caches = new WatchCaches({ storage, logger, signal: stop.signal });
  const deps: ApiAppDeps = {
    storage,
    registry: () => registry,
    caches,
    admission: new AdmissionChain([]),
    clock: systemClock,
    logger,
    signal: stop.signal,
    authenticator: options.authenticator ?? {
      authenticate: () => Promise.resolve(options.user === undefined ? null : options.user),
    },
    version: { major: "1", minor: "33", gitVersion: "v1.33.0", platform: "linux/arm64" },
    serverAddress: () => "192.0.2.10:6443",
    openapi: new OpenApiHandler({ registry: () => registry, gitVersion: "v1.33.0" }),
    ready: options.ready ?? (() => true),
    ...(options.authorizer ? { authorizer: options.authorizer } : {}),
    ...(options.extensions ? { extensions: options.extensions } : {}),
  };
  return {
    app: createApiApp(deps),
    logger,
    storage,
    async [Symbol.asyncDispose]() {
      stop.abort();
      caches.stop();
      await storage.close();
    },
  };
}

Deno.test("readBody() reads a body up to the limit and answers 413 beyond it", async () => {
  const small = new Request("https://x/", { method: "POST", body: "hello" });
  assert.equal(new TextDecoder().decode(await readBody(small, 5)), "hello");
  assert.deepEqual(await readBody(new Request("https://x/"), 5), new Uint8Array());
  const big = new Request("https://x/", { method: "POST", body: "hello!" });
  await assert.rejects(() => readBody(big, 5), (err) => {
    assert.ok(err instanceof ApiError);
    assert.equal(err.code, 413);
    assert.equal(err.reason, "RequestEntityTooLarge");
    assert.equal(err.message, "Request entity too large: limit is 5");
    return true;
  });
  // A declared length over the limit is refused before reading.
  const declared = new Request("https://x/", {
    method: "POST",
    body: "x",
    headers: { "content-length": "100" },
  });
  await assert.rejects(() => readBody(declared, 5), { name: "ApiError" });
  // A declared length within the limit is read at once, and the limit still holds when the body
  // is longer than declared.
  const framed = new Request("https://x/", {
    method: "POST",
    body: "hey",
    headers: { "content-length": "3" },
  });
  assert.equal(new TextDecoder().decode(await readBody(framed, 5)), "hey");
  const understated = new Request("https://x/", {
    method: "POST",
    body: "hello!",
    headers: { "content-length": "2" },
  });
  await assert.rejects(() => readBody(understated, 5), (err) => {
    assert.ok(err instanceof ApiError);
    assert.equal(err.code, 413);
    return true;
  });
  assert.deepEqual(
    await readBody(new Request("https://x/", { headers: { "content-length": "0" } }), 5),
    new Uint8Array(),
  );
  // A streamed body in several chunks is joined.
  const chunks = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(new TextEncoder().encode("ab"));
      c.enqueue(new TextEncoder().encode("cd"));
      c.close();
    },
  });
  const streamed = new Request("https://x/", { method: "POST", body: chunks });
  assert.equal(new TextDecoder().decode(await readBody(streamed, 10)), "abcd");
});

Deno.test("createApiApp() serves health probes as text, readyz following readiness", async (t) => {
  let ready = true;
  await using s = await appWith({ user: ADMIN, ready: () => ready });
  for (const path of ["/healthz", "/livez", "/readyz", "/healthz/ping", "/readyz/storage"]) {
    await t.step(path, async () => {
      const res = await s.app.request(path);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "text/plain; charset=utf-8");
      assert.equal(await res.text(), "ok");
    });
  }
  await t.step("verbose lists the checks that ran", async () => {
    const res = await s.app.request("/readyz?verbose");
    assert.equal(
      await res.text(),
      "[+]ping ok\n[+]storage ok\n[+]bootstrap ok\nreadyz check passed\n",
    );
  });
  await t.step("an unknown check is 404", async () => {
    const res = await s.app.request("/readyz/etcd");
    assert.equal(res.status, 404);
    await res.body?.cancel();
  });
  await t.step("not ready: 500 naming the failed check, the reason withheld", async () => {
    ready = false;
    const res = await s.app.request("/readyz");
    assert.equal(res.status, 500);
    assert.equal(
      await res.text(),
      "[+]ping ok\n[+]storage ok\n[-]bootstrap failed: reason withheld\nreadyz check failed\n",
    );
    const excluded = await s.app.request("/readyz?exclude=bootstrap");
    assert.equal(await excluded.text(), "ok");
    assert.equal((await s.app.request("/livez")).status, 200, "liveness does not depend on it");
    ready = true;
  });
  await t.step("storage that fails makes every probe fail", async () => {
    await s.storage.close();
    for (const path of ["/healthz", "/livez", "/readyz"]) {
      const res = await s.app.request(path);
      assert.equal(res.status, 500, path);
      assert.match(await res.text(), /\[-\]storage failed: reason withheld\n/);
    }
  });
});

Deno.test("createApiApp() answers GET /version with the version document", async () => {
  await using s = await appWith({ user: null });
  const res = await s.app.request("/version");
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "application/json");
  const text = await res.text();
  assert.deepEqual(JSON.parse(text), {
    major: "1",
    minor: "33",
    gitVersion: "v1.33.0",
    platform: "linux/arm64",
  });
  assert.ok(text.startsWith('{\n  "major": "1",'), "indented, as kube-apiserver writes it");
});

Deno.test("createApiApp() answers 401 to anonymous requests outside the public paths", async () => {
  await using s = await appWith({ user: null });
  const paths = [
    "/api",
    "/apis/apps/v1",
    "/api/v1/namespaces",
    "/openapi/v2",
    // Only the probes themselves are public, as upstream's system:public-info-viewer.
    "/healthz/ping",
    "/readyz/storage",
    "/livez/ping",
  ];
  for (const path of paths) {
    const res = await s.app.request(path);
    assert.equal(res.status, 401, path);
    assert.deepEqual(await res.json(), {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: "Unauthorized",
      reason: "Unauthorized",
      code: 401,
    });
  }
});

Deno.test("createApiApp() serves public routes to anonymous and unauthorized users alike", async (t) => {
  const extensions: ApiExtensions = {
    routes: [
      { method: "GET", path: "/cacerts", public: true, handle: () => new Response("CA PEM") },
      { method: "GET", path: "/private", handle: () => new Response("secret") },
    ],
  };
  const denyAll: Authorizer = {
    authorize: () => Promise.resolve({ decision: "deny", reason: "no" }),
  };
  await t.step("anonymous", async () => {
    await using s = await appWith({ user: null, extensions });
    const res = await s.app.request("/cacerts");
    assert.equal(res.status, 200);
    assert.equal(await res.text(), "CA PEM");
    assert.equal((await s.app.request("/private")).status, 401);
  });
  await t.step("a user no authorizer allows", async () => {
    await using s = await appWith({
      user: { username: "bob", groups: [] },
      authorizer: denyAll,
      extensions,
    });
    assert.equal(await (await s.app.request("/cacerts")).text(), "CA PEM");
    assert.equal((await s.app.request("/private")).status, 403);
  });
});

Deno.test("createApiApp() turns an unexpected failure into a 500 Status and logs it", async () => {
  await using s = await appWith({
    authenticator: { authenticate: () => Promise.reject(new Error("token store down")) },
  });
  const res = await s.app.request("/api/v1/namespaces");
  assert.equal(res.status, 500);
  const body = await res.json();
  assert.equal(body.reason, "InternalError");
  assert.equal(body.message, "Internal error occurred: token store down");
  assert.deepEqual(body.details, { causes: [{ message: "token store down" }] });
  assert.deepEqual(s.logger.messages("error"), ["Request failed"]);
  assert.equal(s.logger.records[0]!.fields.path, "/api/v1/namespaces");
});

Deno.test("createApiApp() routes resource paths and answers 404 for what it does not serve", async (t) => {
  await using app = await createTestApp();
  const cases: [string, string, number, string][] = [
    ["unknown path", "/foo", 404, "the server could not find the requested resource"],
    [
      "unknown resource",
      "/api/v1/widgets",
      404,
      "the server could not find the requested resource",
    ],
    [
      "unknown group",
      "/apis/example.com/v1/widgets",
      404,
      "the server could not find the requested resource",
    ],
    // A namespaced kind named without its namespace, a cluster-scoped one with one.
    [
      "pod without namespace",
      "/api/v1/pods/p",
      404,
      "the server could not find the requested resource",
    ],
    [
      "node in a namespace",
      "/api/v1/namespaces/default/nodes/n1",
      404,
      "the server could not find the requested resource",
    ],
    ["missing object", "/api/v1/namespaces/default/pods/p", 404, 'pods "p" not found'],
    [
      "missing group object",
      "/apis/apps/v1/namespaces/default/deployments/web",
      404,
      'deployments.apps "web" not found',
    ],
  ];
  for (const [name, path, code, message] of cases) {
    await t.step(name, async () => {
      const res = await app.json("GET", path);
      assert.equal(res.status, code);
      assert.equal(res.body.reason, "NotFound");
      assert.equal(res.body.message, message);
    });
  }
  await t.step("namespaces are reachable by their own name", async () => {
    assert.equal((await app.json("GET", "/api/v1/namespaces/default")).status, 200);
  });
  await t.step("all-namespace lists of a namespaced kind", async () => {
    const res = await app.json("GET", "/api/v1/services");
    assert.equal(res.status, 200);
    assert.equal(res.body.kind, "ServiceList");
  });
});

Deno.test("createApiApp() answers 405 for verbs a resource does not serve", async (t) => {
  await using app = await createTestApp();
  const cases: [string, string, string][] = [
    [
      "GET",
      "/api/v1/namespaces/default/bindings",
      'list is not supported on resources of kind "bindings"',
    ],
    [
      "DELETE",
      "/api/v1/namespaces",
      'deletecollection is not supported on resources of kind "namespaces"',
    ],
    [
      "POST",
      "/api/v1/namespaces/default/configmaps/x",
      'create is not supported on resources of kind "configmaps"',
    ],
  ];
  for (const [method, path, message] of cases) {
    await t.step(`${method} ${path}`, async () => {
      const res = await app.json(method, path, method === "POST" ? { body: {} } : {});
      assert.equal(res.status, 405);
      assert.equal(res.body.reason, "MethodNotAllowed");
      assert.equal(res.body.message, message);
    });
  }
});

Deno.test("createApiApp() refuses a request body over 3 MiB with 413", async () => {
  await using app = await createTestApp();
  const res = await app.request("/api/v1/namespaces/default/configmaps", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ metadata: { name: "big" }, data: { k: "x".repeat(3 * 1024 * 1024) } }),
  });
  assert.equal(res.status, 413);
  assert.deepEqual(await res.json(), {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message: "Request entity too large: limit is 3145728",
    reason: "RequestEntityTooLarge",
    code: 413,
  });
});

Deno.test("createApiApp() serves OpenAPI v3's index to authenticated users", async () => {
  await using app = await createTestApp();
  const res = await app.json("GET", "/openapi/v3");
  assert.equal(res.status, 200);
  assert.ok((res.body.paths as Record<string, unknown>)["apis/apps/v1"]);
});

Deno.test("authorizationAttributes() describes a request as kube-apiserver's request info", async (t) => {
  const user = { username: "bob", groups: ["system:authenticated"] };
  const cases: [string, string, Record<string, string>][] = [
    ["GET", "/api/v1/namespaces/a/pods/p", { verb: "get", namespace: "a", name: "p" }],
    ["GET", "/api/v1/namespaces/a/pods", { verb: "list", namespace: "a", name: "" }],
    [
      "GET",
      "/api/v1/pods?watch=1&fieldSelector=spec.nodeName%3Dn1",
      { verb: "watch", name: "", fieldSelector: "spec.nodeName=n1" },
    ],
    [
      "GET",
      "/api/v1/namespaces/a/secrets?fieldSelector=metadata.name%3Ds1",
      { verb: "list", name: "s1" },
    ],
    [
      "GET",
      "/api/v1/nodes?watch=true&fieldSelector=metadata.name%3D%3Dn1,spec.unschedulable%3Dfalse",
      { verb: "watch", name: "n1" },
    ],
    ["GET", "/api/v1/secrets?fieldSelector=metadata.name!%3Ds1", { verb: "list", name: "" }],
    ["GET", "/api/v1/secrets?fieldSelector=metadata.name%3D..", { verb: "list", name: "" }],
    ["GET", "/api/v1/secrets?fieldSelector=%3D%3D%3D", { verb: "list", name: "" }],
    [
      "DELETE",
      "/api/v1/namespaces/a/secrets?fieldSelector=metadata.name%3Ds1",
      { verb: "deletecollection", name: "" },
    ],
    [
      "POST",
      "/api/v1/namespaces/a/serviceaccounts/sa/token",
      { verb: "create", name: "sa", subresource: "token" },
    ],
    ["GET", "/healthz", { verb: "get", path: "/healthz", name: "" }],
  ];
  for (const [method, path, want] of cases) {
    await t.step(`${method} ${path}`, () => {
      const attrs = authorizationAttributes(new Request(`https://x${path}`, { method }), user);
      for (const [k, v] of Object.entries(want)) {
        assert.equal((attrs as unknown as Record<string, unknown>)[k], v, k);
      }
    });
  }
});
