import assert from "node:assert/strict";
import type { Container, Pod, PodStatus, Probe } from "../../control/api/types/core_v1_pod.ts";
import { FakeClock } from "../../control/util/clock.ts";
import type { ContainerProbeResult, ProbeKind } from "./prober.ts";
import { type ProbeResultStore, type ProbeRunner, ProberWorker } from "./prober_worker.ts";

const START_MS = Date.parse("2026-01-01T00:00:00Z");

function flush(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

async function advance(clock: FakeClock, ms: number): Promise<void> {
  clock.advance(ms);
  await flush();
}

function podWith(container: Container, extra: Partial<Pod> = {}): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web", namespace: "default", uid: "uid-1" },
    spec: { containers: [container] },
    ...extra,
  } as Pod;
}

function runningStatus(options: { id?: string; started?: boolean } = {}): PodStatus {
  return {
    phase: "Running",
    podIP: "10.42.0.5",
    containerStatuses: [{
      name: "app",
      containerID: options.id ?? "containerd://c1",
      image: "busybox",
      imageID: "",
      ready: false,
      restartCount: 0,
      started: options.started ?? true,
      state: { running: { startedAt: new Date(START_MS).toISOString() } },
    }],
  } as PodStatus;
}

class Recorder implements ProbeResultStore {
  readonly sets: [ProbeKind, string, ContainerProbeResult][] = [];
  readonly removed: string[] = [];
  set(kind: ProbeKind, e: { containerId: string; result: ContainerProbeResult }): void {
    this.sets.push([kind, e.containerId, e.result]);
  }
  remove(_kind: ProbeKind, containerId: string): void {
    this.removed.push(containerId);
  }
  results(): ContainerProbeResult[] {
    return this.sets.map((s) => s[2]);
  }
}

class ScriptedProber implements ProbeRunner {
  calls: number[] = [];
  constructor(readonly clock: FakeClock, readonly answers: ("success" | "failure")[]) {}
  probe(): Promise<"success" | "failure" | undefined> {
    this.calls.push(this.clock.now() - START_MS);
    return Promise.resolve(this.answers.shift() ?? "success");
  }
}

function setup(kind: ProbeKind, probe: Probe, options: {
  answers?: ("success" | "failure")[];
  status?: PodStatus;
  initialDelayMs?: number;
  pod?: Partial<Pod>;
} = {}) {
  const clock = new FakeClock(START_MS);
  const container = { name: "app", image: "busybox", [`${kind}Probe`]: probe } as Container;
  const prober = new ScriptedProber(clock, options.answers ?? []);
  const results = new Recorder();
  let status = options.status ?? runningStatus();
  const worker = new ProberWorker({
    kind,
    pod: podWith(container, options.pod),
    container,
    clock,
    prober,
    results,
    getPodStatus: () => status,
    ...(options.initialDelayMs ? { initialDelayMs: options.initialDelayMs } : {}),
  });
  return { clock, prober, results, worker, setStatus: (s: PodStatus) => status = s };
}

