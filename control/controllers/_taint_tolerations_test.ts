import assert from "node:assert/strict";
import type { Toleration } from "../api/types/core_v1_common.ts";
import { matchingTolerations, minTolerationMs, toleratesTaint } from "./_taint_tolerations.ts";

const UNREACHABLE = { key: "node.kubernetes.io/unreachable", effect: "NoExecute" as const };
const NOT_READY = { key: "node.kubernetes.io/not-ready", effect: "NoExecute" as const };

Deno.test("toleratesTaint() matches key, value, effect and operator as upstream", async (t) => {
  const cases: {
    name: string;
    toleration: Toleration;
    taint: typeof UNREACHABLE & { value?: string };
    want: boolean;
  }[] = [
    {
      name: "Exists on the key",
      toleration: { key: UNREACHABLE.key, operator: "Exists" },
      taint: UNREACHABLE,
      want: true,
    },
    {
      name: "empty key with Exists matches all",
      toleration: { operator: "Exists" },
      taint: NOT_READY,
      want: true,
    },
    {
      name: "other key",
      toleration: { key: "x", operator: "Exists" },
      taint: UNREACHABLE,
      want: false,
    },
    {
      name: "other effect",
      toleration: { key: UNREACHABLE.key, operator: "Exists", effect: "NoSchedule" },
      taint: UNREACHABLE,
      want: false,
    },
    {
      name: "Equal needs the same value",
      toleration: { key: "k", value: "a" },
      taint: { key: "k", effect: "NoExecute", value: "b" } as typeof UNREACHABLE,
      want: false,
    },
    {
      name: "Equal with the same value",
      toleration: { key: "k", operator: "Equal", value: "a" },
      taint: { key: "k", effect: "NoExecute", value: "a" } as typeof UNREACHABLE,
      want: true,
    },
    {
      name: "unknown operator matches nothing",
      toleration: { key: UNREACHABLE.key, operator: "Gt" },
      taint: UNREACHABLE,
      want: false,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.equal(toleratesTaint(c.toleration, c.taint), c.want));
  }
});

Deno.test("matchingTolerations() needs every taint tolerated and reports the tolerations used", () => {
  const forUnreachable: Toleration = {
    key: UNREACHABLE.key,
    operator: "Exists",
    tolerationSeconds: 300,
  };
  const other: Toleration = { key: "gpu", operator: "Exists" };
  assert.deepEqual(matchingTolerations([UNREACHABLE, NOT_READY], [forUnreachable]), {
    allTolerated: false,
    used: [],
  });
  assert.deepEqual(matchingTolerations([UNREACHABLE], [forUnreachable, other]), {
    allTolerated: true,
    used: [forUnreachable],
  });
  const all: Toleration = { operator: "Exists" };
  assert.deepEqual(matchingTolerations([UNREACHABLE, NOT_READY], [all]).used, [all]);
});

Deno.test("minTolerationMs() is the smallest tolerationSeconds, 0 for none or <= 0, -1 forever", async (t) => {
  const cases: { name: string; tolerations: Toleration[]; want: number }[] = [
    { name: "no tolerations", tolerations: [], want: 0 },
    { name: "forever", tolerations: [{ operator: "Exists" }], want: -1 },
    {
      name: "smallest",
      tolerations: [{ tolerationSeconds: 300 }, { tolerationSeconds: 60 }, { operator: "Exists" }],
      want: 60_000,
    },
    { name: "zero", tolerations: [{ tolerationSeconds: 300 }, { tolerationSeconds: 0 }], want: 0 },
    { name: "negative", tolerations: [{ tolerationSeconds: -5 }], want: 0 },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.equal(minTolerationMs(c.tolerations), c.want));
  }
});
