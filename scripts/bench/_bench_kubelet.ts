/**
 * The stand-in kubelet (and scheduler) of `deno task bench controllers`, leaner than
 * `tests/_support/fake_kubelet.ts` so that it is not what the benchmark measures: one
 * cluster-wide pod watch and a pool of keep-alive HTTP/1.1 connections (`_http1_pool.ts`, no
 * `fetch`, no informer), and for every pod, from its latest watched state:
 *
 * - not bound and not being deleted → `POST pods/binding` to the next fake node, round-robin;
 * - bound and not yet Running and Ready → one `PUT pods/status` (Running, `PodScheduled`,
 *   `Initialized`, `ContainersReady` and `Ready` True, pod and host IPs, a running container
 *   status per container);
 * - bound and being deleted → `DELETE` with `gracePeriodSeconds: 0` and a uid precondition, as
 *   a kubelet does once the containers stopped.
 *
 * It also registers its nodes (Ready) and renews each one's heartbeat Lease
 * `kube-node-lease/<node>` every 10 s (a kubelet's default), so that the node lifecycle
 * controller sees them alive. A key is worked on by one request at a time (a newer event meanwhile makes it go round
 * again), as many keys at once as the pool has connections. Conflicts (409) and missing pods
 * (404) are expected races and left to the next event. Every watch event is also passed to the
 * listeners, with the time it was read, for the benchmark's completion checks.
 *
 * @module
 */
import type { TlsOptions } from "./_http1_client.ts";
import { Http1Connection } from "./_http1_client.ts";
import { Http1Pool } from "./_http1_pool.ts";

/** The parts of a pod the kubelet reads (the rest is kept and written back as is). */
export interface BenchPod {
  readonly metadata: {
    readonly name: string;
    readonly namespace: string;
    readonly uid?: string;
    readonly resourceVersion?: string;
    readonly deletionTimestamp?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly [k: string]: unknown;
  };
  readonly spec?: {
    readonly nodeName?: string;
    readonly containers?: readonly { readonly name: string; readonly image?: string }[];
    readonly [k: string]: unknown;
  };
  readonly status?: {
    readonly phase?: string;
    readonly podIP?: string;
    readonly conditions?: readonly { readonly type: string; readonly status: string }[];
    readonly [k: string]: unknown;
  };
  readonly [k: string]: unknown;
}

/** A watch event as the listeners get it. */
export interface BenchPodEvent {
  readonly type: "ADDED" | "MODIFIED" | "DELETED";
  readonly pod: BenchPod;
  /** `performance.now()` when the event was read. */
  readonly at: number;
}

/** What the kubelet does next for a pod. */
export type KubeletAction = "bind" | "ready" | "finish" | null;

/** Whether the pod's `Ready` condition is True. */
export function isReady(pod: BenchPod): boolean {
  return pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}

/** What a kubelet (and the stand-in scheduler) does next for `pod`; null for nothing. */
export function kubeletAction(pod: BenchPod): KubeletAction {
  const bound = (pod.spec?.nodeName ?? "") !== "";
  if (pod.metadata.deletionTimestamp) return bound ? "finish" : null;
  if (!bound) return "bind";
  const phase = pod.status?.phase;
  if (phase === "Succeeded" || phase === "Failed") return null;
  if (phase === "Running" && pod.status?.podIP && isReady(pod)) return null;
  return "ready";
}

/** Options of {@linkcode BenchKubelet.start}. */
export interface BenchKubeletOptions {
  /** Fake nodes `bench-node-0`… to register and bind to. */
  readonly nodes: number;
  /** Connections, so requests in flight at once. */
  readonly connections: number;
}

/** Request counts of a {@linkcode BenchKubelet}. */
export interface BenchKubeletCounts {
  leaseRenewals: number;
  binds: number;
  statusWrites: number;
  finishes: number;
  /** 409 and 404 answers (races with a newer event). */
  races: number;
}

const LEASES = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases";
/** How often a kubelet renews its Lease (a quarter of its 40 s duration). */
const LEASE_RENEW_MS = 10_000;

