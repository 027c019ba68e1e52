import assert from "node:assert/strict";
import {
  ensureJobCondition,
  isJobFinished,
  jobFinishedCondition,
  newJobCondition,
} from "./_job_conditions.ts";

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);

Deno.test("isJobFinished() is true for Complete or Failed with status True only", () => {
  assert.equal(isJobFinished({}), false);
  assert.equal(
    isJobFinished({ status: { conditions: [{ type: "FailureTarget", status: "True" }] } }),
    false,
  );
  assert.equal(
    isJobFinished({ status: { conditions: [{ type: "Complete", status: "False" }] } }),
    false,
  );
  const done = { status: { conditions: [{ type: "Failed", status: "True", reason: "X" }] } };
  assert.equal(isJobFinished(done), true);
  assert.equal(jobFinishedCondition(done)?.reason, "X");
});

Deno.test("newJobCondition() stamps both times and leaves out empty reason and message", () => {
  assert.deepEqual(
    newJobCondition({ type: "Complete", status: "True", reason: "", message: "" }, T0),
    {
      type: "Complete",
      status: "True",
      lastProbeTime: "2025-01-01T12:00:00Z",
      lastTransitionTime: "2025-01-01T12:00:00Z",
    },
  );
});

Deno.test("ensureJobCondition() adds, replaces or leaves a condition", async (t) => {
  const suspended = { type: "Suspended", reason: "JobSuspended", message: "Job suspended" };
  await t.step("a missing False condition is not added", () => {
    const r = ensureJobCondition(undefined, {
      ...suspended,
      status: "False",
      nowMs: T0,
    });
    assert.deepEqual(r, { conditions: [], changed: false });
  });
  await t.step("a missing True condition is added", () => {
    const r = ensureJobCondition([], { ...suspended, status: "True", nowMs: T0 });
    assert.equal(r.changed, true);
    assert.equal(r.conditions[0]?.lastTransitionTime, "2025-01-01T12:00:00Z");
  });
  await t.step("the same condition is left alone", () => {
    const first = ensureJobCondition([], { ...suspended, status: "True", nowMs: T0 }).conditions;
    const r = ensureJobCondition(first, { ...suspended, status: "True", nowMs: T0 + 60_000 });
    assert.equal(r.changed, false);
    assert.equal(r.conditions[0]?.lastTransitionTime, "2025-01-01T12:00:00Z");
  });
  await t.step("a different status replaces it", () => {
    const first = ensureJobCondition([], { ...suspended, status: "True", nowMs: T0 }).conditions;
    const r = ensureJobCondition(first, {
      type: "Suspended",
      status: "False",
      reason: "JobResumed",
      message: "Job resumed",
      nowMs: T0 + 60_000,
    });
    assert.equal(r.changed, true);
    assert.deepEqual(r.conditions.map((c) => [c.status, c.reason, c.lastTransitionTime]), [
      ["False", "JobResumed", "2025-01-01T12:01:00Z"],
    ]);
  });
});
