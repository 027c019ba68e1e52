/**
 * Strict DER checks for certificates read from the network. pkijs parses BER and converts
 * ECDSA signatures leniently, so a certificate whose envelope was altered — the outer or the
 * signature algorithm's length, the signature BIT STRING's unused-bits count, the tags and
 * lengths inside the ECDSA signature — still verified: the signed part is unchanged, yet the
 * bytes are not the certificate the CA issued. Go's x509 (kube-apiserver) refuses all of these;
 * so does skiff, with these checks before verification.
 *
 * @module
 */
/** Universal tags that may be constructed in DER: SEQUENCE and SET. */
const CONSTRUCTED_UNIVERSAL = new Set([0x30, 0x31]);
/** Nesting deeper than this is refused (certificates nest fewer than 12 levels). */
const MAX_DEPTH = 32;

/**
 * Checks the DER values in `bytes[start, end)` one after the other; returns false at the first
 * that is not DER: a high tag number, an indefinite or non-minimal length, a length past the
 * end, a constructed string type, or (inside) any of these.
 */
function values(bytes: Uint8Array, o: { start: number; end: number; depth: number }): boolean {
  if (o.depth > MAX_DEPTH) return false;
  let at = o.start;
  while (at < o.end) {
    const tag = bytes[at]!;
    if ((tag & 0x1f) === 0x1f) return false; // high tag number form
    const constructed = (tag & 0x20) !== 0;
    if (constructed && (tag & 0xc0) === 0 && !CONSTRUCTED_UNIVERSAL.has(tag)) return false;
    if (at + 1 >= o.end) return false;
    const first = bytes[at + 1]!;
    let length: number;
    let contentStart: number;
    if (first < 0x80) {
      length = first;
      contentStart = at + 2;
    } else {
      const n = first & 0x7f;
      if (n === 0 || n > 4 || at + 1 + n >= o.end) return false; // indefinite, or too long
      if (bytes[at + 2] === 0) return false; // leading zero: not minimal
      length = 0;
      for (let i = 0; i < n; i++) length = length * 256 + bytes[at + 2 + i]!;
      if (length < 0x80) return false; // the short form would do
      contentStart = at + 2 + n;
    }
    const contentEnd = contentStart + length;
    if (contentEnd > o.end) return false;
    if (
      constructed && !values(bytes, { start: contentStart, end: contentEnd, depth: o.depth + 1 })
    ) {
      return false;
    }
    at = contentEnd;
  }
  return true;
}

/**
 * Whether `der` is exactly one ASN.1 value in distinguished encoding as far as its structure
 * goes: definite minimal lengths that add up, low tag numbers, only SEQUENCE and SET (and
 * context or application tags) constructed, nothing left over.
 */
export function isDistinguishedEncoding(der: Uint8Array): boolean {
  if (der.byteLength < 2) return false;
  // Exactly one top-level value: its length must cover the rest.
  const first = der[1]!;
  const headerLength = first < 0x80 ? 2 : 2 + (first & 0x7f);
  if (!values(der, { start: 0, end: der.byteLength, depth: 0 })) return false;
  let length = first < 0x80 ? first : 0;
  if (first >= 0x80) { for (let i = 2; i < headerLength; i++) length = length * 256 + der[i]!; }
  return headerLength + length === der.byteLength;
}

/** Reads one DER INTEGER at `at`: its end, or -1 when it is not a minimal positive INTEGER. */
function positiveInteger(bytes: Uint8Array, at: number): number {
  if (bytes[at] !== 0x02) return -1;
  const length = bytes[at + 1];
  if (length === undefined || length === 0 || length > 0x7f) return -1;
  const start = at + 2;
  const end = start + length;
  if (end > bytes.byteLength) return -1;
  const first = bytes[start]!;
  if (first & 0x80) return -1; // negative
  if (first === 0 && (length === 1 || (bytes[start + 1]! & 0x80) === 0)) return -1; // not minimal
  return end;
}

function toBigInt(bytes: Uint8Array): bigint {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n;
}

/** The two integers of an ECDSA signature. */
export interface EcdsaSignature {
  readonly r: bigint;
  readonly s: bigint;
}

/**
 * The integers of an ECDSA-Sig-Value in DER (RFC 3279 §2.2.3): `SEQUENCE { r INTEGER,
 * s INTEGER }` with a short-form length, minimal positive integers and nothing else; null for
 * anything else.
 */
export function parseDerEcdsaSignature(signature: Uint8Array): EcdsaSignature | null {
  if (signature[0] !== 0x30) return null;
  const length = signature[1];
  if (length === undefined || length > 0x7f || length + 2 !== signature.byteLength) return null;
  const afterR = positiveInteger(signature, 2);
  if (afterR < 0) return null;
  if (positiveInteger(signature, afterR) !== signature.byteLength) return null;
  return {
    r: toBigInt(signature.subarray(4, afterR)),
    s: toBigInt(signature.subarray(afterR + 2)),
  };
}

/** The order of the named curves' base points, by curve OID (FIPS 186-4 D.1.2). */
const CURVE_ORDERS: Readonly<Record<string, bigint>> = {
  // P-256
  "1.2.840.10045.3.1.7": 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  // P-384
  "1.3.132.0.34":
    0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
  // P-521
  "1.3.132.0.35":
    0x1fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
};

/** The order of the curve named `curveOid`, or null for a curve skiff does not know. */
export function curveOrder(curveOid: string): bigint | null {
  return CURVE_ORDERS[curveOid] ?? null;
}
