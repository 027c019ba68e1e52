import assert from "node:assert/strict";
import {
  type ContainerdEvent,
  containerStartEvents,
  parseCtrEventLine,
  podStartSegments,
} from "./_containerd_events.ts";

Deno.test("parseCtrEventLine() reads ctr events' time, namespace, topic and payload", async (t) => {
  await t.step("nanoseconds, UTC", () => {
    const e = parseCtrEventLine(
      '2026-12-01 17:13:15.527687391 +0000 UTC k8s.io /tasks/start {"container_id":"c1","pid":6855}',
    );
    assert.equal(e?.namespace, "k8s.io");
    assert.equal(e?.topic, "/tasks/start");
    assert.deepEqual(e?.payload, { container_id: "c1", pid: 6855 });
    const ms = Date.parse("2026-12-01T17:13:15Z") + 527.687391;
    assert.ok(Math.abs(e!.atEpochMs - ms) < 1e-3);
  });
  await t.step("trailing zeros trimmed, another offset", () => {
    const e = parseCtrEventLine(
      '2026-12-01 19:13:15.5 +0200 CEST k8s.io /containers/create {"id":"x"}',
    );
    assert.equal(e?.atEpochMs, Date.parse("2026-12-01T17:13:15.500Z"));
  });
  await t.step("not an event", () => {
    assert.equal(parseCtrEventLine(""), null);
    assert.equal(parseCtrEventLine("ctr: failed to dial"), null);
  });
});

function ev(at: number, topic: string, payload: Record<string, unknown>) {
  return { at, atEpochMs: at, namespace: "k8s.io", topic, payload } as ContainerdEvent & {
    at: number;
  };
}

const window = [
  ev(30, "/snapshot/prepare", { key: "s" }),
  ev(31, "/containers/create", { id: "s", image: "docker.io/skiff/pause:3.9" }),
  ev(150, "/tasks/create", { container_id: "s" }),
  ev(170, "/tasks/start", { container_id: "s" }),
  ev(190, "/containers/create", { id: "a", image: "docker.io/skiff/busybox:1.36" }),
  ev(230, "/tasks/create", { container_id: "a" }),
  ev(250, "/tasks/start", { container_id: "a" }),
];

Deno.test("podStartSegments() splits a pod's startup at its sandbox's and container's events", () => {
  assert.deepEqual(podStartSegments(window, { postAt: 0, boundAt: 10, runningAt: 270 }), {
    schedule: 10,
    beforeSandbox: 21,
    sandboxTaskCreate: 119,
    sandboxTaskStart: 20,
    sandboxToContainer: 20,
    containerTaskCreate: 40,
    containerTaskStart: 20,
    statusSeen: 20,
  });
});

Deno.test("podStartSegments() is null when an event is missing", () => {
  const noStart = window.filter((e) =>
    !(e.topic === "/tasks/start" && e.payload.container_id === "a")
  );
  assert.equal(podStartSegments(noStart, { postAt: 0, boundAt: 10, runningAt: 270 }), null);
  assert.equal(
    podStartSegments(window.slice(0, 4), { postAt: 0, boundAt: 10, runningAt: 270 }),
    null,
  );
});

Deno.test("containerStartEvents() finds one container's create, task create and start", () => {
  const got = containerStartEvents(window, "a");
  assert.deepEqual([got?.created.at, got?.taskCreated.at, got?.started.at], [190, 230, 250]);
  assert.equal(containerStartEvents(window, "zzz"), null);
});
