import assert from "node:assert/strict";
import type { Node } from "../api/types/core_v1_node.ts";
import type { Service } from "../api/types/core_v1_service.ts";
import type { EndpointSlice } from "../api/types/discovery_v1.ts";
import type { KubeObject } from "../api/types/meta_v1.ts";
import { Client } from "../client/client.ts";
import type { EventRecord, EventRecorder } from "../client/event_recorder.ts";
import { type RecordedRequest, ScriptedTransport } from "../client/_test_transport.ts";
import type { WorkQueue } from "../client/workqueue.ts";
import { FakeClock } from "../util/clock.ts";
import { RecordingLogger } from "../util/logger.ts";
import { FakeInformer } from "./_fake_informer.ts";
import { ENABLE_LB_LABEL, SERVICE_LB_CONTROLLER_NAME, ServiceLbController } from "./service_lb.ts";

function node(name: string, ip: string, options: { ready?: boolean; heartbeat?: string } = {}) {
  return {
    metadata: { name, resourceVersion: "1" },
    status: {
      conditions: [{
        type: "Ready",
        status: options.ready === false ? "False" : "True",
        lastHeartbeatTime: options.heartbeat ?? "2025-01-01T00:00:00Z",
      }],
      addresses: [{ type: "InternalIP", address: ip }, { type: "Hostname", address: name }],
    },
  } as Node;
}

function lb(name: string, options: {
  port?: number;
  created?: string;
  ingress?: string[];
  local?: boolean;
  type?: "LoadBalancer" | "ClusterIP";
  lbClass?: string;
} = {}): Service {
  return {
    metadata: {
      namespace: "default",
      name,
      uid: `uid-${name}`,
      resourceVersion: "1",
      creationTimestamp: options.created ?? "2025-01-01T00:00:00Z",
    },
    spec: {
      type: options.type ?? "LoadBalancer",
      ports: [{ port: options.port ?? 80, protocol: "TCP" }],
      ipFamilies: ["IPv4"],
      ...(options.local ? { externalTrafficPolicy: "Local" } : {}),
      ...(options.lbClass ? { loadBalancerClass: options.lbClass } : {}),
    },
    status: {
      loadBalancer: options.ingress
        ? { ingress: options.ingress.map((ip) => ({ ip, ipMode: "VIP" as const })) }
        : {},
    },
  };
}

interface Harness {
  readonly controller: ServiceLbController;
  readonly services: FakeInformer<Service>;
  readonly nodes: FakeInformer<Node>;
  readonly slices: FakeInformer<EndpointSlice>;
  readonly transport: ScriptedTransport;
  readonly events: { object: KubeObject; record: EventRecord }[];
  /** The status patches sent: Service name → the ingress IPs written (null: cleared). */
  patches(): { name: string; ingress: string[] | null }[];
  /** Takes every key from the queue. */
  drain(): Promise<string[]>;
}

function harness(options: { answer?: (req: RecordedRequest) => Response } = {}): Harness {
  const services = new FakeInformer<Service>();
  const nodes = new FakeInformer<Node>();
  const slices = new FakeInformer<EndpointSlice>();
  const transport = new ScriptedTransport((req) =>
    options.answer?.(req) ??
      new Response(JSON.stringify({ apiVersion: "v1", kind: "Service", metadata: {} }), {
        status: 200,
        headers: { "content-type": "application/json" },
      })
  );
  const events: { object: KubeObject; record: EventRecord }[] = [];
  const recorder: EventRecorder = { event: (object, record) => events.push({ object, record }) };
  const controller = new ServiceLbController({
    client: new Client(transport),
    serviceInformer: services,
    nodeInformer: nodes,
    endpointSliceInformer: slices,
    recorder,
    clock: new FakeClock(0),
    logger: new RecordingLogger(),
  });
  return {
    controller,
    services,
    nodes,
    slices,
    transport,
    events,
    patches() {
      return transport.requests.map((r) => {
        const body = r.body as {
          status: { loadBalancer: { ingress: { ip: string }[] | null } };
        };
        assert.equal(r.method, "PATCH");
        assert.equal(r.contentType, "application/merge-patch+json");
        assert.match(r.pathname, /^\/api\/v1\/namespaces\/default\/services\/[^/]+\/status$/);
        const ingress = body.status.loadBalancer.ingress;
        return {
          name: r.pathname.split("/")[6]!,
          ingress: ingress === null ? null : ingress.map((i) => i.ip),
        };
      });
    },
    async drain() {
      const queue = controller.queue as WorkQueue<string>;
      const out: string[] = [];
      while (queue.len() > 0) {
        const key = (await queue.get())!;
        queue.done(key);
        out.push(key);
      }
      return out.sort();
    },
  };
}

