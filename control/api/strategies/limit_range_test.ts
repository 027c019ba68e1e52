import assert from "node:assert/strict";
import type { LimitRange, LimitRangeItem } from "../types/core_v1_policy.ts";
import { limitRangeStrategy } from "./limit_range.ts";

function lr(limits: LimitRangeItem[]): LimitRange {
  return { metadata: { name: "limits", namespace: "default" }, spec: { limits } };
}

Deno.test("limitRangeStrategy.default() fills container defaults from max, default and min", () => {
  const obj = lr([
    { type: "Container", max: { cpu: "2" }, min: { memory: "64Mi" } },
    { type: "Pod", max: { cpu: "4" } },
  ]);
  limitRangeStrategy.default!(obj);
  const [container, pod] = obj.spec!.limits;
  assert.deepEqual(container!.default, { cpu: "2" });
  assert.deepEqual(container!.defaultRequest, { cpu: "2", memory: "64Mi" });
  assert.equal(pod!.default, undefined);
});

Deno.test("limitRangeStrategy.validate() reports upstream's messages", async (t) => {
  const cases: [string, LimitRangeItem[], string[]][] = [
    ["consistent", [{ type: "Container", min: { cpu: "100m" }, max: { cpu: "1" } }], []],
    ["min above max", [{ type: "Container", min: { cpu: "2" }, max: { cpu: "1" } }], [
      'spec.limits[0].min[cpu]: Invalid value: "2": min value 2 is greater than max value 1',
    ]],
    ["unknown type", [{ type: "Thing", max: { cpu: "1" } }], [
      'spec.limits[0].type: Invalid value: "Thing": must be a standard limit type or fully qualified',
    ]],
    ["duplicate type", [{ type: "Pod" }, { type: "Pod" }], [
      'spec.limits[1].type: Duplicate value: "Pod"',
    ]],
    ["defaults on pods", [{ type: "Pod", default: { cpu: "1" } }], [
      "spec.limits[0].default: Forbidden: may not be specified when `type` is 'Pod'",
    ]],
    ["claims without storage", [{ type: "PersistentVolumeClaim", max: { cpu: "1" } }], [
      "spec.limits[0].limits: Required value: either minimum or maximum storage value is required, but neither was provided",
    ]],
    ["container resource", [{ type: "Container", max: { storage: "1Gi" } }], [
      'spec.limits[0].max[storage]: Invalid value: "storage": must be a standard resource for containers',
    ]],
    ["ratio below one", [{ type: "Container", maxLimitRequestRatio: { cpu: "500m" } }], [
      'spec.limits[0].maxLimitRequestRatio[cpu]: Invalid value: "500m": ratio 500m is less than 1',
    ]],
    ["ratio above max/min", [{
      type: "Container",
      min: { cpu: "1" },
      max: { cpu: "2" },
      maxLimitRequestRatio: { cpu: "3" },
    }], [
      'spec.limits[0].maxLimitRequestRatio[cpu]: Invalid value: "3": ratio 3 is greater than max/min = 2.000000',
    ]],
  ];
  for (const [name, limits, want] of cases) {
    await t.step(
      name,
      () => assert.deepEqual(limitRangeStrategy.validate!(lr(limits)).map(String), want),
    );
  }
});
