import assert from "node:assert/strict";
import type { ContainerStatus, Pod } from "../../control/api/types/core_v1_pod.ts";
import { containersReady, initialized, podReady } from "./_pod_conditions.ts";

function st(name: string, extra: Partial<ContainerStatus> = {}): ContainerStatus {
  return {
    name,
    state: { waiting: {} },
    ready: false,
    restartCount: 0,
    image: "",
    imageID: "",
    ...extra,
  };
}

const pod: Pod = {
  spec: {
    initContainers: [{ name: "setup" }, { name: "proxy", restartPolicy: "Always" }],
    containers: [{ name: "app" }, { name: "log" }],
  },
};

Deno.test("initialized() names unknown and incomplete init containers", async (t) => {
  const cases: { name: string; statuses: ContainerStatus[]; want: Record<string, string> }[] = [
    {
      name: "one unknown, one incomplete",
      statuses: [st("proxy")],
      want: {
        status: "False",
        reason: "ContainersNotInitialized",
        message:
          "containers with unknown status: [setup], containers with incomplete status: [proxy]",
      },
    },
    {
      name: "setup done and sidecar started",
      statuses: [
        st("setup", { state: { terminated: { exitCode: 0 } } }),
        st("proxy", { started: true }),
      ],
      want: { status: "True" },
    },
    {
      name: "a regular container has run: stays initialized while the sidecar restarts",
      statuses: [st("setup"), st("proxy"), st("app", { state: { running: {} } })],
      want: { status: "True" },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const { type: _type, ...got } = initialized({ pod, statuses: c.statuses, phase: "Pending" });
      assert.deepEqual(got, c.want);
    });
  }
});

Deno.test("containersReady() counts sidecars and regular containers", () => {
  const got = containersReady({
    pod,
    statuses: [st("proxy", { ready: true }), st("app")],
    phase: "Running",
  });
  assert.deepEqual(got, {
    type: "ContainersReady",
    status: "False",
    reason: "ContainersNotReady",
    message: "containers with unknown status: [log], containers with unready status: [app]",
  });
});

Deno.test("podReady() reports a readiness gate that is not True", () => {
  const gated: Pod = {
    spec: { containers: [{ name: "app" }], readinessGates: [{ conditionType: "lb" }] },
  };
  const got = podReady(gated, {
    others: [{ type: "lb", status: "False" }],
    ready: { type: "ContainersReady", status: "True" },
  });
  assert.deepEqual(got, {
    type: "Ready",
    status: "False",
    reason: "ReadinessGatesNotReady",
    message: 'the status of pod readiness gate "lb" is not "True", but False',
  });
});
