/**
 * The one reading of {@linkcode ListOptions} every backend shares: validation, and where a page
 * starts and at which revision (a continue token overrides `revision`).
 *
 * @module
 */
import { decodeContinue } from "./continue_token.ts";
import { validatePrefix, validateRevision } from "./keys.ts";
import type { ListOptions } from "./types.ts";

/** Where and how much to list. */
export interface ListPosition {
  /** Items per page; 0 for all. */
  readonly limit: number;
  /** The revision to read at; 0 for the current one. */
  readonly revision: number;
  /** The first key (inclusive) of the page. */
  readonly startKey: string;
}

/** Validates `prefix` and `options` and resolves the page they ask for. */
export function parseListOptions(prefix: string, options: ListOptions): ListPosition {
  validatePrefix(prefix);
  const limit = options.limit ?? 0;
  validateRevision("limit", limit);
  const revision = options.revision ?? 0;
  validateRevision("revision", revision);
  if (options.continue) {
    const position = decodeContinue(options.continue, prefix);
    return { limit, revision: position.revision, startKey: position.startKey };
  }
  return { limit, revision, startKey: prefix };
}
