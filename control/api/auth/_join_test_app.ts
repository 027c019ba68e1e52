/**
 * A test harness for the join flow: the real app over memory storage, bootstrapped, with the
 * token authentication wired as the API server should wire it — in-process callers, then bearer
 * tokens (node credentials, bootstrap tokens) over the shared Secrets view — and the node
 * credential and CA routes. The authorizer allows everything and records who asked.
 *
 * @module
 */
import type { Hono } from "hono";
import { MemoryStorage } from "../../storage/memory.ts";
import { systemClock } from "../../util/clock.ts";
import type { Clock } from "../../util/clock.ts";
import { RecordingLogger } from "../../util/logger.ts";
import { AdmissionChain } from "../admission/admission.ts";
import { NamespaceLifecycle } from "../admission/namespace_lifecycle.ts";
import { type ApiEnv, createApiApp } from "../app.ts";
import { bootstrapCluster } from "../bootstrap.ts";
import type { RequestUser } from "../handlers/context.ts";
import { OpenApiHandler } from "../handlers/openapi_handler.ts";
import { InProcessClient } from "../in_process_client.ts";
import { BUILTIN_RESOURCES } from "../registry/builtin_resources.ts";
import { ResourceRegistry } from "../registry/resource_registry.ts";
import type { ObjectView } from "../store/object_view.ts";
import { ObjectViews } from "../store/object_views.ts";
import { WatchCaches } from "../store/watch_caches.ts";
import { InternalAuthenticator, UnionAuthenticator } from "./authenticator.ts";
import type { AuthorizationAttributes, Authorizer } from "./authorizer.ts";
import { BearerTokenAuthenticator } from "./bearer_token.ts";
import { BootstrapTokenAuthenticator } from "./bootstrap_token.ts";
import {
  CaCertsRoute,
  NodeCredentialAuthenticator,
  NodeCredentialRoute,
} from "./node_credential.ts";

/** A fake CA certificate for the routes to hand out. */
export const TEST_CA_PEM = "-----BEGIN CERTIFICATE-----\nTUlJQg==\n-----END CERTIFICATE-----\n";

/** The app built by {@linkcode createJoinTestApp}. */
export interface JoinTestApp extends AsyncDisposable {
  readonly app: Hono<ApiEnv>;
  readonly storage: MemoryStorage;
  readonly logger: RecordingLogger;
  readonly secrets: ObjectView;
  readonly nodes: ObjectView;
  /** The server's own client (`system:masters`). */
  readonly admin: InProcessClient;
  /** The users the authorizer saw, in order. */
  readonly users: RequestUser[];
  /** A request with `Authorization: Bearer <token>` (none when null). */
  fetch(
    path: string,
    options?: { token?: string | null; method?: string; body?: string; contentType?: string },
  ): Promise<Response>;
}

class RecordingAuthorizer implements Authorizer {
  readonly users: RequestUser[] = [];
  authorize(a: AuthorizationAttributes) {
    this.users.push(a.user);
    return Promise.resolve({ decision: "allow" as const, reason: "" });
  }
}

/** Options of {@linkcode createJoinTestApp}. */
export interface JoinTestAppOptions {
  readonly clock?: Clock;
  /** Refuse names that have a Node object. */
  readonly checkNodes?: boolean;
}

/** Builds and bootstraps the app. */
export async function createJoinTestApp(options: JoinTestAppOptions = {}): Promise<JoinTestApp> {
  const storage = new MemoryStorage();
  const logger = new RecordingLogger();
  const clock = options.clock ?? systemClock;
  const stop = new AbortController();
  const caches = new WatchCaches({ storage, logger, signal: stop.signal });
  const views = new ObjectViews({ storage, logger, signal: stop.signal });
  const secrets = await views.started("/registry/secrets/");
  const nodes = await views.started("/registry/nodes/");
  const registry = new ResourceRegistry(BUILTIN_RESOURCES);
  const authorizer = new RecordingAuthorizer();
  const route = new NodeCredentialRoute({
    caCertPem: () => TEST_CA_PEM,
    logger,
    ...(options.checkNodes ? { nodes } : {}),
  });
  const app = createApiApp({
    storage,
    registry: () => registry,
    caches,
    admission: new AdmissionChain([
      new NamespaceLifecycle({ storage, logger, signal: stop.signal }),
    ]),
    clock,
    logger,
    signal: stop.signal,
    authenticator: new UnionAuthenticator([
      new InternalAuthenticator(),
      new BearerTokenAuthenticator([
        new NodeCredentialAuthenticator({ secrets }),
        new BootstrapTokenAuthenticator({ secrets, clock }),
      ]),
    ]),
    authorizer,
    version: { major: "1", minor: "33", gitVersion: "v1.33.0" },
    serverAddress: () => "192.0.2.10:6443",
    openapi: new OpenApiHandler({ registry: () => registry, gitVersion: "v1.33.0" }),
    ready: () => true,
    extensions: { routes: [route, new CaCertsRoute(() => TEST_CA_PEM)] },
  });
  const admin = new InProcessClient(app, {
    username: "system:apiserver",
    groups: ["system:masters", "system:authenticated"],
  });
  await bootstrapCluster({
    client: admin,
    logger,
    serviceCidr: "10.43.0.0/16",
    advertiseAddress: "192.0.2.10",
    port: 6443,
  });
  route.start(admin, stop.signal);
  authorizer.users.length = 0;
  return {
    app,
    storage,
    logger,
    secrets,
    nodes,
    admin,
    users: authorizer.users,
    async fetch(path, o = {}) {
      const headers: Record<string, string> = {};
      if (o.token) headers.authorization = `Bearer ${o.token}`;
      if (o.body !== undefined) headers["content-type"] = o.contentType ?? "application/json";
      return await app.request(path, {
        method: o.method ?? "GET",
        headers,
        ...(o.body !== undefined ? { body: o.body } : {}),
      });
    },
    async [Symbol.asyncDispose]() {
      stop.abort();
      caches.stop();
      await storage.close();
    },
  };
}
