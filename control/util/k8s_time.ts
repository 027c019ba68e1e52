/**
 * Timestamps as Kubernetes serializes them, one implementation for every layer:
 * `metav1.Time` (RFC 3339 in UTC, whole seconds), `metav1.MicroTime` (six fraction digits) and
 * Go's `time.RFC3339Nano` (the fraction trimmed of trailing zeros).
 *
 * @example The three forms of one instant
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatMicroTime, formatRfc3339Nano, formatTime } from "./k8s_time.ts";
 *
 * const ms = Date.UTC(2024, 4, 1, 10, 0, 0, 500);
 * assert.equal(formatTime(ms), "2024-05-01T10:00:00Z");
 * assert.equal(formatMicroTime(ms), "2024-05-01T10:00:00.500000Z");
 * assert.equal(formatRfc3339Nano(ms), "2024-05-01T10:00:00.5Z");
 * ```
 *
 * @module
 */

/** The second {@linkcode formatTime} formatted last, and its text. */
let lastSecond = Number.NaN;
let lastSecondText = "";

/**
 * `ms` since the epoch as `metav1.Time`: `2024-05-01T10:00:00Z` (seconds truncated). Every
 * write of the API server stamps several times in the current second (creation, managed
 * fields, conditions), so the last second's text is kept and reused.
 */
export function formatTime(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    lastSecondText = new Date(second * 1000).toISOString().replace(".000Z", "Z");
    lastSecond = second;
  }
  return lastSecondText;
}

/** `ms` since the epoch as `metav1.MicroTime`: `2024-05-01T10:00:00.123000Z`. */
export function formatMicroTime(ms: number): string {
  // toISOString always ends in milliseconds and "Z": ".sssZ" becomes ".sss000Z".
  return `${new Date(Math.floor(ms)).toISOString().slice(0, -1)}000Z`;
}

/** `ms` since the epoch as Go's `RFC3339Nano` prints it: `…:00Z`, `…:00.5Z`, `…:00.123Z`. */
export function formatRfc3339Nano(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.replace(/\.(\d{3})Z$/, (_all, fraction: string) => {
    const trimmed = fraction.replace(/0+$/, "");
    return trimmed === "" ? "Z" : `.${trimmed}Z`;
  });
}
