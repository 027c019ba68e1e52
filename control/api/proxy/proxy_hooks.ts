/**
 * The `proxy` subresources — `pods/proxy`, `services/proxy` and `nodes/proxy`, each with or
 * without a trailing path (`/api/v1/namespaces/{ns}/pods/{name[:port]}/proxy/{path}`,
 * `/api/v1/namespaces/{ns}/services/{[scheme:]name[:port]}/proxy/{path}`,
 * `/api/v1/nodes/{name[:port]}/proxy/{path}`) — for every method kube-apiserver connects
 * (GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS), as its proxy REST storage serves them:
 *
 * 1. authorization happened before, in the app: the `proxy` subresource with the request's
 *    verb (`get` for GET and HEAD, `create` for POST, …), the name segment as the name;
 * 2. the trailing path becomes the options' `path` (a leading `/`, and a trailing one when
 *    the request has it), and the request is admitted as a `CONNECT` of `PodProxyOptions`
 *    (`ServiceProxyOptions`, `NodeProxyOptions`) when an admission chain is given;
 * 3. the name segment is split and the target found (`proxy_location.ts`, upstream's
 *    messages): the pod's IP, a ready endpoint of the Service, the node's kubelet;
 * 4. the request is passed through (`proxy_handler.ts`): the pod or endpoint dialled from the
 *    API server itself (as kube-apiserver does: it needs the pod network), the kubelet over
 *    TLS with the API server's kubelet client certificate.
 *
 * @module
 */
import { lookup } from "node:dns/promises";
import type { Storage } from "../../storage/types.ts";
import type { Http1TakenSocket } from "../../util/http1_connection.ts";
import type { Logger } from "../../util/logger.ts";
import type { AdmissionChain } from "../admission/admission.ts";
import { ApiError } from "../errors.ts";
import type { ResourceRequest } from "../handlers/context.ts";
import type { SubresourceHook } from "../handlers/extensions.ts";
import type { KubeletClientCredentials } from "../kubelet_connection.ts";
import { decodeStored } from "../store/object_codec.ts";
import type { KubeletDialer } from "../streaming/kubelet_upgrade.ts";
import type { Node } from "../types/core_v1_node.ts";
import type { Pod } from "../types/core_v1_pod.ts";
import type { Endpoints, Service } from "../types/core_v1_service.ts";
import { joinPreservingTrailingSlash, unescapePath } from "./_go_path.ts";
import { type BackendDialer, dialBackend, kubeletBackendDialer } from "./backend_connection.ts";
import { proxyRequest } from "./proxy_handler.ts";
import {
  type HostResolver,
  nodeProxyLocation,
  podProxyLocation,
  type ProxyLocation,
  serviceProxyLocation,
  splitSchemeNamePort,
} from "./proxy_location.ts";

/** The resources with a `proxy` subresource. */
export type ProxiedResource = "pods" | "services" | "nodes";

/** The methods the proxy subresources connect (upstream `proxyMethods`). */
export const PROXY_METHODS: readonly string[] = [
  "GET",
  "POST",
  "PUT",
  "PATCH",
  "DELETE",
  "HEAD",
  "OPTIONS",
];

/** The options kind each proxy subresource is admitted with. */
const OPTIONS_KIND: Readonly<Record<ProxiedResource, string>> = {
  pods: "PodProxyOptions",
  services: "ServiceProxyOptions",
  nodes: "NodeProxyOptions",
};

/** What the proxy reads to find a target (whole objects: the views keep too little). */
export interface ProxyReaders {
  readonly getPod: (namespace: string, name: string) => Promise<Pod | undefined>;
  readonly getService: (namespace: string, name: string) => Promise<Service | undefined>;
  readonly getEndpoints: (namespace: string, name: string) => Promise<Endpoints | undefined>;
  readonly getNode: (name: string) => Promise<Node | undefined>;
}

/** {@linkcode ProxyReaders} reading `storage` (`/registry/<resource>/…`). */
export function storageProxyReaders(storage: Storage): ProxyReaders {
  const read = async (key: string) => {
    const kv = await storage.get(key);
    return kv ? decodeStored(kv.value, kv.modRevision) : undefined;
  };
  return {
    getPod: async (ns, name) => await read(`/registry/pods/${ns}/${name}`) as Pod | undefined,
    getService: async (ns, name) =>
      await read(`/registry/services/${ns}/${name}`) as Service | undefined,
    getEndpoints: async (ns, name) =>
      await read(`/registry/endpoints/${ns}/${name}`) as Endpoints | undefined,
    getNode: async (name) => await read(`/registry/nodes/${name}`) as Node | undefined,
  };
}

/** Options of {@linkcode ProxyHook}. */
export interface ProxyHookOptions {
  readonly resource: ProxiedResource;
  readonly readers: ProxyReaders;
  /** The API server's kubelet client certificate, read per request (it is renewed). */
  readonly credentials: () => KubeletClientCredentials;
  readonly logger: Logger;
  /** Admits each request as a `CONNECT`. @default {none} */
  readonly admission?: Pick<AdmissionChain, "run">;
  /** Dials pods, endpoints and nodes' other ports. @default {dialBackend} */
  readonly dial?: BackendDialer;
  /** Dials kubelets. @default {dialKubelet} */
  readonly dialKubelet?: KubeletDialer;
  /** Takes the client's socket for an upgrade. @default {takeOverSocket} */
  readonly takeOver?: (signal: AbortSignal) => Http1TakenSocket | null;
  /** Picks endpoints, where upstream picks at random. @default {Math.random} */
  readonly random?: () => number;
  /** Resolves a node's host name. @default {the system resolver} */
  readonly resolveHost?: HostResolver;
}

