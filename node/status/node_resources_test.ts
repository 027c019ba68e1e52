import assert from "node:assert/strict";
import { parseEvictionThresholds } from "./eviction_thresholds.ts";
import { readMachineInfo } from "./machine_info.ts";
import {
  allocatableReservation,
  hugePageResourceName,
  nodeAllocatable,
  nodeCapacity,
} from "./node_resources.ts";
import { FixtureHost } from "./_test_host.ts";

Deno.test("hugePageResourceName() names page sizes as upstream", () => {
  assert.deepEqual([2048, 1048576, 64].map(hugePageResourceName), [
    "hugepages-2Mi",
    "hugepages-1Gi",
    "hugepages-64Ki",
  ]);
});

Deno.test("nodeCapacity() reports what the machine has, in canonical quantities", async () => {
  const host = new FixtureHost();
  host.files.set("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "8\n");
  const info = await readMachineInfo(host, { rootDir: "/var/lib/skiff" });
  assert.deepEqual(nodeCapacity(info), {
    cpu: "4",
    "ephemeral-storage": "32Gi",
    memory: "4Gi",
    pods: "110",
    "hugepages-2Mi": "16Mi",
    "hugepages-1Gi": "0",
  });
  assert.equal(nodeCapacity(info, { maxPods: 16 }).pods, "16");
  // Not a multiple of 1024: printed as a decimal quantity, as Go does.
  assert.equal(nodeCapacity({ ...info, memoryCapacityBytes: 1000 }).memory, "1k");
  assert.throws(() => nodeCapacity(info, { maxPods: -1 }), {
    name: "RangeError",
    message: "Cannot use max pods -1: expected a whole number >= 0",
  });
});

Deno.test("allocatableReservation() sums reserved resources and hard eviction thresholds", () => {
  const capacity = { cpu: "4", memory: "4Gi", "ephemeral-storage": "1000", pods: "110" };
  assert.deepEqual(
    allocatableReservation(capacity, {
      kubeReserved: { cpu: "100m", memory: "100Mi" },
      systemReserved: { cpu: "0.2", memory: "1Gi" },
      evictionHard: parseEvictionThresholds(
        "memory.available<100Mi,nodefs.available<10%,nodefs.inodesFree<5%",
      ),
    }),
    { cpu: "300m", memory: "1224Mi", "ephemeral-storage": "100" },
  );
  assert.deepEqual(allocatableReservation(capacity, {}), {});
});

Deno.test("nodeAllocatable() subtracts the reservation and huge pages, never below zero", async (t) => {
  await t.step("plain", () => {
    assert.deepEqual(
      nodeAllocatable(
        { cpu: "4", memory: "4Gi", "ephemeral-storage": "32Gi", pods: "110" },
        { cpu: "100m", memory: "100Mi", "ephemeral-storage": "3435973836" },
      ),
      { cpu: "3900m", memory: "3996Mi", "ephemeral-storage": "30923764532", pods: "110" },
    );
  });
  await t.step("huge pages come out of memory", () => {
    assert.deepEqual(
      nodeAllocatable({ memory: "1Gi", "hugepages-2Mi": "512Mi" }, { memory: "100Mi" }),
      { memory: "412Mi", "hugepages-2Mi": "512Mi" },
    );
  });
  await t.step("floored at zero", () => {
    assert.deepEqual(
      nodeAllocatable({ cpu: "1", memory: "1Gi", "hugepages-1Gi": "2Gi" }, { cpu: "2" }),
      { cpu: "0", memory: "0", "hugepages-1Gi": "2Gi" },
    );
  });
});
