import assert from "node:assert/strict";
import {
  freePort,
  skiffServerArgs,
  tlsOfKubeconfig,
  v8FlagsOfConfig,
  waitForServer,
} from "./_server_process.ts";

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

Deno.test("skiffServerArgs() runs mod.ts server without the agent and the given components", async (t) => {
  await t.step("with flags and disabled components", () => {
    assert.deepEqual(
      skiffServerArgs({
        dataDir: "/d",
        port: 1,
        v8Flags: "--x",
        disable: ["scheduler", "controller-manager"],
        stderr: "piped",
      }),
      [
        "run",
        "-A",
        "--v8-flags=--x",
        "mod.ts",
        "server",
        "--data-dir",
        "/d",
        "--https-port",
        "1",
        "--disable-agent",
        "--disable-scheduler",
        "--disable-controller-manager",
        "--log-level",
        "warn",
      ],
    );
  });
  await t.step("no flags", () => {
    const args = skiffServerArgs({ dataDir: "/d", port: 1, v8Flags: "", stderr: "inherit" });
    assert.deepEqual(args.slice(0, 3), ["run", "-A", "mod.ts"]);
    assert.equal(args.filter((a) => a.startsWith("--disable-")).length, 1);
  });
  await t.step("with the inspector", () => {
    const args = skiffServerArgs({
      dataDir: "/d",
      port: 1,
      v8Flags: "",
      stderr: "inherit",
      inspectPort: 9333,
    });
    assert.deepEqual(args.slice(0, 4), ["run", "-A", "--inspect=127.0.0.1:9333", "mod.ts"]);
  });
});

Deno.test("waitForServer() says there is no kubeconfig once the server exited", async () => {
  const got = await waitForServer("/nonexistent/kubeconfig.yaml", {
    port: freePort(),
    deadline: performance.now() + 5_000,
    pollMs: 10,
    exited: () => true,
  });
  assert.equal(got, "no kubeconfig");
});
