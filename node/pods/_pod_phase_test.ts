import assert from "node:assert/strict";
import type { ContainerState, ContainerStatus, Pod } from "../../control/api/types/core_v1_pod.ts";
import { podPhase } from "./_pod_phase.ts";

function st(
  name: string,
  state: ContainerState,
  extra: Partial<ContainerStatus> = {},
): ContainerStatus {
  return { name, state, ready: false, restartCount: 0, image: "", imageID: "", ...extra };
}

const running = { running: { startedAt: "2026-01-01T00:00:00Z" } };
function exited(exitCode: number): ContainerState {
  return { terminated: { exitCode } };
}

Deno.test("podPhase() follows the kubelet's rules for init containers and sidecars", async (t) => {
  const sidecarPod: Pod = {
    spec: {
      initContainers: [{ name: "proxy", restartPolicy: "Always" }],
      containers: [{ name: "app" }],
    },
  };
  const initPod = (restartPolicy: "Always" | "OnFailure" | "Never"): Pod => ({
    spec: { restartPolicy, initContainers: [{ name: "setup" }], containers: [{ name: "app" }] },
  });
  const cases: { name: string; pod: Pod; statuses: ContainerStatus[]; want: string }[] = [
    { name: "no statuses", pod: initPod("Always"), statuses: [], want: "Pending" },
    {
      name: "init failed, restarting, OnFailure",
      pod: initPod("OnFailure"),
      statuses: [
        st("setup", { waiting: { reason: "CrashLoopBackOff" } }, { lastState: exited(1) }),
        st("app", { waiting: { reason: "PodInitializing" } }),
      ],
      want: "Pending",
    },
    {
      name: "init failed, waiting, Never",
      pod: initPod("Never"),
      statuses: [
        st("setup", { waiting: {} }, { lastState: exited(1) }),
        st("app", { waiting: { reason: "PodInitializing" } }),
      ],
      want: "Failed",
    },
    {
      name: "sidecar running, not started yet",
      pod: sidecarPod,
      statuses: [st("proxy", running, { started: false }), st("app", { waiting: {} })],
      want: "Pending",
    },
    {
      name: "sidecar restarting after the app started",
      pod: sidecarPod,
      statuses: [
        st("proxy", { waiting: { reason: "CrashLoopBackOff" } }, { lastState: exited(1) }),
        st("app", running),
      ],
      want: "Running",
    },
    {
      name: "app done, sidecar still running, OnFailure",
      pod: { spec: { ...sidecarPod.spec!, restartPolicy: "OnFailure" } },
      statuses: [st("proxy", running, { started: true }), st("app", exited(0))],
      want: "Running",
    },
    {
      name: "app done, sidecar stopped, OnFailure",
      pod: { spec: { ...sidecarPod.spec!, restartPolicy: "OnFailure" } },
      statuses: [st("proxy", exited(137), { started: false }), st("app", exited(0))],
      want: "Succeeded",
    },
    {
      name: "a container without status",
      pod: { spec: { containers: [{ name: "a" }, { name: "b" }] } },
      statuses: [st("a", running)],
      want: "Pending",
    },
  ];
  for (const c of cases) {
    await t.step(
      c.name,
      () => assert.equal(podPhase(c.pod, { statuses: c.statuses, terminal: false }), c.want),
    );
  }
});
