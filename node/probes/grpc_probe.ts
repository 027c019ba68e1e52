/**
 * The grpc probe, as upstream's `pkg/probe/grpc`: connect (plaintext) to `host:port` within the
 * timeout, call `grpc.health.v1.Health/Check` with the probe's `service`, succeed on `SERVING`.
 * Every problem is a failure with upstream's output text. It runs on skiff's own gRPC channel
 * (node/cri/grpc_channel.ts, over TCP), loaded on first use.
 *
 * @module
 */
import { joinHostPort, PROBE_USER_AGENT, type ProbeOutcome } from "./probe_result.ts";

/** What a {@linkcode grpcProbe} checks. */
export interface GrpcProbeRequest {
  readonly host: string;
  readonly port: number;
  /** The service name sent in the HealthCheckRequest; `""` for the server as a whole. */
  readonly service?: string;
  readonly timeoutMs: number;
}

/** Go's names of the gRPC codes, as `rpc error: code = Unavailable desc = ...` prints them. */
const GO_CODE_NAMES = [
  "OK",
  "Canceled",
  "Unknown",
  "InvalidArgument",
  "DeadlineExceeded",
  "NotFound",
  "AlreadyExists",
  "PermissionDenied",
  "ResourceExhausted",
  "FailedPrecondition",
  "Aborted",
  "OutOfRange",
  "Unimplemented",
  "Internal",
  "Unavailable",
  "DataLoss",
  "Unauthenticated",
];

const UNIMPLEMENTED = 12;
const DEADLINE_EXCEEDED = 4;

/** `1s`, `90s` as Go prints a whole number of seconds; milliseconds otherwise. */
function goDuration(ms: number): string {
  if (ms % 1000 === 0) {
    const s = ms / 1000;
    if (s < 60) return `${s}s`;
    const m = Math.floor(s / 60);
    if (m < 60) return `${m}m${s % 60}s`;
    return `${Math.floor(m / 60)}h${m % 60}m${s % 60}s`;
  }
  return `${ms}ms`;
}

/** Runs a gRPC health-check probe. */
export async function grpcProbe(request: GrpcProbeRequest): Promise<ProbeOutcome> {
  const [{ GrpcChannel }, { GrpcCallError }, health] = await Promise.all([
    import("../cri/grpc_channel.ts"),
    import("../cri/errors.ts"),
    import("./_grpc_health.ts"),
  ]);
  const address = joinHostPort(request.host, request.port);
  const timeout = goDuration(request.timeoutMs);
  const startedAt = performance.now();
  using channel = new GrpcChannel({
    address: { hostname: request.host, port: request.port },
    userAgent: PROBE_USER_AGENT,
    connectTimeoutMs: request.timeoutMs,
  });
  try {
    await channel.waitForReady({ timeoutMs: request.timeoutMs });
  } catch {
    return {
      result: "failure",
      output:
        `timeout: failed to connect service "${address}" within ${timeout}: context deadline exceeded`,
    };
  }
  let status: string;
  try {
    const reply = await channel.unary({
      path: health.HEALTH_CHECK_PATH,
      message: health.encodeHealthCheckRequest(request.service ?? ""),
      // One deadline for connecting and calling, as upstream's context.
      timeoutMs: Math.max(0, request.timeoutMs - (performance.now() - startedAt)),
    });
    status = health.decodeHealthCheckResponse(reply);
  } catch (err) {
    const code = err instanceof GrpcCallError ? err.code : 2;
    const details = err instanceof GrpcCallError ? err.details : (err as Error).message;
    if (code === UNIMPLEMENTED) {
      return {
        result: "failure",
        output:
          `error: this server does not implement the grpc health protocol (grpc.health.v1.Health): ${details}`,
      };
    }
    if (code === DEADLINE_EXCEEDED) {
      return {
        result: "failure",
        output: `timeout: health rpc did not complete within ${timeout}`,
      };
    }
    const name = GO_CODE_NAMES[code] ?? `Code(${code})`;
    return {
      result: "failure",
      output: `error: health rpc probe failed: rpc error: code = ${name} desc = ${details}`,
    };
  }
  if (status !== "SERVING") {
    return { result: "failure", output: `service unhealthy (responded with "${status}")` };
  }
  return { result: "success", output: "service healthy" };
}
