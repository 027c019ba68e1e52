import assert from "node:assert/strict";
import { createTestApp, type TestApp } from "../_test_app.ts";
import { BUILTIN_RESOURCES } from "../registry/builtin_resources.ts";
import type { ResourceDef } from "../registry/resource_def.ts";
import { attrsOf, parseSelectors, selects } from "./rest_handler.ts";

const CM = "/api/v1/namespaces/default/configmaps";
const PODS = "/api/v1/namespaces/default/pods";
const DEPLOYMENTS = "/apis/apps/v1/namespaces/default/deployments";
const MERGE = "application/merge-patch+json";

function def(resource: string): ResourceDef {
  return BUILTIN_RESOURCES.find((d) => d.resource === resource)!;
}

interface Meta {
  name?: string;
  resourceVersion?: string;
  generation?: number;
  uid?: string;
  finalizers?: string[];
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  continue?: string;
}

function metaOf(body: Record<string, unknown>): Meta {
  return body.metadata as Meta;
}

function names(body: Record<string, unknown>): (string | undefined)[] {
  return (body.items as { metadata: Meta }[]).map((i) => i.metadata.name);
}

function configMap(name: string, extra: Record<string, unknown> = {}) {
  const { labels, ...rest } = extra as { labels?: Record<string, string> };
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, namespace: "default", ...(labels ? { labels } : {}) },
    data: { k: "v" },
    ...rest,
  };
}

function deployment(name: string) {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: "default" },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: "c", image: "nginx:1.27" }] },
      },
    },
  };
}

function pod(name: string, spec: Record<string, unknown> = {}) {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default" },
    spec: { containers: [{ name: "c", image: "busybox" }], ...spec },
  };
}

async function create(t: TestApp, path: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await t.json("POST", path, { body });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body;
}

/** Runs `f` and checks that storage was not written. */
async function storesNothing<T>(t: TestApp, f: () => Promise<T>): Promise<T> {
  const before = await t.storage.currentRevision();
  const out = await f();
  assert.equal(await t.storage.currentRevision(), before, "storage revision unchanged");
  return out;
}

// --- selectors ---------------------------------------------------------------------------------

Deno.test("parseSelectors() and selects() filter on labels and the kind's fields", () => {
  const pods = def("pods");
  const s = parseSelectors(
    pods,
    new URLSearchParams({
      labelSelector: "app=web,tier notin (db)",
      fieldSelector: "spec.nodeName=n1,status.phase!=Failed",
    }),
  );
  const attrs = attrsOf(pods);
  const obj = (labels: Record<string, string>, nodeName: string, phase: string) =>
    attrs({
      metadata: { name: "p", namespace: "default", labels },
      spec: { nodeName },
      status: { phase },
    });
  assert.equal(selects(s, obj({ app: "web" }, "n1", "Running")), true);
  assert.equal(selects(s, obj({ app: "web", tier: "db" }, "n1", "Running")), false);
  assert.equal(selects(s, obj({ app: "web" }, "n2", "Running")), false);
  assert.equal(selects(s, obj({ app: "web" }, "n1", "Failed")), false);
  assert.deepEqual(
    attrs({ metadata: { name: "p", namespace: "ns" } }).fields["metadata.namespace"],
    "ns",
  );
  assert.equal(
    attrsOf(def("nodes"))({ metadata: { name: "n" } }).fields["metadata.namespace"],
    undefined,
  );
});

Deno.test("GET of a collection answers 400 for a selector kube-apiserver refuses", async (t) => {
  await using app = await createTestApp();
  const cases: [string, string][] = [
    ["labelSelector=a%3Db,", "found '', expected: identifier after ','"],
    ["labelSelector=a%20in%20(b", "unable to parse requirement: found '', expected: ',' or ')'"],
    ["labelSelector=%3Dx", "found '=', expected: !, identifier, or 'end of string'"],
    ["fieldSelector=spec.nodeName%3Dn1", "field label not supported: spec.nodeName"],
    ["fieldSelector=data.k%3Dv", "field label not supported: data.k"],
  ];
  for (const [query, message] of cases) {
    await t.step(query, async () => {
      const res = await app.json("GET", `${CM}?${query}`);
      assert.equal(res.status, 400);
      assert.deepEqual(res.body, {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message,
        reason: "BadRequest",
        code: 400,
      });
    });
  }
});

Deno.test("GET of a collection filters by label and field selectors", async () => {
  await using t = await createTestApp();
  await create(t, CM, configMap("a", { labels: { app: "web", tier: "front" } }));
  await create(t, CM, configMap("b", { labels: { app: "web", tier: "back" } }));
  await create(t, CM, configMap("c", { labels: { app: "db" } }));
  const cases: [string, string[]][] = [
    ["labelSelector=app%3Dweb", ["a", "b"]],
    ["labelSelector=app%3Dweb,tier!%3Dback", ["a"]],
    ["labelSelector=tier", ["a", "b"]],
    ["labelSelector=!tier", ["c"]],
    ["labelSelector=app%20in%20(db,x)", ["c"]],
    ["fieldSelector=metadata.name%3Db", ["b"]],
    ["fieldSelector=metadata.name!%3Db", ["a", "c"]],
    ["fieldSelector=metadata.namespace%3Ddefault&labelSelector=app%3Ddb", ["c"]],
  ];
  for (const [query, want] of cases) {
    const res = await t.json("GET", `${CM}?${query}`);
    assert.equal(res.status, 200, query);
    assert.deepEqual(names(res.body), want, query);
  }
  // Across namespaces, by namespace field.
  const all = await t.json("GET", "/api/v1/configmaps?fieldSelector=metadata.namespace%3Ddefault");
  assert.deepEqual(names(all.body), ["a", "b", "c"]);
});

// --- list: resourceVersion, limit and continue ---------------------------------------------------

Deno.test("GET of a collection follows the resourceVersion rules of a list", async (t) => {
  await using app = await createTestApp();
  await create(app, CM, configMap("a"));
  const current = await app.storage.currentRevision();
  await t.step("unset and 0: the current state, at the current revision", async () => {
    for (const q of ["", "?resourceVersion=0"]) {
      const res = await app.json("GET", `${CM}${q}`);
      assert.equal(res.status, 200);
      assert.equal(res.body.kind, "ConfigMapList");
      assert.equal(res.body.apiVersion, "v1");
      assert.equal(metaOf(res.body).resourceVersion, String(current));
      assert.deepEqual(names(res.body), ["a"]);
    }
  });
  await t.step("NotOlderThan an older revision: the current state", async () => {
    for (
      const q of ["?resourceVersion=1", "?resourceVersion=1&resourceVersionMatch=NotOlderThan"]
    ) {
      const res = await app.json("GET", `${CM}${q}`);
      assert.equal(metaOf(res.body).resourceVersion, String(current));
    }
  });
  await t.step("Exact: the state at that revision", async () => {
    await create(app, CM, configMap("b"));
    const res = await app.json(
      "GET",
      `${CM}?resourceVersion=${current}&resourceVersionMatch=Exact`,
    );
    assert.equal(res.status, 200);
    assert.equal(metaOf(res.body).resourceVersion, String(current));
    assert.deepEqual(names(res.body), ["a"]);
  });
  await t.step("too large: 504 Timeout with a retry", async () => {
    const now = await app.storage.currentRevision();
    const res = await app.json("GET", `${CM}?resourceVersion=${now + 100}`);
    assert.equal(res.status, 504);
    assert.equal(res.headers.get("retry-after"), "1");
    const message = `Too large resource version: ${now + 100}, current: ${now}`;
    assert.deepEqual(res.body, {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message,
      reason: "Timeout",
      details: { causes: [{ reason: "ResourceVersionTooLarge", message }], retryAfterSeconds: 1 },
      code: 504,
    });
  });
  await t.step("malformed: 400", async () => {
    const res = await app.json("GET", `${CM}?resourceVersion=abc`);
    assert.equal(res.status, 400);
    assert.equal(res.body.reason, "BadRequest");
  });
});

