/**
 * skiff's CRI client: {@linkcode CriClient} drives a container runtime (containerd) over its unix
 * socket with skiff's own minimal `runtime.v1` protocol definitions
 * ({@linkcode CRI_DESCRIPTOR}, embedded in code), typed requests and responses, per-call
 * deadlines and {@linkcode CriError}s that tell NOT_FOUND apart, on skiff's own minimal gRPC
 * client ({@linkcode GrpcChannel}: unary calls over HTTP/2 cleartext), loaded on the first call.
 *
 * The message types are re-exported as the `cri` namespace (`cri.ContainerStatus`,
 * `cri.PodSandboxConfig`), since several share their names with Kubernetes API types
 * (`Container`, `ContainerStatus`, `PodIP`).
 *
 * @module
 */
export * from "./descriptor.ts";
export type * as cri from "./types.ts";
export * from "./errors.ts";
export * from "./client.ts";
export * from "./grpc_channel.ts";
