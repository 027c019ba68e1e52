import assert from "node:assert/strict";
import type { Pod } from "../api/types/core_v1_pod.ts";
import {
  backoffRemainingMs,
  BackoffStore,
  JOB_POD_FAILURE_MAX_BACKOFF_MS,
  nextBackoffRecord,
  podFinishedMs,
} from "./_job_backoff.ts";

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);

function at(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function finished(phase: "Succeeded" | "Failed", ms: number): Pod {
  return {
    metadata: { name: `p-${ms}`, creationTimestamp: at(T0 - 3_600_000) },
    spec: { containers: [{ name: "c" }] },
    status: {
      phase,
      containerStatuses: [{
        name: "c",
        image: "busybox",
        imageID: "",
        ready: false,
        restartCount: 0,
        state: {
          terminated: { exitCode: phase === "Failed" ? 1 : 0, finishedAt: at(ms) },
        },
      }],
    },
  };
}

Deno.test("podFinishedMs() prefers container finish times, then Ready=False, then deletion", () => {
  assert.equal(podFinishedMs(finished("Failed", T0)), T0);
  const notReady: Pod = {
    metadata: { creationTimestamp: at(T0 - 60_000) },
    spec: { containers: [{ name: "c" }] },
    status: {
      phase: "Failed",
      conditions: [{ type: "Ready", status: "False", lastTransitionTime: at(T0 - 5000) }],
    },
  };
  assert.equal(podFinishedMs(notReady), T0 - 5000);
  const deleted: Pod = {
    metadata: {
      creationTimestamp: at(T0 - 60_000),
      deletionTimestamp: at(T0),
      deletionGracePeriodSeconds: 30,
    },
    spec: { containers: [{ name: "c" }] },
  };
  assert.equal(podFinishedMs(deleted), T0 - 30_000);
  assert.equal(
    podFinishedMs({ metadata: { creationTimestamp: at(T0) }, spec: { containers: [] } }),
    T0,
  );
});

Deno.test("nextBackoffRecord() counts failures since the last success", async (t) => {
  await t.step("failures add up", () => {
    let r = nextBackoffRecord(undefined, { succeeded: [], failed: [finished("Failed", T0)] });
    assert.deepEqual(r, { failuresAfterLastSuccess: 1, lastFailureMs: T0 });
    r = nextBackoffRecord(r, {
      succeeded: [],
      failed: [finished("Failed", T0 + 2000), finished("Failed", T0 + 1000)],
    });
    assert.deepEqual(r, { failuresAfterLastSuccess: 3, lastFailureMs: T0 + 2000 });
  });
  await t.step("a success resets, later failures count again", () => {
    const prev = { failuresAfterLastSuccess: 4, lastFailureMs: T0 };
    const r = nextBackoffRecord(prev, {
      succeeded: [finished("Succeeded", T0 + 5000)],
      failed: [finished("Failed", T0 + 1000), finished("Failed", T0 + 7000)],
    });
    assert.deepEqual(r, { failuresAfterLastSuccess: 1, lastFailureMs: T0 + 7000 });
  });
  await t.step("nothing new keeps the record", () => {
    const prev = { failuresAfterLastSuccess: 2, lastFailureMs: T0 };
    assert.equal(nextBackoffRecord(prev, { succeeded: [], failed: [] }), prev);
  });
});

Deno.test("backoffRemainingMs() doubles from 10 s per failure and caps at 10 minutes", async (t) => {
  const cases = [
    { failures: 0, elapsed: 0, want: 0 },
    { failures: 1, elapsed: 0, want: 10_000 },
    { failures: 1, elapsed: 4_000, want: 6_000 },
    { failures: 2, elapsed: 0, want: 20_000 },
    { failures: 3, elapsed: 50_000, want: 0 },
    { failures: 7, elapsed: 0, want: JOB_POD_FAILURE_MAX_BACKOFF_MS },
    { failures: 30, elapsed: 60_000, want: JOB_POD_FAILURE_MAX_BACKOFF_MS - 60_000 },
  ];
  for (const c of cases) {
    await t.step(`${c.failures} failures, ${c.elapsed} ms ago`, () => {
      const record = {
        failuresAfterLastSuccess: c.failures,
        lastFailureMs: c.failures > 0 ? T0 : null,
      };
      assert.equal(backoffRemainingMs(record, T0 + c.elapsed), c.want);
    });
  }
});

Deno.test("BackoffStore drops records without failures", () => {
  const store = new BackoffStore();
  store.set("ns/a", { failuresAfterLastSuccess: 2, lastFailureMs: T0 });
  assert.equal(store.get("ns/a")?.failuresAfterLastSuccess, 2);
  store.set("ns/a", { failuresAfterLastSuccess: 0, lastFailureMs: null });
  assert.equal(store.get("ns/a"), undefined);
});
