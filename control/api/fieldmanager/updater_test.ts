import assert from "node:assert/strict";
import { Widget } from "./_test_schemas.ts";
import { FieldSet } from "./field_set.ts";
import { fieldElement as f, pathString } from "./path_element.ts";
import { atomOf } from "./schema_atoms.ts";
import { Conflicts, type ManagedFieldSets, recursiveDifference, Updater } from "./updater.ts";

const V = "example.com/v1";

function setup() {
  const updater = new Updater({ atom: atomOf(Widget), ignore: FieldSet.of([f("status")]) });
  const managers: ManagedFieldSets = new Map();
  // An existing object with an empty spec, as a Go zero value has one.
  let live: unknown = { spec: {} };
  return {
    managers,
    get live() {
      return live as { spec?: Record<string, unknown> } | null;
    },
    apply(manager: string, spec: Record<string, unknown>, force = false) {
      const { object } = updater.apply(live, { spec }, { version: V, managers, manager, force });
      if (object !== null) live = object;
      return object;
    },
    update(manager: string, spec: Record<string, unknown>) {
      const next = { ...(live as object), spec };
      updater.update(live, next, { version: V, managers, manager });
      live = next;
    },
    owned(manager: string): unknown {
      return managers.get(manager)?.set.toFieldsV1();
    },
  };
}

Deno.test("Updater.apply() owns the configuration and merges it into the live object", () => {
  const s = setup();
  s.apply("a", { replicas: 1, labels: { x: "1" } });
  assert.deepEqual(s.live, { spec: { replicas: 1, labels: { x: "1" } } });
  assert.deepEqual(s.owned("a"), { "f:spec": { "f:labels": { "f:x": {} }, "f:replicas": {} } });
  assert.equal(s.managers.get("a")?.applied, true);
});

Deno.test("Updater.apply() removes what the manager applied before and applies no longer", async (t) => {
  await t.step("owned by it alone: removed", () => {
    const s = setup();
    s.apply("a", { replicas: 1, labels: { x: "1", y: "2" } });
    s.apply("a", { labels: { x: "1" } });
    assert.deepEqual(s.live, { spec: { labels: { x: "1" } } });
    assert.deepEqual(s.owned("a"), { "f:spec": { "f:labels": { "f:x": {} } } });
  });
  await t.step("also applied by another manager: kept, now owned by that one", () => {
    const s = setup();
    s.apply("a", { replicas: 1 });
    s.apply("b", { replicas: 1 });
    s.apply("a", { paused: true });
    assert.deepEqual(s.live, { spec: { replicas: 1, paused: true } });
    assert.equal(s.owned("a") !== undefined, true);
    assert.deepEqual(s.owned("b"), { "f:spec": { "f:replicas": {} } });
  });
  await t.step("owned by an updater too: kept", () => {
    const s = setup();
    s.apply("a", { replicas: 1, labels: { x: "1" } });
    s.update("editor", { replicas: 1, labels: { x: "1", y: "2" } });
    s.apply("a", { replicas: 1 });
    assert.deepEqual(s.live?.spec, { replicas: 1, labels: { y: "2" } });
  });
  await t.step("a keyed item dropped from the configuration goes", () => {
    const s = setup();
    s.apply("a", { items: [{ name: "one" }, { name: "two", value: "2" }] });
    s.apply("a", { items: [{ name: "one" }] });
    assert.deepEqual(s.live?.spec, { items: [{ name: "one" }] });
  });
  await t.step("fields nobody applied stay", () => {
    const s = setup();
    s.update("creator", { paused: true });
    s.apply("a", { replicas: 2 });
    s.apply("a", { labels: { x: "1" } });
    assert.deepEqual(s.live?.spec, { paused: true, labels: { x: "1" } });
  });
});

Deno.test("Updater.apply() conflicts with other owners of changed fields, unless forced", async (t) => {
  await t.step("a different value conflicts", () => {
    const s = setup();
    s.update("editor", { replicas: 1, paused: false });
    assert.throws(() => s.apply("a", { replicas: 2, paused: true }), Conflicts);
    try {
      s.apply("a", { replicas: 2, paused: true });
    } catch (e) {
      assert.ok(e instanceof Conflicts);
      assert.deepEqual(
        e.conflicts.map((c) => `${c.manager} ${pathString(c.path)}`),
        ["editor .spec.paused", "editor .spec.replicas"],
      );
    }
    assert.deepEqual(s.live?.spec, { replicas: 1, paused: false });
  });
  await t.step("the same value is shared ownership", () => {
    const s = setup();
    s.update("editor", { replicas: 1 });
    s.apply("a", { replicas: 1 });
    assert.deepEqual(s.owned("editor"), { "f:spec": { "f:replicas": {} } });
    assert.deepEqual(s.owned("a"), { "f:spec": { "f:replicas": {} } });
  });
  await t.step("force takes the field", () => {
    const s = setup();
    s.update("editor", { replicas: 1, paused: false });
    s.apply("a", { replicas: 2 }, true);
    assert.deepEqual(s.live?.spec, { replicas: 2, paused: false });
    assert.deepEqual(s.owned("editor"), { "f:spec": { "f:paused": {} } });
    assert.deepEqual(s.owned("a"), { "f:spec": { "f:replicas": {} } });
  });
  await t.step("an applier's own fields never conflict", () => {
    const s = setup();
    s.apply("a", { replicas: 1 });
    s.apply("a", { replicas: 5 });
    assert.deepEqual(s.live?.spec, { replicas: 5 });
  });
});

Deno.test("Updater.update() transfers ownership of changed fields and drops removed ones", () => {
  const s = setup();
  s.apply("a", { replicas: 1, labels: { x: "1" } });
  s.update("scaler", { replicas: 3, labels: { x: "1" } });
  assert.deepEqual(s.owned("scaler"), { "f:spec": { "f:replicas": {} } });
  assert.deepEqual(s.owned("a"), { "f:spec": { "f:labels": { "f:x": {} } } });
  s.update("editor", { replicas: 3 });
  // Nobody owns a removed field; an entry left with nothing goes.
  assert.equal(s.owned("a"), undefined);
  assert.equal(s.managers.has("editor"), false);
});

Deno.test("Updater ignores the fields it is told nobody owns", () => {
  const s = setup();
  const updater = new Updater({ atom: atomOf(Widget), ignore: FieldSet.of([f("status")]) });
  updater.update({ spec: {}, status: {} }, { spec: { replicas: 1 }, status: { ready: 1 } }, {
    version: V,
    managers: s.managers,
    manager: "m",
  });
  assert.deepEqual(s.owned("m"), { "f:spec": { "f:replicas": {} } });
});

Deno.test("recursiveDifference() removes excluded paths and everything below them", () => {
  const set = FieldSet.of([f("status"), f("ready")], [f("spec"), f("replicas")], [f("status")]);
  assert.deepEqual(recursiveDifference(set, FieldSet.of([f("status")])).toFieldsV1(), {
    "f:spec": { "f:replicas": {} },
  });
});
