/**
 * Kubernetes' two time formats: `metav1.Time` (RFC 3339, whole seconds) and
 * `metav1.MicroTime` (six fractional digits).
 *
 * @module
 */

/** `ms` as `metav1.Time`: `2024-05-01T10:00:00Z` (truncated to the second). */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** `ms` as `metav1.MicroTime`: `2024-05-01T10:00:00.123000Z`. */
export function microTime(ms: number): string {
  return new Date(Math.floor(ms)).toISOString().replace(/Z$/, "000Z");
}
