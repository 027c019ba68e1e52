import assert from "node:assert/strict";
import { CompactedError } from "../../storage/errors.ts";
import { MemoryStorage } from "../../storage/memory.ts";
import type { Storage } from "../../storage/types.ts";
import { BufferWriter, JsonLogger } from "../../util/mod.ts";
import { encodeForStorage } from "./object_codec.ts";
import { ObjectView, type ViewChange } from "./object_view.ts";

const logger = new JsonLogger({ writer: new BufferWriter() });

function pod(name: string, node: string) {
  return encodeForStorage({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default" },
    spec: { nodeName: node },
  });
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(cond());
}

Deno.test("ObjectView lists, follows changes, indexes, freezes and tells listeners", async () => {
  const storage = new MemoryStorage();
  await storage.create("/registry/pods/default/a", pod("a", "n1"));
  const view = new ObjectView({
    storage,
    prefix: "/registry/pods/",
    logger,
    indexes: {
      node: (o) => [String((o.spec as { nodeName?: string }).nodeName ?? "")],
    },
  });
  const changes: ViewChange[] = [];
  view.onChange((c) => changes.push(c));
  const ac = new AbortController();
  await view.start(ac.signal);
  assert.equal(view.size, 1);
  assert.equal(view.getByName("default", "a")?.metadata?.name, "a");
  assert.ok(Object.isFrozen(view.getByName("default", "a")!.spec));

  await storage.create("/registry/pods/default/b", pod("b", "n1"));
  const a = await storage.get("/registry/pods/default/a");
  await storage.update("/registry/pods/default/a", pod("a", "n2"), a!.modRevision);
  await until(() => view.byIndex("node", "n2").length === 1);
  assert.deepEqual(view.byIndex("node", "n1").map((o) => o.metadata?.name), ["b"]);

  await storage.delete("/registry/pods/default/b");
  await until(() => view.size === 1);
  assert.deepEqual(view.byIndex("node", "n1"), []);
  assert.deepEqual(changes.map((c) => `${c.type} ${c.object.metadata?.name}`), [
    "added a",
    "added b",
    "updated a",
    "deleted b",
  ]);
  assert.equal(changes[2]!.old?.metadata?.name, "a");
  ac.abort();
  await storage.close();
});

Deno.test("ObjectView lists again when its watch fails", async () => {
  const storage = new MemoryStorage();
  await storage.create("/registry/pods/default/a", pod("a", "n1"));
  let watches = 0;
  // The first watch fails as a compacted history would; by then "a" was deleted and "b"
  // created, which only a new list can tell.
  const flaky = {
    list: (prefix: string) => storage.list(prefix),
    watch: (prefix: string, from: number, signal: AbortSignal) => {
      if (watches++ === 0) {
        // deno-lint-ignore require-yield
        return (async function* () {
          await storage.delete("/registry/pods/default/a");
          await storage.create("/registry/pods/default/b", pod("b", "n1"));
          throw new CompactedError(from, from + 5);
        })();
      }
      return storage.watch(prefix, from, signal);
    },
  } as unknown as Storage;
  const view = new ObjectView({ storage: flaky, prefix: "/registry/pods/", logger });
  const ac = new AbortController();
  await view.start(ac.signal);
  await until(() => view.getByName("default", "b") !== undefined);
  assert.equal(view.getByName("default", "a"), undefined, "the relist dropped what is gone");
  assert.equal(watches >= 2, true);
  ac.abort();
  await storage.close();
});
