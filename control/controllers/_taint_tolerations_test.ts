import assert from "node:assert/strict";
import type { Toleration } from "../api/types/core_v1_common.ts";
import { minTolerationMs } from "./_taint_tolerations.ts";

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
