import assert from "node:assert/strict";
import { parse as parseYaml } from "yaml";
import { createTestApp } from "../_test_app.ts";
import { ApiError } from "../errors.ts";
import { BUILTIN_RESOURCES } from "../registry/builtin_resources.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import {
  API_HEADERS,
  isStreamedResponse,
  renderJsonBytes,
  renderJsonText,
  renderList,
  renderObject,
  type RenderOptions,
  renderSuccess,
  streamedResponse,
  wholeBodyOf,
  wholeResponse,
} from "./render.ts";

const CONFIGMAPS = BUILTIN_RESOURCES.find((d) => d.resource === "configmaps")!;
const NOW = Date.parse("2025-03-04T05:06:07Z");

function cm(name: string, rv = "7"): KubeObject {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name,
      namespace: "default",
      resourceVersion: rv,
      creationTimestamp: "2025-03-04T05:00:07Z",
    },
    data: { a: "1", b: "2" },
  };
}

function opts(output: RenderOptions["output"], extra: Partial<RenderOptions> = {}): RenderOptions {
  return { def: CONFIGMAPS, output, query: new URLSearchParams(), nowMs: NOW, ...extra };
}

const TABLE_V1 = { format: "table", version: "v1" } as const;

Deno.test("API_HEADERS are kube-apiserver's no-cache headers", () => {
  assert.deepEqual(API_HEADERS, { "cache-control": "no-cache, private" });
});

Deno.test("renderObject() answers JSON with the status code and Warning headers", async () => {
  const res = renderObject(
    cm("a"),
    opts({ format: "json" }, {
      status: 201,
      warnings: ['unknown field "spec.foo"', "second"],
    }),
  );
  assert.equal(res.status, 201);
  assert.equal(res.headers.get("content-type"), "application/json");
  assert.equal(res.headers.get("cache-control"), "no-cache, private");
  // One header per warning, the text quoted as Go's %q: kubectl prints `Warning: <text>`.
  assert.equal(res.headers.get("warning"), '299 - "unknown field \\"spec.foo\\"", 299 - "second"');
  assert.deepEqual(await res.json(), cm("a"));
});

Deno.test("renderObject() answers YAML", async () => {
  const res = renderObject(cm("a"), opts({ format: "yaml" }));
  assert.equal(res.headers.get("content-type"), "application/yaml");
  const text = await res.text();
  assert.match(text, /^apiVersion: v1\nkind: ConfigMap\nmetadata:\n/);
  assert.deepEqual(parseYaml(text), cm("a"));
});

Deno.test("renderObject() answers a one-row Table with the object's metadata", async () => {
  const res = renderObject(cm("a"), opts(TABLE_V1));
  assert.equal(res.headers.get("content-type"), "application/json");
  const table = await res.json();
  assert.equal(table.kind, "Table");
  assert.equal(table.apiVersion, "meta.k8s.io/v1");
  assert.deepEqual(table.metadata, { resourceVersion: "7" });
  assert.deepEqual(table.columnDefinitions.map((c: { name: string }) => c.name), [
    "Name",
    "Data",
    "Age",
  ]);
  assert.deepEqual(table.rows[0].cells, ["a", 2, "6m"]);
  assert.deepEqual(table.rows[0].object, {
    kind: "PartialObjectMetadata",
    apiVersion: "meta.k8s.io/v1",
    metadata: cm("a").metadata,
  });
});

Deno.test("renderObject() honours includeObject and refuses unknown values with 400", async () => {
  const none = await renderObject(
    cm("a"),
    opts(TABLE_V1, { query: new URLSearchParams("includeObject=None") }),
  ).json();
  assert.equal(none.rows[0].object, null);
  const full = await renderObject(
    cm("a"),
    opts({ format: "table", version: "v1beta1" }, {
      query: new URLSearchParams("includeObject=Object"),
    }),
  ).json();
  assert.equal(full.apiVersion, "meta.k8s.io/v1beta1");
  assert.deepEqual(full.rows[0].object, cm("a"));
  assert.throws(
    () =>
      renderObject(cm("a"), opts(TABLE_V1, { query: new URLSearchParams("includeObject=All") })),
    (err) =>
      err instanceof ApiError && err.code === 400 &&
      err.message === 'unrecognized includeObject value: "All"',
  );
});

