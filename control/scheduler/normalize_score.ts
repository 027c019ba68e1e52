/**
 * Score normalization shared by plugins (upstream `helper.DefaultNormalizeScore`): scales a
 * plugin's raw scores so the highest becomes 100, optionally reversed so the lowest raw score
 * gets 100 (for counts of bad things, such as untolerated PreferNoSchedule taints).
 *
 * @example Reverse-normalize taint counts
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultNormalizeScore } from "./normalize_score.ts";
 *
 * const scores = [{ name: "a", score: 0 }, { name: "b", score: 1 }, { name: "c", score: 2 }];
 * defaultNormalizeScore(scores, true);
 * assert.deepEqual(scores.map((s) => s.score), [100, 50, 0]);
 * ```
 *
 * @module
 */
import { MAX_NODE_SCORE, type NodeScore } from "./framework.ts";

/**
 * Scales `scores` in place to 0–100 by the largest one (integer division, as upstream); with
 * `reverse`, each becomes `100 - score`. All zero stays all zero (all 100 when reversed).
 */
export function defaultNormalizeScore(scores: NodeScore[], reverse = false): null {
  // Index loops: this runs once per cycle over every feasible node, often before it is
  // optimized, when for-of would allocate an iterator result per node.
  let max = 0;
  for (let i = 0; i < scores.length; i++) {
    const score = scores[i]!.score;
    if (score > max) max = score;
  }
  if (max === 0) {
    if (reverse) { for (let i = 0; i < scores.length; i++) scores[i]!.score = MAX_NODE_SCORE; }
    return null;
  }
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i]!;
    const scaled = Math.trunc(MAX_NODE_SCORE * s.score / max);
    s.score = reverse ? MAX_NODE_SCORE - scaled : scaled;
  }
  return null;
}
