/**
 * {@linkcode CriClient}: skiff's gRPC client of a CRI runtime (containerd) over its unix socket.
 * One method per RPC of `runtime.v1.RuntimeService` and `runtime.v1.ImageService`, typed by
 * {@linkcode ./types.ts}, each with a deadline and an optional AbortSignal; failures are
 * {@linkcode CriError}s naming the RPC and the gRPC status.
 *
 * @example Ask containerd who it is
 * ```ts ignore
 * import { CriClient } from "./client.ts";
 *
 * using cri = new CriClient({ endpoint: "unix:///run/containerd/containerd.sock" });
 * const { runtimeName, runtimeVersion } = await cri.version();
 * ```
 *
 * @module
 */
import type { CriServiceName } from "./_package.ts";
import type { GrpcTransport } from "./_grpc.ts";
import { CriError, GrpcStatus } from "./errors.ts";
import type {
  AttachRequest,
  ContainerIdRequest,
  ContainerStatsResponse,
  ContainerStatusRequest,
  ContainerStatusResponse,
  CreateContainerRequest,
  CreateContainerResponse,
  ExecRequest,
  ExecSyncRequest,
  ExecSyncResponse,
  ImageFsInfoResponse,
  ImageStatusRequest,
  ImageStatusResponse,
  ListContainersRequest,
  ListContainersResponse,
  ListContainerStatsRequest,
  ListContainerStatsResponse,
  ListImagesRequest,
  ListImagesResponse,
  ListPodSandboxRequest,
  ListPodSandboxResponse,
  PodSandboxIdRequest,
  PodSandboxStatusRequest,
  PodSandboxStatusResponse,
  PortForwardRequest,
  PullImageRequest,
  PullImageResponse,
  RemoveImageRequest,
  RunPodSandboxRequest,
  RunPodSandboxResponse,
  StatusRequest,
  StatusResponse,
  StopContainerRequest,
  StreamingUrlResponse,
  UpdateContainerResourcesRequest,
  VersionRequest,
  VersionResponse,
} from "./types.ts";

/** The kubelet's default `--runtime-request-timeout`: 2 minutes. */
export const DEFAULT_CRI_TIMEOUT_MS = 120_000;
/** The largest message either side may send: 16 MiB, as the kubelet allows. */
export const DEFAULT_CRI_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/** Options of {@linkcode CriClient}. */
export interface CriClientOptions {
  /** The runtime's socket: `unix:///run/containerd/containerd.sock` or an absolute path. */
  readonly endpoint: string;
  /**
   * Deadline of each call that does not give its own. PullImage has none by default, and
   * ExecSync with a `timeout` gets that many seconds more.
   * @default {120000}
   */
  readonly timeoutMs?: number;
  /**
   * The largest message sent or accepted.
   * @default {16777216}
   */
  readonly maxMessageBytes?: number;
}

/** Per-call options of {@linkcode CriClient} methods. */
export interface CriCallOptions {
  /** This call's deadline in milliseconds from now; `Infinity` for none. */
  readonly timeoutMs?: number;
  /** Cancels the call: it then fails with a CANCELLED {@linkcode CriError}. */
  readonly signal?: AbortSignal;
}

/** Turns `unix:///path` or `/path` into the gRPC target; a TypeError for anything else. */
function unixTarget(endpoint: string): string {
  const path = endpoint.startsWith("unix://") ? endpoint.slice("unix://".length) : endpoint;
  if (!path.startsWith("/")) {
    throw new TypeError(
      `Cannot use CRI endpoint "${endpoint}": expected "unix:///absolute/path/to/socket"`,
    );
  }
  return `unix://${path}`;
}

