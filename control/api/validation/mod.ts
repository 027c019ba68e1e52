/**
 * Validation helpers shared by every kind: field errors that print as Kubernetes' do, and the
 * name and label rules.
 *
 * @example Validate a name
 * ```ts
 * import { isDns1123Subdomain } from "./mod.ts";
 *
 * if (isDns1123Subdomain("web").length !== 0) throw new Error("expected a valid name");
 * ```
 *
 * @module
 */
export * from "./field_errors.ts";
export * from "./names.ts";
