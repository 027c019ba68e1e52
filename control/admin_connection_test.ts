import assert from "node:assert/strict";
import { stringify } from "yaml";
import { parseAdminKubeconfig, statusMessage } from "./admin_connection.ts";

const CA = "-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n";
const SERVER = "https://127.0.0.1:6443";

function kubeconfigText(): string {
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{
      name: "default",
      cluster: { "certificate-authority-data": btoa(CA), server: SERVER },
    }],
    contexts: [{ name: "default", context: { cluster: "default", user: "default" } }],
    "current-context": "default",
    users: [{
      name: "default",
      user: {
        "client-certificate-data": btoa("CERT PEM"),
        "client-key-data": btoa("KEY PEM"),
      },
    }],
  });
}

Deno.test("parseAdminKubeconfig() reads skiff's admin kubeconfig", () => {
  assert.deepEqual(parseAdminKubeconfig(kubeconfigText()), {
    serverUrl: SERVER,
    caCertPem: CA,
    certPem: "CERT PEM",
    keyPem: "KEY PEM",
  });
});

Deno.test("parseAdminKubeconfig() refuses what is not YAML or lacks the TLS material", () => {
  assert.throws(() => parseAdminKubeconfig("clusters: []"), SyntaxError);
  assert.throws(() => parseAdminKubeconfig("{"), /not YAML/);
  assert.throws(
    () => parseAdminKubeconfig(kubeconfigText().replace(/client-key-data: .*/, "")),
    /client-key-data/,
  );
});

Deno.test("statusMessage() gives a Status's message, else the status code", async () => {
  const status = new Response(JSON.stringify({ kind: "Status", message: "nope" }), {
    status: 403,
  });
  assert.equal(await statusMessage(status), "nope");
  assert.equal(
    await statusMessage(new Response("<html>", { status: 502 })),
    "the server answered 502",
  );
});
