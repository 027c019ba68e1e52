/**
 * Small validators only the pod spec checks use, with upstream's messages (apimachinery
 * `util/validation` and the helpers at the top of `pkg/apis/core/validation`). The validators
 * several kinds share live in `control/api/validation/`.
 *
 * @module
 */
import { type FieldError, FieldPath, invalid } from "../validation/field_errors.ts";
import { inclusiveRangeError } from "../validation/numbers.ts";

/** A path given as text or as a FieldPath. */
export type PathLike = FieldPath | string;

/** The FieldPath of `p`. */
export function toPath(p: PathLike): FieldPath {
  return typeof p === "string" ? new FieldPath(p) : p;
}

/** Upstream's `fileModeErrorMsg`. */
export const FILE_MODE_ERROR = "must be a number between 0 and 0777 (octal), both inclusive";

/** `IsRelaxedEnvVarName` (RelaxedEnvironmentVariableValidation, on in 1.33). */
export function isRelaxedEnvVarName(value: string): string[] {
  if (value.length === 0) return ["environment variable name must be non-empty"];
  for (const ch of value) {
    const c = ch.codePointAt(0)!;
    if (c < 0x20 || c > 0x7e || ch === "=") {
      return [
        "a valid environment variable name must consist only of printable ASCII characters other than '='",
      ];
    }
  }
  return [];
}

/** `IsHTTPHeaderName`. */
export function isHttpHeaderName(value: string): string[] {
  return /^[-A-Za-z0-9]+$/.test(value) ? [] : [
    "a valid HTTP header must consist of alphanumeric characters or '-' (e.g. 'X-Header-Name', regex used for validation is '[-A-Za-z0-9]+')",
  ];
}

const MAX_ID = 2147483647;

/** `IsValidUserID` / `IsValidGroupID`. */
export function validateId(value: number, path: PathLike): FieldError[] {
  return value < 0 || value > MAX_ID
    ? [invalid(path, { value, detail: inclusiveRangeError(0, MAX_ID) })]
    : [];
}
