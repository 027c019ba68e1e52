/**
 * How the API server reaches a node's kubelet API (exec, attach, port-forward, logs): the
 * node's address and port from its status, and a TLS connection presenting the API server's
 * kubelet client certificate (`kube-apiserver-kubelet-client`, group `system:masters`).
 *
 * The kubelet's serving certificate is verified only against a CA given for it, as
 * kube-apiserver does without `--kubelet-certificate-authority` (agents serve a self-signed
 * one for now). Dial failures read as upstream's: `error dialing backend: dial tcp
 * 10.0.0.5:10250: connect: connection refused`.
 *
 * @module
 */
import { isIP } from "node:net";
import tls from "node:tls";
import type { TLSSocket } from "node:tls";
import { type Clock, systemClock } from "../util/clock.ts";
import type { Node } from "./types/core_v1_node.ts";

/** The kubelet's port when the node does not say (`status.daemonEndpoints`). */
export const KUBELET_DEFAULT_PORT = 10250;

/** Which node address the API server dials, best first (k3s's `--kubelet-preferred-address-types`). */
export const KUBELET_ADDRESS_TYPES: readonly string[] = ["InternalIP", "ExternalIP", "Hostname"];

/** How long a dial may take before it fails. */
const DIAL_TIMEOUT_MS = 30_000;

/** Where a node's kubelet API listens. */
export interface KubeletEndpoint {
  /** An IP address or a host name. */
  readonly host: string;
  readonly port: number;
}

/** A node has no address of the types the API server dials. */
export class KubeletAddressError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KubeletAddressError";
  }
}

/**
 * Where `node`'s kubelet listens: its first address of the first type in
 * {@linkcode KUBELET_ADDRESS_TYPES}, and `status.daemonEndpoints.kubeletEndpoint.Port` (or
 * {@linkcode KUBELET_DEFAULT_PORT}). Throws {@linkcode KubeletAddressError} with upstream's
 * message when the node lists none.
 */
export function kubeletEndpoint(node: Node): KubeletEndpoint {
  const addresses = node.status?.addresses ?? [];
  const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port ?? 0;
  for (const type of KUBELET_ADDRESS_TYPES) {
    const found = addresses.find((a) => a.type === type && a.address !== "");
    if (found) return { host: found.address, port: port > 0 ? port : KUBELET_DEFAULT_PORT };
  }
  const known = addresses.map((a) => `{${a.type} ${a.address}}`).join(" ");
  throw new KubeletAddressError(`no preferred addresses found; known addresses: [${known}]`);
}

/** `host:port` of an endpoint, IPv6 addresses in brackets (for a URL or a `Host` header). */
export function kubeletAuthority(endpoint: KubeletEndpoint): string {
  const host = isIP(endpoint.host) === 6 ? `[${endpoint.host}]` : endpoint.host;
  return `${host}:${endpoint.port}`;
}

/** The client certificate the API server shows kubelets, and what it trusts of theirs. */
export interface KubeletClientCredentials {
  readonly certPem: string;
  readonly keyPem: string;
  /** Verify the kubelet's serving certificate against this CA. @default {not verified} */
  readonly caPem?: string;
}

/** Options of {@linkcode dialKubelet}. */
export interface DialKubeletOptions {
  readonly credentials: KubeletClientCredentials;
  /**
   * Aborts the dial; once connected, destroys the socket (the request it serves ended).
   */
  readonly signal?: AbortSignal;
  /** @default {30 s} */
  readonly timeoutMs?: number;
  /** @default {systemClock} */
  readonly clock?: Clock;
}

/** A kubelet could not be reached; `message` reads as upstream's. */
export class KubeletDialError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "KubeletDialError";
  }
}

/** Go's wording of a dial failure, from Node's error code (`connect: connection refused`). */
export function dialFailure(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  switch (code) {
    case "ECONNREFUSED":
      return "connect: connection refused";
    case "EHOSTUNREACH":
      return "connect: no route to host";
    case "ENETUNREACH":
      return "connect: network is unreachable";
    case "ECONNRESET":
      return "read: connection reset by peer";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "lookup: no such host";
    default:
      return err instanceof Error ? err.message : String(err);
  }
}

/**
 * Opens a TLS connection to a kubelet with the API server's client certificate; resolves once
 * the handshake is done. Rejects with {@linkcode KubeletDialError} when it cannot connect (in
 * upstream's words), or with the signal's reason when aborted.
 */
export function dialKubelet(
  endpoint: KubeletEndpoint,
  options: DialKubeletOptions,
): Promise<TLSSocket> {
  const { credentials, signal } = options;
  const target = `dial tcp ${kubeletAuthority(endpoint)}`;
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<TLSSocket>((resolve, reject) => {
    const socket = tls.connect({
      host: endpoint.host,
      port: endpoint.port,
      cert: credentials.certPem,
      key: credentials.keyPem,
      ...(credentials.caPem === undefined
        ? { rejectUnauthorized: false }
        : { ca: credentials.caPem, rejectUnauthorized: true }),
      ...(isIP(endpoint.host) === 0 ? { servername: endpoint.host } : {}),
      ALPNProtocols: ["http/1.1"],
    });
    let connected = false;
    const onAbort = () => {
      socket.destroy();
      if (!connected) reject(signal!.reason);
    };
    const timer = (options.clock ?? systemClock).setTimeout(() => {
      socket.destroy();
      reject(new KubeletDialError(`error dialing backend: ${target}: i/o timeout`));
    }, options.timeoutMs ?? DIAL_TIMEOUT_MS);
    signal?.addEventListener("abort", onAbort, { once: true });
    socket.once("close", () => signal?.removeEventListener("abort", onAbort));
    socket.once("secureConnect", () => {
      connected = true;
      timer.cancel();
      socket.setNoDelay(true);
      resolve(socket);
    });
    socket.on("error", (err: Error) => {
      if (connected) return; // the owner sees "close"; errors after the dial are its business
      timer.cancel();
      signal?.removeEventListener("abort", onAbort);
      socket.destroy();
      const tlsError = socket.connecting === false && !(err as { syscall?: string }).syscall;
      reject(
        new KubeletDialError(
          tlsError
            ? `error dialing backend: ${err.message}`
            : `error dialing backend: ${target}: ${dialFailure(err)}`,
          { cause: err },
        ),
      );
    });
  });
}
