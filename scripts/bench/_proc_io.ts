/**
 * More of `/proc` for `deno task bench agent`: a process's I/O counters (`/proc/<pid>/io`: what
 * it wrote to storage, which an SD card pays for, versus what it wrote to any file descriptor),
 * and finding processes by their command line (the agent's containerd and its shims).
 *
 * @module
 */

/** The counters of a `/proc/<pid>/io` file, bytes (NaN for a missing one). */
export interface ProcIo {
  /** Bytes passed to write(2) and the like, to any file, pipe or socket. */
  readonly wchar: number;
  /** Bytes this process caused to be sent to the storage layer. */
  readonly writeBytes: number;
  /** Bytes it caused to be read from storage. */
  readonly readBytes: number;
  /** Dirty page-cache bytes it truncated before they were written (a rewrite saved). */
  readonly cancelledWriteBytes: number;
}

/** Parses the text of a `/proc/<pid>/io` file. */
export function parseProcIo(text: string): ProcIo {
  const field = (name: string) => Number(new RegExp(`^${name}:\\s*(\\d+)`, "m").exec(text)?.[1]);
  return {
    wchar: field("wchar"),
    writeBytes: field("write_bytes"),
    readBytes: field("read_bytes"),
    cancelledWriteBytes: field("cancelled_write_bytes"),
  };
}

/** The I/O counters of process `pid` (needs root, or the same user, to read). */
export async function procIo(pid: number | "self"): Promise<ProcIo> {
  return parseProcIo(await Deno.readTextFile(`/proc/${pid}/io`));
}

export { pidsWhere } from "../../node/containerd/processes.ts";
