/**
 * The Table printer of a custom resource version (upstream apiextensions `tableconvertor`):
 * `Name`, then the version's `additionalPrinterColumns` — or, without any, `Age` — each cell
 * the first value its JSON path selects: `string` columns print it as kubectl's JSONPath does,
 * `integer`, `number` and `boolean` columns keep numbers and booleans (other values print as
 * nothing), `date` columns show the time since (`5m`, `<invalid>` for unparsable text).
 *
 * @example Columns of a CronTab
 * ```ts
 * import assert from "node:assert/strict";
 * import { customResourcePrinter } from "./cr_printer.ts";
 *
 * const printer = customResourcePrinter([
 *   { name: "Spec", type: "string", jsonPath: ".spec.cronSpec" },
 *   { name: "Replicas", type: "integer", jsonPath: ".spec.replicas", priority: 1 },
 * ]);
 * assert.deepEqual(printer.columns.map((c) => [c.name, c.priority]), [["Name", 0], ["Spec", 0], ["Replicas", 1]]);
 * assert.deepEqual(
 *   printer.row({ metadata: { name: "c" }, spec: { cronSpec: "5 4 * * *", replicas: 2 } }, 0),
 *   ["c", "5 4 * * *", 2],
 * );
 * ```
 *
 * @module
 */
import { humanDuration } from "../printers/duration.ts";
import type { Printer, TableColumnDefinition } from "../printers/table.ts";
import type { CustomResourceColumnDefinition } from "../types/apiextensions_v1.ts";
import {
  evaluateJsonPath,
  formatJsonPathValue,
  type JsonPath,
  parseJsonPath,
} from "./_json_path.ts";

const NAME_COLUMN: TableColumnDefinition = Object.freeze({
  name: "Name",
  type: "string",
  format: "name",
  description: "The object's name, unique among objects of its kind in its namespace.",
  priority: 0,
});

const AGE_COLUMN: CustomResourceColumnDefinition = {
  name: "Age",
  type: "date",
  description: "How long ago the object was created.",
  jsonPath: ".metadata.creationTimestamp",
};

function nameOf(obj: Record<string, unknown>): string {
  const meta = obj.metadata;
  if (typeof meta !== "object" || meta === null) return "";
  const name = (meta as Record<string, unknown>).name;
  return typeof name === "string" ? name : "";
}

function cell(type: string, value: unknown, nowMs: number): unknown {
  switch (type) {
    case "string":
      return formatJsonPathValue(value);
    case "integer":
      return typeof value === "number" ? Math.trunc(value) : null;
    case "number":
      return typeof value === "number" ? value : null;
    case "boolean":
      return typeof value === "boolean" ? value : null;
    case "date": {
      if (typeof value !== "string") return null;
      const t = Date.parse(value);
      if (Number.isNaN(t)) return "<invalid>";
      return humanDuration(nowMs - t);
    }
    default:
      return null;
  }
}

/** The printer of a version with `columns` (its `additionalPrinterColumns`). */
export function customResourcePrinter(
  columns: readonly CustomResourceColumnDefinition[],
): Printer {
  const used = columns.length > 0 ? columns : [AGE_COLUMN];
  const paths: (JsonPath | null)[] = used.map((c) => {
    try {
      return parseJsonPath(c.jsonPath);
    } catch {
      return null;
    }
  });
  const definitions: TableColumnDefinition[] = [
    NAME_COLUMN,
    ...used.map((c) =>
      Object.freeze({
        name: c.name,
        type: c.type,
        format: c.format ?? "",
        description: c.description ?? "",
        priority: c.priority ?? 0,
      })
    ),
  ];
  return Object.freeze({
    columns: Object.freeze(definitions),
    row(obj: Record<string, unknown>, nowMs: number): unknown[] {
      return [
        nameOf(obj),
        ...used.map((c, i) => {
          const path = paths[i];
          if (!path) return null;
          const results = evaluateJsonPath(path, obj);
          if (results.length === 0) return null;
          return cell(c.type, results[0], nowMs);
        }),
      ];
    },
  });
}
