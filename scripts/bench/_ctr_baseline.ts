/**
 * The same-run baseline of `deno task bench agent`: containers started with containerd's own
 * `ctr run -d` against the agent's containerd, the same image and command as the benchmark's
 * pods, host network (no CNI, no pod sandbox). `ctr run -d` returns once the task is started,
 * so a run's time is the command's, from spawn to exit; {@linkcode ctrTasks} checks afterwards
 * that every task is RUNNING.
 *
 * @module
 */

/** What {@linkcode ctrRunArgs} starts. */
export interface CtrRunOptions {
  /** containerd's socket path. */
  readonly address: string;
  /** containerd namespace. @default {"k8s.io"} */
  readonly namespace?: string;
  readonly image: string;
  /** The container's (and task's) id. */
  readonly id: string;
  /** The snapshotter the image is unpacked for; ctr's default when unset. */
  readonly snapshotter?: string;
  /** The process to run, e.g. `["sleep", "3600"]`. */
  readonly command: readonly string[];
}

function base(address: string, namespace: string | undefined): string[] {
  return ["--address", address, "-n", namespace ?? "k8s.io"];
}

/** The arguments of `ctr` that start `options.command` detached, on the host network. */
export function ctrRunArgs(options: CtrRunOptions): string[] {
  return [
    ...base(options.address, options.namespace),
    "run",
    "-d",
    "--net-host",
    ...(options.snapshotter ? ["--snapshotter", options.snapshotter] : []),
    options.image,
    options.id,
    ...options.command,
  ];
}

/** `ctr task ls` output: task id → status (`RUNNING`, `STOPPED`…). */
export function parseCtrTasks(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n").slice(1)) {
    const [id, _pid, status] = line.trim().split(/\s+/);
    if (id && status) out.set(id, status);
  }
  return out;
}

/** One `ctr` invocation's result. */
export interface CtrResult {
  readonly ok: boolean;
  readonly ms: number;
  readonly stderr: string;
}

/** Runs `ctr` with `args`, timing it from spawn to exit. */
export async function runCtr(args: readonly string[]): Promise<CtrResult> {
  const t0 = performance.now();
  const out = await new Deno.Command("ctr", {
    args: [...args],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  return {
    ok: out.success,
    ms: performance.now() - t0,
    stderr: new TextDecoder().decode(out.stderr).trim(),
  };
}

/** The tasks of a containerd namespace and their status. */
export async function ctrTasks(
  address: string,
  namespace?: string,
): Promise<Map<string, string>> {
  const out = await new Deno.Command("ctr", {
    args: [...base(address, namespace), "task", "ls"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `Cannot list ctr tasks at "${address}": ${new TextDecoder().decode(out.stderr).trim()}`,
    );
  }
  return parseCtrTasks(new TextDecoder().decode(out.stdout));
}

/**
 * Kills and deletes the tasks and containers `ids` (with their snapshots), a few at a time;
 * the ids it could not remove, with why.
 */
export async function removeCtrContainers(
  address: string,
  options: { readonly ids: readonly string[]; readonly namespace?: string },
): Promise<string[]> {
  const failed: string[] = [];
  const queue = [...options.ids];
  const worker = async () => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      // The task may be gone already: only the container's removal must succeed.
      await runCtr([...base(address, options.namespace), "task", "rm", "-f", id]);
      const rm = await runCtr([...base(address, options.namespace), "container", "rm", id]);
      if (!rm.ok && !/not found/.test(rm.stderr)) failed.push(`${id}: ${rm.stderr}`);
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return failed;
}
