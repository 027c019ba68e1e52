/**
 * The kubelet's pod workers against a real containerd (as root, in a temp dir of its own), with
 * skiff's pause and busybox images and host-network pods (no CNI yet); statuses go to a fake
 * pods API. A pod runs to completion (Succeeded, exit 0); a crashing container restarts with a
 * growing backoff; an init container runs before the main one; a graceful delete runs preStop,
 * stops within the grace period and deletes the pod; restarted workers adopt a running
 * container without restarting it.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Container, Pod } from "../../control/api/types/core_v1_pod.ts";
import type { KubeObject } from "../../control/api/types/meta_v1.ts";
import type { EventRecord, EventRecorder } from "../../control/client/event_recorder.ts";
import { systemClock } from "../../control/util/clock.ts";
import { RecordingLogger } from "../../control/util/logger.ts";
import { CriClient } from "../../node/cri/client.ts";
import { BUSYBOX_IMAGE, PAUSE_IMAGE } from "../../node/images/skiff_images.ts";
import { FakePodApi } from "../../node/kubelet/_fake_pod_api.ts";
import { PodStatusManager } from "../../node/kubelet/pod_status_manager.ts";
import { PodWorkers } from "../../node/kubelet/pod_workers.ts";
import { ProbeManager } from "../../node/probes/probe_manager.ts";
import { Prober } from "../../node/probes/prober.ts";
import type { PodRuntimeService } from "../../node/kubelet/runtime_service.ts";
import type { MountedVolume } from "../../node/volumes/volume_manager.ts";
import { startContainerd } from "../_support/containerd_process.ts";
import { until } from "../_support/until.ts";

const BUILD_SCRIPT = fileURLToPath(new URL("../../scripts/build_images.ts", import.meta.url));
const decoder = new TextDecoder();

class Events implements EventRecorder {
  readonly list: Array<{ pod: string; reason: string; message: string }> = [];
  event(object: KubeObject, record: EventRecord): void {
    this.list.push({
      pod: object.metadata?.name ?? "",
      reason: record.reason,
      message: record.message,
    });
  }
  of(pod: string): string[] {
    return this.list.filter((e) => e.pod === pod).map((e) => `${e.reason}: ${e.message}`);
  }
}

/** No volumes: the pods of this test mount none. */
const volumes = {
  setUpPod: (): Promise<ReadonlyMap<string, MountedVolume>> => Promise.resolve(new Map()),
  tearDownPod: (): Promise<void> => Promise.resolve(),
};

const none = {
  getConfigMap: () => Promise.resolve(undefined),
  getSecret: () => Promise.resolve(undefined),
};

/** The CRI client, recording the mutating calls in order. */
function recording(cri: CriClient, calls: string[]): PodRuntimeService {
  const note = (rpc: string, what: string) => calls.push(`${rpc} ${what}`);
  return {
    runPodSandbox: (
      r,
      o,
    ) => (note("RunPodSandbox", r.config.metadata.name), cri.runPodSandbox(r, o)),
    stopPodSandbox: (r, o) => (note("StopPodSandbox", r.podSandboxId), cri.stopPodSandbox(r, o)),
    removePodSandbox: (
      r,
      o,
    ) => (note("RemovePodSandbox", r.podSandboxId), cri.removePodSandbox(r, o)),
    podSandboxStatus: (r, o) => cri.podSandboxStatus(r, o),
    listPodSandbox: (r, o) => cri.listPodSandbox(r, o),
    createContainer: (
      r,
      o,
    ) => (note("CreateContainer", r.config.metadata.name), cri.createContainer(r, o)),
    startContainer: (r, o) => (note("StartContainer", r.containerId), cri.startContainer(r, o)),
    stopContainer: (
      r,
      o,
    ) => (note("StopContainer", `${r.containerId} ${r.timeout}`), cri.stopContainer(r, o)),
    removeContainer: (r, o) => (note("RemoveContainer", r.containerId), cri.removeContainer(r, o)),
    listContainers: (r, o) => cri.listContainers(r, o),
    containerStatus: (r, o) => cri.containerStatus(r, o),
    execSync: (r, o) => (note("ExecSync", r.cmd.join(" ")), cri.execSync(r, o)),
    imageStatus: (r, o) => cri.imageStatus(r, o),
    pullImage: (r, o) => (note("PullImage", r.image.image), cri.pullImage(r, o)),
  };
}

