import assert from "node:assert/strict";
import type { Node } from "../api/types/core_v1_node.ts";
import type { Pod } from "../api/types/core_v1_pod.ts";
import { FakeClock } from "../util/clock.ts";
import { RecordingLogger } from "../util/logger.ts";
import { testNode, testPod, type TestPodOptions } from "./_testing.ts";
import {
  ACTION_TYPE,
  CLUSTER_EVENTS,
  type ClusterEvent,
  clusterEventLabel,
  DEFAULT_POD_MAX_IN_UNSCHEDULABLE_PODS_MS,
  matchesClusterEvent,
  nodeUpdateEvents,
  podBackoffMs,
  type QueuedPod,
  type QueueName,
  SchedulingQueue,
  type SchedulingQueueOptions,
} from "./scheduling_queue.ts";

interface PodOptions extends TestPodOptions {
  readonly gates?: readonly string[];
}

function pod(name: string, options: PodOptions = {}): Pod {
  const { gates, ...rest } = options;
  const p = testPod({ name, ...rest });
  if (gates === undefined) return p;
  return { ...p, spec: { ...p.spec!, schedulingGates: gates.map((g) => ({ name: g })) } };
}

function setup(options: SchedulingQueueOptions = {}, startMs = 0) {
  const clock = new FakeClock(startMs);
  const logger = new RecordingLogger();
  const queue = new SchedulingQueue({ clock, logger }, options);
  return { clock, logger, queue };
}

function nameOf(info: QueuedPod | undefined): string | undefined {
  return info?.pod.metadata?.name;
}

function names(infos: readonly QueuedPod[]): string[] {
  return infos.map((i) => i.pod.metadata?.name ?? "");
}

/** Hands `info` back as failed by `plugins` in the cycle it was popped in (by default the latest). */
function fail(
  queue: SchedulingQueue,
  info: QueuedPod,
  plugins: readonly string[],
  cycle = queue.schedulingCycle,
): QueueName | undefined {
  return queue.addUnschedulableIfNotPresent({ ...info, unschedulablePlugins: new Set(plugins) }, {
    podSchedulingCycle: cycle,
  });
}

/** Adds `p`, pops it (activeQ must hold nothing else) and fails it with `plugins`. */
async function makeUnschedulable(
  queue: SchedulingQueue,
  p: Pod,
  plugins: readonly string[],
): Promise<QueuedPod> {
  queue.add(p);
  const info = await queue.pop();
  assert.equal(nameOf(info), p.metadata?.name);
  assert.equal(fail(queue, info!, plugins), "unschedulable");
  return info!;
}

function where(queue: SchedulingQueue, name: string): QueueName | undefined {
  const pending = queue.pendingPods();
  for (const q of ["active", "backoff", "unschedulable"] as const) {
    if (pending[q].some((i) => i.pod.metadata?.name === name)) return q;
  }
  return undefined;
}

Deno.test("podBackoffMs() starts at 1 s, doubles per attempt and stops at 10 s", async (t) => {
  const cases = [
    { attempts: 0, want: 0 },
    { attempts: 1, want: 1_000 },
    { attempts: 2, want: 2_000 },
    { attempts: 3, want: 4_000 },
    { attempts: 4, want: 8_000 },
    { attempts: 5, want: 10_000 },
    { attempts: 6, want: 10_000 },
    { attempts: 100, want: 10_000 },
  ];
  for (const c of cases) {
    await t.step(`${c.attempts} attempts`, () => assert.equal(podBackoffMs(c.attempts), c.want));
  }
  await t.step("custom initial and maximum", () => {
    assert.equal(podBackoffMs(3, { initialMs: 100, maxMs: 300 }), 300);
    assert.equal(podBackoffMs(2, { initialMs: 100, maxMs: 300 }), 200);
  });
});

Deno.test("SchedulingQueue.pop() orders by priority, then by the time pods were added", async (t) => {
  const cases: {
    name: string;
    pods: { name: string; priority?: number; atMs: number }[];
    want: string[];
  }[] = [
    {
      name: "higher priority first",
      pods: [{ name: "low", priority: 1, atMs: 0 }, { name: "high", priority: 10, atMs: 1 }],
      want: ["high", "low"],
    },
    {
      name: "same priority: earlier first",
      pods: [{ name: "b", atMs: 5 }, { name: "a", atMs: 1 }, { name: "c", atMs: 9 }],
      want: ["a", "b", "c"],
    },
    {
      name: "negative and missing priorities",
      pods: [
        { name: "neg", priority: -5, atMs: 0 },
        { name: "none", atMs: 1 },
        { name: "pos", priority: 5, atMs: 2 },
      ],
      want: ["pos", "none", "neg"],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const { clock, queue } = setup();
      using _ = queue;
      for (const p of [...c.pods].sort((a, b) => a.atMs - b.atMs)) {
        clock.advance(p.atMs - clock.now());
        queue.add(pod(p.name, p.priority === undefined ? {} : { priority: p.priority }));
      }
      assert.deepEqual(names(queue.pendingPods().active), c.want);
      const got: (string | undefined)[] = [];
      for (let i = 0; i < c.want.length; i++) got.push(nameOf(await queue.pop()));
      assert.deepEqual(got, c.want);
      assert.equal(queue.schedulingCycle, c.want.length);
    });
  }
});

