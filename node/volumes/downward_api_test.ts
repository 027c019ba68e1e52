import assert from "node:assert/strict";
import type { Container, Pod } from "../../control/api/types/core_v1_pod.ts";
import {
  downwardApiPayload,
  extractContainerResourceValue,
  extractFieldPathAsString,
  formatMap,
  withNodeAllocatableLimits,
} from "./downward_api.ts";

const POD: Pod = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: {
    name: "web-0",
    namespace: "shop",
    uid: "8f2c1a9e-0000-4000-8000-000000000001",
    labels: { app: "web", "app.kubernetes.io/tier": "front end" },
    annotations: { "example.com/note": 'line one\nline "two"', build: "42" },
  },
  spec: {
    containers: [
      {
        name: "app",
        image: "busybox",
        resources: {
          limits: { cpu: "500m", memory: "64Mi" },
          requests: { cpu: "250m", memory: "32Mi", "ephemeral-storage": "1G" },
        },
      },
      { name: "sidecar", image: "busybox" },
    ],
    initContainers: [{
      name: "init",
      image: "busybox",
      resources: { limits: { "hugepages-2Mi": "4Mi" } },
    }],
  },
};

const NODE_ALLOCATABLE = { cpu: "4", memory: "8Gi", "ephemeral-storage": "100Gi" };

Deno.test("formatMap() writes sorted key=value lines with Go-quoted values", async (t) => {
  const cases: [Record<string, string> | undefined, string][] = [
    [undefined, ""],
    [{}, ""],
    [{ b: "2", a: "1" }, 'a="1"\nb="2"'],
    [{ k: 'quote " and \\ and\ttab' }, 'k="quote \\" and \\\\ and\\ttab"'],
    [{ "z.io/x": "", "a.io/y": "日本" }, 'a.io/y="日本"\nz.io/x=""'],
    [{ B: "upper", a: "lower" }, 'B="upper"\na="lower"'],
  ];
  for (const [map, want] of cases) {
    await t.step(String(JSON.stringify(map)), () => assert.equal(formatMap(map), want));
  }
});

Deno.test("extractFieldPathAsString() reads the pod fields volumes support", async (t) => {
  const cases: [string, string][] = [
    ["metadata.name", "web-0"],
    ["metadata.namespace", "shop"],
    ["metadata.uid", "8f2c1a9e-0000-4000-8000-000000000001"],
    ["metadata.labels", 'app="web"\napp.kubernetes.io/tier="front end"'],
    ["metadata.annotations", 'build="42"\nexample.com/note="line one\\nline \\"two\\""'],
    ["metadata.labels['app']", "web"],
    ["metadata.labels['missing']", ""],
    ["metadata.annotations['example.com/note']", 'line one\nline "two"'],
  ];
  for (const [path, want] of cases) {
    await t.step(path, () => assert.equal(extractFieldPathAsString(POD, path), want));
  }
  const bad: [string, string][] = [
    ["spec.nodeName", "unsupported fieldPath: spec.nodeName"],
    ["status.podIP", "unsupported fieldPath: status.podIP"],
    ["metadata.name['x']", `fieldPath "metadata.name['x']" does not support subscript`],
  ];
  for (const [path, message] of bad) {
    await t.step(`${path} fails`, () => {
      assert.throws(() => extractFieldPathAsString(POD, path), { message });
    });
  }
});

