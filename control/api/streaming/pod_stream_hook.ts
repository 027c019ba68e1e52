/**
 * `pods/exec`, `pods/attach` and `pods/portforward`: kubectl's upgrade requests reach the
 * pod's kubelet through the API server. Authorization happened before, in the app (`create`
 * for kubectl's SPDY POST, `get` for its WebSocket GET, as upstream's verbs map). Then:
 *
 * 1. the query is decoded and, when an admission chain is given, admitted as a `CONNECT` of
 *    the options object (`PodExecOptions`, `PodAttachOptions`, `PodPortForwardOptions`), as
 *    upstream's connect handler does; then the pod, container and node are found
 *    (`stream_target.ts`, upstream's messages), and the request must be an upgrade (400
 *    `Upgrade request required`), in that order;
 * 2. the node's kubelet is dialled with the API server's kubelet client certificate and sent
 *    an upgrade to `/exec/{ns}/{pod}/{container}?…` (`/attach/…`, `/portForward/{ns}/{pod}`);
 *    a refusal is relayed as the kubelet gave it;
 * 3. by what the client speaks:
 *    - SPDY/3.1 (kubectl ≤1.29, and every fallback), or a WebSocket without v5: the same
 *      upgrade goes to the kubelet and the bytes are relayed both ways untouched;
 *    - WebSocket `v5.channel.k8s.io` (exec and attach, kubectl 1.30+): terminated here and
 *      spoken as SPDY v4 to the kubelet (`websocket_exec.ts`);
 *    - WebSocket `SPDY/3.1+portforward.k8s.io` (port-forward, kubectl 1.31+): the kubelet is
 *      upgraded to SPDY `portforward.k8s.io` and the SPDY bytes kubectl wraps in binary
 *      messages are tunnelled raw, both ways.
 *
 * The connection is taken over from the HTTP/1.1 layer (`takeOverSocket`) only once the
 * kubelet has switched protocols; it lives until either side closes.
 *
 * @module
 */
import type { TLSSocket } from "node:tls";
import { type Http1TakenSocket, takeOverSocket } from "../../util/http1_connection.ts";
import type { Logger } from "../../util/logger.ts";
import { SpdySession } from "../../util/spdy/session.ts";
import { isSpdyUpgrade } from "../../util/spdy/upgrade.ts";
import {
  chooseSubprotocol,
  isWebSocketUpgrade,
  websocketUpgradeResponse,
} from "../../util/websocket/handshake.ts";
import { WebSocketConnection } from "../../util/websocket/websocket_connection.ts";
import type { AdmissionChain } from "../admission/admission.ts";
import { ApiError } from "../errors.ts";
import type { ResourceRequest } from "../handlers/context.ts";
import type { SubresourceHook } from "../handlers/extensions.ts";
import {
  KubeletAddressError,
  type KubeletClientCredentials,
  type KubeletEndpoint,
  kubeletEndpoint,
} from "../kubelet_connection.ts";
import type { Node } from "../types/core_v1_node.ts";
import type { Pod } from "../types/core_v1_pod.ts";
import {
  type KubeletDialer,
  kubeletRefusal,
  type KubeletUpgrade,
  upgradeKubelet,
} from "./kubelet_upgrade.ts";
import { type FlowSocket, Throttle } from "./_backpressure.ts";
import { type RelaySocket, relaySockets } from "./socket_relay.ts";
import {
  parseStreamOptions,
  type StreamOptions,
  type StreamSubresource,
  type StreamTarget,
  streamTarget,
} from "./stream_target.ts";
import {
  bridgeV5,
  openExecStreams,
  STREAM_PROTOCOL_V4,
  STREAM_PROTOCOL_V5,
} from "./websocket_exec.ts";

/** The WebSocket subprotocol of kubectl 1.31+'s tunnelled port-forward. */
export const PORT_FORWARD_TUNNEL_PROTOCOL = "SPDY/3.1+portforward.k8s.io";
/** The SPDY stream protocol of port-forward. */
export const PORT_FORWARD_PROTOCOL = "portforward.k8s.io";

