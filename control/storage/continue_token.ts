/**
 * Continue tokens of paged lists: which revision the list is read at and where the next page
 * starts. Shaped like Kubernetes' own (`{"v":"meta.k8s.io/v1","rv":N,"start":"…"}`, base64).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { InvalidInputError } from "./errors.ts";

/** A decoded continue token. */
export interface ContinuePosition {
  /** The revision every page of the list is read at. */
  readonly revision: number;
  /** The first key (inclusive) of the next page. */
  readonly startKey: string;
}

/** Encodes the position after `lastKey` in a list read at `revision`. */
export function encodeContinue(revision: number, lastKey: string): string {
  const json = JSON.stringify({ v: "meta.k8s.io/v1", rv: revision, start: lastKey + "\u0000" });
  return Buffer.from(json, "utf8").toString("base64url");
}

/**
 * Decodes a token made by {@linkcode encodeContinue} for a list of `prefix`.
 * Throws `InvalidInputError` for anything else.
 */
export function decodeContinue(token: string, prefix: string): ContinuePosition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    throw new InvalidInputError(
      `Cannot use continue token "${token}": it is not valid base64 JSON`,
    );
  }
  const p = parsed as { v?: unknown; rv?: unknown; start?: unknown } | null;
  if (
    p === null || typeof p !== "object" || p.v !== "meta.k8s.io/v1" ||
    typeof p.rv !== "number" || !Number.isSafeInteger(p.rv) || p.rv <= 0 ||
    typeof p.start !== "string"
  ) {
    throw new InvalidInputError(`Cannot use continue token "${token}": it is malformed`);
  }
  if (!p.start.startsWith(prefix)) {
    throw new InvalidInputError(
      `Cannot use continue token "${token}": it does not belong to a list of "${prefix}"`,
    );
  }
  return { revision: p.rv, startKey: p.start };
}
