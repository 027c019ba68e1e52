import assert from "node:assert/strict";
import type { Container, Pod } from "../../control/api/types/core_v1_pod.ts";
import type { Secret } from "../../control/api/types/core_v1_config.ts";
import type { EventRecord, EventRecorder } from "../../control/client/event_recorder.ts";
import type { KubeObject } from "../../control/api/types/meta_v1.ts";
import { FakeClock } from "../../control/util/clock.ts";
import { RecordingLogger } from "../../control/util/logger.ts";
import { generateContainerConfig } from "../pods/container_config.ts";
import { generatePodSandboxConfig } from "../pods/sandbox_config.ts";
import type { ContainerProbeResult, ProbeKind } from "../probes/prober.ts";
import type { ConfigMapGetter, MountedVolume, SecretGetter } from "../volumes/volume_manager.ts";
import { FakePodApi } from "./_fake_pod_api.ts";
import { FakeRuntime } from "./_fake_runtime.ts";
import { PodStatusManager } from "./pod_status_manager.ts";
import { PodWorkers } from "./pod_workers.ts";

const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);
const IMAGE = "docker.io/skiff/busybox:1.36";
const SANDBOX_OPTIONS = {
  resolvConf: "nameserver 1.1.1.1\n",
  clusterDns: ["10.43.0.10"],
  clusterDomain: "cluster.local",
};

class Events implements EventRecorder {
  readonly list: Array<{ reason: string; message: string; type: string }> = [];
  readonly kinds = new Set<string>();
  event(object: KubeObject, record: EventRecord): void {
    this.kinds.add(`${object.apiVersion}/${object.kind}/${object.metadata?.name}`);
    this.list.push({ type: record.type, reason: record.reason, message: record.message });
  }
  reasons(): string[] {
    return this.list.map((e) => e.reason);
  }
  has(reason: string, message: string): boolean {
    return this.list.some((e) => e.reason === reason && e.message === message);
  }
}

class FakeVolumes {
  readonly setUp: string[] = [];
  readonly tornDown: string[] = [];
  setUpPod(pod: Pod): Promise<ReadonlyMap<string, MountedVolume>> {
    this.setUp.push(pod.metadata?.uid ?? "");
    return Promise.resolve(new Map());
  }
  tearDownPod(uid: string): Promise<void> {
    this.tornDown.push(uid);
    return Promise.resolve();
  }
}

class FakeProbes {
  readonly results = new Map<string, ContainerProbeResult>();
  readonly added: string[] = [];
  readonly removed: string[] = [];
  addPod(pod: Pod): void {
    this.added.push(pod.metadata?.uid ?? "");
  }
  removePod(uid: string): void {
    this.removed.push(uid);
  }
  result(kind: ProbeKind, containerId: string): ContainerProbeResult | undefined {
    return this.results.get(`${kind}/${containerId}`);
  }
}

/** One turn of the event loop: every pending promise chain of the fakes runs to its end. */
function turn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

const none: ConfigMapGetter & SecretGetter = {
  getConfigMap: () => Promise.resolve(undefined),
  getSecret: () => Promise.resolve(undefined),
};

function makePod(spec: Partial<NonNullable<Pod["spec"]>> = {}, uid = "u1"): Pod {
  return {
    metadata: { name: "web", namespace: "default", uid },
    spec: {
      hostNetwork: true,
      restartPolicy: "Always",
      terminationGracePeriodSeconds: 30,
      containers: [{ name: "app", image: IMAGE, imagePullPolicy: "IfNotPresent" }],
      ...spec,
    },
    status: { phase: "Pending" },
  };
}

function app(overrides: Partial<Container> = {}): Container {
  return { name: "app", image: IMAGE, imagePullPolicy: "IfNotPresent", ...overrides };
}

interface HarnessOptions {
  readonly secrets?: typeof none;
  readonly podLogsRoot?: string;
  readonly podsDir?: string;
}

