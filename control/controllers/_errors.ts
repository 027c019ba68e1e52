/**
 * Error text helpers of the controllers: the message of anything thrown, and several errors
 * as one (upstream `utilerrors.NewAggregate`, printed `[a, b]`).
 *
 * @module
 */

/** The message of `err` (an `Error`'s `message`, anything else as a string). */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** One error: the only one as it is, several as an `AggregateError` printing `[a, b]`. */
export function aggregateErrors(errors: readonly unknown[]): unknown {
  if (errors.length === 1) return errors[0];
  return new AggregateError(errors, `[${errors.map(errorText).join(", ")}]`);
}
