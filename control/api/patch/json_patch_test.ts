// deno-lint-ignore-file no-explicit-any -- tests read patched documents by path
import assert from "node:assert/strict";
import { applyJsonPatch, MAX_JSON_PATCH_COPY_BYTES } from "./json_patch.ts";
import { MAX_JSON_PATCH_OPERATIONS, PATCH_REJECTED_MESSAGE, PatchError } from "./patch_error.ts";

function doc(): Record<string, unknown> {
  return {
    metadata: { name: "web", labels: { app: "web", "a/b": "slash", "m~n": "tilde" } },
    spec: { replicas: 1, containers: [{ name: "a" }, { name: "b" }, { name: "c" }] },
  };
}

/** Asserts `fn` fails as upstream's 422 for a failed operation, with `detail` as the cause. */
function assertRejected(fn: () => unknown, detail?: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof PatchError, `expected a PatchError, got ${err}`);
    assert.equal(err.code, 422);
    assert.equal(err.reason, "Invalid");
    assert.equal(err.message, PATCH_REJECTED_MESSAGE);
    assert.deepEqual(err.details, {});
    if (detail !== undefined) assert.equal((err.cause as Error).message, detail);
    return true;
  });
}

function assertBadRequest(fn: () => unknown, message: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof PatchError);
    assert.equal(err.code, 400);
    assert.equal(err.reason, "BadRequest");
    assert.equal(err.message, message);
    return true;
  });
}

Deno.test("applyJsonPatch() applies each operation as upstream does", async (t) => {
  const cases: { name: string; ops: unknown[]; check: (out: any) => void }[] = [
    {
      name: "add sets an object key, replacing a present one",
      ops: [{ op: "add", path: "/spec/replicas", value: 3 }, {
        op: "add",
        path: "/spec/paused",
        value: true,
      }],
      check: (out) => assert.deepEqual([out.spec.replicas, out.spec.paused], [3, true]),
    },
    {
      name: "add inserts into an array at an index",
      ops: [{ op: "add", path: "/spec/containers/1", value: { name: "x" } }],
      check: (out) =>
        assert.deepEqual(out.spec.containers.map((c: { name: string }) => c.name), [
          "a",
          "x",
          "b",
          "c",
        ]),
    },
    {
      name: "add with - appends",
      ops: [{ op: "add", path: "/spec/containers/-", value: { name: "d" } }],
      check: (out) => assert.equal(out.spec.containers[3].name, "d"),
    },
    {
      name: "add at the length appends",
      ops: [{ op: "add", path: "/spec/containers/3", value: { name: "d" } }],
      check: (out) => assert.equal(out.spec.containers[3].name, "d"),
    },
    {
      name: "add without a value adds null",
      ops: [{ op: "add", path: "/spec/x" }],
      check: (out) => assert.equal(out.spec.x, null),
    },
    {
      name: "remove deletes a key and an index",
      ops: [{ op: "remove", path: "/metadata/labels/app" }, {
        op: "remove",
        path: "/spec/containers/0",
      }],
      check: (out) => {
        assert.equal("app" in out.metadata.labels, false);
        assert.equal(out.spec.containers[0].name, "b");
      },
    },
    {
      name: "replace sets a missing object key (evanphx v4)",
      ops: [{ op: "replace", path: "/spec/paused", value: true }],
      check: (out) => assert.equal(out.spec.paused, true),
    },
    {
      name: "replace of the whole document with an object",
      ops: [{ op: "replace", path: "", value: { kind: "Other" } }],
      check: (out) => assert.deepEqual(out, { kind: "Other" }),
    },
    {
      name: "replace of the whole document with a scalar changes nothing",
      ops: [{ op: "replace", path: "", value: 1 }],
      check: (out) => assert.deepEqual(out, doc()),
    },
    {
      name: "move takes the value away",
      ops: [{ op: "move", from: "/metadata/labels/app", path: "/metadata/labels/name" }],
      check: (out) => assert.deepEqual(Object.keys(out.metadata.labels), ["a/b", "m~n", "name"]),
    },
    {
      name: "copy from a missing object key copies null",
      ops: [{ op: "copy", from: "/metadata/missing", path: "/metadata/copy" }],
      check: (out) => assert.equal(out.metadata.copy, null),
    },
    {
      name: "copy makes an independent value",
      ops: [
        { op: "copy", from: "/spec/containers/0", path: "/spec/containers/-" },
        { op: "replace", path: "/spec/containers/3/name", value: "z" },
      ],
      check: (out) =>
        assert.deepEqual([out.spec.containers[0].name, out.spec.containers[3].name], ["a", "z"]),
    },
    {
      name: "test passes for equal values, whatever the key order",
      ops: [{
        op: "test",
        path: "/metadata/labels",
        value: { "m~n": "tilde", "a/b": "slash", app: "web" },
      }],
      check: (out) => assert.deepEqual(out, doc()),
    },
    {
      name: "test of a missing key against null passes",
      ops: [{ op: "test", path: "/metadata/missing", value: null }],
      check: (out) => assert.deepEqual(out, doc()),
    },
    {
      name: "test of the whole document",
      ops: [{ op: "test", path: "", value: doc() }],
      check: (out) => assert.deepEqual(out, doc()),
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => c.check(applyJsonPatch(doc(), c.ops)));
  }
});

