import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { parse } from "yaml";
import {
  type ClusterPkiOptions,
  ensureClusterPki,
  nextRenewalTimeMs,
  RENEW_BEFORE_MS,
  renewalTimeMs,
  renewClusterPki,
  servingCertificateNames,
  type ServingNamesOptions,
} from "./cluster_pki.ts";
import {
  CA_LIFETIME_MS,
  createCa,
  issueCertificate,
  LEAF_LIFETIME_MS,
  serialNumberHex,
  verifyClientCertificate,
} from "../../util/x509/certificates.ts";

const now = new Date("2026-12-01T00:00:00Z");
const DAY_MS = 24 * 3600 * 1000;

async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir();
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

function baseOptions(dataDir: string): ClusterPkiOptions {
  return {
    dataDir,
    dnsNames: ["localhost", "kubernetes"],
    ipAddresses: ["127.0.0.1", "::1"],
    serverUrl: "https://127.0.0.1:6443",
    now,
  };
}

/** The SANs as OpenSSL reads them (an independent parser). */
function opensslSans(certPem: string): string[] {
  return (new X509Certificate(certPem).subjectAltName ?? "").split(", ").sort();
}

async function inode(path: string): Promise<number | null> {
  return (await Deno.stat(path)).ino;
}

Deno.test("ensureClusterPki() creates the CA, certificates and kubeconfig once", async () => {
  await using dir = await tempDir();
  const dataDir = dir.path;
  const options = baseOptions(dataDir);
  const first = await ensureClusterPki(options);
  assert.deepEqual(first.issued, [
    { file: "server-ca", reason: "missing" },
    { file: "serving", reason: "missing" },
    { file: "client-admin", reason: "missing" },
    { file: "client-kube-apiserver", reason: "missing" },
  ]);
  for (
    const f of ["server-ca.key", "serving.key", "client-admin.key", "client-kube-apiserver.key"]
  ) {
    assert.equal((await Deno.stat(`${dataDir}/tls/${f}`)).mode! & 0o777, 0o600, f);
  }
  for (
    const f of ["server-ca.crt", "serving.crt", "client-admin.crt", "client-kube-apiserver.crt"]
  ) {
    assert.equal((await Deno.stat(`${dataDir}/tls/${f}`)).mode! & 0o777, 0o644, f);
  }
  assert.equal((await Deno.stat(`${dataDir}/tls`)).mode! & 0o777, 0o700);
  assert.equal((await Deno.stat(`${dataDir}/kubeconfig.yaml`)).mode! & 0o777, 0o600);
  // No temporary files of the atomic writes are left behind.
  const names = (await Array.fromAsync(Deno.readDir(`${dataDir}/tls`))).map((e) => e.name).sort();
  assert.deepEqual(names, [
    "client-admin.crt",
    "client-admin.key",
    "client-kube-apiserver.crt",
    "client-kube-apiserver.key",
    "server-ca.crt",
    "server-ca.key",
    "serving.crt",
    "serving.key",
  ]);
  const kc = parse(await Deno.readTextFile(`${dataDir}/kubeconfig.yaml`));
  assert.equal(kc.clusters[0].cluster.server, "https://127.0.0.1:6443");
  assert.equal(kc["current-context"], "default");
  assert.equal(atob(kc.clusters[0].cluster["certificate-authority-data"]), first.ca.certPem);
  assert.equal(atob(kc.users[0].user["client-certificate-data"]), first.admin.certPem);
  assert.equal(atob(kc.users[0].user["client-key-data"]), first.admin.keyPem);
  const admin = await verifyClientCertificate(first.admin.der, {
    cas: [first.ca.certificate],
    now,
  });
  assert.deepEqual(admin, {
    ok: true,
    commonName: "system:admin",
    organizations: ["system:masters"],
  });
  assert.equal(
    new X509Certificate(first.admin.certPem).subject,
    "O=system:masters\nCN=system:admin",
  );
  // The API server's client certificate towards kubelets: a cluster admin.
  assert.deepEqual(
    await verifyClientCertificate(first.kubeletClient.der, { cas: [first.ca.certificate], now }),
    { ok: true, commonName: "kube-apiserver-kubelet-client", organizations: ["system:masters"] },
  );
  assert.equal(
    new X509Certificate(first.kubeletClient.certPem).subject,
    "O=system:masters\nCN=kube-apiserver-kubelet-client",
  );
  // Leaves last a year, the CA ten.
  assert.equal(
    first.serving.certificate.notAfter.value.getTime(),
    now.getTime() + LEAF_LIFETIME_MS,
  );
  assert.equal(first.admin.certificate.notAfter.value.getTime(), now.getTime() + LEAF_LIFETIME_MS);
  assert.equal(first.ca.certificate.notAfter.value.getTime(), now.getTime() + CA_LIFETIME_MS);

  // A second start loads the same certificates and writes nothing.
  const before = await Promise.all(
    ["tls/serving.crt", "tls/client-admin.key", "kubeconfig.yaml"].map((f) =>
      inode(`${dataDir}/${f}`)
    ),
  );
  const second = await ensureClusterPki(options);
  assert.deepEqual(second.issued, []);
  assert.equal(second.ca.certPem, first.ca.certPem);
  assert.equal(second.serving.certPem, first.serving.certPem);
  assert.equal(second.admin.certPem, first.admin.certPem);
  const after = await Promise.all(
    ["tls/serving.crt", "tls/client-admin.key", "kubeconfig.yaml"].map((f) =>
      inode(`${dataDir}/${f}`)
    ),
  );
  assert.deepEqual(after, before);

  // A new SAN reissues the serving certificate only.
  const third = await ensureClusterPki({ ...options, dnsNames: [...options.dnsNames, "edge-1"] });
  assert.deepEqual(third.issued, [{ file: "serving", reason: "names-changed" }]);
  assert.equal(third.ca.certPem, first.ca.certPem);
  assert.notEqual(third.serving.certPem, first.serving.certPem);
  assert.equal(third.admin.certPem, first.admin.certPem);
  assert.equal(await Deno.readTextFile(`${dataDir}/tls/serving.crt`), third.serving.certPem);
});

