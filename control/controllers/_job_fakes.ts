/**
 * Fakes for the unit tests of the Job and ttl-after-finished controllers:
 *
 * - {@linkcode FakeJobApi}: the Job endpoints the controllers call (GET, PUT status, DELETE) with
 *   resourceVersion checks, optionally showing each write in a {@linkcode FakeInformer} as a
 *   watch would;
 * - {@linkcode SimPodControl}: a {@linkcode JobPodControl} that materialises pods in a pod
 *   informer — named from `generateName`, with finalizers that hold a deleted pod until they are
 *   removed — and that tests drive through phases ({@linkcode SimPodControl.finish});
 * - {@linkcode RecordingEvents}: an event recorder that keeps what it is told.
 *
 * @module
 */
import type { Job } from "../api/types/batch_v1.ts";
import type { Pod, PodStatus } from "../api/types/core_v1_pod.ts";
import type { KubeObject, OwnerReference } from "../api/types/meta_v1.ts";
import type { EventRecord, EventRecorder } from "../client/event_recorder.ts";
import { StatusError } from "../client/errors.ts";
import { deepFreeze } from "../client/store.ts";
import type { Transport, TransportRequestOptions } from "../client/transport.ts";
import type { Clock } from "../util/clock.ts";
import type { FakeInformer } from "./_fake_informer.ts";
import type { JobPodControl, JobPodCreateRequest } from "./_job_pod_control.ts";
import { rfc3339 } from "./_rfc3339.ts";
import type { DeletePodRequest, PatchPodRequest } from "./pod_control.ts";

function statusBody(code: number, reason: string, message: string) {
  return { kind: "Status", apiVersion: "v1", status: "Failure", reason, message, code };
}

function notFound(kind: string, name: string): StatusError {
  return StatusError.fromBody(404, statusBody(404, "NotFound", `${kind} "${name}" not found`));
}

/** One event a recorder was given. */
export interface RecordedEvent extends EventRecord {
  /** The object's name. */
  readonly object: string;
}

/** Keeps every event. */
export class RecordingEvents implements EventRecorder {
  readonly events: RecordedEvent[] = [];

  event(object: KubeObject, record: EventRecord): void {
    this.events.push({ ...record, object: object.metadata?.name ?? "" });
  }

  /** `reason: message` of each event, in order. */
  lines(): string[] {
    return this.events.map((e) => `${e.reason}: ${e.message}`);
  }
}

/** A DELETE the fake API was asked for. */
export interface RecordedDelete {
  readonly key: string;
  readonly body: unknown;
}

/** The Job endpoints, over a map of Jobs. */
export class FakeJobApi implements Transport {
  readonly jobs = new Map<string, Job>();
  readonly statusWrites: Job[] = [];
  readonly gets: string[] = [];
  readonly deletes: RecordedDelete[] = [];
  /** When set, writes are shown in this informer (as the watch would). */
  informer: FakeInformer<Job> | null = null;
  /** Status writes to refuse with 409 before one succeeds. */
  conflicts = 0;
  #rv = 1000;

