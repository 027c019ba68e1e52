import assert from "node:assert/strict";
import type { Container, Pod } from "../../control/api/types/core_v1_pod.ts";
import {
  hugepageLimits,
  hugePageUnitSize,
  linuxResources,
  milliCpuToQuota,
  milliCpuToShares,
  oomScoreAdjust,
} from "./_container_resources.ts";

const GiB = 1n << 30n;

function podOf(containers: Container[], extra: Partial<NonNullable<Pod["spec"]>> = {}): Pod {
  return { metadata: { name: "p", namespace: "d", uid: "u" }, spec: { containers, ...extra } };
}

Deno.test("milliCpuToShares() scales 1024 per CPU within [2, 262144]", async (t) => {
  const cases: [bigint, bigint][] = [[0n, 2n], [1n, 2n], [100n, 102n], [1000n, 1024n], [
    500000n,
    262144n,
  ]];
  for (const [m, want] of cases) {
    await t.step(`${m}m`, () => assert.equal(milliCpuToShares(m), want));
  }
});

Deno.test("milliCpuToQuota() scales the period, at least 1ms", async (t) => {
  const cases: [bigint, bigint][] = [[0n, 0n], [1n, 1000n], [250n, 25000n], [2000n, 200000n]];
  for (const [m, want] of cases) {
    await t.step(`${m}m`, () => assert.equal(milliCpuToQuota(m, 100000n), want));
  }
});

Deno.test("oomScoreAdjust() follows the QoS class", async (t) => {
  const guaranteed: Container = {
    name: "g",
    resources: { limits: { cpu: "1", memory: "1Gi" }, requests: { cpu: "1", memory: "1Gi" } },
  };
  const burst = (mem: string): Container => ({
    name: "b",
    resources: { requests: { memory: mem } },
  });
  const cases: { name: string; pod: Pod; container: Container; want: number }[] = [
    { name: "Guaranteed", pod: podOf([guaranteed]), container: guaranteed, want: -997 },
    { name: "BestEffort", pod: podOf([{ name: "e" }]), container: { name: "e" }, want: 1000 },
    { name: "Burstable 10%", pod: podOf([burst("1Gi")]), container: burst("1Gi"), want: 900 },
    { name: "Burstable tiny request", pod: podOf([burst("1")]), container: burst("1"), want: 999 },
    {
      name: "Burstable all memory",
      pod: podOf([burst("10Gi")]),
      container: burst("10Gi"),
      want: 3,
    },
    {
      name: "Burstable without memory request",
      pod: podOf([{ name: "c", resources: { requests: { cpu: "1" } } }]),
      container: { name: "c", resources: { requests: { cpu: "1" } } },
      want: 999,
    },
    {
      name: "node-critical",
      pod: podOf([{ name: "e" }], {
        priority: 2000001000,
        priorityClassName: "system-node-critical",
      }),
      container: { name: "e" },
      want: -997,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.equal(
        oomScoreAdjust(c.pod, { container: c.container, memoryCapacityBytes: 10n * GiB }),
        c.want,
      );
    });
  }
  await t.step("sidecar no higher than the smallest regular request", () => {
    const sidecar: Container = {
      name: "s",
      restartPolicy: "Always",
      resources: { requests: { memory: "1" } },
    };
    const p = podOf([burst("5Gi")], { initContainers: [sidecar] });
    assert.equal(oomScoreAdjust(p, { container: sidecar, memoryCapacityBytes: 10n * GiB }), 500);
  });
});

Deno.test("linuxResources() builds shares, quota, memory and OOM score", async (t) => {
  const cases: { name: string; container: Container; cgroupV2?: boolean; want: unknown }[] = [
    {
      name: "nothing set",
      container: { name: "c" },
      want: { cpuShares: 2, cpuQuota: 0, cpuPeriod: 100000, oomScoreAdj: 1000 },
    },
    {
      name: "request and limit",
      container: {
        name: "c",
        resources: {
          requests: { cpu: "250m", memory: "128Mi" },
          limits: { cpu: "500m", memory: "256Mi" },
        },
      },
      cgroupV2: true,
      want: {
        cpuShares: 256,
        memoryLimitInBytes: 268435456,
        cpuQuota: 50000,
        cpuPeriod: 100000,
        oomScoreAdj: 988,
        unified: { "memory.oom.group": "1" },
      },
    },
    {
      name: "limit only: shares from the limit",
      container: { name: "c", resources: { limits: { cpu: "2" } } },
      want: { cpuShares: 2048, cpuQuota: 200000, cpuPeriod: 100000, oomScoreAdj: 999 },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const got = linuxResources(podOf([c.container]), {
        container: c.container,
        memoryCapacityBytes: 10n * GiB,
        ...(c.cgroupV2 ? { cgroupV2: true } : {}),
      });
      assert.deepEqual(got, c.want);
    });
  }
  await t.step("no CFS quota", () => {
    const c: Container = { name: "c", resources: { limits: { cpu: "1" } } };
    const got = linuxResources(podOf([c]), {
      container: c,
      memoryCapacityBytes: GiB,
      cpuCfsQuota: false,
    });
    assert.equal(got.cpuQuota, undefined);
    assert.equal(got.cpuPeriod, undefined);
  });
});

Deno.test("hugePageUnitSize() names page sizes in 1024-based units", async (t) => {
  const cases: [bigint, string][] = [[4096n, "4KB"], [2n << 20n, "2MB"], [1n << 30n, "1GB"], [
    1000n,
    "1000B",
  ]];
  for (const [n, want] of cases) await t.step(want, () => assert.equal(hugePageUnitSize(n), want));
});

Deno.test("hugepageLimits() lists every host page size, 0 unless limited", () => {
  const c: Container = {
    name: "c",
    resources: { limits: { "hugepages-2Mi": "100Mi", memory: "1Gi" } },
  };
  assert.deepEqual(hugepageLimits(c, ["2MB", "1GB"]), [
    { pageSize: "2MB", limit: 104857600 },
    { pageSize: "1GB", limit: 0 },
  ]);
  const got = linuxResources(podOf([c]), {
    container: c,
    memoryCapacityBytes: GiB,
    hugePageSizes: ["2MB"],
  });
  assert.deepEqual(got.hugepageLimits, [{ pageSize: "2MB", limit: 104857600 }]);
});
