import assert from "node:assert/strict";
import { freePort, tlsOfKubeconfig, v8FlagsOfConfig } from "./_server_process.ts";

Deno.test("v8FlagsOfConfig() reads the skiff task's --v8-flags", async (t) => {
  const cases: [string, Record<string, string>, string][] = [
    ["flags", { skiff: "deno run -A --v8-flags=--a,--b=8 mod.ts" }, "--a,--b=8"],
    ["no flags", { skiff: "deno run -A mod.ts" }, ""],
    ["no skiff task", { up: "deno run --v8-flags=--a mod.ts" }, ""],
  ];
  for (const [name, tasks, want] of cases) {
    await t.step(name, () => {
      assert.equal(v8FlagsOfConfig(JSON.stringify({ tasks })), want);
    });
  }
});

Deno.test("tlsOfKubeconfig() decodes the first cluster's CA and user's certificate", () => {
  const yaml = [
    "clusters:",
    `- cluster: {certificate-authority-data: ${btoa("CA")}, server: "https://x"}`,
    "users:",
    `- user: {client-certificate-data: ${btoa("CERT")}, client-key-data: ${btoa("KEY")}}`,
  ].join("\n");
  assert.deepEqual(tlsOfKubeconfig(yaml, 6443), {
    hostname: "127.0.0.1",
    port: 6443,
    caCert: "CA",
    cert: "CERT",
    key: "KEY",
  });
});

Deno.test("freePort() returns a port that can be listened on", () => {
  const port = freePort();
  const l = Deno.listen({ hostname: "127.0.0.1", port });
  assert.equal((l.addr as Deno.NetAddr).port, port);
  l.close();
});
