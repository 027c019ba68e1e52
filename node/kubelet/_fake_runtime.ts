/**
 * An in-memory CRI runtime for the pod workers' unit tests: sandboxes and containers with their
 * states, images, a call log, and knobs to make containers exit, calls fail, or exec answer.
 *
 * @module
 */
import type { Clock } from "../../control/util/clock.ts";
import { CriError, GrpcStatus } from "../cri/errors.ts";
import type * as cri from "../cri/types.ts";
import type { PodRuntimeService } from "./runtime_service.ts";

interface FakeSandbox {
  readonly id: string;
  readonly config: cri.PodSandboxConfig;
  state: cri.PodSandboxState;
  readonly createdAt: string;
  readonly runtimeHandler: string;
}

interface FakeContainer {
  readonly id: string;
  readonly sandboxId: string;
  readonly config: cri.ContainerConfig;
  readonly sandboxConfig: cri.PodSandboxConfig;
  state: cri.ContainerState;
  readonly createdAt: string;
  startedAt: string;
  finishedAt: string;
  exitCode: number;
  reason: string;
  message: string;
}

let tick = 0n;

/** Nanoseconds of `ms`, plus a counter so that things made at the same ms keep their order. */
function ns(ms: number): string {
  return (BigInt(Math.round(ms)) * 1_000_000n + (tick++ % 1_000_000n)).toString();
}

function notFound(rpc: string, what: string): CriError {
  return new CriError({ rpc, code: GrpcStatus.NOT_FOUND, details: `${what}: not found` });
}

function matches(labels: cri.StringMap, selector: cri.StringMap | undefined): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
}

