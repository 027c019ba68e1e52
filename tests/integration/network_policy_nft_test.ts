/**
 * NetworkPolicyEnforcer on real nftables (as root): a "node" network namespace with a bridge
 * and four "pod" namespaces on veths (x/a, x/b, x/c and y/a, each serving HTTP with busybox
 * httpd), two "client" namespaces routed through the node from outside it, and the enforcer
 * running its `nft` in the node namespace, fed by the in-process API where the test creates
 * the pods (with the IPs of the namespaces) and the policies. Every check is a real TCP
 * connection with `busybox nc`.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { ContainerPort } from "../../control/api/types/core_v1_pod.ts";
import type { NetworkPolicy, NetworkPolicySpec } from "../../control/api/types/networking_v1.ts";
import type { Client } from "../../control/client/client.ts";
import { NAMESPACES, NETWORK_POLICIES, PODS } from "../../control/client/resources.ts";
import { SharedInformerFactory } from "../../control/client/shared_informer_factory.ts";
import { RecordingLogger, systemClock } from "../../control/util/mod.ts";
import {
  type CommandResult,
  type CommandRunner,
  DenoCommandRunner,
  type RunOptions,
} from "../../node/containerd/command_runner.ts";
import { buildNetpolRuleset } from "../../node/netpol/netpol_ruleset.ts";
import { NetworkPolicyEnforcer } from "../../node/netpol/network_policy_enforcer.ts";
import { fullNetpolTransaction } from "../../node/netpol/nft_transaction.ts";
import { createPod, setPodStatus, startControllerApi, until } from "../_support/controller_api.ts";
import { inNetns, must, NetnsSet, sh } from "../_support/netns.ts";

/** Runs every command inside netns `name`, keeping what nft was sent. */
class NetnsRunner implements CommandRunner {
  readonly transactions: string[] = [];
  readonly #inner = new DenoCommandRunner();
  readonly #netns: string;

  constructor(netns: string) {
    this.#netns = netns;
  }

  run(argv: readonly string[], options?: RunOptions): Promise<CommandResult> {
    if (argv[0] === "nft" && typeof options?.stdin === "string") {
      this.transactions.push(options.stdin);
    }
    return this.#inner.run(inNetns(this.#netns, argv), options);
  }
}

/** Servers started in namespaces, stopped at disposal. */
class Servers implements AsyncDisposable {
  readonly #children: Deno.ChildProcess[] = [];

  start(netns: string, argv: readonly string[]): void {
    this.#children.push(
      new Deno.Command(inNetns(netns, argv)[0]!, {
        args: inNetns(netns, argv).slice(1),
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn(),
    );
  }

  async [Symbol.asyncDispose](): Promise<void> {
    for (const child of this.#children) {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      await child.status;
    }
  }
}

/** Whether an HTTP request from netns `from` to `ip:port` gets an answer (1 s to connect). */
async function reaches(from: string, ip: string, port: number): Promise<boolean> {
  const out = await sh(inNetns(from, ["busybox", "nc", "-w", "1", ip, String(port)]), {
    stdin: "GET / HTTP/1.0\r\n\r\n",
  });
  return out.stdout.startsWith("HTTP/1.");
}

function policy(key: string, spec: NetworkPolicySpec): NetworkPolicy {
  const [namespace, name] = key.split("/") as [string, string];
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { namespace, name },
    spec,
  };
}

/** The rules of an `nft -j list table`, without handles or table name, elements sorted. */
async function tableShape(netns: string, table: string): Promise<unknown> {
  const listing = JSON.parse(
    await must(inNetns(netns, ["nft", "-j", "list", "table", "inet", table])),
  ) as { nftables: Record<string, Record<string, unknown>>[] };
  const shape: Record<string, unknown> = {};
  for (const item of listing.nftables) {
    const [kind, body] = Object.entries(item)[0]!;
    if (kind === "metainfo" || kind === "table") continue;
    const { handle: _h, table: _t, ...rest } = body;
    if (kind === "rule") {
      const key = `rules ${rest.chain}`;
      shape[key] = [...(shape[key] as unknown[] ?? []), rest.expr];
    } else {
      if (Array.isArray(rest.elem)) {
        rest.elem = rest.elem.map((e) => JSON.stringify(e)).sort();
      }
      shape[`${kind} ${rest.name}`] = rest;
    }
  }
  return shape;
}

