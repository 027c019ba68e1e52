/**
 * The garbage collector's requests to the API server (upstream's `operations.go`): a
 * metadata-only GET, a DELETE with preconditions and a propagation policy, and a PATCH — each
 * for one object of a resource the REST mapper found. {@linkcode ApiGcOperations} sends them;
 * tests put a fake in its place.
 *
 * @module
 */
import type { ObjectMeta } from "../api/types/meta_v1.ts";
import type { Client } from "../client/client.ts";
import type { MetadataClient } from "../client/metadata_client.ts";
import type { ApiResource } from "../client/resources.ts";

/** Which object: its namespace (`""` for cluster-scoped) and name. */
export interface GcTarget {
  readonly namespace: string;
  readonly name: string;
}

/** Options of {@linkcode GcOperations.delete}. */
export interface GcDeleteOptions {
  readonly uid: string;
  /** Also a precondition when set. */
  readonly resourceVersion?: string;
  readonly propagationPolicy: "Orphan" | "Background" | "Foreground";
  readonly signal?: AbortSignal;
}

/** Options of {@linkcode GcOperations.patch}. */
export interface GcPatchOptions {
  readonly type: "strategic" | "merge";
  readonly body: unknown;
  readonly signal?: AbortSignal;
}

/** The requests the collector makes; errors are the client's `StatusError`s. */
export interface GcOperations {
  /** The object's metadata. */
  get(resource: ApiResource, target: GcTarget, signal?: AbortSignal): Promise<ObjectMeta>;
  delete(resource: ApiResource, target: GcTarget & GcDeleteOptions): Promise<void>;
  patch(resource: ApiResource, target: GcTarget & GcPatchOptions): Promise<void>;
}

/** What {@linkcode ApiGcOperations} sends requests through. */
export interface ApiGcOperationsDeps {
  readonly client: Client;
  readonly metadata: MetadataClient;
}

/** The collector's requests, sent to the API server. */
export class ApiGcOperations implements GcOperations {
  readonly #client: Client;
  readonly #metadata: MetadataClient;

  constructor(deps: ApiGcOperationsDeps) {
    this.#client = deps.client;
    this.#metadata = deps.metadata;
  }

  async get(resource: ApiResource, target: GcTarget, signal?: AbortSignal): Promise<ObjectMeta> {
    const obj = await this.#metadata.resource(resource).get(target.name, {
      ...(target.namespace !== "" ? { namespace: target.namespace } : {}),
      ...(signal ? { signal } : {}),
    });
    return obj.metadata;
  }

  async delete(resource: ApiResource, target: GcTarget & GcDeleteOptions): Promise<void> {
    await this.#client.resource(resource).delete(target.name, {
      ...(target.namespace !== "" ? { namespace: target.namespace } : {}),
      propagationPolicy: target.propagationPolicy,
      preconditions: {
        uid: target.uid,
        ...(target.resourceVersion ? { resourceVersion: target.resourceVersion } : {}),
      },
      ...(target.signal ? { signal: target.signal } : {}),
    });
  }

  async patch(resource: ApiResource, target: GcTarget & GcPatchOptions): Promise<void> {
    await this.#client.resource(resource).patch(target.name, {
      ...(target.namespace !== "" ? { namespace: target.namespace } : {}),
      type: target.type,
      body: target.body,
      ...(target.signal ? { signal: target.signal } : {}),
    });
  }
}
