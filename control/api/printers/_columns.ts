/**
 * Column definitions shared by many printers. Names, types, formats and priorities are
 * upstream's; descriptions are skiff's own.
 *
 * @module
 */
import type { TableColumnDefinition } from "./table.ts";

/** Options of {@linkcode column}. */
export interface ColumnOptions {
  /** What the column shows (skiff's own words). */
  description: string;
  /** OpenAPI type; `string` when omitted. */
  type?: string;
  /** OpenAPI format; `""` when omitted. */
  format?: string;
  /** 1 for `-o wide` columns; 0 when omitted. */
  priority?: number;
}

/** A frozen column definition. */
export function column(name: string, options: ColumnOptions): TableColumnDefinition {
  return Object.freeze({
    name,
    type: options.type ?? "string",
    format: options.format ?? "",
    description: options.description,
    priority: options.priority ?? 0,
  });
}

/** A frozen `-o wide` (priority 1) string column. */
export function wide(name: string, description: string): TableColumnDefinition {
  return column(name, { description, priority: 1 });
}

/** `Name`: the object's name (format `name`). */
export const NAME = column("Name", {
  description: "The object's name, unique among objects of its kind in its namespace.",
  format: "name",
});

/** `Age`: time since the object was created. */
export const AGE = column("Age", { description: "How long ago the object was created." });

/** `Containers` (wide): container names of the pod template. */
export const CONTAINERS = wide("Containers", "Names of the containers in the pod template.");

/** `Images` (wide): container images of the pod template. */
export const IMAGES = wide("Images", "Images of the containers in the pod template.");

/** `Selector` (wide): the label selector of a workload. */
export function selectorColumn(description: string): TableColumnDefinition {
  return wide("Selector", description);
}

/** A frozen string column with priority 0. */
export function text(name: string, description: string): TableColumnDefinition {
  return column(name, { description });
}

/** A frozen integer column with priority 0. */
export function integer(name: string, description: string): TableColumnDefinition {
  return column(name, { description, type: "integer" });
}

/** Freezes a column list. */
export function columns(...list: TableColumnDefinition[]): readonly TableColumnDefinition[] {
  return Object.freeze(list);
}