Deno.test("ProberWorker probes every periodSeconds after initialDelaySeconds", async () => {
  const { clock, prober, worker } = setup("readiness", {
    initialDelaySeconds: 5,
    periodSeconds: 2,
  });
  worker.start();
  await flush();
  assert.deepEqual(prober.calls, []);
  for (let i = 0; i < 5; i++) await advance(clock, 2000);
  // Ticks at 2 s and 4 s fall inside the delay; 6, 8 and 10 s probe.
  assert.deepEqual(prober.calls, [6000, 8000, 10000]);
  assert.equal(clock.pendingTimers, 1);
  worker.stop();
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("ProberWorker starts readiness at failure, liveness at success, startup at unknown", async () => {
  for (const kind of ["readiness", "liveness", "startup"] as const) {
    const { results, worker } = setup(kind, { periodSeconds: 10, initialDelaySeconds: 100 }, {
      status: runningStatus({ started: kind !== "startup" }),
    });
    worker.start();
    await flush();
    worker.stop();
    const expected = { readiness: "failure", liveness: "success", startup: "unknown" }[kind];
    assert.deepEqual(results.sets, [[kind, "containerd://c1", expected]]);
  }
});

Deno.test("ProberWorker flips the verdict only after the thresholds", async (t) => {
  await t.step("failureThreshold consecutive failures fail readiness", async () => {
    const { clock, results, worker } = setup(
      "readiness",
      { periodSeconds: 1, successThreshold: 2, failureThreshold: 3 },
      {
        answers: [
          "success",
          "success",
          "failure",
          "failure",
          "success",
          "failure",
          "failure",
          "failure",
        ],
      },
    );
    worker.start();
    await flush();
    for (let i = 0; i < 7; i++) await advance(clock, 1000);
    worker.stop();
    // initial failure; success after 2 successes; failure after 3 failures in a row.
    assert.deepEqual(results.results(), ["failure", "success", "failure"]);
  });
  await t.step("a liveness failure holds the worker until a new container", async () => {
    const { clock, prober, results, worker, setStatus } = setup(
      "liveness",
      { periodSeconds: 1, failureThreshold: 2 },
      { answers: ["failure", "failure"] },
    );
    worker.start();
    await flush();
    await advance(clock, 1000);
    assert.deepEqual(results.results(), ["success", "failure"]);
    await advance(clock, 1000);
    await advance(clock, 1000);
    assert.equal(prober.calls.length, 2); // on hold
    setStatus(runningStatus({ id: "containerd://c2" }));
    await advance(clock, 1000);
    assert.equal(prober.calls.length, 3);
    assert.deepEqual(results.removed, ["containerd://c1"]);
    assert.deepEqual(results.sets.at(-1), ["liveness", "containerd://c2", "success"]);
    worker.stop();
  });
});

Deno.test("ProberWorker gates liveness and readiness on the startup probe", async () => {
  const { clock, prober, worker, setStatus } = setup("liveness", { periodSeconds: 1 }, {
    status: runningStatus({ started: false }),
  });
  worker.start();
  await flush();
  await advance(clock, 1000);
  assert.deepEqual(prober.calls, []);
  setStatus(runningStatus({ started: true }));
  await advance(clock, 1000);
  assert.deepEqual(prober.calls, [2000]);
  worker.stop();
});

Deno.test("ProberWorker stops probing startup once the container started", async () => {
  const { clock, prober, results, worker, setStatus } = setup("startup", { periodSeconds: 1 }, {
    status: runningStatus({ started: false }),
  });
  worker.start();
  await flush();
  assert.deepEqual(prober.calls, [0]);
  assert.deepEqual(results.results(), ["unknown", "success"]);
  setStatus(runningStatus({ started: true }));
  await advance(clock, 1000);
  await advance(clock, 1000);
  assert.deepEqual(prober.calls, [0]);
  worker.stop();
});

Deno.test("ProberWorker stops by itself when the pod ended and waits out the jitter", async () => {
  const { clock, prober, worker, setStatus } = setup("readiness", { periodSeconds: 10 }, {
    initialDelayMs: 3000,
  });
  worker.start();
  await advance(clock, 2999);
  assert.deepEqual(prober.calls, []);
  await advance(clock, 1);
  assert.deepEqual(prober.calls, [3000]);
  setStatus({ ...runningStatus(), phase: "Succeeded" });
  await advance(clock, 10_000);
  assert.equal(worker.stopped, true);
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("ProberWorker.trigger() probes at once and keeps the period", async () => {
  const { clock, prober, worker } = setup("readiness", { periodSeconds: 10 });
  worker.start();
  await flush();
  await advance(clock, 4000);
  worker.trigger();
  await flush();
  await advance(clock, 6000);
  assert.deepEqual(prober.calls, [0, 4000, 10000]);
  assert.equal(clock.pendingTimers, 1);
  worker.stop();
});

Deno.test("ProberWorker ends liveness with success once the pod is being deleted", async () => {
  const { results, worker, prober } = setup("liveness", { periodSeconds: 1 }, {
    pod: {
      metadata: {
        name: "web",
        namespace: "default",
        uid: "uid-1",
        deletionTimestamp: "2026-01-01T00:00:00Z",
      },
    },
  });
  worker.start();
  await flush();
  assert.equal(worker.stopped, true);
  assert.deepEqual(prober.calls, []);
  // The initial verdict, then a last success for a quiet shutdown.
  assert.deepEqual(results.results(), ["success", "success"]);
});

Deno.test("ProberWorker stops when a container that will not restart has exited", async () => {
  const status = runningStatus();
  const exited = {
    ...status,
    containerStatuses: status.containerStatuses?.map((c) => ({
      ...c,
      state: { terminated: { exitCode: 1 } },
    })),
  } as PodStatus;
  const { results, worker } = setup("readiness", { periodSeconds: 1 }, {
    status: exited,
    pod: { spec: { containers: [], restartPolicy: "Never" } },
  });
  worker.start();
  await flush();
  assert.equal(worker.stopped, true);
  assert.deepEqual(results.results(), ["failure", "failure"]);
  assert.deepEqual(results.removed, ["containerd://c1"]);
});
