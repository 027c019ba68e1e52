/**
 * The scheduler against the real API app in process (routing, validation, admission, watch
 * caches, pods/binding, strategic merge patches, event conversion), with fake Node objects and
 * no agent, on the real clock: binding, FailedScheduling events and the PodScheduled condition,
 * requeue when a node is added, node selectors, taints, spreading over an unknown topology key,
 * other schedulers' pods, scheduling gates, and leader election between two schedulers. One
 * test runs the real `skiff server` process, where the scheduler works as `system:kube-scheduler`
 * under RBAC and stops cleanly on SIGTERM.
 */
import assert from "node:assert/strict";
import type { Event as CoreEvent } from "../../control/api/types/core_v1_event.ts";
import type { Node } from "../../control/api/types/core_v1_node.ts";
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import type { Event } from "../../control/api/types/events_v1.ts";
import { Client } from "../../control/client/client.ts";
import { isNotFound } from "../../control/client/errors.ts";
import { CORE_EVENTS, EVENTS, LEASES, NODES, PODS } from "../../control/client/resources.ts";
import { HttpsTransport } from "../../control/client/transport.ts";
import { runScheduler, type RunSchedulerOptions } from "../../control/scheduler/run_scheduler.ts";
import { systemClock } from "../../control/util/clock.ts";
import { RecordingLogger } from "../../control/util/logger.ts";
import { startControllerApi, until } from "../_support/controller_api.ts";
import { startTestServer } from "../_support/skiff_server.ts";

/** Short backoffs keep retries quick; the flow is the one a cluster runs. */
const FAST = { podInitialBackoffMs: 50, podMaxBackoffMs: 100 } as const;

interface NodeSpec {
  readonly name: string;
  readonly cpu?: string;
  readonly labels?: Record<string, string>;
  readonly taints?: NonNullable<Node["spec"]>["taints"];
}

async function createNode(client: Client, spec: NodeSpec): Promise<void> {
  const nodes = client.resource(NODES);
  // Nodes take their status on create (as a kubelet registers): a later status update could
  // race the server's nodeipam controller setting spec.podCIDR.
  await nodes.create({
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name: spec.name,
      labels: { "kubernetes.io/hostname": spec.name, ...spec.labels },
    },
    spec: spec.taints ? { taints: spec.taints } : {},
    status: {
      allocatable: { cpu: spec.cpu ?? "2", memory: "4Gi", pods: "110" },
      capacity: { cpu: spec.cpu ?? "2", memory: "4Gi", pods: "110" },
      conditions: [{ type: "Ready", status: "True" }],
    },
  });
}

async function createPod(
  client: Client,
  name: string,
  spec: Partial<NonNullable<Pod["spec"]>> & { cpu?: string } = {},
): Promise<void> {
  const { cpu, ...rest } = spec;
  await client.resource(PODS).create({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { namespace: "default", name },
    spec: {
      containers: [{
        name: "main",
        image: "busybox",
        ...cpu ? { resources: { requests: { cpu } } } : {},
      }],
      ...rest,
    },
  });
}

async function getPod(client: Client, name: string): Promise<Pod> {
  return await client.resource(PODS).get(name, { namespace: "default" });
}

async function nodeOf(client: Client, name: string): Promise<string | undefined> {
  return (await getPod(client, name)).spec?.nodeName;
}

async function eventsAbout(client: Client, name: string): Promise<Event[]> {
  const list = await client.resource(EVENTS).list({ namespace: "default" });
  return list.items.filter((e) => e.regarding?.name === name);
}

async function withScheduler(
  fn: (client: Client, logger: RecordingLogger) => Promise<void>,
  options: Partial<RunSchedulerOptions> = {},
): Promise<void> {
  await using api = await startControllerApi();
  const logger = new RecordingLogger();
  const stop = new AbortController();
  const running = runScheduler({
    client: api.client,
    clock: systemClock,
    logger,
    identity: "test",
    hostname: "test-host",
    signal: stop.signal,
    leaderElection: false,
    schedulerOptions: FAST,
    ...options,
  });
  try {
    await until(() => logger.messages().includes("Scheduler caches synced"), {
      what: "the scheduler's caches",
    });
    await fn(api.client, logger);
  } finally {
    stop.abort();
    await running;
  }
}

