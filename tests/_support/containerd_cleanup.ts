/**
 * Removes what containerd and runc leave behind for a test: containers runc still runs under a
 * runc root of the test's own, the shims of a containerd socket, and mounts under a directory.
 * Shared by `containerd_process.ts` and the servers and agents e2e tests run (an agent leaves
 * its containers running when it stops, by design).
 *
 * @module
 */
import { join } from "node:path";
import { DenoCommandRunner } from "../../node/containerd/command_runner.ts";
import { pidsWhere } from "../../node/containerd/processes.ts";

const runner = new DenoCommandRunner();

/** Decodes the octal escapes (`\040`) of a /proc mountinfo field. */
function unescapeMountPath(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Mount points at or under `dir`, deepest first. */
async function mountsUnder(dir: string): Promise<string[]> {
  const text = await Deno.readTextFile("/proc/self/mountinfo");
  const points = new Set<string>();
  for (const line of text.split("\n")) {
    const field = line.split(" ")[4];
    if (field === undefined) continue;
    const point = unescapeMountPath(field);
    if (point === dir || point.startsWith(`${dir}/`)) points.add(point);
  }
  return [...points].sort((a, b) => b.length - a.length);
}

/** Unmounts everything at or under `dir` (deepest first); throws if something stays. */
export async function unmountAll(dir: string): Promise<void> {
  for (let round = 0; round < 3; round++) {
    const points = await mountsUnder(dir);
    if (points.length === 0) return;
    for (const point of points) {
      const r = await runner.run(["umount", "-R", point]);
      if (r.code !== 0) await runner.run(["umount", "-R", "-l", point]);
    }
  }
  const left = await mountsUnder(dir);
  if (left.length > 0) {
    throw new Error(`Cannot clean up containerd dir "${dir}": still mounted: ${left.join(", ")}`);
  }
}

/** Pids of shims this containerd started (their command line names its socket). */
function shimsOf(socketPath: string): Promise<number[]> {
  return pidsWhere((argv) => {
    const at = argv.indexOf("-address");
    return (argv[0] ?? "").includes("containerd-shim") && at >= 0 && argv[at + 1] === socketPath;
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Kills (SIGTERM, then SIGKILL) the processes that have `arg` among their arguments. */
async function killProcessesWithArg(arg: string): Promise<void> {
  const find = () => pidsWhere((argv) => argv.includes(arg));
  for (let i = 0; i < 50; i++) {
    const pids = await find();
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        Deno.kill(pid, i < 30 ? "SIGTERM" : "SIGKILL");
      } catch {
        // gone already
      }
    }
    await delay(100);
  }
}

/** Kills (SIGKILL) the shims a containerd at `socketPath` started, until none is left. */
export async function killShimsOf(socketPath: string): Promise<void> {
  for (let i = 0; i < 20; i++) {
    const pids = await shimsOf(socketPath);
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch {
        // gone already
      }
    }
    await delay(50);
  }
}

/**
 * Force-deletes the containers runc still knows under `runcRoot` (tasks whose containerd was
 * stopped or killed): their processes and cgroups go with them.
 */
export async function deleteRuncContainers(runcRoot: string): Promise<void> {
  let namespaces: string[];
  try {
    namespaces = (await Array.fromAsync(Deno.readDir(runcRoot))).map((e) => e.name);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return;
    throw err;
  }
  for (const ns of namespaces) {
    const root = join(runcRoot, ns);
    for await (const entry of Deno.readDir(root)) {
      if (!entry.isDirectory) continue;
      const r = await runner.run(["runc", "--root", root, "delete", "--force", entry.name]);
      if (r.code !== 0) {
        throw new Error(
          `Cannot delete leftover container "${ns}/${entry.name}": ${r.stderr.trim()}`,
        );
      }
    }
  }
}

/**
 * Removes what a skiff agent with data dir `dataDir` (not the default one) leaves when it
 * stops: its containers (under `<dataDir>/run/containerd/runc`), its containerd's shims, and
 * every mount under the data dir.
 */
export async function removeAgentLeftovers(dataDir: string): Promise<void> {
  // A server or agent killed with SIGKILL leaves its containerd running.
  await killProcessesWithArg(join(dataDir, "agent", "etc", "containerd", "config.toml"));
  const run = join(dataDir, "run", "containerd");
  await deleteRuncContainers(join(run, "runc"));
  await killShimsOf(join(run, "containerd.sock"));
  await unmountAll(dataDir);
}
