/**
 * The keys ServiceAccount tokens are signed and verified with: one ES256 (ECDSA P-256) signing
 * key kept in `<data-dir>/tls/service-account.key` (PKCS#8 PEM, mode 0600, written atomically;
 * created on first start, loaded later), and the public keys tokens are accepted from — the
 * signing key's, plus older ones kept while tokens they signed are still in use (rotation).
 * A key's id (`kid`) is computed as kube-apiserver does: the unpadded base64url SHA-256 of its
 * DER SubjectPublicKeyInfo. {@linkcode ServiceAccountKeys.jwks} is the JWK Set the OIDC
 * discovery endpoint publishes.
 *
 * @example A key set made in memory
 * ```ts
 * import assert from "node:assert/strict";
 * import { ServiceAccountKeys } from "./service_account_keys.ts";
 *
 * const keys = await ServiceAccountKeys.generate();
 * assert.equal(keys.jwks().keys[0]!.kid, keys.signing.kid);
 * assert.equal(keys.verifying(keys.signing.kid)?.jwk.alg, "ES256");
 * ```
 *
 * @module
 */
import { writeFileAtomic } from "../../util/atomic_file.ts";
import { encodeBase64Url, ES256 } from "./jwt.ts";

/** The signing key's file name under `<data-dir>/tls/`. */
export const SERVICE_ACCOUNT_KEY_FILE = "service-account.key";

const EC_P256: EcKeyImportParams = { name: "ECDSA", namedCurve: "P-256" };

/** A public key as a JWK Set lists it. */
export interface PublicJwk {
  readonly use: "sig";
  readonly kty: "EC";
  readonly kid: string;
  readonly crv: "P-256";
  readonly alg: typeof ES256;
  readonly x: string;
  readonly y: string;
}

/** A JWK Set (`{"keys":[…]}`). */
export interface JwkSet {
  readonly keys: readonly PublicJwk[];
}

/** A key tokens are accepted from. */
export interface VerifyingKey {
  readonly kid: string;
  readonly publicKey: CryptoKey;
  readonly jwk: PublicJwk;
}

/** The key new tokens are signed with. */
export interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
}

/** The unpadded base64url SHA-256 of a DER SubjectPublicKeyInfo: kube-apiserver's `kid`. */
export async function keyIdOf(spkiDer: Uint8Array<ArrayBuffer>): Promise<string> {
  return encodeBase64Url(new Uint8Array(await crypto.subtle.digest("SHA-256", spkiDer)));
}

