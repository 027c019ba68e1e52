import assert from "node:assert/strict";
import type { Pod } from "../api/types/core_v1_pod.ts";
import {
  addResources,
  EMPTY_RESOURCES,
  isExtendedResource,
  isScalarResource,
  NON_ZERO_DEFAULTS,
  podRequests,
  type PodRequestsOptions,
  quantityOf,
  resourceValue,
  subtractResources,
  toResources,
} from "./resources.ts";

const GI = 1024 ** 3;
const MI = 1024 ** 2;

function pod(spec: Partial<NonNullable<Pod["spec"]>>, status?: Pod["status"]): Pod {
  return { spec: { containers: [], ...spec }, ...status === undefined ? {} : { status } };
}

Deno.test("podRequests() computes effective requests as Kubernetes does", async (t) => {
  const cases: {
    name: string;
    pod: Pod;
    options?: PodRequestsOptions;
    want: { milliCpu: number; memoryBytes: number; scalars?: Record<string, number> };
  }[] = [
    {
      name: "containers are summed",
      pod: pod({
        containers: [
          { name: "a", resources: { requests: { cpu: "250m", memory: "1Gi" } } },
          { name: "b", resources: { requests: { cpu: "1", memory: "512Mi" } } },
        ],
      }),
      want: { milliCpu: 1250, memoryBytes: GI + 512 * MI },
    },
    {
      name: "an init container bigger than the containers raises the total (upstream's example)",
      pod: pod({
        initContainers: [
          { name: "i1", resources: { requests: { cpu: "2", memory: "1G" } } },
          { name: "i2", resources: { requests: { cpu: "2", memory: "3G" } } },
        ],
        containers: [
          { name: "c1", resources: { requests: { cpu: "2", memory: "1G" } } },
          { name: "c2", resources: { requests: { cpu: "1", memory: "1G" } } },
        ],
      }),
      want: { milliCpu: 3000, memoryBytes: 3e9 },
    },
    {
      name: "a sidecar adds to the total and to the init containers after it",
      pod: pod({
        initContainers: [
          { name: "proxy", restartPolicy: "Always", resources: { requests: { cpu: "500m" } } },
          { name: "setup", resources: { requests: { cpu: "2" } } },
        ],
        containers: [{ name: "app", resources: { requests: { cpu: "1" } } }],
      }),
      want: { milliCpu: 2500, memoryBytes: 0 },
    },
    {
      name: "an init container before the sidecar does not count it",
      pod: pod({
        initContainers: [
          { name: "setup", resources: { requests: { cpu: "2" } } },
          { name: "proxy", restartPolicy: "Always", resources: { requests: { cpu: "500m" } } },
        ],
        containers: [{ name: "app", resources: { requests: { cpu: "1" } } }],
      }),
      want: { milliCpu: 2000, memoryBytes: 0 },
    },
    {
      name: "the overhead is added",
      pod: pod({
        containers: [{ name: "a", resources: { requests: { cpu: "100m" } } }],
        overhead: { cpu: "250m", memory: "120Mi" },
      }),
      want: { milliCpu: 350, memoryBytes: 120 * MI },
    },
    {
      name: "non-missing defaults fill only requests a container leaves out",
      pod: pod({
        containers: [
          { name: "none" },
          { name: "zero-cpu", resources: { requests: { cpu: "0" } } },
          { name: "mem", resources: { requests: { memory: "1Gi" } } },
        ],
      }),
      options: { nonMissingContainerRequests: NON_ZERO_DEFAULTS },
      want: { milliCpu: 200, memoryBytes: 2 * 200 * MI + GI },
    },
    {
      name: "extended resources and hugepages are scalars; unknown names are dropped",
      pod: pod({
        containers: [{
          name: "a",
          resources: {
            requests: { "example.com/gpu": "2", "hugepages-2Mi": "4Mi", "foo": "3" },
          },
        }],
      }),
      want: {
        milliCpu: 0,
        memoryBytes: 0,
        scalars: { "example.com/gpu": 2, "hugepages-2Mi": 4 * MI },
      },
    },
    {
      name: "with status resources, a resize in progress counts the larger of spec and status",
      pod: pod(
        { containers: [{ name: "a", resources: { requests: { cpu: "1", memory: "1Gi" } } }] },
        {
          containerStatuses: [{
            name: "a",
            image: "",
            imageID: "",
            ready: true,
            restartCount: 0,
            resources: { requests: { cpu: "2", memory: "512Mi" } },
          }],
        },
      ),
      options: { useStatusResources: true },
      want: { milliCpu: 2000, memoryBytes: GI },
    },
    {
      name: "with status resources, an infeasible resize counts only the status",
      pod: pod(
        { containers: [{ name: "a", resources: { requests: { cpu: "4" } } }] },
        {
          conditions: [{ type: "PodResizePending", status: "True", reason: "Infeasible" }],
          containerStatuses: [{
            name: "a",
            image: "",
            imageID: "",
            ready: true,
            restartCount: 0,
            resources: { requests: { cpu: "1" } },
          }],
        },
      ),
      options: { useStatusResources: true },
      want: { milliCpu: 1000, memoryBytes: 0 },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const r = toResources(podRequests(c.pod, c.options));
      assert.equal(r.milliCpu, c.want.milliCpu);
      assert.equal(r.memoryBytes, c.want.memoryBytes);
      assert.deepEqual(Object.fromEntries(r.scalarResources), c.want.scalars ?? {});
    });
  }
});

