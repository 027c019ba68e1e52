/**
 * HPACK's static Huffman code (RFC 7541 Appendix B) for {@linkcode ./_hpack.ts}: decoding of
 * Huffman-coded header strings, and encoding (the encoder uses it when it is shorter).
 *
 * The code is canonical: codes of one length are consecutive in symbol order, and each length's
 * first code follows from the previous length's. So the table is kept as the code length of each
 * of the 257 symbols (256 octets and EOS) and the codes are rebuilt from it once, on first use.
 *
 * @module
 */

/** Code length in bits of symbols 0 to 255 and of EOS (256), per RFC 7541 Appendix B. */
// deno-fmt-ignore
const CODE_LENGTHS: readonly number[] = [
  // 0 to 31: control characters
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,
  28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  // 32 to 63: ' ' to '?'
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,
  5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  // 64 to 95: '@' to '_'
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
  7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
  // 96 to 127: '`' to DEL
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
  6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
  // 128 to 255
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
  24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,
  21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,
  19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
  26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
  // 256: EOS
  30,
];

/** The end-of-string symbol; it must never appear in a decoded string. */
const EOS = 256;
const MAX_LENGTH = 30;

interface Code {
  /** Each symbol's code, right-aligned. */
  readonly codes: Uint32Array;
  /** For each length: the first code of that length, and how many codes have it. */
  readonly firstCode: Float64Array;
  readonly count: Uint16Array;
  /** For each length: where its symbols start in {@linkcode Code.symbols}. */
  readonly offset: Uint16Array;
  /** Symbols ordered by (code length, symbol). */
  readonly symbols: Uint16Array;
}

let built: Code | undefined;

function code(): Code {
  if (built) return built;
  const count = new Uint16Array(MAX_LENGTH + 1);
  for (const length of CODE_LENGTHS) count[length]!++;
  const offset = new Uint16Array(MAX_LENGTH + 1);
  const firstCode = new Float64Array(MAX_LENGTH + 1);
  let next = 0;
  let position = 0;
  for (let length = 1; length <= MAX_LENGTH; length++) {
    next = (next + count[length - 1]!) * 2;
    firstCode[length] = next;
    offset[length] = position;
    position += count[length]!;
  }
  const symbols = new Uint16Array(CODE_LENGTHS.length);
  const codes = new Uint32Array(CODE_LENGTHS.length);
  const filled = new Uint16Array(MAX_LENGTH + 1);
  for (let symbol = 0; symbol < CODE_LENGTHS.length; symbol++) {
    const length = CODE_LENGTHS[symbol]!;
    const rank = filled[length]!++;
    symbols[offset[length]! + rank] = symbol;
    codes[symbol] = firstCode[length]! + rank;
  }
  built = { codes, firstCode, count, offset, symbols };
  return built;
}

/** The code of `symbol` (0 to 256) and its length, as RFC 7541 Appendix B lists them. */
export function huffmanCode(symbol: number): { readonly code: number; readonly bits: number } {
  const bits = CODE_LENGTHS[symbol];
  if (bits === undefined) throw new RangeError(`Cannot find Huffman symbol ${symbol}`);
  return { code: code().codes[symbol]!, bits };
}

/**
 * Decodes a Huffman-coded string's octets. Throws a SyntaxError for an EOS symbol, padding longer
 * than 7 bits or padding that is not the most significant bits of EOS (all ones).
 */
export function huffmanDecode(input: Uint8Array): Uint8Array {
  const { firstCode, count, offset, symbols } = code();
  const out = new Uint8Array(Math.ceil((input.length * 8) / 5));
  let written = 0;
  let current = 0;
  let length = 0;
  for (const byte of input) {
    for (let bit = 7; bit >= 0; bit--) {
      current = current * 2 + ((byte >> bit) & 1);
      length++;
      const rank = current - firstCode[length]!;
      if (rank < count[length]!) {
        const symbol = symbols[offset[length]! + rank]!;
        if (symbol === EOS) throw new SyntaxError("Cannot decode Huffman string: it contains EOS");
        out[written++] = symbol;
        current = 0;
        length = 0;
      } else if (length === MAX_LENGTH) {
        throw new SyntaxError("Cannot decode Huffman string: invalid code");
      }
    }
  }
  // What is left must be padding: fewer than 8 bits, all ones (a prefix of EOS).
  if (length > 7) throw new SyntaxError("Cannot decode Huffman string: padding longer than 7 bits");
  if (current !== 2 ** length - 1) {
    throw new SyntaxError("Cannot decode Huffman string: padding is not EOS");
  }
  return out.subarray(0, written);
}

/** The length in octets of `input` once Huffman-coded. */
export function huffmanEncodedLength(input: Uint8Array): number {
  let bits = 0;
  for (const byte of input) bits += CODE_LENGTHS[byte]!;
  return Math.ceil(bits / 8);
}

/** Huffman-codes `input`, padding the last octet with the most significant bits of EOS. */
export function huffmanEncode(input: Uint8Array): Uint8Array {
  const { codes } = code();
  const out = new Uint8Array(huffmanEncodedLength(input));
  let written = 0;
  // Pending bits, most significant first; at most 7 + 30 of them, so a float holds them exactly.
  let pending = 0;
  let pendingBits = 0;
  for (const byte of input) {
    pending = pending * 2 ** CODE_LENGTHS[byte]! + codes[byte]!;
    pendingBits += CODE_LENGTHS[byte]!;
    while (pendingBits >= 8) {
      pendingBits -= 8;
      const top = Math.floor(pending / 2 ** pendingBits);
      out[written++] = top;
      pending -= top * 2 ** pendingBits;
    }
  }
  if (pendingBits > 0) {
    out[written++] = pending * 2 ** (8 - pendingBits) + (2 ** (8 - pendingBits) - 1);
  }
  return out;
}
