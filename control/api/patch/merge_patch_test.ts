import assert from "node:assert/strict";
import { applyMergePatch } from "./merge_patch.ts";
import { PatchError } from "./patch_error.ts";

function doc(): Record<string, unknown> {
  return {
    metadata: {
      name: "web",
      labels: { app: "web", tier: "front" },
      annotations: { note: "x" },
    },
    spec: { replicas: 1, selector: { app: "web" }, ports: [{ port: 80 }], mode: "a" },
  };
}

Deno.test("applyMergePatch() applies kubectl's merge patches", async (t) => {
  const cases = [
    {
      name: "kubectl label adds and removes labels",
      patch: { metadata: { labels: { env: "prod", tier: null } } },
      want: {
        ...doc(),
        metadata: { ...doc().metadata as object, labels: { app: "web", env: "prod" } },
      },
    },
    {
      name: "kubectl annotate overwrites an annotation",
      patch: { metadata: { annotations: { note: "y" } } },
      want: { ...doc(), metadata: { ...doc().metadata as object, annotations: { note: "y" } } },
    },
    {
      name: "kubectl scale sets the replicas",
      patch: { spec: { replicas: 3 } },
      want: { ...doc(), spec: { ...doc().spec as object, replicas: 3 } },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.deepEqual(applyMergePatch(doc(), c.patch), c.want));
  }
});

Deno.test("applyMergePatch() follows RFC 7386 as evanphx v4 applies it", async (t) => {
  const spec = doc().spec as Record<string, unknown>;
  const cases: { name: string; patch: Record<string, unknown>; spec: unknown }[] = [
    {
      name: "an array replaces the array",
      patch: { ports: [{ port: 443 }] },
      spec: { ...spec, ports: [{ port: 443 }] },
    },
    {
      name: "null deletes a key, absent or not",
      patch: { mode: null, missing: null },
      spec: { replicas: 1, selector: { app: "web" }, ports: [{ port: 80 }] },
    },
    {
      name: "a new object loses its nulls at every level",
      patch: { extra: { a: 1, b: null, c: { d: null, e: [{ f: null }, null] } } },
      spec: { ...spec, extra: { a: 1, c: { e: [{}, null] } } },
    },
    {
      name: "an object replacing a scalar loses its nulls",
      patch: { mode: { a: null, b: 2 } },
      spec: { ...spec, mode: { b: 2 } },
    },
    {
      name: "a scalar replaces an object",
      patch: { selector: "all" },
      spec: { ...spec, selector: "all" },
    },
    {
      name: "an array replacing an object is taken as sent",
      patch: { selector: [{ a: null }] },
      spec: { ...spec, selector: [{ a: null }] },
    },
    {
      name: "objects merge recursively",
      patch: { selector: { app: null, tier: "x" } },
      spec: { ...spec, selector: { tier: "x" } },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const out = applyMergePatch(doc(), { spec: c.patch }) as Record<string, unknown>;
      assert.deepEqual(out.spec, c.spec);
    });
  }
});

Deno.test("applyMergePatch() refuses a patch that is not an object with 400", async (t) => {
  const cases = [
    { name: "null", patch: null, message: "Invalid JSON Patch" },
    {
      name: "an array",
      patch: [{ op: "add" }],
      message:
        "error decoding patch: json: cannot unmarshal array into Go value of type map[string]interface {}",
    },
    {
      name: "a string",
      patch: "x",
      message:
        "error decoding patch: json: cannot unmarshal string into Go value of type map[string]interface {}",
    },
    {
      name: "a boolean",
      patch: true,
      message:
        "error decoding patch: json: cannot unmarshal bool into Go value of type map[string]interface {}",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.throws(() => applyMergePatch(doc(), c.patch), (err: unknown) => {
        assert.ok(err instanceof PatchError);
        assert.equal(err.code, 400);
        assert.equal(err.reason, "BadRequest");
        assert.equal(err.message, c.message);
        return true;
      });
    });
  }
});

Deno.test("applyMergePatch() refuses a patch nesting thousands deep with 400", () => {
  let patch: unknown = {};
  for (let i = 0; i < 100_000; i++) patch = { a: patch };
  assert.throws(() => applyMergePatch(doc(), patch), (err: unknown) => {
    assert.ok(err instanceof PatchError);
    assert.equal(err.code, 400);
    assert.equal(err.message, "exceeded max depth");
    return true;
  });
});

Deno.test("applyMergePatch() changes neither input and shares nothing with them", () => {
  const input = doc();
  const patch = { metadata: { labels: { x: "1" } }, spec: { extra: { list: [1] } } };
  const out = applyMergePatch(input, patch) as { spec: { extra: { list: number[] } } };
  out.spec.extra.list.push(2);
  assert.deepEqual(input, doc());
  assert.deepEqual(patch, { metadata: { labels: { x: "1" } }, spec: { extra: { list: [1] } } });
});

Deno.test("applyMergePatch() treats __proto__ as a plain key", () => {
  const out = applyMergePatch(doc(), JSON.parse('{"__proto__":{"polluted":true}}')) as object;
  assert.equal(Object.getPrototypeOf(out), Object.prototype);
  assert.deepEqual(Object.getOwnPropertyDescriptor(out, "__proto__")?.value, { polluted: true });
});
