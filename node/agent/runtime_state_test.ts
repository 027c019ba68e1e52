import assert from "node:assert/strict";
import type { cri } from "../cri/mod.ts";
import { runtimeImages, runtimeReadiness, runtimeVersion } from "./runtime_state.ts";
import type { RuntimeStatusSource } from "./runtime_state.ts";

function runtime(conditions: cri.RuntimeCondition[] | Error): RuntimeStatusSource {
  return {
    status: () =>
      conditions instanceof Error
        ? Promise.reject(conditions)
        : Promise.resolve({ status: { conditions }, info: {} }),
    version: () =>
      Promise.resolve({
        version: "0.1.0",
        runtimeName: "containerd",
        runtimeVersion: "1.6.20~ds1",
        runtimeApiVersion: "v1",
      }),
    listImages: () =>
      Promise.resolve({
        images: [{
          id: "sha256:ab",
          repoTags: ["docker.io/skiff/pause:3.9"],
          repoDigests: ["docker.io/skiff/pause@sha256:cd"],
          size: "1234",
          uid: null,
          username: "",
        } as unknown as cri.Image],
      }),
  };
}

const READY = { type: "RuntimeReady", status: true, reason: "", message: "" };

Deno.test("runtimeReadiness() words the runtime's problems as the kubelet does", async (t) => {
  await t.step("ready", async () => {
    assert.deepEqual(
      await runtimeReadiness(runtime([READY, { ...READY, type: "NetworkReady" }])),
      [],
    );
  });
  await t.step("network not ready", async () => {
    assert.deepEqual(
      await runtimeReadiness(runtime([READY, {
        type: "NetworkReady",
        status: false,
        reason: "NetworkPluginNotReady",
        message: "Network plugin returns error: cni plugin not initialized",
      }])),
      [
        "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady " +
        "message:Network plugin returns error: cni plugin not initialized",
      ],
    );
  });
  await t.step("runtime not ready", async () => {
    assert.deepEqual(
      await runtimeReadiness(runtime([{ ...READY, status: false, reason: "Down", message: "x" }])),
      ["container runtime not ready: RuntimeReady=false reason:Down message:x"],
    );
  });
  await t.step("no answer", async () => {
    assert.deepEqual(await runtimeReadiness(runtime(new Error("UNAVAILABLE"))), [
      "container runtime is down",
    ]);
  });
});

Deno.test("runtimeVersion() and runtimeImages() read what nodeInfo and images report", async () => {
  const source = runtime([READY]);
  assert.equal(await runtimeVersion(source), "containerd://1.6.20~ds1");
  assert.deepEqual(await runtimeImages(source), [{
    names: ["docker.io/skiff/pause@sha256:cd", "docker.io/skiff/pause:3.9"],
    sizeBytes: 1234,
  }]);
});
