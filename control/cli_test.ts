import assert from "node:assert/strict";
import { join } from "node:path";
import { type CliDeps, main, type ShutdownSignal } from "./cli.ts";
import { BufferWriter, FakeClock } from "./util/mod.ts";
import { KUBERNETES_VERSION, SKIFF_VERSION } from "./version.ts";

interface FakeCli {
  deps: CliDeps;
  stdout: BufferWriter;
  stderr: BufferWriter;
  shutdowns: { disposed: boolean }[];
}

/** A port nothing listens on, for servers started by these tests. */
function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** CLI deps that touch nothing real; the shutdown signal is already aborted. */
function fakeCli(env: Record<string, string> = {}): FakeCli {
  const stdout = new BufferWriter();
  const stderr = new BufferWriter();
  const shutdowns: { disposed: boolean }[] = [];
  const deps: CliDeps = {
    stdout,
    stderr,
    clock: new FakeClock(0),
    config: {
      env,
      hostname: () => "cli-test",
      uid: () => 1000,
      cwd: () => "/",
      readTextFile: () => Promise.reject(new Deno.errors.NotFound("No such file")),
    },
    onShutdown(): ShutdownSignal {
      const record = { disposed: false };
      shutdowns.push(record);
      return {
        signal: AbortSignal.abort(new Error("Received SIGTERM")),
        [Symbol.dispose]() {
          record.disposed = true;
        },
      };
    },
  };
  return { deps, stdout, stderr, shutdowns };
}

Deno.test("main() version prints skiff, Kubernetes and Deno versions one per line", async () => {
  const cli = fakeCli();
  assert.equal(await main(["version"], cli.deps), 0);
  assert.deepEqual(cli.stdout.lines(), [
    `skiff v${SKIFF_VERSION}`,
    `kubernetes ${KUBERNETES_VERSION.gitVersion}`,
    `deno ${Deno.version.deno}`,
  ]);
  assert.equal(cli.stderr.text(), "");
});

Deno.test("main() --version is version", async () => {
  const cli = fakeCli();
  assert.equal(await main(["--version"], cli.deps), 0);
  assert.match(cli.stdout.text(), /^skiff v/);
});

Deno.test("main() version refuses extra arguments", async () => {
  const cli = fakeCli();
  assert.equal(await main(["version", "--json"], cli.deps), 2);
  assert.equal(cli.stderr.text(), 'skiff version: unexpected argument "--json"\n');
});

Deno.test("main() help, --help and -h print usage naming the commands", async (t) => {
  for (const args of [["help"], ["--help"], ["-h"]]) {
    await t.step(args.join(" "), async () => {
      const cli = fakeCli();
      assert.equal(await main(args, cli.deps), 0);
      assert.match(cli.stdout.text(), /^Usage: skiff <command> \[flags\]/);
      assert.match(cli.stdout.text(), /\n {2}server /);
      assert.match(cli.stdout.text(), /\n {2}version /);
    });
  }
});

Deno.test("main() help server and server --help print the server's flags", async (t) => {
  for (const args of [["help", "server"], ["server", "--help"], ["server", "-h"]]) {
    await t.step(args.join(" "), async () => {
      const cli = fakeCli();
      assert.equal(await main(args, cli.deps), 0);
      assert.match(cli.stdout.text(), /^Usage: skiff server \[flags\]/);
      assert.match(cli.stdout.text(), /--storage kv\|etcd/);
      assert.equal(cli.shutdowns.length, 0);
    });
  }
});

Deno.test("main() help server and help agent document the network flags", async (t) => {
  await t.step("server", async () => {
    const cli = fakeCli();
    assert.equal(await main(["help", "server"], cli.deps), 0);
    const text = cli.stdout.text();
    assert.match(text, /--flannel-backend vxlan\|host-gw\|none .*\(default: vxlan\)/);
    assert.match(text, /--disable-kube-proxy /);
    assert.match(text, /--disable-network-policy /);
    assert.match(text, /--disable COMPONENT,… .*dns .*servicelb/);
    assert.match(text, /ServiceLB controller/);
  });
  await t.step("agent", async () => {
    const cli = fakeCli();
    assert.equal(await main(["help", "agent"], cli.deps), 0);
    const text = cli.stdout.text();
    assert.match(text, /--service-cidr CIDR .*\(default: 10\.43\.0\.0\/16\)/);
    assert.match(text, /--flannel-backend vxlan\|host-gw\|none/);
    assert.match(text, /--disable-kube-proxy /);
    assert.match(text, /--disable COMPONENT,… +components not to run on this node/);
  });
});

Deno.test("main() without a command prints usage and exits 2", async () => {
  const cli = fakeCli();
  assert.equal(await main([], cli.deps), 2);
  assert.match(cli.stderr.text(), /^Usage: skiff/);
});

Deno.test("main() refuses commands that are not built yet as unknown", async (t) => {
  for (const command of ["snapshot", "serve"]) {
    await t.step(command, async () => {
      const cli = fakeCli();
      assert.equal(await main([command, "list"], cli.deps), 2);
      const [first] = cli.stderr.lines();
      assert.equal(
        first,
        `skiff: unknown command "${command}": expected one of server, agent, kubeconfig, token, secrets-encrypt, version, help`,
      );
      assert.match(cli.stderr.text(), /Usage: skiff <command>/);
      assert.equal(cli.stdout.text(), "");
    });
  }
});

Deno.test("main() help with an unknown topic exits 2", async () => {
  const cli = fakeCli();
  assert.equal(await main(["help", "snapshot"], cli.deps), 2);
  assert.match(cli.stderr.text(), /^skiff: unknown command "snapshot"/);
});

