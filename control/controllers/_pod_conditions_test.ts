import assert from "node:assert/strict";
import type { PodStatus } from "../api/types/core_v1_pod.ts";
import { setPodCondition } from "./_pod_conditions.ts";

const T0 = Date.parse("2025-01-01T00:00:00Z");

Deno.test("setPodCondition() moves lastTransitionTime only when the status changes", () => {
  const status: PodStatus = {
    conditions: [{ type: "Ready", status: "True", lastTransitionTime: "2024-12-31T00:00:00Z" }],
  };
  assert.ok(setPodCondition(status, { update: { type: "Ready", status: "False" }, nowMs: T0 }));
  assert.deepEqual(status.conditions, [
    { type: "Ready", status: "False", lastTransitionTime: "2025-01-01T00:00:00Z" },
  ]);
  assert.equal(
    setPodCondition(status, { update: { type: "Ready", status: "False" }, nowMs: T0 + 5000 }),
    false,
  );
  const update = {
    type: "DisruptionTarget",
    status: "True" as const,
    reason: "DeletionByTaintManager",
    message: "Taint manager: deleting due to NoExecute taint",
  };
  assert.ok(setPodCondition(status, { update, nowMs: T0 }));
  assert.deepEqual(status.conditions?.[1], {
    ...update,
    lastTransitionTime: "2025-01-01T00:00:00Z",
  });
  assert.equal(setPodCondition(status, { update, nowMs: T0 + 1000 }), false);
});
