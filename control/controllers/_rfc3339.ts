/**
 * Timestamps as controllers write them: `metav1.Time` (RFC 3339, whole seconds) for conditions,
 * and RFC 3339 with the fraction trimmed of trailing zeros (Go's `time.RFC3339Nano`) for the
 * `endpoints.kubernetes.io/last-change-trigger-time` annotation.
 *
 * @module
 */

/** `ms` as `2024-05-01T10:00:00Z` (seconds truncated, as `metav1.Time` serializes). */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** `ms` as Go's `RFC3339Nano` prints it: `…:00Z`, `…:00.5Z`, `…:00.123Z`. */
export function rfc3339Nano(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.replace(/\.(\d{3})Z$/, (_all, fraction: string) => {
    const trimmed = fraction.replace(/0+$/, "");
    return trimmed === "" ? "Z" : `.${trimmed}Z`;
  });
}

/** Milliseconds since the epoch of an RFC 3339 timestamp, or `null` when unset or unparsable. */
export function parseTime(value: string | undefined | null): number | null {
  if (!value) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}
