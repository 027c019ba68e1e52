/**
 * skiff's bridge CNI plugin on real kernel objects (as root): the skiff program in CNI mode
 * runs inside a "node" network namespace this test creates, and wires pods that are further
 * namespaces of their own — bridge, veth pairs, addresses, routes, nftables NAT. Nothing
 * outside the test's namespaces is touched: the bridge and the nft table live in the node
 * namespace and disappear with it.
 *
 * @module
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const MOD = fileURLToPath(new URL("../../mod.ts", import.meta.url));
const decoder = new TextDecoder();

interface Output {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function sh(
  argv: string[],
  options: { stdin?: string; env?: Record<string, string> } = {},
): Promise<Output> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(argv[0]!, {
      args: argv.slice(1),
      stdin: options.stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
      ...(options.env ? { env: options.env } : {}),
    }).spawn();
  } catch (err) {
    throw new Error(`Cannot run "${argv[0]}" (is it installed? scripts/setup.sh installs it)`, {
      cause: err,
    });
  }
  if (options.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(options.stdin));
    await w.close();
  }
  const out = await child.output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

async function must(argv: string[], options: { stdin?: string } = {}): Promise<string> {
  const out = await sh(argv, options);
  if (out.code !== 0) throw new Error(`"${argv.join(" ")}" exited with ${out.code}: ${out.stderr}`);
  return out.stdout;
}

/** Network namespaces made by one test, removed at disposal. */
class Netns implements AsyncDisposable {
  readonly prefix = `skcni${crypto.randomUUID().slice(0, 6)}`;
  readonly names: string[] = [];

  async add(suffix: string): Promise<string> {
    const name = `${this.prefix}-${suffix}`;
    await must(["ip", "netns", "add", name]);
    this.names.push(name);
    await must(["ip", "-n", name, "link", "set", "lo", "up"]);
    return name;
  }

  async remove(name: string): Promise<void> {
    await must(["ip", "netns", "del", name]);
    this.names.splice(this.names.indexOf(name), 1);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    for (const name of this.names.splice(0)) await sh(["ip", "netns", "del", name]);
  }
}

function path(ns: string): string {
  return `/var/run/netns/${ns}`;
}

/** Runs `argv` inside netns `ns`. */
function inNs(ns: string, argv: string[]): string[] {
  return ["nsenter", `--net=${path(ns)}`, ...argv];
}

interface Plugin {
  call(
    command: string,
    options: { containerId: string; netns: string; conf?: Record<string, unknown> },
  ): Promise<{ code: number; json: Record<string, unknown> | null; stderr: string }>;
  readonly conf: Record<string, unknown>;
  readonly ipamDir: string;
}

async function plugin(node: string, dir: string): Promise<Plugin> {
  for (const tool of ["ip", "nft", "nsenter", "busybox"]) {
    const which = await sh(["sh", "-c", `command -v ${tool}`]);
    assert.equal(which.code, 0, `${tool} is missing: scripts/setup.sh installs it`);
  }
  const conf = {
    cniVersion: "1.0.0",
    name: "skiff",
    type: "skiff",
    bridge: "skiff0",
    mtu: 1400,
    clusterCidr: "10.42.0.0/16",
    ipam: { subnet: "10.42.5.0/24", dataDir: dir },
  };
  return {
    conf,
    ipamDir: `${dir}/skiff`,
    async call(command, options) {
      const out = await sh(inNs(node, [Deno.execPath(), "run", "-A", "--quiet", MOD]), {
        stdin: JSON.stringify({ ...conf, ...options.conf }),
        env: {
          CNI_COMMAND: command,
          CNI_CONTAINERID: options.containerId,
          CNI_NETNS: options.netns,
          CNI_IFNAME: "eth0",
          CNI_PATH: "/usr/lib/cni",
          CNI_ARGS: "K8S_POD_NAMESPACE=default;K8S_POD_NAME=p;IgnoreUnknown=1",
        },
      });
      return {
        code: out.code,
        json: out.stdout.trim() ? JSON.parse(out.stdout) : null,
        stderr: out.stderr,
      };
    },
  };
}

async function ping(ns: string, ip: string): Promise<void> {
  await must(inNs(ns, ["busybox", "ping", "-c", "1", "-W", "3", ip]));
}

