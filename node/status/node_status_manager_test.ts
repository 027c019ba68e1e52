import assert from "node:assert/strict";
import type { Node, NodeCondition } from "../../control/api/types/core_v1_node.ts";
import type { EventRecord, EventRecorder } from "../../control/client/event_recorder.ts";
import { NODES } from "../../control/client/resources.ts";
import type { Transport } from "../../control/client/transport.ts";
import { FakeClock } from "../../control/util/clock.ts";
import { RecordingLogger } from "../../control/util/logger.ts";
import {
  type ControllerApi,
  startControllerApi,
  until,
} from "../../tests/_support/controller_api.ts";
import {
  CONTROLLER_MANAGED_ATTACH_DETACH_ANNOTATION,
  NodeStatusManager,
  type NodeStatusManagerDeps,
  type NodeStatusManagerOptions,
} from "./node_status_manager.ts";
import { FixtureHost, meminfo } from "./_test_host.ts";

const T0 = Date.parse("2025-05-01T10:00:00Z");
const NODE_PATH = "/api/v1/nodes/edge-1";

interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
}

interface Harness extends AsyncDisposable {
  readonly api: ControllerApi;
  readonly clock: FakeClock;
  readonly host: FixtureHost;
  readonly logger: RecordingLogger;
  readonly events: EventRecord[];
  readonly requests: RecordedRequest[];
  /** What `readiness` answers. */
  notReady: string[];
  /** While true, every request answers 503. */
  failing: boolean;
  manager: NodeStatusManager | undefined;
  start(options?: Partial<NodeStatusManagerOptions>, deps?: Partial<NodeStatusManagerDeps>): void;
  /** Waits until no request is in flight and the manager waits on its one timer. */
  idle(): Promise<void>;
  /** Advances the clock in 10 s steps, letting the manager finish after each. */
  step(ms: number): Promise<void>;
  node(): Promise<Node>;
  patches(): RecordedRequest[];
  stop(): Promise<void>;
}

async function harness(): Promise<Harness> {
  let inFlight = 0;
  const requests: RecordedRequest[] = [];
  const state = { failing: false };
  const api = await startControllerApi({
    wrap: (inner: Transport): Transport => ({
      async request(method, path, opts) {
        requests.push({ method, path: path.split("?")[0]!, body: opts?.body });
        inFlight++;
        try {
          if (state.failing) {
            return Response.json(
              {
                kind: "Status",
                apiVersion: "v1",
                status: "Failure",
                code: 503,
                reason: "ServiceUnavailable",
                message: "down",
              },
              { status: 503 },
            );
          }
          return await inner.request(method, path, opts);
        } finally {
          inFlight--;
        }
      },
    }),
  });
  const clock = new FakeClock(T0);
  const host = new FixtureHost();
  const logger = new RecordingLogger();
  const events: EventRecord[] = [];
  const recorder: EventRecorder = { event: (_object, record) => events.push(record) };
  const abort = new AbortController();
  let running: Promise<void> | undefined;
  const h: Harness = {
    api,
    clock,
    host,
    logger,
    events,
    requests,
    notReady: [],
    get failing() {
      return state.failing;
    },
    set failing(v: boolean) {
      state.failing = v;
    },
    manager: undefined,
    start(options = {}, deps = {}) {
      h.manager = new NodeStatusManager({
        client: api.client,
        clock,
        logger,
        host,
        readiness: () => h.notReady,
        containerRuntimeVersion: () => "containerd://1.6.20",
        recorder,
        random: () => 0,
        ...deps,
      }, { nodeName: "edge-1", rootDir: "/var/lib/skiff", kubeletVersion: "v1.33.0", ...options });
      running = h.manager.run(abort.signal);
    },
    idle: () =>
      until(() => inFlight === 0 && clock.pendingTimers === 1, { what: "the manager idle" }),
    async step(ms) {
      for (let left = ms; left > 0; left -= 10_000) {
        clock.advance(Math.min(10_000, left));
        await h.idle();
      }
    },
    node: () => api.client.resource(NODES).get("edge-1"),
    patches: () => requests.filter((r) => r.method === "PATCH"),
    async stop() {
      abort.abort();
      await running;
    },
    async [Symbol.asyncDispose]() {
      await h.stop();
      await api[Symbol.asyncDispose]();
    },
  };
  return h;
}

