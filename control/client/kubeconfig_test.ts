import assert from "node:assert/strict";
import { stringify } from "yaml";
import { parseKubeconfig } from "./kubeconfig.ts";

const CA = "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n";
const CERT = "-----BEGIN CERTIFICATE-----\nLEAF\n-----END CERTIFICATE-----\n";
const KEY = "-----BEGIN PRIVATE KEY-----\nKEY\n-----END PRIVATE KEY-----\n";

function kubeconfig(overrides: Record<string, unknown> = {}): string {
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    "current-context": "admin@edge",
    clusters: [
      {
        name: "edge",
        cluster: { server: "https://10.0.0.1:6443", "certificate-authority-data": btoa(CA) },
      },
      { name: "lab", cluster: { server: "https://lab:6443" } },
    ],
    contexts: [
      { name: "admin@edge", context: { cluster: "edge", user: "admin" } },
      { name: "agent@lab", context: { cluster: "lab", user: "agent", namespace: "kube-system" } },
      { name: "lost", context: { cluster: "nowhere", user: "admin" } },
    ],
    users: [
      {
        name: "admin",
        user: { "client-certificate-data": btoa(CERT), "client-key-data": btoa(KEY) },
      },
      { name: "agent", user: { token: "abcdef.0123456789abcdef" } },
    ],
    ...overrides,
  });
}

Deno.test("parseKubeconfig() reads the current context's server, CA and client certificate", () => {
  assert.deepEqual(parseKubeconfig(kubeconfig()), {
    context: "admin@edge",
    server: "https://10.0.0.1:6443",
    caCertPem: CA,
    certPem: CERT,
    keyPem: KEY,
  });
});

Deno.test("parseKubeconfig() reads a named context with a token and a namespace", () => {
  assert.deepEqual(parseKubeconfig(kubeconfig(), { context: "agent@lab" }), {
    context: "agent@lab",
    server: "https://lab:6443",
    token: "abcdef.0123456789abcdef",
    namespace: "kube-system",
  });
});

Deno.test("parseKubeconfig() refuses what it cannot use", async (t) => {
  const cases = [
    {
      name: "not YAML",
      text: "a: [",
      error: SyntaxError,
      message: "Cannot parse kubeconfig: not YAML",
    },
    {
      name: "not a mapping",
      text: "- a",
      error: SyntaxError,
      message: "Cannot parse kubeconfig: expected a mapping",
    },
    {
      name: "no current-context",
      text: kubeconfig({ "current-context": "" }),
      error: TypeError,
      message: "Cannot use kubeconfig: no current-context",
    },
    {
      name: "an unknown context",
      text: kubeconfig({ "current-context": "other" }),
      error: TypeError,
      message: 'Cannot use kubeconfig: context "other" not found',
    },
    {
      name: "an unknown cluster",
      text: kubeconfig({ "current-context": "lost" }),
      error: TypeError,
      message: 'Cannot use kubeconfig: cluster "nowhere" of context "lost" not found',
    },
    {
      name: "a certificate file",
      text: kubeconfig({
        users: [{
          name: "admin",
          user: { "client-certificate": "/etc/admin.crt", "client-key-data": btoa(KEY) },
        }],
      }),
      error: TypeError,
      message:
        'Cannot use kubeconfig: user "admin" names the file "/etc/admin.crt" in "client-certificate"; embed it as "client-certificate-data"',
    },
    {
      name: "a certificate without a key",
      text: kubeconfig({
        users: [{ name: "admin", user: { "client-certificate-data": btoa(CERT) } }],
      }),
      error: TypeError,
      message:
        'Cannot use kubeconfig: user "admin" needs both client-certificate-data and client-key-data',
    },
    {
      name: "bad base64",
      text: kubeconfig({
        users: [{
          name: "admin",
          user: { "client-certificate-data": "!!", "client-key-data": "!!" },
        }],
      }),
      error: SyntaxError,
      message: "Cannot parse kubeconfig: client-certificate-data is not base64",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.throws(() => parseKubeconfig(c.text), (err: unknown) => {
        assert.ok(err instanceof c.error, `${err}`);
        assert.equal((err as Error).message, c.message);
        return true;
      });
    });
  }
});
