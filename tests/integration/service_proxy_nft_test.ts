/**
 * The real {@linkcode ServiceProxy} against the in-process API, programming real nftables in a
 * "node" network namespace, checked with real traffic (as root: `ip`, `nft`, `conntrack`,
 * busybox). The node has a bridge with "pod" namespaces on veth ports (busybox httpd serving a
 * page that names the pod, a CGI that echoes the caller's address, and a UDP responder), and a
 * "client" namespace outside the node on a veth link. Services and EndpointSlices are created
 * through the API; the proxy sees them through a shared informer factory.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { ServiceSpec } from "../../control/api/types/core_v1_service.ts";
import type { EndpointSlice } from "../../control/api/types/discovery_v1.ts";
import { ENDPOINT_SLICES, SERVICES } from "../../control/client/resources.ts";
import { SharedInformerFactory } from "../../control/client/shared_informer_factory.ts";
import { RecordingLogger, systemClock } from "../../control/util/mod.ts";
import {
  type CommandResult,
  type CommandRunner,
  DenoCommandRunner,
  type RunOptions,
} from "../../node/containerd/command_runner.ts";
import { ServiceProxy } from "../../node/proxy/service_proxy.ts";
import { startControllerApi, until } from "../_support/controller_api.ts";
import { inNetns, must, NetnsSet, sh } from "../_support/netns.ts";

const NODE = "node-1";

/** Runs every command inside the node's namespace and keeps the nft transactions. */
class NodeRunner implements CommandRunner {
  readonly transactions: string[] = [];
  readonly conntrack: string[][] = [];
  readonly #netns: string;
  readonly #real = new DenoCommandRunner();
  constructor(netns: string) {
    this.#netns = netns;
  }
  run(argv: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    if (argv[0] === "nft" && typeof options.stdin === "string") {
      this.transactions.push(options.stdin);
    }
    if (argv[0] === "conntrack") this.conntrack.push([...argv]);
    return this.#real.run(inNetns(this.#netns, argv), options);
  }
}

const UDP_RESPONDER = `
import dgram from "node:dgram";
const socket = dgram.createSocket("udp4");
socket.on("message", (_msg, peer) => socket.send(Deno.args[0], peer.port, peer.address));
socket.bind(5353);
`;

const UDP_ASK = `
import dgram from "node:dgram";
const [host, port, from] = Deno.args;
const socket = dgram.createSocket("udp4");
const timer = setTimeout(() => { console.log("timeout"); socket.close(); }, 1500);
socket.on("message", (msg) => { clearTimeout(timer); console.log(String(msg)); socket.close(); });
socket.bind(Number(from), () => socket.send("who", Number(port), host));
`;

interface Pod {
  readonly name: string;
  readonly netns: string;
  readonly ip: string;
}

/** `busybox wget` of `url` from `netns`: the body, or the error wget printed, and how long it took. */
async function fetchFrom(
  netns: string,
  url: string,
  timeoutSeconds = 3,
): Promise<{ ok: boolean; text: string; ms: number }> {
  const start = performance.now();
  // busybox 1.35's wget crashes with -T: bound it with timeout(1) instead.
  const out = await sh(
    inNetns(netns, ["timeout", String(timeoutSeconds), "busybox", "wget", "-q", "-O", "-", url]),
  );
  return {
    ok: out.code === 0,
    text: out.code === 0 ? out.stdout.trim() : `${out.code}: ${out.stderr.trim()}`,
    ms: performance.now() - start,
  };
}

async function fetchMany(netns: string, url: string, times: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < times; i++) out.push((await fetchFrom(netns, url)).text);
  return out;
}

