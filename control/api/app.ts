/**
 * The API server's HTTP application: routes every request — health and version, discovery,
 * OpenAPI, and resources — to its handler, authenticates it, and turns every failure into a
 * Kubernetes `Status`. Built on Hono; tests call `app.request()` without a socket, and the
 * HTTPS listener (`https_server.ts`) passes the TLS peer certificate in through the env.
 *
 * @example Ask for the version without a socket
 * ```ts ignore
 * const app = createApiApp(deps);
 * const res = await app.request("/version");
 * ```
 *
 * @module
 */
import { Hono } from "hono";
import type { Logger } from "../util/logger.ts";
import { ApiError } from "./errors.ts";
import {
  type AuthenticatedRequest,
  AuthenticationError,
  type Authenticator,
  type ConnectionInfo,
} from "./auth/authenticator.ts";
import {
  AlwaysAllow,
  type AuthorizationAttributes,
  type Authorizer,
  forbiddenMessage,
} from "./auth/authorizer.ts";
import { hasImpersonation, impersonatedUser } from "./auth/impersonation.ts";
import type { RequestUser, ResourceRequest, ServerParts } from "./handlers/context.ts";
import { MAX_BODY_BYTES } from "./handlers/context.ts";
import { DiscoveryHandler } from "./handlers/discovery.ts";
import { parseFieldSelector } from "./selectors/field_selector.ts";
import { type HealthCheck, HealthProbe } from "./handlers/health.ts";
import type { ApiExtensions } from "./handlers/extensions.ts";
import type { OpenApiHandler } from "./handlers/openapi_handler.ts";
import { RestHandler, type RestHandlerOptions } from "./handlers/rest_handler.ts";
import { SubresourceHandlers } from "./handlers/subresource_handlers.ts";
import { WatchHandler } from "./handlers/watch_handler.ts";
import { negotiateOutput, parseAccept } from "./media_type.ts";
import { verbsOf } from "./registry/resource_def.ts";
import { requestInfo, type ResourceRequestInfo } from "./request_info.ts";
import { concatBytes } from "../util/bytes.ts";

/** What the Hono app's env carries per request. */
export interface ApiEnv {
  Bindings: { connection?: ConnectionInfo };
}

/** The version document `GET /version` answers. */
export interface VersionDocument {
  readonly major: string;
  readonly minor: string;
  readonly gitVersion: string;
  readonly [extra: string]: string;
}

/** What {@linkcode createApiApp} needs. */
export interface ApiAppDeps extends ServerParts {
  readonly authenticator: Authenticator;
  /** Decides what authenticated users may do. @default {AlwaysAllow} */
  readonly authorizer?: Authorizer;
  readonly version: VersionDocument;
  /** `host:port` clients reach the server at (discovery's serverAddressByClientCIDRs). */
  readonly serverAddress: () => string;
  readonly openapi: OpenApiHandler;
  /** Whether the server is ready (`/readyz`). */
  readonly ready: () => boolean;
  readonly rest?: RestHandlerOptions;
  /** Review resources, subresource hooks and extra routes plugged in by other parts. */
  readonly extensions?: ApiExtensions;
}

/**
 * The name a list or watch is narrowed to by `fieldSelector=metadata.name=x`: authorized as a
 * request for that one object (so RBAC `resourceNames` apply), as kube-apiserver's request
 * info does. "" when the selector names no single valid object or does not parse.
 */
function selectedName(fieldSelector: string): string {
  if (fieldSelector === "") return "";
  try {
    const term = parseFieldSelector(fieldSelector).requirements.find((r) =>
      r.field === "metadata.name" && r.operator === "="
    );
    const name = term?.value ?? "";
    return name === "." || name === ".." || name.includes("/") || name.includes("%") ? "" : name;
  } catch {
    return "";
  }
}

/** A request's URL and what it asks for, parsed once for authorization and routing. */
const PARSED = new WeakMap<
  Request,
  { readonly url: URL; readonly info: ReturnType<typeof requestInfo> }
>();