/** What a request is about, for error messages: `container "abc"`. */
function subjectOf(request: unknown): string | undefined {
  if (typeof request !== "object" || request === null) return undefined;
  const r = request as {
    containerId?: unknown;
    podSandboxId?: unknown;
    image?: { image?: unknown };
    config?: { metadata?: { name?: unknown; namespace?: unknown } };
  };
  if (typeof r.containerId === "string") return `container "${r.containerId}"`;
  const name = r.config?.metadata?.name;
  const sandbox = typeof r.podSandboxId === "string" ? `pod sandbox "${r.podSandboxId}"` : "";
  if (typeof name === "string" && sandbox !== "") return `container "${name}" in ${sandbox}`;
  if (sandbox !== "") return sandbox;
  if (typeof name === "string") {
    const namespace = r.config?.metadata?.namespace;
    return `pod "${typeof namespace === "string" ? `${namespace}/` : ""}${name}"`;
  }
  if (typeof r.image?.image === "string") return `image "${r.image.image}"`;
  return undefined;
}

/**
 * A CRI client over a unix socket. Nothing is loaded or connected until the first call (or
 * {@linkcode CriClient.waitForReady}): gRPC and the protobuf runtime are imported then.
 * {@linkcode CriClient.close} (or `using`) releases the connection.
 */
export class CriClient implements Disposable {
  /** The endpoint as given. */
  readonly endpoint: string;
  readonly #target: string;
  readonly #timeoutMs: number;
  readonly #maxMessageBytes: number;
  #transport: Promise<GrpcTransport> | undefined;
  #opened: GrpcTransport | undefined;
  #closed = false;

  constructor(options: CriClientOptions) {
    this.#target = unixTarget(options.endpoint);
    this.endpoint = options.endpoint;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_CRI_TIMEOUT_MS;
    this.#maxMessageBytes = options.maxMessageBytes ?? DEFAULT_CRI_MAX_MESSAGE_BYTES;
  }

