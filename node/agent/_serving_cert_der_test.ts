import assert from "node:assert/strict";
import { createPrivateKey, X509Certificate } from "node:crypto";
import {
  keyMatchesCertificate,
  loadKeyPairCertificate,
  notAfter,
  notBefore,
  pemCertificates,
  subjectAltNames,
} from "../../control/util/x509/certificates.ts";
import {
  createServingPair,
  derEcdsaSignature,
  derOid,
  derTime,
  derTlv,
  derUnsignedInteger,
} from "./_serving_cert_der.ts";

function hex(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
}

Deno.test("derTlv() writes short and long definite lengths", () => {
  assert.equal(hex(derTlv(0x04, new Uint8Array([1, 2]))), "04020102");
  assert.equal(hex(derTlv(0x04, new Uint8Array(200)).subarray(0, 3)), "0481c8");
  assert.equal(hex(derTlv(0x04, new Uint8Array(300)).subarray(0, 4)), "0482012c");
  assert.equal(hex(derTlv(0x04, new Uint8Array(70000)).subarray(0, 5)), "0483011170");
});

Deno.test("derUnsignedInteger() is minimal and positive", () => {
  assert.equal(hex(derUnsignedInteger(new Uint8Array([0, 0, 5]))), "020105");
  assert.equal(hex(derUnsignedInteger(new Uint8Array([0x80]))), "02020080");
  assert.equal(hex(derUnsignedInteger(new Uint8Array([0, 0]))), "020100");
});

Deno.test("derOid() encodes the first two arcs together and large arcs in base 128", () => {
  assert.equal(hex(derOid("2.5.29.17")), "0603551d11");
  assert.equal(hex(derOid("1.2.840.10045.4.3.2")), "06082a8648ce3d040302");
});

Deno.test("derTime() is UTCTime before 2050 and GeneralizedTime from 2050", () => {
  const utc = derTime(new Date("2026-12-01T08:09:10Z"));
  assert.equal(utc[0], 0x17);
  assert.equal(new TextDecoder().decode(utc.subarray(2)), "261201080910Z");
  const generalized = derTime(new Date("2050-01-02T03:04:05Z"));
  assert.equal(generalized[0], 0x18);
  assert.equal(new TextDecoder().decode(generalized.subarray(2)), "20500102030405Z");
});

Deno.test("derEcdsaSignature() turns r‖s into SEQUENCE { INTEGER r, INTEGER s }", () => {
  const p1363 = new Uint8Array(64);
  p1363[0] = 0x80; // r needs a leading zero
  p1363[63] = 7; // s is 7
  const der = derEcdsaSignature(p1363);
  assert.equal(hex(der.subarray(0, 5)), "3026022100");
  assert.equal(hex(der.subarray(-3)), "020107");
});

Deno.test("createServingPair() makes a CA and a serving leaf that OpenSSL and pkijs both read", async () => {
  const now = new Date("2026-12-01T00:00:00Z");
  const pair = await createServingPair({
    caCommonName: "edge-1-ca@1796083200",
    commonName: "edge-1@1796083200",
    dnsNames: ["edge-1", "edge-1.lan"],
    ipAddresses: ["192.0.2.7", "2001:db8::7"],
    now,
  });
  const [leafDer, caDer] = pemCertificates(pair.chainPem);
  assert.ok(leafDer && caDer);
  const leaf = new X509Certificate(leafDer);
  const ca = new X509Certificate(caDer);
  assert.equal(ca.ca, true);
  assert.equal(leaf.ca, false);
  assert.equal(ca.subject, "CN=edge-1-ca@1796083200");
  assert.equal(ca.issuer, ca.subject);
  assert.equal(leaf.subject, "CN=edge-1@1796083200");
  assert.equal(leaf.issuer, ca.subject);
  assert.ok(ca.verify(ca.publicKey), "the CA is self-signed");
  assert.ok(leaf.verify(ca.publicKey), "the CA signed the leaf");
  assert.ok(leaf.checkIssued(ca));
  assert.ok(leaf.checkPrivateKey(createPrivateKey(pair.keyPem)));
  assert.equal(
    leaf.subjectAltName,
    "DNS:edge-1, DNS:edge-1.lan, IP Address:192.0.2.7, IP Address:2001:db8::7",
  );
  assert.deepEqual(leaf.keyUsage, ["DigitalSignature"]);
  assert.deepEqual(ca.keyUsage?.toSorted(), ["CRLSign", "DigitalSignature", "KeyCertSign"]);
  // Valid from an hour back; the leaf for a year, the CA for ten.
  assert.equal(leaf.validFromDate.toISOString(), "2026-11-30T23:00:00.000Z");
  assert.equal(leaf.validToDate.toISOString(), "2027-12-01T00:00:00.000Z");
  assert.equal(ca.validToDate.toISOString(), "2036-11-28T00:00:00.000Z");

  // pkijs (the cluster PKI's parser) reads the same fields.
  const loaded = await loadKeyPairCertificate(pair.chainPem, pair.keyPem);
  assert.ok(await keyMatchesCertificate(loaded));
  assert.equal(notBefore(loaded.certificate).toISOString(), "2026-11-30T23:00:00.000Z");
  assert.equal(notAfter(loaded.certificate).toISOString(), "2027-12-01T00:00:00.000Z");
  assert.deepEqual(subjectAltNames(loaded.certificate), {
    dnsNames: ["edge-1", "edge-1.lan"],
    ipAddresses: ["192.0.2.7", "2001:db8::7"],
  });
  const exts = new Map(loaded.certificate.extensions?.map((e) => [e.extnID, e]) ?? []);
  assert.deepEqual([...exts.keys()].sort(), [
    "2.5.29.15",
    "2.5.29.17",
    "2.5.29.19",
    "2.5.29.35",
    "2.5.29.37",
  ]);
  assert.equal(exts.get("2.5.29.15")?.critical, true);
  assert.equal(exts.get("2.5.29.19")?.critical, true);
  const eku = exts.get("2.5.29.37")?.parsedValue as { keyPurposes: string[] } | undefined;
  assert.deepEqual(eku?.keyPurposes, ["1.3.6.1.5.5.7.3.1"]);
});

Deno.test("createServingPair() refuses an address that is not an IP", async () => {
  await assert.rejects(
    createServingPair({
      caCommonName: "ca",
      commonName: "leaf",
      dnsNames: [],
      ipAddresses: ["not-an-ip"],
      now: new Date(),
    }),
    /Cannot put IP address "not-an-ip" in a certificate: not an IP/,
  );
});