/** The URL and request info of `request` (parsed on first use, then remembered). */
function parsedRequest(
  request: Request,
): { readonly url: URL; readonly info: ReturnType<typeof requestInfo> } {
  let parsed = PARSED.get(request);
  if (parsed === undefined) {
    const url = new URL(request.url);
    parsed = { url, info: requestInfo(request.method, url) };
    PARSED.set(request, parsed);
  }
  return parsed;
}

/** The user of a request without credentials. */
const ANONYMOUS: RequestUser = { username: "system:anonymous", groups: ["system:unauthenticated"] };

/** The authorization attributes of a request, from its method and URL. */
export function authorizationAttributes(
  request: Request,
  user: RequestUser,
): AuthorizationAttributes {
  const { url, info } = parsedRequest(request);
  if (!info.isResourceRequest) {
    return {
      user,
      verb: info.verb,
      resourceRequest: false,
      path: info.path,
      apiGroup: "",
      apiVersion: "",
      resource: "",
      subresource: "",
      namespace: "",
      name: "",
    };
  }
  const fieldSelector = url.searchParams.get("fieldSelector") ?? "";
  return {
    user,
    verb: info.verb,
    resourceRequest: true,
    path: info.path,
    apiGroup: info.apiGroup,
    apiVersion: info.apiVersion,
    resource: info.resource,
    subresource: info.subresource,
    namespace: info.namespace,
    name: info.name !== "" || (info.verb !== "list" && info.verb !== "watch")
      ? info.name
      : selectedName(fieldSelector),
    fieldSelector,
    labelSelector: url.searchParams.get("labelSelector") ?? "",
  };
}

/** Paths anonymous clients may read, as kube-apiserver's `system:public-info-viewer`. */
/**
 * What anonymous requests may reach: exactly the paths of upstream's
 * `system:public-info-viewer` (not `/healthz/<check>`), plus extra routes marked public.
 */
const PUBLIC_PATHS: ReadonlySet<string> = new Set([
  "/healthz",
  "/livez",
  "/readyz",
  "/version",
  "/version/",
]);

/** How long a probe waits for storage before calling it unhealthy. */
const STORAGE_CHECK_TIMEOUT_MS = 2000;

/** The probes and their checks: storage answers within a deadline; readiness follows `ready`. */
function healthProbes(deps: ApiAppDeps): [string, HealthProbe][] {
  const ping: HealthCheck = { name: "ping", check: () => Promise.resolve() };
  const storage: HealthCheck = {
    name: "storage",
    check: () =>
      new Promise<void>((resolve, reject) => {
        const timer = deps.clock.setTimeout(
          () => reject(new Error(`Storage did not answer in ${STORAGE_CHECK_TIMEOUT_MS} ms`)),
          STORAGE_CHECK_TIMEOUT_MS,
        );
        deps.storage.currentRevision().then(() => resolve(), reject).finally(() => timer.cancel());
      }),
  };
  const bootstrap: HealthCheck = {
    name: "bootstrap",
    check: () =>
      deps.ready()
        ? Promise.resolve()
        : Promise.reject(new Error("The cluster's objects are not bootstrapped yet")),
  };
  const logger = deps.logger.with({ component: "health" });
  return [
    ["/healthz", new HealthProbe("healthz", [ping, storage], logger)],
    ["/livez", new HealthProbe("livez", [ping, storage], logger)],
    ["/readyz", new HealthProbe("readyz", [ping, storage, bootstrap], logger)],
  ];
}

/** Accept headers seen and what they negotiate to: clients send a handful of distinct ones. */
const outputs = new Map<string, ReturnType<typeof negotiateOutput>>();
const MAX_CACHED_ACCEPTS = 64;

/** The output format an `Accept` header negotiates (memoized per header value). */
function outputFor(accept: string | null): ReturnType<typeof negotiateOutput> {
  const key = accept ?? "";
  let out = outputs.get(key);
  if (out === undefined && !outputs.has(key)) {
    out = negotiateOutput(parseAccept(accept));
    if (outputs.size >= MAX_CACHED_ACCEPTS) outputs.delete(outputs.keys().next().value!);
    outputs.set(key, out);
  }
  return out ?? null;
}

