/**
 * File system errors worded as Go's `*PathError` (`open /x/y: no such file or directory`), for
 * messages that upstream prints from Go's `os` package.
 *
 * @module
 */

/** Where a file system error happened: the operation (`open`, `mkdir`) and the path. */
export interface GoPathErrorSite {
  readonly op: string;
  readonly path: string;
}

/** `"<op> <path>: <reason>"`, the reason being the OS's, lower-cased as Go's errno texts. */
export function goErrorText(err: unknown, site: GoPathErrorSite): string {
  const { op, path } = site;
  const message = err instanceof Error ? err.message : String(err);
  // Deno: "No such file or directory (os error 2): open '/x/y'".
  const os = /^(.*?) \(os error \d+\)/.exec(message)?.[1];
  const reason = os === undefined ? message : os.charAt(0).toLowerCase() + os.slice(1);
  return `${op} ${path}: ${reason}`;
}
