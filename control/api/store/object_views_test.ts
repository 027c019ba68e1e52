import assert from "node:assert/strict";
import { MemoryStorage } from "../../storage/memory.ts";
import { BufferWriter, JsonLogger } from "../../util/mod.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import { encodeForStorage } from "./object_codec.ts";
import { ObjectViews } from "./object_views.ts";

function setup() {
  const storage = new MemoryStorage();
  const ac = new AbortController();
  const views = new ObjectViews({
    storage,
    logger: new JsonLogger({ writer: new BufferWriter() }),
    signal: ac.signal,
  });
  return { storage, ac, views };
}

Deno.test("ObjectViews.get() gives one view per prefix", () => {
  const { ac, views } = setup();
  assert.equal(views.get("/registry/pods/"), views.get("/registry/pods/"));
  assert.notEqual(views.get("/registry/pods/"), views.get("/registry/secrets/"));
  ac.abort();
});

Deno.test("ObjectViews.started() lists the prefix; an index added later covers what it holds", async () => {
  const { storage, ac, views } = setup();
  const pod: KubeObject = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "p", namespace: "a" },
    spec: { nodeName: "n1" },
  };
  await storage.create("/registry/pods/a/p", encodeForStorage(pod));
  const view = await views.started("/registry/pods/");
  assert.equal(view.size, 1);
  const byNode = (o: KubeObject) => {
    const node = (o as { spec?: { nodeName?: string } }).spec?.nodeName;
    return node ? [node] : [];
  };
  view.addIndex("node", byNode);
  view.addIndex("node", byNode);
  assert.deepEqual(view.byIndex("node", "n1").map((o) => o.metadata?.name), ["p"]);
  assert.throws(() => view.addIndex("node", () => []), /Cannot add index "node"/);
  ac.abort();
});