function eventsOf(h: Harness): string[] {
  return h.events.map((e) =>
    `${e.object.metadata?.name} ${e.record.type} ${e.record.reason}: ${e.record.message}`
  );
}

Deno.test("SERVICE_LB_CONTROLLER_NAME is k3s's --disable name", () => {
  assert.equal(SERVICE_LB_CONTROLLER_NAME, "servicelb");
});

Deno.test("ServiceLbController fills the ingress with the nodes' addresses and says so", async () => {
  const h = harness();
  h.nodes.add(node("b", "10.0.0.2"));
  h.nodes.add(node("a", "10.0.0.1"));
  h.services.add(lb("web"));
  await h.controller.sync("default/web");
  assert.deepEqual(h.patches(), [{ name: "web", ingress: ["10.0.0.1", "10.0.0.2"] }]);
  const body = h.transport.requests[0]!.body as Record<string, unknown>;
  assert.deepEqual(body, {
    status: {
      loadBalancer: {
        ingress: [{ ip: "10.0.0.1", ipMode: "VIP" }, { ip: "10.0.0.2", ipMode: "VIP" }],
      },
    },
  });
  assert.deepEqual(eventsOf(h), [
    "web Normal UpdatedLoadBalancer: Updated LoadBalancer with new IPs: [] -> [10.0.0.1 10.0.0.2]",
  ]);
});

Deno.test("ServiceLbController writes nothing when the status is already right", async () => {
  const h = harness();
  h.nodes.add(node("a", "10.0.0.1"));
  h.services.add(lb("web", { ingress: ["10.0.0.1"] }));
  await h.controller.sync("default/web");
  assert.equal(h.transport.requests.length, 0);
  assert.deepEqual(h.events, []);
});

Deno.test("ServiceLbController follows nodes becoming unready and going", async () => {
  const h = harness();
  h.nodes.add(node("a", "10.0.0.1"));
  h.nodes.add(node("b", "10.0.0.2"));
  h.services.add(lb("web", { ingress: ["10.0.0.1", "10.0.0.2"] }));
  h.services.add(lb("db", { port: 5432, type: "ClusterIP" }));
  await h.drain();
  // A heartbeat changes nothing that matters: nothing is queued.
  h.nodes.update(node("a", "10.0.0.1", { heartbeat: "2025-01-01T00:00:10Z" }));
  assert.deepEqual(await h.drain(), []);
  // An unready node: every ServiceLB Service is looked at again (not the ClusterIP one).
  h.nodes.update(node("a", "10.0.0.1", { ready: false }));
  assert.deepEqual(await h.drain(), ["default/web"]);
  await h.controller.sync("default/web");
  assert.deepEqual(h.patches(), [{ name: "web", ingress: ["10.0.0.2"] }]);
  h.services.update(lb("web", { ingress: ["10.0.0.2"] }));
  h.nodes.delete(node("b", "10.0.0.2"));
  assert.deepEqual(await h.drain(), ["default/web"]);
  await h.controller.sync("default/web");
  assert.deepEqual(h.patches()[1], { name: "web", ingress: null });
  assert.deepEqual(eventsOf(h), [
    "web Normal UpdatedLoadBalancer: Updated LoadBalancer with new IPs: [10.0.0.1 10.0.0.2] -> [10.0.0.2]",
    "web Warning UnAvailableLoadBalancer: There are no available nodes for LoadBalancer",
  ]);
});

Deno.test("ServiceLbController keeps a Service whose port is taken pending, warns once, and serves it once the port is free", async () => {
  const h = harness();
  h.nodes.add(node("a", "10.0.0.1"));
  h.services.add(lb("old", { ingress: ["10.0.0.1"] }));
  h.services.add(lb("young", { created: "2025-01-02T00:00:00Z" }));
  await h.drain();
  await h.controller.sync("default/young");
  await h.controller.sync("default/young");
  assert.equal(h.transport.requests.length, 0, "pending from the start: no status to write");
  assert.deepEqual(eventsOf(h), [
    "young Warning UnAvailableLoadBalancer: There are no available nodes for LoadBalancer: " +
    "80/TCP already used by LoadBalancer Service default/old on every node",
  ]);
  assert.deepEqual(h.controller.assignmentFor("default/young")?.pending, {
    reason: "PortsInUse",
    ports: ["80/TCP"],
    holders: ["default/old"],
  });
  // The old one moves to another port: both are looked at again, and the young one is served.
  h.services.update({ ...lb("old", { ingress: ["10.0.0.1"], port: 8080 }) });
  assert.deepEqual(await h.drain(), ["default/old", "default/young"]);
  await h.controller.sync("default/young");
  await h.controller.sync("default/old");
  assert.deepEqual(h.patches(), [{ name: "young", ingress: ["10.0.0.1"] }]);
});

