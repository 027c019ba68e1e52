import assert from "node:assert/strict";
import { defaultNormalizeScore } from "./normalize_score.ts";

Deno.test("defaultNormalizeScore() scales by the maximum, as upstream", async (t) => {
  const cases: { name: string; scores: number[]; reverse: boolean; want: number[] }[] = [
    { name: "scaled to 100", scores: [1, 2, 3], reverse: false, want: [33, 66, 100] },
    { name: "reversed", scores: [1, 2, 4], reverse: true, want: [75, 50, 0] },
    { name: "all zero", scores: [0, 0], reverse: false, want: [0, 0] },
    { name: "all zero, reversed", scores: [0, 0], reverse: true, want: [100, 100] },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const scores = c.scores.map((score, i) => ({ name: `n${i}`, score }));
      assert.equal(defaultNormalizeScore(scores, c.reverse), null);
      assert.deepEqual(scores.map((s) => s.score), c.want);
    });
  }
});
