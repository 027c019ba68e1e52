import assert from "node:assert/strict";
import {
  DEFAULT_EVICTION_HARD,
  parseEvictionThresholds,
  PressureTracker,
  thresholdMet,
  thresholdValue,
} from "./eviction_thresholds.ts";
import type { MachineStats } from "./machine_info.ts";

const MiB = 1024 ** 2;

function stats(over: Partial<MachineStats> = {}): MachineStats {
  const fs = { capacityBytes: 1000, availableBytes: 500, inodes: 1000, inodesFree: 500 };
  return {
    memoryCapacityBytes: 1024 * MiB,
    memoryAvailableBytes: 512 * MiB,
    nodefs: fs,
    imagefs: fs,
    maxPID: 1000,
    processes: 100,
    ...over,
  };
}

Deno.test("parseEvictionThresholds() reads upstream's defaults", () => {
  assert.deepEqual(parseEvictionThresholds(DEFAULT_EVICTION_HARD), [
    { signal: "memory.available", quantity: "100Mi" },
    { signal: "nodefs.available", fraction: 0.1 },
    { signal: "nodefs.inodesFree", fraction: 0.05 },
    { signal: "imagefs.available", fraction: 0.15 },
    { signal: "imagefs.inodesFree", fraction: 0.05 },
  ]);
  assert.deepEqual(parseEvictionThresholds(" pid.available < 1k , "), [
    { signal: "pid.available", quantity: "1k" },
  ]);
  assert.deepEqual(parseEvictionThresholds(""), []);
});

Deno.test("parseEvictionThresholds() throws SyntaxError for bad thresholds", async (t) => {
  const cases: [string, string][] = [
    [
      "memory.available>1Gi",
      'Cannot parse eviction threshold "memory.available>1Gi": expected signal<value',
    ],
    [
      "swap.available<1Gi",
      'Cannot parse eviction threshold "swap.available<1Gi": unknown signal "swap.available"',
    ],
    [
      "nodefs.available<0%",
      'Cannot parse eviction threshold "nodefs.available<0%": percentage must be in (0, 100]',
    ],
    [
      "nodefs.available<101%",
      'Cannot parse eviction threshold "nodefs.available<101%": percentage must be in (0, 100]',
    ],
    [
      "memory.available<1.2.3",
      'Cannot parse eviction threshold "memory.available<1.2.3": bad quantity',
    ],
    [
      "memory.available<-1Mi",
      'Cannot parse eviction threshold "memory.available<-1Mi": value must not be negative',
    ],
  ];
  for (const [text, message] of cases) {
    await t.step(
      text,
      () => assert.throws(() => parseEvictionThresholds(text), { name: "SyntaxError", message }),
    );
  }
});

Deno.test("thresholdValue() takes a quantity or truncates a fraction of the capacity", () => {
  assert.equal(
    thresholdValue({ signal: "memory.available", quantity: "100Mi" }, 0n),
    100n * 1024n * 1024n,
  );
  assert.equal(thresholdValue({ signal: "nodefs.available", fraction: 0.1 }, 1005n), 100n);
});

Deno.test("thresholdMet() compares what is left with the threshold", async (t) => {
  const cases: [string, string, Partial<MachineStats>, boolean][] = [
    ["memory above", "memory.available<100Mi", { memoryAvailableBytes: 101 * MiB }, false],
    ["memory at", "memory.available<100Mi", { memoryAvailableBytes: 100 * MiB }, false],
    ["memory below", "memory.available<100Mi", { memoryAvailableBytes: 100 * MiB - 1 }, true],
    ["nodefs below 10%", "nodefs.available<10%", {
      nodefs: { capacityBytes: 1000, availableBytes: 99, inodes: 10, inodesFree: 10 },
    }, true],
    ["imagefs inodes, none at all", "imagefs.inodesFree<5%", {
      imagefs: { capacityBytes: 1000, availableBytes: 99, inodes: 0, inodesFree: 0 },
    }, false],
    ["pids", "pid.available<10%", { processes: 901 }, true],
  ];
  for (const [name, text, over, want] of cases) {
    await t.step(
      name,
      () => assert.equal(thresholdMet(parseEvictionThresholds(text)[0]!, stats(over)), want),
    );
  }
});

Deno.test("PressureTracker holds pressure for the transition period after the last crossing", () => {
  const tracker = new PressureTracker({
    thresholds: parseEvictionThresholds(
      "memory.available<100Mi,nodefs.available<10%,pid.available<100",
    ),
    transitionPeriodMs: 300_000,
  });
  const none = { memory: false, disk: false, pid: false };
  assert.deepEqual(tracker.observe(stats(), 0), none);
  const low = stats({ memoryAvailableBytes: MiB, processes: 950 });
  assert.deepEqual(tracker.observe(low, 10_000), { memory: true, disk: false, pid: true });
  assert.deepEqual(tracker.observe(stats(), 20_000), { memory: true, disk: false, pid: true });
  assert.deepEqual(tracker.observe(stats(), 309_999), { memory: true, disk: false, pid: true });
  assert.deepEqual(tracker.observe(stats(), 310_000), none);
  const full = stats({
    nodefs: { capacityBytes: 1000, availableBytes: 1, inodes: 1, inodesFree: 1 },
  });
  assert.deepEqual(tracker.observe(full, 320_000), { memory: false, disk: true, pid: false });
});
