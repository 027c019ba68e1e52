import assert from "node:assert/strict";
import { parseTime, rfc3339, rfc3339Nano } from "./_rfc3339.ts";

Deno.test("rfc3339() prints whole seconds, truncating the fraction", async (t) => {
  const cases = [
    { ms: Date.UTC(2024, 4, 1, 10, 0, 0), want: "2024-05-01T10:00:00Z" },
    { ms: Date.UTC(2024, 4, 1, 10, 0, 0, 999), want: "2024-05-01T10:00:00Z" },
  ];
  for (const c of cases) {
    await t.step(c.want, () => assert.equal(rfc3339(c.ms), c.want));
  }
});

Deno.test("rfc3339Nano() trims trailing zeros of the fraction as Go's RFC3339Nano", async (t) => {
  const base = Date.UTC(2024, 4, 1, 10, 0, 0);
  const cases = [
    { ms: base, want: "2024-05-01T10:00:00Z" },
    { ms: base + 500, want: "2024-05-01T10:00:00.5Z" },
    { ms: base + 120, want: "2024-05-01T10:00:00.12Z" },
    { ms: base + 123, want: "2024-05-01T10:00:00.123Z" },
  ];
  for (const c of cases) {
    await t.step(c.want, () => assert.equal(rfc3339Nano(c.ms), c.want));
  }
});

Deno.test("parseTime() answers null for unset or unparsable values", async (t) => {
  const cases = [
    { value: "2024-05-01T10:00:00Z", want: Date.UTC(2024, 4, 1, 10, 0, 0) },
    { value: undefined, want: null },
    { value: "", want: null },
    { value: "yesterday", want: null },
  ];
  for (const c of cases) {
    await t.step(String(c.value), () => assert.equal(parseTime(c.value), c.want));
  }
});
