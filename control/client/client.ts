/**
 * The typed client: {@linkcode Client} over a {@linkcode Transport}, and one
 * {@linkcode ResourceClient} per resource with the verbs of client-go's typed and dynamic
 * clients — get, list, watch, create, update, updateStatus, patch, delete, deleteCollection —
 * plus {@linkcode ResourceClient.createSubresource} for `pods/binding`, `pods/eviction` and
 * `serviceaccounts/token`. Every answer that is not a success throws a
 * {@linkcode StatusError}; a request that gets no answer throws a {@linkcode RequestError}
 * naming it (`Cannot GET /api/v1/pods: …`). Aborting a request's `signal` rejects with the
 * signal's reason, except for watches, which then simply end.
 *
 * @example Bind a pod and list what is left to schedule
 * ```ts ignore
 * const client = new Client(transport, { fieldManager: "skiff-scheduler" });
 * const pods = client.resource(PODS);
 * await pods.createSubresource("web-0", {
 *   namespace: "default",
 *   subresource: "binding",
 *   body: { apiVersion: "v1", kind: "Binding", metadata: { name: "web-0" },
 *     target: { apiVersion: "v1", kind: "Node", name: "edge-1" } },
 * });
 * const pending = await pods.list({ fieldSelector: "spec.nodeName=" });
 * ```
 *
 * @module
 */
import { PATCH_MEDIA_TYPES, type PatchType } from "../api/patch/patch_type.ts";
import type { KubeObject, ListMeta, Status } from "../api/types/meta_v1.ts";
import { query, requestJson, watchEvents } from "./_request.ts";
import { type ApiResource, apiVersionOf } from "./resources.ts";
import type { Transport } from "./transport.ts";

/** A list answer: the items and the list's metadata (`resourceVersion`, `continue`). */
export interface ObjectList<T extends KubeObject> {
  apiVersion?: string;
  kind?: string;
  metadata: ListMeta;
  items: T[];
}

/** The event types a watch can send. */
export type WatchEventKind = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";

/**
 * One event of {@linkcode ResourceClient.watch}. `ERROR` events are thrown as
 * {@linkcode StatusError}s, never yielded. A `BOOKMARK`'s object carries only `kind`,
 * `apiVersion` and `metadata.resourceVersion` (and annotations).
 */
export interface TypedWatchEvent<T extends KubeObject> {
  readonly type: Exclude<WatchEventKind, "ERROR">;
  readonly object: T;
}

/** What every request takes. */
export interface RequestBase {
  readonly signal?: AbortSignal;
}

/** What write requests take (`CreateOptions`, `UpdateOptions`, `PatchOptions`). */
export interface WriteRequestBase extends RequestBase {
  /** Validate and admit but do not persist (`dryRun=All`). */
  readonly dryRun?: boolean;
  /** The manager named in `managedFields`; defaults to the client's. */
  readonly fieldManager?: string;
  /** How unknown or duplicate fields are treated. */
  readonly fieldValidation?: "Ignore" | "Warn" | "Strict";
}

/** Options of {@linkcode ResourceClient.get}. */
export interface GetRequest extends RequestBase {
  /** Required for namespaced resources. */
  readonly namespace?: string;
  /** `"0"`: any cached version will do. */
  readonly resourceVersion?: string;
}

/** The selectors list, watch and deleteCollection share. */
export interface SelectorRequest extends RequestBase {
  /** Unset (for a namespaced resource): all namespaces. */
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
}

/** Options of {@linkcode ResourceClient.list}. */
export interface ListRequest extends SelectorRequest {
  /** The most items in one page; the answer's `metadata.continue` fetches the next. */
  readonly limit?: number;
  readonly continue?: string;
  readonly resourceVersion?: string;
  readonly resourceVersionMatch?: "Exact" | "NotOlderThan";
}

/** Options of {@linkcode ResourceClient.watch}. */
export interface WatchRequest extends SelectorRequest {
  /** Changes after this version; unset or `"0"`: the current state first, as ADDED events. */
  readonly resourceVersion?: string;
  readonly resourceVersionMatch?: "NotOlderThan";
  readonly allowWatchBookmarks?: boolean;
  /** The server ends the watch after this long. */
  readonly timeoutSeconds?: number;
  /** WatchList: the current state first, ended by a bookmark (needs bookmarks, NotOlderThan). */
  readonly sendInitialEvents?: boolean;
}

