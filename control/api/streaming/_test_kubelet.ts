/**
 * Test support: a stand-in kubelet (TLS on 127.0.0.1) that records each request head and
 * answers as the test says — refusing with a status and body, switching to an echo, or
 * switching to SPDY and serving it with a {@linkcode SpdySession} — and a front listener
 * that serves `PodStreamHook`s the way the API app routes subresource hooks.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import net from "node:net";
import tls from "node:tls";
import type { TLSSocket } from "node:tls";
import { RecordingLogger } from "../../util/logger.ts";
import { SpdySession, type SpdyStream } from "../../util/spdy/session.ts";
import type { TestPki } from "../_test_https.ts";
import { ApiError } from "../errors.ts";
import type { ResourceRequest } from "../handlers/context.ts";
import { type HttpsServer, startHttpsServer } from "../https_server.ts";
import type { Node } from "../types/core_v1_node.ts";
import type { Pod } from "../types/core_v1_pod.ts";
import { PodStreamHook, type PodStreamHookOptions } from "./pod_stream_hook.ts";

/** How the stand-in answers one request. */
export type KubeletAnswer =
  | { readonly kind: "refuse"; readonly status: number; readonly body: string }
  | { readonly kind: "echo"; readonly protocol: string }
  | { readonly kind: "spdy"; readonly onStream: (stream: SpdyStream) => void };

/** A recorded request head. */
export interface RecordedHead {
  readonly line: string;
  readonly headers: [string, string][];
  /** The client certificate's subject (`O/CN`), "" without one. */
  readonly subject: string;
}

/** A running stand-in kubelet. */
export interface TestKubelet extends AsyncDisposable {
  readonly port: number;
  readonly heads: RecordedHead[];
  answer: KubeletAnswer;
}

/** Starts a stand-in kubelet with the PKI's serving certificate. */
export async function startTestKubelet(pki: TestPki): Promise<TestKubelet> {
  const heads: RecordedHead[] = [];
  const sockets = new Set<TLSSocket>();
  const state: TestKubelet = {
    port: 0,
    heads,
    answer: { kind: "refuse", status: 404, body: "404 page not found" },
    [Symbol.asyncDispose]: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = tls.createServer(
    {
      cert: pki.serving.certPem,
      key: pki.serving.keyPem,
      requestCert: true,
      rejectUnauthorized: false,
    },
    (socket: TLSSocket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => {});
      let buf = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        const end = buf.indexOf("\r\n\r\n");
        if (end < 0) return;
        socket.off("data", onData);
        const lines = buf.subarray(0, end).toString("latin1").split("\r\n");
        const peer = socket.getPeerCertificate();
        heads.push({
          line: lines[0] ?? "",
          headers: lines.slice(1).map((l) => {
            const i = l.indexOf(":");
            return [l.slice(0, i), l.slice(i + 1).trim()] as [string, string];
          }),
          subject: peer?.subject ? `${peer.subject.O}/${peer.subject.CN}` : "",
        });
        const rest = new Uint8Array(buf.subarray(end + 4));
        const answer = state.answer;
        if (answer.kind === "refuse") {
          socket.end(
            `HTTP/1.1 ${answer.status} Refused\r\nContent-Type: text/plain; charset=utf-8\r\n` +
              `Content-Length: ${Buffer.byteLength(answer.body)}\r\n\r\n${answer.body}`,
          );
        } else if (answer.kind === "echo") {
          socket.write(
            "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n" +
              `X-Stream-Protocol-Version: ${answer.protocol}\r\n\r\n`,
          );
          if (rest.byteLength) socket.write(rest);
          socket.on("data", (c: Buffer) => socket.write(c));
          socket.on("end", () => socket.end());
        } else {
          socket.write(
            "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n" +
              "X-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n",
          );
          new SpdySession(socket, { role: "server", buffered: rest, onStream: answer.onStream });
        }
      };
      socket.on("data", onData);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  (state as { port: number }).port = (server.address() as net.AddressInfo).port;
  return state;
}

/** A Node whose kubelet listens on 127.0.0.1:`port`. */
export function testNode(port: number, name = "edge-1"): Node {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name },
    status: {
      addresses: [{ type: "InternalIP", address: "127.0.0.1" }],
      daemonEndpoints: { kubeletEndpoint: { Port: port } },
    },
  } as Node;
}

/** A pod `default/web` with containers `names` on `edge-1`. */
export function testPod(names: readonly string[] = ["app"], nodeName = "edge-1"): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web", namespace: "default" },
    spec: { ...(nodeName ? { nodeName } : {}), containers: names.map((name) => ({ name })) },
    status: { phase: "Running" },
  } as Pod;
}

/** Options of {@linkcode startHookFront}. */
export interface HookFrontOptions
  extends Omit<PodStreamHookOptions, "subresource" | "logger" | "credentials"> {
  readonly pki: TestPki;
}

/** A front listener serving the three hooks at `/api/v1/namespaces/{ns}/pods/{name}/{sub}`. */
export async function startHookFront(
  options: HookFrontOptions,
): Promise<HttpsServer & AsyncDisposable & { readonly logger: RecordingLogger }> {
  const logger = new RecordingLogger();
  const { pki, ...rest } = options;
  const hooks = (["exec", "attach", "portforward"] as const).map((subresource) =>
    new PodStreamHook({
      ...rest,
      subresource,
      logger,
      credentials: () => ({ certPem: pki.kubeletClient.certPem, keyPem: pki.kubeletClient.keyPem }),
    })
  );
  const server = await startHttpsServer({
    app: {
      async fetch(request) {
        const url = new URL(request.url);
        const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/([a-z]+)$/.exec(url.pathname);
        const hook = hooks.find((h) => h.subresource === m?.[3]);
        if (!m || !hook) return new Response("not found", { status: 404 });
        const req = {
          info: { namespace: m[1], name: m[2], subresource: m[3], verb: "create" },
          def: { group: "", version: "v1", resource: "pods", kind: "Pod" },
          user: { username: "alice", groups: ["system:authenticated"] },
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
    },
    port: 0,
    hostname: "127.0.0.1",
    certPem: pki.serving.certPem,
    keyPem: pki.serving.keyPem,
    logger,
  });
  return { ...server, logger, [Symbol.asyncDispose]: () => server.close() };
}

/** A TLS connection to `port` trusting the PKI's CA. */
export function connectTls(port: number, pki: TestPki): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect(
      { host: "127.0.0.1", port, ca: pki.ca.certPem },
      () => resolve(socket),
    );
    socket.once("error", reject);
  });
}