function conditions(node: Node): Record<string, NodeCondition> {
  return Object.fromEntries((node.status?.conditions ?? []).map((c) => [c.type, c]));
}

Deno.test("NodeStatusManager registers the Node with its labels, taints and full status", async () => {
  await using h = await harness();
  h.start({
    nodeLabels: { "example.com/pool": "a", "kubernetes.io/hostname": "edge-1" },
    registerWithTaints: [{ key: "dedicated", value: "edge", effect: "NoSchedule" }],
    controlPlane: true,
    instanceType: "skiff",
    kubeReserved: { cpu: "100m", memory: "100Mi" },
    nodeIPs: ["192.168.1.20"],
  });
  await h.idle();
  const asked = h.requests.map((r) => `${r.method} ${r.path}`);
  assert.equal(h.manager!.registered, true);
  const node = await h.node();
  assert.deepEqual(node.metadata?.labels, {
    "kubernetes.io/hostname": "edge-1",
    "kubernetes.io/os": "linux",
    "kubernetes.io/arch": "arm64",
    "beta.kubernetes.io/os": "linux",
    "beta.kubernetes.io/arch": "arm64",
    "node.kubernetes.io/instance-type": "skiff",
    "beta.kubernetes.io/instance-type": "skiff",
    "node-role.kubernetes.io/control-plane": "true",
    "example.com/pool": "a",
  });
  assert.deepEqual(node.metadata?.annotations, {
    [CONTROLLER_MANAGED_ATTACH_DETACH_ANNOTATION]: "true",
  });
  assert.deepEqual(node.spec?.taints, [{ key: "dedicated", value: "edge", effect: "NoSchedule" }]);
  assert.equal(node.spec?.unschedulable, undefined);
  assert.deepEqual(node.status?.capacity, {
    cpu: "4",
    "ephemeral-storage": "32Gi",
    memory: "4Gi",
    pods: "110",
    "hugepages-2Mi": "0",
    "hugepages-1Gi": "0",
  });
  assert.deepEqual(node.status?.allocatable, {
    cpu: "3900m",
    // 32Gi less 10 % (nodefs.available), as upstream truncates it.
    "ephemeral-storage": "30923764532",
    memory: "3896Mi",
    pods: "110",
    "hugepages-2Mi": "0",
    "hugepages-1Gi": "0",
  });
  assert.deepEqual(node.status?.nodeInfo, {
    machineID: "0123456789abcdef0123456789abcdef",
    systemUUID: "0123456789abcdef0123456789abcdef",
    bootID: "11111111-2222-3333-4444-555555555555",
    kernelVersion: "6.1.0-rpi7-rpi-v8",
    osImage: "Debian GNU/Linux 12 (bookworm)",
    containerRuntimeVersion: "containerd://1.6.20",
    kubeletVersion: "v1.33.0",
    kubeProxyVersion: "v1.33.0",
    operatingSystem: "linux",
    architecture: "arm64",
    swap: { capacity: 1024 ** 3 },
  });
  assert.deepEqual(node.status?.addresses, [
    { type: "InternalIP", address: "192.168.1.20" },
    { type: "Hostname", address: "edge-1" },
  ]);
  assert.deepEqual(node.status?.daemonEndpoints, { kubeletEndpoint: { Port: 10250 } });
  const c = conditions(node);
  assert.deepEqual(
    Object.values(c).map((x) => [x.type, x.status, x.reason]),
    [
      ["MemoryPressure", "False", "KubeletHasSufficientMemory"],
      ["DiskPressure", "False", "KubeletHasNoDiskPressure"],
      ["PIDPressure", "False", "KubeletHasSufficientPID"],
      ["Ready", "True", "KubeletReady"],
    ],
  );
  assert.equal(c.Ready?.lastHeartbeatTime, "2025-05-01T10:00:00Z");
  assert.deepEqual(h.events.map((e) => [e.type, e.reason, e.message]), [
    ["Normal", "NodeHasSufficientMemory", "Node edge-1 status is now: NodeHasSufficientMemory"],
    ["Normal", "NodeHasNoDiskPressure", "Node edge-1 status is now: NodeHasNoDiskPressure"],
    ["Normal", "NodeHasSufficientPID", "Node edge-1 status is now: NodeHasSufficientPID"],
  ]);
  // The create carried the status: the first update finds nothing to write.
  assert.deepEqual(asked, [
    "POST /api/v1/nodes",
    `GET ${NODE_PATH}`,
  ]);
});

