/**
 * Where the kubelet keeps container logs: `<root>/<namespace>_<pod>_<uid>/` per pod (the
 * sandbox's `log_directory`), `<container>/<restartCount>.log` per container run (its
 * `log_path`), and the previous run's file for `kubectl logs --previous`.
 *
 * @module
 */

/** The kubelet's default root for pod log directories. */
export const POD_LOGS_ROOT = "/var/log/pods";

/** The pod a log directory belongs to. */
export interface PodLogRef {
  namespace: string;
  name: string;
  uid: string;
}

/** The pod's log directory: `<root>/<namespace>_<name>_<uid>`. */
export function podLogDirectory(pod: PodLogRef, root: string = POD_LOGS_ROOT): string {
  return `${root.replace(/\/+$/, "")}/${pod.namespace}_${pod.name}_${pod.uid}`;
}

/** The container's log path relative to the pod log directory: `<container>/<restartCount>.log`. */
export function containerLogRelativePath(container: string, restartCount: number): string {
  if (!Number.isInteger(restartCount) || restartCount < 0) {
    throw new RangeError(
      `Cannot name log file of container "${container}": restart count ${restartCount} is not a non-negative integer`,
    );
  }
  return `${container}/${restartCount}.log`;
}

/** What {@linkcode containerLogFile} looks for. */
export interface ContainerLogFileOptions {
  /** The pod's name, for error messages. */
  podName: string;
  container: string;
  /** The container's current restart count (from its status). */
  restartCount: number;
  /** The run before the current one (`kubectl logs --previous`). */
  previous?: boolean;
}

/**
 * The log file of the container's current run, or of its previous run with `previous`.
 *
 * @throws {Error} `previous terminated container "<c>" in pod "<p>" not found` (the kubelet's
 * message) when there was no previous run or its file is gone.
 */
export async function containerLogFile(
  podLogDir: string,
  options: ContainerLogFileOptions,
): Promise<string> {
  const { container, podName, restartCount } = options;
  const dir = podLogDir.replace(/\/+$/, "");
  if (options.previous !== true) {
    return `${dir}/${containerLogRelativePath(container, restartCount)}`;
  }
  const notFound = `previous terminated container "${container}" in pod "${podName}" not found`;
  if (restartCount < 1) throw new Error(notFound);
  const path = `${dir}/${containerLogRelativePath(container, restartCount - 1)}`;
  try {
    await Deno.stat(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) throw new Error(notFound, { cause: err });
    throw err;
  }
  return path;
}
