import assert from "node:assert/strict";
import { Environment } from "@marcbachmann/cel-js";
import type { JSONSchemaProps } from "../types/apiextensions_v1.ts";
import {
  costErrorMessage,
  estimateCost,
  maxCardinality,
  maxItemsOf,
  schemaSize,
  STATIC_COST_LIMIT,
  valueSize,
} from "./_cel_cost.ts";

const env = new Environment({ homogeneousAggregateLiterals: false, enableOptionalTypes: true })
  .registerVariable("self", "dyn");

function cost(rule: string, schema: JSONSchemaProps): number {
  return estimateCost(env.parse(rule).ast, { self: schemaSize(schema, { names: (p) => p }) });
}

function tags(maxLength: number, maxItems: number): JSONSchemaProps {
  return { type: "array", maxItems, items: { type: "string", maxLength } };
}

Deno.test("estimateCost() reproduces upstream's limits for a scan of a list of strings", async (t) => {
  // The largest maxItems upstream accepts for `self.exists(x, x.contains('gpu'))` by the
  // items' maxLength (10,000,000 over the cost of one item).
  const cases: [number, number][] = [[16, 909_090], [63, 333_333], [253, 94_339], [1024, 24_154]];
  for (const [maxLength, maxItems] of cases) {
    await t.step(`maxLength ${maxLength}: up to ${maxItems} items`, () => {
      const rule = "self.exists(x, x.contains('gpu'))";
      assert.ok(cost(rule, tags(maxLength, maxItems)) <= STATIC_COST_LIMIT);
      assert.ok(cost(rule, tags(maxLength, maxItems + 1)) > STATIC_COST_LIMIT);
    });
  }
});

Deno.test("estimateCost() charges what cel-go's model charges", async (t) => {
  const spec: JSONSchemaProps = {
    type: "object",
    properties: {
      replicas: { type: "integer" },
      max: { type: "integer" },
      name: { type: "string", maxLength: 10 },
      list: { type: "array", maxItems: 5, items: { type: "integer" } },
    },
  };
  const cases: [string, number][] = [
    ["true", 0],
    ["self.replicas <= self.max", 5],
    ["has(self.name)", 2],
    ["self.name == 'x'", 3],
    ["self.name.startsWith('ab')", 3],
    ["self.list.all(x, x > 0)", 2 + 5 * (3 + 2) + 1],
    ["self.list.map(x, x * 2).size() > 0", 2 + 10 + 5 * (2 + 12) + 1 + 1 + 1],
    ["[1, 2].size() == 2", 10 + 1 + 1],
  ];
  for (const [rule, want] of cases) {
    await t.step(rule, () => assert.equal(cost(rule, spec), want));
  }
});

Deno.test("estimateCost() on actual values bounds one evaluation", () => {
  const ast = env.parse("self.all(x, self.exists(y, x == y))").ast;
  const list = Array.from({ length: 100 }, (_, i) => BigInt(i));
  // 100 × (3 + (1 + 100 × (3 + 3)) + 1) + 2
  assert.equal(estimateCost(ast, { self: valueSize(list) }), 100 * (3 + 1 + 600 + 1) + 1 + 1);
});

Deno.test("schemaSize() bounds strings, lists and maps as upstream", () => {
  assert.equal(schemaSize({ type: "string", maxLength: 10 }, { names: (p) => p }).max, 40);
  assert.equal(schemaSize({ type: "string", enum: ["a", "bcd"] }, { names: (p) => p }).max, 3);
  assert.equal(schemaSize({ type: "string" }, { names: (p) => p }).max, 3 * 1024 * 1024 - 2);
  assert.equal(maxItemsOf({ type: "array", items: { type: "string" } }), 1_048_575);
  assert.equal(maxItemsOf({ type: "array", maxItems: 3, items: { type: "string" } }), 3);
  assert.equal(maxCardinality({ type: "object" }), 1_048_576);
});

Deno.test("costErrorMessage() formats the factor as upstream", async (t) => {
  const cases: [number, string][] = [
    [12_000_000, "1.200000x"],
    [25_000_000, "2.5x"],
    [2_000_000_000, "more than 100x"],
  ];
  for (const [value, factor] of cases) {
    await t.step(factor, () => {
      assert.equal(
        costErrorMessage("estimated rule cost", { cost: value, limit: STATIC_COST_LIMIT }),
        `estimated rule cost exceeds budget by factor of ${factor} (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)`,
      );
    });
  }
});
