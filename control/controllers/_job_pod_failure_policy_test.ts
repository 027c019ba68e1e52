import assert from "node:assert/strict";
import type { PodFailurePolicy } from "../api/types/batch_v1.ts";
import type { Pod } from "../api/types/core_v1_pod.ts";
import { matchPodFailurePolicy } from "./_job_pod_failure_policy.ts";

function failedPod(exitCodes: Record<string, number>, conditions: Pod["status"] = {}): Pod {
  return {
    metadata: { namespace: "batch", name: "work-x1" },
    spec: { containers: Object.keys(exitCodes).map((name) => ({ name })) },
    status: {
      phase: "Failed",
      ...conditions,
      containerStatuses: Object.entries(exitCodes).map(([name, exitCode]) => ({
        name,
        image: "busybox",
        imageID: "",
        ready: false,
        restartCount: 0,
        state: { terminated: { exitCode } },
      })),
    },
  };
}

const POLICY: PodFailurePolicy = {
  rules: [
    { action: "Ignore", onPodConditions: [{ type: "DisruptionTarget", status: "True" }] },
    { action: "FailJob", onExitCodes: { containerName: "main", operator: "In", values: [42] } },
    { action: "Count", onExitCodes: { operator: "NotIn", values: [1, 2] } },
  ],
};

Deno.test("matchPodFailurePolicy() applies the first matching rule", async (t) => {
  await t.step("no policy counts the failure", () => {
    assert.deepEqual(matchPodFailurePolicy(undefined, failedPod({ main: 1 })), {
      countFailed: true,
    });
  });
  await t.step("a matching condition is ignored", () => {
    const pod = failedPod({ main: 42 }, {
      conditions: [{ type: "DisruptionTarget", status: "True" }],
    });
    assert.deepEqual(matchPodFailurePolicy(POLICY, pod), { countFailed: false, action: "Ignore" });
  });
  await t.step("FailJob names the container, exit code and rule index", () => {
    assert.deepEqual(matchPodFailurePolicy(POLICY, failedPod({ side: 0, main: 42 })), {
      countFailed: true,
      action: "FailJob",
      failJobMessage:
        "Container main for pod batch/work-x1 failed with exit code 42 matching FailJob rule at index 1",
    });
  });
  await t.step("the container name restricts the rule", () => {
    assert.equal(matchPodFailurePolicy(POLICY, failedPod({ side: 42 })).action, "Count");
  });
  await t.step("NotIn matches other non-zero codes only", () => {
    assert.deepEqual(matchPodFailurePolicy(POLICY, failedPod({ main: 1 })), { countFailed: true });
    assert.equal(matchPodFailurePolicy(POLICY, failedPod({ main: 0 })).action, undefined);
  });
  await t.step("FailJob on a pod condition", () => {
    const policy: PodFailurePolicy = {
      rules: [{ action: "FailJob", onPodConditions: [{ type: "ConfigIssue", status: "True" }] }],
    };
    const pod = failedPod({ main: 1 }, { conditions: [{ type: "ConfigIssue", status: "True" }] });
    assert.equal(
      matchPodFailurePolicy(policy, pod).failJobMessage,
      "Pod batch/work-x1 has condition ConfigIssue matching FailJob rule at index 0",
    );
  });
});
