import assert from "node:assert/strict";
import { createHash, createPublicKey } from "node:crypto";
import { parseJws, signJws, verifyJws } from "./jwt.ts";
import {
  ensureServiceAccountKeys,
  importVerifyingKey,
  keyIdOf,
  SERVICE_ACCOUNT_KEY_FILE,
  ServiceAccountKeys,
} from "./service_account_keys.ts";

async function publicPem(keys: ServiceAccountKeys): Promise<string> {
  const spki = new Uint8Array(
    await crypto.subtle.exportKey("spki", keys.verifyingKeys[0]!.publicKey),
  );
  const lines = spki.toBase64().match(/.{1,64}/g)!;
  return `-----BEGIN PUBLIC KEY-----\n${lines.join("\n")}\n-----END PUBLIC KEY-----\n`;
}

Deno.test("ServiceAccountKeys.generate() computes kid as upstream: base64url SHA-256 of the SPKI DER", async () => {
  const keys = await ServiceAccountKeys.generate();
  // Independently: Node's crypto reads the PKCS#8 PEM and exports the public key's DER.
  const der = createPublicKey(keys.privateKeyPem).export({ type: "spki", format: "der" });
  const expected = createHash("sha256").update(der).digest("base64url");
  assert.equal(keys.signing.kid, expected);
  const spki = new Uint8Array(
    await crypto.subtle.exportKey("spki", keys.verifyingKeys[0]!.publicKey),
  );
  assert.equal(await keyIdOf(spki), expected);
});

Deno.test("ServiceAccountKeys.jwks() lists the public key as upstream's JWK", async () => {
  const keys = await ServiceAccountKeys.generate();
  const set = keys.jwks();
  assert.equal(set.keys.length, 1);
  const jwk = set.keys[0]!;
  assert.deepEqual(Object.keys(jwk), ["use", "kty", "kid", "crv", "alg", "x", "y"]);
  assert.equal(jwk.use, "sig");
  assert.equal(jwk.kty, "EC");
  assert.equal(jwk.crv, "P-256");
  assert.equal(jwk.alg, "ES256");
  assert.equal(jwk.kid, keys.signing.kid);
  assert.match(jwk.x, /^[A-Za-z0-9_-]{43}$/);
  assert.match(jwk.y, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(JSON.stringify(jwk).includes('"d"'), false);
  assert.equal(keys.jwks(), set);
});

Deno.test("ServiceAccountKeys.fromPrivateKeyPem() loads the same key and it signs verifiably", async () => {
  const made = await ServiceAccountKeys.generate();
  const loaded = await ServiceAccountKeys.fromPrivateKeyPem(made.privateKeyPem);
  assert.equal(loaded.signing.kid, made.signing.kid);
  assert.equal(loaded.privateKeyPem, made.privateKeyPem);
  assert.equal(loaded.signing.privateKey.extractable, false);
  const token = await signJws({ a: 1 }, {
    key: loaded.signing.privateKey,
    kid: loaded.signing.kid,
  });
  await verifyJws(parseJws(token), made.verifying(made.signing.kid)!.publicKey);
});

Deno.test("ServiceAccountKeys keeps older verifying keys for rotation, signing key first", async () => {
  const old = await ServiceAccountKeys.generate();
  const current = await ServiceAccountKeys.generate();
  const oldPem = await publicPem(old);
  const keys = await ServiceAccountKeys.fromPrivateKeyPem(current.privateKeyPem, {
    extraVerifyingKeys: [oldPem, oldPem, await publicPem(current)],
  });
  assert.deepEqual(keys.verifyingKeys.map((k) => k.kid), [current.signing.kid, old.signing.kid]);
  assert.deepEqual(keys.jwks().keys.map((k) => k.kid), [current.signing.kid, old.signing.kid]);
  assert.equal(keys.signing.kid, current.signing.kid);
  assert.ok(keys.verifying(old.signing.kid));
  assert.equal(keys.verifying("nope"), undefined);
});

Deno.test("ServiceAccountKeys refuses keys that are not ECDSA P-256", async (t) => {
  const rsa = await crypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    true,
    ["sign", "verify"],
  );
  const pemOf = (label: string, der: ArrayBuffer) =>
    `-----BEGIN ${label}-----\n${new Uint8Array(der).toBase64()}\n-----END ${label}-----\n`;
  const rsaPrivate = pemOf("PRIVATE KEY", await crypto.subtle.exportKey("pkcs8", rsa.privateKey));
  const rsaPublic = pemOf("PUBLIC KEY", await crypto.subtle.exportKey("spki", rsa.publicKey));
  await t.step("RSA private key", async () => {
    await assert.rejects(() => ServiceAccountKeys.fromPrivateKeyPem(rsaPrivate), TypeError);
  });
  await t.step("RSA public key", async () => {
    await assert.rejects(() => importVerifyingKey(rsaPublic), TypeError);
  });
  await t.step("no PEM block", async () => {
    await assert.rejects(() => ServiceAccountKeys.fromPrivateKeyPem("garbage"), SyntaxError);
  });
});

Deno.test("ensureServiceAccountKeys() creates the key file 0600 once and loads it later", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    const first = await ensureServiceAccountKeys({ dataDir });
    const path = `${dataDir}/tls/${SERVICE_ACCOUNT_KEY_FILE}`;
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.equal((await Deno.stat(`${dataDir}/tls`)).mode! & 0o777, 0o700);
    assert.match(await Deno.readTextFile(path), /^-----BEGIN PRIVATE KEY-----\n/);
    const second = await ensureServiceAccountKeys({ dataDir });
    assert.equal(second.signing.kid, first.signing.kid);
    await Deno.chmod(path, 0o644);
    await ensureServiceAccountKeys({ dataDir });
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("ensureServiceAccountKeys() names the file it cannot load", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dataDir}/tls`);
    await Deno.writeTextFile(`${dataDir}/tls/${SERVICE_ACCOUNT_KEY_FILE}`, "not a key", {
      mode: 0o600,
    });
    await assert.rejects(
      () => ensureServiceAccountKeys({ dataDir }),
      (err: Error) =>
        err.message.includes(SERVICE_ACCOUNT_KEY_FILE) && !err.message.includes("not a key"),
    );
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("ensureServiceAccountKeys() adds the extra verifying keys on first start too", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    const old = await ServiceAccountKeys.generate();
    const keys = await ensureServiceAccountKeys({
      dataDir,
      extraVerifyingKeys: [await publicPem(old)],
    });
    assert.equal(keys.verifyingKeys.length, 2);
    assert.ok(keys.verifying(old.signing.kid));
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
