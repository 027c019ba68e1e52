import assert from "node:assert/strict";
import { Condition, DeleteOptions, LabelSelector } from "./meta_v1.ts";
import {
  Eviction,
  PodDisruptionBudget,
  PodDisruptionBudgetSpec,
  PodDisruptionBudgetStatus,
} from "./policy_v1.ts";

Deno.test("policy/v1 kinds carry their group, version and kind", async (t) => {
  for (
    const [schema, kind] of [[PodDisruptionBudget, "PodDisruptionBudget"], [
      Eviction,
      "Eviction",
    ]] as const
  ) {
    await t.step(kind, () => {
      assert.equal(schema.name, `io.k8s.api.policy.v1.${kind}`);
      assert.deepEqual(schema.gvk, [{ group: "policy", version: "v1", kind }]);
    });
  }
});

Deno.test("PodDisruptionBudgetSpec fields: intOrString budgets, a replace-patched selector", () => {
  const f = PodDisruptionBudgetSpec.fields;
  assert.equal(f.minAvailable.schema.type, "intOrString");
  assert.equal(f.minAvailable.proto, 1);
  assert.equal(f.selector.schema, LabelSelector);
  assert.equal(f.selector.proto, 2);
  assert.equal(f.selector.patchStrategy, "replace");
  assert.equal(f.maxUnavailable.proto, 3);
  assert.equal(f.unhealthyPodEvictionPolicy.proto, 4);
  assert.deepEqual(f.unhealthyPodEvictionPolicy.schema.enum, ["IfHealthyBudget", "AlwaysAllow"]);
});

Deno.test("PodDisruptionBudgetStatus: required counters, a map of times, metav1 conditions", () => {
  const f = PodDisruptionBudgetStatus.fields;
  assert.equal(f.observedGeneration.proto, 1);
  assert.equal(f.disruptedPods.proto, 2);
  assert.equal(f.disruptedPods.schema.type, "map");
  assert.equal(f.disruptedPods.schema.values.type, "time");
  for (
    const [k, n] of [
      ["disruptionsAllowed", 3],
      ["currentHealthy", 4],
      ["desiredHealthy", 5],
      ["expectedPods", 6],
    ] as const
  ) {
    assert.equal(f[k].proto, n);
    assert.equal(f[k].required, true);
  }
  assert.equal(f.conditions.proto, 7);
  assert.equal(f.conditions.schema.items, Condition);
  assert.equal(f.conditions.schema.listType, "map");
  assert.equal(f.conditions.patchMergeKey, "type");
});

Deno.test("Eviction carries the pod's metadata and delete options", () => {
  assert.equal(Eviction.fields.metadata.proto, 1);
  assert.equal(Eviction.fields.deleteOptions.proto, 2);
  assert.equal(Eviction.fields.deleteOptions.schema, DeleteOptions);
});
