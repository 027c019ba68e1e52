import assert from "node:assert/strict";
import type { Container, Pod, PodStatus } from "../../control/api/types/core_v1_pod.ts";
import type { ContainerStatus as CriContainerStatus, PodSandboxStatus } from "../cri/types.ts";
import { kubectlColumns } from "./_kubectl_columns.ts";
import {
  type ContainerProbeResults,
  type ContainerStartFailure,
  generatePodStatus,
  podStatusChanged,
  type PodStatusInput,
} from "./pod_status.ts";

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const NOW = T0 + 60_000;
const NOW_TEXT = "2026-01-01T12:01:00Z";

function iso(s: number): string {
  return new Date(T0 + s * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function ns(s: number): string {
  return (BigInt(T0 + s * 1000) * 1_000_000n).toString();
}

function makePod(spec: {
  containers?: Container[];
  initContainers?: Container[];
  restartPolicy?: string;
  hostNetwork?: boolean;
  readinessGates?: { conditionType: string }[];
}): Pod {
  return {
    metadata: { name: "web", namespace: "default", uid: "u1" },
    spec: { containers: [{ name: "app", image: "busybox" }], ...spec } as NonNullable<Pod["spec"]>,
  };
}

function sandbox(
  ip = "10.42.0.7",
  state: PodSandboxStatus["state"] = "SANDBOX_READY",
): PodSandboxStatus {
  return {
    id: "sb1",
    metadata: { name: "web", uid: "u1", namespace: "default", attempt: 0 },
    state,
    createdAt: ns(0),
    network: { ip, additionalIps: [] },
    linux: null,
    labels: {},
    annotations: {},
    runtimeHandler: "",
  };
}

interface CriOptions {
  readonly id?: string;
  readonly restartCount?: number;
  readonly created?: number;
  readonly started?: number;
  readonly finished?: number;
  readonly exitCode?: number;
  readonly reason?: string;
}

function cri(
  name: string,
  state: CriContainerStatus["state"],
  o: CriOptions = {},
): CriContainerStatus {
  const restartCount = o.restartCount ?? 0;
  return {
    id: o.id ?? `${name}-${restartCount}`,
    metadata: { name, attempt: restartCount },
    state,
    createdAt: ns(o.created ?? restartCount * 10),
    startedAt: state === "CONTAINER_CREATED" ? "0" : ns(o.started ?? restartCount * 10 + 1),
    finishedAt: state === "CONTAINER_EXITED" ? ns(o.finished ?? restartCount * 10 + 5) : "0",
    exitCode: o.exitCode ?? 0,
    image: { image: "docker.io/library/busybox:latest", annotations: {} },
    imageRef: "docker.io/library/busybox@sha256:abc",
    reason: o.reason ?? (state === "CONTAINER_EXITED" ? (o.exitCode ? "Error" : "Completed") : ""),
    message: "",
    labels: { "io.kubernetes.container.name": name },
    annotations: { "io.kubernetes.container.restartCount": String(restartCount) },
    mounts: [],
    logPath: "",
  };
}

function generate(
  pod: Pod,
  rest: Partial<Omit<PodStatusInput, "pod">> = {},
): PodStatus {
  return generatePodStatus({
    pod,
    sandbox: sandbox(),
    containers: [],
    nodeIPs: ["192.168.1.10"],
    nowMs: NOW,
    ...rest,
  });
}

function conditionsOf(s: PodStatus): Record<string, string> {
  return Object.fromEntries(
    (s.conditions ?? []).map((c) => [c.type, c.status + (c.reason ? `/${c.reason}` : "")]),
  );
}

function shown(pod: Pod, status: PodStatus): string {
  const c = kubectlColumns({ ...pod, status });
  return `${c.ready} ${c.status}`;
}

Deno.test("generatePodStatus() computes phase, conditions and kubectl columns", async (t) => {
  const never = "Never";
  const cases: {
    name: string;
    pod: Pod;
    sandbox?: PodSandboxStatus | null;
    containers?: CriContainerStatus[];
    terminal?: boolean;
    startFailures?: Map<string, ContainerStartFailure>;
    phase: string;
    kubectl: string;
    conditions?: Record<string, string>;
  }[] = [
    {
      name: "no sandbox yet: Pending, ContainerCreating",
      pod: makePod({}),
      sandbox: null,
      phase: "Pending",
      kubectl: "0/1 ContainerCreating",
      conditions: {
        PodReadyToStartContainers: "False",
        Initialized: "True",
        Ready: "False/ContainersNotReady",
        ContainersReady: "False/ContainersNotReady",
        PodScheduled: "True",
      },
    },
    {
      name: "created, not started: Pending",
      pod: makePod({}),
      containers: [cri("app", "CONTAINER_CREATED")],
      phase: "Pending",
      kubectl: "0/1 Pending",
      conditions: { PodReadyToStartContainers: "True", Ready: "False/ContainersNotReady" },
    },
    {
      name: "running without probes: Running and Ready",
      pod: makePod({}),
      containers: [cri("app", "CONTAINER_RUNNING")],
      phase: "Running",
      kubectl: "1/1 Running",
      conditions: { Initialized: "True", Ready: "True", ContainersReady: "True" },
    },
    {
      name: "Always, exited 0: Running (restarting), shows Completed",
      pod: makePod({}),
      containers: [cri("app", "CONTAINER_EXITED")],
      phase: "Running",
      kubectl: "0/1 Completed",
    },
    {
      name: "OnFailure, exited 0: Succeeded",
      pod: makePod({ restartPolicy: "OnFailure" }),
      containers: [cri("app", "CONTAINER_EXITED")],
      phase: "Succeeded",
      kubectl: "0/1 Completed",
      conditions: {
        Initialized: "True/PodCompleted",
        Ready: "False/PodCompleted",
        ContainersReady: "False/PodCompleted",
      },
    },
    {
      name: "OnFailure, exited 1: Running (restarting), shows Error",
      pod: makePod({ restartPolicy: "OnFailure" }),
      containers: [cri("app", "CONTAINER_EXITED", { exitCode: 1 })],
      phase: "Running",
      kubectl: "0/1 Error",
    },
    {
      name: "Never, exited 1: Failed",
      pod: makePod({ restartPolicy: never }),
      containers: [cri("app", "CONTAINER_EXITED", { exitCode: 1 })],
      phase: "Failed",
      kubectl: "0/1 Error",
      conditions: { Ready: "False/PodFailed", ContainersReady: "False/PodFailed" },
    },
    {
      name: "Never, OOMKilled: Failed",
      pod: makePod({ restartPolicy: never }),
      containers: [cri("app", "CONTAINER_EXITED", { exitCode: 137, reason: "OOMKilled" })],
      phase: "Failed",
      kubectl: "0/1 OOMKilled",
    },
    {
      name: "Never, one done and one failed: Failed",
      pod: makePod({ restartPolicy: never, containers: [{ name: "a" }, { name: "b" }] }),
      containers: [cri("a", "CONTAINER_EXITED"), cri("b", "CONTAINER_EXITED", { exitCode: 2 })],
      phase: "Failed",
      kubectl: "0/2 Completed",
    },
    {
      name: "Always, exited 1 but terminal: Failed",
      pod: makePod({}),
      containers: [cri("app", "CONTAINER_EXITED", { exitCode: 1 })],
      terminal: true,
      phase: "Failed",
      kubectl: "0/1 Error",
    },
    {
      name: "Always, exited 0 and terminal: Succeeded",
      pod: makePod({}),
      containers: [cri("app", "CONTAINER_EXITED")],
      terminal: true,
      phase: "Succeeded",
      kubectl: "0/1 Completed",
    },
    {
      name: "one running, one done: Running, shows NotReady",
      pod: makePod({ restartPolicy: "OnFailure", containers: [{ name: "a" }, { name: "b" }] }),
      containers: [cri("a", "CONTAINER_RUNNING"), cri("b", "CONTAINER_EXITED")],
      phase: "Running",
      kubectl: "1/2 NotReady",
    },
    {
      name: "image pull failure: Pending, ErrImagePull",
      pod: makePod({}),
      startFailures: new Map([["app", { reason: "ErrImagePull", message: "pull failed" }]]),
      phase: "Pending",
      kubectl: "0/1 ErrImagePull",
    },
    {
      name: "config error: Pending, CreateContainerConfigError",
      pod: makePod({}),
      startFailures: new Map([["app", { reason: "CreateContainerConfigError" }]]),
      phase: "Pending",
      kubectl: "0/1 CreateContainerConfigError",
    },
    {
      name: "init container not created: Init:0/1",
      pod: makePod({ initContainers: [{ name: "setup" }] }),
      sandbox: null,
      phase: "Pending",
      kubectl: "0/1 Init:0/1",
      conditions: { Initialized: "False/ContainersNotInitialized" },
    },
    {
      name: "init container running: Init:0/1",
      pod: makePod({ initContainers: [{ name: "setup" }] }),
      containers: [cri("setup", "CONTAINER_RUNNING")],
      phase: "Pending",
      kubectl: "0/1 Init:0/1",
    },
    {
      name: "second init container running: Init:1/2",
      pod: makePod({ initContainers: [{ name: "one" }, { name: "two" }] }),
      containers: [cri("one", "CONTAINER_EXITED"), cri("two", "CONTAINER_RUNNING", { created: 6 })],
      phase: "Pending",
      kubectl: "0/1 Init:1/2",
    },
    {
      name: "init done, app not created: PodInitializing",
      pod: makePod({ initContainers: [{ name: "setup" }] }),
      containers: [cri("setup", "CONTAINER_EXITED")],
      phase: "Pending",
      kubectl: "0/1 PodInitializing",
      conditions: { Initialized: "True", ContainersReady: "False/ContainersNotReady" },
    },
    {
      name: "init failed, Never: Failed, Init:Error",
      pod: makePod({ restartPolicy: never, initContainers: [{ name: "setup" }] }),
      containers: [cri("setup", "CONTAINER_EXITED", { exitCode: 1 })],
      phase: "Failed",
      kubectl: "0/1 Init:Error",
    },
    {
      name: "init crash looping: Init:CrashLoopBackOff",
      pod: makePod({ initContainers: [{ name: "setup" }] }),
      containers: [cri("setup", "CONTAINER_EXITED", { exitCode: 1 })],
      startFailures: new Map([["setup", { reason: "CrashLoopBackOff" }]]),
      phase: "Pending",
      kubectl: "0/1 Init:CrashLoopBackOff",
    },
    {
      name: "sidecar started, app running: Running 2/2",
      pod: makePod({ initContainers: [{ name: "proxy", restartPolicy: "Always" }] }),
      containers: [
        cri("proxy", "CONTAINER_RUNNING"),
        cri("app", "CONTAINER_RUNNING", { created: 3 }),
      ],
      phase: "Running",
      kubectl: "2/2 Running",
      conditions: { Initialized: "True", Ready: "True" },
    },
    {
      name: "sidecar waiting to start: Pending",
      pod: makePod({ initContainers: [{ name: "proxy", restartPolicy: "Always" }] }),
      sandbox: null,
      phase: "Pending",
      kubectl: "0/2 Init:0/1",
      conditions: { Initialized: "False/ContainersNotInitialized" },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const status = generate(c.pod, {
        sandbox: c.sandbox === undefined ? sandbox() : c.sandbox,
        containers: c.containers ?? [],
        terminal: c.terminal ?? false,
        ...(c.startFailures ? { startFailures: c.startFailures } : {}),
      });
      assert.equal(status.phase, c.phase);
      assert.equal(shown(c.pod, status), c.kubectl);
      const got = conditionsOf(status);
      for (const [type, want] of Object.entries(c.conditions ?? {})) {
        assert.equal(got[type], want, type);
      }
    });
  }
});

Deno.test("generatePodStatus() reports container fields as the kubelet does", () => {
  const pod = makePod({});
  const s = generate(pod, { containers: [cri("app", "CONTAINER_RUNNING", { id: "abc" })] });
  assert.deepEqual(s.containerStatuses, [{
    name: "app",
    state: { running: { startedAt: iso(1) } },
    lastState: {},
    ready: true,
    started: true,
    restartCount: 0,
    image: "docker.io/library/busybox:latest",
    imageID: "docker.io/library/busybox@sha256:abc",
    containerID: "containerd://abc",
  }]);
  assert.equal(s.podIP, "10.42.0.7");
  assert.deepEqual(s.podIPs, [{ ip: "10.42.0.7" }]);
  assert.equal(s.hostIP, "192.168.1.10");
  assert.deepEqual(s.hostIPs, [{ ip: "192.168.1.10" }]);
  assert.equal(s.qosClass, "BestEffort");
  assert.equal(s.startTime, NOW_TEXT);
  assert.deepEqual(s.conditions?.map((c) => c.type), [
    "PodReadyToStartContainers",
    "Initialized",
    "Ready",
    "ContainersReady",
    "PodScheduled",
  ]);
  assert.ok(s.conditions?.every((c) => c.lastTransitionTime === NOW_TEXT));
});

Deno.test("generatePodStatus() shows CrashLoopBackOff with the last run as lastState", () => {
  const pod = makePod({});
  const message = "back-off 20s restarting failed container=app pod=web_default(u1)";
  const s = generate(pod, {
    containers: [
      cri("app", "CONTAINER_EXITED", { restartCount: 2, exitCode: 1 }),
      cri("app", "CONTAINER_EXITED", { restartCount: 1, exitCode: 1 }),
    ],
    startFailures: new Map([["app", { reason: "CrashLoopBackOff", message }]]),
  });
  const app = s.containerStatuses?.[0];
  assert.deepEqual(app?.state, { waiting: { reason: "CrashLoopBackOff", message } });
  assert.deepEqual(app?.lastState, {
    terminated: {
      exitCode: 1,
      reason: "Error",
      startedAt: iso(21),
      finishedAt: iso(25),
      containerID: "containerd://app-2",
    },
  });
  assert.equal(app?.restartCount, 2);
  assert.equal(app?.ready, false);
  assert.equal(app?.started, false);
  assert.equal(s.phase, "Running");
  assert.equal(shown(pod, s), "0/1 CrashLoopBackOff");
});

Deno.test("generatePodStatus() takes lastState from the older instance after a restart", () => {
  const s = generate(makePod({}), {
    containers: [
      cri("app", "CONTAINER_EXITED", { restartCount: 0, exitCode: 2 }),
      cri("app", "CONTAINER_RUNNING", { restartCount: 1 }),
    ],
  });
  const app = s.containerStatuses?.[0];
  assert.equal(app?.restartCount, 1);
  assert.deepEqual(app?.state, { running: { startedAt: iso(11) } });
  assert.equal(app?.lastState?.terminated?.exitCode, 2);
  assert.equal(app?.lastState?.terminated?.containerID, "containerd://app-0");
});

Deno.test("generatePodStatus() keeps lastState from the previous status when the older instance is gone", async (t) => {
  const first = generate(makePod({}), {
    containers: [cri("app", "CONTAINER_EXITED", { restartCount: 0, exitCode: 3 })],
  });
  await t.step("a new instance takes the old terminated state", () => {
    const s = generate(makePod({}), {
      containers: [cri("app", "CONTAINER_RUNNING", { restartCount: 1 })],
      previous: first,
    });
    assert.equal(s.containerStatuses?.[0]?.lastState?.terminated?.exitCode, 3);
  });
  await t.step("the same instance keeps its lastState", () => {
    const second = generate(makePod({}), {
      containers: [cri("app", "CONTAINER_RUNNING", { restartCount: 1 })],
      previous: first,
    });
    const s = generate(makePod({}), {
      containers: [cri("app", "CONTAINER_RUNNING", { restartCount: 1 })],
      previous: second,
    });
    assert.equal(s.containerStatuses?.[0]?.lastState?.terminated?.exitCode, 3);
  });
});

Deno.test("generatePodStatus() reports a running container the runtime lost as stopped", () => {
  const running = generate(makePod({}), { containers: [cri("app", "CONTAINER_RUNNING")] });
  const s = generate(makePod({}), { containers: [], previous: running });
  const app = s.containerStatuses?.[0];
  assert.equal(app?.state?.waiting?.reason, "ContainerCreating");
  assert.equal(app?.lastState?.terminated?.reason, "ContainerStatusUnknown");
  assert.equal(app?.lastState?.terminated?.exitCode, 137);
  assert.equal(app?.restartCount, 1);
  assert.equal(s.phase, "Running");
});

Deno.test("generatePodStatus() sets ready and started from probe results", async (t) => {
  const probed = makePod({
    containers: [{
      name: "app",
      readinessProbe: { exec: { command: ["true"] } },
      startupProbe: { exec: { command: ["true"] } },
    }],
  });
  const cases: {
    name: string;
    probes: Map<string, ContainerProbeResults>;
    ready: boolean;
    started: boolean;
  }[] = [
    { name: "no result yet", probes: new Map(), ready: false, started: false },
    {
      name: "started, readiness not run",
      probes: new Map([["app", { containerId: "app-0", started: true }]]),
      ready: false,
      started: true,
    },
    {
      name: "started and ready",
      probes: new Map([["app", { containerId: "app-0", started: true, ready: true }]]),
      ready: true,
      started: true,
    },
    {
      name: "ready but not started",
      probes: new Map([["app", { containerId: "app-0", started: false, ready: true }]]),
      ready: false,
      started: false,
    },
    {
      name: "the status's containerID form is accepted",
      probes: new Map([["app", { containerId: "containerd://app-0", started: true, ready: true }]]),
      ready: true,
      started: true,
    },
    {
      name: "results of an older instance are ignored",
      probes: new Map([["app", { containerId: "old", started: true, ready: true }]]),
      ready: false,
      started: false,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const s = generate(probed, {
        containers: [cri("app", "CONTAINER_RUNNING")],
        probes: c.probes,
      });
      const app = s.containerStatuses?.[0];
      assert.equal(app?.ready, c.ready);
      assert.equal(app?.started, c.started);
      assert.equal(s.phase, "Running");
      const want = c.ready ? "True" : "False/ContainersNotReady";
      assert.equal(conditionsOf(s).Ready, want);
      if (!c.ready) {
        const ready = s.conditions?.find((x) => x.type === "Ready");
        assert.equal(ready?.message, "containers with unready status: [app]");
      }
    });
  }
});

