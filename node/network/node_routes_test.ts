import assert from "node:assert/strict";
import type { Node } from "../../control/api/types/core_v1_node.ts";
import type { Client } from "../../control/client/client.ts";
import { CORE_EVENTS, NODES } from "../../control/client/resources.ts";
import { SharedInformerFactory } from "../../control/client/shared_informer_factory.ts";
import { RecordingLogger, systemClock } from "../../control/util/mod.ts";
import { startControllerApi, until } from "../../tests/_support/controller_api.ts";
import { FakeIpRunner } from "./_fake_ip_runner.ts";
import { NodeRoutes, type NodeRoutesOptions } from "./node_routes.ts";
import { ROUTE_ANNOTATIONS } from "./route_peers.ts";

const LINK = { name: "eth0", address: "10.250.0.1", prefix: 24, mtu: 1500 };

async function putNode(
  client: Client,
  node: { name: string; podCidr: string; ip: string; annotations?: Record<string, string> },
): Promise<void> {
  const nodes = client.resource(NODES);
  const existing = await nodes.get(node.name).catch(() => undefined);
  const body: Node = {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name: node.name,
      ...(existing?.metadata?.resourceVersion
        ? { resourceVersion: existing.metadata.resourceVersion }
        : {}),
      annotations: { ...existing?.metadata?.annotations, ...node.annotations },
    },
    spec: { podCIDR: node.podCidr, podCIDRs: [node.podCidr] },
  };
  const written = existing ? await nodes.update(body) : await nodes.create(body);
  await nodes.updateStatus({
    ...written,
    status: { addresses: [{ type: "InternalIP", address: node.ip }] },
  });
}

