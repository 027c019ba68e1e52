/**
 * The metadata-only client (client-go's `metadata.Interface`): get, list and watch any resource
 * as `PartialObjectMetadata` — only `metadata` travels, asked for with
 * `Accept: application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1` (gets and watches;
 * `as=PartialObjectMetadataList` for lists). A server that sends whole objects anyway is fine:
 * callers read only `metadata`. Errors are those of {@linkcode ResourceClient}:
 * {@linkcode StatusError} for answers that are not a success, {@linkcode RequestError} for no
 * answer.
 *
 * @example The owners of one pod, and the uids of every ReplicaSet
 * ```ts ignore
 * const meta = new MetadataClient(transport);
 * const pod = await meta.resource(PODS).get("web-0", { namespace: "default" });
 * const owners = pod.metadata.ownerReferences ?? [];
 * const sets = await meta.resource(REPLICA_SETS).list({ limit: 500 });
 * ```
 *
 * @module
 */
import type { KubeObject, ListMeta, ObjectMeta } from "../api/types/meta_v1.ts";
import { query, requestJson, watchEvents } from "./_request.ts";
import { ResourceClient, type WatchEventKind } from "./client.ts";
import type { ApiResource } from "./resources.ts";
import type { Transport } from "./transport.ts";

/** The media type of a metadata-only object answer. */
export const PARTIAL_OBJECT_METADATA_ACCEPT =
  "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json";

/** The media type of a metadata-only list answer. */
export const PARTIAL_OBJECT_METADATA_LIST_ACCEPT =
  "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json";

/** An object's metadata alone (`meta.k8s.io/v1` `PartialObjectMetadata`). */
export interface PartialObjectMetadata {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
}

/** A list of {@linkcode PartialObjectMetadata}. */
export interface PartialObjectMetadataList {
  apiVersion?: string;
  kind?: string;
  metadata: ListMeta;
  items: PartialObjectMetadata[];
}

/** One event of {@linkcode MetadataResourceClient.watch}; `ERROR` events are thrown. */
export interface MetadataWatchEvent {
  readonly type: Exclude<WatchEventKind, "ERROR">;
  readonly object: PartialObjectMetadata;
}

/** Options of {@linkcode MetadataResourceClient.get}. */
export interface MetadataGetRequest {
  /** Required for namespaced resources. */
  readonly namespace?: string;
  readonly signal?: AbortSignal;
}

/** Options of {@linkcode MetadataResourceClient.list}. */
export interface MetadataListRequest {
  /** Unset (for a namespaced resource): all namespaces. */
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly limit?: number;
  readonly continue?: string;
  readonly resourceVersion?: string;
  readonly signal?: AbortSignal;
}

/** Options of {@linkcode MetadataResourceClient.watch}. */
export interface MetadataWatchRequest {
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly resourceVersion?: string;
  readonly allowWatchBookmarks?: boolean;
  readonly timeoutSeconds?: number;
  readonly signal?: AbortSignal;
}

/** Makes sure an answer has `metadata` (an object). */
function partial(value: unknown): PartialObjectMetadata {
  const obj = (typeof value === "object" && value !== null ? value : {}) as PartialObjectMetadata;
  if (typeof obj.metadata !== "object" || obj.metadata === null) obj.metadata = {};
  return obj;
}

/** The metadata-only client of one API server. */
export class MetadataClient {
  readonly #transport: Transport;
  readonly #resources = new WeakMap<ApiResource, MetadataResourceClient>();

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /** The metadata client of one resource (the same instance for the same constant). */
  resource(resource: ApiResource): MetadataResourceClient {
    let made = this.#resources.get(resource);
    if (!made) {
      made = new MetadataResourceClient(resource, this.#transport);
      this.#resources.set(resource, made);
    }
    return made;
  }
}

/** get, list and watch of one resource's metadata. */
export class MetadataResourceClient {
  /** The resource this client serves. */
  readonly resource: ApiResource;
  readonly #transport: Transport;
  readonly #paths: ResourceClient<KubeObject>;

  constructor(resource: ApiResource, transport: Transport) {
    this.resource = resource;
    this.#transport = transport;
    this.#paths = new ResourceClient(resource, { transport });
  }

  /** Reads one object's metadata. */
  async get(name: string, options: MetadataGetRequest = {}): Promise<PartialObjectMetadata> {
    const path = this.#paths.objectPath(name, options.namespace);
    return partial(await this.#json(path, PARTIAL_OBJECT_METADATA_ACCEPT, options.signal));
  }

  /** Lists objects' metadata (one page when `limit` is set). */
  async list(options: MetadataListRequest = {}): Promise<PartialObjectMetadataList> {
    const path = this.#paths.collectionPath(options.namespace) + query({
      labelSelector: options.labelSelector,
      fieldSelector: options.fieldSelector,
      limit: options.limit,
      continue: options.continue,
      resourceVersion: options.resourceVersion,
    });
    const list = await this.#json(path, PARTIAL_OBJECT_METADATA_LIST_ACCEPT, options.signal) as
      & Partial<PartialObjectMetadataList>
      & Record<string, unknown>;
    const items = Array.isArray(list.items) ? list.items.map(partial) : [];
    const metadata = typeof list.metadata === "object" && list.metadata !== null
      ? list.metadata
      : {};
    return {
      ...(typeof list.apiVersion === "string" ? { apiVersion: list.apiVersion } : {}),
      ...(typeof list.kind === "string" ? { kind: list.kind } : {}),
      metadata,
      items,
    };
  }

  /**
   * Streams changes until the server ends the watch or `signal` aborts (the iteration ends
   * either way). An `ERROR` event is thrown as a {@linkcode StatusError}.
   */
  async *watch(options: MetadataWatchRequest = {}): AsyncGenerator<MetadataWatchEvent> {
    const path = this.#paths.collectionPath(options.namespace) + query({
      watch: 1,
      labelSelector: options.labelSelector,
      fieldSelector: options.fieldSelector,
      resourceVersion: options.resourceVersion,
      allowWatchBookmarks: options.allowWatchBookmarks,
      timeoutSeconds: options.timeoutSeconds,
    });
    const events = watchEvents(this.#transport, {
      path,
      accept: PARTIAL_OBJECT_METADATA_ACCEPT,
      signal: options.signal,
    });
    for await (const event of events) yield { type: event.type, object: partial(event.object) };
  }

  #json(path: string, accept: string, signal: AbortSignal | undefined): Promise<unknown> {
    return requestJson(this.#transport, { method: "GET", path, accept, signal });
  }
}
