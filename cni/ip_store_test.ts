import assert from "node:assert/strict";
import { CniError } from "./errors.ts";
import { type IpOwner, IpStore } from "./ip_store.ts";
import { parseIpv4 } from "./_ipv4.ts";

const STORE_URL = import.meta.resolve("./ip_store.ts");

function ip(text: string): number {
  return parseIpv4(text)!;
}

function owner(containerId: string): IpOwner {
  return { containerId, ifname: "eth0" };
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "skiff-ipstore-" });
  try {
    await fn(`${dir}/skiff`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function store(dir: string, end = "10.42.0.254"): IpStore {
  return new IpStore({
    dir,
    rangeStart: ip("10.42.0.1"),
    rangeEnd: ip(end),
    reserved: [ip("10.42.0.1")],
  });
}

/** A child process allocating from the store in `dir` (range .1–.254, .1 reserved). */
async function childScript(dir: string, mode: "allocate" | "hang" | "lock"): Promise<string> {
  const path = `${dir.slice(0, dir.lastIndexOf("/"))}/child-${mode}.ts`;
  await Deno.writeTextFile(
    path,
    `import { IpStore } from ${JSON.stringify(STORE_URL)};
const [dir, id, mode] = Deno.args;
const out = (text) => Deno.stdout.write(new TextEncoder().encode(text + "\\n"));
if (mode === "lock") {
  await Deno.mkdir(dir, { recursive: true });
  const f = await Deno.open(dir + "/lock", { read: true, write: true, create: true });
  await f.lock(true);
  await out("LOCKED");
  setInterval(() => {}, 1000);
  await new Promise(() => {});
}
const store = new IpStore({
  dir, rangeStart: 0x0a2a0001, rangeEnd: 0x0a2a00fe, reserved: [0x0a2a0001],
  afterReserve: mode === "hang" ? async (ip) => { await out("RESERVED " + ip); setInterval(() => {}, 1000); await new Promise(() => {}); } : undefined,
});
const { ip } = await store.allocate({ containerId: id, ifname: "eth0" });
await out(ip);
`,
  );
  return path;
}

function spawnChild(script: string, args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", script, ...args],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
}

/** Reads the child's stdout until a line matches `pattern`. */
async function readLine(child: Deno.ChildProcess, pattern: RegExp): Promise<string> {
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`Child ended before printing ${pattern}: ${JSON.stringify(text)}`);
      text += value;
      const line = text.split("\n").find((l) => pattern.test(l));
      if (line !== undefined) return line;
    }
  } finally {
    reader.releaseLock();
  }
}

Deno.test("IpStore.allocate() hands out addresses in order, skipping the reserved gateway", async () => {
  await withDir(async (dir) => {
    const s = store(dir);
    assert.deepEqual(await s.allocate(owner("a")), { ip: "10.42.0.2", reused: false });
    assert.deepEqual(await s.allocate(owner("b")), { ip: "10.42.0.3", reused: false });
    assert.equal(await Deno.readTextFile(`${dir}/10.42.0.2`), "a\r\neth0");
    assert.deepEqual((await s.list()).map((a) => a.ip).sort(), ["10.42.0.2", "10.42.0.3"]);
  });
});

Deno.test("IpStore.allocate() returns the address an owner already holds", async () => {
  await withDir(async (dir) => {
    const s = store(dir);
    await s.allocate(owner("a"));
    assert.deepEqual(await s.allocate(owner("a")), { ip: "10.42.0.2", reused: true });
    assert.deepEqual(await s.allocate({ containerId: "a", ifname: "net1" }), {
      ip: "10.42.0.3",
      reused: false,
    });
  });
});

Deno.test("IpStore.release() frees the owner's address, repeatedly without error, and allocation goes round the range", async () => {
  await withDir(async (dir) => {
    const s = store(dir, "10.42.0.4");
    await s.allocate(owner("a"));
    await s.allocate(owner("b"));
    assert.deepEqual(await s.release(owner("a")), ["10.42.0.2"]);
    assert.deepEqual(await s.release(owner("a")), []);
    assert.equal(await s.lookup(owner("a")), undefined);
    assert.equal(await s.lookup(owner("b")), "10.42.0.3");
    // The last handed out was .3: next is .4, then round to .2.
    assert.equal((await s.allocate(owner("c"))).ip, "10.42.0.4");
    assert.equal((await s.allocate(owner("d"))).ip, "10.42.0.2");
  });
});