/** Serves one line on TCP `port` in `ns`; resolves once listening. */
async function serveOnce(ns: string, port: number, text: string): Promise<Deno.ChildProcess> {
  const child = new Deno.Command("nsenter", {
    args: [`--net=${path(ns)}`, "busybox", "sh", "-c", `echo ${text} | busybox nc -l -p ${port}`],
    stdout: "null",
    stderr: "null",
  }).spawn();
  for (let i = 0; i < 50; i++) {
    const out = await must(inNs(ns, ["busybox", "netstat", "-ltn"]));
    if (out.includes(`:${port} `)) return child;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill();
  throw new Error(`nc did not listen on ${port} in ${ns}`);
}

async function connect(ns: string, ip: string, port: number): Promise<string> {
  return (await must(inNs(ns, ["busybox", "nc", "-w", "3", ip, String(port)]), { stdin: "" }))
    .trim();
}

async function withEnv(
  fn: (h: { ns: Netns; node: string; p: Plugin }) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "skiff-cni-e2e-" });
  try {
    await using ns = new Netns();
    const node = await ns.add("node");
    await fn({ ns, node, p: await plugin(node, dir) });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("skiff CNI: ADD wires two pods that reach the gateway and each other; CHECK passes; nft masquerades", async () => {
  await withEnv(async ({ ns, node, p }) => {
    const a = await ns.add("a");
    const b = await ns.add("b");
    const addA = await p.call("ADD", { containerId: "ctr-a", netns: path(a) });
    assert.equal(addA.code, 0, JSON.stringify(addA));
    const addB = await p.call("ADD", { containerId: "ctr-b", netns: path(b) });
    assert.equal(addB.code, 0, JSON.stringify(addB));
    assert.deepEqual(addA.json!.ips, [{
      address: "10.42.5.2/24",
      gateway: "10.42.5.1",
      interface: 2,
    }]);
    assert.deepEqual((addB.json!.ips as unknown[])[0], {
      address: "10.42.5.3/24",
      gateway: "10.42.5.1",
      interface: 2,
    });
    assert.deepEqual(addA.json!.routes, [{ dst: "0.0.0.0/0", gw: "10.42.5.1" }]);

    await ping(a, "10.42.5.1");
    await ping(a, "10.42.5.3");
    await ping(b, "10.42.5.2");

    // Inside: the address, the MTU, the default route and the MAC the result names.
    const eth0 = JSON.parse(await must(inNs(a, ["ip", "-j", "addr", "show", "dev", "eth0"])))[0];
    assert.equal(eth0.mtu, 1400);
    assert.equal(eth0.address, "0a:58:0a:2a:05:02");
    assert.equal((addA.json!.interfaces as { mac: string }[])[2]!.mac, eth0.address);
    const route = JSON.parse(await must(inNs(a, ["ip", "-j", "route", "show", "default"])))[0];
    assert.equal(route.gateway, "10.42.5.1");
    // On the node: the bridge with the gateway, the host veth on it in hairpin mode.
    const hostVeth = (addA.json!.interfaces as { name: string }[])[1]!.name;
    const veth =
      JSON.parse(await must(inNs(node, ["ip", "-d", "-j", "link", "show", "dev", hostVeth])))[0];
    assert.equal(veth.master, "skiff0");
    assert.equal(veth.linkinfo.info_slave_data.hairpin, true);
    const bridge =
      JSON.parse(await must(inNs(node, ["ip", "-j", "addr", "show", "dev", "skiff0"])))[0];
    assert.ok(
      bridge.addr_info.some((i: { local: string; prefixlen: number }) =>
        i.local === "10.42.5.1" && i.prefixlen === 24
      ),
    );
    assert.equal((await must(inNs(node, ["cat", "/proc/sys/net/ipv4/ip_forward"]))).trim(), "1");

    const ruleset = await must(inNs(node, ["nft", "list", "ruleset"]));
    assert.match(ruleset, /table ip skiff-cni/);
    assert.match(
      ruleset,
      /ip saddr 10\.42\.5\.0\/24 ip daddr != 10\.42\.0\.0\/16 ip daddr != 224\.0\.0\.0\/4 masquerade/,
    );

    const check = await p.call("CHECK", {
      containerId: "ctr-a",
      netns: path(a),
      conf: { prevResult: addA.json },
    });
    assert.equal(check.code, 0, JSON.stringify(check));
    // CHECK notices a pod whose interface went away.
    await must(inNs(a, ["ip", "link", "set", "eth0", "down"]));
    const broken = await p.call("CHECK", {
      containerId: "ctr-a",
      netns: path(a),
      conf: { prevResult: addA.json },
    });
    assert.equal(broken.code, 1);
    assert.equal(broken.json!.msg, `Interface "eth0" in "${path(a)}" is down`);
  });
});

Deno.test("skiff CNI: later ADDs leave a current nft table alone and repair one that is not", async () => {
  await withEnv(async ({ ns, node, p }) => {
    /** The base rules as `chain handle comment`, in listing order. */
    const rules = async () => {
      const doc = JSON.parse(
        await must(inNs(node, ["nft", "-j", "list", "table", "ip", "skiff-cni"])),
      ) as { nftables: { rule?: { chain: string; handle: number; comment?: string } }[] };
      return doc.nftables.flatMap((x) =>
        x.rule ? [`${x.rule.chain} ${x.rule.handle} ${x.rule.comment}`] : []
      );
    };
    const add = async (name: string) => {
      const pod = await ns.add(name);
      const out = await p.call("ADD", { containerId: `ctr-${name}`, netns: path(pod) });
      assert.equal(out.code, 0, JSON.stringify(out));
    };
    await add("a");
    const first = await rules();
    assert.equal(first.length, 6);
    assert.ok(first.every((r) => / skiff-cni [0-9a-f]{8}$/.test(r)), first.join("\n"));
    // Same handles: the second ADD found the table current and wrote no transaction.
    await add("b");
    assert.deepEqual(await rules(), first);
    // A chain emptied behind the plugin's back is refilled by the next ADD.
    await must(inNs(node, ["nft", "flush", "chain", "ip", "skiff-cni", "postrouting"]));
    await add("c");
    const repaired = await rules();
    assert.equal(repaired.length, 6);
    assert.notDeepEqual(repaired, first);
    const ruleset = await must(inNs(node, ["nft", "list", "ruleset"]));
    assert.match(
      ruleset,
      /ip saddr 10\.42\.5\.0\/24 ip daddr != 10\.42\.0\.0\/16 ip daddr != 224\.0\.0\.0\/4 masquerade/,
    );
  });
});

Deno.test("skiff CNI: a second ADD of the same interface fails with CNI error JSON", async () => {
  await withEnv(async ({ ns, p }) => {
    const a = await ns.add("a");
    assert.equal((await p.call("ADD", { containerId: "ctr-a", netns: path(a) })).code, 0);
    const other = await p.call("ADD", { containerId: "ctr-other", netns: path(a) });
    assert.equal(other.code, 1);
    assert.equal(other.json!.code, 999);
    assert.equal(
      other.json!.msg,
      `Cannot create interface "eth0" in "${path(a)}": it already exists`,
    );
    // The failed ADD gave back the address it took.
    const files = (await Array.fromAsync(Deno.readDir(p.ipamDir))).map((e) => e.name).filter((n) =>
      /^\d/.test(n)
    );
    assert.deepEqual(files, ["10.42.5.2"]);
    await ping(a, "10.42.5.1");
  });
});

Deno.test("skiff CNI: DEL removes the veth and the address, and repeats without a netns or with a deleted one", async () => {
  await withEnv(async ({ ns, node, p }) => {
    const a = await ns.add("a");
    const add = await p.call("ADD", { containerId: "ctr-a", netns: path(a) });
    assert.equal(add.code, 0);
    const hostVeth = (add.json!.interfaces as { name: string }[])[1]!.name;
    const del = await p.call("DEL", {
      containerId: "ctr-a",
      netns: path(a),
      conf: { prevResult: add.json },
    });
    assert.equal(del.code, 0, JSON.stringify(del));
    assert.equal(del.json, null);
    assert.notEqual((await sh(inNs(node, ["ip", "link", "show", "dev", hostVeth]))).code, 0);
    assert.notEqual((await sh(inNs(a, ["ip", "link", "show", "dev", "eth0"]))).code, 0);
    assert.ok(
      !(await Array.fromAsync(Deno.readDir(p.ipamDir))).some((e) => e.name === "10.42.5.2"),
    );
    // As containerd does: again with an empty netns, and once the netns is gone.
    assert.equal((await p.call("DEL", { containerId: "ctr-a", netns: "" })).code, 0);
    await ns.remove(a);
    assert.equal((await p.call("DEL", { containerId: "ctr-a", netns: path(a) })).code, 0);
    // A pod whose netns vanished before DEL: the address is released all the same.
    const b = await ns.add("b");
    assert.equal((await p.call("ADD", { containerId: "ctr-b", netns: path(b) })).code, 0);
    await ns.remove(b);
    assert.equal((await p.call("DEL", { containerId: "ctr-b", netns: path(b) })).code, 0);
    const left = (await Array.fromAsync(Deno.readDir(p.ipamDir))).map((e) => e.name).filter((n) =>
      /^\d/.test(n)
    );
    assert.deepEqual(left, []);
  });
});

Deno.test("skiff CNI: hostPort mappings DNAT from the node and hairpin back into the pod, and go with DEL", async () => {
  await withEnv(async ({ ns, node, p }) => {
    const a = await ns.add("a");
    const b = await ns.add("b");
    const portMappings = [
      { HostPort: 8080, ContainerPort: 80, Protocol: "tcp", HostIP: "" },
      { HostPort: 8081, ContainerPort: 81, Protocol: "tcp", HostIP: "10.42.5.1" },
    ];
    const conf = { runtimeConfig: { portMappings } };
    const addA = await p.call("ADD", { containerId: "ctr-a", netns: path(a), conf });
    assert.equal(addA.code, 0, JSON.stringify(addA));
    assert.equal((await p.call("ADD", { containerId: "ctr-b", netns: path(b) })).code, 0);
    const map = await must(inNs(node, ["nft", "list", "map", "ip", "skiff-cni", "hostports"]));
    assert.match(map, /tcp \. 8080 : 10\.42\.5\.2 \. 80/);

    let server = await serveOnce(a, 80, "from-node");
    assert.equal(await connect(node, "10.42.5.1", 8080), "from-node");
    await server.status;
    server = await serveOnce(a, 80, "from-pod-b");
    assert.equal(await connect(b, "10.42.5.1", 8080), "from-pod-b");
    await server.status;
    server = await serveOnce(a, 80, "hairpin");
    assert.equal(await connect(a, "10.42.5.1", 8080), "hairpin");
    await server.status;
    // A mapping bound to one host address.
    const hostIpMap = await must(
      inNs(node, ["nft", "list", "map", "ip", "skiff-cni", "hostip_ports"]),
    );
    assert.match(hostIpMap, /10\.42\.5\.1 \. tcp \. 8081 : 10\.42\.5\.2 \. 81/);
    server = await serveOnce(a, 81, "host-ip");
    assert.equal(await connect(b, "10.42.5.1", 8081), "host-ip");
    await server.status;

    assert.equal((await p.call("DEL", { containerId: "ctr-a", netns: path(a), conf })).code, 0);
    const after = await must(inNs(node, ["nft", "list", "map", "ip", "skiff-cni", "hostports"]));
    assert.doesNotMatch(after, /8080/);
    const afterHostIp = await must(
      inNs(node, ["nft", "list", "map", "ip", "skiff-cni", "hostip_ports"]),
    );
    assert.doesNotMatch(afterHostIp, /8081/);
  });
});

Deno.test("skiff CNI: concurrent ADDs on a fresh node race for the bridge and still get distinct, working addresses", async () => {
  await withEnv(async ({ ns, p }) => {
    const pods = await Promise.all(["a", "b", "c", "d"].map((s) => ns.add(s)));
    const results = await Promise.all(
      pods.map((pod, i) => p.call("ADD", { containerId: `ctr-${i}`, netns: path(pod) })),
    );
    for (const r of results) assert.equal(r.code, 0, JSON.stringify(r));
    const ips = results.map((r) =>
      (r.json!.ips as { address: string }[])[0]!.address.split("/")[0]!
    );
    assert.equal(new Set(ips).size, 4, ips.join(", "));
    for (const [i, pod] of pods.entries()) await ping(pod, ips[(i + 1) % ips.length]!);
    const dels = await Promise.all(
      pods.map((pod, i) => p.call("DEL", { containerId: `ctr-${i}`, netns: path(pod) })),
    );
    for (const r of dels) assert.equal(r.code, 0, JSON.stringify(r));
    const left = (await Array.fromAsync(Deno.readDir(p.ipamDir))).map((e) => e.name).filter((n) =>
      /^\d/.test(n)
    );
    assert.deepEqual(left, []);
  });
});
