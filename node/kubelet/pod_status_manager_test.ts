import assert from "node:assert/strict";
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import { FakeClock } from "../../control/util/clock.ts";
import { RecordingLogger } from "../../control/util/logger.ts";
import type { ContainerStatus } from "../cri/types.ts";
import { FakePodApi } from "./_fake_pod_api.ts";
import { PodStatusManager } from "./pod_status_manager.ts";

const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);

function podOf(): Pod {
  return {
    metadata: { name: "web", namespace: "default", uid: "u1" },
    spec: { containers: [{ name: "app", image: "busybox" }], nodeName: "n1" },
    status: { phase: "Pending", qosClass: "BestEffort" },
  };
}

function running(id: string, startedMs: number): ContainerStatus {
  return {
    id,
    metadata: { name: "app", attempt: 0 },
    state: "CONTAINER_RUNNING",
    createdAt: String(BigInt(startedMs) * 1_000_000n),
    startedAt: String(BigInt(startedMs) * 1_000_000n),
    finishedAt: "0",
    exitCode: 0,
    image: { image: "busybox", annotations: {} },
    imageRef: "sha256:abc",
    reason: "",
    message: "",
    labels: { "io.kubernetes.container.name": "app" },
    annotations: { "io.kubernetes.container.restartCount": "0" },
    mounts: [],
    logPath: "/var/log/pods/default_web_u1/app/0.log",
  };
}

function setup() {
  const clock = new FakeClock(T0);
  const api = new FakePodApi();
  const pod = api.put(podOf());
  const manager = new PodStatusManager({
    pods: api,
    clock,
    logger: new RecordingLogger(),
    nodeIPs: () => ["10.0.0.5"],
    retryDelayMs: 1000,
  });
  return { clock, api, pod, manager };
}

Deno.test("PodStatusManager.setPodStatus() writes a changed status once", async () => {
  const { api, pod, manager } = setup();
  manager.setPodStatus(pod, { sandbox: null, containers: [running("c1", T0)] });
  await manager.flush();
  manager.setPodStatus(pod, { sandbox: null, containers: [running("c1", T0)] });
  await manager.flush();
  assert.equal(api.writes.length, 1);
  const status = api.writes[0]?.status;
  assert.equal(status?.phase, "Running");
  assert.equal(status?.containerStatuses?.[0]?.containerID, "containerd://c1");
  assert.equal(manager.getPodStatus("u1")?.phase, "Running");
});

Deno.test("PodStatusManager.setPodStatus() re-reads the pod after a conflict", async () => {
  const { api, pod, manager } = setup();
  api.conflicts = 2;
  manager.setPodStatus(pod, { sandbox: null, containers: [running("c1", T0)] });
  await manager.flush();
  assert.equal(api.writes.length, 1);
  assert.equal(api.pods.get("default/web")?.status?.phase, "Running");
});

Deno.test("PodStatusManager.setPodStatus() keeps conditions other components own", async () => {
  const { api, manager } = setup();
  const pod = api.put({
    ...podOf(),
    status: {
      phase: "Pending",
      conditions: [{ type: "DisruptionTarget", status: "True", reason: "EvictionByEvictionAPI" }],
    },
  });
  // Someone else writes meanwhile: the first write conflicts and the fresh copy is used.
  api.put({ ...pod, status: { ...pod.status, conditions: [{ type: "Custom", status: "True" }] } });
  manager.setPodStatus(pod, { sandbox: null, containers: [running("c1", T0)] });
  await manager.flush();
  const types = api.pods.get("default/web")?.status?.conditions?.map((c) => c.type) ?? [];
  assert.ok(types.includes("Custom"), `conditions: ${types}`);
  assert.ok(types.includes("Ready"));
});

Deno.test("PodStatusManager retries a failed write after its delay", async () => {
  const { api, clock, pod, manager } = setup();
  api.failures = 1;
  manager.setPodStatus(pod, { sandbox: null, containers: [running("c1", T0)] });
  await manager.flush();
  assert.equal(api.writes.length, 0);
  assert.equal(clock.pendingTimers, 1);
  clock.advance(1000);
  await manager.flush();
  assert.equal(api.writes.length, 1);
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("PodStatusManager.podFinished() writes the final status, then deletes with grace 0 and the UID", async () => {
  const { api, pod, manager } = setup();
  const deleting = api.put({
    ...pod,
    metadata: {
      ...pod.metadata,
      deletionTimestamp: "2026-12-01T12:00:00Z",
      deletionGracePeriodSeconds: 30,
    },
  });
  const exited: ContainerStatus = {
    ...running("c1", T0),
    state: "CONTAINER_EXITED",
    exitCode: 143,
    reason: "Error",
    finishedAt: String(BigInt(T0 + 1000) * 1_000_000n),
  };
  manager.setPodStatus(deleting, { sandbox: null, containers: [exited], terminal: true });
  manager.podFinished(deleting);
  await manager.flush();
  assert.equal(api.writes.at(-1)?.status?.phase, "Failed");
  assert.deepEqual(api.deletes, [{
    namespace: "default",
    name: "web",
    gracePeriodSeconds: 0,
    uid: "u1",
  }]);
});

Deno.test("PodStatusManager.podFinished() does not delete a pod that is not being deleted", async () => {
  const { api, pod, manager } = setup();
  manager.setPodStatus(pod, { sandbox: null, containers: [] });
  manager.podFinished(pod);
  await manager.flush();
  assert.deepEqual(api.deletes, []);
});

Deno.test("PodStatusManager writes a static pod's status to its mirror pod", async () => {
  const clock = new FakeClock(T0);
  const api = new FakePodApi();
  const mirror = api.put({
    ...podOf(),
    metadata: { name: "web", namespace: "default", uid: "mirror" },
  });
  const manager = new PodStatusManager({
    pods: api,
    clock,
    logger: new RecordingLogger(),
    nodeIPs: () => ["10.0.0.5"],
    statusTarget: () => api.pods.get("default/web") ?? mirror,
  });
  const staticPod: Pod = { ...podOf(), metadata: { name: "web", namespace: "default", uid: "u1" } };
  manager.setPodStatus(staticPod, { sandbox: null, containers: [running("c1", T0)] });
  manager.podFinished({
    ...staticPod,
    metadata: { ...staticPod.metadata, deletionTimestamp: "2026-12-01T12:00:00Z" },
  });
  await manager.flush();
  assert.equal(api.writes[0]?.metadata?.uid, "mirror");
  assert.deepEqual(api.deletes, [], "the mirror pod is the static pods' source to delete");
});
