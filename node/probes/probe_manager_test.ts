import assert from "node:assert/strict";
import type { Container, Pod, PodStatus } from "../../control/api/types/core_v1_pod.ts";
import { FakeClock } from "../../control/util/clock.ts";
import { ProbeManager, type ProbeResultUpdate } from "./probe_manager.ts";

function flush(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

const container = {
  name: "app",
  image: "busybox",
  readinessProbe: { exec: { command: ["true"] }, periodSeconds: 10 },
  livenessProbe: {
    exec: { command: ["true"] },
    periodSeconds: 10,
    failureThreshold: 1,
    terminationGracePeriodSeconds: 5,
  },
} as Container;

const pod = {
  metadata: { name: "web", namespace: "default", uid: "u1" },
  spec: { containers: [container] },
} as Pod;

const status = {
  phase: "Running",
  containerStatuses: [{
    name: "app",
    containerID: "containerd://c1",
    image: "busybox",
    imageID: "",
    ready: false,
    restartCount: 0,
    state: { running: { startedAt: "2026-01-01T00:00:00Z" } },
  }],
} as PodStatus;

Deno.test("ProbeManager runs a worker per probe and reports verdict changes", async () => {
  const clock = new FakeClock(Date.parse("2026-01-01T00:00:00Z"));
  const updates: ProbeResultUpdate[] = [];
  let current = status;
  let live: "success" | "failure" = "success";
  const manager = new ProbeManager({
    clock,
    prober: { probe: (kind) => Promise.resolve(kind === "liveness" ? live : "success") },
    getPodStatus: () => current,
    onResult: (u) => updates.push(u),
    random: () => 0,
  });
  manager.addPod(pod);
  manager.addPod(pod);
  assert.equal(manager.size, 2);
  await flush();
  assert.equal(manager.result("readiness", "containerd://c1"), "failure");
  // Not started yet in the status: the agent's updatePodStatus marks it started.
  current = manager.updatePodStatus(pod, current);
  assert.equal(current.containerStatuses?.[0]?.started, true);
  assert.equal(current.containerStatuses?.[0]?.ready, false);
  await flush(); // the readiness probe was triggered
  assert.equal(manager.result("readiness", "containerd://c1"), "success");
  assert.equal(manager.updatePodStatus(pod, current).containerStatuses?.[0]?.ready, true);
  live = "failure";
  clock.advance(10_000);
  await flush();
  const failed = updates.find((u) => u.kind === "liveness" && u.result === "failure");
  assert.deepEqual(failed && { ...failed, pod: undefined }, {
    kind: "liveness",
    podUid: "u1",
    pod: undefined,
    containerName: "app",
    containerId: "containerd://c1",
    result: "failure",
    terminationGracePeriodSeconds: 5,
  });
  manager.cleanupPods([]);
  assert.equal(manager.size, 0);
  assert.equal(clock.pendingTimers, 0);
  assert.equal(manager.result("readiness", "containerd://c1"), undefined);
});