/** Reads a request body, refusing more than `maxBytes` with 413. */
export async function readBody(request: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = request.headers.get("content-length");
  const length = declared === null ? Number.NaN : Number(declared);
  if (length > maxBytes) throw ApiError.tooLarge(maxBytes);
  if (Number.isSafeInteger(length) && length >= 0) {
    // A declared length frames the body (the HTTP layer holds it whole, and so does the
    // in-process client): read it at once, without a stream and a reader for it.
    const bytes = await request.bytes();
    if (bytes.byteLength > maxBytes) throw ApiError.tooLarge(maxBytes);
    return bytes;
  }
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw ApiError.tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  return concatBytes(chunks, size);
}

function logFailure(logger: Logger, err: unknown, request: Request): void {
  logger.error("Request failed", {
    method: request.method,
    path: new URL(request.url).pathname,
    error: err,
  });
}

/** Builds the API server's Hono app. */
export function createApiApp(deps: ApiAppDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const rest = new RestHandler(deps, deps.rest ?? {});
  const watch = new WatchHandler({ parts: deps, rest });
  const subresources = new SubresourceHandlers({ parts: deps, rest });
  const discovery = new DiscoveryHandler({
    registry: deps.registry,
    serverAddress: deps.serverAddress,
  });

  app.onError((err, c) => {
    if (err instanceof ApiError) return err.toResponse();
    logFailure(deps.logger, err, c.req.raw);
    return ApiError.internal(err).toResponse();
  });
  app.notFound(() => ApiError.pathNotFound().toResponse());

  // Authentication: every request resolves to a user, or 401 outside the public paths.
  // Authentication: every request resolves to a user, or 401 outside the public paths.
  // Authorization: every authenticated request is allowed by an authorizer, or 403.
  const authorizer = deps.authorizer ?? new AlwaysAllow();
  const publicRoutes = new Set(
    (deps.extensions?.routes ?? []).filter((r) => r.public === true && r.method === "GET").map(
      (r) => r.path,
    ),
  );
  app.use("*", async (c, next) => {
    const path = c.req.path;
    let user: RequestUser | null;
    try {
      user = await deps.authenticator.authenticate(c.req.raw, c.env?.connection ?? {});
    } catch (err) {
      if (!(err instanceof AuthenticationError)) throw err;
      deps.logger.debug("Authentication failed", { path, error: err.message });
      throw ApiError.unauthorized();
    }
    // kubectl --as: act as another user once allowed to impersonate them.
    if (hasImpersonation(c.req.raw)) {
      user = await impersonatedUser(c.req.raw, { user: user ?? ANONYMOUS, authorizer });
    }
    if (user === null) {
      if (!PUBLIC_PATHS.has(path) && !publicRoutes.has(path)) throw ApiError.unauthorized();
      (c.req.raw as AuthenticatedRequest).skiffUser = ANONYMOUS;
      return await next();
    }
    (c.req.raw as AuthenticatedRequest).skiffUser = user;
    // A public route serves everyone alike (the CA for joining agents): no RBAC rule names it.
    if (publicRoutes.has(path)) return await next();
    const attrs = authorizationAttributes(c.req.raw, user);
    const res = await authorizer.authorize(attrs);
    if (res.decision !== "allow") {
      throw new ApiError(forbiddenMessage(attrs, res.reason), {
        code: 403,
        reason: "Forbidden",
        details: attrs.resourceRequest
          ? { name: attrs.name, group: attrs.apiGroup, kind: attrs.resource }
          : {},
      });
    }
    await next();
  });

  for (const [path, probe] of healthProbes(deps)) {
    app.get(path, (c) => probe.all(new URL(c.req.url)));
    app.get(`${path}/:check`, async (c) => {
      const res = await probe.one(c.req.param("check"));
      if (res === null) throw ApiError.pathNotFound();
      return res;
    });
  }
  app.get("/version", () =>
    new Response(JSON.stringify(deps.version, null, 2), {
      headers: { "content-type": "application/json" },
    }));

  for (const route of deps.extensions?.routes ?? []) {
    if (route.method === "GET") app.get(route.path, (c) => route.handle(c.req.raw));
    else app.post(route.path, (c) => route.handle(c.req.raw));
  }
  app.get("/openapi/v2", (c) => deps.openapi.v2(c.req.raw));
  app.get("/openapi/v3", (c) => deps.openapi.v3Index(c.req.raw));
  app.get("/openapi/v3/*", (c) => deps.openapi.v3(c.req.raw));

  const resources = async (request: Request, connection?: ConnectionInfo): Promise<Response> => {
    const { url, info } = parsedRequest(request);
    if (!info.isResourceRequest) {
      if (request.method !== "GET" && request.method !== "HEAD") {
        throw new ApiError(`the server does not allow this method on the requested resource`, {
          code: 405,
          reason: "MethodNotAllowed",
        });
      }
      const res = await discovery.handle(info.path, request.headers);
      if (res === null) throw ApiError.pathNotFound();
      return res;
    }
    return await serveResource(request, url, { info, remoteAddress: connection?.remoteAddress });
  };

  const serveResource = async (
    request: Request,
    url: URL,
    context: { readonly info: ResourceRequestInfo; readonly remoteAddress: string | undefined },
  ): Promise<Response> => {
    const { info, remoteAddress } = context;
    const def = deps.registry().get(info.apiGroup, info.apiVersion, info.resource);
    if (!def) throw ApiError.pathNotFound();
    if (def.namespaced && info.namespace === "" && info.name !== "") throw ApiError.pathNotFound();
    if (!def.namespaced && info.namespace !== "" && def.resource !== "namespaces") {
      throw ApiError.pathNotFound();
    }
    let body: Uint8Array | null = null;
    const req: ResourceRequest = {
      info,
      def,
      url,
      query: url.searchParams,
      headers: request.headers,
      method: request.method,
      output: outputFor(request.headers.get("accept")),
      user: (request as AuthenticatedRequest).skiffUser as RequestUser,
      body: async () => body ??= await readBody(request, MAX_BODY_BYTES),
      bodyStream: () => request.body,
      ...(remoteAddress ? { remoteAddress } : {}),
      signal: request.signal,
    };
    if (info.subresource !== "") {
      const hook = deps.extensions?.subresources?.find((h) =>
        h.group === def.group && h.resource === def.resource && h.subresource === info.subresource
      );
      if (hook) return await hook.handle(req);
      return await subresources.handle(req);
    }
    if (def.ephemeral) {
      if (info.verb !== "create" || info.name !== "") {
        throw ApiError.methodNotSupported(def, info.verb);
      }
      const review = deps.extensions?.reviews?.find((r) => r.handles(def));
      if (!review) {
        throw ApiError.internal(new Error(`No handler answers ${def.resource}.${def.group}`));
      }
      return await review.create(req);
    }
    const verbs = verbsOf(def);
    const verb = info.verb;
    if (!verbs.includes(verb)) throw ApiError.methodNotSupported(def, verb);
    switch (verb) {
      case "get":
        return await rest.get(req);
      case "list":
        return await rest.list(req);
      case "watch":
        return await watch.watch(req);
      case "create":
        if (info.name !== "") throw ApiError.methodNotSupported(def, "create");
        return await rest.create(req);
      case "update":
        return await rest.update(req);
      case "patch":
        return await rest.patch(req);
      case "delete":
        return await rest.delete(req);
      case "deletecollection":
        return await rest.deleteCollection(req);
      default:
        throw ApiError.methodNotSupported(def, verb);
    }
  };

  app.all("/api", (c) => resources(c.req.raw, c.env?.connection));
  app.all("/api/*", (c) => resources(c.req.raw, c.env?.connection));
  app.all("/apis", (c) => resources(c.req.raw, c.env?.connection));
  app.all("/apis/*", (c) => resources(c.req.raw, c.env?.connection));
  return app;
}
