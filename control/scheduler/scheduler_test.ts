import assert from "node:assert/strict";
import type { Node } from "../api/types/core_v1_node.ts";
import type { Pod } from "../api/types/core_v1_pod.ts";
import type { Event } from "../api/types/events_v1.ts";
import { Client } from "../client/client.ts";
import { FakeClock } from "../util/clock.ts";
import { RecordingLogger } from "../util/logger.ts";
import { FakeApi, turns, until } from "./_fake_api.ts";
import { testNode, testPod, type TestPodOptions } from "./_testing.ts";
import type { FilterPlugin } from "./framework.ts";
import { defaultProfile, newInTreeRegistry } from "./registry.ts";
import { NON_TERMINAL_PODS, Scheduler, type SchedulerDeps } from "./scheduler.ts";
import { errorStatus } from "./status.ts";

interface Harness extends AsyncDisposable {
  readonly api: FakeApi;
  readonly clock: FakeClock;
  readonly logger: RecordingLogger;
  readonly scheduler: Scheduler;
  readonly done: Promise<void>;
  pod(name: string): Pod | undefined;
  events(reason?: string): Event[];
}

/** kube-scheduler's message for a pod bigger than every node (preemption cannot help). */
const FIT_MESSAGE = "0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are " +
  "available: 2 Preemption is not helpful for scheduling.";

function pod(name: string, options: TestPodOptions = {}): Pod {
  const p = testPod({ name, ...options });
  return {
    ...p,
    spec: { ...p.spec!, schedulerName: "default-scheduler" },
    status: { phase: "Pending" },
  };
}

function node(name: string, cpu = "4"): Node {
  return testNode({ name, allocatable: { cpu, memory: "8Gi", pods: "110" } });
}

async function start(
  objects: { pods?: Pod[]; nodes?: Node[] } = {},
  deps: Partial<SchedulerDeps> = {},
): Promise<Harness> {
  const api = new FakeApi();
  for (const n of objects.nodes ?? []) api.put("nodes", n);
  for (const p of objects.pods ?? []) api.put("pods", p);
  const clock = new FakeClock(Date.parse("2026-05-01T10:00:00Z"));
  const logger = new RecordingLogger();
  const scheduler = new Scheduler({
    client: new Client(api),
    clock,
    logger,
    random: () => 0,
    hostname: "edge-1",
    ...deps,
  });
  const stop = new AbortController();
  const done = scheduler.run(stop.signal);
  await until(() => logger.messages().includes("Scheduler caches synced"), "the caches to sync");
  return {
    api,
    clock,
    logger,
    scheduler,
    done,
    pod: (name) => api.get("pods", `default/${name}`) as Pod | undefined,
    events: (reason) =>
      (api.list("events") as Event[]).filter((e) => reason === undefined || e.reason === reason),
    async [Symbol.asyncDispose]() {
      stop.abort();
      await done;
    },
  };
}

Deno.test("Scheduler binds a pending pod to the node that fits and records Scheduled", async () => {
  await using h = await start({
    nodes: [node("small", "1"), node("big", "8")],
    pods: [pod("web", { requests: { cpu: "2" } })],
  });
  await until(() => h.pod("web")?.spec?.nodeName === "big", "the binding");
  await until(() => h.events("Scheduled").length === 1, "the Scheduled event");
  const [binding] = h.api.sent("POST", "/pods/web/binding");
  assert.deepEqual(binding!.body, {
    apiVersion: "v1",
    kind: "Binding",
    metadata: { name: "web", namespace: "default", uid: "uid-web" },
    target: { apiVersion: "v1", kind: "Node", name: "big" },
  });
  const event = h.events("Scheduled")[0]!;
  assert.match(event.metadata?.name ?? "", /^web\.[0-9a-f]+$/);
  assert.equal(event.metadata?.namespace, "default");
  assert.equal(event.eventTime, "2026-05-01T10:00:00.000000Z");
  assert.equal(event.reportingController, "default-scheduler");
  assert.equal(event.reportingInstance, "default-scheduler-edge-1");
  assert.equal(event.action, "Binding");
  assert.equal(event.type, "Normal");
  assert.equal(event.note, "Successfully assigned default/web to big");
  const { resourceVersion, ...regarding } = event.regarding ?? {};
  assert.deepEqual(regarding, {
    kind: "Pod",
    namespace: "default",
    name: "web",
    uid: "uid-web",
    apiVersion: "v1",
  });
  assert.match(resourceVersion ?? "", /^[0-9]+$/);
  assert.equal(h.api.sent("PATCH", "/pods/web/status").length, 0, "no status write on success");
});

