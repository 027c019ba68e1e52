import assert from "node:assert/strict";
import type { Pod } from "../api/types/core_v1_pod.ts";
import type { Condition } from "../api/types/meta_v1.ts";
import type { PodDisruptionBudget, PodDisruptionBudgetStatus } from "../api/types/policy_v1.ts";
import {
  buildDisruptedPodMap,
  conditionsAreUpToDate,
  countHealthyPods,
  DELETION_TIMEOUT_MS,
  disruptionsAllowed,
  goLabelSelector,
  sameDisruptedPods,
  scaledValueFromIntOrPercent,
  setStatusCondition,
  updateDisruptionAllowedCondition,
} from "./_pdb_status.ts";
import { rfc3339 } from "./_rfc3339.ts";

const NOW = Date.UTC(2025, 0, 1, 12, 0, 0);

function pod(name: string, options: { ready?: boolean; deleting?: boolean } = {}): Pod {
  return {
    metadata: {
      name,
      namespace: "default",
      ...(options.deleting ? { deletionTimestamp: rfc3339(NOW) } : {}),
    },
    status: {
      phase: "Running",
      conditions: [{ type: "Ready", status: options.ready === false ? "False" : "True" }],
    },
  };
}

Deno.test("scaledValueFromIntOrPercent() scales percentages, rounding as asked", async (t) => {
  const cases: [number | string, number, boolean, number][] = [
    [3, 10, true, 3],
    ["50%", 3, true, 2],
    ["50%", 3, false, 1],
    ["34%", 3, true, 2],
    ["100%", 7, true, 7],
    ["0%", 7, true, 0],
    ["25%", 0, true, 0],
  ];
  for (const [value, total, roundUp, want] of cases) {
    await t.step(`${value} of ${total} rounded ${roundUp ? "up" : "down"} is ${want}`, () => {
      assert.equal(scaledValueFromIntOrPercent(value, { total, roundUp }), want);
    });
  }
  await t.step("a string without % fails with upstream's text", () => {
    assert.throws(() => scaledValueFromIntOrPercent("5", { total: 10, roundUp: true }), {
      message: "invalid value for IntOrString: invalid type: string is not a percentage",
    });
  });
  await t.step("a percentage that is not an integer fails with Atoi's text", () => {
    assert.throws(() => scaledValueFromIntOrPercent("x%", { total: 10, roundUp: true }), {
      message:
        'invalid value for IntOrString: invalid value "x%": strconv.Atoi: parsing "x": invalid syntax',
    });
  });
});

Deno.test("setStatusCondition() keeps the transition time unless the status changes", async (t) => {
  const base = {
    type: "DisruptionAllowed",
    reason: "SufficientPods",
    message: "",
    observedGeneration: 1,
  };
  await t.step("a new condition is appended with now", () => {
    const conditions: Condition[] = [];
    assert.equal(
      setStatusCondition(conditions, { update: { ...base, status: "True" }, nowMs: NOW }),
      true,
    );
    assert.deepEqual(conditions, [{ ...base, status: "True", lastTransitionTime: rfc3339(NOW) }]);
  });
  await t.step("a new reason keeps the time; a new status takes now", () => {
    const earlier = rfc3339(NOW - 60_000);
    const conditions: Condition[] = [{
      ...base,
      status: "False",
      reason: "SyncFailed",
      message: "x",
      lastTransitionTime: earlier,
    }];
    assert.equal(
      setStatusCondition(conditions, {
        update: { ...base, status: "False", reason: "InsufficientPods" },
        nowMs: NOW,
      }),
      true,
    );
    assert.equal(conditions[0]!.lastTransitionTime, earlier);
    assert.equal(conditions[0]!.message, "");
    setStatusCondition(conditions, { update: { ...base, status: "True" }, nowMs: NOW });
    assert.equal(conditions[0]!.lastTransitionTime, rfc3339(NOW));
  });
  await t.step("the same condition changes nothing", () => {
    const conditions: Condition[] = [{ ...base, status: "True", lastTransitionTime: rfc3339(NOW) }];
    assert.equal(
      setStatusCondition(conditions, { update: { ...base, status: "True" }, nowMs: NOW + 5000 }),
      false,
    );
    assert.equal(conditions[0]!.lastTransitionTime, rfc3339(NOW));
  });
});

Deno.test("updateDisruptionAllowedCondition() and conditionsAreUpToDate() agree with disruptionsAllowed", async (t) => {
  for (const allowed of [0, 2]) {
    await t.step(`${allowed} allowed`, () => {
      const status: PodDisruptionBudgetStatus = {
        currentHealthy: 3,
        desiredHealthy: 3 - allowed,
        expectedPods: 3,
        disruptionsAllowed: allowed,
        observedGeneration: 2,
      };
      const pdb: PodDisruptionBudget = { metadata: { generation: 2 }, status };
      assert.equal(conditionsAreUpToDate(pdb), false);
      updateDisruptionAllowedCondition(status, NOW);
      assert.deepEqual(status.conditions, [{
        type: "DisruptionAllowed",
        status: allowed > 0 ? "True" : "False",
        reason: allowed > 0 ? "SufficientPods" : "InsufficientPods",
        message: "",
        observedGeneration: 2,
        lastTransitionTime: rfc3339(NOW),
      }]);
      assert.equal(conditionsAreUpToDate(pdb), true);
      assert.equal(conditionsAreUpToDate({ ...pdb, metadata: { generation: 3 } }), false);
      assert.equal(
        conditionsAreUpToDate({ ...pdb, status: { ...status, disruptionsAllowed: 1 - allowed } }),
        false,
        "a condition for the other side of 0 is stale",
      );
    });
  }
});

