/**
 * {@linkcode Prober}: runs one probe of a container, as upstream's `prober.probe`: picks the
 * handler (exec, httpGet, tcpSocket, grpc), resolves named ports and the default host (the pod
 * IP), retries a probe that errored up to 3 times, and records the kubelet's events
 * (`Liveness probe failed: HTTP probe failed with statuscode: 500`).
 *
 * @module
 */
import type { Container, Pod, PodStatus, Probe } from "../../control/api/types/core_v1_pod.ts";
import type { Logger } from "../../control/util/logger.ts";
import { type Clock, systemClock } from "../../control/util/clock.ts";
import { execProbe, type ExecSyncFunction } from "./exec_probe.ts";
import { grpcProbe } from "./grpc_probe.ts";
import { httpProbe, httpProbeUrl } from "./http_probe.ts";
import { ProbeError, type ProbeOutcome } from "./probe_result.ts";
import { tcpProbe } from "./tcp_probe.ts";

/** The three kinds of container probe. */
export type ProbeKind = "liveness" | "readiness" | "startup";

/** A probe's verdict for the container (upstream's `results.Result`). */
export type ContainerProbeResult = "success" | "failure" | "unknown";

/** The kind as events print it: `Liveness`. */
export function probeKindTitle(kind: ProbeKind): string {
  return kind === "liveness" ? "Liveness" : kind === "readiness" ? "Readiness" : "Startup";
}

/** The probe of `container` of that kind, if it has one. */
export function probeOf(container: Container, kind: ProbeKind): Probe | undefined {
  return kind === "liveness"
    ? container.livenessProbe
    : kind === "readiness"
    ? container.readinessProbe
    : container.startupProbe;
}

/** An event the kubelet records about a probe. */
export interface ProbeEvent {
  readonly pod: Pod;
  readonly containerName: string;
  readonly type: "Warning";
  /** `Unhealthy`, or `ProbeWarning` for a redirect not followed. */
  readonly reason: "Unhealthy" | "ProbeWarning";
  readonly message: string;
}

/** What one probe run is about. */
export interface ProbeTarget {
  readonly pod: Pod;
  readonly status: PodStatus;
  readonly container: Container;
  /** The runtime's container ID, with or without its `containerd://` prefix. */
  readonly containerId: string;
}

/** What {@linkcode Prober} needs. */
export interface ProberDeps {
  /** Runs exec probes (the CRI client's ExecSync). */
  readonly execSync: ExecSyncFunction;
  /** Receives the probe events (`Unhealthy`, `ProbeWarning`). */
  readonly recordEvent?: (event: ProbeEvent) => void;
  readonly logger?: Logger;
  /** Times HTTP and TCP probes; defaults to the system clock. */
  readonly clock?: Clock;
}

/** How often a probe that errored is tried within one run. */
const MAX_PROBE_RETRIES = 3;

const DEFAULT_TIMEOUT_SECONDS = 1;

/** Replaces `$(VAR)` with the container's literal env values; `$$` escapes a `$`. */
export function expandCommand(command: readonly string[], container: Container): string[] {
  const env = new Map<string, string>();
  for (const e of container.env ?? []) {
    if (e.value !== undefined && e.valueFrom === undefined) env.set(e.name, e.value);
  }
  return command.map((arg) =>
    arg.replace(/\$\$|\$\(([^)]*)\)/g, (whole, name: string | undefined) => {
      if (whole === "$$") return "$";
      const value = name === undefined ? undefined : env.get(name);
      return value ?? whole;
    })
  );
}

/** The number of `port` (a number, a container port's name, or a number as a string). */
function resolvePort(port: number | string, container: Container): number {
  let number: number;
  if (typeof port === "number") {
    number = port;
  } else {
    const named = (container.ports ?? []).find((p) => p.name === port);
    if (named) number = named.containerPort;
    else if (/^[0-9]+$/.test(port)) number = Number(port);
    else throw new ProbeError(`port ${port} not found`);
  }
  if (!Number.isInteger(number) || number <= 0 || number > 65535) {
    throw new ProbeError(`invalid port number: ${number}`);
  }
  return number;
}

