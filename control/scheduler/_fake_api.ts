/**
 * A small in-memory API server for the scheduler's unit tests (the real one lives in
 * `control/api`, which the scheduler may not import): objects by resource, lists and watches
 * (with the pod informer's `status.phase!=` field selector), `pods/binding`, strategic-merge
 * patches of `pods/status` and of events, creates and deletes. Every request is recorded, and a
 * test can answer chosen requests itself with {@linkcode FakeApi.intercept}.
 *
 * @module
 */
import { setImmediate } from "node:timers";
import type { KubeObject } from "../api/types/meta_v1.ts";
import type { Transport, TransportRequestOptions } from "../client/transport.ts";

/** One request the fake saw. */
export interface FakeRequest {
  readonly method: string;
  /** The path without the query. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body: unknown;
}

interface Watcher {
  readonly resource: string;
  readonly fieldSelector: string;
  readonly push: (line: string) => void;
}

interface Target {
  readonly resource: string;
  readonly namespace: string;
  readonly name: string;
  readonly subresource: string;
}

type Json = Record<string, unknown>;

function parse(path: string): Target {
  const parts = path.replace(/^\/(api\/v1|apis\/[^/]+\/[^/]+)\//, "").split("/");
  if (parts[0] === "namespaces" && parts.length >= 3) {
    return {
      namespace: parts[1]!,
      resource: parts[2]!,
      name: parts[3] ?? "",
      subresource: parts[4] ?? "",
    };
  }
  return { namespace: "", resource: parts[0]!, name: parts[1] ?? "", subresource: parts[2] ?? "" };
}

function keyOf(namespace: string, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

/** Whether `obj` passes a `status.phase!=A,status.phase!=B` selector (the only kind supported). */
function matches(obj: KubeObject, fieldSelector: string): boolean {
  if (fieldSelector === "") return true;
  const phase = (obj as { status?: { phase?: string } }).status?.phase ?? "";
  return fieldSelector.split(",").every((term) => {
    const [field, value] = term.split("!=");
    return field !== "status.phase" || phase !== value;
  });
}

function status(code: number, reason: string, message: string): Response {
  return Response.json({
    kind: "Status",
    apiVersion: "v1",
    status: code < 300 ? "Success" : "Failure",
    reason,
    message,
    code,
  }, { status: code });
}

/** Merges a strategic patch of conditions (by type) and other fields into `target`. */
function mergeStatus(target: Json, patch: Json): void {
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) {
      delete target[k];
    } else if (k === "conditions" && Array.isArray(v)) {
      const conditions = [...(target.conditions as Json[] | undefined ?? [])];
      for (const c of v as Json[]) {
        const i = conditions.findIndex((x) => x.type === c.type);
        if (i >= 0) conditions[i] = { ...conditions[i], ...c };
        else conditions.push(c);
      }
      target.conditions = conditions;
    } else if (typeof v === "object" && !Array.isArray(v)) {
      const inner = (target[k] ??= {}) as Json;
      mergeStatus(inner, v as Json);
    } else {
      target[k] = v;
    }
  }
}

