import assert from "node:assert/strict";
import type { DaemonSet } from "../api/types/apps_v1.ts";
import type { Pod } from "../api/types/core_v1_pod.ts";
import {
  allowsSurge,
  compareDaemonPods,
  daemonPodTemplate,
  isPodUpdated,
  REVISION_HASH_LABEL,
  scaledValueRoundUp,
  surgeCount,
  TEMPLATE_GENERATION_LABEL,
  templateGeneration,
  unavailableCount,
} from "./_daemon_set_pods.ts";

function ds(
  init: {
    annotations?: Record<string, string>;
    strategy?: NonNullable<DaemonSet["spec"]>["updateStrategy"];
  } = {},
): DaemonSet {
  const { annotations = {}, strategy } = init;
  return {
    metadata: { name: "d", annotations },
    spec: {
      selector: { matchLabels: { a: "b" } },
      template: { metadata: { labels: { a: "b" } }, spec: { containers: [] } },
      ...(strategy ? { updateStrategy: strategy } : {}),
    },
  };
}

Deno.test("templateGeneration() reads the annotation as Go parses an int64", async (t) => {
  const cases: [string | undefined, string | undefined][] = [
    [undefined, undefined],
    ["3", "3"],
    ["007", "7"],
    ["x", undefined],
  ];
  for (const [raw, want] of cases) {
    await t.step(String(raw), () => {
      const annotations: Record<string, string> = raw === undefined
        ? {}
        : { "deprecated.daemonset.template.generation": raw };
      assert.equal(templateGeneration(ds({ annotations })), want);
    });
  }
});

Deno.test("daemonPodTemplate() labels the template and adds tolerations, leaving the input", () => {
  const source = ds().spec!.template;
  const out = daemonPodTemplate(source, { generation: "4", hash: "abc" });
  assert.deepEqual(out.metadata!.labels, {
    a: "b",
    [TEMPLATE_GENERATION_LABEL]: "4",
    [REVISION_HASH_LABEL]: "abc",
  });
  assert.equal(out.spec!.tolerations!.length, 6);
  assert.deepEqual(source.metadata!.labels, { a: "b" });
  assert.equal(source.spec!.tolerations, undefined);
  const bare = daemonPodTemplate(source, { hash: "" });
  assert.deepEqual(bare.metadata!.labels, { a: "b" });
});

Deno.test("isPodUpdated() matches the hash or the template generation", async (t) => {
  const pod = (labels: Record<string, string>): Pod => ({ metadata: { labels } });
  const cases: { name: string; labels: Record<string, string>; want: boolean }[] = [
    { name: "hash", labels: { [REVISION_HASH_LABEL]: "h" }, want: true },
    { name: "generation", labels: { [TEMPLATE_GENERATION_LABEL]: "2" }, want: true },
    {
      name: "neither",
      labels: { [REVISION_HASH_LABEL]: "old", [TEMPLATE_GENERATION_LABEL]: "1" },
      want: false,
    },
  ];
  for (const c of cases) {
    await t.step(
      c.name,
      () => assert.equal(isPodUpdated(pod(c.labels), { hash: "h", generation: "2" }), c.want),
    );
  }
  await t.step("no hash and no generation match nothing", () => {
    assert.equal(isPodUpdated(pod({ [REVISION_HASH_LABEL]: "" }), { hash: "" }), false);
  });
});

Deno.test("compareDaemonPods() puts bound pods first, then the oldest, then by name", () => {
  const pod = (name: string, created: string, nodeName?: string): Pod => ({
    metadata: { name, creationTimestamp: created },
    spec: { containers: [], ...(nodeName ? { nodeName } : {}) },
  });
  const pods = [
    pod("d", "2025-01-01T00:00:00Z"),
    pod("c", "2025-01-01T00:00:05Z", "n"),
    pod("b", "2025-01-01T00:00:01Z", "n"),
    pod("a", "2025-01-01T00:00:01Z", "n"),
  ];
  assert.deepEqual(pods.sort(compareDaemonPods).map((p) => p.metadata!.name), ["a", "b", "c", "d"]);
});

Deno.test("surgeCount() and unavailableCount() scale percentages up, only for RollingUpdate", async (t) => {
  const rolling = (maxUnavailable: number | string, maxSurge: number | string) =>
    ds({ strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable, maxSurge } } });
  const cases: { name: string; set: DaemonSet; desired: number; want: [number, number] }[] = [
    { name: "integers", set: rolling(2, 0), desired: 10, want: [2, 0] },
    { name: "percent rounds up", set: rolling("25%", 0), desired: 10, want: [3, 0] },
    { name: "surge percent", set: rolling(0, "10%"), desired: 15, want: [0, 2] },
    { name: "OnDelete", set: ds({ strategy: { type: "OnDelete" } }), desired: 10, want: [0, 0] },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.deepEqual([unavailableCount(c.set, c.desired), surgeCount(c.set, c.desired)], c.want);
    });
  }
  await t.step("allowsSurge", () => {
    assert.equal(allowsSurge(rolling(0, "1%")), true);
    assert.equal(allowsSurge(rolling(1, 0)), false);
  });
  await t.step("a bad value", () => {
    assert.throws(() => scaledValueRoundUp("ten", 3), {
      name: "TypeError",
      message: "invalid value for IntOrString: invalid type: string is not a percentage",
    });
  });
});