/** Options of {@linkcode ResourceClient.create}. */
export interface CreateRequest extends WriteRequestBase {
  /** Defaults to the object's `metadata.namespace`. */
  readonly namespace?: string;
}

/** Options of {@linkcode ResourceClient.update} and {@linkcode ResourceClient.updateStatus}. */
export interface UpdateRequest extends WriteRequestBase {
  /** Defaults to the object's `metadata.namespace`. */
  readonly namespace?: string;
}

/** Options of {@linkcode ResourceClient.patch}. */
export interface PatchRequest extends WriteRequestBase {
  readonly namespace?: string;
  /** `json` (RFC 6902), `merge` (RFC 7386), `strategic` or `apply` (server-side apply). */
  readonly type: PatchType;
  /** The patch: a JSON value, or text sent as is. */
  readonly body: unknown;
  /** Patch a subresource instead, e.g. `"status"`. */
  readonly subresource?: string;
  /** Server-side apply: take over fields other managers own. */
  readonly force?: boolean;
}

/** Preconditions a delete must meet. */
export interface DeletePreconditions {
  readonly uid?: string;
  readonly resourceVersion?: string;
}

/** Options of {@linkcode ResourceClient.delete}. */
export interface DeleteRequest extends RequestBase {
  readonly namespace?: string;
  readonly gracePeriodSeconds?: number;
  readonly propagationPolicy?: "Orphan" | "Background" | "Foreground";
  readonly preconditions?: DeletePreconditions;
  readonly dryRun?: boolean;
}

/** Options of {@linkcode ResourceClient.deleteCollection}. */
export interface DeleteCollectionRequest extends SelectorRequest {
  readonly gracePeriodSeconds?: number;
  readonly propagationPolicy?: "Orphan" | "Background" | "Foreground";
  readonly dryRun?: boolean;
}

/** Options of {@linkcode ResourceClient.createSubresource}. */
export interface SubresourceRequest extends WriteRequestBase {
  readonly namespace?: string;
  /** `binding`, `eviction`, `token`, … */
  readonly subresource: string;
  readonly body: unknown;
}

/** Options of {@linkcode Client}. */
export interface ClientOptions {
  /** The fieldManager of writes that name none (`kube-scheduler`, `skiff-controller-manager`). */
  readonly fieldManager?: string;
}

interface SendOptions extends RequestBase {
  readonly body?: unknown;
  readonly contentType?: string;
}

/** A typed client for the resources of one API server. */
export class Client {
  readonly #transport: Transport;
  readonly #options: ClientOptions;
  readonly #resources = new WeakMap<ApiResource, ResourceClient<KubeObject>>();

  constructor(transport: Transport, options: ClientOptions = {}) {
    this.#transport = transport;
    this.#options = options;
  }

  /** The transport requests go through. */
  get transport(): Transport {
    return this.#transport;
  }

  /** The client of one resource (the same instance for the same `resource` constant). */
  resource<T extends KubeObject>(resource: ApiResource<T>): ResourceClient<T> {
    const known = this.#resources.get(resource as ApiResource);
    if (known) return known as unknown as ResourceClient<T>;
    const made = new ResourceClient<T>(resource, {
      transport: this.#transport,
      ...this.#options,
    });
    this.#resources.set(resource as ApiResource, made as unknown as ResourceClient<KubeObject>);
    return made;
  }
}

/** What a {@linkcode ResourceClient} is built from. */
export interface ResourceClientDeps extends ClientOptions {
  readonly transport: Transport;
}

function deleteBody(
  options: Omit<DeleteRequest, "namespace" | "signal">,
): Record<string, unknown> | undefined {
  const body: Record<string, unknown> = {};
  if (options.gracePeriodSeconds !== undefined) {
    body.gracePeriodSeconds = options.gracePeriodSeconds;
  }
  if (options.propagationPolicy !== undefined) body.propagationPolicy = options.propagationPolicy;
  if (options.preconditions !== undefined) body.preconditions = { ...options.preconditions };
  if (options.dryRun) body.dryRun = ["All"];
  if (Object.keys(body).length === 0) return undefined;
  return { apiVersion: "v1", kind: "DeleteOptions", ...body };
}

