/**
 * The ServiceLB controller against the real API app in process, run by a ControllerManager
 * (with the EndpointSlice controller, for externalTrafficPolicy Local) on the real clock: node
 * addresses land in `status.loadBalancer.ingress` and follow nodes becoming unready, going and
 * coming; a Service whose port another LoadBalancer holds stays pending with a Warning event
 * until the port is free; a Service that stops being a LoadBalancer loses its ingress; one of
 * another `loadBalancerClass` is left alone.
 */
import assert from "node:assert/strict";
import type { Node } from "../../control/api/types/core_v1_node.ts";
import type { Service } from "../../control/api/types/core_v1_service.ts";
import type { Client } from "../../control/client/client.ts";
import { CORE_EVENTS, NODES, SERVICES } from "../../control/client/resources.ts";
import { defaultControllers } from "../../control/controllers/controller_manager.ts";
import { ENDPOINT_SLICE_CONTROLLER_NAME } from "../../control/controllers/endpoint_slice.ts";
import {
  SERVICE_LB_CONTROLLER_NAME,
  serviceLbController,
} from "../../control/controllers/service_lb.ts";
import {
  createNode,
  createPod,
  setPodStatus,
  startControllerApi,
  until,
} from "../_support/controller_api.ts";
import { startTestManager } from "../_support/test_manager.ts";

const REGISTRY = [
  { name: SERVICE_LB_CONTROLLER_NAME, factory: serviceLbController },
  ...defaultControllers().filter((c) => c.name === ENDPOINT_SLICE_CONTROLLER_NAME),
];

/** Creates a node and writes its status as its agent would: Ready (or not), one InternalIP. */
async function readyNode(
  client: Client,
  node: { name: string; ip: string; ready?: boolean },
): Promise<Node> {
  await createNode(client, { name: node.name });
  return await setNodeReady(client, node);
}

async function setNodeReady(
  client: Client,
  node: { name: string; ip: string; ready?: boolean },
): Promise<Node> {
  const nodes = client.resource(NODES);
  const current = await nodes.get(node.name);
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  current.status = {
    ...current.status,
    conditions: [{
      type: "Ready",
      status: node.ready === false ? "False" : "True",
      reason: node.ready === false ? "KubeletNotReady" : "KubeletReady",
      lastHeartbeatTime: now,
      lastTransitionTime: now,
    }],
    addresses: [
      { type: "InternalIP", address: node.ip },
      { type: "Hostname", address: node.name },
    ],
  };
  return await nodes.updateStatus(current);
}

async function createLb(
  client: Client,
  name: string,
  spec: { port?: number; local?: boolean; lbClass?: string } = {},
): Promise<Service> {
  return await client.resource(SERVICES).create({
    metadata: { namespace: "default", name },
    spec: {
      type: "LoadBalancer",
      selector: { app: name },
      ports: [{ name: "http", port: spec.port ?? 80, targetPort: 8080 }],
      ...(spec.local ? { externalTrafficPolicy: "Local" } : {}),
      ...(spec.lbClass ? { loadBalancerClass: spec.lbClass } : {}),
    },
  });
}

async function ingressOf(client: Client, name: string): Promise<string[]> {
  const svc = await client.resource(SERVICES).get(name, { namespace: "default" });
  return (svc.status?.loadBalancer?.ingress ?? []).map((i) => `${i.ip} ${i.ipMode}`);
}

function waitForIngress(client: Client, name: string, want: string[]): Promise<void> {
  let last: string[] = [];
  return until(async () => {
    last = await ingressOf(client, name);
    return JSON.stringify(last) === JSON.stringify(want);
  }, { what: `ingress of ${name} to be ${JSON.stringify(want)} (last ${JSON.stringify(last)})` });
}

async function eventsAbout(client: Client, name: string): Promise<string[]> {
  const list = await client.resource(CORE_EVENTS).list({ namespace: "default" });
  return list.items
    .filter((e) => e.involvedObject?.name === name && e.involvedObject.kind === "Service")
    .map((e) => `${e.type} ${e.reason}: ${e.message}`);
}

