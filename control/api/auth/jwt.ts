/**
 * Compact JSON Web Signatures (RFC 7515) as ServiceAccount tokens use them: ES256 (ECDSA on
 * P-256 with SHA-256, the signature being the raw `r||s` pair WebCrypto produces), signed and
 * verified with WebCrypto. Parsing is strict: exactly three parts, canonical base64url without
 * padding or whitespace, a JSON object header with a string `alg` (and optional string `kid`,
 * `typ`), no `crit`, a JSON object payload, a 64-byte signature and size limits. A token that
 * breaks any rule throws a {@linkcode JwtError}; verification refuses a header `alg` other than
 * the key's, so `none` and `HS256` never verify.
 *
 * @example Sign and verify a token
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseJws, signJws, verifyJws } from "./jwt.ts";
 *
 * const keys = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, [
 *   "sign",
 *   "verify",
 * ]);
 * const token = await signJws({ sub: "me" }, { key: keys.privateKey, kid: "k1" });
 * const parsed = parseJws(token);
 * await verifyJws(parsed, keys.publicKey);
 * assert.equal(parsed.payload.sub, "me");
 * assert.equal(parsed.header.kid, "k1");
 * ```
 *
 * @module
 */

/** A token that is malformed, or whose signature or algorithm does not verify. */
export class JwtError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "JwtError";
  }
}

/** The only algorithm skiff signs and verifies with. */
export const ES256 = "ES256";

/** The longest token {@linkcode parseJws} reads, in characters. */
export const MAX_JWT_LENGTH = 16 * 1024;

/** The longest decoded header, in bytes. */
const MAX_HEADER_BYTES = 1024;

/** The length of an ES256 signature: `r` and `s`, 32 bytes each. */
const ES256_SIGNATURE_BYTES = 64;

/** A JWS protected header. */
export interface JwsHeader {
  readonly alg: string;
  readonly kid?: string;
  readonly typ?: string;
}

/** A parsed (not yet verified) compact JWS. */
export interface ParsedJws {
  readonly header: JwsHeader;
  /** The claims: a JSON object. Not to be trusted before {@linkcode verifyJws}. */
  readonly payload: Readonly<Record<string, unknown>>;
  /** `base64url(header) "." base64url(payload)`: the bytes the signature covers. */
  readonly signingInput: Uint8Array<ArrayBuffer>;
  readonly signature: Uint8Array<ArrayBuffer>;
}

/** `bytes` as base64url without padding (RFC 7515 §2). */
export function encodeBase64Url(bytes: Uint8Array): string {
  return bytes.toBase64({ alphabet: "base64url", omitPadding: true });
}

/**
 * Decodes canonical base64url without padding; throws a `SyntaxError` for anything else
 * (padding, whitespace, characters outside the alphabet, non-zero trailing bits).
 */
export function decodeBase64Url(text: string): Uint8Array<ArrayBuffer> {
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = Uint8Array.fromBase64(text, { alphabet: "base64url", lastChunkHandling: "loose" });
  } catch {
    throw new SyntaxError("Cannot decode base64url: invalid characters or length");
  }
  // Only the canonical text round-trips: this refuses padding, whitespace and stray bits.
  if (encodeBase64Url(bytes) !== text) {
    throw new SyntaxError("Cannot decode base64url: not in canonical unpadded form");
  }
  return bytes;
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });
const ENCODER = new TextEncoder();

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function decodeJsonObject(part: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(UTF8.decode(decodeBase64Url(part)));
  } catch (err) {
    throw new JwtError(`Cannot parse token: the ${what} is not base64url-encoded JSON`, {
      cause: err,
    });
  }
  if (!isPlainObject(value)) {
    throw new JwtError(`Cannot parse token: the ${what} is not a JSON object`);
  }
  return value;
}

function parseHeader(part: string): JwsHeader {
  // Four base64url characters encode three bytes.
  if (part.length > Math.ceil(MAX_HEADER_BYTES / 3) * 4) {
    throw new JwtError(`Cannot parse token: the header is longer than ${MAX_HEADER_BYTES} bytes`);
  }
  const raw = decodeJsonObject(part, "header");
  const { alg, kid, typ } = raw;
  if (typeof alg !== "string" || alg === "") {
    throw new JwtError('Cannot parse token: the header has no string "alg"');
  }
  if (kid !== undefined && typeof kid !== "string") {
    throw new JwtError('Cannot parse token: the header\'s "kid" is not a string');
  }
  if (typ !== undefined && typeof typ !== "string") {
    throw new JwtError('Cannot parse token: the header\'s "typ" is not a string');
  }
  // RFC 7515 §4.1.11: extensions the recipient must understand; skiff understands none.
  if ("crit" in raw) throw new JwtError('Cannot parse token: the header has "crit"');
  return {
    alg,
    ...(kid !== undefined ? { kid } : {}),
    ...(typ !== undefined ? { typ } : {}),
  };
}

