import assert from "node:assert/strict";
import {
  formatIdentity,
  identityKey,
  type ObjectIdentity,
  ReferenceCache,
  sameIdentity,
} from "./_gc_reference_cache.ts";

function id(name: string, extra: Partial<ObjectIdentity> = {}): ObjectIdentity {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    namespace: "default",
    name,
    uid: `u-${name}`,
    ...extra,
  };
}

Deno.test("ReferenceCache forgets the least recently used identity beyond its size", () => {
  const cache = new ReferenceCache(2);
  cache.add(id("a"));
  cache.add(id("b"));
  assert.equal(cache.has(id("a")), true, "a hit makes a the most recent");
  cache.add(id("c"));
  assert.equal(cache.has(id("b")), false);
  assert.equal(cache.has(id("a")), true);
  assert.equal(cache.has(id("c")), true);
  assert.equal(cache.size, 2);
});

Deno.test("ReferenceCache tells identities apart by every coordinate", async (t) => {
  const cache = new ReferenceCache();
  cache.add(id("a"));
  const cases: [string, Partial<ObjectIdentity>][] = [
    ["namespace", { namespace: "" }],
    ["apiVersion", { apiVersion: "v2" }],
    ["kind", { kind: "Secret" }],
    ["uid", { uid: "other" }],
  ];
  for (const [name, change] of cases) {
    await t.step(name, () => {
      assert.equal(cache.has(id("a", change)), false);
      assert.equal(sameIdentity(id("a"), id("a", change)), false);
      assert.notEqual(identityKey(id("a")), identityKey(id("a", change)));
    });
  }
  assert.equal(sameIdentity(id("a"), id("a")), true);
});

Deno.test("ReferenceCache() rejects a size that is not a positive integer", () => {
  assert.throws(() => new ReferenceCache(0), RangeError);
  assert.throws(() => new ReferenceCache(1.5), RangeError);
});

Deno.test("formatIdentity() prints an object reference as upstream does", () => {
  assert.equal(
    formatIdentity(id("web", { apiVersion: "apps/v1", kind: "ReplicaSet", uid: "1234" })),
    "[apps/v1/ReplicaSet, namespace: default, name: web, uid: 1234]",
  );
  assert.equal(
    formatIdentity(id("n1", { kind: "Node", namespace: "", uid: "9" })),
    "[v1/Node, namespace: , name: n1, uid: 9]",
  );
});
