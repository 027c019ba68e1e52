/**
 * Server-side printing: the Table columns and rows of every kind, as kubectl shows them.
 *
 * @module
 */
export * from "./apps_printers.ts";
export * from "./batch_printers.ts";
export * from "./core_printers.ts";
export * from "./default_printer.ts";
export * from "./duration.ts";
export * from "./other_printers.ts";
export * from "./printers.ts";
export * from "./table.ts";