Deno.test("Scheduler lists only non-terminal pods and leaves other schedulers' pods alone", async () => {
  const other = {
    ...pod("other"),
    spec: { ...pod("other").spec!, schedulerName: "gpu-scheduler" },
  };
  await using h = await start({
    nodes: [node("a")],
    pods: [other, { ...pod("done"), status: { phase: "Succeeded" } }, pod("mine")],
  });
  await until(() => h.pod("mine")?.spec?.nodeName === "a", "mine to be bound");
  await turns();
  assert.equal(h.pod("other")?.spec?.nodeName, undefined);
  assert.equal(h.pod("done")?.spec?.nodeName, undefined);
  const lists = h.api.requests.filter((r) =>
    r.method === "GET" && r.path === "/api/v1/pods" && !r.query.get("watch")
  );
  assert.equal(lists[0]?.query.get("fieldSelector"), NON_TERMINAL_PODS);
  assert.deepEqual(h.api.sent("POST", "/binding").map((r) => r.path), [
    "/api/v1/namespaces/default/pods/mine/binding",
  ]);
});

Deno.test("Scheduler counts bound pods on their nodes", async () => {
  await using h = await start({
    nodes: [node("a", "2"), node("b", "2")],
    pods: [pod("running", { requests: { cpu: "2" }, nodeName: "a" })],
  });
  h.api.put("pods", pod("new", { requests: { cpu: "1" } }));
  await until(() => h.pod("new")?.spec?.nodeName !== undefined, "the binding");
  assert.equal(h.pod("new")?.spec?.nodeName, "b");
});

Deno.test("Scheduler reports an unschedulable pod once and schedules it when a node is added", async () => {
  await using h = await start({
    nodes: [node("a", "1"), node("b", "1")],
    pods: [pod("big", { requests: { cpu: "2" } })],
  });
  await until(() => h.events("FailedScheduling").length === 1, "FailedScheduling");
  const failed = h.events("FailedScheduling")[0]!;
  assert.equal(failed.note, FIT_MESSAGE);
  assert.equal(failed.type, "Warning");
  assert.equal(failed.action, "Scheduling");
  await until(() => h.api.sent("PATCH", "/pods/big/status").length === 1, "the status patch");
  assert.deepEqual(h.api.sent("PATCH", "/pods/big/status")[0]!.body, {
    status: {
      conditions: [{
        type: "PodScheduled",
        status: "False",
        lastTransitionTime: "2026-05-01T10:00:00Z",
        reason: "Unschedulable",
        message: FIT_MESSAGE,
      }],
    },
  });
  const condition = h.pod("big")?.status?.conditions?.find((c) => c.type === "PodScheduled");
  assert.equal(condition?.reason, "Unschedulable");
  // An event no rejecting plugin cares about leaves the pod where it is.
  h.api.put("nodes", { ...node("a", "1"), metadata: { name: "a", annotations: { x: "y" } } });
  h.clock.advance(60_000);
  await turns(20);
  assert.equal(h.api.sent("POST", "/binding").length, 0);
  // A node with room: the pod is retried after its backoff and bound.
  h.api.put("nodes", node("c", "4"));
  h.clock.advance(2_000);
  await until(() => h.pod("big")?.spec?.nodeName === "c", "the binding to c");
  assert.equal(h.api.sent("PATCH", "/pods/big/status").length, 1, "one status write in all");
});

Deno.test("Scheduler writes the PodScheduled condition only when it changes", async () => {
  await using h = await start({
    nodes: [node("a", "1")],
    pods: [pod("big", { requests: { cpu: "2" } })],
  });
  await until(() => h.api.sent("PATCH", "/pods/big/status").length === 1, "the status patch");
  // Allocatable changes (still too small) retry the pod: same message, no new write.
  for (let i = 0; i < 3; i++) {
    h.api.put("nodes", node("a", `${1 + i / 10}`));
    h.clock.advance(20_000);
    await turns(20);
  }
  assert.ok(h.logger.records.filter((r) => r.msg === "Attempting to schedule pod").length >= 3);
  assert.equal(h.api.sent("PATCH", "/pods/big/status").length, 1);
  // The same note for the same pod version aggregates into one event series.
  assert.ok(h.events("FailedScheduling").length <= 2);
});

