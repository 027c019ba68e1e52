import assert from "node:assert/strict";
import { cniWrapperScript, installCniPlugin } from "./cni_plugin_install.ts";

const MOD_URL = new URL("../../mod.ts", import.meta.url).href;

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "skiff-cnibin-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("cniWrapperScript() execs deno on the module, quoting every word", () => {
  assert.equal(
    cniWrapperScript({
      deno: "/opt/deno bin/deno",
      moduleUrl: "file:///src/it's/mod.ts",
      env: { DENO_DIR: "/c" },
    }),
    `#!/bin/sh
# skiff's CNI plugin: skiff in CNI mode (CNI_COMMAND is set by the runtime).
export DENO_DIR='/c'
exec '/opt/deno bin/deno' run -A --quiet 'file:///src/it'\\''s/mod.ts' "$@"
`,
  );
  assert.throws(
    () => cniWrapperScript({ deno: "deno", moduleUrl: "./mod.ts" }),
    /must be a file: URL/,
  );
  assert.throws(
    () => cniWrapperScript({ deno: "d", moduleUrl: "file:///m", env: { "A B": "x" } }),
    /"A B"/,
  );
});

Deno.test("installCniPlugin() links the compiled binary and loopback, idempotently", async () => {
  await withDir(async (dir) => {
    const loopback = `${dir}/loopback-src`;
    await Deno.writeTextFile(loopback, "");
    const binDir = `${dir}/bin`;
    const first = await installCniPlugin({ binDir, executable: "/usr/local/bin/skiff", loopback });
    assert.deepEqual(first, {
      pluginPath: `${binDir}/skiff`,
      loopbackPath: `${binDir}/loopback`,
      changed: true,
    });
    assert.equal(await Deno.readLink(`${binDir}/skiff`), "/usr/local/bin/skiff");
    assert.equal(await Deno.readLink(`${binDir}/loopback`), loopback);
    assert.equal(
      (await installCniPlugin({ binDir, executable: "/usr/local/bin/skiff", loopback })).changed,
      false,
    );
    assert.equal(
      (await installCniPlugin({ binDir, executable: "/opt/skiff", loopback })).changed,
      true,
    );
    assert.equal(await Deno.readLink(`${binDir}/skiff`), "/opt/skiff");
    assert.deepEqual((await Array.fromAsync(Deno.readDir(binDir))).map((e) => e.name).sort(), [
      "loopback",
      "skiff",
    ]);
  });
});

Deno.test("installCniPlugin() fails naming the package when loopback is missing", async () => {
  await withDir(async (dir) => {
    await assert.rejects(
      () => installCniPlugin({ binDir: dir, executable: "/x", loopback: `${dir}/nope` }),
      /Cannot install the CNI plugins: ".*\/nope" is missing \(Debian package containernetworking-plugins\)/,
    );
  });
});

Deno.test("installCniPlugin() writes a wrapper that runs skiff in CNI mode from a checkout", async () => {
  await withDir(async (dir) => {
    const loopback = `${dir}/loopback-src`;
    await Deno.writeTextFile(loopback, "");
    const binDir = `${dir}/bin`;
    const options = { binDir, executable: Deno.execPath(), moduleUrl: MOD_URL, loopback };
    assert.equal((await installCniPlugin(options)).changed, true);
    assert.equal(((await Deno.stat(`${binDir}/skiff`)).mode ?? 0) & 0o777, 0o755);
    assert.equal((await installCniPlugin(options)).changed, false);
    const out = await new Deno.Command(`${binDir}/skiff`, {
      env: { CNI_COMMAND: "VERSION" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const version = JSON.parse(new TextDecoder().decode(out.stdout));
    assert.equal(version.cniVersion, "1.0.0");
    assert.ok(version.supportedVersions.includes("0.3.1"));
  });
});
