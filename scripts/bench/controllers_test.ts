import assert from "node:assert/strict";
import {
  type DeploymentLike,
  deploymentRolloutStatus,
  parseControllersBenchArgs,
  SCENARIOS,
} from "./controllers.ts";

Deno.test("parseControllersBenchArgs() gives the defaults when no option is set", () => {
  const o = parseControllersBenchArgs([]);
  assert.equal(o.quick, false);
  assert.equal(o.runs, 1);
  assert.deepEqual(o.only, [...SCENARIOS]);
  assert.equal(o.pin, true);
  assert.equal(o.floorConcurrency, 64);
  assert.equal(o.kubeletConnections, 16);
  assert.equal(o.managerLogLevel, "warn");
  assert.equal(o.progress, false);
  assert.equal(o.cpuProfileDir, undefined);
});

Deno.test("parseControllersBenchArgs() reads each option", async (t) => {
  await t.step("--quick --runs 3 --pin off", () => {
    const o = parseControllersBenchArgs(["--quick", "--runs", "3", "--pin", "off"]);
    assert.equal(o.quick, true);
    assert.equal(o.runs, 3);
    assert.equal(o.pin, false);
  });
  await t.step("--only keeps the run order and drops repeats", () => {
    const o = parseControllersBenchArgs([
      "--only",
      "rss-10k, deployment-1000-update,rss-10k",
    ]);
    assert.deepEqual(o.only, ["deployment-1000-update", "rss-10k"]);
  });
  await t.step("--cpu-profile-dir, --floor-concurrency, --kubelet-connections", () => {
    const o = parseControllersBenchArgs([
      "--cpu-profile-dir",
      "/tmp/p",
      "--floor-concurrency",
      "16",
      "--kubelet-connections",
      "32",
      "--manager-log-level",
      "info",
      "--progress",
    ]);
    assert.equal(o.cpuProfileDir, "/tmp/p");
    assert.equal(o.floorConcurrency, 16);
    assert.equal(o.kubeletConnections, 32);
    assert.equal(o.managerLogLevel, "info");
    assert.equal(o.progress, true);
  });
});

Deno.test("parseControllersBenchArgs() throws a RangeError for a bad value", async (t) => {
  const cases: [string, string[], RegExp][] = [
    ["unknown scenario", ["--only", "statefulsets"], /Cannot run scenario "statefulsets"/],
    ["empty --only", ["--only", " , "], /Cannot run no scenario/],
    ["zero runs", ["--runs", "0"], /Cannot use --runs "0": expected a positive integer/],
    ["fractional runs", ["--runs", "1.5"], /Cannot use --runs "1.5"/],
    ["bad pin", ["--pin", "maybe"], /Cannot use --pin "maybe"/],
    ["bad concurrency", ["--floor-concurrency", "x"], /Cannot use --floor-concurrency "x"/],
    ["bad log level", ["--manager-log-level", "debug"], /Cannot use --manager-log-level/],
  ];
  for (const [name, args, message] of cases) {
    await t.step(name, () => {
      assert.throws(() => parseControllersBenchArgs(args), (err: unknown) => {
        assert.ok(err instanceof RangeError);
        assert.match(err.message, message);
        return true;
      });
    });
  }
});

function deployment(
  status: NonNullable<DeploymentLike["status"]>,
  spec: { generation?: number; replicas?: number } = {},
): DeploymentLike {
  return {
    metadata: { name: "web", generation: spec.generation ?? 2 },
    spec: { replicas: spec.replicas ?? 10 },
    status,
  };
}

Deno.test("deploymentRolloutStatus() decides as kubectl rollout status", async (t) => {
  const cases: [string, DeploymentLike, boolean, boolean, string][] = [
    [
      "a generation not observed yet",
      deployment({
        observedGeneration: 1,
        replicas: 10,
        updatedReplicas: 10,
        availableReplicas: 10,
      }),
      false,
      false,
      "Waiting for deployment spec update to be observed...",
    ],
    [
      "no status at all",
      { metadata: { name: "web", generation: 1 }, spec: { replicas: 3 } },
      false,
      false,
      "Waiting for deployment spec update to be observed...",
    ],
    [
      "too few updated replicas",
      deployment({ observedGeneration: 2, replicas: 12, updatedReplicas: 4, availableReplicas: 9 }),
      false,
      false,
      'Waiting for deployment "web" rollout to finish: 4 out of 10 new replicas have been updated...',
    ],
    [
      "old replicas left",
      deployment({
        observedGeneration: 2,
        replicas: 12,
        updatedReplicas: 10,
        availableReplicas: 10,
      }),
      false,
      false,
      'Waiting for deployment "web" rollout to finish: 2 old replicas are pending termination...',
    ],
    [
      "updated replicas not all available",
      deployment({
        observedGeneration: 2,
        replicas: 10,
        updatedReplicas: 10,
        availableReplicas: 7,
      }),
      false,
      false,
      'Waiting for deployment "web" rollout to finish: 7 of 10 updated replicas are available...',
    ],
    [
      "complete",
      deployment({
        observedGeneration: 2,
        replicas: 10,
        updatedReplicas: 10,
        availableReplicas: 10,
      }),
      true,
      false,
      'deployment "web" successfully rolled out',
    ],
    [
      "complete, observed a later generation",
      deployment({
        observedGeneration: 3,
        replicas: 10,
        updatedReplicas: 10,
        availableReplicas: 10,
      }),
      true,
      false,
      'deployment "web" successfully rolled out',
    ],
    [
      "scaled to zero",
      deployment({ observedGeneration: 2 }, { replicas: 0 }),
      true,
      false,
      'deployment "web" successfully rolled out',
    ],
    [
      "past its progress deadline",
      deployment({
        observedGeneration: 2,
        replicas: 10,
        updatedReplicas: 5,
        conditions: [{ type: "Progressing", reason: "ProgressDeadlineExceeded" }],
      }),
      false,
      true,
      'deployment "web" exceeded its progress deadline',
    ],
  ];
  for (const [name, d, done, failed, message] of cases) {
    await t.step(name, () => {
      assert.deepEqual(deploymentRolloutStatus(d), { done, failed, message });
    });
  }
});
