import assert from "node:assert/strict";
import {
  LimitRange,
  LimitRangeItem,
  LimitRangeSpec,
  ResourceQuota,
  ResourceQuotaSpec,
  ResourceQuotaStatus,
  ScopedResourceSelectorRequirement,
  ScopeSelector,
} from "./core_v1_policy.ts";

Deno.test("LimitRange types carry upstream field numbers and required fields", () => {
  assert.deepEqual(
    Object.fromEntries(Object.entries(LimitRangeItem.fields).map(([k, f]) => [k, f.proto])),
    { type: 1, max: 2, min: 3, default: 4, defaultRequest: 5, maxLimitRequestRatio: 6 },
  );
  assert.equal(LimitRangeItem.fields.type.required, true);
  assert.equal(LimitRangeSpec.fields.limits.required, true);
  assert.equal(LimitRangeItem.fields.max.schema.values.type, "quantity");
  assert.equal(LimitRange.fields.spec.proto, 2);
});

Deno.test("ResourceQuota types carry upstream field numbers, enums and map types", () => {
  assert.deepEqual(
    [
      ResourceQuotaSpec.fields.hard.proto,
      ResourceQuotaSpec.fields.scopes.proto,
      ResourceQuotaSpec.fields.scopeSelector.proto,
    ],
    [1, 2, 3],
  );
  assert.deepEqual([ResourceQuotaStatus.fields.hard.proto, ResourceQuotaStatus.fields.used.proto], [
    1,
    2,
  ]);
  assert.equal(ScopeSelector.mapType, "atomic");
  assert.deepEqual(ScopedResourceSelectorRequirement.fields.operator.schema.enum, [
    "DoesNotExist",
    "Exists",
    "In",
    "NotIn",
  ]);
  assert.equal(ResourceQuota.fields.status.proto, 3);
});
