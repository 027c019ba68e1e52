/**
 * Cluster DNS on real sockets in network namespaces (as root): a "node" netns holds the cluster
 * DNS address on `skiff-dns` (put there by `ensureDnsAddress`) and runs the real
 * {@linkcode ClusterDns} (in a child process, see `_cluster_dns_node.ts`) against this test's
 * in-process API, plus a stand-in for the host's resolver on another address of the node; a
 * "pod" netns, routed through the node, asks with the real `dig` (UDP and `+tcp`) and
 * `busybox nslookup`. Nothing leaves the namespaces.
 *
 * @module
 */
import assert from "node:assert/strict";
import { ENDPOINT_SLICES, SERVICES } from "../../control/client/resources.ts";
import type { EndpointSlice } from "../../control/api/types/discovery_v1.ts";
import {
  type CommandResult,
  type CommandRunner,
  DenoCommandRunner,
  type RunOptions,
} from "../../node/containerd/command_runner.ts";
import { ensureDnsAddress, removeDnsAddress } from "../../node/dns/dns_address.ts";
import { startControllerApi, until } from "../_support/controller_api.ts";
import { keepLastLines } from "../_support/log_tail.ts";
import { inNetns, must, NetnsSet, sh } from "../_support/netns.ts";

/** Runs commands inside netns `name`. */
class NetnsRunner implements CommandRunner {
  readonly #inner = new DenoCommandRunner();
  readonly #netns: string;

  constructor(netns: string) {
    this.#netns = netns;
  }

  run(argv: readonly string[], options?: RunOptions): Promise<CommandResult> {
    return this.#inner.run(inNetns(this.#netns, argv), options);
  }
}

interface DigResult {
  readonly status: string;
  readonly flags: string;
  /** Answer records as `name ttl TYPE data`. */
  readonly answers: string[];
}

