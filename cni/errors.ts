/**
 * {@linkcode CniError}: a failed CNI call with the spec's error code, printed as the CNI error
 * JSON the runtime reads from stdout.
 *
 * @module
 */

/** The error codes of the CNI spec 1.0.0 (100 and up are plugin-specific). */
export const CNI_ERROR_CODES = Object.freeze({
  /** The config's `cniVersion` is not supported. */
  incompatibleVersion: 1,
  /** A field of the config is not supported (the message names it). */
  unsupportedField: 2,
  /** The container is unknown or does not exist. */
  unknownContainer: 3,
  /** A required `CNI_*` environment variable is missing or invalid. */
  invalidEnvironment: 4,
  /** Reading or writing files or the network failed (the message names it). */
  ioFailure: 5,
  /** The config on stdin is not valid JSON. */
  decodingFailure: 6,
  /** The config is valid JSON but not a valid network config. */
  invalidNetworkConfig: 7,
  /** A transient failure: the runtime should retry. */
  tryAgainLater: 11,
  /** The pod CIDR has no free address left. */
  noAddressAvailable: 100,
  /** What the Go skel reports for every other failure. */
  generic: 999,
});

/** The CNI error JSON (`{cniVersion, code, msg, details?}`). */
export interface CniErrorJson {
  readonly cniVersion: string;
  readonly code: number;
  readonly msg: string;
  readonly details?: string;
}

/** Options of {@linkcode CniError}. */
export interface CniErrorOptions {
  /** Longer text for the `details` field. */
  readonly details?: string;
  readonly cause?: unknown;
}

/** A CNI call that failed with a spec error code. */
export class CniError extends Error {
  /** The CNI error code ({@linkcode CNI_ERROR_CODES}). */
  readonly code: number;
  /** Extra detail for the `details` field. */
  readonly details: string | undefined;

  constructor(code: number, message: string, options: CniErrorOptions = {}) {
    super(message, options.cause === undefined ? {} : { cause: options.cause });
    this.name = "CniError";
    this.code = code;
    this.details = options.details;
  }

  /** The error JSON the runtime reads, for the config's `cniVersion`. */
  toJson(cniVersion: string): CniErrorJson {
    return {
      cniVersion,
      code: this.code,
      msg: this.message,
      ...(this.details !== undefined ? { details: this.details } : {}),
    };
  }
}

/**
 * Any thrown value as a {@linkcode CniError}: itself, or code 999 with the message and its
 * causes' messages as the details.
 */
export function toCniError(err: unknown): CniError {
  if (err instanceof CniError) return err;
  if (err instanceof Error) {
    const causes: string[] = [];
    let cause = err.cause;
    for (let i = 0; cause !== undefined && i < 5; i++) {
      causes.push(cause instanceof Error ? cause.message : String(cause));
      cause = cause instanceof Error ? cause.cause : undefined;
    }
    return new CniError(CNI_ERROR_CODES.generic, err.message, {
      ...(causes.length > 0 ? { details: causes.join(": ") } : {}),
      cause: err,
    });
  }
  return new CniError(CNI_ERROR_CODES.generic, String(err));
}
