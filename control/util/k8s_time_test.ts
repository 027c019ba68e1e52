import assert from "node:assert/strict";
import { formatMicroTime, formatRfc3339Nano, formatTime } from "./k8s_time.ts";

Deno.test("formatTime(), formatMicroTime() and formatRfc3339Nano() print as Go's metav1 types do", async (t) => {
  const cases: [string, number, string, string, string][] = [
    [
      "a whole second",
      Date.UTC(2024, 4, 1, 10, 0, 0),
      "2024-05-01T10:00:00Z",
      "2024-05-01T10:00:00.000000Z",
      "2024-05-01T10:00:00Z",
    ],
    [
      "milliseconds",
      Date.UTC(2024, 4, 1, 10, 0, 0, 123),
      "2024-05-01T10:00:00Z",
      "2024-05-01T10:00:00.123000Z",
      "2024-05-01T10:00:00.123Z",
    ],
    [
      "a trailing zero",
      Date.UTC(2024, 4, 1, 10, 0, 59, 120),
      "2024-05-01T10:00:59Z",
      "2024-05-01T10:00:59.120000Z",
      "2024-05-01T10:00:59.12Z",
    ],
    [
      "a fraction of a millisecond",
      Date.UTC(2024, 4, 1, 10, 0, 0, 999) + 0.7,
      "2024-05-01T10:00:00Z",
      "2024-05-01T10:00:00.999000Z",
      "2024-05-01T10:00:00.999Z",
    ],
  ];
  for (const [name, ms, time, micro, nano] of cases) {
    await t.step(name, () => {
      assert.equal(formatTime(ms), time);
      assert.equal(formatMicroTime(ms), micro);
      assert.equal(formatRfc3339Nano(ms), nano);
    });
  }
});

Deno.test("formatTime() answers each second right when calls go back and forth between seconds", () => {
  const a = Date.UTC(2024, 4, 1, 10, 0, 0, 100);
  const b = Date.UTC(2024, 4, 1, 10, 0, 1, 900);
  for (
    const [ms, want] of [
      [a, "2024-05-01T10:00:00Z"],
      [a + 800, "2024-05-01T10:00:00Z"],
      [b, "2024-05-01T10:00:01Z"],
      [a, "2024-05-01T10:00:00Z"],
      [b + 100, "2024-05-01T10:00:02Z"],
      [-1, "1969-12-31T23:59:59Z"],
    ] as const
  ) {
    assert.equal(formatTime(ms), want);
  }
  assert.throws(() => formatTime(Number.NaN), RangeError);
});
