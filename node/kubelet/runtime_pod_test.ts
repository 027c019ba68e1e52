import assert from "node:assert/strict";
import { FakeClock } from "../../control/util/clock.ts";
import { FakeRuntime } from "./_fake_runtime.ts";
import { readRuntimePod } from "./runtime_pod.ts";

Deno.test("readRuntimePod() reads a pod's sandboxes and containers, newest first", async () => {
  const clock = new FakeClock(1_000);
  const runtime = new FakeRuntime(clock);
  const labels = { "io.kubernetes.pod.uid": "u1" };
  const sandboxConfig = {
    metadata: { name: "web", namespace: "default", uid: "u1", attempt: 0 },
    labels,
  };
  const [sandboxId] = runtime.adopt(sandboxConfig, [
    { metadata: { name: "app", attempt: 0 }, image: { image: "busybox" }, labels },
  ]);
  clock.advance(1000);
  await runtime.createContainer({
    podSandboxId: sandboxId!,
    config: { metadata: { name: "app", attempt: 1 }, image: { image: "busybox" }, labels },
    sandboxConfig,
  });
  runtime.adopt({ ...sandboxConfig, labels: { "io.kubernetes.pod.uid": "other" } }, []);
  const pod = await readRuntimePod(runtime, "u1");
  assert.deepEqual(pod.sandboxes.map((s) => s.id), [sandboxId]);
  assert.equal(pod.sandboxStatus?.state, "SANDBOX_READY");
  assert.deepEqual(pod.containers.map((c) => c.status.metadata?.attempt), [1, 0]);
  assert.deepEqual(pod.containers.map((c) => c.sandboxId), [sandboxId, sandboxId]);
});

Deno.test("readRuntimePod() answers nothing for an unknown pod", async () => {
  const pod = await readRuntimePod(new FakeRuntime(new FakeClock()), "nope");
  assert.deepEqual(pod, { sandboxes: [], sandboxStatus: null, containers: [] });
});
