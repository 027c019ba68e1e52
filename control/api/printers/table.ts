/**
 * Server-side printing: the `meta.k8s.io/v1` `Table` that kube-apiserver returns when a client
 * (`kubectl get`) asks for `application/json;as=Table;v=v1;g=meta.k8s.io`.
 *
 * A {@linkcode Printer} knows a kind's columns and computes one row of cells from a stored
 * object; {@linkcode buildTable} lays rows out into the Table JSON exactly as upstream's
 * `asTable` does (`apiserver` `endpoints/handlers/response.go`): every column, `-o wide` ones
 * included (the server always prints wide; kubectl hides `priority > 0` columns itself), and
 * each row's `object` as `PartialObjectMetadata`, the full object, or `null`, as the request's
 * `includeObject` asks.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildTable } from "./table.ts";
 * import { DEFAULT_PRINTER } from "./default_printer.ts";
 *
 * const cm = { metadata: { name: "app", creationTimestamp: "2024-05-01T10:00:00Z" } };
 * const table = buildTable(DEFAULT_PRINTER, {
 *   objects: [cm],
 *   nowMs: Date.parse("2024-05-01T10:05:00Z"),
 *   includeObject: "None",
 *   resourceVersion: "42",
 * });
 * assert.deepEqual(table.rows, [{ cells: ["app", "2024-05-01T10:00:00Z"], object: null }]);
 * ```
 *
 * @module
 */

/** One column of a Table (`metav1.TableColumnDefinition`). */
export interface TableColumnDefinition {
  /** Human-readable column name; kubectl upper-cases it for the header. */
  name: string;
  /** OpenAPI type of the cells: `string`, `integer`, `number`, `boolean`, `date`. */
  type: string;
  /** OpenAPI format; `name` marks the column holding the object's name. */
  format: string;
  /** What the column shows. */
  description: string;
  /** 0 for default columns, greater for those only `-o wide` shows. */
  priority: number;
}

/** A condition on a row (`metav1.TableRowCondition`); upstream marks finished pods `Completed`. */
export interface TableRowCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/** How to print one kind. */
export interface Printer {
  /** The columns, `-o wide` ones included, in order. */
  readonly columns: readonly TableColumnDefinition[];
  /** The cells of `obj`'s row, one per column: strings, numbers or booleans as upstream emits. */
  row(obj: Record<string, unknown>, nowMs: number): unknown[];
  /** The row's conditions, when the kind has any (Pod: `Completed` once it has finished). */
  conditions?(obj: Record<string, unknown>): TableRowCondition[] | undefined;
  /**
   * Whether a table of no objects has `rows: null` rather than `[]`. Upstream's generic
   * `Name`/`Created At` convertor does this; the per-kind printers return `[]`.
   */
  readonly nullRowsWhenEmpty?: boolean;
}

/** The `includeObject` query parameter of a Table request. */
export type IncludeObjectPolicy = "None" | "Metadata" | "Object";

/** One row of the Table JSON. */
export interface TableRow {
  cells: unknown[];
  conditions?: TableRowCondition[];
  object: Record<string, unknown> | null;
}

/** `ListMeta` of the Table. */
export interface TableListMeta {
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}

/** The Table JSON (`meta.k8s.io/v1` or `v1beta1` `Table`). */
export interface Table {
  kind: "Table";
  apiVersion: string;
  metadata: TableListMeta;
  /** `null` when the request set `noHeaders` (as watches do after their first event). */
  columnDefinitions: TableColumnDefinition[] | null;
  rows: TableRow[] | null;
}

/** Options of {@linkcode buildTable}. */
export interface BuildTableOptions {
  /** The objects to print: one for a GET or a watch event, the items of a list. */
  objects: readonly Record<string, unknown>[];
  /** The current time, for ages. */
  nowMs: number;
  /** What each row's `object` carries. */
  includeObject: IncludeObjectPolicy;
  /** `metadata.resourceVersion` of the Table: the list's, or the single object's. */
  resourceVersion?: string;
  /** `metadata.continue` of a paged list. */
  continue?: string;
  /** `metadata.remainingItemCount` of a paged list. */
  remainingItemCount?: number;
  /** Leaves `columnDefinitions` out (`null`), as upstream does for `noHeaders=true`. */
  noHeaders?: boolean;
  /** The Table's group version: `v1` (default) or `v1beta1` of `meta.k8s.io`. */
  tableVersion?: "v1" | "v1beta1";
  /**
   * `apiVersion` and `kind` to set on full objects (`includeObject=Object`), as upstream
   * converts each to the request's version. Objects that already carry both are left as they
   * are when this is omitted.
   */
  objectType?: { apiVersion: string; kind: string };
}

const INCLUDE_OBJECT_VALUES: readonly IncludeObjectPolicy[] = ["None", "Metadata", "Object"];

/**
 * Reads the `includeObject` query parameter: `Metadata` when absent or empty.
 *
 * @throws {RangeError} `unrecognized includeObject value: "x"` (upstream answers 400 BadRequest
 * with this message).
 */
export function parseIncludeObject(value: string | null | undefined): IncludeObjectPolicy {
  if (value === null || value === undefined || value === "") return "Metadata";
  const found = INCLUDE_OBJECT_VALUES.find((v) => v === value);
  if (found === undefined) {
    throw new RangeError(`unrecognized includeObject value: ${JSON.stringify(value)}`);
  }
  return found;
}

function rowObject(
  o: Record<string, unknown>,
  options: BuildTableOptions,
  groupVersion: string,
): Record<string, unknown> | null {
  switch (options.includeObject) {
    case "None":
      return null;
    case "Object": {
      if (options.objectType === undefined) return o;
      const { kind: _kind, apiVersion: _apiVersion, ...rest } = o;
      return { kind: options.objectType.kind, apiVersion: options.objectType.apiVersion, ...rest };
    }
    default: {
      const metadata = o.metadata;
      return {
        kind: "PartialObjectMetadata",
        apiVersion: groupVersion,
        metadata: typeof metadata === "object" && metadata !== null && !Array.isArray(metadata)
          ? metadata as Record<string, unknown>
          : {},
      };
    }
  }
}

function tableRow(
  printer: Printer,
  o: Record<string, unknown>,
  options: BuildTableOptions,
): TableRow {
  const groupVersion = `meta.k8s.io/${options.tableVersion ?? "v1"}`;
  const cells = printer.row(o, options.nowMs);
  const conditions = printer.conditions?.(o);
  const object = rowObject(o, options, groupVersion);
  return conditions !== undefined && conditions.length > 0
    ? { cells, conditions, object }
    : { cells, object };
}

/**
 * The Table of `options.objects` (one for a GET, the items of a list, or one watch event's
 * object) printed by `printer`, with the keys in upstream's order.
 */
export function buildTable(printer: Printer, options: BuildTableOptions): Table {
  const metadata: TableListMeta = {};
  if (options.resourceVersion !== undefined && options.resourceVersion !== "") {
    metadata.resourceVersion = options.resourceVersion;
  }
  if (options.continue !== undefined && options.continue !== "") {
    metadata.continue = options.continue;
  }
  if (options.remainingItemCount !== undefined) {
    metadata.remainingItemCount = options.remainingItemCount;
  }
  const rows = options.objects.map((o) => tableRow(printer, o, options));
  return {
    kind: "Table",
    apiVersion: `meta.k8s.io/${options.tableVersion ?? "v1"}`,
    metadata,
    columnDefinitions: options.noHeaders === true ? null : printer.columns.map((c) => ({ ...c })),
    rows: rows.length === 0 && printer.nullRowsWhenEmpty === true ? null : rows,
  };
}