Deno.test("generatePodStatus() lists unready containers as Go prints a slice", () => {
  const pod = makePod({ containers: [{ name: "b" }, { name: "a" }, { name: "c" }] });
  const s = generate(pod, { containers: [cri("c", "CONTAINER_RUNNING")] });
  const cond = s.conditions?.find((x) => x.type === "ContainersReady");
  assert.equal(cond?.message, "containers with unready status: [b a]");
  assert.deepEqual(s.containerStatuses?.map((x) => x.name), ["a", "b", "c"]);
});

Deno.test("generatePodStatus() keeps lastTransitionTime while a condition holds", () => {
  const pod = makePod({});
  const before = generate(pod, { containers: [cri("app", "CONTAINER_RUNNING")], nowMs: T0 });
  const after = generate(pod, {
    containers: [cri("app", "CONTAINER_EXITED", { exitCode: 1 })],
    previous: before,
    nowMs: NOW,
  });
  const times = Object.fromEntries(
    after.conditions?.map((c) => [c.type, c.lastTransitionTime]) ?? [],
  );
  assert.deepEqual(times, {
    PodReadyToStartContainers: iso(0),
    Initialized: iso(0),
    Ready: NOW_TEXT,
    ContainersReady: NOW_TEXT,
    PodScheduled: iso(0),
  });
  assert.equal(after.startTime, iso(0));
});