Deno.test("resource names are classified as upstream's helpers do", async (t) => {
  const cases: { name: string; extended: boolean; scalar: boolean }[] = [
    { name: "cpu", extended: false, scalar: false },
    { name: "example.com/gpu", extended: true, scalar: true },
    { name: "nvidia.com/gpu", extended: true, scalar: true },
    { name: "kubernetes.io/something", extended: false, scalar: true },
    { name: "hugepages-1Gi", extended: false, scalar: true },
    { name: "attachable-volumes-csi-x", extended: false, scalar: true },
    { name: "requests.example.com/gpu", extended: false, scalar: false },
    { name: "Example.com/gpu", extended: false, scalar: false },
    { name: "foo", extended: false, scalar: false },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.equal(isExtendedResource(c.name), c.extended);
      assert.equal(isScalarResource(c.name), c.scalar);
    });
  }
});

Deno.test("toResources() converts units: millicores for cpu, ceil values for the rest", () => {
  const r = toResources({ cpu: "1.5", memory: "1.5Ki", "ephemeral-storage": "1G", pods: "110" });
  assert.equal(r.milliCpu, 1500);
  assert.equal(r.memoryBytes, 1536);
  assert.equal(r.ephemeralStorageBytes, 1e9);
  assert.equal(r.allowedPodNumber, 110);
  assert.equal(toResources({ cpu: "1n" }).milliCpu, 1);
  assert.equal(resourceValue("memory", quantityOf("0.5")), 1);
  assert.equal(toResources(undefined), EMPTY_RESOURCES);
});

Deno.test("quantityOf() counts text that is not a quantity as zero", () => {
  assert.ok(quantityOf("1.2.3").isZero());
  assert.equal(quantityOf("100m").milliValue(), 100n);
});

Deno.test("addResources() and subtractResources() are inverse, scalars included", () => {
  const a = toResources({ cpu: "1", memory: "1Gi", "example.com/gpu": "1" });
  const b = toResources({ cpu: "500m", "example.com/gpu": "2", "example.com/fpga": "1" });
  const sum = addResources(a, b);
  assert.equal(sum.milliCpu, 1500);
  assert.deepEqual(Object.fromEntries(sum.scalarResources), {
    "example.com/gpu": 3,
    "example.com/fpga": 1,
  });
  const back = subtractResources(sum, b);
  assert.equal(back.milliCpu, 1000);
  assert.equal(back.memoryBytes, GI);
  assert.equal(back.scalarResources.get("example.com/gpu"), 1);
});
