/**
 * The kubelet API's requests, routed as upstream kubelet's server routes them:
 *
 * | path | does |
 * | --- | --- |
 * | `GET /healthz` | `ok` |
 * | `GET /pods` | the PodList of the pods the node runs |
 * | `GET /containerLogs/{ns}/{pod}/{container}` | the container's log (`node/logs`), with follow, tailLines, sinceSeconds, sinceTime, timestamps, previous, limitBytes |
 * | `GET\|POST /exec/{ns}/{pod}[/{uid}]/{container}?command=…` | CRI Exec, then the upgrade proxied raw to the runtime's URL |
 * | `GET\|POST /attach/{ns}/{pod}[/{uid}]/{container}` | CRI Attach, likewise |
 * | `GET\|POST /portForward/{ns}/{pod}[/{uid}]` | CRI PortForward on the pod's sandbox, likewise |
 * | `POST /run/{ns}/{pod}[/{uid}]/{container}?cmd=…` | CRI ExecSync: the command's stdout and stderr |
 * | `GET /runningpods/` | the PodList of the pods the runtime has |
 *
 * Every request is authenticated and authorized first ({@linkcode KubeletAuth}). Errors are
 * plain text with the kubelet's messages and status codes.
 *
 * @module
 */
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import type { Clock } from "../../control/util/clock.ts";
import { takeOverSocket } from "../../control/util/http1_connection.ts";
import type { Logger } from "../../control/util/logger.ts";
import type { CriClient } from "../cri/client.ts";
import { isCriNotFound } from "../cri/errors.ts";
import { logsSince, readContainerLogs } from "../logs/log_reader.ts";
import {
  containerLogStatusError,
  LogQueryError,
  parseKubeletLogOptions,
  podHasContainer,
  podLogOptionsProblems,
} from "./container_logs.ts";
import type { KubeletAuth, KubeletCredentials } from "./kubelet_auth.ts";
import { proxyUpgrade, type UpgradeClient } from "./stream_proxy.ts";

/** A container the node runs (or ran), as the pod workers find it. */
export interface KubeletContainerRef {
  readonly podUid: string;
  readonly containerId: string;
  readonly logPath: string;
  readonly sandboxId?: string;
}

/** One pod the node runs. */
export interface KubeletPod {
  readonly pod: Pod;
  readonly sandboxId?: string;
}

/** What the server needs of the pod workers (node/kubelet `PodWorkers`). */
export interface KubeletPodSource {
  /** The pods the runtime has something of (their sandboxes). */
  runningPods(): ReadonlyArray<KubeletPod>;
  /**
   * The pods bound to the node (the kubelet's pod manager: API and static pods), also those
   * whose sandbox is not made yet; `/pods` lists them and lookups find them.
   * @default {the pods of runningPods()}
   */
  desiredPods?(): ReadonlyArray<Pod>;
  findContainer(
    namespace: string,
    podName: string,
    containerName: string,
    options: { readonly previous: boolean },
  ): KubeletContainerRef | undefined | Promise<KubeletContainerRef | undefined>;
}

/** The CRI calls the server makes (`execSync` only for `/run`). */
export type KubeletRuntime =
  & Pick<CriClient, "exec" | "attach" | "portForward" | "containerStatus">
  & Partial<Pick<CriClient, "execSync">>;

/** Options of {@linkcode KubeletHandler}. */
export interface KubeletHandlerOptions {
  readonly pods: KubeletPodSource;
  readonly runtime: KubeletRuntime;
  readonly auth: KubeletAuth;
  readonly clock: Clock;
  readonly logger: Logger;
  /** How often a followed container is checked for having exited. @default {5000} */
  readonly followCheckMs?: number;
  /**
   * Takes the request's socket for an upgrade.
   * @default {takeOverSocket from control/util/http1_connection.ts}
   */
  readonly takeOver?: (signal: AbortSignal) => UpgradeClient | null;
}

const STREAMED = new WeakSet<Response>();

/** Whether the handler's response is streamed (its head sent at once, its body chunked). */
export function isKubeletStreamedResponse(response: Response): boolean {
  return STREAMED.has(response);
}