Deno.test("generatePodStatus() keeps conditions it does not own and checks readiness gates", async (t) => {
  const pod = makePod({ readinessGates: [{ conditionType: "example.com/lb" }] });
  const containers = [cri("app", "CONTAINER_RUNNING")];
  await t.step("a missing gate condition", () => {
    const s = generate(pod, { containers });
    const ready = s.conditions?.find((c) => c.type === "Ready");
    assert.equal(ready?.reason, "ReadinessGatesNotReady");
    assert.equal(
      ready?.message,
      'corresponding condition of pod readiness gate "example.com/lb" does not exist.',
    );
  });
  await t.step("a True gate condition", () => {
    const gate = { type: "example.com/lb", status: "True", lastTransitionTime: iso(0) };
    const s = generate({ ...pod, status: { conditions: [gate] } }, { containers });
    assert.deepEqual(s.conditions?.[0], gate);
    assert.equal(conditionsOf(s).Ready, "True");
  });
});

Deno.test("generatePodStatus() never leaves a terminal phase", () => {
  const pod = makePod({ restartPolicy: "Never" });
  const done = generate(pod, { containers: [cri("app", "CONTAINER_EXITED", { exitCode: 1 })] });
  const later = generate(pod, { sandbox: null, containers: [], previous: done });
  assert.equal(later.phase, "Failed");
  assert.equal(later.podIP, "10.42.0.7");
});

