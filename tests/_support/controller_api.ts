/**
 * The in-process API for controller tests: the real API app over memory storage (bootstrapped
 * as a fresh cluster, everything admitted as a cluster admin) with a typed {@linkcode Client}
 * on it, plus what tests of Service backends need — nodes, pods that a stand-in kubelet marks
 * Running and Ready by writing their status — and {@linkcode until}, which polls a condition in
 * real time with a bound.
 *
 * Controllers may not import `control/api` (layering); their tests reach it through here.
 *
 * @example Start the API and make a ready pod
 * ```ts ignore
 * await using api = await startControllerApi();
 * await createNode(api.client, { name: "node-1" });
 * await createPod(api.client, { namespace: "default", name: "web-0", labels: { app: "web" } });
 * await setPodStatus(api.client, { namespace: "default", name: "web-0", podIP: "10.42.0.5" });
 * ```
 *
 * @module
 */
import { createTestApp, type TestApp } from "../../control/api/_test_app.ts";
import type { Node } from "../../control/api/types/core_v1_node.ts";
import type { ContainerPort, Pod } from "../../control/api/types/core_v1_pod.ts";
import { Client } from "../../control/client/client.ts";
import { NODES, PODS } from "../../control/client/resources.ts";
import type { Transport, TransportRequestOptions } from "../../control/client/transport.ts";

export { until, type UntilOptions } from "./until.ts";

/** The in-process API and a client on it; dispose it to stop the app. */
export interface ControllerApi extends AsyncDisposable {
  readonly app: TestApp;
  /** A typed client as a cluster admin (its `transport` is the app's in-process client). */
  readonly client: Client;
  readonly transport: Transport;
}

/** Options of {@linkcode startControllerApi}. */
export interface ControllerApiOptions {
  /** Wraps the in-process transport (to record or fail requests). */
  readonly wrap?: (transport: Transport) => Transport;
}

/** Starts the API app and bootstraps it. */
export async function startControllerApi(
  options: ControllerApiOptions = {},
): Promise<ControllerApi> {
  const app = await createTestApp();
  const base: Transport = {
    request: (method: string, path: string, opts?: TransportRequestOptions) =>
      app.client.request(method, path, opts ?? {}),
  };
  const transport = options.wrap ? options.wrap(base) : base;
  return {
    app,
    client: new Client(transport, { fieldManager: "controller-test" }),
    transport,
    async [Symbol.asyncDispose]() {
      await app[Symbol.asyncDispose]();
    },
  };
}

/** What {@linkcode createNode} makes. */
export interface TestNode {
  readonly name: string;
  readonly labels?: Readonly<Record<string, string>>;
}

/** Creates a Node. */
export async function createNode(client: Client, node: TestNode): Promise<Node> {
  return await client.resource(NODES).create({
    apiVersion: "v1",
    kind: "Node",
    metadata: { name: node.name, ...(node.labels ? { labels: { ...node.labels } } : {}) },
  });
}

/** What {@linkcode createPod} makes. */
export interface TestPod {
  readonly namespace: string;
  readonly name: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** Bound to this node when set. */
  readonly nodeName?: string;
  /** The container's ports. */
  readonly ports?: readonly ContainerPort[];
  readonly finalizers?: readonly string[];
  readonly terminationGracePeriodSeconds?: number;
  readonly hostname?: string;
  readonly subdomain?: string;
}

/** Creates a pod with one busybox container. */
export async function createPod(client: Client, pod: TestPod): Promise<Pod> {
  return await client.resource(PODS).create({
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      namespace: pod.namespace,
      name: pod.name,
      ...(pod.labels ? { labels: { ...pod.labels } } : {}),
      ...(pod.finalizers ? { finalizers: [...pod.finalizers] } : {}),
    },
    spec: {
      containers: [{
        name: "main",
        image: "busybox",
        ...(pod.ports ? { ports: pod.ports.map((p) => ({ ...p })) } : {}),
      }],
      ...(pod.nodeName ? { nodeName: pod.nodeName } : {}),
      ...(pod.terminationGracePeriodSeconds !== undefined
        ? { terminationGracePeriodSeconds: pod.terminationGracePeriodSeconds }
        : {}),
      ...(pod.hostname ? { hostname: pod.hostname } : {}),
      ...(pod.subdomain ? { subdomain: pod.subdomain } : {}),
    },
  });
}

/** What {@linkcode setPodStatus} writes. */
export interface TestPodStatus {
  readonly namespace: string;
  readonly name: string;
  readonly podIP: string;
  /** @default {true} */
  readonly ready?: boolean;
  /** @default {"Running"} */
  readonly phase?: "Pending" | "Running" | "Succeeded" | "Failed";
  /** The Ready condition's lastTransitionTime. @default {now} */
  readonly readySince?: string;
}

/**
 * Writes a pod's status as a kubelet would: phase, pod IP and the Ready condition (through the
 * status subresource, reading the pod first for its resourceVersion).
 */
export async function setPodStatus(client: Client, status: TestPodStatus): Promise<Pod> {
  const pods = client.resource(PODS);
  const pod = await pods.get(status.name, { namespace: status.namespace });
  const ready = status.ready ?? true;
  const since = status.readySince ?? new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  const conditions = (pod.status?.conditions ?? []).filter((c) => c.type !== "Ready");
  const previous = pod.status?.conditions?.find((c) => c.type === "Ready");
  const readyStatus = ready ? "True" : "False";
  conditions.push({
    type: "Ready",
    status: readyStatus,
    lastTransitionTime: previous?.status === readyStatus && previous.lastTransitionTime
      ? previous.lastTransitionTime
      : since,
  });
  pod.status = {
    ...pod.status,
    phase: status.phase ?? "Running",
    podIP: status.podIP,
    podIPs: [{ ip: status.podIP }],
    conditions,
  };
  return await pods.updateStatus(pod);
}
