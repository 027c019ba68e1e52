import assert from "node:assert/strict";
import { staticImports } from "../tests/_support/static_imports.ts";
import { join } from "node:path";
import { loadServerConfig, type ServerConfig } from "./config.ts";
import { runServer } from "./server.ts";
import { FakeClock, RecordingLogger } from "./util/mod.ts";

/** A port nothing listens on. */
function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

function configFor(dataDir: string, extra: string[] = []): Promise<ServerConfig> {
  return loadServerConfig(["--data-dir", dataDir, "--https-port", String(freePort()), ...extra], {
    env: {},
    hostname: () => "test-node",
    uid: () => 1000,
    cwd: () => "/",
    readTextFile: () => Promise.reject(new Error("no config file in this test")),
  });
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "skiff_server_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("runServer() with kv storage opens, creates the KV file and closes cleanly", async () => {
  await withTempDir(async (dir) => {
    const dataDir = join(dir, "data");
    const config = await configFor(dataDir, ["--disable-agent"]);
    const logger = new RecordingLogger();
    const controller = new AbortController();
    const server = runServer(config, {
      logger,
      clock: new FakeClock(),
      signal: controller.signal,
      interfaces: () => [{ family: "IPv4", address: "192.0.2.10" }],
      hostname: () => "test-host",
    });
    await server.ready;

    const kvFile = await Deno.stat(join(dataDir, "db", "state.kv"));
    assert.ok(kvFile.isFile);
    assert.equal((await Deno.stat(dataDir)).mode! & 0o777, 0o700);
    assert.equal((await Deno.stat(join(dataDir, "db"))).mode! & 0o777, 0o700);
    // The scheduler starts in the background; its own messages are checked below.
    const infos = logger.records.filter((r) =>
      r.level !== "debug" && r.fields.component !== "scheduler" &&
      r.fields.component !== "controller-manager"
    ).map((r) => r.msg);
    assert.deepEqual(infos, [
      "Starting skiff server",
      "Created encryption key file",
      "Opened storage",
      "Bootstrapped cluster objects",
      "Reconciled RBAC bootstrap policy",
      "Starting ClusterRoleAggregator controller",
      "Starting bootstrap token cleaner",
      "Starting ServiceAccount keeper",
      "Starting resource quota controller",
      "Starting CustomResourceDefinition controllers",
      "API server is serving",
      // A first start issues the CA, the serving, the admin and the kubelet client certificates.
      "Issued certificate",
      "Issued certificate",
      "Issued certificate",
      "Issued certificate",
      "Starting certificate renewer",
      "Wrote admin kubeconfig",
      // The kv datastore is this server's alone: nothing to elect against, no Lease writes.
      "Running the scheduler and controllers without leader election",
      "Node agent is disabled: running the control plane alone",
    ]);
    const serving = logger.records.find((r) => r.msg === "API server is serving")!;
    assert.equal(serving.fields.port, config.httpsPort);
    assert.equal(serving.fields.advertiseAddress, "192.0.2.10");
    assert.equal((await Deno.stat(join(dataDir, "kubeconfig.yaml"))).mode! & 0o777, 0o600);
    const starting = logger.records[0]!;
    assert.equal(starting.fields.dataDir, dataDir);
    assert.equal(starting.fields.storage, "kv");
    assert.equal(starting.fields.nodeName, "test-node");

    const manager = logger.records.filter((r) => r.fields.component === "controller-manager");
    assert.equal(manager[0]?.msg, "Starting controller manager");
    // The kv datastore is this server's alone: nothing to elect against, no Lease writes.
    assert.ok(
      logger.records.some((r) =>
        r.msg === "Running the scheduler and controllers without leader election"
      ),
    );
    assert.ok(!logger.records.some((r) => r.msg === "Starting leader election"));

    controller.abort();
    await server.finished;
    const last = logger.records.filter((r) =>
      r.fields.component !== "scheduler" && r.fields.component !== "controller-manager"
    ).slice(-2);
    assert.deepEqual(last.map((r) => r.msg), [
      "Shutting down skiff server",
      "Stopped skiff server",
    ]);
    // The scheduler and the controllers are stopped before the server says it has stopped.
    const end = logger.records.findIndex((r) => r.msg === "Stopped skiff server");
    for (const component of ["scheduler", "controller-manager"]) {
      const stopped = logger.records.findLastIndex((r) => r.fields.component === component);
      assert.ok(stopped >= 0 && stopped < end, `${component} stops first`);
    }
  });
});

