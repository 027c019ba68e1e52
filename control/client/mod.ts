/**
 * skiff's client library, as client-go is Kubernetes': transports (in process and HTTPS, from
 * a kubeconfig), a typed client per resource, errors with Kubernetes reasons, a frozen and
 * indexed object cache, informers (list + watch with resume and relist) shared through a
 * factory, Lease-based leader election, and the work queue, rate limiters and controller loop
 * controllers are built from. The scheduler, the controllers and the node agent
 * reach the API only through this folder.
 *
 * @example Create and read a ConfigMap through an in-memory transport
 * ```ts
 * import assert from "node:assert/strict";
 * import { Client, CONFIG_MAPS, type Transport } from "./mod.ts";
 *
 * const saved = new Map<string, unknown>();
 * const transport: Transport = {
 *   request(method, path, options) {
 *     if (method === "POST") {
 *       saved.set(path, options?.body);
 *       return Promise.resolve(Response.json(options?.body, { status: 201 }));
 *     }
 *     return Promise.resolve(Response.json(saved.get(path.replace(/\/[^/]*$/, ""))));
 *   },
 * };
 * const configMaps = new Client(transport).resource(CONFIG_MAPS);
 * await configMaps.create({ metadata: { namespace: "default", name: "a" }, data: { k: "v" } });
 * const read = await configMaps.get("a", { namespace: "default" });
 * assert.deepEqual(read.data, { k: "v" });
 * ```
 *
 * @module
 */
export * from "./backoff.ts";
export * from "./client.ts";
export * from "./controller.ts";
export * from "./errors.ts";
export * from "./event_recorder.ts";
export * from "./informer.ts";
export * from "./kubeconfig.ts";
export * from "./label_selector.ts";
export * from "./leader_election.ts";
export * from "./metadata_client.ts";
export * from "./metadata_informer.ts";
export * from "./node_selector.ts";
export * from "./rate_limiter.ts";
export * from "./resources.ts";
export * from "./shared_informer_factory.ts";
export * from "./store.ts";
export * from "./strip_managed_fields.ts";
export * from "./tolerations.ts";
export * from "./transport.ts";
export * from "./workqueue.ts";