/** A `metav1.MicroTime` text. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, "000Z");
}

function leaseBody(node: string, nodeUid: string | undefined): Record<string, unknown> {
  return {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: {
      name: node,
      namespace: "kube-node-lease",
      ...(nodeUid
        ? {
          ownerReferences: [{ apiVersion: "v1", kind: "Node", name: node, uid: nodeUid }],
        }
        : {}),
    },
    spec: { holderIdentity: node, leaseDurationSeconds: 40, renewTime: microTime(Date.now()) },
  };
}

function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function keyOf(pod: BenchPod): string {
  return `${pod.metadata.namespace}/${pod.metadata.name}`;
}

/** Binds, readies and finishes deleting pods; tells listeners every pod event. */
export class BenchKubelet {
  readonly counts: BenchKubeletCounts = {
    leaseRenewals: 0,
    binds: 0,
    statusWrites: 0,
    finishes: 0,
    races: 0,
  };
  readonly #pool: Http1Pool;
  readonly #watchConn: Http1Connection;
  readonly #nodes: number;
  readonly #pods = new Map<string, BenchPod>();
  readonly #queue: string[] = [];
  readonly #queued = new Set<string>();
  readonly #inflight = new Set<string>();
  readonly #dirty = new Set<string>();
  readonly #listeners = new Set<(ev: BenchPodEvent) => void>();
  readonly #podIps = new Map<string, string>();
  #free: number;
  #nextNode = 0;
  #nextIp = 0;
  #stopped = false;
  #watching: Promise<void> = Promise.resolve();
  readonly #leases = new Map<string, Record<string, unknown>>();
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #renewing: Promise<void> = Promise.resolve();
  /** Errors other than races; the benchmark reports them. */
  readonly errors: string[] = [];

  /** Use {@linkcode BenchKubelet.start}. */
  constructor(
    parts: { readonly pool: Http1Pool; readonly watchConn: Http1Connection; nodes: number },
  ) {
    this.#pool = parts.pool;
    this.#watchConn = parts.watchConn;
    this.#nodes = parts.nodes;
    this.#free = parts.pool.size;
  }

