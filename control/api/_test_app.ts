/**
 * A test harness for API unit tests: the real app (routing, handlers, admission, watch caches,
 * OpenAPI) over an in-memory storage, bootstrapped like a fresh cluster, with every request
 * authenticated as a cluster admin. Tests call {@linkcode TestApp.request} (the app's own
 * `app.request`, no socket) or {@linkcode TestApp.json}.
 *
 * @example Read a bootstrapped namespace
 * ```ts ignore
 * await using t = await createTestApp();
 * const res = await t.json("GET", "/api/v1/namespaces/default");
 * ```
 *
 * @module
 */
import type { Hono } from "hono";
import { MemoryStorage } from "../storage/memory.ts";
import { systemClock } from "../util/clock.ts";
import { RecordingLogger } from "../util/logger.ts";
import { AdmissionChain, type AdmissionPlugin } from "./admission/admission.ts";
import { NamespaceLifecycle } from "./admission/namespace_lifecycle.ts";
import { ServiceAllocator } from "./admission/service_allocator.ts";
import { type ApiEnv, createApiApp } from "./app.ts";
import {
  type Authenticator,
  InternalAuthenticator,
  UnionAuthenticator,
} from "./auth/authenticator.ts";
import { type Authorizer, UnionAuthorizer } from "./auth/authorizer.ts";
import { decodeProtobufBody } from "./codec/protobuf_body.ts";
import { bootstrapCluster } from "./bootstrap.ts";
import type { RequestUser } from "./handlers/context.ts";
import type { ApiExtensions } from "./handlers/extensions.ts";
import { OpenApiHandler } from "./handlers/openapi_handler.ts";
import { InProcessClient } from "./in_process_client.ts";
import { BUILTIN_RESOURCES } from "./registry/builtin_resources.ts";
import { ResourceRegistry } from "./registry/resource_registry.ts";
import { ObjectViews } from "./store/object_views.ts";
import { viewProjection } from "./store/view_projections.ts";
import { WatchCaches } from "./store/watch_caches.ts";

const ADMIN: RequestUser = {
  username: "admin",
  groups: ["system:masters", "system:authenticated"],
};
const SERVICE_CIDR = "10.43.0.0/16";

/** What a test plugs into {@linkcode createTestApp}; each part sees the app's storage and views. */
export interface TestAppParts {
  readonly storage: MemoryStorage;
  readonly views: ObjectViews;
  readonly logger: RecordingLogger;
  readonly signal: AbortSignal;
}

/** Options of {@linkcode createTestApp}. */
export interface TestAppOptions {
  /** Replaces the admin-for-everyone authenticator. */
  readonly authenticator?: (parts: TestAppParts) => Authenticator;
  /** @default {AlwaysAllow} */
  readonly authorizer?: (parts: TestAppParts) => Authorizer;
  /** Admission plugins after NamespaceLifecycle and the service allocator. */
  readonly admission?: (parts: TestAppParts) => readonly AdmissionPlugin[];
  readonly extensions?: (parts: TestAppParts) => ApiExtensions;
}

/** A test app built by {@linkcode createTestApp}. */
export interface TestApp extends AsyncDisposable {
  readonly app: Hono<ApiEnv>;
  readonly storage: MemoryStorage;
  readonly logger: RecordingLogger;
  /** The app's shared object views (stopped with the app). */
  readonly views: ObjectViews;
  /** A client acting as a cluster admin, in process. */
  readonly client: InProcessClient;
  /** Aborts when the app is disposed. */
  readonly signal: AbortSignal;
  /** `app.request`: `path` includes the query. */
  request(path: string, init?: RequestInit): Promise<Response>;
  /** Sends `body` as JSON (unless a string) and parses the JSON answer. */
  json(
    method: string,
    path: string,
    options?: { body?: unknown; contentType?: string; accept?: string },
  ): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }>;
}

class AdminAuthenticator implements Authenticator {
  authenticate(): Promise<RequestUser> {
    return Promise.resolve(ADMIN);
  }
}

/** Builds the app over a fresh {@linkcode MemoryStorage} and bootstraps the cluster's objects. */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const storage = new MemoryStorage();
  const logger = new RecordingLogger();
  const stop = new AbortController();
  const caches = new WatchCaches({ storage, logger, signal: stop.signal });
  const views = new ObjectViews({ storage, logger, signal: stop.signal, project: viewProjection });
  const parts: TestAppParts = { storage, views, logger, signal: stop.signal };
  const registry = new ResourceRegistry(BUILTIN_RESOURCES);
  const app = createApiApp({
    storage,
    registry: () => registry,
    caches,
    views,
    admission: new AdmissionChain([
      new NamespaceLifecycle({ storage, logger, signal: stop.signal }),
      new ServiceAllocator({ storage, serviceCidr: SERVICE_CIDR }),
      ...(options.admission?.(parts) ?? []),
    ]),
    clock: systemClock,
    logger,
    signal: stop.signal,
    // The in-process admin client always gets in; a test's authenticator decides the rest.
    authenticator: options.authenticator
      ? new UnionAuthenticator([new InternalAuthenticator(), options.authenticator(parts)])
      : new AdminAuthenticator(),
    // Wrapped so system:masters (the admin client) bypasses a test's authorizer, as on a server.
    ...(options.authorizer ? { authorizer: new UnionAuthorizer([options.authorizer(parts)]) } : {}),
    ...(options.extensions ? { extensions: options.extensions(parts) } : {}),
    version: { major: "1", minor: "33", gitVersion: "v1.33.0" },
    serverAddress: () => "192.0.2.10:6443",
    openapi: new OpenApiHandler({ registry: () => registry, gitVersion: "v1.33.0" }),
    ready: () => true,
    rest: { protobuf: decodeProtobufBody },
  });
  const client = new InProcessClient(app, ADMIN);
  await bootstrapCluster({
    client,
    logger,
    serviceCidr: SERVICE_CIDR,
    advertiseAddress: "192.0.2.10",
    port: 6443,
  });
  return {
    app,
    storage,
    logger,
    views,
    client,
    signal: stop.signal,
    async request(path, init) {
      return await app.request(path, init);
    },
    async json(method, path, options = {}) {
      const headers: Record<string, string> = { accept: options.accept ?? "application/json" };
      let body: string | undefined;
      if (options.body !== undefined) {
        body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
        headers["content-type"] = options.contentType ?? "application/json";
      }
      const res = await app.request(path, {
        method,
        headers,
        ...(body !== undefined ? { body } : {}),
      });
      const text = await res.text();
      return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : {} };
    },
    async [Symbol.asyncDispose]() {
      stop.abort();
      caches.stop();
      await storage.close();
    },
  };
}
