import assert from "node:assert/strict";
import { openEncryptingStorage } from "../../storage/encrypting_storage.ts";
import { CompactedError } from "../../storage/errors.ts";
import { MemoryStorage } from "../../storage/memory.ts";
import type { Storage } from "../../storage/types.ts";
import { BufferWriter, JsonLogger } from "../../util/mod.ts";
import { encodeForStorage } from "./object_codec.ts";
import type { KubeObject } from "../types/meta_v1.ts";
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

function secret(name: string, value: string) {
  return encodeForStorage({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, namespace: "default" },
    data: { v: btoa(value) },
  });
}

Deno.test("ObjectView leaves out Secrets it cannot decrypt and keeps following the others", async () => {
  const writer = new BufferWriter();
  await using storage = await openEncryptingStorage(new MemoryStorage(), {
    prefixes: [{
      prefix: "/registry/secrets/",
      providers: [{
        type: "aesgcm",
        keys: [{ name: "key1", secret: new Uint8Array(32).fill(7) }],
      }],
    }],
  });
  const at = (name: string) => `/registry/secrets/default/${name}`;
  await storage.create(at("a"), secret("a", "1"));
  const sealed = (await storage.raw.get(at("a")))!.value;
  // Copied under another key: it does not authenticate there.
  await storage.raw.create(at("bad"), sealed);
  const view = new ObjectView({
    storage,
    prefix: "/registry/secrets/",
    logger: new JsonLogger({ writer }),
  });
  const ac = new AbortController();
  await view.start(ac.signal);
  assert.deepEqual([...view.list()].map((o) => o.metadata?.name), ["a"]);
  assert.match(writer.text(), /left out objects that cannot be decrypted.*default\/bad/);

  // Altered while the view follows: the object leaves the view, later changes still arrive.
  const b = await storage.create(at("b"), secret("b", "2"));
  await until(() => view.getByName("default", "b") !== undefined);
  await storage.raw.update(at("b"), sealed, b.modRevision);
  await storage.create(at("c"), secret("c", "3"));
  await until(() => view.getByName("default", "c") !== undefined);
  assert.equal(view.getByName("default", "b"), undefined, "fails closed");
  const repaired = await storage.raw.get(at("bad"));
  await storage.update(at("bad"), secret("bad", "4"), repaired!.modRevision);
  await until(() => view.getByName("default", "bad") !== undefined);
  assert.ok(!writer.text().includes("lost its watch"), "no relist loop");
  assert.ok(!writer.text().includes(btoa("1")), "no value is logged");
  ac.abort();
});

Deno.test("ObjectView leaves out objects it cannot decode and keeps following the others", async () => {
  const storage = new MemoryStorage();
  await storage.create("/registry/pods/default/junk", new TextEncoder().encode("{not json"));
  await storage.create("/registry/pods/default/a", pod("a", "n1"));
  const view = new ObjectView({ storage, prefix: "/registry/pods/", logger });
  const ac = new AbortController();
  await view.start(ac.signal);
  assert.deepEqual([...view.list()].map((o) => o.metadata?.name), ["a"]);
  const a = await storage.get("/registry/pods/default/a");
  await storage.update("/registry/pods/default/a", new TextEncoder().encode("]"), a!.modRevision);
  await storage.create("/registry/pods/default/b", pod("b", "n1"));
  await until(() => view.getByName("default", "b") !== undefined);
  assert.equal(view.getByName("default", "a"), undefined);
  ac.abort();
  await storage.close();
});

Deno.test("ObjectView.readByName() reads storage past a view that has not seen a write", async () => {
  const storage = new MemoryStorage();
  const view = new ObjectView({
    storage,
    prefix: "/registry/pods/",
    logger,
    project: (o) => ({ ...o, spec: {} }),
  });
  const ac = new AbortController();
  await view.start(ac.signal);
  await storage.create("/registry/pods/default/fresh", pod("fresh", "n1"));
  // The view learns of it one watch delivery later; a consistent read sees it now.
  const read = await view.readByName("default", "fresh");
  assert.equal(read?.metadata?.name, "fresh");
  assert.deepEqual(read?.spec, {}, "the view's projection applies");
  assert.ok(Object.isFrozen(read));
  assert.equal(await view.readByName("default", "missing"), undefined);
  ac.abort();
});

Deno.test("ObjectView.offer() has the view take the written object, not a decode, for those bytes only", async () => {
  const storage = new MemoryStorage();
  const given: KubeObject[] = [];
  const view = new ObjectView({
    storage,
    prefix: "/registry/pods/",
    logger,
    project: (o) => {
      given.push(o);
      return { ...o };
    },
  });
  const ac = new AbortController();
  await view.start(ac.signal);
  const offered: KubeObject = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "a", namespace: "default" },
    spec: { nodeName: "n1" },
  };
  const value = encodeForStorage(offered);
  view.offer({ key: "/registry/pods/default/a", value, object: offered });
  const kv = await storage.create("/registry/pods/default/a", value);
  await until(() => view.size === 1);
  assert.equal(given[0]!.spec, offered.spec);
  assert.equal(given[0]!.metadata?.resourceVersion, String(kv.modRevision));
  assert.equal(offered.metadata?.resourceVersion, undefined);
  assert.equal(view.getByName("default", "a")?.metadata?.resourceVersion, String(kv.modRevision));

  // Other bytes under the offered key (another write won): decoded as usual.
  const other: KubeObject = { ...offered, metadata: { name: "b", namespace: "default" } };
  view.offer({ key: "/registry/pods/default/b", value: encodeForStorage(other), object: other });
  await storage.create("/registry/pods/default/b", pod("b", "n2"));
  await until(() => view.size === 2);
  assert.notEqual(given[1]!.spec, other.spec);
  assert.deepEqual(view.getByName("default", "b")?.spec, { nodeName: "n2" });
  ac.abort();
});

Deno.test("ObjectView.offer() is ignored by a view without a projection", async () => {
  const storage = new MemoryStorage();
  const view = new ObjectView({ storage, prefix: "/registry/pods/", logger });
  const ac = new AbortController();
  await view.start(ac.signal);
  const offered: KubeObject = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "a", namespace: "default" },
    spec: { nodeName: "n1" },
  };
  const value = encodeForStorage(offered);
  view.offer({ key: "/registry/pods/default/a", value, object: offered });
  await storage.create("/registry/pods/default/a", value);
  await until(() => view.size === 1);
  assert.notEqual(view.getByName("default", "a")?.spec, offered.spec);
  assert.ok(!Object.isFrozen(offered.spec));
  ac.abort();
});
