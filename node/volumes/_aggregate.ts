/**
 * Several errors as one, printed as upstream's `utilerrors.NewAggregate`: a single message as
 * it is, several as `[first, second]` with repeated messages dropped.
 *
 * @module
 */

/** The message upstream's aggregate error prints for `errors`. */
export function aggregateMessage(errors: readonly Error[]): string {
  const unique = [...new Set(errors.map((e) => e.message))];
  if (unique.length <= 1) return unique[0] ?? "";
  return `[${unique.join(", ")}]`;
}

/** One `Error` carrying `errors` (as `cause`) with {@linkcode aggregateMessage}'s message. */
export function aggregateError(errors: readonly Error[]): Error {
  if (errors.length === 1 && errors[0]) return errors[0];
  return new Error(aggregateMessage(errors), { cause: errors });
}