function podOf(name: string, spec: Partial<NonNullable<Pod["spec"]>>): Pod {
  return {
    metadata: { name, namespace: "default", uid: crypto.randomUUID() },
    spec: {
      hostNetwork: true,
      restartPolicy: "Always",
      terminationGracePeriodSeconds: 2,
      nodeName: "edge-1",
      containers: [],
      ...spec,
    },
    status: { phase: "Pending" },
  };
}

function busybox(name: string, script: string, extra: Partial<Container> = {}): Container {
  return {
    name,
    image: BUSYBOX_IMAGE,
    imagePullPolicy: "IfNotPresent",
    command: ["sh", "-c", script],
    ...extra,
  };
}

/** Removes the pod cgroups runc left (the kubelet deletes them itself; containerd does not). */
async function removePodCgroups(uids: readonly string[]): Promise<void> {
  const roots: string[] = [];
  for await (const entry of Deno.readDir("/sys/fs/cgroup")) {
    if (entry.isDirectory) roots.push(join("/sys/fs/cgroup", entry.name));
  }
  for (const root of roots) {
    for (const uid of uids) {
      for (const qos of ["besteffort", "burstable", ""]) {
        await Deno.remove(join(root, "kubepods", qos, `pod${uid}`)).catch(() => {});
      }
    }
    // Shared parents: only when empty (another test may use them).
    await Deno.remove(join(root, "kubepods", "besteffort")).catch(() => {});
    await Deno.remove(join(root, "kubepods", "burstable")).catch(() => {});
    await Deno.remove(join(root, "kubepods")).catch(() => {});
  }
}