Deno.test("ensureClusterPki() reissues a leaf only when it must", async (t) => {
  interface Case {
    name: string;
    /** Changes the data dir or options after a first start at `now`. */
    change(dataDir: string, options: ClusterPkiOptions): Promise<ClusterPkiOptions>;
    issued: { file: string; reason: string }[];
  }
  const cases: Case[] = [
    {
      name: "a new IP address",
      change: (_d, o) => Promise.resolve({ ...o, ipAddresses: [...o.ipAddresses, "192.168.1.7"] }),
      issued: [{ file: "serving", reason: "names-changed" }],
    },
    {
      name: "an address gone",
      change: (_d, o) => Promise.resolve({ ...o, ipAddresses: [] }),
      issued: [{ file: "serving", reason: "names-changed" }],
    },
    {
      name: "a new IPv6 address",
      change: (_d, o) => Promise.resolve({ ...o, ipAddresses: [...o.ipAddresses, "fd00::7"] }),
      issued: [{ file: "serving", reason: "names-changed" }],
    },
    {
      name: "the same names spelt otherwise (case, IPv6 zeros, order, duplicates)",
      change: (_d, o) =>
        Promise.resolve({
          ...o,
          dnsNames: ["KUBERNETES", "localhost", "localhost"],
          ipAddresses: ["0:0:0:0:0:0:0:1", "127.0.0.1", "127.0.0.1"],
        }),
      issued: [],
    },
    {
      name: "less than 90 days left",
      change: (_d, o) =>
        Promise.resolve({
          ...o,
          now: new Date(now.getTime() + LEAF_LIFETIME_MS - RENEW_BEFORE_MS),
        }),
      issued: [
        { file: "serving", reason: "expiring" },
        { file: "client-admin", reason: "expiring" },
        { file: "client-kube-apiserver", reason: "expiring" },
      ],
    },
    {
      name: "one second more than 90 days left",
      change: (_d, o) =>
        Promise.resolve({
          ...o,
          now: new Date(now.getTime() + LEAF_LIFETIME_MS - RENEW_BEFORE_MS - 1000),
        }),
      issued: [],
    },
    {
      name: "expired",
      change: (_d, o) =>
        Promise.resolve({ ...o, now: new Date(now.getTime() + 2 * LEAF_LIFETIME_MS) }),
      issued: [
        { file: "serving", reason: "expiring" },
        { file: "client-admin", reason: "expiring" },
        { file: "client-kube-apiserver", reason: "expiring" },
      ],
    },
    {
      name: "a clock behind the certificates' start (kept)",
      change: (_d, o) => Promise.resolve({ ...o, now: new Date("2020-01-01T00:00:00Z") }),
      issued: [],
    },
    {
      name: "a certificate file missing",
      change: async (d, o) => {
        await Deno.remove(`${d}/tls/client-admin.crt`);
        return o;
      },
      issued: [{ file: "client-admin", reason: "missing" }],
    },
    {
      name: "the kubelet client certificate missing (a data dir from before it existed)",
      change: async (d, o) => {
        await Deno.remove(`${d}/tls/client-kube-apiserver.crt`);
        await Deno.remove(`${d}/tls/client-kube-apiserver.key`);
        return o;
      },
      issued: [{ file: "client-kube-apiserver", reason: "missing" }],
    },
    {
      name: "an unreadable certificate",
      change: async (d, o) => {
        await Deno.writeTextFile(`${d}/tls/serving.crt`, "garbage");
        return o;
      },
      issued: [{ file: "serving", reason: "unreadable" }],
    },
    {
      name: "a key that is not the certificate's (crash between the two writes)",
      change: async (d, o) => {
        await Deno.copyFile(`${d}/tls/client-admin.key`, `${d}/tls/serving.key`);
        return o;
      },
      issued: [{ file: "serving", reason: "key-mismatch" }],
    },
    {
      name: "a leaf signed by another CA",
      change: async (d, o) => {
        const other = await createCa({ commonName: "other", now });
        const forged = await issueCertificate(other, {
          commonName: "system:admin",
          organizations: ["system:masters"],
          usage: "client",
          now,
        });
        await Deno.writeTextFile(`${d}/tls/client-admin.crt`, forged.certPem);
        await Deno.writeTextFile(`${d}/tls/client-admin.key`, forged.keyPem);
        return o;
      },
      issued: [{ file: "client-admin", reason: "other-ca" }],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      await using dir = await tempDir();
      const options = baseOptions(dir.path);
      const first = await ensureClusterPki(options);
      const changed = await c.change(dir.path, options);
      const second = await ensureClusterPki(changed);
      assert.deepEqual(second.issued, c.issued);
      assert.equal(second.ca.certPem, first.ca.certPem);
      const pairs = [
        ["serving", second.serving],
        ["client-admin", second.admin],
        ["client-kube-apiserver", second.kubeletClient],
      ] as const;
      for (const [file, pair] of pairs) {
        assert.equal(await Deno.readTextFile(`${dir.path}/tls/${file}.crt`), pair.certPem);
        assert.equal(await Deno.readTextFile(`${dir.path}/tls/${file}.key`), pair.keyPem);
        assert.ok(
          new X509Certificate(pair.certPem).checkIssued(new X509Certificate(first.ca.certPem)),
        );
      }
      const reissuedAdmin = c.issued.some((i) => i.file === "client-admin");
      assert.equal(second.admin.certPem !== first.admin.certPem, reissuedAdmin);
      const kc = parse(await Deno.readTextFile(`${dir.path}/kubeconfig.yaml`));
      assert.equal(atob(kc.users[0].user["client-certificate-data"]), second.admin.certPem);
      for (const i of c.issued) {
        const pair = i.file === "serving" ? second.serving : second.admin;
        assert.equal(
          pair.certificate.notAfter.value.getTime(),
          Math.floor((changed.now.getTime() + LEAF_LIFETIME_MS) / 1000) * 1000,
        );
      }
    });
  }
});