Deno.test("NodeStatusManager writes the status only when it changed or once a minute", async (t) => {
  await using h = await harness();
  h.start();
  await h.idle();

  await t.step(
    "unchanged: read every 10 s, written after 60 s with new heartbeats only",
    async () => {
      await h.step(50_000);
      assert.equal(h.patches().length, 0);
      assert.equal(h.requests.filter((r) => r.method === "GET").length, 6);
      await h.step(10_000);
      assert.equal(h.patches().length, 1);
      const body = h.patches()[0]!.body as { status: { conditions: NodeCondition[] } };
      assert.deepEqual(Object.keys(body), ["status"]);
      assert.deepEqual(Object.keys(body.status), ["$setElementOrder/conditions", "conditions"]);
      for (const c of body.status.conditions) {
        assert.deepEqual(c, { type: c.type, lastHeartbeatTime: "2025-05-01T10:01:00Z" });
      }
      assert.equal(conditions(await h.node()).Ready?.lastHeartbeatTime, "2025-05-01T10:01:00Z");
      assert.equal(conditions(await h.node()).Ready?.lastTransitionTime, "2025-05-01T10:00:00Z");
    },
  );

  await t.step("not ready: written at the next update, with an event", async () => {
    h.notReady = ["container runtime network not ready: NetworkReady=false"];
    await h.step(10_000);
    assert.equal(h.patches().length, 2);
    const ready = conditions(await h.node()).Ready!;
    assert.deepEqual([ready.status, ready.reason, ready.message, ready.lastTransitionTime], [
      "False",
      "KubeletNotReady",
      "container runtime network not ready: NetworkReady=false",
      "2025-05-01T10:01:10Z",
    ]);
    assert.deepEqual(h.events.at(-1), {
      type: "Normal",
      reason: "NodeNotReady",
      message: "Node edge-1 status is now: NodeNotReady",
    });
  });

  await t.step("ready again at once on requestUpdate()", async () => {
    h.notReady = [];
    h.manager!.requestUpdate();
    await h.idle();
    assert.equal(h.clock.now(), T0 + 70_000);
    assert.equal(conditions(await h.node()).Ready?.status, "True");
    assert.equal(h.events.at(-1)?.reason, "NodeReady");
  });

  await t.step("memory pressure from the machine, then the 5 min transition period", async () => {
    h.host.files.set("/proc/meminfo", meminfo(4 * 1024 * 1024, 50 * 1024));
    await h.step(10_000);
    assert.equal(conditions(await h.node()).MemoryPressure?.status, "True");
    assert.equal(h.events.at(-1)?.reason, "NodeHasInsufficientMemory");
    h.host.files.set("/proc/meminfo", meminfo(4 * 1024 * 1024, 1024 * 1024));
    await h.step(290_000);
    assert.equal(conditions(await h.node()).MemoryPressure?.status, "True");
    await h.step(10_000);
    assert.equal(conditions(await h.node()).MemoryPressure?.status, "False");
    assert.equal(h.events.at(-1)?.reason, "NodeHasSufficientMemory");
  });

  await t.step("a new address is written at once", async () => {
    const before = h.patches().length;
    h.host.interfaces = [{ name: "eth0", family: "IPv4", address: "192.168.1.77" }];
    await h.step(10_000);
    assert.equal(h.patches().length, before + 1);
    assert.deepEqual((await h.node()).status?.addresses?.[0], {
      type: "InternalIP",
      address: "192.168.1.77",
    });
  });

  await t.step("a clean stop leaves no timer", async () => {
    await h.stop();
    assert.equal(h.clock.pendingTimers, 0);
  });
});

