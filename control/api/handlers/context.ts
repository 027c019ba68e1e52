/**
 * What every resource handler works with: the request as the API server read it (request
 * info, resource, query, negotiated output format, the user) and the server's shared parts
 * (storage, registry, watch caches, admission, clock, logger).
 *
 * @module
 */
import type { Storage } from "../../storage/types.ts";
import type { Clock } from "../../util/clock.ts";
import type { Logger } from "../../util/logger.ts";
import type { AdmissionChain } from "../admission/admission.ts";
import type { OutputFormat } from "../media_type.ts";
import type { ResourceDef } from "../registry/resource_def.ts";
import type { ResourceRegistry } from "../registry/resource_registry.ts";
import type { ResourceRequestInfo } from "../request_info.ts";
import type { ObjectViews } from "../store/object_views.ts";
import type { WatchCaches } from "../store/watch_caches.ts";

/** The authenticated user of a request (`user.Info`). */
export interface RequestUser {
  readonly username: string;
  readonly uid?: string;
  readonly groups: readonly string[];
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

/** The parts of the server handlers share. */
export interface ServerParts {
  readonly storage: Storage;
  readonly registry: () => ResourceRegistry;
  readonly caches: WatchCaches;
  /**
   * The server's object views, offered the objects creates store (each view then skips a
   * decode of them). @default {none}
   */
  readonly views?: ObjectViews;
  readonly admission: AdmissionChain;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Ends long-running requests (watches) at shutdown. */
  readonly signal: AbortSignal;
}

/** One resource request. */
export interface ResourceRequest {
  readonly info: ResourceRequestInfo;
  readonly def: ResourceDef;
  readonly url: URL;
  readonly query: URLSearchParams;
  readonly headers: Headers;
  readonly method: string;
  /** The response format the client accepts best (null: nothing acceptable, 406). */
  readonly output: OutputFormat | null;
  readonly user: RequestUser;
  /** Reads the body, at most the server's limit (413 beyond it). */
  readonly body: () => Promise<Uint8Array>;
  /**
   * The body as it arrives, for handlers that pass it on (the proxy subresources); null for
   * none. Use either this or `body`, not both.
   */
  readonly bodyStream?: () => ReadableStream<Uint8Array> | null;
  /** The client's IP address, when the request came over a connection. */
  readonly remoteAddress?: string;
  /** Aborts when the client goes away or the server stops. */
  readonly signal: AbortSignal;
}

/** The largest request body the server reads: 3 MiB, as kube-apiserver's limit. */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;
