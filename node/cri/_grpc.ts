/**
 * The gRPC side of {@linkcode ../client.ts}: one grpc-js channel to a unix socket and unary calls
 * over it, by service and method name. Loaded on demand by the client, so that importing skiff
 * (CNI mode, a server without the agent) does not load grpc-js and the protobuf runtime.
 *
 * @module
 */
import { Client, credentials, Metadata, type ServiceError } from "@grpc/grpc-js";
import { criMethod, type CriServiceName } from "./_package.ts";
import { GrpcStatus } from "./errors.ts";

/** Why a unary call failed: its gRPC status and the underlying error. */
export interface GrpcFailure {
  readonly code: number;
  readonly details: string;
  readonly error: unknown;
}

/** What a unary call reports when it ends. */
export type UnaryDone = (failure: GrpcFailure | null, response?: unknown) => void;

/** A started unary call. */
export interface UnaryCall {
  /** Ends the call with CANCELLED (nothing once it has ended). */
  cancel(): void;
}

/** What a unary call needs besides its request. */
export interface UnaryTarget {
  readonly service: CriServiceName;
  readonly method: string;
  /** Absolute deadline in wall-clock milliseconds, or `Infinity`. */
  readonly deadline: number;
}

function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as { code?: unknown }).code === "number";
}

function failureOf(err: unknown): GrpcFailure {
  if (isServiceError(err)) return { code: err.code, details: err.details, error: err };
  return { code: GrpcStatus.UNKNOWN, details: String(err), error: err };
}

/** A grpc-js channel to `target` (`unix:///path`). */
export class GrpcTransport {
  readonly #client: Client;

  constructor(target: string, maxMessageBytes: number) {
    this.#client = new Client(target, credentials.createInsecure(), {
      "grpc.max_receive_message_length": maxMessageBytes,
      "grpc.max_send_message_length": maxMessageBytes,
      // Our own subchannel, so close() leaves no connection or timer behind.
      "grpc.use_local_subchannel_pool": 1,
    });
  }

  /** Sends `request` to `target`'s method; `done` runs once with the answer or the failure. */
  unary(target: UnaryTarget, request: object, done: UnaryDone): UnaryCall {
    const method = criMethod(target.service, target.method);
    try {
      return this.#client.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        request,
        new Metadata(),
        { deadline: target.deadline },
        (err, response) => err ? done(failureOf(err)) : done(null, response),
      );
    } catch (err) {
      // A request that cannot be encoded, or a channel already shut down.
      done(failureOf(err));
      return { cancel() {} };
    }
  }

  /** Runs `done` once the channel is connected, or with an error at `deadline`. */
  waitForReady(deadline: number, done: (err?: Error) => void): void {
    this.#client.waitForReady(deadline, done);
  }

  /** Closes the channel. */
  close(): void {
    this.#client.close();
  }
}
