/**
 * `[]byte` fields in JSON: standard base64 decoded as Go's `base64.StdEncoding` decodes it
 * (padding required, `\r` and `\n` ignored, non-zero trailing bits tolerated), failing with its
 * message (`illegal base64 data at input byte 4`), and written back in canonical form.
 *
 * @module
 */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const DECODE = new Int16Array(256).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

const CANONICAL = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The bytes of a base64 text, or Go's error message.
 */
export function decodeGoBase64(text: string): Uint8Array | string {
  const src = new TextEncoder().encode(text);
  const out = new Uint8Array(Math.floor(src.length / 4) * 3 + 3);
  let n = 0;
  let si = 0;
  while (si < src.length) {
    const buf = [0, 0, 0, 0];
    let len = 4;
    let j = 0;
    for (; j < 4; j++) {
      if (si === src.length) {
        if (j === 0) return out.slice(0, n);
        return `illegal base64 data at input byte ${si - j}`;
      }
      const c = src[si]!;
      si++;
      const v = DECODE[c]!;
      if (v >= 0) {
        buf[j] = v;
        continue;
      }
      if (c === 0x0a || c === 0x0d) {
        j--;
        continue;
      }
      if (c !== 0x3d) return `illegal base64 data at input byte ${si - 1}`;
      // Padding.
      if (j === 0 || j === 1) return `illegal base64 data at input byte ${si - 1}`;
      if (j === 2) {
        while (si < src.length && (src[si] === 0x0a || src[si] === 0x0d)) si++;
        if (si === src.length) return `illegal base64 data at input byte ${src.length}`;
        if (src[si] !== 0x3d) return `illegal base64 data at input byte ${si - 1}`;
        si++;
      }
      while (si < src.length && (src[si] === 0x0a || src[si] === 0x0d)) si++;
      if (si < src.length) return `illegal base64 data at input byte ${si}`;
      len = j;
      break;
    }
    const val = (buf[0]! << 18) | (buf[1]! << 12) | (buf[2]! << 6) | buf[3]!;
    out[n] = val >> 16;
    if (len >= 3) out[n + 1] = (val >> 8) & 0xff;
    if (len === 4) out[n + 2] = val & 0xff;
    n += len - 1;
  }
  return out.slice(0, n);
}

/** Standard base64 with padding. */
export function encodeBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

/** The canonical base64 of a valid base64 text, or Go's error message. */
export function canonicalBase64(text: string): { readonly text: string } | string {
  // Fast path: already canonical (the common case) needs no re-encoding... unless its last
  // character carries non-zero trailing bits, which Go accepts and re-encoding clears.
  if (CANONICAL.test(text) && !hasTrailingBits(text)) return { text };
  const bytes = decodeGoBase64(text);
  return typeof bytes === "string" ? bytes : { text: encodeBase64(bytes) };
}

function hasTrailingBits(text: string): boolean {
  if (text.endsWith("==")) return (DECODE[text.charCodeAt(text.length - 3)]! & 0x0f) !== 0;
  if (text.endsWith("=")) return (DECODE[text.charCodeAt(text.length - 2)]! & 0x03) !== 0;
  return false;
}
