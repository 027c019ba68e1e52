import assert from "node:assert/strict";
import { curveOrder, isDistinguishedEncoding, parseDerEcdsaSignature } from "./_strict_der.ts";

Deno.test("isDistinguishedEncoding() takes one DER value, nothing else", async (t) => {
  const cases: [string, number[], boolean][] = [
    ["a SEQUENCE of an INTEGER", [0x30, 0x03, 0x02, 0x01, 0x05], true],
    ["an empty SEQUENCE", [0x30, 0x00], true],
    ["trailing bytes", [0x30, 0x03, 0x02, 0x01, 0x05, 0x00], false],
    ["a long-form length where a short one fits", [0x30, 0x81, 0x03, 0x02, 0x01, 0x05], false],
    ["an indefinite length", [0x30, 0x80, 0x02, 0x01, 0x05, 0x00, 0x00], false],
    ["a length longer than the data", [0x30, 0x05, 0x02, 0x01, 0x05], false],
    ["a length shorter than its content", [0x30, 0x02, 0x02, 0x01, 0x05], false],
    ["nothing", [], false],
  ];
  for (const [name, bytes, want] of cases) {
    await t.step(name, () => assert.equal(isDistinguishedEncoding(new Uint8Array(bytes)), want));
  }
});

Deno.test("parseDerEcdsaSignature() takes SEQUENCE { r, s } with minimal positive integers", async (t) => {
  const r = [0x02, 0x02, 0x00, 0x80];
  const s = [0x02, 0x01, 0x7f];
  const seq = (...parts: number[][]) => [0x30, parts.flat().length, ...parts.flat()];
  const cases: [string, number[], boolean][] = [
    ["r and s", seq(r, s), true],
    ["a SEQUENCE with another tag", [0x10, ...seq(r, s).slice(1)], false],
    ["a wrong SEQUENCE length", [0x30, 0x06, ...seq(r, s).slice(2)], false],
    ["an INTEGER with another tag", seq([0x0a, 0x02, 0x00, 0x80], s), false],
    ["a needless leading zero", seq([0x02, 0x02, 0x00, 0x7f], s), false],
    ["a negative integer", seq([0x02, 0x01, 0x80], s), false],
    ["a zero integer", seq([0x02, 0x01, 0x00], s), false],
    ["one integer", seq(r), false],
    ["three integers", seq(r, s, s), false],
    ["trailing bytes", [...seq(r, s), 0x00], false],
  ];
  for (const [name, bytes, want] of cases) {
    await t.step(name, () => {
      const parsed = parseDerEcdsaSignature(new Uint8Array(bytes));
      assert.equal(parsed !== null, want);
      if (parsed) assert.deepEqual(parsed, { r: 0x80n, s: 0x7fn });
    });
  }
});

Deno.test("curveOrder() knows the NIST curves by OID", () => {
  assert.equal(curveOrder("1.2.840.10045.3.1.7")!.toString(16).length, 64);
  assert.equal(curveOrder("1.3.132.0.34")!.toString(16).length, 96);
  assert.equal(curveOrder("1.3.132.0.35")!.toString(2).length, 521);
  assert.equal(curveOrder("1.2.3"), null);
});
