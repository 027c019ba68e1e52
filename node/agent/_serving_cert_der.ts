/**
 * The kubelet serving certificate's X.509 DER, written directly: a self-signed CA and the leaf
 * it signs, ECDSA P-256 with SHA-256 through WebCrypto, with the extensions the cluster's own
 * certificates carry (`control/util/x509/certificates.ts`). The agent makes only this pair, and
 * loading a general ASN.1 library for it cost the agent ~8 MB of resident memory for as long
 * as it runs; reading a stored pair back uses `node:crypto`'s `X509Certificate`.
 *
 * @module
 */
import { parseIpAddress } from "../../control/util/x509/_ip_address.ts";

const EC_ALGORITHM = { name: "ECDSA", namedCurve: "P-256" } as const;
const SIGN_ALGORITHM = { name: "ECDSA", hash: "SHA-256" } as const;
const OID_ECDSA_SHA256 = "1.2.840.10045.4.3.2";
const OID_CN = "2.5.4.3";
const OID_BASIC_CONSTRAINTS = "2.5.29.19";
const OID_KEY_USAGE = "2.5.29.15";
const OID_SUBJECT_KEY_ID = "2.5.29.14";
const OID_AUTHORITY_KEY_ID = "2.5.29.35";
const OID_EXT_KEY_USAGE = "2.5.29.37";
const OID_SUBJECT_ALT_NAME = "2.5.29.17";
const OID_SERVER_AUTH = "1.3.6.1.5.5.7.3.1";

/** CA 10 years, its leaf 1 year (never past the CA), valid from an hour back for clock skew. */
const CA_LIFETIME_MS = 10 * 365 * 24 * 3600 * 1000;
const LEAF_LIFETIME_MS = 365 * 24 * 3600 * 1000;
const BACKDATE_MS = 60 * 60 * 1000;

