import assert from "node:assert/strict";
import { huffmanCode, huffmanDecode, huffmanEncode, huffmanEncodedLength } from "./_huffman.ts";

function hex(text: string): Uint8Array {
  const digits = text.replace(/\s+/g, "");
  return Uint8Array.from(digits.match(/../g) ?? [], (d) => parseInt(d, 16));
}

const ascii = new TextEncoder();

Deno.test("huffmanCode() rebuilds the codes RFC 7541 Appendix B lists", async (t) => {
  const cases: [symbol: number, code: number, bits: number][] = [
    [0, 0x1ff8, 13],
    [1, 0x7fffd8, 23],
    [9, 0xffffea, 24],
    [10, 0x3ffffffc, 30],
    [32, 0x14, 6],
    [48, 0x0, 5],
    [58, 0x5c, 7],
    [88, 0xfc, 8],
    [92, 0x7fff0, 19],
    [97, 0x3, 5],
    [126, 0x1ffd, 13],
    [127, 0xffffffc, 28],
    [128, 0xfffe6, 20],
    [153, 0x1fffdc, 21],
    [199, 0x1ffffec, 25],
    [203, 0x7ffffde, 27],
    [255, 0x3ffffee, 26],
    [256, 0x3fffffff, 30],
  ];
  for (const [symbol, code, bits] of cases) {
    await t.step(`symbol ${symbol}`, () => assert.deepEqual(huffmanCode(symbol), { code, bits }));
  }
  assert.throws(() => huffmanCode(257), RangeError);
});

Deno.test("huffmanDecode() decodes RFC 7541's Huffman-coded strings", async (t) => {
  const cases: [coded: string, text: string][] = [
    ["f1e3 c2e5 f23a 6ba0 ab90 f4ff", "www.example.com"],
    ["a8eb 1064 9cbf", "no-cache"],
    ["25a8 49e9 5ba9 7d7f", "custom-key"],
    ["25a8 49e9 5bb8 e8b4 bf", "custom-value"],
    ["6402", "302"],
    ["aec3 771a 4b", "private"],
    ["d07a be94 1054 d444 a820 0595 040b 8166 e082 a62d 1bff", "Mon, 21 Oct 2013 20:13:21 GMT"],
    ["9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3", "https://www.example.com"],
    ["", ""],
  ];
  for (const [coded, text] of cases) {
    await t.step(JSON.stringify(text), () => {
      assert.equal(new TextDecoder().decode(huffmanDecode(hex(coded))), text);
      assert.deepEqual(huffmanEncode(ascii.encode(text)), hex(coded));
      assert.equal(huffmanEncodedLength(ascii.encode(text)), hex(coded).length);
    });
  }
});

Deno.test("huffmanEncode() and huffmanDecode() round-trip every octet", () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  assert.deepEqual(huffmanDecode(huffmanEncode(all)), all);
  const reversed = all.slice().reverse();
  assert.deepEqual(huffmanDecode(huffmanEncode(reversed)), reversed);
  for (let i = 0; i < 256; i++) {
    const one = Uint8Array.of(i);
    assert.deepEqual(huffmanDecode(huffmanEncode(one)), one, `octet ${i}`);
  }
});

Deno.test("huffmanDecode() refuses EOS, long padding and padding that is not ones", async (t) => {
  const cases: [name: string, coded: Uint8Array, message: RegExp][] = [
    // EOS is 30 ones: four 0xff octets hold it whole.
    ["EOS in the string", Uint8Array.of(0xff, 0xff, 0xff, 0xff), /contains EOS/],
    // "0" is 00000; then 8 ones of padding.
    ["8 bits of padding", Uint8Array.of(0x07, 0xff), /padding longer than 7 bits/],
    // "a" is 00011; the 3 bits left are 000, not ones.
    ["zero padding", Uint8Array.of(0x18), /padding is not EOS/],
  ];
  for (const [name, coded, message] of cases) {
    await t.step(
      name,
      () => assert.throws(() => huffmanDecode(coded), { name: "SyntaxError", message }),
    );
  }
});
