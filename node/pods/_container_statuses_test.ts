import assert from "node:assert/strict";
import { criTime } from "./_container_statuses.ts";

Deno.test("criTime() turns CRI nanoseconds into whole-second RFC 3339", async (t) => {
  const cases: { name: string; ns: string; want: string | undefined }[] = [
    { name: "unset", ns: "0", want: undefined },
    { name: "empty", ns: "", want: undefined },
    { name: "truncated to the second", ns: "1767225600999999999", want: "2026-01-01T00:00:00Z" },
    { name: "exact", ns: "1767225601000000000", want: "2026-01-01T00:00:01Z" },
  ];
  for (const c of cases) await t.step(c.name, () => assert.equal(criTime(c.ns), c.want));
});
