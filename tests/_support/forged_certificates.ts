/**
 * Certificates as an attacker (or a fuzzer) makes them: any subject — no CN, an empty or huge
 * one, many O entries, unicode, odd string types — self-signed or signed by any key (naming any
 * issuer), with any validity window and extended key usage. Built with pkijs (the library
 * skiff's PKI uses), so the DER is well formed and a TLS stack will send it; whether the server
 * accepts it is the question the tests ask.
 *
 * @module
 */
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import type { KeyPairCertificate } from "../../control/util/x509/certificates.ts";

const OID_CN = "2.5.4.3";
const OID_O = "2.5.4.10";
const OID_OU = "2.5.4.11";
/** The extended key usages by name. */
export const EKU = {
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
  codeSigning: "1.3.6.1.5.5.7.3.3",
  any: "2.5.29.37.0",
} as const;
const EC = { name: "ECDSA", namedCurve: "P-256" } as const;

/** How a subject attribute's value is encoded. */
export type StringKind = "utf8" | "printable" | "ia5" | "bmp" | "teletex";

/** One subject attribute. */
export interface SubjectAttribute {
  readonly type: "CN" | "O" | "OU";
  readonly value: string;
  /** @default {"utf8"} */
  readonly kind?: StringKind;
}

/** Options of {@linkcode forgeCertificate}. */
export interface ForgeOptions {
  /** The subject, attribute by attribute (one per RDN), in order. */
  readonly subject: readonly SubjectAttribute[];
  /** Who signs it: a certificate and its key, or the new key itself (self-signed). @default {"self"} */
  readonly issuer?: KeyPairCertificate | "self";
  /**
   * The issuer name written into the certificate, whoever signs it: a forger names the cluster
   * CA while signing with a key of its own. @default {the signer's subject}
   */
  readonly issuerName?: pkijs.RelativeDistinguishedNames;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** The extended key usages; null leaves the extension out (any usage). @default {[clientAuth]} */
  readonly extKeyUsage?: readonly string[] | null;
  /** A CA certificate (basicConstraints cA, keyCertSign). @default {false} */
  readonly ca?: boolean;
}

function engine(): void {
  pkijs.setEngine("webcrypto", new pkijs.CryptoEngine({ name: "webcrypto", crypto }));
}

function stringValue(value: string, kind: StringKind): asn1js.AsnType {
  switch (kind) {
    case "printable":
      return new asn1js.PrintableString({ value });
    case "ia5":
      return new asn1js.IA5String({ value });
    case "bmp":
      return new asn1js.BmpString({ value });
    case "teletex":
      return new asn1js.TeletexString({ value });
    case "utf8":
      return new asn1js.Utf8String({ value });
  }
}

const OIDS = { CN: OID_CN, O: OID_O, OU: OID_OU } as const;

function distinguishedName(
  attributes: readonly SubjectAttribute[],
): pkijs.RelativeDistinguishedNames {
  const seq = new asn1js.Sequence({
    value: attributes.map((a) =>
      new asn1js.Set({
        value: [
          new asn1js.Sequence({
            value: [
              new asn1js.ObjectIdentifier({ value: OIDS[a.type] }),
              stringValue(a.value, a.kind ?? "utf8"),
            ],
          }),
        ],
      })
    ),
  });
  return pkijs.RelativeDistinguishedNames.fromBER(seq.toBER(false));
}

/** `der` as one PEM block labelled `label`. */
function toPem(label: string, der: Uint8Array): string {
  const lines = der.toBase64().match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/** A certificate's DER bytes (any bytes at all) as a PEM `CERTIFICATE` block. */
export function certificatePem(der: Uint8Array): string {
  return toPem("CERTIFICATE", der);
}

/** Makes a certificate as `options` say, with a new ECDSA P-256 key. */
export async function forgeCertificate(options: ForgeOptions): Promise<KeyPairCertificate> {
  engine();
  const keys = await crypto.subtle.generateKey(EC, true, ["sign", "verify"]);
  const cert = new pkijs.Certificate();
  cert.version = 2;
  const serial = crypto.getRandomValues(new Uint8Array(16));
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  cert.serialNumber = new asn1js.Integer({ valueHex: serial.buffer });
  const subject = distinguishedName(options.subject);
  const issuer = options.issuer ?? "self";
  cert.subject = subject;
  cert.issuer = options.issuerName ??
    (issuer === "self" ? subject : issuer.certificate.subject);
  cert.notBefore.value = options.notBefore;
  cert.notAfter.value = options.notAfter;
  await cert.subjectPublicKeyInfo.importKey(keys.publicKey);
  const extensions: pkijs.Extension[] = [
    new pkijs.Extension({
      extnID: "2.5.29.19",
      critical: true,
      extnValue: new pkijs.BasicConstraints({ cA: options.ca ?? false }).toSchema().toBER(false),
    }),
    new pkijs.Extension({
      extnID: "2.5.29.15",
      critical: true,
      extnValue: new asn1js.BitString({
        // digitalSignature (bit 0), plus keyCertSign (bit 5) for a CA.
        valueHex: new Uint8Array([options.ca ? 0x84 : 0x80]).buffer,
        unusedBits: options.ca ? 2 : 7,
      }).toBER(false),
    }),
  ];
  const eku = options.extKeyUsage === undefined ? [EKU.clientAuth] : options.extKeyUsage;
  if (eku !== null) {
    extensions.push(
      new pkijs.Extension({
        extnID: "2.5.29.37",
        critical: false,
        extnValue: new pkijs.ExtKeyUsage({ keyPurposes: [...eku] }).toSchema().toBER(false),
      }),
    );
  }
  cert.extensions = extensions;
  await cert.sign(issuer === "self" ? keys.privateKey : issuer.privateKey, "SHA-256");
  const der = new Uint8Array(cert.toSchema(true).toBER(false));
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", keys.privateKey));
  return {
    certificate: cert,
    der,
    certPem: toPem("CERTIFICATE", der),
    keyPem: toPem("PRIVATE KEY", pkcs8),
    privateKey: keys.privateKey,
  };
}

/** `CN=<commonName>` plus one `O=` per group: the subject of a Kubernetes client certificate. */
export function userSubject(
  commonName: string,
  groups: readonly string[] = [],
): SubjectAttribute[] {
  return [
    ...groups.map((value): SubjectAttribute => ({ type: "O", value })),
    { type: "CN", value: commonName },
  ];
}
