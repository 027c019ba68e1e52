/**
 * The grpc probe, as upstream's `pkg/probe/grpc`: connect (plaintext) to `host:port` within the
 * timeout, call `grpc.health.v1.Health/Check` with the probe's `service`, succeed on `SERVING`.
 * Every problem is a failure with upstream's output text. grpc-js is loaded on first use.
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

/** Go's names of the gRPC codes, as `rpc error: code = Unavailable desc = …` prints them. */
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

interface CallError {
  readonly code: number;
  readonly details: string;
}

function callErrorOf(err: unknown): CallError {
  if (typeof err === "object" && err !== null) {
    const { code, details } = err as { code?: unknown; details?: unknown };
    if (typeof code === "number") {
      return { code, details: typeof details === "string" ? details : String(err) };
    }
  }
  return { code: 2, details: err instanceof Error ? err.message : String(err) };
}

/** Runs a gRPC health-check probe. */
export async function grpcProbe(request: GrpcProbeRequest): Promise<ProbeOutcome> {
  const [{ Client, credentials, Metadata }, { healthCheckMethod }] = await Promise.all([
    import("@grpc/grpc-js"),
    import("./_grpc_health.ts"),
  ]);
  const address = joinHostPort(request.host, request.port);
  const timeout = goDuration(request.timeoutMs);
  // grpc-js measures deadlines against the wall clock.
  const deadline = Date.now() + request.timeoutMs;
  const client = new Client(address, credentials.createInsecure(), {
    "grpc.primary_user_agent": PROBE_USER_AGENT,
    "grpc.use_local_subchannel_pool": 1,
  });
  try {
    const connected = await new Promise<boolean>((resolve) => {
      client.waitForReady(deadline, (err) => resolve(err === undefined || err === null));
    });
    if (!connected) {
      return {
        result: "failure",
        output:
          `timeout: failed to connect service "${address}" within ${timeout}: context deadline exceeded`,
      };
    }
    const method = healthCheckMethod();
    const answer = await new Promise<{ status?: string } | CallError>((resolve) => {
      client.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        { service: request.service ?? "" },
        new Metadata(),
        { deadline },
        (err, response) => resolve(err ? callErrorOf(err) : response ?? {}),
      );
    });
    if ("code" in answer) {
      if (answer.code === UNIMPLEMENTED) {
        return {
          result: "failure",
          output:
            `error: this server does not implement the grpc health protocol (grpc.health.v1.Health): ${answer.details}`,
        };
      }
      if (answer.code === DEADLINE_EXCEEDED) {
        return {
          result: "failure",
          output: `timeout: health rpc did not complete within ${timeout}`,
        };
      }
      const name = GO_CODE_NAMES[answer.code] ?? `Code(${answer.code})`;
      return {
        result: "failure",
        output:
          `error: health rpc probe failed: rpc error: code = ${name} desc = ${answer.details}`,
      };
    }
    const status = answer.status ?? "UNKNOWN";
    if (status !== "SERVING") {
      return { result: "failure", output: `service unhealthy (responded with "${status}")` };
    }
    return { result: "success", output: "service healthy" };
  } finally {
    client.close();
  }
}
