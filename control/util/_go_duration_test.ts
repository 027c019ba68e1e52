import assert from "node:assert/strict";
import { parseGoDuration } from "./_go_duration.ts";

Deno.test("parseGoDuration() reads Go durations", async (t) => {
  const cases: readonly [string, bigint][] = [
    ["0", 0n],
    ["1s", 1_000_000_000n],
    ["1h30m", 5_400_000_000_000n],
    ["1.5h", 5_400_000_000_000n],
    [".5s", 500_000_000n],
    ["1.s", 1_000_000_000n],
    ["-2m", -120_000_000_000n],
    ["+3ms", 3_000_000n],
    ["10us", 10_000n],
    ["10µs", 10_000n],
    ["10μs", 10_000n],
    ["7ns", 7n],
  ];
  for (const [text, want] of cases) {
    await t.step(`"${text}"`, () => assert.equal(parseGoDuration(text), want));
  }
});

Deno.test("parseGoDuration() refuses what Go refuses, with Go's messages", async (t) => {
  const cases: readonly [string, string][] = [
    ["", 'time: invalid duration ""'],
    ["x", 'time: invalid duration "x"'],
    [".s", 'time: invalid duration ".s"'],
    ["1", 'time: missing unit in duration "1"'],
    ["1d", 'time: unknown unit "d" in duration "1d"'],
    ["1h1", 'time: missing unit in duration "1h1"'],
    ["9999999999h", 'time: invalid duration "9999999999h"'],
  ];
  for (const [text, message] of cases) {
    await t.step(`"${text}"`, () => {
      assert.throws(() => parseGoDuration(text), new SyntaxError(message));
    });
  }
});