async function systemResolve(hostname: string): Promise<readonly string[]> {
  return (await lookup(hostname, { all: true })).map((a) => a.address);
}

/**
 * The options' `path` of a proxy request (upstream's subpath): the segments after `proxy`,
 * with a leading `/`, and a trailing one when the request's path ends with one.
 */
export function proxySubpath(rest: readonly string[], requestPath: string): string {
  let p = rest.join("/");
  if (p !== "" && !p.startsWith("/")) p = `/${p}`;
  if (requestPath.endsWith("/") && !p.endsWith("/")) p += "/";
  return p;
}

/** The options object a proxy request is admitted with. */
export function proxyOptionsObject(
  resource: ProxiedResource,
  path: string,
): Record<string, unknown> {
  return {
    kind: OPTIONS_KIND[resource],
    apiVersion: "v1",
    metadata: {},
    ...(path === "" ? {} : { path }),
  };
}

function decodedPath(pathname: string): string {
  try {
    return unescapePath(pathname);
  } catch {
    return pathname;
  }
}

/** Serves one of the `proxy` subresources (see the module doc). */
export class ProxyHook implements SubresourceHook {
  readonly group = "";
  readonly resource: ProxiedResource;
  readonly subresource = "proxy";
  readonly #o: ProxyHookOptions;
  readonly #dial: BackendDialer;
  readonly #dialKubelet: BackendDialer;

  constructor(options: ProxyHookOptions) {
    this.#o = options;
    this.resource = options.resource;
    this.#dial = options.dial ?? ((address, o) => dialBackend(address, o));
    this.#dialKubelet = kubeletBackendDialer({
      credentials: options.credentials,
      ...(options.dialKubelet ? { dial: options.dialKubelet } : {}),
    });
  }

  async handle(req: ResourceRequest): Promise<Response> {
    const { namespace, name } = req.info;
    if (!PROXY_METHODS.includes(req.method)) {
      throw ApiError.methodNotSupported(
        { group: "", resource: `${this.resource}/proxy` },
        req.info.verb,
      );
    }
    const requestPath = decodedPath(req.url.pathname);
    const subpath = proxySubpath(req.info.rest, requestPath);
    if (this.#o.admission) {
      await this.#o.admission.run({
        operation: "CONNECT",
        def: req.def,
        namespace,
        name,
        subresource: "proxy",
        object: proxyOptionsObject(this.resource, subpath),
        oldObject: undefined,
        dryRun: false,
        username: req.user.username,
        groups: req.user.groups,
        user: req.user,
      });
    }
    const location = await this.#locate(namespace, name);
    const target = { ...location, path: joinPreservingTrailingSlash("", subpath) };
    let headers = req.headers;
    if (!headers.has("host")) {
      headers = new Headers(headers);
      headers.set("host", req.url.host);
    }
    return await proxyRequest({
      method: req.method,
      headers,
      path: requestPath,
      rawQuery: req.url.search.replace(/^\?/, ""),
      body: async () => req.bodyStream?.() ?? await req.body(),
      ...(req.remoteAddress ? { remoteAddress: req.remoteAddress } : {}),
      signal: req.signal,
    }, {
      target,
      dial: location.transport === "kubelet" ? this.#dialKubelet : this.#dial,
      logger: this.#o.logger,
      ...(this.#o.takeOver ? { takeOver: this.#o.takeOver } : {}),
    });
  }

  async #locate(namespace: string, raw: string): Promise<ProxyLocation> {
    const singular = this.resource === "pods"
      ? "pod"
      : this.resource === "services"
      ? "service"
      : "node";
    const id = splitSchemeNamePort(raw);
    if (!id) throw ApiError.badRequest(`invalid ${singular} request ${JSON.stringify(raw)}`);
    const { readers } = this.#o;
    switch (this.resource) {
      case "pods": {
        const pod = await readers.getPod(namespace, id.name);
        if (!pod) throw ApiError.notFound({ group: "", resource: "pods" }, id.name);
        return podProxyLocation(pod, id);
      }
      case "services":
        return await serviceProxyLocation({ namespace, id, raw }, {
          ...readers,
          ...(this.#o.random ? { random: this.#o.random } : {}),
        });
      case "nodes": {
        const node = await readers.getNode(id.name);
        if (!node) throw ApiError.notFound({ group: "", resource: "nodes" }, id.name);
        return await nodeProxyLocation(node, {
          id,
          resolve: this.#o.resolveHost ?? systemResolve,
        });
      }
    }
  }
}

/** The three proxy hooks, for the API's extensions. */
export function proxyHooks(options: Omit<ProxyHookOptions, "resource">): ProxyHook[] {
  return (["pods", "services", "nodes"] as const).map((resource) =>
    new ProxyHook({ ...options, resource })
  );
}
