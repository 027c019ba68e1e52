/**
 * {@linkcode pidsWhere}: the running processes whose command line matches, read from
 * `/proc/<pid>/cmdline`: how the supervisor finds a containerd a killed agent left running,
 * and how tests and benchmarks find shims and their own children.
 *
 * @module
 */

/** Pids of the processes whose argv (`/proc/<pid>/cmdline`) `match` accepts, lowest first. */
export async function pidsWhere(match: (argv: readonly string[]) => boolean): Promise<number[]> {
  const pids: number[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    let cmdline: string;
    try {
      cmdline = await Deno.readTextFile(`/proc/${entry.name}/cmdline`);
    } catch {
      continue; // exited meanwhile, or not ours to read
    }
    if (cmdline === "") continue; // a kernel thread
    if (match(cmdline.replace(/\0$/, "").split("\0"))) pids.push(Number(entry.name));
  }
  return pids.sort((a, b) => a - b);
}
