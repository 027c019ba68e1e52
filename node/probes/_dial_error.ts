/**
 * Go's text for a failed dial (`dial tcp 10.42.0.5:8080: connect: connection refused`), so probe
 * outputs read as the kubelet's do.
 *
 * @module
 */

const ERRNO_TEXT: Readonly<Record<string, string>> = {
  ECONNREFUSED: "connection refused",
  EHOSTUNREACH: "no route to host",
  ENETUNREACH: "network is unreachable",
  ETIMEDOUT: "connection timed out",
  ECONNRESET: "connection reset by peer",
  EADDRNOTAVAIL: "cannot assign requested address",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
};

const DENO_ERROR_CODE: Readonly<Record<string, string>> = {
  ConnectionRefused: "ECONNREFUSED",
  ConnectionReset: "ECONNRESET",
  TimedOut: "ETIMEDOUT",
  AddrNotAvailable: "EADDRNOTAVAIL",
  PermissionDenied: "EACCES",
  NetworkUnreachable: "ENETUNREACH",
};

/** The errno name (`ECONNREFUSED`) of a failed connection, from Node or Deno errors. */
export function errnoOf(err: unknown): string | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string") return code;
  const name = (err as { name?: unknown }).name;
  return typeof name === "string" ? DENO_ERROR_CODE[name] : undefined;
}

/** Go's message for a connection to `address` (`host:port`) of `host` that failed with `err`. */
export function dialErrorText(err: unknown, target: { address: string; host: string }): string {
  const code = errnoOf(err);
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") {
    return `dial tcp: lookup ${target.host}: no such host`;
  }
  const text = code === undefined ? undefined : ERRNO_TEXT[code];
  if (text !== undefined) return `dial tcp ${target.address}: connect: ${text}`;
  const message = err instanceof Error ? err.message : String(err);
  return `dial tcp ${target.address}: ${message}`;
}