Deno.test("ensureClusterPki() refuses a CA it cannot use", async (t) => {
  await t.step("expired", async () => {
    await using dir = await tempDir();
    await ensureClusterPki(baseOptions(dir.path));
    await assert.rejects(
      ensureClusterPki({
        ...baseOptions(dir.path),
        now: new Date(now.getTime() + CA_LIFETIME_MS + 1000),
      }),
      /^Error: Cannot use cluster CA ".*\/tls\/server-ca\.crt": it expired at 2036-/,
    );
  });
  await t.step("with a key that is not its own", async () => {
    await using dir = await tempDir();
    await ensureClusterPki(baseOptions(dir.path));
    await Deno.copyFile(`${dir.path}/tls/serving.key`, `${dir.path}/tls/server-ca.key`);
    await assert.rejects(
      ensureClusterPki(baseOptions(dir.path)),
      /Cannot use cluster CA ".*server-ca\.crt": key ".*server-ca\.key" does not match it/,
    );
  });
  await t.step("unreadable", async () => {
    await using dir = await tempDir();
    await ensureClusterPki(baseOptions(dir.path));
    await Deno.writeTextFile(`${dir.path}/tls/server-ca.crt`, "not a certificate");
    await assert.rejects(
      ensureClusterPki(baseOptions(dir.path)),
      /Cannot load certificate ".*server-ca\.crt"/,
    );
  });
});

