/**
 * NodeRoutes on real kernel objects (as root): two "nodes" are network namespaces, each with
 * a "pod" address on its loopback inside its pod CIDR, and each runs a NodeRoutes whose
 * `ip` / `bridge` commands run in its namespace. Over a shared veth link host-gw routes them;
 * through a router namespace only vxlan does. A restarted NodeRoutes changes nothing, and a
 * Node deleted from the API loses its route, forwarding and neighbour entries.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Node } from "../../control/api/types/core_v1_node.ts";
import type { Client } from "../../control/client/client.ts";
import { NODES } from "../../control/client/resources.ts";
import { SharedInformerFactory } from "../../control/client/shared_informer_factory.ts";
import { RecordingLogger, systemClock } from "../../control/util/mod.ts";
import { startControllerApi, until } from "../../tests/_support/controller_api.ts";
import { inNetns, must, NetnsSet, sh } from "../../tests/_support/netns.ts";
import type { CommandResult, CommandRunner, RunOptions } from "../containerd/command_runner.ts";
import { DenoCommandRunner } from "../containerd/command_runner.ts";
import { NodeRoutes, type NodeRoutesOptions } from "./node_routes.ts";

/** Runs every command inside netns `name`, recording the ones that are not `-j` reads. */
class NetnsRunner implements CommandRunner {
  readonly writes: string[] = [];
  readonly #inner = new DenoCommandRunner();
  readonly #netns: string;

  constructor(netns: string) {
    this.#netns = netns;
  }

  run(argv: readonly string[], options?: RunOptions): Promise<CommandResult> {
    if (!/^(ip|bridge) -j/.test(argv.join(" "))) this.writes.push(argv.join(" "));
    return this.#inner.run(inNetns(this.#netns, argv), options);
  }
}

async function putNode(
  client: Client,
  node: { name: string; podCidr: string; ip: string },
): Promise<void> {
  const nodes = client.resource(NODES);
  const body: Node = {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name: node.name },
    spec: { podCIDR: node.podCidr, podCIDRs: [node.podCidr] },
  };
  const written = await nodes.create(body);
  await nodes.updateStatus({
    ...written,
    status: { addresses: [{ type: "InternalIP", address: node.ip }] },
  });
}

function startRoutes(
  client: Client,
  runner: CommandRunner,
  options: NodeRoutesOptions,
): { routes: NodeRoutes; logger: RecordingLogger } & AsyncDisposable {
  const logger = new RecordingLogger();
  const informers = new SharedInformerFactory(client, { clock: systemClock, logger });
  const routes = new NodeRoutes(
    { informers, clock: systemClock, logger, runner, client },
    { initialBackoffMs: 50, ...options },
  );
  const stop = new AbortController();
  informers.start(stop.signal);
  const running = routes.run(stop.signal);
  return {
    routes,
    logger,
    async [Symbol.asyncDispose]() {
      stop.abort();
      await running;
      await informers.shutdown();
    },
  };
}

/** Whether a ping from `from`'s pod address reaches `to` (one packet, 1 s). */
async function pings(netns: string, from: string, to: string): Promise<boolean> {
  const out = await sh(inNetns(netns, ["busybox", "ping", "-c1", "-W1", "-I", from, to]));
  return out.code === 0;
}

function octet(): number {
  return 200 + Math.floor(Math.random() * 50);
}

Deno.test("NodeRoutes with host-gw routes pods over a shared link, survives a restart, drops a deleted node", async () => {
  const o = octet();
  await using net = new NetnsSet("skrt");
  const a = await net.add("a");
  const b = await net.add("b");
  await net.link(a, b, { a: `10.${o}.1.1/24`, b: `10.${o}.1.2/24` });
  const pods = { a: `10.${o}.10.5`, b: `10.${o}.11.5` };
  await must(["ip", "-n", a, "addr", "add", `${pods.a}/32`, "dev", "lo"]);
  await must(["ip", "-n", b, "addr", "add", `${pods.b}/32`, "dev", "lo"]);
  await using api = await startControllerApi();
  await putNode(api.client, { name: "a", podCidr: `10.${o}.10.0/24`, ip: `10.${o}.1.1` });
  await putNode(api.client, { name: "b", podCidr: `10.${o}.11.0/24`, ip: `10.${o}.1.2` });
  assert.equal(await pings(a, pods.a, pods.b), false, "no route before NodeRoutes");

  const runnerA = new NetnsRunner(a);
  await using routesB = startRoutes(api.client, new NetnsRunner(b), {
    nodeName: "b",
    backend: "host-gw",
  });
  {
    await using routesA = startRoutes(api.client, runnerA, { nodeName: "a", backend: "host-gw" });
    await Promise.all([routesA.routes.ready, routesB.routes.ready]);
    assert.deepEqual(runnerA.writes, [
      `ip route replace 10.${o}.11.0/24 via 10.${o}.1.2 dev eth-b proto 73`,
    ]);
    assert.equal(await pings(a, pods.a, pods.b), true, "a's pod reaches b's");
    assert.equal(await pings(b, pods.b, pods.a), true, "b's pod reaches a's");
  }
  runnerA.writes.length = 0;
  await using again = startRoutes(api.client, runnerA, { nodeName: "a", backend: "host-gw" });
  await again.routes.ready;
  assert.deepEqual(runnerA.writes, [], "a restart changes nothing");
  assert.equal(await pings(a, pods.a, pods.b), true);

  await api.client.resource(NODES).delete("b");
  await until(
    async () =>
      (await must(inNetns(a, ["ip", "-j", "route", "show", "proto", "73"]))).trim() === "[]",
    {
      timeoutMs: 5000,
      what: "b's route to go",
    },
  );
  assert.equal(await pings(a, pods.a, pods.b), false);
});