/** A NodeRoutes of its own informers on `client`, running until disposed. */
function startRoutes(
  client: Client,
  runner: FakeIpRunner,
  options: Omit<NodeRoutesOptions, "nodeName">,
): { routes: NodeRoutes; logger: RecordingLogger } & AsyncDisposable {
  const logger = new RecordingLogger();
  const informers = new SharedInformerFactory(client, { clock: systemClock, logger });
  const routes = new NodeRoutes(
    { informers, clock: systemClock, logger, runner, client },
    { nodeName: "a", initialBackoffMs: 10, ...options },
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

/** Waits until the fake kernel saw exactly `writes` (in order) since the last call. */
async function expectWrites(runner: FakeIpRunner, writes: string[], what: string): Promise<void> {
  const seen: string[] = [];
  await until(() => {
    seen.push(...runner.takeWrites());
    return Promise.resolve(seen.length >= writes.length);
  }, { timeoutMs: 5000, what: `${what}: ${JSON.stringify(seen)}` });
  assert.deepEqual(seen, writes, what);
}

async function annotationsOf(client: Client, name: string): Promise<Record<string, string>> {
  return { ...(await client.resource(NODES).get(name)).metadata?.annotations };
}

Deno.test("NodeRoutes with host-gw routes peers on the link, warns about the others, follows changes", async () => {
  await using api = await startControllerApi();
  const runner = new FakeIpRunner({ link: LINK, viaGateway: { "10.99.0.3": "10.250.0.254" } });
  await putNode(api.client, { name: "a", podCidr: "10.42.0.0/24", ip: "10.250.0.1" });
  await putNode(api.client, { name: "b", podCidr: "10.42.1.0/24", ip: "10.250.0.2" });
  await putNode(api.client, { name: "c", podCidr: "10.42.2.0/24", ip: "10.99.0.3" });
  await using started = startRoutes(api.client, runner, { backend: "host-gw" });
  await started.routes.ready;
  await expectWrites(
    runner,
    ["ip route replace 10.42.1.0/24 via 10.250.0.2 dev eth0 proto 73"],
    "the first sync",
  );
  await until(async () =>
    (await annotationsOf(api.client, "a"))[ROUTE_ANNOTATIONS.backend] === "host-gw"
  );
  assert.deepEqual(await annotationsOf(api.client, "a"), {
    [ROUTE_ANNOTATIONS.backend]: "host-gw",
    [ROUTE_ANNOTATIONS.publicIp]: "10.250.0.1",
  });
  const warnings = started.logger.records.filter((r) => r.level === "warn");
  assert.equal(warnings.length, 1);
  assert.equal(
    warnings[0]?.fields.message,
    'Cannot route pod CIDR "10.42.2.0/24" of node "c" with host-gw: its address "10.99.0.3" is not on a link this node shares, it is reached through gateway "10.250.0.254"; use the vxlan backend',
  );
  await until(
    async () =>
      (await api.client.resource(CORE_EVENTS).list({ namespace: "default" })).items.some((e) =>
        e.reason === "PeerNotDirectlyReachable" && e.involvedObject?.name === "a" &&
        e.type === "Warning"
      ),
    { timeoutMs: 5000, what: "the Warning event on node a" },
  );

  await putNode(api.client, { name: "b", podCidr: "10.42.1.0/24", ip: "10.250.0.22" });
  await expectWrites(
    runner,
    ["ip route replace 10.42.1.0/24 via 10.250.0.22 dev eth0 proto 73"],
    "b's new address",
  );
  await putNode(api.client, { name: "d", podCidr: "10.42.3.0/24", ip: "10.250.0.4" });
  await expectWrites(
    runner,
    ["ip route replace 10.42.3.0/24 via 10.250.0.4 dev eth0 proto 73"],
    "node d comes",
  );
  await api.client.resource(NODES).delete("b");
  await expectWrites(runner, ["ip route del 10.42.1.0/24 proto 73"], "node b goes");
  assert.deepEqual(runner.routes.map((r) => r.dst), ["10.42.3.0/24"]);
  assert.equal(
    started.logger.records.filter((r) => r.level === "warn").length,
    1,
    "c is warned about once",
  );
});

Deno.test("NodeRoutes with vxlan creates the device, publishes its MAC and tunnels to peers that published theirs", async () => {
  await using api = await startControllerApi();
  const runner = new FakeIpRunner({ link: LINK });
  await putNode(api.client, { name: "a", podCidr: "10.42.0.0/24", ip: "10.250.0.1" });
  await putNode(api.client, {
    name: "b",
    podCidr: "10.42.1.0/24",
    ip: "10.99.0.2",
    annotations: { [ROUTE_ANNOTATIONS.vtepMac]: "0a:58:00:00:00:0b" },
  });
  await using started = startRoutes(api.client, runner, { backend: "vxlan" });
  await started.routes.ready;
  await expectWrites(runner, [
    "ip link add skiff.vxlan type vxlan id 1 local 10.250.0.1 dev eth0 dstport 8472 nolearning",
    "ip link set skiff.vxlan mtu 1450 up",
    "ip addr add 10.42.0.0/32 dev skiff.vxlan",
    "bridge fdb replace 0a:58:00:00:00:0b dev skiff.vxlan dst 10.99.0.2 self permanent",
    "ip neigh replace 10.42.1.0 lladdr 0a:58:00:00:00:0b dev skiff.vxlan nud permanent",
    "ip route replace 10.42.1.0/24 via 10.42.1.0 dev skiff.vxlan onlink proto 73",
  ], "the first sync");
  await until(async () =>
    (await annotationsOf(api.client, "a"))[ROUTE_ANNOTATIONS.vtepMac] !== undefined
  );
  assert.deepEqual(await annotationsOf(api.client, "a"), {
    [ROUTE_ANNOTATIONS.backend]: "vxlan",
    [ROUTE_ANNOTATIONS.publicIp]: "10.250.0.1",
    [ROUTE_ANNOTATIONS.vtepMac]: "0a:00:00:00:00:01",
  });

  // c has no MAC yet (its agent has not started): no route until it publishes one.
  await putNode(api.client, { name: "c", podCidr: "10.42.2.0/24", ip: "10.99.0.3" });
  await putNode(api.client, {
    name: "c",
    podCidr: "10.42.2.0/24",
    ip: "10.99.0.3",
    annotations: {
      [ROUTE_ANNOTATIONS.vtepMac]: "0a:58:00:00:00:0c",
      [ROUTE_ANNOTATIONS.publicIp]: "10.98.0.3",
    },
  });
  await expectWrites(runner, [
    "bridge fdb replace 0a:58:00:00:00:0c dev skiff.vxlan dst 10.98.0.3 self permanent",
    "ip neigh replace 10.42.2.0 lladdr 0a:58:00:00:00:0c dev skiff.vxlan nud permanent",
    "ip route replace 10.42.2.0/24 via 10.42.2.0 dev skiff.vxlan onlink proto 73",
  ], "c publishes its MAC");
  // b's agent recreated its device: a new MAC.
  await putNode(api.client, {
    name: "b",
    podCidr: "10.42.1.0/24",
    ip: "10.99.0.2",
    annotations: { [ROUTE_ANNOTATIONS.vtepMac]: "0a:58:00:00:00:bb" },
  });
  await expectWrites(runner, [
    "bridge fdb del 0a:58:00:00:00:0b dev skiff.vxlan dst 10.99.0.2 self",
    "bridge fdb replace 0a:58:00:00:00:bb dev skiff.vxlan dst 10.99.0.2 self permanent",
    "ip neigh replace 10.42.1.0 lladdr 0a:58:00:00:00:bb dev skiff.vxlan nud permanent",
  ], "b's new MAC");
  await api.client.resource(NODES).delete("b");
  await expectWrites(runner, [
    "ip route del 10.42.1.0/24 proto 73",
    "bridge fdb del 0a:58:00:00:00:bb dev skiff.vxlan dst 10.99.0.2 self",
    "ip neigh del 10.42.1.0 dev skiff.vxlan",
  ], "node b goes");
  assert.deepEqual([...runner.fdb.keys()], ["0a:58:00:00:00:0c"]);
  assert.deepEqual([...runner.neighbours.keys()], ["10.42.2.0"]);
});

Deno.test("NodeRoutes after an agent restart keeps what is right and removes only what is stale", async () => {
  await using api = await startControllerApi();
  const runner = new FakeIpRunner({ link: LINK });
  await putNode(api.client, { name: "a", podCidr: "10.42.0.0/24", ip: "10.250.0.1" });
  for (const [name, n] of [["b", 1], ["c", 2]] as const) {
    await putNode(api.client, {
      name,
      podCidr: `10.42.${n}.0/24`,
      ip: `10.250.0.${n + 1}`,
      annotations: { [ROUTE_ANNOTATIONS.vtepMac]: `0a:58:00:00:00:0${n}` },
    });
  }
  // Someone else's route, which skiff must never touch.
  runner.routes.push({
    dst: "192.168.7.0/24",
    via: "10.250.0.254",
    dev: "eth0",
    onlink: false,
    proto: "static",
  });
  {
    await using first = startRoutes(api.client, runner, { backend: "vxlan" });
    await first.routes.ready;
    await until(async () =>
      (await annotationsOf(api.client, "a"))[ROUTE_ANNOTATIONS.vtepMac] !== undefined
    );
  }
  assert.equal(runner.takeWrites().length, 9, "device, address, 2 × (fdb, neigh, route)");
  const mac = runner.device?.mac;

  // While the agent is down, c goes.
  await api.client.resource(NODES).delete("c");
  await using second = startRoutes(api.client, runner, { backend: "vxlan" });
  await second.routes.ready;
  assert.deepEqual(runner.takeWrites(), [
    "ip route del 10.42.2.0/24 proto 73",
    "bridge fdb del 0a:58:00:00:00:02 dev skiff.vxlan dst 10.250.0.3 self",
    "ip neigh del 10.42.2.0 dev skiff.vxlan",
  ]);
  assert.equal(runner.device?.mac, mac, "the device (and its MAC) stays");
  assert.deepEqual(runner.routes.map((r) => `${r.dst} ${r.proto}`), [
    "192.168.7.0/24 static",
    "10.42.1.0/24 73",
  ]);
});

Deno.test("NodeRoutes switching from vxlan to host-gw deletes its device and reroutes", async () => {
  await using api = await startControllerApi();
  const runner = new FakeIpRunner({ link: LINK });
  await putNode(api.client, { name: "a", podCidr: "10.42.0.0/24", ip: "10.250.0.1" });
  await putNode(api.client, {
    name: "b",
    podCidr: "10.42.1.0/24",
    ip: "10.250.0.2",
    annotations: { [ROUTE_ANNOTATIONS.vtepMac]: "0a:58:00:00:00:0b" },
  });
  {
    await using first = startRoutes(api.client, runner, { backend: "vxlan" });
    await first.routes.ready;
  }
  runner.takeWrites();
  // b switched as well: it publishes host-gw now.
  await putNode(api.client, {
    name: "b",
    podCidr: "10.42.1.0/24",
    ip: "10.250.0.2",
    annotations: { [ROUTE_ANNOTATIONS.backend]: "host-gw" },
  });
  await using second = startRoutes(api.client, runner, { backend: "host-gw" });
  await second.routes.ready;
  assert.deepEqual(runner.takeWrites(), [
    "ip link del skiff.vxlan",
    "ip route replace 10.42.1.0/24 via 10.250.0.2 dev eth0 proto 73",
  ]);
  await until(async () =>
    (await annotationsOf(api.client, "a"))[ROUTE_ANNOTATIONS.vtepMac] === undefined
  );
});

Deno.test("NodeRoutes retries a failed change with backoff, reading the kernel again", async () => {
  await using api = await startControllerApi();
  const runner = new FakeIpRunner({ link: LINK });
  runner.failOnce.set("ip route replace 10.42.1.0/24", "RTNETLINK answers: Invalid argument");
  await putNode(api.client, { name: "a", podCidr: "10.42.0.0/24", ip: "10.250.0.1" });
  await putNode(api.client, { name: "b", podCidr: "10.42.1.0/24", ip: "10.250.0.2" });
  await using started = startRoutes(api.client, runner, { backend: "host-gw" });
  await started.routes.ready;
  assert.deepEqual(runner.takeWrites(), [
    "ip route replace 10.42.1.0/24 via 10.250.0.2 dev eth0 proto 73",
    "ip route replace 10.42.1.0/24 via 10.250.0.2 dev eth0 proto 73",
  ]);
  const errors = started.logger.records.filter((r) => r.level === "error");
  assert.equal(errors.length, 1);
  assert.match(
    String((errors[0]?.fields.error as Error).message),
    /^Cannot apply 1 of 1 route changes: "ip route replace 10\.42\.1\.0\/24 via 10\.250\.0\.2 dev eth0 proto 73" exited with 2: RTNETLINK answers: Invalid argument$/,
  );
});

Deno.test("NodeRoutes with vxlan makes no device while the node is alone", async () => {
  await using api = await startControllerApi();
  const runner = new FakeIpRunner({ link: LINK });
  await putNode(api.client, { name: "a", podCidr: "10.42.0.0/24", ip: "10.250.0.1" });
  await using started = startRoutes(api.client, runner, { backend: "vxlan" });
  await started.routes.ready;
  assert.deepEqual(runner.takeWrites(), []);
  assert.equal(runner.device, undefined);
  await until(async () =>
    (await annotationsOf(api.client, "a"))[ROUTE_ANNOTATIONS.backend] === "vxlan"
  );
  assert.equal((await annotationsOf(api.client, "a"))[ROUTE_ANNOTATIONS.vtepMac], undefined);

  // A second node (its MAC not published yet): the device comes, so the peer can learn ours.
  await putNode(api.client, { name: "b", podCidr: "10.42.1.0/24", ip: "10.250.0.2" });
  await expectWrites(runner, [
    "ip link add skiff.vxlan type vxlan id 1 local 10.250.0.1 dev eth0 dstport 8472 nolearning",
    "ip link set skiff.vxlan mtu 1450 up",
    "ip addr add 10.42.0.0/32 dev skiff.vxlan",
  ], "a second node");
  await until(async () =>
    (await annotationsOf(api.client, "a"))[ROUTE_ANNOTATIONS.vtepMac] === runner.device?.mac
  );
  await api.client.resource(NODES).delete("b");
  await expectWrites(runner, ["ip link del skiff.vxlan"], "alone again");
  await until(async () =>
    (await annotationsOf(api.client, "a"))[ROUTE_ANNOTATIONS.vtepMac] === undefined
  );
});