/** The verbs on one resource. Objects come back as parsed JSON, typed `T`. */
export class ResourceClient<T extends KubeObject> {
  /** The resource this client serves. */
  readonly resource: ApiResource<T>;
  readonly #transport: Transport;
  readonly #fieldManager: string | undefined;
  readonly #base: string;
  readonly #apiVersion: string;

  constructor(resource: ApiResource<T>, deps: ResourceClientDeps) {
    this.resource = resource;
    this.#transport = deps.transport;
    this.#fieldManager = deps.fieldManager;
    this.#base = resource.group === ""
      ? `/api/${resource.version}`
      : `/apis/${resource.group}/${resource.version}`;
    this.#apiVersion = apiVersionOf(resource);
  }

  /** The collection's path: all namespaces when `namespace` is unset. */
  collectionPath(namespace?: string): string {
    const ns = this.resource.namespaced && namespace
      ? `/namespaces/${encodeURIComponent(namespace)}`
      : "";
    return `${this.#base}${ns}/${this.resource.resource}`;
  }

  /** One object's path; throws `TypeError` for a namespaced resource without a namespace. */
  objectPath(name: string, namespace?: string): string {
    if (name === "") {
      throw new TypeError(`Cannot name ${this.resource.resource} object: empty name`);
    }
    if (this.resource.namespaced && !namespace) {
      throw new TypeError(
        `Cannot name ${this.resource.resource} "${name}": ${this.resource.resource} are namespaced and no namespace was given`,
      );
    }
    return `${this.collectionPath(namespace)}/${encodeURIComponent(name)}`;
  }

  /** Reads one object. */
  async get(name: string, options: GetRequest = {}): Promise<T> {
    const path = this.objectPath(name, options.namespace) +
      query({ resourceVersion: options.resourceVersion });
    return this.#typed(await this.#json("GET", path, options));
  }

  /** Lists objects (one page when `limit` is set). Items get `apiVersion` and `kind`. */
  async list(options: ListRequest = {}): Promise<ObjectList<T>> {
    const path = this.collectionPath(options.namespace) + query({
      labelSelector: options.labelSelector,
      fieldSelector: options.fieldSelector,
      limit: options.limit,
      continue: options.continue,
      resourceVersion: options.resourceVersion,
      resourceVersionMatch: options.resourceVersionMatch,
    });
    const list = await this.#json("GET", path, options) as unknown as ObjectList<T>;
    if (!Array.isArray(list.items)) list.items = [];
    for (const item of list.items) this.#typed(item);
    list.metadata ??= {};
    return list;
  }

