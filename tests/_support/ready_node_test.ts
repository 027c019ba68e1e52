import assert from "node:assert/strict";
import { readyNode } from "./ready_node.ts";

Deno.test("readyNode() is a Ready node labelled with its hostname, tainted when asked", async (t) => {
  await t.step("plain", () => {
    const node = readyNode("edge-1");
    assert.deepEqual(node.metadata?.labels, { "kubernetes.io/hostname": "edge-1" });
    assert.equal(node.spec, undefined);
    assert.deepEqual(node.status?.allocatable, { cpu: "4", memory: "8Gi", pods: "110" });
    assert.deepEqual(node.status?.capacity, node.status?.allocatable);
    assert.deepEqual(node.status?.conditions, [
      { type: "Ready", status: "True", reason: "KubeletReady" },
    ]);
  });
  await t.step("labels and taints", () => {
    const taints = [{ key: "dedicated", value: "db", effect: "NoSchedule" as const }];
    const node = readyNode("edge-2", { labels: { zone: "a" }, taints });
    assert.deepEqual(node.metadata?.labels, { "kubernetes.io/hostname": "edge-2", zone: "a" });
    assert.deepEqual(node.spec, { taints });
    assert.notEqual(node.spec?.taints, taints, "a copy");
  });
});