Deno.test("generatePodStatus() orders IPs by the node's primary family", async (t) => {
  const dual = {
    ...sandbox("fd00::7"),
    network: { ip: "fd00::7", additionalIps: [{ ip: "10.42.0.7" }] },
  };
  await t.step("IPv4 node", () => {
    const s = generate(makePod({}), { sandbox: dual, nodeIPs: ["192.168.1.10", "fd00::10"] });
    assert.deepEqual(s.podIPs, [{ ip: "10.42.0.7" }, { ip: "fd00::7" }]);
    assert.deepEqual(s.hostIPs, [{ ip: "192.168.1.10" }, { ip: "fd00::10" }]);
  });
  await t.step("hostNetwork pods take the node's IPs", () => {
    const s = generate(makePod({ hostNetwork: true }), {
      sandbox: sandbox(""),
      nodeIPs: ["192.168.1.10"],
    });
    assert.equal(s.podIP, "192.168.1.10");
    assert.equal(conditionsOf(s).PodReadyToStartContainers, "True");
  });
  await t.step("a sandbox without IP is not ready to start containers", () => {
    const s = generate(makePod({}), { sandbox: sandbox("") });
    assert.equal(s.podIP, undefined);
    assert.equal(conditionsOf(s).PodReadyToStartContainers, "False");
  });
});

