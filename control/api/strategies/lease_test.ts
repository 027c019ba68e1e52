import assert from "node:assert/strict";
import type { KubeObject } from "../types/meta_v1.ts";
import { createLeaseStrategy, leaseStrategy, validateLeaseSpec } from "./lease.ts";

function lease(spec: Record<string, unknown>): KubeObject {
  return { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name: "l" }, spec };
}

Deno.test("validateLeaseSpec() reports upstream's messages", async (t) => {
  const cases: { name: string; spec: Record<string, unknown>; want: string[] }[] = [
    { name: "a valid lease", spec: { holderIdentity: "a", leaseDurationSeconds: 15 }, want: [] },
    {
      name: "a zero duration",
      spec: { leaseDurationSeconds: 0 },
      want: ["spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0"],
    },
    {
      name: "negative transitions",
      spec: { leaseTransitions: -1 },
      want: ["spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0"],
    },
    {
      name: "an unknown strategy",
      spec: { strategy: "Newest" },
      want: [
        'spec.strategy.strategy: Unsupported value: "Newest": supported values: "OldestEmulationVersion"',
      ],
    },
    { name: "a domain-prefixed strategy", spec: { strategy: "example.com/mine" }, want: [] },
    {
      name: "a preferred holder without strategy",
      spec: { preferredHolder: "b" },
      want: ["spec.preferredHolder: Forbidden: may only be specified if `strategy` is defined"],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.deepEqual(validateLeaseSpec(c.spec).map(String), c.want);
    });
  }
});

Deno.test("leaseStrategy drops coordinated-election fields while the gate is off", () => {
  const obj = lease({
    holderIdentity: "a",
    strategy: "OldestEmulationVersion",
    preferredHolder: "b",
  });
  leaseStrategy.prepareForCreate!(obj);
  assert.deepEqual(obj.spec, { holderIdentity: "a" });

  const old = lease({ strategy: "OldestEmulationVersion" });
  const kept = lease({ strategy: "OldestEmulationVersion", preferredHolder: "b" });
  leaseStrategy.prepareForUpdate!(kept, old);
  assert.deepEqual(kept.spec, { strategy: "OldestEmulationVersion", preferredHolder: "b" });
});

Deno.test("createLeaseStrategy() keeps the fields with the gate on", () => {
  const s = createLeaseStrategy({ coordinatedLeaderElection: true });
  const obj = lease({ strategy: "OldestEmulationVersion" });
  s.prepareForCreate!(obj);
  assert.deepEqual(obj.spec, { strategy: "OldestEmulationVersion" });
  assert.equal(s.nameRule, "subdomain");
  assert.deepEqual(s.validate!(obj), []);
});