/** Options of {@linkcode PodStreamHook}. */
export interface PodStreamHookOptions {
  readonly subresource: StreamSubresource;
  /** Reads a pod (its spec's containers and node are needed). */
  readonly getPod: (namespace: string, name: string) => Promise<Pod | undefined>;
  /** Reads a node (its addresses and kubelet port). */
  readonly getNode: (name: string) => Promise<Node | undefined>;
  /** The API server's kubelet client certificate, read per request (it is renewed). */
  readonly credentials: () => KubeletClientCredentials;
  readonly logger: Logger;
  /** @default {dialKubelet} */
  readonly dial?: KubeletDialer;
  /** Takes the client's socket. @default {takeOverSocket} */
  readonly takeOver?: (signal: AbortSignal) => Http1TakenSocket | null;
  /** How long the kubelet may take to switch protocols. @default {30 s} */
  readonly kubeletTimeoutMs?: number;
  /** Admits each stream as a `CONNECT` (webhooks may deny attach, say). @default {none} */
  readonly admission?: Pick<AdmissionChain, "run">;
}

/** The options object a stream is admitted with, as upstream's `CONNECT` attributes carry. */
export function connectOptionsObject(options: StreamOptions): Record<string, unknown> {
  const meta = { apiVersion: "v1", metadata: {} };
  const stdio = {
    ...(options.stdin ? { stdin: true } : {}),
    ...(options.stdout ? { stdout: true } : {}),
    ...(options.stderr ? { stderr: true } : {}),
    ...(options.tty ? { tty: true } : {}),
    ...(options.container ? { container: options.container } : {}),
  };
  switch (options.subresource) {
    case "exec":
      return { kind: "PodExecOptions", ...meta, ...stdio, command: [...options.command] };
    case "attach":
      return { kind: "PodAttachOptions", ...meta, ...stdio };
    case "portforward":
      return {
        kind: "PodPortForwardOptions",
        ...meta,
        ...(options.ports.length ? { ports: [...options.ports] } : {}),
      };
  }
}

/** Request headers an upgrade passes on to the kubelet as they are. */
const PASSED_HEADERS = [
  "connection",
  "upgrade",
  "sec-websocket-key",
  "sec-websocket-version",
  "sec-websocket-protocol",
  "origin",
  "user-agent",
  "content-length",
];

/** The upgrade headers of `headers`, one line per X-Stream-Protocol-Version value. */
function passedHeaders(headers: Headers): [string, string][] {
  const out: [string, string][] = [];
  for (const name of PASSED_HEADERS) {
    const value = headers.get(name);
    if (value !== null) out.push([name, value]);
  }
  // Go's handshake compares each header line with its protocols: one value per line.
  for (const p of (headers.get("x-stream-protocol-version") ?? "").split(",")) {
    if (p.trim() !== "") out.push(["X-Stream-Protocol-Version", p.trim()]);
  }
  return out;
}

/** The kubelet's `101` head, as the client gets it. */
function switchingHead(upgrade: KubeletUpgrade): Uint8Array {
  let text = "HTTP/1.1 101 Switching Protocols\r\n";
  upgrade.head.headers.forEach((value, name) => {
    text += `${name}: ${value}\r\n`;
  });
  return new TextEncoder().encode(`${text}\r\n`);
}

/** Serves one of the streaming subresources of pods (see the module doc). */
export class PodStreamHook implements SubresourceHook {
  readonly group = "";
  readonly resource = "pods";
  readonly subresource: StreamSubresource;
  readonly #o: PodStreamHookOptions;

  constructor(options: PodStreamHookOptions) {
    this.#o = options;
    this.subresource = options.subresource;
  }