Deno.test("IpStore.allocate() fails with CNI code 100 when the range is full", async () => {
  await withDir(async (dir) => {
    const s = store(dir, "10.42.0.3");
    await s.allocate(owner("a"));
    await s.allocate(owner("b"));
    await assert.rejects(() => s.allocate(owner("c")), (err) => {
      assert.ok(err instanceof CniError);
      assert.equal(err.code, 100);
      assert.equal(err.message, "No IP addresses available in range 10.42.0.1-10.42.0.3");
      return true;
    });
    await s.release(owner("a"));
    assert.equal((await s.allocate(owner("c"))).ip, "10.42.0.2");
  });
});

Deno.test("IpStore.allocate() keeps an unreadable address file as taken", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(`${dir}/10.42.0.2`, "");
    assert.equal((await store(dir).allocate(owner("a"))).ip, "10.42.0.3");
  });
});

Deno.test("IpStore.allocate() gives distinct addresses to concurrent processes", async () => {
  await withDir(async (dir) => {
    const script = await childScript(dir, "allocate");
    const children = Array.from({ length: 6 }, (_, i) => spawnChild(script, [dir, `c${i}`]));
    const outputs = await Promise.all(children.map((c) => c.output()));
    const ips = outputs.map((o) => {
      assert.equal(o.code, 0);
      return new TextDecoder().decode(o.stdout).trim();
    });
    assert.equal(new Set(ips).size, 6, `duplicate addresses: ${ips.join(", ")}`);
    const listed = await store(dir).list();
    assert.deepEqual(listed.map((a) => a.ip).sort(), [...ips].sort());
    for (const a of listed) assert.equal(ips[Number(a.containerId.slice(1))], a.ip);
  });
});

Deno.test("IpStore is not wedged by a lock holder killed with SIGKILL", async () => {
  await withDir(async (dir) => {
    const child = spawnChild(await childScript(dir, "lock"), [dir, "x", "lock"]);
    await readLine(child, /^LOCKED$/);
    const s = store(dir);
    let done = false;
    const allocation = s.allocate(owner("a")).then((r) => {
      done = true;
      return r;
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(done, false, "allocated while another process held the lock");
    child.kill("SIGKILL");
    await child.status;
    assert.equal((await allocation).ip, "10.42.0.2");
  });
});

Deno.test("IpStore survives an allocation killed mid-ADD: no leak, no double allocation", async () => {
  await withDir(async (dir) => {
    const child = spawnChild(await childScript(dir, "hang"), [dir, "crashed", "hang"]);
    const line = await readLine(child, /^RESERVED /);
    assert.equal(line, "RESERVED 10.42.0.2");
    child.kill("SIGKILL");
    await child.status;
    const s = store(dir);
    // The retried ADD of the same container gets the same address, another container another.
    assert.deepEqual(await s.allocate(owner("crashed")), { ip: "10.42.0.2", reused: true });
    assert.equal((await s.allocate(owner("other"))).ip, "10.42.0.3");
    // No temporary file is left behind; the runtime's DEL frees the address.
    const names = (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();
    assert.deepEqual(names, ["10.42.0.2", "10.42.0.3", "last_reserved_ip.0", "lock"]);
    assert.deepEqual(await s.release(owner("crashed")), ["10.42.0.2"]);
  });
});

Deno.test("IpStore.allocate() removes temporary files a crashed holder left", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(`${dir}/.tmp-1234`, "half");
    await store(dir).allocate(owner("a"));
    const names = (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();
    assert.deepEqual(names, ["10.42.0.2", "last_reserved_ip.0", "lock"]);
  });
});

Deno.test("IpStore rejects a range whose start is after its end", () => {
  assert.throws(
    () => new IpStore({ dir: "/x", rangeStart: 5, rangeEnd: 4 }),
    /the range start is after its end/,
  );
});