  /**
   * Resolves once the socket accepts a connection, waiting up to `timeoutMs` (default: the
   * client's timeout); fails with an UNAVAILABLE {@linkcode CriError} otherwise.
   */
  async waitForReady(options: { readonly timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    // grpc-js measures deadlines against the wall clock itself.
    const deadline = Date.now() + timeoutMs;
    const transport = await this.#open("connect");
    await new Promise<void>((resolve, reject) => {
      transport.waitForReady(deadline, (err) => {
        if (!err) return resolve();
        reject(
          new CriError({
            rpc: "connect",
            code: GrpcStatus.UNAVAILABLE,
            details: `no connection to "${this.endpoint}" within ${timeoutMs} ms: ${err.message}`,
            cause: err,
          }),
        );
      });
    });
  }

  /** Closes the connection; later calls fail. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#opened) this.#opened.close();
    else void this.#transport?.then((t) => t.close(), () => {});
  }

  [Symbol.dispose](): void {
    this.close();
  }

  // ---- RuntimeService ------------------------------------------------------------------------

  /** Name and version of the runtime and its CRI version. */
  version(request?: VersionRequest, options?: CriCallOptions): Promise<VersionResponse> {
    return this.#call("RuntimeService", "Version", request, options);
  }

  /** The runtime's conditions (`RuntimeReady`, `NetworkReady`). */
  status(request?: StatusRequest, options?: CriCallOptions): Promise<StatusResponse> {
    return this.#call("RuntimeService", "Status", request, options);
  }

  /** Creates and starts a pod sandbox; it is ready when this resolves. */
  runPodSandbox(
    request: RunPodSandboxRequest,
    options?: CriCallOptions,
  ): Promise<RunPodSandboxResponse> {
    return this.#call("RuntimeService", "RunPodSandbox", request, options);
  }

  /** Stops a sandbox and its containers and releases its network. Idempotent. */
  async stopPodSandbox(request: PodSandboxIdRequest, options?: CriCallOptions): Promise<void> {
    await this.#call("RuntimeService", "StopPodSandbox", request, options);
  }

  /** Removes a sandbox and its containers. Idempotent. */
  async removePodSandbox(request: PodSandboxIdRequest, options?: CriCallOptions): Promise<void> {
    await this.#call("RuntimeService", "RemovePodSandbox", request, options);
  }

  /** Status of a sandbox; NOT_FOUND when it does not exist. */
  podSandboxStatus(
    request: PodSandboxStatusRequest,
    options?: CriCallOptions,
  ): Promise<PodSandboxStatusResponse> {
    return this.#call("RuntimeService", "PodSandboxStatus", request, options);
  }

  /** Sandboxes matching the filter (all without one). */
  listPodSandbox(
    request?: ListPodSandboxRequest,
    options?: CriCallOptions,
  ): Promise<ListPodSandboxResponse> {
    return this.#call("RuntimeService", "ListPodSandbox", request, options);
  }

  /** Creates a container in a sandbox. */
  createContainer(
    request: CreateContainerRequest,
    options?: CriCallOptions,
  ): Promise<CreateContainerResponse> {
    return this.#call("RuntimeService", "CreateContainer", request, options);
  }

  /** Starts a created container. */
  async startContainer(request: ContainerIdRequest, options?: CriCallOptions): Promise<void> {
    await this.#call("RuntimeService", "StartContainer", request, options);
  }

  /** Stops a container, killing it after `timeout` seconds. Idempotent. */
  async stopContainer(request: StopContainerRequest, options?: CriCallOptions): Promise<void> {
    await this.#call("RuntimeService", "StopContainer", request, options);
  }

  /** Removes a container (killing it if it runs). Idempotent. */
  async removeContainer(request: ContainerIdRequest, options?: CriCallOptions): Promise<void> {
    await this.#call("RuntimeService", "RemoveContainer", request, options);
  }

  /** Containers matching the filter (all without one). */
  listContainers(
    request?: ListContainersRequest,
    options?: CriCallOptions,
  ): Promise<ListContainersResponse> {
    return this.#call("RuntimeService", "ListContainers", request, options);
  }

  /** Status of a container; NOT_FOUND when it does not exist. */
  containerStatus(
    request: ContainerStatusRequest,
    options?: CriCallOptions,
  ): Promise<ContainerStatusResponse> {
    return this.#call("RuntimeService", "ContainerStatus", request, options);
  }

  /** Changes a running container's cgroup limits. */
  async updateContainerResources(
    request: UpdateContainerResourcesRequest,
    options?: CriCallOptions,
  ): Promise<void> {
    await this.#call("RuntimeService", "UpdateContainerResources", request, options);
  }

  /** Makes the runtime reopen a container's log file (after it was rotated). */
  async reopenContainerLog(request: ContainerIdRequest, options?: CriCallOptions): Promise<void> {
    await this.#call("RuntimeService", "ReopenContainerLog", request, options);
  }

  /**
   * Runs a command in a container and returns its output and exit code. Without `timeoutMs` the
   * deadline is the request's `timeout` plus the client's timeout, or none for `timeout` 0.
   */
  execSync(request: ExecSyncRequest, options?: CriCallOptions): Promise<ExecSyncResponse> {
    const seconds = Number(request.timeout ?? 0);
    const timeoutMs = seconds > 0 ? this.#timeoutMs + seconds * 1000 : Infinity;
    return this.#call("RuntimeService", "ExecSync", request, { timeoutMs, ...options });
  }

  /** A streaming URL that runs a command in a container. */
  exec(request: ExecRequest, options?: CriCallOptions): Promise<StreamingUrlResponse> {
    return this.#call("RuntimeService", "Exec", request, options);
  }

  /** A streaming URL attached to a container's stdio. */
  attach(request: AttachRequest, options?: CriCallOptions): Promise<StreamingUrlResponse> {
    return this.#call("RuntimeService", "Attach", request, options);
  }

  /** A streaming URL forwarding ports of a sandbox. */
  portForward(
    request: PortForwardRequest,
    options?: CriCallOptions,
  ): Promise<StreamingUrlResponse> {
    return this.#call("RuntimeService", "PortForward", request, options);
  }

  /** Resource usage of one container. */
  containerStats(
    request: ContainerIdRequest,
    options?: CriCallOptions,
  ): Promise<ContainerStatsResponse> {
    return this.#call("RuntimeService", "ContainerStats", request, options);
  }

  /** Resource usage of the containers matching the filter. */
  listContainerStats(
    request?: ListContainerStatsRequest,
    options?: CriCallOptions,
  ): Promise<ListContainerStatsResponse> {
    return this.#call("RuntimeService", "ListContainerStats", request, options);
  }

  // ---- ImageService --------------------------------------------------------------------------

  /** Images matching the filter (all without one). */
  listImages(
    request?: ListImagesRequest,
    options?: CriCallOptions,
  ): Promise<ListImagesResponse> {
    return this.#call("ImageService", "ListImages", request, options);
  }

  /** An image's details; `image` is `null` when the runtime does not have it. */
  imageStatus(request: ImageStatusRequest, options?: CriCallOptions): Promise<ImageStatusResponse> {
    return this.#call("ImageService", "ImageStatus", request, options);
  }

  /** Pulls an image. No deadline unless `timeoutMs` is given (pulls can be slow). */
  pullImage(request: PullImageRequest, options?: CriCallOptions): Promise<PullImageResponse> {
    return this.#call("ImageService", "PullImage", request, { timeoutMs: Infinity, ...options });
  }

  /** Removes an image. Idempotent. */
  async removeImage(request: RemoveImageRequest, options?: CriCallOptions): Promise<void> {
    await this.#call("ImageService", "RemoveImage", request, options);
  }

  /** Usage of the filesystem(s) images are stored on. */
  imageFsInfo(options?: CriCallOptions): Promise<ImageFsInfoResponse> {
    return this.#call("ImageService", "ImageFsInfo", {}, options);
  }

  // ---- Plumbing ------------------------------------------------------------------------------

  #closedError(rpc: string): CriError {
    return new CriError({
      rpc,
      code: GrpcStatus.CANCELLED,
      details: `the client of "${this.endpoint}" is closed`,
    });
  }

