/**
 * {@linkcode ImagePuller}: makes sure a container's image is on the node before it is created,
 * as the kubelet's image manager: `imagePullPolicy` Always / IfNotPresent / Never (the default
 * from the tag when unset), CRI PullImage with the credentials of the pod's `imagePullSecrets`
 * that match the image's registry, a per-pod-and-image pull backoff (10 s doubling to 5 min),
 * and upstream's events (`Pulling`, `Pulled`, `Failed`, `BackOff`, `ErrImageNeverPull`).
 * Failures reject with an {@linkcode ImagePullError} whose `reason` (`ErrImagePull`,
 * `ImagePullBackOff`, `ErrImageNeverPull`) and `message` become the container's waiting state.
 *
 * @module
 */
import type { Container, Pod } from "../../control/api/types/core_v1_pod.ts";
import type { Secret } from "../../control/api/types/core_v1_config.ts";
import type { Clock } from "../../control/util/clock.ts";
import type { Logger } from "../../control/util/logger.ts";
import { CriError } from "../cri/errors.ts";
import type { AuthConfig, Image, PodSandboxConfig } from "../cri/types.ts";
import type { ImageUser } from "../pods/container_config.ts";
import type { SecretGetter } from "../volumes/volume_manager.ts";
import { goDuration, IMAGE_PULL_BACKOFF, KeyedBackoff } from "./crash_loop_backoff.ts";
import type { ContainerEventSink } from "./_events.ts";
import type { PodRuntimeService } from "./runtime_service.ts";

/** Waiting reason of a failed pull. */
export const ERR_IMAGE_PULL = "ErrImagePull";
/** Waiting reason of a pull in backoff. */
export const IMAGE_PULL_BACKOFF_REASON = "ImagePullBackOff";
/** Waiting reason of a missing image with policy Never. */
export const ERR_IMAGE_NEVER_PULL = "ErrImageNeverPull";

/** A container's image could not be made present; `reason` and `message` are upstream's. */
export class ImagePullError extends Error {
  readonly reason: string;
  constructor(reason: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ImagePullError";
    this.reason = reason;
  }
}

/** What {@linkcode ImagePuller} needs. */
export interface ImagePullerDeps {
  readonly runtime: Pick<PodRuntimeService, "imageStatus" | "pullImage">;
  /** Reads the pods' `imagePullSecrets`. */
  readonly secrets: SecretGetter;
  readonly clock: Clock;
  readonly logger?: Logger;
}

/** An image made present. */
export interface EnsuredImage {
  /** The image's id on the runtime, for CreateContainer. */
  readonly imageRef: string;
  /** The image's user, for `runAsNonRoot`. */
  readonly imageUser: ImageUser;
}

/** What {@linkcode ImagePuller.ensureImage} is about. */
export interface EnsureImageRequest {
  readonly container: Container;
  readonly sandboxConfig?: PodSandboxConfig;
  /** Receives the container's events. */
  readonly record: ContainerEventSink;
  /** Cancels a pull (the pod is being deleted, the agent stops). */
  readonly signal?: AbortSignal;
}

/** The default pull policy of an image without one: Always for `:latest` or no tag. */
export function defaultPullPolicy(image: string): "Always" | "IfNotPresent" {
  const noDigest = image.split("@")[0] ?? "";
  const lastPart = noDigest.slice(noDigest.lastIndexOf("/") + 1);
  if (image.includes("@")) return "IfNotPresent";
  const colon = lastPart.indexOf(":");
  if (colon < 0) return "Always";
  return lastPart.slice(colon + 1) === "latest" ? "Always" : "IfNotPresent";
}

/** The registry host of an image reference (`docker.io` for Docker Hub names). */
export function registryOf(image: string): string {
  const slash = image.indexOf("/");
  if (slash < 0) return "docker.io";
  const first = image.slice(0, slash);
  if (first.includes(".") || first.includes(":") || first === "localhost") {
    return first === "index.docker.io" || first === "registry-1.docker.io" ? "docker.io" : first;
  }
  return "docker.io";
}

