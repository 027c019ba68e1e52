// deno-lint-ignore-file no-console
/**
 * Measures what the garbage collector's graph costs in memory: 10,000 pods owned by 100
 * ReplicaSets owned by 100 Deployments go through the collector's real path — metadata-only
 * informers reading `PartialObjectMetadataList` pages (served from memory here, no API server)
 * into the dependency graph — and the heap and RSS growth is printed.
 *
 * `deno run -A --v8-flags=--expose-gc scripts/gc_graph_memory.ts [pods]`
 *
 * @module
 */
import { ScriptedTransport, until } from "../control/client/_test_transport.ts";
import { MetadataClient } from "../control/client/metadata_client.ts";
import { MetadataInformer } from "../control/client/metadata_informer.ts";
import { DEPLOYMENTS, PODS, REPLICA_SETS } from "../control/client/resources.ts";
import { DependencyGraph } from "../control/controllers/_gc_graph.ts";
import { ReferenceCache } from "../control/controllers/_gc_reference_cache.ts";
import { systemClock } from "../control/util/clock.ts";
import { JsonLogger } from "../control/util/logger.ts";

const PODS_COUNT = Number(Deno.args[0] ?? 10_000);
const SETS = 100;

const KIND_DIGIT: Record<string, string> = { Deployment: "d", ReplicaSet: "e", Pod: "f" };

/** A uuid-shaped uid, unique per kind and index. */
function uid(kind: string, i: number): string {
  return `${KIND_DIGIT[kind]}7c3a1e2-1b2c-4d5e-8f90-${i.toString(16).padStart(12, "0")}`;
}

/** The metadata of an object as the API server would send it (list item). */
function item(kind: string, i: number, owner?: { kind: string; apiVersion: string; i: number }) {
  const name = kind === "Pod"
    ? `web-${i % SETS}-7d9f8b6c5-${i.toString(36).padStart(5, "x")}`
    : `web-${i}${kind === "ReplicaSet" ? "-7d9f8b6c5" : ""}`;
  return {
    metadata: {
      name,
      ...(kind === "Pod" ? { generateName: `web-${i % SETS}-7d9f8b6c5-` } : {}),
      namespace: "default",
      uid: uid(kind, i),
      resourceVersion: String(1000 + i),
      creationTimestamp: "2025-01-01T00:00:00Z",
      labels: { app: `web-${i % SETS}`, "pod-template-hash": "7d9f8b6c5" },
      ...(owner
        ? {
          ownerReferences: [{
            apiVersion: owner.apiVersion,
            kind: owner.kind,
            name: owner.kind === "ReplicaSet" ? `web-${owner.i}-7d9f8b6c5` : `web-${owner.i}`,
            uid: uid(owner.kind, owner.i),
            controller: true,
            blockOwnerDeletion: true,
          }],
        }
        : {}),
      managedFields: [{
        manager: "kube-controller-manager",
        operation: "Update",
        apiVersion: "v1",
        time: "2025-01-01T00:00:00Z",
        fieldsType: "FieldsV1",
        fieldsV1: { "f:metadata": { "f:labels": { ".": {}, "f:app": {} } } },
      }],
    },
  };
}

/** Pages of 500 of `items`, as JSON text (the informer parses them as it would a response). */
function server(items: unknown[]): ScriptedTransport {
  return new ScriptedTransport((req) => {
    if (req.query.get("watch") === "1") {
      return new Response(new ReadableStream({ start() {} }));
    }
    const start = Number(req.query.get("continue") ?? 0);
    const limit = Number(req.query.get("limit") ?? items.length);
    const end = Math.min(items.length, start + limit);
    const page = {
      kind: "PartialObjectMetadataList",
      apiVersion: "meta.k8s.io/v1",
      metadata: {
        resourceVersion: "99999",
        ...(end < items.length ? { continue: String(end) } : {}),
      },
      items: items.slice(start, end),
    };
    return new Response(JSON.stringify(page));
  });
}

function collect(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("Cannot measure: run with --v8-flags=--expose-gc");
  for (let i = 0; i < 3; i++) gc();
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
}

const deployments = Array.from({ length: SETS }, (_, i) => item("Deployment", i));
const sets = Array.from(
  { length: SETS },
  (_, i) => item("ReplicaSet", i, { kind: "Deployment", apiVersion: "apps/v1", i }),
);
const pods = Array.from(
  { length: PODS_COUNT },
  (_, i) => item("Pod", i, { kind: "ReplicaSet", apiVersion: "apps/v1", i: i % SETS }),
);
const sources = [
  { resource: DEPLOYMENTS, transport: server(deployments) },
  { resource: REPLICA_SETS, transport: server(sets) },
  { resource: PODS, transport: server(pods) },
];

collect();
const before = { ...Deno.memoryUsage() };

const logger = new JsonLogger({ level: "error" });
let queued = 0;
const graph = new DependencyGraph({
  queues: {
    attemptToDelete: () => void queued++,
    attemptToDeleteRateLimited: () => void queued++,
    attemptToOrphan: () => void queued++,
  },
  absentOwners: new ReferenceCache(500),
  recorder: { event: () => {} },
  logger,
});
const stop = new AbortController();
const informers = sources.map(({ resource, transport }) => {
  const informer = new MetadataInformer(new MetadataClient(transport).resource(resource), {
    clock: systemClock,
    logger,
  });
  const type = {
    apiVersion: resource.group === "" ? resource.version : `${resource.group}/${resource.version}`,
    kind: resource.kind,
  };
  informer.addHandler({
    add: (m) => graph.observe(type, m),
    update: (m) => graph.observe(type, m),
    delete: (d) => graph.observeDeleted(type, d),
  });
  return { informer, running: informer.run(stop.signal), transport };
});
await until(() => informers.every((i) => i.informer.hasSynced()), "the informers to sync");
// The test transports keep every request they saw: forget them before measuring.
for (const { transport } of informers) transport.requests.length = 0;

collect();
const after = { ...Deno.memoryUsage() };
const nodes = graph.size;
const heap = after.heapUsed - before.heapUsed;
const rss = after.rss - before.rss;
console.log(JSON.stringify({
  pods: PODS_COUNT,
  nodes,
  queued,
  heapUsedGrowth: mib(heap),
  heapBytesPerNode: Math.round(heap / nodes),
  heapTotalGrowth: mib(after.heapTotal - before.heapTotal),
  rssGrowth: mib(rss),
  rssTotal: mib(after.rss),
  heapUsedTotal: mib(after.heapUsed),
}));
stop.abort();
await Promise.all(informers.map((i) => i.running));
