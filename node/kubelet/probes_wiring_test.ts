/**
 * The pod workers wired to the real probe manager and prober (as the agent wires them), over the
 * fake runtime: a failing liveness probe restarts the container with upstream's events, and a
 * readiness probe decides the Ready condition.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import type { KubeObject } from "../../control/api/types/meta_v1.ts";
import type { EventRecord, EventRecorder } from "../../control/client/event_recorder.ts";
import { FakeClock } from "../../control/util/clock.ts";
import { RecordingLogger } from "../../control/util/logger.ts";
import { ProbeManager } from "../probes/probe_manager.ts";
import { Prober } from "../probes/prober.ts";
import type { MountedVolume } from "../volumes/volume_manager.ts";
import { FakePodApi } from "./_fake_pod_api.ts";
import { FakeRuntime } from "./_fake_runtime.ts";
import { PodStatusManager } from "./pod_status_manager.ts";
import { PodWorkers } from "./pod_workers.ts";

const IMAGE = "docker.io/skiff/busybox:1.36";

function turn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

function setup() {
  const clock = new FakeClock(Date.UTC(2026, 11, 1, 12));
  const runtime = new FakeRuntime(clock);
  runtime.images.add(IMAGE);
  const api = new FakePodApi();
  const logger = new RecordingLogger();
  const events: string[] = [];
  const recorder: EventRecorder = {
    event: (_o: KubeObject, r: EventRecord) => void events.push(`${r.reason}: ${r.message}`),
  };
  const none = {
    getConfigMap: () => Promise.resolve(undefined),
    getSecret: () => Promise.resolve(undefined),
  };
  // deno-lint-ignore prefer-const
  let workers: PodWorkers;
  const prober = new Prober({
    execSync: (containerId, cmd, timeout) => runtime.execSync({ containerId, cmd, timeout }),
    recordEvent: (e) =>
      recorder.event(e.pod, { type: e.type, reason: e.reason, message: e.message }),
    clock,
  });
  const statusManager: PodStatusManager = new PodStatusManager({
    pods: api,
    clock,
    logger,
    nodeIPs: () => ["10.0.0.5"],
    probes: { result: (kind, id) => probes.result(kind, id) },
  });
  const probes = new ProbeManager({
    clock,
    prober,
    getPodStatus: (uid) => statusManager.getPodStatus(uid),
    onResult: (update) => workers.handleProbeResult(update),
    random: () => 0,
  });
  workers = new PodWorkers({
    runtime,
    statusManager,
    volumes: {
      setUpPod: (): Promise<ReadonlyMap<string, MountedVolume>> => Promise.resolve(new Map()),
      tearDownPod: () => Promise.resolve(),
    },
    configMaps: none,
    secrets: none,
    recorder,
    clock,
    logger,
    probes,
    node: {
      hostname: "edge-1",
      ips: () => ["10.0.0.5"],
      allocatable: () => ({}),
      memoryCapacityBytes: 1n << 30n,
    },
  }, { sandbox: { resolvConf: "nameserver 1.1.1.1\n" } });
  async function advance(ms: number): Promise<void> {
    for (let done = 0; done < ms; done += 100) {
      clock.advance(Math.min(100, ms - done));
      await turn();
      await workers.idle();
    }
  }
  return { clock, runtime, api, events, workers, probes, statusManager, advance };
}

function podWith(container: NonNullable<Pod["spec"]>["containers"][number]): Pod {
  return {
    metadata: { name: "web", namespace: "default", uid: "u1" },
    spec: { hostNetwork: true, containers: [container] },
    status: {},
  };
}

Deno.test("PodWorkers restart a container whose liveness probe fails", async () => {
  const h = setup();
  h.runtime.exec = () =>
    Promise.resolve({
      stdout: new TextEncoder().encode("sick"),
      stderr: new Uint8Array(),
      exitCode: 1,
    });
  h.workers.update(h.api.put(podWith({
    name: "app",
    image: IMAGE,
    imagePullPolicy: "IfNotPresent",
    livenessProbe: {
      exec: { command: ["cat", "/healthy"] },
      periodSeconds: 1,
      failureThreshold: 2,
    },
  })));
  await h.workers.idle();
  const first = h.runtime.latest("app")!.id;
  await h.advance(3000);
  assert.ok(h.events.includes("Unhealthy: Liveness probe failed: sick"), h.events.join("\n"));
  assert.ok(h.events.includes("Killing: Container app failed liveness probe, will be restarted"));
  assert.notEqual(h.runtime.latest("app")!.id, first);
  assert.equal(h.api.pods.get("default/web")?.status?.containerStatuses?.[0]?.restartCount, 1);
  h.probes.stop();
  await h.workers.stop();
});

Deno.test("PodWorkers report Ready once the readiness probe succeeds", async () => {
  const h = setup();
  let ready = false;
  h.runtime.exec = () =>
    Promise.resolve({
      stdout: new Uint8Array(),
      stderr: new Uint8Array(),
      exitCode: ready ? 0 : 1,
    });
  h.workers.update(h.api.put(podWith({
    name: "app",
    image: IMAGE,
    imagePullPolicy: "IfNotPresent",
    readinessProbe: { exec: { command: ["true"] }, periodSeconds: 1 },
  })));
  const readyCondition = () =>
    h.api.pods.get("default/web")?.status?.conditions?.find((c) => c.type === "Ready")?.status;
  await h.advance(2000);
  assert.equal(readyCondition(), "False");
  ready = true;
  await h.advance(2000);
  assert.equal(readyCondition(), "True");
  assert.equal(h.api.pods.get("default/web")?.status?.containerStatuses?.[0]?.ready, true);
  assert.equal(h.runtime.named("app").length, 1, "readiness never restarts");
  h.probes.stop();
  await h.workers.stop();
});
