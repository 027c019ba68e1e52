import assert from "node:assert/strict";
import { goQuote } from "./_go_quote.ts";

Deno.test("goQuote() quotes as Go's strconv.Quote", async (t) => {
  const cases: [string, string][] = [
    ["", '""'],
    ["plain value", '"plain value"'],
    ['say "hi"', '"say \\"hi\\""'],
    ["back\\slash", '"back\\\\slash"'],
    ["two\nlines\ttab", '"two\\nlines\\ttab"'],
    ["\x07\b\f\r\v", '"\\a\\b\\f\\r\\v"'],
    ["nul\x00del\x7f", '"nul\\x00del\\x7f"'],
    ["\x1b[0m", '"\\x1b[0m"'],
    ["héllo wörld ☃", '"héllo wörld ☃"'],
    ["日本語", '"日本語"'],
    ["\u0085next line", '"\\u0085next line"'],
    ["nbsp\u00a0", '"nbsp\\u00a0"'],
    ["zero\u200bwidth", '"zero\\u200bwidth"'],
    ["emoji 😀", '"emoji 😀"'],
    ["private \u{f0000}", '"private \\U000f0000"'],
    ["lone \ud800", '"lone �"'],
  ];
  for (const [input, want] of cases) {
    await t.step(JSON.stringify(input), () => assert.equal(goQuote(input), want));
  }
});
