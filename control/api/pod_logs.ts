/**
 * `GET /api/v1/namespaces/{ns}/pods/{name}/log` (`kubectl logs`), as kube-apiserver's pod log
 * REST serves it:
 *
 * 1. the query is decoded into a `PodLogOptions` (400 when a value does not parse) and
 *    validated (422 `PodLogOptions "web" is invalid: tailLines: Invalid value: -1: …`);
 * 2. the pod must exist (404), and the container is defaulted when the pod has exactly one,
 *    else named (400 `a container name must be specified for pod web, choose one of: [a b]`,
 *    `container x is not valid for pod web`);
 * 3. a pod not yet bound to a node has no logs: an empty answer;
 * 4. the node's kubelet is dialled (`kubelet_connection.ts`) with the API server's kubelet
 *    client certificate, asked for `/containerLogs/{ns}/{pod}/{container}` with the options,
 *    and its answer streamed back as `text/plain`, each chunk passed on as it arrives (so
 *    `-f` follows), until the kubelet ends it or the client goes away. A kubelet error reads
 *    as upstream's generic response checker words it (`Error from server (BadRequest):
 *    container "c" in pod "web" is waiting to start: ContainerCreating`).
 *
 * Authorization (`get` on `pods/log`) happens before, in the app, as for every subresource.
 *
 * @module
 */
import type { TLSSocket } from "node:tls";
import {
  readResponseBody,
  type ResponseHead,
  sendUpgradeRequest,
} from "../util/http1_upgrade_client.ts";
import type { Clock } from "../util/clock.ts";
import { responseBodyStream } from "../util/http1_response_body.ts";
import type { Logger } from "../util/logger.ts";
import { ApiError } from "./errors.ts";
import type { ResourceRequest } from "./handlers/context.ts";
import type { SubresourceHook } from "./handlers/extensions.ts";
import { streamedResponse } from "./handlers/render.ts";
import {
  dialKubelet,
  type DialKubeletOptions,
  KubeletAddressError,
  kubeletAuthority,
  type KubeletClientCredentials,
  KubeletDialError,
  type KubeletEndpoint,
  kubeletEndpoint,
} from "./kubelet_connection.ts";
import type { ObjectViews } from "./store/object_views.ts";
import type { Node } from "./types/core_v1_node.ts";
import type { Pod } from "./types/core_v1_pod.ts";
import { type FieldError, forbidden, invalid, notSupported } from "./validation/field_errors.ts";
import { QueryReader } from "../util/query_reader.ts";

/** The query of a pod log request, decoded (`core/v1 PodLogOptions`). */
export interface PodLogOptions {
  readonly container?: string;
  readonly follow: boolean;
  readonly previous: boolean;
  readonly timestamps: boolean;
  readonly sinceSeconds?: number;
  /** RFC 3339 as sent. */
  readonly sinceTime?: string;
  readonly tailLines?: number;
  readonly limitBytes?: number;
  readonly insecureSkipTLSVerifyBackend: boolean;
  /** `Stdout`, `Stderr` or `All` (1.32+). */
  readonly stream?: string;
}

/**
 * Decodes a pod log query as the API server's parameter codec does (booleans: absent, `0`
 * and `false` are false).
 *
 * @throws {ApiError} 400 when a value does not parse.
 */
export function parsePodLogOptions(query: URLSearchParams): PodLogOptions {
  const q = new QueryReader(query, (message) => ApiError.badRequest(message));
  const container = q.string("container");
  const sinceSeconds = q.int("sinceSeconds");
  const sinceTime = q.time("sinceTime");
  const tailLines = q.int("tailLines");
  const limitBytes = q.int("limitBytes");
  const stream = q.string("stream");
  return {
    ...(container === undefined ? {} : { container }),
    follow: q.bool("follow"),
    previous: q.bool("previous"),
    timestamps: q.bool("timestamps"),
    ...(sinceSeconds === undefined ? {} : { sinceSeconds }),
    ...(sinceTime === undefined ? {} : { sinceTime }),
    ...(tailLines === undefined ? {} : { tailLines }),
    ...(limitBytes === undefined ? {} : { limitBytes }),
    insecureSkipTLSVerifyBackend: q.bool("insecureSkipTLSVerifyBackend"),
    ...(stream === undefined ? {} : { stream }),
  };
}

const LOG_STREAMS = ["All", "Stderr", "Stdout"];

