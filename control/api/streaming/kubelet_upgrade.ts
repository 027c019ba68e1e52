/**
 * An upgrade request to a kubelet (exec, attach, port-forward): dials it with the API
 * server's kubelet client certificate, sends the request head and reads the answer's head.
 * Dial failures read as upstream's proxy reports them (`error dialing backend: dial tcp
 * 10.0.0.5:10250: connect: connection refused`, code 500); a refused upgrade's answer is
 * relayed as the kubelet gave it (status, content type, body).
 *
 * @module
 */
import type { TLSSocket } from "node:tls";
import {
  readResponseBody,
  type ResponseHead,
  sendUpgradeRequest,
} from "../../util/http1_upgrade_client.ts";
import { ApiError } from "../errors.ts";
import {
  dialKubelet,
  type DialKubeletOptions,
  kubeletAuthority,
  type KubeletClientCredentials,
  KubeletDialError,
  type KubeletEndpoint,
} from "../kubelet_connection.ts";

/** Dials a kubelet (the default is {@linkcode dialKubelet}). */
export type KubeletDialer = (
  endpoint: KubeletEndpoint,
  options: DialKubeletOptions,
) => Promise<TLSSocket>;

/** Options of {@linkcode upgradeKubelet}. */
export interface KubeletUpgradeOptions {
  readonly endpoint: KubeletEndpoint;
  readonly credentials: KubeletClientCredentials;
  readonly method: "GET" | "POST";
  /** Path and query at the kubelet. */
  readonly path: string;
  /** Header lines besides `Host` (the upgrade's own). */
  readonly headers: readonly (readonly [string, string])[];
  /** Ends the kubelet's connection when aborted (the client went away). */
  readonly signal: AbortSignal;
  readonly dial?: KubeletDialer;
  /** How long the kubelet may take to answer. @default {30 s} */
  readonly timeoutMs?: number;
}

/** A kubelet connection with the answer's head read. */
export interface KubeletUpgrade {
  readonly socket: TLSSocket;
  readonly head: ResponseHead;
}

/**
 * Dials the kubelet and sends the upgrade request.
 *
 * @throws {ApiError} 500 when the kubelet cannot be reached or does not answer.
 */
export async function upgradeKubelet(options: KubeletUpgradeOptions): Promise<KubeletUpgrade> {
  let socket: TLSSocket;
  try {
    socket = await (options.dial ?? dialKubelet)(options.endpoint, {
      credentials: options.credentials,
      signal: options.signal,
    });
  } catch (err) {
    if (err instanceof KubeletDialError) {
      throw new ApiError(err.message, { code: 500, reason: "", cause: err });
    }
    throw err;
  }
  socket.on("error", () => {
    // "close" follows; whoever relays the socket ends with it.
  });
  try {
    const head = await sendUpgradeRequest(socket, {
      method: options.method,
      path: options.path,
      headers: [["Host", kubeletAuthority(options.endpoint)], ...options.headers],
      timeoutMs: options.timeoutMs ?? 30_000,
    });
    return { socket, head };
  } catch (err) {
    socket.destroy();
    throw new ApiError(`error upgrading connection: ${(err as Error).message}`, {
      code: 500,
      reason: "",
      cause: err,
    });
  }
}

/**
 * The kubelet's refusal of an upgrade, as the client gets it: the same status, content type
 * and body (upstream's proxy writes the backend's error response through).
 */
export async function kubeletRefusal(upgrade: KubeletUpgrade): Promise<Response> {
  const { socket, head } = upgrade;
  const body = await readResponseBody(socket, { head, maxBytes: 64 * 1024, timeoutMs: 10_000 });
  socket.destroy();
  if (head.status < 400) {
    throw new ApiError(`invalid upgrade response: status code ${head.status}`, {
      code: 500,
      reason: "",
    });
  }
  const type = head.headers.get("content-type");
  return new Response(new Uint8Array(body), {
    status: head.status,
    headers: type === null ? {} : { "content-type": type },
  });
}