Deno.test("GET with limit pages through one consistent snapshot while writes happen", async () => {
  await using t = await createTestApp();
  for (const n of ["a", "b", "c", "d", "e"]) await create(t, CM, configMap(n));
  const first = await t.json("GET", `${CM}?limit=2`);
  assert.deepEqual(names(first.body), ["a", "b"]);
  const snapshot = metaOf(first.body).resourceVersion;
  const token = metaOf(first.body).continue;
  assert.ok(token);
  // Writes after the first page do not show in the next ones.
  assert.equal((await t.json("DELETE", `${CM}/c`)).status, 200);
  await create(t, CM, configMap("bb"));
  await create(t, CM, configMap("f"));
  const second = await t.json("GET", `${CM}?limit=2&continue=${encodeURIComponent(token)}`);
  assert.deepEqual(names(second.body), ["c", "d"]);
  assert.equal(metaOf(second.body).resourceVersion, snapshot);
  const third = await t.json(
    "GET",
    `${CM}?limit=2&continue=${encodeURIComponent(metaOf(second.body).continue!)}`,
  );
  assert.deepEqual(names(third.body), ["e"]);
  assert.equal(metaOf(third.body).continue, undefined, "the last page has no token");
  // A limit covering everything gives no token.
  const whole = await t.json("GET", `${CM}?limit=10`);
  assert.equal(metaOf(whole.body).continue, undefined);
  assert.deepEqual(names(whole.body), ["a", "b", "bb", "d", "e", "f"]);
});

Deno.test("GET with limit and a selector fills pages with matching objects only", async () => {
  await using t = await createTestApp();
  for (const [n, app] of [["a", "x"], ["b", "y"], ["c", "x"], ["d", "y"], ["e", "x"]]) {
    await create(t, CM, configMap(n!, { labels: { app: app! } }));
  }
  const first = await t.json("GET", `${CM}?limit=2&labelSelector=app%3Dx`);
  assert.deepEqual(names(first.body), ["a", "c"]);
  const next = await t.json(
    "GET",
    `${CM}?limit=2&labelSelector=app%3Dx&continue=${
      encodeURIComponent(metaOf(first.body).continue!)
    }`,
  );
  assert.deepEqual(names(next.body), ["e"]);
  assert.equal(metaOf(next.body).continue, undefined);
});

Deno.test("GET with an expired continue token answers 410 Expired", async () => {
  await using t = await createTestApp();
  for (const n of ["a", "b", "c"]) await create(t, CM, configMap(n));
  const first = await t.json("GET", `${CM}?limit=1`);
  const token = metaOf(first.body).continue!;
  await create(t, CM, configMap("d"));
  await t.storage.compact(await t.storage.currentRevision());
  const res = await t.json("GET", `${CM}?limit=1&continue=${encodeURIComponent(token)}`);
  assert.equal(res.status, 410);
  assert.equal(res.body.reason, "Expired");
  assert.equal(
    res.body.message,
    "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.",
  );
});

Deno.test("GET with continue refuses a resourceVersion, as kube-apiserver", async () => {
  await using t = await createTestApp();
  for (const n of ["a", "b"]) await create(t, CM, configMap(n));
  const token = metaOf((await t.json("GET", `${CM}?limit=1`)).body).continue!;
  const res = await t.json(
    "GET",
    `${CM}?limit=1&resourceVersion=5&continue=${encodeURIComponent(token)}`,
  );
  assert.equal(res.status, 400);
  assert.equal(res.body.message, "specifying resource version is not allowed when using continue");
  // resourceVersion=0 is allowed with continue.
  const ok = await t.json(
    "GET",
    `${CM}?limit=1&resourceVersion=0&continue=${encodeURIComponent(token)}`,
  );
  assert.deepEqual(names(ok.body), ["b"]);
});

// --- create ------------------------------------------------------------------------------------

