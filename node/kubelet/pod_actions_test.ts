import assert from "node:assert/strict";
import type { Container, Pod } from "../../control/api/types/core_v1_pod.ts";
import type { ContainerStatus, PodSandbox, PodSandboxStatus } from "../cri/types.ts";
import { containerHash } from "../pods/container_config.ts";
import { computePodActions, podSandboxChanged, type ProbeView } from "./pod_actions.ts";
import type { RuntimeContainer, RuntimePod } from "./runtime_pod.ts";

let seq = 0;

function pod(spec: Partial<NonNullable<Pod["spec"]>> = {}): Pod {
  return {
    metadata: { name: "web", namespace: "default", uid: "u1" },
    spec: { hostNetwork: true, containers: [{ name: "app", image: "busybox" }], ...spec },
  };
}

function sandbox(
  state: PodSandbox["state"] = "SANDBOX_READY",
  attempt = 0,
  id = "sb1",
): PodSandbox {
  return {
    id,
    metadata: { name: "web", namespace: "default", uid: "u1", attempt },
    state,
    createdAt: String(++seq),
    labels: {},
    annotations: {},
    runtimeHandler: "",
  };
}

function sandboxStatus(network: "NODE" | "POD", ip = ""): PodSandboxStatus {
  return {
    id: "sb1",
    metadata: null,
    state: "SANDBOX_READY",
    createdAt: "1",
    network: { ip, additionalIps: [] },
    linux: { namespaces: { options: { network, pid: "CONTAINER", ipc: "POD", targetId: "" } } },
    labels: {},
    annotations: {},
    runtimeHandler: "",
  };
}

function instance(
  c: Container,
  state: ContainerStatus["state"],
  options: { exitCode?: number; sandboxId?: string; id?: string; hash?: string } = {},
): RuntimeContainer {
  const id = options.id ?? `${c.name}-${++seq}`;
  return {
    sandboxId: options.sandboxId ?? "sb1",
    status: {
      id,
      metadata: { name: c.name, attempt: 0 },
      state,
      createdAt: String(1000 - seq),
      startedAt: "1",
      finishedAt: state === "CONTAINER_EXITED" ? "2" : "0",
      exitCode: options.exitCode ?? 0,
      image: null,
      imageRef: "",
      reason: "",
      message: "",
      labels: {},
      annotations: { "io.kubernetes.container.hash": options.hash ?? containerHash(c) },
      mounts: [],
      logPath: "",
    },
  };
}

function runtimeOf(sandboxes: PodSandbox[], containers: RuntimeContainer[] = []): RuntimePod {
  return { sandboxes, sandboxStatus: null, containers };
}

const APP: Container = { name: "app", image: "busybox" };

function names(cs: readonly Container[]): string[] {
  return cs.map((c) => c.name);
}

Deno.test("podSandboxChanged() asks for a sandbox when there is none, it died or its network changed", async (t) => {
  await t.step(
    "none",
    () =>
      assert.deepEqual(podSandboxChanged(pod(), runtimeOf([])), {
        create: true,
        attempt: 0,
        sandboxId: undefined,
      }),
  );
  await t.step("not ready", () => {
    const d = podSandboxChanged(pod(), runtimeOf([sandbox("SANDBOX_NOTREADY", 2)]));
    assert.equal(d.create, true);
    assert.equal(d.attempt, 3);
  });
  await t.step(
    "ready",
    () => assert.equal(podSandboxChanged(pod(), runtimeOf([sandbox()])).create, false),
  );
  await t.step("hostNetwork changed", () => {
    const runtime = { ...runtimeOf([sandbox()]), sandboxStatus: sandboxStatus("POD", "10.42.0.3") };
    assert.equal(podSandboxChanged(pod({ hostNetwork: true }), runtime).create, true);
  });
  await t.step("a pod network sandbox without IP", () => {
    const runtime = { ...runtimeOf([sandbox()]), sandboxStatus: sandboxStatus("POD") };
    assert.equal(podSandboxChanged(pod({ hostNetwork: false }), runtime).create, true);
  });
});

Deno.test("computePodActions() starts every container in a new sandbox, init containers first", () => {
  const a = computePodActions(pod(), { runtime: runtimeOf([]) });
  assert.equal(a.createSandbox, true);
  assert.deepEqual(names(a.containersToStart), ["app"]);
  const b = computePodActions(pod({ initContainers: [{ name: "i1" }, { name: "i2" }] }), {
    runtime: runtimeOf([]),
  });
  assert.deepEqual(names(b.initContainersToStart), ["i1"]);
  assert.deepEqual(names(b.containersToStart), []);
});

Deno.test("computePodActions() does not re-create the sandbox of a finished Never pod", () => {
  const a = computePodActions(pod({ restartPolicy: "Never" }), {
    runtime: runtimeOf([sandbox("SANDBOX_NOTREADY")], [
      instance(APP, "CONTAINER_EXITED", { exitCode: 1 }),
    ]),
  });
  assert.equal(a.createSandbox, false);
  assert.equal(a.killPod, true);
});

