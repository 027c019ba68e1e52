/**
 * The kubelet's status manager against the real API (in process, memory storage): it writes
 * `pods/status` through the typed client, survives a conflicting write, and makes the final
 * delete (grace period 0, UID precondition) of a pod deleted gracefully once the node is done
 * with it.
 *
 * @module
 */
import assert from "node:assert/strict";
import { isNotFound } from "../../control/client/errors.ts";
import { PODS } from "../../control/client/resources.ts";
import { systemClock } from "../../control/util/clock.ts";
import { RecordingLogger } from "../../control/util/logger.ts";
import type { ContainerStatus } from "../../node/cri/types.ts";
import { PodStatusManager } from "../../node/kubelet/pod_status_manager.ts";
import { createNode, createPod, startControllerApi } from "../_support/controller_api.ts";

function running(
  id: string,
  state: ContainerStatus["state"] = "CONTAINER_RUNNING",
): ContainerStatus {
  const ns = String(BigInt(Date.now()) * 1_000_000n);
  return {
    id,
    metadata: { name: "main", attempt: 0 },
    state,
    createdAt: ns,
    startedAt: ns,
    finishedAt: state === "CONTAINER_EXITED" ? ns : "0",
    exitCode: state === "CONTAINER_EXITED" ? 143 : 0,
    image: { image: "docker.io/library/busybox:latest", annotations: {} },
    imageRef: "sha256:" + "a".repeat(64),
    reason: state === "CONTAINER_EXITED" ? "Error" : "",
    message: "",
    labels: { "io.kubernetes.container.name": "main" },
    annotations: { "io.kubernetes.container.restartCount": "0" },
    mounts: [],
    logPath: "",
  };
}

Deno.test("PodStatusManager writes pod status to the API and makes the final delete", async () => {
  await using api = await startControllerApi();
  const pods = api.client.resource(PODS);
  await createNode(api.client, { name: "edge-1" });
  const created = await createPod(api.client, {
    namespace: "default",
    name: "web",
    nodeName: "edge-1",
  });
  const manager = new PodStatusManager({
    pods,
    clock: systemClock,
    logger: new RecordingLogger(),
    nodeIPs: () => ["192.168.1.2"],
  });

  manager.setPodStatus(created, { sandbox: null, containers: [running("c1")] });
  await manager.flush();
  let pod = await pods.get("web", { namespace: "default" });
  assert.equal(pod.status?.phase, "Running");
  assert.equal(pod.status?.hostIP, "192.168.1.2");
  assert.equal(pod.status?.containerStatuses?.[0]?.containerID, "containerd://c1");
  assert.equal(pod.status?.conditions?.find((c) => c.type === "Ready")?.status, "True");

  // Someone else writes the pod meanwhile: the manager's copy is stale and conflicts.
  await pods.patch("web", {
    namespace: "default",
    type: "merge",
    body: { metadata: { labels: { touched: "yes" } } },
  });
  manager.setPodStatus(created, { sandbox: null, containers: [running("c2")] });
  await manager.flush();
  pod = await pods.get("web", { namespace: "default" });
  assert.equal(pod.status?.containerStatuses?.[0]?.containerID, "containerd://c2");
  assert.equal(pod.metadata?.labels?.touched, "yes");

  await pods.delete("web", { namespace: "default", gracePeriodSeconds: 30 });
  const deleting = await pods.get("web", { namespace: "default" });
  assert.ok(deleting.metadata?.deletionTimestamp, "a graceful delete leaves the pod for the node");
  manager.setPodStatus(deleting, {
    sandbox: null,
    containers: [running("c2", "CONTAINER_EXITED")],
    terminal: true,
  });
  manager.podFinished(deleting);
  await manager.flush();
  await assert.rejects(
    pods.get("web", { namespace: "default" }),
    (err: unknown) => isNotFound(err),
  );
  await manager.stop();
});