Deno.test("ServiceLB gives a LoadBalancer the Ready nodes' addresses and follows the nodes", async () => {
  await using api = await startControllerApi();
  const client = api.client;
  await readyNode(client, { name: "edge-2", ip: "192.0.2.12" });
  await readyNode(client, { name: "edge-1", ip: "192.0.2.11" });
  await using _manager = startTestManager(api.transport, { registry: REGISTRY });
  await createLb(client, "web");
  await waitForIngress(client, "web", ["192.0.2.11 VIP", "192.0.2.12 VIP"]);
  await until(async () => (await eventsAbout(client, "web")).length > 0, { what: "an event" });
  assert.deepEqual(await eventsAbout(client, "web"), [
    "Normal UpdatedLoadBalancer: Updated LoadBalancer with new IPs: [] -> [192.0.2.11 192.0.2.12]",
  ]);

  // A node becoming unready leaves; a new node joins; a deleted node leaves.
  await setNodeReady(client, { name: "edge-1", ip: "192.0.2.11", ready: false });
  await waitForIngress(client, "web", ["192.0.2.12 VIP"]);
  await readyNode(client, { name: "edge-3", ip: "192.0.2.13" });
  await waitForIngress(client, "web", ["192.0.2.12 VIP", "192.0.2.13 VIP"]);
  await client.resource(NODES).delete("edge-2");
  await waitForIngress(client, "web", ["192.0.2.13 VIP"]);
  await client.resource(NODES).delete("edge-3");
  await waitForIngress(client, "web", []);
  await until(
    async () =>
      (await eventsAbout(client, "web")).includes(
        "Warning UnAvailableLoadBalancer: There are no available nodes for LoadBalancer",
      ),
    { what: "the UnAvailableLoadBalancer warning" },
  );
  await setNodeReady(client, { name: "edge-1", ip: "192.0.2.11" });
  await waitForIngress(client, "web", ["192.0.2.11 VIP"]);

  // No longer a LoadBalancer: the ingress goes and stays gone.
  const svc = await client.resource(SERVICES).get("web", { namespace: "default" });
  await client.resource(SERVICES).update({ ...svc, spec: { ...svc.spec, type: "ClusterIP" } });
  await waitForIngress(client, "web", []);
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.deepEqual(await ingressOf(client, "web"), []);
});

Deno.test("ServiceLB keeps a Service whose port another LoadBalancer holds pending until it is free", async () => {
  await using api = await startControllerApi();
  const client = api.client;
  await readyNode(client, { name: "edge-1", ip: "192.0.2.11" });
  await using _manager = startTestManager(api.transport, { registry: REGISTRY });
  await createLb(client, "first");
  await waitForIngress(client, "first", ["192.0.2.11 VIP"]);
  // Same second of creation would order them by name: make sure "second" is younger.
  await new Promise((resolve) => setTimeout(resolve, 1100));
  await createLb(client, "second");
  await createLb(client, "other-port", { port: 8443 });
  await createLb(client, "theirs", { lbClass: "example.com/metal" });
  await waitForIngress(client, "other-port", ["192.0.2.11 VIP"]);
  await until(async () => (await eventsAbout(client, "second")).length > 0, {
    what: "a warning about second",
  });
  assert.deepEqual(await eventsAbout(client, "second"), [
    "Warning UnAvailableLoadBalancer: There are no available nodes for LoadBalancer: " +
    "80/TCP already used by LoadBalancer Service default/first on every node",
  ]);
  assert.deepEqual(await ingressOf(client, "second"), []);

  await client.resource(SERVICES).delete("first", { namespace: "default" });
  await waitForIngress(client, "second", ["192.0.2.11 VIP"]);
  assert.deepEqual(await ingressOf(client, "theirs"), [], "another class is not ours");
  assert.deepEqual(await eventsAbout(client, "theirs"), []);
});

Deno.test("ServiceLB with externalTrafficPolicy Local lists only nodes with a ready endpoint", async () => {
  await using api = await startControllerApi();
  const client = api.client;
  await readyNode(client, { name: "edge-1", ip: "192.0.2.11" });
  await readyNode(client, { name: "edge-2", ip: "192.0.2.12" });
  await using _manager = startTestManager(api.transport, { registry: REGISTRY });
  await createPod(client, {
    namespace: "default",
    name: "local-0",
    labels: { app: "local" },
    nodeName: "edge-2",
    ports: [{ containerPort: 8080 }],
  });
  await setPodStatus(client, { namespace: "default", name: "local-0", podIP: "10.42.1.5" });
  await createLb(client, "local", { local: true });
  await waitForIngress(client, "local", ["192.0.2.12 VIP"]);
  await setPodStatus(client, {
    namespace: "default",
    name: "local-0",
    podIP: "10.42.1.5",
    ready: false,
  });
  await waitForIngress(client, "local", []);
});
