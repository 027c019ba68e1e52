import assert from "node:assert/strict";
import type { KubeObject } from "../types/meta_v1.ts";
import { podDisruptionBudgetStrategy } from "./pod_disruption_budget.ts";

function pdb(spec: Record<string, unknown>): KubeObject {
  return { metadata: { name: "web", namespace: "default" }, spec };
}

function errors(obj: KubeObject): string[] {
  return podDisruptionBudgetStrategy.validate!(obj).map(String);
}

Deno.test("podDisruptionBudgetStrategy.validate() reports errors as Kubernetes prints them", async (t) => {
  const cases: { name: string; obj: KubeObject; want: string[] }[] = [
    {
      name: "minAvailable as a number",
      obj: pdb({ minAvailable: 2, selector: { matchLabels: { app: "web" } } }),
      want: [],
    },
    { name: "maxUnavailable as a percentage", obj: pdb({ maxUnavailable: "50%" }), want: [] },
    {
      name: "both set",
      obj: pdb({ minAvailable: 1, maxUnavailable: 1, selector: {} }),
      want: [
        "spec: Invalid value: policy.PodDisruptionBudgetSpec{MinAvailable:(*intstr.IntOrString)(0xc000000000), Selector:(*v1.LabelSelector)(0xc000000000), MaxUnavailable:(*intstr.IntOrString)(0xc000000000), UnhealthyPodEvictionPolicy:(*policy.UnhealthyPodEvictionPolicyType)(nil)}: minAvailable and maxUnavailable cannot be both set",
      ],
    },
    {
      name: "negative",
      obj: pdb({ minAvailable: -1 }),
      want: ["spec.minAvailable: Invalid value: -1: must be greater than or equal to 0"],
    },
    {
      name: "above 100%",
      obj: pdb({ maxUnavailable: "101%" }),
      want: [
        'spec.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"101%"}: must not be greater than 100%',
      ],
    },
    {
      name: "not a percentage",
      obj: pdb({ minAvailable: "one" }),
      want: [
        "spec.minAvailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"one\"}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
      ],
    },
    {
      name: "bad selector value",
      obj: pdb({
        minAvailable: 1,
        selector: { matchExpressions: [{ key: "app", operator: "In", values: ["a b"] }] },
      }),
      want: [
        "spec.selector.matchExpressions[0].values[0]: Invalid value: \"a b\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
      ],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.deepEqual(errors(c.obj), c.want));
  }
});

Deno.test("podDisruptionBudgetStrategy.validateStatusUpdate() checks counters and conditions", () => {
  const obj: KubeObject = {
    ...pdb({ minAvailable: 1 }),
    status: {
      disruptionsAllowed: -1,
      currentHealthy: 1,
      desiredHealthy: 1,
      expectedPods: 1,
      conditions: [
        {
          type: "DisruptionAllowed",
          status: "True",
          reason: "SufficientPods",
          message: "",
          lastTransitionTime: "2025-01-01T00:00:00Z",
        },
        {
          type: "DisruptionAllowed",
          status: "False",
          reason: "bad reason",
          message: "",
          lastTransitionTime: "2025-01-01T00:00:00Z",
        },
      ],
    },
  };
  assert.deepEqual(podDisruptionBudgetStrategy.validateStatusUpdate!(obj, obj).map(String), [
    'status.conditions[1].type: Duplicate value: "DisruptionAllowed"',
    "status.conditions[1].reason: Invalid value: \"bad reason\": a condition reason must start with alphabetic character, optionally followed by a string of alphanumeric characters or '_,:', and must end with an alphanumeric character or '_' (e.g. 'my_name',  or 'MY_NAME',  or 'MyName',  or 'ReasonA,ReasonB',  or 'ReasonA:ReasonB', regex used for validation is '[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?')",
    "status.disruptionsAllowed: Invalid value: -1: must be greater than or equal to 0",
  ]);
});
