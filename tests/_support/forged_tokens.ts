/**
 * JSON Web Tokens as an attacker (or a fuzzer) makes them: decode a token the server issued,
 * change its header or claims, and put it back together with the original signature, no
 * signature, or one made with a key of the attacker's (ES256, RS256, or HS256 keyed with the
 * server's public key — the algorithm-confusion trick). Nothing here verifies anything: the
 * tests ask whether the server does.
 *
 * @module
 */

/** The three parts of a compact JWS, decoded where they are JSON. */
export interface DecodedJwt {
  readonly header: Record<string, unknown>;
  readonly payload: Record<string, unknown>;
  /** The third part, as sent (base64url). */
  readonly signature: string;
}

/** `bytes` (or text as UTF-8) as base64url without padding. */
export function base64Url(data: Uint8Array | string): string {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  return bytes.toBase64({ alphabet: "base64url", omitPadding: true });
}

/** Splits a compact JWS and decodes its header and payload. Throws on anything else. */
export function decodeJwt(token: string): DecodedJwt {
  const parts = token.split(".");
  if (parts.length !== 3) throw new SyntaxError(`Cannot decode JWT: ${parts.length} parts`);
  const json = (part: string) =>
    JSON.parse(
      new TextDecoder().decode(Uint8Array.fromBase64(part, { alphabet: "base64url" })),
    ) as Record<string, unknown>;
  return { header: json(parts[0]!), payload: json(parts[1]!), signature: parts[2]! };
}

/** `base64url(header).base64url(payload).signature` — any signature text, as given. */
export function encodeJwt(
  parts: { readonly header: unknown; readonly payload: unknown },
  signature = "",
): string {
  return `${base64Url(JSON.stringify(parts.header))}.${
    base64Url(JSON.stringify(parts.payload))
  }.${signature}`;
}

/** A key an attacker signs with, and the `alg` it writes into the header. */
export type AttackerKey =
  | { readonly alg: "ES256"; readonly key: CryptoKey }
  | { readonly alg: "RS256"; readonly key: CryptoKey }
  | { readonly alg: "HS256"; readonly secret: Uint8Array };

/** A new ES256 or RS256 key pair's private key, as an {@linkcode AttackerKey}. */
export async function attackerKey(alg: "ES256" | "RS256"): Promise<AttackerKey> {
  if (alg === "ES256") {
    const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, [
      "sign",
      "verify",
    ]);
    return { alg, key: pair.privateKey };
  }
  const pair = await crypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    false,
    ["sign", "verify"],
  );
  return { alg, key: pair.privateKey };
}

/** Signs `header` (its `alg` set to the key's) and `payload` with an attacker's key. */
export async function signJwt(
  parts: { readonly header: Record<string, unknown>; readonly payload: unknown },
  key: AttackerKey,
): Promise<string> {
  const unsigned = encodeJwt({ header: { ...parts.header, alg: key.alg }, payload: parts.payload })
    .slice(0, -1);
  const input = new TextEncoder().encode(unsigned);
  let signature: ArrayBuffer;
  switch (key.alg) {
    case "ES256":
      signature = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, key.key, input);
      break;
    case "RS256":
      signature = await crypto.subtle.sign("RSASSA-PKCS1-v1_5", key.key, input);
      break;
    case "HS256": {
      const hmac = await crypto.subtle.importKey(
        "raw",
        new Uint8Array(key.secret),
        { name: "HMAC", hash: "SHA-256" },
        false,
        ["sign"],
      );
      signature = await crypto.subtle.sign("HMAC", hmac, input);
      break;
    }
  }
  return `${unsigned}.${base64Url(new Uint8Array(signature))}`;
}
