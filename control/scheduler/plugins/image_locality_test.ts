import assert from "node:assert/strict";
import type { ContainerImage } from "../../api/types/core_v1_node.ts";
import type { Pod } from "../../api/types/core_v1_pod.ts";
import { testNode, testPod } from "../_testing.ts";
import { checkPluginContract, scoreNodes } from "./_contract.ts";
import {
  calculatePriority,
  NAME,
  newImageLocality,
  normalizedImageName,
} from "./image_locality.ts";

const MB = 1024 * 1024;

Deno.test("ImageLocality favours nodes that have the pod's images", async (t) => {
  const img40: ContainerImage = { names: ["gcr.io/40:latest", "gcr.io/40:v1"], sizeBytes: 40 * MB };
  const img300: ContainerImage = { names: ["gcr.io/300:latest"], sizeBytes: 300 * MB };
  const img2000: ContainerImage = { names: ["gcr.io/2000:latest"], sizeBytes: 2000 * MB };
  const nodes = [
    testNode({ name: "n1", images: [img40, img2000] }),
    testNode({ name: "n2", images: [img300, img40] }),
    testNode({ name: "n3" }),
  ];
  const cases: { name: string; pod: Pod; want: Record<string, number> }[] = [
    {
      // Two containers: 23MB-2000MB. n1: 40MB × 2/3 ≈ 26.7MB → 0; n2: that + 300MB × 1/3 → 5.
      name: "image sizes scaled by spread",
      pod: testPod({
        containers: [{ name: "a", image: "gcr.io/40" }, { name: "b", image: "gcr.io/300:latest" }],
      }),
      want: { n1: 0, n2: 5, n3: 0 },
    },
    {
      // 2000MB × 1/3 ≈ 667MB → (667 - 23) / (1000 - 23) → 65.
      name: "a large image on one node of three",
      pod: testPod({ image: "gcr.io/2000" }),
      want: { n1: 65, n2: 0, n3: 0 },
    },
    {
      name: "no image anywhere",
      pod: testPod({ image: "busybox" }),
      want: { n1: 0, n2: 0, n3: 0 },
    },
  ];
  checkPluginContract(newImageLocality, { name: NAME, pods: cases.map((c) => c.pod), nodes });
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.deepEqual(
        scoreNodes((h) => newImageLocality(undefined, h), { pod: c.pod, nodes }),
        c.want,
      );
    });
  }
});

Deno.test("normalizedImageName() adds :latest only to untagged names", () => {
  assert.equal(normalizedImageName("nginx"), "nginx:latest");
  assert.equal(normalizedImageName("nginx:1.27"), "nginx:1.27");
  assert.equal(normalizedImageName("localhost:5000/app"), "localhost:5000/app:latest");
  assert.equal(normalizedImageName("localhost:5000/app:v2"), "localhost:5000/app:v2");
});

Deno.test("calculatePriority() clamps between 23MB and 1000MB per container", () => {
  assert.equal(calculatePriority(0, 1), 0);
  assert.equal(calculatePriority(23 * MB, 1), 0);
  assert.equal(calculatePriority(1000 * MB, 1), 100);
  assert.equal(calculatePriority(5000 * MB, 2), 100);
  assert.equal(calculatePriority(100 * MB, 0), 0);
});

Deno.test("ImageLocality caps an image present everywhere at 1000MB per container", () => {
  const huge: ContainerImage = { names: ["big:latest"], sizeBytes: 3000 * MB };
  const nodes = [testNode({ name: "a", images: [huge] }), testNode({ name: "b", images: [huge] })];
  assert.deepEqual(
    scoreNodes((h) => newImageLocality(undefined, h), { pod: testPod({ image: "big" }), nodes }),
    { a: 100, b: 100 },
  );
});
