import assert from "node:assert/strict";
import { FieldPath } from "../validation/field_errors.ts";
import { validateLabelSelector } from "./_groups_selector.ts";

Deno.test("validateLabelSelector() reports upstream's messages", async (t) => {
  const path = new FieldPath("s");
  const cases: {
    name: string;
    selector: Parameters<typeof validateLabelSelector>[0];
    want: string[];
  }[] = [
    { name: "absent", selector: undefined, want: [] },
    {
      name: "valid",
      selector: { matchLabels: { a: "b" }, matchExpressions: [{ key: "k", operator: "Exists" }] },
      want: [],
    },
    {
      name: "values with Exists",
      selector: { matchExpressions: [{ key: "k", operator: "DoesNotExist", values: ["x"] }] },
      want: [
        "s.matchExpressions[0].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
      ],
    },
    {
      name: "a bad label value",
      selector: { matchExpressions: [{ key: "k", operator: "In", values: ["-x"] }] },
      want: [
        `s.matchExpressions[0].values[0]: Invalid value: "-x": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
      ],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.deepEqual(validateLabelSelector(c.selector, { path }).map(String), c.want);
    });
  }
});
