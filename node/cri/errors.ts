/**
 * {@linkcode CriError}: a failed CRI call, naming the RPC, what it was about, and the gRPC status
 * the runtime answered with, so callers can tell "not found" from real failures; and
 * {@linkcode GrpcCallError}, a failed call of {@linkcode ./grpc_channel.ts}.
 *
 * @module
 */

/** gRPC status codes (the numbers every gRPC implementation uses). */
export const GrpcStatus = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

/** The name of a gRPC status code. */
export type GrpcStatusName = keyof typeof GrpcStatus;

const STATUS_NAMES: ReadonlyMap<number, GrpcStatusName> = new Map(
  Object.entries(GrpcStatus).map(([name, code]) => [code, name as GrpcStatusName]),
);

/** The name of gRPC status `code` (`5` is `"NOT_FOUND"`); `"UNKNOWN"` for codes outside the table. */
export function grpcStatusName(code: number): GrpcStatusName {
  return STATUS_NAMES.get(code) ?? "UNKNOWN";
}

/** What {@linkcode GrpcCallError} is built from. */
export interface GrpcCallErrorInit {
  /** The gRPC status code. */
  readonly code: number;
  /** The status message. */
  readonly details: string;
  readonly cause?: unknown;
}

/**
 * A gRPC call that failed, as {@linkcode ./grpc_channel.ts} reports it: the status code and
 * message, and the message as its own.
 */
export class GrpcCallError extends Error {
  /** gRPC status code ({@linkcode GrpcStatus}). */
  readonly code: number;
  /** Name of {@linkcode GrpcCallError.code}. */
  readonly codeName: GrpcStatusName;
  /** The status message. */
  readonly details: string;

  constructor(init: GrpcCallErrorInit) {
    super(
      `${grpcStatusName(init.code)}: ${init.details}`,
      init.cause === undefined ? undefined : { cause: init.cause },
    );
    this.name = "GrpcCallError";
    this.code = init.code;
    this.codeName = grpcStatusName(init.code);
    this.details = init.details;
  }
}

/** What {@linkcode CriError} is built from. */
export interface CriErrorInit {
  /** `Service/Method`, e.g. `RuntimeService/ContainerStatus`. */
  readonly rpc: string;
  /** The gRPC status code. */
  readonly code: number;
  /** The runtime's message (gRPC status details). */
  readonly details: string;
  /** What the call was about, e.g. `container "4f2a..."`. */
  readonly subject?: string;
  readonly cause?: unknown;
}

/**
 * A CRI call that failed. The message reads
 * `CRI RuntimeService/ContainerStatus of container "abc" failed: NOT_FOUND: <runtime's message>`.
 */
export class CriError extends Error {
  /** `Service/Method` of the failed call. */
  readonly rpc: string;
  /** gRPC status code ({@linkcode GrpcStatus}). */
  readonly code: number;
  /** Name of {@linkcode CriError.code}. */
  readonly codeName: GrpcStatusName;
  /** The runtime's own message. */
  readonly details: string;

  constructor(init: CriErrorInit) {
    const codeName = grpcStatusName(init.code);
    const about = init.subject === undefined ? "" : ` of ${init.subject}`;
    const tail = init.details === "" ? "" : `: ${init.details}`;
    super(
      `CRI ${init.rpc}${about} failed: ${codeName}${tail}`,
      init.cause === undefined ? undefined : { cause: init.cause },
    );
    this.name = "CriError";
    this.rpc = init.rpc;
    this.code = init.code;
    this.codeName = codeName;
    this.details = init.details;
  }

  /** Whether the runtime answered NOT_FOUND (the container, sandbox or image is gone). */
  get isNotFound(): boolean {
    return this.code === GrpcStatus.NOT_FOUND;
  }
}

/** Whether `err` is a {@linkcode CriError} with status NOT_FOUND. */
export function isCriNotFound(err: unknown): boolean {
  return err instanceof CriError && err.isNotFound;
}
