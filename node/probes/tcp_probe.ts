/**
 * The tcpSocket probe: success when a TCP connection to the address opens within the timeout,
 * as upstream's `pkg/probe/tcp`.
 *
 * @module
 */
import { type Clock, systemClock } from "../../control/util/clock.ts";
import { dialErrorText } from "./_dial_error.ts";
import { joinHostPort, type ProbeOutcome } from "./probe_result.ts";

/** Where a {@linkcode tcpProbe} connects. */
export interface TcpProbeRequest {
  readonly host: string;
  readonly port: number;
  readonly timeoutMs: number;
}

/** Options of {@linkcode tcpProbe}. */
export interface TcpProbeOptions {
  /** Times the connection attempt; defaults to the system clock. */
  readonly clock?: Clock;
}

/**
 * Opens a TCP connection to `request.host:request.port` and closes it again. A refused or timed
 * out connection is a failure with Go's dial error as output
 * (`dial tcp 10.42.0.5:8080: connect: connection refused`, `dial tcp …: i/o timeout`).
 */
export async function tcpProbe(
  request: TcpProbeRequest,
  options: TcpProbeOptions = {},
): Promise<ProbeOutcome> {
  const clock = options.clock ?? systemClock;
  const address = joinHostPort(request.host, request.port);
  const connecting = Deno.connect({ hostname: request.host, port: request.port });
  let timer: { cancel(): void } | undefined;
  const timedOut = new Promise<"timeout">((resolve) => {
    timer = clock.setTimeout(() => resolve("timeout"), request.timeoutMs);
  });
  try {
    const conn = await Promise.race([connecting, timedOut]);
    if (conn === "timeout") {
      connecting.then((late) => late.close(), () => {});
      return { result: "failure", output: `dial tcp ${address}: i/o timeout` };
    }
    conn.close();
    return { result: "success", output: "" };
  } catch (err) {
    return { result: "failure", output: dialErrorText(err, { address, host: request.host }) };
  } finally {
    timer?.cancel();
  }
}