Deno.test({
  name: "ServiceProxy programs Services that carry real traffic in a network namespace",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const octet = 200 + Math.floor(Math.random() * 50);
    const podNet = `10.${octet}.0`;
    const linkNet = `10.${octet}.250`;
    const externalNet = `10.${octet}.251`;
    const nodeIP = `${linkNet}.1`;
    const clientIP = `${linkNet}.2`;
    const externalIP = `${externalNet}.5`;

    await using net = new NetnsSet("skprx");
    const node = await net.add("node");
    const client = await net.add("client");
    await net.link(node, client, { a: `${nodeIP}/24`, b: `${clientIP}/24` });
    // Service addresses need a route out of the node (its default route, on a real node).
    await must(["ip", "-n", node, "route", "add", "default", "via", clientIP]);
    await must(["ip", "-n", client, "route", "add", `${externalNet}.0/24`, "via", nodeIP]);
    await must(["ip", "-n", node, "link", "add", "br0", "type", "bridge"]);
    await must(["ip", "-n", node, "addr", "add", `${podNet}.1/24`, "dev", "br0"]);
    await must(["ip", "-n", node, "link", "set", "br0", "up"]);

    const www = await Deno.makeTempDir({ prefix: "skprx-www-" });
    const children: Deno.ChildProcess[] = [];
    const pods: Record<string, Pod> = {};
    for (const [name, host] of [["a", 5], ["b", 6], ["c", 7], ["client", 9]] as const) {
      const netns = await net.add(`p${name}`);
      const ip = `${podNet}.${host}`;
      const port = `vp${name}${octet}`.slice(0, 15);
      await must([
        "ip",
        "-n",
        node,
        "link",
        "add",
        port,
        "type",
        "veth",
        "peer",
        "eth0",
        "netns",
        netns,
      ]);
      await must(["ip", "-n", node, "link", "set", port, "master", "br0"]);
      await must(["ip", "-n", node, "link", "set", port, "type", "bridge_slave", "hairpin", "on"]);
      await must(["ip", "-n", node, "link", "set", port, "up"]);
      await must(["ip", "-n", netns, "addr", "add", `${ip}/24`, "dev", "eth0"]);
      await must(["ip", "-n", netns, "link", "set", "eth0", "up"]);
      await must(["ip", "-n", netns, "route", "add", "default", "via", `${podNet}.1`]);
      pods[name] = { name, netns, ip };
      if (name === "client") continue;
      const dir = `${www}/${name}`;
      await Deno.mkdir(`${dir}/cgi-bin`, { recursive: true });
      await Deno.writeTextFile(`${dir}/index.html`, `pod-${name}\n`);
      await Deno.writeTextFile(
        `${dir}/cgi-bin/ip`,
        '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\n%s\\n" "$REMOTE_ADDR"\n',
      );
      await Deno.chmod(`${dir}/cgi-bin/ip`, 0o755);
      for (
        const argv of [
          ["busybox", "httpd", "-f", "-p", "8080", "-h", dir],
          [Deno.execPath(), "eval", UDP_RESPONDER, `pod-${name}`],
        ]
      ) {
        children.push(
          new Deno.Command(inNetns(netns, argv)[0]!, {
            args: inNetns(netns, argv).slice(1),
            stdin: "null",
            stdout: "null",
            stderr: "null",
          }).spawn(),
        );
      }
    }
    const [a, b, c, caller] = [pods.a!, pods.b!, pods.c!, pods.client!];

    await using api = await startControllerApi();
    const logger = new RecordingLogger();
    const informers = new SharedInformerFactory(api.client, { clock: systemClock, logger });
    const runner = new NodeRunner(node);
    const proxy = new ServiceProxy({ informers, clock: systemClock, logger, runner }, {
      nodeName: NODE,
      nodeIPs: [nodeIP],
      clusterCidr: `${podNet}.0/24`,
      serviceCidrs: ["10.43.0.0/16"],
      localServiceIPs: ["10.43.0.10"],
      minSyncPeriodMs: 10,
    });
    const stop = new AbortController();
    informers.start(stop.signal);
    const running = proxy.run(stop.signal);

    const services = api.client.resource(SERVICES);
    const slices = api.client.resource(ENDPOINT_SLICES);
    const createService = async (name: string, spec: ServiceSpec) =>
      await services.create({ metadata: { name, namespace: "default" }, spec });
    type Ep = { pod: Pod; ready?: boolean; node?: string };
    const sliceOf = (service: string, eps: Ep[], port = 8080, protocol = "TCP"): EndpointSlice => ({
      metadata: {
        name: `${service}-1`,
        namespace: "default",
        labels: { "kubernetes.io/service-name": service },
      },
      addressType: "IPv4",
      ports: [{ name: "", port, protocol: protocol as "TCP" }],
      endpoints: eps.map((ep) => ({
        addresses: [ep.pod.ip],
        conditions: { ready: ep.ready ?? true },
        nodeName: ep.node ?? NODE,
      })),
    });
    const setSlice = async (service: string, eps: Ep[], port = 8080, protocol = "TCP") => {
      const want = sliceOf(service, eps, port, protocol);
      try {
        const have = await slices.get(want.metadata!.name!, { namespace: "default" });
        return await slices.update({ ...want, metadata: { ...want.metadata, ...have.metadata } });
      } catch {
        return await slices.create(want);
      }
    };
    /** Waits for a transaction naming `address`, then for `url` to answer. */
    const untilServed = async (netns: string, url: string, what: string) => {
      const address = new URL(url).hostname;
      await until(() => runner.transactions.some((tx) => tx.includes(address)), { what });
      await until(async () => (await fetchFrom(netns, url, 1)).ok, { timeoutMs: 10_000, what });
    };

    try {
      await proxy.ready;
      assert.match(runner.transactions[0] ?? "", /^add table ip skiff-proxy\ndelete table/);

      const web = await createService("web", {
        ports: [{ port: 80, protocol: "TCP", targetPort: 8080 }],
      });
      const webIP = web.spec!.clusterIP!;
      await setSlice("web", [{ pod: a }, { pod: b }]);

      await t.step("a ClusterIP from a pod reaches both endpoints", async () => {
        await untilServed(caller.netns, `http://${webIP}/`, "the web ClusterIP");
        const seen = new Set(await fetchMany(caller.netns, `http://${webIP}/`, 24));
        assert.deepEqual([...seen].sort(), ["pod-a", "pod-b"]);
        // Updates after the first sync are incremental.
        const proxyWarnings = logger.records.filter((r) =>
          r.level === "warn" && r.fields?.component === "proxy"
        );
        assert.deepEqual(proxyWarnings, []);
        assert.ok(runner.transactions.slice(1).every((tx) => !tx.includes("delete table")));
      });

      await t.step("a ClusterIP on a port it does not serve is refused at once", async () => {
        const out = await fetchFrom(caller.netns, `http://${webIP}:81/`);
        assert.equal(out.ok, false);
        assert.match(out.text, /refused/);
        assert.ok(out.ms < 900, `took ${out.ms} ms`);
      });

      await t.step("an unallocated address in the service CIDR is dropped", async () => {
        const out = await fetchFrom(caller.netns, "http://10.43.254.254/", 1);
        assert.equal(out.ok, false);
        assert.match(out.text, /^124:/, "timed out, not refused");
      });

      await t.step("a NodePort answers the client outside the node, masqueraded", async () => {
        const svc = await createService("web-np", {
          type: "NodePort",
          ports: [{ port: 80, protocol: "TCP", targetPort: 8080 }],
        });
        await setSlice("web-np", [{ pod: a }, { pod: b }]);
        const nodePort = svc.spec!.ports![0]!.nodePort!;
        await untilServed(client, `http://${nodeIP}:${nodePort}/`, "the node port");
        const seen = new Set(await fetchMany(client, `http://${nodeIP}:${nodePort}/`, 24));
        assert.deepEqual([...seen].sort(), ["pod-a", "pod-b"]);
        const source = await fetchFrom(client, `http://${nodeIP}:${nodePort}/cgi-bin/ip`);
        assert.match(source.text, new RegExp(`${podNet.replaceAll(".", "\\.")}\\.1\\b`));
      });

      await t.step("a LoadBalancer ingress IP answers", async () => {
        const svc = await createService("web-lb", {
          type: "LoadBalancer",
          ports: [{ port: 8081, protocol: "TCP", targetPort: 8080 }],
        });
        await setSlice("web-lb", [{ pod: a }]);
        await services.updateStatus({
          ...svc,
          status: { loadBalancer: { ingress: [{ ip: nodeIP }] } },
        });
        await untilServed(client, `http://${nodeIP}:8081/`, "the load-balancer IP");
        assert.equal((await fetchFrom(client, `http://${nodeIP}:8081/`)).text, "pod-a");
      });

      await t.step("an external IP answers", async () => {
        await createService("web-ext", {
          externalIPs: [externalIP],
          ports: [{ port: 80, protocol: "TCP", targetPort: 8080 }],
        });
        await setSlice("web-ext", [{ pod: b }]);
        await untilServed(client, `http://${externalIP}/`, "the external IP");
        assert.equal((await fetchFrom(client, `http://${externalIP}/`)).text, "pod-b");
      });

      await t.step("session affinity keeps a client on one endpoint", async () => {
        const svc = await createService("sticky", {
          sessionAffinity: "ClientIP",
          sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } },
          ports: [{ port: 80, protocol: "TCP", targetPort: 8080 }],
        });
        await setSlice("sticky", [{ pod: a }, { pod: b }]);
        const url = `http://${svc.spec!.clusterIP}/`;
        await untilServed(caller.netns, url, "the sticky ClusterIP");
        const seen = new Set(await fetchMany(caller.netns, url, 12));
        assert.equal(seen.size, 1, `saw ${[...seen]}`);
      });

      await t.step("a Service without endpoints refuses at once", async () => {
        const svc = await createService("empty", {
          ports: [{ port: 80, protocol: "TCP", targetPort: 8080 }],
        });
        const url = `http://${svc.spec!.clusterIP}/`;
        await until(() => runner.transactions.some((tx) => tx.includes(svc.spec!.clusterIP!)), {
          what: "the empty Service's rules",
        });
        await until(async () => /refused/.test((await fetchFrom(caller.netns, url, 1)).text), {
          what: "the empty Service to refuse",
        });
        const out = await fetchFrom(caller.netns, url);
        assert.match(out.text, /refused/);
        assert.ok(out.ms < 900, `took ${out.ms} ms`);
      });

      await t.step("an endpoint going unready stops getting traffic", async () => {
        await setSlice("web", [{ pod: a }, { pod: b, ready: false }]);
        await until(async () => {
          const seen = await fetchMany(caller.netns, `http://${webIP}/`, 12);
          return seen.every((s) => s === "pod-a");
        }, { what: "pod-b to leave the web Service" });
      });

      await t.step("a pod reaches itself through its Service (hairpin)", async () => {
        const seen = await fetchMany(a.netns, `http://${webIP}/`, 4);
        assert.deepEqual(seen, ["pod-a", "pod-a", "pod-a", "pod-a"]);
      });

      await t.step("externalTrafficPolicy Local keeps the client's address", async () => {
        const svc = await createService("local", {
          type: "NodePort",
          externalTrafficPolicy: "Local",
          ports: [{ port: 80, protocol: "TCP", targetPort: 8080 }],
        });
        await setSlice("local", [{ pod: a }, { pod: c, node: "node-2" }]);
        const url = `http://${nodeIP}:${svc.spec!.ports![0]!.nodePort}/cgi-bin/ip`;
        await untilServed(client, url, "the Local node port");
        const seen = await fetchMany(client, url, 8);
        assert.ok(seen.every((s) => s.includes(clientIP)), `saw ${seen}`);
        // Only the local endpoint: the page names pod a.
        const pages = await fetchMany(client, url.replace("/cgi-bin/ip", "/"), 8);
        assert.ok(pages.every((p) => p === "pod-a"), `saw ${pages}`);
      });

      await t.step("an address served on the node itself is left alone", async () => {
        // The cluster DNS: its Service has no endpoints, its address is on the node.
        await must(["ip", "-n", node, "addr", "add", "10.43.0.10/32", "dev", "lo"]);
        const argv = inNetns(node, [
          "busybox",
          "httpd",
          "-f",
          "-p",
          "10.43.0.10:8053",
          "-h",
          `${www}/a`,
        ]);
        children.push(
          new Deno.Command(argv[0]!, {
            args: argv.slice(1),
            stdin: "null",
            stdout: "null",
            stderr: "null",
          }).spawn(),
        );
        await services.create({
          metadata: { name: "node-local", namespace: "kube-system" },
          spec: { clusterIP: "10.43.0.10", ports: [{ port: 8053, protocol: "TCP" }] },
        }).catch((err) => {
          if (!/already/i.test(String(err))) throw err;
        });
        const marker = await createService("after-node-local", {
          ports: [{ port: 80, protocol: "TCP", targetPort: 8080 }],
        });
        await until(() => runner.transactions.some((tx) => tx.includes(marker.spec!.clusterIP!)), {
          what: "a sync after the node-local Service",
        });
        assert.ok(runner.transactions.every((tx) => !/10\.43\.0\.10 \./.test(tx)));
        await until(async () => (await fetchFrom(caller.netns, "http://10.43.0.10:8053/", 1)).ok, {
          what: "the node-local address from a pod",
        });
        assert.equal((await fetchFrom(node, "http://10.43.0.10:8053/")).text, "pod-a");
      });

      await t.step("a UDP endpoint's conntrack entries go when it does", async () => {
        const svc = await createService("udp", {
          ports: [{ port: 53, protocol: "UDP", targetPort: 5353 }],
        });
        await setSlice("udp", [{ pod: a }], 5353, "UDP");
        const ask = async () =>
          (await sh(inNetns(caller.netns, [
            Deno.execPath(),
            "eval",
            UDP_ASK,
            svc.spec!.clusterIP!,
            "53",
            "40053",
          ]))).stdout.trim();
        await until(async () => await ask() === "pod-a", { what: "the UDP Service" });
        await setSlice("udp", [{ pod: b }], 5353, "UDP");
        await until(async () => await ask() === "pod-b", {
          what: "the same client port to reach the new endpoint",
        });
        assert.ok(runner.conntrack.some((argv) => argv.includes(a.ip)));
      });
    } finally {
      stop.abort();
      await running;
      await informers.shutdown();
      for (const child of children) {
        try {
          child.kill("SIGKILL");
        } catch { /* already gone */ }
        await child.status;
      }
      await Deno.remove(www, { recursive: true });
    }
  },
});