/** A fake CRI runtime. */
export class FakeRuntime implements PodRuntimeService {
  readonly #clock: Clock;
  #seq = 0;
  readonly sandboxes = new Map<string, FakeSandbox>();
  readonly containers = new Map<string, FakeContainer>();
  /** Image names (as given to ImageStatus / PullImage) the runtime has. */
  readonly images = new Set<string>();
  /** Every mutating call, as `"<Rpc> <what>"`. */
  readonly calls: string[] = [];
  /** Makes the next call of an RPC (by name, e.g. `"PullImage"`) fail with this error. */
  readonly failNext = new Map<string, Error>();
  /** Answers ExecSync; default exit 0 without output. */
  exec: (containerId: string, cmd: readonly string[]) => Promise<cri.ExecSyncResponse> = () =>
    Promise.resolve({ stdout: new Uint8Array(), stderr: new Uint8Array(), exitCode: 0 });
  /** Exit code of a container stopped by StopContainer. */
  stopExitCode = 137;
  /** Called after StartContainer (a test can make the container exit at once). */
  onStart: ((container: FakeContainer) => void) | undefined;
  /** Auth configs PullImage received, by image. */
  readonly pullAuth = new Map<string, cri.AuthConfig | undefined>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  #id(prefix: string): string {
    return `${prefix}${(++this.#seq).toString().padStart(4, "0")}`;
  }

  #fail(rpc: string): void {
    const err = this.failNext.get(rpc);
    if (err !== undefined) {
      this.failNext.delete(rpc);
      throw err;
    }
  }

  /** The containers named `name`, oldest first. */
  named(name: string): FakeContainer[] {
    return [...this.containers.values()].filter((c) => c.config.metadata.name === name);
  }

  /** The newest container named `name`. */
  latest(name: string): FakeContainer | undefined {
    return this.named(name).at(-1);
  }

  /** Makes a running container exit with `exitCode`. */
  exit(id: string, exitCode: number, reason = exitCode === 0 ? "Completed" : "Error"): void {
    const c = this.containers.get(id);
    if (c === undefined) throw new Error(`Cannot exit container "${id}": not found`);
    c.state = "CONTAINER_EXITED";
    c.exitCode = exitCode;
    c.reason = reason;
    c.finishedAt = ns(this.#clock.now());
  }

  /** Adds a sandbox and container as a previous agent left them. */
  adopt(sandbox: cri.PodSandboxConfig, configs: readonly cri.ContainerConfig[]): string[] {
    const sandboxId = this.#id("sb");
    this.sandboxes.set(sandboxId, {
      id: sandboxId,
      config: sandbox,
      state: "SANDBOX_READY",
      createdAt: ns(this.#clock.now()),
      runtimeHandler: "",
    });
    return [sandboxId, ...configs.map((config) => this.#create(sandboxId, config, sandbox, true))];
  }

  #create(
    sandboxId: string,
    config: cri.ContainerConfig,
    sandboxConfig: cri.PodSandboxConfig,
    running = false,
  ): string {
    const id = this.#id("c");
    const now = ns(this.#clock.now());
    this.containers.set(id, {
      id,
      sandboxId,
      config,
      sandboxConfig,
      state: running ? "CONTAINER_RUNNING" : "CONTAINER_CREATED",
      createdAt: now,
      startedAt: running ? now : "0",
      finishedAt: "0",
      exitCode: 0,
      reason: "",
      message: "",
    });
    return id;
  }

  runPodSandbox(request: cri.RunPodSandboxRequest): Promise<cri.RunPodSandboxResponse> {
    this.#fail("RunPodSandbox");
    const id = this.#id("sb");
    this.calls.push(`RunPodSandbox ${request.config.metadata.name}`);
    this.sandboxes.set(id, {
      id,
      config: request.config,
      state: "SANDBOX_READY",
      createdAt: ns(this.#clock.now()),
      runtimeHandler: request.runtimeHandler ?? "",
    });
    return Promise.resolve({ podSandboxId: id });
  }

  stopPodSandbox(request: cri.PodSandboxIdRequest): Promise<void> {
    this.#fail("StopPodSandbox");
    const sb = this.sandboxes.get(request.podSandboxId);
    this.calls.push(`StopPodSandbox ${sb?.config.metadata.name ?? request.podSandboxId}`);
    if (sb) {
      sb.state = "SANDBOX_NOTREADY";
      for (const c of this.containers.values()) {
        if (c.sandboxId === sb.id && c.state === "CONTAINER_RUNNING") this.exit(c.id, 137);
      }
    }
    return Promise.resolve();
  }

  removePodSandbox(request: cri.PodSandboxIdRequest): Promise<void> {
    this.#fail("RemovePodSandbox");
    const sb = this.sandboxes.get(request.podSandboxId);
    this.calls.push(`RemovePodSandbox ${sb?.config.metadata.name ?? request.podSandboxId}`);
    this.sandboxes.delete(request.podSandboxId);
    for (const c of [...this.containers.values()]) {
      if (c.sandboxId === request.podSandboxId) this.containers.delete(c.id);
    }
    return Promise.resolve();
  }

  podSandboxStatus(request: cri.PodSandboxStatusRequest): Promise<cri.PodSandboxStatusResponse> {
    const sb = this.sandboxes.get(request.podSandboxId);
    if (!sb) {
      return Promise.reject(notFound("RuntimeService/PodSandboxStatus", request.podSandboxId));
    }
    return Promise.resolve({
      status: {
        id: sb.id,
        metadata: sb.config.metadata,
        state: sb.state,
        createdAt: sb.createdAt,
        network: { ip: "", additionalIps: [] },
        linux: null,
        labels: sb.config.labels ?? {},
        annotations: sb.config.annotations ?? {},
        runtimeHandler: sb.runtimeHandler,
      },
      info: {},
    });
  }

  listPodSandbox(request: cri.ListPodSandboxRequest = {}): Promise<cri.ListPodSandboxResponse> {
    const f = request.filter;
    const items = [...this.sandboxes.values()]
      .filter((sb) =>
        (f?.id === undefined || sb.id === f.id) &&
        (f?.state === undefined || sb.state === f.state.state) &&
        matches(sb.config.labels ?? {}, f?.labelSelector)
      )
      .map((sb) => ({
        id: sb.id,
        metadata: sb.config.metadata,
        state: sb.state,
        createdAt: sb.createdAt,
        labels: sb.config.labels ?? {},
        annotations: sb.config.annotations ?? {},
        runtimeHandler: sb.runtimeHandler,
      }));
    return Promise.resolve({ items });
  }

  createContainer(request: cri.CreateContainerRequest): Promise<cri.CreateContainerResponse> {
    this.#fail("CreateContainer");
    if (!this.sandboxes.has(request.podSandboxId)) {
      return Promise.reject(notFound("RuntimeService/CreateContainer", request.podSandboxId));
    }
    this.calls.push(`CreateContainer ${request.config.metadata.name}`);
    const id = this.#create(request.podSandboxId, request.config, request.sandboxConfig);
    return Promise.resolve({ containerId: id });
  }

  startContainer(request: cri.ContainerIdRequest): Promise<void> {
    this.#fail("StartContainer");
    const c = this.containers.get(request.containerId);
    if (!c) return Promise.reject(notFound("RuntimeService/StartContainer", request.containerId));
    this.calls.push(`StartContainer ${c.config.metadata.name}`);
    c.state = "CONTAINER_RUNNING";
    c.startedAt = ns(this.#clock.now());
    this.onStart?.(c);
    return Promise.resolve();
  }

  stopContainer(request: cri.StopContainerRequest): Promise<void> {
    this.#fail("StopContainer");
    const c = this.containers.get(request.containerId);
    this.calls.push(
      `StopContainer ${c?.config.metadata.name ?? request.containerId} ${request.timeout ?? 0}`,
    );
    if (c && c.state === "CONTAINER_RUNNING") this.exit(c.id, this.stopExitCode);
    return Promise.resolve();
  }

  removeContainer(request: cri.ContainerIdRequest): Promise<void> {
    this.#fail("RemoveContainer");
    const c = this.containers.get(request.containerId);
    this.calls.push(`RemoveContainer ${c?.config.metadata.name ?? request.containerId}`);
    this.containers.delete(request.containerId);
    return Promise.resolve();
  }

  #listed(c: FakeContainer): cri.Container {
    return {
      id: c.id,
      podSandboxId: c.sandboxId,
      metadata: c.config.metadata,
      image: { image: c.config.image.image, annotations: {} },
      imageRef: c.config.image.image,
      state: c.state,
      createdAt: c.createdAt,
      labels: c.config.labels ?? {},
      annotations: c.config.annotations ?? {},
    };
  }

  listContainers(request: cri.ListContainersRequest = {}): Promise<cri.ListContainersResponse> {
    const f = request.filter;
    const containers = [...this.containers.values()]
      .filter((c) =>
        (f?.id === undefined || c.id === f.id) &&
        (f?.state === undefined || c.state === f.state.state) &&
        (f?.podSandboxId === undefined || c.sandboxId === f.podSandboxId) &&
        matches(c.config.labels ?? {}, f?.labelSelector)
      )
      .map((c) => this.#listed(c));
    return Promise.resolve({ containers });
  }

  containerStatus(request: cri.ContainerStatusRequest): Promise<cri.ContainerStatusResponse> {
    const c = this.containers.get(request.containerId);
    if (!c) return Promise.reject(notFound("RuntimeService/ContainerStatus", request.containerId));
    const dir = c.sandboxConfig.logDirectory ?? "";
    return Promise.resolve({
      status: {
        id: c.id,
        metadata: c.config.metadata,
        state: c.state,
        createdAt: c.createdAt,
        startedAt: c.startedAt,
        finishedAt: c.finishedAt,
        exitCode: c.exitCode,
        image: { image: c.config.image.image, annotations: {} },
        imageRef: c.config.image.image,
        reason: c.reason,
        message: c.message,
        labels: c.config.labels ?? {},
        annotations: c.config.annotations ?? {},
        mounts: [],
        logPath: dir === "" ? c.config.logPath ?? "" : `${dir}/${c.config.logPath ?? ""}`,
      },
      info: {},
    });
  }

  async execSync(request: cri.ExecSyncRequest): Promise<cri.ExecSyncResponse> {
    this.#fail("ExecSync");
    const c = this.containers.get(request.containerId);
    this.calls.push(
      `ExecSync ${c?.config.metadata.name ?? request.containerId} ${request.cmd.join(" ")}`,
    );
    return await this.exec(request.containerId, request.cmd);
  }

  imageStatus(request: cri.ImageStatusRequest): Promise<cri.ImageStatusResponse> {
    this.#fail("ImageStatus");
    const name = request.image.image;
    if (!this.images.has(name)) return Promise.resolve({ image: null, info: {} });
    return Promise.resolve({
      image: {
        id: `sha256:${name.length.toString(16).padStart(64, "0")}`,
        repoTags: [name],
        repoDigests: [],
        size: "1024",
        uid: null,
        username: "",
        spec: null,
        pinned: false,
      },
      info: {},
    });
  }

  pullImage(request: cri.PullImageRequest): Promise<cri.PullImageResponse> {
    this.calls.push(`PullImage ${request.image.image}`);
    this.pullAuth.set(request.image.image, request.auth);
    this.#fail("PullImage");
    this.images.add(request.image.image);
    return Promise.resolve({
      imageRef: `sha256:${request.image.image.length.toString(16).padStart(64, "0")}`,
    });
  }
}
