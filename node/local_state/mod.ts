/**
 * The node's local desired state: {@linkcode LocalStateStore} keeps the pods bound to the node
 * and the ConfigMaps, Secrets and ServiceAccount tokens they use under
 * `<data-dir>/agent/state/`, writing a file only when an object's stored content changes, in
 * batches, atomically, so that the agent can run its pods with no control plane reachable.
 *
 * @module
 */
export * from "./canonical_json.ts";
export * from "./local_state_store.ts";
export * from "./pod_references.ts";
export * from "./state_fs.ts";
export * from "./stored_objects.ts";
export * from "./stored_token_source.ts";
