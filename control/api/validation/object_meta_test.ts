import assert from "node:assert/strict";
import { validateObjectMeta, validateObjectMetaUpdate } from "./object_meta.ts";

const SUBDOMAIN = { namespaced: true, nameRule: "subdomain" } as const;

Deno.test("validateObjectMeta() reports label and annotation problems at the map's path", () => {
  const errs = validateObjectMeta(
    { name: "web", namespace: "default", labels: { app: "-web" } },
    SUBDOMAIN,
  ).map(String);
  assert.equal(errs.length, 1);
  assert.match(errs[0]!, /^metadata\.labels: Invalid value: "-web": a valid label must be/);
  assert.deepEqual(
    validateObjectMeta(
      { name: "web", namespace: "default", annotations: { a: "x".repeat(256 * 1024) } },
      SUBDOMAIN,
    ).map(String),
    ["metadata.annotations: Too long: may not be more than 262144 bytes"],
  );
});

Deno.test("validateObjectMeta() checks names, namespaces and generateName", async (t) => {
  const cases: [string, Parameters<typeof validateObjectMeta>[0], string[]][] = [
    ["valid", { name: "web", namespace: "default" }, []],
    ["no name", { namespace: "default" }, [
      "metadata.name: Required value: name or generateName is required",
    ]],
    ["generateName only", { generateName: "web-", namespace: "default" }, []],
    ["no namespace", { name: "web" }, ["metadata.namespace: Required value"]],
  ];
  for (const [name, meta, want] of cases) {
    await t.step(
      name,
      () => assert.deepEqual(validateObjectMeta(meta, SUBDOMAIN).map(String), want),
    );
  }
  assert.deepEqual(
    validateObjectMeta({ name: "n", namespace: "x" }, { namespaced: false, nameRule: "label" })
      .map(String),
    ["metadata.namespace: Forbidden: not allowed on this type"],
  );
});

Deno.test("validateObjectMetaUpdate() refuses changes to identity fields", () => {
  assert.deepEqual(
    validateObjectMetaUpdate({ name: "a", uid: "2" }, { name: "a", uid: "1" }).map(String),
    ['metadata.uid: Invalid value: "2": field is immutable'],
  );
  assert.deepEqual(validateObjectMetaUpdate({ name: "a" }, { name: "a" }), []);
});
