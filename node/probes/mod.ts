/**
 * Container probes, as the kubelet runs them: the four checks ({@linkcode httpProbe},
 * {@linkcode tcpProbe}, {@linkcode grpcProbe}, {@linkcode execProbe}) with upstream's output
 * texts, the {@linkcode Prober} that runs a container's probe and records its events, one
 * {@linkcode ProberWorker} per (pod, container, probe kind) with the probe's timing, and the
 * {@linkcode ProbeManager} that keeps the workers and the verdicts.
 *
 * @module
 */
export * from "./probe_result.ts";
export * from "./http_probe.ts";
export * from "./tcp_probe.ts";
export * from "./grpc_probe.ts";
export * from "./exec_probe.ts";
export * from "./prober.ts";
export * from "./prober_worker.ts";
export * from "./probe_manager.ts";