Deno.test("PodWorkers run pods on a real containerd", async (t) => {
  if (Deno.uid() !== 0) throw new Error("Cannot run the pod workers e2e test: it needs root");
  await using containerd = await startContainerd({ sandboxImage: PAUSE_IMAGE });
  using cri = new CriClient({ endpoint: containerd.endpoint, timeoutMs: 60_000 });
  const work = await Deno.makeTempDir({ prefix: "skiff-kubelet-e2e-" });
  const uids: string[] = [];
  const calls: string[] = [];
  const runtime = recording(cri, calls);
  const api = new FakePodApi();
  const events = new Events();
  const logger = new RecordingLogger();
  const prober = new Prober({
    execSync: (containerId, cmd, timeout) => cri.execSync({ containerId, cmd, timeout }),
    recordEvent: (e) => events.event(e.pod, { type: e.type, reason: e.reason, message: e.message }),
  });
  const statusManager: PodStatusManager = new PodStatusManager({
    pods: api,
    clock: systemClock,
    logger,
    nodeIPs: () => ["127.0.0.1"],
    probes: { result: (kind, id) => probes.result(kind, id) },
  });
  const probes = new ProbeManager({
    clock: systemClock,
    prober,
    getPodStatus: (uid) => statusManager.getPodStatus(uid),
    onResult: (update) => workers.handleProbeResult(update),
    random: () => 0,
  });
  const makeWorkers = () =>
    new PodWorkers({
      runtime,
      statusManager,
      probes,
      volumes,
      configMaps: none,
      secrets: none,
      recorder: events,
      clock: systemClock,
      logger,
      node: {
        hostname: "edge-1",
        ips: () => ["127.0.0.1"],
        allocatable: () => ({ cpu: "2", memory: "2Gi" }),
        memoryCapacityBytes: 2n << 30n,
      },
    }, {
      sandbox: {
        resolvConf: "nameserver 127.0.0.1\n",
        clusterDomain: "cluster.local",
        podLogsRoot: join(work, "logs"),
      },
      podsDir: join(work, "pods"),
    });
  let workers = makeWorkers();
  const statusOf = (name: string) => api.pods.get(`default/${name}`)?.status;
  const app = (name: string) => statusOf(name)?.containerStatuses?.[0];
  /** Waits for `check`; a timeout names what the workers logged and recorded. */
  async function waitFor(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    try {
      await until(check, { what, timeoutMs });
    } catch (err) {
      const logs = logger.records.slice(-15).map((r) => `${r.msg} ${JSON.stringify(r.fields)}`);
      throw new Error(
        `${(err as Error).message}\nlogs:\n${logs.join("\n")}\nevents:\n${
          events.list.slice(-10).map((e) => `${e.pod} ${e.reason}: ${e.message}`).join("\n")
        }\nstatus: ${JSON.stringify([...api.pods.values()].map((p) => p.status))}`,
        { cause: err },
      );
    }
  }
  function run(pod: Pod): Pod {
    uids.push(pod.metadata!.uid!);
    const stored = api.put(pod);
    workers.update(stored);
    return stored;
  }

  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", BUILD_SCRIPT, "--out", join(work, "images")],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, decoder.decode(out.stderr));
    for (const tar of ["pause.tar", "busybox.tar"]) {
      await containerd.ctr(["images", "import", join(work, "images", tar)], {
        namespace: "k8s.io",
      });
    }
    await cri.waitForReady({ timeoutMs: 10_000 });
    await workers.start();

    await t.step("a pod runs busybox sh -c to completion: Succeeded, exit 0", async () => {
      run(podOf("done", {
        restartPolicy: "Never",
        containers: [busybox("main", "echo hello from skiff; head -1 /etc/hosts; exit 0")],
      }));
      await waitFor(() => statusOf("done")?.phase === "Succeeded", "pod done Succeeded", 30_000);
      const s = app("done");
      assert.equal(s?.state?.terminated?.exitCode, 0);
      assert.equal(s?.state?.terminated?.reason, "Completed");
      assert.match(s?.containerID ?? "", /^containerd:\/\/[0-9a-f]{64}$/);
      assert.equal(s?.image, BUSYBOX_IMAGE);
      const found = workers.findContainer("default", "done", "main");
      assert.ok(found);
      const log = await Deno.readTextFile(found.logPath);
      assert.match(log, / stdout F hello from skiff\n/);
      assert.match(log, / stdout F # Kubernetes-managed hosts file \(host network\)\.\n$/);
      assert.deepEqual(events.of("done"), [
        `Pulled: Container image "${BUSYBOX_IMAGE}" already present on machine`,
        "Created: Created container: main",
        "Started: Started container main",
      ]);
    });

    await t.step(
      "restartPolicy Always restarts a crashing container with growing backoff",
      async () => {
        const pod = run(podOf("crash", { containers: [busybox("main", "echo crash; exit 3")] }));
        const tag = `pod=crash_default(${pod.metadata!.uid})`;
        await waitFor(
          () =>
            app("crash")?.state?.waiting?.message ===
              `back-off 10s restarting failed container=main ${tag}`,
          "the first CrashLoopBackOff",
        );
        const first = app("crash");
        assert.equal(first?.restartCount, 1);
        assert.equal(first?.state?.waiting?.reason, "CrashLoopBackOff");
        assert.equal(first?.lastState?.terminated?.exitCode, 3);
        assert.equal(first?.lastState?.terminated?.reason, "Error");
        assert.equal(statusOf("crash")?.phase, "Running");
        await waitFor(
          () =>
            app("crash")?.state?.waiting?.message ===
              `back-off 20s restarting failed container=main ${tag}`,
          "the second CrashLoopBackOff (doubled)",
          // 10 s of back-off, a start and a crash: more than 30 s when four test files share
          // the 2 cores (seen once in CI).
          60_000,
        );
        assert.equal(app("crash")?.restartCount, 2);
        assert.ok(
          events.of("crash").includes(
            `BackOff: Back-off restarting failed container main in pod crash_default(${
              pod.metadata!.uid
            })`,
          ),
        );
      },
    );

    await t.step("an init container runs to completion before the main container", async () => {
      run(podOf("init", {
        initContainers: [busybox("setup", "sleep 1; echo ready")],
        containers: [busybox("main", "exec sleep 3600")],
      }));
      await waitFor(
        () => app("init")?.state?.running !== undefined,
        "the main container running",
        30_000,
      );
      const status = statusOf("init");
      const setup = status?.initContainerStatuses?.[0]?.state?.terminated;
      assert.equal(setup?.exitCode, 0);
      const mainStarted = Date.parse(app("init")?.state?.running?.startedAt ?? "");
      assert.ok(
        mainStarted >= Date.parse(setup?.finishedAt ?? ""),
        "main starts after setup finished",
      );
      assert.equal(status?.phase, "Running");
      assert.equal(status?.conditions?.find((c) => c.type === "Initialized")?.status, "True");
      assert.equal(status?.conditions?.find((c) => c.type === "Ready")?.status, "True");
    });

    await t.step("a graceful delete runs preStop, then stops within the grace period", async () => {
      const pod = run(podOf("graceful", {
        terminationGracePeriodSeconds: 10,
        containers: [busybox("main", "trap 'exit 0' TERM; while true; do sleep 0.2; done", {
          lifecycle: { preStop: { exec: { command: ["sh", "-c", "sleep 2"] } } },
        })],
      }));
      await waitFor(
        () => app("graceful")?.state?.running !== undefined,
        "graceful running",
        30_000,
      );
      const id = workers.findContainer("default", "graceful", "main")!.containerId;
      calls.length = 0;
      const deleting = api.put({
        ...api.pods.get("default/graceful")!,
        metadata: {
          ...pod.metadata,
          deletionTimestamp: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
          deletionGracePeriodSeconds: 10,
        },
      });
      const startMs = Date.now();
      workers.update(deleting);
      await waitFor(
        () => api.deletes.some((d) => d.name === "graceful"),
        "the final delete",
        20_000,
      );
      const tookMs = Date.now() - startMs;
      assert.ok(tookMs >= 2000, `the preStop hook ran (took ${tookMs} ms)`);
      assert.ok(tookMs < 10_000, `stopped within the grace period (took ${tookMs} ms)`);
      assert.deepEqual(calls.slice(0, 2), ["ExecSync sh -c sleep 2", `StopContainer ${id} 8`]);
      assert.deepEqual(api.deletes.find((d) => d.name === "graceful"), {
        namespace: "default",
        name: "graceful",
        gracePeriodSeconds: 0,
        uid: pod.metadata!.uid,
      });
      const last = api.writes.filter((w) => w.metadata?.name === "graceful").at(-1);
      assert.equal(last?.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 0);
      assert.ok(events.of("graceful").includes("Killing: Stopping container main"));
      const left = await cri.listContainers({ filter: { id } });
      assert.deepEqual(left.containers, [], "the container is removed");
    });

    await t.step("a failing liveness probe restarts the container", async () => {
      const pod = run(podOf("liveness", {
        containers: [
          busybox("main", "touch /tmp/healthy; sleep 2; rm /tmp/healthy; exec sleep 3600", {
            livenessProbe: {
              exec: { command: ["cat", "/tmp/healthy"] },
              periodSeconds: 1,
              failureThreshold: 1,
            },
          }),
        ],
      }));
      await waitFor(
        () => (app("liveness")?.restartCount ?? 0) >= 1,
        "a restart after the probe failed",
      );
      await waitFor(() => app("liveness")?.state?.running !== undefined, "running again");
      const s = app("liveness");
      assert.equal(s?.lastState?.terminated?.exitCode, 137, "SIGKILL after the 2 s grace period");
      const seen = events.of("liveness");
      assert.ok(
        seen.some((e) =>
          e.startsWith("Unhealthy: Liveness probe failed: cat: can't open '/tmp/healthy'")
        ),
        seen.join("\n"),
      );
      assert.ok(seen.includes("Killing: Container main failed liveness probe, will be restarted"));
      workers.forget(pod.metadata!.uid!);
    });

    await t.step("restarted workers adopt a running container without restarting it", async () => {
      run(podOf("adopt", { containers: [busybox("main", "exec sleep 3600")] }));
      await waitFor(() => app("adopt")?.state?.running !== undefined, "adopt running", 30_000);
      const before = app("adopt");
      await workers.stop();
      calls.length = 0;
      workers = makeWorkers();
      await workers.start();
      const running = workers.runningPods().find((p) => p.pod.metadata?.name === "adopt");
      assert.equal(`containerd://${running?.containers[0]?.id}`, before?.containerID);
      workers.update(api.pods.get("default/adopt")!);
      await workers.idle();
      await statusManager.flush();
      const after = app("adopt");
      assert.equal(after?.containerID, before?.containerID, "same container");
      assert.equal(after?.restartCount, 0);
      assert.ok(after?.state?.running);
      // The new workers may clean up dead sandboxes and containers of the earlier steps' pods;
      // nothing of this pod's is touched.
      const sandboxId = running?.sandboxId ?? "";
      assert.ok(sandboxId !== "");
      assert.deepEqual(
        calls.filter((c) =>
          /^(Create|Start|Stop|Remove|RunPodSandbox)/.test(c) &&
          (!c.startsWith("Remove") || c.includes(sandboxId) ||
            c.includes(running?.containers[0]?.id ?? "-"))
        ),
        [],
        "nothing created, started or stopped",
      );
    });
  } finally {
    for (const uid of uids) workers.forget(uid);
    await workers.idle().catch(() => {});
    await workers.stop();
    probes.stop();
    await statusManager.stop();
    await containerd.stop();
    await removePodCgroups(uids);
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
});
