import assert from "node:assert/strict";
import type { Pod } from "../../api/types/core_v1_pod.ts";
import { testPod } from "../_testing.ts";
import type { PluginStatus } from "../status.ts";
import { isPreEnqueuePlugin, NAME, newSchedulingGates } from "./scheduling_gates.ts";

const HANDLE = { snapshot: () => undefined as never };

function gated(...gates: string[]): Pod {
  const pod = testPod({ name: "gated" });
  return { ...pod, spec: { ...pod.spec!, schedulingGates: gates.map((name) => ({ name })) } };
}

Deno.test("SchedulingGates keeps pods with gates out of the active queue", async (t) => {
  const plugin = newSchedulingGates(undefined, HANDLE);
  assert.equal(plugin.name, NAME);
  assert.ok(isPreEnqueuePlugin(plugin));
  const cases: { name: string; pod: Pod; want: PluginStatus | null }[] = [
    { name: "no gates", pod: testPod(), want: null },
    { name: "an empty gate list", pod: gated(), want: null },
    {
      name: "two gates",
      pod: gated("example.com/quota", "example.com/volume"),
      want: {
        code: "UnschedulableAndUnresolvable",
        reasons: ["waiting for scheduling gates: [example.com/quota example.com/volume]"],
      },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.deepEqual(plugin.preEnqueue(c.pod), c.want));
  }
});

Deno.test("isPreEnqueuePlugin() tells PreEnqueue plugins from others", () => {
  assert.ok(isPreEnqueuePlugin(newSchedulingGates(undefined, HANDLE)));
  assert.ok(!isPreEnqueuePlugin({ name: "NodeName" }));
});

Deno.test("newSchedulingGates() refuses args", () => {
  assert.throws(
    () => newSchedulingGates({ x: 1 }, HANDLE),
    /Invalid args for plugin "SchedulingGates"/,
  );
});
