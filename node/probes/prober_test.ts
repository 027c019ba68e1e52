import assert from "node:assert/strict";
import type { Container, Pod, PodStatus } from "../../control/api/types/core_v1_pod.ts";
import { expandCommand, type ProbeEvent, Prober } from "./prober.ts";

const pod = { metadata: { name: "web", namespace: "default", uid: "u1" } } as Pod;
const status = { podIP: "127.0.0.1" } as PodStatus;

Deno.test("expandCommand() substitutes literal env values", () => {
  const container = { name: "app", env: [{ name: "FILE", value: "/tmp/ok" }] } as Container;
  assert.deepEqual(expandCommand(["cat", "$(FILE)", "$(NONE)", "$$(FILE)"], container), [
    "cat",
    "/tmp/ok",
    "$(NONE)",
    "$(FILE)",
  ]);
});

Deno.test("Prober.probe() resolves named ports, records events and drops errored probes", async (t) => {
  const events: ProbeEvent[] = [];
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("down", { status: 500 }),
  );
  let execCalls = 0;
  const prober = new Prober({
    execSync: (id) => {
      execCalls++;
      return id === "gone"
        ? Promise.reject(new Error("not found"))
        : Promise.resolve({ stdout: new Uint8Array(), stderr: new Uint8Array(), exitCode: 0 });
    },
    recordEvent: (e) => events.push(e),
  });
  await t.step("an HTTP failure on a named port", async () => {
    const container = {
      name: "app",
      ports: [{ name: "http", containerPort: server.addr.port }],
      livenessProbe: { httpGet: { path: "/healthz", port: "http" } },
    } as Container;
    const result = await prober.probe("liveness", {
      pod,
      status,
      container,
      containerId: "containerd://c1",
    });
    assert.equal(result, "failure");
    assert.deepEqual(events.at(-1), {
      pod,
      containerName: "app",
      type: "Warning",
      reason: "Unhealthy",
      message: "Liveness probe failed: HTTP probe failed with statuscode: 500",
    });
  });
  await t.step("exec gets the bare container ID", async () => {
    const container = { name: "app", readinessProbe: { exec: { command: ["true"] } } } as Container;
    assert.equal(
      await prober.probe("readiness", { pod, status, container, containerId: "containerd://c1" }),
      "success",
    );
  });
  await t.step("an exec that errors is retried 3 times, then dropped", async () => {
    execCalls = 0;
    const container = { name: "app", startupProbe: { exec: { command: ["true"] } } } as Container;
    const result = await prober.probe("startup", { pod, status, container, containerId: "gone" });
    assert.equal(result, undefined);
    assert.equal(execCalls, 3);
    assert.equal(
      events.at(-1)?.message,
      `Startup probe errored and resulted in unknown state: Cannot run probe command "true" in container "gone": not found`,
    );
  });
});