Deno.test("generatePodStatus() computes qosClass from resources", () => {
  const limits = { cpu: "100m", memory: "64Mi" };
  const pod = makePod({ containers: [{ name: "app", resources: { limits, requests: limits } }] });
  assert.equal(generate(pod).qosClass, "Guaranteed");
});

Deno.test("podStatusChanged() ignores condition times but sees real changes", async (t) => {
  const pod = makePod({});
  const containers = [cri("app", "CONTAINER_RUNNING")];
  const a = generate(pod, { containers, nowMs: T0 });
  await t.step("same status computed later", () => {
    const b = generate(pod, { containers, previous: a, nowMs: NOW });
    assert.equal(podStatusChanged(a, b), false);
  });
  await t.step("condition times alone", () => {
    const b = structuredClone(a);
    for (const c of b.conditions ?? []) c.lastTransitionTime = NOW_TEXT;
    assert.equal(podStatusChanged(a, b), false);
  });
  await t.step("a container exits", () => {
    const b = generate(pod, {
      containers: [cri("app", "CONTAINER_EXITED", { exitCode: 1 })],
      previous: a,
      nowMs: NOW,
    });
    assert.equal(podStatusChanged(a, b), true);
  });
  await t.step("no previous status", () => {
    assert.equal(podStatusChanged(undefined, a), true);
  });
});

Deno.test("generatePodStatus() reports volumeMounts of a created container", () => {
  const pod = makePod({
    containers: [{
      name: "app",
      volumeMounts: [
        { name: "data", mountPath: "/data" },
        {
          name: "token",
          mountPath: "/var/run/secrets/kubernetes.io/serviceaccount",
          readOnly: true,
        },
      ],
    }],
  });
  const waiting = generate(pod, { sandbox: null });
  assert.equal(waiting.containerStatuses?.[0]?.volumeMounts, undefined);
  const s = generate(pod, { containers: [cri("app", "CONTAINER_RUNNING")] });
  assert.deepEqual(s.containerStatuses?.[0]?.volumeMounts, [
    { name: "data", mountPath: "/data", recursiveReadOnly: "Disabled" },
    {
      name: "token",
      mountPath: "/var/run/secrets/kubernetes.io/serviceaccount",
      readOnly: true,
      recursiveReadOnly: "Disabled",
    },
  ]);
});
