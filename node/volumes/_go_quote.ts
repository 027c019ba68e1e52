/**
 * Go's `strconv.Quote` (the `%q` verb on a string): a double-quoted literal in which printable
 * characters stay as they are and everything else is escaped, so files such as the downward
 * API's `labels` read exactly as a kubelet writes them.
 *
 * @module
 */

const SHORT_ESCAPES: Readonly<Record<number, string>> = {
  0x07: "\\a",
  0x08: "\\b",
  0x0c: "\\f",
  0x0a: "\\n",
  0x0d: "\\r",
  0x09: "\\t",
  0x0b: "\\v",
  0x22: '\\"',
  0x5c: "\\\\",
};

// Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space.
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, "0");
}

/** `s` quoted as Go's `strconv.Quote` does. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    let cp = ch.codePointAt(0) ?? 0;
    const short = SHORT_ESCAPES[cp];
    if (short !== undefined) {
      out += short;
      continue;
    }
    // A lone surrogate cannot come from valid UTF-8; Go would have read U+FFFD.
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
    const char = String.fromCodePoint(cp);
    if (PRINTABLE.test(char)) out += char;
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${hex(cp, 2)}`;
    else if (cp < 0x10000) out += `\\u${hex(cp, 4)}`;
    else out += `\\U${hex(cp, 8)}`;
  }
  return out + '"';
}