Deno.test("applyJsonPatch() reads paths and indices as evanphx v4 does", async (t) => {
  const cases: { name: string; path: string; want: (out: any) => unknown; value: unknown }[] = [
    {
      name: "~1 is a slash",
      path: "/metadata/labels/a~1b",
      value: "x",
      want: (o) => o.metadata.labels["a/b"],
    },
    {
      name: "~0 is a tilde",
      path: "/metadata/labels/m~0n",
      value: "x",
      want: (o) => o.metadata.labels["m~n"],
    },
    {
      name: "a leading zero",
      path: "/spec/containers/01/name",
      value: "x",
      want: (o) => o.spec.containers[1].name,
    },
    {
      name: "a plus sign",
      path: "/spec/containers/+2/name",
      value: "x",
      want: (o) => o.spec.containers[2].name,
    },
    {
      name: "a negative index",
      path: "/spec/containers/-1/name",
      value: "x",
      want: (o) => o.spec.containers[2].name,
    },
    {
      name: "no leading slash drops the first segment",
      path: "spec/replicas",
      value: "x",
      want: (o) => o.replicas,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const out = applyJsonPatch(doc(), [{ op: "replace", path: c.path, value: c.value }]);
      assert.equal(c.want(out), c.value);
    });
  }
  await t.step("add at -1 inserts before the end of the grown array", () => {
    const out = applyJsonPatch(doc(), [{
      op: "add",
      path: "/spec/containers/-1",
      value: { name: "z" },
    }]) as any;
    assert.equal(out.spec.containers[3].name, "z");
  });
});

Deno.test("applyJsonPatch() answers a failing operation with 422", async (t) => {
  const cases: { name: string; ops: unknown[]; detail: string }[] = [
    {
      name: "add to a missing parent",
      ops: [{ op: "add", path: "/spec/template/metadata", value: {} }],
      detail: 'add operation does not apply: doc is missing path: "/spec/template/metadata"',
    },
    {
      name: "add past the end",
      ops: [{ op: "add", path: "/spec/containers/5", value: {} }],
      detail: "Unable to access invalid index: 5: invalid index referenced",
    },
    {
      name: "remove of a missing key",
      ops: [{ op: "remove", path: "/metadata/annotations" }],
      detail: "Unable to remove nonexistent key: annotations: missing value",
    },
    {
      name: "remove of a missing index",
      ops: [{ op: "remove", path: "/spec/containers/3" }],
      detail: "Unable to access invalid index: 3: invalid index referenced",
    },
    {
      name: "replace of a missing index",
      ops: [{ op: "replace", path: "/spec/containers/9", value: {} }],
      detail: "Unable to access invalid index: 9: invalid index referenced",
    },
    {
      name: "an index that is not a number",
      ops: [{ op: "replace", path: "/spec/containers/1e0", value: {} }],
      detail: 'strconv.Atoi: parsing "1e0": invalid syntax',
    },
    {
      name: "move from a missing key",
      ops: [{ op: "move", from: "/metadata/missing", path: "/metadata/x" }],
      detail: "Unable to remove nonexistent key: missing: missing value",
    },
    {
      name: "a failed test",
      ops: [{ op: "test", path: "/metadata/name", value: "api" }],
      detail: "testing value /metadata/name failed: test failed",
    },
    {
      name: "a test of a missing key against a value",
      ops: [{ op: "test", path: "/metadata/missing", value: "x" }],
      detail: "testing value /metadata/missing failed: test failed",
    },
    {
      name: "a path without a slash",
      ops: [{ op: "remove", path: "spec" }],
      detail: 'remove operation does not apply: doc is missing path: "spec"',
    },
    {
      name: "add at the root",
      ops: [{ op: "add", path: "", value: {} }],
      detail: 'add operation does not apply: doc is missing path: ""',
    },
    { name: "an unknown op", ops: [{ op: "merge", path: "/a" }], detail: "Unexpected kind: merge" },
    { name: "no op", ops: [{ path: "/a" }], detail: "Unexpected kind: unknown" },
    { name: "a null operation", ops: [null], detail: "Unexpected kind: unknown" },
    {
      name: "no path",
      ops: [{ op: "add", value: 1 }],
      detail: "operation missing path field: missing value",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assertRejected(() => applyJsonPatch(doc(), c.ops), c.detail));
  }
});