/** Parses a compact JWS, strictly; throws {@linkcode JwtError} when it is malformed. */
export function parseJws(token: string): ParsedJws {
  if (typeof token !== "string") throw new JwtError("Cannot parse token: not a string");
  if (token.length > MAX_JWT_LENGTH) {
    throw new JwtError(`Cannot parse token: longer than ${MAX_JWT_LENGTH} characters`);
  }
  const first = token.indexOf(".");
  const second = first < 0 ? -1 : token.indexOf(".", first + 1);
  if (second < 0 || token.indexOf(".", second + 1) >= 0) {
    throw new JwtError("Cannot parse token: it does not have three parts");
  }
  const headerPart = token.slice(0, first);
  const payloadPart = token.slice(first + 1, second);
  const signaturePart = token.slice(second + 1);
  if (headerPart === "" || payloadPart === "" || signaturePart === "") {
    throw new JwtError("Cannot parse token: a part is empty");
  }
  const header = parseHeader(headerPart);
  const payload = decodeJsonObject(payloadPart, "payload");
  let signature: Uint8Array<ArrayBuffer>;
  try {
    signature = decodeBase64Url(signaturePart);
  } catch (err) {
    throw new JwtError("Cannot parse token: the signature is not base64url", { cause: err });
  }
  return {
    header,
    payload,
    signingInput: ENCODER.encode(token.slice(0, second)),
    signature,
  };
}

/** The JWS algorithm of a WebCrypto key, or null when skiff does not sign with its kind. */
export function algorithmOf(key: CryptoKey): string | null {
  const alg = key.algorithm as EcKeyAlgorithm;
  return alg.name === "ECDSA" && alg.namedCurve === "P-256" ? ES256 : null;
}

const ECDSA_SHA256: EcdsaParams = { name: "ECDSA", hash: "SHA-256" };

/**
 * Checks the signature of `parsed` with `key` (an ES256 public key); throws
 * {@linkcode JwtError} when the header's `alg` is not the key's or the signature is wrong.
 */
export async function verifyJws(parsed: ParsedJws, key: CryptoKey): Promise<void> {
  const alg = algorithmOf(key);
  if (alg === null) throw new JwtError("Cannot verify token: the key is not an ES256 key");
  if (parsed.header.alg !== alg) {
    throw new JwtError(
      `Cannot verify token: algorithm "${parsed.header.alg}" is not the key's "${alg}"`,
    );
  }
  if (parsed.signature.length !== ES256_SIGNATURE_BYTES) {
    throw new JwtError("Cannot verify token: the signature has the wrong length");
  }
  const ok = await crypto.subtle.verify(ECDSA_SHA256, key, parsed.signature, parsed.signingInput);
  if (!ok) throw new JwtError("Cannot verify token: the signature does not match");
}

/** Options of {@linkcode signJws}. */
export interface SignJwsOptions {
  /** An ES256 private key (ECDSA P-256) that may sign. */
  readonly key: CryptoKey;
  /** The key's id, written into the header. */
  readonly kid?: string;
}

/**
 * Signs `payload` (a JSON object) as a compact JWS with header `{"alg":"ES256","kid":…}`, as
 * kube-apiserver's tokens carry (no `typ`).
 */
export async function signJws(payload: object, options: SignJwsOptions): Promise<string> {
  const alg = algorithmOf(options.key);
  if (alg === null) throw new TypeError("Cannot sign token: the key is not an ES256 key");
  const header = options.kid === undefined ? { alg } : { alg, kid: options.kid };
  const input = `${encodeBase64Url(ENCODER.encode(JSON.stringify(header)))}.${
    encodeBase64Url(ENCODER.encode(JSON.stringify(payload)))
  }`;
  const sig = new Uint8Array(
    await crypto.subtle.sign(ECDSA_SHA256, options.key, ENCODER.encode(input)),
  );
  return `${input}.${encodeBase64Url(sig)}`;
}
