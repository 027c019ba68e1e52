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
import { AdmissionChain } from "./admission/admission.ts";
import { NamespaceLifecycle } from "./admission/namespace_lifecycle.ts";
import { ServiceAllocator } from "./admission/service_allocator.ts";
import { type ApiEnv, createApiApp } from "./app.ts";
import type { Authenticator } from "./auth/authenticator.ts";
import { decodeProtobufBody } from "./codec/protobuf_body.ts";
import { bootstrapCluster } from "./bootstrap.ts";
import type { RequestUser } from "./handlers/context.ts";
import { OpenApiHandler } from "./handlers/openapi_handler.ts";
import { InProcessClient } from "./in_process_client.ts";
import { BUILTIN_RESOURCES } from "./registry/builtin_resources.ts";
import { ResourceRegistry } from "./registry/resource_registry.ts";
import { WatchCaches } from "./store/watch_caches.ts";

const ADMIN: RequestUser = {
  username: "admin",
  groups: ["system:masters", "system:authenticated"],
};
const SERVICE_CIDR = "10.43.0.0/16";

/** A test app built by {@linkcode createTestApp}. */
export interface TestApp extends AsyncDisposable {
  readonly app: Hono<ApiEnv>;
  readonly storage: MemoryStorage;
  readonly logger: RecordingLogger;
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
export async function createTestApp(): Promise<TestApp> {
  const storage = new MemoryStorage();
  const logger = new RecordingLogger();
  const stop = new AbortController();
  const caches = new WatchCaches({ storage, logger, signal: stop.signal });
  const registry = new ResourceRegistry(BUILTIN_RESOURCES);
  const app = createApiApp({
    storage,
    registry: () => registry,
    caches,
    admission: new AdmissionChain([
      new NamespaceLifecycle({ storage, logger, signal: stop.signal }),
      new ServiceAllocator({ storage, serviceCidr: SERVICE_CIDR }),
    ]),
    clock: systemClock,
    logger,
    signal: stop.signal,
    authenticator: new AdminAuthenticator(),
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
