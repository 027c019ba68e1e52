import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import {
  createCa,
  isSignedBy,
  issueCertificate,
  keyMatchesCertificate,
  loadKeyPairCertificate,
  pemCertificates,
  serialNumberHex,
  subjectAltNames,
  subjectOf,
  verifyClientCertificate,
} from "./certificates.ts";
import { parseDerEcdsaSignature } from "./_strict_der.ts";

const now = new Date("2026-12-01T00:00:00Z");
const ca = await createCa({ commonName: "skiff-ca@1", now });

async function openssl(args: string[], stdin?: string): Promise<{ code: number; out: string }> {
  const cmd = new Deno.Command("openssl", {
    args,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  });
  const child = cmd.spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const res = await child.output();
  return {
    code: res.code,
    out: new TextDecoder().decode(res.stdout) + new TextDecoder().decode(res.stderr),
  };
}

Deno.test("createCa() makes a self-signed CA that openssl accepts", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/ca.crt`, ca.certPem);
    const text = await openssl(["x509", "-in", `${dir}/ca.crt`, "-noout", "-text"]);
    assert.equal(text.code, 0, text.out);
    assert.match(text.out, /CA:TRUE/);
    assert.match(text.out, /Certificate Sign/);
    assert.match(text.out, /Subject: CN ?= ?skiff-ca@1/);
    const verify = await openssl([
      "verify",
      "-attime",
      String(now.getTime() / 1000),
      "-CAfile",
      `${dir}/ca.crt`,
      `${dir}/ca.crt`,
    ]);
    assert.equal(verify.code, 0, verify.out);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("issueCertificate() puts SANs and usages where Go's TLS stack looks", async () => {
  const serving = await issueCertificate(ca, {
    commonName: "skiff",
    usage: "server",
    dnsNames: ["kubernetes", "kubernetes.default.svc.cluster.local", "localhost"],
    ipAddresses: ["127.0.0.1", "10.43.0.1", "::1"],
    now,
  });
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/ca.crt`, ca.certPem);
    await Deno.writeTextFile(`${dir}/s.crt`, serving.certPem);
    const text = await openssl(["x509", "-in", `${dir}/s.crt`, "-noout", "-text"]);
    assert.match(
      text.out,
      /DNS:kubernetes, DNS:kubernetes.default.svc.cluster.local, DNS:localhost/,
    );
    assert.match(
      text.out,
      /IP Address:127.0.0.1, IP Address:10.43.0.1, IP Address:0:0:0:0:0:0:0:1/,
    );
    assert.match(text.out, /TLS Web Server Authentication/);
    assert.match(text.out, /CA:FALSE/);
    const verify = await openssl([
      "verify",
      "-attime",
      String(now.getTime() / 1000),
      "-purpose",
      "sslserver",
      "-CAfile",
      `${dir}/ca.crt`,
      `${dir}/s.crt`,
    ]);
    assert.equal(verify.code, 0, verify.out);
    // The key matches the certificate.
    await Deno.writeTextFile(`${dir}/s.key`, serving.keyPem);
    const pub1 = await openssl(["x509", "-in", `${dir}/s.crt`, "-noout", "-pubkey"]);
    const pub2 = await openssl(["pkey", "-in", `${dir}/s.key`, "-pubout"]);
    assert.equal(pub1.out, pub2.out);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("verifyClientCertificate() accepts the CA's client certificates", async () => {
  const admin = await issueCertificate(ca, {
    commonName: "system:admin",
    organizations: ["system:masters"],
    usage: "client",
    now,
  });
  assert.deepEqual(await verifyClientCertificate(admin.der, { cas: [ca.certificate], now }), {
    ok: true,
    commonName: "system:admin",
    organizations: ["system:masters"],
  });
  // One attribute per RDN, as Go and OpenSSL write subjects (not one multi-valued RDN).
  const { X509Certificate } = await import("node:crypto");
  assert.equal(new X509Certificate(admin.der).subject, "O=system:masters\nCN=system:admin");
  // After a round trip through PEM.
  const loaded = await loadKeyPairCertificate(admin.certPem, admin.keyPem);
  assert.deepEqual(loaded.der, admin.der);
  assert.equal(pemCertificates(admin.certPem + ca.certPem).length, 2);
});