/** The field errors of `options`, by the rules of upstream's `ValidatePodLogOptions`. */
export function podLogOptionsErrors(options: PodLogOptions): FieldError[] {
  const errors: FieldError[] = [];
  if (options.tailLines !== undefined && options.tailLines < 0) {
    errors.push(invalid("tailLines", {
      value: options.tailLines,
      detail: "must be greater than or equal to 0",
    }));
  }
  if (options.limitBytes !== undefined && options.limitBytes < 1) {
    errors.push(
      invalid("limitBytes", { value: options.limitBytes, detail: "must be greater than 0" }),
    );
  }
  if (options.sinceSeconds !== undefined && options.sinceTime !== undefined) {
    errors.push(forbidden("", "at most one of `sinceTime` or `sinceSeconds` may be specified"));
  } else if (options.sinceSeconds !== undefined && options.sinceSeconds < 1) {
    errors.push(invalid("sinceSeconds", {
      value: options.sinceSeconds,
      detail: "must be greater than 0",
    }));
  }
  if (options.stream !== undefined) {
    if (!LOG_STREAMS.includes(options.stream)) {
      errors.push(notSupported("stream", { value: options.stream, supported: LOG_STREAMS }));
    }
    if (options.stream !== "All" && options.tailLines !== undefined) {
      errors.push(
        forbidden("", "`tailLines` and specific `stream` are mutually exclusive for now"),
      );
    }
  }
  return errors;
}

function names(list: readonly { readonly name: string }[] | undefined): string {
  return (list ?? []).map((c) => c.name).join(" ");
}

/**
 * The container whose logs are read: `container` if the pod has it (regular, init or
 * ephemeral), else the only container, with upstream's messages.
 *
 * @throws {ApiError} 400 when none can be chosen.
 */
export function podLogContainer(pod: Pod, container: string | undefined): string {
  const name = pod.metadata?.name ?? "";
  const spec = pod.spec;
  const containers = spec?.containers ?? [];
  if (container === undefined || container === "") {
    if (containers.length === 1) return containers[0]!.name;
    if (containers.length === 0) {
      throw ApiError.badRequest(`a container name must be specified for pod ${name}`);
    }
    let message = `a container name must be specified for pod ${name}, choose one of: [${
      names(containers)
    }]`;
    const inits = names(spec?.initContainers);
    if (inits !== "") message += ` or one of the init containers: [${inits}]`;
    throw ApiError.badRequest(message);
  }
  const all = [
    ...containers,
    ...(spec?.initContainers ?? []),
    ...(spec?.ephemeralContainers ?? []),
  ];
  if (!all.some((c) => c.name === container)) {
    throw ApiError.badRequest(`container ${container} is not valid for pod ${name}`);
  }
  return container;
}

/** The kubelet's `/containerLogs` path and query for `options` (as upstream's LogLocation). */
export function kubeletLogPath(
  pod: { readonly namespace: string; readonly name: string; readonly container: string },
  options: PodLogOptions,
): string {
  const params = new URLSearchParams();
  if (options.follow) params.set("follow", "true");
  if (options.previous) params.set("previous", "true");
  if (options.timestamps) params.set("timestamps", "true");
  if (options.sinceSeconds !== undefined) params.set("sinceSeconds", String(options.sinceSeconds));
  if (options.sinceTime !== undefined) {
    // Go formats the time back in RFC 3339 without fractions.
    params.set("sinceTime", new Date(options.sinceTime).toISOString().replace(/\.\d+Z$/, "Z"));
  }
  if (options.tailLines !== undefined) params.set("tailLines", String(options.tailLines));
  if (options.limitBytes !== undefined) params.set("limitBytes", String(options.limitBytes));
  if (options.stream !== undefined) params.set("stream", options.stream);
  params.sort();
  const q = params.toString();
  const path = [pod.namespace, pod.name, pod.container].map(encodeURIComponent).join("/");
  return `/containerLogs/${path}${q ? `?${q}` : ""}`;
}

const LOG_RESOURCE = "pods/log";

/**
 * A kubelet's error answer as the API server reports it (upstream's
 * `GenericHttpResponseChecker`): 400 and 500 carry the kubelet's text, others a generic
 * message naming `pods/log` and the pod.
 */
export function kubeletResponseError(
  status: number,
  options: { readonly body: string; readonly name: string },
): ApiError {
  const { body, name } = options;
  if (status === 500) return ApiError.internal(new Error(body));
  if (status === 400) return ApiError.badRequest(body);
  let reason: ApiError["reason"] = "";
  let message =
    `the server responded with the status code ${status} but did not return more information`;
  switch (status) {
    case 404:
      reason = "NotFound";
      message = "the server could not find the requested resource";
      break;
    case 401:
      reason = "Unauthorized";
      message = "the server has asked for the client to provide credentials";
      break;
    case 403:
      reason = "Forbidden";
      message = body;
      break;
    case 409:
      reason = "Conflict";
      message = "the server reported a conflict";
      break;
    case 429:
      reason = "TooManyRequests";
      message = "the server has received too many requests and has asked us to try again later";
      break;
    case 503:
      reason = "ServiceUnavailable";
      message = "the server is currently unable to handle the request";
      break;
    case 504:
      reason = "Timeout";
      message =
        "the server was unable to return a response in the time allotted, but may still be processing the request";
      break;
  }
  return new ApiError(`${message} ( ${LOG_RESOURCE} ${name})`, {
    code: status,
    reason,
    details: { name, group: "", kind: LOG_RESOURCE },
  });
}