Deno.test("NodeRoutes through a router: host-gw warns and routes nothing, vxlan tunnels pods", async () => {
  const o = octet();
  await using net = new NetnsSet("skrt");
  const a = await net.add("a");
  const router = await net.add("r");
  const b = await net.add("b");
  await net.link(a, router, { a: `10.${o}.1.1/24`, b: `10.${o}.1.254/24` });
  await net.link(b, router, { a: `10.${o}.2.2/24`, b: `10.${o}.2.254/24` });
  await must(["ip", "-n", a, "route", "add", "default", "via", `10.${o}.1.254`]);
  await must(["ip", "-n", b, "route", "add", "default", "via", `10.${o}.2.254`]);
  const pods = { a: `10.${o}.10.5`, b: `10.${o}.11.5` };
  await must(["ip", "-n", a, "addr", "add", `${pods.a}/32`, "dev", "lo"]);
  await must(["ip", "-n", b, "addr", "add", `${pods.b}/32`, "dev", "lo"]);
  await using api = await startControllerApi();
  await putNode(api.client, { name: "a", podCidr: `10.${o}.10.0/24`, ip: `10.${o}.1.1` });
  await putNode(api.client, { name: "b", podCidr: `10.${o}.11.0/24`, ip: `10.${o}.2.2` });

  {
    const runner = new NetnsRunner(a);
    await using hostGw = startRoutes(api.client, runner, { nodeName: "a", backend: "host-gw" });
    await hostGw.routes.ready;
    assert.deepEqual(runner.writes, []);
    assert.match(
      String(hostGw.logger.records.find((r) => r.level === "warn")?.fields.message),
      new RegExp(
        `its address "10\\.${o}\\.2\\.2" is not on a link this node shares, it is reached through gateway "10\\.${o}\\.1\\.254"`,
      ),
    );
  }

  const runnerA = new NetnsRunner(a);
  await using routesA = startRoutes(api.client, runnerA, { nodeName: "a", backend: "vxlan" });
  await using routesB = startRoutes(api.client, new NetnsRunner(b), {
    nodeName: "b",
    backend: "vxlan",
  });
  await Promise.all([routesA.routes.ready, routesB.routes.ready]);
  await until(() => pings(a, pods.a, pods.b), {
    timeoutMs: 10_000,
    what: "a's pod to reach b's through the tunnel",
  });
  assert.equal(await pings(b, pods.b, pods.a), true, "b's pod reaches a's");
  const link = JSON.parse(
    await must(inNetns(a, ["ip", "-j", "-d", "link", "show", "skiff.vxlan"])),
  );
  assert.equal(link[0].mtu, 1450);
  assert.equal(link[0].linkinfo.info_data.id, 1);
  assert.equal(link[0].linkinfo.info_data.port, 8472);
  assert.equal(link[0].linkinfo.info_data.learning, false);

  await api.client.resource(NODES).delete("b");
  await until(async () => {
    const routes = await must(inNetns(a, ["ip", "-j", "route", "show", "proto", "73"]));
    const fdb = await must(inNetns(a, ["bridge", "-j", "fdb", "show", "dev", "skiff.vxlan"]))
      .catch(() => "[]");
    return routes.trim() === "[]" && !fdb.includes(`10.${o}.2.2`);
  }, { timeoutMs: 5000, what: "b's route and fdb entry to go" });
});
