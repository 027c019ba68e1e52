/**
 * What one probe attempt reports: {@linkcode ProbeOutcome}, a {@linkcode ProbeResult} and the
 * output text the kubelet puts in events (`HTTP probe failed with statuscode: 500`).
 *
 * @module
 */

/** How one probe attempt ended, as upstream's `probe.Result`. */
export type ProbeResult = "success" | "failure" | "warning" | "unknown";

/** One probe attempt's result and output. */
export interface ProbeOutcome {
  readonly result: ProbeResult;
  /** What the check said: a response body, command output or the reason it failed. */
  readonly output: string;
}

/**
 * A probe that could not be run to a verdict (upstream's non-nil error next to a result): the
 * prober retries it and, if it keeps failing, drops the result and records that it errored.
 */
export class ProbeError extends Error {
  /** The result upstream pairs with the error (`unknown` mostly, `failure` for a cut body). */
  readonly result: ProbeResult;

  constructor(message: string, options: ErrorOptions & { result?: ProbeResult } = {}) {
    super(message, options);
    this.name = "ProbeError";
    this.result = options.result ?? "unknown";
  }
}

/** The User-Agent probes send (the kubelet's `kube-probe/<major>.<minor>`). */
export const PROBE_USER_AGENT = "kube-probe/1.33";

/** The most output kept from an HTTP body or a command (10 KiB). */
export const MAX_PROBE_OUTPUT_BYTES = 10 * 1024;

/** `host:port`, with an IPv6 host in brackets (Go's `net.JoinHostPort`). */
export function joinHostPort(host: string, port: number | string): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