  /** Registers the nodes and starts watching pods (from now on). */
  static async start(tls: TlsOptions, options: BenchKubeletOptions): Promise<BenchKubelet> {
    const pool = await Http1Pool.open(tls, options.connections);
    const leases = new Map<string, Record<string, unknown>>();
    for (let i = 0; i < options.nodes; i++) {
      const res = await pool.expect([201, 409], {
        method: "POST",
        path: "/api/v1/nodes",
        body: nodeBody(i),
      });
      const uid = res.status === 201
        ? (JSON.parse(res.text) as { metadata: { uid: string } }).metadata.uid
        : undefined;
      const lease = await pool.expect([201], {
        method: "POST",
        path: `${LEASES}`,
        body: leaseBody(`bench-node-${i}`, uid),
      });
      leases.set(`bench-node-${i}`, JSON.parse(lease.text));
    }
    const list = await pool.expect([200], { method: "GET", path: "/api/v1/pods?limit=1" });
    const rv = (JSON.parse(list.text) as { metadata: { resourceVersion: string } }).metadata
      .resourceVersion;
    const conn = await Http1Connection.connect(tls);
    const kubelet = new BenchKubelet({ pool, watchConn: conn, nodes: options.nodes });
    for (const [name, lease] of leases) kubelet.#leases.set(name, lease);
    let busy = false;
    kubelet.#heartbeat = setInterval(() => {
      // A slow server may take longer than the period: never two renewals at once.
      if (busy) return;
      busy = true;
      kubelet.#renewing = kubelet.#renewLeases().finally(() => busy = false);
    }, LEASE_RENEW_MS);
    kubelet.#watching = conn.watch(
      `/api/v1/pods?watch=true&resourceVersion=${rv}`,
      (line) => kubelet.#onLine(line),
    ).catch((err) => void kubelet.errors.push(`pod watch: ${String(err)}`));
    return kubelet;
  }

  /** The pods the kubelet has seen and not seen deleted. */
  get pods(): ReadonlyMap<string, BenchPod> {
    return this.#pods;
  }

  /** Calls `fn` for each pod event from now on; returns a function that stops that. */
  listen(fn: (ev: BenchPodEvent) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#heartbeat);
    await this.#renewing;
    this.#watchConn.close();
    await this.#watching;
    this.#pool.close();
  }

  async #renewLeases(): Promise<void> {
    await Promise.all([...this.#leases].map(async ([name, lease]) => {
      const spec = lease.spec as Record<string, unknown>;
      const res = await this.#pool.request("PUT", `${LEASES}/${name}`, {
        ...lease,
        spec: { ...spec, renewTime: microTime(Date.now()) },
      });
      if (res.status === 200) {
        this.counts.leaseRenewals++;
        this.#leases.set(name, JSON.parse(res.text));
      } else if (res.status === 409) {
        // Someone else wrote it (the node lifecycle controller does not, but be safe): reread.
        const got = await this.#pool.request("GET", `${LEASES}/${name}`);
        if (got.status === 200) this.#leases.set(name, JSON.parse(got.text));
      } else if (!this.#stopped) {
        this.errors.push(`lease ${name}: ${res.status} ${res.text.slice(0, 200)}`);
      }
    })).catch((err) => {
      if (!this.#stopped) this.errors.push(`leases: ${String(err)}`);
    });
  }

  #onLine(line: string): boolean {
    if (this.#stopped) return false;
    if (line.trim() === "") return true;
    const at = performance.now();
    const ev = JSON.parse(line) as { type: string; object: BenchPod };
    if (ev.type !== "ADDED" && ev.type !== "MODIFIED" && ev.type !== "DELETED") {
      if (ev.type === "ERROR") this.errors.push(`pod watch: ${line.slice(0, 300)}`);
      return true;
    }
    const key = keyOf(ev.object);
    if (ev.type === "DELETED") {
      this.#pods.delete(key);
      this.#podIps.delete(key);
    } else {
      this.#pods.set(key, ev.object);
      this.#enqueue(key);
    }
    const event: BenchPodEvent = { type: ev.type, pod: ev.object, at };
    for (const fn of this.#listeners) fn(event);
    return true;
  }

  #enqueue(key: string): void {
    if (this.#inflight.has(key)) {
      this.#dirty.add(key);
      return;
    }
    if (this.#queued.has(key)) return;
    this.#queued.add(key);
    this.#queue.push(key);
    this.#pump();
  }

  #pump(): void {
    while (this.#free > 0 && this.#queue.length > 0 && !this.#stopped) {
      const key = this.#queue.shift()!;
      this.#queued.delete(key);
      const pod = this.#pods.get(key);
      if (!pod) continue;
      const action = kubeletAction(pod);
      if (action === null) continue;
      this.#free--;
      this.#inflight.add(key);
      this.#act(action, pod).catch((err) => {
        if (!this.#stopped) this.errors.push(`${action} ${key}: ${String(err)}`);
      }).finally(() => {
        this.#free++;
        this.#inflight.delete(key);
        if (this.#dirty.delete(key)) this.#enqueue(key);
        this.#pump();
      });
    }
  }

  async #act(action: Exclude<KubeletAction, null>, pod: BenchPod): Promise<void> {
    const { namespace, name, uid } = pod.metadata;
    const base = `/api/v1/namespaces/${namespace}/pods/${name}`;
    let status: number;
    let text: string;
    if (action === "bind") {
      const node = `bench-node-${this.#nextNode++ % this.#nodes}`;
      ({ status, text } = await this.#pool.request("POST", `${base}/binding`, {
        apiVersion: "v1",
        kind: "Binding",
        metadata: { name, namespace, ...(uid ? { uid } : {}) },
        target: { apiVersion: "v1", kind: "Node", name: node },
      }));
      if (status === 201) this.counts.binds++;
    } else if (action === "finish") {
      ({ status, text } = await this.#pool.request("DELETE", base, {
        apiVersion: "v1",
        kind: "DeleteOptions",
        gracePeriodSeconds: 0,
        preconditions: { uid },
      }));
      if (status === 200) this.counts.finishes++;
    } else {
      ({ status, text } = await this.#pool.request("PUT", `${base}/status`, this.#running(pod)));
      if (status === 200) this.counts.statusWrites++;
    }
    if (status === 409 || status === 404) {
      this.counts.races++;
      return;
    }
    if (status >= 300) throw new Error(`${status} ${text.slice(0, 300)}`);
  }

  #running(pod: BenchPod): BenchPod {
    const key = keyOf(pod);
    const node = Number((pod.spec?.nodeName ?? "").slice("bench-node-".length)) || 0;
    let podIP = this.#podIps.get(key);
    if (!podIP) {
      const n = this.#nextIp++;
      podIP = `10.42.${(n >> 8) & 255}.${n & 255}`;
      this.#podIps.set(key, podIP);
    }
    const now = rfc3339(Date.now());
    const hostIP = `192.0.2.${(node % 250) + 1}`;
    const conditions = ["PodScheduled", "Initialized", "ContainersReady", "Ready"].map((type) => ({
      type,
      status: "True",
      lastTransitionTime: now,
    }));
    return {
      ...pod,
      status: {
        ...pod.status,
        phase: "Running",
        hostIP,
        hostIPs: [{ ip: hostIP }],
        podIP,
        podIPs: [{ ip: podIP }],
        startTime: now,
        conditions,
        containerStatuses: (pod.spec?.containers ?? []).map((c) => ({
          name: c.name,
          image: c.image ?? "",
          imageID: `bench://${c.image ?? ""}`,
          containerID: `bench://${pod.metadata.uid ?? key}/${c.name}`,
          ready: true,
          started: true,
          restartCount: 0,
          state: { running: { startedAt: now } },
        })),
      },
    };
  }
}

function nodeBody(i: number): Record<string, unknown> {
  const name = `bench-node-${i}`;
  const now = rfc3339(Date.now());
  const resources = { cpu: "64", memory: "256Gi", pods: "1000" };
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, labels: { "kubernetes.io/hostname": name, "kubernetes.io/os": "linux" } },
    spec: {},
    status: {
      capacity: resources,
      allocatable: resources,
      addresses: [{ type: "InternalIP", address: `192.0.2.${(i % 250) + 1}` }],
      conditions: [{
        type: "Ready",
        status: "True",
        reason: "KubeletReady",
        message: "kubelet is posting ready status",
        lastHeartbeatTime: now,
        lastTransitionTime: now,
      }],
    },
  };
}