Deno.test("disruptionsAllowed() is never negative and 0 without expected pods", async (t) => {
  const cases: [number, number, number, number][] = [
    [3, 2, 3, 1],
    [1, 2, 3, 0],
    [3, 0, 0, 0],
    [5, 0, 5, 5],
  ];
  for (const [currentHealthy, desiredHealthy, expectedPods, want] of cases) {
    await t.step(
      `${currentHealthy} healthy, ${desiredHealthy} desired, ${expectedPods} expected`,
      () => {
        assert.equal(disruptionsAllowed({ currentHealthy, desiredHealthy, expectedPods }), want);
      },
    );
  }
});

Deno.test("countHealthyPods() counts ready pods that are neither deleting nor recently evicted", () => {
  const pods = [
    pod("a"),
    pod("b", { ready: false }),
    pod("c", { deleting: true }),
    pod("d"),
    pod("e"),
  ];
  const disruptedPods = {
    d: rfc3339(NOW - 10_000),
    e: rfc3339(NOW - DELETION_TIMEOUT_MS - 1000),
  };
  assert.equal(countHealthyPods(pods, { disruptedPods, nowMs: NOW }), 2);
  assert.equal(countHealthyPods(pods, { disruptedPods: {}, nowMs: NOW }), 3);
});

Deno.test("buildDisruptedPodMap() drops gone, deleting and overdue pods and finds the recheck time", () => {
  const pdb: PodDisruptionBudget = {
    metadata: { name: "web", namespace: "default" },
    status: {
      currentHealthy: 0,
      desiredHealthy: 0,
      expectedPods: 0,
      disruptionsAllowed: 0,
      disruptedPods: {
        gone: rfc3339(NOW - 1000),
        deleting: rfc3339(NOW - 1000),
        overdue: rfc3339(NOW - DELETION_TIMEOUT_MS - 1000),
        early: rfc3339(NOW - 30_000),
        late: rfc3339(NOW - 10_000),
      },
    },
  };
  const pods = [pod("deleting", { deleting: true }), pod("overdue"), pod("early"), pod("late")];
  const result = buildDisruptedPodMap(pods, { pdb, nowMs: NOW });
  assert.deepEqual(result.disruptedPods, {
    early: rfc3339(NOW - 30_000),
    late: rfc3339(NOW - 10_000),
  });
  assert.equal(result.recheckAtMs, NOW - 30_000 + DELETION_TIMEOUT_MS);
  assert.deepEqual(result.overdue.map((p) => p.metadata?.name), ["overdue"]);
  const none = buildDisruptedPodMap(pods, { pdb: { metadata: {} }, nowMs: NOW });
  assert.deepEqual(none, { disruptedPods: {}, recheckAtMs: null, overdue: [] });
});

Deno.test("sameDisruptedPods() treats nil as empty and compares times", () => {
  assert.equal(sameDisruptedPods(undefined, {}), true);
  assert.equal(
    sameDisruptedPods({ a: "2025-01-01T12:00:00Z" }, { a: "2025-01-01T12:00:00.000Z" }),
    true,
  );
  assert.equal(
    sameDisruptedPods({ a: "2025-01-01T12:00:00Z" }, { a: "2025-01-01T12:00:01Z" }),
    false,
  );
  assert.equal(
    sameDisruptedPods({ a: "2025-01-01T12:00:00Z" }, { b: "2025-01-01T12:00:00Z" }),
    false,
  );
  assert.equal(sameDisruptedPods({ a: "2025-01-01T12:00:00Z" }, undefined), false);
});

Deno.test("goLabelSelector() prints a selector as Go's %v does", async (t) => {
  await t.step("nil", () => assert.equal(goLabelSelector(undefined), "nil"));
  await t.step("labels sorted, no expressions", () => {
    assert.equal(
      goLabelSelector({ matchLabels: { tier: "web", app: "shop" } }),
      "&LabelSelector{MatchLabels:map[string]string{app: shop,tier: web,},MatchExpressions:[]LabelSelectorRequirement{},}",
    );
  });
  await t.step("expressions", () => {
    assert.equal(
      goLabelSelector({
        matchExpressions: [{ key: "app", operator: "In", values: ["a", "b"] }, {
          key: "x",
          operator: "Exists",
        }],
      }),
      "&LabelSelector{MatchLabels:map[string]string{},MatchExpressions:[]LabelSelectorRequirement{LabelSelectorRequirement{Key:app,Operator:In,Values:[a b],},LabelSelectorRequirement{Key:x,Operator:Exists,Values:[],},},}",
    );
  });
});
