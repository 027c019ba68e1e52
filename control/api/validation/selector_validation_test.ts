import assert from "node:assert/strict";
import { FieldPath } from "./field_errors.ts";
import {
  validateLabelSelector,
  validateNodeSelector,
  validateNodeSelectorTerm,
} from "./selector_validation.ts";

const LABEL_VALUE_REGEX =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

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
      want: [`s.matchExpressions[0].values[0]: Invalid value: "-x": ${LABEL_VALUE_REGEX}`],
    },
    {
      name: "no values with In, and a bad operator",
      selector: {
        matchExpressions: [{ key: "k", operator: "In" }, {
          key: "k",
          operator: "Gt",
          values: ["1"],
        }],
      },
      want: [
        "s.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
        's.matchExpressions[1].operator: Invalid value: "Gt": not a valid selector operator',
      ],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.deepEqual(validateLabelSelector(c.selector, { path }).map(String), c.want);
    });
  }
});

Deno.test("validateLabelSelector() may accept invalid label values", () => {
  const selector = { matchExpressions: [{ key: "k", operator: "In", values: ["-x"] }] };
  const path = new FieldPath("s");
  assert.deepEqual(validateLabelSelector(selector, { path, allowInvalidLabelValue: true }), []);
});

Deno.test("validateNodeSelector() checks terms, expressions and fields", async (t) => {
  const path = new FieldPath("spec").child("nodeAffinity").child("required");
  const cases: {
    name: string;
    selector: Parameters<typeof validateNodeSelector>[0];
    want: string[];
  }[] = [
    {
      name: "no terms",
      selector: { nodeSelectorTerms: [] },
      want: [
        "spec.nodeAffinity.required.nodeSelectorTerms: Required value: must have at least one node selector term",
      ],
    },
    {
      name: "Gt with two values and a bad value",
      selector: {
        nodeSelectorTerms: [{
          matchExpressions: [
            { key: "n", operator: "Gt", values: ["1", "2"] },
            { key: "zone", operator: "In", values: ["a b"] },
          ],
        }],
      },
      want: [
        "spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values: Required value: must be specified single value when `operator` is 'Lt' or 'Gt'",
        `spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[1].values[0]: Invalid value: "a b": ${LABEL_VALUE_REGEX}`,
      ],
    },
    {
      name: "match fields",
      selector: {
        nodeSelectorTerms: [{
          matchFields: [
            { key: "metadata.name", operator: "In", values: ["node-1", "node-2"] },
            { key: "spec.unschedulable", operator: "Exists" },
          ],
        }],
      },
      want: [
        "spec.nodeAffinity.required.nodeSelectorTerms[0].matchFields[0].values: Required value: must be only one value when `operator` is 'In' or 'NotIn' for node field selector",
        'spec.nodeAffinity.required.nodeSelectorTerms[0].matchFields[1].operator: Invalid value: "Exists": not a valid selector operator',
        'spec.nodeAffinity.required.nodeSelectorTerms[0].matchFields[1].key: Invalid value: "spec.unschedulable": not a valid field selector key',
      ],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.deepEqual(validateNodeSelector(c.selector, { path }).map(String), c.want);
    });
  }
});

Deno.test("validateNodeSelectorTerm() may accept invalid label values (preferred terms)", () => {
  const term = { matchExpressions: [{ key: "zone", operator: "In", values: ["a b"] }] };
  const path = new FieldPath("preference");
  assert.equal(validateNodeSelectorTerm(term, { path }).length, 1);
  assert.deepEqual(validateNodeSelectorTerm(term, { path, allowInvalidLabelValue: true }), []);
});
