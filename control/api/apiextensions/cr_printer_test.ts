import assert from "node:assert/strict";
import { customResourcePrinter } from "./cr_printer.ts";

const NOW = Date.parse("2024-05-01T10:05:00Z");

Deno.test("customResourcePrinter() prints Name and Age without columns", () => {
  const p = customResourcePrinter([]);
  assert.deepEqual(p.columns.map((c) => [c.name, c.type, c.format]), [
    ["Name", "string", "name"],
    ["Age", "date", ""],
  ]);
  assert.deepEqual(
    p.row({ metadata: { name: "x", creationTimestamp: "2024-05-01T10:00:00Z" } }, NOW),
    ["x", "5m"],
  );
});

Deno.test("customResourcePrinter() computes cells by column type", async (t) => {
  const p = customResourcePrinter([
    { name: "Str", type: "string", jsonPath: ".spec.s" },
    { name: "Int", type: "integer", jsonPath: ".spec.i" },
    { name: "Num", type: "number", jsonPath: ".spec.n" },
    { name: "Bool", type: "boolean", jsonPath: ".spec.b", priority: 1 },
    { name: "When", type: "date", jsonPath: ".spec.t", format: "date-time" },
    { name: "Ready", type: "string", jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
  ]);
  await t.step("columns keep priority and format", () => {
    assert.deepEqual(p.columns.map((c) => [c.name, c.priority, c.format]), [
      ["Name", 0, "name"],
      ["Str", 0, ""],
      ["Int", 0, ""],
      ["Num", 0, ""],
      ["Bool", 1, ""],
      ["When", 0, "date-time"],
      ["Ready", 0, ""],
    ]);
  });
  const cases = [
    {
      name: "values of the right types",
      spec: { s: "a", i: 2, n: 1.5, b: true, t: "2024-05-01T09:05:00Z" },
      want: ["x", "a", 2, 1.5, true, "60m", "True"],
    },
    {
      name: "missing values are null; numbers print in string columns",
      spec: { s: 7, t: "soon" },
      want: ["x", "7", null, null, null, "<invalid>", "True"],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const obj = {
        metadata: { name: "x" },
        spec: c.spec,
        status: { conditions: [{ type: "Ready", status: "True" }] },
      };
      assert.deepEqual(p.row(obj, NOW), c.want);
    });
  }
});
