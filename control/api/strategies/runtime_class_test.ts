import assert from "node:assert/strict";
import type { KubeObject } from "../types/meta_v1.ts";
import type { RuntimeClass } from "../types/node_v1.ts";
import { runtimeClassStrategy, validateRuntimeClass } from "./runtime_class.ts";

function rc(fields: Partial<RuntimeClass>): RuntimeClass {
  return { metadata: { name: "gvisor" }, handler: "runsc", ...fields };
}

Deno.test("validateRuntimeClass() reports upstream's messages", async (t) => {
  const cases: { name: string; rc: RuntimeClass; want: string[] }[] = [
    {
      name: "a valid class",
      rc: rc({
        overhead: { podFixed: { cpu: "250m", memory: "120Mi" } },
        scheduling: {
          nodeSelector: { "runtime/gvisor": "true" },
          tolerations: [{ key: "sandbox", operator: "Exists", effect: "NoSchedule" }],
        },
      }),
      want: [],
    },
    {
      name: "a handler that is not a DNS label",
      rc: rc({ handler: "Run_SC" }),
      want: [
        `handler: Invalid value: "Run_SC": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
      ],
    },
    {
      name: "a negative and a non-container overhead",
      rc: rc({ overhead: { podFixed: { cpu: "-1", pods: "1" } } }),
      want: [
        'overhead.limits[cpu]: Invalid value: "-1": must be greater than or equal to 0',
        'overhead.limits[pods]: Invalid value: "pods": must be a standard resource for containers',
      ],
    },
    {
      name: "hugepages without cpu or memory",
      rc: rc({ overhead: { podFixed: { "hugepages-2Mi": "2Mi" } } }),
      want: ["overhead: Forbidden: HugePages require cpu or memory"],
    },
    {
      name: "toleration errors",
      rc: rc({
        scheduling: {
          tolerations: [
            { operator: "Equal", value: "x" },
            { key: "a", operator: "Exists", value: "v" },
            { key: "b", tolerationSeconds: 5, effect: "NoSchedule" },
          ],
        },
      }),
      want: [
        'scheduling.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"',
        'scheduling.tolerations[1].operator: Invalid value: core.Toleration{Key:"a", Operator:"Exists", Value:"v", Effect:"", TolerationSeconds:(*int64)(nil)}: value must be empty when `operator` is \'Exists\'',
        `scheduling.tolerations[2].effect: Invalid value: "NoSchedule": effect must be 'NoExecute' when \`tolerationSeconds\` is set`,
      ],
    },
    {
      name: "duplicate tolerations",
      rc: rc({
        scheduling: {
          tolerations: [
            { key: "a", operator: "Exists", effect: "NoSchedule" },
            { key: "a", operator: "Exists", effect: "NoSchedule" },
          ],
        },
      }),
      want: [
        'scheduling.tolerations[1]: Duplicate value: core.Toleration{Key:"a", Operator:"Exists", Value:"", Effect:"NoSchedule", TolerationSeconds:(*int64)(nil)}',
      ],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.deepEqual(validateRuntimeClass(c.rc).map(String), c.want));
  }
});

Deno.test("runtimeClassStrategy keeps the handler immutable", () => {
  const errs = runtimeClassStrategy.validateUpdate!(
    rc({ handler: "kata" }) as KubeObject,
    rc({}) as KubeObject,
  );
  assert.deepEqual(errs.map(String), ['handler: Invalid value: "kata": field is immutable']);
  assert.equal(runtimeClassStrategy.nameRule, "subdomain");
});
