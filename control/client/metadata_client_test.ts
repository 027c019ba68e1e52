import assert from "node:assert/strict";
import { createTestApp } from "../api/_test_app.ts";
import { WatchStream } from "./_test_transport.ts";
import { Client } from "./client.ts";
import { StatusError } from "./errors.ts";
import {
  MetadataClient,
  PARTIAL_OBJECT_METADATA_ACCEPT,
  PARTIAL_OBJECT_METADATA_LIST_ACCEPT,
} from "./metadata_client.ts";
import { CONFIG_MAPS, NODES } from "./resources.ts";
import type { Transport, TransportRequestOptions } from "./transport.ts";

interface Seen {
  readonly method: string;
  readonly path: string;
  readonly accept: string | undefined;
}

function recording(answer: (path: string) => Response): { transport: Transport; seen: Seen[] } {
  const seen: Seen[] = [];
  return {
    seen,
    transport: {
      request(method: string, path: string, options: TransportRequestOptions = {}) {
        seen.push({ method, path, accept: options.accept });
        return Promise.resolve(answer(path));
      },
    },
  };
}

Deno.test("MetadataResourceClient.get() asks for PartialObjectMetadata at the object's path", async () => {
  const { transport, seen } = recording(() =>
    Response.json({
      kind: "PartialObjectMetadata",
      apiVersion: "meta.k8s.io/v1",
      metadata: { name: "a", namespace: "ns", uid: "u1" },
    })
  );
  const meta = new MetadataClient(transport);
  const obj = await meta.resource(CONFIG_MAPS).get("a", { namespace: "ns" });
  assert.equal(obj.metadata.uid, "u1");
  assert.deepEqual(seen, [{
    method: "GET",
    path: "/api/v1/namespaces/ns/configmaps/a",
    accept: PARTIAL_OBJECT_METADATA_ACCEPT,
  }]);
  assert.equal(meta.resource(CONFIG_MAPS), meta.resource(CONFIG_MAPS), "one client per resource");
});

Deno.test("MetadataResourceClient.list() asks for a PartialObjectMetadataList page", async () => {
  const { transport, seen } = recording(() =>
    Response.json({
      kind: "PartialObjectMetadataList",
      apiVersion: "meta.k8s.io/v1",
      metadata: { resourceVersion: "7", continue: "next" },
      items: [{ metadata: { name: "n1", uid: "u1" } }, {}],
    })
  );
  const list = await new MetadataClient(transport).resource(NODES).list({ limit: 2 });
  assert.equal(seen[0]!.path, "/api/v1/nodes?limit=2");
  assert.equal(seen[0]!.accept, PARTIAL_OBJECT_METADATA_LIST_ACCEPT);
  assert.deepEqual(list.metadata, { resourceVersion: "7", continue: "next" });
  assert.deepEqual(list.items.map((i) => i.metadata), [{ name: "n1", uid: "u1" }, {}]);
});

Deno.test("MetadataResourceClient.watch() yields events and throws ERROR events", async () => {
  const stream = new WatchStream();
  const { transport, seen } = recording(() => stream.response);
  const events = new MetadataClient(transport).resource(CONFIG_MAPS).watch({
    resourceVersion: "5",
    allowWatchBookmarks: true,
  });
  stream.send("ADDED", { kind: "ConfigMap", metadata: { name: "a", uid: "u1" }, data: { x: "y" } });
  stream.send("ERROR", { kind: "Status", code: 410, reason: "Expired", message: "too old" });
  const first = await events.next();
  assert.deepEqual(first.value, {
    type: "ADDED",
    object: { kind: "ConfigMap", metadata: { name: "a", uid: "u1" }, data: { x: "y" } },
  });
  await assert.rejects(
    events.next(),
    (err: unknown) => err instanceof StatusError && err.code === 410,
  );
  assert.equal(
    seen[0]!.path,
    "/api/v1/configmaps?watch=1&resourceVersion=5&allowWatchBookmarks=true",
  );
  assert.equal(seen[0]!.accept, PARTIAL_OBJECT_METADATA_ACCEPT);
});

Deno.test("MetadataClient reads only metadata from the real API server", async () => {
  await using app = await createTestApp();
  const transport: Transport = {
    request: (method, path, opts) => app.client.request(method, path, opts ?? {}),
  };
  await new Client(transport).resource(CONFIG_MAPS).create({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { namespace: "default", name: "big", labels: { a: "b" } },
    data: { payload: "x".repeat(1000) },
  });
  const meta = new MetadataClient(transport).resource(CONFIG_MAPS);
  const got = await meta.get("big", { namespace: "default" }) as unknown as Record<string, unknown>;
  assert.equal(got.kind, "PartialObjectMetadata");
  assert.equal(got.data, undefined);
  const list = await meta.list({ namespace: "default" });
  assert.equal(list.kind, "PartialObjectMetadataList");
  const big = list.items.find((i) => i.metadata.name === "big");
  assert.deepEqual(big?.metadata.labels, { a: "b" });
  assert.equal((big as unknown as Record<string, unknown>).data, undefined);
  // Watches too: the initial state and changes, as PartialObjectMetadata.
  const stop = new AbortController();
  const events = meta.watch({ namespace: "default", signal: stop.signal });
  const added = (await events.next()).value as { object: Record<string, unknown> } | undefined;
  assert.equal(added?.object.kind, "PartialObjectMetadata");
  assert.equal(added?.object.apiVersion, "meta.k8s.io/v1");
  assert.equal(added?.object.data, undefined);
  stop.abort();
  assert.equal((await events.next()).done, true);
  await assert.rejects(
    meta.get("missing", { namespace: "default" }),
    (err: unknown) => err instanceof StatusError && err.reason === "NotFound",
  );
});