Deno.test("SchedulingQueue.pop() waits without timers until a pod is added", async () => {
  const { clock, queue } = setup();
  using _ = queue;
  const first = queue.pop();
  const second = queue.pop();
  assert.equal(clock.pendingTimers, 0);
  queue.add(pod("a"));
  queue.add(pod("b"));
  assert.equal(nameOf(await first), "a");
  assert.equal(nameOf(await second), "b");
  const info = await Promise.race([queue.pop(), Promise.resolve(undefined)]);
  assert.equal(info, undefined, "nothing left: the third pop still waits");
});

Deno.test("SchedulingQueue.pop() counts attempts and stamps the first attempt", async () => {
  const { clock, queue } = setup({}, 5_000);
  using _ = queue;
  queue.add(pod("a"));
  clock.advance(100);
  const info = (await queue.pop())!;
  assert.equal(info.attempts, 1);
  assert.equal(info.timestampMs, 5_000);
  assert.equal(info.initialAttemptTimestampMs, 5_000);
  assert.equal(info.unschedulablePlugins.size, 0);
  assert.deepEqual(queue.inFlightPods().map((p) => p.metadata?.name), ["a"]);
  queue.done(info.pod.metadata!.uid!);
  assert.deepEqual(queue.inFlightPods(), []);
});

Deno.test("SchedulingQueue.pop() rejects with the signal's reason on abort", async (t) => {
  await t.step("aborted while waiting", async () => {
    const { queue } = setup();
    using _ = queue;
    const controller = new AbortController();
    const popped = queue.pop(controller.signal);
    controller.abort(new Error("stop"));
    await assert.rejects(popped, { message: "stop" });
    queue.add(pod("a"));
    assert.equal(nameOf(await queue.pop()), "a", "the aborted pop took nothing");
  });
  await t.step("already aborted", async () => {
    const { queue } = setup();
    using _ = queue;
    queue.add(pod("a"));
    await assert.rejects(queue.pop(AbortSignal.abort(new Error("gone"))), { message: "gone" });
    assert.equal(queue.pendingPods().active.length, 1);
  });
});

Deno.test("SchedulingQueue.close() ends pending pops, cancels timers and ignores later calls", async () => {
  const { clock, queue } = setup();
  queue.add(pod("a"));
  fail(queue, (await queue.pop())!, ["NodeResourcesFit"]); // unschedulable: the 5-minute timer
  queue.add(pod("b"));
  fail(queue, (await queue.pop())!, []); // an error: the backoff timer
  assert.equal(clock.pendingTimers, 2);
  const waiting = queue.pop(); // neither pod can be popped now
  queue.close();
  assert.equal(await waiting, undefined);
  assert.equal(clock.pendingTimers, 0);
  assert.equal(await queue.pop(), undefined);
  queue.add(pod("c"));
  assert.deepEqual(queue.pendingPods(), { active: [], backoff: [], unschedulable: [] });
  clock.advance(DEFAULT_POD_MAX_IN_UNSCHEDULABLE_PODS_MS * 2);
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("SchedulingQueue.addUnschedulableIfNotPresent() chooses backoffQ or unschedulablePods", async (t) => {
  const cases: {
    name: string;
    plugins: string[];
    /** A cluster event while the pod is being scheduled. */
    during?: ClusterEvent;
    /** A cluster event before the pod is popped. */
    before?: ClusterEvent;
    want: QueueName;
  }[] = [
    { name: "rejected, nothing happened", plugins: ["NodeResourcesFit"], want: "unschedulable" },
    {
      name: "rejected, a node was added while scheduling (moveRequestCycle race)",
      plugins: ["NodeResourcesFit"],
      during: CLUSTER_EVENTS.nodeAdd,
      want: "backoff",
    },
    {
      name: "rejected, a node was added before the cycle",
      plugins: ["NodeResourcesFit"],
      before: CLUSTER_EVENTS.nodeAdd,
      want: "unschedulable",
    },
    {
      name: "rejected, an event no plugin registered happened while scheduling",
      plugins: ["NodeResourcesFit"],
      during: { resource: "Node", actionType: ACTION_TYPE.UpdateNodeAnnotation },
      want: "unschedulable",
    },
    { name: "an error: no plugin rejected it", plugins: [], want: "backoff" },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const { queue } = setup();
      using _ = queue;
      if (c.before) queue.moveAllToActiveOrBackoffQueue(c.before);
      queue.add(pod("a"));
      const info = (await queue.pop())!;
      if (c.during) queue.moveAllToActiveOrBackoffQueue(c.during);
      assert.equal(fail(queue, info, c.plugins), c.want);
      assert.equal(where(queue, "a"), c.want);
      assert.deepEqual(queue.inFlightPods(), [], "handing back marks it done");
    });
  }
});