function harness(options: HarnessOptions = {}) {
  const clock = new FakeClock(T0);
  const runtime = new FakeRuntime(clock);
  runtime.images.add(IMAGE);
  const api = new FakePodApi();
  const logger = new RecordingLogger();
  const probes = new FakeProbes();
  const statusManager = new PodStatusManager({
    pods: api,
    clock,
    logger,
    nodeIPs: () => ["10.0.0.5"],
    probes,
  });
  const events = new Events();
  const volumes = new FakeVolumes();
  const secrets = options.secrets ?? none;
  const make = () =>
    new PodWorkers({
      runtime,
      statusManager,
      volumes,
      configMaps: none,
      secrets,
      recorder: events,
      clock,
      logger,
      probes,
      node: {
        hostname: "edge-1",
        ips: () => ["10.0.0.5"],
        allocatable: () => ({ cpu: "2", memory: "2Gi" }),
        memoryCapacityBytes: 2n << 30n,
      },
    }, {
      ...(options.podsDir !== undefined
        ? { podsDir: options.podsDir, nodeHostsFile: `${options.podsDir}/node-hosts` }
        : {}),
      sandbox: {
        ...SANDBOX_OPTIONS,
        ...(options.podLogsRoot !== undefined ? { podLogsRoot: options.podLogsRoot } : {}),
      },
    });
  const workers = make();
  /** Puts `pod` in the API and hands it to the workers; waits for the sync. */
  async function apply(pod: Pod, w = workers): Promise<Pod> {
    const stored = api.pods.get(`${pod.metadata?.namespace}/${pod.metadata?.name}`);
    const put = api.put(stored ? { ...pod, status: stored.status ?? {} } : pod);
    w.update(put);
    await settle(w);
    return put;
  }
  async function settle(w = workers): Promise<void> {
    await w.idle();
    await statusManager.flush();
  }
  /** Advances the clock (firing relists and backoff timers), letting what they start run. */
  async function advance(ms: number): Promise<void> {
    const step = 100;
    for (let done = 0; done < ms; done += step) {
      clock.advance(Math.min(step, ms - done));
      await turn();
    }
    await turn();
  }
  function status(): Pod["status"] {
    return api.pods.get("default/web")?.status;
  }
  return {
    logger,
    clock,
    runtime,
    api,
    events,
    volumes,
    probes,
    statusManager,
    workers,
    make,
    apply,
    settle,
    advance,
    status,
  };
}

Deno.test("PodWorkers.update() creates the sandbox and starts the containers", async () => {
  const h = harness();
  await h.apply(makePod());
  assert.deepEqual(h.runtime.calls, [
    "RunPodSandbox web",
    "CreateContainer app",
    "StartContainer app",
  ]);
  assert.deepEqual(h.events.reasons(), ["Pulled", "Created", "Started"]);
  assert.ok(h.events.has("Pulled", `Container image "${IMAGE}" already present on machine`));
  assert.ok(h.events.has("Created", "Created container: app"));
  assert.ok(h.events.has("Started", "Started container app"));
  assert.deepEqual([...h.events.kinds], ["v1/Pod/web"], "events name the pod with its kind");
  const status = h.status();
  assert.equal(status?.phase, "Running");
  assert.ok(status?.containerStatuses?.[0]?.state?.running);
  assert.equal(status?.containerStatuses?.[0]?.ready, true);
  assert.deepEqual(h.volumes.setUp, ["u1"]);
  assert.deepEqual(h.probes.added, ["u1"]);
  await h.workers.stop();
});

Deno.test("PodWorkers runs a restartPolicy Never pod to Succeeded and then costs nothing", async () => {
  const h = harness();
  await h.apply(makePod({ restartPolicy: "Never" }));
  assert.equal(h.clock.pendingTimers, 1, "exit detection runs while the container runs");
  h.runtime.exit(h.runtime.latest("app")!.id, 0);
  await h.advance(1000);
  const status = h.status();
  assert.equal(status?.phase, "Succeeded");
  assert.equal(status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 0);
  assert.equal(status?.containerStatuses?.[0]?.state?.terminated?.reason, "Completed");
  assert.ok(h.runtime.calls.includes("StopPodSandbox web"));
  assert.deepEqual(h.volumes.tornDown, ["u1"]);
  assert.equal(h.clock.pendingTimers, 0, "no timer once nothing runs");
  await h.workers.stop();
});