Deno.test("ServiceLbController clears the ingress of a Service that is no LoadBalancer, and leaves other classes alone", async () => {
  const h = harness();
  h.nodes.add(node("a", "10.0.0.1"));
  h.services.add(lb("was", { type: "ClusterIP", ingress: ["10.0.0.1"] }));
  h.services.add(lb("theirs", { lbClass: "example.com/lb", ingress: ["198.51.100.7"] }));
  h.services.add(lb("pending-theirs", { lbClass: "example.com/lb" }));
  for (const key of await h.drain()) await h.controller.sync(key);
  assert.deepEqual(h.patches(), [{ name: "was", ingress: null }]);
  assert.deepEqual(h.events, []);
});

Deno.test("ServiceLbController looks again at Local Services when their endpoints move", async () => {
  const h = harness();
  h.nodes.add(node("a", "10.0.0.1"));
  h.nodes.add(node("b", "10.0.0.2"));
  h.services.add(lb("local", { local: true }));
  h.services.add(lb("cluster", { port: 81 }));
  await h.drain();
  const slice = (service: string, nodeName: string) =>
    ({
      metadata: {
        namespace: "default",
        name: `${service}-x`,
        labels: { "kubernetes.io/service-name": service },
      },
      addressType: "IPv4",
      endpoints: [{
        addresses: ["10.42.1.5"],
        conditions: { ready: true },
        nodeName,
        targetRef: { kind: "Pod", name: "p" },
      }],
    }) as EndpointSlice;
  h.slices.add(slice("cluster", "a"));
  assert.deepEqual(await h.drain(), [], "a Cluster policy Service does not care");
  h.slices.add(slice("local", "b"));
  assert.deepEqual(await h.drain(), ["default/local"]);
  await h.controller.sync("default/local");
  assert.deepEqual(h.patches(), [{ name: "local", ingress: ["10.0.0.2"] }]);
});

Deno.test("ServiceLbController re-plans when a node opts in with the enablelb label", async () => {
  const h = harness();
  h.nodes.add(node("a", "10.0.0.1"));
  h.nodes.add(node("b", "10.0.0.2"));
  h.services.add(lb("web", { ingress: ["10.0.0.1", "10.0.0.2"] }));
  await h.drain();
  const labelled = node("b", "10.0.0.2");
  h.nodes.update({
    ...labelled,
    metadata: { ...labelled.metadata, labels: { [ENABLE_LB_LABEL]: "true" } },
  });
  assert.deepEqual(await h.drain(), ["default/web"]);
  await h.controller.sync("default/web");
  assert.deepEqual(h.patches(), [{ name: "web", ingress: ["10.0.0.2"] }]);
});

Deno.test("ServiceLbController.sync() ignores a Service gone meanwhile and retries other failures", async (t) => {
  await t.step("not found", async () => {
    const h = harness({
      answer: () =>
        new Response(
          JSON.stringify({ kind: "Status", code: 404, reason: "NotFound", message: "gone" }),
          { status: 404, headers: { "content-type": "application/json" } },
        ),
    });
    h.nodes.add(node("a", "10.0.0.1"));
    h.services.add(lb("web"));
    await h.controller.sync("default/web");
    assert.deepEqual(h.events, []);
  });
  await t.step("a server error throws (retried with backoff)", async () => {
    const h = harness({
      answer: () =>
        new Response(JSON.stringify({ kind: "Status", code: 500, message: "etcd is down" }), {
          status: 500,
          headers: { "content-type": "application/json" },
        }),
    });
    h.nodes.add(node("a", "10.0.0.1"));
    h.services.add(lb("web"));
    await assert.rejects(h.controller.sync("default/web"));
    assert.deepEqual(h.events, []);
  });
  await t.step("a deleted Service is forgotten", async () => {
    const h = harness();
    await h.controller.sync("default/nothing");
    assert.equal(h.transport.requests.length, 0);
  });
});