Deno.test("Scheduler with no nodes says so and retries after backoff", async () => {
  await using h = await start({ pods: [pod("web")] });
  await until(() => h.events("FailedScheduling").length === 1, "FailedScheduling");
  assert.equal(h.events("FailedScheduling")[0]!.note, "no nodes available to schedule pods");
  h.api.put("nodes", node("a"));
  h.clock.advance(2_000);
  await until(() => h.pod("web")?.spec?.nodeName === "a", "the binding");
});

Deno.test("Scheduler requeues a pod whose binding failed, with SchedulerError, and binds it later", async () => {
  let failures = 1;
  const h = await start({ nodes: [node("a", "1")] });
  await using _ = h;
  h.api.intercept = (req) => {
    if (req.method !== "POST" || !req.path.endsWith("/binding") || failures === 0) return undefined;
    failures--;
    return Response.json({
      kind: "Status",
      apiVersion: "v1",
      status: "Failure",
      reason: "InternalError",
      message: "Internal error occurred: etcd is sad",
      code: 500,
    }, { status: 500 });
  };
  h.api.put("pods", pod("web", { requests: { cpu: "1" } }));
  await until(() => h.events("FailedScheduling").length === 1, "FailedScheduling");
  assert.equal(
    h.events("FailedScheduling")[0]!.note,
    'running Bind plugin "DefaultBinder": Internal error occurred: etcd is sad',
  );
  await until(() => h.api.sent("PATCH", "/pods/web/status").length === 1, "the status patch");
  const patch = h.api.sent("PATCH", "/pods/web/status")[0]!.body as {
    status: { conditions: { reason: string }[] };
  };
  assert.equal(patch.status.conditions[0]!.reason, "SchedulerError");
  // The assumed pod was forgotten: the node's one CPU is free for the retry.
  h.clock.advance(2_000);
  await until(() => h.pod("web")?.spec?.nodeName === "a", "the second binding");
});

Deno.test("Scheduler survives a plugin error: the pod gets an event, other pods are scheduled", async () => {
  const registry = newInTreeRegistry();
  registry.set("Picky", (): FilterPlugin => ({
    name: "Picky",
    filter: (_s, p) => {
      if (p.metadata?.name === "bad") throw new Error("boom");
      return p.metadata?.name === "odd" ? errorStatus("odd pod") : null;
    },
  }));
  const profile = defaultProfile({ registry, plugins: { enabled: [{ name: "Picky" }] } });
  await using h = await start(
    { nodes: [node("a")], pods: [pod("bad"), pod("odd"), pod("good")] },
    { registry, profiles: [profile] },
  );
  await until(() => h.pod("good")?.spec?.nodeName === "a", "good to be bound");
  await until(() => h.events("FailedScheduling").length === 2, "two FailedScheduling events");
  assert.deepEqual(
    h.events("FailedScheduling").map((e) => e.note).sort(),
    [
      'running "Picky" filter plugin: odd pod',
      "boom",
    ].sort(),
  );
  assert.ok(h.logger.messages("error").includes("Error scheduling pod; retrying"));
});

Deno.test("Scheduler skips a pod being deleted and forgets a deleted pending pod", async () => {
  await using h = await start({
    nodes: [node("a", "1")],
    pods: [pod("big", { requests: { cpu: "2" } })],
  });
  await until(() => h.events("FailedScheduling").length === 1, "FailedScheduling");
  h.api.remove("pods", "default/big");
  h.api.put("nodes", node("b", "4"));
  h.clock.advance(20_000);
  await turns(20);
  assert.equal(h.api.sent("POST", "/binding").length, 0);
  const deleting = {
    ...pod("leaving"),
    metadata: { ...pod("leaving").metadata!, deletionTimestamp: "2026-05-01T10:00:00Z" },
  };
  h.api.put("pods", deleting);
  await until(
    () =>
      h.events("FailedScheduling").some((e) =>
        e.note === "skip schedule deleting pod: default/leaving"
      ),
    "the skip event",
  );
  assert.equal(h.api.sent("POST", "/pods/leaving/binding").length, 0);
});

Deno.test("Scheduler honours scheduling gates until they are removed", async () => {
  const gated = {
    ...pod("gated"),
    spec: { ...pod("gated").spec!, schedulingGates: [{ name: "example.com/wait" }] },
  };
  await using h = await start({ nodes: [node("a")], pods: [gated] });
  await turns(20);
  assert.equal(h.api.sent("POST", "/binding").length, 0);
  assert.equal(h.events().length, 0, "a gated pod is not an unschedulable one");
  const current = h.pod("gated")!;
  h.api.put("pods", { ...current, spec: { ...current.spec!, schedulingGates: [] } });
  await until(() => h.pod("gated")?.spec?.nodeName === "a", "the binding");
});

