import assert from "node:assert/strict";
import { QueryReader } from "./query_reader.ts";

function reader(query: string): QueryReader {
  return new QueryReader(new URLSearchParams(query), (m) => new SyntaxError(m));
}

Deno.test("QueryReader decodes booleans, int64s and RFC 3339 times as apimachinery", async (t) => {
  await t.step("booleans", () => {
    const q = reader("a=true&b=0&c=FALSE&d=&e=yes");
    assert.deepEqual(["a", "b", "c", "d", "e", "missing"].map((n) => q.bool(n)), [
      true,
      false,
      false,
      true,
      true,
      false,
    ]);
  });
  await t.step("ints", () => {
    const q = reader("a=10&b=-3&c=&d=1.5&e=99999999999999999999");
    assert.equal(q.int("a"), 10);
    assert.equal(q.int("b"), -3);
    assert.equal(q.int("c"), undefined);
    assert.throws(() => q.int("d"), { message: 'strconv.ParseInt: parsing "1.5": invalid syntax' });
    assert.throws(() => q.int("e"), {
      message: 'strconv.ParseInt: parsing "99999999999999999999": value out of range',
    });
  });
  await t.step("times and strings", () => {
    const q = reader("a=2026-12-01T00:00:00Z&b=null&c=yesterday&s=x&t=");
    assert.equal(q.time("a"), "2026-12-01T00:00:00Z");
    assert.equal(q.time("b"), undefined);
    assert.throws(() => q.time("c"), {
      name: "SyntaxError",
      message:
        'parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as RFC 3339',
    });
    assert.equal(q.string("s"), "x");
    assert.equal(q.string("t"), undefined);
  });
});