Deno.test("SchedulingQueue.addUnschedulableIfNotPresent() keeps a pod that is already queued", async () => {
  const { queue } = setup();
  using _ = queue;
  queue.add(pod("a"));
  const info = (await queue.pop())!;
  queue.done(info.pod.metadata!.uid!);
  queue.add(pod("a")); // re-added, e.g. by an update after done
  assert.equal(fail(queue, info, ["NodeName"]), "active");
  assert.equal(queue.pendingPods().active.length, 1);
});

Deno.test("SchedulingQueue backoff doubles per attempt and is capped", async (t) => {
  const cases = [
    { attempts: 1, backoffMs: 1_000 },
    { attempts: 2, backoffMs: 2_000 },
    { attempts: 3, backoffMs: 4_000 },
    { attempts: 4, backoffMs: 8_000 },
    { attempts: 5, backoffMs: 10_000 },
    { attempts: 9, backoffMs: 10_000 },
  ];
  for (const popFromBackoffQ of [false, true]) {
    for (const c of cases) {
      const startMs = 300;
      // With ordering windows the pod leaves at the end of the 1 s window its expiry falls in.
      const leaveMs = popFromBackoffQ
        ? Math.floor((startMs + c.backoffMs) / 1_000) * 1_000 + 1_000
        : startMs + c.backoffMs;
      await t.step(`popFromBackoffQ ${popFromBackoffQ}, attempt ${c.attempts}`, () => {
        const { clock, queue } = setup({ popFromBackoffQ }, startMs);
        using _ = queue;
        const info: QueuedPod = {
          pod: pod("a"),
          timestampMs: 0,
          attempts: c.attempts,
          initialAttemptTimestampMs: 0,
          unschedulablePlugins: new Set(),
          pendingPlugins: new Set(),
          gated: false,
          gatingPlugin: undefined,
        };
        assert.equal(
          queue.addUnschedulableIfNotPresent(info, { podSchedulingCycle: 0 }),
          "backoff",
        );
        assert.equal(clock.pendingTimers, 1);
        clock.advance(leaveMs - startMs - 1);
        assert.equal(where(queue, "a"), "backoff");
        clock.advance(1);
        assert.equal(where(queue, "a"), "active");
        assert.equal(clock.pendingTimers, 0);
      });
    }
  }
});

Deno.test("SchedulingQueue keeps one backoff timer, for the earliest expiry", async () => {
  const { clock, queue } = setup({ popFromBackoffQ: false });
  using _ = queue;
  const infos: QueuedPod[] = [];
  for (const name of ["a", "b", "c"]) {
    queue.add(pod(name));
    infos.push((await queue.pop())!);
  }
  // Three errors at different times: each backs off 1 s from its failure.
  fail(queue, infos[0]!, []);
  clock.advance(300);
  fail(queue, infos[1]!, []);
  clock.advance(300);
  fail(queue, infos[2]!, []);
  assert.equal(clock.pendingTimers, 1);
  clock.advance(400); // t = 1000
  assert.deepEqual(names(queue.pendingPods().active), ["a"]);
  assert.equal(clock.pendingTimers, 1);
  clock.advance(300);
  assert.deepEqual(names(queue.pendingPods().active), ["a", "b"]);
  clock.advance(300);
  assert.deepEqual(names(queue.pendingPods().active), ["a", "b", "c"]);
  assert.equal(clock.pendingTimers, 0, "no timer once backoffQ is empty");
});

Deno.test("SchedulingQueue with popFromBackoffQ pops backoffQ's head while activeQ is empty", async (t) => {
  await t.step("an unschedulable retry is taken at once", async () => {
    const { queue } = setup();
    using _ = queue;
    queue.add(pod("a"));
    const info = (await queue.pop())!;
    queue.moveAllToActiveOrBackoffQueue(CLUSTER_EVENTS.nodeAdd);
    assert.equal(fail(queue, info, ["NodeResourcesFit"]), "backoff");
    const again = (await queue.pop())!;
    assert.equal(nameOf(again), "a");
    assert.equal(again.attempts, 2);
  });
  await t.step("activeQ goes first", async () => {
    const { queue } = setup();
    using _ = queue;
    queue.add(pod("a"));
    const info = (await queue.pop())!;
    queue.moveAllToActiveOrBackoffQueue(CLUSTER_EVENTS.nodeAdd);
    fail(queue, info, ["NodeResourcesFit"]);
    queue.add(pod("b"));
    assert.equal(nameOf(await queue.pop()), "b");
    assert.equal(nameOf(await queue.pop()), "a");
  });
  await t.step("a pod backing off after an error is not taken early", async () => {
    const { clock, queue } = setup();
    using _ = queue;
    queue.add(pod("a"));
    const info = (await queue.pop())!;
    fail(queue, info, []);
    const popped = queue.pop();
    clock.advance(1_999);
    assert.equal(where(queue, "a"), "backoff");
    clock.advance(1);
    assert.equal(nameOf(await popped), "a");
  });
  await t.step("pods of one window leave in priority order", async () => {
    const { clock, queue } = setup();
    using _ = queue;
    const infos: QueuedPod[] = [];
    for (const [name, priority] of [["low", 1], ["high", 9]] as const) {
      queue.add(pod(name, { priority }));
      infos.push((await queue.pop())!);
    }
    queue.moveAllToActiveOrBackoffQueue(CLUSTER_EVENTS.nodeAdd);
    fail(queue, infos[0]!, ["NodeResourcesFit"], 1);
    clock.advance(400); // still the same window of expiry
    fail(queue, infos[1]!, ["NodeResourcesFit"], 2);
    assert.deepEqual(names(queue.pendingPods().backoff), ["high", "low"]);
  });
});