Deno.test("NodeStatusManager reconciles a Node that exists already", async () => {
  await using h = await harness();
  const nodes = h.api.client.resource(NODES);
  await nodes.create({
    apiVersion: "v1",
    kind: "Node",
    metadata: { name: "edge-1", labels: { "kubernetes.io/hostname": "old", custom: "kept" } },
    spec: { taints: [{ key: "admin", effect: "NoSchedule" }] },
    status: {
      capacity: { cpu: "1", "example.com/dongle": "2", "hugepages-64Ki": "1Mi" },
      conditions: [{
        type: "Ready",
        status: "Unknown",
        reason: "NodeStatusUnknown",
        message: "Kubelet stopped posting node status.",
        lastHeartbeatTime: "2025-05-01T09:00:00Z",
        lastTransitionTime: "2025-05-01T09:00:40Z",
      }],
      nodeInfo: {
        machineID: "m",
        systemUUID: "u",
        bootID: "00000000-old-boot",
        kernelVersion: "6.1.0",
        osImage: "Linux",
        containerRuntimeVersion: "containerd://1.6.0",
        kubeletVersion: "v1.32.0",
        kubeProxyVersion: "v1.32.0",
        operatingSystem: "linux",
        architecture: "arm64",
      },
    },
  });
  h.requests.length = 0;
  h.start({ registerWithTaints: [{ key: "ignored", effect: "NoExecute" }] });
  await h.idle();
  const asked = h.requests.map((r) => `${r.method} ${r.path}`);
  const node = await h.node();
  assert.deepEqual(node.metadata?.labels, {
    "kubernetes.io/hostname": "edge-1",
    custom: "kept",
    "kubernetes.io/os": "linux",
    "kubernetes.io/arch": "arm64",
    "beta.kubernetes.io/os": "linux",
    "beta.kubernetes.io/arch": "arm64",
  });
  assert.equal(node.metadata?.annotations?.[CONTROLLER_MANAGED_ATTACH_DETACH_ANNOTATION], "true");
  assert.deepEqual(node.spec?.taints, [{ key: "admin", effect: "NoSchedule" }]);
  // The first update writes the whole status: other writers' resources stay, gone huge pages go.
  assert.equal(node.status?.capacity?.["example.com/dongle"], "2");
  assert.equal(node.status?.capacity?.["hugepages-64Ki"], undefined);
  assert.equal(node.status?.capacity?.cpu, "4");
  const ready = conditions(node).Ready!;
  assert.deepEqual([ready.status, ready.lastTransitionTime], ["True", "2025-05-01T10:00:00Z"]);
  assert.deepEqual(
    asked,
    [
      "POST /api/v1/nodes",
      `GET ${NODE_PATH}`,
      `PATCH ${NODE_PATH}/status`,
      `GET ${NODE_PATH}`,
      `PATCH ${NODE_PATH}/status`,
    ],
  );
  assert.ok(h.logger.records.some((r) => r.msg === "Node was previously registered"));
  const rebooted = h.events.find((e) => e.reason === "NodeRebooted");
  assert.deepEqual(rebooted, {
    type: "Warning",
    reason: "NodeRebooted",
    message: "Node edge-1 has been rebooted, boot id: 11111111-2222-3333-4444-555555555555",
  });
  assert.ok(h.events.some((e) => e.reason === "NodeReady"));
});