Deno.test("verifyClientCertificate() refuses what an attacker would present", async (t) => {
  const otherCa = await createCa({ commonName: "evil-ca", now });
  const cases: [string, Uint8Array, Date][] = [
    [
      "self-signed claiming system:masters",
      (await createCa({ commonName: "system:admin", now })).der,
      now,
    ],
    [
      "signed by another CA",
      (await issueCertificate(otherCa, {
        commonName: "admin",
        organizations: ["system:masters"],
        usage: "client",
        now,
      })).der,
      now,
    ],
    [
      "expired",
      (await issueCertificate(ca, {
        commonName: "old",
        usage: "client",
        now,
        lifetimeMs: 1000,
      })).der,
      new Date(now.getTime() + 3600_000),
    ],
    [
      "not yet valid",
      (await issueCertificate(ca, { commonName: "future", usage: "client", now })).der,
      new Date(now.getTime() - 24 * 3600_000),
    ],
    [
      "server-only usage",
      (await issueCertificate(ca, { commonName: "srv", usage: "server", now })).der,
      now,
    ],
    ["garbage", new Uint8Array([0x30, 0x03, 0x01, 0x02]), now],
    ["empty", new Uint8Array(), now],
  ];
  for (const [name, der, at] of cases) {
    await t.step(name, async () => {
      const res = await verifyClientCertificate(der, { cas: [ca.certificate], now: at });
      assert.equal(res.ok, false);
    });
  }
});