Deno.test("SchedulingQueue.moveAllToActiveOrBackoffQueue() moves only pods the event may help", async (t) => {
  const nodeLabel: ClusterEvent = { resource: "Node", actionType: ACTION_TYPE.UpdateNodeLabel };
  const nodeAllocatable: ClusterEvent = {
    resource: "Node",
    actionType: ACTION_TYPE.UpdateNodeAllocatable,
  };
  const nodeCondition: ClusterEvent = {
    resource: "Node",
    actionType: ACTION_TYPE.UpdateNodeCondition,
  };
  const cases: { name: string; plugins: string[]; event: ClusterEvent; moves: boolean }[] = [
    {
      name: "NodeResourcesFit, node added",
      plugins: ["NodeResourcesFit"],
      event: CLUSTER_EVENTS.nodeAdd,
      moves: true,
    },
    {
      name: "NodeResourcesFit, allocatable",
      plugins: ["NodeResourcesFit"],
      event: nodeAllocatable,
      moves: true,
    },
    {
      name: "NodeResourcesFit, pod deleted",
      plugins: ["NodeResourcesFit"],
      event: CLUSTER_EVENTS.assignedPodDelete,
      moves: true,
    },
    {
      name: "NodeResourcesFit, condition",
      plugins: ["NodeResourcesFit"],
      event: nodeCondition,
      moves: false,
    },
    { name: "NodeAffinity, labels", plugins: ["NodeAffinity"], event: nodeLabel, moves: true },
    {
      name: "NodeAffinity, allocatable",
      plugins: ["NodeAffinity"],
      event: nodeAllocatable,
      moves: false,
    },
    {
      name: "TaintToleration, pod deleted",
      plugins: ["TaintToleration"],
      event: CLUSTER_EVENTS.assignedPodDelete,
      moves: false,
    },
    {
      name: "NodePorts, pod deleted",
      plugins: ["NodePorts"],
      event: CLUSTER_EVENTS.assignedPodDelete,
      moves: true,
    },
    {
      name: "PodTopologySpread, node deleted",
      plugins: ["PodTopologySpread"],
      event: CLUSTER_EVENTS.nodeDelete,
      moves: true,
    },
    {
      name: "NodeName, node deleted",
      plugins: ["NodeName"],
      event: CLUSTER_EVENTS.nodeDelete,
      moves: false,
    },
    {
      name: "any of two plugins",
      plugins: ["NodeName", "NodePorts"],
      event: CLUSTER_EVENTS.assignedPodDelete,
      moves: true,
    },
    {
      name: "a plugin that registers nothing: any event",
      plugins: ["Custom"],
      event: nodeCondition,
      moves: true,
    },
    { name: "wildcard", plugins: ["NodeName"], event: CLUSTER_EVENTS.wildcard, moves: true },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const { queue } = setup({ popFromBackoffQ: false });
      using _ = queue;
      await makeUnschedulable(queue, pod("a"), c.plugins);
      queue.moveAllToActiveOrBackoffQueue(c.event);
      assert.equal(where(queue, "a"), c.moves ? "backoff" : "unschedulable");
    });
  }
});