interface Probe {
  /** A pod (`x/a`), a client (`c1`) or `node`. */
  readonly from: string;
  /** A pod, `node`, or an IP. */
  readonly to: string;
  readonly port: number;
  readonly want: boolean;
}

function p(from: string, to: string, port: number, want: boolean): Probe {
  return { from, to, port, want };
}

/** The namespaces, servers, API and enforcer of the test. */
interface Lab extends AsyncDisposable {
  /** The second octet of every address (10.<o>.0.0/16). */
  readonly o: number;
  readonly node: string;
  readonly nodeIp: string;
  readonly podIps: Readonly<Record<string, string>>;
  /** Netns by pod key (`x/a`) or client name (`c1`). */
  readonly netns: Readonly<Record<string, string>>;
  readonly client: Client;
  readonly informers: SharedInformerFactory;
  readonly runner: NetnsRunner;
  readonly logger: RecordingLogger;
  readonly enforcer: NetworkPolicyEnforcer;
}

/** Builds the namespaces, starts the servers, the API and the enforcer (see the module doc). */
async function startLab(): Promise<Lab> {
  const stack = new Cleanup();
  try {
    return await buildLab(stack);
  } catch (err) {
    await stack[Symbol.asyncDispose]();
    throw err;
  }
}

/** Things to undo, last first. */
class Cleanup implements AsyncDisposable {
  readonly #steps: (() => PromiseLike<void>)[] = [];

  defer(step: () => PromiseLike<void>): void {
    this.#steps.push(step);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    for (const step of this.#steps.splice(0).reverse()) await step();
  }
}