Deno.test("main() server with a bad flag exits 2 naming the flag and accepted values", async (t) => {
  const cases = [
    {
      args: ["--storage", "sqlite"],
      message: 'skiff server: invalid --storage "sqlite": expected one of kv, etcd',
    },
    {
      args: ["--https-port", "99999"],
      message: 'skiff server: invalid --https-port "99999": expected an integer from 1 to 65535',
    },
    {
      args: ["--bogus"],
      message: 'skiff server: unknown flag "--bogus": expected one of --config',
    },
  ];
  for (const c of cases) {
    await t.step(c.args.join(" "), async () => {
      const cli = fakeCli({ HOME: "/home/test" });
      assert.equal(await main(["server", ...c.args], cli.deps), 2);
      const [first, second] = cli.stderr.lines();
      assert.ok(first?.startsWith(c.message), String(first));
      assert.equal(second, 'Run "skiff help server" for the flags and their values.');
      assert.equal(cli.shutdowns.length, 0, "no server was started");
    });
  }
});

Deno.test("main() server runs until the shutdown signal and exits 0", async () => {
  const dir = await Deno.makeTempDir({ prefix: "skiff_cli_test_" });
  try {
    const cli = fakeCli();
    const code = await main(
      ["server", "--data-dir", dir, "--disable-agent", "--https-port", String(freePort())],
      cli.deps,
    );
    assert.equal(code, 0, cli.stderr.text());
    assert.ok((await Deno.stat(join(dir, "db", "state.kv"))).isFile);
    assert.ok((await Deno.stat(join(dir, "kubeconfig.yaml"))).isFile);
    const records = cli.stderr.lines().map((line) => JSON.parse(line));
    // The server's own startup and shutdown; its components log between them.
    const messages = records.filter((r) => !r.component).map((r) => r.msg)
      .filter((m) => !m.startsWith("Not publishing"));
    assert.deepEqual(messages, [
      "Starting skiff server",
      "Created encryption key file",
      "Opened storage",
      "Bootstrapped cluster objects",
      "Reconciled RBAC bootstrap policy",
      "Starting CustomResourceDefinition controllers",
      "API server is serving",
      "Wrote admin kubeconfig",
      "Running the scheduler and controllers without leader election",
      "Node agent is disabled: running the control plane alone",
      "Shutting down skiff server",
      "Stopped skiff server",
    ]);
    assert.equal(records[0].level, "info");
    assert.equal(records[0].time, "1970-01-01T00:00:00.000Z");
    assert.equal(
      records.find((r) => r.msg === "Shutting down skiff server").reason,
      "Received SIGTERM",
    );
    assert.deepEqual(cli.shutdowns, [{ disposed: true }]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("main() server honours --log-level", async () => {
  const dir = await Deno.makeTempDir({ prefix: "skiff_cli_test_" });
  try {
    const cli = fakeCli();
    const code = await main(
      [
        "server",
        "--data-dir",
        dir,
        "--disable-agent",
        "--log-level",
        "warn",
        "--https-port",
        String(freePort()),
      ],
      cli.deps,
    );
    assert.equal(code, 0);
    assert.equal(cli.stderr.text(), "");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("main() server exits 1 and logs the error when it cannot start", async () => {
  const dir = await Deno.makeTempDir({ prefix: "skiff_cli_test_" });
  try {
    const file = join(dir, "not-a-dir");
    await Deno.writeTextFile(file, "");
    const cli = fakeCli();
    assert.equal(await main(["server", "--data-dir", file], cli.deps), 1);
    const last = JSON.parse(cli.stderr.lines().at(-1)!);
    assert.equal(last.level, "error");
    assert.equal(last.msg, "Cannot run skiff server");
    assert.equal(last.err.message, `Cannot create data directory "${file}"`);
    assert.deepEqual(cli.shutdowns, [{ disposed: true }]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("main() kubeconfig prints <data-dir>/kubeconfig.yaml", async () => {
  const cli = fakeCli();
  const files: Record<string, string> = {
    "/srv/skiff/kubeconfig.yaml": "apiVersion: v1\nkind: Config\n",
  };
  const deps: CliDeps = {
    ...cli.deps,
    config: {
      ...cli.deps.config,
      readTextFile: (path) =>
        files[path] !== undefined
          ? Promise.resolve(files[path]!)
          : Promise.reject(new Deno.errors.NotFound(path)),
    },
  };
  assert.equal(await main(["kubeconfig", "--data-dir", "/srv/skiff"], deps), 0);
  assert.equal(cli.stdout.text(), "apiVersion: v1\nkind: Config\n");
});

Deno.test("main() kubeconfig says how to get one when the server never ran", async () => {
  const cli = fakeCli();
  assert.equal(await main(["kubeconfig", "--data-dir", "/srv/none"], cli.deps), 1);
  assert.match(
    cli.stderr.text(),
    /cannot read "\/srv\/none\/kubeconfig.yaml": start "skiff server/,
  );
  assert.equal(await main(["kubeconfig", "--https-port", "x"], cli.deps), 2);
});

Deno.test("main() help token and help secrets-encrypt print those commands' usage", async (t) => {
  for (
    const [topic, pattern] of [["token", /skiff token/], [
      "secrets-encrypt",
      /rotate-keys/,
    ]] as const
  ) {
    await t.step(topic, async () => {
      const cli = fakeCli();
      assert.equal(await main(["help", topic], cli.deps), 0);
      assert.match(cli.stdout.text(), pattern);
    });
  }
});