/** The ID without its runtime prefix (`containerd://abc` → `abc`). */
export function bareContainerId(containerId: string): string {
  const at = containerId.indexOf("://");
  return at < 0 ? containerId : containerId.slice(at + 3);
}

/** Runs the probes of containers. */
export class Prober {
  readonly #deps: ProberDeps;

  constructor(deps: ProberDeps) {
    this.#deps = deps;
  }

  /**
   * Runs `target.container`'s probe of `kind` once: `"success"` (also for a warning) or
   * `"failure"`, or `undefined` when the probe itself errored (upstream then drops the result).
   * A container without that probe succeeds.
   */
  async probe(kind: ProbeKind, target: ProbeTarget): Promise<"success" | "failure" | undefined> {
    const spec = probeOf(target.container, kind);
    if (!spec) return "success";
    const title = probeKindTitle(kind);
    let outcome: ProbeOutcome | undefined;
    let error: unknown;
    for (let i = 0; i < MAX_PROBE_RETRIES; i++) {
      try {
        outcome = await this.#run(spec, target);
        error = undefined;
        break;
      } catch (err) {
        error = err;
      }
    }
    if (!outcome) {
      this.#deps.logger?.warn("Probe errored", {
        probeType: title,
        pod: podName(target.pod),
        containerName: target.container.name,
        err: error,
      });
      const message = error instanceof Error ? errorChain(error) : String(error);
      const state = error instanceof ProbeError ? error.result : "unknown";
      this.#event(
        target,
        "Unhealthy",
        `${title} probe errored and resulted in ${state} state: ${message}`,
      );
      return undefined;
    }
    switch (outcome.result) {
      case "success":
        return "success";
      case "warning":
        this.#event(target, "ProbeWarning", `${title} probe warning: ${outcome.output}`);
        return "success";
      case "failure":
        this.#deps.logger?.info("Probe failed", {
          probeType: title,
          pod: podName(target.pod),
          containerName: target.container.name,
          probeResult: outcome.result,
          output: outcome.output,
        });
        this.#event(target, "Unhealthy", `${title} probe failed: ${outcome.output}`);
        return "failure";
      case "unknown":
        // No event: upstream only logs an unknown result without an error.
        return "failure";
    }
  }

  #event(target: ProbeTarget, reason: ProbeEvent["reason"], message: string): void {
    this.#deps.recordEvent?.({
      pod: target.pod,
      containerName: target.container.name,
      type: "Warning",
      reason,
      message,
    });
  }

  #run(spec: Probe, target: ProbeTarget): Promise<ProbeOutcome> {
    const timeoutSeconds = spec.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
    const timeoutMs = timeoutSeconds * 1000;
    const { container, status } = target;
    const podIP = status.podIP ?? "";
    const clock = this.#deps.clock ?? systemClock;
    if (spec.exec) {
      return execProbe({
        containerId: bareContainerId(target.containerId),
        command: expandCommand(spec.exec.command ?? [], container),
        timeoutSeconds,
      }, { execSync: this.#deps.execSync });
    }
    if (spec.httpGet) {
      const get = spec.httpGet;
      const url = httpProbeUrl({
        scheme: get.scheme ?? "HTTP",
        host: get.host || podIP,
        port: resolvePort(get.port, container),
        path: get.path ?? "",
      });
      return httpProbe({ url, headers: get.httpHeaders ?? [], timeoutMs }, { clock });
    }
    if (spec.tcpSocket) {
      const port = resolvePort(spec.tcpSocket.port, container);
      return tcpProbe({ host: spec.tcpSocket.host || podIP, port, timeoutMs }, { clock });
    }
    if (spec.grpc) {
      const port = resolvePort(spec.grpc.port, container);
      return grpcProbe({ host: podIP, port, service: spec.grpc.service ?? "", timeoutMs });
    }
    return Promise.reject(
      new ProbeError(`missing probe handler for ${podName(target.pod)}:${container.name}`),
    );
  }
}

function podName(pod: Pod): string {
  return `${pod.metadata?.namespace ?? ""}/${pod.metadata?.name ?? ""}`;
}

function errorChain(err: Error): string {
  const cause = err.cause;
  return cause instanceof Error ? `${err.message}: ${errorChain(cause)}` : err.message;
}