Deno.test("renewClusterPki() reissues what is due with the same CA", async () => {
  await using dir = await tempDir();
  const options = baseOptions(dir.path);
  const first = await ensureClusterPki(options);
  const kept = await renewClusterPki(first, { ...options, now: new Date(now.getTime() + DAY_MS) });
  assert.deepEqual(kept.issued, []);
  assert.equal(kept.serving, first.serving);
  assert.equal(kept.admin, first.admin);
  assert.equal(kept.kubeletClient, first.kubeletClient);

  const dueMs = nextRenewalTimeMs(first);
  const renewed = await renewClusterPki(first, { ...options, now: new Date(dueMs) });
  assert.deepEqual(renewed.issued.map((i) => i.file), [
    "serving",
    "client-admin",
    "client-kube-apiserver",
  ]);
  assert.equal(
    await Deno.readTextFile(`${dir.path}/tls/client-kube-apiserver.crt`),
    renewed.kubeletClient.certPem,
  );
  assert.equal(renewed.ca, first.ca);
  assert.notEqual(
    serialNumberHex(renewed.serving.certificate),
    serialNumberHex(first.serving.certificate),
  );
  assert.equal(renewed.serving.certificate.notAfter.value.getTime(), dueMs + LEAF_LIFETIME_MS);
  assert.deepEqual(opensslSans(renewed.serving.certPem), opensslSans(first.serving.certPem));
  assert.equal(await Deno.readTextFile(`${dir.path}/tls/client-admin.crt`), renewed.admin.certPem);
  assert.equal(await Deno.readTextFile(`${dir.path}/kubeconfig.yaml`), renewed.kubeconfig);
  // The old admin certificate still verifies until it ends.
  const old = await verifyClientCertificate(first.admin.der, {
    cas: [renewed.ca.certificate],
    now: new Date(dueMs + 1000),
  });
  assert.equal(old.ok, true);
});

Deno.test("renewalTimeMs() is 90 days before the end, never for a leaf ending with the CA", async () => {
  const ca = await createCa({ commonName: "ca", now, lifetimeMs: 400 * DAY_MS });
  const leaf = await issueCertificate(ca, { commonName: "a", usage: "client", now });
  assert.equal(renewalTimeMs(leaf, { ca }), now.getTime() + LEAF_LIFETIME_MS - RENEW_BEFORE_MS);
  assert.equal(renewalTimeMs(leaf, { ca, renewBeforeMs: DAY_MS }), now.getTime() + 364 * DAY_MS);
  // Renewed 90 days before its end, the leaf is cut at the CA's end: no further renewal.
  const renewed = await issueCertificate(ca, {
    commonName: "a",
    usage: "client",
    now: new Date(now.getTime() + 275 * DAY_MS),
  });
  assert.equal(
    renewed.certificate.notAfter.value.getTime(),
    ca.certificate.notAfter.value.getTime(),
  );
  assert.equal(renewalTimeMs(renewed, { ca }), Infinity);
});

