import assert from "node:assert/strict";
import type { Pod } from "../api/types/core_v1_pod.ts";
import {
  filterActivePods,
  isPodActive,
  isPodAvailable,
  isPodReady,
  podDeletionCost,
  sortPodsForDeletion,
} from "./active_pods.ts";

const NOW_MS = Date.UTC(2025, 0, 1, 12, 0, 0);
const MINUTE = 60_000;

function time(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

interface PodInit {
  readonly node?: string;
  readonly phase?: "Pending" | "Running" | "Succeeded" | "Failed" | "Unknown";
  readonly ready?: boolean;
  /** Minutes ago. */
  readonly readyAgo?: number;
  readonly createdAgo?: number;
  readonly restarts?: number;
  readonly sidecarRestarts?: number;
  readonly cost?: string;
  readonly deleting?: boolean;
}

function pod(name: string, init: PodInit = {}): Pod {
  const ready = init.ready ?? false;
  return {
    metadata: {
      name,
      uid: `uid-${name}`,
      ...(init.createdAgo !== undefined
        ? { creationTimestamp: time(NOW_MS - init.createdAgo * MINUTE) }
        : {}),
      ...(init.cost !== undefined
        ? { annotations: { "controller.kubernetes.io/pod-deletion-cost": init.cost } }
        : {}),
      ...(init.deleting ? { deletionTimestamp: time(NOW_MS) } : {}),
    },
    spec: {
      containers: [{ name: "c", image: "i" }],
      initContainers: [{ name: "sidecar", image: "i", restartPolicy: "Always" }],
      ...(init.node ? { nodeName: init.node } : {}),
    },
    status: {
      phase: init.phase ?? "Running",
      conditions: [{
        type: "Ready",
        status: ready ? "True" : "False",
        lastTransitionTime: time(NOW_MS - (init.readyAgo ?? 60) * MINUTE),
      }],
      containerStatuses: [{
        name: "c",
        image: "i",
        imageID: "",
        ready,
        restartCount: init.restarts ?? 0,
      }],
      initContainerStatuses: [{
        name: "sidecar",
        image: "i",
        imageID: "",
        ready,
        restartCount: init.sidecarRestarts ?? 0,
      }],
    },
  };
}

Deno.test("isPodActive() excludes terminal and deleting pods", async (t) => {
  const cases = [
    { name: "running", pod: pod("a"), active: true },
    { name: "pending", pod: pod("a", { phase: "Pending" }), active: true },
    { name: "succeeded", pod: pod("a", { phase: "Succeeded" }), active: false },
    { name: "failed", pod: pod("a", { phase: "Failed" }), active: false },
    { name: "deleting", pod: pod("a", { deleting: true }), active: false },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.equal(isPodActive(c.pod), c.active));
  }
  assert.deepEqual(filterActivePods(cases.map((c) => c.pod)).length, 2);
});

Deno.test("isPodAvailable() needs Ready for longer than minReadySeconds", async (t) => {
  const cases = [
    { name: "not ready", pod: pod("a"), minReadySeconds: 0, available: false },
    {
      name: "ready, no minimum",
      pod: pod("a", { ready: true }),
      minReadySeconds: 0,
      available: true,
    },
    {
      name: "ready for 1 minute, 30 s needed",
      pod: pod("a", { ready: true, readyAgo: 1 }),
      minReadySeconds: 30,
      available: true,
    },
    {
      name: "ready for 1 minute, exactly 60 s needed",
      pod: pod("a", { ready: true, readyAgo: 1 }),
      minReadySeconds: 60,
      available: false,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.equal(isPodReady(c.pod), c.pod.status?.conditions?.[0]?.status === "True");
      assert.equal(
        isPodAvailable(c.pod, { minReadySeconds: c.minReadySeconds, nowMs: NOW_MS }),
        c.available,
      );
    });
  }
});