function text(status: number, message: string): Response {
  return new Response(message, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

/** A `1` flag of an exec or attach request (`true` is taken too). */
function flag(query: URLSearchParams, name: string): boolean {
  const v = query.get(name);
  return v === "1" || v === "true";
}

/** Whether the request asks for an upgrade (`Connection: Upgrade` with an `Upgrade` header). */
function isUpgrade(request: Request): boolean {
  const connection = request.headers.get("connection") ?? "";
  return connection.split(",").some((t) => t.trim().toLowerCase() === "upgrade") &&
    (request.headers.get("upgrade") ?? "") !== "";
}

function isWebSocket(request: Request): boolean {
  return isUpgrade(request) && request.headers.get("upgrade")!.toLowerCase() === "websocket";
}

/** The ports of a WebSocket port-forward (`?port=80,443&port=8080`), or why not. */
export function portForwardPorts(query: URLSearchParams): number[] | string {
  const values = query.getAll("port");
  if (values.length === 0) return `query parameter "port" is required`;
  const ports: number[] = [];
  for (const value of values) {
    if (value === "") return `query parameter "port" cannot be empty`;
    for (const p of value.split(",")) {
      const n = /^\d+$/.test(p) ? Number(p) : NaN;
      if (!Number.isInteger(n) || n > 65535) {
        return `unable to parse "${value}" as a port: strconv.ParseUint: parsing "${p}": invalid syntax`;
      }
      if (n < 1) return `port "${value}" must be > 0`;
      ports.push(n);
    }
  }
  return ports;
}

interface Route {
  readonly kind:
    | "healthz"
    | "pods"
    | "runningPods"
    | "containerLogs"
    | "exec"
    | "attach"
    | "run"
    | "portForward";
  readonly namespace: string;
  readonly pod: string;
  readonly uid: string;
  readonly container: string;
}

/** The route of a path, "method" when the path exists for other methods, or null. */
export function routeOf(method: string, path: string): Route | "method" | null {
  const parts = path.split("/").slice(1).map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  const [root, a = "", b = "", c = "", d = ""] = parts;
  const n = parts.length;
  const none = { namespace: "", pod: "", uid: "", container: "" };
  const readOnly = method === "GET";
  const stream = method === "GET" || method === "POST";
  switch (root) {
    case "healthz":
      if (n !== 1) return null;
      return readOnly ? { kind: "healthz", ...none } : "method";
    case "pods":
      if (n !== 1 && !(n === 2 && a === "")) return null;
      return readOnly ? { kind: "pods", ...none } : "method";
    case "runningpods":
      if (n !== 2 || a !== "") return null;
      return readOnly ? { kind: "runningPods", ...none } : "method";
    case "run":
      if (n === 4 && a !== "" && b !== "" && c !== "") {
        return method === "POST"
          ? { kind: "run", namespace: a, pod: b, uid: "", container: c }
          : "method";
      }
      if (n === 5 && a !== "" && b !== "" && c !== "" && d !== "") {
        return method === "POST"
          ? { kind: "run", namespace: a, pod: b, uid: c, container: d }
          : "method";
      }
      return null;
    case "containerLogs":
      if (n !== 4 || a === "" || b === "" || c === "") return null;
      return readOnly
        ? { kind: "containerLogs", namespace: a, pod: b, uid: "", container: c }
        : "method";
    case "exec":
    case "attach":
      if (n === 4 && a !== "" && b !== "" && c !== "") {
        return stream ? { kind: root, namespace: a, pod: b, uid: "", container: c } : "method";
      }
      if (n === 5 && a !== "" && b !== "" && c !== "" && d !== "") {
        return stream ? { kind: root, namespace: a, pod: b, uid: c, container: d } : "method";
      }
      return null;
    case "portForward":
      if ((n === 3 || n === 4) && a !== "" && b !== "" && (n === 3 || c !== "")) {
        return stream
          ? { kind: "portForward", namespace: a, pod: b, uid: n === 4 ? c : "", container: "" }
          : "method";
      }
      return null;
    default:
      return null;
  }
}

/** Why the log at `path` cannot be read (in node/logs' words), or null when it can. */
async function unreadableLog(path: string): Promise<string | null> {
  let resolved: string;
  try {
    resolved = await Deno.realPath(path);
  } catch (err) {
    return `failed to try resolving symlinks in path "${path}": ${(err as Error).message}`;
  }
  try {
    (await Deno.open(resolved, { read: true })).close();
  } catch (err) {
    return `failed to open log file "${resolved}": ${(err as Error).message}`;
  }
  return null;
}

/** Serves the kubelet API. */
export class KubeletHandler {
  readonly #o: KubeletHandlerOptions;

  constructor(options: KubeletHandlerOptions) {
    this.#o = options;
  }

  /** Answers one request presenting `credentials`. */
  async handle(request: Request, credentials: KubeletCredentials = {}): Promise<Response> {
    const url = new URL(request.url);
    const checked = await this.#o.auth.check(
      { method: request.method, path: url.pathname },
      { ...credentials, authorization: request.headers.get("authorization") },
    );
    if ("failure" in checked) return text(checked.failure.status, checked.failure.message);
    const route = routeOf(request.method, url.pathname);
    if (route === null) return text(404, "404 page not found");
    if (route === "method") return text(405, "405: Method Not Allowed");
    try {
      switch (route.kind) {
        case "healthz":
          return text(200, "ok");
        case "pods":
          return json(200, {
            kind: "PodList",
            apiVersion: "v1",
            metadata: {},
            items: this.#desired(),
          });
        case "runningPods":
          return json(200, {
            kind: "PodList",
            apiVersion: "v1",
            metadata: {},
            items: this.#o.pods.runningPods().map((p) => p.pod),
          });
        case "run":
          return await this.#run(url, route);
        case "containerLogs":
          return await this.#containerLogs(request, url, route);
        case "exec":
        case "attach":
          return await this.#execOrAttach(request, url, route);
        case "portForward":
          return await this.#portForward(request, url, route);
      }
    } catch (err) {
      this.#o.logger.error("Kubelet API request failed", {
        method: request.method,
        path: url.pathname,
        error: err,
      });
      return text(500, (err as Error).message ?? String(err));
    }
  }

  #desired(): ReadonlyArray<Pod> {
    return this.#o.pods.desiredPods?.() ?? this.#o.pods.runningPods().map((p) => p.pod);
  }

  /** The pod `namespace/name` the node runs, with its sandbox when it has one. */
  #pod(namespace: string, name: string): KubeletPod | undefined {
    const pod = this.#desired().find((p) =>
      p.metadata?.namespace === namespace && p.metadata?.name === name
    );
    if (!pod) return undefined;
    const uid = pod.metadata?.uid;
    const running = this.#o.pods.runningPods().find((p) =>
      p.pod.metadata?.namespace === namespace && p.pod.metadata?.name === name &&
      p.pod.metadata?.uid === uid
    );
    return running?.sandboxId ? { pod, sandboxId: running.sandboxId } : { pod };
  }

  async #containerLogs(request: Request, url: URL, route: Route): Promise<Response> {
    let options;
    try {
      options = parseKubeletLogOptions(url.searchParams);
    } catch (err) {
      if (err instanceof LogQueryError) {
        return text(400, `{"message": "Unable to decode query."}`);
      }
      throw err;
    }
    if (podLogOptionsProblems(options).length > 0) {
      return text(422, `{"message": "Invalid request."}`);
    }
    const running = this.#pod(route.namespace, route.pod);
    if (!running) return text(404, `pod ${JSON.stringify(route.pod)} does not exist`);
    if (!podHasContainer(running.pod, route.container)) {
      return text(
        404,
        `container ${JSON.stringify(route.container)} not found in pod ${
          JSON.stringify(route.pod)
        }`,
      );
    }
    const found = await this.#o.pods.findContainer(route.namespace, route.pod, route.container, {
      previous: options.previous,
    });
    if (!found) {
      return text(
        400,
        containerLogStatusError(running.pod, {
          container: route.container,
          previous: options.previous,
        }),
      );
    }
    const since = logsSince(
      {
        ...(options.sinceSeconds === undefined ? {} : { sinceSeconds: options.sinceSeconds }),
        ...(options.sinceTime === undefined ? {} : { sinceTime: options.sinceTime }),
      },
      new Date(this.#o.clock.now()),
    );
    // The answer's head goes out at once (a quiet container's follow must not look stalled),
    // so a log that cannot be read is found out before.
    const unreadable = await unreadableLog(found.logPath);
    if (unreadable !== null) return text(400, unreadable);
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    request.signal.addEventListener("abort", onAbort, { once: true });
    const exited = options.follow ? this.#exited(found.containerId, stop.signal) : undefined;
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const writer = writable.getWriter();
    const stream = options.stream === "Stdout"
      ? "stdout"
      : options.stream === "Stderr"
      ? "stderr"
      : "All";
    readContainerLogs(found.logPath, {
      write: async (bytes) => {
        try {
          await writer.write(bytes);
        } catch {
          // The reader went away (the connection closed): stop reading.
          stop.abort();
        }
      },
      ...(options.tailLines === undefined ? {} : { tailLines: options.tailLines }),
      ...(since === undefined ? {} : { since }),
      timestamps: options.timestamps,
      ...(options.limitBytes === undefined ? {} : { limitBytes: options.limitBytes }),
      follow: options.follow,
      stream,
      signal: stop.signal,
      ...(exited ? { exited } : {}),
      logger: this.#o.logger,
    }).then(
      () => writer.close().catch(() => {}),
      (err: unknown) => {
        if (!stop.signal.aborted) {
          this.#o.logger.warn("Cannot read container log", {
            path: found.logPath,
            error: String(err),
          });
        }
        writer.abort(err).catch(() => {});
      },
    ).finally(() => {
      stop.abort();
      request.signal.removeEventListener("abort", onAbort);
    });
    const response = new Response(readable, {
      status: 200,
      headers: { "content-type": "text/plain; charset=utf-8" },
    });
    STREAMED.add(response);
    return response;
  }

  /** Settles when the container is no longer running (checked now, then periodically). */
  #exited(containerId: string, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: { cancel(): void } | undefined;
      const done = () => {
        timer?.cancel();
        resolve();
      };
      signal.addEventListener("abort", done, { once: true });
      const check = async () => {
        if (signal.aborted) return;
        try {
          const res = await this.#o.runtime.containerStatus({ containerId }, { signal });
          if (res.status?.state !== "CONTAINER_RUNNING") return done();
        } catch (err) {
          if (isCriNotFound(err) || signal.aborted) return done();
        }
        timer = this.#o.clock.setTimeout(check, this.#o.followCheckMs ?? 5000);
      };
      check();
    });
  }

  #take(request: Request): UpgradeClient | null {
    return (this.#o.takeOver ?? takeOverSocket)(request.signal);
  }

  async #execOrAttach(request: Request, url: URL, route: Route): Promise<Response> {
    const q = url.searchParams;
    const tty = flag(q, "tty");
    const stdin = flag(q, "input") || flag(q, "stdin");
    const stdout = flag(q, "output") || flag(q, "stdout");
    // A terminal has no separate stderr: the kubelet drops it.
    const stderr = !tty && (flag(q, "error") || flag(q, "stderr"));
    if (!stdin && !stdout && !stderr) {
      return text(400, "you must specify at least 1 of stdin, stdout, stderr");
    }
    const running = this.#pod(route.namespace, route.pod);
    if (!running) return text(404, "pod does not exist");
    const found = route.uid !== "" && running.pod.metadata?.uid !== route.uid
      ? undefined
      : await this.#o.pods.findContainer(route.namespace, route.pod, route.container, {
        previous: false,
      });
    if (!found) return text(500, `container not found (${JSON.stringify(route.container)})`);
    if (!isUpgrade(request)) return text(500, "Upgrade request required");
    let streamingUrl: string;
    try {
      streamingUrl = route.kind === "exec"
        ? (await this.#o.runtime.exec({
          containerId: found.containerId,
          cmd: q.getAll("command"),
          tty,
          stdin,
          stdout,
          stderr,
        })).url
        : (await this.#o.runtime.attach({
          containerId: found.containerId,
          tty,
          stdin,
          stdout,
          stderr,
        })).url;
    } catch (err) {
      return text(isCriNotFound(err) ? 404 : 500, (err as Error).message);
    }
    return await this.#proxy(request, streamingUrl);
  }

  /** `/run`: the command (`cmd`, split on spaces) run to its end; its stdout then stderr. */
  async #run(url: URL, route: Route): Promise<Response> {
    const running = this.#pod(route.namespace, route.pod);
    if (!running) return text(404, "pod does not exist");
    const found = route.uid !== "" && running.pod.metadata?.uid !== route.uid
      ? undefined
      : await this.#o.pods.findContainer(route.namespace, route.pod, route.container, {
        previous: false,
      });
    if (!found) return text(500, `container not found (${JSON.stringify(route.container)})`);
    const execSync = this.#o.runtime.execSync?.bind(this.#o.runtime);
    if (!execSync) return text(500, "the runtime does not run commands");
    const cmd = (url.searchParams.get("cmd") ?? "").split(" ");
    const res = await execSync({ containerId: found.containerId, cmd, timeout: 0 });
    const out = new Uint8Array(res.stdout.byteLength + res.stderr.byteLength);
    out.set(res.stdout);
    out.set(res.stderr, res.stdout.byteLength);
    return new Response(out, { status: 200, headers: { "content-type": "application/json" } });
  }

  async #portForward(request: Request, url: URL, route: Route): Promise<Response> {
    let ports: number[] = [];
    if (isWebSocket(request)) {
      const parsed = portForwardPorts(url.searchParams);
      if (typeof parsed === "string") return text(400, parsed);
      ports = parsed;
    }
    const running = this.#pod(route.namespace, route.pod);
    if (!running) return text(404, "pod does not exist");
    if (route.uid !== "" && running.pod.metadata?.uid !== route.uid) {
      return text(404, "pod not found");
    }
    if (!running.sandboxId) return text(500, "pod not found");
    if (!isUpgrade(request)) return text(500, "Upgrade request required");
    let streamingUrl: string;
    try {
      streamingUrl = (await this.#o.runtime.portForward({
        podSandboxId: running.sandboxId,
        port: ports,
      })).url;
    } catch (err) {
      return text(isCriNotFound(err) ? 404 : 500, (err as Error).message);
    }
    return await this.#proxy(request, streamingUrl);
  }

  async #proxy(request: Request, target: string): Promise<Response> {
    const client = this.#take(request);
    if (!client) return text(500, "Cannot take over the connection for the upgrade");
    await proxyUpgrade(client, { request, target, logger: this.#o.logger, clock: this.#o.clock });
    // Nothing of this response is written: the socket was the proxy's.
    return new Response(null, { status: 204 });
  }
}
