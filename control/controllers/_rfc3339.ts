/**
 * Timestamps as controllers write them: `metav1.Time` (RFC 3339, whole seconds) for conditions,
 * and RFC 3339 with the fraction trimmed of trailing zeros (Go's `time.RFC3339Nano`) for the
 * `endpoints.kubernetes.io/last-change-trigger-time` annotation.
 *
 * @module
 */

export { formatRfc3339Nano as rfc3339Nano, formatTime as rfc3339 } from "../util/k8s_time.ts";

/** Milliseconds since the epoch of an RFC 3339 timestamp, or `null` when unset or unparsable. */
export function parseTime(value: string | undefined | null): number | null {
  if (!value) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}
