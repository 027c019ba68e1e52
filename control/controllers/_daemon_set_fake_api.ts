/**
 * A small in-memory API for the DaemonSet controller's unit tests: namespaced pods,
 * DaemonSets and ControllerRevisions with create (names from `generateName`, uids,
 * resourceVersions, `AlreadyExists`), get, update, status update (`Conflict` on a stale
 * resourceVersion), merge and (simplified) strategic patches, and delete — immediate, or for
 * pods optionally graceful (a `deletionTimestamp` first, as with a kubelet). Every write is
 * reported to {@linkcode FakeApi.onChange}, which a test wires to its fake informers (a watch),
 * and recorded in {@linkcode FakeApi.calls}.
 *
 * @module
 */
import { formatTime } from "../util/k8s_time.ts";
import type { KubeObject } from "../api/types/meta_v1.ts";
import type { Transport, TransportRequestOptions } from "../client/transport.ts";
import type { Clock } from "../util/clock.ts";

/** A change the fake API made. */
export interface FakeApiChange {
  readonly resource: string;
  readonly type: "add" | "update" | "delete";
  readonly object: KubeObject;
}

/** A request the fake API is about to answer. */
export interface FakeApiCall {
  readonly method: string;
  readonly resource: string;
  readonly namespace: string;
  readonly name: string;
  readonly subresource: string;
  readonly body: unknown;
}

/** An error to answer with instead. */
export interface FakeApiFailure {
  readonly code: number;
  readonly reason: string;
  readonly message: string;
}

const ROUTE =
  /^\/(?:api\/v1|apis\/apps\/v1)\/namespaces\/([^/]+)\/([^/]+)(?:\/([^/]+))?(?:\/([^/]+))?$/;

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const out: Json = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** Merge patch semantics, except owner references merge by uid (`$patch: delete` removes). */
function strategicPatch(target: unknown, patch: unknown, key = ""): unknown {
  if (key === "ownerReferences" && Array.isArray(patch)) {
    let refs = Array.isArray(target) ? [...target] as Json[] : [];
    for (const entry of patch as Json[]) {
      refs = refs.filter((r) => r.uid !== entry.uid);
      if (entry.$patch !== "delete") refs.push(structuredClone(entry));
    }
    return refs;
  }
  if (!isObject(patch)) return structuredClone(patch);
  const out: Json = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = strategicPatch(out[k], v, k);
  }
  return out;
}

function status(failure: FakeApiFailure): Response {
  return Response.json(
    { kind: "Status", apiVersion: "v1", status: "Failure", ...failure },
    { status: failure.code },
  );
}

/** An in-memory API for pods, DaemonSets and ControllerRevisions. */
export class FakeApi implements Transport {
  /** Stored objects by `resource/namespace/name`. */
  readonly objects = new Map<string, KubeObject>();
  /** `METHOD resource[/subresource] namespace/name` of every request. */
  readonly calls: string[] = [];
  /** Told of every change (a watch). */
  onChange: (change: FakeApiChange) => void = () => {};
  /** Answers a request with an error when it returns one. */
  fail: (call: FakeApiCall) => FakeApiFailure | undefined = () => undefined;
  /** Pod deletions set a `deletionTimestamp` and leave the pod (until {@linkcode FakeApi.finishDeletion}). */
  gracefulPodDeletion = false;
  readonly #clock: Clock;
  #rv = 100;
  #uid = 0;
  #suffix = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** The stored objects of `resource` (optionally only those whose labels include `labels`). */
  list<T extends KubeObject>(resource: string): T[] {
    const out: T[] = [];
    for (const [key, obj] of this.objects) {
      if (key.startsWith(`${resource}/`)) out.push(structuredClone(obj) as T);
    }
    return out;
  }

  /** The stored object, if any. */
  get<T extends KubeObject>(resource: string, key: string): T | undefined {
    const obj = this.objects.get(`${resource}/${key}`);
    return obj === undefined ? undefined : structuredClone(obj) as T;
  }

