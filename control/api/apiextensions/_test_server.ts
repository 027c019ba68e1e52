/**
 * A test harness for the CRD handler tests: the real app over an in-memory storage, with the
 * served resources kept by {@linkcode CustomResourceDefinitions} (built-in ones plus those of
 * established CRDs) and the loop running, every request made as a cluster admin.
 *
 * @module
 */
import type { Hono } from "hono";
import { MemoryStorage } from "../../storage/memory.ts";
import { systemClock } from "../../util/clock.ts";
import { RecordingLogger } from "../../util/logger.ts";
import { AdmissionChain } from "../admission/admission.ts";
import { NamespaceLifecycle } from "../admission/namespace_lifecycle.ts";
import { type ApiEnv, createApiApp } from "../app.ts";
import type { Authenticator } from "../auth/authenticator.ts";
import { bootstrapCluster } from "../bootstrap.ts";
import type { RequestUser } from "../handlers/context.ts";
import { OpenApiHandler } from "../handlers/openapi_handler.ts";
import { InProcessClient } from "../in_process_client.ts";
import { BUILTIN_RESOURCES } from "../registry/builtin_resources.ts";
import { ResourceRegistry } from "../registry/resource_registry.ts";
import { WatchCaches } from "../store/watch_caches.ts";
import { CustomResourceDefinitions } from "./crd_controller.ts";

const ADMIN: RequestUser = {
  username: "admin",
  groups: ["system:masters", "system:authenticated"],
};

/** The app and the CRD loop. */
export interface CrdTestServer extends AsyncDisposable {
  readonly app: Hono<ApiEnv>;
  readonly crds: CustomResourceDefinitions;
  readonly storage: MemoryStorage;
  /** Sends `body` as JSON (unless a string) and parses the JSON answer. */
  json(
    method: string,
    path: string,
    options?: { body?: unknown; contentType?: string; accept?: string },
  ): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }>;
  /** Creates a CRD and waits until its resources are served. */
  establish(crd: Record<string, unknown>): Promise<Record<string, unknown>>;
}

class AdminAuthenticator implements Authenticator {
  authenticate(): Promise<RequestUser> {
    return Promise.resolve(ADMIN);
  }
}

/** Starts the app over a fresh storage with the CRD loop running. */
export async function startCrdTestServer(): Promise<CrdTestServer> {
  const storage = new MemoryStorage();
  const logger = new RecordingLogger();
  const stop = new AbortController();
  const caches = new WatchCaches({ storage, logger, signal: stop.signal });
  const crds = new CustomResourceDefinitions({
    builtins: new ResourceRegistry(BUILTIN_RESOURCES),
    storage,
    clock: systemClock,
    logger,
    signal: stop.signal,
  });
  const registry = () => crds.registry();
  const app = createApiApp({
    storage,
    registry,
    caches,
    admission: new AdmissionChain([
      new NamespaceLifecycle({ storage, logger, signal: stop.signal }),
    ]),
    clock: systemClock,
    logger,
    signal: stop.signal,
    authenticator: new AdminAuthenticator(),
    version: { major: "1", minor: "33", gitVersion: "v1.33.0" },
    serverAddress: () => "192.0.2.10:6443",
    openapi: new OpenApiHandler({ registry, gitVersion: "v1.33.0" }),
    ready: () => true,
  });
  const client = new InProcessClient(app, ADMIN);
  await bootstrapCluster({
    client,
    logger,
    serviceCidr: "10.43.0.0/16",
    advertiseAddress: "192.0.2.10",
    port: 6443,
  });
  await crds.start(client);
  const json: CrdTestServer["json"] = async (method, path, options = {}) => {
    const headers: Record<string, string> = { accept: options.accept ?? "application/json" };
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
      headers["content-type"] = options.contentType ?? "application/json";
    }
    const res = await app.request(path, { method, headers, ...(body ? { body } : {}) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : {} };
  };
  return {
    app,
    crds,
    storage,
    json,
    async establish(crd) {
      const res = await json("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", {
        body: crd,
      });
      if (res.status !== 201) throw new Error(`Cannot create CRD: ${JSON.stringify(res.body)}`);
      const name = (crd.metadata as { name: string }).name;
      for (let i = 0; i < 200; i++) {
        await crds.idle();
        const got = await json(
          "GET",
          `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`,
        );
        const conditions = (got.body.status as { conditions?: { type: string; status: string }[] })
          ?.conditions ?? [];
        if (conditions.some((c) => c.type === "Established" && c.status === "True")) {
          return got.body;
        }
        await new Promise((r) => setTimeout(r, 5));
      }
      throw new Error(`CRD "${name}" was not established`);
    },
    async [Symbol.asyncDispose]() {
      stop.abort();
      caches.stop();
      await crds.idle();
      await storage.close();
    },
  };
}
