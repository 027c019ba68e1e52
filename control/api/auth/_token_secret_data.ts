/**
 * Small helpers the token authenticators share: reading a Secret's `data` values (base64 in
 * the stored JSON) as text, encoding text values for a Secret, and comparing secrets in
 * constant time.
 *
 * @module
 */
import { timingSafeEqual } from "node:crypto";
import type { KubeObject } from "../types/meta_v1.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The value of `data[key]` of a Secret as text; "" when absent or not base64 (as Go's GetData). */
export function secretDataString(secret: KubeObject, key: string): string {
  const data = secret.data;
  if (data === null || typeof data !== "object") return "";
  const value = (data as Record<string, unknown>)[key];
  if (typeof value !== "string") return "";
  try {
    const binary = atob(value);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return decoder.decode(bytes);
  } catch {
    return "";
  }
}

/** Whether a Secret has a `data` map at all (upstream refuses token Secrets without one). */
export function hasSecretData(secret: KubeObject): boolean {
  return secret.data !== null && typeof secret.data === "object";
}

/** Encodes text values as a Secret's `data` (base64 of their UTF-8 bytes). */
export function encodeSecretData(
  values: Readonly<Record<string, string>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    let binary = "";
    for (const b of encoder.encode(value)) binary += String.fromCharCode(b);
    out[key] = btoa(binary);
  }
  return out;
}

/**
 * Whether `a` and `b` are equal, in time that depends only on their lengths (a length mismatch
 * answers at once: the lengths of skiff's secrets are public).
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  if (x.length !== y.length) return false;
  return timingSafeEqual(x, y);
}
