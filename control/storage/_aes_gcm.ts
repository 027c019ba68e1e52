/**
 * The value format of kube-apiserver's `aesgcm` encryption provider, on WebCrypto:
 * `k8s:enc:aesgcm:v1:<key name>:` + a 12-byte random nonce + the AES-GCM ciphertext with its
 * 16-byte tag, the storage key as additional authenticated data (a value copied under another
 * key does not authenticate).
 *
 * @module
 */

/** Every encrypted value starts with this; plaintext values never do (upstream's rule). */
export const ENCRYPTED_MARKER = "k8s:enc:";
/** The provider this file writes. */
export const AESGCM = "aesgcm";
/** AES-GCM's standard nonce length, and upstream's. */
export const NONCE_BYTES = 12;
/** The GCM tag length (WebCrypto's default, and Go's). */
export const TAG_BYTES = 16;
/** The key lengths AES accepts: AES-128, AES-192, AES-256. */
export const AES_KEY_BYTES: readonly number[] = [16, 24, 32];

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const MARKER_BYTES = encoder.encode(ENCRYPTED_MARKER);
const COLON = 0x3a;
/** Enough for `k8s:enc:<provider>:<version>:<name>:` with a long name. */
const MAX_PREFIX_BYTES = 512;

/** `bytes` as WebCrypto's BufferSource: storage values are never on a SharedArrayBuffer. */
function source(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes as Uint8Array<ArrayBuffer>;
}

/** One key of an `aesgcm` provider, ready to use. */
export interface AesGcmKey {
  readonly name: string;
  readonly cryptoKey: CryptoKey;
  /** `k8s:enc:aesgcm:v1:<name>:`, encoded. */
  readonly prefix: Uint8Array;
}

/** What an encrypted value's prefix says. */
export interface EnvelopeHeader {
  readonly provider: string;
  readonly version: string;
  readonly keyName: string;
  /** Where the payload (nonce, ciphertext, tag) starts. */
  readonly payloadOffset: number;
}

/** Imports `secret` (16, 24 or 32 bytes) as a non-extractable AES-GCM key named `name`. */
export async function importAesGcmKey(name: string, secret: Uint8Array): Promise<AesGcmKey> {
  if (!AES_KEY_BYTES.includes(secret.byteLength)) {
    throw new RangeError(
      `Cannot use encryption key "${name}": it is ${secret.byteLength} bytes, expected 16, 24 or 32`,
    );
  }
  const cryptoKey = await crypto.subtle.importKey("raw", source(secret), "AES-GCM", false, [
    "encrypt",
    "decrypt",
  ]);
  return { name, cryptoKey, prefix: encoder.encode(`${ENCRYPTED_MARKER}${AESGCM}:v1:${name}:`) };
}

/** Whether `value` starts with {@linkcode ENCRYPTED_MARKER}. */
export function isEncrypted(value: Uint8Array): boolean {
  if (value.byteLength < MARKER_BYTES.byteLength) return false;
  for (let i = 0; i < MARKER_BYTES.byteLength; i++) {
    if (value[i] !== MARKER_BYTES[i]) return false;
  }
  return true;
}

/**
 * Parses `k8s:enc:<provider>:<version>:<name>:` at the start of `value`; `null` when `value` is
 * not encrypted or its prefix is malformed.
 */
export function parseEnvelopeHeader(value: Uint8Array): EnvelopeHeader | null {
  if (!isEncrypted(value)) return null;
  const fields: string[] = [];
  let start = MARKER_BYTES.byteLength;
  const end = Math.min(value.byteLength, MAX_PREFIX_BYTES);
  for (let i = start; i < end && fields.length < 3; i++) {
    if (value[i] !== COLON) continue;
    fields.push(decoder.decode(value.subarray(start, i)));
    start = i + 1;
  }
  if (fields.length < 3) return null;
  const [provider, version, keyName] = fields as [string, string, string];
  if (provider === "" || keyName === "") return null;
  return { provider, version, keyName, payloadOffset: start };
}

/** Encrypts `plaintext` for `storageKey` under `key`: prefix, nonce, ciphertext and tag. */
export async function sealValue(
  key: AesGcmKey,
  input: { readonly storageKey: string; readonly plaintext: Uint8Array },
): Promise<Uint8Array> {
  const nonce = crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv: nonce, additionalData: encoder.encode(input.storageKey) },
    key.cryptoKey,
    source(input.plaintext),
  );
  const out = new Uint8Array(key.prefix.byteLength + NONCE_BYTES + sealed.byteLength);
  out.set(key.prefix, 0);
  out.set(nonce, key.prefix.byteLength);
  out.set(new Uint8Array(sealed), key.prefix.byteLength + NONCE_BYTES);
  return out;
}

/**
 * Decrypts the payload of `value` (after its header) for `storageKey`; `null` when it does not
 * authenticate: tampered, encrypted under another key, or copied from another storage key.
 */
export async function openValue(
  key: AesGcmKey,
  input: {
    readonly storageKey: string;
    readonly value: Uint8Array;
    readonly payloadOffset: number;
  },
): Promise<Uint8Array | null> {
  const payload = input.value.subarray(input.payloadOffset);
  if (payload.byteLength < NONCE_BYTES + TAG_BYTES) return null;
  try {
    const plain = await crypto.subtle.decrypt(
      {
        name: "AES-GCM",
        iv: source(payload.subarray(0, NONCE_BYTES)),
        additionalData: encoder.encode(input.storageKey),
      },
      key.cryptoKey,
      source(payload.subarray(NONCE_BYTES)),
    );
    return new Uint8Array(plain);
  } catch (err) {
    if (err instanceof DOMException && err.name === "OperationError") return null;
    throw err;
  }
}