Deno.test("PodWorkers restarts a crashing container with the kubelet's backoff", async () => {
  const h = harness();
  await h.apply(makePod());
  const exitLatest = () => h.runtime.exit(h.runtime.latest("app")!.id, 1);

  exitLatest();
  await h.advance(1000);
  assert.equal(h.runtime.named("app").length, 2, "the first crash restarts at once");
  assert.equal(h.status()?.containerStatuses?.[0]?.restartCount, 1);

  exitLatest();
  await h.advance(1000);
  assert.equal(h.runtime.named("app").length, 2, "the second waits");
  const waiting = h.status()?.containerStatuses?.[0];
  assert.equal(waiting?.state?.waiting?.reason, "CrashLoopBackOff");
  assert.equal(
    waiting?.state?.waiting?.message,
    "back-off 10s restarting failed container=app pod=web_default(u1)",
  );
  assert.equal(waiting?.lastState?.terminated?.exitCode, 1);
  assert.ok(
    h.events.has("BackOff", "Back-off restarting failed container app in pod web_default(u1)"),
  );

  await h.advance(9000);
  assert.equal(h.runtime.latest("app")?.state, "CONTAINER_RUNNING", "restarted after 10 s");
  assert.equal(h.status()?.containerStatuses?.[0]?.restartCount, 2);
  assert.equal(h.runtime.named("app").length, 2, "older instances are removed");

  exitLatest();
  await h.advance(1000);
  assert.equal(
    h.status()?.containerStatuses?.[0]?.state?.waiting?.message,
    "back-off 20s restarting failed container=app pod=web_default(u1)",
  );
  await h.advance(20_000);
  assert.equal(h.status()?.containerStatuses?.[0]?.restartCount, 3);
  await h.workers.stop();
});

Deno.test("PodWorkers leaves a restartPolicy OnFailure container that succeeded", async () => {
  const h = harness();
  await h.apply(makePod({ restartPolicy: "OnFailure" }));
  h.runtime.exit(h.runtime.latest("app")!.id, 0);
  await h.advance(1000);
  assert.equal(h.runtime.named("app").length, 1);
  assert.equal(h.status()?.phase, "Succeeded");
  await h.workers.stop();
});

Deno.test("PodWorkers runs init containers one by one before the containers", async () => {
  const h = harness();
  const init = [app({ name: "init-1" }), app({ name: "init-2" })];
  await h.apply(makePod({ initContainers: init }));
  assert.deepEqual(h.runtime.calls.slice(1), ["CreateContainer init-1", "StartContainer init-1"]);
  assert.equal(h.status()?.containerStatuses?.[0]?.state?.waiting?.reason, "PodInitializing");
  h.runtime.exit(h.runtime.latest("init-1")!.id, 0);
  await h.advance(1000);
  assert.deepEqual(h.runtime.calls.slice(3), ["CreateContainer init-2", "StartContainer init-2"]);
  h.runtime.exit(h.runtime.latest("init-2")!.id, 0);
  await h.advance(1000);
  assert.deepEqual(h.runtime.calls.slice(5), ["CreateContainer app", "StartContainer app"]);
  const status = h.status();
  assert.equal(status?.phase, "Running");
  assert.equal(status?.initContainerStatuses?.[1]?.state?.terminated?.reason, "Completed");
  assert.equal(status?.conditions?.find((c) => c.type === "Initialized")?.status, "True");
  await h.workers.stop();
});

Deno.test("PodWorkers fails a restartPolicy Never pod whose init container failed", async () => {
  const h = harness();
  await h.apply(makePod({ restartPolicy: "Never", initContainers: [app({ name: "init" })] }));
  h.runtime.exit(h.runtime.latest("init")!.id, 3);
  await h.advance(1000);
  assert.equal(h.runtime.named("app").length, 0);
  assert.equal(h.status()?.phase, "Failed");
  await h.workers.stop();
});

Deno.test("PodWorkers keeps a sidecar running beside the containers", async () => {
  const h = harness();
  await h.apply(makePod({ initContainers: [app({ name: "proxy", restartPolicy: "Always" })] }));
  assert.deepEqual(h.runtime.calls.slice(1), [
    "CreateContainer proxy",
    "StartContainer proxy",
    "CreateContainer app",
    "StartContainer app",
  ]);
  assert.equal(
    h.runtime.latest("app")?.state,
    "CONTAINER_RUNNING",
    "started once the sidecar runs",
  );
  h.runtime.exit(h.runtime.latest("proxy")!.id, 1);
  await h.advance(1000);
  assert.equal(h.runtime.named("proxy").length, 2, "the sidecar is restarted");
  await h.workers.stop();
});