Deno.test("SchedulingQueue.moveAllToActiveOrBackoffQueue() sends pods past their backoff to activeQ", async () => {
  const { clock, queue } = setup({ popFromBackoffQ: false });
  using _ = queue;
  await makeUnschedulable(queue, pod("a"), ["NodeResourcesFit"]);
  clock.advance(1_000);
  queue.moveAllToActiveOrBackoffQueue(CLUSTER_EVENTS.nodeAdd);
  assert.equal(where(queue, "a"), "active");
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("SchedulingQueue.moveAllToActiveOrBackoffQueue() applies preCheck", async () => {
  const { queue } = setup();
  using _ = queue;
  await makeUnschedulable(queue, pod("a"), ["NodeResourcesFit"]);
  await makeUnschedulable(queue, pod("b"), ["NodeResourcesFit"]);
  queue.moveAllToActiveOrBackoffQueue(CLUSTER_EVENTS.nodeAdd, (p) => p.metadata?.name === "b");
  assert.equal(where(queue, "a"), "unschedulable");
  assert.equal(where(queue, "b"), "backoff");
});

Deno.test("SchedulingQueue flushes unschedulable pods after 5 minutes, with one timer", async () => {
  const { clock, queue } = setup();
  using _ = queue;
  assert.equal(clock.pendingTimers, 0);
  await makeUnschedulable(queue, pod("a"), ["NodeName"]);
  assert.equal(clock.pendingTimers, 1);
  clock.advance(60_000);
  await makeUnschedulable(queue, pod("b"), ["NodeName"]);
  assert.equal(clock.pendingTimers, 1, "still one timer, for the oldest");
  clock.advance(DEFAULT_POD_MAX_IN_UNSCHEDULABLE_PODS_MS - 60_000 - 1);
  assert.equal(where(queue, "a"), "unschedulable");
  clock.advance(1);
  assert.equal(where(queue, "a"), "active", "backoff long over: straight to activeQ");
  assert.equal(where(queue, "b"), "unschedulable");
  assert.equal(clock.pendingTimers, 1);
  clock.advance(60_000);
  assert.equal(where(queue, "b"), "active");
  assert.equal(clock.pendingTimers, 0, "no timer once unschedulablePods is empty");
});

Deno.test("SchedulingQueue has no timer pending when nothing waits", async () => {
  const { clock, queue } = setup();
  using _ = queue;
  queue.add(pod("a"));
  assert.equal(clock.pendingTimers, 0, "activeQ needs no timer");
  const info = (await queue.pop())!;
  fail(queue, info, ["NodeName"]);
  assert.equal(clock.pendingTimers, 1);
  queue.delete(pod("a"));
  assert.equal(clock.pendingTimers, 0, "the 5-minute timer goes with the last pod");
  queue.add(pod("b"));
  const b = (await queue.pop())!;
  fail(queue, b, []);
  assert.equal(clock.pendingTimers, 1);
  clock.advance(2_000);
  assert.equal(where(queue, "b"), "active");
  assert.equal(clock.pendingTimers, 0, "no timer once backoffQ is empty");
  assert.equal(nameOf(await queue.pop()), "b");
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("SchedulingQueue keeps gated pods aside until their gates are removed", async (t) => {
  await t.step("a gated pod waits in unschedulablePods, without timers", () => {
    const { clock, queue } = setup();
    using _ = queue;
    queue.add(pod("g", { gates: ["example.com/wait"] }));
    const [info] = queue.pendingPods().unschedulable;
    assert.equal(info?.gated, true);
    assert.equal(info?.gatingPlugin, "SchedulingGates");
    assert.ok(info?.unschedulablePlugins.has("SchedulingGates"));
    assert.equal(info?.initialAttemptTimestampMs, undefined);
    assert.equal(clock.pendingTimers, 0);
    queue.moveAllToActiveOrBackoffQueue(CLUSTER_EVENTS.wildcard);
    queue.moveAllToActiveOrBackoffQueue(CLUSTER_EVENTS.nodeAdd);
    clock.advance(DEFAULT_POD_MAX_IN_UNSCHEDULABLE_PODS_MS * 2);
    assert.equal(where(queue, "g"), "unschedulable");
  });
  await t.step("removing one of two gates keeps it gated", () => {
    const { queue } = setup();
    using _ = queue;
    const before = pod("g", { gates: ["a", "b"] });
    queue.add(before);
    queue.update(before, pod("g", { gates: ["b"] }));
    assert.equal(queue.pendingPods().unschedulable[0]?.gated, true);
  });
  await t.step("removing the last gate moves it to activeQ", async () => {
    const { clock, queue } = setup();
    using _ = queue;
    const before = pod("g", { gates: ["a"] });
    queue.add(before);
    clock.advance(10);
    const popped = queue.pop();
    queue.update(before, pod("g"));
    const info = (await popped)!;
    assert.equal(nameOf(info), "g");
    assert.equal(info.gated, false);
    assert.equal(info.initialAttemptTimestampMs, 10);
  });
  await t.step("a custom PreEnqueue plugin gates too", () => {
    const { queue } = setup({
      preEnqueuePlugins: [{
        name: "Quota",
        preEnqueue: (p) =>
          p.metadata?.labels?.["quota"] === "ok"
            ? null
            : { code: "Unschedulable", reasons: ["no quota"] },
      }],
    });
    using _ = queue;
    queue.add(pod("q"));
    assert.equal(queue.pendingPods().unschedulable[0]?.gatingPlugin, "Quota");
    queue.update(pod("q"), pod("q", { labels: { quota: "ok" } }));
    assert.equal(where(queue, "q"), "active");
  });
});

Deno.test("SchedulingQueue.update() moves an unschedulable pod only on a relevant change", async (t) => {
  const cases: {
    name: string;
    change: (p: Pod) => Pod;
    afterMs: number;
    want: QueueName;
  }[] = [
    {
      name: "status only: stays",
      change: (p) => ({
        ...p,
        status: { conditions: [{ type: "PodScheduled", status: "False" }] },
      }),
      afterMs: 0,
      want: "unschedulable",
    },
    {
      name: "resourceVersion only: stays",
      change: (p) => ({ ...p, metadata: { ...p.metadata, resourceVersion: "9" } }),
      afterMs: 0,
      want: "unschedulable",
    },
    {
      name: "labels, still backing off: backoffQ",
      change: (p) => ({ ...p, metadata: { ...p.metadata, labels: { x: "y" } } }),
      afterMs: 0,
      want: "backoff",
    },
    {
      name: "tolerations, backoff over: activeQ",
      change: (p) => ({ ...p, spec: { ...p.spec!, tolerations: [{ operator: "Exists" }] } }),
      afterMs: 5_000,
      want: "active",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const { clock, queue } = setup({ popFromBackoffQ: false });
      using _ = queue;
      const before = pod("a");
      await makeUnschedulable(queue, before, ["TaintToleration"]);
      clock.advance(c.afterMs);
      const after = c.change(before);
      queue.update(before, after);
      assert.equal(where(queue, "a"), c.want);
      const pending = queue.pendingPods();
      const info = [...pending.active, ...pending.backoff, ...pending.unschedulable][0];
      assert.equal(info?.pod, after, "the queue keeps the new version");
    });
  }
});

Deno.test("SchedulingQueue.update() updates pods in activeQ in place and adds unknown pods", () => {
  const { clock, queue } = setup();
  using _ = queue;
  queue.add(pod("a", { priority: 1 }));
  clock.advance(1);
  queue.add(pod("b", { priority: 2 }));
  queue.update(pod("a", { priority: 1 }), pod("a", { priority: 3 }));
  queue.update(undefined, pod("c"));
  assert.deepEqual(names(queue.pendingPods().active), ["a", "b", "c"]);
  assert.equal(queue.pendingPods().active[0]?.timestampMs, 0, "the timestamp is kept");
});

Deno.test("SchedulingQueue.update() of a pod being scheduled retries it after backoff if it fails", async () => {
  const { queue } = setup({ popFromBackoffQ: false });
  using _ = queue;
  const before = pod("a");
  queue.add(before);
  const info = (await queue.pop())!;
  const after = { ...before, metadata: { ...before.metadata, labels: { fixed: "yes" } } };
  queue.update(before, after);
  assert.equal(queue.pendingPods().active.length, 0, "not queued twice");
  assert.equal(fail(queue, info, ["NodeAffinity"]), "backoff");
  assert.equal(queue.pendingPods().backoff[0]?.pod, after);
});

Deno.test("SchedulingQueue.delete() removes a pod from any set", async (t) => {
  const setups: { name: string; put: (q: SchedulingQueue) => Promise<void> }[] = [
    { name: "activeQ", put: (q) => Promise.resolve(q.add(pod("a"))) },
    {
      name: "backoffQ",
      put: async (q) => {
        q.add(pod("a"));
        fail(q, (await q.pop())!, []);
      },
    },
    {
      name: "unschedulablePods",
      put: async (q) => void await makeUnschedulable(q, pod("a"), ["NodeName"]),
    },
    { name: "gated", put: (q) => Promise.resolve(q.add(pod("a", { gates: ["g"] }))) },
  ];
  for (const s of setups) {
    await t.step(s.name, async () => {
      const { clock, queue } = setup({ popFromBackoffQ: false });
      using _ = queue;
      await s.put(queue);
      assert.notEqual(where(queue, "a"), undefined);
      queue.delete(pod("a"));
      assert.equal(where(queue, "a"), undefined);
      assert.equal(clock.pendingTimers, 0);
    });
  }
  await t.step("being scheduled: not requeued when the attempt fails", async () => {
    const { queue } = setup();
    using _ = queue;
    queue.add(pod("a"));
    const info = (await queue.pop())!;
    queue.delete(pod("a"));
    assert.equal(fail(queue, info, ["NodeName"]), undefined);
    assert.equal(where(queue, "a"), undefined);
  });
});

Deno.test("SchedulingQueue.assignedPodAdded() moves pods rejected by cross-pod constraints", async (t) => {
  const affinity = {
    podAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [{
        labelSelector: { matchLabels: { app: "db" } },
        topologyKey: "kubernetes.io/hostname",
      }],
    },
  };
  const cases: { name: string; pending: Pod; plugins: string[]; moves: boolean }[] = [
    {
      name: "PodTopologySpread, same namespace",
      pending: pod("p"),
      plugins: ["PodTopologySpread"],
      moves: true,
    },
    {
      name: "PodTopologySpread, other namespace",
      pending: pod("p", { namespace: "other" }),
      plugins: ["PodTopologySpread"],
      moves: false,
    },
    {
      name: "InterPodAffinity with required affinity",
      pending: pod("p", { affinity }),
      plugins: ["InterPodAffinity"],
      moves: true,
    },
    {
      name: "InterPodAffinity without affinity terms",
      pending: pod("p"),
      plugins: ["InterPodAffinity"],
      moves: false,
    },
    { name: "NodeResourcesFit", pending: pod("p"), plugins: ["NodeResourcesFit"], moves: false },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const { queue } = setup({ popFromBackoffQ: false });
      using _ = queue;
      await makeUnschedulable(queue, c.pending, c.plugins);
      queue.assignedPodAdded(pod("db", { nodeName: "n1", labels: { app: "db" } }));
      assert.equal(where(queue, "p"), c.moves ? "backoff" : "unschedulable");
    });
  }
});

