import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { join } from "node:path";
import { ensureKubeletServingCertificate } from "./kubelet_serving_cert.ts";

Deno.test("ensureKubeletServingCertificate() makes a pair once and reuses it while it is good", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const options = {
      certPath: join(dir, "tls", "serving.crt"),
      keyPath: join(dir, "tls", "serving.key"),
      nodeName: "edge-1",
      hostname: "edge-1.lan",
      ipAddresses: ["192.0.2.7"],
      now: new Date("2026-12-01T00:00:00Z"),
    };
    const first = await ensureKubeletServingCertificate(options);
    assert.equal(first.created, true);
    const leaf = new X509Certificate(first.certPem);
    assert.match(leaf.subject, /CN=edge-1@1796083200/);
    assert.match(leaf.issuer, /CN=edge-1-ca@1796083200/);
    assert.equal(leaf.subjectAltName, "DNS:edge-1, DNS:edge-1.lan, IP Address:192.0.2.7");
    assert.equal(((await Deno.stat(options.keyPath)).mode ?? 0) & 0o777, 0o600);

    const again = await ensureKubeletServingCertificate({
      ...options,
      now: new Date("2027-06-01T00:00:00Z"),
    });
    assert.equal(again.created, false);
    assert.equal(again.certPem, first.certPem);

    const moved = await ensureKubeletServingCertificate({ ...options, ipAddresses: ["192.0.2.8"] });
    assert.equal(moved.created, true, "a new address needs a new certificate");
    const late = await ensureKubeletServingCertificate({
      ...options,
      ipAddresses: ["192.0.2.8"],
      now: new Date("2027-10-01T00:00:00Z"),
    });
    assert.equal(late.created, true, "renewed within 90 days of expiry");

    await Deno.writeTextFile(options.keyPath, "garbage");
    assert.equal((await ensureKubeletServingCertificate(options)).created, true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
