import assert from "node:assert/strict";
import { FieldSet, FieldsV1Error } from "./field_set.ts";
import { fieldElement as f, keyElement, pathString, valueElement } from "./path_element.ts";

const nginx = keyElement([["name", "nginx"]]);

/** managedFields of `kubectl apply --server-side` of a Deployment (upstream's shape). */
const APPLIED_DEPLOYMENT = {
  "f:spec": {
    "f:replicas": {},
    "f:selector": {},
    "f:template": {
      "f:metadata": { "f:labels": { "f:app": {} } },
      "f:spec": {
        "f:containers": { 'k:{"name":"nginx"}': { ".": {}, "f:image": {}, "f:name": {} } },
      },
    },
  },
};

/** The ConfigMap of the server-side apply documentation's managedFields example. */
const DOCS_CONFIGMAP = {
  "f:data": { "f:key": {} },
  "f:metadata": { "f:labels": { "f:test-label": {} } },
};

Deno.test("FieldSet.fromFieldsV1() and toFieldsV1() round-trip upstream's encodings", async (t) => {
  for (const [name, fields] of Object.entries({ APPLIED_DEPLOYMENT, DOCS_CONFIGMAP })) {
    await t.step(name, () => {
      const set = FieldSet.fromFieldsV1(fields);
      assert.deepEqual(set.toFieldsV1(), fields);
      // Keys come out in upstream's order, whatever order they came in.
      assert.deepEqual(JSON.stringify(set.toFieldsV1()), JSON.stringify(fields));
    });
  }
  await t.step("out-of-order keys are sorted", () => {
    const set = FieldSet.fromFieldsV1({ "f:metadata": {}, "f:data": { "f:b": {}, "f:a": {} } });
    assert.equal(
      JSON.stringify(set.toFieldsV1()),
      '{"f:data":{"f:a":{},"f:b":{}},"f:metadata":{}}',
    );
  });
});

Deno.test("FieldSet.fromFieldsV1() reads members, `.` and children as upstream", async (t) => {
  const set = FieldSet.fromFieldsV1(APPLIED_DEPLOYMENT);
  const cases: { path: ReturnType<typeof f>[]; has: boolean }[] = [
    { path: [f("spec"), f("replicas")], has: true },
    { path: [f("spec")], has: false },
    { path: [f("spec"), f("template"), f("spec"), f("containers"), nginx], has: true },
    { path: [f("spec"), f("template"), f("spec"), f("containers"), nginx, f("image")], has: true },
    { path: [f("spec"), f("template"), f("spec"), f("containers")], has: false },
    { path: [f("spec"), f("selector")], has: true },
  ];
  for (const c of cases) {
    await t.step(`${pathString(c.path)} ${c.has ? "is" : "is not"} a member`, () => {
      assert.equal(set.has(c.path), c.has);
    });
  }
  await t.step("size counts the members", () => assert.equal(set.size, 6));
});

Deno.test("FieldSet.fromFieldsV1() refuses what is not a field set", async (t) => {
  const cases: Record<string, unknown> = {
    "not an object": [],
    "a value that is not an object": { "f:a": 1 },
    "an unknown element type": { "x:a": {} },
    "bad key JSON": { "k:{": {} },
  };
  for (const [name, fields] of Object.entries(cases)) {
    await t.step(name, () => assert.throws(() => FieldSet.fromFieldsV1(fields), FieldsV1Error));
  }
});

Deno.test("FieldSet set operations keep members and children apart", async (t) => {
  const a = FieldSet.of([f("spec"), f("replicas")], [f("spec"), f("paused")], [f("metadata")]);
  const b = FieldSet.of([f("spec"), f("replicas")], [f("metadata"), f("name")]);
  await t.step("union", () => {
    assert.deepEqual(a.union(b).toFieldsV1(), {
      "f:metadata": { ".": {}, "f:name": {} },
      "f:spec": { "f:paused": {}, "f:replicas": {} },
    });
  });
  await t.step("intersection", () => {
    assert.deepEqual(a.intersection(b).toFieldsV1(), { "f:spec": { "f:replicas": {} } });
  });
  await t.step("difference keeps a member whose children the other has", () => {
    assert.deepEqual(a.difference(b).toFieldsV1(), {
      "f:metadata": {},
      "f:spec": { "f:paused": {} },
    });
  });
  await t.step("difference of a parent member leaves the children", () => {
    const d = b.difference(FieldSet.of([f("metadata")]));
    assert.deepEqual(d.toFieldsV1(), {
      "f:metadata": { "f:name": {} },
      "f:spec": { "f:replicas": {} },
    });
  });
  await t.step("equals", () => {
    assert.equal(a.union(b).equals(b.union(a)), true);
    assert.equal(a.equals(b), false);
  });
  await t.step("operations leave their operands alone", () => {
    assert.equal(a.size, 3);
    assert.equal(b.size, 2);
  });
});

Deno.test("FieldSet.paths() iterates members of a level before the levels below", () => {
  const set = FieldSet.of(
    [f("spec"), f("template"), f("spec"), f("containers"), nginx, f("image")],
    [f("spec"), f("replicas")],
    [f("metadata"), f("finalizers"), valueElement("x")],
    [f("spec"), f("paused")],
  );
  assert.deepEqual(set.paths().map(pathString), [
    '.metadata.finalizers[="x"]',
    ".spec.paused",
    ".spec.replicas",
    '.spec.template.spec.containers[name="nginx"].image',
  ]);
});