  async #open(rpc: string): Promise<GrpcTransport> {
    if (this.#closed) throw this.#closedError(rpc);
    this.#transport ??= import("./_grpc.ts").then(({ GrpcTransport }) => {
      const transport = new GrpcTransport(this.#target, this.#maxMessageBytes);
      this.#opened = transport;
      return transport;
    });
    const transport = await this.#transport;
    if (this.#closed) throw this.#closedError(rpc);
    return transport;
  }

  async #call<Res>(
    service: CriServiceName,
    method: string,
    request: object | undefined,
    options: CriCallOptions = {},
  ): Promise<Res> {
    request ??= {};
    const rpc = `${service}/${method}`;
    const subject = subjectOf(request);
    const about = subject === undefined ? {} : { subject };
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    // grpc-js measures deadlines against the wall clock itself.
    const deadline = Number.isFinite(timeoutMs) ? Date.now() + timeoutMs : Infinity;
    const transport = await this.#open(rpc);
    const { signal } = options;
    if (signal?.aborted) {
      throw new CriError({
        rpc,
        code: GrpcStatus.CANCELLED,
        details: "aborted before it was sent",
        ...about,
        cause: signal.reason,
      });
    }
    return await new Promise<Res>((resolve, reject) => {
      function onAbort(): void {
        call.cancel();
      }
      const call = transport.unary({ service, method, deadline }, request, (failure, response) => {
        signal?.removeEventListener("abort", onAbort);
        if (!failure) return resolve(response as Res);
        const aborted = signal?.aborted === true && failure.code === GrpcStatus.CANCELLED;
        reject(
          new CriError({
            rpc,
            code: failure.code,
            details: failure.details,
            ...about,
            cause: aborted ? signal.reason : failure.error,
          }),
        );
      });
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
}