Deno.test("the scheduler binds pods to a node that fits and records Scheduled", async () => {
  await withScheduler(async (client) => {
    await createNode(client, { name: "small", cpu: "1" });
    await createNode(client, { name: "big", cpu: "4" });
    await createPod(client, "web", { cpu: "2" });
    await until(async () => await nodeOf(client, "web") === "big", { what: "web's binding" });
    const pod = await getPod(client, "web");
    const scheduled = pod.status?.conditions?.find((c) => c.type === "PodScheduled");
    assert.equal(scheduled?.status, "True");
    await until(async () => (await eventsAbout(client, "web")).length > 0, { what: "an event" });
    const [event] = await eventsAbout(client, "web");
    assert.equal(event!.reason, "Scheduled");
    assert.equal(event!.action, "Binding");
    assert.equal(event!.type, "Normal");
    assert.equal(event!.note, "Successfully assigned default/web to big");
    assert.equal(event!.reportingController, "default-scheduler");
    assert.equal(event!.reportingInstance, "default-scheduler-test-host");
    // What `kubectl describe pod` reads: core/v1 events about the pod.
    const core = await client.resource(CORE_EVENTS).list({
      namespace: "default",
      fieldSelector: "involvedObject.name=web,involvedObject.kind=Pod",
    });
    const described = core.items[0] as CoreEvent;
    assert.equal(described.reason, "Scheduled");
    assert.equal(described.message, "Successfully assigned default/web to big");
    assert.equal(described.reportingComponent, "default-scheduler");
    assert.equal(described.involvedObject?.uid, pod.metadata?.uid);
  });
});

Deno.test("an unschedulable pod stays Pending with FailedScheduling and is scheduled once a node fits", async () => {
  await withScheduler(async (client) => {
    await createNode(client, { name: "a", cpu: "1" });
    await createNode(client, { name: "b", cpu: "1" });
    await createPod(client, "big", { cpu: "3" });
    const message = "0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are " +
      "available: 2 Preemption is not helpful for scheduling.";
    await until(async () => {
      const c = (await getPod(client, "big")).status?.conditions?.find((c) =>
        c.type === "PodScheduled"
      );
      return c?.message === message;
    }, { what: "the PodScheduled condition" });
    const pod = await getPod(client, "big");
    const condition = pod.status?.conditions?.find((c) => c.type === "PodScheduled");
    assert.equal(condition?.status, "False");
    assert.equal(condition?.reason, "Unschedulable");
    assert.equal(pod.status?.phase, "Pending");
    assert.equal(pod.spec?.nodeName, undefined);
    await until(async () => (await eventsAbout(client, "big")).length > 0, { what: "the event" });
    const [failed] = await eventsAbout(client, "big");
    assert.equal(failed!.reason, "FailedScheduling");
    assert.equal(failed!.type, "Warning");
    assert.equal(failed!.action, "Scheduling");
    assert.equal(failed!.note, message);
    // A node with room arrives: the pending pod is retried without anything else changing.
    await createNode(client, { name: "c", cpu: "4" });
    await until(async () => await nodeOf(client, "big") === "c", { what: "big's binding" });
  });
});

Deno.test("node selectors, taints and spread constraints steer pods, or keep them Pending", async () => {
  await withScheduler(async (client) => {
    await createNode(client, { name: "hdd", labels: { disk: "hdd" } });
    await createNode(client, { name: "ssd", labels: { disk: "ssd" } });
    await createNode(client, {
      name: "gpu",
      labels: { disk: "ssd" },
      taints: [{ key: "dedicated", value: "gpu", effect: "NoSchedule" }],
    });
    await createPod(client, "db", { nodeSelector: { disk: "ssd" } });
    await createPod(client, "trainer", {
      nodeSelector: { disk: "ssd" },
      tolerations: [{ key: "dedicated", operator: "Equal", value: "gpu", effect: "NoSchedule" }],
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{
              matchExpressions: [{
                key: "kubernetes.io/hostname",
                operator: "In",
                values: ["gpu"],
              }],
            }],
          },
        },
      },
    });
    await createPod(client, "nowhere", { nodeSelector: { disk: "nvme" } });
    await createPod(client, "racked", {
      topologySpreadConstraints: [{
        maxSkew: 1,
        topologyKey: "example.com/rack",
        whenUnsatisfiable: "DoNotSchedule",
        labelSelector: { matchLabels: { app: "racked" } },
      }],
    });
    await until(async () => await nodeOf(client, "db") === "ssd", { what: "db on ssd" });
    await until(async () => await nodeOf(client, "trainer") === "gpu", { what: "trainer on gpu" });
    const reasons = async (name: string) =>
      (await getPod(client, name)).status?.conditions?.find((c) => c.type === "PodScheduled")
        ?.message;
    await until(async () => (await reasons("nowhere")) !== undefined, { what: "nowhere's reason" });
    assert.equal(
      await reasons("nowhere"),
      "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 node(s) " +
        "didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: " +
        "3 Preemption is not helpful for scheduling.",
    );
    await until(async () => (await reasons("racked")) !== undefined, { what: "racked's reason" });
    assert.match(
      (await reasons("racked"))!,
      /^0\/3 nodes are available: .*node\(s\) didn't match pod topology spread constraints \(missing required label\)/,
    );
    assert.equal(await nodeOf(client, "nowhere"), undefined);
    assert.equal(await nodeOf(client, "racked"), undefined);
  });
});