Deno.test("SchedulingQueue.assignedPodUpdated() reacts to a resize down and to label changes", async (t) => {
  const bound = pod("db", { nodeName: "n1", labels: { app: "db" }, requests: { cpu: "2" } });
  const cases: { name: string; next: Pod; plugins: string[]; moves: boolean }[] = [
    {
      name: "resize down helps NodeResourcesFit",
      next: pod("db", { nodeName: "n1", labels: { app: "db" }, requests: { cpu: "1" } }),
      plugins: ["NodeResourcesFit"],
      moves: true,
    },
    {
      name: "resize up does not",
      next: pod("db", { nodeName: "n1", labels: { app: "db" }, requests: { cpu: "3" } }),
      plugins: ["NodeResourcesFit"],
      moves: false,
    },
    {
      name: "labels help PodTopologySpread",
      next: pod("db", { nodeName: "n1", labels: { app: "web" }, requests: { cpu: "2" } }),
      plugins: ["PodTopologySpread"],
      moves: true,
    },
    {
      name: "labels help InterPodAffinity (anti-affinity may be lifted)",
      next: pod("db", { nodeName: "n1", labels: {}, requests: { cpu: "2" } }),
      plugins: ["InterPodAffinity"],
      moves: true,
    },
    {
      name: "labels do not help NodeResourcesFit",
      next: pod("db", { nodeName: "n1", labels: { app: "web" }, requests: { cpu: "2" } }),
      plugins: ["NodeResourcesFit"],
      moves: false,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const { queue } = setup({ popFromBackoffQ: false });
      using _ = queue;
      await makeUnschedulable(queue, pod("p"), c.plugins);
      queue.assignedPodUpdated(bound, c.next);
      assert.equal(where(queue, "p"), c.moves ? "backoff" : "unschedulable");
    });
  }
});