Deno.test("servingCertificateNames() lists what the serving certificate must cover", async (t) => {
  const base: ServingNamesOptions = {
    nodeName: "edge-1",
    hostname: "edge-1",
    interfaces: [],
    serviceCidr: "10.43.0.0/16",
    clusterDomain: "cluster.local",
  };
  const kubernetesNames = [
    "kubernetes",
    "kubernetes.default",
    "kubernetes.default.svc",
    "kubernetes.default.svc.cluster.local",
  ];
  const cases: {
    name: string;
    options: Partial<ServingNamesOptions>;
    dnsNames: string[];
    ipAddresses: string[];
  }[] = [
    {
      name: "defaults",
      options: {},
      dnsNames: ["localhost", "edge-1", ...kubernetesNames],
      ipAddresses: ["127.0.0.1", "::1", "10.43.0.1"],
    },
    {
      name: "hostname apart from node name, lowercased",
      options: { hostname: "Pi-Cabinet-3", nodeName: "edge-1" },
      dnsNames: ["localhost", "pi-cabinet-3", "edge-1", ...kubernetesNames],
      ipAddresses: ["127.0.0.1", "::1", "10.43.0.1"],
    },
    {
      name: "a hostname no certificate can hold",
      options: { hostname: "my pi" },
      dnsNames: ["localhost", "edge-1", ...kubernetesNames],
      ipAddresses: ["127.0.0.1", "::1", "10.43.0.1"],
    },
    {
      name: "every local address but IPv6 link-local",
      options: {
        interfaces: [
          { family: "IPv4", address: "127.0.0.1" },
          { family: "IPv6", address: "::1" },
          { family: "IPv4", address: "192.168.1.20" },
          { family: "IPv6", address: "fe80::a00:27ff:fe4e:66a1" },
          { family: "IPv6", address: "2001:DB8:0:0::20" },
          { family: "IPv4", address: "10.42.0.1" },
        ],
      },
      dnsNames: ["localhost", "edge-1", ...kubernetesNames],
      ipAddresses: ["127.0.0.1", "::1", "10.43.0.1", "192.168.1.20", "2001:db8::20", "10.42.0.1"],
    },
    {
      name: "service range and cluster domain",
      options: { serviceCidr: "10.53.16.0/20", clusterDomain: "edge.internal" },
      dnsNames: [
        "localhost",
        "edge-1",
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.edge.internal",
      ],
      ipAddresses: ["127.0.0.1", "::1", "10.53.16.1"],
    },
    {
      name: "--tls-san names and addresses",
      options: {
        extraSans: [
          "edge.example.com",
          "203.0.113.5",
          "*.edge.example.com",
          "fd00::1",
          "Kubernetes",
        ],
      },
      dnsNames: [
        "localhost",
        "edge-1",
        ...kubernetesNames,
        "edge.example.com",
        "*.edge.example.com",
      ],
      ipAddresses: ["127.0.0.1", "::1", "10.43.0.1", "203.0.113.5", "fd00::1"],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const got = servingCertificateNames({ ...base, ...c.options });
      assert.deepEqual(got, { dnsNames: c.dnsNames, ipAddresses: c.ipAddresses });
    });
  }
});

Deno.test("ensureClusterPki() issues a serving certificate covering every name and --tls-san", async () => {
  await using dir = await tempDir();
  const names = servingCertificateNames({
    nodeName: "edge-1",
    hostname: "pi-3",
    interfaces: [
      { family: "IPv4", address: "192.168.1.20" },
      { family: "IPv6", address: "fd00::20" },
    ],
    serviceCidr: "10.43.0.0/16",
    clusterDomain: "cluster.local",
    extraSans: ["edge.example.com", "203.0.113.5"],
  });
  const pki = await ensureClusterPki({ ...baseOptions(dir.path), ...names });
  assert.deepEqual(
    opensslSans(pki.serving.certPem),
    [
      "DNS:edge-1",
      "DNS:edge.example.com",
      "DNS:kubernetes",
      "DNS:kubernetes.default",
      "DNS:kubernetes.default.svc",
      "DNS:kubernetes.default.svc.cluster.local",
      "DNS:localhost",
      "DNS:pi-3",
      "IP Address:10.43.0.1",
      "IP Address:127.0.0.1",
      "IP Address:192.168.1.20",
      "IP Address:203.0.113.5",
      "IP Address:::1",
      "IP Address:fd00::20",
    ].sort(),
  );
  // node:crypto checks the certificate against each name as a TLS client would.
  const x509 = new X509Certificate(pki.serving.certPem);
  assert.equal(x509.checkHost("edge.example.com"), "edge.example.com");
  assert.equal(x509.checkIP("203.0.113.5"), "203.0.113.5");
  assert.equal(x509.checkIP("10.43.0.1"), "10.43.0.1");
  assert.equal(x509.checkHost("elsewhere.example.com"), undefined);
  // A restart with the same names keeps it.
  const again = await ensureClusterPki({ ...baseOptions(dir.path), ...names });
  assert.deepEqual(again.issued, []);
});