async function buildLab(stack: Cleanup): Promise<Lab> {
  const o = 200 + Math.floor(Math.random() * 50);
  const nodeIp = `10.${o}.0.1`;
  const net = new NetnsSet("sknp");
  stack.defer(() => net[Symbol.asyncDispose]());
  const servers = new Servers();
  stack.defer(() => servers[Symbol.asyncDispose]());
  const www = await Deno.makeTempDir({ prefix: "skiff-netpol-www-" });
  stack.defer(() => Deno.remove(www, { recursive: true }));
  await Deno.writeTextFile(`${www}/index.html`, "hello\n");

  const node = await net.add("node");
  const ip = (...args: string[]) => must(["ip", "-n", node, ...args]);
  await ip("link", "add", "br0", "type", "bridge");
  await ip("addr", "add", `${nodeIp}/24`, "dev", "br0");
  await ip("link", "set", "br0", "up");
  // The pods: namespaces on veths in the node's bridge.
  const podIps: Record<string, string> = {
    "x/a": `10.${o}.0.10`,
    "x/b": `10.${o}.0.11`,
    "x/c": `10.${o}.0.12`,
    "y/a": `10.${o}.0.20`,
  };
  const netns: Record<string, string> = { node };
  let index = 0;
  for (const [key, podIp] of Object.entries(podIps)) {
    const ns = await net.add(key.replace("/", ""));
    netns[key] = ns;
    const veth = `veth${index++}`;
    await ip("link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns);
    await ip("link", "set", veth, "master", "br0");
    await ip("link", "set", veth, "up");
    await must(["ip", "-n", ns, "addr", "add", `${podIp}/24`, "dev", "eth0"]);
    await must(["ip", "-n", ns, "link", "set", "eth0", "up"]);
    await must(["ip", "-n", ns, "route", "add", "default", "via", nodeIp]);
  }
  // Clients outside the node, routed through it.
  for (const [name, third] of [["c1", 100], ["c2", 101]] as const) {
    const ns = await net.add(name);
    await net.link(node, ns, { a: `10.${o}.${third}.1/24`, b: `10.${o}.${third}.2/24` });
    await must(["ip", "-n", ns, "route", "add", "default", "via", `10.${o}.${third}.1`]);
    netns[name] = ns;
  }
  const httpd = (ns: string, port: number | string) =>
    servers.start(ns, ["busybox", "httpd", "-f", "-p", String(port), "-h", www]);
  for (const port of [80, 81, 8085, 8095]) httpd(netns["x/a"]!, port);
  for (const port of [80, 8080]) httpd(netns["x/b"]!, port);
  httpd(netns["x/c"]!, 80);
  httpd(netns["y/a"]!, 80);
  httpd(node, `${nodeIp}:5353`); // a service on the node itself
  // The node-local cluster DNS stand-in: an address of its own on the node, as skiff-dns.
  const dnsIp = `10.${o}.99.10`;
  await ip("addr", "add", `${dnsIp}/32`, "dev", "lo");
  httpd(node, `${dnsIp}:53`);

  // The API: namespaces, pods bound to this node with the IPs above, one remote pod.
  const api = await startControllerApi();
  stack.defer(() => api[Symbol.asyncDispose]());
  const client: Client = api.client;
  for (const name of ["x", "y"]) {
    await client.resource(NAMESPACES).create({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name, labels: { team: name } },
    });
  }
  const ports: Record<string, ContainerPort[]> = {
    "x/a": [{ name: "http", containerPort: 8085 }],
    "x/b": [{ name: "http", containerPort: 80 }],
  };
  for (const [key, podIp] of Object.entries(podIps)) {
    const [namespace, name] = key.split("/") as [string, string];
    await createPod(client, {
      namespace,
      name,
      nodeName: "n1",
      labels: { pod: name },
      ...(ports[key] ? { ports: ports[key] } : {}),
    });
    await setPodStatus(client, { namespace, name, podIP: podIp });
  }
  await createPod(client, { namespace: "y", name: "remote", nodeName: "n2" });
  await setPodStatus(client, { namespace: "y", name: "remote", podIP: `10.${o}.1.5` });

  const logger = new RecordingLogger();
  const informers = new SharedInformerFactory(client, { clock: systemClock, logger });
  const runner = new NetnsRunner(node);
  const enforcer = new NetworkPolicyEnforcer(
    { informers, clock: systemClock, logger, runner },
    { nodeName: "n1", debounceMs: 20, nodeLocalServiceIPs: [dnsIp] },
  );
  const stop = new AbortController();
  informers.start(stop.signal);
  const running = enforcer.run(stop.signal);
  stack.defer(async () => {
    stop.abort();
    await running;
    await informers.shutdown();
  });
  await enforcer.ready;
  return {
    o,
    node,
    nodeIp,
    podIps,
    netns,
    client,
    informers,
    runner,
    logger,
    enforcer,
    [Symbol.asyncDispose]: () => stack[Symbol.asyncDispose](),
  };
}

/** Makes every probe's connection at once and compares what got through with what should. */
async function check(lab: Lab, probes: readonly Probe[]): Promise<void> {
  const address = (to: string) => lab.podIps[to] ?? (to === "node" ? lab.nodeIp : to);
  const got = await Promise.all(
    probes.map((p) => reaches(lab.netns[p.from]!, address(p.to), p.port)),
  );
  const label = (p: Probe) => `${p.from} → ${p.to}:${p.port}`;
  assert.deepEqual(
    Object.fromEntries(probes.map((p, i) => [label(p), got[i]])),
    Object.fromEntries(probes.map((p) => [label(p), p.want])),
  );
}

/** Runs `change`, waits for the enforcer's next transaction and returns it. */
async function applied(lab: Lab, change: () => Promise<unknown>): Promise<string> {
  const before = lab.enforcer.stats.applied;
  await change();
  await until(() => lab.enforcer.stats.applied > before, { what: "the enforcer's transaction" });
  return lab.runner.transactions.at(-1)!;
}