Deno.test("renderObject() prints only the resource's kind as a Table or metadata", async () => {
  const status = { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success" };
  for (const output of [TABLE_V1, { format: "partial", version: "v1", list: false } as const]) {
    assert.deepEqual(await renderObject(status, opts(output)).json(), status);
  }
});

Deno.test("renderObject() answers PartialObjectMetadata", async () => {
  const body = await renderObject(
    cm("a"),
    opts({ format: "partial", version: "v1beta1", list: false }),
  ).json();
  assert.deepEqual(body, {
    kind: "PartialObjectMetadata",
    apiVersion: "meta.k8s.io/v1beta1",
    metadata: cm("a").metadata,
  });
});

Deno.test("renderObject() and renderList() answer 406 when nothing acceptable was asked for", () => {
  for (
    const f of [
      () => renderObject(cm("a"), opts(null)),
      () => renderList([], { ...opts(null), meta: {} }),
    ]
  ) {
    assert.throws(f, (err) => {
      assert.ok(err instanceof ApiError);
      assert.equal(err.code, 406);
      assert.equal(
        err.message,
        "only the following media types are accepted: application/json, application/yaml",
      );
      return true;
    });
  }
});

Deno.test("renderList() assembles a JSON list from the items' stored text", async () => {
  const items = [
    {
      json: '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"resourceVersion":"3","name":"a"}}',
    },
    { json: JSON.stringify(cm("b")), obj: cm("b") },
  ];
  const res = renderList(items, {
    ...opts({ format: "json" }),
    meta: { resourceVersion: "9", continue: "tok" },
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "application/json");
  const text = await res.text();
  assert.ok(text.includes(items[0]!.json), "the stored text is sent as is");
  assert.deepEqual(JSON.parse(text), {
    kind: "ConfigMapList",
    apiVersion: "v1",
    metadata: { resourceVersion: "9", continue: "tok" },
    items: [JSON.parse(items[0]!.json), cm("b")],
  });
  const empty = await renderList([], {
    ...opts({ format: "json" }),
    meta: { resourceVersion: "9" },
  }).json();
  assert.deepEqual(empty, {
    kind: "ConfigMapList",
    apiVersion: "v1",
    metadata: { resourceVersion: "9" },
    items: [],
  });
});

Deno.test("wholeResponse() keeps its text and header lines for the listener, as its Headers list them", async () => {
  const headers = { "Content-Type": "application/json", "cache-control": "no-cache, private" };
  const res = wholeResponse('{"a":"é"}', { status: 201, headers });
  const whole = wholeBodyOf(res);
  let lines = "";
  res.headers.forEach((v, n) => lines += `${n}: ${v}\r\n`);
  assert.deepEqual(whole, { headerLines: lines, body: '{"a":"é"}' });
  assert.equal(lines, "cache-control: no-cache, private\r\ncontent-type: application/json\r\n");
  assert.equal(res.status, 201);
  assert.equal(await res.text(), '{"a":"é"}', "in-process readers get the same body");
  const bytes = new TextEncoder().encode('{"b":1}');
  const fromBytes = renderJsonBytes(bytes);
  assert.equal(wholeBodyOf(fromBytes)?.body, bytes);
  assert.equal(await fromBytes.text(), '{"b":1}');
  // The hot answers are whole; those with Warning headers are read from their Headers.
  assert.ok(wholeBodyOf(renderJsonText("{}")));
  assert.equal(wholeBodyOf(renderJsonText("{}", { warnings: ["w"] })), undefined);
  const list = renderList([], { ...opts({ format: "json" }), meta: { resourceVersion: "9" } });
  assert.equal(wholeBodyOf(list)?.body, await list.text());
});

Deno.test("renderList() answers YAML, Tables and PartialObjectMetadataList", async () => {
  const items = [{ json: JSON.stringify(cm("a")) }, { json: JSON.stringify(cm("b")) }];
  const meta = { resourceVersion: "9", continue: "tok", remainingItemCount: 3 };
  const yaml = await renderList(items, { ...opts({ format: "yaml" }), meta }).text();
  assert.deepEqual(parseYaml(yaml), {
    kind: "ConfigMapList",
    apiVersion: "v1",
    metadata: meta,
    items: [cm("a"), cm("b")],
  });
  const table = await renderList(items, { ...opts(TABLE_V1), meta }).json();
  assert.equal(table.kind, "Table");
  assert.deepEqual(table.metadata, {
    resourceVersion: "9",
    continue: "tok",
    remainingItemCount: 3,
  });
  assert.deepEqual(table.rows.map((r: { cells: unknown[] }) => r.cells[0]), ["a", "b"]);
  const partial = await renderList(items, {
    ...opts({ format: "partial", version: "v1", list: true }),
    meta,
  }).json();
  assert.deepEqual(partial, {
    kind: "PartialObjectMetadataList",
    apiVersion: "meta.k8s.io/v1",
    metadata: meta,
    items: [cm("a"), cm("b")].map((o) => ({
      kind: "PartialObjectMetadata",
      apiVersion: "meta.k8s.io/v1",
      metadata: o.metadata,
    })),
  });
});

Deno.test("renderSuccess() answers a Success Status with the details", async () => {
  const res = renderSuccess({ name: "web", group: "apps", kind: "deployments", uid: "u1" }, {});
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Success",
    details: { name: "web", group: "apps", kind: "deployments", uid: "u1" },
  });
  assert.equal(renderSuccess({}, { status: 202 }).status, 202);
});