  /** Stores `obj` as is (a fixture), with a uid and resourceVersion if missing; reports it. */
  seed<T extends KubeObject>(resource: string, obj: T): T {
    const copy = structuredClone(obj);
    const meta = copy.metadata ??= {};
    meta.uid ??= `uid-${++this.#uid}`;
    meta.resourceVersion ??= String(++this.#rv);
    meta.creationTimestamp ??= this.#now();
    const key = `${resource}/${meta.namespace}/${meta.name}`;
    const existed = this.objects.has(key);
    this.objects.set(key, copy);
    this.onChange({ resource, type: existed ? "update" : "add", object: structuredClone(copy) });
    return structuredClone(copy);
  }

  /** Removes a pod that was deleted gracefully (the kubelet finished). */
  finishDeletion(resource: string, key: string): void {
    const obj = this.objects.get(`${resource}/${key}`);
    if (!obj) return;
    this.objects.delete(`${resource}/${key}`);
    this.onChange({ resource, type: "delete", object: structuredClone(obj) });
  }

  #now(): string {
    return formatTime(this.#clock.now());
  }

  request(method: string, path: string, options: TransportRequestOptions = {}): Promise<Response> {
    return Promise.resolve(this.#answer(method, path, options));
  }

  #answer(method: string, path: string, options: TransportRequestOptions): Response {
    const m = ROUTE.exec(path.split("?")[0]!);
    if (!m) return new Response("no route", { status: 404 });
    const [, namespace = "", resource = "", name = "", subresource = ""] = m;
    this.calls.push(
      `${method} ${resource}${subresource ? `/${subresource}` : ""} ${namespace}/${name}`,
    );
    const failure = this.fail({
      method,
      resource,
      namespace,
      name,
      subresource,
      body: options.body,
    });
    if (failure) return status(failure);
    const key = `${resource}/${namespace}/${name}`;
    const notFound = () =>
      status({ code: 404, reason: "NotFound", message: `${resource} "${name}" not found` });
    switch (method) {
      case "POST":
        return this.#create(resource, { namespace, body: options.body as KubeObject });
      case "GET": {
        const obj = this.objects.get(key);
        return obj ? Response.json(obj) : notFound();
      }
      case "PUT": {
        const stored = this.objects.get(key);
        if (!stored) return notFound();
        const body = structuredClone(options.body as KubeObject);
        const rv = body.metadata?.resourceVersion;
        if (rv !== undefined && rv !== stored.metadata?.resourceVersion) {
          return status({
            code: 409,
            reason: "Conflict",
            message:
              `Operation cannot be fulfilled on ${resource} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
          });
        }
        const next: Json = subresource === "status"
          ? { ...stored, status: (body as Json).status }
          : { ...body, status: (stored as Json).status };
        return this.#store(resource, { key, obj: next as KubeObject, type: "update" });
      }
      case "PATCH": {
        const stored = this.objects.get(key);
        if (!stored) return notFound();
        const patch = options.body as Json;
        const patchUid = isObject(patch.metadata) ? patch.metadata.uid : undefined;
        if (patchUid !== undefined && patchUid !== stored.metadata?.uid) {
          return status({ code: 422, reason: "Invalid", message: "uid mismatch" });
        }
        const strategic = options.contentType?.includes("strategic") ?? false;
        const next =
          (strategic ? strategicPatch(stored, patch) : mergePatch(stored, patch)) as KubeObject;
        return this.#store(resource, { key, obj: next, type: "update" });
      }
      case "DELETE": {
        const stored = this.objects.get(key);
        if (!stored) return notFound();
        if (resource === "pods" && this.gracefulPodDeletion) {
          if (stored.metadata?.deletionTimestamp) return Response.json(stored);
          const next = structuredClone(stored);
          next.metadata!.deletionTimestamp = this.#now();
          return this.#store(resource, { key, obj: next, type: "update" });
        }
        this.objects.delete(key);
        this.onChange({ resource, type: "delete", object: structuredClone(stored) });
        return Response.json({ kind: "Status", apiVersion: "v1", status: "Success" });
      }
      default:
        return new Response("unexpected", { status: 405 });
    }
  }

  #create(resource: string, input: { namespace: string; body: KubeObject }): Response {
    const obj = structuredClone(input.body);
    const meta = obj.metadata ??= {};
    meta.namespace = input.namespace;
    if (!meta.name) meta.name = `${meta.generateName ?? ""}${(++this.#suffix).toString(36)}x`;
    const key = `${resource}/${input.namespace}/${meta.name}`;
    if (this.objects.has(key)) {
      return status({
        code: 409,
        reason: "AlreadyExists",
        message: `${resource} "${meta.name}" already exists`,
      });
    }
    meta.uid = `uid-${++this.#uid}`;
    meta.creationTimestamp = this.#now();
    return this.#store(resource, { key, obj, type: "add" }, 201);
  }

  #store(
    resource: string,
    change: { key: string; obj: KubeObject; type: "add" | "update" },
    code = 200,
  ): Response {
    const obj = structuredClone(change.obj);
    obj.metadata = { ...obj.metadata, resourceVersion: String(++this.#rv) };
    this.objects.set(change.key, obj);
    this.onChange({ resource, type: change.type, object: structuredClone(obj) });
    return Response.json(obj, { status: code });
  }
}
