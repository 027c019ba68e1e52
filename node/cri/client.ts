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
import type { GrpcChannel } from "./grpc_channel.ts";
import { CriError, GrpcCallError, GrpcStatus } from "./errors.ts";
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

/** The socket path of `unix:///path` or `/path`; a TypeError for anything else. */
function socketPathOf(endpoint: string): string {
  const path = endpoint.startsWith("unix://") ? endpoint.slice("unix://".length) : endpoint;
  if (!path.startsWith("/")) {
    throw new TypeError(
      `Cannot use CRI endpoint "${endpoint}": expected "unix:///absolute/path/to/socket"`,
    );
  }
  return path;
}

/** The user agent the client sends. */
const USER_AGENT = "skiff-cri/1";

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

/** What the client loads on first use. */
interface Loaded {
  readonly channel: GrpcChannel;
  readonly criMethod: typeof import("./_package.ts").criMethod;
}

/**
 * A CRI client over a unix socket, on skiff's own gRPC channel ({@linkcode ./grpc_channel.ts}),
 * which reconnects by itself after the runtime restarts. Nothing is loaded or connected until
 * the first call (or {@linkcode CriClient.waitForReady}): the channel and the message codecs
 * ({@linkcode ./_proto_codec.ts}) are imported then. {@linkcode CriClient.close} (or `using`) releases the connection.
 */
export class CriClient implements Disposable {
  /** The endpoint as given. */
  readonly endpoint: string;
  readonly #socketPath: string;
  readonly #timeoutMs: number;
  readonly #maxMessageBytes: number;
  #loading: Promise<Loaded> | undefined;
  #loaded: Loaded | undefined;
  #closed = false;

  constructor(options: CriClientOptions) {
    this.#socketPath = socketPathOf(options.endpoint);
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
    const { channel } = await this.#open("connect");
    try {
      await channel.waitForReady({ timeoutMs });
    } catch (err) {
      if (this.#closed) throw this.#closedError("connect");
      throw new CriError({
        rpc: "connect",
        code: GrpcStatus.UNAVAILABLE,
        details: `no connection to "${this.endpoint}" within ${timeoutMs} ms: ${
          err instanceof GrpcCallError ? err.details : String(err)
        }`,
        cause: err,
      });
    }
  }

  /** Closes the connection; calls in flight and later ones fail with CANCELLED. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#loaded) this.#loaded.channel.close();
    else void this.#loading?.then((l) => l.channel.close(), () => {});
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

  async #open(rpc: string): Promise<Loaded> {
    if (this.#closed) throw this.#closedError(rpc);
    this.#loading ??= Promise.all([import("./grpc_channel.ts"), import("./_package.ts")]).then(
      ([{ GrpcChannel }, { criMethod }]) => {
        const channel = new GrpcChannel({
          address: { socketPath: this.#socketPath },
          maxReceiveMessageBytes: this.#maxMessageBytes,
          maxSendMessageBytes: this.#maxMessageBytes,
          userAgent: USER_AGENT,
        });
        this.#loaded = { channel, criMethod };
        return this.#loaded;
      },
    );
    const loaded = await this.#loading;
    if (this.#closed) throw this.#closedError(rpc);
    return loaded;
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
    const { channel, criMethod } = await this.#open(rpc);
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
    const definition = criMethod(service, method);
    let message: Uint8Array;
    try {
      message = definition.requestSerialize(request);
    } catch (err) {
      throw new CriError({
        rpc,
        code: GrpcStatus.INTERNAL,
        details: `cannot encode the request: ${(err as Error).message}`,
        ...about,
        cause: err,
      });
    }
    let response: Uint8Array;
    try {
      response = await channel.unary({
        path: definition.path,
        message,
        timeoutMs: options.timeoutMs ?? this.#timeoutMs,
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      const failure = err instanceof GrpcCallError
        ? err
        : new GrpcCallError({ code: GrpcStatus.UNKNOWN, details: String(err), cause: err });
      const aborted = signal?.aborted === true && failure.code === GrpcStatus.CANCELLED;
      const closed = this.#closed && failure.code === GrpcStatus.CANCELLED;
      throw new CriError({
        rpc,
        code: failure.code,
        details: closed ? `the client of "${this.endpoint}" is closed` : failure.details,
        ...about,
        cause: aborted ? signal.reason : failure,
      });
    }
    try {
      return definition.responseDeserialize(response) as Res;
    } catch (err) {
      throw new CriError({
        rpc,
        code: GrpcStatus.INTERNAL,
        details: `cannot decode the response: ${(err as Error).message}`,
        ...about,
        cause: err,
      });
    }
  }
}
