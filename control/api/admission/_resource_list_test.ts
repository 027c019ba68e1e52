import assert from "node:assert/strict";
import {
  addResourceLists,
  exceededNames,
  maskResourceList,
  parseResourceList,
  prettyPrint,
  removeZeros,
  resourceListsEqual,
  resourceListToJson,
  subtractNonNegative,
} from "./_resource_list.ts";

const list = parseResourceList;

Deno.test("parseResourceList() keeps parsable quantities and drops the rest", () => {
  assert.deepEqual(
    resourceListToJson(list({ cpu: "0.5", memory: "1Gi", bad: "1.2.3", pods: 3 })),
    { cpu: "500m", memory: "1Gi", pods: "3" },
  );
});

Deno.test("resourceListToJson() orders names as Go marshals a map", () => {
  assert.deepEqual(Object.keys(resourceListToJson(list({ pods: "1", "limits.cpu": "1" }))), [
    "limits.cpu",
    "pods",
  ]);
});

Deno.test("resource list arithmetic follows upstream's quota helpers", async (t) => {
  await t.step("add sums shared names and keeps the others", () => {
    assert.deepEqual(
      resourceListToJson(addResourceLists(list({ cpu: "100m", pods: "1" }), list({ cpu: "1" }))),
      { cpu: "1100m", pods: "1" },
    );
  });
  await t.step("subtract never goes below zero and zeroes names only in b", () => {
    assert.deepEqual(
      resourceListToJson(
        subtractNonNegative(list({ cpu: "1", pods: "1" }), list({ cpu: "2", x: "1" })),
      ),
      { cpu: "0", pods: "1", x: "0" },
    );
  });
  await t.step("mask keeps only the named entries", () => {
    assert.deepEqual(resourceListToJson(maskResourceList(list({ a: "1", b: "2" }), ["b"])), {
      b: "2",
    });
  });
  await t.step("removeZeros drops zero quantities", () => {
    assert.deepEqual(resourceListToJson(removeZeros(list({ a: "0", b: "0m", c: "1" }))), {
      c: "1",
    });
  });
  await t.step("exceededNames lists names over the limit among those both have", () => {
    assert.deepEqual(exceededNames(list({ a: "3", b: "1", c: "9" }), list({ a: "2", b: "1" })), [
      "a",
    ]);
  });
  await t.step("equality compares quantities, not text", () => {
    assert.ok(resourceListsEqual(list({ cpu: "1000m" }), list({ cpu: "1" })));
    assert.ok(!resourceListsEqual(list({ cpu: "1" }), list({ cpu: "1", pods: "0" })));
  });
});

Deno.test("prettyPrint() sorts names and prints canonical values", () => {
  assert.equal(prettyPrint(list({ pods: "2", "limits.cpu": "0.5" })), "limits.cpu=500m,pods=2");
  assert.equal(prettyPrint(new Map()), "");
});
