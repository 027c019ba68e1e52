import assert from "node:assert/strict";
import { planRowReads } from "./_deno_kv_read_plan.ts";

Deno.test("planRowReads() reads close rows as ranges and isolated rows by key", async (t) => {
  const log = Array.from({ length: 1000 }, (_, i) => (i + 1) * 5);
  const every = (step: number, from: number, count: number) =>
    Array.from({ length: count }, (_, i) => log[from + i * step]!);
  const cases: {
    name: string;
    wanted: number[];
    ranges: [number, number][];
    singles: number[];
  }[] = [
    { name: "nothing", wanted: [], ranges: [], singles: [] },
    { name: "one row", wanted: [50], ranges: [], singles: [50] },
    { name: "a run", wanted: every(1, 10, 100), ranges: [[55, 550]], singles: [] },
    { name: "every other row", wanted: every(2, 0, 100), ranges: [[5, 995]], singles: [] },
    { name: "every tenth row", wanted: every(10, 0, 20), ranges: [], singles: every(10, 0, 20) },
    {
      name: "a run and strays",
      wanted: [...every(1, 100, 50), 2000, 4000],
      ranges: [[505, 750]],
      singles: [2000, 4000],
    },
    {
      // Seen as lying together (between two logged rows): still read, as one range.
      name: "rows the log does not list",
      wanted: [7, 8, 9, 11, 12, 13, 14],
      ranges: [[7, 14]],
      singles: [],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const plan = planRowReads(c.wanted, log);
      assert.deepEqual(plan.ranges, c.ranges);
      assert.deepEqual(plan.singles, c.singles);
    });
  }
});

Deno.test("planRowReads() covers every wanted row exactly once", () => {
  const log = Array.from({ length: 5000 }, (_, i) => i * 3 + 1);
  let x = 99;
  const wanted = log.filter(() => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x % 4 === 0;
  });
  const plan = planRowReads(wanted, log);
  const covered = [
    ...plan.singles,
    ...plan.ranges.flatMap(([first, last]) => wanted.filter((r) => r >= first && r <= last)),
  ].sort((a, b) => a - b);
  assert.deepEqual(covered, wanted);
});