Deno.test("applyJsonPatch() applies nothing when one operation fails", () => {
  const input = doc();
  assertRejected(() =>
    applyJsonPatch(input, [
      { op: "replace", path: "/spec/replicas", value: 5 },
      { op: "test", path: "/metadata/name", value: "other" },
    ])
  );
  assert.deepEqual(input, doc());
});

Deno.test("applyJsonPatch() strictly decodes the body like upstream", async (t) => {
  const cases = [
    {
      name: "an object",
      patch: { op: "add" },
      message:
        "error decoding patch: json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp",
    },
    {
      name: "a string operation",
      patch: ["add"],
      message:
        "error decoding patch: json: cannot unmarshal string into Go value of type handlers.jsonPatchOp",
    },
    {
      name: "a numeric path",
      patch: [{ op: "remove", path: 1 }],
      message:
        "error decoding patch: json: cannot unmarshal number into Go struct field jsonPatchOp.path of type string",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assertBadRequest(() => applyJsonPatch(doc(), c.patch), c.message));
  }
  await t.step(
    "null is an empty patch",
    () => assert.deepEqual(applyJsonPatch(doc(), null), doc()),
  );
});

Deno.test("applyJsonPatch() refuses more than 10000 operations with 413", () => {
  const ops = new Array(MAX_JSON_PATCH_OPERATIONS + 1).fill({
    op: "test",
    path: "/spec/replicas",
    value: 1,
  });
  assert.throws(() => applyJsonPatch(doc(), ops), (err: unknown) => {
    assert.ok(err instanceof PatchError);
    assert.equal(err.code, 413);
    assert.equal(err.reason, "RequestEntityTooLarge");
    assert.equal(
      err.message,
      "Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001",
    );
    return true;
  });
  const millions = { length: 2_000_000 };
  const started = performance.now();
  assert.throws(() => applyJsonPatch(doc(), Array.from(millions, () => null)), PatchError);
  assert.ok(performance.now() - started < 2000);
  assert.ok(applyJsonPatch(doc(), ops.slice(1)));
});

Deno.test("applyJsonPatch() stops copies that would blow up the document", () => {
  const ops: unknown[] = [{ op: "add", path: "/blob", value: ["x".repeat(1000)] }];
  for (let i = 0; i < 40; i++) ops.push({ op: "copy", from: "/blob", path: "/blob/-" });
  const started = performance.now();
  assertRejected(() => applyJsonPatch(doc(), ops));
  assert.ok(performance.now() - started < 2000);
  assert.equal(MAX_JSON_PATCH_COPY_BYTES, 3 * 1024 * 1024);
});

Deno.test("applyJsonPatch() refuses a patch nesting too deep with 400", () => {
  let value: unknown = 1;
  for (let i = 0; i < 50_000; i++) value = [value];
  assertBadRequest(
    () => applyJsonPatch(doc(), [{ op: "add", path: "/x", value }]),
    "exceeded max depth",
  );
});

Deno.test("applyJsonPatch() changes neither input and shares nothing with them", () => {
  const input = doc();
  const value = { name: "new", env: [{ name: "A" }] };
  const ops = [
    { op: "add", path: "/spec/containers/-", value },
    { op: "add", path: "/spec/containers/3/env/-", value: { name: "B" } },
  ];

  const out = applyJsonPatch(input, ops) as any;
  assert.deepEqual(input, doc());
  assert.deepEqual(value, { name: "new", env: [{ name: "A" }] });
  assert.deepEqual(out.spec.containers[3].env, [{ name: "A" }, { name: "B" }]);
});

Deno.test("applyJsonPatch() treats __proto__ as a plain key", () => {
  const ops = JSON.parse('[{"op":"add","path":"/__proto__","value":{"polluted":true}}]');

  const out = applyJsonPatch(doc(), ops) as any;
  assert.equal(Object.getPrototypeOf(out), Object.prototype);
  assert.deepEqual(Object.getOwnPropertyDescriptor(out, "__proto__")?.value, { polluted: true });
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});