Deno.test("computePodActions() applies restartPolicy to exited containers", async (t) => {
  const cases: Array<
    { policy: "Always" | "OnFailure" | "Never"; exitCode: number; restart: boolean }
  > = [
    { policy: "Always", exitCode: 0, restart: true },
    { policy: "Always", exitCode: 1, restart: true },
    { policy: "OnFailure", exitCode: 0, restart: false },
    { policy: "OnFailure", exitCode: 1, restart: true },
    { policy: "Never", exitCode: 1, restart: false },
  ];
  for (const c of cases) {
    await t.step(`${c.policy} exit ${c.exitCode}`, () => {
      const a = computePodActions(pod({ restartPolicy: c.policy }), {
        runtime: runtimeOf([sandbox()], [
          instance(APP, "CONTAINER_EXITED", { exitCode: c.exitCode }),
        ]),
      });
      assert.deepEqual(names(a.containersToStart), c.restart ? ["app"] : []);
      assert.equal(a.killPod, !c.restart, "a pod with nothing left to run is stopped");
    });
  }
});

Deno.test("computePodActions() keeps a running container with the same hash", () => {
  const a = computePodActions(pod(), {
    runtime: runtimeOf([sandbox()], [instance(APP, "CONTAINER_RUNNING")]),
  });
  assert.deepEqual(a.containersToKill, []);
  assert.deepEqual(a.containersToStart, []);
  assert.equal(a.killPod, false);
});

Deno.test("computePodActions() restarts a container whose hash or probes say so", async (t) => {
  await t.step("changed spec", () => {
    const a = computePodActions(pod(), {
      runtime: runtimeOf([sandbox()], [
        instance(APP, "CONTAINER_RUNNING", { hash: "1234", id: "c1" }),
      ]),
    });
    assert.deepEqual(a.containersToKill, [{
      id: "c1",
      name: "app",
      message: "Container app definition changed, will be restarted",
      reason: "changed",
    }]);
    assert.deepEqual(names(a.containersToStart), ["app"]);
  });
  for (const kind of ["liveness", "startup"] as const) {
    await t.step(`${kind} failure`, () => {
      const probes: ProbeView = { failed: () => kind, started: () => true };
      const a = computePodActions(pod(), {
        runtime: runtimeOf([sandbox()], [instance(APP, "CONTAINER_RUNNING", { id: "c1" })]),
        probes,
      });
      assert.equal(
        a.containersToKill[0]?.message,
        `Container app failed ${kind} probe, will be restarted`,
      );
      assert.deepEqual(names(a.containersToStart), ["app"]);
    });
  }
  await t.step("liveness failure with restartPolicy Never", () => {
    const a = computePodActions(pod({ restartPolicy: "Never" }), {
      runtime: runtimeOf([sandbox()], [instance(APP, "CONTAINER_RUNNING")]),
      probes: { failed: () => "liveness", started: () => true },
    });
    assert.equal(a.containersToKill[0]?.message, "Container app failed liveness probe");
    assert.deepEqual(a.containersToStart, []);
  });
});

Deno.test("computePodActions() runs init containers strictly in order", async (t) => {
  const i1: Container = { name: "i1" };
  const i2: Container = { name: "i2" };
  const p = pod({ initContainers: [i1, i2] });
  await t.step("the first is running: wait", () => {
    const a = computePodActions(p, {
      runtime: runtimeOf([sandbox()], [instance(i1, "CONTAINER_RUNNING")]),
    });
    assert.deepEqual(a.initContainersToStart, []);
    assert.deepEqual(a.containersToStart, []);
  });
  await t.step("the first succeeded: start the second", () => {
    const a = computePodActions(p, {
      runtime: runtimeOf([sandbox()], [instance(i1, "CONTAINER_EXITED")]),
    });
    assert.deepEqual(names(a.initContainersToStart), ["i2"]);
  });
  await t.step("all succeeded: start the containers", () => {
    const a = computePodActions(p, {
      runtime: runtimeOf([sandbox()], [
        instance(i2, "CONTAINER_EXITED"),
        instance(i1, "CONTAINER_EXITED"),
      ]),
    });
    assert.deepEqual(names(a.containersToStart), ["app"]);
  });
  await t.step("the first failed: run it again", () => {
    const a = computePodActions(p, {
      runtime: runtimeOf([sandbox()], [instance(i1, "CONTAINER_EXITED", { exitCode: 2 })]),
    });
    assert.deepEqual(names(a.initContainersToStart), ["i1"]);
  });
  await t.step("instances of an older sandbox do not count", () => {
    const a = computePodActions(p, {
      runtime: runtimeOf([sandbox("SANDBOX_READY", 1, "sb2")], [
        instance(i1, "CONTAINER_EXITED", { sandboxId: "sb1" }),
      ]),
    });
    assert.deepEqual(names(a.initContainersToStart), ["i1"]);
  });
});

Deno.test("computePodActions() waits for a sidecar to start before the next container", () => {
  const proxy: Container = {
    name: "proxy",
    restartPolicy: "Always",
    startupProbe: { exec: { command: ["true"] } },
  };
  const p = pod({ initContainers: [proxy] });
  const runtime = runtimeOf([sandbox()], [instance(proxy, "CONTAINER_RUNNING")]);
  const waiting = computePodActions(p, {
    runtime,
    probes: { failed: () => undefined, started: () => false },
  });
  assert.deepEqual(waiting.containersToStart, []);
  const started = computePodActions(p, { runtime });
  assert.deepEqual(names(started.containersToStart), ["app"]);
});
