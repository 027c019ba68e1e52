/**
 * X.509 for the cluster: a self-signed cluster CA, serving and client certificates it signs,
 * and verification of a client certificate against the CA (chain, validity period, client-auth
 * usage) — Deno's TLS layer checks none of that for a server, so skiff does it on every
 * connection. Built on pkijs over WebCrypto; keys are ECDSA P-256 (fast to generate on a
 * Raspberry Pi, accepted by Go's TLS stack, i.e. kubectl and helm).
 *
 * @example Create a CA and a client certificate, then verify it
 * ```ts
 * import assert from "node:assert/strict";
 * import { createCa, issueCertificate, verifyClientCertificate } from "./certificates.ts";
 *
 * const now = new Date();
 * const ca = await createCa({ commonName: "skiff-ca", now });
 * const admin = await issueCertificate(ca, {
 *   commonName: "admin",
 *   organizations: ["system:masters"],
 *   usage: "client",
 *   now,
 * });
 * const result = await verifyClientCertificate(admin.der, { cas: [ca.certificate], now });
 * assert.equal(result.ok && result.commonName, "admin");
 * ```
 *
 * @module
 */
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { formatIpAddress, parseIpAddress } from "./_ip_address.ts";
import { curveOrder, isDistinguishedEncoding, parseDerEcdsaSignature } from "./_strict_der.ts";

const OID_CN = "2.5.4.3";
const OID_O = "2.5.4.10";
const OID_SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
const OID_CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
const EC_ALGORITHM = { name: "ECDSA", namedCurve: "P-256" } as const;
const SIGN_HASH = "SHA-256";

/** Lifetimes, as k3s uses: CA 10 years, leaf certificates 1 year. */
export const CA_LIFETIME_MS = 10 * 365 * 24 * 3600 * 1000;
/** Default lifetime of a serving or client certificate. */
export const LEAF_LIFETIME_MS = 365 * 24 * 3600 * 1000;
/** Certificates are valid from a little before their creation, for clock skew. */
const BACKDATE_MS = 60 * 60 * 1000;

/**
 * `ms` rounded down to a whole second: certificates store their validity in seconds, so the
 * certificate in memory says what the one read back from disk says.
 */
function wholeSecond(ms: number): Date {
  return new Date(Math.floor(ms / 1000) * 1000);
}

let engineReady = false;

/** The bytes of `data` in a plain (non-shared) ArrayBuffer, as WebCrypto and pkijs want them. */
function plain(data: Uint8Array): Uint8Array<ArrayBuffer> {
  return data.buffer instanceof ArrayBuffer
    ? data as Uint8Array<ArrayBuffer>
    : new Uint8Array(data);
}

function ensureEngine(): void {
  if (engineReady) return;
  pkijs.setEngine("webcrypto", new pkijs.CryptoEngine({ name: "webcrypto", crypto }));
  engineReady = true;
}

/** A certificate with its private key, in DER/PEM and as WebCrypto keys. */
export interface KeyPairCertificate {
  readonly certificate: pkijs.Certificate;
  readonly der: Uint8Array;
  readonly certPem: string;
  readonly keyPem: string;
  readonly privateKey: CryptoKey;
}