Deno.test("verifyClientCertificate() refuses a genuine certificate with an altered envelope", async (t) => {
  const cert = await issueCertificate(ca, {
    commonName: "system:admin",
    organizations: ["system:masters"],
    usage: "client",
    now,
  });
  const der = cert.der;
  assert.equal((await verifyClientCertificate(der, { cas: [ca.certificate], now })).ok, true);
  // pkijs reads BER and ECDSA signatures leniently: these bytes lie outside what the CA signed
  // (lengths, the signature's unused bits, the tags inside the ECDSA signature), and each of
  // them used to verify. Every bit of the outer header, of the outer signature algorithm and of
  // the signature is flipped here.
  const ecdsaWithSha256 = [0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
  let sigAlg = -1;
  for (let i = der.length - ecdsaWithSha256.length; i >= 0 && sigAlg < 0; i--) {
    if (ecdsaWithSha256.every((b, j) => der[i + j] === b)) sigAlg = i;
  }
  assert.ok(sigAlg > 0);
  const positions = [0, 1, 2, 3];
  for (let i = sigAlg; i < der.length; i++) positions.push(i);
  const accepted: string[] = [];
  for (const at of positions) {
    for (let bit = 0; bit < 8; bit++) {
      const flipped = new Uint8Array(der);
      flipped[at] = flipped[at]! ^ (1 << bit);
      const res = await verifyClientCertificate(flipped, { cas: [ca.certificate], now });
      if (res.ok) accepted.push(`byte ${at} bit ${bit}`);
    }
  }
  assert.deepEqual(accepted, []);
  // A new ECDSA signature (r, s given as their minimal big-endian bytes) in the same envelope.
  const bitString = sigAlg + ecdsaWithSha256.length;
  const original = parseDerEcdsaSignature(der.subarray(bitString + 3))!;
  assert.ok(original);
  const resigned = (r: number[], sv: number[]) => {
    const sig = [0x30, r.length + sv.length + 4, 0x02, r.length, ...r, 0x02, sv.length, ...sv];
    const body = [...der.subarray(4, bitString), 0x03, sig.length + 1, 0x00, ...sig];
    return new Uint8Array([0x30, 0x82, body.length >> 8, body.length & 0xff, ...body]);
  };
  const bytesOf = (n: bigint) => {
    const hex = n.toString(16);
    const out = [...Uint8Array.fromHex(hex.length % 2 ? `0${hex}` : hex)];
    return out[0]! & 0x80 ? [0, ...out] : out;
  };
  const refusals: [string, Uint8Array, string][] = [
    [
      "the same r and s re-encoded (the control)",
      resigned(bytesOf(original.r), bytesOf(original.s)),
      "",
    ],
    [
      "a needless leading zero in r",
      resigned([0, ...bytesOf(original.r)], bytesOf(original.s)),
      "the ECDSA signature is not in DER",
    ],
    [
      "r + 2^256 (pkijs keeps the low 32 bytes)",
      resigned(bytesOf(original.r + (1n << 256n)), bytesOf(original.s)),
      "the ECDSA signature is out of range",
    ],
    [
      "s + 2^256",
      resigned(bytesOf(original.r), bytesOf(original.s + (1n << 256n))),
      "the ECDSA signature is out of range",
    ],
  ];
  for (const [name, bytes, reason] of refusals) {
    await t.step(name, async () => {
      const res = await verifyClientCertificate(bytes, { cas: [ca.certificate], now });
      assert.deepEqual(
        res,
        reason === ""
          ? { ok: true, commonName: "system:admin", organizations: ["system:masters"] }
          : { ok: false, reason: `malformed certificate: ${reason}` },
      );
    });
  }
});

Deno.test("issueCertificate() results read back as node:crypto reads them", async () => {
  const at = new Date("2026-12-01T10:20:30.456Z");
  const leaf = await issueCertificate(ca, {
    commonName: "skiff",
    organizations: ["a", "b"],
    usage: "server",
    dnsNames: ["localhost", "*.edge.example.com"],
    ipAddresses: ["127.0.0.1", "0:0::1", "2001:DB8::7", "::ffff:10.0.0.1"],
    now: at,
  });
  const x509 = new X509Certificate(leaf.certPem);
  assert.equal(
    serialNumberHex(leaf.certificate).replace(/^0+/, ""),
    x509.serialNumber.replace(/^0+/, ""),
  );
  assert.equal(serialNumberHex(leaf.certificate).length, 32);
  assert.deepEqual(subjectOf(leaf.certificate), { commonName: "skiff", organizations: ["a", "b"] });
  const expectedSans = {
    dnsNames: ["localhost", "*.edge.example.com"],
    ipAddresses: ["127.0.0.1", "::1", "2001:db8::7", "10.0.0.1"],
  };
  assert.deepEqual(subjectAltNames(leaf.certificate), expectedSans);
  const loaded = await loadKeyPairCertificate(leaf.certPem, leaf.keyPem);
  assert.deepEqual(subjectAltNames(loaded.certificate), expectedSans);
  // Validity in whole seconds, the same in memory as on disk.
  assert.equal(leaf.certificate.notBefore.value.getTime(), Date.parse("2026-12-01T09:20:30Z"));
  assert.equal(
    loaded.certificate.notAfter.value.getTime(),
    leaf.certificate.notAfter.value.getTime(),
  );
  assert.equal(new Date(x509.validTo).getTime(), leaf.certificate.notAfter.value.getTime());
  await assert.rejects(
    issueCertificate(ca, { commonName: "x", usage: "server", ipAddresses: ["1.2.3"], now }),
    { name: "TypeError", message: 'Cannot put IP address "1.2.3" in a certificate: not an IP' },
  );
});

Deno.test("keyMatchesCertificate() and isSignedBy() tell a pair and its issuer", async () => {
  const a = await issueCertificate(ca, { commonName: "a", usage: "client", now });
  const b = await issueCertificate(ca, { commonName: "b", usage: "client", now });
  const other = await createCa({ commonName: "other", now });
  assert.equal(await keyMatchesCertificate(a), true);
  assert.equal(await keyMatchesCertificate({ ...a, privateKey: b.privateKey }), false);
  assert.equal(await keyMatchesCertificate(ca), true);
  assert.equal(await isSignedBy(a.certificate, ca.certificate), true);
  assert.equal(await isSignedBy(a.certificate, other.certificate), false);
  assert.equal(await isSignedBy(ca.certificate, ca.certificate), true);
});
