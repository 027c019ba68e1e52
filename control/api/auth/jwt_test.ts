import assert from "node:assert/strict";
import {
  algorithmOf,
  decodeBase64Url,
  encodeBase64Url,
  JwtError,
  MAX_JWT_LENGTH,
  parseJws,
  signJws,
  verifyJws,
} from "./jwt.ts";

const enc = new TextEncoder();
function b64(s: string): string {
  return encodeBase64Url(enc.encode(s));
}

const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
  "sign",
  "verify",
]);
const other = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, [
  "sign",
  "verify",
]);

Deno.test("encodeBase64Url() and decodeBase64Url() round-trip every length", () => {
  for (let n = 0; n < 40; n++) {
    const bytes = crypto.getRandomValues(new Uint8Array(n));
    const text = encodeBase64Url(bytes);
    assert.match(text, /^[A-Za-z0-9_-]*$/);
    assert.deepEqual(decodeBase64Url(text), bytes);
  }
});

Deno.test("decodeBase64Url() refuses non-canonical text", async (t) => {
  const cases: [string, string][] = [
    ["padding", "AQI="],
    ["standard alphabet", "+/8"],
    ["whitespace", "AQ I"],
    ["newline", "AQ\nI"],
    ["one trailing character", "AQIDB"],
    ["stray bits", "AR"],
    ["non-ASCII", "AQé"],
    ["dot", "A.Q"],
  ];
  for (const [name, text] of cases) {
    await t.step(name, () => assert.throws(() => decodeBase64Url(text), SyntaxError));
  }
});

Deno.test("signJws() writes upstream's header and verifyJws() accepts the token", async () => {
  const token = await signJws({ iss: "me", n: 1 }, { key: pair.privateKey, kid: "k1" });
  const [h] = token.split(".");
  assert.equal(new TextDecoder().decode(decodeBase64Url(h!)), '{"alg":"ES256","kid":"k1"}');
  const parsed = parseJws(token);
  assert.deepEqual(parsed.header, { alg: "ES256", kid: "k1" });
  assert.deepEqual(parsed.payload, { iss: "me", n: 1 });
  assert.equal(parsed.signature.length, 64);
  await verifyJws(parsed, pair.publicKey);
});

Deno.test("signJws() omits kid when none is given", async () => {
  const parsed = parseJws(await signJws({}, { key: pair.privateKey }));
  assert.deepEqual(parsed.header, { alg: "ES256" });
  await verifyJws(parsed, pair.publicKey);
});

Deno.test("signJws() refuses a key that is not ES256", async () => {
  const hmac = await crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  await assert.rejects(() => signJws({}, { key: hmac }), TypeError);
  assert.equal(algorithmOf(hmac), null);
  assert.equal(algorithmOf(pair.publicKey), "ES256");
});

Deno.test("parseJws() refuses malformed tokens with JwtError", async (t) => {
  const good = await signJws({ a: 1 }, { key: pair.privateKey, kid: "k" });
  const [h, p, s] = good.split(".") as [string, string, string];
  const cases: [string, string][] = [
    ["empty", ""],
    ["one part", h],
    ["two parts", `${h}.${p}`],
    ["four parts", `${good}.x`],
    ["empty header", `.${p}.${s}`],
    ["empty payload", `${h}..${s}`],
    ["empty signature", `${h}.${p}.`],
    ["header not base64url", `${h}=.${p}.${s}`],
    ["header not JSON", `${b64("{alg")}.${p}.${s}`],
    ["header an array", `${b64('["ES256"]')}.${p}.${s}`],
    ["header null", `${b64("null")}.${p}.${s}`],
    ["header without alg", `${b64('{"kid":"k"}')}.${p}.${s}`],
    ["alg not a string", `${b64('{"alg":1}')}.${p}.${s}`],
    ["alg empty", `${b64('{"alg":""}')}.${p}.${s}`],
    ["kid not a string", `${b64('{"alg":"ES256","kid":7}')}.${p}.${s}`],
    ["typ not a string", `${b64('{"alg":"ES256","typ":{}}')}.${p}.${s}`],
    ["crit", `${b64('{"alg":"ES256","crit":["exp"]}')}.${p}.${s}`],
    ["header too long", `${b64(`{"alg":"ES256","x":"${"a".repeat(2000)}"}`)}.${p}.${s}`],
    ["payload a string", `${h}.${b64('"x"')}.${s}`],
    ["payload not UTF-8", `${h}.${encodeBase64Url(new Uint8Array([0xff, 0xfe]))}.${s}`],
    ["signature padded", `${h}.${p}.${s}=`],
    ["token too long", `${h}.${b64(`{"a":"${"a".repeat(MAX_JWT_LENGTH)}"}`)}.${s}`],
  ];
  for (const [name, token] of cases) {
    await t.step(name, () => assert.throws(() => parseJws(token), JwtError));
  }
});

Deno.test("verifyJws() refuses tampered and confused tokens", async (t) => {
  const good = await signJws({ sub: "a" }, { key: pair.privateKey, kid: "k" });
  const [h, p, s] = good.split(".") as [string, string, string];
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey));
  // The classic confusion: HS256 with the verifier's public key bytes as the HMAC secret.
  const hsHeader = b64('{"alg":"HS256","kid":"k"}');
  const hmacKey = await crypto.subtle.importKey(
    "raw",
    spki,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const hsSig = new Uint8Array(
    await crypto.subtle.sign("HMAC", hmacKey, enc.encode(`${hsHeader}.${p}`)),
  );
  const flipped = decodeBase64Url(s);
  flipped[10]! ^= 1;
  const cases: [string, string, CryptoKey][] = [
    ["payload changed", `${h}.${b64('{"sub":"b"}')}.${s}`, pair.publicKey],
    ["header kid changed", `${b64('{"alg":"ES256","kid":"x"}')}.${p}.${s}`, pair.publicKey],
    ["signature bit flipped", `${h}.${p}.${encodeBase64Url(flipped)}`, pair.publicKey],
    [
      "signature truncated",
      `${h}.${p}.${encodeBase64Url(flipped.subarray(0, 63))}`,
      pair.publicKey,
    ],
    ["alg none", `${b64('{"alg":"none"}')}.${p}.${s}`, pair.publicKey],
    [
      "alg HS256 with the public key as secret",
      `${hsHeader}.${p}.${encodeBase64Url(hsSig)}`,
      pair
        .publicKey,
    ],
    ["alg ES384", `${b64('{"alg":"ES384","kid":"k"}')}.${p}.${s}`, pair.publicKey],
    ["another key", good, other.publicKey],
  ];
  for (const [name, token, key] of cases) {
    await t.step(name, async () => {
      await assert.rejects(() => verifyJws(parseJws(token), key), JwtError);
    });
  }
});

Deno.test("verifyJws() refuses a key that is not ES256", async () => {
  const rsa = await crypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    false,
    ["sign", "verify"],
  );
  const token = await signJws({}, { key: pair.privateKey });
  await assert.rejects(() => verifyJws(parseJws(token), rsa.publicKey), JwtError);
});
