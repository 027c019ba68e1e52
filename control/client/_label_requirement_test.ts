import assert from "node:assert/strict";
import {
  isLabelKey,
  isLabelValue,
  labelRequirementErrors,
  parseInt64,
} from "./_label_requirement.ts";

Deno.test("isLabelKey() and isLabelValue() accept what upstream's label validation does", async (t) => {
  const keys: [string, boolean][] = [
    ["app", true],
    ["kubernetes.io/arch", true],
    ["a.b-c_d", true],
    ["", false],
    ["/name", false],
    ["Example.com/name", false],
    ["bad key", false],
    ["x".repeat(63), true],
    ["x".repeat(64), false],
  ];
  for (const [key, want] of keys) {
    await t.step(`key ${JSON.stringify(key)}`, () => assert.equal(isLabelKey(key), want));
  }
  const values: [string, boolean][] = [
    ["", true],
    ["arm64", true],
    ["-a", false],
    ["a b", false],
    ["v".repeat(64), false],
  ];
  for (const [value, want] of values) {
    await t.step(`value ${JSON.stringify(value)}`, () => assert.equal(isLabelValue(value), want));
  }
});

Deno.test("parseInt64() reads base-10 int64 values only", () => {
  assert.equal(parseInt64("42"), 42n);
  assert.equal(parseInt64("-7"), -7n);
  assert.equal(parseInt64("+3"), 3n);
  assert.equal(parseInt64("9223372036854775807"), 2n ** 63n - 1n);
  assert.equal(parseInt64("9223372036854775808"), undefined);
  assert.equal(parseInt64("4.5"), undefined);
  assert.equal(parseInt64(""), undefined);
});

Deno.test("labelRequirementErrors() reports upstream's NewRequirement problems", async (t) => {
  const cases: { name: string; op: string; values: string[]; key?: string; want: string[] }[] = [
    { name: "valid In", op: "In", values: ["a"], want: [] },
    { name: "valid Gt", op: "Gt", values: ["3"], want: [] },
    {
      name: "a negative Gt bound is no label value",
      op: "Gt",
      values: ["-3"],
      want: [`p.values[0]: Invalid value: "-3"`],
    },
    {
      name: "In without values",
      op: "In",
      values: [],
      want: ["p.values: Required value: for 'in', 'notin' operators, values set can't be empty"],
    },
    {
      name: "Exists with values",
      op: "Exists",
      values: ["a"],
      want: ["p.values: Forbidden: values set must be empty for exists and does not exist"],
    },
    {
      name: "Lt with two values",
      op: "Lt",
      values: ["1", "2"],
      want: [
        "p.values: Required value: for 'Gt', 'Lt' operators, exactly one value is required",
      ],
    },
    {
      name: "Gt with a non-integer",
      op: "Gt",
      values: ["4.5"],
      want: [
        `p.values[0]: Invalid value: "4.5": for 'Gt', 'Lt' operators, the value must be an integer`,
      ],
    },
    {
      name: "a bad key and a bad value, in that order",
      op: "NotIn",
      key: "bad key",
      values: ["ok", "not ok"],
      want: [`p.key: Invalid value: "bad key"`, `p.values[1]: Invalid value: "not ok"`],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const r = { key: c.key ?? "zone", operator: c.op, values: c.values };
      assert.deepEqual(labelRequirementErrors(r, "p"), c.want);
    });
  }
});