Deno.test("extractContainerResourceValue() divides and rounds up as upstream", async (t) => {
  const container: Container = {
    name: "c",
    resources: {
      limits: { cpu: "1500m", memory: "64Mi", "ephemeral-storage": "1G", "hugepages-2Mi": "4Mi" },
      requests: { cpu: "250m", memory: "100M" },
    },
  };
  const cases: [string, string | undefined, string][] = [
    ["limits.cpu", undefined, "2"],
    ["limits.cpu", "1m", "1500"],
    ["limits.cpu", "100m", "15"],
    ["requests.cpu", undefined, "1"],
    ["requests.cpu", "0", "1"],
    ["limits.memory", undefined, "67108864"],
    ["limits.memory", "1Mi", "64"],
    ["limits.memory", "1Gi", "1"],
    ["requests.memory", "1Mi", "96"],
    ["limits.ephemeral-storage", "1M", "1000"],
    ["requests.ephemeral-storage", undefined, "0"],
    ["limits.hugepages-2Mi", "1Mi", "4"],
    ["requests.hugepages-2Mi", undefined, "0"],
  ];
  for (const [resource, divisor, want] of cases) {
    await t.step(`${resource} / ${divisor ?? "1"}`, () => {
      const selector = { resource, ...(divisor === undefined ? {} : { divisor }) };
      assert.equal(extractContainerResourceValue(selector, container), want);
    });
  }
  for (const resource of ["limits.nvidia.com/gpu", "cpu", "requests.pods"]) {
    await t.step(`${resource} fails`, () => {
      assert.throws(() => extractContainerResourceValue({ resource }, container), {
        message: `unsupported container resource : ${resource}`,
      });
    });
  }
});

Deno.test("withNodeAllocatableLimits() fills only the unset limits", () => {
  const c = withNodeAllocatableLimits(
    { name: "c", resources: { limits: { memory: "1Gi" } } },
    NODE_ALLOCATABLE,
  );
  assert.deepEqual(c.resources?.limits, {
    memory: "1Gi",
    cpu: "4",
    "ephemeral-storage": "100Gi",
  });
});

Deno.test("downwardApiPayload() builds the files with their modes", () => {
  const payload = downwardApiPayload([
    { path: "name", fieldRef: { fieldPath: "metadata.name" } },
    { path: "./meta//labels", fieldRef: { fieldPath: "metadata.labels" }, mode: 0o400 },
    {
      path: "cpu_limit",
      resourceFieldRef: { containerName: "app", resource: "limits.cpu", divisor: "1m" },
    },
    {
      path: "sidecar_mem",
      resourceFieldRef: { containerName: "sidecar", resource: "limits.memory", divisor: "1Mi" },
    },
    {
      path: "init_huge",
      resourceFieldRef: { containerName: "init", resource: "limits.hugepages-2Mi" },
    },
  ], { pod: POD, defaultMode: 0o440, nodeAllocatable: NODE_ALLOCATABLE });
  const text = (k: string) => new TextDecoder().decode(payload.get(k)?.data);
  assert.deepEqual([...payload.keys()], [
    "name",
    "meta/labels",
    "cpu_limit",
    "sidecar_mem",
    "init_huge",
  ]);
  assert.equal(text("name"), "web-0");
  assert.equal(text("meta/labels"), 'app="web"\napp.kubernetes.io/tier="front end"');
  assert.equal(text("cpu_limit"), "500");
  assert.equal(text("sidecar_mem"), "8192", "an unset limit is the node's allocatable");
  assert.equal(text("init_huge"), "4194304");
  assert.equal(payload.get("name")?.mode, 0o440);
  assert.equal(payload.get("meta/labels")?.mode, 0o400);
});

Deno.test("downwardApiPayload() defaults the mode to 0644", () => {
  const payload = downwardApiPayload([{
    path: "ns",
    fieldRef: { fieldPath: "metadata.namespace" },
  }], {
    pod: POD,
    nodeAllocatable: {},
  });
  assert.equal(payload.get("ns")?.mode, 0o644);
});

Deno.test("downwardApiPayload() aggregates the errors of every failing item", () => {
  assert.throws(
    () =>
      downwardApiPayload([
        { path: "ok", fieldRef: { fieldPath: "metadata.name" } },
        { path: "node", fieldRef: { fieldPath: "spec.nodeName" } },
        { path: "gone", resourceFieldRef: { containerName: "nope", resource: "limits.cpu" } },
      ], { pod: POD, nodeAllocatable: NODE_ALLOCATABLE }),
    { message: "[unsupported fieldPath: spec.nodeName, container nope not found]" },
  );
});
