/**
 * {@linkcode rolloutHistory}: reads the table `kubectl rollout history` prints.
 *
 * @module
 */

/**
 * The rows of `kubectl rollout history <kind>/<name>`: each revision with its change cause
 * (`<none>` where none was recorded), in the order printed (oldest first).
 */
export function rolloutHistory(stdout: string): [number, string][] {
  const rows: [number, string][] = [];
  for (const line of stdout.split("\n")) {
    const m = /^(\d+)\s+(.*?)\s*$/.exec(line);
    if (m) rows.push([Number(m[1]), m[2]!]);
  }
  return rows;
}
