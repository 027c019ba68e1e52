import assert from "node:assert/strict";
import type { Container, Pod } from "../../control/api/types/core_v1_pod.ts";
import { emptyDirMemorySize, podMemoryLimitBytes, tmpfsMountOptions } from "./empty_dir.ts";

const MI = 1024n * 1024n;

function c(name: string, memory?: string, restartPolicy?: string): Container {
  return {
    name,
    ...(memory === undefined ? {} : { resources: { limits: { memory } } }),
    ...(restartPolicy === undefined ? {} : { restartPolicy }),
  };
}

function pod(containers: Container[], initContainers?: Container[], overhead?: string): Pod {
  return {
    spec: {
      containers,
      initContainers: initContainers ?? [],
      ...(overhead === undefined ? {} : { overhead: { memory: overhead } }),
    },
  };
}

Deno.test("podMemoryLimitBytes() adds up limits as the pod cgroup does", async (t) => {
  const cases: [string, Pod, bigint | undefined][] = [
    ["one container", pod([c("a", "64Mi")]), 64n * MI],
    ["containers add up", pod([c("a", "64Mi"), c("b", "32Mi")]), 96n * MI],
    ["a container without a limit", pod([c("a", "64Mi"), c("b")]), undefined],
    ["an init container above the sum", pod([c("a", "64Mi")], [c("i", "256Mi")]), 256n * MI],
    ["an init container below the sum", pod([c("a", "64Mi")], [c("i", "16Mi")]), 64n * MI],
    ["an init container without a limit", pod([c("a", "64Mi")], [c("i")]), undefined],
    [
      "sidecars add to the containers and to later init containers",
      pod([c("a", "64Mi")], [c("s", "32Mi", "Always"), c("i", "100Mi")]),
      132n * MI,
    ],
    ["overhead", pod([c("a", "64Mi")], [], "16Mi"), 80n * MI],
    ["no containers", pod([]), undefined],
  ];
  for (const [name, p, want] of cases) {
    await t.step(name, () => assert.equal(podMemoryLimitBytes(p), want));
  }
});

Deno.test("emptyDirMemorySize() takes the smallest of allocatable, pod limit and sizeLimit", async (t) => {
  const limited = pod([c("a", "1Gi")]);
  const unlimited = pod([c("a")]);
  const cases: [
    string,
    Pod,
    { nodeAllocatableMemory?: string; sizeLimit?: string },
    bigint | undefined,
  ][] = [
    ["node allocatable", unlimited, { nodeAllocatableMemory: "8Gi" }, 8192n * MI],
    ["the pod limit", limited, { nodeAllocatableMemory: "8Gi" }, 1024n * MI],
    ["the sizeLimit", limited, { nodeAllocatableMemory: "8Gi", sizeLimit: "64Mi" }, 64n * MI],
    [
      "a sizeLimit above the pod limit",
      limited,
      { nodeAllocatableMemory: "8Gi", sizeLimit: "2Gi" },
      1024n * MI,
    ],
    ["a zero sizeLimit", limited, { nodeAllocatableMemory: "8Gi", sizeLimit: "0" }, 1024n * MI],
    [
      "a pod limit above allocatable",
      pod([c("a", "16Gi")]),
      { nodeAllocatableMemory: "8Gi" },
      8192n * MI,
    ],
    ["unknown allocatable", limited, { sizeLimit: "64Mi" }, undefined],
  ];
  for (const [name, p, options, want] of cases) {
    await t.step(name, () => assert.equal(emptyDirMemorySize(p, options), want));
  }
});

Deno.test("tmpfsMountOptions() renders size and noswap", () => {
  assert.deepEqual(tmpfsMountOptions(undefined), []);
  assert.deepEqual(tmpfsMountOptions(1048576n), ["size=1048576"]);
  assert.deepEqual(tmpfsMountOptions(1048576n, { noswap: true }), ["size=1048576", "noswap"]);
});
