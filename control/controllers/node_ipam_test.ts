import assert from "node:assert/strict";
import type { Node } from "../api/types/core_v1_node.ts";
import type { KubeObject } from "../api/types/meta_v1.ts";
import type { EventRecord, EventRecorder } from "../client/event_recorder.ts";
import { NODES } from "../client/resources.ts";
import { SharedInformerFactory } from "../client/shared_informer_factory.ts";
import { FakeClock } from "../util/clock.ts";
import { RecordingLogger } from "../util/logger.ts";
import {
  type ControllerApi,
  createNode,
  startControllerApi,
  until,
} from "../../tests/_support/controller_api.ts";
import {
  NODE_IPAM_CONTROLLER_NAME,
  NodeIpamController,
  nodeIpamController,
  type NodeIpamControllerOptions,
  nodePodCidrs,
} from "./node_ipam.ts";

interface Harness extends AsyncDisposable {
  readonly api: ControllerApi;
  readonly controller: NodeIpamController;
  readonly events: { object: KubeObject; record: EventRecord }[];
  readonly logger: RecordingLogger;
  node(name: string): Promise<Node>;
  /** Waits until node `name` has a pod CIDR; returns it. */
  cidrOf(name: string): Promise<string>;
}

async function harness(
  options: NodeIpamControllerOptions & { before?: (api: ControllerApi) => Promise<void> } = {},
): Promise<Harness> {
  const { before, ...controllerOptions } = options;
  const api = await startControllerApi();
  await before?.(api);
  const clock = new FakeClock(Date.now());
  const logger = new RecordingLogger();
  const events: { object: KubeObject; record: EventRecord }[] = [];
  const recorder: EventRecorder = { event: (object, record) => events.push({ object, record }) };
  const informers = new SharedInformerFactory(api.client, { clock, logger });
  const controller = new NodeIpamController({
    client: api.client,
    nodeInformer: informers.informerFor(NODES),
    recorder,
    clock,
    logger,
  }, controllerOptions);
  const stop = new AbortController();
  informers.start(stop.signal);
  const running = controller.run(stop.signal);
  const node = (name: string) => api.client.resource(NODES).get(name);
  return {
    api,
    controller,
    events,
    logger,
    node,
    async cidrOf(name) {
      let cidr = "";
      await until(async () => {
        cidr = (await node(name)).spec?.podCIDR ?? "";
        return cidr !== "";
      }, { what: `a pod CIDR on node ${name}` });
      return cidr;
    },
    async [Symbol.asyncDispose]() {
      stop.abort();
      await running;
      await informers.shutdown();
      await api[Symbol.asyncDispose]();
    },
  };
}

async function nodeWithCidr(api: ControllerApi, name: string, cidr: string): Promise<void> {
  await api.client.resource(NODES).create({
    apiVersion: "v1",
    kind: "Node",
    metadata: { name },
    spec: { podCIDR: cidr, podCIDRs: [cidr] },
  });
}

Deno.test("nodePodCidrs() prefers podCIDRs and falls back to podCIDR", () => {
  assert.deepEqual(
    nodePodCidrs({ spec: { podCIDR: "10.42.0.0/24", podCIDRs: ["10.42.0.0/24", "fd00::/64"] } }),
    [
      "10.42.0.0/24",
      "fd00::/64",
    ],
  );
  assert.deepEqual(nodePodCidrs({ spec: { podCIDR: "10.42.1.0/24" } }), ["10.42.1.0/24"]);
  assert.deepEqual(nodePodCidrs({}), []);
});

Deno.test("NodeIpamController gives each node the next /24 of the cluster CIDR in podCIDR and podCIDRs", async () => {
  await using h = await harness();
  await createNode(h.api.client, { name: "edge-1" });
  assert.equal(await h.cidrOf("edge-1"), "10.42.0.0/24");
  await createNode(h.api.client, { name: "edge-2" });
  assert.equal(await h.cidrOf("edge-2"), "10.42.1.0/24");
  assert.deepEqual((await h.node("edge-2")).spec?.podCIDRs, ["10.42.1.0/24"]);
  assert.ok(
    h.logger.records.some((r) => r.msg === "Set node PodCIDR" && r.fields.node === "edge-2"),
  );
  assert.deepEqual(h.controller.usage(), { used: 2, size: 256 });
});

Deno.test("NodeIpamController recovers the CIDRs of existing nodes before allocating", async () => {
  await using h = await harness({
    clusterCidr: "10.60.0.0/16",
    before: async (api) => {
      await nodeWithCidr(api, "old-1", "10.60.0.0/24");
      await nodeWithCidr(api, "old-2", "10.60.1.0/24");
      await createNode(api.client, { name: "new-1" });
    },
  });
  assert.equal(await h.cidrOf("new-1"), "10.60.2.0/24");
  assert.equal((await h.node("old-1")).spec?.podCIDR, "10.60.0.0/24");
  assert.deepEqual(h.controller.usage(), { used: 3, size: 256 });
});

Deno.test("NodeIpamController records CIDRNotAvailable when the range is full and reuses a deleted node's CIDR", async () => {
  await using h = await harness({ clusterCidr: "10.42.0.0/23" });
  await createNode(h.api.client, { name: "a" });
  await createNode(h.api.client, { name: "b" });
  const cidrA = await h.cidrOf("a");
  await h.cidrOf("b");
  await createNode(h.api.client, { name: "c" });
  await until(() => h.events.some((e) => e.record.reason === "CIDRNotAvailable"), {
    what: "CIDRNotAvailable",
  });
  const event = h.events.find((e) => e.record.reason === "CIDRNotAvailable")!;
  assert.equal(event.object.metadata?.name, "c");
  assert.deepEqual(event.record, {
    type: "Normal",
    reason: "CIDRNotAvailable",
    message: "Node c status is now: CIDRNotAvailable",
  });
  await assert.rejects(
    () => h.controller.sync("c"),
    /there are no remaining CIDRs left to allocate/,
  );

  await h.api.client.resource(NODES).delete("a");
  await until(() => h.controller.usage().used === 1, { what: "a's CIDR released" });
  await h.controller.sync("c");
  assert.equal((await h.node("c")).spec?.podCIDR, cidrA);
});

Deno.test("NodeIpamController skips subnets of the Service CIDR inside the cluster CIDR", async () => {
  await using h = await harness({ clusterCidr: "10.0.0.0/22", serviceCidr: "10.0.0.0/24" });
  await createNode(h.api.client, { name: "a" });
  assert.equal(await h.cidrOf("a"), "10.0.1.0/24");
});

Deno.test("nodeIpamController() takes the cluster CIDR from the controller context", () => {
  assert.equal(NODE_IPAM_CONTROLLER_NAME, "nodeipam");
  const informers = {
    informerFor: () => ({ store: { list: () => [] }, addHandler: () => ({ remove() {} }) }),
  };
  const controller = nodeIpamController(
    {
      client: { resource: () => ({}) },
      informers,
      recorder: () => ({ event() {} }),
      clock: new FakeClock(0),
      logger: new RecordingLogger(),
      clusterCidr: "10.50.0.0/20",
    } as unknown as Parameters<typeof nodeIpamController>[0],
  ) as NodeIpamController;
  assert.deepEqual(controller.usage(), { used: 0, size: 16 });
  assert.throws(
    () =>
      new NodeIpamController({
        client: { resource: () => ({}) },
        nodeInformer: informers.informerFor(),
        clock: new FakeClock(0),
        logger: new RecordingLogger(),
      } as never, { clusterCidr: "x" }),
    /Invalid cluster CIDR "x"/,
  );
});
