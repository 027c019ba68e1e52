import assert from "node:assert/strict";
import { aggregateError, aggregateMessage } from "./_aggregate.ts";

Deno.test("aggregateMessage() prints as upstream's aggregate error", async (t) => {
  const cases: [string[], string][] = [
    [[], ""],
    [["one"], "one"],
    [["one", "two"], "[one, two]"],
    [["one", "one"], "one"],
    [["a", "b", "a"], "[a, b]"],
  ];
  for (const [messages, want] of cases) {
    await t.step(JSON.stringify(messages), () => {
      assert.equal(aggregateMessage(messages.map((m) => new Error(m))), want);
    });
  }
});

Deno.test("aggregateError() returns a single error itself and keeps several as its cause", () => {
  const one = new Error("one");
  assert.equal(aggregateError([one]), one);
  const two = [one, new Error("two")];
  const err = aggregateError(two);
  assert.equal(err.message, "[one, two]");
  assert.deepEqual(err.cause, two);
});
