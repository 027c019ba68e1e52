import assert from "node:assert/strict";
import { createTestApp, type TestApp } from "../api/_test_app.ts";
import type { Lease } from "../api/types/coordination_v1.ts";
import { FakeClock } from "../util/clock.ts";
import { RecordingLogger } from "../util/logger.ts";
import { ControlledTransport, turn, until } from "./_test_transport.ts";
import { Client } from "./client.ts";
import { LeaderElector } from "./leader_election.ts";
import { LEASES } from "./resources.ts";

const LEASE = { namespace: "kube-system", name: "skiff-scheduler" };
const START_MS = Date.UTC(2025, 0, 1);

/** One candidate: its elector, its own network, and what its leader work saw. */
interface Candidate {
  readonly identity: string;
  readonly elector: LeaderElector;
  readonly transport: ControlledTransport;
  /** The signals onStartedLeading got, one per term. */
  readonly terms: AbortSignal[];
  stoppedLeading: number;
  readonly stop: AbortController;
  running: Promise<void> | null;
}

function candidate(app: TestApp, clock: FakeClock, identity: string): Candidate {
  const transport = new ControlledTransport(app.client);
  const c: Candidate = {
    identity,
    transport,
    terms: [],
    stoppedLeading: 0,
    stop: new AbortController(),
    running: null,
    elector: new LeaderElector({
      client: new Client(transport),
      lease: LEASE,
      identity,
      clock,
      logger: new RecordingLogger(),
      random: () => 0,
      onStartedLeading: async (leading) => {
        c.terms.push(leading);
        // The leader's work: runs until leadership ends.
        await new Promise<void>((resolve) => leading.addEventListener("abort", () => resolve()));
      },
      onStoppedLeading: () => void c.stoppedLeading++,
    }),
  };
  return c;
}

function start(c: Candidate): void {
  c.running = c.elector.run(c.stop.signal);
}

/** Lets every candidate finish what it is doing (no request in flight for a few turns). */
async function settle(cs: readonly Candidate[]): Promise<void> {
  let quiet = 0;
  for (let i = 0; i < 10_000 && quiet < 5; i++) {
    await turn();
    quiet = cs.every((c) => c.transport.inFlight === 0) ? quiet + 1 : 0;
  }
}

/** Advances the clock `ms` in 250 ms steps, settling after each; checks `each` at every step. */
async function advance(
  clock: FakeClock,
  run: { ms: number; cs: readonly Candidate[]; each?: () => void },
): Promise<void> {
  for (let done = 0; done < run.ms; done += 250) {
    clock.advance(250);
    await settle(run.cs);
    run.each?.();
  }
}

function leaders(cs: readonly Candidate[]): string[] {
  return cs.filter((c) => c.elector.isLeader()).map((c) => c.identity);
}

async function lease(app: TestApp): Promise<Lease> {
  return await new Client(app.client).resource(LEASES).get(LEASE.name, {
    namespace: LEASE.namespace,
  });
}

async function stopAll(cs: readonly Candidate[]): Promise<void> {
  for (const c of cs) c.stop.abort();
  await Promise.all(cs.map((c) => c.running));
}

Deno.test("LeaderElector: of two candidates started together exactly one leads, and keeps leading", async () => {
  await using app = await createTestApp();
  const clock = new FakeClock(START_MS);
  const a = candidate(app, clock, "a");
  const b = candidate(app, clock, "b");
  start(a);
  start(b);
  try {
    await settle([a, b]);
    await until(() => leaders([a, b]).length === 1, "a leader");
    const first = leaders([a, b])[0]!;
    await advance(clock, {
      ms: 40_000,
      cs: [a, b],
      each: () => assert.deepEqual(leaders([a, b]), [first], "one leader, the same one"),
    });
    const l = await lease(app);
    assert.equal(l.spec?.holderIdentity, first);
    assert.equal(l.spec?.leaseDurationSeconds, 15);
    assert.equal(l.spec?.leaseTransitions, 0);
    assert.equal(l.spec?.acquireTime, "2025-01-01T00:00:00.000000Z");
    assert.match(l.spec?.renewTime ?? "", /^2025-01-01T00:00:(3\d|40)\.\d{6}Z$/, "renewed lately");
    const leader = first === "a" ? a : b;
    assert.equal(leader.terms.length, 1);
    assert.equal(leader.terms[0]!.aborted, false);
    assert.equal(a.elector.getLeader(), first);
    assert.equal(b.elector.getLeader(), first);
  } finally {
    await stopAll([a, b]);
  }
});