Deno.test("SchedulingQueue.assignedPodDeleted() moves pods waiting for room", async () => {
  const { queue } = setup({ popFromBackoffQ: false });
  using _ = queue;
  await makeUnschedulable(queue, pod("fit"), ["NodeResourcesFit"]);
  await makeUnschedulable(queue, pod("taint"), ["TaintToleration"]);
  queue.assignedPodDeleted(pod("gone", { nodeName: "n1" }));
  assert.equal(where(queue, "fit"), "backoff");
  assert.equal(where(queue, "taint"), "unschedulable");
});

Deno.test("SchedulingQueue.activate() moves pods to activeQ at once", async () => {
  const { queue } = setup({ popFromBackoffQ: false });
  using _ = queue;
  await makeUnschedulable(queue, pod("u"), ["NodeName"]);
  queue.add(pod("b"));
  fail(queue, (await queue.pop())!, []);
  assert.equal(where(queue, "b"), "backoff");
  queue.add(pod("f"));
  const flying = (await queue.pop())!;
  queue.activate([pod("u"), pod("b"), pod("f"), pod("unknown")]);
  assert.deepEqual(names(queue.pendingPods().active).sort(), ["b", "u"]);
  assert.equal(fail(queue, flying, ["NodeName"]), "backoff", "activated while in flight");
});

Deno.test("SchedulingQueue tracks nominated pods per node", async (t) => {
  await t.step("from status.nominatedNodeName on add, update and delete", () => {
    const { queue } = setup();
    using _ = queue;
    const a = pod("a", { nominatedNodeName: "n1" });
    queue.add(a);
    queue.add(pod("b", { nominatedNodeName: "n1" }));
    assert.deepEqual(queue.nominatedPodsForNode("n1").map((p) => p.metadata?.name), ["a", "b"]);
    const moved = pod("a", { nominatedNodeName: "n2" });
    queue.update(a, moved);
    assert.deepEqual(queue.nominatedPodsForNode("n1").map((p) => p.metadata?.name), ["b"]);
    assert.deepEqual(queue.nominatedPodsForNode("n2"), [moved]);
    queue.delete(moved);
    assert.deepEqual(queue.nominatedPodsForNode("n2"), []);
  });
  await t.step("an in-memory nomination survives an update that does not mention one", () => {
    const { queue } = setup();
    using _ = queue;
    const a = pod("a");
    queue.add(a);
    queue.addNominatedPod(a, { nodeName: "n3" });
    const relabelled = pod("a", { labels: { v: "2" } });
    queue.update(a, relabelled);
    assert.deepEqual(queue.nominatedPodsForNode("n3"), [relabelled]);
    queue.addNominatedPod(relabelled, { nodeName: "" });
    assert.deepEqual(queue.nominatedPodsForNode("n3"), []);
  });
  await t.step("a bound pod is not nominated", () => {
    const { queue } = setup();
    using _ = queue;
    queue.addNominatedPod(pod("a", { nodeName: "n1", nominatedNodeName: "n1" }));
    assert.deepEqual(queue.nominatedPodsForNode("n1"), []);
  });
  await t.step("deleteNominatedPodIfExists() and updateNominatedPod()", () => {
    const { queue } = setup();
    using _ = queue;
    const a = pod("a", { nominatedNodeName: "n1" });
    queue.addNominatedPod(a);
    queue.updateNominatedPod(a, pod("a", { nominatedNodeName: "n2" }));
    assert.equal(queue.nominatedPodsForNode("n2").length, 1);
    queue.deleteNominatedPodIfExists(a);
    assert.equal(queue.nominatedPodsForNode("n2").length, 0);
  });
});