Deno.test("PodWorkers terminates a deleted pod: preStop, remaining grace, sandbox, final delete", async () => {
  const h = harness();
  const pod = await h.apply(makePod({
    containers: [app({ lifecycle: { preStop: { exec: { command: ["sh", "-c", "sleep 5"] } } } })],
  }));
  const id = h.runtime.latest("app")!.id;
  h.runtime.exec = async (_id, cmd) => {
    if (cmd.join(" ") === "sh -c sleep 5") await h.clock.sleep(5000);
    return { stdout: new Uint8Array(), stderr: new Uint8Array(), exitCode: 0 };
  };
  h.runtime.calls.length = 0;
  const deleting = h.api.put({
    ...h.api.pods.get("default/web")!,
    metadata: {
      ...pod.metadata,
      deletionTimestamp: "2026-12-01T12:00:00Z",
      deletionGracePeriodSeconds: 20,
    },
  });
  h.workers.update(deleting);
  await h.advance(6000);
  assert.deepEqual(h.runtime.calls, [
    "ExecSync app sh -c sleep 5",
    "StopContainer app 15",
    "StopPodSandbox web",
    "RemovePodSandbox web",
  ]);
  assert.ok(h.events.has("Killing", "Stopping container app"));
  assert.equal(h.runtime.containers.has(id), false);
  assert.deepEqual(h.api.deletes, [{
    namespace: "default",
    name: "web",
    gracePeriodSeconds: 0,
    uid: "u1",
  }]);
  assert.deepEqual(h.volumes.tornDown, ["u1"]);
  assert.deepEqual(h.probes.removed, ["u1"]);
  assert.equal(h.clock.pendingTimers, 0);
  await h.workers.stop();
});

Deno.test("PodWorkers gives containers at least 2 s to stop", async () => {
  const h = harness();
  const pod = await h.apply(makePod());
  h.runtime.calls.length = 0;
  h.workers.update({
    ...pod,
    metadata: {
      ...pod.metadata,
      deletionTimestamp: "2026-12-01T12:00:00Z",
      deletionGracePeriodSeconds: 0,
    },
  });
  await h.settle();
  assert.equal(h.runtime.calls[0], "StopContainer app 2");
  await h.workers.stop();
});

Deno.test("PodWorkers.forget() kills and removes a pod gone from the API", async () => {
  const h = harness();
  await h.apply(makePod());
  h.workers.forget("u1");
  await h.settle();
  assert.equal(h.runtime.containers.size, 0);
  assert.equal(h.runtime.sandboxes.size, 0);
  assert.deepEqual(h.api.deletes, []);
  assert.deepEqual(h.workers.runningPods(), []);
  await h.workers.stop();
});

Deno.test("PodWorkers.start() adopts running containers without restarting them", async () => {
  const h = harness();
  const pod = makePod();
  const sandboxConfig = generatePodSandboxConfig(pod, { ...SANDBOX_OPTIONS, nodeHostname: "" });
  const config = await generateContainerConfig({
    pod,
    container: pod.spec!.containers[0]!,
    restartCount: 3,
    imageRef: IMAGE,
    volumes: [],
    configMaps: none,
    secrets: none,
    nodeAllocatable: {},
    memoryCapacityBytes: 1n << 30n,
    podIps: [],
    hostIps: ["10.0.0.5"],
  });
  const [, containerId] = h.runtime.adopt(sandboxConfig, [config]);
  await h.workers.start();
  assert.equal(h.workers.runningPods()[0]?.containers[0]?.id, containerId);
  await h.apply(pod);
  assert.deepEqual(h.runtime.calls, [], "nothing created, started or stopped");
  const status = h.status()?.containerStatuses?.[0];
  assert.equal(status?.containerID, `containerd://${containerId}`);
  assert.equal(status?.restartCount, 3);
  assert.ok(status?.state?.running);
  await h.workers.stop();
});

Deno.test("PodWorkers.removeOrphans() kills adopted pods the API no longer has", async () => {
  const h = harness();
  const pod = makePod({}, "gone");
  const sandboxConfig = generatePodSandboxConfig(pod, { ...SANDBOX_OPTIONS, nodeHostname: "" });
  h.runtime.adopt(sandboxConfig, [{
    metadata: { name: "app", attempt: 0 },
    image: { image: IMAGE },
    labels: { "io.kubernetes.pod.uid": "gone", "io.kubernetes.container.name": "app" },
    annotations: { "io.kubernetes.pod.terminationGracePeriod": "7" },
  }]);
  await h.workers.start();
  h.workers.removeOrphans([]);
  await h.settle();
  assert.deepEqual(h.runtime.calls.slice(0, 2), ["StopContainer app 7", "StopPodSandbox web"]);
  assert.equal(h.runtime.sandboxes.size, 0);
  await h.workers.stop();
});