  /**
   * Streams changes as typed events until the server ends the watch (the iteration ends) or
   * `signal` aborts (it ends too). An `ERROR` event is thrown as a {@linkcode StatusError}
   * (410 `Expired`: the resourceVersion is too old; list again).
   */
  async *watch(options: WatchRequest = {}): AsyncGenerator<TypedWatchEvent<T>> {
    const path = this.collectionPath(options.namespace) + query({
      watch: 1,
      labelSelector: options.labelSelector,
      fieldSelector: options.fieldSelector,
      resourceVersion: options.resourceVersion,
      resourceVersionMatch: options.resourceVersionMatch,
      allowWatchBookmarks: options.allowWatchBookmarks,
      timeoutSeconds: options.timeoutSeconds,
      sendInitialEvents: options.sendInitialEvents,
    });
    for await (const event of watchEvents(this.#transport, { path, signal: options.signal })) {
      yield { type: event.type, object: event.object as T };
    }
  }

  /** Creates `obj` (in `options.namespace`, else its own). */
  async create(obj: T, options: CreateRequest = {}): Promise<T> {
    const namespace = options.namespace ?? obj.metadata?.namespace;
    const path = this.collectionPath(namespace) + this.#writeQuery(options);
    if (this.resource.namespaced && !namespace) {
      throw new TypeError(
        `Cannot create ${this.resource.resource}: ${this.resource.resource} are namespaced and no namespace was given`,
      );
    }
    return this.#typed(await this.#json("POST", path, { ...options, body: obj }));
  }

  /** Replaces `obj` (by its name; its `metadata.resourceVersion`, if set, must be current). */
  async update(obj: T, options: UpdateRequest = {}): Promise<T> {
    return await this.#put(obj, { ...options, subresource: "" });
  }

  /** Replaces the status of `obj` (the `status` subresource). */
  async updateStatus(obj: T, options: UpdateRequest = {}): Promise<T> {
    return await this.#put(obj, { ...options, subresource: "/status" });
  }

  /** Patches the object `name` (or its subresource) with `options.body`. */
  async patch(name: string, options: PatchRequest): Promise<T> {
    const sub = options.subresource ? `/${options.subresource}` : "";
    const path = this.objectPath(name, options.namespace) + sub +
      this.#writeQuery(options, { force: options.force });
    return this.#typed(
      await this.#json("PATCH", path, {
        ...options,
        body: options.body,
        contentType: PATCH_MEDIA_TYPES[options.type],
      }),
    );
  }

  /**
   * Deletes the object `name`. Answers the object as the server last had it (still there, with
   * a `deletionTimestamp`, while finalizers or a grace period hold it) or a `Status`.
   */
  async delete(name: string, options: DeleteRequest = {}): Promise<T | Status> {
    const path = this.objectPath(name, options.namespace);
    const body = deleteBody(options);
    const answer = await this.#json("DELETE", path, {
      ...options,
      ...(body !== undefined ? { body } : {}),
    });
    return answer.kind === "Status" ? answer as Status : this.#typed(answer);
  }

  /** Deletes every object the selectors match (in `namespace`, or all). */
  async deleteCollection(
    options: DeleteCollectionRequest = {},
  ): Promise<ObjectList<T> | Status> {
    const path = this.collectionPath(options.namespace) + query({
      labelSelector: options.labelSelector,
      fieldSelector: options.fieldSelector,
    });
    const body = deleteBody(options);
    const answer = await this.#json("DELETE", path, {
      ...options,
      ...(body !== undefined ? { body } : {}),
    });
    return answer as unknown as ObjectList<T> | Status;
  }

  /**
   * Posts `options.body` to a subresource of `name`: `binding` (a `Binding`, answered with a
   * `Status`), `eviction` (an `Eviction`), `token` (a `TokenRequest`, answered filled in).
   */
  async createSubresource<R = KubeObject>(name: string, options: SubresourceRequest): Promise<R> {
    const path = `${this.objectPath(name, options.namespace)}/${options.subresource}` +
      this.#writeQuery(options);
    return await this.#json("POST", path, options) as R;
  }

  async #put(obj: T, options: UpdateRequest & { subresource: string }): Promise<T> {
    const name = obj.metadata?.name;
    if (!name) {
      throw new TypeError(`Cannot update ${this.resource.resource}: the object has no name`);
    }
    const path = this.objectPath(name, options.namespace ?? obj.metadata?.namespace) +
      options.subresource + this.#writeQuery(options);
    return this.#typed(await this.#json("PUT", path, { ...options, body: obj }));
  }

  #writeQuery(options: WriteRequestBase, extra: { force?: boolean | undefined } = {}): string {
    return query({
      dryRun: options.dryRun ? "All" : undefined,
      fieldManager: options.fieldManager ?? this.#fieldManager,
      fieldValidation: options.fieldValidation,
      force: extra.force,
    });
  }

  #typed(obj: KubeObject): T {
    if (typeof obj === "object" && obj !== null) {
      obj.apiVersion ??= this.#apiVersion;
      obj.kind ??= this.resource.kind;
    }
    return obj as T;
  }

  async #json(method: string, path: string, options: SendOptions): Promise<KubeObject> {
    return await requestJson(this.#transport, {
      method,
      path,
      body: options.body,
      contentType: options.contentType,
      signal: options.signal,
    }) as KubeObject;
  }
}
