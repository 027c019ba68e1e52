import assert from "node:assert/strict";
import { type BenchPod, isReady, type KubeletAction, kubeletAction } from "./_bench_kubelet.ts";

function pod(
  parts: {
    nodeName?: string;
    deleting?: boolean;
    phase?: string;
    podIP?: string;
    ready?: "True" | "False";
  } = {},
): BenchPod {
  return {
    metadata: {
      name: "p",
      namespace: "bench",
      uid: "u1",
      ...(parts.deleting ? { deletionTimestamp: "2025-01-01T00:00:00Z" } : {}),
    },
    spec: { ...(parts.nodeName ? { nodeName: parts.nodeName } : {}), containers: [{ name: "c" }] },
    status: {
      ...(parts.phase ? { phase: parts.phase } : {}),
      ...(parts.podIP ? { podIP: parts.podIP } : {}),
      ...(parts.ready ? { conditions: [{ type: "Ready", status: parts.ready }] } : {}),
    },
  };
}

Deno.test("kubeletAction() picks the kubelet's next step for a pod", async (t) => {
  const cases: [string, BenchPod, KubeletAction][] = [
    ["an unbound pod is bound", pod(), "bind"],
    ["an unbound pod being deleted is left to the API", pod({ deleting: true }), null],
    ["a bound pod without status is readied", pod({ nodeName: "n" }), "ready"],
    [
      "a Running pod that is not Ready is readied",
      pod({ nodeName: "n", phase: "Running", podIP: "10.0.0.1", ready: "False" }),
      "ready",
    ],
    [
      "a Running Ready pod without an IP is readied",
      pod({ nodeName: "n", phase: "Running", ready: "True" }),
      "ready",
    ],
    [
      "a Running Ready pod is left alone",
      pod({ nodeName: "n", phase: "Running", podIP: "10.0.0.1", ready: "True" }),
      null,
    ],
    ["a finished pod is left alone", pod({ nodeName: "n", phase: "Succeeded" }), null],
    ["a failed pod is left alone", pod({ nodeName: "n", phase: "Failed" }), null],
    [
      "a bound pod being deleted is finished",
      pod({ nodeName: "n", deleting: true, phase: "Running", podIP: "10.0.0.1", ready: "True" }),
      "finish",
    ],
  ];
  for (const [name, p, want] of cases) {
    await t.step(name, () => assert.equal(kubeletAction(p), want));
  }
});

Deno.test("isReady() reads the Ready condition", async (t) => {
  await t.step("True", () => assert.equal(isReady(pod({ ready: "True" })), true));
  await t.step("False", () => assert.equal(isReady(pod({ ready: "False" })), false));
  await t.step("missing", () => assert.equal(isReady(pod()), false));
});