Deno.test("PodWorkers.stop() leaves containers running and timers cancelled", async () => {
  const h = harness();
  await h.apply(makePod());
  await h.workers.stop();
  assert.equal(h.runtime.latest("app")?.state, "CONTAINER_RUNNING");
  assert.equal(h.clock.pendingTimers, 0);
  assert.ok(!h.runtime.calls.some((c) => c.startsWith("Stop")));
  const again = h.make();
  await again.start();
  await h.apply(h.api.pods.get("default/web")!, again);
  assert.equal(h.runtime.named("app").length, 1, "the restarted workers adopt it");
  await again.stop();
});

Deno.test("PodWorkers restarts a container whose spec changed", async () => {
  const h = harness();
  const pod = await h.apply(makePod());
  await h.apply({ ...pod, spec: { ...pod.spec!, containers: [app({ image: `${IMAGE}-new` })] } });
  assert.ok(h.events.has("Killing", "Container app definition changed, will be restarted"));
  assert.equal(h.runtime.named("app").length, 2);
  await h.workers.stop();
});

Deno.test("PodWorkers restarts a container whose liveness probe failed", async () => {
  const h = harness();
  await h.apply(
    makePod({ containers: [app({ livenessProbe: { exec: { command: ["false"] } } })] }),
  );
  const id = h.runtime.latest("app")!.id;
  h.probes.results.set(`liveness/containerd://${id}`, "failure");
  h.workers.handleProbeResult({ podUid: "u1" });
  await h.settle();
  assert.ok(h.events.has("Killing", "Container app failed liveness probe, will be restarted"));
  assert.equal(h.runtime.latest("app")?.state, "CONTAINER_RUNNING");
  assert.notEqual(h.runtime.latest("app")?.id, id);
  assert.equal(h.status()?.containerStatuses?.[0]?.restartCount, 1);
  await h.workers.stop();
});

Deno.test("PodWorkers kills a container whose postStart hook failed", async () => {
  const h = harness();
  h.runtime.exec = () =>
    Promise.resolve({
      stdout: new TextEncoder().encode("nope"),
      stderr: new Uint8Array(),
      exitCode: 1,
    });
  await h.apply(makePod({
    containers: [app({ lifecycle: { postStart: { exec: { command: ["sh", "-c", "exit 1"] } } } })],
  }));
  assert.ok(h.events.has("FailedPostStartHook", "PostStartHook failed"));
  assert.ok(h.events.has("Killing", "FailedPostStartHook"));
  assert.equal(h.runtime.latest("app")?.state, "CONTAINER_EXITED");
  const waiting = h.status()?.containerStatuses?.[0]?.state?.waiting;
  assert.equal(waiting?.reason, "PostStartHookError");
  assert.match(
    waiting?.message ?? "",
    /^Exec lifecycle hook \(\[sh -c exit 1\]\) for Container "app" in Pod "web_default\(u1\)" failed - error: command 'sh -c exit 1' exited with 1: nope, message: "nope"$/,
  );
  await h.workers.stop();
});

Deno.test("PodWorkers reports image pull policies' failures", async (t) => {
  await t.step("Never with the image missing", async () => {
    const h = harness();
    await h.apply(makePod({ containers: [app({ image: "missing:1", imagePullPolicy: "Never" })] }));
    const waiting = h.status()?.containerStatuses?.[0]?.state?.waiting;
    assert.equal(waiting?.reason, "ErrImageNeverPull");
    assert.equal(
      waiting?.message,
      'Container image "missing:1" is not present with pull policy of Never',
    );
    assert.ok(h.events.has("Failed", "Error: ErrImageNeverPull"));
    await h.workers.stop();
  });
  await t.step("a failed pull, then its backoff", async () => {
    const h = harness();
    h.runtime.failNext.set("PullImage", new Error("no route to registry"));
    await h.apply(makePod({ containers: [app({ image: "reg.example/app:1" })] }));
    assert.equal(h.status()?.containerStatuses?.[0]?.state?.waiting?.reason, "ErrImagePull");
    assert.ok(
      h.events.has("Failed", 'Failed to pull image "reg.example/app:1": no route to registry'),
    );
    const pod = h.api.pods.get("default/web")!;
    h.workers.update(pod);
    await h.settle();
    assert.equal(h.status()?.containerStatuses?.[0]?.state?.waiting?.reason, "ImagePullBackOff");
    assert.ok(h.events.has("BackOff", 'Back-off pulling image "reg.example/app:1"'));
    await h.advance(10_000);
    assert.equal(h.runtime.latest("app")?.state, "CONTAINER_RUNNING", "pulled after the backoff");
    await h.workers.stop();
  });
  await t.step("Always pulls with the pod's pull secret", async () => {
    const auth = btoa(JSON.stringify({ auths: { "reg.example": { auth: btoa("me:secret") } } }));
    const h = harness({
      secrets: {
        getConfigMap: () => Promise.resolve(undefined),
        getSecret: (_ns: string, name: string) =>
          Promise.resolve(
            name === "pull" ? { data: { ".dockerconfigjson": auth } } as Secret : undefined,
          ),
      },
    });
    await h.apply(makePod({
      imagePullSecrets: [{ name: "pull" }],
      containers: [app({ image: "reg.example/app:1", imagePullPolicy: "Always" })],
    }));
    assert.deepEqual(h.runtime.pullAuth.get("reg.example/app:1"), {
      username: "me",
      password: "secret",
    });
    assert.ok(
      h.events.list.some((e) =>
        e.reason === "Pulled" &&
        e.message.startsWith('Successfully pulled image "reg.example/app:1" in ')
      ),
    );
    await h.workers.stop();
  });
});