/** Yields to the event loop until `cond()` holds; throws after 5 s. */
export async function until(cond: () => boolean, what = "condition"): Promise<void> {
  const start = performance.now();
  while (!cond()) {
    if (performance.now() - start > 5000) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Yields to the event loop `n` times. */
export async function turns(n = 10): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** The fake API; see the module docs. */
export class FakeApi implements Transport {
  readonly requests: FakeRequest[] = [];
  /** Answers a request in place of the fake when it returns a response. */
  intercept: ((req: FakeRequest) => Response | undefined) | undefined;
  #rv = 1;
  readonly #objects = new Map<string, Map<string, KubeObject>>();
  readonly #watchers = new Set<Watcher>();

  /** The objects of `resource` (`pods`, `nodes`, `events`…). */
  list(resource: string): KubeObject[] {
    return [...(this.#objects.get(resource)?.values() ?? [])];
  }

  /** One object of `resource`. */
  get(resource: string, key: string): KubeObject | undefined {
    return this.#objects.get(resource)?.get(key);
  }

  /** Creates or replaces `obj` (a new resourceVersion; uid defaulted) and tells watchers. */
  put(resource: string, obj: KubeObject): KubeObject {
    const copy = structuredClone(obj);
    copy.metadata ??= {};
    copy.metadata.resourceVersion = String(++this.#rv);
    copy.metadata.uid ??= `uid-${copy.metadata.name}`;
    const key = keyOf(copy.metadata.namespace ?? "", copy.metadata.name ?? "");
    let objects = this.#objects.get(resource);
    if (objects === undefined) this.#objects.set(resource, objects = new Map());
    const before = objects.get(key);
    objects.set(key, copy);
    this.#notify(resource, before, copy);
    return copy;
  }

  /** Deletes an object and tells watchers. */
  remove(resource: string, key: string): void {
    const objects = this.#objects.get(resource);
    const before = objects?.get(key);
    if (before === undefined) return;
    objects!.delete(key);
    const gone = structuredClone(before);
    gone.metadata!.resourceVersion = String(++this.#rv);
    this.#notify(resource, gone, undefined);
  }

  /** The requests with this method whose path ends with `suffix`. */
  sent(method: string, suffix: string): FakeRequest[] {
    return this.requests.filter((r) => r.method === method && r.path.endsWith(suffix));
  }

  request(method: string, path: string, options: TransportRequestOptions = {}): Promise<Response> {
    const url = new URL(path, "https://fake");
    const req: FakeRequest = {
      method,
      path: url.pathname,
      query: url.searchParams,
      body: options.body,
    };
    this.requests.push(req);
    const answer = this.intercept?.(req);
    if (answer !== undefined) return Promise.resolve(answer);
    try {
      return Promise.resolve(this.#serve(req, options.signal));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  #notify(resource: string, before: KubeObject | undefined, after: KubeObject | undefined): void {
    for (const w of this.#watchers) {
      if (w.resource !== resource) continue;
      const was = before !== undefined && matches(before, w.fieldSelector);
      const is = after !== undefined && matches(after, w.fieldSelector);
      if (!was && !is) continue;
      const type = was && is ? "MODIFIED" : is ? "ADDED" : "DELETED";
      w.push(JSON.stringify({ type, object: is ? after : before }) + "\n");
    }
  }

  #serve(req: FakeRequest, signal: AbortSignal | undefined): Response {
    const t = parse(req.path);
    const objects = this.#objects.get(t.resource) ?? new Map<string, KubeObject>();
    const key = keyOf(t.namespace, t.name);
    if (req.method === "GET" && t.name === "") {
      const fieldSelector = req.query.get("fieldSelector") ?? "";
      if (req.query.get("watch")) return this.#watch(t.resource, fieldSelector, signal);
      const items = [...objects.values()].filter((o) =>
        (t.namespace === "" || o.metadata?.namespace === t.namespace) && matches(o, fieldSelector)
      );
      return Response.json({ metadata: { resourceVersion: String(this.#rv) }, items });
    }
    const found = objects.get(key);
    if (req.method === "GET") {
      return found
        ? Response.json(found)
        : status(404, "NotFound", `${t.resource} "${t.name}" not found`);
    }
    if (req.method === "POST" && t.name === "") {
      const body = req.body as KubeObject;
      const name = body.metadata?.name ?? "";
      if (objects.has(keyOf(t.namespace, name))) {
        return status(409, "AlreadyExists", `${t.resource} "${name}" already exists`);
      }
      return Response.json(this.put(t.resource, body), { status: 201 });
    }
    if (found === undefined) return status(404, "NotFound", `${t.resource} "${t.name}" not found`);
    if (req.method === "POST" && t.subresource === "binding") {
      const pod = structuredClone(found) as Json & { spec?: Json; status?: Json };
      if (pod.spec?.nodeName) {
        return status(
          409,
          "Conflict",
          `Operation cannot be fulfilled on pods/binding "${t.name}": pod ${t.name} is already assigned to node "${pod.spec.nodeName}"`,
        );
      }
      const target = (req.body as { target?: { name?: string } }).target?.name ?? "";
      pod.spec = { ...pod.spec, nodeName: target };
      mergeStatus(pod.status ??= {}, { conditions: [{ type: "PodScheduled", status: "True" }] });
      this.put(t.resource, pod as KubeObject);
      return status(201, "", "");
    }
    if (req.method === "PUT") {
      const body = req.body as KubeObject;
      const rv = body.metadata?.resourceVersion;
      if (rv && rv !== found.metadata?.resourceVersion) {
        return status(
          409,
          "Conflict",
          `Operation cannot be fulfilled on ${t.resource} "${t.name}": the object has been modified; please apply your changes to the latest version and try again`,
        );
      }
      return Response.json(
        this.put(t.resource, {
          ...body,
          metadata: { ...body.metadata, uid: found.metadata?.uid ?? "" },
        }),
      );
    }
    if (req.method === "PATCH") {
      const obj = structuredClone(found) as Json;
      mergeStatus(obj, req.body as Json);
      return Response.json(this.put(t.resource, obj as KubeObject));
    }
    if (req.method === "DELETE") {
      this.remove(t.resource, key);
      return Response.json(found);
    }
    return status(405, "MethodNotAllowed", `${req.method} ${req.path}`);
  }

  #watch(resource: string, fieldSelector: string, signal: AbortSignal | undefined): Response {
    const encoder = new TextEncoder();
    let watcher: Watcher;
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        watcher = {
          resource,
          fieldSelector,
          push: (line) => controller.enqueue(encoder.encode(line)),
        };
        this.#watchers.add(watcher);
        signal?.addEventListener("abort", () => {
          this.#watchers.delete(watcher);
          try {
            controller.close();
          } catch {
            // already closed
          }
        }, { once: true });
      },
      cancel: () => {
        this.#watchers.delete(watcher);
      },
    });
    return new Response(body, { headers: { "content-type": "application/json" } });
  }
}