Deno.test("pods for another scheduler are left alone; gated pods wait for their gates", async () => {
  await withScheduler(async (client) => {
    await createNode(client, { name: "a" });
    await createPod(client, "other", { schedulerName: "gpu-scheduler" });
    await createPod(client, "gated", { schedulingGates: [{ name: "example.com/quota" }] });
    await createPod(client, "plain");
    await until(async () => await nodeOf(client, "plain") === "a", { what: "plain's binding" });
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(await nodeOf(client, "other"), undefined);
    assert.equal(await nodeOf(client, "gated"), undefined);
    assert.deepEqual(await eventsAbout(client, "other"), []);
    assert.deepEqual(await eventsAbout(client, "gated"), [], "a gated pod is not unschedulable");
    const gated = await getPod(client, "gated");
    await client.resource(PODS).update({ ...gated, spec: { ...gated.spec!, schedulingGates: [] } });
    await until(async () => await nodeOf(client, "gated") === "a", { what: "gated's binding" });
  });
});

Deno.test("of two schedulers under leader election only the leader binds, and a standby takes over", async () => {
  await using api = await startControllerApi();
  const client = api.client;
  await createNode(client, { name: "a", cpu: "8" });
  const timings = { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 100 };
  const start = (identity: string) => {
    const logger = new RecordingLogger();
    const stop = new AbortController();
    const done = runScheduler({
      client,
      clock: systemClock,
      logger,
      identity,
      hostname: identity,
      signal: stop.signal,
      leaderElection: timings,
      schedulerOptions: FAST,
    });
    return { logger, stop, done };
  };
  const one = start("one");
  await until(() => one.logger.messages().includes("Scheduler caches synced"), {
    what: "one to lead",
  });
  const two = start("two");
  try {
    await until(() => two.logger.messages().includes("Attempting to acquire leader lease"), {
      what: "two to campaign",
    });
    for (const name of ["p1", "p2", "p3"]) await createPod(client, name);
    for (const name of ["p1", "p2", "p3"]) {
      await until(async () => await nodeOf(client, name) === "a", { what: `${name}'s binding` });
    }
    const instances = async (name: string) =>
      (await eventsAbout(client, name)).map((e) => e.reportingInstance);
    for (const name of ["p1", "p2", "p3"]) {
      await until(async () => (await instances(name)).length === 1, { what: `${name}'s event` });
      assert.deepEqual(await instances(name), ["default-scheduler-one"]);
    }
    assert.ok(!two.logger.messages().includes("Starting scheduler"), "the standby waits");
    // The leader stops cleanly: it releases the lease and the standby schedules.
    one.stop.abort();
    await one.done;
    await createPod(client, "p4");
    await until(async () => await nodeOf(client, "p4") === "a", { what: "p4's binding" });
    await until(async () => (await instances("p4")).length === 1, { what: "p4's event" });
    assert.deepEqual(await instances("p4"), ["default-scheduler-two"]);
  } finally {
    one.stop.abort();
    two.stop.abort();
    await Promise.all([one.done, two.done]);
  }
});

Deno.test("skiff server schedules pods as system:kube-scheduler and stops it on SIGTERM", async () => {
  await using server = await startTestServer();
  const transport = HttpsTransport.fromKubeconfig(await Deno.readTextFile(server.kubeconfig));
  try {
    const client = new Client(transport);
    await createNode(client, { name: "edge-1" });
    await createPod(client, "web");
    await createPod(client, "huge", { cpu: "64" });
    // Binding, events and the status patch all pass the scheduler's RBAC role.
    await until(async () => await nodeOf(client, "web") === "edge-1", {
      timeoutMs: 30_000,
      what: "web's binding",
    });
    await until(async () => (await eventsAbout(client, "web")).length > 0, { what: "the event" });
    assert.equal((await eventsAbout(client, "web"))[0]!.reason, "Scheduled");
    await until(
      async () =>
        (await getPod(client, "huge")).status?.conditions?.some((c) =>
          c.type === "PodScheduled" && c.reason === "Unschedulable"
        ) ?? false,
      { what: "huge's PodScheduled condition" },
    );
    // On the kv datastore, which only this server can open, nobody elects: no Lease is written.
    await assert.rejects(
      client.resource(LEASES).get("kube-scheduler", { namespace: "kube-system" }),
      (err) => isNotFound(err),
    );
  } finally {
    transport[Symbol.dispose]();
  }
  await server.halt();
  const log = server.logTail(400);
  assert.ok(log.includes('"msg":"Shutting down scheduler"'), log);
  assert.ok(!log.includes('"level":"error"'), log);
});