function create(lab: Lab, key: string, spec: NetworkPolicySpec): Promise<string> {
  return applied(lab, () => lab.client.resource(NETWORK_POLICIES).create(policy(key, spec)));
}

function relabel(lab: Lab, key: string, labels: Record<string, string>): Promise<string> {
  return applied(lab, async () => {
    const [namespace, name] = key.split("/") as [string, string];
    const pod = await lab.client.resource(PODS).get(name, { namespace });
    pod.metadata!.labels = labels;
    await lab.client.resource(PODS).update(pod);
  });
}

Deno.test("NetworkPolicyEnforcer enforces NetworkPolicies with real nftables across a bridge", async (t) => {
  await using lab = await startLab();
  const { o, node, runner, enforcer, informers, logger } = lab;
  const policies = lab.client.resource(NETWORK_POLICIES);
  await t.step("without policies every pod is reachable", async () => {
    assert.equal(runner.transactions.length, 1);
    await check(lab, [
      p("x/b", "x/a", 80, true),
      p("y/a", "x/a", 80, true),
      p("c1", "x/a", 80, true),
      p("x/a", "node", 5353, true),
    ]);
  });

  await t.step("default deny ingress: nothing gets in but the node itself", async () => {
    await create(lab, "x/deny-ingress", { podSelector: {} });
    await check(lab, [
      p("x/b", "x/a", 80, false),
      p("y/a", "x/a", 80, false),
      p("c1", "x/a", 80, false),
      p("x/a", "y/a", 80, true),
      p("node", "x/a", 80, true),
      p("node", "x/b", 8080, true),
    ]);
  });

  await t.step("podSelector allows pods of the policy's namespace", async () => {
    await create(lab, "x/allow-b", {
      podSelector: { matchLabels: { pod: "a" } },
      ingress: [{ from: [{ podSelector: { matchLabels: { pod: "b" } } }] }],
    });
    await check(lab, [
      p("x/b", "x/a", 80, true),
      p("x/b", "x/a", 81, true),
      p("x/c", "x/a", 80, false),
      p("y/a", "x/a", 80, false),
    ]);
  });

  await t.step("a pod's label change is an element update, and access follows", async () => {
    const text = await relabel(lab, "x/c", { pod: "b" });
    assert.match(text, /^add element inet skiff-netpol pods-\w+ \{ 10\.\d+\.0\.12 \}\n$/);
    await check(lab, [p("x/c", "x/a", 80, true)]);
    const back = await relabel(lab, "x/c", { pod: "c" });
    assert.match(back, /^delete element inet skiff-netpol pods-\w+ \{ 10\.\d+\.0\.12 \}\n$/);
    await check(lab, [p("x/c", "x/a", 80, false)]);
  });

  await t.step("namespaceSelector allows the pods of the selected namespaces", async () => {
    await create(lab, "x/allow-y", {
      podSelector: { matchLabels: { pod: "a" } },
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: "y" } } }] }],
    });
    await check(lab, [p("y/a", "x/a", 80, true), p("x/c", "x/a", 80, false)]);
  });

  await t.step("ipBlock with except, from clients outside the node", async () => {
    await create(lab, "x/allow-cidr", {
      podSelector: { matchLabels: { pod: "a" } },
      ingress: [{
        from: [{ ipBlock: { cidr: `10.${o}.96.0/20`, except: [`10.${o}.101.0/24`] } }],
      }],
    });
    await check(lab, [p("c1", "x/a", 80, true), p("c2", "x/a", 80, false)]);
  });

  await t.step("ports and endPort ranges", async () => {
    await create(lab, "x/ports-from-c", {
      podSelector: { matchLabels: { pod: "a" } },
      ingress: [{
        from: [{ podSelector: { matchLabels: { pod: "c" } } }],
        ports: [{ port: 81 }, { protocol: "TCP", port: 8080, endPort: 8090 }],
      }],
    });
    await check(lab, [
      p("x/c", "x/a", 81, true),
      p("x/c", "x/a", 8085, true),
      p("x/c", "x/a", 8095, false),
      p("x/c", "x/a", 80, false),
    ]);
  });

  await t.step("a named port resolves per destination pod", async () => {
    await create(lab, "x/named-http", {
      podSelector: {},
      ingress: [{
        from: [{ namespaceSelector: { matchLabels: { team: "y" } } }],
        ports: [{ port: "http" }],
      }],
    });
    await check(lab, [
      p("y/a", "x/b", 80, true),
      p("y/a", "x/b", 8080, false),
      p("y/a", "x/c", 80, false),
    ]);
  });

  await t.step(
    "egress deny covers the node's own services until a rule allows them",
    async () => {
      await create(lab, "x/deny-egress-b", {
        podSelector: { matchLabels: { pod: "b" } },
        policyTypes: ["Egress"],
      });
      await check(lab, [
        p("x/b", "y/a", 80, false),
        p("x/b", "node", 5353, false),
        p("x/b", "x/a", 80, false),
        p("x/c", "y/a", 80, true),
        // The node-local DNS stays reachable: users' DNS rules select kube-dns pods.
        p("x/b", `10.${lab.o}.99.10`, 53, true),
      ]);
      await create(lab, "x/egress-b-to-node-service", {
        podSelector: { matchLabels: { pod: "b" } },
        policyTypes: ["Egress"],
        egress: [{ ports: [{ protocol: "TCP", port: 5353 }] }],
      });
      await check(lab, [p("x/b", "node", 5353, true), p("x/b", "y/a", 80, false)]);
    },
  );

  await t.step("replies of allowed connections pass both ways' isolation", async () => {
    // x/b is isolated both ways; x/a's ingress allows x/b; x/b's egress now allows x/a:80.
    await create(lab, "x/egress-b-to-a", {
      podSelector: { matchLabels: { pod: "b" } },
      policyTypes: ["Egress"],
      egress: [{ to: [{ podSelector: { matchLabels: { pod: "a" } } }], ports: [{ port: 80 }] }],
    });
    await check(lab, [
      p("x/b", "x/a", 80, true),
      p("x/b", "x/a", 81, false),
      p("x/a", "x/b", 8080, false),
    ]);
  });

  await t.step("the incremental syncs left the table a full sync would write", async () => {
    const ruleset = buildNetpolRuleset({
      nodeName: "n1",
      policies: informers.informerFor(NETWORK_POLICIES).store.list(),
      pods: informers.informerFor(PODS).store.list(),
      namespaces: informers.informerFor(NAMESPACES).store.list(),
    });
    await must(inNetns(node, ["nft", "-f", "-"]), {
      stdin: fullNetpolTransaction(ruleset, {
        table: "netpol-check",
        nodeLocalServiceIPs: [`10.${lab.o}.99.10`],
      }),
    });
    const check = await tableShape(node, "netpol-check");
    await must(inNetns(node, ["nft", "delete", "table", "inet", "netpol-check"]));
    assert.deepEqual(await tableShape(node, "skiff-netpol"), check);
    assert.equal(enforcer.stats.fullSyncs, 1);
  });

  await t.step("policies deleted: traffic flows again", async () => {
    await applied(lab, async () => {
      for (const item of (await policies.list({ namespace: "x" })).items) {
        await policies.delete(item.metadata!.name!, { namespace: "x" });
      }
    });
    // Deletions may arrive in more than one sync: wait for the last policy chain to go.
    await until(
      async () => !JSON.stringify(await tableShape(node, "skiff-netpol")).includes("/"),
      {
        what: "no policy chain left",
      },
    );
    await check(lab, [
      p("x/b", "x/a", 80, true),
      p("c2", "x/a", 80, true),
      p("x/b", "node", 5353, true),
      p("x/b", "y/a", 80, true),
      p("x/a", "x/b", 8080, true),
    ]);
  });
  assert.equal(
    logger.records.filter((r) =>
      r.fields.component === "netpol" && (r.level === "error" || r.level === "warn")
    ).length,
    0,
    JSON.stringify(logger.records.filter((r) => r.level !== "debug")),
  );
});