Deno.test("cluster DNS serves pods in another netns over UDP and TCP, and forwards with a cache", async (t) => {
  await using net = new NetnsSet("skdns");
  const octet = 200 + Math.floor(Math.random() * 55);
  const dnsIp = `10.${octet}.0.10`;
  const upstreamIp = `10.${octet}.0.53`;
  const node = await net.add("node");
  const pod = await net.add("pod");
  await net.link(node, pod, { a: `10.${octet}.1.1/24`, b: `10.${octet}.1.2/24` });
  await must(["ip", "-n", pod, "route", "add", "default", "via", `10.${octet}.1.1`]);
  const nodeRunner = new NetnsRunner(node);
  await ensureDnsAddress(nodeRunner, { interface: "skiff-dns", address: dnsIp });
  // Idempotent: a restarted agent calls it again.
  await ensureDnsAddress(nodeRunner, { interface: "skiff-dns", address: dnsIp });
  const shown = await must(["ip", "-n", node, "-o", "addr", "show", "dev", "skiff-dns"]);
  assert.equal(shown.match(new RegExp(`inet ${dnsIp.replaceAll(".", "\\.")}/32`, "g"))?.length, 1);
  await ensureDnsAddress(nodeRunner, { interface: "skiff-up", address: upstreamIp });

  await using api = await startControllerApi();
  const dir = await Deno.makeTempDir({ prefix: "skdns" });
  const socketPath = `${dir}/api.sock`;
  // The resolver of the "host": the cluster DNS address itself must be skipped (a loop).
  await Deno.writeTextFile(`${dir}/resolv.conf`, `nameserver ${dnsIp}\nnameserver ${upstreamIp}\n`);
  const server = Deno.serve({ path: socketPath, onListen() {} }, (req) => {
    const url = new URL(req.url);
    return api.transport.request(req.method, url.pathname + url.search, {
      accept: req.headers.get("accept") ?? "application/json",
      signal: req.signal,
    });
  });
  const child = new Deno.Command("nsenter", {
    args: [
      `--net=/var/run/netns/${node}`,
      Deno.execPath(),
      "run",
      "-A",
      new URL("./_cluster_dns_node.ts", import.meta.url).pathname,
      "--api-socket",
      socketPath,
      "--listen",
      dnsIp,
      "--upstream",
      upstreamIp,
      "--resolv-conf",
      `${dir}/resolv.conf`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const logs: string[] = [];
  const logsDone = keepLastLines(child.stderr, { lines: logs, max: 200 });
  // One JSON event per line on the child's stdout, taken as they come.
  const events: Record<string, unknown>[] = [];
  const eventsDone = (async () => {
    let buffered = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        events.push(JSON.parse(buffered.slice(0, nl)));
        buffered = buffered.slice(nl + 1);
      }
    }
  })();

  const upstreamQuestions = () =>
    events.filter((e) => typeof e.upstream === "string").map((e) => e.upstream as string);

  async function dig(name: string, options: { type?: string; tcp?: boolean } = {}) {
    const out = await must(inNetns(pod, [
      "dig",
      `@${dnsIp}`,
      name,
      options.type ?? "A",
      "+noall",
      "+comments",
      "+answer",
      "+time=2",
      "+tries=1",
      ...(options.tcp ? ["+tcp"] : []),
    ]));
    const status = out.match(/status: (\w+)/)?.[1] ?? "";
    const flags = out.match(/;; flags: ([^;]*);/)?.[1] ?? "";
    const answers = out.split("\n").filter((l) => l !== "" && !l.startsWith(";"))
      .map((l) => l.split(/\s+/).filter((f) => f !== "IN").join(" "));
    return { status, flags, answers } satisfies DigResult;
  }

  try {
    await t.step("the server starts once the informers have synced", async () => {
      await until(() => events.some((e) => e.ready === true), {
        timeoutMs: 30_000,
        what: `the cluster DNS to be ready (log: ${logs.slice(-5).join("\n")})`,
      });
      const ready = events.find((e) => e.ready === true)!;
      assert.deepEqual(ready.upstreams, [{ hostname: upstreamIp, port: 53 }]);
    });

    await t.step("kubernetes.default answers over UDP, TCP and busybox nslookup", async () => {
      const udp = await dig("kubernetes.default.svc.cluster.local");
      assert.equal(udp.status, "NOERROR");
      assert.match(udp.flags, /\baa\b/);
      assert.deepEqual(udp.answers, ["kubernetes.default.svc.cluster.local. 30 A 10.43.0.1"]);
      const tcp = await dig("kubernetes.default.svc.cluster.local", { tcp: true });
      assert.deepEqual(tcp.answers, udp.answers);
      const nslookup = await sh(inNetns(pod, [
        "busybox",
        "nslookup",
        "kubernetes.default.svc.cluster.local",
        dnsIp,
      ]));
      assert.match(nslookup.stdout, /Address: 10\.43\.0\.1\b/);
    });

    await t.step("a Service appears and disappears as it is created and deleted", async () => {
      const services = api.client.resource(SERVICES);
      const created = await services.create({
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "web", namespace: "default" },
        spec: { selector: { app: "web" }, ports: [{ name: "http", port: 80 }] },
      });
      const ip = created.spec!.clusterIP!;
      await until(async () => (await dig("web.default.svc.cluster.local")).answers.length === 1, {
        what: "web to resolve",
      });
      assert.deepEqual((await dig("web.default.svc.cluster.local", { tcp: true })).answers, [
        `web.default.svc.cluster.local. 30 A ${ip}`,
      ]);
      const srv = await dig("_http._tcp.web.default.svc.cluster.local", { type: "SRV" });
      assert.deepEqual(srv.answers, [
        "_http._tcp.web.default.svc.cluster.local. 30 SRV 0 100 80 web.default.svc.cluster.local.",
      ]);
      const ptr = await dig(`${ip.split(".").reverse().join(".")}.in-addr.arpa`, { type: "PTR" });
      assert.deepEqual(ptr.answers.map((a) => a.split(" ").slice(2).join(" ")), [
        "PTR web.default.svc.cluster.local.",
      ]);
      const nslookup = await sh(
        inNetns(pod, ["busybox", "nslookup", "web.default.svc.cluster.local", dnsIp]),
      );
      assert.match(nslookup.stdout, new RegExp(`Address: ${ip.replaceAll(".", "\\.")}\\b`));
      await services.delete("web", { namespace: "default" });
      await until(async () => (await dig("web.default.svc.cluster.local")).status === "NXDOMAIN", {
        what: "web to be gone",
      });
    });

    await t.step("a headless Service follows its endpoints' readiness", async () => {
      await api.client.resource(SERVICES).create({
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "db", namespace: "default" },
        spec: { clusterIP: "None", ports: [{ name: "pg", port: 5432 }] },
      });
      const slices = api.client.resource(ENDPOINT_SLICES);
      const slice: EndpointSlice = await slices.create({
        apiVersion: "discovery.k8s.io/v1",
        kind: "EndpointSlice",
        metadata: {
          name: "db-1",
          namespace: "default",
          labels: { "kubernetes.io/service-name": "db" },
        },
        addressType: "IPv4",
        endpoints: [
          { addresses: ["10.42.0.10"], hostname: "db-0", conditions: { ready: true } },
          { addresses: ["10.42.0.11"], hostname: "db-1", conditions: { ready: true } },
        ],
        ports: [{ name: "pg", port: 5432, protocol: "TCP" }],
      });
      await until(async () => (await dig("db.default.svc.cluster.local")).answers.length === 2, {
        what: "db to have two addresses",
      });
      assert.deepEqual((await dig("db-1.db.default.svc.cluster.local")).answers, [
        "db-1.db.default.svc.cluster.local. 30 A 10.42.0.11",
      ]);
      const srv = await dig("_pg._tcp.db.default.svc.cluster.local", { type: "SRV", tcp: true });
      assert.deepEqual(srv.answers.map((a) => a.split(" ").slice(-1)[0]).sort(), [
        "db-0.db.default.svc.cluster.local.",
        "db-1.db.default.svc.cluster.local.",
      ]);
      await slices.update({
        ...slice,
        endpoints: [slice.endpoints![0]!, {
          ...slice.endpoints![1]!,
          conditions: { ready: false },
        }],
      });
      await until(async () => (await dig("db.default.svc.cluster.local")).answers.length === 1, {
        what: "db-1 to leave",
      });
      assert.deepEqual((await dig("db.default.svc.cluster.local")).answers, [
        "db.default.svc.cluster.local. 30 A 10.42.0.10",
      ]);
      assert.equal((await dig("db-1.db.default.svc.cluster.local")).status, "NXDOMAIN");
    });

    await t.step("other names go to the host's resolver, once per TTL", async () => {
      const before = upstreamQuestions().length;
      const first = await dig("www.example.test");
      const second = await dig("WWW.Example.Test", { tcp: true });
      assert.equal(first.status, "NOERROR");
      assert.doesNotMatch(first.flags, /\baa\b/);
      assert.deepEqual(first.answers.map((a) => a.split(" ").slice(2).join(" ")), ["A 192.0.2.53"]);
      assert.equal(second.answers[0]?.split(" ")[0], "WWW.Example.Test.");
      const nslookup = await sh(inNetns(pod, ["busybox", "nslookup", "www.example.test", dnsIp]));
      assert.match(nslookup.stdout, /Address: 192\.0\.2\.53/);
      const asked = upstreamQuestions().slice(before);
      // dig twice (one question), nslookup's A from the cache, its AAAA asked once.
      assert.deepEqual(asked.filter((q) => q === "www.example.test A"), ["www.example.test A"]);
      // A reverse name the cluster does not own is forwarded too.
      await dig("1.1.168.192.in-addr.arpa", { type: "PTR" });
      assert.ok(upstreamQuestions().includes("1.1.168.192.in-addr.arpa PTR"));
    });
  } catch (err) {
    throw new Error(`Cluster DNS test failed; node log tail:\n${logs.slice(-30).join("\n")}`, {
      cause: err,
    });
  } finally {
    try {
      child.kill("SIGTERM");
    } catch { /* exited */ }
    await child.status;
    await logsDone.catch(() => {});
    await eventsDone.catch(() => {});
    await server.shutdown();
    await removeDnsAddress(nodeRunner, { interface: "skiff-dns" });
    await Deno.remove(dir, { recursive: true });
  }
});
