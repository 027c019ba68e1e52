/**
 * The API server's streaming routes in front of a {@linkcode StreamingNode}, for tests: an
 * HTTPS listener (skiff's own, `startHttpsServer`) whose app sends
 * `/api/v1/namespaces/{ns}/pods/{name}/{exec|attach|portforward}` to the `PodStreamHook`s
 * (as the API app routes subresource hooks, authorization aside) and everything else to an
 * optional fallback app (a real API server's), plus a client side: a TLS connection to it
 * trusting the test CA.
 *
 * @module
 */
import tls from "node:tls";
import type { TLSSocket } from "node:tls";
import { ApiError } from "../../control/api/errors.ts";
import type { ResourceRequest } from "../../control/api/handlers/context.ts";
import {
  type FetchApp,
  type HttpsServer,
  startHttpsServer,
} from "../../control/api/https_server.ts";
import { podStreamHooks } from "../../control/api/streaming/pod_stream_hook.ts";
import type { Node } from "../../control/api/types/core_v1_node.ts";
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import type { ConnectionInfo } from "../../control/api/auth/authenticator.ts";
import type { StreamingNode } from "./streaming_node.ts";

/** Options of {@linkcode startStreamingApi}. */
export interface StreamingApiOptions {
  /** Requests that are not streaming ones (a real API server's app). */
  readonly fallback?: FetchApp;
  /** @default {the node's pod} */
  readonly getPod?: (namespace: string, name: string) => Promise<Pod | undefined>;
  /** @default {the node's Node} */
  readonly getNode?: (name: string) => Promise<Node | undefined>;
  /** The front's serving certificate. @default {the node's test PKI's} */
  readonly serving?: { readonly certPem: string; readonly keyPem: string };
  /** The CA clients trust the front with. @default {the node's test PKI's} */
  readonly caPem?: string;
  /** The client certificate shown to the kubelet. @default {the test PKI's kubelet client} */
  readonly credentials?: { readonly certPem: string; readonly keyPem: string };
}

/** A running front. */
export interface StreamingApi extends AsyncDisposable {
  readonly server: HttpsServer;
  readonly port: number;
  /** A TLS connection to the front, trusting the node's CA. */
  connect(): Promise<TLSSocket>;
}

const STREAM_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/(exec|attach|portforward)$/;

/** Serves the streaming hooks (see the module doc). */
export async function startStreamingApi(
  node: StreamingNode,
  options: StreamingApiOptions = {},
): Promise<StreamingApi> {
  const hooks = podStreamHooks({
    getPod: options.getPod ??
      ((ns, name) =>
        Promise.resolve(
          ns === "default" && name === node.pod.metadata?.name ? node.pod : undefined,
        )),
    getNode: options.getNode ??
      ((name) => Promise.resolve(name === node.node.metadata?.name ? node.node : undefined)),
    credentials: () =>
      options.credentials ?? {
        certPem: node.pki.kubeletClient.certPem,
        keyPem: node.pki.kubeletClient.keyPem,
      },
    logger: node.logger,
  });
  const app: FetchApp = {
    async fetch(request: Request, env: { connection: ConnectionInfo }): Promise<Response> {
      const url = new URL(request.url);
      const match = STREAM_PATH.exec(url.pathname);
      if (!match) {
        if (options.fallback) return await options.fallback.fetch(request, env);
        return new Response("not found", { status: 404 });
      }
      const [, namespace, name, subresource] = match;
      const hook = hooks.find((h) => h.subresource === subresource)!;
      const req = {
        info: {
          namespace,
          name,
          subresource,
          verb: request.method === "POST" ? "create" : "get",
          resource: "pods",
        },
        url,
        query: url.searchParams,
        headers: request.headers,
        method: request.method,
        signal: request.signal,
      } as unknown as ResourceRequest;
      try {
        return await hook.handle(req);
      } catch (err) {
        if (err instanceof ApiError) return err.toResponse();
        throw err;
      }
    },
  };
  const server = await startHttpsServer({
    app,
    port: 0,
    hostname: "127.0.0.1",
    certPem: options.serving?.certPem ?? node.pki.serving.certPem,
    keyPem: options.serving?.keyPem ?? node.pki.serving.keyPem,
    logger: node.logger,
  });
  return {
    server,
    port: server.port,
    connect: () =>
      new Promise((resolve, reject) => {
        const socket = tls.connect(
          { host: "127.0.0.1", port: server.port, ca: options.caPem ?? node.pki.ca.certPem },
          () => resolve(socket),
        );
        socket.once("error", reject);
      }),
    [Symbol.asyncDispose]: () => server.close(),
  };
}
