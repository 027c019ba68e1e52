import assert from "node:assert/strict";
import type { Lease } from "../api/types/coordination_v1.ts";
import type { Pod } from "../api/types/core_v1_pod.ts";
import { Client } from "../client/client.ts";
import { LeaderElector } from "../client/leader_election.ts";
import { FakeClock } from "../util/clock.ts";
import { RecordingLogger } from "../util/logger.ts";
import { FakeApi, turns, until } from "./_fake_api.ts";
import { testNode, testPod } from "./_testing.ts";
import { runScheduler, SCHEDULER_LEASE, SKIFF_SCHEDULER_LEADER_ELECTION } from "./run_scheduler.ts";

function pending(name: string): Pod {
  const p = testPod({ name });
  return { ...p, spec: { ...p.spec!, schedulerName: "default-scheduler" } };
}

function holder(api: FakeApi): string | undefined {
  return (api.get("leases", "kube-system/kube-scheduler") as Lease | undefined)?.spec
    ?.holderIdentity;
}

Deno.test("SKIFF_SCHEDULER_LEADER_ELECTION writes rarely and is a valid elector setting", () => {
  const t = SKIFF_SCHEDULER_LEADER_ELECTION;
  assert.deepEqual(t, { leaseDurationMs: 60_000, renewDeadlineMs: 40_000, retryPeriodMs: 15_000 });
  assert.ok(86_400_000 / t.retryPeriodMs <= 6_000, "at most 6,000 renewals a day");
  // The elector accepts them (it throws RangeError otherwise).
  new LeaderElector({
    client: new Client(new FakeApi()),
    lease: SCHEDULER_LEASE,
    identity: "a",
    clock: new FakeClock(),
    logger: new RecordingLogger(),
    onStartedLeading: () => {},
    ...t,
  });
});

Deno.test("runScheduler() schedules only while leading; a standby takes over", async () => {
  const api = new FakeApi();
  api.put("nodes", testNode({ name: "edge-1" }));
  const clock = new FakeClock(Date.parse("2026-05-01T10:00:00Z"));
  const client = new Client(api);
  const stopA = new AbortController();
  const stopB = new AbortController();
  const logA = new RecordingLogger();
  const a = runScheduler({
    client,
    clock,
    logger: logA,
    identity: "a",
    signal: stopA.signal,
    random: () => 0,
  });
  await until(() => holder(api) === "a", "a to lead");
  const logB = new RecordingLogger();
  const b = runScheduler({
    client,
    clock,
    logger: logB,
    identity: "b",
    signal: stopB.signal,
    random: () => 0,
  });
  await until(
    () => logB.messages().includes("Attempting to acquire leader lease"),
    "b to campaign",
  );
  api.put("pods", pending("one"));
  await until(() => (api.get("pods", "default/one") as Pod).spec?.nodeName === "edge-1", "one");
  assert.ok(logA.messages().includes("Starting scheduler"));
  assert.ok(!logB.messages().includes("Starting scheduler"), "the standby does not schedule");
  // The leader stops: it releases the lease, and the standby leads at its next try.
  stopA.abort();
  await a;
  assert.equal(holder(api), "");
  assert.ok(logA.messages().includes("Shutting down scheduler"));
  api.put("pods", pending("two"));
  await turns(20);
  assert.equal((api.get("pods", "default/two") as Pod).spec?.nodeName, undefined);
  clock.advance(SKIFF_SCHEDULER_LEADER_ELECTION.retryPeriodMs * 2.2);
  await until(() => holder(api) === "b", "b to lead");
  await until(() => (api.get("pods", "default/two") as Pod).spec?.nodeName === "edge-1", "two");
  stopB.abort();
  await b;
});

Deno.test("runScheduler() without leader election schedules at once", async () => {
  const api = new FakeApi();
  api.put("nodes", testNode({ name: "edge-1" }));
  api.put("pods", pending("web"));
  const stop = new AbortController();
  const done = runScheduler({
    client: new Client(api),
    clock: new FakeClock(),
    logger: new RecordingLogger(),
    identity: "solo",
    signal: stop.signal,
    leaderElection: false,
  });
  await until(() => (api.get("pods", "default/web") as Pod).spec?.nodeName === "edge-1", "web");
  assert.equal(api.list("leases").length, 0);
  stop.abort();
  await done;
});

Deno.test("runScheduler() refuses a bad profile before campaigning", async () => {
  const api = new FakeApi();
  await assert.rejects(
    () =>
      runScheduler({
        client: new Client(api),
        clock: new FakeClock(),
        logger: new RecordingLogger(),
        identity: "a",
        signal: new AbortController().signal,
        profiles: [{ schedulerName: "x", plugins: [{ name: "Nope" }] }],
      }),
    TypeError,
  );
  assert.equal(api.requests.length, 0);
});
