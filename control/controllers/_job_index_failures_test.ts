import assert from "node:assert/strict";
import type { Job } from "../api/types/batch_v1.ts";
import type { Pod } from "../api/types/core_v1_pod.ts";
import {
  calculateFailedIndexes,
  indexBackoffRemainingMs,
  isIndexFailed,
  podsWithDelayedDeletion,
  replacementFailureCounts,
} from "./_job_index_failures.ts";
import { formatIndexes, parseIndexes } from "./_job_indexes.ts";
import { JOB_TRACKING_FINALIZER } from "./_job_pod_control.ts";

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);

function at(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function job(spec: Partial<NonNullable<Job["spec"]>> = {}): Job {
  return {
    metadata: { name: "pi" },
    spec: {
      completionMode: "Indexed",
      completions: 4,
      backoffLimitPerIndex: 1,
      template: { spec: { containers: [{ name: "c" }] } },
      ...spec,
    },
  };
}

function pod(
  name: string,
  o: {
    ix: string;
    failures?: number;
    ignored?: number;
    phase?: string;
    finishedMs?: number;
    exitCode?: number;
  },
): Pod {
  return {
    metadata: {
      name,
      uid: `uid-${name}`,
      finalizers: [JOB_TRACKING_FINALIZER],
      annotations: {
        "batch.kubernetes.io/job-completion-index": o.ix,
        ...(o.failures !== undefined
          ? { "batch.kubernetes.io/job-index-failure-count": String(o.failures) }
          : {}),
        ...(o.ignored !== undefined
          ? { "batch.kubernetes.io/job-index-ignored-failure-count": String(o.ignored) }
          : {}),
      },
    },
    spec: { containers: [{ name: "c" }] },
    status: {
      phase: (o.phase ?? "Failed") as "Failed",
      containerStatuses: [{
        name: "c",
        image: "",
        imageID: "",
        ready: false,
        restartCount: 0,
        state: { terminated: { exitCode: o.exitCode ?? 1, finishedAt: at(o.finishedMs ?? T0) } },
      }],
    },
  };
}

function failed(p: Pod): boolean {
  return p.status?.phase === "Failed";
}

Deno.test("isIndexFailed() is true once an index used its backoffLimitPerIndex, or on FailIndex", () => {
  assert.equal(
    isIndexFailed(job(), { pod: pod("a", { ix: "0", failures: 0 }), failed: true }),
    false,
  );
  assert.equal(
    isIndexFailed(job(), { pod: pod("a", { ix: "0", failures: 1 }), failed: true }),
    true,
  );
  assert.equal(
    isIndexFailed(job(), { pod: pod("a", { ix: "0", failures: 1 }), failed: false }),
    false,
  );
  const failIndex = job({
    podFailurePolicy: {
      rules: [{ action: "FailIndex", onExitCodes: { operator: "In", values: [7] } }],
    },
  });
  assert.equal(
    isIndexFailed(failIndex, { pod: pod("a", { ix: "0", exitCode: 7 }), failed: true }),
    true,
  );
});

Deno.test("calculateFailedIndexes() adds uncounted failed indexes to the status ones", () => {
  const j = job();
  j.status = { failedIndexes: "3" };
  const pods = [
    pod("a", { ix: "0", failures: 1 }),
    pod("b", { ix: "1", failures: 0 }),
    pod("c", { ix: "9", failures: 5 }),
  ];
  assert.equal(formatIndexes(calculateFailedIndexes(j, { pods, podFailed: failed })), "0,3");
});

Deno.test("podsWithDelayedDeletion() keeps the last failed pod of each index still to rerun", () => {
  const pods = [
    pod("old", { ix: "0", failures: 0, finishedMs: T0 }),
    pod("new", { ix: "0", failures: 1, finishedMs: T0 + 1000 }),
    pod("done", { ix: "1", failures: 0 }),
    pod("running", { ix: "2", failures: 0 }),
  ];
  const active: Pod = { ...pod("r2", { ix: "2" }), status: { phase: "Running" } };
  const delayed = podsWithDelayedDeletion(job({ backoffLimitPerIndex: 3 }), {
    pods,
    activePods: [active],
    succeededIndexes: parseIndexes("1", 4),
    failedIndexes: [],
    expectedRmFinalizers: new Set(),
    podFailed: failed,
  });
  assert.deepEqual([...delayed].map(([ix, p]) => [ix, p.metadata?.name]), [[0, "new"]]);
});

Deno.test("replacementFailureCounts() and indexBackoffRemainingMs() carry an index's failures on", () => {
  assert.deepEqual(replacementFailureCounts(job(), undefined), {
    "batch.kubernetes.io/job-index-failure-count": "0",
  });
  assert.deepEqual(replacementFailureCounts(job(), pod("a", { ix: "0", failures: 2 })), {
    "batch.kubernetes.io/job-index-failure-count": "3",
  });
  const ignoring = job({
    podFailurePolicy: {
      rules: [{ action: "Ignore", onExitCodes: { operator: "In", values: [9] } }],
    },
  });
  assert.deepEqual(
    replacementFailureCounts(ignoring, pod("a", { ix: "0", failures: 1, exitCode: 9 })),
    {
      "batch.kubernetes.io/job-index-failure-count": "1",
      "batch.kubernetes.io/job-index-ignored-failure-count": "1",
    },
  );
  assert.equal(indexBackoffRemainingMs(undefined, T0), 0);
  assert.equal(indexBackoffRemainingMs(pod("a", { ix: "0", failures: 0 }), T0 + 4000), 6000);
  assert.equal(indexBackoffRemainingMs(pod("a", { ix: "0", failures: 1, ignored: 1 }), T0), 40_000);
});
