/**
 * What a `pods/exec`, `pods/attach` or `pods/portforward` request asks for, and where it goes,
 * as kube-apiserver's pod REST works it out (`ExecLocation`, `AttachLocation`,
 * `PortForwardLocation`):
 *
 * - the query decodes into `PodExecOptions`/`PodAttachOptions` (`command` repeated,
 *   `container`, `stdin`, `stdout`, `stderr`, `tty`; booleans false only when absent, `0` or
 *   `false`) or `PodPortForwardOptions` (`ports`, 400 when one is not a number);
 * - the container defaults to the pod's only one; a pod with several needs one named
 *   (`a container name must be specified for pod web, choose one of: [init a b]`), and a
 *   named one must be the pod's (`container x is not valid for pod web`);
 * - the pod must be bound (`pod web does not have a host assigned`);
 * - the kubelet path is `/exec/{ns}/{pod}/{container}` (`/attach/…`, `/portForward/{ns}/{pod}`)
 *   with upstream's query: `input`, `output`, `error`, `tty` as `1`, `command` repeated, `port`
 *   repeated, keys sorted as Go encodes them.
 *
 * @module
 */
import { ApiError } from "../errors.ts";
import type { Pod } from "../types/core_v1_pod.ts";

/** The streaming subresources. */
export type StreamSubresource = "exec" | "attach" | "portforward";

/** A decoded exec, attach or port-forward request. */
export interface StreamOptions {
  readonly subresource: StreamSubresource;
  /** exec only. */
  readonly command: readonly string[];
  readonly container?: string;
  readonly stdin: boolean;
  readonly stdout: boolean;
  readonly stderr: boolean;
  readonly tty: boolean;
  /** portforward only. */
  readonly ports: readonly number[];
}

function flag(query: URLSearchParams, name: string): boolean {
  const v = query.get(name);
  if (v === null) return false;
  return !(v === "0" || v.toLowerCase() === "false");
}

/**
 * Decodes the query of a streaming request.
 *
 * @throws {ApiError} 400 when a port does not parse.
 */
export function parseStreamOptions(
  subresource: StreamSubresource,
  query: URLSearchParams,
): StreamOptions {
  const container = query.get("container");
  const ports: number[] = [];
  if (subresource === "portforward") {
    for (const value of query.getAll("ports").flatMap((v) => v.split(","))) {
      const text = value.trim();
      if (!/^[+-]?\d+$/.test(text) || Math.abs(Number(text)) > 2 ** 31 - 1) {
        throw ApiError.badRequest(
          `strconv.ParseInt: parsing ${JSON.stringify(text)}: invalid syntax`,
        );
      }
      ports.push(Number(text));
    }
  }
  return {
    subresource,
    command: subresource === "exec" ? query.getAll("command") : [],
    ...(container === null || container === "" ? {} : { container }),
    stdin: flag(query, "stdin"),
    stdout: flag(query, "stdout"),
    stderr: flag(query, "stderr"),
    tty: flag(query, "tty"),
    ports,
  };
}

/** Every container of a pod: init containers, containers, ephemeral containers. */
function allContainerNames(pod: Pod): string[] {
  const spec = pod.spec;
  return [
    ...(spec?.initContainers ?? []),
    ...(spec?.containers ?? []),
    ...(spec?.ephemeralContainers ?? []),
  ].map((c) => c.name);
}

/**
 * The container a stream attaches to: `container` if the pod has it, else the pod's only
 * container, with upstream's messages.
 *
 * @throws {ApiError} 400 when none can be chosen.
 */
export function streamContainer(pod: Pod, container: string | undefined): string {
  const name = pod.metadata?.name ?? "";
  if (container === undefined || container === "") {
    const containers = pod.spec?.containers ?? [];
    if (containers.length === 1) return containers[0]!.name;
    if (containers.length === 0) {
      throw ApiError.badRequest(`a container name must be specified for pod ${name}`);
    }
    throw ApiError.badRequest(
      `a container name must be specified for pod ${name}, choose one of: [${
        allContainerNames(pod).join(" ")
      }]`,
    );
  }
  if (!allContainerNames(pod).includes(container)) {
    throw ApiError.badRequest(`container ${container} is not valid for pod ${name}`);
  }
  return container;
}

/** Where a stream goes: the pod's node and the kubelet's path. */
export interface StreamTarget {
  readonly nodeName: string;
  /** The container (empty for port-forward). */
  readonly container: string;
  /** The kubelet path with its query. */
  readonly path: string;
}

/** Go's `url.Values.Encode`: keys sorted, values in order, `+` for spaces. */
function encodeValues(values: readonly (readonly [string, string])[]): string {
  const sorted = [...values].map((v, i) => [v, i] as const).sort((a, b) =>
    a[0][0] < b[0][0] ? -1 : a[0][0] > b[0][0] ? 1 : a[1] - b[1]
  );
  const esc = (s: string) =>
    encodeURIComponent(s).replace(/%20/g, "+").replace(
      /[!'()*]/g,
      (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
    );
  return sorted.map(([[k, v]]) => `${esc(k)}=${esc(v)}`).join("&");
}

/**
 * The node and kubelet path of a stream into `pod`.
 *
 * @throws {ApiError} 400 for a container that cannot be chosen or a pod with no node.
 */
export function streamTarget(pod: Pod, options: StreamOptions): StreamTarget {
  const namespace = pod.metadata?.namespace ?? "";
  const name = pod.metadata?.name ?? "";
  const container = options.subresource === "portforward"
    ? ""
    : streamContainer(pod, options.container);
  const nodeName = pod.spec?.nodeName ?? "";
  if (nodeName === "") {
    throw ApiError.badRequest(`pod ${name} does not have a host assigned`);
  }
  const params: [string, string][] = [];
  let path: string;
  if (options.subresource === "portforward") {
    for (const port of options.ports) params.push(["port", String(port)]);
    path = `/portForward/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
  } else {
    if (options.stdin) params.push(["input", "1"]);
    if (options.stdout) params.push(["output", "1"]);
    if (options.stderr) params.push(["error", "1"]);
    if (options.tty) params.push(["tty", "1"]);
    for (const c of options.command) params.push(["command", c]);
    path = `/${options.subresource}/${
      [namespace, name, container].map(encodeURIComponent).join("/")
    }`;
  }
  const query = encodeValues(params);
  return { nodeName, container, path: query === "" ? path : `${path}?${query}` };
}
