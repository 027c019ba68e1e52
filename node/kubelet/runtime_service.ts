/**
 * {@linkcode PodRuntimeService}: the part of the CRI the pod workers use — sandboxes, containers,
 * ExecSync (hooks) and images. {@linkcode CriClient} is one; the unit tests use a fake.
 *
 * @module
 */
import type { CriClient } from "../cri/client.ts";

/** The CRI calls the pod workers make. */
export type PodRuntimeService = Pick<
  CriClient,
  | "runPodSandbox"
  | "stopPodSandbox"
  | "removePodSandbox"
  | "podSandboxStatus"
  | "listPodSandbox"
  | "createContainer"
  | "startContainer"
  | "stopContainer"
  | "removeContainer"
  | "listContainers"
  | "containerStatus"
  | "execSync"
  | "imageStatus"
  | "pullImage"
>;
