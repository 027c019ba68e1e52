import assert from "node:assert/strict";
import type { Pod } from "../api/types/core_v1_pod.ts";
import {
  completionIndex,
  countIndexes,
  firstPendingIndexes,
  formatIndexes,
  hasIndex,
  indexedPodGenerateName,
  indexesOf,
  mergeIndexes,
  parseIndexes,
  sortByCompletionIndex,
  UNKNOWN_COMPLETION_INDEX,
  withIndexes,
} from "./_job_indexes.ts";

function pod(name: string, index?: string): Pod {
  return {
    metadata: {
      name,
      ...(index !== undefined
        ? { annotations: { "batch.kubernetes.io/job-completion-index": index } }
        : {}),
    },
    spec: { containers: [] },
  };
}

Deno.test("parseIndexes() reads intervals, joins neighbours and cuts at completions", async (t) => {
  const cases: { name: string; text: string; completions: number; want: string }[] = [
    { name: "empty", text: "", completions: 5, want: "" },
    { name: "single values and ranges", text: "1,3-5,7", completions: 10, want: "1,3-5,7" },
    { name: "adjacent intervals merge", text: "0-1,2,3-4", completions: 10, want: "0-4" },
    { name: "beyond completions is dropped", text: "1,3-8,9", completions: 6, want: "1,3-5" },
    { name: "corrupt parts are skipped", text: "1,x,3-y,5", completions: 10, want: "1,5" },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.equal(formatIndexes(parseIndexes(c.text, c.completions)), c.want);
    });
  }
});

Deno.test("formatIndexes() prints two neighbours with a comma, longer runs with a dash", () => {
  assert.equal(formatIndexes([{ first: 3, last: 4 }]), "3,4");
  assert.equal(formatIndexes([{ first: 0, last: 0 }, { first: 2, last: 5 }]), "0,2-5");
  assert.equal(formatIndexes([]), "");
});

Deno.test("withIndexes() and mergeIndexes() keep the list sorted and joined", () => {
  const base = parseIndexes("1,5-6", 10);
  assert.equal(formatIndexes(withIndexes(base, [0, 2, 4, 9])), "0-2,4-6,9");
  assert.equal(formatIndexes(mergeIndexes(base, parseIndexes("2-3,7", 10))), "1-3,5-7");
  assert.equal(countIndexes(parseIndexes("1,3-5,7", 10)), 5);
});

Deno.test("hasIndex() finds indexes inside intervals only", () => {
  const list = parseIndexes("1,3-5,9", 10);
  assert.deepEqual(
    [0, 1, 2, 3, 5, 6, 9, 10].map((ix) => hasIndex(list, ix)),
    [false, true, false, true, true, false, true, false],
  );
});

Deno.test("completionIndex() reads the annotation and rejects bad values", () => {
  assert.equal(completionIndex(pod("a", "3")), 3);
  assert.equal(completionIndex(pod("b")), UNKNOWN_COMPLETION_INDEX);
  assert.equal(completionIndex(pod("c", "-1")), UNKNOWN_COMPLETION_INDEX);
  assert.equal(completionIndex(pod("d", "one")), UNKNOWN_COMPLETION_INDEX);
  const sorted = sortByCompletionIndex([pod("x", "2"), pod("y"), pod("z", "0")]);
  assert.deepEqual(sorted.map((p) => p.metadata?.name), ["y", "z", "x"]);
  assert.deepEqual(indexesOf([pod("x", "2"), pod("y"), pod("z", "2"), pod("w", "0")]), [0, 2]);
});

Deno.test("firstPendingIndexes() fills the gaps below completions, lowest first", async (t) => {
  const cases = [
    { name: "nothing taken", taken: "", count: 3, completions: 5, want: [0, 1, 2] },
    { name: "gaps between taken", taken: "0,2-3", count: 3, completions: 6, want: [1, 4, 5] },
    { name: "bounded by completions", taken: "1", count: 5, completions: 3, want: [0, 2] },
    { name: "all taken", taken: "0-2", count: 2, completions: 3, want: [] },
    { name: "zero wanted", taken: "", count: 0, completions: 3, want: [] },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const taken = parseIndexes(c.taken, c.completions);
      assert.deepEqual(
        firstPendingIndexes({ taken, count: c.count, completions: c.completions }),
        c.want,
      );
    });
  }
});

Deno.test("indexedPodGenerateName() keeps the index when the job name is long", () => {
  assert.equal(indexedPodGenerateName("pi", 3), "pi-3-");
  const long = "a".repeat(70);
  const name = indexedPodGenerateName(long, 12);
  assert.equal(name.length, 58);
  assert.ok(name.endsWith("a-12-"));
});
