/**
 * The host file a container writes its termination message into: an empty file with a random
 * 8-hex-digit name under the pod's per-container directory (`<pod-dir>/containers/<name>/`),
 * mode 0666 so any user in the container can write it, as the kubelet makes one per attempt.
 *
 * @module
 */

/** What {@linkcode createTerminationMessageFile} uses. */
export interface TerminationMessageFileOptions {
  /** A random 32-bit number naming the file. @default {crypto.getRandomValues} */
  readonly randomUint32?: () => number;
}

function randomUint32(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0] ?? 0;
}

/**
 * Creates the termination-message file of one attempt under `podContainerDir` (created 0750
 * when missing) and returns its path.
 */
export async function createTerminationMessageFile(
  podContainerDir: string,
  options: TerminationMessageFileOptions = {},
): Promise<string> {
  const dir = podContainerDir.replace(/\/+$/, "");
  try {
    await Deno.mkdir(dir, { recursive: true, mode: 0o750 });
    const id = ((options.randomUint32 ?? randomUint32)() >>> 0).toString(16).padStart(8, "0");
    const path = `${dir}/${id}`;
    await Deno.writeFile(path, new Uint8Array(), { mode: 0o666 });
    await Deno.chmod(path, 0o666);
    return path;
  } catch (err) {
    throw new Error(
      `Cannot create the termination message file under "${dir}": ${
        err instanceof Error ? err.message : String(err)
      }`,
      { cause: err },
    );
  }
}