Deno.test("LeaderElector: a leader that cannot renew stops its work; the other takes over after the lease expires", async () => {
  await using app = await createTestApp();
  const clock = new FakeClock(START_MS);
  const a = candidate(app, clock, "a");
  const b = candidate(app, clock, "b");
  start(a);
  await until(() => a.elector.isLeader(), "a to lead");
  start(b);
  try {
    await advance(clock, { ms: 5_000, cs: [a, b] });
    assert.deepEqual(leaders([a, b]), ["a"]);

    // a's link to the API breaks.
    a.transport.fail = () => new TypeError("network unreachable");
    const brokenAt = clock.now();
    let aLostAt = 0;
    let bLedAt = 0;
    await advance(clock, {
      ms: 25_000,
      cs: [a, b],
      each: () => {
        assert.ok(leaders([a, b]).length <= 1, "never two leaders");
        if (!aLostAt && !a.elector.isLeader()) aLostAt = clock.now();
        if (!bLedAt && b.elector.isLeader()) bLedAt = clock.now();
      },
    });
    // a gives up when a renewal round has failed for renewDeadline (10 s); the round starts
    // up to retryPeriod (2 s) after the last good renewal. Its work was told to stop.
    assert.ok(
      aLostAt - brokenAt >= 10_000 && aLostAt - brokenAt <= 12_250,
      `a lost after ${aLostAt - brokenAt} ms`,
    );
    assert.equal(a.terms[0]!.aborted, true);
    assert.equal(a.stoppedLeading, 1);
    // b takes over once a's last renewal is leaseDuration (15 s) old, by b's clock.
    assert.ok(
      bLedAt - brokenAt >= 13_000 && bLedAt - brokenAt <= 20_000,
      `b led after ${bLedAt - brokenAt} ms`,
    );
    assert.ok(bLedAt > aLostAt);
    const l = await lease(app);
    assert.equal(l.spec?.holderIdentity, "b");
    assert.equal(l.spec?.leaseTransitions, 1);

    // a's link comes back: a keeps running as a candidate and does not take the lease back.
    a.transport.fail = null;
    await advance(clock, {
      ms: 20_000,
      cs: [a, b],
      each: () => assert.deepEqual(leaders([a, b]), ["b"]),
    });
    assert.equal(a.terms.length, 1);
    assert.equal(a.elector.getLeader(), "b");
    let aEnded = false;
    a.running!.then(() => aEnded = true);
    await turn();
    assert.equal(aEnded, false, "losing the lease does not end the elector");
  } finally {
    await stopAll([a, b]);
  }
});

Deno.test("LeaderElector: a leader whose lease was taken over stops its work after the renew deadline", async () => {
  await using app = await createTestApp();
  const clock = new FakeClock(START_MS);
  const a = candidate(app, clock, "a");
  start(a);
  try {
    await until(() => a.elector.isLeader(), "a to lead");
    // Someone else overwrites the lease (resourceVersion and all) and a can no longer renew.
    const leases = new Client(app.client).resource(LEASES);
    const taken = await lease(app);
    const now = new Date(clock.now()).toISOString().replace("Z", "000Z");
    await leases.update({
      ...taken,
      spec: { ...taken.spec, holderIdentity: "intruder", renewTime: now },
    });
    await advance(clock, { ms: 9_000, cs: [a] });
    assert.equal(a.elector.isLeader(), true, "a keeps trying for renewDeadline");
    await advance(clock, { ms: 3_500, cs: [a] });
    assert.equal(a.elector.isLeader(), false);
    assert.equal(a.terms[0]!.aborted, true);
    assert.equal(a.elector.getLeader(), "intruder");
  } finally {
    await stopAll([a]);
  }
});

Deno.test("LeaderElector: stopping the leader releases the lease, and a successor takes over at once", async () => {
  await using app = await createTestApp();
  const clock = new FakeClock(START_MS);
  const a = candidate(app, clock, "a");
  const b = candidate(app, clock, "b");
  start(a);
  await until(() => a.elector.isLeader(), "a to lead");
  start(b);
  try {
    await advance(clock, { ms: 3_000, cs: [a, b] });
    a.stop.abort();
    await a.running;
    assert.equal(a.terms[0]!.aborted, true, "the work is stopped before the release");
    assert.equal(a.stoppedLeading, 1);
    const released = await lease(app);
    assert.equal(released.spec?.holderIdentity, "");
    assert.equal(released.spec?.leaseDurationSeconds, 1);
    const stoppedAt = clock.now();
    let bLedAt = 0;
    await advance(clock, {
      ms: 6_000,
      cs: [b],
      each: () => {
        if (!bLedAt && b.elector.isLeader()) bLedAt = clock.now();
      },
    });
    assert.ok(bLedAt > 0 && bLedAt - stoppedAt <= 4_500, `b led after ${bLedAt - stoppedAt} ms`);
    const l = await lease(app);
    assert.equal(l.spec?.holderIdentity, "b");
    assert.equal(l.spec?.leaseTransitions, 1);
  } finally {
    await stopAll([a, b]);
  }
});

Deno.test("LeaderElector() refuses timings client-go refuses", async (t) => {
  await using app = await createTestApp();
  const base = {
    client: new Client(app.client),
    lease: LEASE,
    identity: "a",
    clock: new FakeClock(),
    logger: new RecordingLogger(),
    onStartedLeading: () => {},
  };
  const cases = [
    {
      name: "leaseDuration not above renewDeadline",
      options: { leaseDurationMs: 10_000 },
      message:
        "Cannot elect with leaseDuration 10000 ms: it must be greater than renewDeadline 10000 ms",
    },
    {
      name: "renewDeadline not above 1.2 × retryPeriod",
      options: { renewDeadlineMs: 2_400 },
      message:
        "Cannot elect with renewDeadline 2400 ms: it must be greater than 1.2 × retryPeriod 2000 ms",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.throws(() => new LeaderElector({ ...base, ...c.options }), {
        name: "RangeError",
        message: c.message,
      });
    });
  }
  assert.throws(() => new LeaderElector({ ...base, identity: "" }), TypeError);
});
