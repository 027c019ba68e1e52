import assert from "node:assert/strict";
import { join } from "node:path";
import { NAMESPACES } from "../../control/client/resources.ts";
import { e2eCluster } from "./e2e_cluster.ts";
import type { TestServer } from "./skiff_server.ts";

/** A TestServer with nothing listening at its address (kubectl cannot reach it). */
async function unreachableServer(): Promise<TestServer> {
  const dir = await Deno.makeTempDir({ prefix: "skiff-e2e-cluster-" });
  const kubeconfig = join(dir, "kubeconfig.yaml");
  await Deno.writeTextFile(
    kubeconfig,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "c", cluster: { server: "https://127.0.0.1:1" } }],
      users: [{ name: "u", user: { token: "t" } }],
      contexts: [{ name: "x", context: { cluster: "c", user: "u" } }],
      "current-context": "x",
    }),
  );
  const stop = () => Deno.remove(dir, { recursive: true });
  return {
    url: "https://127.0.0.1:1",
    port: 1,
    dataDir: dir,
    kubeconfig,
    scratchDir: dir,
    logTail: (lines = 60) => `the last ${lines} log lines`,
    halt: () => Promise.resolve(),
    crash: () => Promise.resolve(),
    restart: () => Promise.resolve(),
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

Deno.test("e2eCluster() runs the kubectl version asked for; json() parses -o json", async () => {
  await using server = await unreachableServer();
  using cluster = e2eCluster(server);
  assert.equal(cluster.kubectl.version, "1.33");
  const client = await cluster.json(["version", "--client"]);
  assert.equal(client.clientVersion.minor, "33");
  using older = e2eCluster(server, { version: "1.30" });
  assert.equal((await older.json(["version", "--client"])).clientVersion.minor, "30");
  const other = cluster.kubectlAt("1.27");
  assert.equal(other.version, "1.27");
  const r = await other.run(["version", "--client", "-o", "json"]);
  assert.equal(JSON.parse(r.stdout).clientVersion.minor, "27");
});

Deno.test("e2eCluster().ok() answers stdout after exit 0, else fails with the output and the log tail", async () => {
  await using server = await unreachableServer();
  using cluster = e2eCluster(server);
  assert.equal(
    cluster.ok({ code: 0, stdout: "pod/a created\n", stderr: "" }, "create"),
    "pod/a created\n",
  );
  assert.throws(
    () => cluster.ok({ code: 1, stdout: "out", stderr: "err" }, "create pod"),
    {
      name: "AssertionError",
      message:
        /^create pod exited 1\nstdout:\nout\nstderr:\nerr\nserver log:\nthe last 20 log lines\n/,
    },
  );
  // runOk() names the command; json() fails the same way.
  await assert.rejects(cluster.runOk(["get", "pods"]), (err: Error) => {
    assert.match(err.message, /^get pods exited 1\n/);
    assert.match(err.message, /The connection to the server 127\.0\.0\.1:1 was refused/);
    assert.match(err.message, /server log:\nthe last 20 log lines/);
    return true;
  });
  await assert.rejects(cluster.json(["get", "pods"]), /^AssertionError.*get pods exited 1/s);
  // stdin reaches kubectl (a client-side generator needs no server).
  const secret = await cluster.runOk([
    "create",
    "secret",
    "generic",
    "s",
    "--from-file=k=/dev/stdin",
    "--dry-run=client",
    "-o",
    "jsonpath={.data.k}",
  ], "hello");
  assert.equal(atob(secret), "hello");
});

Deno.test("e2eCluster().eventually() waits for the check, and fails naming it after waitMs", async () => {
  await using server = await unreachableServer();
  using cluster = e2eCluster(server, { waitMs: 300 });
  let calls = 0;
  await cluster.eventually("the third call", () => Promise.resolve(++calls === 3));
  assert.equal(calls, 3);
  await assert.rejects(
    cluster.eventually("the pods", () => Promise.resolve(false)),
    { message: "Timed out after 300 ms waiting for the pods" },
  );
});

Deno.test("e2eCluster().client is made once, from the kubeconfig, and closed with the cluster", async () => {
  await using server = await unreachableServer();
  const cluster = e2eCluster(server);
  const client = cluster.client;
  assert.equal(cluster.client, client);
  await assert.rejects(client.resource(NAMESPACES).list(), (err: Error) => {
    assert.doesNotMatch(err.message, /transport is closed/);
    return true;
  });
  cluster[Symbol.dispose]();
  await assert.rejects(client.resource(NAMESPACES).list(), /the transport is closed/);
});