/** Options of {@linkcode PodLogHook}. */
export interface PodLogHookOptions {
  /** Reads a pod (from storage: its spec's containers and node are needed). */
  readonly getPod: (namespace: string, name: string) => Promise<Pod | undefined>;
  /** Reads a node (its addresses and kubelet port). */
  readonly getNode: (name: string) => Promise<Node | undefined>;
  /** The API server's kubelet client certificate, read per request (it is renewed). */
  readonly credentials: () => KubeletClientCredentials;
  /** Dials a kubelet. @default {dialKubelet} */
  readonly dial?: (endpoint: KubeletEndpoint, options: DialKubeletOptions) => Promise<TLSSocket>;
  readonly logger: Logger;
  /** How long the kubelet may take to answer. @default {30000} */
  readonly responseTimeoutMs?: number;
  /** Times the dial and the answer. @default {systemClock} */
  readonly clock?: Clock;
}

/**
 * {@linkcode PodLogHookOptions.getPod} and `getNode` over the server's object views: read from
 * storage (past the views, so a pod created a moment ago is found), as the views project them
 * (a pod keeps its containers' names and its node).
 */
export function podLogReaders(
  views: ObjectViews,
): Pick<PodLogHookOptions, "getPod" | "getNode"> {
  return {
    getPod: async (namespace, name) =>
      await views.get("/registry/pods/").readByName(namespace, name) as Pod | undefined,
    getNode: async (name) =>
      await views.get("/registry/nodes/").readByName("", name) as Node | undefined,
  };
}

/** Serves `pods/log`. */
export class PodLogHook implements SubresourceHook {
  readonly group = "";
  readonly resource = "pods";
  readonly subresource = "log";
  readonly #o: PodLogHookOptions;

  constructor(options: PodLogHookOptions) {
    this.#o = options;
  }

  async handle(req: ResourceRequest): Promise<Response> {
    const { namespace, name } = req.info;
    if (req.method !== "GET") {
      throw ApiError.methodNotSupported({ group: "", resource: LOG_RESOURCE }, req.info.verb);
    }
    const options = parsePodLogOptions(req.query);
    const errors = podLogOptionsErrors(options);
    if (errors.length > 0) {
      throw ApiError.invalid({ group: "", kind: "PodLogOptions" }, { name, errors });
    }
    const pod = await this.#o.getPod(namespace, name);
    if (!pod) throw ApiError.notFound({ group: "", resource: "pods" }, name);
    const container = podLogContainer(pod, options.container);
    const nodeName = pod.spec?.nodeName ?? "";
    if (nodeName === "") {
      // Not scheduled yet: nothing to read, as upstream's empty location.
      return new Response(new Uint8Array(0), { headers: { "content-type": "text/plain" } });
    }
    const node = await this.#o.getNode(nodeName);
    if (!node) throw ApiError.notFound({ group: "", resource: "nodes" }, nodeName);
    let endpoint: KubeletEndpoint;
    try {
      endpoint = kubeletEndpoint(node);
    } catch (err) {
      if (err instanceof KubeletAddressError) throw ApiError.internal(err);
      throw err;
    }
    const path = kubeletLogPath({ namespace, name, container }, options);
    const url = `https://${kubeletAuthority(endpoint)}${path}`;
    // The kubelet's connection lives as long as the client's request.
    const stop = new AbortController();
    const onAbort = () => stop.abort(req.signal.reason);
    req.signal.addEventListener("abort", onAbort, { once: true });
    let socket: TLSSocket;
    try {
      socket = await (this.#o.dial ?? dialKubelet)(endpoint, {
        credentials: this.#o.credentials(),
        signal: stop.signal,
        ...(this.#o.clock ? { clock: this.#o.clock } : {}),
      });
    } catch (err) {
      req.signal.removeEventListener("abort", onAbort);
      if (err instanceof KubeletDialError) {
        throw new ApiError(
          `Get ${JSON.stringify(url)}: ${err.message.replace(/^error dialing backend: /, "")}`,
          { code: 500, reason: "", cause: err },
        );
      }
      throw err;
    }
    socket.once("close", () => req.signal.removeEventListener("abort", onAbort));
    socket.on("error", () => {
      // "close" follows; the stream ends there.
    });
    let head: ResponseHead;
    try {
      head = await sendUpgradeRequest(socket, {
        method: "GET",
        path,
        headers: [["Host", kubeletAuthority(endpoint)], ["User-Agent", "skiff-apiserver"]],
        timeoutMs: this.#o.responseTimeoutMs ?? 30_000,
        ...(this.#o.clock ? { clock: this.#o.clock } : {}),
      });
    } catch (err) {
      socket.destroy();
      throw new ApiError(`Get ${JSON.stringify(url)}: ${(err as Error).message}`, {
        code: 500,
        reason: "",
        cause: err,
      });
    }
    if (head.status < 200 || head.status > 206) {
      const body = await readResponseBody(socket, {
        head,
        maxBytes: 4096,
        timeoutMs: 10_000,
        ...(this.#o.clock ? { clock: this.#o.clock } : {}),
      });
      socket.destroy();
      throw kubeletResponseError(head.status, { body: new TextDecoder().decode(body), name });
    }
    return streamedResponse(responseBodyStream(socket, head), {
      status: 200,
      headers: { "content-type": "text/plain" },
    });
  }
}
