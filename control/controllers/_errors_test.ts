import assert from "node:assert/strict";
import { aggregateErrors, errorText } from "./_errors.ts";

Deno.test("errorText() is an Error's message and anything else as a string", async (t) => {
  const cases: { name: string; err: unknown; want: string }[] = [
    { name: "an Error", err: new TypeError('Cannot use "x"'), want: 'Cannot use "x"' },
    { name: "a string", err: "boom", want: "boom" },
    { name: "a number", err: 42, want: "42" },
    { name: "undefined", err: undefined, want: "undefined" },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.equal(errorText(c.err), c.want));
  }
});

Deno.test("aggregateErrors() keeps one error as it is and prints several as [a, b]", () => {
  const one = new Error("one");
  assert.equal(aggregateErrors([one]), one);
  const both = aggregateErrors([one, "two"]);
  assert.ok(both instanceof AggregateError);
  assert.equal(both.message, "[one, two]");
  assert.deepEqual(both.errors, [one, "two"]);
});
