/**
 * {@linkcode terminationMessage}: the message of a container that exited, as the kubelet reads
 * it: the last 4096 bytes of the file mounted at its `terminationMessagePath`, or, with
 * `terminationMessagePolicy: FallbackToLogsOnError` and an empty file after a failure, the last
 * 80 lines (at most 2048 bytes) of its log.
 *
 * @module
 */
import type { ContainerStatus } from "../cri/types.ts";
import { readContainerLogs } from "../logs/log_reader.ts";
import { CONTAINER_LABELS } from "../pods/container_config.ts";

/** The most of a termination-message file the kubelet reads. */
export const MAX_TERMINATION_MESSAGE_BYTES = 4096;
/** The most log lines a fallback message takes. */
export const MAX_TERMINATION_MESSAGE_LOG_LINES = 80;
/** The most log bytes a fallback message takes. */
export const MAX_TERMINATION_MESSAGE_LOG_BYTES = 2048;

async function readLast(path: string, max: number): Promise<string> {
  using file = await Deno.open(path, { read: true });
  const { size } = await file.stat();
  const start = Math.max(0, size - max);
  await file.seek(start, Deno.SeekMode.Start);
  const buffer = new Uint8Array(size - start);
  let read = 0;
  while (read < buffer.length) {
    const n = await file.read(buffer.subarray(read));
    if (n === null) break;
    read += n;
  }
  return new TextDecoder().decode(buffer.subarray(0, read));
}

/** The termination message of an exited container; undefined when it has none. */
export async function terminationMessage(status: ContainerStatus): Promise<string | undefined> {
  if (status.state !== "CONTAINER_EXITED") return undefined;
  const path = status.annotations[CONTAINER_LABELS.terminationMessagePath] ?? "";
  const policy = status.annotations[CONTAINER_LABELS.terminationMessagePolicy] ?? "";
  if (path !== "") {
    const mount = status.mounts.find((m) => m.containerPath === path);
    if (mount !== undefined) {
      try {
        const text = await readLast(mount.hostPath, MAX_TERMINATION_MESSAGE_BYTES);
        if (text !== "") return text;
      } catch {
        // no file: fall through
      }
    }
  }
  if (policy !== "FallbackToLogsOnError" || status.exitCode === 0 || status.logPath === "") {
    return undefined;
  }
  const chunks: Uint8Array[] = [];
  try {
    await readContainerLogs(status.logPath, {
      write: (bytes) => void chunks.push(bytes.slice()),
      tailLines: MAX_TERMINATION_MESSAGE_LOG_LINES,
      limitBytes: MAX_TERMINATION_MESSAGE_LOG_BYTES,
    });
  } catch {
    return undefined;
  }
  const text = new TextDecoder().decode(
    chunks.reduce((all, c) => {
      const out = new Uint8Array(all.length + c.length);
      out.set(all);
      out.set(c, all.length);
      return out;
    }, new Uint8Array()),
  );
  return text === "" ? undefined : text;
}
