/**
 * The exec probe, as upstream's `pkg/probe/exec` over CRI ExecSync: exit code 0 succeeds, any
 * other fails, with the command's output (stdout then stderr, at most 10 KiB) as the output. A
 * command that runs past the timeout fails with `command "…" timed out`.
 *
 * @module
 */
import { MAX_PROBE_OUTPUT_BYTES, ProbeError, type ProbeOutcome } from "./probe_result.ts";

/** What a command run in a container gave back (CRI's ExecSyncResponse). */
export interface ExecSyncResult {
  readonly stdout: Uint8Array;
  readonly stderr: Uint8Array;
  readonly exitCode: number;
}

/**
 * Runs `cmd` in container `containerId` for at most `timeoutS` seconds (the agent passes the CRI
 * client's ExecSync). It rejects with an {@linkcode ExecTimeoutError}, or any error with gRPC
 * `code` 4 (DEADLINE_EXCEEDED), when the command timed out.
 */
export type ExecSyncFunction = (
  containerId: string,
  cmd: readonly string[],
  timeoutS: number,
) => Promise<ExecSyncResult>;

/** A command that did not finish within its timeout. */
export class ExecTimeoutError extends Error {
  constructor(command: readonly string[], options?: ErrorOptions) {
    super(`command "${command.join(" ")}" timed out`, options);
    this.name = "ExecTimeoutError";
  }
}

/** What an {@linkcode execProbe} runs. */
export interface ExecProbeRequest {
  readonly containerId: string;
  readonly command: readonly string[];
  readonly timeoutSeconds: number;
}

/** What {@linkcode execProbe} needs. */
export interface ExecProbeDeps {
  readonly execSync: ExecSyncFunction;
}

/** The gRPC status DEADLINE_EXCEEDED. */
const DEADLINE_EXCEEDED = 4;

function isTimeout(err: unknown): boolean {
  if (err instanceof ExecTimeoutError) return true;
  return typeof err === "object" && err !== null &&
    (err as { code?: unknown }).code === DEADLINE_EXCEEDED;
}

function combinedOutput(result: ExecSyncResult): string {
  const out = new Uint8Array(
    Math.min(MAX_PROBE_OUTPUT_BYTES, result.stdout.length + result.stderr.length),
  );
  const fromStdout = result.stdout.subarray(0, out.length);
  out.set(fromStdout);
  out.set(result.stderr.subarray(0, out.length - fromStdout.length), fromStdout.length);
  return new TextDecoder().decode(out);
}

/**
 * Runs an exec probe. A failed exec that is not a timeout (the container is gone, the runtime
 * is down) rejects with a {@linkcode ProbeError} (result `unknown`): upstream reports such a
 * probe as errored and drops its result.
 */
export async function execProbe(
  request: ExecProbeRequest,
  deps: ExecProbeDeps,
): Promise<ProbeOutcome> {
  let result: ExecSyncResult;
  try {
    result = await deps.execSync(request.containerId, request.command, request.timeoutSeconds);
  } catch (err) {
    if (isTimeout(err)) {
      return { result: "failure", output: new ExecTimeoutError(request.command).message };
    }
    throw new ProbeError(
      `Cannot run probe command "${
        request.command.join(" ")
      }" in container "${request.containerId}"`,
      { cause: err },
    );
  }
  const output = combinedOutput(result);
  return { result: result.exitCode === 0 ? "success" : "failure", output };
}