Deno.test("PodWorkers re-creates a sandbox that died and restarts the containers", async () => {
  const h = harness();
  await h.apply(makePod());
  const [sandboxId] = [...h.runtime.sandboxes.keys()];
  await h.runtime.stopPodSandbox({ podSandboxId: sandboxId! });
  h.runtime.calls.length = 0;
  await h.advance(1000);
  assert.ok(
    h.events.has("SandboxChanged", "Pod sandbox changed, it will be killed and re-created."),
  );
  assert.deepEqual(h.runtime.calls, [
    "RunPodSandbox web",
    "CreateContainer app",
    "StartContainer app",
  ]);
  const newest = [...h.runtime.sandboxes.values()].at(-1);
  assert.equal(newest?.config.metadata.attempt, 1);
  await h.workers.stop();
});

Deno.test("PodWorkers.findContainer() finds the newest or the previous instance", async () => {
  const h = harness();
  await h.apply(makePod());
  const first = h.runtime.latest("app")!.id;
  h.runtime.exit(first, 1);
  await h.advance(1000);
  const second = h.runtime.latest("app")!.id;
  const now = h.workers.findContainer("default", "web", "app");
  assert.equal(now?.containerId, second);
  assert.equal(now?.podUid, "u1");
  assert.equal(
    h.workers.findContainer("default", "web", "app", { previous: true })?.containerId,
    first,
  );
  assert.equal(h.workers.findContainer("default", "web", "nope"), undefined);
  assert.deepEqual(h.workers.desiredPods().map((p) => p.metadata?.uid), ["u1"]);
  const [running] = h.workers.runningPods();
  assert.deepEqual(running?.containers.map((c) => [c.name, c.state, c.restartCount]), [[
    "app",
    "running",
    1,
  ]]);
  await h.workers.stop();
});

Deno.test("PodWorkers stops sidecars after the regular containers", async () => {
  const h = harness();
  const pod = await h.apply(makePod({
    initContainers: [
      app({ name: "log-shipper", restartPolicy: "Always" }),
      app({ name: "proxy", restartPolicy: "Always" }),
    ],
  }));
  await h.advance(100);
  assert.equal(h.runtime.latest("app")?.state, "CONTAINER_RUNNING");
  h.runtime.calls.length = 0;
  h.workers.update({
    ...pod,
    metadata: {
      ...pod.metadata,
      deletionTimestamp: "2026-12-01T12:00:00Z",
      deletionGracePeriodSeconds: 30,
    },
  });
  await h.settle();
  assert.deepEqual(h.runtime.calls.filter((c) => c.startsWith("StopContainer")), [
    "StopContainer app 30",
    "StopContainer proxy 30",
    "StopContainer log-shipper 30",
  ]);
  await h.workers.stop();
});

