import assert from "node:assert/strict";
import type { Pod } from "../api/types/core_v1_pod.ts";
import { podScheduledFailurePatch, rfc3339Seconds } from "./_pod_status.ts";

const NOW = "2026-05-01T10:00:00Z";
const MESSAGE = "0/1 nodes are available: 1 Insufficient cpu.";

function pod(status: Pod["status"] = {}): Pod {
  return { metadata: { name: "web", namespace: "default" }, spec: { containers: [] }, status };
}

Deno.test("rfc3339Seconds() writes whole seconds in UTC", () => {
  assert.equal(rfc3339Seconds(Date.parse("2026-05-01T10:00:00.999Z")), NOW);
});

Deno.test("podScheduledFailurePatch() writes only what changed", async (t) => {
  const unschedulable = {
    type: "PodScheduled",
    status: "False",
    lastTransitionTime: "2026-05-01T09:00:00Z",
    reason: "Unschedulable",
    message: MESSAGE,
  };
  const cases: {
    name: string;
    pod: Pod;
    reason?: string;
    message?: string;
    nominated?: string;
    want: unknown;
  }[] = [
    {
      name: "a first failure adds the condition",
      pod: pod(),
      want: {
        status: {
          conditions: [{
            type: "PodScheduled",
            status: "False",
            lastTransitionTime: NOW,
            reason: "Unschedulable",
            message: MESSAGE,
          }],
        },
      },
    },
    {
      name: "the same failure writes nothing",
      pod: pod({ conditions: [unschedulable] }),
      want: null,
    },
    {
      name: "a new message keeps the transition time",
      pod: pod({ conditions: [unschedulable] }),
      message: "0/2 nodes are available: 2 Insufficient cpu.",
      want: {
        status: {
          conditions: [{
            ...unschedulable,
            message: "0/2 nodes are available: 2 Insufficient cpu.",
          }],
        },
      },
    },
    {
      name: "a nomination alone",
      pod: pod({ conditions: [unschedulable] }),
      nominated: "edge-2",
      want: { status: { nominatedNodeName: "edge-2" } },
    },
    {
      name: "clearing a nomination",
      pod: pod({ conditions: [unschedulable], nominatedNodeName: "edge-2" }),
      nominated: "",
      want: { status: { nominatedNodeName: null } },
    },
    {
      name: "clearing no nomination writes nothing",
      pod: pod({ conditions: [unschedulable] }),
      nominated: "",
      want: null,
    },
    {
      name: "a scheduler error after Unschedulable",
      pod: pod({ conditions: [unschedulable] }),
      reason: "SchedulerError",
      message: "boom",
      want: {
        status: {
          conditions: [{ ...unschedulable, reason: "SchedulerError", message: "boom" }],
        },
      },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.deepEqual(
        podScheduledFailurePatch(c.pod, {
          reason: c.reason ?? "Unschedulable",
          message: c.message ?? MESSAGE,
          nominatedNodeName: c.nominated,
          now: NOW,
        }),
        c.want,
      );
    });
  }
});