Deno.test("streamedResponse() marks the responses the listener flushes at once", async () => {
  const res = streamedResponse(new ReadableStream({ start: (c) => c.close() }), { status: 200 });
  assert.ok(isStreamedResponse(res));
  assert.ok(!isStreamedResponse(new Response("x")));
  assert.equal(await res.text(), "");
});

Deno.test("GET answers JSON, YAML, Table and PartialObjectMetadata as the client asks", async (t) => {
  await using app = await createTestApp();
  const path = "/api/v1/namespaces/default/configmaps";
  await app.json("POST", path, { body: { metadata: { name: "a" }, data: { k: "v" } } });
  const cases: [string, string, (body: string) => void][] = [
    ["application/json", "application/json", (b) => assert.equal(JSON.parse(b).kind, "ConfigMap")],
    ["application/yaml", "application/yaml", (b) => assert.equal(parseYaml(b).kind, "ConfigMap")],
    // kubectl get's Accept header.
    [
      "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json",
      "application/json",
      (b) => assert.equal(JSON.parse(b).kind, "Table"),
    ],
    [
      "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1",
      "application/json",
      (b) => assert.equal(JSON.parse(b).kind, "PartialObjectMetadata"),
    ],
    // Typed clients of kubectl 1.32+ list protobuf first: JSON is picked.
    [
      "application/vnd.kubernetes.protobuf,application/json",
      "application/json",
      (b) => assert.equal(JSON.parse(b).kind, "ConfigMap"),
    ],
  ];
  for (const [accept, contentType, check] of cases) {
    await t.step(accept, async () => {
      const res = await app.request(`${path}/a`, { headers: { accept } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), contentType);
      check(await res.text());
    });
  }
  await t.step("nothing acceptable: 406", async () => {
    const res = await app.request(`${path}/a`, { headers: { accept: "text/html" } });
    assert.equal(res.status, 406);
    assert.equal((await res.json()).reason, "NotAcceptable");
  });
});