Deno.test("PodWorkers continues the restart count from the log directory when the runtime lost it", async () => {
  const root = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${root}/default_web_u1/app`, { recursive: true });
    for (const f of ["0.log", "1.log", "4.log", "4.log.20261201-120000"]) {
      await Deno.writeTextFile(`${root}/default_web_u1/app/${f}`, "");
    }
    const h = harness({ podLogsRoot: root });
    await h.apply(makePod());
    assert.equal(h.status()?.containerStatuses?.[0]?.restartCount, 5);
    assert.equal(h.runtime.latest("app")?.config.logPath, "app/5.log");
    await h.workers.stop();
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("PodWorkers removes an instance whose start failed once another runs", async () => {
  const h = harness();
  h.runtime.failNext.set("StartContainer", new Error("exec format error"));
  await h.apply(makePod());
  const failed = h.runtime.latest("app")!;
  assert.equal(failed.state, "CONTAINER_CREATED");
  assert.equal(h.status()?.containerStatuses?.[0]?.state?.waiting?.reason, "RunContainerError");
  assert.ok(h.events.has("Failed", "Error: exec format error"));
  await h.advance(10_000);
  assert.equal(h.runtime.latest("app")?.state, "CONTAINER_RUNNING");
  assert.equal(h.runtime.containers.has(failed.id), false, "the created instance is removed");
  assert.equal(h.status()?.containerStatuses?.[0]?.restartCount, 1);
  await h.workers.stop();
});

Deno.test("PodWorkers cuts a termination short when the grace period shrinks", async () => {
  const h = harness();
  const pod = await h.apply(makePod({
    containers: [app({ lifecycle: { preStop: { exec: { command: ["sleep", "60"] } } } })],
  }));
  h.runtime.exec = async () => {
    await h.clock.sleep(60_000);
    return { stdout: new Uint8Array(), stderr: new Uint8Array(), exitCode: 0 };
  };
  h.runtime.calls.length = 0;
  const deleting = (grace: number): Pod => ({
    ...pod,
    metadata: {
      ...pod.metadata,
      deletionTimestamp: "2026-12-01T12:00:00Z",
      deletionGracePeriodSeconds: grace,
    },
  });
  h.workers.update(deleting(30));
  await h.advance(3000);
  assert.deepEqual(h.runtime.calls, ["ExecSync app sleep 60"], "waiting for preStop");
  h.workers.update(deleting(0));
  await h.advance(100);
  const stops = h.runtime.calls.filter((c) => c.startsWith("StopContainer"));
  assert.ok(stops.length > 0);
  assert.ok(stops.every((c) => c === "StopContainer app 2"), stops.join(", "));
  assert.ok(h.runtime.calls.includes("RemovePodSandbox web"), "terminated without waiting 30 s");
  await h.workers.stop();
});

Deno.test("PodWorkers never runs again a pod the API shows finished", async () => {
  const h = harness();
  const pod = makePod({ restartPolicy: "Never" });
  await h.apply({ ...pod, status: { phase: "Succeeded" } });
  assert.deepEqual(h.runtime.calls, [], "the runtime lost it, the pod stays done");
  assert.equal(h.status()?.phase, "Succeeded");
  await h.workers.stop();
});

Deno.test("PodWorkers reports a sandbox config it cannot build", async () => {
  const h = harness();
  await h.apply(makePod({ hostNetwork: false, hostname: "Not_A_Label" }));
  assert.deepEqual(h.runtime.calls, []);
  assert.ok(
    h.events.list.some((e) => e.reason === "FailedCreatePodSandBox"),
    JSON.stringify(h.events.list),
  );
  assert.equal(h.clock.pendingTimers, 1, "retried later");
  await h.workers.stop();
});

Deno.test("PodWorkers removes the sandboxes of earlier attempts once their containers are gone", async () => {
  const h = harness();
  await h.apply(makePod());
  for (let i = 0; i < 3; i++) {
    const [newest] = [...h.runtime.sandboxes.values()].filter((s) => s.state === "SANDBOX_READY");
    await h.runtime.stopPodSandbox({ podSandboxId: newest!.id });
    await h.advance(1000);
    await h.advance(20_000);
  }
  assert.ok(h.runtime.sandboxes.size <= 2, `sandboxes: ${h.runtime.sandboxes.size}`);
  assert.equal(h.runtime.latest("app")?.state, "CONTAINER_RUNNING");
  await h.workers.stop();
});

Deno.test("PodWorkers mount the managed /etc/hosts and a termination-message file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/node-hosts`, "127.0.0.1 localhost edge-1\n");
    const h = harness({ podsDir: dir });
    await h.apply(
      makePod({ containers: [app({ terminationMessagePath: "/dev/termination-log" })] }),
    );
    const mounts = h.runtime.latest("app")?.config.mounts ?? [];
    const hosts = mounts.find((m) => m.containerPath === "/etc/hosts");
    assert.equal(hosts?.hostPath, `${dir}/u1/etc-hosts`);
    assert.equal(
      await Deno.readTextFile(`${dir}/u1/etc-hosts`),
      "# Kubernetes-managed hosts file (host network).\n127.0.0.1 localhost edge-1\n",
    );
    const term = mounts.find((m) => m.containerPath === "/dev/termination-log");
    assert.match(term?.hostPath ?? "", new RegExp(`^${dir}/u1/containers/app/[0-9a-f]{8}$`));
    h.workers.forget("u1");
    await h.settle();
    await assert.rejects(Deno.stat(`${dir}/u1/etc-hosts`), Deno.errors.NotFound);
    await assert.rejects(Deno.stat(`${dir}/u1/containers`), Deno.errors.NotFound);
    await h.workers.stop();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("PodWorkers stop a slow image pull when the pod is deleted", async () => {
  const h = harness();
  let pullSignal: AbortSignal | undefined;
  const slow = (_r: unknown, options?: { signal?: AbortSignal }) => {
    pullSignal = options?.signal;
    return new Promise<never>((_resolve, reject) => {
      options?.signal?.addEventListener("abort", () => reject(new Error("pull cancelled")));
    });
  };
  h.runtime.pullImage = slow as typeof h.runtime.pullImage;
  const pod = makePod({ containers: [app({ image: "reg.example/huge:1" })] });
  const stored = h.api.put(pod);
  h.workers.update(stored);
  await turn();
  await turn();
  assert.ok(pullSignal, "pulling");
  h.workers.update({
    ...stored,
    metadata: {
      ...stored.metadata,
      deletionTimestamp: "2026-12-01T12:00:00Z",
      deletionGracePeriodSeconds: 30,
    },
  });
  await h.settle();
  assert.equal(pullSignal?.aborted, true);
  assert.equal(h.runtime.sandboxes.size, 0, "terminated without waiting for the pull");
  assert.equal(h.api.deletes.length, 1);
  await h.workers.stop();
});

Deno.test("PodWorkers fail a pod that ran past its activeDeadlineSeconds", async () => {
  const h = harness();
  await h.apply(makePod({ activeDeadlineSeconds: 30 }));
  assert.equal(h.status()?.phase, "Running");
  await h.advance(30_000);
  const status = h.status();
  assert.equal(status?.phase, "Failed");
  assert.equal(status?.reason, "DeadlineExceeded");
  assert.equal(status?.message, "Pod was active on the node longer than the specified deadline");
  assert.ok(
    h.events.has(
      "DeadlineExceeded",
      "Pod was active on the node longer than the specified deadline",
    ),
  );
  assert.equal(h.runtime.latest("app")?.state, "CONTAINER_EXITED");
  assert.ok(h.runtime.calls.includes("StopPodSandbox web"));
  await h.workers.stop();
});

Deno.test("PodWorkers record a failed preStop hook and still stop the container", async () => {
  const h = harness();
  const pod = await h.apply(makePod({
    containers: [app({ lifecycle: { preStop: { exec: { command: ["/quit"] } } } })],
  }));
  h.runtime.exec = () =>
    Promise.resolve({ stdout: new Uint8Array(), stderr: new Uint8Array(), exitCode: 127 });
  h.workers.update({
    ...pod,
    metadata: {
      ...pod.metadata,
      deletionTimestamp: "2026-12-01T12:00:00Z",
      deletionGracePeriodSeconds: 30,
    },
  });
  await h.settle();
  assert.ok(h.events.has("FailedPreStopHook", "PreStopHook failed"));
  assert.ok(h.runtime.calls.some((c) => c.startsWith("StopContainer app")));
  await h.workers.stop();
});

Deno.test("PodWorkers restart a container that exited before its start's sync ended", async () => {
  // A container that crashes at once (`exit 3`) may be gone by the time the sync that started
  // it reads the runtime back: no relist sees that exit change, so the sync itself must.
  const h = harness();
  h.runtime.onStart = (c) => h.runtime.exit(c.id, 3);
  await h.apply(makePod());
  await h.advance(1000);
  const first = h.status()?.containerStatuses?.[0];
  assert.equal(first?.restartCount, 1, "the first crash restarts at once");
  assert.equal(
    first?.state?.waiting?.message,
    "back-off 10s restarting failed container=app pod=web_default(u1)",
  );
  await h.advance(11_000);
  const second = h.status()?.containerStatuses?.[0];
  assert.equal(second?.restartCount, 2, "restarted after 10 s");
  assert.equal(
    second?.state?.waiting?.message,
    "back-off 20s restarting failed container=app pod=web_default(u1)",
  );
  await h.workers.stop();
});