  async handle(req: ResourceRequest): Promise<Response> {
    const { namespace, name } = req.info;
    if (req.method !== "GET" && req.method !== "POST") {
      throw ApiError.methodNotSupported(
        { group: "", resource: `pods/${this.subresource}` },
        req.info.verb,
      );
    }
    const options = parseStreamOptions(this.subresource, req.query);
    if (this.#o.admission) {
      await this.#o.admission.run({
        operation: "CONNECT",
        def: req.def,
        namespace,
        name,
        subresource: this.subresource,
        object: connectOptionsObject(options),
        oldObject: undefined,
        dryRun: false,
        username: req.user.username,
        groups: req.user.groups,
        user: req.user,
      });
    }
    const pod = await this.#o.getPod(namespace, name);
    if (!pod) throw ApiError.notFound({ group: "", resource: "pods" }, name);
    const target = streamTarget(pod, options);
    const node = await this.#o.getNode(target.nodeName);
    if (!node) throw ApiError.notFound({ group: "", resource: "nodes" }, target.nodeName);
    let endpoint: KubeletEndpoint;
    try {
      endpoint = kubeletEndpoint(node);
    } catch (err) {
      if (err instanceof KubeletAddressError) {
        throw new ApiError(err.message, { code: 500, reason: "", cause: err });
      }
      throw err;
    }
    const websocket = isWebSocketUpgrade(req.headers);
    if (!websocket && !isSpdyUpgrade(req.headers)) {
      throw ApiError.badRequest("Upgrade request required");
    }
    if (websocket && this.subresource !== "portforward") {
      if (chooseSubprotocol(req.headers, [STREAM_PROTOCOL_V5]) !== null) {
        return await this.#translateV5(req, { endpoint, target, options });
      }
    }
    if (websocket && this.subresource === "portforward") {
      if (chooseSubprotocol(req.headers, [PORT_FORWARD_TUNNEL_PROTOCOL]) !== null) {
        return await this.#tunnelPortForward(req, { endpoint, target });
      }
    }
    return await this.#passThrough(req, { endpoint, target, websocket });
  }

  #upgrade(
    req: ResourceRequest,
    context: {
      endpoint: KubeletEndpoint;
      target: StreamTarget;
      method: "GET" | "POST";
      headers: readonly (readonly [string, string])[];
    },
  ): Promise<KubeletUpgrade> {
    return upgradeKubelet({
      endpoint: context.endpoint,
      credentials: this.#o.credentials(),
      method: context.method,
      path: context.target.path,
      headers: context.headers,
      signal: req.signal,
      ...(this.#o.dial ? { dial: this.#o.dial } : {}),
      ...(this.#o.kubeletTimeoutMs ? { timeoutMs: this.#o.kubeletTimeoutMs } : {}),
    });
  }

  #started(req: ResourceRequest, protocol: string, target: StreamTarget): void {
    this.#o.logger.debug("Streaming to the kubelet", {
      subresource: this.subresource,
      namespace: req.info.namespace,
      pod: req.info.name,
      node: target.nodeName,
      protocol,
    });
  }

  #takeOver(req: ResourceRequest, kubelet: TLSSocket): Http1TakenSocket {
    const taken = (this.#o.takeOver ?? takeOverSocket)(req.signal);
    if (!taken) {
      kubelet.destroy();
      throw ApiError.badRequest("Upgrade request required");
    }
    return taken;
  }

  /** SPDY, or a WebSocket the kubelet's runtime speaks itself: bytes relayed untouched. */
  async #passThrough(
    req: ResourceRequest,
    context: { endpoint: KubeletEndpoint; target: StreamTarget; websocket: boolean },
  ): Promise<Response> {
    const upgrade = await this.#upgrade(req, {
      ...context,
      method: context.websocket ? "GET" : "POST",
      headers: passedHeaders(req.headers),
    });
    if (upgrade.head.status !== 101) return await kubeletRefusal(upgrade);
    const taken = this.#takeOver(req, upgrade.socket);
    this.#started(req, context.websocket ? "websocket" : "spdy", context.target);
    taken.socket.write(switchingHead(upgrade));
    void relaySockets([taken.socket as unknown as RelaySocket, upgrade.socket], {
      fromA: taken.buffered,
      fromB: upgrade.head.buffered,
    });
    return new Response(null, { status: 101 });
  }

  /** WebSocket v5 from the client, SPDY v4 to the kubelet. */
  async #translateV5(
    req: ResourceRequest,
    context: { endpoint: KubeletEndpoint; target: StreamTarget; options: StreamOptions },
  ): Promise<Response> {
    const upgrade = await this.#upgrade(req, {
      ...context,
      method: "POST",
      headers: [
        ["Connection", "Upgrade"],
        ["Upgrade", "SPDY/3.1"],
        ["X-Stream-Protocol-Version", STREAM_PROTOCOL_V4],
        ["User-Agent", req.headers.get("user-agent") ?? "skiff-apiserver"],
        ["Content-Length", "0"],
      ],
    });
    if (upgrade.head.status !== 101) return await kubeletRefusal(upgrade);
    const session = new SpdySession(upgrade.socket, {
      role: "client",
      buffered: upgrade.head.buffered,
    });
    let streams;
    try {
      streams = await openExecStreams(session, context.options);
    } catch (err) {
      session.destroy();
      throw new ApiError(`error creating streams: ${(err as Error).message}`, {
        code: 500,
        reason: "",
        cause: err,
      });
    }
    let taken: Http1TakenSocket;
    try {
      taken = this.#takeOver(req, upgrade.socket);
    } catch (err) {
      session.destroy();
      throw err;
    }
    this.#started(req, STREAM_PROTOCOL_V5, context.target);
    taken.socket.write(websocketUpgradeResponse({
      key: req.headers.get("sec-websocket-key") ?? "",
      protocol: STREAM_PROTOCOL_V5,
    }));
    let onMessage: (m: Uint8Array | string) => void = () => {};
    const ws = new WebSocketConnection(taken.socket as WebSocketSocketLike, {
      role: "server",
      buffered: taken.buffered,
      onMessage: (m) => onMessage(m),
    });
    const bridge = bridgeV5({
      ws,
      session,
      streams,
      flow: { client: taken.socket as unknown as FlowSocket, kubelet: upgrade.socket },
    });
    onMessage = bridge.onMessage;
    bridge.done.catch((err) =>
      this.#o.logger.warn("Stream ended with an error", { pod: req.info.name, error: err })
    );
    return new Response(null, { status: 101 });
  }

  /** WebSocket-wrapped SPDY from the client, a SPDY upgrade at the kubelet, bytes tunnelled. */
  async #tunnelPortForward(
    req: ResourceRequest,
    context: { endpoint: KubeletEndpoint; target: StreamTarget },
  ): Promise<Response> {
    const upgrade = await this.#upgrade(req, {
      ...context,
      method: "POST",
      headers: [
        ["Connection", "Upgrade"],
        ["Upgrade", "SPDY/3.1"],
        ["X-Stream-Protocol-Version", PORT_FORWARD_PROTOCOL],
        ["User-Agent", req.headers.get("user-agent") ?? "skiff-apiserver"],
        ["Content-Length", "0"],
      ],
    });
    if (upgrade.head.status !== 101) return await kubeletRefusal(upgrade);
    const kubelet = upgrade.socket;
    const taken = this.#takeOver(req, kubelet);
    this.#started(req, PORT_FORWARD_TUNNEL_PROTOCOL, context.target);
    taken.socket.write(websocketUpgradeResponse({
      key: req.headers.get("sec-websocket-key") ?? "",
      protocol: PORT_FORWARD_TUNNEL_PROTOCOL,
    }));
    const client = taken.socket as unknown as FlowSocket;
    const toKubelet = new Throttle(client, kubelet);
    const toClient = new Throttle(kubelet, client);
    const ws = new WebSocketConnection(taken.socket as WebSocketSocketLike, {
      role: "server",
      buffered: taken.buffered,
      onMessage: (m) => {
        // kubectl's tunnel sends empty messages; Deno's TLS socket fails an empty write with
        // EPERM (and is destroyed), so they are dropped: they carry nothing.
        if (typeof m === "string" || m.byteLength === 0 || kubelet.destroyed) return;
        kubelet.write(m);
        toKubelet.check();
      },
      onClose: (close) => {
        this.#o.logger.debug("Stream's client side closed", {
          subresource: this.subresource,
          pod: req.info.name,
          code: close.code,
          reason: close.reason,
        });
        kubelet.end();
      },
    });
    if (upgrade.head.buffered.byteLength > 0) ws.send(upgrade.head.buffered);
    kubelet.on("data", (chunk: Uint8Array) => {
      ws.send(new Uint8Array(chunk));
      toClient.check();
    });
    kubelet.on("close", () => {
      this.#o.logger.debug("Stream's kubelet side closed", {
        subresource: this.subresource,
        pod: req.info.name,
      });
      ws.close(1000);
    });
    kubelet.resume();
    return new Response(null, { status: 101 });
  }
}

/** The socket shape {@linkcode WebSocketConnection} takes; a taken socket has it. */
type WebSocketSocketLike = ConstructorParameters<typeof WebSocketConnection>[0];

/** The three streaming hooks, for the API's extensions. */
export function podStreamHooks(
  options: Omit<PodStreamHookOptions, "subresource">,
): PodStreamHook[] {
  return (["exec", "attach", "portforward"] as const).map((subresource) =>
    new PodStreamHook({ ...options, subresource })
  );
}