function toPem(label: string, der: Uint8Array): string {
  let b64 = "";
  const chunk = 0x8000;
  let bin = "";
  for (let i = 0; i < der.length; i += chunk) {
    bin += String.fromCharCode(...der.subarray(i, i + chunk));
  }
  b64 = btoa(bin);
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/** The DER bytes of the first PEM block labelled `label` in `pem`. */
export function pemToDer(pem: string, label: string): Uint8Array<ArrayBuffer> {
  const re = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`);
  const m = re.exec(pem);
  if (!m) throw new SyntaxError(`Cannot read PEM: no "${label}" block`);
  const bin = atob(m[1]!.replace(/\s+/g, ""));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Every `CERTIFICATE` block of a PEM bundle, as DER. */
export function pemCertificates(pem: string): Uint8Array<ArrayBuffer>[] {
  const out: Uint8Array<ArrayBuffer>[] = [];
  for (const m of pem.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)) {
    out.push(pemToDer(m[0], "CERTIFICATE"));
  }
  return out;
}

/** A distinguished name with one attribute per RDN (O=…, …, CN=…), as Go and OpenSSL write them. */
function name(
  commonName: string,
  organizations: readonly string[] = [],
): pkijs.RelativeDistinguishedNames {
  const attrs = [
    ...organizations.map((o) => [OID_O, o] as const),
    [OID_CN, commonName] as const,
  ];
  const seq = new asn1js.Sequence({
    value: attrs.map(([type, value]) =>
      new asn1js.Set({
        value: [
          new pkijs.AttributeTypeAndValue({ type, value: new asn1js.Utf8String({ value }) })
            .toSchema(),
        ],
      })
    ),
  });
  // Parsed back so that pkijs keeps this exact encoding (its own puts every attribute in one RDN).
  return pkijs.RelativeDistinguishedNames.fromBER(seq.toBER(false));
}

function serialNumber(): asn1js.Integer {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0]! & 0x7f) | 0x01; // positive, non-zero, 16 bytes
  return new asn1js.Integer({ valueHex: bytes.buffer });
}

function keyUsage(bits: readonly number[]): pkijs.Extension {
  let value = 0;
  for (const b of bits) value |= 0x80 >> b;
  const highest = Math.max(...bits);
  const bitString = new asn1js.BitString({
    valueHex: new Uint8Array([value]).buffer,
    unusedBits: 7 - highest,
  });
  return new pkijs.Extension({
    extnID: "2.5.29.15",
    critical: true,
    extnValue: bitString.toBER(false),
  });
}

async function keyIdentifier(publicKey: CryptoKey): Promise<ArrayBuffer> {
  const raw = await crypto.subtle.exportKey("raw", publicKey);
  return await crypto.subtle.digest("SHA-1", raw);
}

async function generateKeys(): Promise<CryptoKeyPair> {
  return await crypto.subtle.generateKey(EC_ALGORITHM, true, ["sign", "verify"]);
}

async function finish(
  cert: pkijs.Certificate,
  options: { signer: CryptoKey; privateKey: CryptoKey },
): Promise<KeyPairCertificate> {
  await cert.sign(options.signer, SIGN_HASH);
  const der = new Uint8Array(cert.toSchema(true).toBER(false));
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", options.privateKey));
  return {
    certificate: cert,
    der,
    certPem: toPem("CERTIFICATE", der),
    keyPem: toPem("PRIVATE KEY", pkcs8),
    privateKey: options.privateKey,
  };
}

/** Options of {@linkcode createCa}. */
export interface CreateCaOptions {
  readonly commonName: string;
  readonly now: Date;
  /** @default {CA_LIFETIME_MS} */
  readonly lifetimeMs?: number;
}

/** Creates a self-signed CA certificate and key. */
export async function createCa(options: CreateCaOptions): Promise<KeyPairCertificate> {
  ensureEngine();
  const keys = await generateKeys();
  const cert = new pkijs.Certificate();
  cert.version = 2;
  cert.serialNumber = serialNumber();
  cert.issuer = name(options.commonName);
  cert.subject = name(options.commonName);
  cert.notBefore.value = wholeSecond(options.now.getTime() - BACKDATE_MS);
  cert.notAfter.value = wholeSecond(options.now.getTime() + (options.lifetimeMs ?? CA_LIFETIME_MS));
  await cert.subjectPublicKeyInfo.importKey(keys.publicKey);
  const ski = await keyIdentifier(keys.publicKey);
  cert.extensions = [
    new pkijs.Extension({
      extnID: "2.5.29.19",
      critical: true,
      extnValue: new pkijs.BasicConstraints({ cA: true }).toSchema().toBER(false),
    }),
    keyUsage([0, 5, 6]), // digitalSignature, keyCertSign, cRLSign
    new pkijs.Extension({
      extnID: "2.5.29.14",
      critical: false,
      extnValue: new asn1js.OctetString({ valueHex: ski }).toBER(false),
    }),
  ];
  return await finish(cert, { signer: keys.privateKey, privateKey: keys.privateKey });
}

/** Options of {@linkcode issueCertificate}. */
export interface IssueOptions {
  readonly commonName: string;
  /** Subject `O=` entries: the groups of a client certificate. */
  readonly organizations?: readonly string[];
  readonly usage: "server" | "client" | "both";
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  readonly now: Date;
  /** @default {LEAF_LIFETIME_MS} */
  readonly lifetimeMs?: number;
}

/** Issues a certificate signed by `ca`. */
export async function issueCertificate(
  ca: KeyPairCertificate,
  options: IssueOptions,
): Promise<KeyPairCertificate> {
  ensureEngine();
  const keys = await generateKeys();
  const cert = new pkijs.Certificate();
  cert.version = 2;
  cert.serialNumber = serialNumber();
  cert.issuer = ca.certificate.subject;
  cert.subject = name(options.commonName, options.organizations);
  cert.notBefore.value = wholeSecond(options.now.getTime() - BACKDATE_MS);
  const notAfter = options.now.getTime() + (options.lifetimeMs ?? LEAF_LIFETIME_MS);
  // Never beyond the CA: a certificate outliving its issuer would not verify anyway.
  cert.notAfter.value = wholeSecond(Math.min(notAfter, ca.certificate.notAfter.value.getTime()));
  await cert.subjectPublicKeyInfo.importKey(keys.publicKey);
  const purposes = options.usage === "server"
    ? [OID_SERVER_AUTH]
    : options.usage === "client"
    ? [OID_CLIENT_AUTH]
    : [OID_SERVER_AUTH, OID_CLIENT_AUTH];
  const caPublic = await ca.certificate.getPublicKey();
  const extensions: pkijs.Extension[] = [
    new pkijs.Extension({
      extnID: "2.5.29.19",
      critical: true,
      extnValue: new pkijs.BasicConstraints({ cA: false }).toSchema().toBER(false),
    }),
    keyUsage([0]), // digitalSignature (ECDSA)
    new pkijs.Extension({
      extnID: "2.5.29.37",
      critical: false,
      extnValue: new pkijs.ExtKeyUsage({ keyPurposes: purposes }).toSchema().toBER(false),
    }),
    new pkijs.Extension({
      extnID: "2.5.29.35",
      critical: false,
      extnValue: new pkijs.AuthorityKeyIdentifier({
        keyIdentifier: new asn1js.OctetString({ valueHex: await keyIdentifier(caPublic) }),
      }).toSchema().toBER(false),
    }),
  ];
  const altNames: pkijs.GeneralName[] = [];
  for (const dns of options.dnsNames ?? []) {
    altNames.push(new pkijs.GeneralName({ type: 2, value: dns }));
  }
  for (const ip of options.ipAddresses ?? []) {
    const bytes = parseIpAddress(ip);
    if (!bytes) throw new TypeError(`Cannot put IP address "${ip}" in a certificate: not an IP`);
    altNames.push(
      new pkijs.GeneralName({ type: 7, value: new asn1js.OctetString({ valueHex: bytes.buffer }) }),
    );
  }
  if (altNames.length > 0) {
    extensions.push(
      new pkijs.Extension({
        extnID: "2.5.29.17",
        critical: false,
        extnValue: new pkijs.GeneralNames({ names: altNames }).toSchema().toBER(false),
      }),
    );
  }
  cert.extensions = extensions;
  return await finish(cert, { signer: ca.privateKey, privateKey: keys.privateKey });
}

/** Reads a certificate and its PKCS#8 key back from PEM. */
export async function loadKeyPairCertificate(
  certPem: string,
  keyPem: string,
): Promise<KeyPairCertificate> {
  ensureEngine();
  const der = pemToDer(certPem, "CERTIFICATE");
  const certificate = pkijs.Certificate.fromBER(der);
  const privateKey = await crypto.subtle.importKey(
    "pkcs8",
    pemToDer(keyPem, "PRIVATE KEY"),
    EC_ALGORITHM,
    true,
    ["sign"],
  );
  return { certificate, der, certPem, keyPem, privateKey };
}

/** Parses a DER certificate. Throws on malformed input. */
export function parseCertificate(der: Uint8Array): pkijs.Certificate {
  ensureEngine();
  return pkijs.Certificate.fromBER(plain(der));
}

function subjectValues(cert: pkijs.Certificate, oid: string): string[] {
  return cert.subject.typesAndValues
    .filter((tv) => tv.type === oid)
    .map((tv) => String((tv.value as { valueBlock: { value: unknown } }).valueBlock.value));
}

function hasClientAuth(cert: pkijs.Certificate): boolean {
  const ext = cert.extensions?.find((e) => e.extnID === "2.5.29.37");
  if (!ext) return true; // no EKU extension: any usage (RFC 5280 §4.2.1.12)
  const eku = ext.parsedValue as pkijs.ExtKeyUsage | undefined;
  const purposes = eku?.keyPurposes ?? [];
  return purposes.includes(OID_CLIENT_AUTH) || purposes.includes("2.5.29.37.0");
}

const OID_ECDSA_PREFIX = "1.2.840.10045.4.";

/**
 * What makes `der` other than a certificate exactly as its issuer signed it (null when
 * nothing does): pkijs reads BER and ECDSA signatures leniently, so an altered envelope — a
 * length, the signature's unused bits, the tags inside an ECDSA signature, an integer grown by
 * a multiple of 2^256 (pkijs keeps only its low bytes) — would still verify. Go's x509 and
 * ecdsa refuse each of these, as they refuse differing inner and outer algorithms.
 */
function encodingProblem(
  der: Uint8Array,
  o: { cert: pkijs.Certificate; cas: readonly pkijs.Certificate[] },
): string | null {
  const { cert } = o;
  if (!isDistinguishedEncoding(der)) return "not in DER";
  const outer = cert.signatureAlgorithm.toSchema().toBER(false);
  const inner = cert.signature.toSchema().toBER(false);
  if (!sameBytes(outer, inner)) {
    return "inner and outer signature algorithm identifiers do not match";
  }
  const value = cert.signatureValue.valueBlock;
  if (value.unusedBits !== 0) return "the signature has unused bits";
  if (!cert.signatureAlgorithm.algorithmId.startsWith(OID_ECDSA_PREFIX)) return null;
  const sig = parseDerEcdsaSignature(value.valueHexView);
  if (sig === null) return "the ECDSA signature is not in DER";
  // The orders of the curves of the CAs that could have signed it (named as its issuer).
  const orders = o.cas
    .filter((ca) => ca.subject.isEqual(cert.issuer))
    .map((ca) => {
      const params = ca.subjectPublicKeyInfo.algorithm.algorithmParams as
        | { valueBlock?: { toString(): string } }
        | undefined;
      return curveOrder(params?.valueBlock?.toString() ?? "");
    })
    .filter((n) => n !== null);
  if (orders.length > 0 && !orders.some((n) => sig.r < n && sig.s < n)) {
    return "the ECDSA signature is out of range";
  }
  return null;
}

function sameBytes(a: ArrayBuffer, b: ArrayBuffer): boolean {
  const x = new Uint8Array(a);
  const y = new Uint8Array(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** What {@linkcode verifyClientCertificate} concludes. */
export type ClientCertificateResult =
  | { readonly ok: true; readonly commonName: string; readonly organizations: string[] }
  | { readonly ok: false; readonly reason: string };

/** Options of {@linkcode verifyClientCertificate}. */
export interface VerifyOptions {
  /** Trusted CA certificates. */
  readonly cas: readonly pkijs.Certificate[];
  /** Intermediate certificates the client sent. */
  readonly intermediates?: readonly Uint8Array[];
  readonly now: Date;
}

/**
 * Checks that a client certificate chains to one of `cas`, is within its validity period and is
 * meant for client authentication; returns its subject CN (the user) and O entries (groups).
 */
export async function verifyClientCertificate(
  der: Uint8Array,
  options: VerifyOptions,
): Promise<ClientCertificateResult> {
  ensureEngine();
  let leaf: pkijs.Certificate;
  try {
    leaf = pkijs.Certificate.fromBER(plain(der));
  } catch (err) {
    return { ok: false, reason: `malformed certificate: ${(err as Error).message}` };
  }
  const malformed = encodingProblem(der, { cert: leaf, cas: options.cas });
  if (malformed !== null) return { ok: false, reason: `malformed certificate: ${malformed}` };
  const now = options.now.getTime();
  if (now < leaf.notBefore.value.getTime() || now > leaf.notAfter.value.getTime()) {
    return { ok: false, reason: "certificate has expired or is not yet valid" };
  }
  if (!hasClientAuth(leaf)) {
    return { ok: false, reason: "certificate specifies an incompatible key usage" };
  }
  const intermediates: pkijs.Certificate[] = [];
  for (const d of options.intermediates ?? []) {
    try {
      intermediates.push(pkijs.Certificate.fromBER(plain(d)));
    } catch {
      return { ok: false, reason: "malformed intermediate certificate" };
    }
  }
  try {
    const engine = new pkijs.CertificateChainValidationEngine({
      trustedCerts: [...options.cas],
      certs: [leaf, ...intermediates],
      checkDate: options.now,
    });
    const res = await engine.verify();
    if (!res.result) {
      return { ok: false, reason: `certificate signed by unknown authority: ${res.resultMessage}` };
    }
  } catch (err) {
    return { ok: false, reason: `certificate signed by unknown authority: ${String(err)}` };
  }
  const cn = subjectValues(leaf, OID_CN)[0] ?? "";
  if (cn === "") return { ok: false, reason: "certificate has no common name" };
  return { ok: true, commonName: cn, organizations: subjectValues(leaf, OID_O) };
}

/** The validity end of a certificate. */
export function notAfter(cert: pkijs.Certificate): Date {
  return cert.notAfter.value;
}

/** The validity start of a certificate. */
export function notBefore(cert: pkijs.Certificate): Date {
  return cert.notBefore.value;
}

/** The serial number: every byte in uppercase hex, as `openssl x509 -serial` prints it. */
export function serialNumberHex(cert: pkijs.Certificate): string {
  return [...cert.serialNumber.valueBlock.valueHexView]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("")
    .toUpperCase();
}

/** The subject of a certificate: its CN and O entries. */
export function subjectOf(
  cert: pkijs.Certificate,
): { readonly commonName: string; readonly organizations: string[] } {
  return {
    commonName: subjectValues(cert, OID_CN)[0] ?? "",
    organizations: subjectValues(cert, OID_O),
  };
}

/** The DNS names and IP addresses (canonical text) a certificate's SAN extension lists. */
export function subjectAltNames(
  cert: pkijs.Certificate,
): { readonly dnsNames: string[]; readonly ipAddresses: string[] } {
  const dnsNames: string[] = [];
  const ipAddresses: string[] = [];
  const ext = cert.extensions?.find((e) => e.extnID === "2.5.29.17");
  // pkijs parses the extension into an AltName (`altNames`) when it reads a certificate, and
  // keeps the GeneralNames (`names`) of one it built.
  const parsed = ext?.parsedValue as
    | { altNames?: pkijs.GeneralName[]; names?: pkijs.GeneralName[] }
    | undefined;
  for (const n of parsed?.altNames ?? parsed?.names ?? []) {
    if (n.type === 2) dnsNames.push(String(n.value));
    if (n.type === 7) {
      const bytes = (n.value as asn1js.OctetString).valueBlock.valueHexView;
      if (bytes.length === 4 || bytes.length === 16) ipAddresses.push(formatIpAddress(bytes));
    }
  }
  return { dnsNames, ipAddresses };
}

/** Whether `pair.privateKey` is the key of `pair.certificate` (files written apart can differ). */
export async function keyMatchesCertificate(pair: KeyPairCertificate): Promise<boolean> {
  ensureEngine();
  try {
    const publicKey = await pair.certificate.getPublicKey();
    const pub = await crypto.subtle.exportKey("jwk", publicKey);
    const priv = await crypto.subtle.exportKey("jwk", pair.privateKey);
    return pub.crv === priv.crv && pub.x === priv.x && pub.y === priv.y;
  } catch {
    return false;
  }
}

/** Whether `ca`'s key signed `cert`. */
export async function isSignedBy(
  cert: pkijs.Certificate,
  ca: pkijs.Certificate,
): Promise<boolean> {
  ensureEngine();
  try {
    return await cert.verify(ca);
  } catch {
    return false;
  }
}
