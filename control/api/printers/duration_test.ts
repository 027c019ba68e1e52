import assert from "node:assert/strict";
import { humanDuration, shortHumanDuration } from "./duration.ts";

const S = 1_000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

Deno.test("humanDuration() prints two or three significant figures like HumanDuration", async (t) => {
  const cases: [number, string][] = [
    [-2 * S, "<invalid>"],
    [-1999, "0s"],
    [-1 * S, "0s"],
    [-500, "0s"],
    [0, "0s"],
    [999, "0s"],
    [S, "1s"],
    [119 * S, "119s"],
    [2 * M, "2m"],
    [2 * M + 1 * S, "2m1s"],
    [9 * M + 59 * S, "9m59s"],
    [10 * M, "10m"],
    [10 * M + 30 * S, "10m"],
    [179 * M, "179m"],
    [3 * H, "3h"],
    [3 * H + 20 * M, "3h20m"],
    [7 * H + 59 * M, "7h59m"],
    [8 * H, "8h"],
    [47 * H + 59 * M, "47h"],
    [48 * H, "2d"],
    [51 * H, "2d3h"],
    [7 * D + 23 * H, "7d23h"],
    [8 * D, "8d"],
    [729 * D, "729d"],
    [730 * D, "2y"],
    [730 * D + 20 * D, "2y20d"],
    [8 * 365 * D - 1, "7y364d"],
    [8 * 365 * D, "8y"],
    [20 * 365 * D, "20y"],
  ];
  for (const [ms, want] of cases) {
    await t.step(`${ms}ms is ${want}`, () => assert.equal(humanDuration(ms), want));
  }
});

Deno.test("shortHumanDuration() prints the largest whole unit like ShortHumanDuration", async (t) => {
  const cases: [number, string][] = [
    [-2 * S, "<invalid>"],
    [-1 * S, "0s"],
    [0, "0s"],
    [59 * S, "59s"],
    [60 * S, "1m"],
    [59 * M + 59 * S, "59m"],
    [H, "1h"],
    [23 * H, "23h"],
    [24 * H, "1d"],
    [364 * D, "364d"],
    [365 * D, "1y"],
    [800 * D, "2y"],
  ];
  for (const [ms, want] of cases) {
    await t.step(`${ms}ms is ${want}`, () => assert.equal(shortHumanDuration(ms), want));
  }
});

Deno.test("humanDuration() and shortHumanDuration() print <invalid> for non-finite input", () => {
  assert.equal(humanDuration(Number.NaN), "<invalid>");
  assert.equal(shortHumanDuration(Number.POSITIVE_INFINITY), "<invalid>");
});