Deno.test("NodeStatusManager retries registration from 100 ms doubling to 7 s", async () => {
  await using h = await harness();
  h.failing = true;
  h.start();
  const delays: number[] = [];
  for (let i = 0; i < 9; i++) {
    await h.idle();
    const before = h.clock.now();
    h.clock.runNext();
    delays.push(h.clock.now() - before);
  }
  assert.deepEqual(delays, [100, 200, 400, 800, 1600, 3200, 6400, 7000, 7000]);
  assert.equal(h.manager!.registered, false);
  let registration = "pending";
  h.manager!.registration.then(() => registration = "resolved");
  assert.ok(h.logger.records.some((r) => r.msg === "Unable to register node with API server"));
  h.failing = false;
  await h.idle();
  h.clock.runNext();
  await h.idle();
  assert.equal(h.manager!.registered, true);
  assert.equal(registration, "resolved");
  assert.equal((await h.node()).metadata?.name, "edge-1");
});

Deno.test("NodeStatusManager tries a failed update 5 times, then waits for the next", async () => {
  await using h = await harness();
  h.start();
  await h.idle();
  h.failing = true;
  h.requests.length = 0;
  await h.step(60_000 - 0);
  const gets = h.requests.filter((r) => r.method === "GET");
  assert.equal(gets.length, 30);
  assert.ok(
    h.logger.records.some((r) =>
      r.msg === "Unable to update node status: update node status exceeds retry count"
    ),
  );
  h.failing = false;
  h.requests.length = 0;
  await h.step(10_000);
  assert.equal(h.patches().length, 1);
});

Deno.test("NodeStatusManager reports the biggest images, at most 5 names each", async () => {
  await using h = await harness();
  h.start({ maxImages: 2 }, {
    images: () => [
      { names: ["small:1"], sizeBytes: 10 },
      { names: ["a", "b", "c", "d", "e", "f"], sizeBytes: 300 },
      { names: ["mid:1"], sizeBytes: 200 },
    ],
  });
  await h.idle();
  assert.deepEqual((await h.node()).status?.images, [
    { names: ["a", "b", "c", "d", "e"], sizeBytes: 300 },
    { names: ["mid:1"], sizeBytes: 200 },
  ]);
});

Deno.test("NodeStatusManager registers an unschedulable node tainted unschedulable", async () => {
  await using h = await harness();
  h.start({ registerSchedulable: false, controllerAttachDetach: false });
  await h.idle();
  const node = await h.node();
  assert.equal(node.spec?.unschedulable, true);
  assert.deepEqual(node.spec?.taints, [{
    key: "node.kubernetes.io/unschedulable",
    effect: "NoSchedule",
  }]);
  assert.equal(node.metadata?.annotations, undefined);
});

Deno.test("NodeStatusManager refuses bad options", () => {
  const deps = {
    client: { resource: () => ({}) } as never,
    clock: new FakeClock(),
    logger: new RecordingLogger(),
    host: new FixtureHost(),
    readiness: () => [],
    containerRuntimeVersion: () => "",
  };
  const base = { nodeName: "edge-1", rootDir: "/", kubeletVersion: "v1.33.0" };
  assert.throws(() => new NodeStatusManager(deps, { ...base, nodeName: "" }), {
    name: "TypeError",
  });
  assert.throws(() => new NodeStatusManager(deps, { ...base, updateFrequencyMs: 0 }), {
    name: "RangeError",
    message: "Cannot use node status update frequency of 0 ms: expected a number > 0",
  });
  assert.throws(() => new NodeStatusManager(deps, { ...base, evictionHard: "memory<1" }), {
    name: "SyntaxError",
  });
});
