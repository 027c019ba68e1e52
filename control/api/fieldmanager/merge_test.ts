import assert from "node:assert/strict";
import { Widget } from "./_test_schemas.ts";
import { mergeValues } from "./merge.ts";
import { atomOf } from "./schema_atoms.ts";

const widget = atomOf(Widget);

function merge(live: Record<string, unknown>, config: Record<string, unknown>): unknown {
  return (mergeValues({ live: { spec: live }, config: { spec: config } }, widget) as {
    spec: unknown;
  }).spec;
}

function names(items: unknown): string[] {
  return (items as { name: string }[]).map((i) => i.name);
}

Deno.test("mergeValues() merges by list type, map type and struct type", async (t) => {
  const cases: {
    name: string;
    live: Record<string, unknown>;
    config: Record<string, unknown>;
    merged: unknown;
  }[] = [
    {
      name: "scalars: the configuration wins",
      live: { replicas: 1, paused: true },
      config: { replicas: 3 },
      merged: { replicas: 3, paused: true },
    },
    {
      name: "granular maps merge key by key",
      live: { labels: { a: "1", b: "2" } },
      config: { labels: { b: "3", c: "4" } },
      merged: { labels: { a: "1", b: "3", c: "4" } },
    },
    {
      name: "atomic maps are replaced",
      live: { flags: { a: "1", b: "2" } },
      config: { flags: { c: "3" } },
      merged: { flags: { c: "3" } },
    },
    {
      name: "atomic structs are replaced",
      live: { selector: { match: { a: "1", b: "2" } } },
      config: { selector: { match: { c: "3" } } },
      merged: { selector: { match: { c: "3" } } },
    },
    {
      name: "atomic lists are replaced",
      live: { args: ["a", "b"] },
      config: { args: ["c"] },
      merged: { args: ["c"] },
    },
    {
      name: "lists without tags are replaced",
      live: { plain: [{ name: "a" }] },
      config: { plain: [{ name: "b" }] },
      merged: { plain: [{ name: "b" }] },
    },
    {
      name: "sets keep live-only values and add the configuration's",
      live: { tags: ["a", "b"] },
      config: { tags: ["c", "b"] },
      merged: { tags: ["a", "c", "b"] },
    },
    {
      name: "keyed items merge field by field",
      live: { items: [{ name: "a", value: "1", ports: [{ port: 80, protocol: "TCP" }] }] },
      config: { items: [{ name: "a", ports: [{ port: 81 }] }] },
      merged: {
        items: [{
          name: "a",
          value: "1",
          ports: [{ port: 80, protocol: "TCP" }, { port: 81 }],
        }],
      },
    },
    {
      name: "a defaulted key matches the live item",
      live: { items: [{ name: "a", ports: [{ port: 80, protocol: "TCP", name: "web" }] }] },
      config: { items: [{ name: "a", ports: [{ port: 80, name: "http" }] }] },
      merged: { items: [{ name: "a", ports: [{ port: 80, protocol: "TCP", name: "http" }] }] },
    },
    {
      name: "untyped values merge maps and replace lists",
      live: { raw: { a: 1, l: [1, 2] } },
      config: { raw: { b: 2, l: [3] } },
      merged: { raw: { a: 1, l: [3], b: 2 } },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.deepEqual(merge(c.live, c.config), c.merged));
  }
});

Deno.test("mergeValues() orders keyed items: live-only ones stay, shared ones follow the configuration", async (t) => {
  const cases: { live: string[]; config: string[]; merged: string[] }[] = [
    { live: ["a", "b", "c"], config: ["c", "a"], merged: ["b", "c", "a"] },
    { live: ["a", "b"], config: ["c"], merged: ["a", "b", "c"] },
    { live: ["a", "b", "c"], config: ["b"], merged: ["a", "b", "c"] },
    { live: ["a", "x", "b"], config: ["b", "y", "a"], merged: ["x", "b", "y", "a"] },
    { live: [], config: ["b", "a"], merged: ["b", "a"] },
  ];
  for (const c of cases) {
    await t.step(`${c.live.join("")} + ${c.config.join("")}`, () => {
      const items = (l: string[]) => l.map((name) => ({ name }));
      const merged = merge({ items: items(c.live) }, { items: items(c.config) }) as {
        items: unknown;
      };
      assert.deepEqual(names(merged.items), c.merged);
    });
  }
});