Deno.test("runServer() reopens the same KV file on a second start", async () => {
  await withTempDir(async (dir) => {
    const config = await configFor(dir, ["--disable-agent"]);
    for (let i = 0; i < 2; i++) {
      const controller = new AbortController();
      const server = runServer(config, {
        logger: new RecordingLogger(),
        clock: new FakeClock(),
        signal: controller.signal,
      });
      await server.ready;
      controller.abort();
      await server.finished;
    }
  });
});

Deno.test("runServer() says when the node agent is disabled", async () => {
  await withTempDir(async (dir) => {
    const config = await configFor(dir, ["--disable-agent"]);
    const logger = new RecordingLogger();
    const server = runServer(config, {
      logger,
      clock: new FakeClock(),
      signal: AbortSignal.abort(),
    });
    await server.finished;
    assert.ok(
      logger.messages().includes("Node agent is disabled: running the control plane alone"),
    );
  });
});

Deno.test("runServer() keeps kube-dns and runs ServiceLB unless --disable dns,servicelb", async (t) => {
  const cases = [
    { name: "defaults", args: [], dns: "10.43.0.10", servicelb: true },
    {
      name: "--disable dns,servicelb",
      args: ["--disable", "dns,servicelb"],
      dns: undefined,
      servicelb: false,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      await withTempDir(async (dir) => {
        const config = await configFor(dir, ["--disable-agent", ...c.args]);
        const logger = new RecordingLogger();
        const controller = new AbortController();
        const server = runServer(config, {
          logger,
          clock: new FakeClock(),
          signal: controller.signal,
          interfaces: () => [{ family: "IPv4", address: "192.0.2.10" }],
          hostname: () => "test-host",
        });
        await server.ready;
        const bootstrapped = logger.records.find((r) => r.msg === "Bootstrapped cluster objects");
        assert.equal(bootstrapped?.fields.clusterDnsService, c.dns);
        const manager = logger.records.find((r) => r.msg === "Starting controller manager");
        assert.equal((manager?.fields.controllers as string[]).includes("servicelb"), c.servicelb);
        controller.abort();
        await server.finished;
      });
    });
  }
});

Deno.test("runServer() warns when an existing data dir is open to other users", async () => {
  await withTempDir(async (dir) => {
    await Deno.chmod(dir, 0o755);
    const logger = new RecordingLogger();
    const server = runServer(await configFor(dir, ["--disable-agent"]), {
      logger,
      clock: new FakeClock(),
      signal: AbortSignal.abort(),
    });
    await server.finished;
    const warning = logger.records.find((r) => r.level === "warn");
    assert.equal(warning?.msg, "Data directory is readable by other users");
    assert.equal(warning?.fields.mode, "0755");
    assert.equal((await Deno.stat(dir)).mode! & 0o777, 0o755, "an existing dir keeps its mode");
  });
});

Deno.test("runServer() rejects ready and finished when the data dir cannot be created", async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, "file");
    await Deno.writeTextFile(file, "");
    const server = runServer(await configFor(file), {
      logger: new RecordingLogger(),
      clock: new FakeClock(),
      signal: new AbortController().signal,
    });
    await assert.rejects(server.ready, { message: `Cannot create data directory "${file}"` });
    await assert.rejects(server.finished, { message: `Cannot create data directory "${file}"` });
  });
});

Deno.test("server.ts loads the scheduler, the controllers and the node agent only when they run", async () => {
  const loaded = [...await staticImports(new URL("./server.ts", import.meta.url))];
  const root = new URL("../", import.meta.url).href;
  for (const part of ["control/scheduler/", "control/controllers/", "control/client/", "node/"]) {
    assert.deepEqual(loaded.filter((s) => s.startsWith(root + part)), [], part);
  }
  assert.ok(loaded.some((s) => s.startsWith(`${root}control/api/`)), "the API is loaded at once");
});

Deno.test("runServer() limits the C allocator's arenas and closes it after the server", async () => {
  await withTempDir(async (dir) => {
    const config = await configFor(dir, [
      "--disable-agent",
      "--disable-scheduler",
      "--disable-controller-manager",
    ]);
    const calls: string[] = [];
    const clock = new FakeClock();
    const controller = new AbortController();
    const server = runServer(config, {
      logger: new RecordingLogger(),
      clock,
      signal: controller.signal,
      interfaces: () => [{ family: "IPv4", address: "192.0.2.10" }],
      hostname: () => "test-host",
      malloc: {
        limitArenas: (max) => (calls.push(`arenas ${max}`), true),
        trim: () => (calls.push("trim"), true),
        [Symbol.dispose]: () => calls.push("closed"),
      },
    });
    await server.ready;
    assert.deepEqual(calls, ["arenas 2"]);
    controller.abort();
    await server.finished;
    assert.equal(calls.at(-1), "closed");
  });
});
