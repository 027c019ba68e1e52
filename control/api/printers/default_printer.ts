/**
 * The printer upstream uses for kinds without their own (`apiserver` `registry/rest/table.go`
 * default convertor): `Name` and `Created At`, an RFC 3339 timestamp in UTC. Roles,
 * ClusterRoles, LimitRanges and CustomResourceDefinitions print this way.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_PRINTER } from "./default_printer.ts";
 *
 * const role = { metadata: { name: "reader", creationTimestamp: "2024-05-01T10:00:00Z" } };
 * assert.deepEqual(DEFAULT_PRINTER.row(role, 0), ["reader", "2024-05-01T10:00:00Z"]);
 * ```
 *
 * @module
 */
import { column, columns, NAME } from "./_columns.ts";
import { dig, nameOf } from "./_fields.ts";
import { rfc3339 } from "./_format.ts";
import type { Printer } from "./table.ts";

/** `Name` + `Created At` (type `date`); an empty list has `rows: null`, as upstream. */
export const DEFAULT_PRINTER: Printer = Object.freeze({
  columns: columns(
    NAME,
    column("Created At", {
      description: "When the object was created, in RFC 3339 form.",
      type: "date",
    }),
  ),
  row(obj: Record<string, unknown>): unknown[] {
    return [nameOf(obj), rfc3339(dig(obj, "metadata", "creationTimestamp"))];
  },
  nullRowsWhenEmpty: true,
});
