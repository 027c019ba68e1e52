/**
 * A test double for volume mounting: a {@linkcode CommandRunner} that records `mount` and
 * `umount` commands and keeps a mount table, rendered as `/proc/self/mountinfo` text, so a
 * {@linkcode CommandMounter} over it behaves like the real one without root.
 *
 * @module
 */
import type { CommandResult, CommandRunner } from "../containerd/command_runner.ts";

/** A {@linkcode CommandRunner} pretending to mount tmpfs file systems. */
export class FakeMountRunner implements CommandRunner {
  /** Every command run, in order. */
  readonly commands: string[][] = [];
  /** Mount points, in mount order. */
  readonly mounts: { readonly dir: string; readonly fsType: string }[] = [];
  /** Makes the next `mount` fail with this exit code and message. */
  failNextMount: { code: number; stderr: string } | undefined;

  run(argv: readonly string[]): Promise<CommandResult> {
    this.commands.push([...argv]);
    const [cmd, ...args] = argv;
    // The kernel records the resolved path; temp dirs are already resolved, trailing slashes are not.
    const dir = (args[args.length - 1] ?? "").replace(/(.)\/+$/, "$1");
    if (cmd === "mount") {
      const fail = this.failNextMount;
      this.failNextMount = undefined;
      if (fail) return Promise.resolve({ code: fail.code, stdout: "", stderr: fail.stderr });
      this.mounts.push({ dir, fsType: args[args.indexOf("-t") + 1] ?? "" });
      return Promise.resolve({ code: 0, stdout: "", stderr: "" });
    }
    if (cmd === "umount") {
      const i = this.mounts.findLastIndex((m) => m.dir === dir);
      if (i < 0) {
        return Promise.resolve({ code: 32, stdout: "", stderr: `umount: ${dir}: not mounted.` });
      }
      this.mounts.splice(i, 1);
      return Promise.resolve({ code: 0, stdout: "", stderr: "" });
    }
    return Promise.resolve({ code: 127, stdout: "", stderr: `${cmd}: not found` });
  }

  /** The mount table as mountinfo text. */
  mountInfo(): Promise<string> {
    const lines = [`22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw`];
    this.mounts.forEach((m, i) => {
      const point = m.dir.replace(
        /[ \t\n\\]/g,
        (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, "0")}`,
      );
      lines.push(`${100 + i} 22 0:${50 + i} / ${point} rw,relatime - ${m.fsType} ${m.fsType} rw`);
    });
    return Promise.resolve(lines.join("\n") + "\n");
  }
}