  /** Stores a Job (with a resourceVersion) and returns the frozen copy the informer would hold. */
  put(job: Job): Job {
    const copy = structuredClone(job);
    copy.metadata!.resourceVersion ??= String(++this.#rv);
    this.jobs.set(`${copy.metadata!.namespace}/${copy.metadata!.name}`, copy);
    return deepFreeze(structuredClone(copy));
  }

  request(method: string, path: string, options: TransportRequestOptions = {}): Promise<Response> {
    const m = path.split("?")[0]!.match(
      /^\/apis\/batch\/v1\/namespaces\/([^/]+)\/jobs\/([^/]+)(\/status)?$/,
    );
    if (!m) return Promise.resolve(new Response("no route", { status: 404 }));
    const key = `${m[1]}/${m[2]}`;
    const stored = this.jobs.get(key);
    if (!stored) {
      return Promise.resolve(
        Response.json(statusBody(404, "NotFound", `jobs.batch "${m[2]}" not found`), {
          status: 404,
        }),
      );
    }
    if (method === "GET") {
      this.gets.push(key);
      return Promise.resolve(Response.json(stored));
    }
    if (method === "DELETE") {
      this.deletes.push({ key, body: options.body });
      this.jobs.delete(key);
      this.informer?.delete(stored);
      return Promise.resolve(Response.json(stored));
    }
    if (method === "PUT" && m[3]) {
      const body = options.body as Job;
      if (
        this.conflicts > 0 || body.metadata?.resourceVersion !== stored.metadata?.resourceVersion
      ) {
        if (this.conflicts > 0) this.conflicts--;
        return Promise.resolve(Response.json(
          statusBody(
            409,
            "Conflict",
            `Operation cannot be fulfilled on jobs.batch "${
              m[2]
            }": the object has been modified; please apply your changes to the latest version and try again`,
          ),
          { status: 409 },
        ));
      }
      this.statusWrites.push(structuredClone(body));
      const next: Job = {
        ...structuredClone(stored),
        status: structuredClone(body.status ?? {}),
      };
      next.metadata!.resourceVersion = String(++this.#rv);
      this.jobs.set(key, next);
      this.informer?.update(deepFreeze(structuredClone(next)));
      return Promise.resolve(Response.json(next));
    }
    return Promise.resolve(new Response("unexpected", { status: 405 }));
  }

  /** The stored Job `key`. */
  job(key: string): Job {
    const job = this.jobs.get(key);
    if (!job) throw new Error(`No job "${key}"`);
    return job;
  }
}

/** How a simulated pod ends. */
export interface PodEnd {
  readonly phase: "Succeeded" | "Failed";
  /** @default {0 for Succeeded, 1 for Failed} */
  readonly exitCode?: number;
  readonly conditions?: PodStatus["conditions"];
}

/** Pods in a pod informer, written as the API server would. */
export class SimPodControl implements JobPodControl {
  readonly creates: JobPodCreateRequest[] = [];
  readonly deletes: string[] = [];
  readonly patches: PatchPodRequest[] = [];
  /** When set, creations fail with it. */
  createError: Error | null = null;
  /** When set, patches fail with it. */
  patchError: Error | null = null;
  /** When false, created pods wait in {@linkcode SimPodControl.unseen} (a lagging cache). */
  observe = true;
  /** Created pods the informer does not show yet. */
  readonly unseen: Pod[] = [];
  readonly #informer: FakeInformer<Pod>;
  readonly #clock: Clock;
  #seq = 0;
  #rv = 1;

  constructor(informer: FakeInformer<Pod>, clock: Clock) {
    this.#informer = informer;
    this.#clock = clock;
  }

  /** The pods of the informer, by name order. */
  pods(): Pod[] {
    return [...this.#informer.store.list()].sort((a, b) =>
      (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? "")
    );
  }

  /** The pods not being deleted. */
  live(): Pod[] {
    return this.pods().filter((p) => !p.metadata?.deletionTimestamp);
  }

  /** Shows the unseen pods in the informer. */
  flush(): void {
    for (const pod of this.unseen.splice(0)) this.#informer.add(pod);
  }

  createPods(request: JobPodCreateRequest): Promise<void> {
    this.creates.push(structuredClone(request));
    if (this.createError) return Promise.reject(this.createError);
    const t = request.template;
    const prefix = request.generateName ?? `${request.owner.metadata?.name}-`;
    const name = `${prefix}${(this.#seq++).toString(36).padStart(5, "0")}`;
    const meta = t.metadata ?? {};
    const pod: Pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        namespace: request.namespace,
        name,
        uid: `uid-${name}`,
        resourceVersion: String(++this.#rv),
        creationTimestamp: rfc3339(this.#clock.now()),
        ...(meta.labels ? { labels: { ...meta.labels } } : {}),
        ...(meta.annotations ? { annotations: { ...meta.annotations } } : {}),
        ...(meta.finalizers ? { finalizers: [...meta.finalizers] } : {}),
        ...(request.controllerRef ? { ownerReferences: [{ ...request.controllerRef }] } : {}),
      },
      spec: structuredClone(t.spec ?? { containers: [] }),
      status: { phase: "Pending" },
    };
    const frozen = deepFreeze(pod);
    if (this.observe) this.#informer.add(frozen);
    else this.unseen.push(frozen);
    return Promise.resolve();
  }

  deletePod(request: DeletePodRequest): Promise<void> {
    const key = `${request.namespace}/${request.name}`;
    this.deletes.push(key);
    const pod = this.#informer.store.get(key);
    if (!pod) return Promise.reject(notFound("pods", request.name));
    if ((pod.metadata?.finalizers ?? []).length === 0) {
      this.#informer.delete(pod);
      return Promise.resolve();
    }
    if (!pod.metadata?.deletionTimestamp) {
      this.#write(pod, (p) => {
        p.metadata!.deletionTimestamp = rfc3339(this.#clock.now());
        p.metadata!.deletionGracePeriodSeconds = 0;
      });
    }
    return Promise.resolve();
  }

  patchPod(request: PatchPodRequest): Promise<void> {
    this.patches.push(structuredClone(request));
    if (this.patchError) return Promise.reject(this.patchError);
    const key = `${request.namespace}/${request.name}`;
    const pod = this.#informer.store.get(key);
    if (!pod) return Promise.reject(notFound("pods", request.name));
    const meta = (request.patch as { metadata?: Record<string, unknown> }).metadata ?? {};
    this.#write(pod, (p) => {
      const m = p.metadata!;
      const drop = meta["$deleteFromPrimitiveList/finalizers"] as string[] | undefined;
      if (drop) m.finalizers = (m.finalizers ?? []).filter((f) => !drop.includes(f));
      const add = meta.finalizers as string[] | undefined;
      if (add) m.finalizers = [...new Set([...(m.finalizers ?? []), ...add])];
      if (m.finalizers?.length === 0) delete m.finalizers;
      for (const ref of (meta.ownerReferences as (OwnerReference & { $patch?: string })[]) ?? []) {
        const others = (m.ownerReferences ?? []).filter((r) => r.uid !== ref.uid);
        if (ref.$patch === "delete") m.ownerReferences = others;
        else m.ownerReferences = [...others, ref];
      }
    });
    return Promise.resolve();
  }

  /** Marks the pod Running (and Ready unless told otherwise). */
  run(name: string, ready = true): void {
    this.#writeStatus(name, (p) => {
      p.spec!.nodeName ??= "node-1";
      p.status = {
        phase: "Running",
        conditions: [{
          type: "Ready",
          status: ready ? "True" : "False",
          lastTransitionTime: rfc3339(this.#clock.now()),
        }],
        containerStatuses: p.spec!.containers.map((c) => ({
          name: c.name,
          image: c.image ?? "",
          imageID: "",
          ready,
          restartCount: 0,
          state: { running: { startedAt: rfc3339(this.#clock.now()) } },
        })),
      };
    });
  }

  /** Ends the pod: phase, terminated containers (finished now), Ready=False. */
  finish(name: string, end: PodEnd): void {
    const exitCode = end.exitCode ?? (end.phase === "Succeeded" ? 0 : 1);
    const now = rfc3339(this.#clock.now());
    this.#writeStatus(name, (p) => {
      p.spec!.nodeName ??= "node-1";
      p.status = {
        phase: end.phase,
        conditions: [
          { type: "Ready", status: "False", lastTransitionTime: now },
          ...(end.conditions ?? []),
        ],
        containerStatuses: p.spec!.containers.map((c) => ({
          name: c.name,
          image: c.image ?? "",
          imageID: "",
          ready: false,
          restartCount: 0,
          state: { terminated: { exitCode, finishedAt: now } },
        })),
      };
    });
  }

  /** Sets the restart count of the pod's containers (restartPolicy OnFailure). */
  restarts(name: string, count: number): void {
    this.#writeStatus(name, (p) => {
      for (const s of p.status?.containerStatuses ?? []) s.restartCount = count;
    });
  }

  /** Deletes the pod as someone else would (no finalizer change). */
  externalDelete(name: string): void {
    const pod = this.#byName(name);
    this.#write(pod, (p) => {
      p.metadata!.deletionTimestamp = rfc3339(this.#clock.now());
      p.metadata!.deletionGracePeriodSeconds = 30;
    });
  }

  #byName(name: string): Pod {
    const pod = this.#informer.store.list().find((p) => p.metadata?.name === name);
    if (!pod) throw new Error(`No pod "${name}"`);
    return pod;
  }

  #writeStatus(name: string, change: (pod: Pod) => void): void {
    this.#write(this.#byName(name), change);
  }

  #write(pod: Pod, change: (pod: Pod) => void): void {
    const next = structuredClone(pod) as Pod;
    change(next);
    next.metadata!.resourceVersion = String(++this.#rv);
    const m = next.metadata!;
    if (
      m.deletionTimestamp && (m.finalizers ?? []).length === 0 && m.deletionGracePeriodSeconds === 0
    ) {
      this.#informer.delete(next);
      return;
    }
    this.#informer.update(deepFreeze(next));
  }
}
