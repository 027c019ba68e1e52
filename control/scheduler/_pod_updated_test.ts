import assert from "node:assert/strict";
import type { Pod } from "../api/types/core_v1_pod.ts";
import { isPodUpdated, jsonEqual } from "./_pod_updated.ts";

const base: Pod = {
  metadata: {
    name: "web",
    namespace: "default",
    uid: "u1",
    resourceVersion: "1",
    labels: { a: "1" },
  },
  spec: { containers: [{ name: "c", image: "busybox" }] },
  status: { phase: "Pending" },
};

Deno.test("isPodUpdated() ignores status and bookkeeping metadata only", async (t) => {
  const cases: { name: string; next: Pod; want: boolean }[] = [
    { name: "the same pod", next: structuredClone(base), want: false },
    {
      name: "a new resourceVersion, generation, finalizers and managedFields",
      next: {
        ...base,
        metadata: {
          ...base.metadata,
          resourceVersion: "2",
          generation: 3,
          finalizers: ["x"],
          managedFields: [{ manager: "kubectl" }],
        },
      },
      want: false,
    },
    {
      name: "a status change",
      next: {
        ...base,
        status: { phase: "Pending", conditions: [{ type: "PodScheduled", status: "False" }] },
      },
      want: false,
    },
    {
      name: "a label change",
      next: { ...base, metadata: { ...base.metadata, labels: { a: "2" } } },
      want: true,
    },
    {
      name: "a spec change",
      next: { ...base, spec: { ...base.spec!, nodeSelector: { zone: "a" } } },
      want: true,
    },
    {
      name: "resource claim statuses",
      next: { ...base, status: { ...base.status, resourceClaimStatuses: [{ name: "gpu" }] } },
      want: true,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.equal(isPodUpdated(base, c.next), c.want));
  }
  await t.step("without an old pod", () => assert.equal(isPodUpdated(undefined, base), true));
});

Deno.test("jsonEqual() compares members, ignoring undefined ones", async (t) => {
  const cases: { name: string; a: unknown; b: unknown; want: boolean }[] = [
    { name: "scalars", a: 1, b: 1, want: true },
    { name: "different scalars", a: "1", b: 1, want: false },
    { name: "undefined members", a: { x: 1, y: undefined }, b: { x: 1 }, want: true },
    { name: "arrays in order", a: [1, [2]], b: [1, [2]], want: true },
    { name: "arrays out of order", a: [1, 2], b: [2, 1], want: false },
    { name: "array and object", a: [], b: {}, want: false },
    { name: "null and object", a: null, b: {}, want: false },
  ];
  for (const c of cases) await t.step(c.name, () => assert.equal(jsonEqual(c.a, c.b), c.want));
});
