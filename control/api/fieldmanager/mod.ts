/**
 * Server-side apply and managedFields: field sets keyed by list keys, their `fieldsV1`
 * encoding, ownership across writes, conflicts, and the per-kind field manager the REST
 * handler calls on every write.
 *
 * @module
 */
export * from "./compare.ts";
export * from "./conflict_error.ts";
export * from "./field_manager.ts";
export * from "./field_set.ts";
export * from "./managed_fields.ts";
export * from "./manager_name.ts";
export * from "./merge.ts";
export * from "./path_element.ts";
export * from "./remove_items.ts";
export * from "./schema_atoms.ts";
export * from "./to_field_set.ts";
export * from "./updater.ts";
