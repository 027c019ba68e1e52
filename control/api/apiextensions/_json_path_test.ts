import assert from "node:assert/strict";
import {
  evaluateJsonPath,
  formatJsonPathValue,
  parseJsonPath,
  simpleFields,
} from "./_json_path.ts";

const OBJ = {
  metadata: { name: "a", labels: { "app.kubernetes.io/name": "x" } },
  spec: { replicas: 3, ports: [{ port: 80 }, { port: 443 }] },
  status: {
    conditions: [
      { type: "Ready", status: "True" },
      { type: "Synced", status: "False" },
    ],
  },
};

Deno.test("evaluateJsonPath() selects what kubectl's JSONPath selects", async (t) => {
  const cases: { path: string; want: unknown[] }[] = [
    { path: ".spec.replicas", want: [3] },
    { path: "{.metadata.name}", want: ["a"] },
    { path: ".metadata.labels['app.kubernetes.io/name']", want: ["x"] },
    { path: ".spec.ports[1].port", want: [443] },
    { path: ".spec.ports[-1].port", want: [443] },
    { path: ".spec.ports[*].port", want: [80, 443] },
    { path: '.status.conditions[?(@.type=="Ready")].status', want: ["True"] },
    { path: ".status.conditions[?(@.status != 'True')].type", want: ["Synced"] },
    { path: ".spec.missing", want: [] },
    { path: ".", want: [OBJ] },
  ];
  for (const c of cases) {
    await t.step(
      c.path,
      () => assert.deepEqual(evaluateJsonPath(parseJsonPath(c.path), OBJ), c.want),
    );
  }
});

Deno.test("parseJsonPath() refuses what it cannot evaluate", () => {
  assert.throws(() => parseJsonPath(".spec[?(bad)]"), SyntaxError);
  assert.throws(() => parseJsonPath(".spec["), SyntaxError);
});

Deno.test("simpleFields() and formatJsonPathValue()", () => {
  assert.deepEqual(simpleFields(".spec.replicas"), ["spec", "replicas"]);
  assert.equal(simpleFields(".spec.list[0]"), null);
  assert.deepEqual(
    ["s", 1, true, { a: 1 }, null].map(formatJsonPathValue),
    ["s", "1", "true", '{"a":1}', "<nil>"],
  );
});
