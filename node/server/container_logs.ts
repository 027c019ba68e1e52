/**
 * The kubelet's side of `kubectl logs`: the `/containerLogs` query decoded into a v1
 * `PodLogOptions` as the kubelet decodes it (its legacy `tail` parameter included), its
 * validation, and the kubelet's messages for a container whose logs cannot be read
 * (`container "c" in pod "p" is waiting to start: ContainerCreating`,
 * `previous terminated container "c" in pod "p" not found`…).
 *
 * @module
 */
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import { QueryReader } from "../../control/util/query_reader.ts";

/** A decoded `PodLogOptions` (v1 query parameters). */
export interface KubeletLogOptions {
  readonly follow: boolean;
  readonly previous: boolean;
  readonly timestamps: boolean;
  readonly sinceSeconds?: number;
  /** RFC 3339, as sent. */
  readonly sinceTime?: string;
  readonly tailLines?: number;
  readonly limitBytes?: number;
  /** `Stdout`, `Stderr` or `All` (1.32+). */
  readonly stream?: string;
}

/** The query could not be decoded (the kubelet answers 400 `Unable to decode query`). */
export class LogQueryError extends SyntaxError {
  constructor(message: string) {
    super(message);
    this.name = "LogQueryError";
  }
}

/**
 * Decodes the `/containerLogs` query. `tail=N` is taken as `tailLines=N` and `tail=all` as no
 * limit, as the kubelet still accepts them.
 *
 * @throws {LogQueryError} when a value does not parse.
 */
export function parseKubeletLogOptions(query: URLSearchParams): KubeletLogOptions {
  const q = new URLSearchParams(query);
  const tail = q.get("tail");
  if (tail !== null && tail !== "") {
    if (tail === "all") q.delete("tailLines");
    else q.set("tailLines", tail);
  }
  const r = new QueryReader(q, (message) => new LogQueryError(message));
  const sinceSeconds = r.int("sinceSeconds");
  const sinceTime = r.time("sinceTime");
  const tailLines = r.int("tailLines");
  const limitBytes = r.int("limitBytes");
  const stream = r.string("stream");
  return {
    follow: r.bool("follow"),
    previous: r.bool("previous"),
    timestamps: r.bool("timestamps"),
    ...(sinceSeconds === undefined ? {} : { sinceSeconds }),
    ...(sinceTime === undefined ? {} : { sinceTime }),
    ...(tailLines === undefined ? {} : { tailLines }),
    ...(limitBytes === undefined ? {} : { limitBytes }),
    ...(stream === undefined ? {} : { stream }),
  };
}

const LOG_STREAMS: ReadonlySet<string> = new Set(["Stdout", "Stderr", "All"]);

/**
 * What is wrong with the options, as `field: message` lines (empty when valid), by the rules
 * of the kubelet's and the API server's `ValidatePodLogOptions`.
 */
export function podLogOptionsProblems(options: KubeletLogOptions): string[] {
  const problems: string[] = [];
  if (options.tailLines !== undefined && options.tailLines < 0) {
    problems.push("tailLines: must be greater than or equal to 0");
  }
  if (options.limitBytes !== undefined && options.limitBytes < 1) {
    problems.push("limitBytes: must be greater than 0");
  }
  if (options.sinceSeconds !== undefined && options.sinceTime !== undefined) {
    problems.push("at most one of `sinceTime` or `sinceSeconds` may be specified");
  } else if (options.sinceSeconds !== undefined && options.sinceSeconds < 1) {
    problems.push("sinceSeconds: must be greater than 0");
  }
  if (options.stream !== undefined) {
    if (!LOG_STREAMS.has(options.stream)) problems.push("stream: Unsupported value");
    if (options.stream !== "All" && options.tailLines !== undefined) {
      problems.push("`tailLines` and specific `stream` are mutually exclusive for now");
    }
  }
  return problems;
}

/** Whether `pod` declares a container (regular, init or ephemeral) named `name`. */
export function podHasContainer(pod: Pod, name: string): boolean {
  const spec = pod.spec;
  return [spec?.containers, spec?.initContainers, spec?.ephemeralContainers].some((list) =>
    (list ?? []).some((c) => c.name === name)
  );
}

/**
 * Why the logs of `container` cannot be read, from the pod's status, with the kubelet's
 * messages (its `validateContainerLogStatus`): for a container the runtime does not have
 * (not yet created, or its previous instance gone).
 */
export function containerLogStatusError(
  pod: Pod,
  options: { readonly container: string; readonly previous: boolean },
): string {
  const { container: name, previous } = options;
  const podName = pod.metadata?.name ?? "";
  const q = (s: string) => JSON.stringify(s);
  const status = pod.status;
  const cs = [
    ...(status?.containerStatuses ?? []),
    ...(status?.initContainerStatuses ?? []),
    ...(status?.ephemeralContainerStatuses ?? []),
  ].find((s) => s.name === name);
  if (!cs) return `container ${q(name)} in pod ${q(podName)} is not available`;
  if (previous) return `previous terminated container ${q(name)} in pod ${q(podName)} not found`;
  const state = cs.state ?? {};
  const last = cs.lastState?.terminated;
  if (state.running) return `container ${q(name)} in pod ${q(podName)} is not available`;
  if (state.terminated || last) {
    return `container ${q(name)} in pod ${q(podName)} is terminated`;
  }
  if (state.waiting) {
    const reason = state.waiting.reason ?? "";
    if (reason === "ErrImagePull") {
      return `container ${q(name)} in pod ${q(podName)} is waiting to start: image can't be pulled`;
    }
    if (reason === "ImagePullBackOff") {
      return `container ${q(name)} in pod ${
        q(podName)
      } is waiting to start: trying and failing to pull image`;
    }
    return `container ${q(name)} in pod ${q(podName)} is waiting to start: ${reason}`;
  }
  return `container ${q(name)} in pod ${q(podName)} is waiting to start - no logs yet`;
}