function concat(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** One DER element: `tag`, its definite length, `content`. */
export function derTlv(tag: number, ...content: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const body = concat(content);
  const n = body.length;
  const length = n < 0x80
    ? [n]
    : n < 0x100
    ? [0x81, n]
    : n < 0x10000
    ? [0x82, n >> 8, n & 0xff]
    : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return concat([new Uint8Array([tag, ...length]), body]);
}

function seq(...items: Uint8Array[]): Uint8Array<ArrayBuffer> {
  return derTlv(0x30, ...items);
}

/** A DER INTEGER of the unsigned big-endian `bytes` (minimal, positive). */
export function derUnsignedInteger(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const v = bytes.subarray(start);
  return derTlv(0x02, (v[0] ?? 0) & 0x80 ? new Uint8Array([0, ...v]) : v);
}

/** A DER OBJECT IDENTIFIER from its dotted form. */
export function derOid(dotted: string): Uint8Array<ArrayBuffer> {
  const arcs = dotted.split(".").map(Number);
  const out = [40 * arcs[0]! + arcs[1]!];
  for (const arc of arcs.slice(2)) {
    const base128 = [arc & 0x7f];
    for (let rest = Math.floor(arc / 128); rest > 0; rest = Math.floor(rest / 128)) {
      base128.unshift((rest & 0x7f) | 0x80);
    }
    out.push(...base128);
  }
  return derTlv(0x06, new Uint8Array(out));
}

/** UTCTime until 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5). */
export function derTime(date: Date): Uint8Array<ArrayBuffer> {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = iso.slice(0, 19).replace(/[-T:]/g, "") + "Z";
  const year = date.getUTCFullYear();
  return year < 2050
    ? derTlv(0x17, new TextEncoder().encode(digits.slice(2)))
    : derTlv(0x18, new TextEncoder().encode(digits));
}

function name(commonName: string): Uint8Array<ArrayBuffer> {
  return seq(derTlv(0x31, seq(derOid(OID_CN), derTlv(0x0c, new TextEncoder().encode(commonName)))));
}

function extension(oid: string, critical: boolean, value: Uint8Array): Uint8Array<ArrayBuffer> {
  return seq(
    derOid(oid),
    ...(critical ? [derTlv(0x01, new Uint8Array([0xff]))] : []),
    derTlv(0x04, value),
  );
}

/** keyUsage with the given bit numbers set (0 = digitalSignature), trailing zero bits unused. */
function keyUsage(bits: readonly number[]): Uint8Array<ArrayBuffer> {
  let value = 0;
  for (const b of bits) value |= 0x80 >> b;
  return extension(
    OID_KEY_USAGE,
    true,
    derTlv(0x03, new Uint8Array([7 - Math.max(...bits), value])),
  );
}

function ipBytes(ip: string): Uint8Array<ArrayBuffer> {
  const bytes = parseIpAddress(ip);
  if (!bytes) throw new TypeError(`Cannot put IP address "${ip}" in a certificate: not an IP`);
  return bytes;
}

/** ECDSA's IEEE P1363 signature (r ‖ s) as X.509's DER `ECDSA-Sig-Value`. */
export function derEcdsaSignature(p1363: Uint8Array): Uint8Array<ArrayBuffer> {
  const half = p1363.length / 2;
  return seq(derUnsignedInteger(p1363.subarray(0, half)), derUnsignedInteger(p1363.subarray(half)));
}

function pem(label: string, der: Uint8Array): string {
  let b64 = "";
  const chunk = 0x8000;
  for (let i = 0; i < der.length; i += chunk) {
    b64 += String.fromCharCode(...der.subarray(i, i + chunk));
  }
  const lines = btoa(b64).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

async function keyId(publicKey: CryptoKey): Promise<Uint8Array<ArrayBuffer>> {
  const raw = await crypto.subtle.exportKey("raw", publicKey);
  return new Uint8Array(await crypto.subtle.digest("SHA-1", raw));
}

interface Issued {
  readonly der: Uint8Array<ArrayBuffer>;
  readonly keys: CryptoKeyPair;
  readonly name: Uint8Array<ArrayBuffer>;
  readonly notAfter: Date;
}

async function sign(
  o: {
    issuer: Uint8Array;
    subject: Uint8Array;
    notBefore: Date;
    notAfter: Date;
    publicKey: CryptoKey;
    extensions: readonly Uint8Array[];
    signer: CryptoKey;
  },
): Promise<Uint8Array<ArrayBuffer>> {
  const serial = crypto.getRandomValues(new Uint8Array(16));
  serial[0] = (serial[0]! & 0x7f) | 0x01; // positive, non-zero, 16 bytes
  const algorithm = seq(derOid(OID_ECDSA_SHA256));
  const tbs = seq(
    derTlv(0xa0, derUnsignedInteger(new Uint8Array([2]))), // v3
    derUnsignedInteger(serial),
    algorithm,
    o.issuer,
    seq(derTime(o.notBefore), derTime(o.notAfter)),
    o.subject,
    new Uint8Array(await crypto.subtle.exportKey("spki", o.publicKey)),
    derTlv(0xa3, seq(...o.extensions)),
  );
  const signature = new Uint8Array(await crypto.subtle.sign(SIGN_ALGORITHM, o.signer, tbs));
  return seq(tbs, algorithm, derTlv(0x03, new Uint8Array([0]), derEcdsaSignature(signature)));
}

function wholeSecond(ms: number): Date {
  return new Date(Math.floor(ms / 1000) * 1000);
}

/** What {@linkcode createServingPair} makes. */
export interface ServingPairOptions {
  readonly caCommonName: string;
  readonly commonName: string;
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
  readonly now: Date;
}

/**
 * A new self-signed CA and a serving certificate it signs (serverAuth, for the given names):
 * the chain (leaf first) and the leaf's PKCS#8 key, PEM.
 */
export async function createServingPair(
  o: ServingPairOptions,
): Promise<{ chainPem: string; keyPem: string }> {
  const generate = () => crypto.subtle.generateKey(EC_ALGORITHM, true, ["sign", "verify"]);
  const caKeys = await generate();
  const caName = name(o.caCommonName);
  const caSki = await keyId(caKeys.publicKey);
  const notBefore = wholeSecond(o.now.getTime() - BACKDATE_MS);
  const caNotAfter = wholeSecond(o.now.getTime() + CA_LIFETIME_MS);
  const ca: Issued = {
    der: await sign({
      issuer: caName,
      subject: caName,
      notBefore,
      notAfter: caNotAfter,
      publicKey: caKeys.publicKey,
      signer: caKeys.privateKey,
      extensions: [
        extension(OID_BASIC_CONSTRAINTS, true, seq(derTlv(0x01, new Uint8Array([0xff])))),
        keyUsage([0, 5, 6]), // digitalSignature, keyCertSign, cRLSign
        extension(OID_SUBJECT_KEY_ID, false, derTlv(0x04, caSki)),
      ],
    }),
    keys: caKeys,
    name: caName,
    notAfter: caNotAfter,
  };
  const keys = await generate();
  const altNames = [
    ...o.dnsNames.map((dns) => derTlv(0x82, new TextEncoder().encode(dns))),
    ...o.ipAddresses.map((ip) => derTlv(0x87, ipBytes(ip))),
  ];
  const leafDer = await sign({
    issuer: ca.name,
    subject: name(o.commonName),
    notBefore,
    notAfter: wholeSecond(Math.min(o.now.getTime() + LEAF_LIFETIME_MS, ca.notAfter.getTime())),
    publicKey: keys.publicKey,
    signer: ca.keys.privateKey,
    extensions: [
      extension(OID_BASIC_CONSTRAINTS, true, seq()),
      keyUsage([0]), // digitalSignature (ECDSA)
      extension(OID_EXT_KEY_USAGE, false, seq(derOid(OID_SERVER_AUTH))),
      extension(OID_AUTHORITY_KEY_ID, false, seq(derTlv(0x80, caSki))),
      ...(altNames.length > 0 ? [extension(OID_SUBJECT_ALT_NAME, false, seq(...altNames))] : []),
    ],
  });
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", keys.privateKey));
  return {
    chainPem: pem("CERTIFICATE", leafDer) + pem("CERTIFICATE", ca.der),
    keyPem: pem("PRIVATE KEY", pkcs8),
  };
}
