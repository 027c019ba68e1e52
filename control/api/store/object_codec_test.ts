import assert from "node:assert/strict";
import type { KubeObject } from "../types/meta_v1.ts";
import {
  decodeStored,
  encodeForStorage,
  storedListBytes,
  storedToJson,
  storedToJsonBytes,
} from "./object_codec.ts";

function text(b: Uint8Array): string {
  return new TextDecoder().decode(b);
}

Deno.test("encodeForStorage() writes apiVersion, kind, metadata first and no resourceVersion", () => {
  const bytes = encodeForStorage({
    data: { k: "v" },
    metadata: { resourceVersion: "41", name: "a", namespace: "default" },
    kind: "ConfigMap",
    apiVersion: "v1",
  });
  assert.equal(
    text(bytes),
    '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","namespace":"default"},"data":{"k":"v"}}',
  );
});

Deno.test("decodeStored() sets the resourceVersion to the revision of the write", () => {
  const bytes = encodeForStorage({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a" } });
  assert.deepEqual(decodeStored(bytes, 12), {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "a", resourceVersion: "12" },
  });
  // Bytes without metadata still get one.
  const bare = new TextEncoder().encode('{"apiVersion":"v1","kind":"Status"}');
  assert.equal(decodeStored(bare, 3).metadata?.resourceVersion, "3");
});

Deno.test("storedToJson() splices the resourceVersion in, equal to a parse and stringify", async (t) => {
  const objects: Record<string, KubeObject> = {
    "metadata with fields": {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", labels: { app: "web" }, annotations: { "a/b": '"quoted"' } },
      spec: { replicas: 2 },
    },
    "empty metadata": { apiVersion: "v1", kind: "Namespace", metadata: {} },
    "no metadata": { apiVersion: "v1", kind: "Namespace" },
    "unicode and escapes": {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "u" },
      data: { "k": 'é\u2028\n"}{"metadata":{' },
    },
  };
  for (const [name, obj] of Object.entries(objects)) {
    await t.step(name, () => {
      const bytes = encodeForStorage(obj);
      const spliced = storedToJson(bytes, 1234);
      const parsed = JSON.parse(spliced) as { metadata: Record<string, unknown> };
      // resourceVersion is the first metadata field; the rest is the stored text as it was.
      assert.equal(Object.keys(parsed.metadata)[0], "resourceVersion");
      const { resourceVersion, ...rest } = parsed.metadata;
      assert.equal(resourceVersion, "1234");
      assert.deepEqual(rest, JSON.parse(text(bytes)).metadata ?? {});
      assert.deepEqual(parsed, decodeStored(bytes, 1234));
    });
  }
});

Deno.test("storedToJson() falls back to a parse for bytes it did not write", () => {
  // metadata after a long field: the splice point is not near the start.
  const foreign = JSON.stringify({
    apiVersion: "v1",
    kind: "ConfigMap",
    data: { k: "x".repeat(5000) },
    metadata: { name: "late" },
  });
  const out = JSON.parse(storedToJson(new TextEncoder().encode(foreign), 9));
  assert.equal(out.metadata.resourceVersion, "9");
  assert.equal(out.metadata.name, "late");
  assert.equal(out.data.k.length, 5000);
  // No metadata at all.
  const none = JSON.parse(storedToJson(new TextEncoder().encode('{"kind":"X"}'), 2));
  assert.deepEqual(none, { kind: "X", metadata: { resourceVersion: "2" } });
});

Deno.test("storedToJsonBytes() is storedToJson() in UTF-8, spliced without decoding", async (t) => {
  const encode = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
  const cases: Record<string, Uint8Array> = {
    "metadata with fields": encodeForStorage({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p", annotations: { note: "é✓" } },
      spec: {},
    }),
    "empty metadata": encodeForStorage({ apiVersion: "v1", kind: "Namespace", metadata: {} }),
    "no metadata": encodeForStorage({ apiVersion: "v1", kind: "Namespace" }),
    "metadata too late": encode({ kind: "X", data: { k: "é".repeat(3000) }, metadata: { a: 1 } }),
    "metadata only in a value": encode({ kind: "X", data: { k: '"metadata":{' } }),
  };
  for (const [name, bytes] of Object.entries(cases)) {
    await t.step(name, () => {
      assert.equal(text(storedToJsonBytes(bytes, 77)), storedToJson(bytes, 77));
    });
  }
});

Deno.test("storedListBytes() joins stored objects and JSON texts with commas, each spliced as storedToJson() does", () => {
  const a = encodeForStorage({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "a", labels: { "é": "ü" } },
    data: { k: "v" },
  });
  const empty = encodeForStorage({ apiVersion: "v1", kind: "ConfigMap", metadata: {} });
  const foreign = new TextEncoder().encode(
    '{"kind":"ConfigMap","data":{},"metadata":{"name":"f"}}',
  );
  const parts = [
    { value: a, modRevision: 7 },
    { json: '{"kind":"Converted"}' },
    { value: empty, modRevision: 1234567890 },
    { value: foreign, modRevision: 10 },
    { value: a, modRevision: 0 },
  ];
  const expected = [
    storedToJson(a, 7),
    '{"kind":"Converted"}',
    storedToJson(empty, 1234567890),
    storedToJson(foreign, 10),
    storedToJson(a, 0),
  ].join(",");
  assert.equal(text(storedListBytes(parts, false)), expected);
  assert.equal(text(storedListBytes(parts, true)), "," + expected);
  const list = JSON.parse(`[${text(storedListBytes(parts, false))}]`) as KubeObject[];
  assert.deepEqual(list.map((o) => o.metadata?.resourceVersion), [
    "7",
    undefined,
    "1234567890",
    "10",
    "0",
  ]);
  assert.equal(text(storedListBytes([], true)), "");
  assert.equal(text(storedListBytes([], false)), "");
});