function pem(label: string, der: Uint8Array): string {
  const lines = der.toBase64().match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

function pemBlock(text: string, label: string): Uint8Array<ArrayBuffer> {
  const m = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]*)-----END ${label}-----`)
    .exec(text);
  if (!m) throw new SyntaxError(`Cannot read PEM: no "${label}" block`);
  return Uint8Array.fromBase64(m[1]!.replace(/\s+/g, ""));
}

async function verifyingKey(publicKey: CryptoKey): Promise<VerifyingKey> {
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", publicKey));
  const kid = await keyIdOf(spki);
  const { x, y } = await crypto.subtle.exportKey("jwk", publicKey);
  if (typeof x !== "string" || typeof y !== "string") {
    throw new TypeError("Cannot export service account key: no curve point");
  }
  return { kid, publicKey, jwk: { use: "sig", kty: "EC", kid, crv: "P-256", alg: ES256, x, y } };
}

/** Reads a PEM `PUBLIC KEY` (SubjectPublicKeyInfo) of an ECDSA P-256 key. */
export async function importVerifyingKey(publicKeyPem: string): Promise<VerifyingKey> {
  const spki = pemBlock(publicKeyPem, "PUBLIC KEY");
  let publicKey: CryptoKey;
  try {
    publicKey = await crypto.subtle.importKey("spki", spki, EC_P256, true, ["verify"]);
  } catch (err) {
    throw new TypeError("Cannot import service account public key: not an ECDSA P-256 key", {
      cause: err,
    });
  }
  return await verifyingKey(publicKey);
}

/** Options of {@linkcode ServiceAccountKeys.fromPrivateKeyPem}. */
export interface ServiceAccountKeysOptions {
  /** PEM `PUBLIC KEY`s of earlier signing keys whose tokens are still accepted. */
  readonly extraVerifyingKeys?: readonly string[];
}

/** What a {@linkcode ServiceAccountKeys} holds besides its signing key. */
export interface ServiceAccountKeyParts {
  /** The signing key as PKCS#8 PEM. */
  readonly privateKeyPem: string;
  /** The keys tokens are accepted from, the signing key's first. */
  readonly verifying: readonly VerifyingKey[];
}

/** The signing key and the verifying keys, by `kid`. */
export class ServiceAccountKeys {
  /** The key new tokens are signed with. */
  readonly signing: SigningKey;
  /** The signing key as PKCS#8 PEM, for saving. */
  readonly privateKeyPem: string;
  readonly #verifying: ReadonlyMap<string, VerifyingKey>;
  #jwks: JwkSet | undefined;

  /**
   * A key set from its parts; use {@linkcode ServiceAccountKeys.generate} or
   * {@linkcode ServiceAccountKeys.fromPrivateKeyPem}, which derive them consistently.
   */
  constructor(signing: SigningKey, parts: ServiceAccountKeyParts) {
    this.signing = signing;
    this.privateKeyPem = parts.privateKeyPem;
    this.#verifying = new Map(parts.verifying.map((k) => [k.kid, k]));
  }

  /** A new random signing key (and no older verifying keys). */
  static async generate(): Promise<ServiceAccountKeys> {
    const pair = await crypto.subtle.generateKey(EC_P256, true, ["sign", "verify"]);
    const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
    return await ServiceAccountKeys.fromPrivateKeyPem(pem("PRIVATE KEY", pkcs8));
  }

  /** The keys of a PKCS#8 PEM ECDSA P-256 private key (plus `options.extraVerifyingKeys`). */
  static async fromPrivateKeyPem(
    privateKeyPem: string,
    options: ServiceAccountKeysOptions = {},
  ): Promise<ServiceAccountKeys> {
    const der = pemBlock(privateKeyPem, "PRIVATE KEY");
    let jwk: JsonWebKey;
    try {
      // Extractable only to derive the public key; the signing key is imported again below.
      const extractable = await crypto.subtle.importKey("pkcs8", der, EC_P256, true, ["sign"]);
      jwk = await crypto.subtle.exportKey("jwk", extractable);
    } catch (err) {
      throw new TypeError("Cannot import service account key: not an ECDSA P-256 PKCS#8 key", {
        cause: err,
      });
    }
    const privateKey = await crypto.subtle.importKey("pkcs8", der, EC_P256, false, ["sign"]);
    if (jwk.x === undefined || jwk.y === undefined) {
      throw new TypeError("Cannot import service account key: no curve point");
    }
    const publicKey = await crypto.subtle.importKey(
      "jwk",
      { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y },
      EC_P256,
      true,
      ["verify"],
    );
    const own = await verifyingKey(publicKey);
    const extra: VerifyingKey[] = [];
    for (const p of options.extraVerifyingKeys ?? []) extra.push(await importVerifyingKey(p));
    return new ServiceAccountKeys({ kid: own.kid, privateKey }, {
      privateKeyPem: pem("PRIVATE KEY", der),
      verifying: [own, ...extra.filter((k) => k.kid !== own.kid)],
    });
  }

  /** The verifying key `kid`, if tokens signed by it are accepted. */
  verifying(kid: string): VerifyingKey | undefined {
    return this.#verifying.get(kid);
  }

  /** Every verifying key, the signing key's first. */
  get verifyingKeys(): readonly VerifyingKey[] {
    return [...this.#verifying.values()];
  }

  /** The JWK Set of the verifying keys, as `/openid/v1/jwks` serves it. */
  jwks(): JwkSet {
    this.#jwks ??= { keys: this.verifyingKeys.map((k) => k.jwk) };
    return this.#jwks;
  }
}

/** Options of {@linkcode ensureServiceAccountKeys}. */
export interface EnsureServiceAccountKeysOptions extends ServiceAccountKeysOptions {
  readonly dataDir: string;
}

/**
 * Loads `<data-dir>/tls/service-account.key`, creating it (mode 0600, atomically) on first
 * start; a file readable by others is narrowed to 0600.
 */
export async function ensureServiceAccountKeys(
  options: EnsureServiceAccountKeysOptions,
): Promise<ServiceAccountKeys> {
  const dir = `${options.dataDir}/tls`;
  const path = `${dir}/${SERVICE_ACCOUNT_KEY_FILE}`;
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  let text: string | null = null;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  if (text === null) {
    const keys = await ServiceAccountKeys.generate();
    await writeFileAtomic(path, { data: keys.privateKeyPem, mode: 0o600 });
    if (!options.extraVerifyingKeys?.length) return keys;
    return await ServiceAccountKeys.fromPrivateKeyPem(keys.privateKeyPem, options);
  }
  const mode = (await Deno.stat(path)).mode;
  if (mode !== null && (mode & 0o077) !== 0) await Deno.chmod(path, 0o600);
  try {
    return await ServiceAccountKeys.fromPrivateKeyPem(text, options);
  } catch (err) {
    throw new Error(`Cannot load service account key "${path}"`, { cause: err });
  }
}
