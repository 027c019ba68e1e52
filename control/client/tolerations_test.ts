import assert from "node:assert/strict";
import type { Taint, Toleration } from "../api/types/core_v1_common.ts";
import {
  findUntoleratedTaint,
  matchingTolerations,
  toleratesTaint,
  tolerationsTolerateTaint,
} from "./tolerations.ts";

Deno.test("toleratesTaint() matches key, value, effect and operator as upstream", async (t) => {
  const taint: Taint = { key: "dedicated", value: "gpu", effect: "NoSchedule" };
  const cases: { name: string; toleration: Toleration; want: boolean }[] = [
    {
      name: "Equal with the same value",
      toleration: { key: "dedicated", operator: "Equal", value: "gpu" },
      want: true,
    },
    {
      name: "empty operator means Equal",
      toleration: { key: "dedicated", value: "gpu" },
      want: true,
    },
    {
      name: "Equal with another value",
      toleration: { key: "dedicated", value: "cpu" },
      want: false,
    },
    {
      name: "Exists ignores the value",
      toleration: { key: "dedicated", operator: "Exists" },
      want: true,
    },
    {
      name: "empty key with Exists tolerates everything",
      toleration: { operator: "Exists" },
      want: true,
    },
    { name: "another key", toleration: { key: "other", operator: "Exists" }, want: false },
    {
      name: "the same effect",
      toleration: { key: "dedicated", operator: "Exists", effect: "NoSchedule" },
      want: true,
    },
    {
      name: "another effect",
      toleration: { key: "dedicated", operator: "Exists", effect: "NoExecute" },
      want: false,
    },
    {
      name: "an unknown operator",
      toleration: { key: "dedicated", operator: "Gt", value: "gpu" },
      want: false,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.equal(toleratesTaint(c.toleration, taint), c.want));
  }
});

Deno.test("findUntoleratedTaint() returns the first NoSchedule/NoExecute taint not tolerated", () => {
  const taints: Taint[] = [
    { key: "soft", effect: "PreferNoSchedule" },
    { key: "a", value: "1", effect: "NoSchedule" },
    { key: "b", effect: "NoExecute" },
  ];
  assert.equal(findUntoleratedTaint(taints, [])?.key, "a");
  assert.equal(findUntoleratedTaint(taints, [{ key: "a", operator: "Exists" }])?.key, "b");
  assert.equal(findUntoleratedTaint(taints, [{ operator: "Exists" }]), undefined);
  assert.equal(findUntoleratedTaint(undefined, undefined), undefined);
  assert.ok(!tolerationsTolerateTaint(undefined, taints[1]!));
});

Deno.test("matchingTolerations() needs every taint tolerated and reports the tolerations used", () => {
  const unreachable = { key: "node.kubernetes.io/unreachable", effect: "NoExecute" as const };
  const notReady = { key: "node.kubernetes.io/not-ready", effect: "NoExecute" as const };
  const forUnreachable: Toleration = {
    key: unreachable.key,
    operator: "Exists",
    tolerationSeconds: 300,
  };
  const other: Toleration = { key: "gpu", operator: "Exists" };
  assert.deepEqual(matchingTolerations([unreachable, notReady], [forUnreachable]), {
    allTolerated: false,
    used: [],
  });
  assert.deepEqual(matchingTolerations([unreachable], [forUnreachable, other]), {
    allTolerated: true,
    used: [forUnreachable],
  });
  const all: Toleration = { operator: "Exists" };
  assert.deepEqual(matchingTolerations([unreachable, notReady], [all]).used, [all, all]);
  assert.deepEqual(matchingTolerations([], undefined), { allTolerated: true, used: [] });
  const shorter: Toleration = { ...forUnreachable, tolerationSeconds: 60 };
  assert.deepEqual(
    matchingTolerations([unreachable], [forUnreachable, shorter]).used,
    [forUnreachable],
    "only the first toleration of a taint counts",
  );
});
