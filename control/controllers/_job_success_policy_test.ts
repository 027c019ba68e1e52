import assert from "node:assert/strict";
import { parseIndexes } from "./_job_indexes.ts";
import { matchSuccessPolicy } from "./_job_success_policy.ts";

Deno.test("matchSuccessPolicy() names the first rule the succeeded indexes meet", async (t) => {
  const cases: {
    name: string;
    rules: { succeededIndexes?: string; succeededCount?: number }[];
    succeeded: string;
    want: string | null;
  }[] = [
    {
      name: "all required indexes",
      rules: [{ succeededIndexes: "0,2-3" }],
      succeeded: "0-3",
      want: "Matched rules at index 0",
    },
    {
      name: "a required index missing",
      rules: [{ succeededIndexes: "0,2-3" }],
      succeeded: "0-2",
      want: null,
    },
    {
      name: "a count of the required",
      rules: [{ succeededIndexes: "1-5", succeededCount: 2 }],
      succeeded: "0,3,5",
      want: "Matched rules at index 0",
    },
    {
      name: "a count of all",
      rules: [{ succeededIndexes: "9" }, { succeededCount: 3 }],
      succeeded: "0,4-5",
      want: "Matched rules at index 1",
    },
    { name: "nothing succeeded yet", rules: [{ succeededCount: 0 }], succeeded: "", want: null },
    {
      name: "indexes beyond completions are dropped",
      rules: [{ succeededIndexes: "10-12" }],
      succeeded: "0-9",
      want: null,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.equal(
        matchSuccessPolicy({ rules: c.rules }, {
          completions: 10,
          succeeded: parseIndexes(c.succeeded, 10),
        }),
        c.want,
      );
    });
  }
  assert.equal(
    matchSuccessPolicy(undefined, { completions: 3, succeeded: parseIndexes("0", 3) }),
    null,
  );
});
