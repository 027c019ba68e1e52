import assert from "node:assert/strict";
import { parse } from "yaml";
import { ensureClusterPki } from "./cluster_pki.ts";
import { verifyClientCertificate } from "./certificates.ts";

const now = new Date("2026-12-01T00:00:00Z");

Deno.test("ensureClusterPki() creates the CA, certificates and kubeconfig once", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    const options = {
      dataDir,
      dnsNames: ["localhost", "kubernetes"],
      ipAddresses: ["127.0.0.1"],
      serverUrl: "https://127.0.0.1:6443",
      now,
    };
    const first = await ensureClusterPki(options);
    for (const f of ["server-ca.key", "serving.key", "client-admin.key"]) {
      assert.equal((await Deno.stat(`${dataDir}/tls/${f}`)).mode! & 0o777, 0o600, f);
    }
    assert.equal((await Deno.stat(`${dataDir}/tls`)).mode! & 0o777, 0o700);
    assert.equal((await Deno.stat(`${dataDir}/kubeconfig.yaml`)).mode! & 0o777, 0o600);
    const kc = parse(await Deno.readTextFile(`${dataDir}/kubeconfig.yaml`));
    assert.equal(kc.clusters[0].cluster.server, "https://127.0.0.1:6443");
    assert.equal(kc["current-context"], "default");
    assert.equal(atob(kc.users[0].user["client-certificate-data"]), first.admin.certPem);
    const admin = await verifyClientCertificate(first.admin.der, {
      cas: [first.ca.certificate],
      now,
    });
    assert.deepEqual(admin, {
      ok: true,
      commonName: "system:admin",
      organizations: ["system:masters"],
    });

    // A second start loads the same certificates.
    const second = await ensureClusterPki(options);
    assert.equal(second.ca.certPem, first.ca.certPem);
    assert.equal(second.serving.certPem, first.serving.certPem);
    assert.equal(second.admin.certPem, first.admin.certPem);

    // A new SAN reissues the serving certificate only.
    const third = await ensureClusterPki({ ...options, dnsNames: [...options.dnsNames, "edge-1"] });
    assert.equal(third.ca.certPem, first.ca.certPem);
    assert.notEqual(third.serving.certPem, first.serving.certPem);
    assert.equal(third.admin.certPem, first.admin.certPem);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