Deno.test("POST sets the server-owned metadata and answers 201", async () => {
  await using t = await createTestApp();
  const before = Date.now();
  const body = await create(t, CM, {
    ...configMap("a"),
    metadata: {
      name: "a",
      uid: "client-uid",
      resourceVersion: "",
      deletionTimestamp: "2020-01-01T00:00:00Z",
      generation: 7,
    },
  });
  const meta = metaOf(body) as Meta & { creationTimestamp: string; namespace: string };
  assert.match(meta.uid!, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.notEqual(meta.uid, "client-uid");
  assert.equal(meta.namespace, "default");
  assert.equal(meta.resourceVersion, String(await t.storage.currentRevision()));
  assert.match(meta.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.ok(Date.parse(meta.creationTimestamp) >= Math.floor(before / 1000) * 1000);
  assert.equal(meta.deletionTimestamp, undefined);
  assert.equal(meta.generation, undefined, "a ConfigMap has no generation");
  const dep = await create(t, DEPLOYMENTS, deployment("web"));
  assert.equal(metaOf(dep).generation, 1);
});

Deno.test("POST answers kube-apiserver's errors for bad requests", async (t) => {
  await using app = await createTestApp();
  await create(app, CM, configMap("taken"));
  const cases: [string, string, unknown, number, string, string][] = [
    ["exists", CM, configMap("taken"), 409, "AlreadyExists", 'configmaps "taken" already exists'],
    [
      "resourceVersion set",
      CM,
      { metadata: { name: "x", resourceVersion: "3" } },
      400,
      "BadRequest",
      "resourceVersion should not be set on objects to be created",
    ],
    [
      "other namespace",
      CM,
      { metadata: { name: "x", namespace: "kube-system" } },
      400,
      "BadRequest",
      "the namespace of the provided object does not match the namespace sent on the request",
    ],
    [
      "invalid name",
      CM,
      { metadata: { name: "Not_Valid" } },
      422,
      "Invalid",
      `ConfigMap "Not_Valid" is invalid: metadata.name: Invalid value: "Not_Valid": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    ],
    [
      "no name",
      CM,
      { metadata: {} },
      422,
      "Invalid",
      'ConfigMap "" is invalid: metadata.name: Required value: name or generateName is required',
    ],
  ];
  for (const [name, path, body, code, reason, message] of cases) {
    await t.step(name, async () => {
      const res = await app.json("POST", path, { body });
      assert.equal(res.status, code, JSON.stringify(res.body));
      assert.equal(res.body.reason, reason);
      assert.equal(res.body.message, message);
    });
  }
  await t.step("AlreadyExists details name the resource", async () => {
    const res = await app.json("POST", CM, { body: configMap("taken") });
    assert.deepEqual(res.body.details, { name: "taken", kind: "configmaps" });
  });
  await t.step("Invalid details name the kind and list the causes", async () => {
    const res = await app.json("POST", CM, { body: { metadata: {} } });
    assert.deepEqual(res.body.details, {
      kind: "ConfigMap",
      causes: [{
        reason: "FieldValueRequired",
        message: "Required value: name or generateName is required",
        field: "metadata.name",
      }],
    });
  });
  await t.step("a named POST is not a create", async () => {
    const res = await app.json("POST", `${CM}/taken`, { body: configMap("taken") });
    assert.equal(res.status, 405);
    assert.equal(res.body.message, 'create is not supported on resources of kind "configmaps"');
  });
});

Deno.test("POST with generateName retries a collision, then gives up with 409", async () => {
  await using t = await createTestApp();
  const random = Math.random;
  try {
    Math.random = () => 0; // every generated name is "g-bbbbb"
    const first = await create(t, CM, { metadata: { generateName: "g-" } });
    assert.equal(metaOf(first).name, "g-bbbbb");
    const before = await t.storage.currentRevision();
    const res = await t.json("POST", CM, { body: { metadata: { generateName: "g-" } } });
    assert.equal(res.status, 409);
    assert.equal(res.body.reason, "AlreadyExists");
    assert.equal(
      res.body.message,
      'configmaps "g-bbbbb" already exists, the server was not able to generate a unique name for the object',
    );
    assert.equal(await t.storage.currentRevision(), before);
    // The first draws collide, a later one is free: the create succeeds under it.
    let calls = 0;
    Math.random = () => (calls++ < 5 ? 0 : 0.5);
    const retried = await create(t, CM, { metadata: { generateName: "g-" } });
    assert.equal(metaOf(retried).name, "g-rrrrr");
    assert.ok(calls > 5, "a second name was drawn");
  } finally {
    Math.random = random;
  }
});

// --- dry run -----------------------------------------------------------------------------------

Deno.test("dryRun=All on every verb answers as usual and stores nothing", async (t) => {
  await using app = await createTestApp();
  await create(app, CM, configMap("a"));
  await t.step("create", async () => {
    const res = await storesNothing(
      app,
      () => app.json("POST", `${CM}?dryRun=All`, { body: configMap("dry") }),
    );
    assert.equal(res.status, 201);
    assert.equal(metaOf(res.body).name, "dry");
    assert.ok(metaOf(res.body).uid);
    assert.equal((await app.json("GET", `${CM}/dry`)).status, 404);
  });
  await t.step("update", async () => {
    const res = await storesNothing(
      app,
      () =>
        app.json("PUT", `${CM}/a?dryRun=All`, { body: configMap("a", { data: { k: "changed" } }) }),
    );
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.data, { k: "changed" });
    assert.deepEqual((await app.json("GET", `${CM}/a`)).body.data, { k: "v" });
  });
  await t.step("patch", async () => {
    const res = await storesNothing(
      app,
      () =>
        app.json("PATCH", `${CM}/a?dryRun=All`, {
          body: { data: { k: "patched" } },
          contentType: MERGE,
        }),
    );
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.data, { k: "patched" });
  });
  await t.step("delete", async () => {
    const res = await storesNothing(app, () => app.json("DELETE", `${CM}/a?dryRun=All`));
    assert.equal(res.status, 200);
    assert.equal(res.body.status, "Success");
    assert.equal((await app.json("GET", `${CM}/a`)).status, 200);
  });
  await t.step("delete with dryRun in the DeleteOptions body", async () => {
    await storesNothing(app, () => app.json("DELETE", `${CM}/a`, { body: { dryRun: ["All"] } }));
    assert.equal((await app.json("GET", `${CM}/a`)).status, 200);
  });
  await t.step("deletecollection", async () => {
    const res = await storesNothing(app, () => app.json("DELETE", `${CM}?dryRun=All`));
    assert.equal(res.status, 200);
    assert.deepEqual(names(res.body), ["a"]);
    assert.equal((await app.json("GET", `${CM}/a`)).status, 200);
  });
  await t.step("other values: 422 on the verb's options", async () => {
    const res = await storesNothing(
      app,
      () => app.json("POST", `${CM}?dryRun=Some`, { body: configMap("x") }),
    );
    assert.equal(res.status, 422);
    assert.equal(
      res.body.message,
      'CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"Some"}: supported values: "All"',
    );
  });
});

// --- field validation --------------------------------------------------------------------------

Deno.test("fieldValidation Strict refuses, Warn warns with a 299 header, Ignore drops", async (t) => {
  await using app = await createTestApp();
  const body = { ...configMap("x"), spec: { foo: 1 } };
  await t.step("Strict", async () => {
    const res = await app.json("POST", `${CM}?fieldValidation=Strict`, { body });
    assert.equal(res.status, 400);
    assert.equal(
      res.body.message,
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "spec"',
    );
  });
  for (const q of ["?fieldValidation=Warn", ""]) {
    await t.step(`Warn (${q || "default"})`, async () => {
      const name = q ? "warn" : "default";
      const res = await app.json("POST", `${CM}${q}`, { body: { ...body, metadata: { name } } });
      assert.equal(res.status, 201);
      assert.equal(res.headers.get("warning"), '299 - "unknown field \\"spec\\""');
      assert.equal(res.body.spec, undefined);
    });
  }
  await t.step("Ignore", async () => {
    const res = await app.json("POST", `${CM}?fieldValidation=Ignore`, {
      body: { ...body, metadata: { name: "ign" } },
    });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get("warning"), null);
  });
  await t.step("PATCH: the patched object is decoded the same way", async () => {
    const strict = await app.json("PATCH", `${CM}/warn?fieldValidation=Strict`, {
      body: { spec: { bar: 1 } },
      contentType: MERGE,
    });
    assert.equal(strict.status, 400);
    assert.equal(
      strict.body.message,
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "spec"',
    );
    const warn = await app.json("PATCH", `${CM}/warn`, {
      body: { spec: { bar: 1 } },
      contentType: MERGE,
    });
    assert.equal(warn.status, 200);
    assert.equal(warn.headers.get("warning"), '299 - "unknown field \\"spec\\""');
  });
  await t.step("PUT", async () => {
    const res = await app.json("PUT", `${CM}/warn?fieldValidation=Strict`, {
      body: { ...body, metadata: { name: "warn", namespace: "default" } },
    });
    assert.equal(res.status, 400);
  });
});

// --- update: optimistic concurrency, no-ops, generation, status ----------------------------------

Deno.test("PUT with a stale resourceVersion answers 409; without one it is unconditional", async () => {
  await using t = await createTestApp();
  const created = await create(t, CM, configMap("a"));
  const rv = metaOf(created).resourceVersion!;
  const ok = await t.json("PUT", `${CM}/a`, {
    body: {
      ...configMap("a", { data: { k: "2" } }),
      metadata: { name: "a", namespace: "default", resourceVersion: rv },
    },
  });
  assert.equal(ok.status, 200);
  assert.notEqual(metaOf(ok.body).resourceVersion, rv);
  const stale = await storesNothing(t, () =>
    t.json("PUT", `${CM}/a`, {
      body: {
        ...configMap("a", { data: { k: "3" } }),
        metadata: { name: "a", namespace: "default", resourceVersion: rv },
      },
    }));
  assert.equal(stale.status, 409);
  assert.deepEqual(stale.body, {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message:
      'Operation cannot be fulfilled on configmaps "a": the object has been modified; please apply your changes to the latest version and try again',
    reason: "Conflict",
    details: { name: "a", kind: "configmaps" },
    code: 409,
  });
  const unconditional = await t.json("PUT", `${CM}/a`, {
    body: configMap("a", { data: { k: "4" } }),
  });
  assert.equal(unconditional.status, 200);
  // A resourceVersion in a merge patch is a precondition too.
  const patch = await t.json("PATCH", `${CM}/a`, {
    body: { metadata: { resourceVersion: rv }, data: { k: "5" } },
    contentType: MERGE,
  });
  assert.equal(patch.status, 409);
});

Deno.test("PUT answers 400 for a name or namespace that differs from the URL, 404 when missing", async () => {
  await using t = await createTestApp();
  await create(t, CM, configMap("a"));
  const name = await t.json("PUT", `${CM}/a`, { body: configMap("b") });
  assert.equal(name.status, 400);
  assert.equal(
    name.body.message,
    "the name of the object (b) does not match the name on the URL (a)",
  );
  const ns = await t.json("PUT", `${CM}/a`, {
    body: { ...configMap("a"), metadata: { name: "a", namespace: "kube-system" } },
  });
  assert.equal(ns.status, 400);
  assert.equal(
    ns.body.message,
    "the namespace of the provided object does not match the namespace sent on the request",
  );
  const missing = await t.json("PUT", `${CM}/nope`, { body: configMap("nope") });
  assert.equal(missing.status, 404);
  assert.equal(missing.body.message, 'configmaps "nope" not found');
  // Kinds that allow create on update (Endpoints) create instead.
  const ep = await t.json("PUT", "/api/v1/namespaces/default/endpoints/ep", {
    body: { apiVersion: "v1", kind: "Endpoints", metadata: { name: "ep", namespace: "default" } },
  });
  assert.equal(ep.status, 201);
});

Deno.test("An update that changes nothing writes nothing and keeps the resourceVersion", async () => {
  await using t = await createTestApp();
  const created = await create(t, CM, configMap("a"));
  const same = await storesNothing(t, () => t.json("PUT", `${CM}/a`, { body: configMap("a") }));
  assert.equal(same.status, 200);
  assert.equal(metaOf(same.body).resourceVersion, metaOf(created).resourceVersion);
  const patch = await storesNothing(
    t,
    () => t.json("PATCH", `${CM}/a`, { body: { data: { k: "v" } }, contentType: MERGE }),
  );
  assert.equal(patch.status, 200);
  assert.equal(metaOf(patch.body).resourceVersion, metaOf(created).resourceVersion);
});

Deno.test("metadata.generation counts spec changes, and a Deployment's annotations", async (t) => {
  await using app = await createTestApp();
  await create(app, DEPLOYMENTS, deployment("web"));
  const patch = async (path: string, body: unknown) => {
    const res = await app.json("PATCH", path, { body, contentType: MERGE });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return metaOf(res.body).generation;
  };
  const web = `${DEPLOYMENTS}/web`;
  await t.step("labels: no bump", async () => {
    assert.equal(await patch(web, { metadata: { labels: { a: "b" } } }), 1);
  });
  await t.step("annotations of a Deployment: bump", async () => {
    assert.equal(await patch(web, { metadata: { annotations: { note: "x" } } }), 2);
  });
  await t.step("spec: bump", async () => {
    assert.equal(await patch(web, { spec: { replicas: 3 } }), 3);
  });
  await t.step("status through the main resource: ignored, no write", async () => {
    const before = await app.storage.currentRevision();
    assert.equal(await patch(web, { status: { replicas: 3 } }), 3);
    assert.equal(await app.storage.currentRevision(), before);
  });
  await t.step("status subresource: written, no bump", async () => {
    assert.equal(
      await patch(`${web}/status`, { status: { replicas: 3, observedGeneration: 3 } }),
      3,
    );
  });
  await t.step("annotations of another kind: no bump", async () => {
    await create(app, "/apis/apps/v1/namespaces/default/replicasets", {
      ...deployment("rs"),
      kind: "ReplicaSet",
      metadata: { name: "rs", namespace: "default" },
    });
    assert.equal(
      await patch("/apis/apps/v1/namespaces/default/replicasets/rs", {
        metadata: { annotations: { n: "1" } },
      }),
      1,
    );
  });
});

Deno.test("The status subresource splits writes: spec through the resource, status through /status", async () => {
  await using t = await createTestApp();
  const created = await create(t, DEPLOYMENTS, deployment("web"));
  // Kinds with a status subresource come back with kube-apiserver's zero status.
  assert.deepEqual(created.status, {});
  const status = await t.json("PATCH", `${DEPLOYMENTS}/web/status`, {
    body: { spec: { replicas: 9 }, status: { replicas: 1, readyReplicas: 1 } },
    contentType: MERGE,
  });
  assert.equal(status.status, 200);
  assert.deepEqual(status.body.status, { replicas: 1, readyReplicas: 1 });
  assert.equal((status.body.spec as { replicas: number }).replicas, 1, "spec changes are ignored");
  const main = await t.json("PUT", `${DEPLOYMENTS}/web`, {
    body: {
      ...deployment("web"),
      spec: { ...deployment("web").spec, replicas: 2 },
      status: { replicas: 7 },
    },
  });
  assert.equal(main.status, 200);
  assert.deepEqual(main.body.status, { replicas: 1, readyReplicas: 1 }, "status is kept");
  assert.equal((main.body.spec as { replicas: number }).replicas, 2);
  const got = await t.json("GET", `${DEPLOYMENTS}/web/status`);
  assert.equal(got.body.kind, "Deployment");
  assert.deepEqual(got.body.status, { replicas: 1, readyReplicas: 1 });
  // A kind without a status subresource has no /status.
  assert.equal((await t.json("GET", `${CM}/nope/status`)).status, 404);
});

Deno.test("POST answers the zero status of kinds with a status subresource, as kube-apiserver", async (t) => {
  await using app = await createTestApp();
  const template = deployment("x").spec.template;
  const selector = { matchLabels: { app: "x" } };
  const cases: [string, string, Record<string, unknown>, unknown][] = [
    ["Deployment", DEPLOYMENTS, { spec: deployment("x").spec }, {}],
    [
      "ReplicaSet",
      "/apis/apps/v1/namespaces/default/replicasets",
      { spec: { selector, template } },
      { replicas: 0 },
    ],
    [
      "DaemonSet",
      "/apis/apps/v1/namespaces/default/daemonsets",
      { spec: { selector, template } },
      {
        currentNumberScheduled: 0,
        numberMisscheduled: 0,
        desiredNumberScheduled: 0,
        numberReady: 0,
      },
    ],
    [
      "StatefulSet",
      "/apis/apps/v1/namespaces/default/statefulsets",
      { spec: { selector, template, serviceName: "x" } },
      { replicas: 0, availableReplicas: 0 },
    ],
    [
      "Job",
      "/apis/batch/v1/namespaces/default/jobs",
      {
        spec: {
          template: {
            spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox" }] },
          },
        },
      },
      {},
    ],
    [
      "PodDisruptionBudget",
      "/apis/policy/v1/namespaces/default/poddisruptionbudgets",
      { spec: { minAvailable: 1, selector } },
      { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 },
    ],
    [
      "Ingress",
      "/apis/networking.k8s.io/v1/namespaces/default/ingresses",
      { spec: { defaultBackend: { service: { name: "x", port: { number: 80 } } } } },
      { loadBalancer: {} },
    ],
  ];
  for (const [kind, path, rest, status] of cases) {
    await t.step(kind, async () => {
      const body = {
        apiVersion: path.startsWith("/apis/") ? path.split("/").slice(2, 4).join("/") : "v1",
        kind,
        metadata: { name: "x", namespace: "default" },
        ...rest,
        status: { bogus: "dropped" },
      };
      const res = await app.json("POST", path, { body });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.deepEqual(res.body.status, status);
      // Stored the same way.
      assert.deepEqual((await app.json("GET", `${path}/x`)).body.status, status);
    });
  }
});

// --- delete ------------------------------------------------------------------------------------

Deno.test("DELETE answers a Success Status naming the object, then 404", async () => {
  await using t = await createTestApp();
  const created = await create(t, CM, configMap("a"));
  const res = await t.json("DELETE", `${CM}/a`);
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Success",
    details: { name: "a", kind: "configmaps", uid: metaOf(created).uid },
  });
  const again = await t.json("DELETE", `${CM}/a`);
  assert.equal(again.status, 404);
  assert.equal(again.body.message, 'configmaps "a" not found');
  const dep = await create(t, DEPLOYMENTS, deployment("web"));
  const del = await t.json("DELETE", `${DEPLOYMENTS}/web`, {
    body: { propagationPolicy: "Background" },
  });
  assert.deepEqual(del.body.details, {
    name: "web",
    group: "apps",
    kind: "deployments",
    uid: metaOf(dep).uid,
  });
});

Deno.test("DELETE of a pod: a scheduled pod gets its grace period, an unscheduled one goes at once", async () => {
  await using t = await createTestApp();
  await create(t, PODS, pod("unscheduled"));
  const gone = await t.json("DELETE", `${PODS}/unscheduled`);
  assert.equal(gone.status, 200);
  assert.equal(gone.body.kind, "Pod", "pods answer the deleted object");
  assert.equal(metaOf(gone.body).deletionTimestamp, undefined);
  assert.equal((await t.json("GET", `${PODS}/unscheduled`)).status, 404);

  await create(t, PODS, pod("running", { nodeName: "n1", terminationGracePeriodSeconds: 45 }));
  const before = Date.now();
  const graceful = await t.json("DELETE", `${PODS}/running`);
  assert.equal(graceful.status, 200);
  const meta = metaOf(graceful.body);
  assert.equal(meta.deletionGracePeriodSeconds, 45);
  const due = Date.parse(meta.deletionTimestamp!);
  assert.ok(
    due >= Math.floor(before / 1000) * 1000 + 45_000 && due <= Date.now() + 45_000,
    String(meta.deletionTimestamp),
  );
  assert.equal((await t.json("GET", `${PODS}/running`)).status, 200, "still there");
  // A longer grace period never extends the deadline; a shorter one moves it closer.
  const longer = await t.json("DELETE", `${PODS}/running`, { body: { gracePeriodSeconds: 100 } });
  assert.equal(metaOf(longer.body).deletionTimestamp, meta.deletionTimestamp);
  const shorter = await t.json("DELETE", `${PODS}/running?gracePeriodSeconds=10`);
  assert.equal(metaOf(shorter.body).deletionGracePeriodSeconds, 10);
  // The node agent confirms with grace 0.
  const confirmed = await t.json("DELETE", `${PODS}/running`, { body: { gracePeriodSeconds: 0 } });
  assert.equal(confirmed.status, 200);
  assert.equal((await t.json("GET", `${PODS}/running`)).status, 404);
});

Deno.test("DELETE with finalizers marks the object; removing the last finalizer deletes it", async () => {
  await using t = await createTestApp();
  await create(t, CM, {
    ...configMap("f"),
    metadata: { name: "f", finalizers: ["example.com/keep"] },
  });
  const res = await t.json("DELETE", `${CM}/f`);
  assert.equal(res.status, 200);
  assert.equal(res.body.kind, "ConfigMap", "the object is returned while it stays");
  const meta = metaOf(res.body);
  assert.ok(meta.deletionTimestamp);
  assert.equal(meta.deletionGracePeriodSeconds, 0);
  assert.deepEqual(meta.finalizers, ["example.com/keep"]);
  assert.equal((await t.json("GET", `${CM}/f`)).status, 200);
  // Deleting again changes nothing.
  await storesNothing(t, () => t.json("DELETE", `${CM}/f`));
  // No new finalizers once deleting.
  const added = await t.json("PATCH", `${CM}/f`, {
    body: { metadata: { finalizers: ["example.com/keep", "example.com/new"] } },
    contentType: MERGE,
  });
  assert.equal(added.status, 422);
  assert.equal(
    added.body.message,
    'ConfigMap "f" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"example.com/new"}',
  );
  // The deletion timestamp cannot be taken back.
  const undo = await t.json("PATCH", `${CM}/f`, {
    body: { metadata: { deletionTimestamp: null, labels: { a: "b" } } },
    contentType: MERGE,
  });
  assert.equal(undo.status, 200);
  assert.equal(metaOf(undo.body).deletionTimestamp, meta.deletionTimestamp);
  const removed = await t.json("PATCH", `${CM}/f`, {
    body: { metadata: { finalizers: null } },
    contentType: MERGE,
  });
  assert.equal(removed.status, 200);
  assert.equal((await t.json("GET", `${CM}/f`)).status, 404);
});

Deno.test("DELETE with propagationPolicy Foreground or Orphan adds the GC finalizer", async (t) => {
  await using app = await createTestApp();
  for (
    const [policy, finalizer] of [["Foreground", "foregroundDeletion"], [
      "Orphan",
      "orphan",
    ]] as const
  ) {
    await t.step(policy, async () => {
      const name = policy.toLowerCase();
      await create(app, DEPLOYMENTS, deployment(name));
      const res = await app.json("DELETE", `${DEPLOYMENTS}/${name}`, {
        body: { propagationPolicy: policy },
      });
      assert.equal(res.status, 200);
      assert.equal(res.body.kind, "Deployment");
      assert.deepEqual(metaOf(res.body).finalizers, [finalizer]);
      assert.ok(metaOf(res.body).deletionTimestamp);
      assert.equal((await app.json("GET", `${DEPLOYMENTS}/${name}`)).status, 200);
    });
  }
  await t.step("switching from Foreground to Orphan swaps the finalizer", async () => {
    const res = await app.json("DELETE", `${DEPLOYMENTS}/foreground?propagationPolicy=Orphan`);
    assert.deepEqual(metaOf(res.body).finalizers, ["orphan"]);
  });
  await t.step("orphanDependents=true is Orphan", async () => {
    await create(app, DEPLOYMENTS, deployment("legacy"));
    const res = await app.json("DELETE", `${DEPLOYMENTS}/legacy`, {
      body: { orphanDependents: true },
    });
    assert.deepEqual(metaOf(res.body).finalizers, ["orphan"]);
  });
  await t.step("an unknown policy: 422", async () => {
    const res = await app.json("DELETE", `${DEPLOYMENTS}/legacy`, {
      body: { propagationPolicy: "Sometimes" },
    });
    assert.equal(res.status, 422);
    assert.equal(res.body.reason, "Invalid");
    assert.match(
      res.body.message as string,
      /propagationPolicy: Unsupported value: "Sometimes": supported values: "Foreground", "Background", "Orphan", "nil"$/,
    );
  });
});

Deno.test("DELETE of a batch/v1 Job with no policy orphans its pods, as upstream's default", async (t) => {
  await using app = await createTestApp();
  const JOBS = "/apis/batch/v1/namespaces/default/jobs";
  const job = (name: string) => ({
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name },
    spec: {
      template: {
        spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox" }] },
      },
    },
  });
  await t.step("no policy: the orphan finalizer", async () => {
    await create(app, JOBS, job("plain"));
    const res = await app.json("DELETE", `${JOBS}/plain`);
    assert.equal(res.status, 200);
    assert.deepEqual(metaOf(res.body).finalizers, ["orphan"]);
  });
  await t.step("an explicit Background (what kubectl sends) deletes at once", async () => {
    await create(app, JOBS, job("background"));
    const res = await app.json("DELETE", `${JOBS}/background?propagationPolicy=Background`);
    assert.equal(res.status, 200);
    assert.equal((await app.json("GET", `${JOBS}/background`)).status, 404);
  });
  await t.step("a Foreground delete in progress is not turned into an orphaning one", async () => {
    await create(app, JOBS, job("fg"));
    await app.json("DELETE", `${JOBS}/fg?propagationPolicy=Foreground`);
    const again = await app.json("DELETE", `${JOBS}/fg`);
    assert.deepEqual(metaOf(again.body).finalizers, ["foregroundDeletion"]);
  });
  await t.step("other kinds still default to background", async () => {
    await create(app, DEPLOYMENTS, deployment("plain"));
    assert.equal((await app.json("DELETE", `${DEPLOYMENTS}/plain`)).status, 200);
    assert.equal((await app.json("GET", `${DEPLOYMENTS}/plain`)).status, 404);
  });
});

Deno.test("DELETE checks the uid and resourceVersion preconditions", async () => {
  await using t = await createTestApp();
  const created = await create(t, CM, configMap("a"));
  const { uid, resourceVersion } = metaOf(created);
  const wrongUid = await storesNothing(
    t,
    () => t.json("DELETE", `${CM}/a`, { body: { preconditions: { uid: "other" } } }),
  );
  assert.equal(wrongUid.status, 409);
  assert.equal(wrongUid.body.reason, "Conflict");
  assert.equal(
    wrongUid.body.message,
    `Operation cannot be fulfilled on configmaps "a": Precondition failed: UID in precondition: other, UID in object meta: ${uid}`,
  );
  const wrongRv = await t.json("DELETE", `${CM}/a`, {
    body: { preconditions: { resourceVersion: "1" } },
  });
  assert.equal(wrongRv.status, 409);
  assert.equal(
    wrongRv.body.message,
    `Operation cannot be fulfilled on configmaps "a": Precondition failed: ResourceVersion in precondition: 1, ResourceVersion in meta: ${resourceVersion}`,
  );
  const ok = await t.json("DELETE", `${CM}/a`, {
    body: { preconditions: { uid, resourceVersion } },
  });
  assert.equal(ok.status, 200);
});

Deno.test("DELETE of a collection deletes what the selectors match and lists it", async () => {
  await using t = await createTestApp();
  await create(t, CM, configMap("a", { labels: { app: "x" } }));
  await create(t, CM, configMap("b", { labels: { app: "x" } }));
  await create(t, CM, configMap("c", { labels: { app: "y" } }));
  await create(t, "/api/v1/namespaces/kube-public/configmaps", {
    ...configMap("d", { labels: { app: "x" } }),
    metadata: { name: "d", labels: { app: "x" } },
  });
  const res = await t.json("DELETE", `${CM}?labelSelector=app%3Dx`);
  assert.equal(res.status, 200);
  assert.equal(res.body.kind, "ConfigMapList");
  assert.deepEqual(names(res.body), ["a", "b"]);
  assert.deepEqual(names((await t.json("GET", CM)).body), ["c"]);
  assert.equal(
    (await t.json("GET", "/api/v1/namespaces/kube-public/configmaps/d")).status,
    200,
    "other namespaces are untouched",
  );
  // Namespaces do not support deletecollection.
  const ns = await t.json("DELETE", "/api/v1/namespaces");
  assert.equal(ns.status, 405);
  assert.equal(
    ns.body.message,
    'deletecollection is not supported on resources of kind "namespaces"',
  );
});

// --- fixes found by review ---------------------------------------------------------------------

Deno.test("DELETE accepts DeleteOptions as protobuf, as typed clients send them", async () => {
  await using app = await createTestApp();
  const { Writer } = (await import("protobufjs")).default;
  const options = Writer.create().uint32((4 << 3) | 2).string("Orphan").finish();
  const typeMeta = Writer.create().uint32((1 << 3) | 2).string("v1").uint32((2 << 3) | 2)
    .string("DeleteOptions").finish();
  const unknown = Writer.create().uint32((1 << 3) | 2).bytes(typeMeta).uint32((2 << 3) | 2)
    .bytes(options).finish();
  const body = new Uint8Array([0x6b, 0x38, 0x73, 0x00, ...unknown]);
  assert.equal((await app.json("POST", DEPLOYMENTS, { body: deployment("pb") })).status, 201);
  const res = await app.request(`${DEPLOYMENTS}/pb`, {
    method: "DELETE",
    body,
    headers: { "content-type": "application/vnd.kubernetes.protobuf" },
  });
  assert.equal(res.status, 200, await res.clone().text());
  const got = await app.json("GET", `${DEPLOYMENTS}/pb`);
  assert.deepEqual(metaOf(got.body).finalizers, ["orphan"], "Orphan came through");
  assert.equal(metaOf(got.body).generation, 2, "setting deletionTimestamp bumps generation");
});

Deno.test("list options are validated as ListOptions (422), as upstream", async () => {
  await using app = await createTestApp();
  const res = await app.json("GET", `${CM}?resourceVersionMatch=Exact`);
  assert.equal(res.status, 422);
  assert.equal(
    res.body.message,
    'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided',
  );
  const bad = await app.json("GET", `${CM}?resourceVersion=1&resourceVersionMatch=Sometimes`);
  assert.equal(bad.status, 422);
  assert.match(String(bad.body.message), /Unsupported value: "Sometimes"/);
});

Deno.test("an unpaged list streams from a continue token and refuses a bad one", async () => {
  await using app = await createTestApp();
  for (const n of ["a", "b", "c"]) {
    assert.equal((await app.json("POST", CM, { body: configMap(n) })).status, 201);
  }
  const first = await app.json("GET", `${CM}?limit=1`);
  const token = metaOf(first.body).continue!;
  assert.deepEqual(names(first.body), ["a"]);
  const rest = await app.json("GET", `${CM}?continue=${encodeURIComponent(token)}`);
  assert.equal(rest.status, 200);
  assert.deepEqual(names(rest.body).filter((n) => n !== "kube-root-ca.crt"), ["b", "c"]);
  assert.equal((await app.json("GET", `${CM}?continue=zzz`)).status, 400);
});

Deno.test("deleting a Service returns the deleted object", async () => {
  await using app = await createTestApp();
  const svc = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "web", namespace: "default" },
    spec: { ports: [{ port: 80 }], selector: { app: "web" } },
  };
  assert.equal(
    (await app.json("POST", "/api/v1/namespaces/default/services", { body: svc })).status,
    201,
  );
  const res = await app.json("DELETE", "/api/v1/namespaces/default/services/web");
  assert.equal(res.status, 200);
  assert.equal(res.body.kind, "Service");
});

Deno.test("removing the last finalizer of a pod in its grace period does not delete it yet", async () => {
  await using app = await createTestApp();
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "p", namespace: "default", finalizers: ["example.com/x"] },
    spec: { nodeName: "n1", containers: [{ name: "c", image: "busybox" }] },
  };
  assert.equal((await app.json("POST", PODS, { body: pod })).status, 201);
  assert.equal((await app.json("DELETE", `${PODS}/p`)).status, 200);
  const patched = await app.json("PATCH", `${PODS}/p`, {
    body: { metadata: { finalizers: null } },
    contentType: MERGE,
  });
  assert.equal(patched.status, 200);
  assert.equal((await app.json("GET", `${PODS}/p`)).status, 200, "still terminating");
  assert.equal(
    (await app.json("DELETE", `${PODS}/p`, { body: { gracePeriodSeconds: 0 } })).status,
    200,
  );
  assert.equal((await app.json("GET", `${PODS}/p`)).status, 404, "gone after the final delete");
});

Deno.test("PUT takes the namespace from the URL when the body has none", async () => {
  await using app = await createTestApp();
  assert.equal((await app.json("POST", CM, { body: configMap("u") })).status, 201);
  const cur = await app.json("GET", `${CM}/u`);
  const body = { ...configMap("u"), data: { k: "w" } };
  delete (body.metadata as { namespace?: string }).namespace;
  const res = await app.json("PUT", `${CM}/u`, {
    body: {
      ...body,
      metadata: { ...body.metadata, resourceVersion: metaOf(cur.body).resourceVersion },
    },
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
});

// --- managedFields and server-side apply ------------------------------------------------------

const APPLY = "application/apply-patch+yaml";

interface Entry {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: unknown;
  subresource?: string;
}

function entriesOf(body: Record<string, unknown>): Entry[] {
  return ((body.metadata as { managedFields?: Entry[] }).managedFields) ?? [];
}

function whoOf(body: Record<string, unknown>): string[] {
  return entriesOf(body).map((e) =>
    `${e.manager}/${e.operation}${e.subresource ? `/${e.subresource}` : ""}`
  );
}

async function apply(
  t: TestApp,
  path: string,
  body: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  return await t.json("PATCH", path, { body, contentType: APPLY });
}

Deno.test("every write records managedFields: manager from fieldManager or the User-Agent", async (t) => {
  await using app = await createTestApp();
  await t.step("create with ?fieldManager=", async () => {
    const body = await create(app, `${CM}?fieldManager=kubectl-create`, configMap("a"));
    assert.deepEqual(entriesOf(body), [{
      manager: "kubectl-create",
      operation: "Update",
      apiVersion: "v1",
      time: entriesOf(body)[0]?.time,
      fieldsType: "FieldsV1",
      fieldsV1: { "f:data": { ".": {}, "f:k": {} } },
    }]);
    assert.match(entriesOf(body)[0]?.time ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });
  await t.step("without it, the User-Agent up to its first slash", async () => {
    const res = await app.request(CM, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "kubectl/v1.33.1 (linux/amd64) kubernetes/8adc0f0",
      },
      body: JSON.stringify(configMap("b")),
    });
    assert.equal(res.status, 201);
    assert.deepEqual(whoOf(await res.json()), ["kubectl/Update"]);
  });
  await t.step("an update by another manager adds its entry for what it changed", async () => {
    const res = await app.json("PATCH", `${CM}/a?fieldManager=kubectl-label`, {
      body: { metadata: { labels: { x: "1" } } },
      contentType: MERGE,
    });
    assert.deepEqual(whoOf(res.body), ["kubectl-create/Update", "kubectl-label/Update"]);
    assert.deepEqual(entriesOf(res.body)[1]?.fieldsV1, {
      "f:metadata": { "f:labels": { ".": {}, "f:x": {} } },
    });
  });
  await t.step(
    "a write that changes nothing leaves them and the resourceVersion alone",
    async () => {
      const before = (await app.json("GET", `${CM}/a`)).body;
      const res = await storesNothing(app, () =>
        app.json("PATCH", `${CM}/a?fieldManager=other`, {
          body: { metadata: { labels: { x: "1" } } },
          contentType: MERGE,
        }));
      assert.equal(metaOf(res.body).resourceVersion, metaOf(before).resourceVersion);
      assert.deepEqual(entriesOf(res.body), entriesOf(before));
    },
  );
  await t.step("an invalid fieldManager is a 422 of the write's options", async () => {
    const res = await app.json("PUT", `${CM}/a?fieldManager=${"x".repeat(129)}`, {
      body: configMap("a"),
    });
    assert.equal(res.status, 422);
    assert.equal(
      res.body.message,
      'UpdateOptions.meta.k8s.io "" is invalid: fieldManager: Too long: may not be more than 128 bytes',
    );
  });
  await t.step("[{}] resets them; the object is then untracked until applied to", async () => {
    const res = await app.json("PATCH", `${CM}/a?fieldManager=x`, {
      body: { metadata: { managedFields: [{}] } },
      contentType: MERGE,
    });
    assert.equal(res.status, 200);
    assert.deepEqual(entriesOf(res.body), []);
    const later = await app.json("PATCH", `${CM}/a?fieldManager=x`, {
      body: { data: { k: "changed" } },
      contentType: MERGE,
    });
    assert.deepEqual(entriesOf(later.body), []);
  });
  await t.step("a status write records its subresource", async () => {
    await create(app, `${DEPLOYMENTS}?fieldManager=kubectl-create`, deployment("st"));
    const res = await app.json("PATCH", `${DEPLOYMENTS}/st/status?fieldManager=kcm`, {
      body: { status: { replicas: 1 } },
      contentType: MERGE,
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    // Same second: sorted by manager.
    assert.deepEqual(whoOf(res.body), ["kcm/Update/status", "kubectl-create/Update"]);
    assert.deepEqual(entriesOf(res.body)[0]?.fieldsV1, { "f:status": { "f:replicas": {} } });
  });
  await t.step("a scale write records the replicas under the scale subresource", async () => {
    const res = await app.json("PATCH", `${DEPLOYMENTS}/st/scale?fieldManager=kubectl-scale`, {
      body: { spec: { replicas: 4 } },
      contentType: MERGE,
    });
    assert.equal(res.status, 200);
    const got = (await app.json("GET", `${DEPLOYMENTS}/st`)).body;
    const scale = entriesOf(got).find((e) => e.subresource === "scale");
    assert.deepEqual(scale && { ...scale, time: undefined }, {
      manager: "kubectl-scale",
      operation: "Update",
      apiVersion: "apps/v1",
      time: undefined,
      fieldsType: "FieldsV1",
      fieldsV1: { "f:spec": { "f:replicas": {} } },
      subresource: "scale",
    });
  });
});

Deno.test("PATCH application/apply-patch+yaml creates, merges by ownership and conflicts", async (t) => {
  await using app = await createTestApp();
  const web = `${DEPLOYMENTS}/web`;
  const manifest = (replicas: number, image = "nginx:1.27") => {
    const d = deployment("web");
    d.spec.replicas = replicas;
    d.spec.template.spec.containers[0]!.image = image;
    return d;
  };
  await t.step("fieldManager is required", async () => {
    const res = await apply(app, web, manifest(1));
    assert.equal(res.status, 422);
    assert.equal(
      res.body.message,
      'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
    );
  });
  await t.step("force is refused on other patch types", async () => {
    const res = await app.json("PATCH", `${web}?force=true`, { body: {}, contentType: MERGE });
    assert.equal(res.status, 422);
    assert.equal(
      res.body.message,
      'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch',
    );
  });
  await t.step("dryRun=All creates nothing", async () => {
    const res = await storesNothing(
      app,
      () => apply(app, `${web}?fieldManager=kubectl&dryRun=All`, manifest(1)),
    );
    assert.equal(res.status, 201);
    assert.equal((await app.json("GET", web)).status, 404);
  });
  let rv = "";
  await t.step("a missing object is created (201) and owned by the applier", async () => {
    const res = await apply(app, `${web}?fieldManager=kubectl&fieldValidation=Strict`, manifest(2));
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.deepEqual(whoOf(res.body), ["kubectl/Apply"]);
    assert.equal((res.body.spec as { replicas: number }).replicas, 2);
    // Defaults apply after the merge and belong to nobody.
    assert.equal((res.body.spec as { revisionHistoryLimit: number }).revisionHistoryLimit, 10);
    rv = metaOf(res.body).resourceVersion!;
  });
  await t.step("the same apply again is a no-op: no new resourceVersion", async () => {
    const res = await storesNothing(
      app,
      () => apply(app, `${web}?fieldManager=kubectl`, manifest(2)),
    );
    assert.equal(res.status, 200);
    assert.equal(metaOf(res.body).resourceVersion, rv);
  });
  await t.step("another manager changing an owned field gets upstream's 409", async () => {
    const res = await apply(app, `${web}?fieldManager=helm`, manifest(3));
    assert.equal(res.status, 409);
    assert.deepEqual(res.body, {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: 'Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas',
      reason: "Conflict",
      details: {
        causes: [{
          reason: "FieldManagerConflict",
          message: 'conflict with "kubectl"',
          field: ".spec.replicas",
        }],
      },
      code: 409,
    });
  });
  await t.step("force=true takes it over", async () => {
    const res = await apply(app, `${web}?fieldManager=helm&force=true`, manifest(3));
    assert.equal(res.status, 200);
    assert.equal((res.body.spec as { replicas: number }).replicas, 3);
    // Sorted by the second of each manager's change first: the two applies may fall in
    // different seconds of the real clock.
    assert.deepEqual(whoOf(res.body).toSorted(), ["helm/Apply", "kubectl/Apply"]);
  });
  await t.step("fields the applier stops applying are removed (and defaulted again)", async () => {
    const m = manifest(3) as { spec: Record<string, unknown> };
    delete m.spec.replicas;
    const res = await apply(app, `${web}?fieldManager=helm`, m);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal((res.body.spec as { replicas: number }).replicas, 1);
  });
  await t.step("an edit's change conflicts with the applier with its API version", async () => {
    const edit = await app.json("PATCH", `${web}?fieldManager=kubectl-edit`, {
      body: { spec: { template: { spec: { containers: [{ name: "c", image: "nginx:2" }] } } } },
      contentType: "application/strategic-merge-patch+json",
    });
    assert.equal(edit.status, 200);
    const res = await apply(app, `${web}?fieldManager=kubectl`, manifest(2));
    assert.equal(res.status, 409);
    assert.equal(
      res.body.message,
      'Apply failed with 1 conflict: conflict with "kubectl-edit" using apps/v1: ' +
        '.spec.template.spec.containers[name="c"].image',
    );
  });
  await t.step("what upstream refuses", async () => {
    const cases: { name: string; body: unknown; code: number; message: RegExp }[] = [
      {
        name: "managedFields in the body",
        body: { ...manifest(1), metadata: { name: "web", managedFields: [] } },
        code: 400,
        message: /^metadata\.managedFields must be nil$/,
      },
      {
        name: "another kind",
        body: { ...manifest(1), kind: "StatefulSet" },
        code: 400,
        message: /^invalid object type: apps\/v1, Kind=StatefulSet$/,
      },
      {
        name: "an unknown field",
        body: { ...manifest(1), spec: { ...manifest(1).spec, replicaz: 2 } },
        code: 500,
        message:
          /^failed to create typed patch object \(default\/web; apps\/v1, Kind=Deployment\): \.spec\.replicaz: field not declared in schema$/,
      },
      {
        name: "another name",
        body: { ...manifest(1), metadata: { name: "other" } },
        code: 400,
        message: /^the name of the object \(other\) does not match the name on the URL \(web\)$/,
      },
      {
        name: "a duplicate key under Strict",
        body: '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","name":"web"}}',
        code: 400,
        message:
          /^error strict decoding YAML: error converting YAML to JSON: yaml: unmarshal errors:\n {2}line 1: key "name" already set in map$/,
      },
    ];
    for (const c of cases) {
      const res = await storesNothing(
        app,
        () =>
          app.json("PATCH", `${web}?fieldManager=kubectl&fieldValidation=Strict&force=true`, {
            body: c.body,
            contentType: APPLY,
          }),
      );
      assert.equal(res.status, c.code, `${c.name}: ${JSON.stringify(res.body)}`);
      assert.match(String(res.body.message), c.message, c.name);
    }
  });
  await t.step("YAML bodies are accepted", async () => {
    const res = await app.json("PATCH", `${CM}/yaml?fieldManager=kubectl`, {
      body: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: yaml\ndata:\n  a: b\n",
      contentType: APPLY,
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.deepEqual(entriesOf(res.body)[0]?.fieldsV1, { "f:data": { "f:a": {} } });
  });
});

Deno.test("kubectl's client-side to server-side apply migration works as on kube-apiserver", async () => {
  await using app = await createTestApp();
  const manifest = configMap("m");
  const annotated = {
    ...manifest,
    metadata: {
      ...manifest.metadata,
      annotations: {
        "kubectl.kubernetes.io/last-applied-configuration": JSON.stringify(manifest) + "\n",
      },
    },
  };
  await create(app, `${CM}?fieldManager=kubectl-client-side-apply`, annotated);
  // kubectl apply --server-side: the fields client-side apply set and nobody changed are its own.
  const changed = { ...manifest, data: { k: "v2" } };
  const res = await apply(app, `${CM}/m?fieldManager=kubectl`, changed);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.deepEqual(res.body.data, { k: "v2" });
  assert.deepEqual(whoOf(res.body), ["kubectl/Apply", "kubectl-client-side-apply/Update"]);
  const annotation = (metaOf(res.body).annotations ?? {})[
    "kubectl.kubernetes.io/last-applied-configuration"
  ];
  assert.equal(
    annotation,
    '{"apiVersion":"v1","data":{"k":"v2"},"kind":"ConfigMap","metadata":{"name":"m","namespace":"default"}}\n',
  );
  // Then kubectl moves the client-side apply entry into its own with a JSON patch.
  const entries = entriesOf(res.body);
  const merged = [{
    ...entries[0],
    fieldsV1: { ...entries[1]?.fieldsV1 as object, ...entries[0]?.fieldsV1 as object },
  }];
  const patch = await app.json("PATCH", `${CM}/m?fieldManager=kubectl`, {
    body: [
      { op: "replace", path: "/metadata/managedFields", value: merged },
      { op: "replace", path: "/metadata/resourceVersion", value: metaOf(res.body).resourceVersion },
    ],
    contentType: "application/json-patch+json",
  });
  assert.equal(patch.status, 200, JSON.stringify(patch.body));
  assert.deepEqual(whoOf(patch.body), ["kubectl/Apply"]);
});

Deno.test("server-side apply through the status subresource owns only the status", async () => {
  await using app = await createTestApp();
  await create(app, `${DEPLOYMENTS}?fieldManager=kubectl-create`, deployment("s"));
  const res = await apply(app, `${DEPLOYMENTS}/s/status?fieldManager=kcm`, {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "s" },
    spec: { replicas: 7 },
    status: { replicas: 1 },
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal((res.body.spec as { replicas: number }).replicas, 1);
  assert.deepEqual((res.body.status as { replicas: number }).replicas, 1);
  const entry = entriesOf(res.body).find((e) => e.manager === "kcm");
  assert.deepEqual(entry && [entry.operation, entry.subresource, entry.fieldsV1], [
    "Apply",
    "status",
    { "f:status": { "f:replicas": {} } },
  ]);
  // A missing object is not created through a subresource.
  const missing = await apply(app, `${DEPLOYMENTS}/nope/status?fieldManager=kcm`, {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "nope" },
  });
  assert.equal(missing.status, 404);
});

Deno.test("managedFields a client sends are kept, ignored or refused as upstream", async (t) => {
  await using app = await createTestApp();
  const entry = (o: Record<string, unknown>) => ({
    manager: "restore",
    operation: "Update",
    apiVersion: "v1",
    time: "2025-01-01T00:00:00Z",
    fieldsType: "FieldsV1",
    // A field the object does not have: a create takes every field it sets from others.
    fieldsV1: { "f:metadata": { "f:labels": { "f:gone": {} } } },
    ...o,
  });
  await t.step("valid entries are kept, next to the creator's", async () => {
    const body = await create(app, `${CM}?fieldManager=kubectl-create`, {
      ...configMap("kept"),
      metadata: { name: "kept", managedFields: [entry({})] },
    });
    assert.deepEqual(whoOf(body), ["restore/Update", "kubectl-create/Update"]);
  });
  await t.step("entries that do not decode are dropped", async () => {
    const body = await create(app, `${CM}?fieldManager=kubectl-create`, {
      ...configMap("dropped"),
      metadata: { name: "dropped", managedFields: [entry({ operation: "Patch" })] },
    });
    assert.deepEqual(whoOf(body), ["kubectl-create/Update"]);
  });
  await t.step("a manager name upstream refuses is a 422", async () => {
    const res = await app.json("POST", CM, {
      body: {
        ...configMap("bad"),
        metadata: { name: "bad", managedFields: [entry({ manager: "m".repeat(129) })] },
      },
    });
    assert.equal(res.status, 422);
    assert.equal(
      res.body.message,
      'ConfigMap "bad" is invalid: metadata.managedFields[0].manager: Too long: may not be more than 128 bytes',
    );
  });
});

Deno.test("POST offers the object it stores to the resource's view, which holds it as stored", async () => {
  await using t = await createTestApp();
  const view = await t.views.started("/registry/configmaps/");
  const offered: { key: string; value: Uint8Array }[] = [];
  const offer = t.views.offer.bind(t.views);
  t.views.offer = (prefix, written) => {
    offered.push({ key: written.key, value: written.value });
    offer(prefix, written);
  };
  const created = await create(t, CM, configMap("a", { labels: { app: "web" } }));
  assert.deepEqual(offered.map((o) => o.key), ["/registry/configmaps/default/a"]);
  const stored = await t.storage.get("/registry/configmaps/default/a");
  assert.deepEqual(offered[0]!.value, stored!.value);
  for (let i = 0; i < 100 && !view.getByName("default", "a"); i++) {
    await new Promise((r) => setTimeout(r, 5));
  }
  const held = view.getByName("default", "a")!;
  const meta = (created as { metadata: Record<string, unknown> }).metadata;
  assert.equal(held.metadata?.resourceVersion, meta.resourceVersion);
  assert.equal(held.metadata?.uid, meta.uid);
  assert.deepEqual(held.metadata?.labels, { app: "web" });
  assert.equal(held.metadata?.managedFields, undefined);
});
