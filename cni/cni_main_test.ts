import assert from "node:assert/strict";
import { cniMain, type CniMainDeps } from "./cni_main.ts";

function deps(env: Record<string, string>, stdin: string): CniMainDeps & { out: () => unknown } {
  let out = "";
  return {
    env: (name) => env[name],
    stdin: () => Promise.resolve(stdin),
    stdout: (text) => void (out += text),
    runner: { run: () => Promise.reject(new Error("no commands in this test")) },
    out: () => JSON.parse(out),
  };
}

const ADD_ENV = {
  CNI_COMMAND: "ADD",
  CNI_CONTAINERID: "c1",
  CNI_NETNS: "/nonexistent",
  CNI_IFNAME: "eth0",
};
const CONF = JSON.stringify({
  cniVersion: "0.4.0",
  name: "skiff",
  type: "skiff",
  ipam: { subnet: "10.42.0.0/24" },
});

Deno.test("cniMain() answers VERSION with the supported versions", async () => {
  const d = deps({ CNI_COMMAND: "VERSION" }, "");
  assert.equal(await cniMain(d), 0);
  assert.deepEqual(d.out(), {
    cniVersion: "1.0.0",
    supportedVersions: ["0.3.0", "0.3.1", "0.4.0", "1.0.0"],
  });
});

Deno.test("cniMain() prints CNI error JSON and exits 1", async (t) => {
  const cases: [string, Record<string, string>, string, Record<string, unknown>][] = [
    ["unknown command", { CNI_COMMAND: "GC" }, CONF, {
      cniVersion: "0.4.0",
      code: 4,
      msg: 'Unknown CNI_COMMAND "GC"',
    }],
    [
      "missing env",
      { CNI_COMMAND: "ADD" },
      CONF,
      {
        cniVersion: "0.4.0",
        code: 4,
        msg: "Missing environment variables for ADD: CNI_CONTAINERID, CNI_IFNAME, CNI_NETNS",
      },
    ],
    ["bad JSON", ADD_ENV, "{", { code: 6 }],
    [
      "unsupported version",
      ADD_ENV,
      JSON.stringify({ cniVersion: "0.2.0", name: "x" }),
      { cniVersion: "0.2.0", code: 1 },
    ],
    ["invalid config", ADD_ENV, JSON.stringify({ cniVersion: "1.0.0", name: "x" }), { code: 7 }],
    [
      "missing netns",
      ADD_ENV,
      CONF,
      {
        cniVersion: "0.4.0",
        code: 999,
        msg: 'Cannot open netns "/nonexistent": it does not exist',
      },
    ],
  ];
  for (const [name, env, stdin, expected] of cases) {
    await t.step(name, async () => {
      const d = deps(env, stdin);
      assert.equal(await cniMain(d), 1);
      const out = d.out() as Record<string, unknown>;
      for (const [key, value] of Object.entries(expected)) assert.deepEqual(out[key], value, key);
      assert.equal(typeof out.msg, "string");
    });
  }
});

async function runEntry(entry: string, env: Record<string, string>, stdin: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", entry],
    env,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(stdin));
  await writer.close();
  const out = await child.output();
  return { code: out.code, json: JSON.parse(new TextDecoder().decode(out.stdout)) };
}

Deno.test("cni/_main.ts and skiff's mod.ts are the CNI plugin when run with CNI_COMMAND", async (t) => {
  for (const entry of ["./_main.ts", "../mod.ts"]) {
    await t.step(entry, async () => {
      const path = new URL(entry, import.meta.url).pathname;
      const version = await runEntry(path, { CNI_COMMAND: "VERSION" }, "");
      assert.equal(version.code, 0);
      assert.equal(version.json.cniVersion, "1.0.0");
      const failed = await runEntry(path, { CNI_COMMAND: "DEL" }, CONF);
      assert.equal(failed.code, 1);
      assert.equal(failed.json.code, 4);
    });
  }
});
