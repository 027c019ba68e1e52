/**
 * Port numbers and port names (IANA service names) as upstream checks them: `IsValidPortNum`,
 * `IsValidPortName` and `ValidatePortNumOrName`, with upstream's messages.
 *
 * @example Check a container port name
 * ```ts
 * import assert from "node:assert/strict";
 * import { isValidPortName } from "./ports.ts";
 *
 * assert.deepEqual(isValidPortName("http"), []);
 * assert.deepEqual(isValidPortName("8080"), ["must contain at least one letter (a-z)"]);
 * ```
 *
 * @module
 */
import { type FieldError, type FieldPath, invalidEach } from "./field_errors.ts";
import { maxLenError } from "./names.ts";
import { inclusiveRangeError } from "./numbers.ts";

/** The longest port name. */
export const PORT_NAME_MAX_LENGTH = 15;

/** Problems with a port number (`IsValidPortNum`): it must be 1 to 65535. */
export function isValidPortNum(port: number): string[] {
  return port >= 1 && port <= 65535 ? [] : [inclusiveRangeError(1, 65535)];
}

/**
 * Problems with a port name (`IsValidPortName`): at most 15 lowercase letters, digits and
 * hyphens, at least one letter, no `--`, no hyphen at either end. Every rule is checked on its
 * own, so a name can break several at once.
 */
export function isValidPortName(port: string): string[] {
  const errs: string[] = [];
  if (port.length > PORT_NAME_MAX_LENGTH) errs.push(maxLenError(PORT_NAME_MAX_LENGTH));
  if (!/^[-a-z0-9]+$/.test(port)) {
    errs.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
  }
  if (!/[a-z]/.test(port)) errs.push("must contain at least one letter (a-z)");
  if (port.includes("--")) errs.push("must not contain consecutive hyphens");
  if (port.length > 0 && (port.startsWith("-") || port.endsWith("-"))) {
    errs.push("must not begin or end with a hyphen");
  }
  return errs;
}

/** `ValidatePortNumOrName`: an int-or-string port is a valid number or a valid name. */
export function validatePortNumOrName(
  port: number | string,
  path: FieldPath | string,
): FieldError[] {
  return typeof port === "number"
    ? invalidEach(path, { value: port, messages: isValidPortNum(port) })
    : invalidEach(path, { value: port, messages: isValidPortName(port) });
}
