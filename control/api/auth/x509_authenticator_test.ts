import assert from "node:assert/strict";
import { FakeClock } from "../../util/mod.ts";
import {
  createCa,
  issueCertificate,
  verifyClientCertificate,
} from "../../util/x509/certificates.ts";
import { AuthenticationError } from "./authenticator.ts";
import { X509Authenticator } from "./x509_authenticator.ts";

const now = new Date("2026-12-01T00:00:00Z");
const ca = await createCa({ commonName: "skiff-ca", now });
const request = new Request("https://h/api");

Deno.test("X509Authenticator resolves CN and O of a certificate the CA signed", async () => {
  const clock = new FakeClock(now.getTime());
  const auth = new X509Authenticator({ cas: () => [ca.certificate], clock });
  const cert = await issueCertificate(ca, {
    commonName: "alice",
    organizations: ["dev", "ops"],
    usage: "client",
    now,
  });
  assert.deepEqual(await auth.authenticate(request, { peerCertificate: cert.der }), {
    username: "alice",
    groups: ["dev", "ops", "system:authenticated"],
  });
});

Deno.test("X509Authenticator ignores requests without a certificate", async () => {
  const auth = new X509Authenticator({ cas: () => [ca.certificate], clock: new FakeClock(0) });
  assert.equal(await auth.authenticate(request, {}), null);
  assert.equal(await auth.authenticate(request, { peerCertificate: new Uint8Array() }), null);
});

Deno.test("X509Authenticator refuses a certificate the TLS layer could not read", async () => {
  const auth = new X509Authenticator({ cas: () => [ca.certificate], clock: new FakeClock(0) });
  await assert.rejects(
    auth.authenticate(request, { peerCertificateError: "invalid date", connectionKey: {} }),
    (err: unknown) =>
      err instanceof AuthenticationError && /malformed certificate: invalid date/.test(err.message),
  );
});

Deno.test("X509Authenticator refuses foreign, self-signed and expired certificates", async () => {
  const clock = new FakeClock(now.getTime());
  const auth = new X509Authenticator({ cas: () => [ca.certificate], clock });
  const other = await createCa({ commonName: "other", now });
  const foreign = await issueCertificate(other, {
    commonName: "admin",
    organizations: ["system:masters"],
    usage: "client",
    now,
  });
  const selfSigned = await createCa({ commonName: "admin", now });
  for (const der of [foreign.der, selfSigned.der, new Uint8Array([1, 2, 3])]) {
    await assert.rejects(
      auth.authenticate(request, { peerCertificate: der }),
      (err) => err instanceof AuthenticationError && /Client certificate refused/.test(err.message),
    );
  }
});

Deno.test("X509Authenticator verifies once per connection but checks expiry every request", async () => {
  const clock = new FakeClock(now.getTime());
  let reads = 0;
  const auth = new X509Authenticator({
    cas: () => {
      reads++;
      return [ca.certificate];
    },
    clock,
  });
  const cert = await issueCertificate(ca, {
    commonName: "bob",
    usage: "client",
    now,
    lifetimeMs: 60_000,
  });
  const connectionKey = {};
  for (let i = 0; i < 3; i++) {
    const user = await auth.authenticate(request, { peerCertificate: cert.der, connectionKey });
    assert.equal(user?.username, "bob");
  }
  assert.equal(reads, 1, "the chain is verified once for the connection");
  clock.advance(120_000);
  await assert.rejects(
    auth.authenticate(request, { peerCertificate: cert.der, connectionKey }),
    /it has expired/,
    "an expired certificate stops working on a long-lived connection",
  );
});

Deno.test("X509Authenticator remembers a verified certificate across connections, per CA list", async () => {
  const clock = new FakeClock(now.getTime());
  let cas = [ca.certificate];
  let verifications = 0;
  const auth = new X509Authenticator({
    // A new array each call, as the server builds it: the cache keys on the certificates.
    cas: () => [...cas],
    clock,
    verify: (der, options) => {
      verifications++;
      return verifyClientCertificate(der, options);
    },
  });
  const cert = await issueCertificate(ca, { commonName: "carol", usage: "client", now });
  for (let i = 0; i < 3; i++) {
    const user = await auth.authenticate(request, { peerCertificate: cert.der, connectionKey: {} });
    assert.equal(user?.username, "carol");
  }
  assert.equal(verifications, 1, "three connections, one verification");
  // A rotated CA list is verified against again: here it no longer trusts the issuer.
  cas = [(await createCa({ commonName: "new-ca", now })).certificate];
  await assert.rejects(
    auth.authenticate(request, { peerCertificate: cert.der, connectionKey: {} }),
    AuthenticationError,
  );
  assert.equal(verifications, 2);
});

Deno.test("X509Authenticator refuses a forged leaf whatever chain the client sends with it", async (t) => {
  const clock = new FakeClock(now.getTime());
  const forger = await createCa({ commonName: "system:admin", now });
  const forged = await issueCertificate(forger, {
    commonName: "system:admin",
    organizations: ["system:masters"],
    usage: "client",
    now,
  });
  // Genuine certificates an attacker can hold: the public serving certificate, his own.
  const serving = await issueCertificate(ca, {
    commonName: "skiff",
    usage: "server",
    dnsNames: ["localhost"],
    now,
  });
  const mallory = await issueCertificate(ca, { commonName: "mallory", usage: "client", now });
  // A leaf signed with mallory's key: his certificate is no CA.
  const underMallory = await issueCertificate(mallory, {
    commonName: "system:admin",
    organizations: ["system:masters"],
    usage: "client",
    now,
  });
  const cases = [
    { name: "self-issued leaf + serving certificate", leaf: forged.der, chain: [serving.der] },
    { name: "self-issued leaf + user certificate", leaf: forged.der, chain: [mallory.der] },
    {
      name: "self-issued leaf + its issuer + the CA",
      leaf: forged.der,
      chain: [forger.der, ca.der],
    },
    {
      name: "leaf signed by a user's key + that user",
      leaf: underMallory.der,
      chain: [mallory.der],
    },
    {
      name: "leaf signed by a user's key + that user + the CA",
      leaf: underMallory.der,
      chain: [mallory.der, ca.der],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const auth = new X509Authenticator({ cas: () => [ca.certificate], clock });
      await assert.rejects(
        auth.authenticate(request, {
          peerCertificate: c.leaf,
          peerChain: c.chain,
          connectionKey: {},
        }),
        (err) =>
          err instanceof AuthenticationError && /Client certificate refused/.test(err.message),
      );
    });
  }
  await t.step("the genuine certificate still authenticates with a chain sent along", async () => {
    const auth = new X509Authenticator({ cas: () => [ca.certificate], clock });
    const user = await auth.authenticate(request, {
      peerCertificate: mallory.der,
      peerChain: [ca.der],
      connectionKey: {},
    });
    assert.equal(user?.username, "mallory");
  });
});