Deno.test("SchedulingQueue logs at debug level only", async () => {
  const { logger, queue } = setup();
  using _ = queue;
  await makeUnschedulable(queue, pod("a"), ["NodeName"]);
  queue.moveAllToActiveOrBackoffQueue(CLUSTER_EVENTS.nodeAdd);
  assert.ok(logger.records.length > 0);
  assert.deepEqual(new Set(logger.records.map((r) => r.level)), new Set(["debug"]));
  assert.ok(
    logger.records.some((r) => r.fields["queue"] === "backoff" && r.fields["pod"] === "default/a"),
  );
});

Deno.test("SchedulingQueue rejects negative durations", () => {
  assert.throws(() => new SchedulingQueue({}, { podMaxBackoffMs: -1 }), RangeError);
});

Deno.test("matchesClusterEvent() matches the same or a more specific event", async (t) => {
  const A = ACTION_TYPE;
  const cases: { name: string; registered: ClusterEvent; incoming: ClusterEvent; want: boolean }[] =
    [
      {
        name: "same",
        registered: { resource: "Node", actionType: A.Add },
        incoming: CLUSTER_EVENTS.nodeAdd,
        want: true,
      },
      {
        name: "Update matches a specific update",
        registered: { resource: "Node", actionType: A.Update },
        incoming: { resource: "Node", actionType: A.UpdateNodeLabel },
        want: true,
      },
      {
        name: "a specific update does not match a bare Update",
        registered: { resource: "Node", actionType: A.UpdateNodeLabel },
        incoming: { resource: "Node", actionType: A.Update },
        want: false,
      },
      {
        name: "Pod matches AssignedPod",
        registered: { resource: "Pod", actionType: A.Delete },
        incoming: CLUSTER_EVENTS.assignedPodDelete,
        want: true,
      },
      {
        name: "other resource",
        registered: { resource: "PersistentVolume", actionType: A.All },
        incoming: CLUSTER_EVENTS.nodeAdd,
        want: false,
      },
      {
        name: "a wildcard registration matches anything",
        registered: CLUSTER_EVENTS.wildcard,
        incoming: { resource: "StorageClass", actionType: A.Add },
        want: true,
      },
      {
        name: "an incoming wildcard matches only a wildcard registration",
        registered: { resource: "Node", actionType: A.All },
        incoming: CLUSTER_EVENTS.wildcard,
        want: false,
      },
    ];
  for (const c of cases) {
    await t.step(c.name, () => assert.equal(matchesClusterEvent(c.registered, c.incoming), c.want));
  }
});

Deno.test("nodeUpdateEvents() names each kind of change that matters to scheduling", async (t) => {
  const base: Node = {
    ...testNode({ name: "n1", labels: { zone: "a" } }),
    metadata: { name: "n1", labels: { zone: "a" }, annotations: { note: "1" } },
    status: {
      allocatable: { cpu: "4" },
      conditions: [{ type: "Ready", status: "True", lastHeartbeatTime: "2025-01-01T00:00:00Z" }],
    },
  };
  const A = ACTION_TYPE;
  const cases: { name: string; next: Node; want: number[] }[] = [
    {
      name: "a heartbeat only",
      next: {
        ...base,
        status: {
          ...base.status,
          conditions: [{
            type: "Ready",
            status: "True",
            lastHeartbeatTime: "2025-01-01T00:01:00Z",
          }],
        },
      },
      want: [],
    },
    {
      name: "allocatable",
      next: { ...base, status: { ...base.status, allocatable: { cpu: "8" } } },
      want: [A.UpdateNodeAllocatable],
    },
    {
      name: "labels",
      next: { ...base, metadata: { ...base.metadata, labels: { zone: "b" } } },
      want: [A.UpdateNodeLabel],
    },
    {
      name: "cordoned",
      next: { ...base, spec: { unschedulable: true } },
      want: [A.UpdateNodeTaint],
    },
    {
      name: "cordoned and tainted: one taint event",
      next: {
        ...base,
        spec: { unschedulable: true, taints: [{ key: "k", effect: "NoSchedule" }] },
      },
      want: [A.UpdateNodeTaint],
    },
    {
      name: "not ready",
      next: {
        ...base,
        status: { ...base.status, conditions: [{ type: "Ready", status: "False" }] },
      },
      want: [A.UpdateNodeCondition],
    },
    {
      name: "annotations and labels",
      next: { ...base, metadata: { name: "n1", labels: {}, annotations: {} } },
      want: [A.UpdateNodeLabel, A.UpdateNodeAnnotation],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const events = nodeUpdateEvents(base, c.next);
      assert.deepEqual(events.map((e) => e.actionType), c.want);
      for (const e of events) assert.equal(e.resource, "Node");
    });
  }
  await t.step("labels for logs", () => {
    assert.equal(
      clusterEventLabel(nodeUpdateEvents(base, cases[1]!.next)[0]!),
      "NodeUpdateNodeAllocatable",
    );
    assert.equal(clusterEventLabel(CLUSTER_EVENTS.nodeAdd), "NodeAdd");
  });
});