Deno.test("podDeletionCost() reads the annotation as an int32, 0 when malformed", async (t) => {
  const cases: [string | undefined, number][] = [
    [undefined, 0],
    ["100", 100],
    ["-5", -5],
    ["0", 0],
    ["+5", 0],
    ["007", 0],
    ["2147483648", 0],
    ["-2147483648", -2147483648],
    ["abc", 0],
  ];
  for (const [value, cost] of cases) {
    await t.step(String(value), () => {
      assert.equal(podDeletionCost(pod("a", value !== undefined ? { cost: value } : {})), cost);
    });
  }
});

Deno.test("sortPodsForDeletion() puts the least valuable pod first, rule by rule", async (t) => {
  const cases: { name: string; first: Pod; second: Pod; rank?: (p: Pod) => number }[] = [
    {
      name: "unassigned before assigned",
      first: pod("first", { phase: "Running", ready: true }),
      second: pod("second", { node: "n1", phase: "Pending" }),
    },
    {
      name: "Pending before Unknown",
      first: pod("first", { node: "n1", phase: "Pending" }),
      second: pod("second", { node: "n1", phase: "Unknown" }),
    },
    {
      name: "Unknown before Running",
      first: pod("first", { node: "n1", phase: "Unknown" }),
      second: pod("second", { node: "n1", phase: "Running" }),
    },
    {
      name: "not ready before ready",
      first: pod("first", { node: "n1", ready: false, createdAgo: 600 }),
      second: pod("second", { node: "n1", ready: true, createdAgo: 1 }),
    },
    {
      name: "lower deletion cost before higher",
      first: pod("first", { node: "n1", ready: true, cost: "-1" }),
      second: pod("second", { node: "n1", ready: true, restarts: 9 }),
    },
    {
      name: "more co-located pods before fewer",
      first: pod("first", { node: "n1", ready: true, readyAgo: 600 }),
      second: pod("second", { node: "n2", ready: true, readyAgo: 1 }),
      rank: (p) => p.spec?.nodeName === "n1" ? 3 : 1,
    },
    {
      name: "ready for less time before longer",
      first: pod("first", { node: "n1", ready: true, readyAgo: 2 }),
      second: pod("second", { node: "n1", ready: true, readyAgo: 600, restarts: 5 }),
    },
    {
      name: "more restarts before fewer",
      first: pod("first", { node: "n1", restarts: 3, createdAgo: 600 }),
      second: pod("second", { node: "n1", restarts: 1, createdAgo: 1 }),
    },
    {
      name: "more sidecar restarts when regular restarts tie",
      first: pod("first", { node: "n1", restarts: 1, sidecarRestarts: 4 }),
      second: pod("second", { node: "n1", restarts: 1, sidecarRestarts: 0 }),
    },
    {
      name: "created more recently before older",
      first: pod("first", { node: "n1", createdAgo: 2 }),
      second: pod("second", { node: "n1", createdAgo: 600 }),
    },
    {
      name: "no creation time before any",
      first: pod("first", { node: "n1" }),
      second: pod("second", { node: "n1", createdAgo: 1 }),
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      for (const input of [[c.first, c.second], [c.second, c.first]]) {
        const sorted = sortPodsForDeletion(input, {
          nowMs: NOW_MS,
          ...(c.rank ? { rank: c.rank } : {}),
        });
        assert.deepEqual(sorted.map((p) => p.metadata?.name), ["first", "second"]);
      }
    });
  }
});

Deno.test("sortPodsForDeletion() treats ages within one power of two as equal, ordered by uid", () => {
  // 40 and 50 minutes old fall in the same log2 bucket of nanoseconds: uid decides.
  const b = pod("b", { node: "n1", createdAgo: 40 });
  const a = pod("a", { node: "n1", createdAgo: 50 });
  assert.deepEqual(sortPodsForDeletion([b, a], { nowMs: NOW_MS }).map((p) => p.metadata?.name), [
    "a",
    "b",
  ]);
  // Compared plainly (no reference time), the newer goes first.
  assert.deepEqual(sortPodsForDeletion([a, b], { nowMs: 0 }).map((p) => p.metadata?.name), [
    "b",
    "a",
  ]);
});