Deno.test("Scheduler.run() logs start and stop once and can run only once", async () => {
  const h = await start({ nodes: [node("a")] });
  await h[Symbol.asyncDispose]();
  assert.deepEqual(
    h.logger.messages().filter((m) =>
      m === "Starting scheduler" || m === "Shutting down scheduler"
    ),
    ["Starting scheduler", "Shutting down scheduler"],
  );
  await assert.rejects(() => h.scheduler.run(new AbortController().signal), /twice/);
  assert.equal(h.clock.pendingTimers, 0, "no timer is left behind");
});

Deno.test("new Scheduler() refuses profiles it cannot serve", async (t) => {
  const client = new Client(new FakeApi());
  const deps = { client, clock: new FakeClock(), logger: new RecordingLogger() };
  const cases: { name: string; profiles: SchedulerDeps["profiles"]; want: RegExp }[] = [
    { name: "no profiles", profiles: [], want: /without profiles/ },
    {
      name: "a name twice",
      profiles: [defaultProfile(), defaultProfile()],
      want: /"default-scheduler" is used twice/,
    },
    {
      name: "different queue sorts",
      profiles: [
        defaultProfile(),
        defaultProfile({ schedulerName: "b", plugins: { disabled: [{ name: "PrioritySort" }] } }),
      ],
      want: /same queue sort plugin/,
    },
    {
      name: "an unknown plugin",
      profiles: [defaultProfile({ plugins: { enabled: [{ name: "Nope" }] } })],
      want: /plugin "Nope" does not exist/,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.throws(() => new Scheduler({ ...deps, profiles: c.profiles! }), c.want);
    });
  }
});

Deno.test("Scheduler serves several profiles, each pod by its own", async () => {
  const registry = newInTreeRegistry();
  const profiles = [
    defaultProfile({ registry }),
    defaultProfile({ registry, schedulerName: "edge-scheduler" }),
  ];
  const edge = { ...pod("edge"), spec: { ...pod("edge").spec!, schedulerName: "edge-scheduler" } };
  await using h = await start({ nodes: [node("a")], pods: [pod("web"), edge] }, {
    profiles,
    registry,
  });
  await until(() => h.events("Scheduled").length === 2, "two Scheduled events");
  const byPod = Object.fromEntries(
    h.events("Scheduled").map((e) => [e.regarding?.name, e.reportingController]),
  );
  assert.deepEqual(byPod, { web: "default-scheduler", edge: "edge-scheduler" });
  assert.deepEqual(h.scheduler.schedulerNames, ["default-scheduler", "edge-scheduler"]);
});

Deno.test("Scheduler carries out preemption: victim evicted, preemptor nominated, then bound", async () => {
  await using h = await start({
    nodes: [node("a", "2")],
    pods: [pod("low", { requests: { cpu: "2" }, nodeName: "a", priority: 0 })],
  });
  h.api.put("pods", pod("high", { requests: { cpu: "2" }, priority: 1000 }));
  await until(() => h.pod("low") === undefined, "the victim's deletion");
  const [disruption] = h.api.sent("PATCH", "/pods/low/status");
  assert.deepEqual(disruption!.body, {
    status: {
      conditions: [{
        type: "DisruptionTarget",
        status: "True",
        lastTransitionTime: "2026-05-01T10:00:00Z",
        reason: "PreemptionByScheduler",
        message: "default-scheduler: preempting to accommodate a higher priority pod",
      }],
    },
  });
  await until(() => h.events("Preempted").length === 1, "the Preempted event");
  const preempted = h.events("Preempted")[0]!;
  assert.equal(preempted.note, "Preempted by pod uid-high on node a");
  assert.equal(preempted.regarding?.name, "low");
  assert.equal(preempted.related?.name, "high");
  assert.equal(preempted.action, "Preempting");
  const failed = h.events("FailedScheduling")[0]!;
  assert.equal(failed.note, "0/1 nodes are available: 1 Insufficient cpu.");
  const [nominate] = h.api.sent("PATCH", "/pods/high/status");
  assert.equal(
    (nominate!.body as { status: { nominatedNodeName?: string } }).status.nominatedNodeName,
    "a",
  );
  h.clock.advance(2_000);
  await until(() => h.pod("high")?.spec?.nodeName === "a", "the preemptor's binding");
});