function normalizeRegistry(key: string): string {
  let host = key.replace(/^[a-z]+:\/\//i, "");
  const slash = host.indexOf("/");
  if (slash >= 0) host = host.slice(0, slash);
  if (host === "index.docker.io" || host === "registry-1.docker.io") return "docker.io";
  return host;
}

interface DockerAuthEntry {
  username?: string;
  password?: string;
  auth?: string;
  identitytoken?: string;
  registrytoken?: string;
}

function decodeBase64Text(value: string): string {
  return new TextDecoder().decode(Uint8Array.from(atob(value), (c) => c.charCodeAt(0)));
}

/** The registry credentials of a `kubernetes.io/dockerconfigjson` or `dockercfg` secret. */
export function dockerCredentials(secret: Secret): Map<string, AuthConfig> {
  const out = new Map<string, AuthConfig>();
  const data = secret.data ?? {};
  let auths: Record<string, DockerAuthEntry> | undefined;
  try {
    if (data[".dockerconfigjson"] !== undefined) {
      const parsed = JSON.parse(decodeBase64Text(data[".dockerconfigjson"])) as {
        auths?: Record<string, DockerAuthEntry>;
      };
      auths = parsed.auths;
    } else if (data[".dockercfg"] !== undefined) {
      auths = JSON.parse(decodeBase64Text(data[".dockercfg"])) as Record<string, DockerAuthEntry>;
    }
  } catch {
    return out;
  }
  for (const [key, entry] of Object.entries(auths ?? {})) {
    let { username, password } = entry;
    if ((username === undefined || password === undefined) && entry.auth) {
      const text = decodeBase64Text(entry.auth);
      const colon = text.indexOf(":");
      if (colon > 0) {
        username = text.slice(0, colon);
        password = text.slice(colon + 1);
      }
    }
    const server = normalizeRegistry(key);
    out.set(server, {
      ...(username !== undefined ? { username } : {}),
      ...(password !== undefined ? { password } : {}),
      ...(entry.identitytoken ? { identityToken: entry.identitytoken } : {}),
      ...(entry.registrytoken ? { registryToken: entry.registrytoken } : {}),
      // No serverAddress, as the kubelet's keyring: containerd parses it as a URL and a bare
      // `host:port` fails the pull ("first path segment in URL cannot contain colon").
    });
  }
  return out;
}

const GO_CODE_NAMES: Readonly<Record<string, string>> = {
  CANCELLED: "Canceled",
  UNKNOWN: "Unknown",
  INVALID_ARGUMENT: "InvalidArgument",
  DEADLINE_EXCEEDED: "DeadlineExceeded",
  NOT_FOUND: "NotFound",
  ALREADY_EXISTS: "AlreadyExists",
  PERMISSION_DENIED: "PermissionDenied",
  RESOURCE_EXHAUSTED: "ResourceExhausted",
  FAILED_PRECONDITION: "FailedPrecondition",
  ABORTED: "Aborted",
  OUT_OF_RANGE: "OutOfRange",
  UNIMPLEMENTED: "Unimplemented",
  INTERNAL: "Internal",
  UNAVAILABLE: "Unavailable",
  DATA_LOSS: "DataLoss",
  UNAUTHENTICATED: "Unauthenticated",
};

/** An error as a Go gRPC client prints it: `rpc error: code = NotFound desc = …`. */
export function grpcErrorText(err: unknown): string {
  if (err instanceof CriError) {
    return `rpc error: code = ${GO_CODE_NAMES[err.codeName] ?? err.codeName} desc = ${err.details}`;
  }
  return err instanceof Error ? err.message : String(err);
}

function imageUserOf(image: Image): ImageUser {
  if (image.uid !== null && /^\d+$/.test(image.uid.value)) return { uid: Number(image.uid.value) };
  return image.username !== "" ? { username: image.username } : {};
}

/** Pulls images as the kubelet's image manager. */
export class ImagePuller {
  readonly #deps: ImagePullerDeps;
  readonly #backoff: KeyedBackoff;
  /** The last pull failure per backoff key, shown while the pull backs off. */
  readonly #lastError = new Map<string, string>();

  constructor(deps: ImagePullerDeps) {
    this.#deps = deps;
    this.#backoff = new KeyedBackoff({ ...IMAGE_PULL_BACKOFF, now: () => deps.clock.now() });
  }

  /** Forgets the pull backoff of the pod with UID `podUid`. */
  forgetPod(podUid: string): void {
    this.#backoff.resetWhere((key) => key.startsWith(`${podUid}_`));
    for (const key of [...this.#lastError.keys()]) {
      if (key.startsWith(`${podUid}_`)) this.#lastError.delete(key);
    }
  }

  /** When the pull backoff of `container`'s image ends (ms), if it is in one. */
  backoffEndsAt(pod: Pod, image: string): number | undefined {
    const key = `${pod.metadata?.uid ?? ""}_${image}`;
    if (!this.#backoff.isInBackoffSinceUpdate(key)) return undefined;
    return (this.#backoff.lastUpdate(key) ?? 0) + this.#backoff.get(key);
  }

  async #present(image: string): Promise<Image | null> {
    return (await this.#deps.runtime.imageStatus({ image: { image } })).image;
  }

  async #credentials(pod: Pod, image: string): Promise<AuthConfig[]> {
    const registry = registryOf(image);
    const namespace = pod.metadata?.namespace ?? "";
    const out: AuthConfig[] = [];
    for (const ref of pod.spec?.imagePullSecrets ?? []) {
      if (!ref.name) continue;
      let secret: Secret | undefined;
      try {
        secret = await this.#deps.secrets.getSecret(namespace, ref.name);
      } catch (err) {
        this.#deps.logger?.warn("Cannot read image pull secret", {
          pod: `${namespace}/${pod.metadata?.name ?? ""}`,
          secret: ref.name,
          err,
        });
      }
      if (secret === undefined) continue;
      const auth = dockerCredentials(secret).get(registry);
      if (auth !== undefined) out.push(auth);
    }
    return out;
  }

  /** Makes `request.container`'s image present; rejects with an {@linkcode ImagePullError}. */
  async ensureImage(pod: Pod, request: EnsureImageRequest): Promise<EnsuredImage> {
    const { container, record } = request;
    const image = container.image ?? "";
    const policy = container.imagePullPolicy ?? defaultPullPolicy(image);
    const present = policy === "Always" ? null : await this.#present(image);
    if (present !== null) {
      record(
        "Normal",
        "Pulled",
        `Container image ${JSON.stringify(image)} already present on machine`,
      );
      return { imageRef: present.id, imageUser: imageUserOf(present) };
    }
    if (policy === "Never") {
      const message = `Container image ${
        JSON.stringify(image)
      } is not present with pull policy of Never`;
      record("Warning", ERR_IMAGE_NEVER_PULL, message);
      throw new ImagePullError(ERR_IMAGE_NEVER_PULL, message);
    }
    const key = `${pod.metadata?.uid ?? ""}_${image}`;
    if (this.#backoff.isInBackoffSinceUpdate(key)) {
      const message = `Back-off pulling image ${JSON.stringify(image)}`;
      record("Normal", "BackOff", message);
      // The waiting message carries the failure that started the backoff.
      const last = this.#lastError.get(key);
      throw new ImagePullError(
        IMAGE_PULL_BACKOFF_REASON,
        last === undefined ? message : `${message}: ${last}`,
      );
    }
    record("Normal", "Pulling", `Pulling image ${JSON.stringify(image)}`);
    const startMs = this.#deps.clock.now();
    const credentials = await this.#credentials(pod, image);
    let imageRef: string | undefined;
    let lastError: unknown;
    for (const auth of credentials.length > 0 ? credentials : [undefined]) {
      try {
        const answer = await this.#deps.runtime.pullImage({
          image: { image },
          ...(auth !== undefined ? { auth } : {}),
          ...(request.sandboxConfig !== undefined ? { sandboxConfig: request.sandboxConfig } : {}),
        }, request.signal ? { signal: request.signal } : undefined);
        imageRef = answer.imageRef;
        break;
      } catch (err) {
        lastError = err;
      }
    }
    if (imageRef === undefined) {
      const text = grpcErrorText(lastError);
      record("Warning", "Failed", `Failed to pull image ${JSON.stringify(image)}: ${text}`);
      this.#backoff.next(key, this.#deps.clock.now());
      this.#lastError.set(key, `${ERR_IMAGE_PULL}: ${text}`);
      throw new ImagePullError(ERR_IMAGE_PULL, text, { cause: lastError });
    }
    this.#backoff.reset(key);
    this.#lastError.delete(key);
    const pulled = await this.#present(image);
    const took = goDuration(this.#deps.clock.now() - startMs);
    record(
      "Normal",
      "Pulled",
      `Successfully pulled image ${
        JSON.stringify(image)
      } in ${took} (${took} including waiting). Image size: ${pulled?.size ?? "0"} bytes.`,
    );
    return {
      imageRef: pulled?.id || imageRef,
      imageUser: pulled ? imageUserOf(pulled) : {},
    };
  }
}
