/**
 * End-to-end tests of the real `skiff` command line: each test spawns `deno run -A mod.ts …`
 * from the repository root, as a user would.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DENO = Deno.execPath();
const SHUTDOWN_TIMEOUT_MS = 10_000;
const STARTUP_TIMEOUT_MS = 30_000;

interface Output {
  code: number;
  stdout: string;
  stderr: string;
}

async function skiff(args: string[], env: Record<string, string> = {}): Promise<Output> {
  const output = await new Deno.Command(DENO, {
    args: ["run", "-A", "mod.ts", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "skiff_e2e_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("skiff version prints skiff, Kubernetes and Deno versions", async () => {
  const out = await skiff(["version"]);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout, `skiff v0.1.0\nkubernetes v1.33.0\ndeno ${Deno.version.deno}\n`);
});

Deno.test("deno task skiff version works from the repository root", async () => {
  const output = await new Deno.Command(DENO, {
    args: ["task", "skiff", "version"],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  assert.match(stdout, /^skiff v0\.1\.0\nkubernetes v1\.33\.0\ndeno \d+\.\d+\.\d+\n$/);
});

Deno.test("skiff with an unknown command exits 2 naming the known commands", async () => {
  const out = await skiff(["snapshot", "save"]);
  assert.equal(out.code, 2);
  assert.match(
    out.stderr,
    /^skiff: unknown command "snapshot": expected one of server, agent, kubeconfig, token, secrets-encrypt, version, help/,
  );
});

Deno.test("skiff agent without --server exits 2 naming the flag", async () => {
  const out = await skiff(["agent", "--token", "abcdef.0123456789abcdef"]);
  assert.equal(out.code, 2);
  assert.match(out.stderr, /^skiff agent: missing --server: expected an https:\/\/ URL/);
});

Deno.test("skiff server refuses bad flags, naming the flag and accepted values", async (t) => {
  const cases = [
    { args: ["--storage", "sqlite"], want: /invalid --storage "sqlite": expected one of kv, etcd/ },
    {
      args: ["--https-port", "99999"],
      want: /invalid --https-port "99999": expected an integer from 1 to 65535/,
    },
    { args: ["--no-such-flag"], want: /unknown flag "--no-such-flag": expected one of --config/ },
  ];
  for (const c of cases) {
    await t.step(c.args.join(" "), async () => {
      const out = await skiff(["server", ...c.args]);
      assert.notEqual(out.code, 0);
      assert.match(out.stderr, /^skiff server: /);
      assert.match(out.stderr, c.want);
      assert.equal(out.stdout, "");
    });
  }
});

Deno.test("skiff server refuses a bad config file value, naming the file and key", async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, "skiff.yaml");
    await Deno.writeTextFile(file, "storage: kv\nhttps-port: 99999\n");
    const out = await skiff(["server", "--config", file]);
    assert.notEqual(out.code, 0);
    assert.match(
      out.stderr,
      new RegExp(
        `^skiff server: cannot parse config file "${file}": key "https-port" must be an ` +
          "integer from 1 to 65535",
      ),
    );
  });
});

Deno.test("skiff server starts on Deno KV, logs JSON and exits 0 on SIGTERM", async () => {
  await withTempDir(async (dir) => {
    const child = new Deno.Command(DENO, {
      args: ["run", "-A", "mod.ts", "server", "--data-dir", dir, "--disable-agent"],
      cwd: ROOT,
      env: { NO_COLOR: "1", SKIFF_NODE_NAME: "e2e-node" },
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const lines: string[] = [];
    const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = "";
    async function readUntil(msg: string): Promise<Record<string, unknown>> {
      for (;;) {
        const newline = buffered.indexOf("\n");
        if (newline >= 0) {
          const line = buffered.slice(0, newline);
          buffered = buffered.slice(newline + 1);
          lines.push(line);
          const record = JSON.parse(line);
          if (record.msg === msg) return record;
          continue;
        }
        const { value, done } = await reader.read();
        if (done) {
          throw new Error(`skiff server exited before logging "${msg}":\n${lines.join("\n")}`);
        }
        buffered += value;
      }
    }
    try {
      const starting = await withTimeout(
        readUntil("Starting skiff server"),
        STARTUP_TIMEOUT_MS,
        "Starting skiff server",
      );
      assert.equal(starting.level, "info");
      assert.equal(starting.dataDir, dir);
      assert.equal(starting.nodeName, "e2e-node");
      assert.equal(typeof starting.time, "string");
      await withTimeout(readUntil("Opened storage"), STARTUP_TIMEOUT_MS, "Opened storage");
      assert.ok((await Deno.stat(join(dir, "db", "state.kv"))).isFile);

      child.kill("SIGTERM");
      const status = await withTimeout(child.status, SHUTDOWN_TIMEOUT_MS, "skiff server to exit");
      await readUntil("Stopped skiff server");
      assert.equal(status.code, 0, lines.join("\n"));
      const messages = lines.map((line) => JSON.parse(line).msg);
      assert.ok(messages.includes("Shutting down skiff server"));
    } finally {
      await reader.cancel().catch(() => {});
      try {
        child.kill("SIGKILL");
      } catch {
        // already exited
      }
      await child.status;
    }
  });
});
